//! [`Row`]: one line of the results — the medians of both sides, their
//! ratio, the nanoseconds winhv adds, and a note (what was measured, a
//! missed goal, or why the row was skipped).

use crate::measure::Medians;
use crate::pair::Goal;

/// One benchmark result. A skipped row has no numbers and says why in
/// `note` (it starts with `SKIPPED:`).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured.
    pub name: String,
    /// Median nanoseconds per operation through winhv.
    pub winhv_ns: Option<f64>,
    /// Median nanoseconds per operation through raw KVM.
    pub kvm_ns: Option<f64>,
    /// `winhv_ns / kvm_ns`.
    pub ratio: Option<f64>,
    /// `winhv_ns - kvm_ns` (negative when winhv is faster).
    pub added_ns: Option<f64>,
    /// What the row measures, a missed goal, or the reason for a skip.
    pub note: String,
    /// User-space instructions per operation of both sides, when counted
    /// (`--count`, [`crate::count`]).
    pub instructions: Option<crate::count::Instructions>,
}

impl Row {
    /// A measured row; a missed `goal` is prefixed to `note`.
    pub fn measured(name: &str, medians: Medians, goal: Goal, note: &str) -> Self {
        let ratio = if medians.kvm_ns > 0.0 {
            medians.winhv_ns / medians.kvm_ns
        } else {
            f64::INFINITY
        };
        let added = medians.winhv_ns - medians.kvm_ns;
        let note = match goal.missed(ratio, added) {
            Some(missed) if note.is_empty() => missed,
            Some(missed) => format!("{missed}; {note}"),
            None => note.to_string(),
        };
        Self {
            name: name.to_string(),
            winhv_ns: Some(medians.winhv_ns),
            kvm_ns: Some(medians.kvm_ns),
            ratio: ratio.is_finite().then_some(ratio),
            added_ns: Some(added),
            note,
            instructions: None,
        }
    }

    /// A row that could not be measured, and why.
    pub fn skipped(name: &str, why: &str) -> Self {
        Self {
            name: name.to_string(),
            winhv_ns: None,
            kvm_ns: None,
            ratio: None,
            added_ns: None,
            note: format!("SKIPPED: {why}"),
            instructions: None,
        }
    }

    /// True for a skipped row.
    pub fn is_skipped(&self) -> bool {
        self.ratio.is_none() && self.winhv_ns.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_row_computes_ratio_added_and_flags_missed_goals() {
        let m = Medians {
            winhv_ns: 8400.0,
            kvm_ns: 8000.0,
        };
        let row = Row::measured("io", m, Goal::ExitRoundTrip, "x");
        assert_eq!(row.ratio, Some(1.05));
        assert_eq!(row.added_ns, Some(400.0));
        assert!(row.note.starts_with("ABOVE GOAL"), "{}", row.note);
        let ok = Row::measured(
            "io",
            Medians {
                winhv_ns: 8100.0,
                kvm_ns: 8000.0,
            },
            Goal::ExitRoundTrip,
            "x",
        );
        assert_eq!(ok.note, "x");
        let big = Row::measured(
            "map",
            Medians {
                winhv_ns: 160.0,
                kvm_ns: 100.0,
            },
            Goal::Bug1_5,
            "",
        );
        assert!(big.note.contains("1.5x"), "{}", big.note);
        assert!(Row::skipped("c", "no API").is_skipped());
        assert!(!ok.is_skipped());
    }
}
