//! 10,000 partition life cycles leave no file descriptor and no memory
//! behind (alone in its test binary, so that no other test's VMs count).
#![allow(unsafe_code, reason = "guest memory is mmap'd")]

mod common;

use common::{HostMem, kvm_available, partition, rwx};

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn ten_thousand_partitions_leave_nothing_behind() {
    if !kvm_available() {
        return;
    }
    const N: usize = 10_000;
    let mem = HostMem::rw(0x10000);
    let cycle = || {
        let p = partition(1);
        // SAFETY: `mem` outlives every partition.
        unsafe { p.map_gpa_range(mem.ptr.cast(), 0, 0x10000, rwx()).unwrap() };
        drop(p);
    };
    // Warm up (process-wide probes, allocator pools), then measure.
    for _ in 0..50 {
        cycle();
    }
    let (fds, size, rss) = (fd_count(), status_kb("VmSize:"), status_kb("VmRSS:"));
    for _ in 0..N {
        cycle();
    }
    let (fds2, size2, rss2) = (fd_count(), status_kb("VmSize:"), status_kb("VmRSS:"));
    assert_eq!(fds2, fds, "file descriptors leaked");
    // Other tests run in parallel in this process: allow some slack, far
    // below what 10,000 leaked VMs (kvm_run pages alone: 40 MB) would cost.
    assert!(
        size2 < size + 16 * 1024,
        "VmSize grew from {size} kB to {size2} kB"
    );
    assert!(
        rss2 < rss + 16 * 1024,
        "VmRSS grew from {rss} kB to {rss2} kB"
    );
}
