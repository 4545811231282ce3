//! User-space instructions per operation, counted by callgrind: the
//! figure that carries over from our PVM machines to hardware
//! virtualization (BENCHMARKS.md). Each side of a row runs `n` and `2n`
//! operations in its own process under `valgrind --tool=callgrind`;
//! `(count(2n) − count(n)) / n` cancels set-up and one-time costs, and
//! does not vary from run to run.
//!
//! The process that is counted is this program itself, run with
//! `--run-side SIDE N ROW` ([`run_side`]); [`count_row`] starts it.
//! [`recorded`] reads the figures kept in `crates/bench/results/counts.txt`,
//! which the test suite compares with (`tests/counts.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The rows whose instructions `--count` counts: the exit round trips,
/// the claimed-range store, the emulated exits and the register batch.
pub const COUNTED: &[&str] = &[
    "port I/O exit round trip",
    "port I/O exit round trip, safe API",
    "port I/O exit round trip, CPL0",
    "MMIO exit round trip",
    "MMIO exit round trip, CPL0",
    "MMIO store to a claimed range (served in the run)",
    "MMIO exit + TryMmioEmulation",
    "MMIO exit + TryMmioEmulation, CPL0",
    "port I/O exit + TryIoEmulation",
    "port I/O exit + TryIoEmulation, CPL0",
    "HLT exit round trip",
    "get+set 16 GPRs (raw: sync regs)",
    "get+set 16 GPRs, safe API (raw: sync regs)",
];

/// Operations per counted process (and twice as many in the second):
/// few, since callgrind runs the program about 50 times slower; the
/// difference is exact whatever the number.
pub const DEFAULT_OPS: u64 = 20;

/// Instructions per operation of both sides of a row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instructions {
    /// Through winhv.
    pub winhv: f64,
    /// Through raw KVM.
    pub kvm: f64,
}

/// The `valgrind` program, when it is installed (on `PATH`).
pub fn valgrind() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("valgrind"))
        .find(|p| p.is_file())
}

/// Runs `n` operations of one side (`winhv` or `kvm`) of row `row` in
/// this process: what `--run-side` does, under callgrind.
pub fn run_side(side: &str, n: u64, row: &str) -> Result<()> {
    let mut pair = crate::build(row)?;
    match side {
        "winhv" => (pair.winhv)(n).map(|_| ()),
        "kvm" => (pair.kvm)(n).map(|_| ()),
        other => Err(Error::new(format!("unknown side {other:?}: winhv or kvm"))),
    }
}

/// The total instructions callgrind counted for `exe --run-side side n row`.
fn total(valgrind: &Path, exe: &Path, side: &str, n: u64, row: &str) -> Result<u64> {
    let dir = std::env::temp_dir();
    let out = dir.join(format!(
        "winhv-bench-count-{}-{side}-{n}.out",
        std::process::id()
    ));
    let result = Command::new(valgrind)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(["--run-side", side, &n.to_string(), row])
        .output()
        .map_err(|e| Error::new(format!("cannot run {}: {e}", valgrind.display())))?;
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        let last = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        return Err(Error::new(format!(
            "{row}: {side} under callgrind failed: {last}"
        )));
    }
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Error::new(format!("{row}: no instruction total in callgrind's output")))
}

/// One side's (`winhv` or `kvm`) instructions per operation of row
/// `row`, counted with `n` and `2n` operations through `exe` (the
/// `winhv-bench` program).
pub fn count_side(valgrind: &Path, exe: &Path, row: &str, side: &str, n: u64) -> Result<f64> {
    let n = n.max(1);
    let small = total(valgrind, exe, side, n, row)?;
    let large = total(valgrind, exe, side, 2 * n, row)?;
    Ok((large as f64 - small as f64) / n as f64)
}

/// Both sides' instructions per operation of row `row` ([`count_side`]).
pub fn count_row(valgrind: &Path, exe: &Path, row: &str, n: u64) -> Result<Instructions> {
    Ok(Instructions {
        winhv: count_side(valgrind, exe, row, "winhv", n)?,
        kvm: count_side(valgrind, exe, row, "kvm", n)?,
    })
}

/// The figures recorded in `crates/bench/results/counts.txt`: one line
/// per row, `winhv-instructions<TAB>kvm-instructions<TAB>row name`
/// (`#` starts a comment).
pub fn recorded(text: &str) -> Vec<(String, Instructions)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            let winhv = f.next()?.trim().parse().ok()?;
            let kvm = f.next()?.trim().parse().ok()?;
            let name = f.next()?.trim().to_string();
            Some((name, Instructions { winhv, kvm }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_figures_parse() {
        let rows = recorded("# comment\n812\t97\tport I/O exit round trip\n\nbad line\n");
        assert_eq!(
            rows,
            [(
                "port I/O exit round trip".to_string(),
                Instructions {
                    winhv: 812.0,
                    kvm: 97.0
                }
            )]
        );
    }

    #[test]
    fn every_recorded_row_is_counted() {
        let text = include_str!("../results/counts.txt");
        let rows = recorded(text);
        assert!(!rows.is_empty());
        for (name, _) in rows {
            assert!(COUNTED.contains(&name.as_str()), "{name}");
        }
    }
}
