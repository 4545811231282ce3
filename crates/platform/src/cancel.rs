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
    /// `immediate_exit` must stay valid for as long as this value lives.
    pub(crate) unsafe fn new(immediate_exit: *mut u8) -> Self {
        install_signal_handler();
        Self {
            requested: AtomicBool::new(false),
            running: AtomicU64::new(0),
            immediate_exit: immediate_exit.cast(),
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
        self.requested.store(true, Ordering::SeqCst);
        self.immediate_exit().store(1, Ordering::SeqCst);
        let thread = self.running.load(Ordering::SeqCst);
        if thread != 0 {
            let pid = std::process::id() as libc::pid_t;
            // SAFETY: tgkill on a kernel thread id of our own process. If the
            // thread has left `run_vp` (or exited and its id was reused by
            // another of our threads) it receives a signal whose handler does
            // nothing; no memory is involved.
            unsafe { libc::syscall(libc::SYS_tgkill, pid, thread as libc::pid_t, kick_signal()) };
        }
    }

    /// Called by the running thread before a `KVM_RUN`: publishes it and
    /// tells whether a cancel is pending (then consumed).
    pub(crate) fn enter(&self) -> bool {
        self.running.store(current_tid(), Ordering::SeqCst);
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
