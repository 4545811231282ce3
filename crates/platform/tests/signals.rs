//! SIGSEGV and SIGBUS that are not winhv's own faults: a signal sent to the
//! process (`raise`, `kill`) or a fault elsewhere has exactly the effect it
//! would have without winhv, whatever the program did with those signals
//! before or after winhv started; and winhv's fault-tolerant reads of guest
//! memory (here: the exit path fetching code from a page the program
//! reserved without access) keep working, by falling back when its handler
//! is no longer the one installed.
//!
//! Each case runs in a child process — this test binary again, with
//! `WINHV_SIGNAL_CASE` naming the case — so that death by a signal can be
//! observed in its wait status and compared with the same program without
//! winhv. The child runs its case from a constructor, before the test
//! harness starts: on the process's main thread, with the default actions
//! in place (Rust's own handlers are installed later, by `main`), as in a
//! plain C program, and so that `kill(getpid(), …)` is delivered to the
//! thread that sent it before `kill` returns.
#![allow(
    unsafe_code,
    reason = "signal dispositions and test guests in mmap'd memory"
)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use common::{HostMem, TestVm, kvm_available, rwx};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const CASE: &str = "WINHV_SIGNAL_CASE";
const EXTRA: u64 = 0x40_0000;

/// Runs `case` in a child process; its exit status.
fn in_child(case: &str) -> ExitStatus {
    let out = Command::new(std::env::current_exe().expect("test binary"))
        // Should the constructor not take over, the harness runs nothing.
        .args(["--exact", "no test has this name"])
        .env(CASE, case)
        .output()
        .expect("spawn the child");
    println!(
        "child {case}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.status
}

/// The child's entry: runs the case named in the environment, if any, and
/// exits (0 when the case returned, 101 when it panicked) instead of
/// starting the test harness.
extern "C" fn child_main() {
    let Ok(case) = std::env::var(CASE) else {
        return;
    };
    let code = match std::panic::catch_unwind(|| run_case(&case)) {
        Ok(()) => 0,
        Err(_) => 101,
    };
    std::process::exit(code);
}

#[used]
// SAFETY: `.init_array` holds constructors run before `main`; `child_main`
// has the signature they are called with (extra arguments are ignored)
// and never unwinds out.
#[unsafe(link_section = ".init_array")]
static CHILD_MAIN: extern "C" fn() = child_main;

fn run_case(case: &str) {
    match case {
        "plain-segv" | "winhv-segv" | "plain-bus" | "winhv-bus" => sent_with_default_action(case),
        "plain-fault" | "winhv-fault" => fault_with_default_action(case),
        "handler-before" => handler_before_winhv(),
        "ignored" => ignored_before_winhv(),
        "handler-after" => handler_after_winhv(),
        _ => panic!("unknown case {case}"),
    }
}

/// No core file from a child that dies on purpose.
fn no_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: sets this process's own core size limit from a valid struct.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) }, 0);
}

/// Sets `sig`'s action to `handler` (SIG_DFL, SIG_IGN or a function), as a
/// C program would with `signal`.
fn set_action(sig: i32, handler: libc::sighandler_t, siginfo: bool) {
    // SAFETY: sigaction is plain data; all zeroes is a valid value.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler;
    sa.sa_flags = if siginfo { libc::SA_SIGINFO } else { 0 };
    // SAFETY: installs a valid action for `sig`.
    let r = unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) };
    assert_eq!(r, 0);
}

/// A partition with one VP whose guest jumps into a page reserved without
/// access: every run fetches code through winhv's fault-tolerant read.
/// Creating it installs winhv's handler.
struct Winhv {
    vm: TestVm,
    _extra: HostMem,
}

impl Winhv {
    fn start() -> Winhv {
        let mut g = Guest::new(0, 1 << 21).unwrap();
        let entry = g.layout().code;
        g.assemble_at(64, entry, |a| {
            a.mov(rax, EXTRA)?;
            a.jmp(rax)
        })
        .unwrap();
        let regs = g.long64_user(entry).unwrap();
        let extra = HostMem::new(0x1000, libc::PROT_NONE);
        let vm = TestVm::new(&g, &regs);
        // SAFETY: `extra` lives in the same value and the process exits
        // before either is dropped.
        unsafe {
            vm.p.map_gpa_range(extra.ptr.cast(), EXTRA, 0x1000, rwx())
                .unwrap()
        };
        Winhv { vm, _extra: extra }
    }

    /// Runs the guest: the fetch from the inaccessible page must give the
    /// Windows exit (an execute access, nothing fetched), not a crash.
    fn fetch_from_inaccessible_memory(&self) {
        let x = self.vm.run();
        assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess);
        // SAFETY: MemoryAccess is live.
        let m = unsafe { x.Anonymous.MemoryAccess };
        assert_eq!(m.Gpa, EXTRA);
        assert_eq!(m.AccessInfo.access_type(), 2, "an execute access");
        assert_eq!(m.InstructionByteCount, 0, "nothing could be fetched");
    }
}

/// Sends `sig` to ourselves with `raise` (to this thread, SI_TKILL) or
/// `kill` (to the process, SI_USER).
fn send(sig: i32, how: &str) {
    let r = if how == "raise" {
        // SAFETY: raise only sends a signal.
        unsafe { libc::raise(sig) }
    } else {
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        // SAFETY: kill only sends a signal, to our own process.
        unsafe { libc::kill(pid, sig) }
    };
    assert_eq!(r, 0);
}

/// Child: with the default action, a signal sent by `raise` or `kill`,
/// with or without winhv in use. Returns only if the signal had no effect.
fn sent_with_default_action(case: &str) {
    let (with_winhv, sig, how) = match case {
        "plain-segv" => (false, libc::SIGSEGV, "raise"),
        "winhv-segv" => (true, libc::SIGSEGV, "raise"),
        "plain-bus" => (false, libc::SIGBUS, "kill"),
        _ => (true, libc::SIGBUS, "kill"),
    };
    no_core_dumps();
    set_action(sig, libc::SIG_DFL, false);
    let _winhv = with_winhv.then(Winhv::start);
    send(sig, how);
}

/// Child: with the default action, a fault of the program's own (a write
/// to a page without access), with or without winhv in use.
fn fault_with_default_action(case: &str) {
    no_core_dumps();
    set_action(libc::SIGSEGV, libc::SIG_DFL, false);
    let _winhv = (case == "winhv-fault").then(Winhv::start);
    let page = HostMem::new(0x1000, libc::PROT_NONE);
    // SAFETY: the page is ours; the write faults on purpose (it is mapped
    // without access), which must end the process.
    unsafe { std::ptr::write_volatile(page.ptr, 1) };
}

static CALLS: AtomicU32 = AtomicU32::new(0);
static LAST_CODE: AtomicI32 = AtomicI32::new(0);

extern "C" fn counting_handler(_sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes an SA_SIGINFO handler a valid siginfo_t.
    let code = unsafe { (*info).si_code };
    LAST_CODE.store(code, Ordering::SeqCst);
    CALLS.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn exiting_handler(_sig: i32) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(3) };
}

/// Child: the program's handlers come first; winhv must pass them the
/// signals sent to the process and keep its own faults.
fn handler_before_winhv() {
    let counting = counting_handler as extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void)
        as libc::sighandler_t;
    set_action(libc::SIGSEGV, counting, true);
    set_action(libc::SIGBUS, counting, true);
    let winhv = Winhv::start();
    send(libc::SIGSEGV, "raise");
    assert_eq!(CALLS.load(Ordering::SeqCst), 1, "the program's handler ran");
    assert_eq!(LAST_CODE.load(Ordering::SeqCst), libc::SI_TKILL);
    send(libc::SIGBUS, "kill");
    assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    assert_eq!(LAST_CODE.load(Ordering::SeqCst), libc::SI_USER);
    // winhv's own faults stay its own.
    winhv.fetch_from_inaccessible_memory();
    winhv.fetch_from_inaccessible_memory();
    assert_eq!(
        CALLS.load(Ordering::SeqCst),
        2,
        "no call for winhv's faults"
    );
}

/// Child: SIGSEGV ignored before winhv: a sent one stays without effect,
/// and winhv's reads still survive inaccessible memory.
fn ignored_before_winhv() {
    no_core_dumps();
    set_action(libc::SIGSEGV, libc::SIG_IGN, false);
    let winhv = Winhv::start();
    send(libc::SIGSEGV, "raise");
    send(libc::SIGSEGV, "kill");
    winhv.fetch_from_inaccessible_memory();
}

/// Child: the program takes SIGSEGV over (without chaining) after the VP
/// exists; winhv must not let its own faults reach that handler.
fn handler_after_winhv() {
    no_core_dumps();
    let winhv = Winhv::start();
    winhv.fetch_from_inaccessible_memory();
    let exiting = exiting_handler as extern "C" fn(i32) as libc::sighandler_t;
    set_action(libc::SIGSEGV, exiting, false);
    winhv.fetch_from_inaccessible_memory();
}

/// The child dies by `sig`, with the wait status of the same program
/// without winhv.
fn assert_same_death(plain: &str, winhv: &str, sig: i32) {
    let without = in_child(plain);
    assert_eq!(
        without.signal(),
        Some(sig),
        "the default action, without winhv"
    );
    let with = in_child(winhv);
    assert_eq!(with.signal(), Some(sig), "killed by the signal, with winhv");
    assert_eq!(
        with.into_raw(),
        without.into_raw(),
        "the same wait status as without winhv"
    );
}

fn assert_survives(case: &str) {
    let status = in_child(case);
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_raised_sigsegv_ends_the_process_as_without_winhv() {
    if kvm_available() {
        assert_same_death("plain-segv", "winhv-segv", libc::SIGSEGV);
    }
}

#[test]
fn a_killed_sigbus_ends_the_process_as_without_winhv() {
    if kvm_available() {
        assert_same_death("plain-bus", "winhv-bus", libc::SIGBUS);
    }
}

#[test]
fn a_fault_outside_winhv_ends_the_process_as_without_winhv() {
    if kvm_available() {
        assert_same_death("plain-fault", "winhv-fault", libc::SIGSEGV);
    }
}

#[test]
fn a_handler_installed_before_winhv_gets_the_sent_signals() {
    if kvm_available() {
        assert_survives("handler-before");
    }
}

#[test]
fn an_ignored_sigsegv_stays_ignored_and_guest_reads_still_recover() {
    if kvm_available() {
        assert_survives("ignored");
    }
}

#[test]
fn a_handler_installed_after_winhv_makes_guest_reads_fall_back() {
    if kvm_available() {
        assert_survives("handler-after");
    }
}
