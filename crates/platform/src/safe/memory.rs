//! [`GuestMemory`]: guest RAM owned by winhv — an anonymous, zeroed,
//! page-aligned mapping (what a Windows VMM gets from VirtualAlloc) that a
//! safe [`super::Partition`] maps without `unsafe` and keeps alive while
//! any of it is mapped. Clones share the one mapping.

use std::sync::Arc;

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;

/// The page size guest memory is allocated and mapped in.
pub const PAGE_SIZE: usize = 0x1000;

/// Guest memory: zeroed, page-aligned, read-write host memory. A clone is
/// another handle to the same bytes; the mapping goes away with the last
/// handle (a partition that maps it holds one).
///
/// Reads and writes copy, they never hand out a slice: the guest may
/// write the same bytes at any moment.
///
/// ```
/// use winhv::safe::GuestMemory;
/// let mem = GuestMemory::new(0x2000)?;
/// mem.write(0x1ff0, &[0xf4])?;
/// let mut b = [0u8; 2];
/// mem.read(0x1ff0, &mut b)?;
/// assert_eq!(b, [0xf4, 0]);
/// assert!(mem.write(0x2000, &[1]).is_err()); // past the end: E_INVALIDARG
/// # Ok::<(), winhv::Error>(())
/// ```
#[derive(Clone)]
pub struct GuestMemory {
    host: Arc<HostMemory>,
}

impl std::fmt::Debug for GuestMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestMemory")
            .field("len", &self.len())
            .finish()
    }
}

impl GuestMemory {
    /// `size` bytes of zeroed memory, rounded up to whole pages. Pages are
    /// committed on first touch (by the guest or the host). A size of 0
    /// answers `E_INVALIDARG`; more than the host can reserve,
    /// `E_OUTOFMEMORY`.
    pub fn new(size: usize) -> Result<Self> {
        let rounded = size
            .checked_next_multiple_of(PAGE_SIZE)
            .filter(|&n| n > 0 && n <= isize::MAX as usize)
            .ok_or_else(|| Error::with(E_INVALIDARG, format!("guest memory of {size:#x} bytes")))?;
        Ok(Self {
            host: Arc::new(HostMemory::new(rounded)?),
        })
    }

    /// The size in bytes (a whole number of pages).
    pub fn len(&self) -> usize {
        self.host.len()
    }

    /// Never: guest memory has at least one page.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Copies `data` to `offset`; `E_INVALIDARG` past the end.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.host.write(offset, data)
    }

    /// Copies the bytes at `offset` into `buf`; `E_INVALIDARG` past the end.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.host.read(offset, buf)
    }

    /// The little-endian `u64` at `offset`.
    pub fn read_u64(&self, offset: usize) -> Result<u64> {
        let mut b = [0; 8];
        self.read(offset, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes `value` little-endian at `offset`.
    pub fn write_u64(&self, offset: usize, value: u64) -> Result<()> {
        self.write(offset, &value.to_le_bytes())
    }

    /// The host address of byte `offset` (for `WHvMapGpaRange`).
    pub(crate) fn host_address(&self, offset: usize) -> *mut std::ffi::c_void {
        self.host.as_ptr().wrapping_add(offset).cast()
    }

    /// Whether two handles share one mapping.
    pub fn same_memory(&self, other: &GuestMemory) -> bool {
        Arc::ptr_eq(&self.host, &other.host)
    }
}
