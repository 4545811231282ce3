//! The virtual-processor exports: create, delete, run, cancel, registers,
//! XSAVE state.
//!
//! `WHvRunVirtualProcessor` accepts exit-context buffers sized by older
//! SDKs: the structure grew from 144 bytes (SDK 10.0.17134/17763: reason,
//! VP context, and a union whose largest member was the 96-byte I/O-port
//! context) to 224 (the hypercall context). Windows keeps running programs
//! built with the older size, so a buffer of at least
//! [`MIN_EXIT_CONTEXT_SIZE`] bytes receives as much of the context as fits
//! (every exit this platform produces fits in 144 bytes); a smaller one
//! answers `WHV_E_INSUFFICIENT_BUFFER` without running the VP.
//!
//! Arguments are checked before the handle (see `lib.rs`): NULL and
//! misaligned arrays, the exit buffer's size, non-zero `Flags`, unknown VP
//! property codes, a NULL XSAVE buffer with a non-zero size or a NULL
//! `BytesWritten`. A VP index, register names and the XSAVE state's size
//! are judged against the partition, after it.

use core::ffi::c_void;

use winhv_defs::{
    E_INVALIDARG, HRESULT, WHV_E_INSUFFICIENT_BUFFER, WHV_PARTITION_HANDLE, WHV_REGISTER_NAME,
    WHV_REGISTER_VALUE, WHV_RUN_VP_EXIT_CONTEXT, WHV_VIRTUAL_PROCESSOR_PROPERTY,
};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::partition;
use winhv::Partition;

/// The smallest exit-context buffer accepted: `sizeof(WHV_RUN_VP_EXIT_CONTEXT)`
/// in the first SDKs that shipped the API.
pub const MIN_EXIT_CONTEXT_SIZE: u32 = 144;

/// Creates VP `VpIndex`; `Flags` must be 0.
#[unsafe(no_mangle)]
pub extern "C" fn WHvCreateVirtualProcessor(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Flags: u32,
) -> HRESULT {
    guard(|| {
        if Flags != 0 {
            return Err(E_INVALIDARG);
        }
        partition(Partition)?.create_vp(VpIndex).map_err(hr)
    })
}

/// Creates VP `VpIndex` with properties.
///
/// # Safety
/// `Properties` must point to `PropertyCount` readable properties (NULL
/// only when there are none).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvCreateVirtualProcessor2(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Properties: *const WHV_VIRTUAL_PROCESSOR_PROPERTY,
    PropertyCount: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let props = unsafe { args::slice(Properties, PropertyCount as usize)? };
        Partition::check_vp_properties(props).map_err(hr)?;
        partition(Partition)?.create_vp2(VpIndex, props).map_err(hr)
    })
}

/// Deletes VP `VpIndex`.
#[unsafe(no_mangle)]
pub extern "C" fn WHvDeleteVirtualProcessor(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
) -> HRESULT {
    guard(|| partition(Partition)?.delete_vp(VpIndex).map_err(hr))
}

/// Runs VP `VpIndex` until an exit and writes the exit context (see the
/// module documentation for buffer sizes).
///
/// # Safety
/// `ExitContext` must point to `ExitContextSizeInBytes` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvRunVirtualProcessor(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    ExitContext: *mut c_void,
    ExitContextSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::bytes_mut(ExitContext, ExitContextSizeInBytes)? };
        if out.is_empty() {
            return Err(E_INVALIDARG);
        }
        if ExitContextSizeInBytes < MIN_EXIT_CONTEXT_SIZE {
            return Err(WHV_E_INSUFFICIENT_BUFFER);
        }
        let p = partition(Partition)?;
        let full = size_of::<WHV_RUN_VP_EXIT_CONTEXT>();
        let ptr = out.as_mut_ptr().cast::<WHV_RUN_VP_EXIT_CONTEXT>();
        if out.len() >= full && ptr.is_aligned() {
            // The usual case: built straight into the caller's buffer.
            // SAFETY: `out` is `ExitContextSizeInBytes` >= size_of writable
            // bytes, exclusively ours for this call; `ptr` is aligned; every
            // bit pattern is a valid WHV_RUN_VP_EXIT_CONTEXT (a C struct of
            // integers and unions of them).
            let exit = unsafe { &mut *ptr };
            return p.run_vp_into(VpIndex, exit).map_err(hr);
        }
        let exit = p.run_vp(VpIndex).map_err(hr)?;
        let n = out.len().min(full);
        // SAFETY: `exit` is a plain-old-data C struct of
        // size_of::<WHV_RUN_VP_EXIT_CONTEXT>() bytes, all initialized
        // (the core builds it from `Default`, zeroed).
        let bytes = unsafe { std::slice::from_raw_parts((&raw const exit).cast::<u8>(), full) };
        out[..n].copy_from_slice(&bytes[..n]);
        Ok(())
    })
}

/// Makes VP `VpIndex`'s current (or next) run return `Canceled`. Callable
/// from any thread; `Flags` must be 0.
#[unsafe(no_mangle)]
pub extern "C" fn WHvCancelRunVirtualProcessor(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Flags: u32,
) -> HRESULT {
    guard(|| {
        if Flags != 0 {
            return Err(E_INVALIDARG);
        }
        partition(Partition)?
            .cancel_run_vp(VpIndex, Flags)
            .map_err(hr)
    })
}

/// Reads `RegisterCount` registers of VP `VpIndex`. `RegisterValues` must
/// be 16-byte aligned (`E_INVALIDARG` otherwise, where Windows faults).
///
/// # Safety
/// `RegisterNames` must point to `RegisterCount` names and `RegisterValues`
/// to `RegisterCount` writable values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorRegisters(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    RegisterNames: *const WHV_REGISTER_NAME,
    RegisterCount: u32,
    RegisterValues: *mut WHV_REGISTER_VALUE,
) -> HRESULT {
    guard(|| {
        let n = RegisterCount as usize;
        // SAFETY: the caller's contract above.
        let names = unsafe { args::slice(RegisterNames, n)? };
        // SAFETY: the caller's contract above.
        let values = unsafe { args::slice_mut(RegisterValues, n)? };
        partition(Partition)?
            .get_vp_registers(VpIndex, names, values)
            .map_err(hr)
    })
}

/// Sets `RegisterCount` registers of VP `VpIndex` (all or none).
/// `RegisterValues` must be 16-byte aligned.
///
/// # Safety
/// `RegisterNames` and `RegisterValues` must point to `RegisterCount`
/// readable elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSetVirtualProcessorRegisters(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    RegisterNames: *const WHV_REGISTER_NAME,
    RegisterCount: u32,
    RegisterValues: *const WHV_REGISTER_VALUE,
) -> HRESULT {
    guard(|| {
        let n = RegisterCount as usize;
        // SAFETY: the caller's contract above.
        let names = unsafe { args::slice(RegisterNames, n)? };
        // SAFETY: the caller's contract above.
        let values = unsafe { args::slice(RegisterValues, n)? };
        partition(Partition)?
            .set_vp_registers(VpIndex, names, values)
            .map_err(hr)
    })
}

/// Writes VP `VpIndex`'s XSAVE area (the compacted form, see
/// `winhv::Partition::get_vp_xsave_state`) and its size to `BytesWritten`.
/// A buffer too small answers `WHV_E_INSUFFICIENT_BUFFER`, writes nothing
/// into it and reports the size needed in `BytesWritten`, as Microsoft
/// documents.
///
/// # Safety
/// `Buffer` must be NULL or point to `BufferSizeInBytes` writable bytes;
/// `BytesWritten` must point to a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetVirtualProcessorXsaveState(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Buffer: *mut c_void,
    BufferSizeInBytes: u32,
    BytesWritten: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes_mut(Buffer, BufferSizeInBytes)? };
        // SAFETY: the caller's contract above.
        let written = unsafe { args::output(BytesWritten)? };
        let p = partition(Partition)?;
        match p.get_vp_xsave_state(VpIndex, buffer) {
            Ok(n) => {
                *written = n;
                Ok(())
            }
            Err(e) => {
                if e.hresult == WHV_E_INSUFFICIENT_BUFFER
                    && let Ok(n) = p.vp_xsave_state_size(VpIndex)
                {
                    *written = n;
                }
                Err(hr(e))
            }
        }
    })
}

/// Replaces VP `VpIndex`'s XSAVE area with `Buffer` (a compacted XSAVE
/// area, see `winhv::Partition::set_vp_xsave_state`).
///
/// # Safety
/// `Buffer` must be NULL or point to `BufferSizeInBytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSetVirtualProcessorXsaveState(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Buffer: *const c_void,
    BufferSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes(Buffer, BufferSizeInBytes)? };
        partition(Partition)?
            .set_vp_xsave_state(VpIndex, buffer)
            .map_err(hr)
    })
}
