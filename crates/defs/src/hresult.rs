//! `HRESULT`: the 32-bit status every function of the family returns, and
//! the values these functions return on Windows.
//!
//! The `WHV_E_*` codes are those of Windows' `winerror.h` (facility 0x37,
//! `0x8037_03xx`), checked against `windows-sys`. Some documentation lists
//! them as `0xC035_00xx`: those are the hypervisor's NTSTATUS codes
//! (`STATUS_HV_*`), which no user-mode WHP function returns.

/// A Windows status code. Negative values are failures.
#[repr(transparent)]
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct HRESULT(pub i32);

impl HRESULT {
    /// True for success codes (`S_OK`, `S_FALSE`, …).
    pub const fn is_ok(self) -> bool {
        self.0 >= 0
    }
    /// True for failure codes.
    pub const fn is_err(self) -> bool {
        self.0 < 0
    }
    /// The HRESULT for a Win32 error code, as `HRESULT_FROM_WIN32` builds it.
    pub const fn from_win32(code: u32) -> Self {
        if code as i32 <= 0 {
            HRESULT(code as i32)
        } else {
            HRESULT(((code & 0xffff) | (7 << 16) | 0x8000_0000) as i32)
        }
    }
    /// The symbolic name of a code this crate defines, if any.
    pub fn name(self) -> Option<&'static str> {
        ALL_HRESULTS.iter().find(|(h, _)| *h == self).map(|(_, n)| *n)
    }
}

impl core::fmt::Debug for HRESULT {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:08X})", self.0 as u32),
            None => write!(f, "HRESULT(0x{:08X})", self.0 as u32),
        }
    }
}

impl core::fmt::Display for HRESULT {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

macro_rules! hresults {
    ($( $(#[$m:meta])* $name:ident = $value:expr; )*) => {
        $(
            $(#[$m])*
            pub const $name: HRESULT = HRESULT($value as u32 as i32);
        )*
        /// Every code above with its name, for `Debug` output and tests.
        pub const ALL_HRESULTS: &[(HRESULT, &str)] = &[$(($name, stringify!($name))),*];
    };
}

hresults! {
    /// Success.
    S_OK = 0x0000_0000;
    /// Success, with a negative answer.
    S_FALSE = 0x0000_0001;
    /// Not implemented.
    E_NOTIMPL = 0x8000_4001;
    /// No such interface supported.
    E_NOINTERFACE = 0x8000_4002;
    /// Invalid pointer.
    E_POINTER = 0x8000_4003;
    /// Operation aborted.
    E_ABORT = 0x8000_4004;
    /// Unspecified failure.
    E_FAIL = 0x8000_4005;
    /// Catastrophic failure.
    E_UNEXPECTED = 0x8000_FFFF;
    /// Access denied.
    E_ACCESSDENIED = 0x8007_0005;
    /// Invalid handle.
    E_HANDLE = 0x8007_0006;
    /// Out of memory.
    E_OUTOFMEMORY = 0x8007_000E;
    /// Invalid argument.
    E_INVALIDARG = 0x8007_0057;
    /// The request is not supported (`HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`).
    HRESULT_ERROR_NOT_SUPPORTED = 0x8007_0032;
    /// The data area passed is too small (`HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)`).
    HRESULT_ERROR_INSUFFICIENT_BUFFER = 0x8007_007A;
    /// The object is in the wrong state (`HRESULT_FROM_WIN32(ERROR_INVALID_STATE)`).
    HRESULT_ERROR_INVALID_STATE = 0x8007_139F;
    /// The feature is not present (`HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`).
    HRESULT_ERROR_NOT_FOUND = 0x8007_0490;
    /// Unknown capability code.
    WHV_E_UNKNOWN_CAPABILITY = 0x8037_0300;
    /// The buffer is too small for the answer.
    WHV_E_INSUFFICIENT_BUFFER = 0x8037_0301;
    /// Unknown property code.
    WHV_E_UNKNOWN_PROPERTY = 0x8037_0302;
    /// The partition's configuration is invalid for the request.
    WHV_E_INVALID_PARTITION_CONFIG = 0x8037_0304;
    /// No GPA range is mapped there.
    WHV_E_GPA_RANGE_NOT_FOUND = 0x8037_0305;
    /// A VP with that index exists already.
    WHV_E_VP_ALREADY_EXISTS = 0x8037_0306;
    /// No VP with that index exists.
    WHV_E_VP_DOES_NOT_EXIST = 0x8037_0307;
    /// The VP is in a state that does not allow the request.
    WHV_E_INVALID_VP_STATE = 0x8037_0308;
    /// The register name is unknown or not available.
    WHV_E_INVALID_VP_REGISTER_NAME = 0x8037_0309;
    /// The hypervisor does not support the requested configuration.
    WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG = 0x8037_0303;
    /// The processor does not support the requested configuration.
    WHV_E_UNSUPPORTED_PROCESSOR_CONFIG = 0x8037_0310;
}
