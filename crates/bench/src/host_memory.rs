//! [`HostMemory`]: anonymous, page-aligned host memory that backs guest RAM
//! on both sides of a pair (winhv's `map_gpa_range` and a raw KVM slot),
//! unmapped on drop.

use crate::error::{Error, Result};

/// An anonymous private mapping, read/write, `MAP_NORESERVE` (a 1 GiB
/// mapping costs nothing until touched).
#[derive(Debug)]
pub struct HostMemory {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; sharing its
// address between threads is harmless, and writes go through `&mut self`.
unsafe impl Send for HostMemory {}
// SAFETY: as above; `&self` methods only read the address or the bytes.
unsafe impl Sync for HostMemory {}

impl HostMemory {
    /// `len` bytes (rounded up to 4 KiB) of zeroed memory.
    pub fn new(len: usize) -> Result<Self> {
        let len = len.max(1).next_multiple_of(4096);
        Self::map(
            len,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
        )
    }

    /// `len` bytes of the file `fd` from offset 0, mapped shared (the
    /// mapping keeps the file's memory; the caller may close `fd`).
    pub fn shared(fd: i32, len: usize) -> Result<Self> {
        Self::map(len, libc::MAP_SHARED, fd)
    }

    /// A fresh read/write mapping of `len` bytes (`flags`, `fd` as mmap's).
    fn map(len: usize, flags: i32, fd: i32) -> Result<Self> {
        // SAFETY: a fresh mapping with no address hint touches no existing
        // memory; the result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::new(format!(
                "mmap of {len} bytes failed: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(Self {
            ptr: ptr.cast(),
            len,
        })
    }

    /// `len` bytes holding a copy of `image` at offset 0.
    pub fn with_image(len: usize, image: &[u8]) -> Result<Self> {
        let mut memory = Self::new(len.max(image.len()))?;
        memory.bytes_mut()[..image.len()].copy_from_slice(image);
        Ok(memory)
    }

    /// The host address of the first byte.
    pub fn addr(&self) -> u64 {
        self.ptr as u64
    }

    /// The first byte, as the `source` pointer `map_gpa_range` takes.
    pub fn as_ptr(&self) -> *mut std::ffi::c_void {
        self.ptr.cast()
    }

    /// The size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a mapping has at least one page.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live mapping of `len` bytes owned by self. A
        // guest may write it while a VP runs; bytes are plain data.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The bytes, mutable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` is a live read/write mapping of `len` bytes owned by
        // self, and `&mut self` makes this borrow the only one on our side.
        // A guest may write it while a VP runs; bytes are plain data.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made. Every user (a
        // partition or a raw VM) is declared before the memory it uses, so
        // it is dropped first.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// The length of `image` without its trailing zero pages (a fresh mapping
/// is zero already, so only this prefix needs copying).
pub fn used_prefix(image: &[u8]) -> usize {
    let last = image.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    last.next_multiple_of(4096).min(image.len())
}
