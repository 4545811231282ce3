//! Debian's stock `linux-image-amd64` with a busybox initramfs, booted by
//! `winhv run` with 1 and 2 VPs (scripts/fetch-linux fetches both into
//! .cache/linux; scripts/setup runs it where this test can run). Its init
//! prints a marker, the CPU count and the memory size, then writes 0 to
//! isa-debug-exit (exit status 1). A stock kernel needs hardware
//! virtualization: on PVM it does not boot, and the test says SKIPPED.

mod support;

use std::path::PathBuf;
use std::process::Command;

fn is_pvm() -> bool {
    std::path::Path::new("/sys/module/kvm_pvm").exists()
}

fn boot(cpus: u32) {
    if !support::kvm_available() {
        return;
    }
    if is_pvm() {
        println!(
            "SKIPPED: needs hardware virtualization (a stock Linux kernel does not boot on PVM)"
        );
        return;
    }
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/linux");
    let (kernel, initrd) = (cache.join("vmlinuz"), cache.join("initramfs.cpio.gz"));
    assert!(
        kernel.exists() && initrd.exists(),
        "{} missing: run scripts/fetch-linux (scripts/setup does where hardware virtualization is present)",
        kernel.display()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_winhv"))
        .arg("run")
        .arg(&kernel)
        .arg("--initrd")
        .arg(&initrd)
        .args(["--cmdline", "console=ttyS0 panic=-1", "--memory", "512M"])
        .args(["--cpus", &cpus.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("WINHV-LINUX-INIT"), "{stdout}");
    assert!(stdout.contains(&format!("cpus: {cpus}")), "{stdout}");
    assert!(stdout.contains("memory: MemTotal:"), "{stdout}");
}

#[test]
fn stock_linux_on_one_vp() {
    boot(1);
}

#[test]
fn stock_linux_on_two_vps() {
    boot(2);
}
