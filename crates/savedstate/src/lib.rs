//! winhv-savedstate: the reader behind vmsavedstatedumpprovider.dll. It
//! opens a VM's saved state and answers what a debugger or forensics tool
//! asks of it: the virtual processors and their registers, the paging
//! mode, guest-virtual to guest-physical translation (through the shared
//! page walker, `winhv-paging`), guest-physical and raw saved memory, the
//! PE images in a VP's address space.
//! Pure code: no KVM; the only `unsafe` maps files (`source`).
//!
//! Inputs, told apart by their first bytes:
//! * QEMU `dump-guest-memory` ELF cores, ELF32 and ELF64 (`elf`);
//! * Hyper-V `.vmrs` saved states, the HyperVStorage container ([`vmrs`],
//!   which can also write them).
//!
//! | module | owns |
//! | --- | --- |
//! | `state` | [`SavedState`]: the loaded model and every query, the `Force*` overrides |
//! | `vp` | [`Vp`], [`VtlState`]: a VP's registers per VTL, its paging state, mode, CPL, architecture |
//! | `registers` | [`RegisterFile`]: registers by `REGISTER_ID` and by `WHV_REGISTER_NAME` |
//! | `memory` | [`PhysMemory`]: saved GPA ranges, physical and raw reads, memory chunks, the walker's memory |
//! | `fixes` | [`Fixes`]: guest memory fixes laid over physical reads (`ApplyGuestMemoryFix`) |
//! | `images` | [`DosImage`]: PE images found in a VP's address space (`ScanMemoryForDosImages`) |
//! | `elf` | the QEMU ELF core reader |
//! | [`vmrs`] | the `.vmrs` reader ([`vmrs::hvs`] container, [`vmrs::partition`] state) and writer ([`vmrs::write`]) |
//! | [`xpress`] | the XPRESS Plain LZ77 codec of compressed `.vmrs` RAM blocks |
//! | `source` | [`Source`]: the mapped file and bounds-checked field access |
//! | `error` | [`Error`]: the HRESULT Windows returns, with context |
//!
//! Bad input — truncated files, bad checksums, cyclic or overlapping
//! tables, absurd sizes — is an [`Error`], never a panic or a read outside
//! the file (`tests/fuzz.rs` holds the reader to that).
//!
//! ```
//! use winhv_savedstate::SavedState;
//! let err = SavedState::from_bytes(b"not a saved state".to_vec()).unwrap_err();
//! assert_eq!(err.hresult, winhv_defs::HRESULT_ERROR_BAD_FORMAT);
//! ```
#![deny(unsafe_code)]
#![allow(
    non_upper_case_globals,
    reason = "Windows' constant names (X64_RegisterRax, Paging_Long) in patterns"
)]

mod elf;
mod error;
mod fixes;
mod images;
mod memory;
mod registers;
#[allow(unsafe_code, reason = "mapping saved-state files (mmap, flock)")]
mod source;
mod state;
pub mod vmrs;
mod vp;
pub mod xpress;

pub use error::{Error, Result};
pub use fixes::Fixes;
pub use images::DosImage;
pub use memory::{
    BLOCK_CACHE_BLOCKS, Backing, COMPRESSED_BLOCK_SIZE, PAGE_SIZE, PhysMemory, PhysMemoryBuilder,
    RawPiece, Region, SavedMemory,
};
pub use registers::{
    GENERAL_REGISTERS, RegisterFile, Segment, Table, X64_REGISTER_COUNT, register_id_of,
};
pub use source::Source;
pub use state::{Format, Gva, Parsed, SavedState};
pub use vp::{Vp, VtlState, force_mode, paging_mode_of};
