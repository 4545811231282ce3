//! WHvCancelRunVirtualProcessor: stopping a VP's run from any thread,
//! without races (the model is hyperlight's docs/cancellation.md).
//!
//! A [`CancelState`] lives beside each VP, outside the VP's lock. The
//! protocol, with `requested`, `kvm_run.immediate_exit` and `running` (the
//! pthread of the thread inside `run_vp`, 0 when none):
//!
//! * cancel: `requested = true`; `immediate_exit = 1`; if `running` names a
//!   thread, signal it (a no-op handler installed once per process, without
//!   `SA_RESTART`, so `KVM_RUN` returns `EINTR`).
//! * run: publish `running`; if `requested` is set, consume it and return
//!   Canceled; else `KVM_RUN`. An `EINTR` with `requested` set returns
//!   Canceled; an `EINTR` without it (a stale `immediate_exit`, a signal of
//!   the program's own) clears `immediate_exit` and checks again.
//!
//! A cancel before `KVM_RUN` is caught by the check or by `immediate_exit`
//! (set before the signal, and read by KVM on entry); a cancel during
//! `KVM_RUN` by the signal. `requested` is re-checked after every clearing
//! of `immediate_exit`, so no cancel is lost. A cancel when no run is in
//! progress makes the next run return Canceled at once, as on Windows. The
//! state is reached through the VP's `Arc`, so a cancel racing with the VP's
//! deletion touches memory that is still mapped.
//!
//! Known cost: a signal may arrive just after the thread left `run_vp`; the
//! handler does nothing, but a blocking system call that thread is in at
//! that moment returns `EINTR` (Rust's std retries those it owns).

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

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

extern "C" fn on_kick(_: libc::c_int) {}

/// Installs the no-op handler for the kick signal, once per process.
pub(crate) fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: sigaction is plain data; all zeroes is a valid value.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_kick as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: initialises the mask inside `sa`, a valid sigset_t.
        unsafe { libc::sigemptyset(&mut sa.sa_mask) };
        // No SA_RESTART, on purpose: KVM_RUN must return EINTR.
        sa.sa_flags = 0;
        // SAFETY: installs a handler that does nothing (async-signal-safe)
        // for a real-time signal this crate reserves.
        unsafe { libc::sigaction(kick_signal(), &sa, std::ptr::null_mut()) };
    });
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

impl CancelState {
    /// A state for a VP whose `kvm_run.immediate_exit` byte is at
    /// `immediate_exit`.
    ///
    /// # Safety
    /// `immediate_exit` must stay valid for as long as this value lives,
    /// and every other access to it must be atomic.
    pub(crate) unsafe fn new(immediate_exit: *const AtomicU8) -> Self {
        install_signal_handler();
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
            let pid = std::process::id() as libc::pid_t;
            // SAFETY: tgkill on a kernel thread id of our own process. If the
            // thread has left `run_vp` (or exited and its id was reused by
            // another of our threads) it receives a signal whose handler does
            // nothing; no memory is involved.
            unsafe { libc::syscall(libc::SYS_tgkill, pid, thread as libc::pid_t, kick_signal()) };
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
