//! The partition's guest-physical address map: which GPA ranges are backed
//! by which caller memory with which access, over KVM memory slots
//! (WHvMapGpaRange, WHvUnmapGpaRange, WHvReadGpaRange, WHvWriteGpaRange,
//! WHvQueryGpaRangeDirtyBitmap).
//!
//! Every mapped range has a KVM slot of its own. Unmapping part of a range
//! deletes its slot and re-creates slots for what remains on either side
//! (KVM cannot shrink a slot): during that instant a running VP touching the
//! remaining pages gets an MMIO exit, which KVM makes unavoidable.
//!
//! Access flags on KVM: Read|Write → a normal slot; Read without Write → a
//! `KVM_MEM_READONLY` slot (guest writes exit as MMIO writes); no Read → no
//! slot at all, so every access exits. KVM has no per-slot no-execute:
//! Read without Execute still lets the guest execute from the range (the
//! capability answer and README say so).
//!
//! Guest memory is read and written for the caller with
//! `process_vm_readv`/`process_vm_writev` on our own process, so caller
//! memory that is reserved but not yet accessible (`PROT_NONE`) yields an
//! error instead of a crash.

use std::collections::BTreeMap;

use kvm_bindings::{KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, kvm_userspace_memory_region};
use kvm_ioctls::VmFd;
use winhv_defs::{E_INVALIDARG, WHV_E_GPA_RANGE_NOT_FOUND};

use crate::error::{Error, Result};

/// The guest page size WHP maps at.
pub(crate) const PAGE_SIZE: u64 = 0x1000;

/// `WHvMapGpaRangeFlagRead`.
pub(crate) const FLAG_READ: u32 = 1;
/// `WHvMapGpaRangeFlagWrite`.
pub(crate) const FLAG_WRITE: u32 = 2;
/// `WHvMapGpaRangeFlagExecute`.
pub(crate) const FLAG_EXECUTE: u32 = 4;
/// `WHvMapGpaRangeFlagTrackDirtyPages`.
pub(crate) const FLAG_TRACK_DIRTY: u32 = 8;
const ALL_FLAGS: u32 = FLAG_READ | FLAG_WRITE | FLAG_EXECUTE | FLAG_TRACK_DIRTY;

/// One mapped range: `size` bytes at `gpa`, backed by host address `host`.
#[derive(Debug)]
struct Range {
    gpa: u64,
    size: u64,
    host: u64,
    flags: u32,
    /// The KVM slot, or `None` when the flags give the guest no access.
    slot: Option<u32>,
    /// Dirty bits fetched from KVM but not yet handed to the caller (KVM's
    /// `KVM_GET_DIRTY_LOG` clears a whole slot; a query may cover less).
    dirty: Vec<u64>,
}

impl Range {
    fn end(&self) -> u64 {
        self.gpa + self.size
    }
}

/// The GPA map of one partition.
#[derive(Debug, Default)]
pub(crate) struct GpaMap {
    /// Ranges by first GPA; they never overlap.
    ranges: BTreeMap<u64, Range>,
    free_slots: Vec<u32>,
    next_slot: u32,
}

fn check_aligned(gpa: u64, size: u64) -> Result<u64> {
    if size == 0 || gpa % PAGE_SIZE != 0 || size % PAGE_SIZE != 0 {
        return Err(Error::new(
            E_INVALIDARG,
            "GPA range must be page-aligned and not empty",
        ));
    }
    gpa.checked_add(size).ok_or(Error::new(
        E_INVALIDARG,
        "GPA range wraps around the address space",
    ))
}

impl GpaMap {
    /// WHvMapGpaRange: maps `size` bytes of host memory at `host` to `gpa`.
    ///
    /// # Safety
    /// `host..host+size` must stay a mapping of this process (of any
    /// protection) until the range is unmapped or the VM is dropped.
    pub(crate) unsafe fn map(
        &mut self,
        vm: &VmFd,
        host: u64,
        gpa: u64,
        size: u64,
        flags: u32,
    ) -> Result<()> {
        let end = check_aligned(gpa, size)?;
        if host % PAGE_SIZE != 0 || host == 0 {
            return Err(Error::new(
                E_INVALIDARG,
                "source address must be page-aligned and not null",
            ));
        }
        if flags & !ALL_FLAGS != 0 {
            return Err(Error::new(
                E_INVALIDARG,
                "unknown WHV_MAP_GPA_RANGE_FLAGS bits",
            ));
        }
        if flags & FLAG_WRITE != 0 && flags & FLAG_READ == 0 {
            return Err(Error::new(E_INVALIDARG, "write access without read access"));
        }
        if self.overlapping(gpa, end).next().is_some() {
            return Err(Error::new(
                E_INVALIDARG,
                "GPA range overlaps a mapped range",
            ));
        }
        let mut range = Range {
            gpa,
            size,
            host,
            flags,
            slot: None,
            dirty: Vec::new(),
        };
        // SAFETY: forwarded from this function's contract.
        unsafe { self.add_slot(vm, &mut range) }?;
        self.ranges.insert(gpa, range);
        Ok(())
    }

    /// WHvUnmapGpaRange: unmaps every mapped page in `gpa..gpa+size`,
    /// splitting ranges that extend beyond it.
    pub(crate) fn unmap(&mut self, vm: &VmFd, gpa: u64, size: u64) -> Result<()> {
        let end = check_aligned(gpa, size)?;
        let hit: Vec<u64> = self.overlapping(gpa, end).map(|r| r.gpa).collect();
        if hit.is_empty() {
            return Err(Error::new(
                WHV_E_GPA_RANGE_NOT_FOUND,
                "no mapped range in the GPA range",
            ));
        }
        for start in hit {
            let Some(mut range) = self.ranges.remove(&start) else {
                continue;
            };
            self.remove_slot(vm, &mut range)?;
            let (r_gpa, r_end) = (range.gpa, range.end());
            if r_gpa < gpa {
                self.remap_piece(vm, &range, r_gpa, gpa)?;
            }
            if r_end > end {
                self.remap_piece(vm, &range, end, r_end)?;
            }
        }
        Ok(())
    }

    fn remap_piece(&mut self, vm: &VmFd, from: &Range, gpa: u64, end: u64) -> Result<()> {
        let first_page = ((gpa - from.gpa) / PAGE_SIZE) as usize;
        let pages = ((end - gpa) / PAGE_SIZE) as usize;
        let mut piece = Range {
            gpa,
            size: end - gpa,
            host: from.host + (gpa - from.gpa),
            flags: from.flags,
            slot: None,
            dirty: take_bits(&from.dirty, first_page, pages),
        };
        // SAFETY: the piece is part of a range the caller mapped under the
        // contract of `map`, which still holds for it.
        unsafe { self.add_slot(vm, &mut piece) }?;
        self.ranges.insert(gpa, piece);
        Ok(())
    }

    /// # Safety
    /// As for [`GpaMap::map`], for `range`'s host memory.
    unsafe fn add_slot(&mut self, vm: &VmFd, range: &mut Range) -> Result<()> {
        if range.flags & FLAG_READ == 0 {
            return Ok(());
        }
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.next_slot += 1;
            self.next_slot - 1
        });
        let mut kflags = 0;
        if range.flags & FLAG_WRITE == 0 {
            kflags |= KVM_MEM_READONLY;
        }
        if range.flags & FLAG_TRACK_DIRTY != 0 {
            kflags |= KVM_MEM_LOG_DIRTY_PAGES;
        }
        let region = kvm_userspace_memory_region {
            slot,
            flags: kflags,
            guest_phys_addr: range.gpa,
            memory_size: range.size,
            userspace_addr: range.host,
        };
        // SAFETY: the caller guarantees the host memory outlives the slot.
        match unsafe { vm.set_user_memory_region(region) } {
            Ok(()) => {
                range.slot = Some(slot);
                Ok(())
            }
            Err(e) => {
                self.free_slots.push(slot);
                Err(Error::from_errno("KVM_SET_USER_MEMORY_REGION", e.errno()))
            }
        }
    }

    fn remove_slot(&mut self, vm: &VmFd, range: &mut Range) -> Result<()> {
        let Some(slot) = range.slot.take() else {
            return Ok(());
        };
        // Keep the bits KVM gathered, for the pieces that survive.
        if range.flags & FLAG_TRACK_DIRTY != 0 {
            if let Ok(bits) = vm.get_dirty_log(slot, range.size as usize) {
                merge_bits(&mut range.dirty, &bits);
            }
        }
        let region = kvm_userspace_memory_region {
            slot,
            memory_size: 0,
            ..Default::default()
        };
        // SAFETY: a zero-sized region deletes the slot; no memory is mapped.
        unsafe { vm.set_user_memory_region(region) }
            .map_err(|e| Error::from_errno("KVM_SET_USER_MEMORY_REGION", e.errno()))?;
        self.free_slots.push(slot);
        Ok(())
    }

    fn overlapping(&self, gpa: u64, end: u64) -> impl Iterator<Item = &Range> {
        // The range starting at or before `gpa` may reach into it.
        let before = self.ranges.range(..=gpa).next_back().map(|(_, r)| r);
        before
            .into_iter()
            .chain(
                self.ranges
                    .range(gpa.saturating_add(1)..end)
                    .map(|(_, r)| r),
            )
            .filter(move |r| r.gpa < end && r.end() > gpa)
    }

    /// The host address and access flags of `gpa`, if mapped; with the
    /// number of bytes that follow contiguously in the same range.
    pub(crate) fn lookup(&self, gpa: u64) -> Option<(u64, u32, u64)> {
        let (_, r) = self.ranges.range(..=gpa).next_back()?;
        (gpa < r.end()).then(|| (r.host + (gpa - r.gpa), r.flags, r.end() - gpa))
    }

    /// WHvReadGpaRange: copies guest memory at `gpa` into `buf`. Every byte
    /// must be mapped (with any access).
    pub(crate) fn read(&self, gpa: u64, buf: &mut [u8]) -> Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let at = gpa.wrapping_add(done as u64);
            let (host, _, avail) = self
                .lookup(at)
                .ok_or(Error::new(WHV_E_GPA_RANGE_NOT_FOUND, "GPA not mapped"))?;
            let n = (buf.len() - done).min(avail.min(usize::MAX as u64) as usize);
            host_read(host, &mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// WHvWriteGpaRange: copies `data` into guest memory at `gpa`. Every
    /// byte must be mapped (with any access).
    pub(crate) fn write(&self, gpa: u64, data: &[u8]) -> Result<()> {
        let mut done = 0;
        while done < data.len() {
            let at = gpa.wrapping_add(done as u64);
            let (host, _, avail) = self
                .lookup(at)
                .ok_or(Error::new(WHV_E_GPA_RANGE_NOT_FOUND, "GPA not mapped"))?;
            let n = (data.len() - done).min(avail.min(usize::MAX as u64) as usize);
            host_write(host, &data[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// WHvQueryGpaRangeDirtyBitmap: the pages of `gpa..gpa+size` written by
    /// the guest since the last query, one bit per page into `bitmap` (when
    /// given), and clears them. Every page must lie in ranges mapped with
    /// `TrackDirtyPages`.
    pub(crate) fn query_dirty(
        &mut self,
        vm: &VmFd,
        gpa: u64,
        size: u64,
        bitmap: Option<&mut [u64]>,
    ) -> Result<()> {
        let end = check_aligned(gpa, size)?;
        let pages = (size / PAGE_SIZE) as usize;
        if let Some(b) = &bitmap {
            if b.len() < pages.div_ceil(64) {
                return Err(Error::new(
                    E_INVALIDARG,
                    "bitmap smaller than one bit per page",
                ));
            }
        }
        // Every page must be covered by tracked ranges.
        let mut at = gpa;
        while at < end {
            match self.lookup(at) {
                Some((_, flags, avail)) if flags & FLAG_TRACK_DIRTY != 0 => at += avail,
                _ => {
                    return Err(Error::new(
                        WHV_E_GPA_RANGE_NOT_FOUND,
                        "GPA range not mapped with WHvMapGpaRangeFlagTrackDirtyPages",
                    ));
                }
            }
        }
        let mut out = bitmap;
        if let Some(b) = out.as_deref_mut() {
            b.iter_mut().take(pages.div_ceil(64)).for_each(|w| *w = 0);
        }
        let starts: Vec<u64> = self.overlapping(gpa, end).map(|r| r.gpa).collect();
        for start in starts {
            let Some(range) = self.ranges.get_mut(&start) else {
                continue;
            };
            if let Some(slot) = range.slot {
                let bits = vm
                    .get_dirty_log(slot, range.size as usize)
                    .map_err(|e| Error::from_errno("KVM_GET_DIRTY_LOG", e.errno()))?;
                merge_bits(&mut range.dirty, &bits);
            }
            let lo = range.gpa.max(gpa);
            let hi = range.end().min(end);
            for page_gpa in (lo..hi).step_by(PAGE_SIZE as usize) {
                let in_range = ((page_gpa - range.gpa) / PAGE_SIZE) as usize;
                if take_bit(&mut range.dirty, in_range) {
                    if let Some(b) = out.as_deref_mut() {
                        let i = ((page_gpa - gpa) / PAGE_SIZE) as usize;
                        b[i / 64] |= 1 << (i % 64);
                    }
                }
            }
        }
        Ok(())
    }
}

fn merge_bits(into: &mut Vec<u64>, bits: &[u64]) {
    if into.len() < bits.len() {
        into.resize(bits.len(), 0);
    }
    into.iter_mut().zip(bits).for_each(|(a, b)| *a |= b);
}

fn take_bit(bits: &mut [u64], i: usize) -> bool {
    match bits.get_mut(i / 64) {
        Some(w) => {
            let set = *w & (1 << (i % 64)) != 0;
            *w &= !(1 << (i % 64));
            set
        }
        None => false,
    }
}

fn take_bits(bits: &[u64], first: usize, count: usize) -> Vec<u64> {
    let mut out = vec![0u64; count.div_ceil(64)];
    for i in 0..count {
        let j = first + i;
        if bits.get(j / 64).is_some_and(|w| w & (1 << (j % 64)) != 0) {
            out[i / 64] |= 1 << (i % 64);
        }
    }
    out
}

/// Copies our own memory at `host` into `buf` without trusting that memory
/// to be accessible (it may be `PROT_NONE`).
fn host_read(host: u64, buf: &mut [u8]) -> Result<()> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: host as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, valid for writes of its length; the
    // kernel checks `remote` and answers EFAULT for inaccessible memory
    // instead of faulting.
    let n = unsafe { libc::process_vm_readv(std::process::id() as i32, &local, 1, &remote, 1, 0) };
    copied(n, buf.len())
}

/// Copies `data` into our own memory at `host`, as [`host_read`] does.
fn host_write(host: u64, data: &[u8]) -> Result<()> {
    let local = libc::iovec {
        iov_base: data.as_ptr().cast_mut().cast(),
        iov_len: data.len(),
    };
    let remote = libc::iovec {
        iov_base: host as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: `local` describes `data`, which process_vm_writev only reads;
    // the kernel checks `remote` and answers EFAULT for inaccessible memory.
    let n = unsafe { libc::process_vm_writev(std::process::id() as i32, &local, 1, &remote, 1, 0) };
    copied(n, data.len())
}

fn copied(n: isize, want: usize) -> Result<()> {
    if want != 0 && (n < 0 || n as usize != want) {
        return Err(Error::new(
            winhv_defs::E_ACCESSDENIED,
            "the host memory behind the GPA range is not accessible",
        ));
    }
    Ok(())
}
