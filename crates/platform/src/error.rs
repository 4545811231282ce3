//! The platform's error: the HRESULT the Windows function would return, plus
//! a sentence for humans. The C layer hands `hresult` to its caller; Rust
//! callers can match on it.

use winhv_defs::HRESULT;

/// A failed WHP operation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{hresult}: {context}")]
pub struct Error {
    /// What Windows returns for the same failure.
    pub hresult: HRESULT,
    /// What went wrong, for a human reading a log.
    pub context: std::borrow::Cow<'static, str>,
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a fixed explanation.
    pub const fn new(hresult: HRESULT, context: &'static str) -> Self {
        Self {
            hresult,
            context: std::borrow::Cow::Borrowed(context),
        }
    }

    /// An error whose explanation is built at run time.
    pub fn with(hresult: HRESULT, context: impl Into<String>) -> Self {
        Self {
            hresult,
            context: std::borrow::Cow::Owned(context.into()),
        }
    }

    /// An error from a failed system call (`errno`), mapped to the HRESULT
    /// Windows uses for the same condition: ENOMEM → E_OUTOFMEMORY,
    /// EINVAL → E_INVALIDARG, EACCES/EPERM → E_ACCESSDENIED, anything else →
    /// `HRESULT_FROM_WIN32`-style E_FAIL with the errno kept in the text.
    pub fn from_errno(what: &'static str, errno: i32) -> Self {
        let hresult = match errno {
            libc::ENOMEM => winhv_defs::E_OUTOFMEMORY,
            libc::EINVAL => winhv_defs::E_INVALIDARG,
            libc::EACCES | libc::EPERM => winhv_defs::E_ACCESSDENIED,
            _ => winhv_defs::E_FAIL,
        };
        Self::with(
            hresult,
            format!("{what}: {}", std::io::Error::from_raw_os_error(errno)),
        )
    }
}

impl From<kvm_ioctls::Error> for Error {
    fn from(e: kvm_ioctls::Error) -> Self {
        Self::from_errno("KVM", e.errno())
    }
}
