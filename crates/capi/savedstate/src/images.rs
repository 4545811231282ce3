//! `ScanMemoryForDosImages`: the reader's image scan
//! (`winhv_savedstate::SavedState::scan_dos_images`) with the caller's C
//! callback. Each image is handed over as a `DOS_IMAGE_INFO` whose
//! `PdbName` (an empty string when the image has no CodeView record) lives
//! until the callback returns; a callback answering `TRUE` ends the scan,
//! as the header says of the standalone addresses. Arguments are checked
//! before the handle: a NULL callback is `E_INVALIDARG`, as is a start
//! below the end.

use core::ffi::c_void;
use std::ffi::CString;

use winhv_defs::*;

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::dump;

/// Scans VP `VpId`'s memory from `StartAddress` down to `EndAddress` for
/// PE images, after checking the `StandaloneAddressCount` addresses at
/// `StandaloneAddress`, calling `FoundImageCallback(CallbackContext, info)`
/// for each.
///
/// # Safety
/// `StandaloneAddress` must be NULL or `StandaloneAddressCount` readable
/// addresses; `FoundImageCallback` must be NULL or a function safe to call
/// with `CallbackContext` and a `DOS_IMAGE_INFO` pointer valid during the
/// call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ScanMemoryForDosImages(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    StartAddress: u64,
    EndAddress: u64,
    CallbackContext: *mut c_void,
    FoundImageCallback: FOUND_IMAGE_CALLBACK,
    StandaloneAddress: *const u64,
    StandaloneAddressCount: u32,
) -> HRESULT {
    guard(|| {
        let callback = FoundImageCallback.ok_or(E_INVALIDARG)?;
        // SAFETY: the caller's contract above.
        let standalone =
            unsafe { args::slice(StandaloneAddress, StandaloneAddressCount as usize)? };
        if StartAddress < EndAddress {
            return Err(E_INVALIDARG);
        }
        let state = dump(VmSavedStateDumpHandle)?;
        state
            .scan_dos_images(VpId, StartAddress, EndAddress, standalone, |image| {
                let name = CString::new(image.pdb_name.as_str()).unwrap_or_default();
                let info = DOS_IMAGE_INFO {
                    PdbName: name.as_ptr().cast(),
                    ImageBaseAddress: image.base,
                    ImageSize: image.size,
                    Timestamp: image.timestamp,
                };
                // SAFETY: the caller's contract above; `info` and the name
                // it points to live until the call returns.
                unsafe { callback(CallbackContext, &info) != FALSE }
            })
            .map_err(hr)
    })
}
