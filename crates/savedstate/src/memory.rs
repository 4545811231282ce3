//! [`PhysMemory`]: the guest-physical memory a saved state holds — which
//! GPA ranges are saved and where their bytes are in the file — with
//! physical reads, the "raw saved memory" view (the saved bytes end to end,
//! in the order the file stores them) and `GPA_MEMORY_CHUNK`s. It is the
//! [`GuestPhysMemory`] the page walker reads.
//!
//! Every region is checked against the file when the memory is built, so
//! reads never leave the file: a region whose bytes would lie past its end
//! is a corrupt file, found at load time.
//!
//! Compressed blocks (Hyper-V's XPRESS RAM blocks) are decoded when first
//! read and kept in a small cache of decoded blocks ([`BLOCK_CACHE_BLOCKS`],
//! least recently used first out); a block that does not decode is a
//! corrupt file, found when it is read.

use std::sync::{Arc, Mutex};

use winhv_defs::GPA_MEMORY_CHUNK;
use winhv_paging::{GuestPhysMemory, MemError};

use crate::error::{Error, Result};
use crate::fixes::Fixes;

/// The page size of `GPA_MEMORY_CHUNK`s (`MemoryChunkPageSize`).
pub const PAGE_SIZE: u64 = 4096;

/// Where a region's bytes come from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backing {
    /// The file's bytes from this offset on.
    File(u64),
    /// Zeros (an ELF segment's memory beyond its file bytes).
    Zero,
    /// Bytes `at` on of a compressed block (Hyper-V's XPRESS-compressed
    /// RAM blocks): the block's `len` stored bytes are at file offset
    /// `file` and decode to at most [`COMPRESSED_BLOCK_SIZE`] bytes.
    Compressed {
        /// The stored (compressed) bytes' file offset.
        file: u64,
        /// The stored bytes' length.
        len: u64,
        /// The offset in the decoded block.
        at: u64,
    },
}

impl Backing {
    /// The same backing `n` bytes further on.
    pub fn advance(self, n: u64) -> Self {
        match self {
            Self::File(off) => Self::File(off + n),
            Self::Zero => Self::Zero,
            Self::Compressed { file, len, at } => Self::Compressed {
                file,
                len,
                at: at + n,
            },
        }
    }
}

/// The decoded size of a compressed block (Hyper-V's 1 MiB RAM blocks).
pub const COMPRESSED_BLOCK_SIZE: u64 = 1 << 20;
/// How many decoded blocks a [`PhysMemory`] keeps.
pub const BLOCK_CACHE_BLOCKS: usize = 8;

/// Decoded compressed blocks, most recently used last, by file offset.
#[derive(Debug, Default)]
struct BlockCache(Mutex<Vec<(u64, Arc<[u8]>)>>);

impl Clone for BlockCache {
    /// A clone starts with an empty cache.
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// A run of saved guest-physical memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The first GPA.
    pub gpa: u64,
    /// The length in bytes (never 0).
    pub len: u64,
    /// Where the bytes are.
    pub backing: Backing,
    /// The region's offset in the raw saved memory; `None` for memory that
    /// is guest memory but not saved bytes (an ELF segment's zero tail).
    pub raw: Option<u64>,
}

impl Region {
    fn end(&self) -> u64 {
        self.gpa + self.len
    }
}

/// A piece of the raw saved memory: `len` bytes at raw offset `raw`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawPiece {
    /// The offset in the raw saved memory.
    pub raw: u64,
    /// The length in bytes (never 0).
    pub len: u64,
    /// Where the bytes are.
    pub backing: Backing,
}

/// The saved guest-physical memory of a saved state.
#[derive(Clone, Debug, Default)]
pub struct PhysMemory {
    /// Sorted by GPA, not overlapping, non-empty.
    regions: Vec<Region>,
    /// The raw saved memory, sorted by raw offset, not overlapping.
    raw: Vec<RawPiece>,
    /// The raw saved memory's size.
    raw_size: u64,
    chunks: Vec<GPA_MEMORY_CHUNK>,
    cache: BlockCache,
    fixes: Fixes,
}

/// Collects regions in file order, then builds a [`PhysMemory`].
#[derive(Debug, Default)]
pub struct PhysMemoryBuilder {
    regions: Vec<Region>,
    raw: Vec<RawPiece>,
}

impl PhysMemoryBuilder {
    /// A builder with no regions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `len` bytes at `gpa` from `backing`. `raw`: the raw saved
    /// memory offset of the same bytes (added with [`Self::add_raw`]), or
    /// `None`. Empty regions are ignored; a region past the GPA space
    /// (2^64) is an error.
    pub fn add(&mut self, gpa: u64, len: u64, backing: Backing, raw: Option<u64>) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        if gpa.checked_add(len).is_none() {
            return Err(Error::corrupt(format!(
                "memory at {gpa:#x} with {len:#x} bytes passes the end of the address space"
            )));
        }
        self.regions.push(Region {
            gpa,
            len,
            backing,
            raw,
        });
        Ok(())
    }

    /// Adds `len` bytes of raw saved memory at raw offset `raw`.
    pub fn add_raw(&mut self, raw: u64, len: u64, backing: Backing) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        if raw.checked_add(len).is_none() {
            return Err(Error::corrupt("raw saved memory larger than 2^64 bytes"));
        }
        self.raw.push(RawPiece { raw, len, backing });
        Ok(())
    }

    /// The memory, checking every file-backed region against `file_len`.
    /// Where regions overlap, the one added first wins (QEMU's paged dumps
    /// describe the same physical page once per virtual mapping).
    pub fn build(mut self, file_len: u64) -> Result<PhysMemory> {
        let past = |off: u64, len: u64| off.checked_add(len).is_none_or(|end| end > file_len);
        let in_file = |backing: Backing, len: u64, what: &dyn Fn() -> String| match backing {
            Backing::File(off) if past(off, len) => Err(Error::corrupt(format!(
                "{}: {len:#x} bytes at file offset {off:#x} are past the {file_len:#x}-byte \
                 file",
                what()
            ))),
            Backing::Compressed {
                file, len: stored, ..
            } if past(file, stored) => Err(Error::corrupt(format!(
                "{}: a compressed block of {stored:#x} bytes at file offset {file:#x} is \
                     past the {file_len:#x}-byte file",
                what()
            ))),
            Backing::Compressed { at, .. }
                if at
                    .checked_add(len)
                    .is_none_or(|end| end > COMPRESSED_BLOCK_SIZE) =>
            {
                Err(Error::corrupt(format!(
                    "{}: {len:#x} bytes at {at:#x} in a compressed block pass its end",
                    what()
                )))
            }
            _ => Ok(()),
        };
        for r in &self.regions {
            in_file(r.backing, r.len, &|| format!("memory at GPA {:#x}", r.gpa))?;
        }
        for p in &self.raw {
            in_file(p.backing, p.len, &|| {
                format!("raw saved memory at {:#x}", p.raw)
            })?;
        }
        let mut raw = self.raw;
        raw.sort_by_key(|p| p.raw);
        for pair in raw.windows(2) {
            if let [a, b] = pair {
                // Raw offsets come from the file's own order; two pieces
                // claiming the same raw bytes are a corrupt description.
                if a.raw + a.len > b.raw {
                    return Err(Error::corrupt(format!(
                        "raw saved memory at {:#x} described twice",
                        b.raw
                    )));
                }
            }
        }
        let raw_size = raw.last().map_or(0, |p| p.raw + p.len);

        // Stable sort: at equal GPAs the first added stays first.
        self.regions.sort_by_key(|r| r.gpa);
        let mut regions: Vec<Region> = Vec::with_capacity(self.regions.len());
        for mut r in self.regions {
            if let Some(last) = regions.last() {
                let end = last.end();
                if r.end() <= end {
                    continue;
                }
                if r.gpa < end {
                    let cut = end - r.gpa;
                    r.gpa = end;
                    r.len -= cut;
                    r.backing = r.backing.advance(cut);
                    r.raw = r.raw.map(|o| o + cut);
                }
            }
            regions.push(r);
        }

        let mut chunks: Vec<GPA_MEMORY_CHUNK> = Vec::new();
        for r in &regions {
            let first = r.gpa / PAGE_SIZE;
            let last = (r.end() - 1) / PAGE_SIZE;
            match chunks.last_mut() {
                Some(c) if c.GuestPhysicalStartPageIndex + c.PageCount >= first => {
                    let end = (last + 1).max(c.GuestPhysicalStartPageIndex + c.PageCount);
                    c.PageCount = end - c.GuestPhysicalStartPageIndex;
                }
                _ => chunks.push(GPA_MEMORY_CHUNK {
                    GuestPhysicalStartPageIndex: first,
                    PageCount: last - first + 1,
                }),
            }
        }
        Ok(PhysMemory {
            regions,
            raw,
            raw_size,
            chunks,
            cache: BlockCache::default(),
            fixes: Fixes::default(),
        })
    }
}

impl PhysMemory {
    /// The saved regions, sorted by GPA.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The saved memory as `GetGuestPhysicalMemoryChunks` lists it: runs
    /// of consecutive [`PAGE_SIZE`] pages.
    pub fn chunks(&self) -> &[GPA_MEMORY_CHUNK] {
        &self.chunks
    }

    /// The guest memory fixes laid over physical reads.
    pub fn fixes(&self) -> &Fixes {
        &self.fixes
    }

    /// The size of the raw saved memory (`GetGuestRawSavedMemorySize`).
    pub fn raw_size(&self) -> u64 {
        self.raw_size
    }

    fn region_at(&self, gpa: u64) -> Option<&Region> {
        let i = self.regions.partition_point(|r| r.end() <= gpa);
        self.regions.get(i).filter(|r| r.gpa <= gpa)
    }

    /// The raw saved memory offset of `gpa`
    /// (`GuestPhysicalAddressToRawSavedMemoryOffset`).
    pub fn raw_offset(&self, gpa: u64) -> Result<u64> {
        let r = self.region_at(gpa).ok_or_else(|| {
            Error::with(
                winhv_defs::VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
                format!("GPA {gpa:#x} is not in the saved memory"),
            )
        })?;
        r.raw.map(|raw| raw + (gpa - r.gpa)).ok_or_else(|| {
            Error::with(
                winhv_defs::VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
                format!("GPA {gpa:#x} is guest memory but not saved bytes"),
            )
        })
    }

    /// The decoded compressed block stored as `len` bytes at file offset
    /// `at`, from the cache or decoded now.
    fn decoded(&self, file: &[u8], at: u64, len: u64) -> Result<Arc<[u8]>> {
        let mut cache = self.cache.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(off, _)| *off == at) {
            let hit = cache.remove(i);
            let block = Arc::clone(&hit.1);
            cache.push(hit);
            return Ok(block);
        }
        drop(cache);
        // In range: checked against the file when built.
        let stored = usize::try_from(at)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(a, n)| file.get(a..a.checked_add(n)?))
            .ok_or_else(|| {
                Error::corrupt(format!("compressed block at {at:#x} outside the file"))
            })?;
        let mut out = vec![0u8; COMPRESSED_BLOCK_SIZE as usize];
        let n = crate::xpress::decompress(stored, &mut out).map_err(|e| {
            Error::corrupt(format!("the compressed block at file offset {at:#x}: {e}"))
        })?;
        out.truncate(n);
        let block: Arc<[u8]> = out.into();
        let mut cache = self.cache.0.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= BLOCK_CACHE_BLOCKS {
            cache.remove(0);
        }
        cache.push((at, Arc::clone(&block)));
        Ok(block)
    }

    /// Copies the bytes of a region or raw piece at `gpa` (for messages),
    /// `off` bytes into it, into `buf`.
    fn copy(
        &self,
        file: &[u8],
        backing: Backing,
        gpa: u64,
        off: u64,
        buf: &mut [u8],
    ) -> Result<()> {
        match backing {
            Backing::File(base) => {
                // In range: checked against the file when built.
                let start = (base + off) as usize;
                let src = file.get(start..start + buf.len()).ok_or_else(|| {
                    Error::corrupt(format!("saved memory at {start:#x} outside the file"))
                })?;
                buf.copy_from_slice(src);
                Ok(())
            }
            Backing::Zero => {
                buf.fill(0);
                Ok(())
            }
            Backing::Compressed {
                file: stored_at,
                len,
                at,
            } => {
                let block = self.decoded(file, stored_at, len)?;
                let start = (at + off) as usize;
                let src = block.get(start..start + buf.len()).ok_or_else(|| {
                    Error::corrupt(format!(
                        "{:#x}: the compressed block at file offset {stored_at:#x} decodes to \
                         {:#x} bytes, too few",
                        gpa + off,
                        block.len()
                    ))
                })?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }

    /// Reads guest-physical memory at `gpa` into `buf`, across adjacent
    /// regions, stopping at the first byte not saved (a hole, or the end
    /// of memory): returns how many bytes it read. Nothing saved at `gpa`
    /// itself is `VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND`; a
    /// compressed block that does not decode is `ERROR_FILE_CORRUPT` at
    /// `gpa` (one further on ends the read there). The [`Fixes`] are laid
    /// over what it read.
    pub fn read(&self, file: &[u8], gpa: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0usize;
        let mut i = self.regions.partition_point(|r| r.end() <= gpa);
        while done < buf.len() {
            let at = gpa.wrapping_add(done as u64);
            let Some(r) = self.regions.get(i).filter(|r| r.gpa <= at && at < r.end()) else {
                break;
            };
            let off = at - r.gpa;
            let n = (r.len - off).min((buf.len() - done) as u64) as usize;
            match self.copy(file, r.backing, r.gpa, off, &mut buf[done..done + n]) {
                Ok(()) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            if at.checked_add(n as u64).is_none() {
                break;
            }
            i += 1;
        }
        if done == 0 && !buf.is_empty() {
            return Err(Error::with(
                winhv_defs::VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
                format!("GPA {gpa:#x} is not in the saved memory"),
            ));
        }
        self.fixes.overlay(gpa, &mut buf[..done]);
        Ok(done)
    }

    /// Reads the raw saved memory at `offset` into `buf`
    /// (`ReadGuestRawSavedMemory`); returns how many bytes it read, fewer
    /// than asked at the end. An offset at or past the end reads 0 bytes.
    pub fn read_raw(&self, file: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0usize;
        let mut i = self.raw.partition_point(|p| p.raw + p.len <= offset);
        while done < buf.len() {
            let at = offset.wrapping_add(done as u64);
            let Some(p) = self.raw.get(i) else { break };
            let start = p.raw;
            if at < start {
                // A gap in the raw numbering (Hyper-V's MBP indices need
                // not be dense): it reads as zeros up to the next region.
                let n = (start - at).min((buf.len() - done) as u64) as usize;
                buf[done..done + n].fill(0);
                done += n;
                continue;
            }
            let off = at - start;
            let n = (p.len - off).min((buf.len() - done) as u64) as usize;
            match self.copy(file, p.backing, start, off, &mut buf[done..done + n]) {
                Ok(()) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            i += 1;
        }
        Ok(done)
    }
}

/// The walker's view: guest memory read through a [`PhysMemory`] and the
/// file's bytes. A saved state is read-only, so the compare-exchange
/// methods (Accessed/Dirty updates, never asked for here) fail.
pub struct SavedMemory<'a> {
    /// The memory map.
    pub memory: &'a PhysMemory,
    /// The file's bytes.
    pub file: &'a [u8],
}

impl SavedMemory<'_> {
    fn read_exact<const N: usize>(&self, gpa: u64) -> core::result::Result<[u8; N], MemError> {
        let mut b = [0u8; N];
        match self.memory.read(self.file, gpa, &mut b) {
            Ok(n) if n == N => Ok(b),
            // Saved but unreadable: a compressed block that does not decode.
            Err(e) if e.hresult == winhv_defs::HRESULT_ERROR_FILE_CORRUPT => {
                Err(MemError::NoReadAccess)
            }
            _ => Err(MemError::Unmapped),
        }
    }
}

impl GuestPhysMemory for SavedMemory<'_> {
    fn read_u32(&self, gpa: u64) -> core::result::Result<u32, MemError> {
        self.read_exact::<4>(gpa).map(u32::from_le_bytes)
    }
    fn read_u64(&self, gpa: u64) -> core::result::Result<u64, MemError> {
        self.read_exact::<8>(gpa).map(u64::from_le_bytes)
    }
    fn compare_exchange_u32(
        &self,
        _gpa: u64,
        _current: u32,
        _new: u32,
    ) -> core::result::Result<core::result::Result<(), u32>, MemError> {
        Err(MemError::NoWriteAccess)
    }
    fn compare_exchange_u64(
        &self,
        _gpa: u64,
        _current: u64,
        _new: u64,
    ) -> core::result::Result<core::result::Result<(), u64>, MemError> {
        Err(MemError::NoWriteAccess)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoded compressed block: a pattern that compresses.
    fn block() -> Vec<u8> {
        (0..COMPRESSED_BLOCK_SIZE as u32)
            .map(|i| (i / 64 % 7) as u8)
            .collect()
    }

    /// 0x2000 pattern bytes, then `block()` compressed (its length second).
    fn file() -> (Vec<u8>, u64) {
        let mut file: Vec<u8> = (0..0x2000u32).map(|i| (i % 251) as u8).collect();
        let c = crate::xpress::compress(&block());
        file.extend_from_slice(&c);
        (file, c.len() as u64)
    }

    fn memory(file_len: u64, stored: u64) -> PhysMemory {
        let compressed = Backing::Compressed {
            file: 0x2000,
            len: stored,
            at: 0x1000,
        };
        let mut b = PhysMemoryBuilder::new();
        b.add(0x0, 0x1000, Backing::File(0), Some(0)).unwrap();
        b.add_raw(0, 0x1000, Backing::File(0)).unwrap();
        b.add(0x1000, 0x1000, Backing::File(0x1000), Some(0x1000))
            .unwrap();
        b.add_raw(0x1000, 0x1000, Backing::File(0x1000)).unwrap();
        b.add(0x10_0000, 0x800, Backing::Zero, None).unwrap();
        b.add(0x20_0000, 0x1000, compressed, Some(0x2000)).unwrap();
        b.add_raw(0x2000, 0x1000, compressed).unwrap();
        b.build(file_len).unwrap()
    }

    #[test]
    fn reads_cross_adjacent_regions_and_stop_at_holes() {
        let (file, stored) = file();
        let m = memory(file.len() as u64, stored);
        let mut buf = [0u8; 0x20];
        assert_eq!(m.read(&file, 0xff0, &mut buf).unwrap(), 0x20);
        assert_eq!(&buf[..], &file[0xff0..0x1010]);
        assert_eq!(m.read(&file, 0x1ff0, &mut buf).unwrap(), 0x10);
        assert_eq!(
            m.read(&file, 0x5000, &mut buf).unwrap_err().hresult,
            winhv_defs::VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND
        );
        buf.fill(1);
        assert_eq!(m.read(&file, 0x10_07f0, &mut buf).unwrap(), 0x10);
        assert_eq!(&buf[..0x10], &[0u8; 0x10]);
        assert_eq!(m.raw_size(), 0x3000);
        assert_eq!(m.raw_offset(0x1234).unwrap(), 0x1234);
        assert!(m.raw_offset(0x10_0000).is_err());
        let chunks = m.chunks();
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            (chunks[0].GuestPhysicalStartPageIndex, chunks[0].PageCount),
            (0, 2)
        );
        assert_eq!(
            (chunks[1].GuestPhysicalStartPageIndex, chunks[1].PageCount),
            (0x100, 1)
        );
    }

    #[test]
    fn compressed_blocks_read_decoded_through_the_cache() {
        let (file, stored) = file();
        let m = memory(file.len() as u64, stored);
        let block = block();
        let mut buf = vec![0u8; 0x1000];
        assert_eq!(m.read(&file, 0x20_0000, &mut buf).unwrap(), 0x1000);
        assert_eq!(&buf[..], &block[0x1000..0x2000]);
        // Raw reads cross from file bytes into the decoded block.
        let mut raw = vec![0u8; 0x20];
        assert_eq!(m.read_raw(&file, 0x1ff0, &mut raw).unwrap(), 0x20);
        assert_eq!(&raw[..0x10], &file[0x1ff0..0x2000]);
        assert_eq!(&raw[0x10..], &block[0x1000..0x1010]);
        assert_eq!(
            m.cache.0.lock().unwrap().len(),
            1,
            "decoded once, then cached"
        );
        // A clone starts cold and decodes again.
        let c = m.clone();
        assert_eq!(c.read(&file, 0x20_0ff8, &mut buf[..8]).unwrap(), 8);
        assert_eq!(&buf[..8], &block[0x1ff8..0x2000]);
    }

    #[test]
    fn a_compressed_block_that_does_not_decode_is_corrupt() {
        let (mut file, stored) = file();
        // A match before the start of the output, right after the flags.
        file[0x2000..0x2004].copy_from_slice(&u32::MAX.to_le_bytes());
        file[0x2004..0x2006].copy_from_slice(&0x100u16.to_le_bytes());
        let m = memory(file.len() as u64, stored);
        let mut buf = [0u8; 8];
        assert_eq!(
            m.read(&file, 0x20_0000, &mut buf).unwrap_err().hresult,
            winhv_defs::HRESULT_ERROR_FILE_CORRUPT
        );
        // A block that decodes short of the region is corrupt too.
        let short = crate::xpress::compress(&[1u8; 0x1800]);
        let mut file = file[..0x2000].to_vec();
        file.extend_from_slice(&short);
        let m = memory(file.len() as u64, short.len() as u64);
        let mut buf = vec![0u8; 0x1000];
        assert_eq!(
            m.read(&file, 0x20_0000, &mut buf).unwrap_err().hresult,
            winhv_defs::HRESULT_ERROR_FILE_CORRUPT
        );
        // A stored block past the end of the file is found when built.
        let mut b = PhysMemoryBuilder::new();
        let past = Backing::Compressed {
            file: 0x2000,
            len: 0x10_0000,
            at: 0,
        };
        b.add(0, 0x1000, past, None).unwrap();
        assert!(b.build(0x3000).is_err());
    }

    #[test]
    fn regions_past_the_file_or_the_address_space_are_corrupt() {
        let mut b = PhysMemoryBuilder::new();
        b.add(0, 0x2000, Backing::File(0x1000), Some(0)).unwrap();
        assert!(b.build(0x2000).is_err());
        let mut b = PhysMemoryBuilder::new();
        assert!(b.add(u64::MAX - 1, 4, Backing::Zero, None).is_err());
        let mut b = PhysMemoryBuilder::new();
        b.add_raw(0, 0x1000, Backing::File(0)).unwrap();
        b.add_raw(0x800, 0x1000, Backing::File(0)).unwrap();
        assert!(b.build(0x1000).is_err(), "raw bytes described twice");
    }

    #[test]
    fn overlapping_regions_keep_the_first() {
        let file = vec![7u8; 0x3000];
        let mut b = PhysMemoryBuilder::new();
        b.add(0x1000, 0x1000, Backing::File(0), Some(0)).unwrap();
        b.add(0x1800, 0x1000, Backing::File(0x1000), Some(0x1000))
            .unwrap();
        b.add(0x1100, 0x100, Backing::File(0x2000), Some(0x2000))
            .unwrap();
        let m = b.build(0x3000).unwrap();
        assert_eq!(m.regions().len(), 2);
        assert_eq!(m.regions()[1].gpa, 0x2000);
        assert_eq!(m.regions()[1].backing, Backing::File(0x1800));
        let mut buf = [0u8; 0x1800];
        assert_eq!(m.read(&file, 0x1000, &mut buf).unwrap(), 0x1800);
    }
}
