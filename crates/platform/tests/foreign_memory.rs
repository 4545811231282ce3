//! WHvMapGpaRange2 with another process's handle (a pidfd): a child
//! process's shared memfd memory becomes guest memory with no copy (the
//! guest runs code the child wrote, the child sees what we wrote, whether
//! or not it still holds the memfd's fd); its private memory is refused
//! with ERROR_NOT_SUPPORTED; a handle that is no pidfd, or names an exited
//! process, with E_HANDLE; nothing is left mapped or open afterwards.
//!
//! The child is this test binary run again with `WINHV_FOREIGN_CHILD`
//! set to the kind of memory it should offer.
#![allow(unsafe_code, reason = "memfd, mmap and pidfd system calls")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::process::{Child, ChildStdout, Command, Stdio};

use common::{kvm_available, partition, rwx};
use winhv::Partition;
use winhv::defs::*;

const CHILD: &str = "WINHV_FOREIGN_CHILD";
const GPA: u64 = 0xffff_f000;
const LEN: usize = 0x2000;

/// The child's side: memory of the kind asked for, HLT at the reset
/// vector's offset, a pattern at 0x100; prints its address, waits for a
/// line, prints the byte at 0x200, exits.
#[test]
fn child_side() {
    let Ok(kind) = std::env::var(CHILD) else {
        return;
    };
    let (flags, fd) = match kind.as_str() {
        "private" => (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1),
        _ => {
            // SAFETY: a plain system call on a C string literal.
            let fd = unsafe { libc::memfd_create(c"guest".as_ptr(), 0) };
            assert!(fd >= 0);
            // SAFETY: a plain system call on our fresh fd.
            assert_eq!(unsafe { libc::ftruncate(fd, LEN as i64) }, 0);
            (libc::MAP_SHARED, fd)
        }
    };
    // SAFETY: a new mapping chosen by the kernel, ours until exit.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            LEN,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            fd,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    if kind == "closed" && fd >= 0 {
        // SAFETY: our own fd, not used again.
        unsafe { libc::close(fd) };
    }
    let addr = p.cast::<u8>();
    // SAFETY: `addr` is LEN bytes of our own fresh mapping.
    let mem = unsafe { std::slice::from_raw_parts_mut(addr, LEN) };
    mem[0xff0] = 0xf4; // hlt
    mem[0x100..0x104].copy_from_slice(b"kid!");
    println!("addr {:x}", addr as usize);
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    // SAFETY: volatile: the parent's guest wrote it through its own mapping.
    let b = unsafe { std::ptr::read_volatile(addr.wrapping_add(0x200)) };
    println!("byte {b:x}");
}

struct Kid {
    child: Child,
    out: BufReader<ChildStdout>,
    addr: u64,
    pidfd: OwnedFd,
}

fn spawn(kind: &str) -> Kid {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_side", "--nocapture", "--test-threads=1"])
        .env(CHILD, kind)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child printed no address"
        );
        // libtest prints "test child_side ... " before it on the line.
        if let Some((_, a)) = line.trim().split_once("addr ") {
            break u64::from_str_radix(a, 16).unwrap();
        }
    };
    // SAFETY: pidfd_open returns a new fd that we own (checked below).
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as i32, 0) } as i32;
    assert!(fd >= 0, "pidfd_open");
    // SAFETY: `fd` is fresh and ours.
    let pidfd = unsafe { OwnedFd::from_raw_fd(fd) };
    Kid {
        child,
        out,
        addr,
        pidfd,
    }
}

impl Kid {
    /// Lets the child go on; returns the byte it then read at 0x200.
    fn finish(mut self) -> u8 {
        self.child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let byte = loop {
            let mut line = String::new();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "the child printed no byte"
            );
            if let Some((_, b)) = line.trim().split_once("byte ") {
                break u8::from_str_radix(b, 16).unwrap();
            }
        };
        assert!(self.child.wait().unwrap().success());
        byte
    }
}

/// Open fds, after the process-wide ones (/dev/kvm) are open.
fn open_fds() -> usize {
    drop(partition(1));
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn memfd_mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.contains("/memfd:guest"))
        .count()
}

fn shared_memfd_backs_the_guest(kind: &str) {
    let fds = open_fds();
    let kid = spawn(kind);
    {
        let p = partition(1);
        // SAFETY: another process's memory: winhv maps it itself.
        unsafe {
            p.map_gpa_range_from_process(kid.pidfd.as_fd(), kid.addr as *mut _, GPA, 0x1000, rwx())
        }
        .unwrap();
        assert_eq!(memfd_mappings(), 1);
        let mut got = [0u8; 4];
        p.read_gpa_range(GPA + 0x100, &mut got).unwrap();
        assert_eq!(
            &got, b"kid!",
            "the child's bytes, read through the guest map"
        );
        p.write_gpa_range(GPA + 0x200, &[0x5a]).unwrap();
        let exit = p.run_vp(0).unwrap();
        assert_eq!(
            exit.ExitReason, WHvRunVpExitReasonX64Halt,
            "the child's HLT ran"
        );
        // Unmapping releases the mapping of the child's memory.
        p.unmap_gpa_range(GPA, 0x1000).unwrap();
        assert_eq!(memfd_mappings(), 0, "unmapped with its range");
        // SAFETY: as above.
        unsafe {
            p.map_gpa_range_from_process(kid.pidfd.as_fd(), kid.addr as *mut _, GPA, 0x1000, rwx())
        }
        .unwrap();
    }
    assert_eq!(memfd_mappings(), 0, "unmapped with the partition");
    assert_eq!(
        kid.finish(),
        0x5a,
        "the child saw our write: the same pages"
    );
    assert_eq!(open_fds(), fds, "no fd left open");
}

#[test]
fn a_childs_shared_memfd_backs_the_guest() {
    if !kvm_available() {
        return;
    }
    shared_memfd_backs_the_guest("memfd");
}

/// The child closed the memfd after mapping it: the file is reached by
/// /proc/PID/map_files, which needs CAP_CHECKPOINT_RESTORE.
#[test]
fn a_childs_memfd_without_its_fd_needs_map_files() {
    if !kvm_available() {
        return;
    }
    // SAFETY: capget of our own effective set into a local buffer.
    let privileged = unsafe {
        let mut head = [0x2008_0522u32, 0]; // _LINUX_CAPABILITY_VERSION_3, this process
        let mut data = [0u32; 6];
        libc::syscall(libc::SYS_capget, head.as_mut_ptr(), data.as_mut_ptr()) == 0
            && (data[0] & (1 << 21) != 0 || data[3] & (1 << 8) != 0) // CAP_SYS_ADMIN, CAP_CHECKPOINT_RESTORE
    };
    if privileged {
        shared_memfd_backs_the_guest("closed");
        return;
    }
    let kid = spawn("closed");
    let p = partition(1);
    // SAFETY: another process's memory: winhv maps it itself.
    let e = unsafe {
        p.map_gpa_range_from_process(kid.pidfd.as_fd(), kid.addr as *mut _, GPA, 0x1000, rwx())
    }
    .unwrap_err();
    assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED, "{e}");
    kid.finish();
}

#[test]
fn private_memory_bad_handles_and_exited_processes_are_refused() {
    if !kvm_available() {
        return;
    }
    let fds = open_fds();
    let p = partition(1);
    let kid = spawn("private");
    // SAFETY: another process's memory: winhv maps it itself.
    let map = |fd: std::os::fd::BorrowedFd<'_>, addr: u64| unsafe {
        p.map_gpa_range_from_process(fd, addr as *mut _, GPA, 0x1000, rwx())
    };
    let e = map(kid.pidfd.as_fd(), kid.addr).unwrap_err();
    assert_eq!(
        e.hresult, HRESULT_ERROR_NOT_SUPPORTED,
        "private memory: {e}"
    );
    let e = map(kid.pidfd.as_fd(), 0x1000).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "not mapped there: {e}");
    let file = std::fs::File::open("/dev/null").unwrap();
    let e = map(file.as_fd(), kid.addr).unwrap_err();
    assert_eq!(e.hresult, E_HANDLE, "not a pidfd: {e}");
    assert_eq!(
        Partition::check_process_handle(i32::MAX as isize)
            .unwrap_err()
            .hresult,
        E_HANDLE
    );
    let pidfd = kid.pidfd.try_clone().unwrap();
    let addr = kid.addr;
    kid.finish();
    let e = map(pidfd.as_fd(), addr).unwrap_err();
    assert_eq!(e.hresult, E_HANDLE, "exited: {e}");
    drop((pidfd, file, p));
    assert_eq!(open_fds(), fds, "no fd left open");
}
