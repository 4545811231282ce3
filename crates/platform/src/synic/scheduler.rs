//! The partition's synthetic-timer thread: sleeps on a condition variable
//! until the earliest armed deadline (no polling, no busy loop), then has
//! `Shared::expire_due` fire what is due. Started by the first timer a
//! guest arms; it holds only a weak reference to the partition's SynIC
//! state and ends when that is dropped (`Sched::stop`, from its `Drop`).

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Instant;

use super::Shared;

#[derive(Debug, Default)]
struct State {
    started: bool,
    /// A timer was armed since the thread last looked: look again.
    kicked: bool,
    stop: bool,
}

/// The thread's wake-ups.
#[derive(Debug, Default)]
pub(crate) struct Sched {
    state: Mutex<State>,
    cond: Condvar,
    /// Held by the thread while it fires timers (and so touches guest
    /// memory): [`Sched::shutdown`] waits for it.
    working: Mutex<()>,
}

impl Sched {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A timer was armed: the thread (started now if need be) looks at the
    /// deadlines again.
    pub(crate) fn kick(self: &Arc<Self>, shared: &Weak<Shared>) {
        let mut g = self.lock();
        g.kicked = true;
        if !g.started {
            g.started = true;
            let (sched, shared) = (self.clone(), shared.clone());
            let spawned = std::thread::Builder::new()
                .name("winhv-stimer".into())
                .spawn(move || sched.run(&shared));
            if spawned.is_err() {
                // No thread, no timers: the next arm tries again.
                g.started = false;
            }
        }
        self.cond.notify_all();
    }

    /// The partition's SynIC is going away: the thread ends.
    pub(crate) fn stop(&self) {
        self.lock().stop = true;
        self.cond.notify_all();
    }

    /// [`Sched::stop`], then waits until the thread is no longer firing a
    /// timer: after it, the thread touches no guest memory (the partition
    /// is being deleted and the caller may free its memory next). Not to
    /// be called from the thread itself.
    pub(crate) fn shutdown(&self) {
        self.stop();
        drop(self.working.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn run(&self, shared: &Weak<Shared>) {
        loop {
            let next: Option<Instant> = {
                let _working = self.working.lock().unwrap_or_else(|p| p.into_inner());
                if self.lock().stop {
                    return;
                }
                match shared.upgrade() {
                    Some(s) => s.expire_due(),
                    None => return,
                }
            };
            let mut g = self.lock();
            loop {
                if g.stop {
                    return;
                }
                if std::mem::take(&mut g.kicked) {
                    break;
                }
                match next {
                    Some(t) => {
                        let now = Instant::now();
                        if t <= now {
                            break;
                        }
                        g = self
                            .cond
                            .wait_timeout(g, t - now)
                            .map_or_else(|p| p.into_inner().0, |r| r.0);
                    }
                    None => g = self.cond.wait(g).unwrap_or_else(|p| p.into_inner()),
                }
            }
        }
    }
}
