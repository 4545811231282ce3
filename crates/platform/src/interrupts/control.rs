//! A `WHV_INTERRUPT_CONTROL` checked ([`Request::parse`]) and encoded as the
//! MSI that KVM's in-kernel LAPICs deliver ([`Request::msi`]).
//!
//! Checks (Windows documents no error for WHvRequestInterrupt beyond S_OK;
//! these are our reading, in the README): an unknown `Type`,
//! `DestinationMode` or `TriggerMode`, a set reserved bit (bits 16–63 of
//! the first word; newer SDKs name bits 16–23 `TargetVtl`, and VTLs other
//! than 0 do not exist here), a vector above 255, and a Fixed or
//! LowestPriority vector below 16 (vectors 0–15 are illegal for the APIC:
//! Intel SDM Vol. 3 "Valid Interrupt Vectors"; the Hyper-V TLFS gives the
//! same range, `>= 0x10 and <= 0xFF`, for HvCallSendSyntheticClusterIpi)
//! answer `E_INVALIDARG`. The vector of NMI, INIT and LocalInt1 is ignored;
//! a SIPI's vector is the start page (0–255).
//!
//! The MSI (Intel SDM Vol. 3 "Message Signalled Interrupts"): address
//! `0xFEE0_0000 | dest[7:0] << 12 | DM << 2`; with `KVM_CAP_X2APIC_API`
//! (32-bit IDs) the address' high half carries `dest[31:8]`, as KVM's
//! `x86_msi_msg_get_destid` reads it. Data: `vector | mode << 8`, plus
//! `level << 15 | assert << 14` for level triggering. The delivery modes
//! are WHP's type numbers (QEMU's `whpx_send_msi` relies on the same:
//! "Values correspond to delivery modes"), SIPI (6) included: KVM's
//! `__apic_accept_irq` takes `APIC_DM_STARTUP` from any source.

#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use kvm_bindings::kvm_msi;
use winhv_defs::*;

use crate::{Error, Result};

/// The interrupt types of WHvRequestInterrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Fixed,
    LowestPriority,
    Nmi,
    Init,
    Sipi,
    /// The LINT1 pin of the target's local APIC (its LVT LINT1 entry
    /// decides what happens).
    LocalInt1,
}

impl Kind {
    /// The APIC delivery mode (ICR/MSI bits 10:8) of an MSI-deliverable
    /// kind.
    fn delivery_mode(self) -> Option<u32> {
        match self {
            Kind::Fixed => Some(0),
            Kind::LowestPriority => Some(1),
            Kind::Nmi => Some(4),
            Kind::Init => Some(5),
            Kind::Sipi => Some(6),
            Kind::LocalInt1 => None,
        }
    }
}

/// A checked WHvRequestInterrupt request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub kind: Kind,
    /// Logical destination mode (else physical).
    pub logical: bool,
    /// Level-triggered (else edge).
    pub level: bool,
    pub destination: u32,
    pub vector: u8,
}

fn invalid(what: String) -> Error {
    Error::with(E_INVALIDARG, what)
}

/// Bits 16–63 of the control word: `Reserved` (`TargetVtl` and `Reserved`
/// in newer SDKs).
const RESERVED: u64 = !0xffff;

impl Request {
    /// Checks `ic` (see the module documentation).
    pub(crate) fn parse(ic: &WHV_INTERRUPT_CONTROL) -> Result<Request> {
        let kind = match WHV_INTERRUPT_TYPE(ic.r#type() as i32) {
            WHvX64InterruptTypeFixed => Kind::Fixed,
            WHvX64InterruptTypeLowestPriority => Kind::LowestPriority,
            WHvX64InterruptTypeNmi => Kind::Nmi,
            WHvX64InterruptTypeInit => Kind::Init,
            WHvX64InterruptTypeSipi => Kind::Sipi,
            WHvX64InterruptTypeLocalInt1 => Kind::LocalInt1,
            t => return Err(invalid(format!("unknown interrupt type {}", t.0))),
        };
        let logical = match WHV_INTERRUPT_DESTINATION_MODE(ic.destination_mode() as i32) {
            WHvX64InterruptDestinationModePhysical => false,
            WHvX64InterruptDestinationModeLogical => true,
            m => return Err(invalid(format!("unknown destination mode {}", m.0))),
        };
        let level = match WHV_INTERRUPT_TRIGGER_MODE(ic.trigger_mode() as i32) {
            WHvX64InterruptTriggerModeEdge => false,
            WHvX64InterruptTriggerModeLevel => true,
            m => return Err(invalid(format!("unknown trigger mode {}", m.0))),
        };
        if ic._bitfield & RESERVED != 0 {
            return Err(invalid(format!(
                "reserved bits {:#x} of WHV_INTERRUPT_CONTROL set",
                ic._bitfield & RESERVED
            )));
        }
        let vector = u8::try_from(ic.Vector)
            .map_err(|_| invalid(format!("vector {:#x} above 255", ic.Vector)))?;
        if matches!(kind, Kind::Fixed | Kind::LowestPriority) && vector < 16 {
            return Err(invalid(format!(
                "vector {vector}: vectors 0-15 are not valid for {kind:?} interrupts"
            )));
        }
        Ok(Request {
            kind,
            logical,
            level,
            destination: ic.Destination,
            vector,
        })
    }

    /// The MSI that delivers this request to `destination` (already mapped
    /// by the routing rules), `None` for LocalInt1 (not an APIC message).
    /// Without 32-bit IDs (`x2apic_api` false) a destination above 0xFF
    /// cannot be expressed: `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`.
    pub(crate) fn msi(&self, destination: u32, x2apic_api: bool) -> Result<Option<kvm_msi>> {
        let Some(mode) = self.kind.delivery_mode() else {
            return Ok(None);
        };
        if !x2apic_api && destination > 0xff {
            return Err(Error::with(
                HRESULT_ERROR_NOT_SUPPORTED,
                format!(
                    "destination {destination:#x}: this kernel lacks KVM_CAP_X2APIC_API, \
                     so MSIs carry 8-bit destinations only"
                ),
            ));
        }
        let address_lo = 0xfee0_0000 | (destination & 0xff) << 12 | u32::from(self.logical) << 2;
        let address_hi = destination & 0xffff_ff00;
        let trigger = if self.level { 1 << 15 | 1 << 14 } else { 0 };
        Ok(Some(kvm_msi {
            address_lo,
            address_hi,
            data: u32::from(self.vector) | mode << 8 | trigger,
            ..Default::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(ty: u64, mode: u64, trigger: u64, dest: u32, vector: u32) -> WHV_INTERRUPT_CONTROL {
        WHV_INTERRUPT_CONTROL {
            _bitfield: ty | mode << 8 | trigger << 12,
            Destination: dest,
            Vector: vector,
        }
    }

    #[test]
    fn every_type_parses_and_unknown_ones_do_not() {
        for (ty, kind) in [
            (0, Kind::Fixed),
            (1, Kind::LowestPriority),
            (4, Kind::Nmi),
            (5, Kind::Init),
            (6, Kind::Sipi),
            (9, Kind::LocalInt1),
        ] {
            let r = Request::parse(&control(ty, 1, 1, 3, 0x40)).unwrap();
            assert_eq!(
                r,
                Request {
                    kind,
                    logical: true,
                    level: true,
                    destination: 3,
                    vector: 0x40
                }
            );
        }
        for ty in [2, 3, 7, 8, 10, 0xff] {
            let e = Request::parse(&control(ty, 0, 0, 0, 0x40)).unwrap_err();
            assert_eq!(e.hresult, E_INVALIDARG, "type {ty}");
        }
    }

    #[test]
    fn modes_reserved_bits_and_vectors_are_checked() {
        let bad = [
            control(0, 2, 0, 0, 0x40),
            control(0, 0xf, 0, 0, 0x40),
            control(0, 0, 2, 0, 0x40),
            control(0, 0, 0, 0, 0x100),
            control(0, 0, 0, 0, 15),
            control(1, 0, 0, 0, 0),
            WHV_INTERRUPT_CONTROL {
                _bitfield: 1 << 16, // TargetVtl 1
                Destination: 0,
                Vector: 0x40,
            },
            WHV_INTERRUPT_CONTROL {
                _bitfield: 1 << 63,
                Destination: 0,
                Vector: 0x40,
            },
        ];
        for c in bad {
            assert_eq!(
                Request::parse(&c).unwrap_err().hresult,
                E_INVALIDARG,
                "{c:?}"
            );
        }
        // Vectors below 16 are fine where the vector means something else.
        for ty in [4, 5, 6, 9] {
            Request::parse(&control(ty, 0, 0, 0, 0)).unwrap();
        }
        Request::parse(&control(0, 0, 0, 0, 16)).unwrap();
        Request::parse(&control(0, 0, 0, 0, 255)).unwrap();
    }

    #[test]
    fn msi_encodes_destination_mode_vector_and_trigger() {
        let r = Request::parse(&control(0, 0, 0, 3, 0x41)).unwrap();
        let m = r.msi(3, true).unwrap().unwrap();
        assert_eq!((m.address_lo, m.address_hi, m.data), (0xfee0_3000, 0, 0x41));
        let r = Request::parse(&control(1, 1, 1, 0x0001_0006, 0x80)).unwrap();
        let m = r.msi(0x0001_0006, true).unwrap().unwrap();
        assert_eq!(m.address_lo, 0xfee0_6004);
        assert_eq!(m.address_hi, 0x0001_0000);
        assert_eq!(m.data, 0x80 | 1 << 8 | 1 << 15 | 1 << 14);
        let r = Request::parse(&control(6, 0, 0, 2, 0x08)).unwrap();
        assert_eq!(r.msi(2, false).unwrap().unwrap().data, 0x608);
        let r = Request::parse(&control(4, 0, 0, 0xffff_ffff, 0)).unwrap();
        let m = r.msi(0xffff_ffff, true).unwrap().unwrap();
        assert_eq!(
            (m.address_lo, m.address_hi, m.data),
            (0xfeef_f000, 0xffff_ff00, 0x400)
        );
        let e = r.msi(0x100, false).unwrap_err();
        assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED);
        let r = Request::parse(&control(9, 0, 0, 0, 0)).unwrap();
        assert!(r.msi(0, true).unwrap().is_none(), "LINT1 is no message");
    }
}
