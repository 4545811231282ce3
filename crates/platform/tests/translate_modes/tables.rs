//! Page tables for every x86 paging mode, built into a `winhv_guest`
//! image: 32-bit paging (4-byte entries, 4 KiB and 4 MiB pages), PAE (a
//! 4-entry PDPT, 4 KiB and 2 MiB pages) and 4-/5-level long mode (4 KiB,
//! 2 MiB and 1 GiB pages). Each mapping reports the guest-physical address
//! of every entry on its walk, so a test can edit one level at a time
//! through the partition (WHvRead/WriteGpaRange).

use winhv_guest::GuestMemory;

/// Present.
pub const P: u64 = 1 << 0;
/// Read/write.
pub const RW: u64 = 1 << 1;
/// User/supervisor.
pub const US: u64 = 1 << 2;
/// Accessed.
pub const A: u64 = 1 << 5;
/// Dirty.
pub const D: u64 = 1 << 6;
/// Page size (a large leaf).
pub const PS: u64 = 1 << 7;
/// Execute-disable.
pub const XD: u64 = 1 << 63;

/// A paging mode with tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 32-bit paging.
    Bits32,
    /// PAE paging.
    Pae,
    /// 4-level long mode.
    Long4,
    /// 5-level long mode (CR4.LA57).
    Long5,
}

impl Mode {
    /// Levels walked (the PAE PDPT counts as level 3).
    pub fn levels(self) -> u8 {
        match self {
            Mode::Bits32 => 2,
            Mode::Pae => 3,
            Mode::Long4 => 4,
            Mode::Long5 => 5,
        }
    }

    /// Whether entries are 8 bytes.
    pub fn wide(self) -> bool {
        self != Mode::Bits32
    }

    /// The physical-address field of an entry that points to a table (for
    /// the PAE PDPT pointer in CR3 see [`Tables::cr3`]).
    pub fn address_mask(self) -> u64 {
        if self.wide() {
            0x000f_ffff_ffff_f000
        } else {
            0xffff_f000
        }
    }

    /// The flags of an entry that points to a table: PAE PDPTEs have only
    /// P (their R/W and U/S bits are reserved).
    pub fn table_flags(self, level: u8) -> u64 {
        if self == Mode::Pae && level == 3 {
            P
        } else {
            P | RW | US
        }
    }

    /// The index of `gva`'s entry in the table of `level`, and the entry
    /// size.
    fn index(self, gva: u64, level: u8) -> (u64, u64) {
        match self {
            Mode::Bits32 => ((gva >> (12 + 10 * (u32::from(level) - 1))) & 0x3ff, 4),
            Mode::Pae if level == 3 => ((gva >> 30) & 3, 8),
            _ => ((gva >> (12 + 9 * (u32::from(level) - 1))) & 0x1ff, 8),
        }
    }
}

/// A page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 4 KiB (level 1).
    K4,
    /// 2 MiB (a PAE or long-mode PDE).
    M2,
    /// 4 MiB (a 32-bit PDE with CR4.PSE).
    M4,
    /// 1 GiB (a long-mode PDPTE).
    G1,
}

impl Size {
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        match self {
            Size::K4 => 0x1000,
            Size::M2 => 0x20_0000,
            Size::M4 => 0x40_0000,
            Size::G1 => 0x4000_0000,
        }
    }

    /// The level of its leaf entry.
    pub fn level(self) -> u8 {
        match self {
            Size::K4 => 1,
            Size::M2 | Size::M4 => 2,
            Size::G1 => 3,
        }
    }
}

/// The GPAs of the entries of one mapping's walk: `entry(level)`.
#[derive(Clone, Copy, Debug)]
pub struct Walk {
    entries: [u64; 5],
    /// The level of the leaf.
    pub leaf: u8,
    /// The paging mode.
    pub mode: Mode,
}

impl Walk {
    /// The GPA of the entry at `level` (1 = PTE … 5 = PML5E).
    pub fn entry(&self, level: u8) -> u64 {
        self.entries[usize::from(level) - 1]
    }

    /// The levels walked, top first.
    pub fn levels(&self) -> impl Iterator<Item = u8> + use<> {
        (self.leaf..=self.mode.levels()).rev()
    }
}

/// Page tables in a guest image, with table pages taken from a pool.
pub struct Tables {
    mode: Mode,
    root: u64,
    next: u64,
    end: u64,
}

impl Tables {
    /// Empty tables with their root at the start of `[pool, pool_end)`.
    pub fn new(mem: &mut GuestMemory, mode: Mode, pool: u64, pool_end: u64) -> Tables {
        let mut t = Tables {
            mode,
            root: 0,
            next: pool,
            end: pool_end,
        };
        t.root = t.alloc(mem);
        t
    }

    /// The value for CR3.
    pub fn cr3(&self) -> u64 {
        self.root
    }

    fn alloc(&mut self, mem: &mut GuestMemory) -> u64 {
        assert!(self.next < self.end, "page-table pool exhausted");
        let page = self.next;
        self.next += 0x1000;
        mem.write(page, &[0; 0x1000])
            .expect("pool inside the image");
        page
    }

    fn read(&self, mem: &GuestMemory, gpa: u64) -> u64 {
        if self.mode.wide() {
            mem.read_u64(gpa).expect("entry inside the image")
        } else {
            let b = mem.read(gpa, 4).expect("entry inside the image");
            u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
    }

    fn write(&self, mem: &mut GuestMemory, gpa: u64, value: u64) {
        if self.mode.wide() {
            mem.write_u64(gpa, value)
        } else {
            mem.write_u32(gpa, u32::try_from(value).expect("32-bit entry"))
        }
        .expect("entry inside the image");
    }

    /// Maps the page of `size` at `gva` to `gpa` with leaf `flags` (P
    /// included; PS is added for large pages; a 4 MiB page's GPA bits 39:32
    /// go to entry bits 20:13, PSE-36). Tables on the way are created with
    /// [`Mode::table_flags`] and Accessed clear. Returns the entry GPAs.
    pub fn map(
        &mut self,
        mem: &mut GuestMemory,
        gva: u64,
        gpa: u64,
        size: Size,
        flags: u64,
    ) -> Walk {
        assert_eq!(gva % size.bytes(), 0, "gva alignment");
        assert_eq!(gpa % size.bytes(), 0, "gpa alignment");
        let mode = self.mode;
        let mut entries = [0; 5];
        let mut table = self.root;
        for level in (size.level()..=mode.levels()).rev() {
            let (index, width) = mode.index(gva, level);
            let at = table + index * width;
            entries[usize::from(level) - 1] = at;
            if level == size.level() {
                let value = match size {
                    Size::K4 => gpa | flags,
                    Size::M4 => (gpa & 0xffc0_0000) | ((gpa >> 32) & 0xff) << 13 | flags | PS,
                    Size::M2 | Size::G1 => gpa | flags | PS,
                };
                self.write(mem, at, value);
                break;
            }
            let old = self.read(mem, at);
            table = if old & P != 0 {
                assert_eq!(old & PS, 0, "a large page is in the way");
                old & mode.address_mask()
            } else {
                let new = self.alloc(mem);
                self.write(mem, at, new | mode.table_flags(level));
                new
            };
        }
        Walk {
            entries,
            leaf: size.level(),
            mode,
        }
    }
}
