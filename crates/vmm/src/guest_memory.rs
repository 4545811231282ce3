//! Guest RAM for the command's VMs: page-aligned anonymous memory owned by
//! this process, as a Windows VMM would get from VirtualAlloc.

use std::ffi::c_void;

/// Anonymous, zeroed, read-write memory, unmapped on drop.
pub struct GuestRam {
    ptr: *mut c_void,
    len: usize,
}

impl GuestRam {
    /// Allocates `len` bytes (a multiple of the page size).
    pub fn new(len: usize) -> std::io::Result<Self> {
        // SAFETY: a fresh private anonymous mapping; no existing memory is touched.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Self { ptr, len })
    }

    /// The start of the memory, for WHvMapGpaRange.
    pub fn as_ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// The memory as bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `ptr..ptr+len` is our private read-write mapping, alive as
        // long as `self`, and `&mut self` makes this the only host reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.cast(), self.len) }
    }
}

impl Drop for GuestRam {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`; callers drop the
        // partition that maps it first (see demo.rs).
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}
