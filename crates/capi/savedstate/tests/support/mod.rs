//! What the integration tests share: where the built library and the
//! headers are, the saved states the C programs read (written with the
//! reader's own builders), and building and running C programs with gcc.

#![allow(dead_code, reason = "each test binary uses a different part")]

#[path = "../../../../savedstate/tests/support/build.rs"]
pub mod build;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory holding `libvmsavedstatedumpprovider.so`: target/<profile>
/// or its deps/, next to this test binary.
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
        .find(|d| d.join("libvmsavedstatedumpprovider.so").is_file())
        .unwrap_or_else(|| {
            panic!(
                "libvmsavedstatedumpprovider.so not found near {}",
                exe.display()
            )
        })
}

/// The repository's `include/` directory.
pub fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include")
}

/// A scratch directory for this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("capi-ss-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
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

/// Compiles `source` (C11 or, with `cxx`, C++17; `-Wall -Wextra -pedantic
/// -Werror`) against `include/`, linked with the library and its run path;
/// returns the executable.
pub fn build_c(cc: &str, source: &Path, exe: &Path, cxx: bool) -> PathBuf {
    let libs = lib_dir();
    let mut cmd = Command::new(if cxx && cc == "gcc" { "g++" } else { cc });
    if cxx {
        cmd.args(["-x", "c++", "-std=c++17"]);
    } else {
        cmd.args(["-std=c11", "-D_GNU_SOURCE"]);
    }
    let output = cmd
        .args(["-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", "-g"])
        .arg("-I")
        .arg(include_dir())
        .arg(source)
        .arg("-o")
        .arg(exe)
        .arg("-L")
        .arg(&libs)
        .arg(format!("-Wl,-rpath,{}", libs.display()))
        .arg("-lvmsavedstatedumpprovider")
        .output()
        .expect("run the C compiler");
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    exe.to_path_buf()
}

/// Runs a built program with `args`; fails the test unless it exits 0.
/// `LD_LIBRARY_PATH` is removed: the program finds the library through
/// its run path, as an installed client would.
pub fn run(exe: &Path, args: &[&Path]) -> Output {
    let output = Command::new(exe)
        .args(args)
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
    output
}
