//! `ScanMemoryForDosImages`: finding PE ("DOS", MZ) images in a VP's
//! virtual address space — their base, `SizeOfImage`, link timestamp and
//! the PDB path of their CodeView (RSDS) debug record.
//!
//! What Microsoft's header says (`VmSavedStateDump.h`, as reproduced in
//! rafawo/vmsavedstatetodump-rs): "The scan is done on reverse order, where
//! the StartAddress must be higher than the EndAddress. The scan logic will
//! skip page entries when not present", and the standalone addresses are
//! checked "before starting the memory scan. If the callback returns true,
//! then this function returns." So: standalone addresses first, then every
//! page from `start` down to `end`, both inclusive; a callback answering
//! true ends the call. Images are looked for at page starts; a page that
//! is not mapped skips the whole region its missing entry covers. Our
//! choices (in the README): `start < end` is `E_INVALIDARG`; an image
//! without a CodeView record has an empty PDB name.
//!
//! The PE layout (the PE/COFF specification): `e_lfanew` at 0x3C, then
//! "PE\0\0", the 20-byte COFF header (TimeDateStamp at +4), the optional
//! header (magic 0x10B or 0x20B; SizeOfImage at +56; the debug data
//! directory, index 6, at +96 + 48 or +112 + 48), 28-byte debug directory
//! entries (type 2 = CodeView, RVA of the data at +20), and the RSDS record
//! ("RSDS", GUID, age, NUL-terminated path). Every read is bounds-checked
//! and a malformed header is simply not an image.

use crate::error::{Error, Result};
use crate::state::{Gva, SavedState};

/// An image found in guest memory (`DOS_IMAGE_INFO`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DosImage {
    /// The virtual address of its MZ header.
    pub base: u64,
    /// `SizeOfImage`.
    pub size: u32,
    /// The COFF header's `TimeDateStamp`.
    pub timestamp: u32,
    /// The PDB path of its CodeView record; empty when it has none.
    pub pdb_name: String,
}

const PAGE: u64 = 0x1000;
/// The longest PDB path read.
const MAX_PDB_PATH: usize = 1024;
/// The most debug directory entries looked at.
const MAX_DEBUG_ENTRIES: u32 = 16;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

impl SavedState {
    /// Reads exactly `len` bytes of `vp`'s memory at `gva`, or `None`.
    fn read_exact_virtual(&self, vp: u32, gva: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        match self.read_virtual(vp, gva, &mut buf) {
            Ok(n) if n == len => Some(buf),
            _ => None,
        }
    }

    /// The image whose MZ header is at `base` on `vp`, if one is there.
    pub fn dos_image_at(&self, vp: u32, base: u64) -> Option<DosImage> {
        let head = self.read_exact_virtual(vp, base, PAGE as usize)?;
        if head.get(..2)? != b"MZ" {
            return None;
        }
        let pe = u32_at(&head, 0x3c)? as usize;
        if head.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
            return None;
        }
        let coff = pe + 4;
        let timestamp = u32_at(&head, coff + 4)?;
        let opt = coff + 20;
        let dirs = match u16_at(&head, opt)? {
            0x10b => opt + 96,
            0x20b => opt + 112,
            _ => return None,
        };
        let size = u32_at(&head, opt + 56)?;
        if size == 0 {
            return None;
        }
        let pdb_name = self.pdb_name(vp, base, &head, dirs).unwrap_or_default();
        Some(DosImage {
            base,
            size,
            timestamp,
            pdb_name,
        })
    }

    /// The PDB path of the first CodeView RSDS record of the image at
    /// `base` whose headers are `head` and data directories at `dirs`.
    fn pdb_name(&self, vp: u32, base: u64, head: &[u8], dirs: usize) -> Option<String> {
        let debug_rva = u32_at(head, dirs + 6 * 8)?;
        let debug_size = u32_at(head, dirs + 6 * 8 + 4)?;
        let entries = (debug_size / 28).min(MAX_DEBUG_ENTRIES);
        if debug_rva == 0 || entries == 0 {
            return None;
        }
        let table = self.read_exact_virtual(
            vp,
            base.checked_add(u64::from(debug_rva))?,
            entries as usize * 28,
        )?;
        for e in table.chunks_exact(28) {
            if u32_at(e, 12)? != 2 {
                continue;
            }
            let data_len = u32_at(e, 16)? as usize;
            let rva = u32_at(e, 20)?;
            if data_len < 24 || rva == 0 {
                continue;
            }
            let len = data_len.min(24 + MAX_PDB_PATH);
            let rec = self.read_exact_virtual(vp, base.checked_add(u64::from(rva))?, len)?;
            if rec.get(..4)? != b"RSDS" {
                continue;
            }
            let path = &rec[24..];
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            return Some(String::from_utf8_lossy(&path[..end]).into_owned());
        }
        None
    }

    /// Scans `vp`'s memory for images (`ScanMemoryForDosImages`): each of
    /// `standalone` first, then every page from `start` down to `end`.
    /// `found` is called for each image; returning true ends the scan.
    pub fn scan_dos_images(
        &self,
        vp: u32,
        start: u64,
        end: u64,
        standalone: &[u64],
        mut found: impl FnMut(&DosImage) -> bool,
    ) -> Result<()> {
        if start < end {
            return Err(Error::invalid_arg(format!(
                "the scan runs from {start:#x} down to {end:#x}: the start must be the higher"
            )));
        }
        // Fail early, with the reader's HRESULT, for a VP that cannot
        // translate at all. Outside long mode addresses are 32 bits.
        let start = if self.paging_state(vp)?.mode().is_long() {
            start
        } else {
            start.min(0xffff_ffff)
        };
        for &addr in standalone {
            if let Some(image) = self.dos_image_at(vp, addr) {
                if found(&image) {
                    return Ok(());
                }
            }
        }
        let mut page = start & !(PAGE - 1);
        while page >= end {
            let next = match self.translate(vp, page) {
                Ok(Gva::Mapped(_)) => {
                    if let Some(image) = self.dos_image_at(vp, page) {
                        if found(&image) {
                            return Ok(());
                        }
                    }
                    page.checked_sub(PAGE)
                }
                // Skip the whole region the missing entry covers.
                Ok(Gva::Unmapped { region_size }) if region_size.is_power_of_two() => {
                    let region = region_size.max(PAGE);
                    (page & !(region - 1)).checked_sub(PAGE)
                }
                // The non-canonical hole (its size is 2^64 - 2^48, or
                // - 2^57): go on below its lower end, 2^47 (2^56).
                Ok(Gva::Unmapped { region_size }) => {
                    let low = 0u64.wrapping_sub(region_size) / 2;
                    page.min(low).checked_sub(PAGE)
                }
                // A paging structure not in the saved memory: this page
                // cannot be read; go on below it.
                Err(_) => page.checked_sub(PAGE),
            };
            match next {
                Some(n) if n < page => page = n,
                _ => break,
            }
        }
        Ok(())
    }
}
