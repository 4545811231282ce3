//! The memory exports: physical and raw saved memory reads, GVA
//! translation, the memory chunk layout, the raw offset of a GPA, the
//! memory block cache limit, guest memory fixes (`ApplyGuestMemoryFix`).
//! Arguments are checked before the handle.
//!
//! Size probes: `GetGuestPhysicalMemoryChunks` with a count below the
//! number of chunks writes the number needed and answers `E_OUTOFMEMORY`,
//! the answer Microsoft's own Rust wrapper of this API waits for before
//! allocating (rafawo/vmsavedstatetodump-rs, `vmsavedstatedumpprovider.rs`,
//! `guest_physical_memory_chunks`: "First figure out memory chunks vector
//! size", matching `ResultCode::OutOfMemory`); a count at or above it gets
//! the chunks and the exact count. Reads that stop early (a hole, the end
//! of memory) succeed with the bytes read in `BytesRead`, as the header
//! documents; nothing readable at the start address is
//! `VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND` (our choice).

use core::ffi::c_void;

use winhv_defs::*;
use winhv_savedstate::{Gva, PAGE_SIZE};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::dump;

/// Reads guest-physical memory at `PhysicalAddress` into `Buffer`; the
/// count read goes to `BytesRead` (fewer than asked where saved memory
/// ends or has a hole).
///
/// # Safety
/// `Buffer` must be NULL or `BufferSize` writable bytes; `BytesRead` NULL
/// or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReadGuestPhysicalAddress(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    PhysicalAddress: u64,
    Buffer: *mut c_void,
    BufferSize: u32,
    BytesRead: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buf = unsafe { args::bytes_mut(Buffer, BufferSize)? };
        // SAFETY: the caller's contract above.
        let mut read = unsafe { args::optional_output(BytesRead)? };
        if let Some(r) = read.as_deref_mut() {
            *r = 0;
        }
        let state = dump(VmSavedStateDumpHandle)?;
        let n = state.read_physical(PhysicalAddress, buf).map_err(hr)?;
        if let Some(r) = read {
            *r = n as u32;
        }
        Ok(())
    })
}

/// Translates `VirtualAddress` with VP `VpId`'s paging state. An address
/// that is not mapped answers `VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED` and,
/// when asked, the size of what the missing entry would map in
/// `UnmappedRegionSize`.
///
/// # Safety
/// `PhysicalAddress` must be NULL or a writable `UINT64`;
/// `UnmappedRegionSize` NULL or a writable `UINT64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GuestVirtualAddressToPhysicalAddress(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    VirtualAddress: u64,
    PhysicalAddress: *mut u64,
    UnmappedRegionSize: *mut u64,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(PhysicalAddress)? };
        // SAFETY: the caller's contract above.
        let unmapped = unsafe { args::optional_output(UnmappedRegionSize)? };
        let state = dump(VmSavedStateDumpHandle)?;
        match state.translate(VpId, VirtualAddress).map_err(hr)? {
            Gva::Mapped(gpa) => {
                *out = gpa;
                Ok(())
            }
            Gva::Unmapped { region_size } => {
                if let Some(u) = unmapped {
                    *u = region_size;
                }
                Err(VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED)
            }
        }
    })
}

/// Writes the page size (4096) and the runs of saved pages; see the
/// module comment for the size probe.
///
/// # Safety
/// `MemoryChunkPageSize` and `MemoryChunkCount` must be NULL or writable
/// `UINT64`s; `MemoryChunks` NULL or `*MemoryChunkCount` writable chunks.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetGuestPhysicalMemoryChunks(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    MemoryChunkPageSize: *mut u64,
    MemoryChunks: *mut GPA_MEMORY_CHUNK,
    MemoryChunkCount: *mut u64,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let page_size = unsafe { args::output(MemoryChunkPageSize)? };
        // SAFETY: the caller's contract above.
        let count = unsafe { args::output(MemoryChunkCount)? };
        let state = dump(VmSavedStateDumpHandle)?;
        let chunks = state.memory().chunks();
        *page_size = PAGE_SIZE;
        let needed = chunks.len() as u64;
        if *count < needed {
            *count = needed;
            return Err(E_OUTOFMEMORY);
        }
        // SAFETY: the caller's contract above (at least `needed` chunks).
        let out = unsafe { args::slice_mut(MemoryChunks, chunks.len())? };
        out.copy_from_slice(chunks);
        *count = needed;
        Ok(())
    })
}

/// Writes the raw saved memory offset of `PhysicalAddress`.
///
/// # Safety
/// `RawSavedMemoryOffset` must be NULL or a writable `UINT64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GuestPhysicalAddressToRawSavedMemoryOffset(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    PhysicalAddress: u64,
    RawSavedMemoryOffset: *mut u64,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(RawSavedMemoryOffset)? };
        let state = dump(VmSavedStateDumpHandle)?;
        *out = state.memory().raw_offset(PhysicalAddress).map_err(hr)?;
        Ok(())
    })
}

/// Writes the size of the raw saved memory in bytes.
///
/// # Safety
/// `GuestRawSavedMemorySize` must be NULL or a writable `UINT64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetGuestRawSavedMemorySize(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    GuestRawSavedMemorySize: *mut u64,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(GuestRawSavedMemorySize)? };
        *out = dump(VmSavedStateDumpHandle)?.memory().raw_size();
        Ok(())
    })
}

/// Reads the raw saved memory at `RawSavedMemoryOffset` into `Buffer`;
/// the count read goes to `BytesRead` (fewer at the end, 0 past it).
///
/// # Safety
/// `Buffer` must be NULL or `BufferSize` writable bytes; `BytesRead` NULL
/// or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReadGuestRawSavedMemory(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    RawSavedMemoryOffset: u64,
    Buffer: *mut c_void,
    BufferSize: u32,
    BytesRead: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buf = unsafe { args::bytes_mut(Buffer, BufferSize)? };
        // SAFETY: the caller's contract above.
        let mut read = unsafe { args::optional_output(BytesRead)? };
        if let Some(r) = read.as_deref_mut() {
            *r = 0;
        }
        let state = dump(VmSavedStateDumpHandle)?;
        let n = state.read_raw(RawSavedMemoryOffset, buf).map_err(hr)?;
        if let Some(r) = read {
            *r = n as u32;
        }
        Ok(())
    })
}

/// Writes the memory block cache limit (0 until set).
///
/// # Safety
/// `MemoryBlockCacheLimit` must be NULL or a writable `UINT64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMemoryBlockCacheLimit(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    MemoryBlockCacheLimit: *mut u64,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(MemoryBlockCacheLimit)? };
        *out = dump(VmSavedStateDumpHandle)?.memory_block_cache_limit();
        Ok(())
    })
}

/// Sets the memory block cache limit. Saved memory is mapped rather than
/// cached, so the limit is kept (and read back) but changes no read.
#[unsafe(no_mangle)]
pub extern "C" fn SetMemoryBlockCacheLimit(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    MemoryBlockCacheLimit: u64,
) -> HRESULT {
    guard(|| {
        dump(VmSavedStateDumpHandle)?.set_memory_block_cache_limit(MemoryBlockCacheLimit);
        Ok(())
    })
}

/// Lays `FixBufferSize` bytes from `FixBuffer` over VP `VpId`'s virtual
/// memory at `VirtualAddress`: later reads and translations see them; the
/// file is not written. Whole or not at all: an unmapped page answers
/// `VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED`, one not saved
/// `VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND`, a VpId past the last
/// `E_INVALIDARG`. A zero size is a fix of nothing (`S_OK`).
///
/// # Safety
/// `FixBuffer` must be NULL (with a zero size) or `FixBufferSize` readable
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ApplyGuestMemoryFix(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    VirtualAddress: u64,
    FixBuffer: *const c_void,
    FixBufferSize: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let bytes = unsafe { args::slice(FixBuffer.cast::<u8>(), FixBufferSize as usize)? };
        let state = dump(VmSavedStateDumpHandle)?;
        state
            .apply_memory_fix(VpId, VirtualAddress, bytes)
            .map_err(hr)
    })
}
