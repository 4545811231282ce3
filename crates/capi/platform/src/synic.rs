//! The SynIC exports: `WHvPostVirtualProcessorSynicMessage` and
//! `WHvSignalVirtualProcessorSynicEvent`, over `winhv::Partition`'s
//! `post_synic_message` and `signal_synic_event`.
//!
//! Argument rules, checked before the handle (`lib.rs`): a
//! `MessageSizeInBytes` of 0 or above 256, a SINT of 16 or more, or a NULL
//! `Message` answers `E_INVALIDARG`; for an event, TargetVtl (the
//! `Reserved` byte) not 0, a TargetSint of 16 or more or a FlagNumber of
//! 2048 or more answers `E_INVALIDARG`; `NewlySignaled` may be NULL
//! (`_Out_opt_`), a misaligned one answers `E_INVALIDARG`.

use core::ffi::c_void;

use winhv_defs::{BOOL, HRESULT, WHV_PARTITION_HANDLE, WHV_SYNIC_EVENT_PARAMETERS};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::partition;

/// Posts a SynIC message to SINT `SintIndex` of VP `VpIndex`.
///
/// # Safety
/// `Message` must be NULL or point to `MessageSizeInBytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvPostVirtualProcessorSynicMessage(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    SintIndex: u32,
    Message: *const c_void,
    MessageSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        let size = MessageSizeInBytes as usize;
        winhv::Partition::check_post_synic_message(SintIndex, size).map_err(hr)?;
        // SAFETY: the caller's contract above; NULL is refused by `bytes`
        // (the size is not 0, checked just above).
        let message = unsafe { args::bytes(Message, MessageSizeInBytes)? };
        partition(Partition)?
            .post_synic_message(VpIndex, SintIndex, message)
            .map_err(hr)
    })
}

/// Sets a SynIC event flag of a VP and tells whether it was clear.
///
/// # Safety
/// `NewlySignaled` must be NULL or point to a writable `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSignalVirtualProcessorSynicEvent(
    Partition: WHV_PARTITION_HANDLE,
    SynicEvent: WHV_SYNIC_EVENT_PARAMETERS,
    NewlySignaled: *mut BOOL,
) -> HRESULT {
    guard(|| {
        winhv::Partition::check_signal_synic_event(&SynicEvent).map_err(hr)?;
        // SAFETY: the caller's contract above.
        let out = unsafe { args::optional_output(NewlySignaled)? };
        let newly = partition(Partition)?
            .signal_synic_event(&SynicEvent)
            .map_err(hr)?;
        if let Some(out) = out {
            *out = BOOL::from(newly);
        }
        Ok(())
    })
}
