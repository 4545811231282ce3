//! The partition handle table: `WHV_PARTITION_HANDLE` values are opaque
//! numbers, never pointers. A handle names a slot and that slot's
//! generation; deleting a partition empties the slot and bumps its
//! generation, so a handle used after `WHvDeletePartition` (or a number
//! that was never a handle) is refused without touching memory.
//!
//! Encoding (64 bits): a fixed tag in bits 48..64, the generation in bits
//! 24..48, the slot index + 1 in bits 0..24. Zero is never a handle.
//! Looking a handle up clones the partition's `Arc`, so a call in progress
//! on another thread (a VP run) keeps the partition alive until it returns
//! even if the handle is deleted meanwhile.

use std::sync::{Arc, Mutex, MutexGuard};

use winhv::Partition;
use winhv_defs::{E_HANDLE, E_OUTOFMEMORY, HRESULT, WHV_PARTITION_HANDLE};

const TAG: u64 = 0x5748 << 48;
const TAG_MASK: u64 = 0xffff << 48;
const FIELD: u64 = 0xff_ffff;

/// A table of live objects named by generation-checked handles (the
/// partitions, in this library).
pub(crate) struct Table<T = Partition> {
    slots: Mutex<Vec<SlotOf<T>>>,
}

struct SlotOf<T> {
    generation: u64,
    value: Option<Arc<T>>,
}

impl<T> Table<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            slots: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<SlotOf<T>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `value` and returns its new handle.
    pub(crate) fn insert(&self, value: T) -> Result<WHV_PARTITION_HANDLE, HRESULT> {
        let mut slots = self.lock();
        let index = match slots.iter().position(|s| s.value.is_none()) {
            Some(i) => i,
            None if (slots.len() as u64) < FIELD => {
                slots.push(SlotOf {
                    generation: 0,
                    value: None,
                });
                slots.len() - 1
            }
            None => return Err(E_OUTOFMEMORY),
        };
        let slot = &mut slots[index];
        slot.generation = (slot.generation + 1) & FIELD;
        slot.value = Some(Arc::new(value));
        Ok((TAG | slot.generation << 24 | (index as u64 + 1)) as WHV_PARTITION_HANDLE)
    }

    fn decode(handle: WHV_PARTITION_HANDLE) -> Option<(usize, u64)> {
        let h = handle as u64;
        if h & TAG_MASK != TAG || h & FIELD == 0 {
            return None;
        }
        Some(((h & FIELD) as usize - 1, (h >> 24) & FIELD))
    }

    /// The value `handle` names, or `E_HANDLE` for a stale or invalid one.
    pub(crate) fn get(&self, handle: WHV_PARTITION_HANDLE) -> Result<Arc<T>, HRESULT> {
        let (index, generation) = Self::decode(handle).ok_or(E_HANDLE)?;
        let slots = self.lock();
        match slots.get(index) {
            Some(SlotOf {
                generation: g,
                value: Some(v),
            }) if *g == generation => Ok(v.clone()),
            _ => Err(E_HANDLE),
        }
    }

    /// Removes the value `handle` names (it is dropped when the last call
    /// using it returns), or `E_HANDLE`.
    pub(crate) fn remove(&self, handle: WHV_PARTITION_HANDLE) -> Result<Arc<T>, HRESULT> {
        let (index, generation) = Self::decode(handle).ok_or(E_HANDLE)?;
        let mut slots = self.lock();
        match slots.get_mut(index) {
            Some(slot) if slot.generation == generation && slot.value.is_some() => {
                slot.value.take().ok_or(E_HANDLE)
            }
            _ => Err(E_HANDLE),
        }
    }
}

/// The process's partitions.
pub(crate) static PARTITIONS: Table<Partition> = Table::new();

/// The partition `handle` names, or `E_HANDLE`.
pub(crate) fn partition(handle: WHV_PARTITION_HANDLE) -> Result<Arc<Partition>, HRESULT> {
    PARTITIONS.get(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_and_forged_handles_are_refused() {
        let t: Table<u32> = Table::new();
        let a = t.insert(7).unwrap();
        assert_ne!(a, 0);
        assert_eq!(*t.get(a).unwrap(), 7);
        assert_eq!(*t.remove(a).unwrap(), 7);
        assert_eq!(t.get(a).unwrap_err(), E_HANDLE);
        assert_eq!(t.remove(a).unwrap_err(), E_HANDLE);
        // The slot is reused with a new generation: the old handle stays dead.
        let b = t.insert(8).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.get(a).unwrap_err(), E_HANDLE);
        assert_eq!(*t.get(b).unwrap(), 8);
        for forged in [
            0isize,
            1,
            -1,
            0x1234,
            b ^ 1 << 30,
            (b as u64 & !FIELD) as isize,
        ] {
            assert_eq!(t.get(forged).unwrap_err(), E_HANDLE, "{forged:#x}");
        }
    }

    #[test]
    fn a_removed_value_lives_while_borrowed() {
        let t: Table<String> = Table::new();
        let h = t.insert("vm".into()).unwrap();
        let held = t.get(h).unwrap();
        drop(t.remove(h).unwrap());
        assert_eq!(*held, "vm");
    }
}
