//! The emulator handle table: `WHV_EMULATOR_HANDLE` values are opaque
//! numbers (pointer-sized, never dereferenced) naming a slot and its
//! generation, so a handle used after `WHvEmulatorDestroyEmulator`, or a
//! pointer that was never a handle, is refused with `E_HANDLE` instead of
//! being followed. Same encoding as libWinHvPlatform's partition handles
//! (a tag in bits 48..64, generation in 24..48, slot + 1 in 0..24) with a
//! different tag.

use std::sync::{Arc, Mutex, MutexGuard};

use winhv_defs::{E_HANDLE, E_OUTOFMEMORY, HRESULT};

const TAG: u64 = 0x5745 << 48;
const TAG_MASK: u64 = 0xffff << 48;
const FIELD: u64 = 0xff_ffff;

struct Slot<T> {
    generation: u64,
    value: Option<Arc<T>>,
}

/// A table of live objects named by generation-checked handles.
pub(crate) struct Table<T> {
    slots: Mutex<Vec<Slot<T>>>,
}

impl<T> Table<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            slots: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot<T>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `value` and returns its handle value.
    pub(crate) fn insert(&self, value: T) -> Result<usize, HRESULT> {
        let mut slots = self.lock();
        let index = match slots.iter().position(|s| s.value.is_none()) {
            Some(i) => i,
            None if (slots.len() as u64) < FIELD => {
                slots.push(Slot {
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
        Ok((TAG | slot.generation << 24 | (index as u64 + 1)) as usize)
    }

    fn decode(handle: usize) -> Option<(usize, u64)> {
        let h = handle as u64;
        if h & TAG_MASK != TAG || h & FIELD == 0 {
            return None;
        }
        Some(((h & FIELD) as usize - 1, (h >> 24) & FIELD))
    }

    /// The value `handle` names, or `E_HANDLE`.
    pub(crate) fn get(&self, handle: usize) -> Result<Arc<T>, HRESULT> {
        let (index, generation) = Self::decode(handle).ok_or(E_HANDLE)?;
        match self.lock().get(index) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Ok(v.clone()),
            _ => Err(E_HANDLE),
        }
    }

    /// Removes the value `handle` names, or `E_HANDLE`.
    pub(crate) fn remove(&self, handle: usize) -> Result<Arc<T>, HRESULT> {
        let (index, generation) = Self::decode(handle).ok_or(E_HANDLE)?;
        let mut slots = self.lock();
        match slots.get_mut(index) {
            Some(slot) if slot.generation == generation => slot.value.take().ok_or(E_HANDLE),
            _ => Err(E_HANDLE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_and_forged_handles_are_refused() {
        let t: Table<u8> = Table::new();
        let a = t.insert(1).unwrap();
        assert_eq!(*t.get(a).unwrap(), 1);
        t.remove(a).unwrap();
        assert_eq!(t.get(a).unwrap_err(), E_HANDLE);
        assert_eq!(t.remove(a).unwrap_err(), E_HANDLE);
        let b = t.insert(2).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.get(a).unwrap_err(), E_HANDLE);
        for forged in [0usize, 8, usize::MAX, b ^ 1 << 40] {
            assert_eq!(t.get(forged).unwrap_err(), E_HANDLE);
        }
    }
}
