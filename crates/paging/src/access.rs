//! The access-rights check of a completed walk (Intel SDM vol. 3, 4.6): the
//! rights combined over all levels against the access the flags validate,
//! the processor's mode (CPL, CR0.WP) and SMEP, SMAP and protection keys.

use crate::entry::PK_SHIFT;
use crate::fault::Violation;
use crate::regs::{CR0_WP, CR4_PKE, CR4_PKS, CR4_SMAP, CR4_SMEP, EFER_NXE, RFLAGS_AC};
use crate::{PagingState, TranslateFlags};

/// The rights a walk found, combined over every level.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Rights {
    /// R/W set at every level.
    pub writable: bool,
    /// U/S set at every level.
    pub user: bool,
    /// No execute-disable in effect at any level.
    pub executable: bool,
    /// The leaf entry, for its protection key.
    pub leaf: u64,
}

/// Checks the validated accesses of `flags` against `rights`.
pub(crate) fn check(
    state: &PagingState,
    flags: TranslateFlags,
    rights: &Rights,
) -> Result<(), Violation> {
    let read = flags.contains(TranslateFlags::VALIDATE_READ);
    let write = flags.contains(TranslateFlags::VALIDATE_WRITE);
    let execute = flags.contains(TranslateFlags::VALIDATE_EXECUTE);
    let data = read || write;
    let exempt = flags.contains(TranslateFlags::PRIVILEGE_EXEMPT);
    let user_mode = !exempt && state.user_mode();
    let supervisor_mode = !exempt && !state.user_mode();
    let wp = state.cr0 & CR0_WP != 0;

    if !(data || execute) {
        return Ok(());
    }
    if user_mode && !rights.user {
        return Err(Violation::UserAccessToSupervisor);
    }
    if write && !rights.writable && (user_mode || wp) {
        return Err(Violation::WriteToReadOnly);
    }
    if execute {
        if !rights.executable {
            return Err(Violation::ExecuteDisabled);
        }
        if supervisor_mode && rights.user && state.cr4 & CR4_SMEP != 0 {
            return Err(Violation::Smep);
        }
    }
    if data && supervisor_mode && rights.user && state.cr4 & CR4_SMAP != 0 {
        let override_smap = flags.contains(TranslateFlags::OVERRIDE_SMAP);
        let enforce = flags.contains(TranslateFlags::ENFORCE_SMAP);
        let ac = state.rflags & RFLAGS_AC != 0;
        if !override_smap && (enforce || !ac) {
            return Err(Violation::Smap);
        }
    }
    if data && !exempt && state.mode().is_long() {
        let key_register = if rights.user && state.cr4 & CR4_PKE != 0 {
            Some(state.pkru)
        } else if !rights.user && state.cr4 & CR4_PKS != 0 {
            Some(state.pkrs)
        } else {
            None
        };
        if let Some(reg) = key_register {
            let key = ((rights.leaf >> PK_SHIFT) & 0xf) as u32;
            let access_disabled = reg & (1 << (2 * key)) != 0;
            let write_disabled = reg & (1 << (2 * key + 1)) != 0;
            if access_disabled || (write && write_disabled && (user_mode || wp)) {
                return Err(Violation::ProtectionKey);
            }
        }
    }
    Ok(())
}

/// Whether EFER.NXE makes execute-disable bits count in this mode.
pub(crate) const fn nx_active(state: &PagingState) -> bool {
    state.efer & EFER_NXE != 0 && state.mode().wide_entries()
}
