//! The partition's guest-physical address map: which GPA ranges are backed
//! by which caller memory with which access, over KVM memory slots
//! (WHvMapGpaRange, WHvUnmapGpaRange, WHvReadGpaRange, WHvWriteGpaRange,
//! WHvQueryGpaRangeDirtyBitmap).
//!
//! Every map and unmap is all or nothing: the change is worked out first
//! (the ranges it removes, the pieces and the new range it adds), the KVM
//! slots it needs are counted against KVM_CAP_NR_MEMSLOTS before anything
//! is touched, and a KVM failure part way puts every slot back as it was.
//! A new mapping replaces what it overlaps, as on Windows. KVM cannot
//! shrink or grow a slot: changing part of a range deletes its slot and
//! re-creates slots for what remains on either side (during that instant a
//! running VP touching the remaining pages gets a memory-access exit,
//! which KVM makes unavoidable).
//!
//! Slots are the limit (32,764 on x86 KVM). When a change needs more than
//! are free, the new range first takes in the neighbours it can share a
//! slot with, then runs of ranges that follow each other in guest and host
//! addresses with the same access are coalesced into one slot each (at
//! most [`COALESCE_MAX`] ranges per slot per step, to keep the instant
//! their pages are absent short; [`COALESCE_HEADROOM`] more slots than
//! needed, so that it happens once per couple of thousand new ranges), so
//! a caller mapping page by page from one allocation is limited by
//! fragmentation, not by its number of calls. Nothing is coalesced while
//! slots are free: a map or unmap costs the slot changes it needs, no
//! more.
//! Ranges that track dirty pages are never coalesced: deleting their slot
//! would lose a guest write that falls between fetching its log and the
//! deletion (a change the caller makes to part of a tracked range has that
//! instant too, on the pages around the change). With no slot to be had, the answer is
//! `HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)`, Windows' answer when
//! Hyper-V runs out of a host resource (the VM worker reports "Unable to
//! allocate … RAM: Insufficient system resources exist to complete the
//! requested service. (0x800705AA)",
//! <https://learn.microsoft.com/archive/blogs/latam/erro-0x800705aa-ao-iniciar-uma-mquina-virtual-no-hyper-v>;
//! WHP documents no code of its own for it).
//!
//! Access flags on KVM: Read|Write → a normal slot; Read without Write → a
//! `KVM_MEM_READONLY` slot (guest writes exit as MMIO writes); no Read → no
//! slot at all, so every access exits. KVM has no per-slot no-execute:
//! Read without Execute still lets the guest execute from the range (the
//! capability answer and README say so).
//!
//! Guest memory is read for the caller with a fault-tolerant direct copy
//! (`try_copy`), falling back to `process_vm_readv` on our own process, and
//! written with `process_vm_writev`, so caller memory that is reserved but
//! not yet accessible (`PROT_NONE`) yields an error instead of a crash.
//! WHvTranslateGva's Accessed/Dirty updates compare-exchange it with a
//! fault-tolerant `lock cmpxchg` (`try_cmpxchg`): memory made read-only
//! answers "not writable".

use std::collections::BTreeMap;
use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};

use kvm_bindings::{KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, kvm_userspace_memory_region};
use kvm_ioctls::{Cap, VmFd};
use winhv_defs::{
    E_INVALIDARG, E_UNEXPECTED, HRESULT_ERROR_NO_SYSTEM_RESOURCES, WHV_E_GPA_RANGE_NOT_FOUND,
};

use crate::error::{Error, Result};

mod bits;
mod dirty_log;
mod foreign;
mod owned;
mod try_cmpxchg;
mod try_copy;

pub(crate) use dirty_log::enable_manual_clear;
pub(crate) use foreign::pid_of;
pub(crate) use owned::OwnedMapping;
pub(crate) use try_cmpxchg::{compare_exchange_u32, compare_exchange_u64};
use try_copy::install as install_direct_reads;
pub(crate) use try_copy::{check as check_direct_reads, direct, try_read, try_read_all};

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

/// The most pages one KVM slot holds (`KVM_MEM_MAX_NR_PAGES`).
const SLOT_MAX_PAGES: u64 = (1 << 31) - 1;
/// The most ranges one coalescing step puts into one slot: while it runs,
/// their pages are absent for a running VP, one slot deletion (≈50–80 µs on
/// our machines) per range.
const COALESCE_MAX: usize = 64;
/// Coalescing frees, beyond what a change lacks, this fraction of all slots
/// (1/16: about 2,000 of 32,764, ≈0.1–0.2 s of slot deletions with the map
/// locked), so that it runs once per that many new ranges, not each time.
const COALESCE_HEADROOM: usize = 16;

/// One mapped range: `size` bytes at `gpa`, backed by host address `host`.
/// It may hold several adjacent mappings of the caller, coalesced.
#[derive(Debug)]
struct Range {
    gpa: u64,
    size: u64,
    host: u64,
    flags: u32,
    /// The KVM slot, or `None` when the flags give the guest no access.
    slot: Option<u32>,
    /// Dirty bits fetched from KVM but not yet handed to the caller (without
    /// manual clearing `KVM_GET_DIRTY_LOG` clears a whole slot and a query
    /// may cover less; with it, only the bits of a deleted slot that a
    /// piece of it keeps).
    dirty: Vec<u64>,
    /// The buffer `KVM_GET_DIRTY_LOG` writes into, kept between queries.
    log: Vec<u64>,
    /// `dirty` has one word per 64 pages and no bit set: KVM's log can be
    /// written straight into it.
    clean: bool,
}

impl Range {
    /// A range without a slot yet and with no dirty bits.
    fn new(gpa: u64, size: u64, host: u64, flags: u32) -> Range {
        Range {
            gpa,
            size,
            host,
            flags,
            slot: None,
            dirty: Vec::new(),
            log: Vec::new(),
            clean: false,
        }
    }

    fn end(&self) -> u64 {
        self.gpa + self.size
    }

    /// The part `gpa..end` of this range, as a new range (no slot, no bits).
    fn piece(&self, gpa: u64, end: u64) -> Range {
        Range::new(gpa, end - gpa, self.host + (gpa - self.gpa), self.flags)
    }

    /// Whether it needs a KVM slot (the guest may access it).
    fn needs_slot(&self) -> bool {
        self.flags & FLAG_READ != 0
    }

    /// Whether `next` can share this range's KVM slot: it follows in guest
    /// and host addresses alike, with the same access, and neither tracks
    /// dirty pages (a tracked slot is never deleted and re-created to
    /// coalesce: a guest write between fetching its log and deleting it
    /// would be lost).
    fn coalesces_with(&self, next: &Range) -> bool {
        self.end() == next.gpa
            && self.host.checked_add(self.size) == Some(next.host)
            && self.flags == next.flags
            && self.flags & FLAG_TRACK_DIRTY == 0
            && self.needs_slot()
            && (self.size + next.size) / PAGE_SIZE <= SLOT_MAX_PAGES
    }
}

/// A change of the map, worked out before anything is touched: the ranges
/// it removes and those it puts in their place.
#[derive(Debug, Default)]
struct Change {
    /// First GPAs of the ranges removed.
    remove: Vec<u64>,
    /// The ranges added, in GPA order, without slots; each with the index
    /// (into `remove`) of the removed range whose dirty bits it keeps.
    add: Vec<(Range, Option<usize>)>,
}

impl Change {
    /// Sorts the added ranges and coalesces neighbours that can share a
    /// slot (they are all new slots: coalescing them costs nothing).
    fn coalesce_added(&mut self) {
        self.add.sort_by_key(|(r, _)| r.gpa);
        let mut out: Vec<(Range, Option<usize>)> = Vec::with_capacity(self.add.len());
        for (r, from) in self.add.drain(..) {
            match out.last_mut() {
                Some((last, last_from)) if last.coalesces_with(&r) => {
                    last.size += r.size;
                    // Untracked: no dirty bits to keep.
                    *last_from = None;
                }
                _ => out.push((r, from)),
            }
        }
        self.add = out;
    }

    /// Takes in the untouched neighbours that the first and last added
    /// ranges can share a slot with (two more slot deletions, one slot
    /// fewer in use each): how filling a hole between two coalescable
    /// ranges fits when no slot is free.
    fn widen(&mut self, map: &GpaMap) {
        let (Some((first, _)), Some((last, _))) = (self.add.first(), self.add.last()) else {
            return;
        };
        let left = map
            .ranges
            .range(..first.gpa)
            .next_back()
            .map(|(_, r)| r)
            .filter(|r| r.coalesces_with(first));
        let right = map
            .ranges
            .get(&last.end())
            .filter(|r| last.coalesces_with(r));
        for r in [left, right].into_iter().flatten() {
            if !self.remove.contains(&r.gpa) {
                self.remove.push(r.gpa);
                self.add.push((r.piece(r.gpa, r.end()), None));
            }
        }
        self.coalesce_added();
    }
}

/// The GPA map of one partition.
#[derive(Debug, Default)]
pub(crate) struct GpaMap {
    /// Ranges by first GPA; they never overlap.
    ranges: BTreeMap<u64, Range>,
    free_slots: Vec<u32>,
    next_slot: u32,
    /// Ranges that have a KVM slot.
    used_slots: usize,
    /// KVM_CAP_NR_MEMSLOTS, asked on the first change.
    slot_limit: Option<usize>,
    /// Bumped by every change of the map, so that what was learnt from it
    /// (the exit path's remembered page walks) can tell it is stale.
    generation: u64,
    /// KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is on for the VM: fetching a log
    /// clears nothing, queries clear their own pages (`memory/dirty_log.rs`).
    manual_clear: bool,
    /// Memory this map owns (another process's mapped here, a restored
    /// snapshot's), unmapped when no range uses it any more.
    owned: Vec<OwnedMapping>,
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
    /// Records that the VM clears its dirty log manually (set once, by
    /// WHvSetupPartition, before any slot exists).
    pub(crate) fn set_manual_clear(&mut self, on: bool) {
        self.manual_clear = on;
    }

    /// Whether queries clear KVM's dirty log manually.
    #[cfg(test)]
    pub(crate) fn manual_clear(&self) -> bool {
        self.manual_clear
    }

    /// WHvMapGpaRange: maps `size` bytes of host memory at `host` to `gpa`,
    /// replacing whatever was mapped in `gpa..gpa+size` (Microsoft's
    /// documentation of WHvMapGpaRange: "The operation replaces any
    /// previous mappings for the specified GPA pages",
    /// <https://learn.microsoft.com/virtualization/api/hypervisor-platform/funcs/whvmapgparange>).
    /// All or nothing: on failure the map is as it was.
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
        install_direct_reads();
        if host % PAGE_SIZE != 0 || host == 0 || host.checked_add(size).is_none() {
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
        if size / PAGE_SIZE > SLOT_MAX_PAGES {
            return Err(Error::new(
                E_INVALIDARG,
                "GPA range larger than a KVM memory slot can be (8 TiB)",
            ));
        }
        let plan = |map: &GpaMap| {
            let mut change = map.carve(gpa, end);
            change.add.push((Range::new(gpa, size, host, flags), None));
            change.coalesce_added();
            change
        };
        // SAFETY: the new range is under this function's contract, the
        // pieces put back are parts of ranges mapped under it.
        unsafe { self.change(vm, plan) }?;
        self.release_owned();
        Ok(())
    }

    /// WHvMapGpaRange2 with another process: maps `size` bytes at `source`
    /// in the process `pidfd` names (`pid`, not this process) to `gpa`, by
    /// mapping that process's shared memory here first (`memory/foreign.rs`).
    /// All or nothing, as [`GpaMap::map`].
    #[allow(clippy::too_many_arguments, reason = "WHvMapGpaRange2's arguments")]
    pub(crate) fn map_foreign(
        &mut self,
        vm: &VmFd,
        pidfd: std::os::fd::RawFd,
        pid: libc::pid_t,
        source: u64,
        gpa: u64,
        size: u64,
        flags: u32,
    ) -> Result<()> {
        check_aligned(gpa, size)?;
        let mapping = foreign::map_from(pidfd, pid, source, size, flags & FLAG_WRITE != 0)?;
        // SAFETY: the mapping is kept in `self.foreign` while a range uses
        // it (`release_owned`) and, at the latest, until the map is
        // dropped with the partition.
        unsafe { self.map(vm, mapping.addr(), gpa, size, flags) }?;
        self.owned.push(mapping);
        self.release_owned();
        Ok(())
    }

    /// Maps `mapping` (memory the map then owns) whole at `gpa`.
    pub(crate) fn map_owned(
        &mut self,
        vm: &VmFd,
        mapping: OwnedMapping,
        gpa: u64,
        size: u64,
        flags: u32,
    ) -> Result<()> {
        // SAFETY: as in `map_foreign`: the map keeps the mapping while a
        // range uses it.
        unsafe { self.map(vm, mapping.addr(), gpa, size, flags) }?;
        self.owned.push(mapping);
        Ok(())
    }

    /// Every mapped range: first GPA, size, WHV_MAP_GPA_RANGE_FLAGS, host
    /// address, in GPA order.
    pub(crate) fn ranges(&self) -> impl Iterator<Item = (u64, u64, u32, u64)> + '_ {
        self.ranges
            .values()
            .map(|r| (r.gpa, r.size, r.flags, r.host))
    }

    /// Unmaps the owned memory that no range uses any more.
    fn release_owned(&mut self) {
        let ranges = &self.ranges;
        self.owned
            .retain(|m| ranges.values().any(|r| m.overlaps(r.host, r.size)));
    }

    /// WHvUnmapGpaRange: unmaps every mapped page in `gpa..gpa+size`,
    /// splitting ranges that extend beyond it. All or nothing: on failure
    /// the map is as it was.
    pub(crate) fn unmap(&mut self, vm: &VmFd, gpa: u64, size: u64) -> Result<()> {
        let end = check_aligned(gpa, size)?;
        if self.overlapping(gpa, end).next().is_none() {
            return Err(Error::new(
                WHV_E_GPA_RANGE_NOT_FOUND,
                "no mapped range in the GPA range",
            ));
        }
        // SAFETY: what is put back are parts of ranges the caller mapped
        // under the contract of `map`, which still holds for them.
        unsafe { self.change(vm, |map: &GpaMap| map.carve(gpa, end)) }?;
        self.release_owned();
        Ok(())
    }

    /// The change that takes `gpa..end` out of the map: the ranges that
    /// overlap it go, and their parts outside it come back.
    fn carve(&self, gpa: u64, end: u64) -> Change {
        let mut change = Change::default();
        for r in self.overlapping(gpa, end) {
            let i = change.remove.len();
            change.remove.push(r.gpa);
            if r.gpa < gpa {
                change.add.push((r.piece(r.gpa, gpa), Some(i)));
            }
            if r.end() > end {
                change.add.push((r.piece(end, r.end()), Some(i)));
            }
        }
        change
    }

    /// The KVM slots in use after `change`.
    fn slots_after(&self, change: &Change) -> usize {
        let freed = change
            .remove
            .iter()
            .filter(|k| self.ranges.get(k).is_some_and(|r| r.slot.is_some()))
            .count();
        let added = change.add.iter().filter(|(r, _)| r.needs_slot()).count();
        self.used_slots - freed + added
    }

    fn slot_limit(&mut self, vm: &VmFd) -> usize {
        *self.slot_limit.get_or_insert_with(|| {
            // KVM's documentation: without the capability, 32 slots.
            usize::try_from(vm.check_extension_int(Cap::NrMemslots))
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or(32)
        })
    }

    /// Applies the change `plan` works out, when KVM's slots suffice for
    /// it — after coalescing the map's ranges if they did not.
    ///
    /// # Safety
    /// The ranges `plan` adds must be under the contract of [`GpaMap::map`].
    unsafe fn change(&mut self, vm: &VmFd, plan: impl Fn(&GpaMap) -> Change) -> Result<()> {
        let limit = self.slot_limit(vm);
        let mut change = plan(self);
        if self.slots_after(&change) > limit {
            change.widen(self);
        }
        while self.slots_after(&change) > limit {
            let short = self.slots_after(&change) - limit;
            // Free what is missing and some more, so that the next changes
            // find slots without coalescing again at once.
            if self.coalesce(vm, short + limit / COALESCE_HEADROOM) == 0 {
                return Err(Error::with(
                    HRESULT_ERROR_NO_SYSTEM_RESOURCES,
                    format!(
                        "all {limit} KVM memory slots (KVM_CAP_NR_MEMSLOTS) are in use \
                         and no more mapped ranges can share one"
                    ),
                ));
            }
            change = plan(self);
            change.widen(self);
        }
        // SAFETY: forwarded from this function's contract.
        unsafe { self.apply(vm, change) }
    }

    /// Coalesces runs of ranges that can share a KVM slot (adjacent in
    /// guest and host addresses, same access, not tracking dirty pages),
    /// at most [`COALESCE_MAX`] ranges into one, longest runs first, until
    /// `goal` slots are freed or no run is left; returns the slots freed.
    /// Done only when a change needs more slots than are free: each range
    /// coalesced has its slot deleted (a running VP touching its pages in
    /// that instant gets a memory-access exit; KVM cannot grow a slot in
    /// place), and the map stays locked meanwhile. What the guest and the
    /// caller see of the map does not change, even when KVM fails part way.
    fn coalesce(&mut self, vm: &VmFd, goal: usize) -> usize {
        let mut runs: Vec<Vec<u64>> = Vec::new();
        let mut run: Vec<u64> = Vec::new();
        let mut last: Option<&Range> = None;
        let mut pages = 0;
        for r in self.ranges.values() {
            let joins = last.is_some_and(|l| l.coalesces_with(r))
                && run.len() < COALESCE_MAX
                && pages + r.size / PAGE_SIZE <= SLOT_MAX_PAGES;
            if !joins {
                if run.len() > 1 {
                    runs.push(std::mem::take(&mut run));
                }
                run.clear();
                pages = 0;
            }
            run.push(r.gpa);
            pages += r.size / PAGE_SIZE;
            last = Some(r);
        }
        if run.len() > 1 {
            runs.push(run);
        }
        runs.sort_by_key(|run| std::cmp::Reverse(run.len()));
        let before = self.used_slots;
        for run in runs {
            if before - self.used_slots >= goal {
                break;
            }
            let mut merged: Option<Range> = None;
            for k in &run {
                let Some(r) = self.ranges.get(k) else {
                    continue;
                };
                match &mut merged {
                    Some(m) => m.size += r.size,
                    None => merged = Some(r.piece(r.gpa, r.end())),
                }
            }
            let Some(merged) = merged else {
                continue;
            };
            let change = Change {
                remove: run,
                add: vec![(merged, None)],
            };
            // SAFETY: the merged range covers exactly the ranges it
            // replaces, each mapped under the contract of `map`.
            if unsafe { self.apply(vm, change) }.is_err() {
                // KVM is short of memory: leave the rest as it is.
                break;
            }
        }
        before.saturating_sub(self.used_slots)
    }

    /// Carries out `change` on KVM and in the map: deletes the removed
    /// ranges' slots (keeping their dirty bits), creates the added ranges'
    /// slots, and on any failure puts everything back as it was.
    ///
    /// # Safety
    /// The added ranges must be under the contract of [`GpaMap::map`].
    unsafe fn apply(&mut self, vm: &VmFd, change: Change) -> Result<()> {
        self.generation += 1;
        let mut removed: Vec<Range> = Vec::with_capacity(change.remove.len());
        for k in &change.remove {
            if let Some(r) = self.ranges.remove(k) {
                removed.push(r);
            }
        }
        if removed.len() != change.remove.len() {
            // Not reached: a change is worked out from the map as it is.
            for r in removed {
                self.ranges.insert(r.gpa, r);
            }
            return Err(Error::new(E_UNEXPECTED, "GPA map change out of date"));
        }
        let mut failure = None;
        let mut deleted = 0;
        for r in &mut removed {
            if let Err(e) = self.remove_slot(vm, r) {
                failure = Some(e);
                break;
            }
            deleted += 1;
        }
        let mut added: Vec<Range> = Vec::with_capacity(change.add.len());
        if failure.is_none() {
            for (mut piece, from) in change.add {
                if let Some(parent) = from.and_then(|i| removed.get(i)) {
                    let first = ((piece.gpa - parent.gpa) / PAGE_SIZE) as usize;
                    let pages = (piece.size / PAGE_SIZE) as usize;
                    piece.dirty = bits::copy(&parent.dirty, first, pages);
                }
                // SAFETY: forwarded from this function's contract.
                if let Err(e) = unsafe { self.add_slot(vm, &mut piece) } {
                    failure = Some(e);
                    break;
                }
                added.push(piece);
            }
        }
        let Some(error) = failure else {
            for r in added {
                self.ranges.insert(r.gpa, r);
            }
            return Ok(());
        };
        // Roll back: the new slots go, the old ones come back.
        for mut r in added {
            // Deleting a slot we just created does not fail; if it did, the
            // slot would stay (and the re-creation below be refused).
            let _ = self.remove_slot(vm, &mut r);
        }
        let mut lost = 0;
        for (i, mut r) in removed.into_iter().enumerate() {
            // SAFETY: the range was mapped under the contract of `map` a
            // moment ago, with this very slot layout.
            let back = i >= deleted || unsafe { self.add_slot(vm, &mut r) }.is_ok();
            if back {
                self.ranges.insert(r.gpa, r);
            } else {
                lost += 1;
            }
        }
        if lost > 0 {
            // Only when the kernel is out of memory: say what happened.
            return Err(Error::with(
                error.hresult,
                format!(
                    "{}; KVM could not re-create {lost} memory slot(s), whose ranges are now unmapped",
                    error.context
                ),
            ));
        }
        Err(error)
    }

    /// # Safety
    /// As for [`GpaMap::map`], for `range`'s host memory.
    unsafe fn add_slot(&mut self, vm: &VmFd, range: &mut Range) -> Result<()> {
        if !range.needs_slot() {
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
                self.used_slots += 1;
                Ok(())
            }
            Err(e) => {
                self.free_slots.push(slot);
                Err(Error::from_errno("KVM_SET_USER_MEMORY_REGION", e.errno()))
            }
        }
    }

    fn remove_slot(&mut self, vm: &VmFd, range: &mut Range) -> Result<()> {
        let Some(slot) = range.slot else {
            return Ok(());
        };
        // Keep the bits KVM gathered, for the pieces that survive.
        if range.flags & FLAG_TRACK_DIRTY != 0 {
            let _ = fetch_dirty_log(vm, slot, range);
        }
        let region = kvm_userspace_memory_region {
            slot,
            memory_size: 0,
            ..Default::default()
        };
        // SAFETY: a zero-sized region deletes the slot; no memory is mapped.
        unsafe { vm.set_user_memory_region(region) }
            .map_err(|e| Error::from_errno("KVM_SET_USER_MEMORY_REGION", e.errno()))?;
        range.slot = None;
        self.used_slots -= 1;
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

    /// A number that changes whenever a range is mapped or unmapped: host
    /// addresses looked up under one generation stay valid while it lasts.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
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
            // Every bit of the pages is written below; the rest of the last
            // word reads 0.
            bits::clear_word_tail(b, pages);
        }
        let starts: Vec<u64> = self.overlapping(gpa, end).map(|r| r.gpa).collect();
        let manual = self.manual_clear;
        for start in starts {
            let Some(range) = self.ranges.get_mut(&start) else {
                continue;
            };
            if manual {
                take_manual(vm, range, gpa, end, out.as_deref_mut())?;
                continue;
            }
            if let Some(slot) = range.slot {
                fetch_dirty_log(vm, slot, range)?;
            }
            let lo = range.gpa.max(gpa);
            let hi = range.end().min(end);
            bits::take(
                &mut range.dirty,
                ((lo - range.gpa) / PAGE_SIZE) as usize,
                out.as_deref_mut(),
                ((lo - gpa) / PAGE_SIZE) as usize,
                ((hi - lo) / PAGE_SIZE) as usize,
            );
            if lo == range.gpa && hi == range.end() {
                range.clean = range.dirty.len() == range.log.len();
            }
        }
        Ok(())
    }
}

/// `KVM_GET_DIRTY_LOG` of `range`'s slot into its reused buffer, ORed into
/// its pending bits (without manual clearing KVM clears the slot's log).
fn fetch_dirty_log(vm: &VmFd, slot: u32, range: &mut Range) -> Result<()> {
    let pages = range.size / PAGE_SIZE;
    let words = pages.div_ceil(64) as usize;
    range.log.resize(words, 0);
    // With nothing pending, KVM's log is the pending set: no merge.
    let direct = range.clean && range.dirty.len() == words;
    range.clean = false;
    let buffer = if direct {
        &mut range.dirty
    } else {
        &mut range.log
    };
    dirty_log::get(vm, slot, buffer, pages)?;
    if !direct {
        bits::merge(&mut range.dirty, &range.log);
    }
    Ok(())
}

/// One range's part of a query with manual clearing: the pages of
/// `range` inside `gpa..end` that KVM's log or the range's pending bits
/// hold go to `out` (bit 0 = `gpa`), and exactly those are cleared in KVM;
/// the other pages' bits stay in KVM. A query of the whole range with
/// nothing pending, starting a word of `out`, fetches KVM's log straight
/// into `out` and clears from it.
fn take_manual(
    vm: &VmFd,
    range: &mut Range,
    gpa: u64,
    end: u64,
    out: Option<&mut [u64]>,
) -> Result<()> {
    let pages = range.size / PAGE_SIZE;
    let lo = range.gpa.max(gpa);
    let hi = range.end().min(end);
    let first = ((lo - range.gpa) / PAGE_SIZE) as usize;
    let count = ((hi - lo) / PAGE_SIZE) as usize;
    let to = ((lo - gpa) / PAGE_SIZE) as usize;
    let whole = first == 0 && count as u64 == pages;
    let Some(slot) = range.slot else {
        bits::take(&mut range.dirty, first, out, to, count);
        return Ok(());
    };
    let words = pages.div_ceil(64) as usize;
    let mut out = out;
    if whole && range.dirty.is_empty() && to % 64 == 0 {
        if let Some(o) = out
            .as_deref_mut()
            .and_then(|o| o.get_mut(to / 64..to / 64 + words))
        {
            dirty_log::get(vm, slot, o, pages)?;
            return dirty_log::clear(vm, slot, pages, 0, o);
        }
    }
    range.log.resize(words, 0);
    dirty_log::get(vm, slot, &mut range.log, pages)?;
    bits::keep(&mut range.log, first, count);
    let (w0, w1) = (first / 64, (first + count).div_ceil(64));
    dirty_log::clear(vm, slot, pages, w0, &range.log[w0..w1])?;
    bits::merge(&mut range.dirty, &range.log);
    bits::take(&mut range.dirty, first, out, to, count);
    if whole {
        range.dirty.clear();
    }
    Ok(())
}

/// Our process id, fetched once (and again in a child after `fork`, whose
/// id differs): `process_vm_readv` names the process it reads.
fn self_pid() -> libc::pid_t {
    static PID: AtomicI32 = AtomicI32::new(0);
    static AT_FORK: Once = Once::new();
    extern "C" fn forget_pid() {
        PID.store(0, Ordering::Relaxed);
    }
    let pid = PID.load(Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    AT_FORK.call_once(|| {
        // SAFETY: registers a child-side fork handler that only stores to an
        // atomic (async-signal-safe); no other handler is given.
        unsafe { libc::pthread_atfork(None, None, Some(forget_pid)) };
    });
    let pid = std::process::id() as libc::pid_t;
    PID.store(pid, Ordering::Relaxed);
    pid
}

/// Copies our own memory at `host` into `buf` without trusting that memory
/// to be accessible (it may be `PROT_NONE`).
pub(crate) fn host_read(host: u64, buf: &mut [u8]) -> Result<()> {
    if try_read(host, buf) {
        return Ok(());
    }
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
    let n = unsafe { libc::process_vm_readv(self_pid(), &local, 1, &remote, 1, 0) };
    copied(n, buf.len())
}

/// Copies several pieces of our own memory in one system call, as
/// [`host_read`] does: `pieces[i]` receives the bytes at host address
/// `from[i]`. Succeeds only if every byte was copied.
pub(crate) fn host_read_vectored(from: &[u64], pieces: &mut [&mut [u8]]) -> Result<()> {
    const MAX: usize = 16;
    if from.len() != pieces.len() || from.len() > MAX {
        return Err(Error::new(winhv_defs::E_INVALIDARG, "host_read_vectored"));
    }
    let empty = libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    };
    let mut local = [empty; MAX];
    let mut remote = [empty; MAX];
    let mut want = 0;
    for (i, (piece, &host)) in pieces.iter_mut().zip(from).enumerate() {
        local[i] = libc::iovec {
            iov_base: piece.as_mut_ptr().cast(),
            iov_len: piece.len(),
        };
        remote[i] = libc::iovec {
            iov_base: host as *mut libc::c_void,
            iov_len: piece.len(),
        };
        want += piece.len();
    }
    let n = from.len() as libc::c_ulong;
    // SAFETY: `local[..n]` describes the `pieces`, each valid for writes of
    // its length and not aliased elsewhere while the call runs; the kernel
    // checks `remote` and answers EFAULT (or a short count) for inaccessible
    // memory instead of faulting.
    let got =
        unsafe { libc::process_vm_readv(self_pid(), local.as_ptr(), n, remote.as_ptr(), n, 0) };
    copied(got, want)
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
    let n = unsafe { libc::process_vm_writev(self_pid(), &local, 1, &remote, 1, 0) };
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
