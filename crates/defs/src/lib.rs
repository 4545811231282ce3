//! winhv-defs: every type, enum, union, bitfield, constant, callback
//! signature and HRESULT of the Hyper-V user-mode API family, for x64, laid
//! out exactly as in the Windows SDK headers. No logic lives here.
//!
//! | module | Windows library / header |
//! | --- | --- |
//! | [`platform`] | winhvplatform.dll, `WinHvPlatformDefs.h` |
//! | [`emulation`] | winhvemulation.dll, `WinHvEmulation.h` |
//! | [`hdv`] | vmdevicehost.dll, `vmdevicehost.h` |
//! | [`savedstate`] | vmsavedstatedumpprovider.dll, `vmsavedstatedumpprovider.h` |
//! | [`hresult`] | the `HRESULT`s these functions return |
//! | [`base`] | the Windows base types (`BOOL`, `GUID`, `HANDLE`, `PCWSTR`) |
//!
//! Everything is re-exported at the crate root, so `winhv_defs::WHV_REGISTER_NAME`
//! and `winhv_defs::WHvX64RegisterRax` work as the C names do.
//!
//! Conventions (the layout tests in `tests/` hold us to them):
//! * Type and field names are the Windows ones. A C anonymous union or
//!   struct that holds data is a field named `Anonymous` (`Anonymous1`, … when
//!   there are several) of a type named `<PARENT>_0` (`_1`, …), as the
//!   `windows-sys` crate names them. A C anonymous union whose only purpose
//!   is a bitfield next to its whole integer (`AsUINT64`, `Attributes`, …)
//!   is flattened into that integer field, with accessors from [`bitfield!`].
//! * Enums are open ([`open_enum!`]): any number round-trips.
//! * Types built on `WHV_UINT128` are 16-byte aligned as in the C headers
//!   (`windows-sys` under-aligns them to 8).
#![no_std]
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

#[macro_use]
mod macros;

pub mod base;
pub mod emulation;
pub mod hdv;
pub mod hresult;
pub mod platform;
pub mod savedstate;

pub use base::*;
pub use emulation::*;
pub use hdv::*;
pub use hresult::*;
pub use platform::*;
pub use savedstate::*;
