//! `winhv run` on the project's own multiboot test kernels (kernels/*.S,
//! assembled here with GNU as): the built-in SMP kernel with 1, 2 and 4
//! VPs (every line of its report), and one small kernel per way a run
//! ends — isa-debug-exit, power-off, reset, triple fault, Ctrl-C — with
//! the a.out kludge and bad kernels beside them.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use support::kvm_available;

include!("../kernels/build.rs.in");

/// The test kernels, built once per test binary.
fn kernel(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vmm-kernels");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    });
    let kernels = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    // Each test builds into its own directory: tests run in parallel.
    let out = dir.join(format!("{name}-{:?}", std::thread::current().id()));
    std::fs::create_dir_all(&out).unwrap();
    build_kernel(&kernels, name, &out).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `winhv run ARGS`; a watchdog kills it after a minute (a hung
/// guest fails the test instead of hanging it).
fn winhv_run(args: &[&str]) -> Output {
    winhv_run_with_input(args, b"")
}

/// [`winhv_run`] with `input` on its stdin.
fn winhv_run_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_winhv"))
        .arg("run")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("winhv runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input).unwrap();
    }
    let pid = child.id().to_string();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(Duration::from_secs(60))
        {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    drop(done);
    watchdog.join().unwrap();
    out
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// The built-in kernel's report for `cpus` VPs, line by line.
fn expected_report(cpus: u32, cmdline: &str) -> Vec<String> {
    let mut lines = vec![
        "winhv test kernel".to_string(),
        format!("multiboot: magic ok, 256 MiB, cmdline \"{cmdline}\""),
        format!("cpus: {cpus}"),
        "timer: 10 ticks".to_string(),
    ];
    lines.extend((1..cpus).map(|c| format!("cpu {c}: online")));
    lines.extend((1..cpus).map(|c| format!("ipi: cpu {c} answered")));
    lines.push(format!(
        "report: {cpus} cpus online, 10 timer ticks, {} IPIs answered",
        cpus - 1
    ));
    lines
}

fn smp(cpus: u32) {
    if !kvm_available() {
        return;
    }
    let path = kernel("smp");
    let n = cpus.to_string();
    let out = winhv_run(&[path.to_str().unwrap(), "--cpus", &n, "--cmdline", "a=1 b"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let cmdline = format!("{} a=1 b", path.display());
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        expected_report(cpus, &cmdline),
        "stderr:\n{stderr}"
    );
    assert_eq!(stderr.trim(), "winhv: guest powered off");
}

#[test]
fn smp_kernel_on_one_vp() {
    smp(1);
}

#[test]
fn smp_kernel_on_two_vps() {
    smp(2);
}

#[test]
fn smp_kernel_on_four_vps() {
    smp(4);
}

/// `winhv run` alone: the same kernel, built in, with 2 VPs.
#[test]
fn builtin_kernel_reports_two_vps() {
    if !kvm_available() {
        return;
    }
    let out = winhv_run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        expected_report(2, "builtin")
    );
}

/// A kernel that ends the run one way: its line on stdout, the message on
/// stderr, the exit status.
fn ends(name: &str, line: &str, message: &str, status: i32) {
    if !kvm_available() {
        return;
    }
    let path = kernel(name);
    let out = winhv_run(&[path.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(status),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(stdout, format!("{line}\n"));
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn debug_exit_gives_the_guests_status() {
    ends(
        "exit",
        "exit kernel: leaving with 0x21",
        "guest wrote 0x21 to the debug-exit port: exit status 67",
        (0x21 << 1) | 1,
    );
}

#[test]
fn reset_stops_with_status_4() {
    ends(
        "reset",
        "reset kernel: rebooting",
        "guest asked for a reset",
        4,
    );
}

#[test]
fn triple_fault_stops_with_status_6() {
    ends(
        "triple",
        "triple kernel: faulting",
        "shut down (triple fault)",
        6,
    );
}

/// Kernel `name` prints `stdout` and powers off.
fn boots(name: &str, stdout: &str) {
    if !kvm_available() {
        return;
    }
    let path = kernel(name);
    let out = winhv_run(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), stdout);
}

#[test]
fn aout_kludge_kernel_boots() {
    boots(
        "aout",
        "a.out kernel: loaded by its header\na.out kernel: bss ok\n",
    );
}

/// SIGINT (Ctrl-C) while the guest waits forever: a clean stop, status 130.
#[test]
fn ctrl_c_stops_the_guest() {
    if !kvm_available() {
        return;
    }
    let path = kernel("spin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_winhv"))
        .args(["run", path.to_str().unwrap(), "--cpus", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the guest's line, then interrupt.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    use std::io::Read;
    while !seen.ends_with(b"\n") && stdout.read(&mut byte).unwrap() == 1 {
        seen.push(byte[0]);
    }
    assert_eq!(text(&seen), "spin kernel: waiting forever\n");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted: guest stopped"));
}

#[test]
fn what_cannot_boot_exits_with_status_2() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let junk = dir.join("not-a-kernel");
    std::fs::write(&junk, b"hello, I am no kernel").unwrap();
    let truncated = dir.join("truncated-bzimage");
    let mut bz = support::images::bzimage(&support::images::BzHeader::default(), &[]);
    bz.truncate(0x300);
    std::fs::write(&truncated, &bz).unwrap();
    for (args, message) in [
        (vec![junk.to_str().unwrap()], "not a kernel winhv can boot"),
        (vec![truncated.to_str().unwrap()], "truncated bzImage"),
        (vec!["/nonexistent/kernel"], "cannot read kernel"),
        (vec!["--memory", "1K"], "outside 4 MiB"),
        (vec!["--memory", "12Q"], "unknown suffix"),
        (vec!["--cpus", "0"], "--cpus 0"),
    ] {
        let out = winhv_run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

/// The user-space IOAPIC routes pc-testdev's IRQ line 5 and the user-space
/// PIT's IRQ 0 (pin 2) to the vectors the guest programmed; both arrive
/// through WHvRequestInterrupt.
#[test]
fn pit_and_pc_testdev_interrupts_through_the_ioapic() {
    boots(
        "ioapic",
        "ioapic: pc-testdev irq 5 arrived\nioapic: 5 pit ticks arrived\n",
    );
}

/// Our stdin is COM1's input: the echo kernel reads a line and prints it.
#[test]
fn serial_input_from_stdin() {
    if !kvm_available() {
        return;
    }
    let path = kernel("echo");
    let out = winhv_run_with_input(&[path.to_str().unwrap()], b"hello winhv\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "echo kernel: ready\necho: hello winhv\n");
}
