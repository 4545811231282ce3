//! The `winhv` command is built on winhv's public API alone: raw KVM
//! reaches it only through the platform crate `winhv`, never through its
//! own code or another dependency (the benchmarks' raw-KVM side is the
//! separate program `winhv-bench`, which `winhv bench` runs).
//!
//! Checked precisely, on the dependency graph cargo resolves for this
//! package alone (`cargo tree -p winhv-vmm -e normal,build`: the features
//! `cargo build -p winhv-vmm` and `cargo run --bin winhv` build with):
//! 1. `winhv-bench` is not in it;
//! 2. the only package depending directly on `kvm-ioctls` is `winhv`, and
//!    the only ones depending directly on `kvm-bindings` are `winhv` and
//!    `kvm-ioctls` (so neither this package nor `winhv-guest`'s raw-KVM
//!    `kvm` feature is in the build);
//! 3. and in the built executable, no symbol of `winhv_bench`'s.

use std::process::Command;

/// `cargo tree -p winhv-vmm -e normal,build` with `extra` arguments, one
/// package per line (`name version`).
fn tree(extra: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(cargo)
        .args(["tree", "--locked", "--manifest-path", manifest])
        .args(["-p", "winhv-vmm", "-e", "normal,build", "-f", "{p}"])
        .args(extra)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| {
            // "name vX.Y.Z (path) (*)" → "name vX.Y.Z"
            l.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// The packages depending directly on `package` in that graph.
fn direct_dependents(package: &str) -> Vec<String> {
    let lines = tree(&["-i", package, "--depth", "1", "--prefix", "depth"]);
    let mut names: Vec<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix('1'))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_bench_crate_is_not_a_dependency() {
    let packages = tree(&["--prefix", "none"]);
    assert!(
        packages.iter().any(|p| p.starts_with("winhv ")),
        "the platform is a dependency: {packages:?}"
    );
    assert!(
        !packages.iter().any(|p| p.starts_with("winhv-bench ")),
        "winhv-bench is linked into winhv: {packages:?}"
    );
}

#[test]
fn raw_kvm_only_through_the_platform() {
    assert_eq!(direct_dependents("kvm-ioctls"), ["winhv"]);
    assert_eq!(direct_dependents("kvm-bindings"), ["kvm-ioctls", "winhv"]);
}

#[test]
fn the_executable_has_no_bench_code() {
    let exe = std::fs::read(env!("CARGO_BIN_EXE_winhv")).expect("the winhv executable");
    let has = |needle: &[u8]| exe.windows(needle.len()).any(|w| w == needle);
    // Symbols are there to look at (debug builds, and release with debug = 1).
    assert!(has(b"winhv_guest"), "no symbols in the winhv executable");
    assert!(
        !has(b"winhv_bench"),
        "winhv_bench code in the winhv executable"
    );
}
