//! What the integration tests share: where the built libraries and the
//! headers are, and building and running C programs with gcc.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory holding `libWinHvPlatform.so` and `libWinHvEmulation.so`:
/// target/<profile>/deps, next to this test binary (cargo and nextest both
/// run test binaries from there).
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let mut candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(3)
        .map(Path::to_path_buf)
        .collect();
    candidates.extend(candidates.clone().into_iter().map(|d| d.join("deps")));
    candidates
        .into_iter()
        .find(|d| {
            d.join("libWinHvPlatform.so").is_file() && d.join("libWinHvEmulation.so").is_file()
        })
        .unwrap_or_else(|| {
            panic!(
                "libWinHvPlatform.so/libWinHvEmulation.so not found near {}",
                exe.display()
            )
        })
}

/// The repository's `include/` directory.
pub fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include")
}

/// This package's `tests/c/` directory.
pub fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c")
}

/// `gcc` (or `cc`) when one runs here; `None` after printing the skip
/// line.
pub fn c_compiler() -> Option<&'static str> {
    for cc in ["gcc", "cc"] {
        if Command::new(cc)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(cc);
        }
    }
    println!("SKIPPED: no C compiler");
    None
}

/// True when /dev/kvm is there; prints the skip line when not.
pub fn have_kvm() -> bool {
    let ok = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    if !ok {
        println!("SKIPPED: no /dev/kvm");
    }
    ok
}

/// Compiles `tests/c/<name>.c` with `-std=c11 -Wall -Wextra -pedantic
/// -Werror` against `include/`, linked with both libraries; returns the
/// executable.
pub fn build_c(cc: &str, name: &str) -> PathBuf {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capi-c");
    std::fs::create_dir_all(&out_dir).expect("create output directory");
    // One file per test process: parallel runners never share an output.
    let exe = out_dir.join(format!("{name}-{}", std::process::id()));
    let libs = lib_dir();
    let output = Command::new(cc)
        .args([
            "-std=c11",
            "-D_GNU_SOURCE",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-O1",
            "-g",
        ])
        .arg("-I")
        .arg(include_dir())
        .arg(c_dir().join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&libs)
        .arg(format!("-Wl,-rpath,{}", libs.display()))
        .args(["-lWinHvPlatform", "-lWinHvEmulation", "-lpthread"])
        .output()
        .expect("run the C compiler");
    assert!(
        output.status.success(),
        "compiling {name}.c failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

/// Runs a built C program and returns its output; fails the test unless
/// it exits 0. `LD_LIBRARY_PATH` (which cargo and nextest point at
/// target/<profile>/deps) is removed: the program finds its libraries
/// through the run path it was linked with, as an installed client would.
pub fn run(exe: &Path) -> Output {
    let output = Command::new(exe)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run the C program");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "{} failed ({}):\n{stdout}\n{stderr}",
        exe.display(),
        output.status
    );
    let _ = std::fs::remove_file(exe);
    output
}

/// Builds and runs `tests/c/<name>.c`; it must print `PASS` (or the
/// `/dev/kvm` skip line when `needs_kvm` and there is none).
pub fn build_and_run(name: &str, needs_kvm: bool) {
    let Some(cc) = c_compiler() else { return };
    if needs_kvm && !have_kvm() {
        return;
    }
    let exe = build_c(cc, name);
    let output = run(&exe);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.lines().any(|l| l == "PASS"),
        "{name} did not print PASS:\n{stdout}"
    );
}
