//! `winhv bench`: runs `winhv-bench`, the program that measures each winhv
//! operation beside the same work done with raw KVM (crate `winhv-bench`),
//! with the same options.
//!
//! The raw-KVM side links kvm-ioctls, and the `winhv` command is built on
//! winhv's public API alone, so the measurements are a program of their
//! own, looked for beside this executable (`scripts/build` and `cargo build
//! --workspace` put it there). When it is missing and `winhv` was started
//! by cargo (`cargo run`: `CARGO` and `CARGO_MANIFEST_DIR` are set), it is
//! built first with that cargo, in this executable's target directory and
//! profile, so `cargo run --release --bin winhv -- bench` works from a
//! fresh clone; otherwise the error says what to build.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type Error = Box<dyn std::error::Error>;

/// The name of the program `winhv bench` runs.
pub const PROGRAM: &str = "winhv-bench";

/// Replaces this process with `winhv-bench` and `args`; returns only on
/// failure.
pub fn run(args: &[OsString]) -> Result<(), Error> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or("the winhv executable has no directory")?;
    let program = dir.join(PROGRAM);
    if !program.is_file() {
        build(dir)?;
    }
    let error = Command::new(&program).args(args).exec();
    Err(format!("cannot run {}: {error}", program.display()).into())
}

/// Builds `winhv-bench` into `dir` (`<target dir>/[<triple>/]<profile>`)
/// with the cargo that started this process, or says what to build.
fn build(dir: &Path) -> Result<(), Error> {
    let missing = format!(
        "the benchmarks are the program {PROGRAM} (its raw-KVM side is kept out of \
         winhv), which is not in {}: build it with `cargo build --release -p winhv-bench` \
         or `scripts/build`, or run it with `cargo run --release -p winhv-bench -- [OPTIONS]`",
        dir.display()
    );
    let (Some(cargo), Some(manifest)) = (
        std::env::var_os("CARGO"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    ) else {
        return Err(missing.into());
    };
    let Some((target_dir, triple, profile)) = cargo_layout(dir) else {
        return Err(missing.into());
    };
    let manifest = PathBuf::from(manifest).join("Cargo.toml");
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--profile",
            &profile,
            "-p",
            "winhv-bench",
            "--bin",
            PROGRAM,
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
    if let Some(triple) = &triple {
        command.arg("--target").arg(triple);
    }
    eprintln!(
        "winhv: building {PROGRAM}, the raw-KVM side of `winhv bench` (a program of its own): \
         cargo build --profile {profile} -p winhv-bench"
    );
    // Cargo reports on stderr; stdout stays the benchmark's (JSON, table).
    let status = command.stdout(Stdio::null()).status()?;
    if !status.success() || !dir.join(PROGRAM).is_file() {
        return Err(format!("building {PROGRAM} failed ({status}); {missing}").into());
    }
    Ok(())
}

/// The target directory, target triple (if any) and profile name of a
/// cargo output directory `dir`: `<target dir>/<profile dir>` or
/// `<target dir>/<triple>/<profile dir>`, the target directory being the
/// one cargo marks with `CACHEDIR.TAG`. The `debug` directory is the `dev`
/// profile's; others are named for their profile.
fn cargo_layout(dir: &Path) -> Option<(PathBuf, Option<OsString>, String)> {
    let profile = match dir.file_name()?.to_str()? {
        "debug" => "dev".to_string(),
        other => other.to_string(),
    };
    let parent = dir.parent()?;
    if parent.join("CACHEDIR.TAG").is_file() {
        return Some((parent.to_path_buf(), None, profile));
    }
    let root = parent.parent()?;
    root.join("CACHEDIR.TAG").is_file().then(|| {
        (
            root.to_path_buf(),
            parent.file_name().map(OsString::from),
            profile,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_layouts() {
        let root = std::env::temp_dir().join(format!("winhv-bench-layout-{}", std::process::id()));
        std::fs::create_dir_all(root.join("release")).unwrap();
        std::fs::create_dir_all(root.join("x86_64-unknown-linux-gnu/debug")).unwrap();
        std::fs::write(root.join("CACHEDIR.TAG"), "").unwrap();
        assert_eq!(
            cargo_layout(&root.join("release")),
            Some((root.clone(), None, "release".into()))
        );
        assert_eq!(
            cargo_layout(&root.join("x86_64-unknown-linux-gnu/debug")),
            Some((
                root.clone(),
                Some("x86_64-unknown-linux-gnu".into()),
                "dev".into()
            ))
        );
        // Not a cargo output directory: nothing to build into.
        assert_eq!(
            cargo_layout(&std::env::temp_dir().join("nowhere/bin")),
            None
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
