//! Example of the shared ABI checks (kept small; the real lists live in
//! tests/platform_abi.rs and tests/other_abi.rs).
#[macro_use]
mod common;
use windows_sys::Win32::Foundation as ws;
use winhv_defs as defs;

#[test]
fn guid_layout() {
    mod ws {
        pub use windows_sys::core::GUID;
    }
    layout!(GUID { data1, data2, data3, data4 });
}

#[test]
fn hresults_match_windows() {
    consts!(S_OK, E_INVALIDARG, E_OUTOFMEMORY, E_FAIL, E_ACCESSDENIED, E_NOTIMPL, E_POINTER,
        WHV_E_UNKNOWN_CAPABILITY, WHV_E_INSUFFICIENT_BUFFER, WHV_E_UNKNOWN_PROPERTY,
        WHV_E_INVALID_PARTITION_CONFIG, WHV_E_GPA_RANGE_NOT_FOUND, WHV_E_VP_ALREADY_EXISTS,
        WHV_E_VP_DOES_NOT_EXIST, WHV_E_INVALID_VP_STATE, WHV_E_INVALID_VP_REGISTER_NAME,
        WHV_E_UNSUPPORTED_PROCESSOR_CONFIG);
}
