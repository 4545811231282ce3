//! Host memory the GPA map owns (rather than the caller): another
//! process's shared memory mapped here (`memory/foreign.rs`) and the
//! memfd-backed memory a restored snapshot brings (`state/snapshot`).
//! Unmapped on drop; the map drops it when no range uses it any more.

use std::os::fd::{AsRawFd, OwnedFd};

use winhv_defs::{E_INVALIDARG, E_OUTOFMEMORY};

use crate::error::{Error, Result};

/// `len` bytes mapped at `addr` in this process, unmapped on drop.
#[derive(Debug)]
pub(crate) struct OwnedMapping {
    addr: u64,
    len: u64,
}

impl OwnedMapping {
    /// Takes ownership of the mapping `addr..addr+len` (made by `mmap`).
    pub(crate) fn from_raw(addr: u64, len: u64) -> OwnedMapping {
        OwnedMapping { addr, len }
    }

    /// `len` bytes of new zeroed memory, in a memfd mapped shared here.
    pub(crate) fn memfd(len: u64) -> Result<OwnedMapping> {
        let size = i64::try_from(len).map_err(|_| Error::new(E_INVALIDARG, "size too large"))?;
        // SAFETY: a plain system call on a C string literal.
        let fd = unsafe { libc::memfd_create(c"winhv-guest".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(Error::from_errno("memfd_create", errno()));
        }
        // SAFETY: `fd` is a fresh fd returned to us, owned by nobody else.
        let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        // SAFETY: a plain system call on our fd.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(Error::from_errno("ftruncate", errno()));
        }
        // The mapping keeps the memory; the fd can go.
        map_shared(&fd, len, 0, true)
    }

    /// Where the memory is mapped in this process.
    pub(crate) fn addr(&self) -> u64 {
        self.addr
    }

    /// Whether host memory `host..host+size` overlaps this mapping.
    pub(crate) fn overlaps(&self, host: u64, size: u64) -> bool {
        host < self.addr + self.len && host + size > self.addr
    }

    /// The memory as bytes, for filling it.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `addr..addr+len` is a readable and writable mapping this
        // value owns (winhv makes only those with `memfd`); `&mut self`
        // makes the slice the only Rust view of it.
        unsafe { std::slice::from_raw_parts_mut(self.addr as *mut u8, self.len as usize) }
    }
}

impl Drop for OwnedMapping {
    fn drop(&mut self) {
        // SAFETY: `addr..addr+len` is the mapping this value owns, unmapped
        // only here.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len as usize) };
    }
}

/// Maps `len` bytes of `file` from `offset`, shared, readable (and
/// writable when `write`).
pub(crate) fn map_shared(
    file: &OwnedFd,
    len: u64,
    offset: u64,
    write: bool,
) -> Result<OwnedMapping> {
    let prot = if write {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    let size = usize::try_from(len).map_err(|_| Error::new(E_INVALIDARG, "range too large"))?;
    let offset = libc::off_t::try_from(offset)
        .map_err(|_| Error::new(E_INVALIDARG, "file offset too large"))?;
    // SAFETY: a new shared mapping chosen by the kernel (no fixed address),
    // of a file we hold open; it aliases no Rust object.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            prot,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            offset,
        )
    };
    if addr == libc::MAP_FAILED {
        let e = errno();
        if e == libc::ENOMEM {
            return Err(Error::new(
                E_OUTOFMEMORY,
                "no address space for the mapping",
            ));
        }
        return Err(Error::from_errno("mmap", e));
    }
    Ok(OwnedMapping::from_raw(addr as u64, len))
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
