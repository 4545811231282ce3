//! The partition handle table: `WHV_PARTITION_HANDLE` values are 64-bit
//! numbers from `winhv_capi_support`, never pointers and never reissued, so
//! a handle used after `WHvDeletePartition` is refused with `E_HANDLE` —
//! it can never name a partition created later.

use std::sync::Arc;

use winhv::Partition;
use winhv_capi_support::handles::Table;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::{WHvCreatePartition, WHvDeletePartition, WHvSetPartitionProperty};
    use winhv_defs::{E_HANDLE, S_OK, WHvPartitionPropertyCodeProcessorCount};

    /// A caller deletes its partition and, by mistake, deletes the same
    /// handle again after 2^24 partitions were created and deleted — where
    /// the 24-bit generations of the old table wrapped and the handle named
    /// the newest partition. The stale delete must answer `E_HANDLE` and
    /// leave that other owner's partition alone.
    #[test]
    fn a_stale_delete_after_heavy_churn_leaves_another_owners_partition() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let mut mine: WHV_PARTITION_HANDLE = 0;
        // SAFETY: a writable handle.
        assert_eq!(unsafe { WHvCreatePartition(&mut mine) }, S_OK);
        assert_eq!(WHvDeletePartition(mine), S_OK);
        // 2^24 - 1 more create/delete cycles, counted without running them.
        PARTITIONS.advance_for_test((1 << 24) - 1);
        let mut theirs: WHV_PARTITION_HANDLE = 0;
        // SAFETY: a writable handle.
        assert_eq!(unsafe { WHvCreatePartition(&mut theirs) }, S_OK);
        assert_ne!(theirs, mine);
        assert!(theirs != 0 && theirs != -1);
        assert_eq!(WHvDeletePartition(mine), E_HANDLE);
        let count = 1u32.to_le_bytes();
        // SAFETY: a 4-byte buffer.
        let hr = unsafe {
            WHvSetPartitionProperty(
                theirs,
                WHvPartitionPropertyCodeProcessorCount,
                count.as_ptr().cast(),
                4,
            )
        };
        assert_eq!(hr, S_OK, "the other owner's partition is still there");
        assert_eq!(WHvDeletePartition(theirs), S_OK);
    }
}
