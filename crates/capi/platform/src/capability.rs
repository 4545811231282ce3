//! `WHvGetCapability`.

use core::ffi::c_void;

use winhv_defs::{HRESULT, WHV_CAPABILITY_CODE, WHV_E_INSUFFICIENT_BUFFER};

use crate::args;
use crate::boundary::{guard, hr};

/// Writes the answer to `CapabilityCode` into `CapabilityBuffer` and its
/// size into `WrittenSizeInBytes` (optional). A buffer too small answers
/// `WHV_E_INSUFFICIENT_BUFFER`, writes nothing into it, and still reports
/// the size needed in `WrittenSizeInBytes`.
///
/// # Safety
/// `CapabilityBuffer` must be NULL or point to `CapabilityBufferSizeInBytes`
/// writable bytes; `WrittenSizeInBytes` NULL or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetCapability(
    CapabilityCode: WHV_CAPABILITY_CODE,
    CapabilityBuffer: *mut c_void,
    CapabilityBufferSizeInBytes: u32,
    WrittenSizeInBytes: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes_mut(CapabilityBuffer, CapabilityBufferSizeInBytes)? };
        // SAFETY: the caller's contract above.
        let written = unsafe { args::optional_output(WrittenSizeInBytes)? };
        match winhv::get_capability(CapabilityCode, buffer) {
            Ok(n) => {
                if let Some(w) = written {
                    *w = n;
                }
                Ok(())
            }
            Err(e) => {
                if e.hresult == WHV_E_INSUFFICIENT_BUFFER
                    && let (Some(w), Ok(n)) = (written, winhv::capability_size(CapabilityCode))
                {
                    *w = n;
                }
                Err(hr(e))
            }
        }
    })
}
