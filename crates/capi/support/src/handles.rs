//! The handle tables of winhv's C libraries (`WHV_PARTITION_HANDLE`,
//! `WHV_EMULATOR_HANDLE`): a handle is an opaque 64-bit number, never a
//! pointer, and never issued twice in a process's life. Removing a value
//! kills its handle for good, so a handle used after its delete call — or a
//! number that was never a handle — is refused with `E_HANDLE` without
//! touching memory, however many values were created and deleted since.
//!
//! Windows' handles are pointer-sized (`HANDLE`, `WHV_PARTITION_HANDLE` and
//! `WHV_EMULATOR_HANDLE` are `void*`), so all 64 bits are ours: each table
//! counts the values it ever stored, and a handle is that count with the
//! table's tag XORed into bits 48..64 (`count ^ TAG << 48`). The count only
//! grows; reissuing a handle would take 2^64 creations (at the fastest
//! churn measured, ≈12 million create/delete cycles a second, some 48,000
//! years), and the table answers `E_OUTOFMEMORY` rather than wrap. Below
//! 2^48 creations a handle also carries its table's tag, so one library's
//! handle is not the other's; past that the XOR keeps handles unique within
//! their table. The counts that would make 0 (NULL) or all ones
//! (`INVALID_HANDLE_VALUE`, -1) are skipped: neither is ever a handle.
//!
//! Looking a handle up clones the value's `Arc`, so a call in progress on
//! another thread keeps the value alive until it returns even if the handle
//! is removed meanwhile. Live values are kept in a `BTreeMap` by handle:
//! with the few values a process holds a lookup is a short scan of one
//! node.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use winhv_defs::{E_HANDLE, E_OUTOFMEMORY, HRESULT};

const TAG_SHIFT: u32 = 48;

/// A table of live values named by handles that are never reused; `TAG`
/// tells one table's handles from another's.
///
/// ```
/// use winhv_capi_support::handles::Table;
/// static NAMES: Table<&str, 0x4e41> = Table::new();
/// let h = NAMES.insert("vm").unwrap();
/// assert_eq!(*NAMES.get(h).unwrap(), "vm");
/// NAMES.remove(h).unwrap();
/// assert!(NAMES.get(h).is_err()); // stale: refused, not followed
/// let h2 = NAMES.insert("another vm").unwrap();
/// assert_ne!(h, h2); // never reissued
/// ```
pub struct Table<T, const TAG: u16> {
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    /// Live values by handle.
    live: BTreeMap<u64, Arc<T>>,
    /// How many handles this table has issued (and skipped): the count of
    /// the next one.
    issued: u64,
}

impl<T, const TAG: u16> Table<T, TAG> {
    /// An empty table.
    pub const fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                live: BTreeMap::new(),
                issued: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tag() -> u64 {
        u64::from(TAG) << TAG_SHIFT
    }

    /// Stores `value` and returns its new handle: never 0, never -1, never
    /// one this table issued before.
    pub fn insert(&self, value: T) -> Result<u64, HRESULT> {
        self.insert_arc(Arc::new(value))
    }

    /// [`Table::insert`] for a value that is shared already.
    pub fn insert_arc(&self, value: Arc<T>) -> Result<u64, HRESULT> {
        let mut inner = self.lock();
        let handle = loop {
            let count = inner.issued.checked_add(1).ok_or(E_OUTOFMEMORY)?;
            inner.issued = count;
            let handle = count ^ Self::tag();
            if handle != 0 && handle != u64::MAX {
                break handle;
            }
        };
        inner.live.insert(handle, value);
        Ok(handle)
    }

    /// The value `handle` names, or `E_HANDLE` for a stale or invalid one.
    pub fn get(&self, handle: u64) -> Result<Arc<T>, HRESULT> {
        self.lock().live.get(&handle).cloned().ok_or(E_HANDLE)
    }

    /// Removes the value `handle` names (dropped when the last call using
    /// it returns), or `E_HANDLE`.
    pub fn remove(&self, handle: u64) -> Result<Arc<T>, HRESULT> {
        self.lock().live.remove(&handle).ok_or(E_HANDLE)
    }

    /// Test hook: counts `n` handles as issued without issuing them, as
    /// `n` create/delete cycles would (saturating at the last count), so a
    /// test reaches the counts where handles could repeat or be 0 or -1
    /// without running billions of cycles.
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn advance_for_test(&self, n: u64) {
        let mut inner = self.lock();
        inner.issued = inner.issued.saturating_add(n);
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

    const TAG: u16 = 0x5748;

    #[test]
    fn stale_and_forged_handles_are_refused() {
        let t: Table<u32, TAG> = Table::new();
        let a = t.insert(7).unwrap();
        assert_ne!(a, 0);
        assert_eq!(*t.get(a).unwrap(), 7);
        assert_eq!(*t.remove(a).unwrap(), 7);
        assert_eq!(t.get(a).unwrap_err(), E_HANDLE);
        assert_eq!(t.remove(a).unwrap_err(), E_HANDLE);
        // A new value gets a new handle: the old one stays dead.
        let b = t.insert(8).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.get(a).unwrap_err(), E_HANDLE);
        assert_eq!(*t.get(b).unwrap(), 8);
        for forged in [0, 1, u64::MAX, 0x1234, b ^ 1 << 30, b & !0xff_ffff, b + 1] {
            assert_eq!(t.get(forged).unwrap_err(), E_HANDLE, "{forged:#x}");
        }
    }

    #[test]
    fn another_tables_handles_are_refused() {
        let a: Table<u8, TAG> = Table::new();
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

    /// The scheme this replaced kept a 24-bit generation per slot: after
    /// 2^24 create/delete cycles (1.4 s of churn) a slot's handle came
    /// back, and a stale delete removed another owner's value. Churn to
    /// that point (and to 2^32 and 2^48, where narrower schemes would
    /// wrap) and show the stale handle still refused and the new owner's
    /// value untouched.
    #[test]
    fn a_stale_handle_stays_refused_after_the_old_schemes_wrap() {
        for churn in [1 << 24, (1 << 24) - 1, 1 << 32, 1 << 48, (1 << 48) - 2] {
            let t: Table<&str, TAG> = Table::new();
            let stale = t.insert("mine").unwrap();
            t.remove(stale).unwrap();
            t.advance_for_test(churn - 1);
            let theirs = t.insert("theirs").unwrap();
            assert_ne!(theirs, stale, "churn {churn:#x}");
            // The stale owner deletes "its" handle again.
            assert_eq!(t.remove(stale).unwrap_err(), E_HANDLE, "churn {churn:#x}");
            assert_eq!(t.get(stale).unwrap_err(), E_HANDLE);
            assert_eq!(*t.get(theirs).unwrap(), "theirs", "churn {churn:#x}");
            // Many more cycles, still never the stale value.
            for _ in 0..1000 {
                let h = t.insert("more").unwrap();
                assert_ne!(h, stale);
                t.remove(h).unwrap();
            }
        }
    }

    /// Handles are never NULL or INVALID_HANDLE_VALUE, even at the counts
    /// whose XOR with the tag would give them.
    #[test]
    fn handles_are_never_null_or_invalid_handle_value() {
        let tag = u64::from(TAG) << TAG_SHIFT;
        for target in [tag, !tag] {
            let t: Table<u8, TAG> = Table::new();
            t.advance_for_test(target - 2);
            let mut seen = Vec::new();
            for _ in 0..4 {
                let h = t.insert(0).unwrap();
                assert!(h != 0 && h != u64::MAX, "{h:#x}");
                seen.push(h);
            }
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), 4, "distinct");
        }
    }

    /// The table never wraps: once every count is used it answers
    /// `E_OUTOFMEMORY`, and the live values keep working.
    #[test]
    fn the_last_count_is_refused_rather_than_wrapped() {
        let t: Table<u8, TAG> = Table::new();
        let first = t.insert(1).unwrap();
        t.advance_for_test(u64::MAX);
        assert_eq!(t.insert(2).unwrap_err(), E_OUTOFMEMORY);
        assert_eq!(*t.get(first).unwrap(), 1);
    }
}
