//! The Windows base types the four libraries' signatures use, sized for
//! Windows x64 (LLP64): `BOOL`, `ULONG` and `HRESULT` are 32 bits even though
//! Linux's `long` is 64; `WCHAR` is a UTF-16 unit, not Linux's 32-bit
//! `wchar_t`.

use core::ffi::c_void;

/// A Win32 `BOOL`: 32 bits, zero is false, anything else true.
pub type BOOL = i32;
/// The value Windows functions write for true.
pub const TRUE: BOOL = 1;
/// The value Windows functions write for false.
pub const FALSE: BOOL = 0;
/// An opaque Windows handle.
pub type HANDLE = *mut c_void;
/// A UTF-16 code unit.
pub type WCHAR = u16;
/// A pointer to a NUL-terminated UTF-16 string.
pub type PCWSTR = *const WCHAR;
/// A pointer to a writable NUL-terminated UTF-16 string.
pub type PWSTR = *mut WCHAR;
/// A pointer to a NUL-terminated 8-bit string.
pub type PCSTR = *const u8;

/// A Windows GUID, laid out as in `guiddef.h` (16 bytes, 4-byte aligned).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GUID {
    /// The first 32 bits.
    pub data1: u32,
    /// The next 16 bits.
    pub data2: u16,
    /// The next 16 bits.
    pub data3: u16,
    /// The last 64 bits, as bytes.
    pub data4: [u8; 8],
}

impl GUID {
    /// Builds a GUID from its canonical 128-bit value
    /// (`0x6B29FC40_CA47_1067_B31D_00DD010662DA` for
    /// `{6B29FC40-CA47-1067-B31D-00DD010662DA}`).
    pub const fn from_u128(uuid: u128) -> Self {
        Self {
            data1: (uuid >> 96) as u32,
            data2: (uuid >> 80 & 0xffff) as u16,
            data3: (uuid >> 64 & 0xffff) as u16,
            data4: (uuid as u64).to_be_bytes(),
        }
    }
}
