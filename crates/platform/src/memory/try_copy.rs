//! Reading caller memory directly, without trusting it to stay accessible:
//! a copy routine whose one memory-touching instruction is known to the
//! process's SIGSEGV/SIGBUS handler (as are `try_cmpxchg`'s), which turns a
//! fault there into an error return instead of a crash (the technique
//! openvmm's `sparse_mmap` uses). The exit path reads guest code and
//! page-table entries this way, with no copying system call;
//! `process_vm_readv` remains the fallback.
//!
//! The handler is installed once per process (on the first mapping or VP),
//! in front of whatever was there (Rust's stack-overflow handler, a
//! program's own, the default action), and every signal that is not a
//! fault of our own instructions has exactly the effect it would have had
//! without us:
//! * only a fault the kernel raised (`si_code > 0`: SEGV_MAPERR,
//!   SEGV_ACCERR, BUS_ADRERR, SI_KERNEL for a #GP, …) at one of our
//!   instructions is recovered; a *sent* signal (`kill`, `raise`,
//!   `tgkill`, `sigqueue`: SI_USER, SI_TKILL, SI_QUEUE, …) never is, even
//!   when it interrupts our copy;
//! * anything else goes to the previous handler, with the previous
//!   action's mask and SA_NODEFER/SA_RESTART/SA_ONSTACK (ours is installed
//!   with them) and its SA_RESETHAND emulated (called once, then the
//!   default action);
//! * with the default action before us, a fault is left to run again with
//!   the default action back in place (it ends the process with the
//!   kernel's own siginfo, as it would have); a sent signal is sent again
//!   with its siginfo once the default action is back in place, so it ends
//!   the process (with a core dump where enabled) as it would have; with
//!   SIG_IGN before us, a sent signal is dropped and a fault ends the
//!   process (what the kernel does with an ignored fault signal).
//!
//! Direct access is used only while our handler is the one installed: every
//! use asks the kernel first (two `rt_sigaction` queries, ≈0.2 µs each on
//! our machines, once per batch of reads: [`direct`] hands out the batch's
//! reads after the check, a one-`mov` load for page-table entries among
//! them), and falls back to
//! `process_vm_readv` when a program replaced the handler without chaining
//! or our handler had to step aside for a default action. Known limit: a
//! replacement by another thread between that query and the copy (a few
//! instructions) would still let a fault of that copy reach the program's
//! handler.

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

// `load(src, dst) -> 0` with the 8 bytes at `src` stored at `dst`, or 1
// when reading `src` faulted: one `mov` (a page-table entry is read with
// one instruction, not a `rep movsb` of 8 iterations). The only
// instruction that touches `src` is the load at `insn`.
std::arch::global_asm!(
    ".pushsection .text.winhv_platform_try_load_v1,\"ax\",@progbits",
    ".globl winhv_platform_try_load_v1",
    ".hidden winhv_platform_try_load_v1",
    ".globl winhv_platform_try_load_v1_insn",
    ".hidden winhv_platform_try_load_v1_insn",
    ".globl winhv_platform_try_load_v1_fault",
    ".hidden winhv_platform_try_load_v1_fault",
    "winhv_platform_try_load_v1:",
    "winhv_platform_try_load_v1_insn:",
    "    mov rax, qword ptr [rdi]",
    "    mov qword ptr [rsi], rax",
    "    xor eax, eax",
    "    ret",
    "winhv_platform_try_load_v1_fault:",
    "    mov eax, 1",
    "    ret",
    ".popsection",
);

unsafe extern "C" {
    fn winhv_platform_try_copy_v1(dst: *mut u8, src: *const u8, len: usize) -> u32;
    static winhv_platform_try_copy_v1_insn: u8;
    static winhv_platform_try_copy_v1_fault: u8;
    fn winhv_platform_try_load_v1(src: *const u64, dst: *mut u64) -> u32;
    static winhv_platform_try_load_v1_insn: u8;
    static winhv_platform_try_load_v1_fault: u8;
}

/// Whether the handler was installed (once per process).
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// The actions ours replaced: SIGSEGV, SIGBUS.
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();
/// A previous SA_RESETHAND handler has had its one call: SIGSEGV, SIGBUS.
static RESET: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

fn index(sig: libc::c_int) -> usize {
    usize::from(sig != libc::SIGSEGV)
}

fn insn_address() -> usize {
    (&raw const winhv_platform_try_copy_v1_insn) as usize
}

fn fault_address() -> usize {
    (&raw const winhv_platform_try_copy_v1_fault) as usize
}

fn load_insn_address() -> usize {
    (&raw const winhv_platform_try_load_v1_insn) as usize
}

fn load_fault_address() -> usize {
    (&raw const winhv_platform_try_load_v1_fault) as usize
}

fn handler_address() -> libc::sighandler_t {
    on_fault as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
        as libc::sighandler_t
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes an SA_SIGINFO handler a valid siginfo_t
    // (or, defensively, null), ours to read until we return.
    let code = unsafe { info.as_ref() }.map_or(0, |i| i.si_code);
    // Raised by the kernel for the instruction at RIP (si_code > 0), not
    // sent by anyone (SI_USER 0, SI_QUEUE -1, SI_TKILL -6, … are ≤ 0).
    let fault = code > 0;
    if fault {
        // SAFETY: the kernel passes an SA_SIGINFO handler the interrupted
        // thread's ucontext_t, valid and exclusively ours until we return.
        let uc = unsafe { &mut *ctx.cast::<libc::ucontext_t>() };
        let rip = &mut uc.uc_mcontext.gregs[libc::REG_RIP as usize];
        if *rip as usize == insn_address() {
            // A fault in the copy: resume at its error return.
            *rip = fault_address() as libc::greg_t;
            return;
        }
        if *rip as usize == load_insn_address() {
            // A fault in the load: likewise.
            *rip = load_fault_address() as libc::greg_t;
            return;
        }
        if let Some(resume) = super::try_cmpxchg::recovery(*rip as usize) {
            // A fault in a compare-exchange (`try_cmpxchg`): likewise.
            *rip = resume as libc::greg_t;
            return;
        }
    }
    pass_on(sig, info, ctx, fault);
}

/// Gives a signal that is not ours the effect the action we replaced would
/// have given it (see the module comment). Async-signal-safe.
fn pass_on(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void, fault: bool) {
    let i = index(sig);
    let Some(previous) = PREVIOUS.get().map(|p| p[i]) else {
        return default_action(sig, info, fault);
    };
    let spent =
        previous.sa_flags & libc::SA_RESETHAND != 0 && RESET[i].swap(true, Ordering::SeqCst);
    let handler = if spent {
        libc::SIG_DFL
    } else {
        previous.sa_sigaction
    };
    match handler {
        // Without us the kernel would have dropped a sent signal.
        libc::SIG_IGN if !fault => {}
        libc::SIG_DFL | libc::SIG_IGN => default_action(sig, info, fault),
        _ if previous.sa_flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: an SA_SIGINFO handler has this signature; it gets the
            // arguments the kernel gave us.
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(handler) };
            f(sig, info, ctx);
        }
        _ => {
            // SAFETY: a plain handler takes the signal number.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
            f(sig);
        }
    }
}

/// The default action of SIGSEGV/SIGBUS (end the process, with a core dump
/// where enabled), for a signal that reached our handler instead.
fn default_action(sig: libc::c_int, info: *mut libc::siginfo_t, fault: bool) {
    // SAFETY: sigaction is plain data; all zeroes is SIG_DFL with an empty
    // mask and no flags.
    let dfl: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: sigaction is async-signal-safe and `dfl` is valid. From here
    // on direct access is off: `enabled` sees that the handler is not ours.
    unsafe { libc::sigaction(sig, &dfl, std::ptr::null_mut()) };
    if fault {
        // Returning runs the faulting instruction again, which now ends the
        // process with the kernel's own siginfo, as it would have.
        return;
    }
    // A sent signal does not come again by itself: send it again, with its
    // siginfo (sender, si_code), to this thread, and let it through.
    // SAFETY: getpid is async-signal-safe and takes no memory.
    let pid = unsafe { libc::getpid() };
    // SAFETY: as getpid, for the thread's id.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    // SAFETY: rt_tgsigqueueinfo reads the siginfo the kernel gave us
    // (valid); a process may queue any si_code to itself. `raise` is the
    // fallback should it be refused.
    let sent = !info.is_null()
        && unsafe { libc::syscall(libc::SYS_rt_tgsigqueueinfo, pid, tid, sig, info) } == 0;
    if !sent {
        // SAFETY: raise is async-signal-safe.
        unsafe { libc::raise(sig) };
    }
    // SAFETY: sigset_t is plain data, initialised by sigemptyset.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t.
    unsafe { libc::sigemptyset(&mut set) };
    // SAFETY: as above; `sig` is a valid signal number.
    unsafe { libc::sigaddset(&mut set, sig) };
    // SAFETY: changes only this thread's mask (the kernel restores the
    // interrupted mask when we return), which delivers the pending signal
    // here and now.
    unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    // Still alive: only a debugger that swallowed the signal gets here.
    // Put our handler back, so that direct access stays safe.
    if let Some(previous) = PREVIOUS.get() {
        let ours = our_action(&previous[index(sig)]);
        // SAFETY: installs our handler again (as `install` did).
        unsafe { libc::sigaction(sig, &ours, std::ptr::null_mut()) };
    }
}

/// Our action, in place of `previous`: its mask and its SA_NODEFER,
/// SA_RESTART and SA_ONSTACK, so that a signal passed on to it is handled
/// as it would have been (a stack overflow reaches Rust's handler on the
/// alternate stack; an ignored or default action keeps system calls
/// restarting).
fn our_action(previous: &libc::sigaction) -> libc::sigaction {
    // SAFETY: sigaction is plain data; all zeroes is a valid value.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler_address();
    let kept = libc::SA_NODEFER | libc::SA_RESTART | libc::SA_ONSTACK;
    let custom = previous.sa_sigaction != libc::SIG_DFL && previous.sa_sigaction != libc::SIG_IGN;
    sa.sa_flags = libc::SA_SIGINFO
        | if custom {
            previous.sa_flags & kept
        } else {
            libc::SA_RESTART
        };
    sa.sa_mask = previous.sa_mask;
    sa
}

/// Installs the handler if it is not yet installed (kept for the VP's
/// creation, which calls it; whether the handler is still ours is asked at
/// every use, see [`enabled`]).
pub(crate) fn check() {
    install();
}

/// Installs the handler, once per process (no system call after that).
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: sigaction is plain data; all zeroes is a valid value.
        let mut old: [libc::sigaction; 2] = unsafe { std::mem::zeroed() };
        let [old_segv, old_bus] = &mut old;
        // SAFETY: queries the current handler into a valid struct.
        let segv = unsafe { libc::sigaction(libc::SIGSEGV, std::ptr::null(), old_segv) };
        // SAFETY: as above.
        let bus = unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), old_bus) };
        let queried = segv == 0 && bus == 0;
        if !queried || PREVIOUS.set(old).is_err() {
            return;
        }
        let installed = SIGNALS.iter().zip(&old).all(|(&sig, previous)| {
            let ours = our_action(previous);
            // SAFETY: installs a handler that only redirects faults of our
            // own instructions and gives every other signal the effect of
            // the action saved in PREVIOUS (set above, before the handler
            // can run).
            unsafe { libc::sigaction(sig, &ours, std::ptr::null_mut()) == 0 }
        });
        INSTALLED.store(installed, Ordering::SeqCst);
    });
}

/// The kernel's `struct sigaction` on x86_64 (what `rt_sigaction` fills;
/// glibc's `sigaction` converts from it, which the exit path skips).
#[repr(C)]
#[derive(Default)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// The handler the kernel has for `sig`, asked with one `rt_sigaction`
/// system call; `None` when the query fails.
fn current_handler(sig: libc::c_int) -> Option<usize> {
    let mut cur = KernelSigaction::default();
    // SAFETY: rt_sigaction with no new action only writes the current one
    // into `cur`, a valid kernel sigaction of the size the 8-byte mask
    // argument describes.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            std::ptr::null::<KernelSigaction>(),
            &mut cur,
            size_of::<u64>(),
        )
    };
    (r == 0).then_some(cur.handler)
}

/// Whether direct access may be used now: our handler is installed and
/// still the action of both SIGSEGV and SIGBUS (two `rt_sigaction`
/// system calls; a batch of reads asks once). `try_cmpxchg` relies on it
/// too.
pub(crate) fn enabled() -> bool {
    if !INSTALLED.load(Ordering::Relaxed) {
        return false;
    }
    let ours = handler_address();
    SIGNALS
        .iter()
        .all(|&sig| current_handler(sig) == Some(ours))
}

/// Proof that [`enabled`] answered true just now: the direct reads of one
/// batch, made right after the check (see the module comment). Not to be
/// kept: each batch asks again.
pub(crate) struct Direct(std::marker::PhantomData<*const ()>);

/// The direct reads of one batch, when they may be used now.
pub(crate) fn direct() -> Option<Direct> {
    enabled().then_some(Direct(std::marker::PhantomData))
}

impl Direct {
    /// [`try_read`] without asking again.
    pub(crate) fn read(&self, host: u64, buf: &mut [u8]) -> bool {
        copy(host, buf)
    }

    /// The 8 bytes at `host` (any alignment), or `None` when they are not
    /// accessible.
    pub(crate) fn read_u64(&self, host: u64) -> Option<u64> {
        let mut v = 0u64;
        // SAFETY: `v` is valid for an 8-byte write; the routine reads
        // `host..host+8` with one `mov`, whose faults the installed
        // handler (checked by `direct`) turns into the return value 1.
        // The source is guest memory that may change concurrently: no Rust
        // reference to it exists.
        let r = unsafe { winhv_platform_try_load_v1(host as *const u64, &mut v) };
        (r == 0).then_some(v)
    }
}

/// The copy itself, for a caller that checked [`enabled`].
fn copy(host: u64, buf: &mut [u8]) -> bool {
    // SAFETY: `buf` is valid for writes of its length and the routine
    // writes nothing else; it reads `host..host+len` with one `rep movsb`,
    // whose faults the installed handler turns into the return value 1
    // (the routine keeps no state across the fault: the handler only moves
    // RIP to a `mov eax, 1; ret`). The source is raw bytes that the guest
    // may change concurrently: no Rust reference to it exists.
    unsafe { winhv_platform_try_copy_v1(buf.as_mut_ptr(), host as *const u8, buf.len()) == 0 }
}

/// Copies `buf.len()` bytes of our own memory at `host` into `buf`; false
/// (with `buf` partly written) when the memory is not accessible or direct
/// reads are off.
pub(crate) fn try_read(host: u64, buf: &mut [u8]) -> bool {
    enabled() && copy(host, buf)
}

/// [`try_read`] of several pieces (`pieces[i]` from host address
/// `from[i]`), asking once whether direct reads are on; false when any
/// piece could not be read.
pub(crate) fn try_read_all(from: &[u64], pieces: &mut [&mut [u8]]) -> bool {
    from.len() == pieces.len()
        && enabled()
        && from
            .iter()
            .zip(pieces.iter_mut())
            .all(|(&host, piece)| copy(host, piece))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_memory::HostMemory;

    #[test]
    fn reads_accessible_memory_and_survives_inaccessible_memory() {
        check();
        assert!(enabled(), "handler installed");
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
        assert!(enabled(), "still ours");
        // The one-instruction load, in reach and out of it.
        let d = direct().expect("handler installed");
        assert_eq!(
            d.read_u64(mem.as_ptr() as u64 + 0xff8),
            Some(u64::from_le_bytes([1, 2, 3, 4, 5, 6, 7, 8]))
        );
        assert_eq!(d.read_u64(none.as_ptr() as u64), None);
        assert_eq!(d.read_u64(mem.as_ptr() as u64 + 0xffc), None, "straddles");
        assert!(enabled(), "still ours");
    }
}
