//! WHvAdviseGpaRange: populate, pin and unpin the host memory behind GPA
//! ranges ([`advise`]; arguments checked by [`check`]).
//!
//! Microsoft documents the types (`WHV_ADVISE_GPA_RANGE_CODE`,
//! `WHV_ADVISE_GPA_RANGE_POPULATE`) and the capability
//! `WHvCapabilityCodeGpaRangePopulateFlags` that says which populate flags
//! work, not the call's rules; ours (README):
//! * Every range must be page aligned, non-empty and not wrap
//!   (`E_INVALIDARG`), and every page of it mapped
//!   (`WHV_E_GPA_RANGE_NOT_FOUND`, as WHvQueryGpaRangeDirtyBitmap answers
//!   for an unmapped range); no range is touched before all are checked.
//!   No range at all does nothing.
//! * Populate: `AdviceBuffer` holds a `WHV_ADVISE_GPA_RANGE_POPULATE` (8
//!   bytes; shorter: `E_INVALIDARG`). The memory behind the range is faulted
//!   in now with `madvise(MADV_POPULATE_READ)` (Linux 5.14), or
//!   `MADV_POPULATE_WRITE` when AccessType is Write — which needs the range
//!   mapped writable (`E_INVALIDARG` otherwise). Execute populates for
//!   reading. Flags: Prefetch is what populating does here, and the
//!   capability reports it where the kernel has `MADV_POPULATE_READ`;
//!   AvoidHardFaults (populate only what needs no I/O) cannot be honoured
//!   by `madvise` and answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`, as
//!   any other bit answers `E_INVALIDARG`. Memory the caller reserved
//!   without access (`PROT_NONE`) cannot be populated: `E_ACCESSDENIED`.
//!   KVM maps the pages into the guest at its first touch of each; it has
//!   no call that does so for a VM without a vCPU.
//! * Pin: `mlock` (the pages are made resident and stay so); the caller's
//!   `RLIMIT_MEMLOCK` (or the missing CAP_IPC_LOCK) refuses it with
//!   `E_OUTOFMEMORY` or `E_ACCESSDENIED`, nothing pinned. Unpin: `munlock`.
//!   Linux does not count pins: one unpin releases pages pinned twice.
//!   The advice buffer is not read for either.
//! * An unknown advice code answers `E_INVALIDARG`.

#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

use std::sync::OnceLock;

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::memory::{FLAG_WRITE, GpaMap, PAGE_SIZE};

/// The advice, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Advice {
    /// Fault the memory in, for writing when `write`.
    Populate {
        write: bool,
    },
    Pin,
    Unpin,
}

/// Whether `MADV_POPULATE_READ` works here (Linux 5.14+), tried once.
pub(crate) fn populate_supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let page = PAGE_SIZE as usize;
        // SAFETY: a fresh anonymous mapping of one page, ours alone.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return false;
        }
        // SAFETY: the page just mapped; populating it changes no content.
        let r = unsafe { libc::madvise(p, page, libc::MADV_POPULATE_READ) };
        // SAFETY: our own mapping, unmapped once.
        unsafe { libc::munmap(p, page) };
        r == 0
    })
}

/// `WHvCapabilityCodeGpaRangePopulateFlags`: Prefetch where populating
/// works.
pub(crate) fn populate_flags() -> u32 {
    let mut f = WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS::default();
    f.set_prefetch(u32::from(populate_supported()));
    f.AsUINT32
}

/// Checks the arguments of WHvAdviseGpaRange (before the partition's
/// state): the ranges' shape, the code, the populate parameters.
pub(crate) fn check(
    ranges: &[WHV_MEMORY_RANGE_ENTRY],
    code: WHV_ADVISE_GPA_RANGE_CODE,
    buffer: &[u8],
) -> Result<Advice> {
    for r in ranges {
        let aligned = r.GuestAddress % PAGE_SIZE == 0 && r.SizeInBytes % PAGE_SIZE == 0;
        if !aligned || r.SizeInBytes == 0 || r.GuestAddress.checked_add(r.SizeInBytes).is_none() {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "GPA range {:#x}+{:#x} is not page aligned, empty or wraps",
                    r.GuestAddress, r.SizeInBytes
                ),
            ));
        }
    }
    match code {
        WHvAdviseGpaRangeCodePopulate => {
            let Some(b) = buffer.get(..8) else {
                return Err(Error::new(
                    E_INVALIDARG,
                    "populate advice needs a WHV_ADVISE_GPA_RANGE_POPULATE (8 bytes)",
                ));
            };
            let flags = WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS {
                AsUINT32: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            };
            let access = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            if flags.AsUINT32 & !3 != 0 {
                return Err(Error::with(
                    E_INVALIDARG,
                    format!("unknown populate flags {:#x}", flags.AsUINT32),
                ));
            }
            if flags.avoid_hard_faults() != 0 {
                return Err(Error::new(
                    HRESULT_ERROR_NOT_SUPPORTED,
                    "AvoidHardFaults: Linux cannot populate only what needs no I/O",
                ));
            }
            let write = match WHV_MEMORY_ACCESS_TYPE(access) {
                WHvMemoryAccessRead | WHvMemoryAccessExecute => false,
                WHvMemoryAccessWrite => true,
                _ => {
                    return Err(Error::with(
                        E_INVALIDARG,
                        format!("unknown access type {access}"),
                    ));
                }
            };
            if !populate_supported() {
                return Err(Error::new(
                    HRESULT_ERROR_NOT_SUPPORTED,
                    "this kernel has no MADV_POPULATE_READ (Linux 5.14)",
                ));
            }
            Ok(Advice::Populate { write })
        }
        WHvAdviseGpaRangeCodePin => Ok(Advice::Pin),
        WHvAdviseGpaRangeCodeUnpin => Ok(Advice::Unpin),
        _ => Err(Error::with(
            E_INVALIDARG,
            format!("unknown advice code {}", code.0),
        )),
    }
}

/// The host spans behind `ranges` in `map`: all mapped (and writable for a
/// populate-for-write), or the error, before anything is done.
fn spans(map: &GpaMap, ranges: &[WHV_MEMORY_RANGE_ENTRY], write: bool) -> Result<Vec<(u64, u64)>> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for r in ranges {
        let end = r.GuestAddress + r.SizeInBytes;
        let mut at = r.GuestAddress;
        while at < end {
            let (host, flags, avail) = map.lookup(at).ok_or_else(|| {
                Error::with(
                    WHV_E_GPA_RANGE_NOT_FOUND,
                    format!("GPA {at:#x} is not mapped"),
                )
            })?;
            if write && flags & FLAG_WRITE == 0 {
                return Err(Error::with(
                    E_INVALIDARG,
                    format!("GPA {at:#x} is not mapped writable: cannot populate it for writing"),
                ));
            }
            let n = avail.min(end - at);
            match out.last_mut() {
                Some((h, len)) if *h + *len == host => *len += n,
                _ => out.push((host, n)),
            }
            at += n;
        }
    }
    Ok(out)
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// WHvAdviseGpaRange on `map` (checked by [`check`]).
pub(crate) fn advise(
    map: &GpaMap,
    ranges: &[WHV_MEMORY_RANGE_ENTRY],
    advice: Advice,
) -> Result<()> {
    let write = matches!(advice, Advice::Populate { write: true });
    let spans = spans(map, ranges, write)?;
    for (i, &(host, len)) in spans.iter().enumerate() {
        let (addr, len) = (host as *mut libc::c_void, len as usize);
        // SAFETY (each call): `host..host+len` is caller memory mapped into
        // the guest, which the caller keeps mapped while it is
        // (WHvMapGpaRange's contract). Populating faults pages in without
        // changing their content (for writing: as a write of the same
        // bytes), and (un)locking changes only residency.
        let r = match advice {
            Advice::Populate { write } => {
                let how = if write {
                    libc::MADV_POPULATE_WRITE
                } else {
                    libc::MADV_POPULATE_READ
                };
                // SAFETY: see above.
                unsafe { libc::madvise(addr, len, how) }
            }
            // SAFETY: see above.
            Advice::Pin => unsafe { libc::mlock(addr, len) },
            // SAFETY: see above.
            Advice::Unpin => unsafe { libc::munlock(addr, len) },
        };
        if r != 0 {
            let e = errno();
            if advice == Advice::Pin {
                // Nothing stays pinned: undo the spans done.
                for &(h, l) in &spans[..i] {
                    // SAFETY: as above; these spans were locked just now.
                    unsafe { libc::munlock(h as *mut libc::c_void, l as usize) };
                }
            }
            return Err(match (advice, e) {
                // EINVAL for memory without access (measured: PROT_NONE),
                // EFAULT where populating would fault.
                (Advice::Populate { .. }, libc::EINVAL | libc::EFAULT) => Error::new(
                    E_ACCESSDENIED,
                    "the memory behind the range is not accessible (reserved without access?)",
                ),
                (Advice::Pin, libc::EAGAIN | libc::ENOMEM) => {
                    Error::new(E_OUTOFMEMORY, "mlock: over the process's RLIMIT_MEMLOCK")
                }
                _ => Error::from_errno(
                    match advice {
                        Advice::Populate { .. } => "madvise(MADV_POPULATE_*)",
                        Advice::Pin => "mlock",
                        Advice::Unpin => "munlock",
                    },
                    e,
                ),
            });
        }
    }
    Ok(())
}
