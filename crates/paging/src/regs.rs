//! The control-register, EFER and RFLAGS bits the page walker reads, named as
//! in the Intel SDM. Callers build a [`PagingState`](crate::PagingState) from
//! raw register values; these constants let them (and tests) spell the bits.

/// CR0.PE: protected mode.
pub const CR0_PE: u64 = 1 << 0;
/// CR0.WP: supervisor writes honour read-only pages.
pub const CR0_WP: u64 = 1 << 16;
/// CR0.PG: paging.
pub const CR0_PG: u64 = 1 << 31;

/// CR4.PSE: 4 MiB pages in 32-bit paging.
pub const CR4_PSE: u64 = 1 << 4;
/// CR4.PAE: physical address extension (PAE and long-mode paging).
pub const CR4_PAE: u64 = 1 << 5;
/// CR4.LA57: 5-level paging in long mode.
pub const CR4_LA57: u64 = 1 << 12;
/// CR4.SMEP: supervisor-mode execution prevention.
pub const CR4_SMEP: u64 = 1 << 20;
/// CR4.SMAP: supervisor-mode access prevention.
pub const CR4_SMAP: u64 = 1 << 21;
/// CR4.PKE: protection keys for user-mode pages (PKRU).
pub const CR4_PKE: u64 = 1 << 22;
/// CR4.PKS: protection keys for supervisor-mode pages (IA32_PKRS).
pub const CR4_PKS: u64 = 1 << 24;

/// EFER.LME: long mode enable.
pub const EFER_LME: u64 = 1 << 8;
/// EFER.LMA: long mode active (LME and CR0.PG).
pub const EFER_LMA: u64 = 1 << 10;
/// EFER.NXE: the execute-disable bit of PAE and long-mode entries is honoured.
pub const EFER_NXE: u64 = 1 << 11;

/// RFLAGS.AC: alignment check; with CR4.SMAP it lets explicit supervisor
/// accesses reach user pages.
pub const RFLAGS_AC: u64 = 1 << 18;
