//! The walker's tests, table-driven, over fake guest memory built with
//! [`crate::testing`]. One file per concern.

mod abi;
mod accessed_dirty;
mod addresses;
mod gpa_errors;
mod not_present;
mod page_sizes;
mod reserved;
mod rights;

use crate::regs::*;
use crate::testing::{FakeMemory, Mapping, PageTables};
use crate::{PageSize, PagingMode, PagingState, TranslateFlags, translate};

/// Where test page tables start.
pub(super) const TABLES: u64 = 0x10_0000;

/// Read, write and execute validated.
pub(super) const RWX: TranslateFlags = TranslateFlags::VALIDATE_READ
    .union(TranslateFlags::VALIDATE_WRITE)
    .union(TranslateFlags::VALIDATE_EXECUTE);

/// The paging modes that walk tables.
pub(super) const PAGED: [PagingMode; 4] = [
    PagingMode::Bits32,
    PagingMode::Pae,
    PagingMode::FourLevel,
    PagingMode::FiveLevel,
];

/// The page sizes each mode has.
pub(super) fn sizes(mode: PagingMode) -> &'static [PageSize] {
    match mode {
        PagingMode::Disabled => &[],
        PagingMode::Bits32 => &[PageSize::Size4K, PageSize::Size4M],
        PagingMode::Pae => &[PageSize::Size4K, PageSize::Size2M],
        PagingMode::FourLevel | PagingMode::FiveLevel => {
            &[PageSize::Size4K, PageSize::Size2M, PageSize::Size1G]
        }
    }
}

/// A CPL-0 state for `mode` with CR0.WP, CR4.PSE (32-bit) and EFER.NXE
/// (PAE/long) set, nothing else.
pub(super) fn state(mode: PagingMode, cr3: u64) -> PagingState {
    let (cr4, efer) = match mode {
        PagingMode::Disabled => (0, 0),
        PagingMode::Bits32 => (CR4_PSE, 0),
        PagingMode::Pae => (CR4_PAE, EFER_NXE),
        PagingMode::FourLevel => (CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE),
        PagingMode::FiveLevel => (CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA | EFER_NXE),
    };
    let cr0 = if mode == PagingMode::Disabled {
        CR0_PE
    } else {
        CR0_PE | CR0_PG | CR0_WP
    };
    let s = PagingState {
        cr0,
        cr3,
        cr4,
        efer,
        ..PagingState::default()
    };
    assert_eq!(s.mode(), mode);
    s
}

/// A GVA (aligned to `size`) exercising high index bits of `mode`.
pub(super) fn gva_for(mode: PagingMode, size: PageSize) -> u64 {
    let raw = match mode {
        PagingMode::Disabled | PagingMode::Bits32 | PagingMode::Pae => 0xc0c0_0000 | 0x1_5000,
        PagingMode::FourLevel => 0xffff_a5c3_8140_0000 | 0x4f_3000,
        PagingMode::FiveLevel => 0xff3c_a5c3_8140_0000 | 0x4f_3000,
    };
    raw & !(size.bytes() - 1)
}

/// A GPA (aligned to `size`) distinct from the tables.
pub(super) fn gpa_for(mode: PagingMode, size: PageSize) -> u64 {
    let raw = match mode {
        // PSE-36: a 4 MiB page above 4 GiB.
        PagingMode::Bits32 if size == PageSize::Size4M => 0x12_3440_0000,
        PagingMode::Bits32 => 0x8765_4000,
        // Below 2^40, so tests can lower MAXPHYADDR to 40.
        _ => 0xa5_4000_0000 | 0x1234_5000,
    };
    raw & !(size.bytes() - 1)
}

/// One page of `size` mapped user-writable in `mode`, and the state to use it.
pub(super) struct Setup {
    pub mem: FakeMemory,
    pub mapping: Mapping,
    pub state: PagingState,
    pub gva: u64,
    pub gpa: u64,
}

impl Setup {
    /// Maps `gva_for(mode, size)` → `gpa_for(mode, size)` with `leaf` flags
    /// and `table` flags on the tables above it.
    pub fn new(mode: PagingMode, size: PageSize, leaf: u64, table: u64) -> Self {
        let mem = FakeMemory::new();
        let gva = gva_for(mode, size);
        let gpa = gpa_for(mode, size);
        let mut pt = PageTables::new(&mem, mode, TABLES);
        let mapping = pt.map(gva, gpa, size, leaf, table);
        let state = state(mode, pt.cr3());
        Self {
            mem,
            mapping,
            state,
            gva,
            gpa,
        }
    }

    /// The tables, for editing entries.
    pub fn tables(&self) -> PageTables<'_> {
        PageTables::new(&self.mem, self.state.mode(), TABLES)
    }

    /// Translates `gva + offset` with `flags`.
    pub fn translate(
        &self,
        offset: u64,
        flags: TranslateFlags,
    ) -> Result<crate::Translation, crate::TranslateError> {
        translate(&self.mem, &self.state, self.gva + offset, flags)
    }
}
