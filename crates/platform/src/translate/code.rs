//! Reading guest code by linear address for the exit path with at most one
//! system call in the usual case: each VP remembers the page walks of the
//! last code pages it read ([`CodeCache`]).
//!
//! A remembered walk is keyed by everything the walk depends on besides
//! guest memory — CR0, CR3, CR4, EFER, RFLAGS.AC, the CPL, the linear page
//! and the GPA map's generation — and records every paging-structure entry
//! the walker read (its host address and value). Reusing it, the entries
//! are read again in the same `process_vm_readv` that fetches the code
//! bytes; only when every entry still holds the recorded value is the
//! result used (the walker is a pure function of those inputs and entries,
//! so the answer is the one a fresh walk would give). Otherwise the page is
//! walked again. A guest that edits its page tables is therefore always
//! seen, even without a CR3 reload or INVLPG.
//!
//! Guest memory is read with the fault-tolerant direct copy of
//! `memory::try_copy` (the caller may make it inaccessible at any moment),
//! one check that its fault handler is still installed per read (two
//! `rt_sigaction` queries), and with `process_vm_readv` when that is
//! unavailable or faults. A read inside one page whose walk is remembered
//! (the exit path's usual case) re-reads the entries with one-instruction
//! loads and copies the bytes, nothing else ([`reuse_page`]).

use std::cell::Cell;

use kvm_bindings::{kvm_regs, kvm_sregs};
use winhv_paging::{GuestPhysMemory, MemError, PagingState, TranslateFlags};

use super::{MappedMemory, cpl, paging_state};
use crate::cpuid_facts::PagingFacts;
use crate::memory::{GpaMap, host_read, host_read_vectored, try_read_all};

/// Paging-structure entries one walk can read (5 levels; PAE PDPTEs are one
/// of them).
const MAX_ENTRIES: usize = 6;
/// Code pages remembered per VP: RIP's page and its neighbour.
const SLOTS: usize = 2;
const PAGE: u64 = 0x1000;
const RFLAGS_AC: u64 = 1 << 18;

/// What a walk of one linear page depends on besides guest memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Key {
    cr0: u64,
    cr3: u64,
    cr4: u64,
    efer: u64,
    ac: u64,
    cpl: u8,
    generation: u64,
    page: u64,
}

/// One paging-structure entry the walker read.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    host: u64,
    value: u64,
    size: u8,
}

/// A remembered walk of one linear page.
#[derive(Clone, Copy, Debug, Default)]
struct Walk {
    key: Key,
    entries: [Entry; MAX_ENTRIES],
    count: usize,
    /// The host address of the page's first byte; `None` when the page does
    /// not translate or its GPA is not mapped.
    host: Option<u64>,
}

/// The remembered code-page walks of one VP.
#[derive(Debug, Default)]
pub(crate) struct CodeCache {
    walks: [Option<Walk>; SLOTS],
    next: usize,
    /// Pages walked afresh (not reused) so far: for tests.
    fresh_walks: u64,
    /// The VP's CPUID facts; fixed for the VP's life, so not in the key.
    facts: PagingFacts,
}

impl CodeCache {
    /// An empty cache for a VP whose CPUID table gives `facts`.
    pub(crate) fn new(facts: PagingFacts) -> Self {
        Self {
            facts,
            ..Self::default()
        }
    }

    /// The VP's CPUID facts (for its other page walks).
    pub(crate) fn facts(&self) -> PagingFacts {
        self.facts
    }

    fn find(&self, key: &Key) -> Option<Walk> {
        self.find_ref(key).copied()
    }

    fn find_ref(&self, key: &Key) -> Option<&Walk> {
        self.walks.iter().flatten().find(|w| w.key == *key)
    }

    fn store(&mut self, walk: Walk) {
        if let Some(slot) = self.walks.iter_mut().flatten().find(|w| w.key == walk.key) {
            *slot = walk;
            return;
        }
        self.walks[self.next] = Some(walk);
        self.next = (self.next + 1) % SLOTS;
    }
}

/// The walker's memory, recording each entry it reads.
struct Recorder<'a> {
    mem: MappedMemory<'a>,
    entries: Cell<[Entry; MAX_ENTRIES]>,
    count: Cell<usize>,
    /// False once the walk did anything a re-read of its entries cannot
    /// confirm (a failed read, a write, too many entries).
    cacheable: Cell<bool>,
}

impl Recorder<'_> {
    fn note(&self, gpa: u64, read: Result<u64, MemError>, size: u8) {
        let n = self.count.get();
        match (read, self.mem.0.lookup(gpa)) {
            (Ok(value), Some((host, _, _))) if n < MAX_ENTRIES => {
                let mut e = self.entries.get();
                e[n] = Entry { host, value, size };
                self.entries.set(e);
                self.count.set(n + 1);
            }
            _ => self.cacheable.set(false),
        }
    }
}

impl GuestPhysMemory for Recorder<'_> {
    fn read_u32(&self, gpa: u64) -> Result<u32, MemError> {
        let r = self.mem.read_u32(gpa);
        self.note(gpa, r.map(u64::from), 4);
        r
    }

    fn read_u64(&self, gpa: u64) -> Result<u64, MemError> {
        let r = self.mem.read_u64(gpa);
        self.note(gpa, r, 8);
        r
    }

    fn compare_exchange_u32(
        &self,
        gpa: u64,
        current: u32,
        new: u32,
    ) -> Result<Result<(), u32>, MemError> {
        self.cacheable.set(false);
        self.mem.compare_exchange_u32(gpa, current, new)
    }

    fn compare_exchange_u64(
        &self,
        gpa: u64,
        current: u64,
        new: u64,
    ) -> Result<Result<(), u64>, MemError> {
        self.cacheable.set(false);
        self.mem.compare_exchange_u64(gpa, current, new)
    }
}

/// Walks `key.page` afresh; the walk and whether it may be remembered.
fn walk_page(map: &GpaMap, state: &PagingState, key: Key) -> (Walk, bool) {
    let rec = Recorder {
        mem: MappedMemory(map),
        entries: Cell::new([Entry::default(); MAX_ENTRIES]),
        count: Cell::new(0),
        cacheable: Cell::new(true),
    };
    let host = winhv_paging::translate(&rec, state, key.page, TranslateFlags::PRIVILEGE_EXEMPT)
        .ok()
        .and_then(|t| map.lookup(t.gpa & !(PAGE - 1)))
        .map(|(host, _, _)| host);
    let walk = Walk {
        key,
        entries: rec.entries.get(),
        count: rec.count.get(),
        host,
    };
    (walk, rec.cacheable.get())
}

/// One page's share of a read: the linear page, the bytes of the buffer it
/// fills and the offset in the page they start at.
#[derive(Clone, Copy)]
struct Part {
    page: u64,
    from: usize,
    to: usize,
    offset: u64,
}

/// The (at most two) pages `len` bytes at `gva` touch; `len` ≤ 4096.
fn parts(gva: u64, len: usize) -> ([Part; 2], usize) {
    let offset = gva & (PAGE - 1);
    let first = len.min((PAGE - offset) as usize);
    let p0 = Part {
        page: gva & !(PAGE - 1),
        from: 0,
        to: first,
        offset,
    };
    let p1 = Part {
        page: gva.wrapping_add(first as u64),
        from: first,
        to: len,
        offset: 0,
    };
    ([p0, p1], if first < len { 2 } else { 1 })
}

/// The readable span of the buffer, given which parts could be read: the
/// bytes that can be read are always one contiguous run.
fn span(parts: &[Part], readable: &[bool]) -> (usize, usize) {
    match (readable.first(), readable.get(1)) {
        (Some(true), None | Some(true)) => (0, parts[parts.len() - 1].to),
        (Some(true), Some(false)) => (0, parts[0].to),
        (Some(false), Some(true)) => (parts[1].from, parts[1].to),
        _ => (0, 0),
    }
}

/// Reads up to `buf.len()` (at most 4096) bytes at linear address `gva` as
/// an instruction fetch would (privilege checks exempt), for a VP with
/// these registers; returns the span `lo..hi` of `buf` that could be read
/// (the bytes of a page that does not translate, is not mapped or not
/// accessible are left as they were and lie outside it).
pub(crate) fn read_code(
    map: &GpaMap,
    cache: &mut CodeCache,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    gva: u64,
    buf: &mut [u8],
) -> (usize, usize) {
    if buf.is_empty() || buf.len() > PAGE as usize {
        return (0, 0);
    }
    let key_of = |page| Key {
        cr0: sregs.cr0,
        cr3: sregs.cr3,
        cr4: sregs.cr4,
        efer: sregs.efer,
        ac: regs.rflags & RFLAGS_AC,
        cpl: cpl(sregs),
        generation: map.generation(),
        page,
    };
    let offset = gva & (PAGE - 1);
    if offset + buf.len() as u64 <= PAGE {
        // The usual case: one page whose walk is remembered.
        if let Some(w) = cache.find_ref(&key_of(gva & !(PAGE - 1))) {
            if let Some(span) = reuse_page(w, offset, buf) {
                return span;
            }
        }
    }
    let (all, n) = parts(gva, buf.len());
    let parts = &all[..n];
    let mut walks = [None; 2];
    for (w, p) in walks.iter_mut().zip(parts) {
        *w = cache.find(&key_of(p.page));
    }
    if walks[..n].iter().all(Option::is_some) {
        if let Some(span) = reuse(parts, &walks[..n], buf) {
            return span;
        }
    }
    // Walk again and remember.
    let state = paging_state(regs, sregs, cache.facts);
    let mut readable = [false; 2];
    for (i, p) in parts.iter().enumerate() {
        let (walk, cacheable) = walk_page(map, &state, key_of(p.page));
        cache.fresh_walks += 1;
        if cacheable {
            cache.store(walk);
        }
        readable[i] = walk
            .host
            .is_some_and(|h| host_read(h + p.offset, &mut buf[p.from..p.to]).is_ok());
    }
    span(parts, &readable[..n])
}

/// [`reuse`] for a read inside one page whose walk reached a mapped page:
/// its entries re-read and compared, then the bytes copied, in one batch
/// of direct reads (no copy of the walk, no piece lists); `None` sends
/// the caller to the general path (an entry changed, direct reads are
/// off, or something faulted).
fn reuse_page(w: &Walk, offset: u64, buf: &mut [u8]) -> Option<(usize, usize)> {
    let host = w.host?;
    let direct = crate::memory::direct()?;
    for e in &w.entries[..w.count] {
        let value = if e.size == 8 {
            direct.read_u64(e.host)?
        } else {
            let mut v = [0u8; 4];
            direct
                .read(e.host, &mut v)
                .then(|| u64::from(u32::from_le_bytes(v)))?
        };
        if value != e.value {
            return None;
        }
    }
    direct.read(host + offset, buf).then_some((0, buf.len()))
}

/// Re-reads the remembered walks' entries together with the code bytes in
/// one system call; the span read, or `None` when an entry changed or the
/// read failed.
fn reuse(parts: &[Part], walks: &[Option<Walk>], buf: &mut [u8]) -> Option<(usize, usize)> {
    let mut values = [[0u8; 8]; 2 * MAX_ENTRIES];
    let mut from = [0u64; 2 * MAX_ENTRIES + 2];
    let mut pieces: [&mut [u8]; 2 * MAX_ENTRIES + 2] = Default::default();
    let mut n = 0;
    let mut slots = values.iter_mut();
    for w in walks.iter().flatten() {
        for e in &w.entries[..w.count] {
            let slot = slots.next()?;
            from[n] = e.host;
            pieces[n] = &mut slot[..usize::from(e.size)];
            n += 1;
        }
    }
    let (head, tail) = buf.split_at_mut(parts[0].to);
    let mut readable = [false; 2];
    for ((i, w), (p, data)) in walks.iter().enumerate().zip(parts.iter().zip([head, tail])) {
        if let Some(h) = w.as_ref().and_then(|w| w.host) {
            from[n] = h + p.offset;
            pieces[n] = data;
            n += 1;
            readable[i] = true;
        }
    }
    if !try_read_all(&from[..n], &mut pieces[..n]) {
        host_read_vectored(&from[..n], &mut pieces[..n]).ok()?;
    }
    let mut got = values.iter();
    for w in walks.iter().flatten() {
        for e in &w.entries[..w.count] {
            let v = got.next()?;
            let mut le = [0u8; 8];
            le[..usize::from(e.size)].copy_from_slice(&v[..usize::from(e.size)]);
            if u64::from_le_bytes(le) != e.value {
                return None;
            }
        }
    }
    Some(span(parts, &readable[..parts.len()]))
}

#[cfg(test)]
mod tests;
