//! The guest RAM image: a byte buffer that stands for guest physical memory
//! starting at a base GPA, with bounds-checked reads and writes.

use crate::error::{Error, Result};

/// Guest physical memory under construction: `size` bytes at GPA `base`.
///
/// A caller copies [`GuestMemory::as_bytes`] into the memory it maps into the
/// VM (KVM needs page-aligned host memory, which a `Vec` does not promise).
///
/// ```
/// use winhv_guest::GuestMemory;
/// let mut mem = GuestMemory::new(0x10_0000, 0x1000);
/// mem.write(0x10_0010, &[1, 2, 3])?;
/// assert_eq!(mem.read(0x10_0010, 3)?, &[1, 2, 3]);
/// assert!(mem.write(0x10_0ffe, &[0; 4]).is_err());
/// # Ok::<(), winhv_guest::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestMemory {
    base: u64,
    bytes: Vec<u8>,
}

impl GuestMemory {
    /// A zero-filled image of `size` bytes at guest physical address `base`.
    pub fn new(base: u64, size: usize) -> Self {
        Self {
            base,
            bytes: vec![0; size],
        }
    }

    /// The GPA of the first byte.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The GPA one past the last byte.
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.size())
    }

    /// Whether `[gpa, gpa + len)` lies inside the image.
    pub fn contains(&self, gpa: u64, len: u64) -> bool {
        self.offset(gpa, len).is_ok()
    }

    /// The whole image, byte 0 being GPA [`base`](Self::base).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The whole image, mutable.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Copies `data` to `gpa`.
    pub fn write(&mut self, gpa: u64, data: &[u8]) -> Result<()> {
        let start = self.offset(gpa, data.len() as u64)?;
        self.bytes[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// The `len` bytes at `gpa`.
    pub fn read(&self, gpa: u64, len: usize) -> Result<&[u8]> {
        let start = self.offset(gpa, len as u64)?;
        Ok(&self.bytes[start..start + len])
    }

    /// Writes a little-endian `u16` at `gpa`.
    pub fn write_u16(&mut self, gpa: u64, value: u16) -> Result<()> {
        self.write(gpa, &value.to_le_bytes())
    }

    /// Writes a little-endian `u32` at `gpa`.
    pub fn write_u32(&mut self, gpa: u64, value: u32) -> Result<()> {
        self.write(gpa, &value.to_le_bytes())
    }

    /// Writes a little-endian `u64` at `gpa`.
    pub fn write_u64(&mut self, gpa: u64, value: u64) -> Result<()> {
        self.write(gpa, &value.to_le_bytes())
    }

    /// Reads a little-endian `u64` at `gpa`.
    pub fn read_u64(&self, gpa: u64) -> Result<u64> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.read(gpa, 8)?);
        Ok(u64::from_le_bytes(raw))
    }

    /// Offset into `bytes` of `[gpa, gpa + len)`, if the range is inside.
    fn offset(&self, gpa: u64, len: u64) -> Result<usize> {
        let out_of_range = || Error::OutOfRange {
            gpa,
            len,
            base: self.base,
            size: self.size(),
        };
        let start = gpa.checked_sub(self.base).ok_or_else(out_of_range)?;
        let end = start.checked_add(len).ok_or_else(out_of_range)?;
        if end > self.size() {
            return Err(out_of_range());
        }
        usize::try_from(start).map_err(|_| out_of_range())
    }
}
