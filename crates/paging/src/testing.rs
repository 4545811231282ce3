//! Test support, for this crate's tests and other crates' (the emulator's,
//! the platform's): [`FakeMemory`], a sparse guest-physical memory with
//! per-page access rights, and [`PageTables`], a builder of paging structures
//! for every mode. Not meant for production use: the builder panics when a
//! test asks for something impossible (a 1 GiB page in PAE mode, an
//! unaligned address).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::entry::{P, PCD, PS, PWT};
use crate::{GuestPhysMemory, MemError, PageSize, PagingMode};

const PAGE: u64 = 4096;

/// A sparse guest-physical memory: 4 KiB pages appear when written, and can
/// be unmapped, made read-only or unreadable. Compare-exchanges can be made
/// to lose a race, as if a VP changed the entry in between.
#[derive(Debug, Default)]
pub struct FakeMemory {
    inner: RefCell<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    pages: HashMap<u64, Box<[u8; PAGE as usize]>>,
    read_only: HashSet<u64>,
    no_read: HashSet<u64>,
    /// Compare-exchanges still to lose (each flips entry bit 9, an ignored
    /// bit in every format, before reporting the new value).
    interfere: u32,
    /// Successful compare-exchanges so far.
    exchanges: u32,
}

impl Inner {
    fn check(&self, gpa: u64, write: bool) -> Result<(), MemError> {
        let page = gpa / PAGE;
        if !self.pages.contains_key(&page) {
            return Err(MemError::Unmapped);
        }
        if self.no_read.contains(&page) {
            return Err(MemError::NoReadAccess);
        }
        if write && self.read_only.contains(&page) {
            return Err(MemError::NoWriteAccess);
        }
        Ok(())
    }

    fn load(&self, gpa: u64, len: u64) -> Result<u64, MemError> {
        let mut v = 0u64;
        for i in 0..len {
            let a = gpa.wrapping_add(i);
            self.check(a, false)?;
            let byte = self
                .pages
                .get(&(a / PAGE))
                .map_or(0, |p| p[(a % PAGE) as usize]);
            v |= u64::from(byte) << (8 * i);
        }
        Ok(v)
    }

    fn store(&mut self, gpa: u64, len: u64, v: u64) {
        for i in 0..len {
            let a = gpa.wrapping_add(i);
            let page = self
                .pages
                .entry(a / PAGE)
                .or_insert_with(|| Box::new([0; PAGE as usize]));
            page[(a % PAGE) as usize] = (v >> (8 * i)) as u8;
        }
    }

    fn exchange(
        &mut self,
        gpa: u64,
        len: u64,
        current: u64,
        new: u64,
    ) -> Result<Result<(), u64>, MemError> {
        for i in 0..len {
            self.check(gpa.wrapping_add(i), true)?;
        }
        let mut actual = self.load(gpa, len)?;
        if self.interfere > 0 {
            self.interfere -= 1;
            actual ^= 1 << 9;
            self.store(gpa, len, actual);
            return Ok(Err(actual));
        }
        if actual != current {
            return Ok(Err(actual));
        }
        self.store(gpa, len, new);
        self.exchanges += 1;
        Ok(Ok(()))
    }
}

impl FakeMemory {
    /// An empty memory: every address unmapped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps the (zeroed, if new) page holding `gpa`.
    pub fn map_page(&self, gpa: u64) {
        self.inner
            .borrow_mut()
            .pages
            .entry(gpa / PAGE)
            .or_insert_with(|| Box::new([0; PAGE as usize]));
    }

    /// Unmaps the page holding `gpa` (its contents are lost).
    pub fn unmap_page(&self, gpa: u64) {
        self.inner.borrow_mut().pages.remove(&(gpa / PAGE));
    }

    /// Makes the page holding `gpa` read-only (or writable again).
    pub fn set_read_only(&self, gpa: u64, read_only: bool) {
        let mut inner = self.inner.borrow_mut();
        if read_only {
            inner.read_only.insert(gpa / PAGE);
        } else {
            inner.read_only.remove(&(gpa / PAGE));
        }
    }

    /// Makes the page holding `gpa` unreadable (or readable again).
    pub fn set_no_read(&self, gpa: u64, no_read: bool) {
        let mut inner = self.inner.borrow_mut();
        if no_read {
            inner.no_read.insert(gpa / PAGE);
        } else {
            inner.no_read.remove(&(gpa / PAGE));
        }
    }

    /// Writes a 64-bit value, mapping pages as needed and ignoring rights.
    pub fn write_u64(&self, gpa: u64, value: u64) {
        self.inner.borrow_mut().store(gpa, 8, value);
    }

    /// Writes a 32-bit value, mapping pages as needed and ignoring rights.
    pub fn write_u32(&self, gpa: u64, value: u32) {
        self.inner.borrow_mut().store(gpa, 4, u64::from(value));
    }

    /// Reads a 64-bit value ignoring rights; `None` if unmapped.
    pub fn peek_u64(&self, gpa: u64) -> Option<u64> {
        let inner = self.inner.borrow();
        (0..8).try_fold(0u64, |v, i| {
            let a = gpa.wrapping_add(i);
            let page = inner.pages.get(&(a / PAGE))?;
            Some(v | u64::from(page[(a % PAGE) as usize]) << (8 * i))
        })
    }

    /// Reads a 32-bit value ignoring rights; `None` if unmapped.
    pub fn peek_u32(&self, gpa: u64) -> Option<u32> {
        self.peek_u64(gpa).map(|v| v as u32)
    }

    /// Makes the next `n` compare-exchanges lose their race: each flips bit 9
    /// of the entry (ignored in every format) and reports the new value.
    pub fn interfere_with_next_exchanges(&self, n: u32) {
        self.inner.borrow_mut().interfere = n;
    }

    /// How many compare-exchanges have stored a value.
    pub fn exchanges(&self) -> u32 {
        self.inner.borrow().exchanges
    }
}

impl GuestPhysMemory for FakeMemory {
    fn read_u32(&self, gpa: u64) -> Result<u32, MemError> {
        self.inner.borrow().load(gpa, 4).map(|v| v as u32)
    }

    fn read_u64(&self, gpa: u64) -> Result<u64, MemError> {
        self.inner.borrow().load(gpa, 8)
    }

    fn compare_exchange_u32(
        &self,
        gpa: u64,
        current: u32,
        new: u32,
    ) -> Result<Result<(), u32>, MemError> {
        self.inner
            .borrow_mut()
            .exchange(gpa, 4, u64::from(current), u64::from(new))
            .map(|r| r.map_err(|v| v as u32))
    }

    fn compare_exchange_u64(
        &self,
        gpa: u64,
        current: u64,
        new: u64,
    ) -> Result<Result<(), u64>, MemError> {
        self.inner.borrow_mut().exchange(gpa, 8, current, new)
    }
}

/// The entries one [`PageTables::map`] wrote or went through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// `(level, entry gpa)`, top level first, leaf last.
    pub entries: Vec<(u8, u64)>,
}

impl Mapping {
    /// The guest-physical address of the entry at `level` (1 = PTE).
    ///
    /// # Panics
    /// If the mapping has no entry at that level.
    pub fn entry(&self, level: u8) -> u64 {
        match self.entries.iter().find(|(l, _)| *l == level) {
            Some(&(_, gpa)) => gpa,
            None => panic!("mapping has no level-{level} entry: {self:?}"),
        }
    }

    /// The guest-physical address of the leaf entry.
    ///
    /// # Panics
    /// Never for a mapping [`PageTables::map`] returned.
    pub fn leaf(&self) -> u64 {
        match self.entries.last() {
            Some(&(_, gpa)) => gpa,
            None => panic!("empty mapping"),
        }
    }
}

/// A builder of paging structures in a [`FakeMemory`]: tables are allocated
/// page by page from `table_area` upwards.
#[derive(Debug)]
pub struct PageTables<'a> {
    mem: &'a FakeMemory,
    mode: PagingMode,
    root: u64,
    next: u64,
}

impl<'a> PageTables<'a> {
    /// An empty root table for `mode` at `table_area` (page aligned; for PAE
    /// the 32-byte PDPT sits at its start).
    ///
    /// # Panics
    /// If `mode` is [`PagingMode::Disabled`] or `table_area` is not page
    /// aligned.
    pub fn new(mem: &'a FakeMemory, mode: PagingMode, table_area: u64) -> Self {
        assert!(mode != PagingMode::Disabled, "no tables without paging");
        assert!(table_area % PAGE == 0, "table area must be page aligned");
        mem.map_page(table_area);
        Self {
            mem,
            mode,
            root: table_area,
            next: table_area + PAGE,
        }
    }

    /// The CR3 value that selects these tables.
    pub fn cr3(&self) -> u64 {
        self.root
    }

    /// The memory the tables live in.
    pub fn memory(&self) -> &'a FakeMemory {
        self.mem
    }

    /// Maps `gva` to `gpa` with a page of `size`. The leaf gets `leaf_flags`
    /// (PS is added for large pages); newly created tables are pointed to with
    /// `table_flags` (for PAE PDPTEs only P, PWT and PCD of them are kept).
    /// Existing tables are reused unchanged.
    ///
    /// # Panics
    /// If `size` does not exist in the mode, or `gva`/`gpa` are not aligned to
    /// it.
    pub fn map(
        &mut self,
        gva: u64,
        gpa: u64,
        size: PageSize,
        leaf_flags: u64,
        table_flags: u64,
    ) -> Mapping {
        let wide = self.mode != PagingMode::Bits32;
        let leaf_level = match (self.mode, size) {
            (_, PageSize::Size4K) => 1,
            (PagingMode::Bits32, PageSize::Size4M) => 2,
            (PagingMode::Pae | PagingMode::FourLevel | PagingMode::FiveLevel, PageSize::Size2M) => {
                2
            }
            (PagingMode::FourLevel | PagingMode::FiveLevel, PageSize::Size1G) => 3,
            _ => panic!("{size:?} pages do not exist in {:?}", self.mode),
        };
        assert!(
            gva % size.bytes() == 0 && gpa % size.bytes() == 0,
            "unaligned mapping"
        );

        let mut entries = Vec::new();
        let mut base = self.root;
        let mut level = self.mode.levels();
        loop {
            let (index, width) = if wide {
                ((gva >> (12 + 9 * (u32::from(level) - 1))) & 0x1ff, 8)
            } else {
                ((gva >> (12 + 10 * (u32::from(level) - 1))) & 0x3ff, 4)
            };
            let entry_gpa = base + index * width;
            entries.push((level, entry_gpa));
            if level == leaf_level {
                let value = match (self.mode, size) {
                    (PagingMode::Bits32, PageSize::Size4M) => {
                        (gpa & 0xffc0_0000) | (((gpa >> 32) & 0xff) << 13) | leaf_flags | PS
                    }
                    (_, PageSize::Size4K) => gpa | leaf_flags,
                    _ => gpa | leaf_flags | PS,
                };
                self.write_entry(entry_gpa, value);
                return Mapping { entries };
            }
            let existing = self.entry(entry_gpa);
            base = if existing & P != 0 {
                if wide {
                    existing & 0x000f_ffff_ffff_f000
                } else {
                    existing & 0xffff_f000
                }
            } else {
                let table = self.next;
                self.next += PAGE;
                self.mem.map_page(table);
                let flags = if self.mode == PagingMode::Pae && level == 3 {
                    table_flags & (P | PWT | PCD)
                } else {
                    table_flags
                };
                self.write_entry(entry_gpa, table | flags);
                table
            };
            level -= 1;
        }
    }

    /// The entry at `gpa`, in this mode's width (0 if unmapped).
    pub fn entry(&self, gpa: u64) -> u64 {
        if self.mode == PagingMode::Bits32 {
            self.mem.peek_u32(gpa).map_or(0, u64::from)
        } else {
            self.mem.peek_u64(gpa).unwrap_or(0)
        }
    }

    /// Overwrites the entry at `gpa`, in this mode's width.
    pub fn write_entry(&self, gpa: u64, value: u64) {
        if self.mode == PagingMode::Bits32 {
            self.mem.write_u32(gpa, value as u32);
        } else {
            self.mem.write_u64(gpa, value);
        }
    }

    /// Sets `bits` in the entry at `gpa`.
    pub fn set_bits(&self, gpa: u64, bits: u64) {
        self.write_entry(gpa, self.entry(gpa) | bits);
    }

    /// Clears `bits` in the entry at `gpa`.
    pub fn clear_bits(&self, gpa: u64, bits: u64) {
        self.write_entry(gpa, self.entry(gpa) & !bits);
    }
}
