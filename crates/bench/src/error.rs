//! [`Error`]: why a workload could not be built or measured — the text that
//! becomes a row's loud skip note.

use std::fmt;

/// A failure of one side of a workload, described for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    /// An error with this description.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<winhv::Error> for Error {
    fn from(e: winhv::Error) -> Self {
        Self(format!("winhv: {e}"))
    }
}

impl From<kvm_ioctls::Error> for Error {
    fn from(e: kvm_ioctls::Error) -> Self {
        Self(format!("raw KVM: {e}"))
    }
}

impl From<winhv_guest::Error> for Error {
    fn from(e: winhv_guest::Error) -> Self {
        Self(format!("guest builder: {e}"))
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
