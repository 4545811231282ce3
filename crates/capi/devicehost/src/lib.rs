//! libvmdevicehost.so: vmdevicehost.dll's 13 exports with Windows' names
//! and signatures (x86-64 SysV C convention). The device host itself
//! lives in libWinHvPlatform.so, beside the partitions and compute systems
//! it serves (two copies of winhv in one process would not know each
//! other's handles); each export here calls through the table
//! `WinhvGetDeviceHostFunctions` gives, found once:
//!
//! 1. in the process already (`dlsym(RTLD_DEFAULT)`: the program linked
//!    or loaded libWinHvPlatform.so — the usual case, a device host
//!    talks to a VM the same process runs);
//! 2. else `libWinHvPlatform.so` beside this library, then by the usual
//!    search (`dlopen`).
//!
//! Not found: every export answers `HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND)`
//! (0x8007007E), Windows' code for a DLL that cannot be loaded. No logic
//! lives here; what each function does and answers is
//! `winhv-capi-platform`'s `hdv` module and the `winhv-hdv` crate.
#![allow(
    unsafe_code,
    reason = "the C ABI: exported functions take raw pointers from C callers; dlopen/dlsym"
)]
#![allow(
    non_snake_case,
    reason = "exports and their parameters keep Windows' names"
)]

mod forward;

pub use forward::*;
