//! winhv: the Windows Hypervisor Platform (WHP, `WinHvPlatform.dll`) on
//! Linux KVM, as a Rust API.
//!
//! The public face:
//!
//! | item | Windows |
//! | --- | --- |
//! | [`safe`] | the safe Rust API: a partition builder, owned guest memory, VP handles, typed exits and registers, no `unsafe` for the caller |
//! | [`Partition`] | a `WHV_PARTITION_HANDLE`: WHvCreatePartition ([`Partition::create`]), properties, WHvSetupPartition, VPs, the GPA map, runs; dropping it is WHvDeletePartition |
//! | [`get_capability`], [`host_capabilities`] | WHvGetCapability |
//! | [`Error`] | a failed call: the HRESULT Windows returns, with context |
//! | [`defs`] | every WHV_* type, constant and HRESULT, laid out as on Windows x64 |
//!
//! The instruction emulator behind I/O and MMIO exits (WinHvEmulation,
//! WHvEmulator*) is the crate `winhv-emu`; it reaches a partition only
//! through the callbacks its caller gives it, as on Windows.
//!
//! ```
//! # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
//! use winhv::{Partition, defs::*};
//! let p = Partition::create()?;
//! p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
//! p.setup()?;
//! p.create_vp(0)?;
//! # Ok::<(), winhv::Error>(())
//! ```
//!
//! For contributors, the source files (one concept each): `safe/` (the
//! safe API over the WHP-shaped functions), `partition.rs`
//! (every WHv* call on a partition), `vp.rs` (one VP: vCPU, register cache,
//! power-on state), `vcpu.rs` + `vcpu/run_area.rs` (one KVM vCPU: its fd
//! and its `kvm_run`, one owner, union members checked by exit reason),
//! `memory.rs` (the GPA map over KVM slots), `translate.rs`
//! (WHvTranslateGva over winhv-paging), `run.rs` + `exit.rs` + `decode.rs`
//! (the exit path: KVM_RUN, KVM's completions reconciled with the VMM, KVM
//! exit → `WHV_RUN_VP_EXIT_CONTEXT`), `cancel.rs`, `msr.rs` (MSR exits),
//! `xsave.rs` (WHvGet/SetVirtualProcessorXsaveState), `interrupts/`
//! (WHvRequestInterrupt, target VP sets, interrupt-controller state),
//! `devices/` (the device router: claimed MMIO and port ranges served
//! inside the run, a PCI segment behind it),
//! `state/` (what a reset restores, partition time, counters),
//! `registers/`, `property.rs`, `capability.rs`, `kvm.rs` (the process-wide
//! `/dev/kvm` and its start-up probes), `error.rs`.

#![allow(unsafe_code, reason = "KVM ioctls, mmap of guest memory and kvm_run")]

mod cancel;
mod capability;
mod cpu_features;
mod cpuid_facts;
mod decode;
mod devices;
mod emulation_failure;
mod error;
mod exit;
mod host_memory;
mod interrupts;
mod kvm;
mod memory;
mod msr;
mod notify;
mod partition;
mod property;
mod registers;
mod run;
pub mod safe;
mod state;
mod synic;
mod translate;
mod vcpu;
mod vp;
mod xsave;

pub use capability::{HostCapabilities, capability_size, get_capability, host_capabilities};
pub use devices::{ClaimId, DeviceHandler, DeviceRouter, PciHost, RangeMap, RegionObserver, Space};
pub use error::{Error, Result};
pub use interrupts::STATE_SIZE as INTERRUPT_CONTROLLER_STATE_SIZE;
pub use kvm::{InaccessibleMemory, KvmCaps, hypervisor_present, kvm_caps};
pub use notify::{NotificationPortHandle, TriggerHandle, event_from_handle, signal};
pub use partition::Partition;
pub use state::snapshot::PartitionSnapshot;
pub use winhv_defs as defs;
pub use winhv_pci as pci;

/// The README's Rust examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
