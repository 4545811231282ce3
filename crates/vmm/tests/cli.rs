//! The `winhv` command, run as a user runs it.

mod support;

use std::process::Command;
use support::kvm_available;

fn winhv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_winhv"))
        .args(args)
        .output()
        .expect("the winhv binary runs")
}

#[test]
fn caps_json_lists_every_capability_code() {
    let out = winhv(&["caps", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), winhv_defs::WHV_CAPABILITY_CODE::ALL.len());
    let present = rows
        .iter()
        .find(|r| r["name"] == "WHvCapabilityCodeHypervisorPresent")
        .expect("HypervisorPresent row");
    let kvm = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    assert_eq!(present["value"], serde_json::Value::Bool(kvm));
}

#[test]
fn caps_table_has_a_line_per_code() {
    let out = winhv(&["caps"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(
        text.lines().count(),
        winhv_defs::WHV_CAPABILITY_CODE::ALL.len()
    );
    assert!(text.lines().any(|l| l.starts_with("ProcessorVendor")));
}

#[test]
fn demo_prints_the_greeting_and_exit_counts() {
    if !kvm_available() {
        return;
    }
    let out = winhv(&["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(winhv_guest::programs::GREETING),
        "{stdout}"
    );
    // One port write per greeting byte, then the HLT.
    let io = format!(
        "WHvRunVpExitReasonX64IoPortAccess {:>14}",
        winhv_guest::programs::GREETING.len()
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == io.split_whitespace().collect::<Vec<_>>()),
        "{stdout}"
    );
    assert!(stdout.contains("WHvRunVpExitReasonX64Halt"), "{stdout}");
}

/// `winhv bench` runs the `winhv-bench` program found beside `winhv`
/// (built by `cargo build --workspace`; built on demand under `cargo run`).
#[test]
fn bench_json_for_one_row() {
    if !kvm_available() {
        return;
    }
    let out = winhv(&["bench", "--json", "--batches", "1", "--filter", "HLT exit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["ratio"].is_number(), "{rows:?}");
}

/// Without `winhv-bench` beside it and not started by cargo, `winhv bench`
/// fails and says what to build.
#[test]
fn bench_without_its_program_says_what_to_build() {
    let dir = std::env::temp_dir().join(format!("winhv-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let alone = dir.join("winhv");
    std::fs::copy(env!("CARGO_BIN_EXE_winhv"), &alone).unwrap();
    let out = Command::new(&alone)
        .args(["bench", "--json"])
        .env_remove("CARGO")
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("the copied winhv runs");
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(
        stderr.contains("cargo build --release -p winhv-bench"),
        "{stderr}"
    );
}
