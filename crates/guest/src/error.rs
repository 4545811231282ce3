//! The error type of every fallible builder operation in this crate.

use iced_x86::IcedError;

/// Why building a guest image failed.
///
/// Nothing in this crate panics on caller input: an address outside the
/// image, a full page-table pool or code iced-x86 cannot encode all come
/// back as one of these.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `[gpa, gpa + len)` is not inside the guest memory buffer.
    #[error("guest range {gpa:#x}+{len:#x} is outside the image {base:#x}+{size:#x}")]
    OutOfRange {
        /// First guest physical address asked for.
        gpa: u64,
        /// Length asked for, in bytes.
        len: u64,
        /// Base GPA of the image.
        base: u64,
        /// Size of the image, in bytes.
        size: u64,
    },
    /// The image is too small (or placed too high) for what was asked.
    #[error("image layout: {0}")]
    Layout(&'static str),
    /// An address or size had the wrong alignment.
    #[error("{what} {value:#x} is not aligned to {align:#x}")]
    Misaligned {
        /// What the value is (for the message).
        what: &'static str,
        /// The offending value.
        value: u64,
        /// The alignment it needs.
        align: u64,
    },
    /// The pool of page-table pages in the layout is exhausted.
    #[error("no page-table page left in the pool (layout.page_tables)")]
    PageTablesFull,
    /// A virtual address is not mapped (or lies beyond what the tables can map).
    #[error("guest virtual address {0:#x} is not mapped")]
    NotMapped(u64),
    /// iced-x86 refused to assemble the code.
    #[error("assembling failed: {0}")]
    Assemble(#[from] IcedError),
}

/// Result type of this crate.
pub type Result<T> = core::result::Result<T, Error>;
