//! What winhv's C libraries (libWinHvPlatform.so, libWinHvEmulation.so,
//! libvmsavedstatedumpprovider.so) share at their boundary:
//!
//! | module | owns |
//! | --- | --- |
//! | [`handles`] | the generation-checked handle tables (handles are numbers, never pointers) |
//! | [`args`] | C pointers checked and turned into references and slices (`E_INVALIDARG`) |
//! | [`devicehost`] | `WINHV_DEVICE_HOST_FUNCTIONS`, the table libvmdevicehost.so calls libWinHvPlatform.so's device host through |
//! | [`boundary`] | the panic guard every export body runs in (`E_UNEXPECTED`) |
#![allow(unsafe_code, reason = "turning checked C pointers into references")]

pub mod args;
pub mod boundary;
pub mod devicehost;
pub mod handles;
