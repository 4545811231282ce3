//! Section-backed MMIO (`HdvCreateSectionBackedMmioRange`): pages of a
//! BAR backed by a shareable file (the Windows section; here any
//! mmap-able descriptor — a memfd, shm, a DAX file), so the guest's
//! accesses there are plain memory and never reach the device's
//! callbacks. The file is mapped into this process once; while the BAR
//! decodes, that mapping is a GPA range of the partition at the BAR's
//! address plus the offset, moved when the guest moves the BAR
//! (`Device::relocate`). Without `Writeable` the range is mapped
//! read-only: guest writes exit and reach WriteInterceptedMemory.
//! `Executable` is accepted (KVM has no per-range no-execute; the range is
//! always executable).

use std::fs::File;
use std::os::fd::AsRawFd;

use winhv::{Error, Partition, Result};
use winhv_defs::*;

const PAGE: u64 = 0x1000;

/// One section-backed range of a BAR.
pub(crate) struct Section {
    pub(crate) bar: u8,
    /// Bytes from the BAR's start.
    pub(crate) offset: u64,
    pub(crate) len: u64,
    writable: bool,
    executable: bool,
    host: *mut u8,
    /// Where it is mapped in the partition now.
    at: Option<u64>,
    _file: File,
}

// SAFETY: `host` is this section's own shared mapping, used only to hand
// to the partition and to unmap it on drop.
unsafe impl Send for Section {}
// SAFETY: as for Send; nothing reads through `host` here.
unsafe impl Sync for Section {}

impl Section {
    /// Maps `len_pages` pages of `file` from page `file_offset_pages`, for
    /// pages `offset_pages..` of BAR `bar` (`bar_size` bytes).
    /// `E_INVALIDARG` for an empty range, one past the BAR, undefined
    /// flags, or a file that cannot be mapped so.
    pub(crate) fn new(
        bar: u8,
        bar_size: u64,
        offset_pages: u64,
        len_pages: u64,
        flags: HDV_MMIO_MAPPING_FLAGS,
        file: File,
        file_offset_pages: u64,
    ) -> Result<Section> {
        let known = HdvMmioMappingFlagWriteable.0 | HdvMmioMappingFlagExecutable.0;
        if flags.0 & !known != 0 {
            return Err(Error::with(
                E_INVALIDARG,
                format!("undefined MMIO mapping flags {:#x}", flags.0),
            ));
        }
        let bytes = |pages: u64| {
            pages
                .checked_mul(PAGE)
                .ok_or(Error::new(E_INVALIDARG, "a range past 2^64"))
        };
        let (offset, len, file_offset) = (
            bytes(offset_pages)?,
            bytes(len_pages)?,
            bytes(file_offset_pages)?,
        );
        if len == 0 || offset.checked_add(len).is_none_or(|end| end > bar_size) {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "pages {offset_pages:#x}+{len_pages:#x} are not inside BAR{bar} ({bar_size:#x} bytes)"
                ),
            ));
        }
        let writable = flags.0 & HdvMmioMappingFlagWriteable.0 != 0;
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        let off = libc::off_t::try_from(file_offset)
            .map_err(|_| Error::new(E_INVALIDARG, "file offset too large"))?;
        // SAFETY: a new shared mapping of the caller's file; no existing
        // memory is touched.
        let host = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len as usize,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                off,
            )
        };
        if host == libc::MAP_FAILED {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "the section cannot be mapped: {}",
                    std::io::Error::last_os_error()
                ),
            ));
        }
        Ok(Section {
            bar,
            offset,
            len,
            writable,
            executable: flags.0 & HdvMmioMappingFlagExecutable.0 != 0,
            host: host.cast(),
            at: None,
            _file: file,
        })
    }

    /// Whether it shares a byte with `[offset, offset + len)` of `bar`.
    pub(crate) fn overlaps(&self, bar: u8, offset: u64, len: u64) -> bool {
        self.bar == bar
            && offset < self.offset + self.len
            && self.offset < offset.saturating_add(len)
    }

    /// Maps it at `gpa` (`None`: nowhere), unmapping where it was. A
    /// mapping the partition refuses leaves it unmapped (its pages are
    /// then intercepted like the rest of the BAR).
    pub(crate) fn place(&mut self, partition: &Partition, gpa: Option<u64>) {
        if self.at == gpa {
            return;
        }
        if let Some(old) = self.at.take() {
            let _ = partition.unmap_gpa_range(old, self.len);
        }
        if let Some(new) = gpa {
            let mut flags = WHvMapGpaRangeFlagRead;
            if self.writable {
                flags |= WHvMapGpaRangeFlagWrite;
            }
            if self.executable {
                flags |= WHvMapGpaRangeFlagExecute;
            }
            // SAFETY: `host` is `len` bytes mapped by `new` and unmapped
            // only in Drop, after the owner placed the section nowhere.
            if unsafe { partition.map_gpa_range(self.host.cast(), new, self.len, flags) }.is_ok() {
                self.at = Some(new);
            }
        }
    }

    /// Where it is mapped now.
    pub(crate) fn at(&self) -> Option<u64> {
        self.at
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        // SAFETY: the mapping `new` made; the partition no longer maps it
        // (the owner placed the section nowhere first).
        unsafe { libc::munmap(self.host.cast(), self.len as usize) };
    }
}
