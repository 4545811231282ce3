//! winhv: the Windows Hypervisor Platform (WHP) on Linux KVM, as a safe Rust
//! API. Module map (one concept per file):
//!
//! | module | owns |
//! | --- | --- |
//! | `error` | [`Error`]: the HRESULT Windows would return + context |
//! | `kvm` | the process-wide `/dev/kvm` and the start-up probes ([`KvmCaps`]) |
//! | `host_memory` | anonymous host memory owned by the platform (the probe guest's) |
//! | `partition` | [`Partition`]: WHvCreate/Setup/Delete/ResetPartition, properties, and every WHv* call on a partition |
//! | `vp` | one virtual processor: vCPU, register cache, power-on state |
//! | `vcpu` | one KVM vCPU: its fd and its `kvm_run` (one owner; union members checked by exit reason), `KVM_RUN` |
//! | `memory` | the GPA map over KVM memory slots, read/write, dirty bitmap |
//! | `translate` | WHvTranslateGva over winhv-paging; reading guest memory by GVA |
//! | `cpuid_facts` | the page walker's inputs from a VP's CPUID table (MAXPHYADDR, Page1GB) |
//! | `run` | the KVM_RUN loop: cancellation, KVM's completions reconciled with the VMM |
//! | `exit` | KVM exit → `WHV_RUN_VP_EXIT_CONTEXT` |
//! | `decode` | the instruction behind an I/O or MMIO exit (iced-x86) |
//! | `cancel` | WHvCancelRunVirtualProcessor (immediate_exit + a kick signal) |
//! | `msr` | MSR exits and actions over user-space MSRs and the MSR filter |
#![allow(unsafe_code, reason = "KVM ioctls, mmap of guest memory and kvm_run")]

mod cancel;
mod capability;
mod cpu_features;
mod cpuid_facts;
mod decode;
mod emulation_failure;
mod error;
mod exit;
mod host_memory;
mod kvm;
mod memory;
mod msr;
mod partition;
mod property;
mod registers;
mod run;
mod translate;
mod vcpu;
mod vp;

pub use capability::{HostCapabilities, capability_size, get_capability, host_capabilities};
pub use error::{Error, Result};
pub use kvm::{InaccessibleMemory, KvmCaps, hypervisor_present, kvm_caps};
pub use partition::Partition;
pub use winhv_defs as defs;
