//! Support of the differential tests: the case generator, the VMM side
//! (RAM-like device + winhv-emu), the two-sided harness, and a raw-KVM
//! harness for the measurements; plus the platform tests' common helpers.
#![allow(dead_code, reason = "each test binary uses a subset")]

pub mod cases;
#[path = "../common/mod.rs"]
mod common;
pub mod harness;
pub mod rawkvm;
pub mod vmm;

pub use common::*;

/// True when /dev/kvm is PVM (no hardware virtualization: CPL0 guest code
/// is emulated by the host kernel, so it cannot be the oracle).
pub fn is_pvm() -> bool {
    std::path::Path::new("/sys/module/kvm_pvm").exists()
        || std::fs::read_to_string("/proc/modules")
            .is_ok_and(|m| m.lines().any(|l| l.starts_with("kvm_pvm ")))
}
