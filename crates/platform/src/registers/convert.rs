//! Conversions between KVM's segment and descriptor-table registers
//! (`kvm_segment`, `kvm_dtable`) and WHP's (`WHV_X64_SEGMENT_REGISTER`,
//! `WHV_X64_TABLE_REGISTER`).
//!
//! WHP packs a segment's access rights into the 16-bit `Attributes` word in
//! the layout of the descriptor's bytes 5–6 (and of VMX's access-rights
//! field): bits 0–3 `SegmentType`, 4 `NonSystemSegment` (S), 5–6
//! `DescriptorPrivilegeLevel`, 7 `Present`, 8–11 reserved, 12 `Available`,
//! 13 `Long`, 14 `Default` (D/B), 15 `Granularity`. KVM spreads the same
//! bits over one byte each and adds `unusable`, which WHP does not have: a
//! segment is unusable to KVM exactly when it is not present (KVM itself
//! treats the two as one on VMX), so `unusable` is derived from `Present`.

use kvm_bindings::{kvm_dtable, kvm_segment};
use winhv_defs::{WHV_X64_SEGMENT_REGISTER, WHV_X64_TABLE_REGISTER};

const TYPE_SHIFT: u16 = 0;
const S_SHIFT: u16 = 4;
const DPL_SHIFT: u16 = 5;
const PRESENT_SHIFT: u16 = 7;
const AVL_SHIFT: u16 = 12;
const LONG_SHIFT: u16 = 13;
const DEFAULT_SHIFT: u16 = 14;
const GRANULARITY_SHIFT: u16 = 15;

/// Packs KVM's per-bit segment fields into WHP's `Attributes` word.
pub(crate) fn attributes_from_kvm(s: &kvm_segment) -> u16 {
    let bit = |v: u8| u16::from(v != 0);
    let present = s.present != 0 && s.unusable == 0;
    (u16::from(s.type_ & 0xf) << TYPE_SHIFT)
        | (bit(s.s) << S_SHIFT)
        | (u16::from(s.dpl & 3) << DPL_SHIFT)
        | (u16::from(present) << PRESENT_SHIFT)
        | (bit(s.avl) << AVL_SHIFT)
        | (bit(s.l) << LONG_SHIFT)
        | (bit(s.db) << DEFAULT_SHIFT)
        | (bit(s.g) << GRANULARITY_SHIFT)
}

/// A KVM segment register as WHP shows it.
pub(crate) fn segment_from_kvm(s: &kvm_segment) -> WHV_X64_SEGMENT_REGISTER {
    WHV_X64_SEGMENT_REGISTER {
        Base: s.base,
        Limit: s.limit,
        Selector: s.selector,
        Attributes: attributes_from_kvm(s),
    }
}

/// A WHP segment register as KVM takes it. The reserved attribute bits
/// (8–11) have no place in KVM and are dropped, as the processor drops them.
pub(crate) fn segment_to_kvm(s: &WHV_X64_SEGMENT_REGISTER) -> kvm_segment {
    let a = s.Attributes;
    let bit = |shift: u16| ((a >> shift) & 1) as u8;
    let present = bit(PRESENT_SHIFT);
    kvm_segment {
        base: s.Base,
        limit: s.Limit,
        selector: s.Selector,
        type_: ((a >> TYPE_SHIFT) & 0xf) as u8,
        present,
        dpl: ((a >> DPL_SHIFT) & 3) as u8,
        db: bit(DEFAULT_SHIFT),
        s: bit(S_SHIFT),
        l: bit(LONG_SHIFT),
        g: bit(GRANULARITY_SHIFT),
        avl: bit(AVL_SHIFT),
        unusable: u8::from(present == 0),
        padding: 0,
    }
}

/// A KVM descriptor-table register (GDTR, IDTR) as WHP shows it.
pub(crate) fn table_from_kvm(t: &kvm_dtable) -> WHV_X64_TABLE_REGISTER {
    WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: t.limit,
        Base: t.base,
    }
}

/// A WHP descriptor-table register as KVM takes it (`Pad` is ignored).
pub(crate) fn table_to_kvm(t: &WHV_X64_TABLE_REGISTER) -> kvm_dtable {
    kvm_dtable {
        base: t.Base,
        limit: t.Limit,
        padding: [0; 3],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whv(base: u64, limit: u32, selector: u16, attributes: u16) -> WHV_X64_SEGMENT_REGISTER {
        WHV_X64_SEGMENT_REGISTER {
            Base: base,
            Limit: limit,
            Selector: selector,
            Attributes: attributes,
        }
    }

    #[test]
    fn long_mode_code_segment_bits() {
        // 64-bit ring-0 code: type 0xb (execute/read, accessed), S, P, L, G.
        let k = segment_to_kvm(&whv(0, 0xffff_ffff, 0x8, 0xa09b));
        assert_eq!(
            (k.type_, k.s, k.dpl, k.present, k.avl, k.l, k.db, k.g),
            (0xb, 1, 0, 1, 0, 1, 0, 1)
        );
        assert_eq!(k.unusable, 0);
        assert_eq!((k.base, k.limit, k.selector), (0, 0xffff_ffff, 0x8));
        let back = segment_from_kvm(&k);
        assert_eq!(back.Attributes, 0xa09b);
    }

    #[test]
    fn every_defined_attribute_bit_round_trips() {
        for bit in [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15] {
            // Keep Present set so that the bit under test is the only change.
            let a = (1u16 << bit) | 0x80;
            let k = segment_to_kvm(&whv(0x1234, 0x5678, 0x10, a));
            assert_eq!(segment_from_kvm(&k).Attributes, a, "bit {bit}");
        }
    }

    #[test]
    fn reserved_bits_are_dropped_and_not_present_is_unusable() {
        let k = segment_to_kvm(&whv(0, 0, 0, 0x0f00 | 0x3));
        assert_eq!(k.present, 0);
        assert_eq!(k.unusable, 1);
        assert_eq!(segment_from_kvm(&k).Attributes, 0x3);
    }

    #[test]
    fn kvm_unusable_reads_as_not_present() {
        let k = kvm_segment {
            present: 1,
            unusable: 1,
            type_: 3,
            s: 1,
            ..Default::default()
        };
        assert_eq!(segment_from_kvm(&k).Attributes, 0x13);
    }

    #[test]
    fn table_round_trip() {
        let t = WHV_X64_TABLE_REGISTER {
            Pad: [1, 2, 3],
            Limit: 0x27,
            Base: 0xffff_8000_1234_5000,
        };
        let k = table_to_kvm(&t);
        assert_eq!((k.base, k.limit), (0xffff_8000_1234_5000, 0x27));
        let back = table_from_kvm(&k);
        assert_eq!((back.Base, back.Limit, back.Pad), (t.Base, t.Limit, [0; 3]));
    }
}
