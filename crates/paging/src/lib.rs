//! winhv-paging: the x86 guest page walker behind WHvTranslateGva, shared by
//! the platform, the instruction emulator and the saved-state reader. Pure
//! code: no KVM, no `unsafe`; guest memory is reached through the
//! [`GuestPhysMemory`] trait.
//!
//! | module | owns |
//! | --- | --- |
//! | `walk` | [`translate`], the walk of every paging mode |
//! | `access` | the access-rights check (U/S, R/W with CR0.WP, XD, SMEP, SMAP, keys) |
//! | [`entry`] | entry bits and the reserved-bit masks per mode and level |
//! | `state` | [`PagingState`] (the registers used) and [`PagingMode`] |
//! | [`regs`] | the CR0/CR4/EFER/RFLAGS bits read |
//! | `flags` | [`TranslateFlags`] = `WHV_TRANSLATE_GVA_FLAGS` |
//! | `result_code` | [`TranslateResultCode`] = `WHV_TRANSLATE_GVA_RESULT_CODE` |
//! | `translation` | [`Translation`], [`PageSize`]: a successful walk |
//! | `fault` | [`Fault`], [`FaultKind`], [`PageFaultErrorCode`], [`TranslateError`] |
//! | `memory` | [`GuestPhysMemory`], [`MemError`] |
//! | `whv` | `From`/`TryFrom` between these types and `winhv-defs`' `WHV_TRANSLATE_GVA_*` |
//! | [`testing`] | a fake guest memory and a page-table builder, for tests here and in other crates |
//!
//! Modes: paging off (GPA = address truncated to 32 bits), 32-bit paging
//! (4 KiB, 4 MiB with CR4.PSE and PSE-36), PAE (4 KiB, 2 MiB, NX), 4- and
//! 5-level long mode (4 KiB, 2 MiB, 1 GiB; canonical check).
//!
//! What this walker does not model: shadow-stack accesses, linear-address
//! masking (LAM), HLAT, overlay pages and VTLs (so it never produces
//! `GpaIllegalOverlayAccess` or `Intercept`), memory types (PAT/MTRR), and the
//! final GPA's mapping (WHvTranslateGva translates MMIO addresses too).
#![forbid(unsafe_code)]

mod access;
pub mod entry;
mod fault;
mod flags;
mod memory;
pub mod regs;
mod result_code;
mod state;
mod translation;
mod walk;
mod whv;

pub mod testing;

#[cfg(test)]
mod tests;

pub use fault::{Exception, Fault, FaultKind, PageFaultErrorCode, TranslateError, Violation};
pub use flags::TranslateFlags;
pub use memory::{GuestPhysMemory, MemError};
pub use result_code::TranslateResultCode;
pub use state::{PagingMode, PagingState};
pub use translation::{PageSize, Translation};
pub use walk::{MAX_ATTEMPTS, translate};
