//! The dump handle table: `VM_SAVED_STATE_DUMP_HANDLE` values are 64-bit
//! numbers from `winhv_capi_support`, never pointers and never reissued,
//! so a handle used after `ReleaseSavedStateFiles` is refused with
//! `E_HANDLE` — it can never name a saved state loaded later.

use std::sync::Arc;

use winhv_capi_support::handles::Table;
use winhv_defs::{HRESULT, VM_SAVED_STATE_DUMP_HANDLE};
use winhv_savedstate::SavedState;

/// The process's loaded saved states (tag "VS").
pub(crate) static DUMPS: Table<SavedState, 0x5653> = Table::new();

/// Stores a loaded saved state and returns its handle.
pub(crate) fn insert(state: SavedState) -> Result<VM_SAVED_STATE_DUMP_HANDLE, HRESULT> {
    DUMPS
        .insert(state)
        .map(|h| h as usize as VM_SAVED_STATE_DUMP_HANDLE)
}

/// The saved state `handle` names, or `E_HANDLE`.
pub(crate) fn dump(handle: VM_SAVED_STATE_DUMP_HANDLE) -> Result<Arc<SavedState>, HRESULT> {
    DUMPS.get(handle as usize as u64)
}

/// Removes the saved state `handle` names (its file is unmapped and
/// unlocked when the last call using it returns), or `E_HANDLE`.
pub(crate) fn remove(handle: VM_SAVED_STATE_DUMP_HANDLE) -> Result<Arc<SavedState>, HRESULT> {
    DUMPS.remove(handle as usize as u64)
}
