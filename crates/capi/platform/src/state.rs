//! The exports of issue #13's state and time: partition time
//! (`WHvSuspendPartitionTime`, `WHvResumePartitionTime`), the counters
//! (`WHvGetPartitionCounters`, `WHvGetVirtualProcessorCounters`) and
//! `WHvGetVirtualProcessorCpuidOutput` (a NULL `CpuidOutput` answers
//! `E_POINTER`, as Microsoft documents), `WHvAdviseGpaRange` and
//! `WHvGet/SetVirtualProcessorState`.
//!
//! Arguments are checked before the handle (see `lib.rs`): a NULL buffer
//! with a non-zero size answers `E_INVALIDARG`; `BytesWritten` is optional
//! (`_Out_opt_`). The counter set and the buffer's size are the core's to
//! judge (`winhv::Partition::get_vp_counters`): a buffer too small answers
//! `WHV_E_INSUFFICIENT_BUFFER` and reports the size needed in
//! `BytesWritten`, as `WHvGetCapability` does.

use core::ffi::c_void;

use winhv_defs::{
    E_POINTER, HRESULT, WHV_ADVISE_GPA_RANGE_CODE, WHV_CPUID_OUTPUT, WHV_E_INSUFFICIENT_BUFFER,
    WHV_MEMORY_RANGE_ENTRY, WHV_PARTITION_COUNTER_SET, WHV_PARTITION_HANDLE,
    WHV_PROCESSOR_COUNTER_SET, WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::partition;
use winhv::Partition;

/// Stops the partition's time (the guests' TSC) until
/// `WHvResumePartitionTime` or the next run; `ERROR_NOT_SUPPORTED` where
/// KVM cannot offset the TSC.
#[unsafe(no_mangle)]
pub extern "C" fn WHvSuspendPartitionTime(Partition: WHV_PARTITION_HANDLE) -> HRESULT {
    guard(|| partition(Partition)?.suspend_time().map_err(hr))
}

/// Lets the partition's time continue from where it was suspended.
#[unsafe(no_mangle)]
pub extern "C" fn WHvResumePartitionTime(Partition: WHV_PARTITION_HANDLE) -> HRESULT {
    guard(|| partition(Partition)?.resume_time().map_err(hr))
}

/// Writes `result`'s byte count, or for `WHV_E_INSUFFICIENT_BUFFER` the
/// size needed (`size`), to `written` when the caller gave one.
fn report(
    result: winhv::Result<u32>,
    size: impl FnOnce() -> winhv::Result<u32>,
    written: Option<&mut u32>,
) -> Result<(), HRESULT> {
    match result {
        Ok(n) => {
            if let Some(w) = written {
                *w = n;
            }
            Ok(())
        }
        Err(e) => {
            if e.hresult == WHV_E_INSUFFICIENT_BUFFER
                && let (Some(w), Ok(n)) = (written, size())
            {
                *w = n;
            }
            Err(hr(e))
        }
    }
}

/// Writes the partition's counter set `CounterSet` into `Buffer`.
///
/// # Safety
/// `Buffer` must be NULL or point to `BufferSizeInBytes` writable bytes;
/// `BytesWritten` must be NULL or point to a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetPartitionCounters(
    Partition: WHV_PARTITION_HANDLE,
    CounterSet: WHV_PARTITION_COUNTER_SET,
    Buffer: *mut c_void,
    BufferSizeInBytes: u32,
    BytesWritten: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes_mut(Buffer, BufferSizeInBytes)? };
        // SAFETY: the caller's contract above.
        let written = unsafe { args::optional_output(BytesWritten)? };
        Partition::partition_counters_size(CounterSet).map_err(hr)?;
        let p = partition(Partition)?;
        let result = p.get_partition_counters(CounterSet, buffer);
        report(
            result,
            || Partition::partition_counters_size(CounterSet),
            written,
        )
    })
}

/// Writes VP `VpIndex`'s counter set `CounterSet` into `Buffer`.
///
/// # Safety
/// `Buffer` must be NULL or point to `BufferSizeInBytes` writable bytes;
/// `BytesWritten` must be NULL or point to a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorCounters(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    CounterSet: WHV_PROCESSOR_COUNTER_SET,
    Buffer: *mut c_void,
    BufferSizeInBytes: u32,
    BytesWritten: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes_mut(Buffer, BufferSizeInBytes)? };
        // SAFETY: the caller's contract above.
        let written = unsafe { args::optional_output(BytesWritten)? };
        Partition::vp_counters_size(CounterSet).map_err(hr)?;
        let p = partition(Partition)?;
        let result = p.get_vp_counters(VpIndex, CounterSet, buffer);
        report(result, || Partition::vp_counters_size(CounterSet), written)
    })
}

/// Writes the CPUID result VP `VpIndex`'s guest observes for leaf `Eax`,
/// subleaf `Ecx` (see `winhv::Partition::get_vp_cpuid_output`).
///
/// # Safety
/// `CpuidOutput` must be NULL or point to a writable `WHV_CPUID_OUTPUT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorCpuidOutput(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Eax: u32,
    Ecx: u32,
    CpuidOutput: *mut WHV_CPUID_OUTPUT,
) -> HRESULT {
    guard(|| {
        if CpuidOutput.is_null() {
            return Err(E_POINTER);
        }
        // SAFETY: the caller's contract above (not NULL: checked).
        let out = unsafe { args::output(CpuidOutput)? };
        *out = partition(Partition)?
            .get_vp_cpuid_output(VpIndex, Eax, Ecx)
            .map_err(hr)?;
        Ok(())
    })
}

/// Populates, pins or unpins the memory behind `GpaRanges` (see
/// `winhv::Partition::advise_gpa_range`).
///
/// # Safety
/// `GpaRanges` must point to `GpaRangesCount` readable entries (NULL only
/// for none); `AdviceBuffer` must be NULL or point to
/// `AdviceBufferSizeInBytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvAdviseGpaRange(
    Partition: WHV_PARTITION_HANDLE,
    GpaRanges: *const WHV_MEMORY_RANGE_ENTRY,
    GpaRangesCount: u32,
    Advice: WHV_ADVISE_GPA_RANGE_CODE,
    AdviceBuffer: *const c_void,
    AdviceBufferSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let ranges = unsafe { args::slice(GpaRanges, GpaRangesCount as usize)? };
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes(AdviceBuffer, AdviceBufferSizeInBytes)? };
        Partition::check_advise_gpa_range(ranges, Advice, buffer).map_err(hr)?;
        partition(Partition)?
            .advise_gpa_range(ranges, Advice, buffer)
            .map_err(hr)
    })
}

/// Writes VP `VpIndex`'s state of type `StateType` into `Buffer` (see
/// `winhv::Partition::get_vp_state`); a buffer too small answers
/// `WHV_E_INSUFFICIENT_BUFFER` with the size needed in `BytesWritten`.
///
/// # Safety
/// `Buffer` must be NULL or point to `BufferSizeInBytes` writable bytes;
/// `BytesWritten` must be NULL or point to a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorState(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    StateType: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
    Buffer: *mut c_void,
    BufferSizeInBytes: u32,
    BytesWritten: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes_mut(Buffer, BufferSizeInBytes)? };
        // SAFETY: the caller's contract above.
        let written = unsafe { args::optional_output(BytesWritten)? };
        let p = partition(Partition)?;
        let result = p.get_vp_state(VpIndex, StateType, buffer);
        report(result, || p.vp_state_size(VpIndex, StateType), written)
    })
}

/// Sets VP `VpIndex`'s state of type `StateType` from `Buffer` (see
/// `winhv::Partition::set_vp_state`).
///
/// # Safety
/// `Buffer` must be NULL or point to `BufferSizeInBytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSetVirtualProcessorState(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    StateType: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
    Buffer: *const c_void,
    BufferSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes(Buffer, BufferSizeInBytes)? };
        partition(Partition)?
            .set_vp_state(VpIndex, StateType, buffer)
            .map_err(hr)
    })
}
