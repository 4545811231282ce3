//! [`RangeMap`]: the claims of one address space (MMIO or ports), sorted
//! by base and non-overlapping, found by binary search — what the exit
//! path reads for every MMIO or port exit once anything is claimed.

use std::sync::Arc;

use super::DeviceHandler;

/// One claim.
#[derive(Clone)]
struct Entry {
    start: u64,
    /// Exclusive.
    end: u64,
    id: u64,
    handler: Arc<dyn DeviceHandler>,
}

/// Sorted non-overlapping ranges with their handlers.
#[derive(Clone, Default)]
pub struct RangeMap {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for RangeMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| (e.id, e.start..e.end)))
            .finish()
    }
}

impl RangeMap {
    /// Whether no range is claimed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The handler of the claim that holds `[addr, addr + len)` whole, and
    /// `addr`'s offset from the claim's base.
    #[inline]
    pub fn lookup(&self, addr: u64, len: u64) -> Option<(&Arc<dyn DeviceHandler>, u64)> {
        let i = self
            .entries
            .partition_point(|e| e.start <= addr)
            .checked_sub(1)?;
        let e = &self.entries[i];
        let last = addr.checked_add(len)?;
        (last <= e.end).then(|| (&e.handler, addr - e.start))
    }

    /// Adds `[start, start + len)` under `id`; false (and nothing added)
    /// when it is empty, wraps, or overlaps a claim.
    pub fn insert(
        &mut self,
        start: u64,
        len: u64,
        id: u64,
        handler: Arc<dyn DeviceHandler>,
    ) -> bool {
        let Some(end) = start.checked_add(len).filter(|_| len > 0) else {
            return false;
        };
        let i = self.entries.partition_point(|e| e.start < start);
        let after_prev = i == 0 || self.entries[i - 1].end <= start;
        let before_next = self.entries.get(i).is_none_or(|n| end <= n.start);
        if !(after_prev && before_next) {
            return false;
        }
        self.entries.insert(
            i,
            Entry {
                start,
                end,
                id,
                handler,
            },
        );
        true
    }

    /// Removes the claim `id`; false when there is none.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.id != id);
        self.entries.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nop;
    impl DeviceHandler for Nop {
        fn read(&self, _: u64, data: &mut [u8]) {
            data.fill(0);
        }
        fn write(&self, _: u64, _: &[u8]) {}
    }

    fn nop() -> Arc<dyn DeviceHandler> {
        Arc::new(Nop)
    }

    #[test]
    fn insert_refuses_overlap_and_lookup_needs_containment() {
        let mut m = RangeMap::default();
        assert!(m.insert(0x1000, 0x1000, 1, nop()));
        assert!(m.insert(0x3000, 0x100, 2, nop()));
        assert!(!m.insert(0x1fff, 2, 3, nop()), "overlaps the first");
        assert!(!m.insert(0x2f00, 0x101, 3, nop()), "overlaps the second");
        assert!(!m.insert(0x0, 0x1001, 3, nop()));
        assert!(!m.insert(0x5000, 0, 3, nop()), "empty");
        assert!(!m.insert(u64::MAX, 2, 3, nop()), "wraps");
        assert!(m.insert(0x2000, 0x1000, 3, nop()), "exactly between");
        assert_eq!(m.lookup(0x1000, 4).map(|(_, o)| o), Some(0));
        assert_eq!(m.lookup(0x1ffc, 4).map(|(_, o)| o), Some(0xffc));
        assert!(m.lookup(0x1ffe, 4).is_none(), "crosses out of the claim");
        assert_eq!(m.lookup(0x30ff, 1).map(|(_, o)| o), Some(0xff));
        assert!(m.lookup(0x3100, 1).is_none());
        assert!(m.lookup(0xfff, 1).is_none());
        assert!(m.lookup(u64::MAX, 8).is_none());
        assert!(m.remove(3));
        assert!(!m.remove(3));
        assert!(m.lookup(0x2000, 1).is_none());
    }

    /// The budget: a lookup under 100 ns, here with 256 claims
    /// (more than a guest with every PCI function's BARs has). The best of
    /// 20 batches, so a busy machine does not fail it. The budget holds
    /// for optimized code (`cargo test --release`: ≈ 10 ns here); an
    /// unoptimized test build only has to stay within 10× of it.
    #[test]
    fn lookup_is_fast() {
        let mut m = RangeMap::default();
        for i in 0..256u64 {
            assert!(m.insert(0xe000_0000 + i * 0x10_0000, 0x1000, i, nop()));
        }
        let mut best = f64::MAX;
        let mut hits = 0u64;
        for _ in 0..20 {
            let t = std::time::Instant::now();
            for k in 0..10_000u64 {
                let addr = 0xe000_0000 + (k * 7919 % 256) * 0x10_0000 + (k & 0xff8);
                hits += u64::from(std::hint::black_box(&m).lookup(addr, 4).is_some());
            }
            best = best.min(t.elapsed().as_nanos() as f64 / 10_000.0);
        }
        assert_eq!(hits, 200_000);
        let budget = if cfg!(debug_assertions) {
            1000.0
        } else {
            100.0
        };
        println!("lookup: {best:.1} ns (budget {budget} ns)");
        assert!(best < budget, "lookup took {best:.1} ns");
    }
}
