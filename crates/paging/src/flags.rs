//! [`TranslateFlags`]: what a translation validates and changes, with the
//! values and meanings of `WHV_TRANSLATE_GVA_FLAGS`.

use core::fmt;
use core::ops::{BitOr, BitOrAssign};

/// The flags of a translation, bit for bit `WHV_TRANSLATE_GVA_FLAGS`.
///
/// Meanings (from the Hyper-V hypercall interface `HvCallTranslateVirtualAddress`,
/// whose flags WHvTranslateGva passes through):
/// * [`VALIDATE_READ`](Self::VALIDATE_READ), [`VALIDATE_WRITE`](Self::VALIDATE_WRITE),
///   [`VALIDATE_EXECUTE`](Self::VALIDATE_EXECUTE): check that the VP, in its
///   current mode, may read, write or fetch at the address. With none of
///   them, the walk only checks presence and reserved bits.
/// * [`PRIVILEGE_EXEMPT`](Self::PRIVILEGE_EXEMPT): enforce no check tied to the
///   access mode: no user/supervisor check, SMEP and SMAP (and protection
///   keys) treated as disabled. A write is then checked as a supervisor write
///   (CR0.WP decides whether read-only pages stop it).
/// * [`SET_PAGE_TABLE_BITS`](Self::SET_PAGE_TABLE_BITS): set Accessed in every
///   entry walked and Dirty in the leaf for a validated write, as the
///   processor does — only when the translation succeeds.
/// * [`ENFORCE_SMAP`](Self::ENFORCE_SMAP): apply SMAP to supervisor data
///   accesses whatever RFLAGS.AC says (an implicit supervisor access).
/// * [`OVERRIDE_SMAP`](Self::OVERRIDE_SMAP): do not apply SMAP whatever
///   RFLAGS.AC says. It wins over `ENFORCE_SMAP` when both are given.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct TranslateFlags(u32);

impl TranslateFlags {
    /// `WHvTranslateGvaFlagNone`.
    pub const NONE: Self = Self(0);
    /// `WHvTranslateGvaFlagValidateRead`.
    pub const VALIDATE_READ: Self = Self(0x1);
    /// `WHvTranslateGvaFlagValidateWrite`.
    pub const VALIDATE_WRITE: Self = Self(0x2);
    /// `WHvTranslateGvaFlagValidateExecute`.
    pub const VALIDATE_EXECUTE: Self = Self(0x4);
    /// `WHvTranslateGvaFlagPrivilegeExempt`.
    pub const PRIVILEGE_EXEMPT: Self = Self(0x8);
    /// `WHvTranslateGvaFlagSetPageTableBits`.
    pub const SET_PAGE_TABLE_BITS: Self = Self(0x10);
    /// `WHvTranslateGvaFlagEnforceSmap`.
    pub const ENFORCE_SMAP: Self = Self(0x100);
    /// `WHvTranslateGvaFlagOverrideSmap`.
    pub const OVERRIDE_SMAP: Self = Self(0x200);
    /// Every bit Windows defines.
    pub const ALL: Self = Self(0x31f);

    /// The flags from the raw `WHV_TRANSLATE_GVA_FLAGS` value, or `None` when
    /// it has a bit Windows does not define (the caller decides which error
    /// that is).
    pub const fn from_bits(bits: u32) -> Option<Self> {
        if bits & !Self::ALL.0 != 0 {
            None
        } else {
            Some(Self(bits))
        }
    }

    /// The flags from a raw value, with undefined bits dropped.
    pub const fn from_bits_truncate(bits: u32) -> Self {
        Self(bits & Self::ALL.0)
    }

    /// The raw `WHV_TRANSLATE_GVA_FLAGS` value.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the flags of `other` added.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether any of read, write or execute is validated.
    pub const fn validates_any(self) -> bool {
        self.0 & 0x7 != 0
    }
}

impl BitOr for TranslateFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl BitOrAssign for TranslateFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        *self = self.union(rhs);
    }
}

impl fmt::Debug for TranslateFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(TranslateFlags, &str); 7] = [
            (TranslateFlags::VALIDATE_READ, "VALIDATE_READ"),
            (TranslateFlags::VALIDATE_WRITE, "VALIDATE_WRITE"),
            (TranslateFlags::VALIDATE_EXECUTE, "VALIDATE_EXECUTE"),
            (TranslateFlags::PRIVILEGE_EXEMPT, "PRIVILEGE_EXEMPT"),
            (TranslateFlags::SET_PAGE_TABLE_BITS, "SET_PAGE_TABLE_BITS"),
            (TranslateFlags::ENFORCE_SMAP, "ENFORCE_SMAP"),
            (TranslateFlags::OVERRIDE_SMAP, "OVERRIDE_SMAP"),
        ];
        f.write_str("TranslateFlags(")?;
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("NONE")?;
        }
        f.write_str(")")
    }
}
