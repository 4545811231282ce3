//! Cancel latency: a VP spinning in the guest (a CPL3 `jmp $`, native on
//! PVM) on one thread; another thread cancels it and the time from the
//! cancel call to the run returning is one operation.
//!
//! winhv: WHvCancelRunVirtualProcessor → WHvRunVirtualProcessor returning
//! Canceled. Raw KVM: `kvm_run.immediate_exit = 1` plus a signal to the
//! vCPU thread (a no-op handler without SA_RESTART, the usual raw-KVM
//! kick) → KVM_RUN returning EINTR.

use std::sync::Once;
use std::sync::atomic::{AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use winhv::defs::*;
use winhv_guest::Guest;

use crate::error::{Error, Result};
use crate::pair::{Pair, Side};
use crate::workloads::exits::vms;

/// How long the canceller waits after the runner announced its run, so the
/// vCPU is surely inside the guest.
const SETTLE: Duration = Duration::from_micros(200);
/// How long a cancel may take before the row fails.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The hand-off between the canceller (the timing thread) and the runner.
#[derive(Default)]
struct Handoff {
    /// Operation number the runner may start.
    go: AtomicU64,
    /// Operation number the runner is about to run.
    entering: AtomicU64,
    /// Operation number whose run has returned.
    done: AtomicU64,
    /// When that run returned, in ns since `base`.
    returned_ns: AtomicU64,
    /// The runner's kernel thread id.
    tid: AtomicI32,
}

impl Handoff {
    fn wait(&self, counter: &AtomicU64, value: u64) -> Result<()> {
        let start = Instant::now();
        while counter.load(Ordering::SeqCst) < value {
            if start.elapsed() > TIMEOUT {
                return Err(Error::new(
                    "cancel latency: the run did not return within 2 s",
                ));
            }
            std::thread::yield_now();
        }
        Ok(())
    }
}

/// Runs `ops` cancels: `run_once` on a runner thread (it must return after
/// one cancel), `cancel` from this one; returns the summed latencies.
fn timed_cancels(
    ops: u64,
    run_once: &mut (dyn FnMut() -> Result<()> + Send),
    cancel: &(dyn Fn(&Handoff) + Sync),
) -> Result<Duration> {
    let h = Handoff::default();
    let base = Instant::now();
    let mut total = Duration::ZERO;
    std::thread::scope(|scope| -> Result<()> {
        let h = &h;
        let runner = scope.spawn(move || -> Result<()> {
            // SAFETY: gettid has no preconditions.
            h.tid.store(unsafe { libc::gettid() }, Ordering::SeqCst);
            for op in 1..=ops {
                h.wait(&h.go, op)?;
                h.entering.store(op, Ordering::SeqCst);
                let result = run_once();
                h.returned_ns
                    .store(base.elapsed().as_nanos() as u64, Ordering::SeqCst);
                h.done.store(op, Ordering::SeqCst);
                result?;
            }
            Ok(())
        });
        let mut outcome = Ok(());
        for op in 1..=ops {
            h.go.store(op, Ordering::SeqCst);
            if let Err(e) = h.wait(&h.entering, op) {
                outcome = Err(e);
                break;
            }
            let settle = Instant::now();
            while settle.elapsed() < SETTLE {
                std::hint::spin_loop();
            }
            let t0 = base.elapsed().as_nanos() as u64;
            cancel(h);
            if let Err(e) = h.wait(&h.done, op) {
                // Keep kicking until the runner lets go, then report.
                while h.done.load(Ordering::SeqCst) < op && !runner.is_finished() {
                    cancel(h);
                    std::thread::yield_now();
                }
                outcome = Err(e);
                break;
            }
            total += Duration::from_nanos(h.returned_ns.load(Ordering::SeqCst).saturating_sub(t0));
        }
        // Release a runner still waiting for `go` after an error.
        h.go.store(u64::MAX, Ordering::SeqCst);
        let ran = runner
            .join()
            .map_err(|_| Error::new("cancel latency: the runner thread panicked"))?;
        outcome.and(ran)
    })?;
    Ok(total)
}

/// The raw side's kick signal (winhv uses its own, SIGRTMIN+3).
fn kick_signal() -> i32 {
    libc::SIGRTMIN() + 5
}

extern "C" fn on_kick(_: libc::c_int) {}

fn install_kick_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: an all-zero sigaction is a valid value (no handler, no
        // flags, empty mask).
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_kick as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // The handler does nothing (async-signal-safe) and the mask is
        // empty; SA_RESTART is left out so that KVM_RUN returns EINTR.
        // SAFETY: `sa` is a valid sigaction and the old-action pointer may
        // be null.
        unsafe { libc::sigaction(kick_signal(), &sa, std::ptr::null_mut()) };
    });
}

/// `&kvm_run.immediate_exit`, shareable with the canceller thread.
struct ImmediateExit(*const AtomicU8);

// SAFETY: the pointer targets the vCPU's kvm_run mapping, which outlives
// every use (the vCPU is dropped after the scoped threads end), and the
// byte is only accessed atomically.
unsafe impl Send for ImmediateExit {}
// SAFETY: as above.
unsafe impl Sync for ImmediateExit {}

impl ImmediateExit {
    fn get(&self) -> &AtomicU8 {
        // SAFETY: valid while the vCPU lives (see the Send impl); a byte
        // is always aligned.
        unsafe { &*self.0 }
    }
}

fn spinning_guest() -> Result<winhv_guest::Program> {
    let mut guest = Guest::new(0, 1 << 20)?;
    let entry = guest.layout().code;
    guest.assemble_at(64, entry, |a| {
        let mut spin = a.create_label();
        a.set_label(&mut spin)?;
        a.jmp(spin)
    })?;
    let registers = guest.long64_user(entry)?;
    Ok(winhv_guest::Program {
        memory: guest.memory().clone(),
        registers,
        layout: *guest.layout(),
    })
}

/// Both sides of the cancel-latency row.
pub fn cancel_latency() -> Result<Pair> {
    install_kick_handler();
    let program = spinning_guest()?;
    let (whp, mut raw) = vms(&program)?;
    let winhv: Side = Box::new(move |ops| {
        let p = whp.partition();
        let mut run = || -> Result<()> {
            let exit = p.run_vp(0)?;
            if exit.ExitReason != WHvRunVpExitReasonCanceled {
                return Err(crate::whp::unexpected("a Canceled exit", &exit));
            }
            Ok(())
        };
        timed_cancels(ops, &mut run, &|_| {
            let _ = p.cancel_run_vp(0, 0);
        })
    });
    let kvm_side: Side = Box::new(move |ops| {
        let immediate_exit = ImmediateExit(
            (&raw mut raw.vcpu().get_kvm_run().immediate_exit)
                .cast_const()
                .cast(),
        );
        let vcpu = raw.vcpu();
        let ie = &immediate_exit;
        let mut run = move || -> Result<()> {
            let result = vcpu.run().map(|exit| format!("{exit:?}"));
            ie.get().store(0, Ordering::SeqCst);
            match result {
                Err(e) if e.errno() == libc::EINTR => Ok(()),
                Err(e) => Err(e.into()),
                Ok(exit) => Err(Error::new(format!("raw KVM: expected EINTR, got {exit}"))),
            }
        };
        timed_cancels(ops, &mut run, &|h| {
            ie.get().store(1, Ordering::SeqCst);
            let tid = h.tid.load(Ordering::SeqCst);
            // SAFETY: getpid has no preconditions.
            let pid = unsafe { libc::getpid() };
            // SAFETY: tgkill to a thread of our own process, with a signal
            // whose handler does nothing.
            unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, kick_signal()) };
        })
    });
    Ok(Pair {
        winhv,
        kvm: kvm_side,
        ops_per_batch: 10,
        note: "cancel from another thread until run returns; raw: immediate_exit + tgkill".into(),
    })
}
