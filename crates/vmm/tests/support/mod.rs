//! Shared by the vmm tests: hand-made kernel images, reading guest RAM.
#![allow(dead_code, reason = "each test file uses some helpers")]

pub mod images;

use vm_memory::{Bytes, GuestAddress};
use winhv_vmm::boot::GuestRam;

/// `len` bytes of guest RAM at `gpa`.
pub fn read(mem: &GuestRam, gpa: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    mem.read_slice(&mut buf, GuestAddress(gpa)).unwrap();
    buf
}

/// The little-endian u32 at `gpa`.
pub fn u32_at(mem: &GuestRam, gpa: u64) -> u32 {
    u32::from_le_bytes(read(mem, gpa, 4).try_into().unwrap())
}

/// The little-endian u64 at `gpa`.
pub fn u64_at(mem: &GuestRam, gpa: u64) -> u64 {
    u64::from_le_bytes(read(mem, gpa, 8).try_into().unwrap())
}

/// Is `/dev/kvm` there to use? Says `SKIPPED: no /dev/kvm` when not.
pub fn kvm_available() -> bool {
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
