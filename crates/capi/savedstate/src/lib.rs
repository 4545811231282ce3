//! libvmsavedstatedumpprovider.so: vmsavedstatedumpprovider.dll's 43
//! exports with Windows' names and signatures (x86-64 SysV C convention),
//! over the `winhv-savedstate` reader.
//!
//! This layer converts and checks; the reader decides. Module map:
//!
//! | module | owns |
//! | --- | --- |
//! | `boundary` | export bodies → HRESULT; no panic crosses into C |
//! | `args` | NULL/alignment checks, pointers → references and slices, UTF-16 paths |
//! | `handles` | the dump handle table (numbers, never reissued) |
//! | `files` | load, release, replay log |
//! | `processor` | VPs: registers, architecture, paging mode, CPL, VTLs, nesting, guest OS |
//! | `memory` | physical and raw reads, translation, memory chunks, cache limit |
//! | `images` | `ScanMemoryForDosImages` with the caller's callback |
//! | `unsupported` | exports whose feature the reader lacks: `ERROR_NOT_SUPPORTED` |
//!
//! HRESULT choices at the boundary: a NULL or misaligned required pointer
//! answers `E_INVALIDARG`; an invalid, forged or stale dump handle
//! `E_HANDLE`; a panic `E_UNEXPECTED`; the reader's own failures keep its
//! HRESULTs (`winhv_savedstate::Error`). Order, when several things are
//! wrong: the arguments first, then the handle, then the saved state's
//! answer — as in the platform library. Handles may be used from any
//! thread; `ReleaseSavedStateFiles` kills the handle at once while calls
//! in progress on other threads finish on their own reference.
//!
//! Tests: `cargo test -p winhv-capi-savedstate` checks the exported
//! symbols against windows-sys, builds the C client in `tests/c/` with gcc
//! against `include/` and runs it on saved states the test writes, and
//! checks the headers' layouts against winhv-defs.
#![allow(
    unsafe_code,
    reason = "the C ABI: exported functions take raw pointers from C callers"
)]
#![allow(
    non_snake_case,
    reason = "exports and their parameters keep Windows' names"
)]
#![allow(non_upper_case_globals, reason = "Windows' constant names in patterns")]

mod args;
mod boundary;
mod files;
mod handles;
mod images;
mod memory;
mod processor;
mod unsupported;

pub use files::{ApplyPendingSavedStateFileReplayLog, LoadSavedStateFile, ReleaseSavedStateFiles};
pub use images::ScanMemoryForDosImages;
pub use memory::{
    GetGuestPhysicalMemoryChunks, GetGuestRawSavedMemorySize, GetMemoryBlockCacheLimit,
    GuestPhysicalAddressToRawSavedMemoryOffset, GuestVirtualAddressToPhysicalAddress,
    ReadGuestPhysicalAddress, ReadGuestRawSavedMemory, SetMemoryBlockCacheLimit,
};
pub use processor::{
    ForceActiveVirtualTrustLevel, ForceArchitecture, ForceNestedHostMode, ForcePagingMode,
    GetActiveVirtualTrustLevel, GetArchitecture, GetEnabledVirtualTrustLevels,
    GetGuestEnabledVirtualTrustLevels, GetGuestOsInfo, GetNestedVirtualizationMode, GetPagingMode,
    GetRegisterValue, GetVpCount, InKernelSpace, IsActiveVirtualTrustLevelEnabled,
    IsNestedVirtualizationEnabled,
};
pub use unsupported::*;

/// Every function this library exports, in Windows' spelling (43).
pub const EXPORTS: &[&str] = &[
    "ApplyGuestMemoryFix",
    "ApplyPendingSavedStateFileReplayLog",
    "CallStackUnwind",
    "FindSavedStateSymbolFieldInType",
    "ForceActiveVirtualTrustLevel",
    "ForceArchitecture",
    "ForceNestedHostMode",
    "ForcePagingMode",
    "GetActiveVirtualTrustLevel",
    "GetArchitecture",
    "GetEnabledVirtualTrustLevels",
    "GetGuestEnabledVirtualTrustLevels",
    "GetGuestOsInfo",
    "GetGuestPhysicalMemoryChunks",
    "GetGuestRawSavedMemorySize",
    "GetMemoryBlockCacheLimit",
    "GetNestedVirtualizationMode",
    "GetPagingMode",
    "GetRegisterValue",
    "GetSavedStateSymbolFieldInfo",
    "GetSavedStateSymbolProviderHandle",
    "GetSavedStateSymbolTypeSize",
    "GetVpCount",
    "GuestPhysicalAddressToRawSavedMemoryOffset",
    "GuestVirtualAddressToPhysicalAddress",
    "InKernelSpace",
    "IsActiveVirtualTrustLevelEnabled",
    "IsNestedVirtualizationEnabled",
    "LoadSavedStateFile",
    "LoadSavedStateFiles",
    "LoadSavedStateModuleSymbols",
    "LoadSavedStateModuleSymbolsEx",
    "LoadSavedStateSymbolProvider",
    "LocateSavedStateFiles",
    "ReadGuestPhysicalAddress",
    "ReadGuestRawSavedMemory",
    "ReadSavedStateGlobalVariable",
    "ReleaseSavedStateFiles",
    "ReleaseSavedStateSymbolProvider",
    "ResolveSavedStateGlobalVariableAddress",
    "ScanMemoryForDosImages",
    "SetMemoryBlockCacheLimit",
    "SetSavedStateSymbolProviderDebugInfoCallback",
];
