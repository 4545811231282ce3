//! Segment registers and descriptor-table registers as plain values, in the
//! layout both WHP (`WHV_X64_SEGMENT_REGISTER`, `WHV_X64_TABLE_REGISTER`)
//! and KVM (`kvm_segment`, `kvm_dtable`) convert from without loss, and the
//! 8-byte GDT descriptor encoding of a segment.

/// Segment attributes, in the VMX "access rights" layout that
/// `WHV_X64_SEGMENT_REGISTER.Attributes` uses:
///
/// | bits | field | constant |
/// | --- | --- | --- |
/// | 0–3 | type (code/data or system type) | [`attr::TYPE_MASK`] |
/// | 4 | S: 1 = code/data, 0 = system | [`attr::S`] |
/// | 5–6 | DPL | [`attr::DPL_SHIFT`] |
/// | 7 | P: present | [`attr::P`] |
/// | 8–11 | reserved, always 0 | |
/// | 12 | AVL | [`attr::AVL`] |
/// | 13 | L: 64-bit code segment | [`attr::L`] |
/// | 14 | D/B: 32-bit default operand size / big | [`attr::DB`] |
/// | 15 | G: limit counted in 4 KiB units | [`attr::G`] |
///
/// A KVM user converts with `type = a & 0xf`, `s = a >> 4 & 1`,
/// `dpl = a >> 5 & 3`, `present = a >> 7 & 1`, `avl = a >> 12 & 1`,
/// `l = a >> 13 & 1`, `db = a >> 14 & 1`, `g = a >> 15 & 1`, and
/// `unusable = !present` (WHP has no unusable bit; a not-present segment is
/// the unusable one).
pub mod attr {
    /// Mask of the 4-bit type field.
    pub const TYPE_MASK: u16 = 0x000f;
    /// S: code or data segment (clear for system segments: TSS, LDT, gates).
    pub const S: u16 = 1 << 4;
    /// Shift of the 2-bit DPL field.
    pub const DPL_SHIFT: u16 = 5;
    /// P: present.
    pub const P: u16 = 1 << 7;
    /// AVL: available to software.
    pub const AVL: u16 = 1 << 12;
    /// L: 64-bit code segment.
    pub const L: u16 = 1 << 13;
    /// D/B: 32-bit default size.
    pub const DB: u16 = 1 << 14;
    /// G: 4 KiB granularity of the limit.
    pub const G: u16 = 1 << 15;

    /// Type: read/write data, accessed.
    pub const TYPE_DATA_RW_ACCESSED: u16 = 0x3;
    /// Type: execute/read code, accessed.
    pub const TYPE_CODE_RX_ACCESSED: u16 = 0xb;
    /// System type: LDT.
    pub const TYPE_LDT: u16 = 0x2;
    /// System type: busy 32-bit TSS, or busy 64-bit TSS in long mode.
    pub const TYPE_TSS_BUSY: u16 = 0xb;
    /// System type: available 32-bit or 64-bit TSS.
    pub const TYPE_TSS_AVAILABLE: u16 = 0x9;

    /// The DPL field for privilege level `dpl` (0–3; higher bits ignored).
    pub const fn dpl(dpl: u8) -> u16 {
        ((dpl & 3) as u16) << DPL_SHIFT
    }
}

/// A segment register: the selector and its hidden (cached) part.
///
/// `limit` is the byte limit as the CPU applies it (0xffff_ffff for a flat
/// 4 GiB segment with G=1), as WHP and KVM both hold it; `attributes` is in
/// the layout described in [`attr`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Base address.
    pub base: u64,
    /// Byte-granular limit.
    pub limit: u32,
    /// Selector.
    pub selector: u16,
    /// Attributes, see [`attr`].
    pub attributes: u16,
}

impl Segment {
    /// A real-mode segment for `selector`: base `selector << 4`, limit 0xffff,
    /// present, accessed, execute/read for code or read/write for data — the
    /// values the CPU holds after reset.
    pub const fn real_mode(selector: u16, code: bool) -> Self {
        let ty = if code {
            attr::TYPE_CODE_RX_ACCESSED
        } else {
            attr::TYPE_DATA_RW_ACCESSED
        };
        Self {
            base: (selector as u64) << 4,
            limit: 0xffff,
            selector,
            attributes: ty | attr::S | attr::P,
        }
    }

    /// A flat (base 0, 4 GiB, G=1) 32-bit code segment at privilege `dpl`.
    pub const fn flat_code32(selector: u16, dpl: u8) -> Self {
        Self::flat(
            selector,
            attr::TYPE_CODE_RX_ACCESSED | attr::DB | attr::dpl(dpl),
        )
    }

    /// A 64-bit code segment (L=1, D=0) at privilege `dpl`.
    pub const fn code64(selector: u16, dpl: u8) -> Self {
        Self::flat(
            selector,
            attr::TYPE_CODE_RX_ACCESSED | attr::L | attr::dpl(dpl),
        )
    }

    /// A flat read/write data segment (D/B=1, G=1) at privilege `dpl`.
    pub const fn flat_data(selector: u16, dpl: u8) -> Self {
        Self::flat(
            selector,
            attr::TYPE_DATA_RW_ACCESSED | attr::DB | attr::dpl(dpl),
        )
    }

    /// A busy TSS of `limit + 1` bytes at `base` (TR after `ltr`).
    pub const fn tss_busy(selector: u16, base: u64, limit: u32) -> Self {
        Self {
            base,
            limit,
            selector,
            attributes: attr::TYPE_TSS_BUSY | attr::P,
        }
    }

    /// A null data segment (selector 0, not present; KVM: unusable), as a
    /// 64-bit CPL3 DS/ES/FS/GS usually holds.
    pub const fn null() -> Self {
        Self {
            base: 0,
            limit: 0,
            selector: 0,
            attributes: 0,
        }
    }

    /// The null LDT: selector 0, not present (KVM: unusable).
    pub const fn null_ldt() -> Self {
        Self {
            base: 0,
            limit: 0,
            selector: 0,
            attributes: attr::TYPE_LDT,
        }
    }

    const fn flat(selector: u16, attributes: u16) -> Self {
        Self {
            base: 0,
            limit: 0xffff_ffff,
            selector,
            attributes: attributes | attr::S | attr::P | attr::G,
        }
    }

    /// The type field (bits 0–3).
    pub const fn segment_type(&self) -> u8 {
        (self.attributes & attr::TYPE_MASK) as u8
    }

    /// S: a code or data segment (as opposed to a system segment).
    pub const fn is_code_or_data(&self) -> bool {
        self.attributes & attr::S != 0
    }

    /// The descriptor privilege level.
    pub const fn dpl(&self) -> u8 {
        ((self.attributes >> attr::DPL_SHIFT) & 3) as u8
    }

    /// P: present.
    pub const fn present(&self) -> bool {
        self.attributes & attr::P != 0
    }

    /// AVL.
    pub const fn avl(&self) -> bool {
        self.attributes & attr::AVL != 0
    }

    /// L: 64-bit code.
    pub const fn long(&self) -> bool {
        self.attributes & attr::L != 0
    }

    /// D/B: 32-bit default size.
    pub const fn default_big(&self) -> bool {
        self.attributes & attr::DB != 0
    }

    /// G: limit in 4 KiB units in the descriptor.
    pub const fn granularity(&self) -> bool {
        self.attributes & attr::G != 0
    }

    /// The legacy 8-byte GDT/LDT descriptor for this segment (base bits
    /// 0–31 only; a 64-bit system descriptor's upper half is
    /// `base >> 32`). With G set, the descriptor holds `limit >> 12`.
    pub const fn descriptor(&self) -> u64 {
        let raw_limit = if self.granularity() {
            self.limit >> 12
        } else {
            self.limit
        } as u64;
        let base = self.base & 0xffff_ffff;
        let access = (self.attributes & 0xff) as u64;
        let flags = ((self.attributes >> 12) & 0xf) as u64;
        (raw_limit & 0xffff)
            | (base & 0xff_ffff) << 16
            | access << 40
            | ((raw_limit >> 16) & 0xf) << 48
            | flags << 52
            | (base >> 24) << 56
    }
}

/// A descriptor-table register (GDTR or IDTR): linear base and byte limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableRegister {
    /// Linear base address.
    pub base: u64,
    /// Limit: size in bytes minus one.
    pub limit: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_descriptors_match_the_textbook_encodings() {
        assert_eq!(Segment::code64(0x08, 0).descriptor(), 0x00af_9b00_0000_ffff);
        assert_eq!(
            Segment::flat_data(0x10, 0).descriptor(),
            0x00cf_9300_0000_ffff
        );
        assert_eq!(
            Segment::flat_code32(0x18, 0).descriptor(),
            0x00cf_9b00_0000_ffff
        );
        assert_eq!(Segment::code64(0x23, 3).descriptor(), 0x00af_fb00_0000_ffff);
        assert_eq!(
            Segment::flat_data(0x2b, 3).descriptor(),
            0x00cf_f300_0000_ffff
        );
    }

    #[test]
    fn tss_descriptor_splits_base_and_keeps_byte_limit() {
        let tss = Segment::tss_busy(0x30, 0x1234_5678, 0x67);
        assert_eq!(tss.descriptor(), 0x1200_8b34_5678_0067);
    }

    #[test]
    fn accessors_read_the_attribute_fields() {
        let cs = Segment::code64(0x23, 3);
        assert_eq!(cs.attributes, 0xa0fb);
        assert_eq!(cs.segment_type(), 0xb);
        assert_eq!(cs.dpl(), 3);
        assert!(cs.present() && cs.long() && cs.granularity() && cs.is_code_or_data());
        assert!(!cs.default_big() && !cs.avl());
        let rm = Segment::real_mode(0xf000, true);
        assert_eq!((rm.base, rm.limit, rm.attributes), (0xf0000, 0xffff, 0x9b));
        assert!(!Segment::null_ldt().present());
    }
}
