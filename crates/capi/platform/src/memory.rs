//! The guest-memory exports: mapping, unmapping, translating, dirty
//! bitmaps, and reading/writing guest physical memory.
//!
//! Arguments are checked before the handle (see `lib.rs`), with the core's
//! own checks (`Partition::check_*`): a NULL or unaligned source, an
//! unaligned or empty range, unknown flags, a bitmap too small all answer
//! `E_INVALIDARG` whatever the handle or the partition's state.

use core::ffi::c_void;

use winhv::Partition;
use winhv_defs::{
    E_INVALIDARG, HANDLE, HRESULT, WHV_ACCESS_GPA_CONTROLS, WHV_MAP_GPA_RANGE_FLAGS,
    WHV_PARTITION_HANDLE, WHV_TRANSLATE_GVA_FLAGS, WHV_TRANSLATE_GVA_RESULT,
};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::partition;

/// `GetCurrentProcess()`'s pseudo-handle.
const CURRENT_PROCESS: isize = -1;

/// Maps `SizeInBytes` bytes of this process's memory at `SourceAddress`
/// into the guest at `GuestAddress`.
///
/// # Safety
/// `SourceAddress..+SizeInBytes` must stay mapped in this process until it
/// is unmapped from the guest or the partition is deleted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvMapGpaRange(
    Partition: WHV_PARTITION_HANDLE,
    SourceAddress: *const c_void,
    GuestAddress: u64,
    SizeInBytes: u64,
    Flags: WHV_MAP_GPA_RANGE_FLAGS,
) -> HRESULT {
    // SAFETY: forwarded contract.
    unsafe {
        map(
            Partition,
            None,
            SourceAddress,
            GuestAddress,
            SizeInBytes,
            Flags,
        )
    }
}

/// Both map exports: the arguments, the partition handle, the process
/// handle, then the core.
///
/// # Safety
/// As [`WHvMapGpaRange`] for this process's memory.
unsafe fn map(
    partition_handle: WHV_PARTITION_HANDLE,
    process: Option<HANDLE>,
    source: *const c_void,
    gpa: u64,
    size: u64,
    flags: WHV_MAP_GPA_RANGE_FLAGS,
) -> HRESULT {
    guard(|| {
        Partition::check_map_gpa_range(source, gpa, size, flags).map_err(hr)?;
        let p = partition(partition_handle)?;
        let fd = match process.map(|h| h as isize) {
            None | Some(CURRENT_PROCESS) => None,
            Some(h) => Some(Partition::check_process_handle(h).map_err(hr)?),
        };
        match fd {
            // SAFETY: the caller's contract above is the core's.
            None => unsafe { p.map_gpa_range(source.cast_mut(), gpa, size, flags) }.map_err(hr),
            Some(fd) => {
                // SAFETY: `check_process_handle` found `fd` open; the caller keeps its
                // process handle open during the call, as on Windows.
                let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
                // SAFETY: for this process's own pidfd, the caller's
                // contract above; another process's memory winhv maps itself.
                unsafe { p.map_gpa_range_from_process(fd, source.cast_mut(), gpa, size, flags) }
                    .map_err(hr)
            }
        }
    })
}

/// `WHvMapGpaRange` from a process's memory. `Process` is
/// `GetCurrentProcess()` (`(HANDLE)-1`) or, on Linux, a pidfd of another
/// process (`pidfd_open`) cast to `HANDLE`: that process's shared memory
/// (a `MAP_SHARED` memfd or file mapping) is mapped with no copy; private
/// memory answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`, a handle that
/// is no open pidfd `E_HANDLE` (`Partition::map_gpa_range_from_process`
/// lists every answer). Arguments first, then the partition handle, then
/// the process handle (our order; Windows documents none).
///
/// # Safety
/// As [`WHvMapGpaRange`] when `Process` is this process.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvMapGpaRange2(
    Partition: WHV_PARTITION_HANDLE,
    Process: HANDLE,
    SourceAddress: *const c_void,
    GuestAddress: u64,
    SizeInBytes: u64,
    Flags: WHV_MAP_GPA_RANGE_FLAGS,
) -> HRESULT {
    // SAFETY: forwarded contract.
    unsafe {
        map(
            Partition,
            Some(Process),
            SourceAddress,
            GuestAddress,
            SizeInBytes,
            Flags,
        )
    }
}

/// Unmaps `GuestAddress..+SizeInBytes` from the guest.
#[unsafe(no_mangle)]
pub extern "C" fn WHvUnmapGpaRange(
    Partition: WHV_PARTITION_HANDLE,
    GuestAddress: u64,
    SizeInBytes: u64,
) -> HRESULT {
    guard(|| {
        Partition::check_unmap_gpa_range(GuestAddress, SizeInBytes).map_err(hr)?;
        partition(Partition)?
            .unmap_gpa_range(GuestAddress, SizeInBytes)
            .map_err(hr)
    })
}

/// Translates `Gva` through VP `VpIndex`'s page tables.
///
/// # Safety
/// `TranslationResult` and `Gpa` must point to writable values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvTranslateGva(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    Gva: u64,
    TranslateFlags: WHV_TRANSLATE_GVA_FLAGS,
    TranslationResult: *mut WHV_TRANSLATE_GVA_RESULT,
    Gpa: *mut u64,
) -> HRESULT {
    guard(|| {
        Partition::check_translate_gva(TranslateFlags).map_err(hr)?;
        // SAFETY: the caller's contract above.
        let result = unsafe { args::output(TranslationResult)? };
        // SAFETY: the caller's contract above.
        let gpa = unsafe { args::output(Gpa)? };
        let p = partition(Partition)?;
        let (r, g) = p.translate_gva(VpIndex, Gva, TranslateFlags).map_err(hr)?;
        *result = r;
        *gpa = g;
        Ok(())
    })
}

/// Reads and clears the dirty bits of `GuestAddress..+RangeSizeInBytes`
/// (one bit per page, in 64-bit words); a NULL `Bitmap` only clears.
///
/// # Safety
/// `Bitmap` must be NULL or point to `BitmapSizeInBytes` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvQueryGpaRangeDirtyBitmap(
    Partition: WHV_PARTITION_HANDLE,
    GuestAddress: u64,
    RangeSizeInBytes: u64,
    Bitmap: *mut u64,
    BitmapSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        let bitmap = if Bitmap.is_null() {
            if BitmapSizeInBytes != 0 {
                return Err(E_INVALIDARG);
            }
            None
        } else {
            if BitmapSizeInBytes % 8 != 0 {
                return Err(E_INVALIDARG);
            }
            // SAFETY: the caller's contract above.
            Some(unsafe { args::slice_mut(Bitmap, BitmapSizeInBytes as usize / 8)? })
        };
        Partition::check_query_gpa_range_dirty_bitmap(
            GuestAddress,
            RangeSizeInBytes,
            bitmap.as_ref().map(|b| b.len()),
        )
        .map_err(hr)?;
        partition(Partition)?
            .query_gpa_range_dirty_bitmap(GuestAddress, RangeSizeInBytes, bitmap)
            .map_err(hr)
    })
}

/// Copies guest physical memory at `GuestAddress` into `Data`.
///
/// # Safety
/// `Data` must point to `DataSizeInBytes` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvReadGpaRange(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    GuestAddress: u64,
    Controls: WHV_ACCESS_GPA_CONTROLS,
    Data: *mut c_void,
    DataSizeInBytes: u32,
) -> HRESULT {
    let _ = (VpIndex, Controls);
    guard(|| {
        // SAFETY: the caller's contract above.
        let data = unsafe { args::bytes_mut(Data, DataSizeInBytes)? };
        partition(Partition)?
            .read_gpa_range(GuestAddress, data)
            .map_err(hr)
    })
}

/// Copies `Data` into guest physical memory at `GuestAddress`.
///
/// # Safety
/// `Data` must point to `DataSizeInBytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvWriteGpaRange(
    Partition: WHV_PARTITION_HANDLE,
    VpIndex: u32,
    GuestAddress: u64,
    Controls: WHV_ACCESS_GPA_CONTROLS,
    Data: *const c_void,
    DataSizeInBytes: u32,
) -> HRESULT {
    let _ = (VpIndex, Controls);
    guard(|| {
        // SAFETY: the caller's contract above.
        let data = unsafe { args::bytes(Data, DataSizeInBytes)? };
        partition(Partition)?
            .write_gpa_range(GuestAddress, data)
            .map_err(hr)
    })
}
