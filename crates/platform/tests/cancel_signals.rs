//! WHvCancelRunVirtualProcessor whatever the program does with signals: a
//! VP thread that blocks every signal (before its first run, or after
//! one), a program that ignores winhv's kick signal (SIGRTMIN+3) or
//! installs its own handler for it; and a signal the VP thread blocks
//! after running stays pending without keeping the guest from running.
//! The guest spins at CPL3 counting in RAM; the canceller waits until the
//! count moves (so the run is certainly inside KVM_RUN), cancels once, and
//! the run must return Canceled. A lost cancel would hang the run: waits
//! give up after a minute (a hang guard, not a timing check).
#![allow(
    unsafe_code,
    reason = "signal masks and dispositions; guest memory is mmap'd"
)]

mod common;

use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// Where the guest counts (in its user stack page, writable at CPL3).
const COUNTER: u64 = 0x7800;

/// These tests change process-wide signal dispositions: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn kick() -> libc::c_int {
    libc::SIGRTMIN() + 3
}

/// A CPL3 guest that increments the u64 at [`COUNTER`] forever.
fn spinning_vm() -> Arc<TestVm> {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        let mut top = a.create_label();
        a.mov(rbx, COUNTER)?;
        a.set_label(&mut top)?;
        a.inc(qword_ptr(rbx))?;
        a.jmp(top)
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    Arc::new(TestVm::new(&g, &regs))
}

fn counter(vm: &TestVm) -> u64 {
    let at = vm.mem.ptr.wrapping_add(COUNTER as usize).cast::<u64>();
    // SAFETY: inside the guest's RAM mapping, 8-byte aligned; the guest
    // writes it concurrently, so it is read volatile.
    unsafe { std::ptr::read_volatile(at) }
}

fn reset_counter(vm: &TestVm) {
    vm.mem.write(COUNTER as usize, &0u64.to_le_bytes());
}

/// Gives up on a wait that a lost cancel (or a guest that never runs)
/// would make endless: a hang guard, not a timing check.
const HANG: Duration = Duration::from_secs(60);

/// Waits until the guest has counted (it is running), cancels once, and
/// returns the run's exit reason.
fn cancel_when_running<T>(vm: &TestVm, done: &mpsc::Receiver<T>) -> T {
    let start = Instant::now();
    while counter(vm) == 0 {
        assert!(start.elapsed() < HANG, "the guest does not run");
        std::thread::yield_now();
    }
    vm.p.cancel_run_vp(0, 0).expect("cancel");
    done.recv_timeout(HANG)
        .expect("the run did not return after WHvCancelRunVirtualProcessor: the cancel was lost")
}

/// The calling thread's signal mask.
fn thread_mask() -> libc::sigset_t {
    // SAFETY: plain data, filled by pthread_sigmask.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: queries the mask only.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set) };
    set
}

/// Whether `sig` is pending for the calling thread (or the process).
fn pending(sig: libc::c_int) -> bool {
    // SAFETY: plain data, filled by sigpending.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid sigset_t to fill.
    unsafe { libc::sigpending(&mut set) };
    // SAFETY: a valid sigset_t and signal number.
    unsafe { libc::sigismember(&set, sig) == 1 }
}

/// What the VP thread of a [`Runner`] is asked to do.
enum Cmd {
    /// One WHvRunVirtualProcessor.
    Run,
    /// Block `Some(signal)`, or every signal.
    Block(Option<libc::c_int>),
}

/// What the VP thread saw after a run.
struct Ran {
    reason: WHV_RUN_VP_EXIT_REASON,
    /// The thread's mask is what it was before the run.
    mask_kept: bool,
    /// A kick is still pending for the thread.
    kick_pending: bool,
    /// SIGUSR1 is pending for the thread.
    usr1_pending: bool,
}

/// A thread that runs VP 0 of `vm` on request, as a VMM's VP thread does.
struct Runner {
    cmds: mpsc::Sender<Cmd>,
    ran: mpsc::Receiver<Ran>,
    blocked: mpsc::Receiver<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Runner {
    fn new(vm: &Arc<TestVm>) -> Runner {
        let (cmds, rx) = mpsc::channel::<Cmd>();
        let (tx, ran) = mpsc::channel();
        let (ack, blocked) = mpsc::channel();
        let vm = vm.clone();
        let thread = std::thread::spawn(move || {
            for cmd in rx {
                match cmd {
                    Cmd::Block(sig) => {
                        // SAFETY: plain data, filled below.
                        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
                        match sig {
                            Some(sig) => {
                                // SAFETY: initialises a valid sigset_t.
                                unsafe { libc::sigemptyset(&mut set) };
                                // SAFETY: a valid sigset_t and signal number.
                                unsafe { libc::sigaddset(&mut set, sig) };
                            }
                            // SAFETY: fills a valid sigset_t.
                            None => unsafe {
                                libc::sigfillset(&mut set);
                            },
                        }
                        // SAFETY: blocks signals in this thread only.
                        unsafe {
                            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
                        };
                        ack.send(()).unwrap();
                    }
                    Cmd::Run => {
                        let before = thread_mask();
                        let x = vm.p.run_vp(0).expect("run");
                        let after = thread_mask();
                        // SAFETY: both are valid sigset_t values.
                        let member = |set: &libc::sigset_t, s| unsafe { libc::sigismember(set, s) };
                        let mask_kept = (1..=64).all(|s| member(&before, s) == member(&after, s));
                        tx.send(Ran {
                            reason: x.ExitReason,
                            mask_kept,
                            kick_pending: pending(kick()),
                            usr1_pending: pending(libc::SIGUSR1),
                        })
                        .unwrap();
                    }
                }
            }
        });
        Runner {
            cmds,
            ran,
            blocked,
            thread,
        }
    }

    /// Has the thread block `Some(signal)` or every signal; returns once
    /// it has.
    fn block(&self, sig: Option<libc::c_int>) {
        self.cmds.send(Cmd::Block(sig)).unwrap();
        self.blocked.recv().unwrap();
    }

    /// Starts a run from the guest's loop with the count at 0, waits until
    /// the guest counts, cancels, and returns what the thread saw.
    fn run_and_cancel(&self, vm: &TestVm) -> Ran {
        reset_counter(vm);
        self.cmds.send(Cmd::Run).unwrap();
        let ran = cancel_when_running(vm, &self.ran);
        assert_eq!(ran.reason, WHvRunVpExitReasonCanceled);
        assert!(ran.mask_kept, "the thread's signal mask was changed");
        assert!(!ran.kick_pending, "a kick was left pending");
        ran
    }

    fn finish(self) {
        drop(self.cmds);
        self.thread.join().unwrap();
    }
}

#[test]
fn cancel_reaches_a_thread_that_blocks_every_signal() {
    if !kvm_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let vm = spinning_vm();
    let runner = Runner::new(&vm);
    runner.block(None);
    // Each round the guest must really run again: a kick left pending from
    // the last round would end every KVM_RUN at once.
    for _ in 0..3 {
        runner.run_and_cancel(&vm);
    }
    runner.finish();
}

#[test]
fn cancel_reaches_a_thread_that_blocks_every_signal_after_running() {
    if !kvm_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let vm = spinning_vm();
    let runner = Runner::new(&vm);
    runner.run_and_cancel(&vm);
    runner.block(None);
    runner.run_and_cancel(&vm);
    runner.run_and_cancel(&vm);
    runner.finish();
}

#[test]
fn a_signal_the_thread_blocked_after_running_stays_pending_and_the_guest_runs() {
    if !kvm_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let vm = spinning_vm();
    let runner = Runner::new(&vm);
    runner.run_and_cancel(&vm);
    // Now the thread blocks SIGUSR1 and one is sent to it: it must stay
    // pending (never delivered: its default action would end the process)
    // and must not keep the guest from running.
    runner.block(Some(libc::SIGUSR1));
    // SAFETY: sends SIGUSR1 to the runner thread, which blocks it.
    let r = unsafe { libc::pthread_kill(runner.thread.as_pthread_t(), libc::SIGUSR1) };
    assert_eq!(r, 0);
    let ran = runner.run_and_cancel(&vm);
    assert!(
        ran.usr1_pending,
        "the program's blocked signal is left to it"
    );
    runner.finish();
}

#[test]
fn cancel_works_when_the_program_ignores_the_kick_signal() {
    if !kvm_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let vm = spinning_vm();
    // After the VP exists (winhv installed its handler then): SIG_IGN, as
    // a program that wants nothing of real-time signals would set it.
    // SAFETY: sets a disposition; SIG_IGN runs no code.
    unsafe { libc::signal(kick(), libc::SIG_IGN) };
    let (tx, done) = mpsc::channel();
    let runner = {
        let vm = vm.clone();
        std::thread::spawn(move || tx.send(vm.p.run_vp(0).expect("run").ExitReason).unwrap())
    };
    assert_eq!(cancel_when_running(&vm, &done), WHvRunVpExitReasonCanceled);
    runner.join().unwrap();
    // The program's own SIGRTMIN+3 is still ignored (not fatal).
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    // SAFETY: sends a signal to this thread.
    unsafe { libc::pthread_kill(me, kick()) };
}

static HANDLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn program_handler(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn cancel_works_alongside_a_program_handler_for_the_kick_signal() {
    if !kvm_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let vm = spinning_vm();
    // The program installs its own handler for the same signal, with
    // SA_RESTART, after winhv installed its own.
    // SAFETY: plain data.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = program_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    sa.sa_flags = libc::SA_RESTART;
    // SAFETY: a handler that only bumps an atomic counter.
    unsafe { libc::sigaction(kick(), &sa, std::ptr::null_mut()) };
    HANDLED.store(0, Ordering::SeqCst);
    for _ in 0..2 {
        reset_counter(&vm);
        let (tx, done) = mpsc::channel();
        let runner = {
            let vm = vm.clone();
            std::thread::spawn(move || tx.send(vm.p.run_vp(0).expect("run").ExitReason).unwrap())
        };
        assert_eq!(cancel_when_running(&vm, &done), WHvRunVpExitReasonCanceled);
        runner.join().unwrap();
    }
    assert_eq!(
        HANDLED.load(Ordering::SeqCst),
        0,
        "winhv's kicks are not the program's signals"
    );
    // The program's own signals still reach its handler.
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    // SAFETY: sends a signal to this thread.
    unsafe { libc::pthread_kill(me, kick()) };
    assert_eq!(HANDLED.load(Ordering::SeqCst), 1, "the program's signal");
}
