//! The partition reference time: HV_X64_MSR_TIME_REF_COUNT (100 ns units
//! since the partition's first use of it) and the reference TSC page the
//! guest reads it from without an exit (TLFS, "Partition Reference TSC
//! Mechanism": `ReferenceTime = ((TSC × TscScale) >> 64) + TscOffset`).
//!
//! Both come from the guest's own TSC, so they agree exactly: the counter
//! is the page's formula applied to the VP's TSC at the RDMSR. The TSC
//! runs at the partition's processor clock frequency; `TscOffset` is fixed
//! the first time either is used (again after WHvResetPartition) so that
//! the counter starts near 0. The
//! counter therefore also stops while WHvSuspendPartitionTime freezes the
//! TSC, as partition time does on Windows.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The reference TSC page's `TscSequence` while the page is valid (0
/// tells the guest to fall back to the MSR).
pub(crate) const TSC_PAGE_SEQUENCE: u32 = 1;

/// The partition's reference clock.
#[derive(Debug)]
pub(crate) struct ReferenceClock {
    /// 100 ns units per TSC tick, as a 0.64 fixed-point fraction; 0 when
    /// the TSC frequency is unknown.
    scale: u64,
    /// `TscOffset` and the host's time when it was fixed (reference time
    /// 0), set at first use.
    anchor: Mutex<Option<(i64, Instant)>>,
}

impl ReferenceClock {
    /// The clock of a partition whose TSC runs at `tsc_hz` (0: unknown).
    pub(crate) fn new(tsc_hz: u64) -> Self {
        let scale = if tsc_hz > 10_000_000 {
            ((10_000_000u128 << 64) / u128::from(tsc_hz)) as u64
        } else {
            0
        };
        Self {
            scale,
            anchor: Mutex::new(None),
        }
    }

    fn anchor(&self) -> MutexGuard<'_, Option<(i64, Instant)>> {
        self.anchor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// WHvResetPartition: reference time starts again at the next use
    /// (every TSC restarts at 0 where KVM can set it).
    pub(crate) fn reset(&self) {
        *self.anchor() = None;
    }

    fn scaled(&self, tsc: u64) -> u64 {
        ((u128::from(tsc) * u128::from(self.scale)) >> 64) as u64
    }

    /// `TscOffset`, fixed now if this is the first use (`tsc`: the guest's
    /// TSC at this moment).
    pub(crate) fn offset(&self, tsc: u64) -> i64 {
        self.anchor()
            .get_or_insert_with(|| ((self.scaled(tsc) as i64).wrapping_neg(), Instant::now()))
            .0
    }

    /// Reference time now by the host's clock (what the timers use: the
    /// guest's TSC cannot be read from the timer thread), or `None` before
    /// first use. It follows the TSC-based count up to the two clocks'
    /// drift, and runs on while partition time is suspended.
    pub(crate) fn host_now(&self) -> Option<u64> {
        let (_, t0) = (*self.anchor())?;
        Some((t0.elapsed().as_nanos() / 100) as u64)
    }

    /// The host instant of reference time `t`.
    pub(crate) fn instant_of(&self, t: u64) -> Option<Instant> {
        let (_, t0) = (*self.anchor())?;
        t0.checked_add(Duration::from_nanos(t.saturating_mul(100)))
    }

    /// `TscScale`.
    pub(crate) fn scale(&self) -> u64 {
        self.scale
    }

    /// HV_X64_MSR_TIME_REF_COUNT for a VP whose TSC reads `tsc`.
    pub(crate) fn count(&self, tsc: u64) -> u64 {
        let offset = self.offset(tsc);
        self.scaled(tsc).wrapping_add(offset as u64)
    }

    /// The reference TSC page's first 24 bytes (sequence, reserved, scale,
    /// offset).
    pub(crate) fn page(&self, tsc: u64) -> [u8; 24] {
        let mut p = [0u8; 24];
        let valid = self.scale != 0;
        let seq = if valid { TSC_PAGE_SEQUENCE } else { 0 };
        p[0..4].copy_from_slice(&seq.to_le_bytes());
        p[8..16].copy_from_slice(&self.scale.to_le_bytes());
        p[16..24].copy_from_slice(&self.offset(tsc).to_le_bytes());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_100ns_from_first_use_and_matches_the_page() {
        let c = ReferenceClock::new(2_000_000_000);
        let t0 = 5_000_000_000;
        assert_eq!(c.count(t0), 0);
        // One second of a 2 GHz TSC is 10^7 units (within rounding).
        let n = c.count(t0 + 2_000_000_000);
        assert!((9_999_990..=10_000_000).contains(&n), "{n}");
        let p = c.page(0);
        let scale = u64::from_le_bytes(p[8..16].try_into().unwrap());
        let offset = i64::from_le_bytes(p[16..24].try_into().unwrap());
        let tsc = t0 + 123_456_789;
        let by_page =
            (((u128::from(tsc) * u128::from(scale)) >> 64) as u64).wrapping_add(offset as u64);
        assert_eq!(by_page, c.count(tsc));
        assert_eq!(
            u32::from_le_bytes(p[0..4].try_into().unwrap()),
            TSC_PAGE_SEQUENCE
        );
    }

    #[test]
    fn a_reset_starts_again_from_0() {
        let c = ReferenceClock::new(1_000_000_000);
        assert_eq!(c.count(5_000_000_000), 0);
        c.reset();
        assert_eq!(c.count(1_000), 0, "the TSC restarted near 0");
        assert_eq!(c.count(101_000), 1_000);
    }

    #[test]
    fn an_unknown_frequency_invalidates_the_page() {
        let c = ReferenceClock::new(0);
        assert_eq!(u32::from_le_bytes(c.page(1)[0..4].try_into().unwrap()), 0);
    }
}
