//! The partition exports: create, set up, reset, delete, and its
//! properties. Arguments are checked before the handle (see `lib.rs`).

use core::ffi::c_void;

use winhv::Partition;
use winhv_defs::{
    HRESULT, WHV_PARTITION_HANDLE, WHV_PARTITION_PROPERTY_CODE,
    WHvPartitionPropertyCodeProcessorCount,
};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::{self, partition};

/// Creates a partition (not yet set up) and writes its handle.
///
/// # Safety
/// `Partition` must be NULL or point to a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvCreatePartition(Partition: *mut WHV_PARTITION_HANDLE) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(Partition)? };
        let p = Partition::create().map_err(hr)?;
        *out = handles::insert(p)?;
        Ok(())
    })
}

/// Creates the partition's VM from its properties.
#[unsafe(no_mangle)]
pub extern "C" fn WHvSetupPartition(Partition: WHV_PARTITION_HANDLE) -> HRESULT {
    guard(|| partition(Partition)?.setup().map_err(hr))
}

/// Puts every VP back in its power-on state.
#[unsafe(no_mangle)]
pub extern "C" fn WHvResetPartition(Partition: WHV_PARTITION_HANDLE) -> HRESULT {
    guard(|| partition(Partition)?.reset().map_err(hr))
}

/// Deletes the partition: the handle is dead at once. A call still using
/// it on another thread keeps the VM alive until it returns; runs in
/// progress are canceled (they return `WHvRunVpExitReasonCanceled`) so
/// that the VM is freed promptly.
#[unsafe(no_mangle)]
pub extern "C" fn WHvDeletePartition(Partition: WHV_PARTITION_HANDLE) -> HRESULT {
    guard(|| {
        let p = handles::remove(Partition)?;
        if std::sync::Arc::strong_count(&p) > 1 {
            let mut count = [0u8; 4];
            if p.get_property(WHvPartitionPropertyCodeProcessorCount, &mut count)
                .is_ok()
            {
                for vp in 0..u32::from_le_bytes(count) {
                    // A VP that does not exist has nothing to cancel.
                    let _ = p.cancel_run_vp(vp, 0);
                }
            }
        }
        Ok(())
    })
}

/// Reads a partition property into `PropertyBuffer`.
///
/// # Safety
/// `PropertyBuffer` must be NULL or point to `PropertyBufferSizeInBytes`
/// writable bytes; `WrittenSizeInBytes` NULL or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvGetPartitionProperty(
    Partition: WHV_PARTITION_HANDLE,
    PropertyCode: WHV_PARTITION_PROPERTY_CODE,
    PropertyBuffer: *mut c_void,
    PropertyBufferSizeInBytes: u32,
    WrittenSizeInBytes: *mut u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes_mut(PropertyBuffer, PropertyBufferSizeInBytes)? };
        // SAFETY: the caller's contract above.
        let written = unsafe { args::optional_output(WrittenSizeInBytes)? };
        Partition::check_get_property(PropertyCode, buffer.len()).map_err(hr)?;
        let p = partition(Partition)?;
        let n = p.get_property(PropertyCode, buffer).map_err(hr)?;
        if let Some(w) = written {
            *w = n;
        }
        Ok(())
    })
}

/// Sets a partition property from `PropertyBuffer`.
///
/// # Safety
/// `PropertyBuffer` must be NULL or point to `PropertyBufferSizeInBytes`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvSetPartitionProperty(
    Partition: WHV_PARTITION_HANDLE,
    PropertyCode: WHV_PARTITION_PROPERTY_CODE,
    PropertyBuffer: *const c_void,
    PropertyBufferSizeInBytes: u32,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let buffer = unsafe { args::bytes(PropertyBuffer, PropertyBufferSizeInBytes)? };
        Partition::check_set_property(PropertyCode, buffer).map_err(hr)?;
        partition(Partition)?
            .set_property(PropertyCode, buffer)
            .map_err(hr)
    })
}
