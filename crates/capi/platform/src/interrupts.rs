//! The interrupt exports: `WHvRequestInterrupt`, `WHvGetInterruptTargetVpSet`
//! and `WHvGet/SetVirtualProcessorInterruptControllerState(2)`, over the
//! core's `winhv::Partition` methods (which decide every HRESULT but the
//! argument checks here).
//!
//! Argument rules, checked before the handle (`lib.rs`): a NULL
//! `Interrupt` or an `InterruptControlSize` below
//! `sizeof(WHV_INTERRUPT_CONTROL)` (16) answers `E_INVALIDARG` (a larger
//! size is accepted and the first 16 bytes read: callers pass `sizeof` of
//! their SDK's struct, which has kept that size), then the request itself
//! (`winhv::Partition::check_request_interrupt`); a NULL `TargetVpCount`
//! or a bad mode answers `E_INVALIDARG`; a state buffer too small answers
//! `WHV_E_INSUFFICIENT_BUFFER` for a Get, with the size needed in
//! `WrittenSize` as Microsoft documents, and `E_INVALIDARG` for a Set.

use core::ffi::c_void;

use winhv_defs::{
    E_INVALIDARG, HRESULT, WHV_E_INSUFFICIENT_BUFFER, WHV_INTERRUPT_CONTROL,
    WHV_INTERRUPT_DESTINATION_MODE, WHV_PARTITION_HANDLE,
};

use crate::args;
use crate::boundary::{Outcome, guard, hr};
use crate::handles::partition;

/// Requests the interrupt `Interrupt` describes.
///
/// # Safety
/// `Interrupt` must be NULL or point to `InterruptControlSize` readable
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvRequestInterrupt(
    Partition: WHV_PARTITION_HANDLE,
    Interrupt: *const WHV_INTERRUPT_CONTROL,
    InterruptControlSize: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above; at least one struct's bytes
        // when the size check below passes (NULL is refused by `slice`).
        let interrupt = unsafe { args::slice(Interrupt, 1)? };
        if (InterruptControlSize as usize) < size_of::<WHV_INTERRUPT_CONTROL>() {
            return Err(E_INVALIDARG);
        }
        let interrupt = &interrupt[0];
        winhv::Partition::check_request_interrupt(interrupt).map_err(hr)?;
        partition(Partition)?
            .request_interrupt(interrupt)
            .map_err(hr)
    })
}

/// Writes the indexes of the VPs `Destination` reaches to `TargetVps` and
/// their number to `TargetVpCount`.
///
/// # Safety
/// `TargetVps` must be NULL or point to `VpCount` writable `UINT32`s, and
/// `TargetVpCount` to a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetInterruptTargetVpSet(
    Partition: WHV_PARTITION_HANDLE,
    Destination: u64,
    DestinationMode: WHV_INTERRUPT_DESTINATION_MODE,
    TargetVps: *mut u32,
    VpCount: u32,
    TargetVpCount: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let vps = unsafe { args::slice_mut(TargetVps, VpCount as usize)? };
        // SAFETY: the caller's contract above.
        let count = unsafe { args::output(TargetVpCount)? };
        winhv::Partition::check_interrupt_target_vp_set(Destination, DestinationMode)
            .map_err(hr)?;
        let p = partition(Partition)?;
        *count = p
            .get_interrupt_target_vp_set(Destination, DestinationMode, vps)
            .map_err(hr)?;
        Ok(())
    })
}

/// The body of both Get functions (the same buffer here).
///
/// # Safety
/// As [`WHvGetVirtualProcessorInterruptControllerState2`].
unsafe fn get_state(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    State: *mut c_void,
    StateSize: u32,
    WrittenSize: *mut u32,
) -> Outcome {
    // SAFETY: the caller's contract.
    let buffer = unsafe { args::bytes_mut(State, StateSize)? };
    // SAFETY: the caller's contract.
    let written = unsafe { args::optional_output(WrittenSize)? };
    // The size first (an argument), then the handle, then the partition.
    let result = match winhv::Partition::check_interrupt_controller_state(buffer.len(), true) {
        Ok(()) => partition(Partition)?.get_interrupt_controller_state2(VpIndex, buffer),
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => {
            if let Some(w) = written {
                *w = n;
            }
            Ok(())
        }
        Err(e) => {
            if e.hresult == WHV_E_INSUFFICIENT_BUFFER
                && let Some(w) = written
            {
                *w = winhv::INTERRUPT_CONTROLLER_STATE_SIZE;
            }
            Err(hr(e))
        }
    }
}

/// The body of both Set functions.
///
/// # Safety
/// As [`WHvSetVirtualProcessorInterruptControllerState2`].
unsafe fn set_state(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    State: *const c_void,
    StateSize: u32,
) -> Outcome {
    // SAFETY: the caller's contract.
    let buffer = unsafe { args::bytes(State, StateSize)? };
    winhv::Partition::check_interrupt_controller_state(buffer.len(), false).map_err(hr)?;
    partition(Partition)?
        .set_interrupt_controller_state2(VpIndex, buffer)
        .map_err(hr)
}

/// Writes VP `VpIndex`'s local APIC state (the 4 KiB xAPIC register page)
/// to `State`.
///
/// # Safety
/// `State` must be NULL or point to `StateSize` writable bytes;
/// `WrittenSize` NULL or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorInterruptControllerState2(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    State: *mut c_void,
    StateSize: u32,
    WrittenSize: *mut u32,
) -> HRESULT {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { get_state(Partition, VpIndex, State, StateSize, WrittenSize) })
}

/// Sets VP `VpIndex`'s local APIC state from `State` (a buffer the Get
/// function wrote).
///
/// # Safety
/// `State` must be NULL or point to `StateSize` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSetVirtualProcessorInterruptControllerState2(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    State: *const c_void,
    StateSize: u32,
) -> HRESULT {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { set_state(Partition, VpIndex, State, StateSize) })
}

/// Deprecated on Windows; the same buffer as the "2" function here.
///
/// # Safety
/// As [`WHvGetVirtualProcessorInterruptControllerState2`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorInterruptControllerState(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    State: *mut c_void,
    StateSize: u32,
    WrittenSize: *mut u32,
) -> HRESULT {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { get_state(Partition, VpIndex, State, StateSize, WrittenSize) })
}

/// Deprecated on Windows; the same buffer as the "2" function here.
///
/// # Safety
/// As [`WHvSetVirtualProcessorInterruptControllerState2`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSetVirtualProcessorInterruptControllerState(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    State: *const c_void,
    StateSize: u32,
) -> HRESULT {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { set_state(Partition, VpIndex, State, StateSize) })
}
