//! WHvCancelRunVirtualProcessor: stopping a VP's run from any thread,
//! without races (the model is hyperlight's docs/cancellation.md), whatever
//! the running thread's signal mask and whatever the program did with the
//! kick signal.
//!
//! A [`CancelState`] lives beside each VP, outside the VP's lock. The
//! protocol, with `requested`, `kvm_run.immediate_exit` and `running` (the
//! kernel thread id of the thread inside `run_vp`, 0 when none):
//!
//! * cancel: `requested = true`; `immediate_exit = 1`; if `running` names a
//!   thread, kick it: queue the kick signal (SIGRTMIN+3) to that thread,
//!   marked as ours (`si_code` SI_QUEUE, `si_value` [`cookie`]).
//! * run: publish `running`; if `requested` is set, consume it and return
//!   Canceled; else `KVM_RUN`. An `EINTR` with `requested` set returns
//!   Canceled; an `EINTR` without it (a stale `immediate_exit`, a signal of
//!   the program's own) clears `immediate_exit` and checks again.
//!
//! A cancel before `KVM_RUN` is caught by the check or by `immediate_exit`
//! (set before the kick, and read by KVM on entry); a cancel during
//! `KVM_RUN` by the kick. `requested` is re-checked after every clearing
//! of `immediate_exit`, so no cancel is lost. A cancel when no run is in
//! progress makes the next run return Canceled at once, as on Windows. The
//! state is reached through the VP's `Arc`, so a cancel racing with the VP's
//! deletion touches memory that is still mapped.
//!
//! # The kick, whatever the program does with signals
//!
//! * A thread that blocks the kick (`pthread_sigmask`, or every signal):
//!   KVM runs the VP with the thread's mask minus the kick
//!   (`KVM_SET_SIGNAL_MASK`, [`arm_kick`]), so the kick ends `KVM_RUN`
//!   with `EINTR` and nothing else the thread blocks is let through. The
//!   thread's mask is read (one `rt_sigprocmask`) when the VP runs on a
//!   thread other than the last one, and again after every `EINTR` that
//!   was not a cancel (the thread may have blocked a signal since: KVM
//!   would let it end every `KVM_RUN`); the usual run makes no system
//!   call for this, and the ioctl is issued only when the mask changes.
//!   (Reading the mask before every run would cost a system call per
//!   exit, ≈0.2 µs here; KVM switching masks inside `KVM_RUN` costs no
//!   measurable time.) KVM puts the thread's mask back before returning,
//!   so a kick the thread blocks stays pending (never delivered);
//!   [`drain_kicks`] takes it off the queue (`sigtimedwait`) after the
//!   `EINTR`, or it would end every later `KVM_RUN` at once. Other
//!   SIGRTMIN+3 instances it finds there (not ours) are queued again to
//!   the thread.
//! * A program that sets its own disposition for SIGRTMIN+3 (SIG_IGN, its
//!   own handler, SIG_DFL): an ignored signal is discarded when sent and a
//!   default one would end the process, so each cancel first checks the
//!   disposition (one `sigaction` query) and, if it is not ours, installs
//!   our handler again. Our handler ignores our kicks and passes every
//!   other SIGRTMIN+3 to the handler the program had installed (as a
//!   plain handler, or with `siginfo` if it asked for that; SIG_DFL and
//!   SIG_IGN: the signal is ignored). So a program's own use of the signal
//!   keeps working, and cancel works whatever it installed.
//!
//! Known limits: a program that changes the disposition between a cancel's
//! check and its kick loses that one kick (its run is not canceled until
//! the next cancel); a signal a VP's thread unblocks after its mask was
//! read stays blocked while KVM runs the guest (it is delivered when
//! `KVM_RUN` returns, at the next exit); a kick may arrive just after the thread left
//! `run_vp` — our handler does nothing, but a blocking system call that
//! thread is in at that moment returns `EINTR` (Rust's std retries those it
//! owns).

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};

use crate::error::Result;
use crate::vcpu::Vcpu;

/// The cancellation state of one VP.
#[derive(Debug)]
pub(crate) struct CancelState {
    requested: AtomicBool,
    running: AtomicU64,
    /// `&kvm_run.immediate_exit` of the VP's mapped `kvm_run`, which lives
    /// as long as the VP (and so as long as this value).
    immediate_exit: *const AtomicU8,
}

// SAFETY: `immediate_exit` points into the VP's kvm_run mapping, which
// outlives this value (both are owned by the same VP), and is only accessed
// atomically.
unsafe impl Send for CancelState {}
// SAFETY: as above; every field is accessed atomically.
unsafe impl Sync for CancelState {}

/// The signal that kicks a VP's thread out of `KVM_RUN`.
fn kick_signal() -> i32 {
    libc::SIGRTMIN() + 3
}

/// The kick signal's bit in a kernel signal set.
fn kick_bit() -> u64 {
    1 << (kick_signal() - 1)
}

/// `si_value` of our kicks: the address of this static, which no other
/// sender of SIGRTMIN+3 in the process would pass.
static COOKIE: u8 = 0;

fn cookie() -> usize {
    std::ptr::addr_of!(COOKIE) as usize
}

/// The first fields of `siginfo_t` for a queued signal (x86-64 Linux:
/// `si_signo`, `si_errno`, `si_code`, padding, then `si_pid`, `si_uid`,
/// `si_value`), in the 128 bytes of a `siginfo_t`.
#[repr(C)]
#[derive(Clone, Copy)]
struct QueuedInfo {
    signo: i32,
    errno: i32,
    code: i32,
    pad: i32,
    pid: i32,
    uid: u32,
    value: usize,
    rest: [u64; 12],
}

const _: () = assert!(size_of::<QueuedInfo>() == size_of::<libc::siginfo_t>());

impl QueuedInfo {
    /// Whether this is one of our kicks.
    fn is_kick(&self) -> bool {
        self.code == libc::SI_QUEUE && self.value == cookie()
    }
}

/// The handler the program had installed for the kick signal before ours:
/// its `sa_sigaction` value (SIG_DFL until one is seen) and whether it takes
/// `siginfo` (SA_SIGINFO).
static PREVIOUS: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
static PREVIOUS_SIGINFO: AtomicBool = AtomicBool::new(false);

extern "C" fn on_kick(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: for an SA_SIGINFO handler the kernel passes a valid siginfo_t,
    // which QueuedInfo mirrors (same size, plain data).
    if !info.is_null() && unsafe { (*info.cast::<QueuedInfo>()).is_kick() } {
        // Ours: its only purpose was to end KVM_RUN.
        return;
    }
    let previous = PREVIOUS.load(Ordering::Acquire);
    if previous == libc::SIG_DFL || previous == libc::SIG_IGN {
        return;
    }
    if PREVIOUS_SIGINFO.load(Ordering::Relaxed) {
        // SAFETY: the program installed `previous` as an SA_SIGINFO handler
        // for this signal; it is called as the kernel would have called it.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(previous) };
        f(sig, info, ctx);
    } else {
        // SAFETY: the program installed `previous` as a plain handler.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(previous) };
        f(sig);
    }
}

fn our_handler() -> libc::sighandler_t {
    on_kick as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize
}

/// Makes our handler the kick signal's disposition, remembering the
/// program's for the signals that are not ours. One `sigaction` query when
/// it already is.
pub(crate) fn ensure_handler() {
    // SAFETY: sigaction is plain data; all zeroes is a valid value.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: queries the disposition into `current`.
    unsafe { libc::sigaction(kick_signal(), std::ptr::null(), &mut current) };
    if current.sa_sigaction == our_handler() {
        return;
    }
    // SAFETY: as above.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = our_handler();
    // SAFETY: initialises the mask inside `sa`, a valid sigset_t.
    unsafe { libc::sigemptyset(&mut sa.sa_mask) };
    // No SA_RESTART, on purpose: KVM_RUN must return EINTR.
    sa.sa_flags = libc::SA_SIGINFO;
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: installs a handler that only reads its siginfo and calls the
    // program's own handler (async-signal-safe) for a signal this crate
    // reserves; `old` receives the previous disposition.
    unsafe { libc::sigaction(kick_signal(), &sa, &mut old) };
    if old.sa_sigaction != our_handler() {
        // (Another cancel may have re-installed ours in between: then `old`
        // is ours and the program's stays recorded.)
        PREVIOUS_SIGINFO.store(old.sa_flags & libc::SA_SIGINFO != 0, Ordering::Relaxed);
        PREVIOUS.store(old.sa_sigaction, Ordering::Release);
    }
}

thread_local! {
    /// The calling thread's kernel id once asked for (0: not yet).
    static TID: Cell<u64> = const { Cell::new(0) };
}

/// The calling thread's kernel thread id, with one `gettid` per thread (and
/// one more in a child after `fork`, whose only thread has a new id).
fn current_tid() -> u64 {
    static AT_FORK: Once = Once::new();
    extern "C" fn forget_tid() {
        // Runs in the child's only thread: its cached id is the parent's.
        let _ = TID.try_with(|t| t.set(0));
    }
    let cached = TID.try_with(Cell::get).unwrap_or(0);
    if cached != 0 {
        return cached;
    }
    AT_FORK.call_once(|| {
        // SAFETY: registers a child-side fork handler that only clears a
        // thread-local integer.
        unsafe { libc::pthread_atfork(None, None, Some(forget_tid)) };
    });
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() } as u64;
    let _ = TID.try_with(|t| t.set(tid));
    tid
}

/// Queues `info` (signal `info.signo`) to thread `tid` of this process.
fn queue(tid: u64, info: &QueuedInfo) {
    let pid = std::process::id() as libc::pid_t;
    // SAFETY: rt_tgsigqueueinfo to a thread of our own process with a
    // siginfo_t-sized buffer. If the thread has left `run_vp` (or exited
    // and its id was reused by another of our threads) it receives a
    // signal our handler ignores; no memory is involved.
    unsafe {
        libc::syscall(
            libc::SYS_rt_tgsigqueueinfo,
            pid,
            tid as libc::pid_t,
            info.signo,
            std::ptr::from_ref(info),
        )
    };
}

/// Kicks thread `tid` out of `KVM_RUN`.
fn kick(tid: u64) {
    let info = QueuedInfo {
        signo: kick_signal(),
        errno: 0,
        code: libc::SI_QUEUE,
        pad: 0,
        pid: std::process::id() as i32,
        // SAFETY: getuid has no preconditions.
        uid: unsafe { libc::getuid() },
        value: cookie(),
        rest: [0; 12],
    };
    queue(tid, &info);
}

/// Before a run on the calling thread: makes KVM run the VP with the
/// thread's signal mask minus the kick, so that the kick ends `KVM_RUN`
/// whatever the thread blocks (see the module documentation). The mask is
/// read only when the VP last ran on another thread, or with `reread`.
pub(crate) fn arm_kick(vcpu: &mut Vcpu, reread: bool) -> Result<()> {
    let tid = current_tid();
    if !reread && vcpu.signal_mask_thread() == tid {
        return Ok(());
    }
    let mut mask = 0u64;
    // SAFETY: reads the calling thread's mask (how = SIG_BLOCK with no set
    // changes nothing) into an 8-byte kernel sigset.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            std::ptr::null::<u64>(),
            &mut mask,
            size_of::<u64>(),
        )
    };
    vcpu.set_signal_mask(mask & !kick_bit(), tid)
}

/// After an `EINTR`: takes the kicks still pending for the calling thread
/// (one that blocks the kick signal) off its queue; other instances of the
/// signal (the program's) are queued to it again. Where the thread does
/// not block the kick, our handler has taken it already and this finds
/// nothing.
pub(crate) fn drain_kicks() {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: initialises a valid sigset_t.
    unsafe { libc::sigemptyset(&mut set) };
    // SAFETY: a valid sigset_t and a valid signal number.
    unsafe { libc::sigaddset(&mut set, kick_signal()) };
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut foreign = [None::<QueuedInfo>; 4];
    loop {
        // SAFETY: plain data.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: dequeues one pending signal of `set` without waiting;
        // the kick is blocked in this thread, so it is not delivered
        // meanwhile.
        if unsafe { libc::sigtimedwait(&set, &mut info, &zero) } < 0 {
            break;
        }
        // SAFETY: QueuedInfo mirrors siginfo_t (same size, plain data).
        let info: QueuedInfo = unsafe { std::mem::transmute(info) };
        if !info.is_kick() {
            if let Some(slot) = foreign.iter_mut().find(|s| s.is_none()) {
                *slot = Some(info);
            }
        }
    }
    let tid = current_tid();
    for info in foreign.iter().flatten() {
        queue(tid, info);
    }
}

impl CancelState {
    /// A state for a VP whose `kvm_run.immediate_exit` byte is at
    /// `immediate_exit`.
    ///
    /// # Safety
    /// `immediate_exit` must stay valid for as long as this value lives,
    /// and every other access to it must be atomic.
    pub(crate) unsafe fn new(immediate_exit: *const AtomicU8) -> Self {
        ensure_handler();
        Self {
            requested: AtomicBool::new(false),
            running: AtomicU64::new(0),
            immediate_exit,
        }
    }

    fn immediate_exit(&self) -> &AtomicU8 {
        // SAFETY: valid for our lifetime (contract of `new`), a byte is
        // always aligned, and it is only accessed atomically.
        unsafe { &*self.immediate_exit }
    }

    /// WHvCancelRunVirtualProcessor: makes the VP's current run, or its next
    /// one, return Canceled.
    pub(crate) fn cancel(&self) {
        if let Some(thread) = self.request() {
            ensure_handler();
            kick(thread);
        }
    }

    /// Ends the VP's current `KVM_RUN`, if any, without cancelling the run:
    /// the run loop looks for work the caller left (an interrupt request
    /// without LAPIC emulation, `interrupts/no_apic`) and enters again. A
    /// VP not in `KVM_RUN` has `immediate_exit` set, so a `KVM_RUN` about to
    /// start returns at once; the caller's work is published first (SeqCst),
    /// and the run loop checks it after publishing `running`.
    pub(crate) fn kick(&self) {
        self.immediate_exit().store(1, Ordering::SeqCst);
        if let thread @ 1.. = self.running.load(Ordering::SeqCst) {
            ensure_handler();
            kick(thread);
        }
    }

    /// The cancel protocol's part before the kick: records the request and
    /// sets `immediate_exit`; the thread running the VP, if any, to kick.
    fn request(&self) -> Option<u64> {
        self.requested.store(true, Ordering::SeqCst);
        self.immediate_exit().store(1, Ordering::SeqCst);
        match self.running.load(Ordering::SeqCst) {
            0 => None,
            thread => Some(thread),
        }
    }

    /// Whether a cancel waits for the next run (which then returns
    /// Canceled before anything else).
    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Called by the running thread before a `KVM_RUN`: publishes it and
    /// tells whether a cancel is pending (then consumed).
    pub(crate) fn enter(&self) -> bool {
        self.enter_as(current_tid())
    }

    fn enter_as(&self, tid: u64) -> bool {
        self.running.store(tid, Ordering::SeqCst);
        self.consume()
    }

    /// Called by the running thread after its `KVM_RUN` returned.
    pub(crate) fn leave(&self) {
        self.running.store(0, Ordering::SeqCst);
    }

    /// After an `EINTR`: true when it was a cancel (consumed), false when it
    /// was stale or foreign (the run should be retried).
    pub(crate) fn consume(&self) -> bool {
        if self.requested.swap(false, Ordering::SeqCst) {
            self.immediate_exit().store(0, Ordering::SeqCst);
            return true;
        }
        self.immediate_exit().store(0, Ordering::SeqCst);
        // A cancel may have landed between the swap and the store.
        if self.requested.swap(false, Ordering::SeqCst) {
            return true;
        }
        false
    }

    /// Sets `immediate_exit` for a flush run (completing KVM's pending I/O
    /// without running the guest).
    pub(crate) fn set_immediate_exit(&self) {
        self.immediate_exit().store(1, Ordering::SeqCst);
    }

    /// Clears `immediate_exit` after a flush run. A cancel that set it in
    /// the meantime is still pending in `requested`, checked by `enter`.
    pub(crate) fn clear_immediate_exit(&self) {
        self.immediate_exit().store(0, Ordering::SeqCst);
    }

    /// Forgets a pending cancel (partition reset).
    pub(crate) fn reset(&self) {
        self.requested.store(false, Ordering::SeqCst);
        self.immediate_exit().store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
impl CancelState {
    /// [`CancelState::new`] without installing the signal handler (a system
    /// call Miri cannot make).
    ///
    /// # Safety
    /// As for `new`.
    unsafe fn new_for_test(immediate_exit: *const AtomicU8) -> Self {
        Self {
            requested: AtomicBool::new(false),
            running: AtomicU64::new(0),
            immediate_exit,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The protocol's pure logic against a model of `KVM_RUN` (reads
    //! `immediate_exit` on entry, then runs until kicked), with the VP's
    //! `kvm_run` in a fake mapping used by the runner while the canceller
    //! stores `immediate_exit`. No system call: these run under Miri
    //! (`cargo +nightly miri test -p winhv --lib miri_`), which checks the
    //! atomics and the aliasing.

    use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

    use super::CancelState;
    use crate::vcpu::FakeMapping;

    /// The model's kick: a pending flag, like a pending signal.
    struct Kick(AtomicBool);

    /// One `run_vp` under the model; true when it returned Canceled (it
    /// always does: the guest never exits by itself).
    fn run_once(state: &CancelState, ie: *const AtomicU8, kick: &Kick) -> bool {
        loop {
            if state.enter_as(7) {
                state.leave();
                return true;
            }
            // KVM_RUN: immediate_exit is read once, on entry; then only a
            // kick ends it.
            // SAFETY: the fake mapping outlives the test's threads.
            let entered_canceled = unsafe { (*ie).load(Ordering::SeqCst) } != 0;
            if !entered_canceled {
                while !kick.0.swap(false, Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            }
            state.leave();
            // EINTR.
            if state.consume() {
                return true;
            }
        }
    }

    #[test]
    fn miri_every_cancel_ends_a_run() {
        let m = FakeMapping::new();
        let mut area = m.area();
        let ie = area.immediate_exit();
        // SAFETY: the mapping lives to the end of the test; every access
        // to the byte is atomic.
        let state = unsafe { CancelState::new_for_test(ie) };
        let kick = Kick(AtomicBool::new(false));
        let done = AtomicUsize::new(0);
        const RUNS: usize = if cfg!(miri) { 20 } else { 2000 };
        struct Ie(*const AtomicU8);
        impl Ie {
            fn get(&self) -> *const AtomicU8 {
                self.0
            }
        }
        // SAFETY: atomic accesses into a mapping that outlives the scope.
        unsafe impl Sync for Ie {}
        let ie = Ie(ie);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..RUNS {
                    // What the exit path does between runs, while a cancel
                    // may store immediate_exit.
                    area.sync().regs.rip += 1;
                    area.mark_dirty(1);
                    assert!(run_once(&state, ie.get(), &kick));
                    done.fetch_add(1, Ordering::SeqCst);
                }
            });
            s.spawn(|| {
                // Cancel until every run ended (each run needs one).
                while done.load(Ordering::SeqCst) < RUNS {
                    if state.request().is_some() {
                        kick.0.store(true, Ordering::SeqCst);
                    }
                    std::thread::yield_now();
                }
            });
        });
        assert_eq!(m.area().sync().regs.rip, RUNS as u64);
    }

    #[test]
    fn miri_a_cancel_without_a_run_cancels_the_next_one() {
        let m = FakeMapping::new();
        let area = m.area();
        // SAFETY: as above.
        let state = unsafe { CancelState::new_for_test(area.immediate_exit()) };
        assert_eq!(state.request(), None, "no thread to kick");
        assert!(state.enter_as(1), "the next run is canceled at once");
        state.leave();
        assert!(!state.enter_as(1), "and only that one");
        state.leave();
        state.request();
        state.reset();
        assert!(!state.enter_as(1), "a reset forgets it");
    }
}
