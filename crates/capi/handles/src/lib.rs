//! The handle tables of winhv's C libraries (`WHV_PARTITION_HANDLE`,
//! `WHV_EMULATOR_HANDLE`): a handle is an opaque number, never a pointer. It
//! names a slot and that slot's generation; removing the value empties the
//! slot and the next value stored there gets a new generation, so a handle
//! used after its delete call — or a number that was never a handle — is
//! refused with `E_HANDLE` without touching memory.
//!
//! Encoding (64 bits): the table's tag in bits 48..64, the generation in
//! bits 24..48, the slot index + 1 in bits 0..24. Zero is never a handle.
//! Looking a handle up clones the value's `Arc`, so a call in progress on
//! another thread keeps the value alive until it returns even if the handle
//! is removed meanwhile.

use std::sync::{Arc, Mutex, MutexGuard};

use winhv_defs::{E_HANDLE, E_OUTOFMEMORY, HRESULT};

const TAG_SHIFT: u32 = 48;
const TAG_MASK: u64 = 0xffff << TAG_SHIFT;
const FIELD: u64 = 0xff_ffff;

/// A table of live values named by generation-checked handles; `TAG`
/// tells one table's handles from another's.
///
/// ```
/// use winhv_capi_handles::Table;
/// static NAMES: Table<&str, 0x4e41> = Table::new();
/// let h = NAMES.insert("vm").unwrap();
/// assert_eq!(*NAMES.get(h).unwrap(), "vm");
/// NAMES.remove(h).unwrap();
/// assert!(NAMES.get(h).is_err()); // stale: refused, not followed
/// ```
pub struct Table<T, const TAG: u16> {
    slots: Mutex<Vec<Slot<T>>>,
}

struct Slot<T> {
    generation: u64,
    value: Option<Arc<T>>,
}

impl<T, const TAG: u16> Table<T, TAG> {
    /// An empty table.
    pub const fn new() -> Self {
        Self {
            slots: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot<T>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tag() -> u64 {
        u64::from(TAG) << TAG_SHIFT
    }

    /// Stores `value` and returns its new handle.
    pub fn insert(&self, value: T) -> Result<u64, HRESULT> {
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
        Ok(Self::tag() | slot.generation << 24 | (index as u64 + 1))
    }

    fn decode(handle: u64) -> Option<(usize, u64)> {
        if handle & TAG_MASK != Self::tag() || handle & FIELD == 0 {
            return None;
        }
        Some(((handle & FIELD) as usize - 1, (handle >> 24) & FIELD))
    }

    /// The value `handle` names, or `E_HANDLE` for a stale or invalid one.
    pub fn get(&self, handle: u64) -> Result<Arc<T>, HRESULT> {
        let (index, generation) = Self::decode(handle).ok_or(E_HANDLE)?;
        match self.lock().get(index) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Ok(v.clone()),
            _ => Err(E_HANDLE),
        }
    }

    /// Removes the value `handle` names (dropped when the last call using
    /// it returns), or `E_HANDLE`.
    pub fn remove(&self, handle: u64) -> Result<Arc<T>, HRESULT> {
        let (index, generation) = Self::decode(handle).ok_or(E_HANDLE)?;
        let mut slots = self.lock();
        match slots.get_mut(index) {
            Some(slot) if slot.generation == generation => slot.value.take().ok_or(E_HANDLE),
            _ => Err(E_HANDLE),
        }
    }
}

impl<T, const TAG: u16> Default for Table<T, TAG> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_and_forged_handles_are_refused() {
        let t: Table<u32, 0x5748> = Table::new();
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
        for forged in [0, 1, u64::MAX, 0x1234, b ^ 1 << 30, b & !FIELD] {
            assert_eq!(t.get(forged).unwrap_err(), E_HANDLE, "{forged:#x}");
        }
    }

    #[test]
    fn another_tables_handles_are_refused() {
        let a: Table<u8, 0x5748> = Table::new();
        let b: Table<u8, 0x5745> = Table::new();
        let h = a.insert(1).unwrap();
        b.insert(2).unwrap();
        assert_eq!(b.get(h).unwrap_err(), E_HANDLE);
    }

    #[test]
    fn a_removed_value_lives_while_borrowed() {
        let t: Table<String, 1> = Table::new();
        let h = t.insert("vm".into()).unwrap();
        let held = t.get(h).unwrap();
        drop(t.remove(h).unwrap());
        assert_eq!(*held, "vm");
    }
}
