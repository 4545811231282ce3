//! Which local APICs an interrupt destination reaches: a VP's APIC identity
//! ([`ApicIdentity`]: enabled, mode, ID, LDR, DFR) and the matching rules
//! ([`reaches`]) behind WHvGetInterruptTargetVpSet and LocalInt1.
//!
//! The rules are KVM's (`kvm_apic_match_dest` in `arch/x86/kvm/lapic.c`,
//! with `KVM_CAP_X2APIC_API`'s 32-bit IDs and the broadcast quirk off), so
//! that the set this module computes is the set KVM delivers an MSI to;
//! they are the SDM's ("Determining IPI Destination"):
//! * Physical: an xAPIC-mode APIC matches its 8-bit ID or the broadcast
//!   0xFF; an x2APIC-mode APIC its 32-bit x2APIC ID or 0xFFFF_FFFF. (KVM
//!   also compares a destination above 0xFF with an xAPIC-mode APIC's
//!   x2APIC ID, for CPU hot-plug; so do we.)
//! * Logical, xAPIC: flat model (DFR 0xFFFF_FFFF), any bit in common
//!   between the destination and LDR[31:24]; cluster model (DFR
//!   0x0FFF_FFFF), the same cluster (bits 7:4) and a common bit in 3:0;
//!   0xFF is the broadcast.
//! * Logical, x2APIC: the same cluster (bits 31:16) and a common bit in
//!   15:0; 0xFFFF_FFFF is the broadcast.
//! * An APIC disabled in IA32_APIC_BASE is reached by nothing.
//!
//! Two WHP-level choices on top (README): a physical 0xFFFF_FFFF reaches
//! every VP, in either mode (an x2APIC partition's VPs start in xAPIC mode;
//! the caller's broadcast must not depend on how far the guest got), and a
//! destination is reduced to 8 bits in an xApic partition only for the
//! broadcast (0xFFFF_FFFF → 0xFF).

use crate::registers::LapicSnapshot;

/// The x2APIC broadcast destination.
pub(crate) const X2APIC_BROADCAST: u32 = 0xffff_ffff;
/// The xAPIC broadcast destination.
pub(crate) const XAPIC_BROADCAST: u32 = 0xff;

const APIC_BASE_ENABLE: u64 = 1 << 11;
const ID: usize = 0x02;
const LDR: usize = 0x0d;
const DFR: usize = 0x0e;
const DFR_FLAT: u32 = 0xffff_ffff;
const DFR_CLUSTER: u32 = 0x0fff_ffff;

/// The 32-bit register at x2APIC number `n` (page offset `n << 4`).
pub(crate) fn dword(page: &kvm_bindings::kvm_lapic_state, n: usize) -> u32 {
    let at = n << 4;
    let b = |i: usize| page.regs[at + i] as u8;
    u32::from_le_bytes([b(0), b(1), b(2), b(3)])
}

/// What decides whether a destination reaches a VP's local APIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ApicIdentity {
    /// IA32_APIC_BASE.EN: the APIC is on.
    pub enabled: bool,
    /// IA32_APIC_BASE.EXTD: x2APIC mode.
    pub x2apic: bool,
    /// The xAPIC ID (ID register bits 31:24).
    pub xapic_id: u32,
    /// The x2APIC ID: KVM fixes it to the vCPU id, our VP index.
    pub x2apic_id: u32,
    /// The LDR as the register holds it.
    pub ldr: u32,
    /// The DFR (xAPIC mode only).
    pub dfr: u32,
}

impl ApicIdentity {
    /// The identity of VP `vp_index` from its APIC state. In x2APIC mode
    /// the ID and LDR are the VP's fixed ones (also while a switch to
    /// x2APIC mode the VMM made waits for the next run).
    pub(crate) fn of(snapshot: &LapicSnapshot, vp_index: u32) -> Self {
        let page = &snapshot.page;
        let x2apic = snapshot.x2apic();
        Self {
            enabled: snapshot.apic_base & APIC_BASE_ENABLE != 0,
            x2apic,
            xapic_id: dword(page, ID) >> 24,
            x2apic_id: vp_index,
            ldr: if x2apic {
                x2apic_ldr(vp_index)
            } else {
                dword(page, LDR)
            },
            dfr: dword(page, DFR),
        }
    }
}

/// The LDR of x2APIC ID `id` (SDM "Logical Destination Mode in x2APIC
/// Mode": cluster `id >> 4` in bits 31:16, bit `id & 0xf` set; KVM's
/// `kvm_apic_calc_x2apic_ldr`).
pub(crate) fn x2apic_ldr(id: u32) -> u32 {
    (id >> 4) << 16 | 1 << (id & 0xf)
}

/// `destination` as the partition's mode reads it: in an xApic partition
/// the x2APIC broadcast is the xAPIC one.
pub(crate) fn normalize(destination: u32, x2apic_partition: bool) -> u32 {
    if !x2apic_partition && destination == X2APIC_BROADCAST {
        XAPIC_BROADCAST
    } else {
        destination
    }
}

/// Whether `destination` (normalized) in the given mode reaches `apic`.
pub(crate) fn reaches(apic: &ApicIdentity, destination: u32, logical: bool) -> bool {
    if !apic.enabled {
        return false;
    }
    let broadcast = if apic.x2apic {
        X2APIC_BROADCAST
    } else {
        XAPIC_BROADCAST
    };
    if destination == broadcast || (!logical && destination == X2APIC_BROADCAST) {
        return true;
    }
    if !logical {
        return if apic.x2apic || destination > 0xff {
            destination == apic.x2apic_id
        } else {
            destination == apic.xapic_id
        };
    }
    if apic.x2apic {
        return apic.ldr >> 16 == destination >> 16 && apic.ldr & destination & 0xffff != 0;
    }
    let logical_id = apic.ldr >> 24;
    match apic.dfr {
        DFR_FLAT => logical_id & destination != 0,
        DFR_CLUSTER => logical_id >> 4 == destination >> 4 && logical_id & destination & 0xf != 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xapic(id: u32, ldr_id: u32, dfr: u32) -> ApicIdentity {
        ApicIdentity {
            enabled: true,
            x2apic: false,
            xapic_id: id,
            x2apic_id: id,
            ldr: ldr_id << 24,
            dfr,
        }
    }

    fn x2apic(id: u32) -> ApicIdentity {
        ApicIdentity {
            enabled: true,
            x2apic: true,
            xapic_id: 0,
            x2apic_id: id,
            ldr: x2apic_ldr(id),
            dfr: 0,
        }
    }

    #[test]
    fn physical_destinations() {
        let a = xapic(3, 0, DFR_FLAT);
        assert!(reaches(&a, 3, false));
        assert!(!reaches(&a, 4, false));
        assert!(reaches(&a, 0xff, false), "xAPIC broadcast");
        assert!(reaches(&a, X2APIC_BROADCAST, false), "our broadcast");
        // Above 0xFF an xAPIC-mode APIC is found by its x2APIC ID (KVM's
        // hot-plug rule).
        assert!(!reaches(&a, 0x103, false));
        let hot = ApicIdentity {
            x2apic_id: 0x103,
            ..a
        };
        assert!(reaches(&hot, 0x103, false));
        let b = x2apic(0x12);
        assert!(reaches(&b, 0x12, false));
        assert!(!reaches(&b, 0xff, false), "ID 255, not a broadcast");
        assert!(reaches(&b, X2APIC_BROADCAST, false));
        let off = ApicIdentity {
            enabled: false,
            ..a
        };
        assert!(!reaches(&off, 3, false));
        assert!(!reaches(&off, X2APIC_BROADCAST, false));
    }

    #[test]
    fn logical_xapic_flat_and_cluster() {
        let flat = xapic(1, 0b0000_0100, DFR_FLAT);
        assert!(reaches(&flat, 0b0000_0110, true));
        assert!(!reaches(&flat, 0b0000_1001, true));
        assert!(reaches(&flat, 0xff, true));
        let cluster = xapic(1, 0x32, DFR_CLUSTER);
        assert!(reaches(&cluster, 0x36, true), "cluster 3, bit 1");
        assert!(!reaches(&cluster, 0x26, true), "other cluster");
        assert!(!reaches(&cluster, 0x35, true), "no common bit");
        assert!(reaches(&cluster, 0xff, true));
        let odd = xapic(1, 0xff, 0x1234_5678);
        assert!(
            !reaches(&odd, 0x01, true),
            "an undefined model matches nothing"
        );
    }

    #[test]
    fn logical_x2apic_clusters() {
        let a = x2apic(0x13); // cluster 1, bit 3
        assert!(reaches(&a, 0x0001_0008, true));
        assert!(reaches(&a, 0x0001_ffff, true));
        assert!(!reaches(&a, 0x0000_0008, true), "cluster 0");
        assert!(!reaches(&a, 0x0001_0004, true));
        assert!(reaches(&a, X2APIC_BROADCAST, true));
        assert!(!reaches(&a, 0xff, true));
    }

    #[test]
    fn xapic_partitions_read_the_x2apic_broadcast_as_0xff() {
        assert_eq!(normalize(X2APIC_BROADCAST, false), 0xff);
        assert_eq!(normalize(X2APIC_BROADCAST, true), X2APIC_BROADCAST);
        assert_eq!(normalize(0x1_0000, false), 0x1_0000);
    }
}
