//! The exports that open and close saved states: `LoadSavedStateFile`,
//! `ReleaseSavedStateFiles`, `ApplyPendingSavedStateFileReplayLog`.
//! Arguments are checked before handles (see `lib.rs`).
//!
//! `LoadSavedStateFile` takes a Hyper-V `.vmrs` file, as on Windows, and
//! also a QEMU `dump-guest-memory` ELF core (told apart by their first
//! bytes); anything else is `HRESULT_FROM_WIN32(ERROR_BAD_FORMAT)`.

use winhv_defs::{HRESULT, PCWSTR, VM_SAVED_STATE_DUMP_HANDLE};
use winhv_savedstate::SavedState;

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles;

/// Loads the saved state at `VmrsFile` (a UTF-16 path) and writes its
/// handle. The file is mapped, not read, and held with a shared lock until
/// [`ReleaseSavedStateFiles`].
///
/// # Safety
/// `VmrsFile` must be NULL or a NUL-terminated UTF-16 string;
/// `VmSavedStateDumpHandle` NULL or a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LoadSavedStateFile(
    VmrsFile: PCWSTR,
    VmSavedStateDumpHandle: *mut VM_SAVED_STATE_DUMP_HANDLE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(VmSavedStateDumpHandle)? };
        // SAFETY: the caller's contract above.
        let path = unsafe { args::wide_path(VmrsFile)? };
        let state = SavedState::open(&path).map_err(hr)?;
        *out = handles::insert(state)?;
        Ok(())
    })
}

/// Releases a loaded saved state: the handle is dead at once; the file is
/// unmapped and unlocked when the last call using it returns.
#[unsafe(no_mangle)]
pub extern "C" fn ReleaseSavedStateFiles(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
) -> HRESULT {
    guard(|| handles::remove(VmSavedStateDumpHandle).map(drop))
}

/// Opens the `.vmrs` at `VmrsFile` read-write and exclusively (a file some
/// handle has loaded answers `HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION)`)
/// and applies its pending replay log: `S_OK` for a clean log; a log with
/// pending entries answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` and
/// leaves the file unchanged, until replaying is implemented.
///
/// # Safety
/// `VmrsFile` must be NULL or a NUL-terminated UTF-16 string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ApplyPendingSavedStateFileReplayLog(VmrsFile: PCWSTR) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let path = unsafe { args::wide_path(VmrsFile)? };
        winhv_savedstate::vmrs::apply_pending_replay_log(&path).map_err(hr)
    })
}
