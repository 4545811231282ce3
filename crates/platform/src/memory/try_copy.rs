//! Reading caller memory directly, without trusting it to stay accessible:
//! a copy routine whose one memory-touching instruction is known to the
//! process's SIGSEGV/SIGBUS handler (as are `try_cmpxchg`'s), which turns a
//! fault there into an error return instead of a crash (the technique
//! openvmm's `sparse_mmap` uses). The exit path reads guest code and
//! page-table entries this way, with no system call; `process_vm_readv`
//! remains the fallback.
//!
//! The handler is installed once per process, in front of whatever handler
//! was there (Rust's stack-overflow handler, a program's own): a fault
//! anywhere else is passed on to it unchanged (or, when there was none,
//! the default action runs, as it would have).
//!
//! Known limit: a program that later replaces the SIGSEGV or SIGBUS
//! handler without chaining to ours hides the recovery; [`check`] (called
//! when a VP is created) notices that and turns the direct path off for
//! good, but a replacement after the last check and a fault in the very
//! next direct read — guest memory made inaccessible under a running VP —
//! would then reach the program's handler.

use std::sync::Once;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

// `copy(dst, src, len) -> 0`, or 1 when reading `src` faulted. The only
// instruction that touches `src` is the `rep movsb` at `insn`; the handler
// resumes a fault there at `fault`.
std::arch::global_asm!(
    ".pushsection .text.winhv_platform_try_copy_v1,\"ax\",@progbits",
    ".globl winhv_platform_try_copy_v1",
    ".hidden winhv_platform_try_copy_v1",
    ".globl winhv_platform_try_copy_v1_insn",
    ".hidden winhv_platform_try_copy_v1_insn",
    ".globl winhv_platform_try_copy_v1_fault",
    ".hidden winhv_platform_try_copy_v1_fault",
    "winhv_platform_try_copy_v1:",
    "    mov rcx, rdx",
    "winhv_platform_try_copy_v1_insn:",
    "    rep movsb",
    "    xor eax, eax",
    "    ret",
    "winhv_platform_try_copy_v1_fault:",
    "    mov eax, 1",
    "    ret",
    ".popsection",
);

unsafe extern "C" {
    fn winhv_platform_try_copy_v1(dst: *mut u8, src: *const u8, len: usize) -> u32;
    static winhv_platform_try_copy_v1_insn: u8;
    static winhv_platform_try_copy_v1_fault: u8;
}

/// Whether direct reads may be used (the handler is installed and was
/// still ours at the last check).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// The handlers ours replaced: SIGSEGV, SIGBUS.
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();

fn insn_address() -> usize {
    (&raw const winhv_platform_try_copy_v1_insn) as usize
}

fn fault_address() -> usize {
    (&raw const winhv_platform_try_copy_v1_fault) as usize
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes an SA_SIGINFO handler the interrupted
    // thread's ucontext_t, valid and exclusively ours until we return.
    let uc = unsafe { &mut *ctx.cast::<libc::ucontext_t>() };
    let rip = &mut uc.uc_mcontext.gregs[libc::REG_RIP as usize];
    if *rip as usize == insn_address() {
        // A fault in the copy: resume at its error return.
        *rip = fault_address() as libc::greg_t;
        return;
    }
    if let Some(resume) = super::try_cmpxchg::recovery(*rip as usize) {
        // A fault in a compare-exchange (`try_cmpxchg`): likewise.
        *rip = resume as libc::greg_t;
        return;
    }
    chain(sig, info, ctx);
}

/// Hands a fault that is not ours to the handler we replaced.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let previous = PREVIOUS
        .get()
        .map(|p| if sig == libc::SIGSEGV { p[0] } else { p[1] });
    let handler = previous.map_or(libc::SIG_DFL, |p| p.sa_sigaction);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Back to the default action; returning re-runs the faulting
        // instruction, which then ends the process as it would have.
        // SAFETY: sigaction is plain data; all zeroes is SIG_DFL with an
        // empty mask and no flags.
        let dfl: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: sigaction is async-signal-safe and `dfl` is valid.
        unsafe { libc::sigaction(sig, &dfl, std::ptr::null_mut()) };
        return;
    }
    let flags = previous.map_or(0, |p| p.sa_flags);
    if flags & libc::SA_SIGINFO != 0 {
        // SAFETY: an SA_SIGINFO handler has this signature; it gets the
        // arguments the kernel gave us.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a plain handler takes the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        f(sig);
    }
}

fn our_action() -> libc::sigaction {
    // SAFETY: sigaction is plain data; all zeroes is a valid value.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_fault
        as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
        as libc::sighandler_t;
    // On the alternate stack when there is one (a stack overflow must still
    // reach Rust's handler), with the signal's own mask.
    sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: initialises the mask inside `sa`.
    unsafe { libc::sigemptyset(&mut sa.sa_mask) };
    sa
}

/// Installs the handler (once per process) and checks that it is still
/// the one installed; turns direct reads off for good when not.
pub(crate) fn check() {
    install();
    if !ENABLED.load(Ordering::SeqCst) {
        return;
    }
    let ours = our_action().sa_sigaction;
    let still = [libc::SIGSEGV, libc::SIGBUS].iter().all(|&sig| {
        // SAFETY: sigaction is plain data; all zeroes is a valid value.
        let mut cur: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: queries the current handler into a valid struct.
        let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut cur) };
        r == 0 && cur.sa_sigaction == ours
    });
    if !still {
        ENABLED.store(false, Ordering::SeqCst);
    }
}

/// Installs the handler, once per process (no system call after that).
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: sigaction is plain data; all zeroes is a valid value.
        let mut old: [libc::sigaction; 2] = unsafe { std::mem::zeroed() };
        let ours = our_action();
        let [old_segv, old_bus] = &mut old;
        // SAFETY: queries the current handler into a valid struct.
        let segv = unsafe { libc::sigaction(libc::SIGSEGV, std::ptr::null(), old_segv) };
        // SAFETY: as above.
        let bus = unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), old_bus) };
        let queried = segv == 0 && bus == 0;
        if !queried || PREVIOUS.set(old).is_err() {
            return;
        }
        // SAFETY: installs a handler that only redirects faults of our copy
        // instruction and passes every other fault to the handler saved in
        // PREVIOUS (set above, before the handler can run).
        let segv = unsafe { libc::sigaction(libc::SIGSEGV, &ours, std::ptr::null_mut()) };
        // SAFETY: as above, for SIGBUS (a truncated file mapping).
        let bus = unsafe { libc::sigaction(libc::SIGBUS, &ours, std::ptr::null_mut()) };
        let installed = segv == 0 && bus == 0;
        ENABLED.store(installed, Ordering::SeqCst);
    });
}

/// Whether direct access may be used: the handler is installed and was
/// still ours at the last [`check`] (`try_cmpxchg` relies on it too).
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Copies `buf.len()` bytes of our own memory at `host` into `buf`; false
/// (with `buf` partly written) when the memory is not accessible or direct
/// reads are off.
pub(crate) fn try_read(host: u64, buf: &mut [u8]) -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        return false;
    }
    // SAFETY: `buf` is valid for writes of its length and the routine
    // writes nothing else; it reads `host..host+len` with one `rep movsb`,
    // whose faults the installed handler turns into the return value 1
    // (the routine keeps no state across the fault: the handler only moves
    // RIP to a `mov eax, 1; ret`). The source is raw bytes that the guest
    // may change concurrently: no Rust reference to it exists.
    unsafe { winhv_platform_try_copy_v1(buf.as_mut_ptr(), host as *const u8, buf.len()) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_memory::HostMemory;

    #[test]
    fn reads_accessible_memory_and_survives_inaccessible_memory() {
        check();
        assert!(ENABLED.load(Ordering::SeqCst), "handler installed");
        let mem = HostMemory::new(0x2000).expect("mmap");
        mem.write(
            0xff8,
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        )
        .expect("write");
        let mut buf = [0u8; 16];
        assert!(try_read(mem.as_ptr() as u64 + 0xff8, &mut buf));
        assert_eq!(buf, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        let none = HostMemory::new_inaccessible(0x1000).expect("mmap");
        assert!(!try_read(none.as_ptr() as u64, &mut buf));
        // Straddling into an inaccessible page fails too.
        let page = mem.as_ptr().wrapping_add(0x1000);
        // SAFETY: our own page, not otherwise used while PROT_NONE.
        let r = unsafe { libc::mprotect(page.cast(), 0x1000, libc::PROT_NONE) };
        assert_eq!(r, 0);
        assert!(!try_read(mem.as_ptr() as u64 + 0xff8, &mut buf));
        // And the handler still lets the next direct read through.
        assert!(try_read(mem.as_ptr() as u64 + 0xff0, &mut buf[..16]));
        check();
        assert!(ENABLED.load(Ordering::SeqCst), "still ours");
    }
}
