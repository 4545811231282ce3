//! An anonymous host mapping owned by Rust (mmap on creation, munmap on
//! drop): the start-up probe's guest memory and the safe API's
//! `GuestMemory`. Callers' own memory, mapped with WHvMapGpaRange, is never
//! owned by the platform.

use crate::error::{Error, Result};

/// Page-aligned anonymous memory, unmapped on drop.
pub(crate) struct HostMemory {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; nothing about it
// is tied to the creating thread.
unsafe impl Send for HostMemory {}
// SAFETY: shared access only hands out the address; writes go through
// `write`, which copies into the mapping like any guest would.
unsafe impl Sync for HostMemory {}

impl HostMemory {
    /// `len` bytes of zeroed read/write memory.
    pub(crate) fn new(len: usize) -> Result<Self> {
        Self::map(len, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// `len` bytes reserved with no access (`PROT_NONE`).
    pub(crate) fn new_inaccessible(len: usize) -> Result<Self> {
        Self::map(len, libc::PROT_NONE)
    }

    fn map(len: usize, prot: i32) -> Result<Self> {
        // SAFETY: a fresh anonymous private mapping; no existing memory is
        // touched, and the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::from_errno(
                "mmap",
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            ));
        }
        Ok(Self {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The mapping's address.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// The mapping's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `offset..offset+len` lies inside the mapping.
    fn check(&self, offset: usize, len: usize) -> Result<()> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(Error::new(
                winhv_defs::E_INVALIDARG,
                "access past the end of the memory",
            ));
        }
        Ok(())
    }

    /// Copies `data` to `offset`; the mapping must be writable.
    pub(crate) fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.check(offset, data.len())?;
        let at = self.ptr.wrapping_add(offset);
        // SAFETY: the range was checked to lie inside the mapping, which is
        // readable and writable (callers only write to `new` memory).
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), at, data.len()) };
        Ok(())
    }

    /// Copies the bytes at `offset` into `buf`; the mapping must be
    /// readable.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.check(offset, buf.len())?;
        let at = self.ptr.wrapping_add(offset);
        // SAFETY: the range was checked to lie inside the mapping, which is
        // readable (callers only read `new` memory); `buf` is ours.
        unsafe { std::ptr::copy_nonoverlapping(at, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping this value created.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
