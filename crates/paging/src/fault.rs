//! Why a translation failed: [`Fault`] (with its WHV result code and what an
//! instruction emulator needs to raise the architectural exception),
//! [`PageFaultErrorCode`], and [`TranslateError`], the error of
//! [`translate`](crate::translate).

use core::fmt;

use crate::{MemError, TranslateResultCode};

/// A #PF error code (Intel SDM vol. 3, 4.7).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct PageFaultErrorCode(pub u32);

impl PageFaultErrorCode {
    /// P: 0 for a not-present page, 1 for a protection or reserved-bit fault.
    pub const PRESENT: u32 = 1 << 0;
    /// W/R: the access was a write.
    pub const WRITE: u32 = 1 << 1;
    /// U/S: the access was a user-mode access (CPL 3).
    pub const USER: u32 = 1 << 2;
    /// RSVD: a reserved bit was set in an entry.
    pub const RESERVED: u32 = 1 << 3;
    /// I/D: the access was an instruction fetch (reported only with EFER.NXE
    /// in PAE or long mode, or with CR4.SMEP).
    pub const FETCH: u32 = 1 << 4;
    /// PK: a protection key forbade the access.
    pub const PROTECTION_KEY: u32 = 1 << 5;

    /// Whether every bit of `bits` is set.
    pub const fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }
}

impl fmt::Debug for PageFaultErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PageFaultErrorCode({:#x}", self.0)?;
        for (bit, name) in [
            (Self::PRESENT, " P"),
            (Self::WRITE, " W"),
            (Self::USER, " U"),
            (Self::RESERVED, " RSVD"),
            (Self::FETCH, " I"),
            (Self::PROTECTION_KEY, " PK"),
        ] {
            if self.has(bit) {
                f.write_str(name)?;
            }
        }
        f.write_str(")")
    }
}

/// The access right a translation lacked.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Violation {
    /// A user-mode access to a supervisor page (U/S clear at some level).
    UserAccessToSupervisor,
    /// A write to a page read-only at some level (user mode, or CR0.WP=1).
    WriteToReadOnly,
    /// An instruction fetch from a page with execute-disable set at some level.
    ExecuteDisabled,
    /// SMEP: a supervisor-mode instruction fetch from a user page.
    Smep,
    /// SMAP: a supervisor-mode data access to a user page.
    Smap,
    /// A protection key (PKRU or IA32_PKRS) disables the data access.
    ProtectionKey,
}

/// What went wrong, and where.
///
/// `level` numbers the paging structures as the SDM does: 1 = page table
/// (PTE), 2 = page directory, 3 = PDPT, 4 = PML4, 5 = PML5. `entry_gpa` is
/// the guest-physical address of the entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The address is not canonical for the long-mode paging mode (the
    /// processor raises #GP, or #SS for a stack access, rather than #PF).
    NonCanonical,
    /// The entry at `level` is not present.
    NotPresent {
        /// The level of the entry.
        level: u8,
        /// The entry's guest-physical address.
        entry_gpa: u64,
    },
    /// The entry at `level` has a reserved bit set.
    ReservedBits {
        /// The level of the entry.
        level: u8,
        /// The entry's guest-physical address.
        entry_gpa: u64,
    },
    /// The translation exists but does not allow the access.
    Privilege(Violation),
    /// Reading (or updating the A/D bits of) the entry at `level` failed.
    GpaAccess {
        /// The level of the entry.
        level: u8,
        /// The guest-physical address that could not be accessed.
        gpa: u64,
        /// Why.
        error: MemError,
    },
}

/// The exception a processor would raise for a [`Fault`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exception {
    /// #GP(0) (or #SS(0) for a stack access: the caller knows which).
    GeneralProtection,
    /// #PF with this error code; CR2 gets the faulting linear address.
    PageFault {
        /// The error code pushed.
        error_code: PageFaultErrorCode,
        /// The value for CR2.
        cr2: u64,
    },
}

/// A failed translation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// The address translated (after truncation to 32 bits outside long mode).
    pub gva: u64,
    /// What went wrong.
    pub kind: FaultKind,
    /// The #PF error code the processor would push for this access. Its W, U
    /// and I bits describe the access requested (U: CPL 3 and not
    /// privilege-exempt; I: a validated execute with EFER.NXE in PAE/long
    /// mode or with CR4.SMEP).
    pub error_code: PageFaultErrorCode,
}

impl Fault {
    /// The `WHV_TRANSLATE_GVA_RESULT_CODE` WHvTranslateGva reports.
    pub const fn code(&self) -> TranslateResultCode {
        match self.kind {
            FaultKind::NonCanonical | FaultKind::NotPresent { .. } => {
                TranslateResultCode::PageNotPresent
            }
            FaultKind::ReservedBits { .. } => TranslateResultCode::InvalidPageTableFlags,
            FaultKind::Privilege(_) => TranslateResultCode::PrivilegeViolation,
            FaultKind::GpaAccess { error, .. } => error.result_code(),
        }
    }

    /// The guest-physical address of a GPA access failure (WHvTranslateGva
    /// has no use for it, the hypercall underneath returns it).
    pub const fn failed_gpa(&self) -> Option<u64> {
        match self.kind {
            FaultKind::GpaAccess { gpa, .. } => Some(gpa),
            _ => None,
        }
    }

    /// The exception a processor would raise for the same access; `None` for
    /// a GPA access failure, which is the hypervisor's business (an EPT
    /// violation), not the guest's.
    pub const fn exception(&self) -> Option<Exception> {
        match self.kind {
            FaultKind::NonCanonical => Some(Exception::GeneralProtection),
            FaultKind::NotPresent { .. }
            | FaultKind::ReservedBits { .. }
            | FaultKind::Privilege(_) => Some(Exception::PageFault {
                error_code: self.error_code,
                cr2: self.gva,
            }),
            FaultKind::GpaAccess { .. } => None,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "translating {:#x}: ", self.gva)?;
        match self.kind {
            FaultKind::NonCanonical => f.write_str("non-canonical address"),
            FaultKind::NotPresent { level, entry_gpa } => {
                write!(f, "level-{level} entry at {entry_gpa:#x} not present")
            }
            FaultKind::ReservedBits { level, entry_gpa } => {
                write!(
                    f,
                    "level-{level} entry at {entry_gpa:#x} has reserved bits set"
                )
            }
            FaultKind::Privilege(v) => write!(f, "privilege violation ({v:?})"),
            FaultKind::GpaAccess { level, gpa, error } => {
                write!(f, "level-{level} paging structure at {gpa:#x}: {error}")
            }
        }
    }
}

impl std::error::Error for Fault {}

/// The error of [`translate`](crate::translate).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TranslateError {
    /// The translation failed; WHvTranslateGva reports [`Fault::code`] in its
    /// result and returns S_OK.
    Fault(Fault),
    /// Accessed/Dirty bits were asked for but the guest kept changing the
    /// entries under the walker (every compare-exchange of
    /// [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) walks lost the race). No
    /// translation result code says this; the caller fails the call.
    Contended,
}

impl TranslateError {
    /// The `WHV_TRANSLATE_GVA_RESULT_CODE` for a fault, `None` for
    /// [`TranslateError::Contended`].
    pub const fn result_code(&self) -> Option<TranslateResultCode> {
        match self {
            TranslateError::Fault(f) => Some(f.code()),
            TranslateError::Contended => None,
        }
    }
}

impl From<Fault> for TranslateError {
    fn from(f: Fault) -> Self {
        TranslateError::Fault(f)
    }
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::Fault(fault) => fault.fmt(f),
            TranslateError::Contended => {
                f.write_str("page-table entries kept changing during the A/D update")
            }
        }
    }
}

impl std::error::Error for TranslateError {}
