//! WHvRequestInterrupt in a partition without LAPIC emulation
//! (LocalApicEmulationMode None): KVM has no in-kernel interrupt
//! controller there, so each VP keeps the requests made of it in
//! [`Requested`] and its own run loop injects them (`vp.rs`):
//!
//! * an NMI as KVM's pending NMI (`kvm_vcpu_events.nmi.pending` in the
//!   sync area: KVM delivers it when the guest is not blocking NMIs, as
//!   `KVM_NMI` would — the ioctl is not used because the VMM's event
//!   writes through the same area would overwrite what it queued);
//! * a Fixed vector as the interrupt being injected
//!   (`WHvRegisterPendingInterruption`, KVM's `interrupt.injected`), the
//!   highest requested vector first, once the guest can take it (RFLAGS.IF,
//!   no interrupt shadow, nothing else being injected); until then the run
//!   asks KVM for an interrupt window (`request_interrupt_window`), and a
//!   HLT with the window open takes the interrupt instead of exiting.
//!
//! A request to a running VP kicks its thread out of `KVM_RUN`
//! ([`crate::cancel::CancelState::kick`]) without cancelling the run.
//!
//! Without an APIC there is no APIC ID, logical destination, priority or
//! EOI. Our reading, as Windows documents nothing for this mode: a physical
//! destination names the VP whose index it is (each VP's initial APIC ID
//! in CPUID), 0xFFFFFFFF every VP, any other value nobody (dropped,
//! `S_OK`, as with an APIC); Fixed with edge trigger and NMI are accepted;
//! LowestPriority, INIT, SIPI, LocalInt1, a logical destination and level
//! triggering need an APIC and answer `ERROR_HV_OPERATION_DENIED`, the
//! answer Microsoft documents for WHvGetInterruptTargetVpSet without LAPIC
//! emulation. A vector requested again before the guest took it is taken
//! once (an edge latched, as in an IRR).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use winhv_defs::ERROR_HV_OPERATION_DENIED;

use super::control::{Kind, Request};
use crate::{Error, Result};

/// The physical destination that reaches every VP.
const BROADCAST: u32 = 0xffff_ffff;

/// The requests waiting for one VP's run loop.
#[derive(Debug, Default)]
pub(crate) struct Requested {
    /// Requested Fixed vectors, one bit each.
    vectors: [AtomicU64; 4],
    nmi: AtomicBool,
    /// A request came since the run loop last looked ([`Self::seen`]):
    /// checked before each `KVM_RUN`.
    any: AtomicBool,
}

impl Requested {
    /// Whether anything waits (one load: the run loop's check).
    pub(crate) fn any(&self) -> bool {
        self.any.load(Ordering::SeqCst)
    }

    /// Records `req` (checked by [`check`]).
    pub(crate) fn raise(&self, req: &Request) {
        match req.kind {
            Kind::Nmi => self.nmi.store(true, Ordering::Release),
            _ => {
                let v = usize::from(req.vector);
                self.vectors[v / 64].fetch_or(1 << (v % 64), Ordering::AcqRel);
            }
        }
        self.any.store(true, Ordering::SeqCst);
    }

    /// Makes the run loop look ([`Self::any`]) without a request: a thread
    /// waits to borrow the VP (`Vp::with_state`).
    pub(crate) fn wake(&self) {
        self.any.store(true, Ordering::SeqCst);
    }

    /// Takes a requested NMI.
    pub(crate) fn take_nmi(&self) -> bool {
        self.nmi.swap(false, Ordering::AcqRel)
    }

    /// The highest requested vector, left requested.
    pub(crate) fn highest(&self) -> Option<u8> {
        (0..4).rev().find_map(|w| {
            let bits = self.vectors[w].load(Ordering::Acquire);
            (bits != 0).then(|| (w * 64 + 63 - bits.leading_zeros() as usize) as u8)
        })
    }

    /// Forgets `vector`: it is being injected.
    pub(crate) fn take(&self, vector: u8) {
        let v = usize::from(vector);
        self.vectors[v / 64].fetch_and(!(1 << (v % 64)), Ordering::AcqRel);
    }

    /// The run loop is about to look at every request made so far:
    /// [`Self::any`] answers false until the next one (whose bits are set
    /// before the flag).
    pub(crate) fn seen(&self) {
        self.any.store(false, Ordering::SeqCst);
    }

    /// Forgets every request (partition reset).
    pub(crate) fn clear(&self) {
        self.nmi.store(false, Ordering::Release);
        for w in &self.vectors {
            w.store(0, Ordering::Release);
        }
        self.any.store(false, Ordering::Release);
    }
}

fn denied(what: String) -> Error {
    Error::with(ERROR_HV_OPERATION_DENIED, what)
}

/// Checks that `req` can be delivered without an APIC (see the module
/// documentation).
pub(crate) fn check(req: &Request) -> Result<()> {
    if !matches!(req.kind, Kind::Fixed | Kind::Nmi) {
        return Err(denied(format!(
            "{:?} interrupts need LAPIC emulation (LocalApicEmulationMode None)",
            req.kind
        )));
    }
    if req.logical {
        return Err(denied(
            "a logical destination needs LAPIC emulation (LocalApicEmulationMode None)".into(),
        ));
    }
    if req.level {
        return Err(denied(
            "level triggering needs an APIC's EOI (LocalApicEmulationMode None)".into(),
        ));
    }
    Ok(())
}

/// Whether `req`'s destination names VP `index`.
pub(crate) fn reaches(req: &Request, index: u32) -> bool {
    req.destination == BROADCAST || req.destination == index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: Kind, vector: u8) -> Request {
        Request {
            kind,
            logical: false,
            level: false,
            destination: 0,
            vector,
        }
    }

    #[test]
    fn highest_vector_first_and_nmi_apart() {
        let r = Requested::default();
        assert!(!r.any());
        assert_eq!(r.highest(), None);
        r.raise(&req(Kind::Fixed, 0x41));
        r.raise(&req(Kind::Fixed, 0xf0));
        r.raise(&req(Kind::Fixed, 0x41));
        r.raise(&req(Kind::Nmi, 0));
        assert!(r.any());
        assert_eq!(r.highest(), Some(0xf0));
        r.take(0xf0);
        assert_eq!(r.highest(), Some(0x41));
        assert!(r.take_nmi());
        assert!(!r.take_nmi());
        r.seen();
        assert!(!r.any());
        assert_eq!(r.highest(), Some(0x41), "still waiting for the guest");
        r.take(0x41);
        r.raise(&req(Kind::Fixed, 0x10));
        assert!(r.any(), "a new request");
        r.clear();
        assert!(!r.any());
        assert_eq!(r.highest(), None);
    }

    #[test]
    fn only_fixed_edge_and_nmi_to_physical_destinations() {
        check(&req(Kind::Fixed, 0x40)).unwrap();
        check(&req(Kind::Nmi, 0)).unwrap();
        for kind in [
            Kind::LowestPriority,
            Kind::Init,
            Kind::Sipi,
            Kind::LocalInt1,
        ] {
            assert_eq!(
                check(&req(kind, 0x40)).unwrap_err().hresult,
                ERROR_HV_OPERATION_DENIED
            );
        }
        let logical = Request {
            logical: true,
            ..req(Kind::Fixed, 0x40)
        };
        let level = Request {
            level: true,
            ..req(Kind::Fixed, 0x40)
        };
        for r in [logical, level] {
            assert_eq!(check(&r).unwrap_err().hresult, ERROR_HV_OPERATION_DENIED);
        }
        let r = Request {
            destination: 2,
            ..req(Kind::Fixed, 0x40)
        };
        assert!(reaches(&r, 2) && !reaches(&r, 0));
        let all = Request {
            destination: BROADCAST,
            ..req(Kind::Fixed, 0x40)
        };
        assert!(reaches(&all, 0) && reaches(&all, 7));
    }
}
