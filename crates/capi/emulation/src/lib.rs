//! libWinHvEmulation.so: winhvemulation.dll's four exports with Windows'
//! names and signatures (x86-64 SysV C convention), over `winhv-emu`.
//!
//! | module | owns |
//! | --- | --- |
//! | `boundary` | export bodies → HRESULT; no panic crosses into C |
//! | (`winhv-capi-support`) | the emulator handle table (numbers, never reissued; shared with libWinHvPlatform) |
//! | `exports` | the four functions |
//!
//! HRESULTs at the boundary: NULL or misaligned required pointers and
//! malformed callback tables answer `E_INVALIDARG`; an invalid or destroyed
//! emulator handle answers `E_HANDLE`; the emulator's own answers
//! (`E_INVALIDARG` for a malformed exit context, otherwise `S_OK` with the
//! outcome in `WHV_EMULATOR_STATUS`) pass through; a panic answers
//! `E_UNEXPECTED`.
#![allow(
    unsafe_code,
    reason = "the C ABI: exported functions take raw pointers and callback tables from C callers"
)]
#![allow(
    non_snake_case,
    reason = "exports and their parameters keep Windows' names"
)]

mod boundary;
mod exports;

pub use exports::{
    WHvEmulatorCreateEmulator, WHvEmulatorDestroyEmulator, WHvEmulatorTryIoEmulation,
    WHvEmulatorTryMmioEmulation,
};

/// Every function this library exports, in Windows' spelling (4).
pub const EXPORTS: &[&str] = &[
    "WHvEmulatorCreateEmulator",
    "WHvEmulatorDestroyEmulator",
    "WHvEmulatorTryIoEmulation",
    "WHvEmulatorTryMmioEmulation",
];
