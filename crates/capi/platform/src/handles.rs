//! The partition handle table: `WHV_PARTITION_HANDLE` values are
//! generation-checked numbers from `winhv_capi_handles`, never pointers, so
//! a handle used after `WHvDeletePartition` is refused with `E_HANDLE`.

use std::sync::Arc;

use winhv::Partition;
use winhv_capi_handles::Table;
use winhv_defs::{HRESULT, WHV_PARTITION_HANDLE};

/// The process's partitions (tag "WH").
pub(crate) static PARTITIONS: Table<Partition, 0x5748> = Table::new();

/// Stores a new partition and returns its handle.
pub(crate) fn insert(partition: Partition) -> Result<WHV_PARTITION_HANDLE, HRESULT> {
    PARTITIONS
        .insert(partition)
        .map(|h| h as WHV_PARTITION_HANDLE)
}

/// The partition `handle` names, or `E_HANDLE`.
pub(crate) fn partition(handle: WHV_PARTITION_HANDLE) -> Result<Arc<Partition>, HRESULT> {
    PARTITIONS.get(handle as u64)
}

/// Removes the partition `handle` names, or `E_HANDLE`.
pub(crate) fn remove(handle: WHV_PARTITION_HANDLE) -> Result<Arc<Partition>, HRESULT> {
    PARTITIONS.remove(handle as u64)
}
