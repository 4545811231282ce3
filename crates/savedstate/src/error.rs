//! The reader's error: the HRESULT vmsavedstatedumpprovider.dll returns for
//! the same failure, plus a sentence for humans. The C library hands
//! `hresult` to its caller; Rust callers can match on it.
//!
//! Which HRESULT, where Microsoft documents none (our choices, listed in the
//! README):
//! * a file that is neither an ELF core nor a HyperVStorage file:
//!   `HRESULT_FROM_WIN32(ERROR_BAD_FORMAT)`;
//! * a file of a known format whose structures are wrong (truncated, bad
//!   checksum, a table pointing outside the file, cycles, absurd sizes):
//!   `HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT)`;
//! * a register the saved state does not hold: `HRESULT_FROM_WIN32(
//!   ERROR_NOT_FOUND)`;
//! * what the format allows but this reader does not do yet (pre-5.0 key
//!   layouts, pending replay logs):
//!   `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`.
//!
//! The library's own `VM_SAVED_STATE_DUMP_E_*` codes are used where their
//! names say it: no partition state, no guest memory, no VP, a VA that is
//! not mapped, a VTL that is not enabled, nested virtualization absent.

use std::borrow::Cow;

use winhv_defs::{
    E_ACCESSDENIED, E_FAIL, E_INVALIDARG, E_OUTOFMEMORY, HRESULT, HRESULT_ERROR_BAD_FORMAT,
    HRESULT_ERROR_FILE_CORRUPT, HRESULT_ERROR_FILE_NOT_FOUND, HRESULT_ERROR_NOT_FOUND,
    HRESULT_ERROR_NOT_SUPPORTED, HRESULT_ERROR_PATH_NOT_FOUND, HRESULT_ERROR_SHARING_VIOLATION,
};

/// A failed saved-state operation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{hresult}: {context}")]
pub struct Error {
    /// What Windows' reader returns for the same failure.
    pub hresult: HRESULT,
    /// What went wrong, for a human reading a log.
    pub context: Cow<'static, str>,
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a fixed explanation.
    pub const fn new(hresult: HRESULT, context: &'static str) -> Self {
        Self {
            hresult,
            context: Cow::Borrowed(context),
        }
    }

    /// An error whose explanation is built at run time.
    pub fn with(hresult: HRESULT, context: impl Into<String>) -> Self {
        Self {
            hresult,
            context: Cow::Owned(context.into()),
        }
    }

    /// A structure of the file is wrong: `ERROR_FILE_CORRUPT`.
    pub fn corrupt(context: impl Into<String>) -> Self {
        Self::with(HRESULT_ERROR_FILE_CORRUPT, context)
    }

    /// The file is in no format this reader knows: `ERROR_BAD_FORMAT`.
    pub fn bad_format(context: impl Into<String>) -> Self {
        Self::with(HRESULT_ERROR_BAD_FORMAT, context)
    }

    /// A valid file uses something this reader does not do:
    /// `ERROR_NOT_SUPPORTED`.
    pub fn not_supported(context: impl Into<String>) -> Self {
        Self::with(HRESULT_ERROR_NOT_SUPPORTED, context)
    }

    /// Something asked for is not in the saved state: `ERROR_NOT_FOUND`.
    pub fn not_found(context: impl Into<String>) -> Self {
        Self::with(HRESULT_ERROR_NOT_FOUND, context)
    }

    /// A caller argument is out of range: `E_INVALIDARG`.
    pub fn invalid_arg(context: impl Into<String>) -> Self {
        Self::with(E_INVALIDARG, context)
    }

    /// An I/O error on `what`, mapped to the HRESULT Windows gives the same
    /// condition (`HRESULT_FROM_WIN32` of ERROR_FILE_NOT_FOUND,
    /// ERROR_PATH_NOT_FOUND, ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION;
    /// E_OUTOFMEMORY; otherwise E_FAIL with the system's words kept).
    pub fn io(what: &str, e: &std::io::Error) -> Self {
        let hresult = match e.raw_os_error() {
            Some(libc::ENOENT) => HRESULT_ERROR_FILE_NOT_FOUND,
            Some(libc::ENOTDIR) => HRESULT_ERROR_PATH_NOT_FOUND,
            Some(libc::EACCES) | Some(libc::EPERM) => E_ACCESSDENIED,
            Some(libc::EWOULDBLOCK) => HRESULT_ERROR_SHARING_VIOLATION,
            Some(libc::ENOMEM) => E_OUTOFMEMORY,
            _ => E_FAIL,
        };
        Self::with(hresult, format!("{what}: {e}"))
    }
}
