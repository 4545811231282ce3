//! [`Guest`]: a guest image under construction — its memory, its layout and
//! (once a paged mode asked for them) its page tables.

use iced_x86::code_asm::CodeAssembler;

use crate::asm::{IcedError, assemble};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::memory::GuestMemory;
use crate::paging::{PageTables, pte};

/// A guest image: memory with the system structures of [`Layout`] placed on
/// demand by the entry-state methods (see `entry.rs`: [`Guest::real_mode`],
/// [`Guest::protected32`], [`Guest::long64`], [`Guest::long64_user`],
/// [`Guest::boot_stub`]).
///
/// ```
/// use winhv_guest::{Guest, asm::code_asm::*};
/// let mut guest = Guest::new(0, 1 << 20)?;
/// let entry = guest.layout().code;
/// guest.assemble_at(64, entry, |a| { a.mov(al, 0x41)?; a.out(0x80, al)?; a.hlt() })?;
/// let regs = guest.long64(entry)?;
/// assert_eq!(regs.rip, entry);
/// assert_eq!(regs.cr3, guest.layout().page_tables);
/// assert_eq!(guest.translate(0x1234_5678)?.0, 0x1234_5678);
/// # Ok::<(), winhv_guest::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Guest {
    memory: GuestMemory,
    layout: Layout,
    page_tables: Option<PageTables>,
}

impl Guest {
    /// An image of `size` bytes of RAM at GPA `base`, with the default
    /// [`Layout::at`]`(base)`. `size` must cover [`Layout::SYSTEM_SIZE`].
    pub fn new(base: u64, size: usize) -> Result<Self> {
        Self::with_layout(GuestMemory::new(base, size), Layout::at(base))
    }

    /// An image over existing `memory` with a caller-chosen `layout` (for
    /// another exception port or identity-map size). Every system area of
    /// the layout must lie inside `memory` ([`Layout::check`]).
    pub fn with_layout(memory: GuestMemory, layout: Layout) -> Result<Self> {
        if layout.base % 0x1000 != 0 {
            return Err(Error::Misaligned {
                what: "layout base",
                value: layout.base,
                align: 0x1000,
            });
        }
        layout.check(&memory)?;
        Ok(Self {
            memory,
            layout,
            page_tables: None,
        })
    }

    /// The layout of the system structures.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The memory image.
    pub fn memory(&self) -> &GuestMemory {
        &self.memory
    }

    /// The memory image, mutable.
    pub fn memory_mut(&mut self) -> &mut GuestMemory {
        &mut self.memory
    }

    /// Consumes the builder, returning the memory image.
    pub fn into_memory(self) -> GuestMemory {
        self.memory
    }

    /// Copies `data` to `gpa`.
    pub fn write(&mut self, gpa: u64, data: &[u8]) -> Result<()> {
        self.memory.write(gpa, data)
    }

    /// Assembles `build` for `bitness` as code starting at `gpa` and places
    /// it there; returns the GPA one past its last byte. For 16-bit code the
    /// assembler's IP is `gpa & 0xffff`, which matches the CS that
    /// [`Guest::real_mode`]`(gpa)` sets (base `gpa & 0xf0000`).
    pub fn assemble_at(
        &mut self,
        bitness: u32,
        gpa: u64,
        build: impl FnOnce(&mut CodeAssembler) -> core::result::Result<(), IcedError>,
    ) -> Result<u64> {
        let ip = if bitness == 16 { gpa & 0xffff } else { gpa };
        let code = assemble(bitness, ip, build)?;
        self.memory.write(gpa, &code)?;
        Ok(gpa + code.len() as u64)
    }

    /// The page tables, built on first use: an identity map of
    /// `layout.identity_map_bytes` with 2 MiB pages, present, writable and
    /// user-accessible.
    pub fn page_tables(&mut self) -> Result<&PageTables> {
        Ok(self.memory_and_tables()?.1)
    }

    /// Walks the page tables (built now if they were not yet): the GPA
    /// `gva` maps to and the leaf entry's flags (see [`PageTables::translate`]).
    pub fn translate(&mut self, gva: u64) -> Result<(u64, u64)> {
        let (memory, tables) = self.memory_and_tables()?;
        tables.translate(memory, gva)
    }

    /// Maps the 4 KiB page at `gva` to `gpa` with leaf `flags` (see
    /// [`PageTables::map_4k`]); e.g. `flags = pte::PRESENT | pte::WRITABLE`
    /// makes a supervisor-only page that faults at CPL3.
    pub fn map_4k(&mut self, gva: u64, gpa: u64, flags: u64) -> Result<()> {
        let (memory, tables) = self.memory_and_tables()?;
        tables.map_4k(memory, gva, gpa, flags)
    }

    /// Makes the 4 KiB page at `gva` not present (an access raises #PF).
    pub fn unmap_4k(&mut self, gva: u64) -> Result<()> {
        let (memory, tables) = self.memory_and_tables()?;
        tables.unmap_4k(memory, gva)
    }

    /// The memory and the page tables (built now if they were not yet).
    fn memory_and_tables(&mut self) -> Result<(&mut GuestMemory, &mut PageTables)> {
        let tables = match self.page_tables.take() {
            Some(tables) => tables,
            None => {
                let mut tables = PageTables::new(
                    &mut self.memory,
                    self.layout.page_tables,
                    self.layout.page_tables_end,
                )?;
                tables.identity_map_2m(
                    &mut self.memory,
                    self.layout.identity_map_bytes,
                    pte::RW_USER,
                )?;
                tables
            }
        };
        let tables = self.page_tables.insert(tables);
        Ok((&mut self.memory, tables))
    }
}
