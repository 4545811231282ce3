//! Where an image keeps its system structures: GDT, IDT, TSS, exception
//! handlers and record, stacks, page-table pool, the boot stub and the
//! default code address — all at fixed offsets from a system base, so a test
//! can find them again (and read the exception record) from the GPA alone.

use crate::error::{Error, Result};
use crate::memory::GuestMemory;

/// The addresses (GPAs, identity-mapped, so also linear addresses) of an
/// image's system structures, and the port the exception handlers report on.
///
/// [`Layout::at`] places them at fixed offsets from a base:
///
/// | offset | what |
/// | --- | --- |
/// | 0x0000 | unused (real-mode IVT area, left zero) |
/// | 0x1000 | GDT (0x1000 bytes reserved); the GDTR/IDTR pseudo-descriptors at +0xf00/+0xf10 |
/// | 0x2000 | IDT: 256 64-bit gates |
/// | 0x3000 | the [`ExceptionRecord`](crate::ExceptionRecord) |
/// | 0x4000 | exception handler code (8 KiB) |
/// | 0x6000 | kernel stack page, top at 0x7000 (TSS.RSP0) |
/// | 0x7000 | user stack page, top at 0x8000 |
/// | 0x8000 | boot stub (real mode → long mode); the CPL0→CPL3 `iretq` at 0x8800 |
/// | 0x9000 | 64-bit TSS with an I/O permission bitmap allowing every port (0x2069 bytes) |
/// | 0x10000 | page-table pool (16 pages: PML4, PDPT, PDs, then 4 KiB tables) |
/// | 0x20000 | default code address ([`Layout::code`]) |
///
/// Real mode and the boot stub need the base below 1 MiB (the stub's data
/// references are 16-bit offsets from segment 0, so in practice base 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The system base the offsets above are from.
    pub base: u64,
    /// The GDT.
    pub gdt: u64,
    /// The IDT.
    pub idt: u64,
    /// The 64-bit TSS.
    pub tss: u64,
    /// The exception record the handlers fill in.
    pub exception_record: u64,
    /// The exception handler code.
    pub handlers: u64,
    /// Top of the kernel stack (initial RSP at CPL0, and TSS.RSP0).
    pub kernel_stack_top: u64,
    /// Top of the user stack (initial RSP at CPL3).
    pub user_stack_top: u64,
    /// The boot stub (16-bit part; its 64-bit tail follows 0x100 bytes on).
    pub boot_stub: u64,
    /// The `iretq` that [`Guest::long64_user_via_iretq`](crate::Guest::long64_user_via_iretq) starts at.
    pub user_trampoline: u64,
    /// First page of the page-table pool (the PML4).
    pub page_tables: u64,
    /// One past the last byte of the page-table pool.
    pub page_tables_end: u64,
    /// Where code goes by default: the first byte after the system area.
    pub code: u64,
    /// How much of the address space, from 0, is identity-mapped with 2 MiB
    /// pages in the paged modes (default 4 GiB; at most 512 GiB).
    pub identity_map_bytes: u64,
    /// The I/O port the exception handlers report vector and error code on.
    pub exception_port: u16,
}

/// The default port the exception handlers report on.
pub const DEFAULT_EXCEPTION_PORT: u16 = 0x00ee;

impl Layout {
    /// The layout at system base `base` (page aligned), with the default
    /// identity map (4 GiB) and exception port ([`DEFAULT_EXCEPTION_PORT`]).
    pub const fn at(base: u64) -> Self {
        Self {
            base,
            gdt: base.saturating_add(0x1000),
            idt: base.saturating_add(0x2000),
            tss: base.saturating_add(0x9000),
            exception_record: base.saturating_add(0x3000),
            handlers: base.saturating_add(0x4000),
            kernel_stack_top: base.saturating_add(0x7000),
            user_stack_top: base.saturating_add(0x8000),
            boot_stub: base.saturating_add(0x8000),
            user_trampoline: base.saturating_add(0x8800),
            page_tables: base.saturating_add(0x10000),
            page_tables_end: base.saturating_add(0x20000),
            code: base.saturating_add(0x20000),
            identity_map_bytes: 4 << 30,
            exception_port: DEFAULT_EXCEPTION_PORT,
        }
    }

    /// Bytes from the base the system structures of [`Layout::at`] occupy
    /// (the smallest image that holds them is this plus the caller's code).
    pub const SYSTEM_SIZE: u64 = 0x20000;

    /// The system areas, as (name, first GPA, length), or an error if one
    /// of them cannot be formed (a stack top below 4 KiB, a page-table pool
    /// that ends before it starts).
    pub fn areas(&self) -> Result<[(&'static str, u64, u64); 10]> {
        let below =
            |what: &'static str, top: u64| top.checked_sub(0x1000).ok_or(Error::Layout(what));
        let pool = self
            .page_tables_end
            .checked_sub(self.page_tables)
            .filter(|len| *len >= 0x1000)
            .ok_or(Error::Layout("page-table pool is empty"))?;
        Ok([
            ("GDT", self.gdt, 0x1000),
            ("IDT", self.idt, 0x1000),
            ("TSS", self.tss, crate::tss::SIZE),
            (
                "exception record",
                self.exception_record,
                crate::idt::ExceptionRecord::SIZE as u64,
            ),
            ("exception handlers", self.handlers, Self::HANDLERS_SIZE),
            (
                "kernel stack",
                below("kernel stack top below 4 KiB", self.kernel_stack_top)?,
                0x1000,
            ),
            (
                "user stack",
                below("user stack top below 4 KiB", self.user_stack_top)?,
                0x1000,
            ),
            ("boot stub", self.boot_stub, Self::BOOT_STUB_SIZE),
            ("user trampoline", self.user_trampoline, 2),
            ("page-table pool", self.page_tables, pool),
        ])
    }

    /// Checks that every system area lies inside `memory` (overlaps between
    /// areas of a caller-made layout are the caller's business).
    pub fn check(&self, memory: &GuestMemory) -> Result<()> {
        for (_, start, len) in self.areas()? {
            if !memory.contains(start, len) {
                return Err(Error::OutOfRange {
                    gpa: start,
                    len,
                    base: memory.base(),
                    size: memory.size(),
                });
            }
        }
        Ok(())
    }

    /// One past the highest byte of any system area (all of which the
    /// paged modes need identity-mapped).
    pub fn end(&self) -> Result<u64> {
        let mut end = 0u64;
        for (_, start, len) in self.areas()? {
            end = end.max(
                start
                    .checked_add(len)
                    .ok_or(Error::Layout("system area wraps"))?,
            );
        }
        Ok(end)
    }

    /// Bytes reserved for the exception handler code.
    pub const HANDLERS_SIZE: u64 = 0x2000;

    /// Bytes reserved for the boot stub: its 16-bit part and 64-bit tail.
    pub const BOOT_STUB_SIZE: u64 = 0x200;

    /// GPA of the GDTR pseudo-descriptor (limit:u16, base:u64) the boot stub loads.
    pub const fn gdtr_pointer(&self) -> u64 {
        self.gdt + 0xf00
    }

    /// GPA of the IDTR pseudo-descriptor the boot stub loads.
    pub const fn idtr_pointer(&self) -> u64 {
        self.gdt + 0xf10
    }
}
