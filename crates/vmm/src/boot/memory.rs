//! Guest RAM as the loaders see it: vm-memory's mmap'd regions (what
//! linux-loader writes into), built from a [`RamLayout`], with writes that
//! fail with a [`BootError`] naming the address.

use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

use super::error::BootError;
use super::layout::RamLayout;

/// Guest RAM: vm-memory's mmap backend.
pub type GuestRam = GuestMemoryMmap<()>;

/// Allocates the RAM of `ram` (anonymous, zeroed, mapped lazily).
pub fn allocate(ram: &RamLayout) -> Result<GuestRam, BootError> {
    let ranges: Vec<(GuestAddress, usize)> = ram
        .regions()
        .iter()
        .map(|r| (GuestAddress(r.start), r.size as usize))
        .collect();
    GuestMemoryMmap::from_ranges(&ranges)
        .map_err(|e| BootError::Memory(format!("cannot allocate {:#x} bytes: {e}", ram.size())))
}

/// Writing guest-physical memory, for the loaders.
pub trait GuestWriter {
    /// Writes `data` at `gpa`.
    fn write(&self, gpa: u64, data: &[u8]) -> Result<(), BootError>;
    /// Zeroes `len` bytes at `gpa`.
    fn zero(&self, gpa: u64, len: u64) -> Result<(), BootError> {
        static CHUNK: [u8; 0x1_0000] = [0; 0x1_0000];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(CHUNK.len() as u64);
            self.write(gpa + done, &CHUNK[..n as usize])?;
            done += n;
        }
        Ok(())
    }
}

impl GuestWriter for GuestRam {
    fn write(&self, gpa: u64, data: &[u8]) -> Result<(), BootError> {
        self.write_slice(data, GuestAddress(gpa)).map_err(|e| {
            BootError::Memory(format!("writing {:#x} bytes at {gpa:#x}: {e}", data.len()))
        })
    }
}
