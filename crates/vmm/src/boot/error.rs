//! Why a kernel could not be loaded. Every one of these ends `winhv run`
//! with exit status 2 (`crate::run::EXIT_BAD_KERNEL`) and this message.

/// A kernel, initrd, command line or memory size that cannot be booted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BootError {
    /// Neither a multiboot header in the first 8 KiB nor a bzImage header.
    #[error(
        "not a kernel winhv can boot: no multiboot (v1) header in the first 8 KiB and no Linux bzImage header"
    )]
    UnknownFormat,
    /// The file ends before a structure it declares.
    #[error("truncated {what}: the file has {len} bytes, {needed} are needed")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// The file's length.
        len: u64,
        /// How many bytes it would take.
        needed: u64,
    },
    /// A multiboot header whose checksum does not add up.
    #[error("multiboot header at offset {offset:#x}: bad checksum")]
    BadChecksum {
        /// The header's offset in the file.
        offset: usize,
    },
    /// A multiboot header asking for something this loader does not give.
    #[error("multiboot header requires {0}, which winhv does not provide")]
    Unsupported(&'static str),
    /// Addresses or sizes that make no sense, or that do not fit the guest.
    #[error("{0}")]
    Invalid(String),
    /// linux-loader refused the bzImage.
    #[error("bzImage: {0}")]
    BzImage(String),
    /// Writing guest memory failed (an address outside RAM).
    #[error("guest memory: {0}")]
    Memory(String),
}

impl BootError {
    /// An [`BootError::Invalid`] from anything printable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
