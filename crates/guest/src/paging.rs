//! 4-level (x86-64) page tables built in guest memory: an identity map with
//! 2 MiB pages, and 4 KiB pages wherever a test needs different rights.
//!
//! Intermediate entries (PML4E, PDPTE, and a PDE pointing to a page table)
//! always carry Present | Writable | User, so the leaf entry alone decides
//! the rights of an address.

use crate::error::{Error, Result};
use crate::memory::GuestMemory;

/// Page-table entry bits.
pub mod pte {
    /// P: present.
    pub const PRESENT: u64 = 1 << 0;
    /// R/W: writable.
    pub const WRITABLE: u64 = 1 << 1;
    /// U/S: accessible at CPL3.
    pub const USER: u64 = 1 << 2;
    /// PWT: write-through.
    pub const WRITE_THROUGH: u64 = 1 << 3;
    /// PCD: cache disable.
    pub const CACHE_DISABLE: u64 = 1 << 4;
    /// A: accessed (set by the CPU).
    pub const ACCESSED: u64 = 1 << 5;
    /// D: dirty (set by the CPU).
    pub const DIRTY: u64 = 1 << 6;
    /// PS: in a PDE or PDPTE, maps a large page.
    pub const LARGE: u64 = 1 << 7;
    /// G: global.
    pub const GLOBAL: u64 = 1 << 8;
    /// XD/NX: no execute (needs EFER.NXE, which the paged entry states set).
    pub const NO_EXECUTE: u64 = 1 << 63;
    /// Present, writable, user: the rights of the identity map.
    pub const RW_USER: u64 = PRESENT | WRITABLE | USER;
    /// Bits of an entry that hold the physical address.
    pub const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;
}

const PAGE_4K: u64 = 0x1000;
const PAGE_2M: u64 = 0x20_0000;
/// Flag bits copied from a 2 MiB entry to the 4 KiB entries it splits into.
const LEAF_FLAGS: u64 = 0x17f | pte::NO_EXECUTE;

/// Page tables living in guest memory, with a bump allocator over a pool of
/// pages (the first of which is the PML4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageTables {
    root: u64,
    next: u64,
    end: u64,
}

impl PageTables {
    /// Empty tables: a zeroed PML4 at `pool_start`, further table pages
    /// taken from `[pool_start + 4 KiB, pool_end)`.
    pub fn new(memory: &mut GuestMemory, pool_start: u64, pool_end: u64) -> Result<Self> {
        check_aligned("page-table pool start", pool_start, PAGE_4K)?;
        check_aligned("page-table pool end", pool_end, PAGE_4K)?;
        let mut tables = Self {
            root: pool_start,
            next: pool_start,
            end: pool_end,
        };
        tables.root = tables.alloc(memory)?;
        Ok(tables)
    }

    /// The GPA of the PML4: the value for CR3.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// Pages left in the pool.
    pub fn free_pages(&self) -> u64 {
        (self.end - self.next) / PAGE_4K
    }

    /// Identity-maps `[0, bytes)` with 2 MiB pages carrying `flags`
    /// (e.g. [`pte::RW_USER`]). `bytes` is rounded up to 2 MiB; at most
    /// 512 GiB (one PDPT).
    pub fn identity_map_2m(
        &mut self,
        memory: &mut GuestMemory,
        bytes: u64,
        flags: u64,
    ) -> Result<()> {
        if bytes > 512 << 30 {
            return Err(Error::Layout("identity map larger than 512 GiB"));
        }
        let mut gpa = 0;
        while gpa < bytes {
            let pd = self.table_for(memory, gpa, 2)?;
            memory.write_u64(pd + 8 * index(gpa, 2), gpa | flags | pte::LARGE)?;
            gpa += PAGE_2M;
        }
        Ok(())
    }

    /// Maps the 4 KiB page at `gva` to `gpa` with leaf `flags` (include
    /// [`pte::PRESENT`]; leave out [`pte::USER`] for a supervisor page),
    /// splitting a 2 MiB page that covers `gva` into 4 KiB pages first
    /// (they keep the large page's mapping and rights).
    pub fn map_4k(
        &mut self,
        memory: &mut GuestMemory,
        gva: u64,
        gpa: u64,
        flags: u64,
    ) -> Result<()> {
        check_aligned("gva", gva, PAGE_4K)?;
        check_aligned("gpa", gpa, PAGE_4K)?;
        let pt = self.table_for(memory, gva, 1)?;
        memory.write_u64(pt + 8 * index(gva, 1), gpa | flags)
    }

    /// Makes the 4 KiB page at `gva` not present (an access faults with #PF).
    pub fn unmap_4k(&mut self, memory: &mut GuestMemory, gva: u64) -> Result<()> {
        check_aligned("gva", gva, PAGE_4K)?;
        let pt = self.table_for(memory, gva, 1)?;
        memory.write_u64(pt + 8 * index(gva, 1), 0)
    }

    /// Walks the tables: the GPA `gva` maps to and the leaf entry's flag
    /// bits, or [`Error::NotMapped`].
    pub fn translate(&self, memory: &GuestMemory, gva: u64) -> Result<(u64, u64)> {
        check_canonical(gva)?;
        let mut table = self.root;
        for level in (1..=4).rev() {
            let entry = memory.read_u64(table + 8 * index(gva, level))?;
            if entry & pte::PRESENT == 0 {
                return Err(Error::NotMapped(gva));
            }
            let page_size = 1u64 << (12 + 9 * (level - 1));
            if level == 1 || (level <= 3 && entry & pte::LARGE != 0) {
                let frame = entry & pte::ADDRESS_MASK & !(page_size - 1);
                return Ok((frame | (gva & (page_size - 1)), entry & !pte::ADDRESS_MASK));
            }
            table = entry & pte::ADDRESS_MASK;
        }
        Err(Error::NotMapped(gva))
    }

    /// The table at `level` (1 = page table, 2 = page directory, 3 = PDPT)
    /// that holds the entry for `gva`, creating missing tables and splitting
    /// a large page on the way.
    fn table_for(&mut self, memory: &mut GuestMemory, gva: u64, level: u32) -> Result<u64> {
        check_canonical(gva)?;
        let mut table = self.root;
        for upper in ((level + 1)..=4).rev() {
            let slot = table + 8 * index(gva, upper);
            let entry = memory.read_u64(slot)?;
            table = if entry & pte::PRESENT == 0 {
                let page = self.alloc(memory)?;
                memory.write_u64(slot, page | pte::RW_USER)?;
                page
            } else if entry & pte::LARGE != 0 {
                if upper != 2 {
                    return Err(Error::Layout("cannot split a 1 GiB page"));
                }
                let page = self.alloc(memory)?;
                let frame = entry & pte::ADDRESS_MASK & !(PAGE_2M - 1);
                let flags = entry & LEAF_FLAGS & !pte::LARGE;
                for i in 0..512 {
                    memory.write_u64(page + 8 * i, (frame + i * PAGE_4K) | flags)?;
                }
                memory.write_u64(slot, page | pte::RW_USER)?;
                page
            } else {
                entry & pte::ADDRESS_MASK
            };
        }
        Ok(table)
    }

    /// A zeroed page from the pool.
    fn alloc(&mut self, memory: &mut GuestMemory) -> Result<u64> {
        if self.next >= self.end {
            return Err(Error::PageTablesFull);
        }
        let page = self.next;
        memory.write(page, &[0; PAGE_4K as usize])?;
        self.next += PAGE_4K;
        Ok(page)
    }
}

/// The 9-bit index of `gva` in a table at `level` (1 = PT … 4 = PML4).
fn index(gva: u64, level: u32) -> u64 {
    (gva >> (12 + 9 * (level - 1))) & 511
}

fn check_aligned(what: &'static str, value: u64, align: u64) -> Result<()> {
    if value % align != 0 {
        return Err(Error::Misaligned { what, value, align });
    }
    Ok(())
}

fn check_canonical(gva: u64) -> Result<()> {
    let top = gva >> 47;
    if top != 0 && top != 0x1_ffff {
        return Err(Error::NotMapped(gva));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> (GuestMemory, PageTables) {
        let mut memory = GuestMemory::new(0, 0x20000);
        let tables = PageTables::new(&mut memory, 0x10000, 0x20000).unwrap();
        (memory, tables)
    }

    #[test]
    fn identity_map_translates_every_2m_page() {
        let (mut memory, mut tables) = tables();
        tables
            .identity_map_2m(&mut memory, 4 << 30, pte::RW_USER)
            .unwrap();
        assert_eq!(tables.free_pages(), 16 - 1 - 1 - 4);
        let (gpa, flags) = tables.translate(&memory, 0xfee0_0123).unwrap();
        assert_eq!(gpa, 0xfee0_0123);
        assert_eq!(
            flags & (pte::RW_USER | pte::LARGE),
            pte::RW_USER | pte::LARGE
        );
        assert!(matches!(
            tables.translate(&memory, 4 << 30),
            Err(Error::NotMapped(_))
        ));
        assert!(matches!(
            tables.translate(&memory, 1 << 47),
            Err(Error::NotMapped(_))
        ));
    }

    #[test]
    fn map_4k_splits_and_keeps_the_neighbours() {
        let (mut memory, mut tables) = tables();
        tables
            .identity_map_2m(&mut memory, 1 << 30, pte::RW_USER)
            .unwrap();
        tables
            .map_4k(
                &mut memory,
                0x20_3000,
                0x5000,
                pte::PRESENT | pte::NO_EXECUTE,
            )
            .unwrap();
        assert_eq!(
            tables.translate(&memory, 0x20_3abc).unwrap(),
            (0x5abc, pte::PRESENT | pte::NO_EXECUTE)
        );
        assert_eq!(
            tables.translate(&memory, 0x20_4000).unwrap(),
            (0x20_4000, pte::RW_USER)
        );
        tables.unmap_4k(&mut memory, 0x20_4000).unwrap();
        assert!(tables.translate(&memory, 0x20_4000).is_err());
        assert!(
            tables
                .map_4k(&mut memory, 0x20_4001, 0, pte::PRESENT)
                .is_err()
        );
    }

    #[test]
    fn pool_exhaustion_is_an_error_not_a_panic() {
        let mut memory = GuestMemory::new(0, 0x20000);
        let mut tables = PageTables::new(&mut memory, 0x10000, 0x12000).unwrap();
        assert!(matches!(
            tables.identity_map_2m(&mut memory, 2 << 30, pte::RW_USER),
            Err(Error::PageTablesFull)
        ));
    }
}
