//! Another process's memory as guest memory (WHvMapGpaRange2 with a
//! process handle, which on Linux is a pidfd).
//!
//! KVM backs a slot with this process's virtual memory only, so the other
//! process's pages must be mapped here first. Linux allows that for shared
//! memory only: a `MAP_SHARED` mapping of a memfd, a tmpfs/hugetlbfs file
//! or any regular file. The mapping is found in `/proc/PID/maps`, its file
//! is taken from the other process with `pidfd_getfd` (the fd in its table
//! whose device and inode are the mapping's), or — when it closed that fd —
//! opened through `/proc/PID/map_files` (which needs
//! CAP_CHECKPOINT_RESTORE), and mapped `MAP_SHARED` here at the same file
//! offset: both processes then share the very pages, with no copy.
//!
//! Refused (each with the HRESULT named):
//! - private memory (`MAP_PRIVATE`, anonymous memory from `malloc`/`mmap`,
//!   what `VirtualAlloc` is on Linux): `/proc/PID/mem` cannot be mapped and
//!   `process_vm_readv` copies, so nothing can back a slot with it —
//!   `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`;
//! - a source range not mapped there, or spanning more than one of its
//!   mappings: `E_INVALIDARG`;
//! - a handle that is not a pidfd, or whose process has exited: `E_HANDLE`;
//! - a process we may not inspect (`ptrace` access mode, as for a
//!   debugger: another user's process, or Yama's ptrace_scope):
//!   `E_ACCESSDENIED`; guest write access to a file the other process holds
//!   read-only: `E_ACCESSDENIED`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;

use winhv_defs::{E_ACCESSDENIED, E_HANDLE, E_INVALIDARG, HRESULT_ERROR_NOT_SUPPORTED};

use super::owned::{OwnedMapping, map_shared};
use crate::error::{Error, Result};

/// The process a pidfd names, if it is one: `None` when `pidfd` is this
/// process.
pub(crate) fn pid_of(pidfd: RawFd) -> Result<Option<libc::pid_t>> {
    let not_pidfd = Error::new(E_HANDLE, "the process handle is not a pidfd");
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{pidfd}"))
        .map_err(|_| not_pidfd.clone())?;
    let pid: libc::pid_t = info
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(not_pidfd)?;
    if pid <= 0 {
        return Err(Error::new(E_HANDLE, "the process has exited"));
    }
    Ok((pid != std::process::id() as libc::pid_t).then_some(pid))
}

/// One line of `/proc/PID/maps`.
#[derive(Debug, PartialEq, Eq)]
struct Vma {
    start: u64,
    end: u64,
    shared: bool,
    writable: bool,
    offset: u64,
    dev: (u32, u32),
    inode: u64,
}

fn parse_vma(line: &str) -> Option<Vma> {
    let mut f = line.split_ascii_whitespace();
    let (start, end) = f.next()?.split_once('-')?;
    let perms = f.next()?.as_bytes();
    let offset = f.next()?;
    let (major, minor) = f.next()?.split_once(':')?;
    let inode = f.next()?;
    Some(Vma {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        shared: perms.get(3) == Some(&b's'),
        writable: perms.get(1) == Some(&b'w'),
        offset: u64::from_str_radix(offset, 16).ok()?,
        dev: (
            u32::from_str_radix(major, 16).ok()?,
            u32::from_str_radix(minor, 16).ok()?,
        ),
        inode: inode.parse().ok()?,
    })
}

fn denied(what: &str, e: &std::io::Error) -> Error {
    let hr = match e.raw_os_error() {
        Some(libc::ESRCH) | Some(libc::ENOENT) => E_HANDLE,
        _ => E_ACCESSDENIED,
    };
    Error::with(hr, format!("{what}: {e}"))
}

/// The mapping of process `pid` that holds `source..source+size`.
fn find_vma(pid: libc::pid_t, source: u64, size: u64) -> Result<Vma> {
    let maps = File::open(format!("/proc/{pid}/maps"))
        .map_err(|e| denied("reading the process's memory map", &e))?;
    for line in BufReader::new(maps).lines() {
        let line = line.map_err(|e| denied("reading the process's memory map", &e))?;
        let Some(vma) = parse_vma(&line) else {
            continue;
        };
        if source < vma.start || source >= vma.end {
            continue;
        }
        if source + size > vma.end {
            return Err(Error::new(
                E_INVALIDARG,
                "the source range spans more than one mapping of the process",
            ));
        }
        return Ok(vma);
    }
    Err(Error::new(
        E_INVALIDARG,
        "the source range is not mapped in the process",
    ))
}

/// `pidfd_getfd`: a duplicate of the other process's fd `fd`.
fn take_fd(pidfd: RawFd, fd: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: a plain system call on integers; the result is a new fd
    // that only we own.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `r` is a fresh fd returned to us, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(r as RawFd) })
}

/// The file behind `vma`, opened here: one of the process's fds that is
/// that file, else its `map_files` entry.
fn open_backing(pidfd: RawFd, pid: libc::pid_t, vma: &Vma, write: bool) -> Result<OwnedFd> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| denied("listing the process's files", &e))?;
    let mut refused = None;
    for entry in fds.flatten() {
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        let dev = (libc::major(meta.dev()), libc::minor(meta.dev()));
        if meta.ino() != vma.inode || dev != vma.dev {
            continue;
        }
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        match take_fd(pidfd, fd) {
            Ok(f) => return Ok(f),
            Err(e) => refused = Some(e),
        }
    }
    let path = format!("/proc/{pid}/map_files/{:x}-{:x}", vma.start, vma.end);
    match std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(&path)
    {
        Ok(f) => Ok(f.into()),
        Err(e) => match refused {
            Some(r) => Err(denied("pidfd_getfd", &r)),
            None if e.raw_os_error() == Some(libc::EPERM) => Err(Error::new(
                HRESULT_ERROR_NOT_SUPPORTED,
                "the process holds no file descriptor of the shared mapping \
                 (opening it by /proc/PID/map_files needs CAP_CHECKPOINT_RESTORE)",
            )),
            None => Err(denied("opening the mapping's file", &e)),
        },
    }
}

/// Maps `size` bytes at `source` in the process `pidfd` names (`pid`)
/// into this process, shared, readable (and writable when `write`).
pub(crate) fn map_from(
    pidfd: RawFd,
    pid: libc::pid_t,
    source: u64,
    size: u64,
    write: bool,
) -> Result<OwnedMapping> {
    let vma = find_vma(pid, source, size)?;
    if !vma.shared || vma.inode == 0 {
        return Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "another process's private memory cannot back guest memory on Linux \
             (only MAP_SHARED memory of a memfd or file can be shared)",
        ));
    }
    if write && !vma.writable {
        return Err(Error::new(
            E_ACCESSDENIED,
            "write access to memory the process maps read-only",
        ));
    }
    let file = open_backing(pidfd, pid, &vma, write)?;
    map_shared(&file, size, vma.offset + (source - vma.start), write).map_err(|e| {
        Error::with(
            e.hresult,
            format!("mapping the process's memory here: {}", e.context),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_parse() {
        let v =
            parse_vma("7f00a000-7f00c000 rw-s 00002000 00:01 4242 /memfd:guest (deleted)").unwrap();
        assert_eq!(
            v,
            Vma {
                start: 0x7f00_a000,
                end: 0x7f00_c000,
                shared: true,
                writable: true,
                offset: 0x2000,
                dev: (0, 1),
                inode: 4242,
            }
        );
        let p = parse_vma("55d0-56d0 r-xp 00000000 fd:01 12 /usr/bin/x").unwrap();
        assert!(!p.shared && !p.writable);
        assert_eq!(p.dev, (0xfd, 1));
        assert!(parse_vma("garbage").is_none());
    }
}
