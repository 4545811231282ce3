//! Compare-exchange on caller memory without trusting it to be writable:
//! how WHvTranslateGva's SetPageTableBits sets Accessed/Dirty bits in the
//! guest's page tables. The caller may make the memory behind a range it
//! mapped read/write read-only (or inaccessible) at any moment, even
//! between a check and the write, so no check is made: the one locked
//! `cmpxchg` that touches the memory is known to `try_copy`'s SIGSEGV/SIGBUS
//! handler ([`recovery`]), which turns its fault into an error return. A
//! `lock cmpxchg` writes even when the comparison fails, so read-only
//! memory always faults: the answer is "not writable", never a crash.
//!
//! When direct access is off (a program replaced our fault handler, see
//! `try_copy`), the exchange falls back to `process_vm_readv`, a compare
//! and `process_vm_writev` of the bytes that change. That also cannot
//! crash, but it is not atomic: a guest VP writing the same entry between
//! the read and the write loses its write of those bytes (for an
//! Accessed/Dirty update, the entry's low byte). Known limit, documented.

use super::{host_read, host_write, try_copy};

// `cmpxchg64(ptr, expected, new, faulted) -> old` and the same for 32 bits:
// the value that was in memory (equal to `expected` when it was replaced),
// or, when the `lock cmpxchg` at `*_insn` faulted, `*faulted = 1` (the
// handler resumes it at `fault`, where RCX still holds `faulted`).
std::arch::global_asm!(
    ".pushsection .text.winhv_platform_try_cmpxchg_v1,\"ax\",@progbits",
    ".globl winhv_platform_try_cmpxchg64_v1",
    ".hidden winhv_platform_try_cmpxchg64_v1",
    ".globl winhv_platform_try_cmpxchg64_v1_insn",
    ".hidden winhv_platform_try_cmpxchg64_v1_insn",
    ".globl winhv_platform_try_cmpxchg32_v1",
    ".hidden winhv_platform_try_cmpxchg32_v1",
    ".globl winhv_platform_try_cmpxchg32_v1_insn",
    ".hidden winhv_platform_try_cmpxchg32_v1_insn",
    ".globl winhv_platform_try_cmpxchg_v1_fault",
    ".hidden winhv_platform_try_cmpxchg_v1_fault",
    "winhv_platform_try_cmpxchg64_v1:",
    "    mov rax, rsi",
    "winhv_platform_try_cmpxchg64_v1_insn:",
    "    lock cmpxchg qword ptr [rdi], rdx",
    "    ret",
    "winhv_platform_try_cmpxchg32_v1:",
    "    mov eax, esi",
    "winhv_platform_try_cmpxchg32_v1_insn:",
    "    lock cmpxchg dword ptr [rdi], edx",
    "    ret",
    "winhv_platform_try_cmpxchg_v1_fault:",
    "    mov byte ptr [rcx], 1",
    "    xor eax, eax",
    "    ret",
    ".popsection",
);

unsafe extern "C" {
    fn winhv_platform_try_cmpxchg64_v1(
        ptr: *mut u64,
        expected: u64,
        new: u64,
        faulted: *mut u8,
    ) -> u64;
    fn winhv_platform_try_cmpxchg32_v1(
        ptr: *mut u32,
        expected: u32,
        new: u32,
        faulted: *mut u8,
    ) -> u32;
    static winhv_platform_try_cmpxchg64_v1_insn: u8;
    static winhv_platform_try_cmpxchg32_v1_insn: u8;
    static winhv_platform_try_cmpxchg_v1_fault: u8;
}

/// Where a fault at `rip` resumes, when `rip` is one of our `lock cmpxchg`
/// instructions. Async-signal-safe (address comparisons only): called by
/// `try_copy`'s fault handler.
pub(super) fn recovery(rip: usize) -> Option<usize> {
    let insns = [
        (&raw const winhv_platform_try_cmpxchg64_v1_insn) as usize,
        (&raw const winhv_platform_try_cmpxchg32_v1_insn) as usize,
    ];
    insns
        .contains(&rip)
        .then_some((&raw const winhv_platform_try_cmpxchg_v1_fault) as usize)
}

/// Why a compare-exchange did not happen: the memory is not writable (or
/// not accessible at all) from this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NotWritable;

/// If the 64-bit value at host address `host` (8-aligned, our own memory)
/// is `current`, atomically replaces it with `new` (`Ok(Ok(()))`); else
/// `Ok(Err(actual))`. `Err(NotWritable)` when the memory is not writable.
pub(crate) fn compare_exchange_u64(
    host: u64,
    current: u64,
    new: u64,
) -> Result<Result<(), u64>, NotWritable> {
    if host % 8 != 0 {
        return Err(NotWritable);
    }
    if !try_copy::enabled() {
        return by_copy(host, current, new);
    }
    let mut faulted = 0u8;
    // SAFETY: the routine touches `host` only with its `lock cmpxchg`, whose
    // faults the installed handler (enabled, checked above) resumes at the
    // routine's error return, which writes only `faulted` (a live local);
    // `host` is 8-aligned. The memory is shared with the guest, which is
    // why the access is a locked instruction and no Rust reference to it
    // exists.
    let old =
        unsafe { winhv_platform_try_cmpxchg64_v1(host as *mut u64, current, new, &mut faulted) };
    if faulted != 0 {
        return Err(NotWritable);
    }
    Ok(if old == current { Ok(()) } else { Err(old) })
}

/// [`compare_exchange_u64`] for a 32-bit value at a 4-aligned `host`.
pub(crate) fn compare_exchange_u32(
    host: u64,
    current: u32,
    new: u32,
) -> Result<Result<(), u32>, NotWritable> {
    if host % 4 != 0 {
        return Err(NotWritable);
    }
    if !try_copy::enabled() {
        return by_copy(host, current, new);
    }
    let mut faulted = 0u8;
    // SAFETY: as in `compare_exchange_u64`, for a 4-aligned address.
    let old =
        unsafe { winhv_platform_try_cmpxchg32_v1(host as *mut u32, current, new, &mut faulted) };
    if faulted != 0 {
        return Err(NotWritable);
    }
    Ok(if old == current { Ok(()) } else { Err(old) })
}

/// A value of 4 or 8 bytes, for the fallback.
trait Word: Copy + Eq {
    const SIZE: usize;
    fn to_le(self) -> [u8; 8];
    fn from_le(b: [u8; 8]) -> Self;
}

impl Word for u32 {
    const SIZE: usize = 4;
    fn to_le(self) -> [u8; 8] {
        u64::from(self).to_le_bytes()
    }
    fn from_le(b: [u8; 8]) -> Self {
        u64::from_le_bytes(b) as u32
    }
}

impl Word for u64 {
    const SIZE: usize = 8;
    fn to_le(self) -> [u8; 8] {
        self.to_le_bytes()
    }
    fn from_le(b: [u8; 8]) -> Self {
        u64::from_le_bytes(b)
    }
}

/// The fallback: read, compare, write back only the bytes that change,
/// through the kernel (which answers EFAULT instead of faulting). Not
/// atomic against the guest (see the module comment).
fn by_copy<T: Word>(host: u64, current: T, new: T) -> Result<Result<(), T>, NotWritable> {
    let mut now = [0u8; 8];
    host_read(host, &mut now[..T::SIZE]).map_err(|_| NotWritable)?;
    let actual = T::from_le(now);
    if actual != current {
        return Ok(Err(actual));
    }
    let (old, new_bytes) = (current.to_le(), new.to_le());
    let differ = |i: &usize| old[*i] != new_bytes[*i];
    let (Some(first), Some(last)) = ((0..T::SIZE).find(differ), (0..T::SIZE).rev().find(differ))
    else {
        // Nothing changes; still, the caller asked for a write: prove the
        // memory writable by writing the value it holds.
        return host_write(host, &now[..T::SIZE])
            .map(|()| Ok(()))
            .map_err(|_| NotWritable);
    };
    host_write(host + first as u64, &new_bytes[first..=last])
        .map(|()| Ok(()))
        .map_err(|_| NotWritable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_memory::HostMemory;

    fn protect(mem: &HostMemory, prot: i32) {
        // SAFETY: our own mapping; no Rust reference into it exists.
        let r = unsafe { libc::mprotect(mem.as_ptr().cast(), mem.len(), prot) };
        assert_eq!(r, 0, "mprotect");
    }

    fn read_u64(mem: &HostMemory, offset: usize) -> u64 {
        let mut b = [0u8; 8];
        host_read(mem.as_ptr() as u64 + offset as u64, &mut b).expect("readable");
        u64::from_le_bytes(b)
    }

    #[test]
    fn exchanges_in_writable_memory() {
        try_copy::check();
        assert!(try_copy::enabled(), "handler installed");
        let mem = HostMemory::new(0x1000).expect("mmap");
        let at = mem.as_ptr() as u64 + 0x18;
        mem.write(0x18, &0x1111_2222_3333_0001u64.to_le_bytes())
            .expect("write");
        assert_eq!(
            compare_exchange_u64(at, 0x1111_2222_3333_0001, 0x1111_2222_3333_0061),
            Ok(Ok(()))
        );
        assert_eq!(read_u64(&mem, 0x18), 0x1111_2222_3333_0061);
        assert_eq!(
            compare_exchange_u64(at, 0x1111_2222_3333_0001, 5),
            Ok(Err(0x1111_2222_3333_0061)),
            "a stale value is not replaced"
        );
        assert_eq!(read_u64(&mem, 0x18), 0x1111_2222_3333_0061);
        // 32 bits, in the low half.
        assert_eq!(
            compare_exchange_u32(at, 0x3333_0061, 0x3333_0021),
            Ok(Ok(()))
        );
        assert_eq!(
            compare_exchange_u32(at, 0x3333_0061, 7),
            Ok(Err(0x3333_0021))
        );
        assert_eq!(read_u64(&mem, 0x18), 0x1111_2222_3333_0021);
        assert_eq!(
            compare_exchange_u64(at + 4, 0, 1),
            Err(NotWritable),
            "misaligned"
        );
        assert_eq!(
            compare_exchange_u32(at + 2, 0, 1),
            Err(NotWritable),
            "misaligned"
        );
    }

    #[test]
    fn read_only_and_inaccessible_memory_answer_not_writable() {
        try_copy::check();
        let mem = HostMemory::new(0x1000).expect("mmap");
        let at = mem.as_ptr() as u64 + 0x40;
        mem.write(0x40, &0x21u64.to_le_bytes()).expect("write");
        protect(&mem, libc::PROT_READ);
        // Matching and not matching: a locked cmpxchg writes either way.
        assert_eq!(compare_exchange_u64(at, 0x21, 0x61), Err(NotWritable));
        assert_eq!(compare_exchange_u64(at, 0x99, 0x61), Err(NotWritable));
        assert_eq!(compare_exchange_u32(at, 0x21, 0x61), Err(NotWritable));
        assert_eq!(read_u64(&mem, 0x40), 0x21, "unchanged");
        protect(&mem, libc::PROT_NONE);
        assert_eq!(compare_exchange_u64(at, 0x21, 0x61), Err(NotWritable));
        assert_eq!(compare_exchange_u32(at, 0x21, 0x61), Err(NotWritable));
        // Writable again: the handler lets the next exchange through.
        protect(&mem, libc::PROT_READ | libc::PROT_WRITE);
        assert_eq!(compare_exchange_u64(at, 0x21, 0x61), Ok(Ok(())));
        assert_eq!(read_u64(&mem, 0x40), 0x61);
        try_copy::check();
        assert!(try_copy::enabled(), "still ours");
    }

    #[test]
    fn protection_changing_under_the_exchange_never_crashes() {
        try_copy::check();
        let mem = HostMemory::new(0x1000).expect("mmap");
        let at = mem.as_ptr() as u64;
        let addr = mem.as_ptr() as usize;
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (mut done, mut refused) = (0u32, 0u32);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut prot = libc::PROT_READ;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // SAFETY: our own mapping, alive for the whole scope.
                    unsafe { libc::mprotect(addr as *mut libc::c_void, 0x1000, prot) };
                    prot ^= libc::PROT_WRITE;
                }
            });
            let mut value = 0u64;
            for _ in 0..20_000 {
                match compare_exchange_u64(at, value, value + 1) {
                    Ok(Ok(())) => {
                        value += 1;
                        done += 1;
                    }
                    Ok(Err(actual)) => panic!("nobody else writes: {actual:#x} != {value:#x}"),
                    Err(NotWritable) => refused += 1,
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        protect(&mem, libc::PROT_READ | libc::PROT_WRITE);
        assert_eq!(read_u64(&mem, 0), u64::from(done), "every success counted");
        assert_eq!(done + refused, 20_000);
    }

    #[test]
    fn fallback_by_copy() {
        let mem = HostMemory::new(0x1000).expect("mmap");
        let at = mem.as_ptr() as u64 + 8;
        mem.write(8, &0xaabb_ccdd_0000_0003u64.to_le_bytes())
            .expect("write");
        assert_eq!(
            by_copy(at, 0xaabb_ccdd_0000_0003u64, 0xaabb_ccdd_0000_0063),
            Ok(Ok(()))
        );
        assert_eq!(read_u64(&mem, 8), 0xaabb_ccdd_0000_0063);
        assert_eq!(by_copy(at, 3u64, 0x63), Ok(Err(0xaabb_ccdd_0000_0063)));
        assert_eq!(by_copy(at, 0x63u32, 0x23), Ok(Ok(())));
        assert_eq!(read_u64(&mem, 8), 0xaabb_ccdd_0000_0023);
        assert_eq!(by_copy(at, 0x23u32, 0x23), Ok(Ok(())), "no change");
        protect(&mem, libc::PROT_READ);
        assert_eq!(by_copy(at, 0x23u32, 0x63), Err(NotWritable));
        assert_eq!(
            by_copy(at, 0x23u32, 0x23),
            Err(NotWritable),
            "no change, read-only"
        );
        assert_eq!(
            by_copy(at, 0x99u32, 0x63),
            Ok(Err(0x23)),
            "stale: nothing written"
        );
        assert_eq!(read_u64(&mem, 8), 0xaabb_ccdd_0000_0023);
        protect(&mem, libc::PROT_NONE);
        assert_eq!(by_copy(at, 0x23u32, 0x63), Err(NotWritable));
    }
}
