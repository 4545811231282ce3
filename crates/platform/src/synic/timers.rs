//! The synthetic timers STIMER0–3 of one VP (TLFS, "Synthetic Timers"):
//! their CONFIG and COUNT MSRs, when each expires next, and the
//! HvMessageTimerExpired message an expiry posts to the timer's SINT —
//! pure state; `synic/scheduler.rs` waits for the deadlines and
//! `synic/mod.rs` delivers.
//!
//! Times are partition reference time (100 ns units, `synic/clock.rs`).
//! One-shot: COUNT is the absolute expiration time, the timer disables
//! itself when it fires. Periodic: COUNT is the period from when the
//! timer was armed; an expiry already past when the previous one is
//! delivered is skipped (not queued), as Hyper-V coalesces them.

use super::msrs::Refused;

pub(crate) const STIMER0_CONFIG: u32 = 0x4000_00b0;
pub(crate) const COUNT: usize = 4;

pub(crate) const ENABLE: u64 = 1 << 0;
pub(crate) const PERIODIC: u64 = 1 << 1;
pub(crate) const LAZY: u64 = 1 << 2;
pub(crate) const AUTO_ENABLE: u64 = 1 << 3;
/// Direct mode (an APIC vector, no message): `DirectSyntheticTimers`,
/// not offered.
pub(crate) const DIRECT: u64 = 1 << 12;
const SINTX_SHIFT: u32 = 16;
const SINTX: u64 = 0xf << SINTX_SHIFT;

/// `HvMessageTimerExpired`.
pub(crate) const MESSAGE_TIMER_EXPIRED: u32 = 0x8000_0010;

/// One synthetic timer.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stimer {
    pub config: u64,
    pub count: u64,
    /// When it fires next, while armed.
    pub deadline: Option<u64>,
    /// An expiry (its expiration time) whose message still waits for a
    /// free slot.
    pub pending: Option<u64>,
}

impl Stimer {
    /// The SINT its messages go to.
    pub(crate) fn sint(&self) -> usize {
        ((self.config & SINTX) >> SINTX_SHIFT) as usize
    }

    /// A guest write of CONFIG: direct mode is refused (#GP, as KVM does
    /// without DirectSyntheticTimers); Enable with SINTx 0 does not
    /// enable. Re-arms from `now`.
    pub(crate) fn write_config(&mut self, v: u64, now: u64) -> Result<(), Refused> {
        if v & DIRECT != 0 {
            return Err(Refused);
        }
        let mut v = v & (ENABLE | PERIODIC | LAZY | AUTO_ENABLE | SINTX);
        if v & SINTX == 0 {
            v &= !ENABLE;
        }
        self.config = v;
        self.arm(now);
        Ok(())
    }

    /// A guest write of COUNT: 0 disables, AutoEnable enables. Re-arms
    /// from `now`.
    pub(crate) fn write_count(&mut self, v: u64, now: u64) {
        self.count = v;
        if v == 0 {
            self.config &= !ENABLE;
        } else if self.config & AUTO_ENABLE != 0 && self.config & SINTX != 0 {
            self.config |= ENABLE;
        }
        self.arm(now);
    }

    fn arm(&mut self, now: u64) {
        self.deadline = if self.config & ENABLE == 0 || self.count == 0 {
            None
        } else if self.config & PERIODIC != 0 {
            Some(now.saturating_add(self.count))
        } else {
            Some(self.count)
        };
    }

    /// The timer fires at `now` (its deadline passed): the next deadline
    /// or the timer disabled; the expiry to deliver goes to `pending`.
    pub(crate) fn fire(&mut self, now: u64) {
        let Some(expiration) = self.deadline else {
            return;
        };
        self.pending = Some(expiration);
        if self.config & PERIODIC != 0 {
            // The first period boundary after `now`: missed ones are
            // skipped, the phase is kept.
            let missed = now.saturating_sub(expiration) / self.count.max(1);
            let next = expiration.saturating_add(self.count.saturating_mul(missed + 1));
            self.deadline = Some(next);
        } else {
            self.config &= !ENABLE;
            self.deadline = None;
        }
    }
}

/// The HV_MESSAGE of timer `index`'s expiry at `expiration`, delivered at
/// `delivery`: header (type, payload size 24), then TimerIndex, reserved,
/// ExpirationTime, DeliveryTime.
pub(crate) fn message(index: usize, expiration: u64, delivery: u64) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[0..4].copy_from_slice(&MESSAGE_TIMER_EXPIRED.to_le_bytes());
    m[4] = 24;
    m[16..20].copy_from_slice(&(index as u32).to_le_bytes());
    m[24..32].copy_from_slice(&expiration.to_le_bytes());
    m[32..40].copy_from_slice(&delivery.to_le_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_and_periodic_follow_the_tlfs() {
        let mut t = Stimer::default();
        t.write_count(500, 100);
        assert_eq!(t.deadline, None, "not enabled");
        t.write_config(ENABLE | (2 << 16), 100).unwrap();
        assert_eq!((t.deadline, t.sint()), (Some(500), 2));
        t.fire(510);
        assert_eq!(
            (t.pending, t.deadline, t.config & ENABLE),
            (Some(500), None, 0)
        );

        // Enabled with COUNT 0: armed by the COUNT write.
        let mut p = Stimer::default();
        p.write_config(ENABLE | PERIODIC | (1 << 16), 0).unwrap();
        assert_eq!(p.deadline, None);
        p.write_count(100, 1000);
        assert_eq!(p.deadline, Some(1100));
        p.fire(1105);
        assert_eq!(p.deadline, Some(1200));
        p.fire(1550);
        assert_eq!(p.deadline, Some(1600), "missed periods skipped, phase kept");

        let mut a = Stimer::default();
        a.write_config(AUTO_ENABLE | (3 << 16), 0).unwrap();
        a.write_count(42, 0);
        assert_eq!(a.deadline, Some(42));
        a.write_count(0, 0);
        assert_eq!((a.deadline, a.config & ENABLE), (None, 0));
        assert_eq!(a.write_config(DIRECT, 0), Err(Refused));
        let mut z = Stimer::default();
        z.write_count(10, 0);
        z.write_config(ENABLE, 0).unwrap();
        assert_eq!(z.deadline, None, "SINTx 0 disables");
    }

    #[test]
    fn the_message_is_hv_message_timer_expired() {
        let m = message(3, 0x1122, 0x3344);
        assert_eq!(u32::from_le_bytes(m[0..4].try_into().unwrap()), 0x8000_0010);
        assert_eq!(m[4], 24);
        assert_eq!(m[16], 3);
        assert_eq!(u64::from_le_bytes(m[24..32].try_into().unwrap()), 0x1122);
        assert_eq!(u64::from_le_bytes(m[32..40].try_into().unwrap()), 0x3344);
    }
}
