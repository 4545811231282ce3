//! [`Pair`]: one workload's two sides — the same work through winhv and
//! through raw KVM — and [`Goal`], what issues #6 and #4 expect of their ratio.

use std::time::Duration;

use crate::error::Result;

/// One side of a pair: performs `ops` operations and returns the time they
/// took (setup outside the timed part is the side's own business).
pub type Side = Box<dyn FnMut(u64) -> Result<Duration>>;

/// What issue #6 asks of a row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// Exit round trips: within 1.05× of raw KVM and under 300 ns added.
    ExitRoundTrip,
    /// Register batches and the lifecycle: within 1.2×.
    Within1_2,
    /// No specific goal; above 1.5× is still a bug to find.
    Bug1_5,
    /// MMIO exit + TryMmioEmulation (issue #4): within 1.3× of raw KVM.
    EmulatedMmio,
    /// Port I/O exit + TryIoEmulation (issue #4): within 1.15× of raw KVM.
    EmulatedPortIo,
    /// Interrupt delivery (issue #9): within 1.1× of raw KVM.
    Within1_1,
}

impl Goal {
    /// `Some(reason)` when `ratio` / `added_ns` miss the goal.
    pub fn missed(self, ratio: f64, added_ns: f64) -> Option<String> {
        match self {
            Goal::ExitRoundTrip if ratio > 1.05 || added_ns >= 300.0 => {
                Some("ABOVE GOAL (exit round trip: <=1.05x and <300 ns added)".into())
            }
            Goal::Within1_2 if ratio > 1.2 => Some("ABOVE GOAL (<=1.2x)".into()),
            Goal::Bug1_5 if ratio > 1.5 => Some("ABOVE 1.5x: a bug to find".into()),
            Goal::EmulatedMmio if ratio > 1.3 => Some("ABOVE GOAL (<=1.3x)".into()),
            Goal::EmulatedPortIo if ratio > 1.15 => Some("ABOVE GOAL (<=1.15x)".into()),
            Goal::Within1_1 if ratio > 1.1 => Some("ABOVE GOAL (<=1.1x)".into()),
            _ => None,
        }
    }

    /// The goal in words, for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Goal::ExitRoundTrip => "<=1.05x and <300 ns added",
            Goal::Within1_2 => "<=1.2x",
            Goal::Bug1_5 => "<=1.5x",
            Goal::EmulatedMmio => "<=1.3x",
            Goal::EmulatedPortIo => "<=1.15x",
            Goal::Within1_1 => "<=1.1x",
        }
    }
}

/// A workload ready to measure: both sides set up.
pub struct Pair {
    /// The winhv side.
    pub winhv: Side,
    /// The raw-KVM side.
    pub kvm: Side,
    /// Operations per timed batch that make a batch last a few
    /// milliseconds on PVM (scaled by [`crate::Options`]).
    pub ops_per_batch: u64,
    /// What the row measures exactly, for its note.
    pub note: String,
}

/// A named workload and how to build it (lazily, so that two 1 GiB
/// mappings never coexist).
#[derive(Clone, Copy)]
pub struct Spec {
    /// The row name.
    pub name: &'static str,
    /// Its goal.
    pub goal: Goal,
    /// Sets up both sides.
    pub build: fn() -> Result<Pair>,
}
