//! [`Source`]: the bytes of a saved-state file — memory-mapped, never read
//! whole — and the bounds-checked slicing every parser goes through, so a
//! field pointing past the end of the file is an error, never an
//! out-of-bounds read.
//!
//! This module holds the crate's only `unsafe` code: mapping the file. A
//! mapping is only sound while nobody changes the file underneath, which
//! no API can promise; what we do about it:
//! * the file is opened read-only and mapped private and read-only;
//! * a shared advisory lock (`flock(LOCK_SH)`) is held for the mapping's
//!   life, as Windows' reader holds its files until
//!   `ReleaseSavedStateFiles` ("releasing the provider releases the locks
//!   to the saved state files"), so a cooperating writer — our own
//!   `ApplyPendingSavedStateFileReplayLog`, which takes `LOCK_EX` — waits
//!   or fails instead of changing a mapped file;
//! * a process that ignores advisory locks and truncates the file while it
//!   is loaded makes later reads fault (SIGBUS), as any mapped-file reader
//!   would; the README says not to modify a saved state while it is open.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};

/// A saved state's bytes.
pub struct Source {
    inner: Inner,
}

enum Inner {
    /// A mapped file; the `File` keeps the lock.
    Mapped { map: memmap2::Mmap, _file: File },
    /// Bytes in memory (tests, fuzzing, empty files).
    Owned(Vec<u8>),
}

impl Source {
    /// Maps `path` read-only, holding a shared advisory lock on it. A
    /// file locked exclusively by another process (a replay log being
    /// applied) answers `ERROR_SHARING_VIOLATION`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e))?;
        Self::lock_and_map(path, file, libc::LOCK_SH)
    }

    /// Opens `path` read-write and maps it, holding an exclusive advisory
    /// lock (as Windows opens a file to apply its replay log: "read-write
    /// exclusive mode"). A file another reader has loaded answers
    /// `ERROR_SHARING_VIOLATION`; a read-only file `E_ACCESSDENIED`.
    pub fn open_exclusive(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(&path.display().to_string(), &e))?;
        Self::lock_and_map(path, file, libc::LOCK_EX)
    }

    fn lock_and_map(path: &Path, file: File, lock: i32) -> Result<Self> {
        let what = path.display().to_string();
        // SAFETY: flock on a descriptor we own; it reads no memory.
        let locked = unsafe { libc::flock(file.as_raw_fd(), lock | libc::LOCK_NB) };
        if locked != 0 {
            return Err(Error::io(
                &format!("{what}: locking it"),
                &std::io::Error::last_os_error(),
            ));
        }
        let len = file.metadata().map_err(|e| Error::io(&what, &e))?.len();
        if len == 0 {
            // mmap refuses empty files; an empty file is simply too short.
            return Ok(Self {
                inner: Inner::Owned(Vec::new()),
            });
        }
        // SAFETY: the file is open read-only and mapped read-only and
        // private; we hold a shared advisory lock for the mapping's life so
        // cooperating writers stay away (see the module comment for the
        // rest of the contract). The mapping's bytes are only ever read
        // through slices bounded by its length.
        let map = unsafe { memmap2::MmapOptions::new().map(&file) }
            .map_err(|e| Error::io(&format!("{what}: mmap"), &e))?;
        Ok(Self {
            inner: Inner::Mapped { map, _file: file },
        })
    }

    /// A source over bytes already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            inner: Inner::Owned(bytes),
        }
    }

    /// All the bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.inner {
            Inner::Mapped { map, .. } => map,
            Inner::Owned(v) => v,
        }
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.bytes().len() as u64
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }
}

/// `len` bytes of `data` at `offset`, or `ERROR_FILE_CORRUPT` naming
/// `what` when that range is not inside `data` (overflow included).
pub(crate) fn slice<'a>(data: &'a [u8], offset: u64, len: u64, what: &str) -> Result<&'a [u8]> {
    let end = offset.checked_add(len);
    match end {
        Some(end) if end <= data.len() as u64 => Ok(&data[offset as usize..end as usize]),
        _ => Err(Error::corrupt(format!(
            "{what}: {len:#x} bytes at {offset:#x} are outside the {:#x}-byte file",
            data.len()
        ))),
    }
}

/// Little-endian field readers over a slice whose length the caller has
/// checked; an offset past the end reads as an error, never a panic.
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// Fields of `data`, named `what` in errors.
    pub(crate) fn new(data: &'a [u8], what: &'static str) -> Self {
        Self { data, what }
    }

    fn array<const N: usize>(&self, at: usize) -> Result<[u8; N]> {
        at.checked_add(N)
            .and_then(|end| self.data.get(at..end))
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "{}: field at {at:#x} past its {:#x} bytes",
                    self.what,
                    self.data.len()
                ))
            })
    }

    /// The byte at `at`.
    pub(crate) fn u8(&self, at: usize) -> Result<u8> {
        Ok(self.array::<1>(at)?[0])
    }
    /// The little-endian u16 at `at`.
    pub(crate) fn u16(&self, at: usize) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(at)?))
    }
    /// The little-endian u32 at `at`.
    pub(crate) fn u32(&self, at: usize) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(at)?))
    }
    /// The little-endian u64 at `at`.
    pub(crate) fn u64(&self, at: usize) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(at)?))
    }
    /// The 16 bytes at `at`.
    pub(crate) fn b16(&self, at: usize) -> Result<[u8; 16]> {
        self.array(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_slices_and_fields_are_errors() {
        let data = [1u8, 2, 3, 4];
        assert_eq!(slice(&data, 1, 2, "t").unwrap(), &[2, 3]);
        assert!(slice(&data, 3, 2, "t").is_err());
        assert!(slice(&data, u64::MAX, 2, "t").is_err());
        let f = Fields::new(&data, "t");
        assert_eq!(f.u16(2).unwrap(), 0x0403);
        assert!(f.u32(1).is_err());
        assert!(f.u64(usize::MAX).is_err());
    }
}
