//! The exit path's instruction counts do not creep up: each row recorded
//! in `results/counts.txt` is counted again with callgrind (few
//! operations: the figure is exact whatever their number) through the
//! release build of `winhv-bench` — the build whose figures are recorded —
//! and the test fails when winhv's count rises more than 10 % above the
//! recorded one. Deterministic: no timing is measured. Loud skips where
//! `/dev/kvm` or valgrind is missing.

use std::path::PathBuf;
use std::process::Command;

use winhv_bench::count::{self, DEFAULT_OPS};

/// How far above its recorded figure a row may go.
const SLACK: f64 = 1.10;

/// The release `winhv-bench`, built (a no-op when `scripts/test` built it
/// already) so that the figures compared are of the code under test.
fn release_program() -> Result<PathBuf, String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--locked",
            "-q",
            "-p",
            "winhv-bench",
            "--bin",
            "winhv-bench",
        ])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the release build of winhv-bench failed: {status}"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let exe = target.join("release/winhv-bench");
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("{} is missing after the build", exe.display()))
    }
}

#[test]
fn recorded_instruction_counts_are_not_exceeded() {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    let Some(valgrind) = count::valgrind() else {
        println!("SKIPPED: valgrind is not installed: instruction counts not checked");
        return;
    };
    let exe = release_program().expect("the release winhv-bench");
    let recorded = count::recorded(include_str!("../results/counts.txt"));
    assert!(!recorded.is_empty(), "results/counts.txt records no row");
    let mut over = Vec::new();
    for (row, figure) in &recorded {
        let now = count::count_side(&valgrind, &exe, row, "winhv", DEFAULT_OPS)
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        println!(
            "{row}: {now:.0} instructions per operation (recorded {:.0}, limit {:.0})",
            figure.winhv,
            figure.winhv * SLACK
        );
        if now > figure.winhv * SLACK {
            over.push(format!("{row}: {now:.0} > {:.0} × 1.1", figure.winhv));
        }
    }
    assert!(
        over.is_empty(),
        "instruction counts above the record: {over:?}"
    );
}
