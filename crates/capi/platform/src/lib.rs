//! libWinHvPlatform.so: winhvplatform.dll's 66 exports with Windows' names
//! and signatures (x86-64 SysV C convention), over the `winhv` crate.
//!
//! This layer converts and checks; the core decides. Module map:
//!
//! | module | owns |
//! | --- | --- |
//! | `boundary` | export bodies → HRESULT; no panic crosses into C |
//! | `args` | NULL/alignment checks, pointers → references and slices |
//! | `handles` | the partition handle table (numbers, never reissued) |
//! | `capability` | `WHvGetCapability` |
//! | `partition` | create/setup/reset/delete, partition properties |
//! | `memory` | GPA mapping, translation, dirty bitmap, GPA reads/writes |
//! | `processor` | VP create/delete/run/cancel, registers, XSAVE state |
//! | `interrupts` | interrupt requests, target VP sets, interrupt-controller state |
//! | `notify` | doorbells, triggers, notification ports (event HANDLEs are eventfds) |
//! | `state` | partition time, counters, CPUID output, GPA range advice, VP state |
//! | `synic` | SynIC messages and event flags |
//! | `compute_system` | winhv's `WinhvCreate/Start/Stop/CloseComputeSystem`: what stands in for `HCS_SYSTEM` |
//! | `hdv`, `hdv_model` | vmdevicehost.dll's 13 functions (forwarded by libvmdevicehost.so through `WinhvGetDeviceHostFunctions`) and the C device model |
//! | `unsupported` | exports whose feature the core lacks: `ERROR_NOT_SUPPORTED` |
//!
//! HRESULT choices at the boundary: a NULL required pointer or a
//! misaligned array answers `E_INVALIDARG`; an invalid, forged or stale
//! partition handle answers `E_HANDLE` (`HRESULT_FROM_WIN32(
//! ERROR_INVALID_HANDLE)`); an exit-context buffer below the oldest SDK's
//! 144 bytes answers `WHV_E_INSUFFICIENT_BUFFER` (see `processor`); a
//! feature the core lacks answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`
//! (see `unsupported`); a panic answers `E_UNEXPECTED`.
//!
//! Order, when several things are wrong: the arguments first (NULL and
//! misaligned pointers, sizes, flags, then the core's own argument checks,
//! `winhv::Partition::check_*`), then the handle, then the partition's
//! state (not set up, no such VP, not mapped) — so WHvMapGpaRange with an
//! unaligned source answers `E_INVALIDARG` on a forged handle and on a
//! partition not yet set up alike, as Windows does for the latter. The
//! core keeps the same order for Rust callers (`partition/args.rs` in
//! `winhv`). An unsupported export examines no argument: it checks its
//! handle and answers `ERROR_NOT_SUPPORTED`. Partition handles
//! may be used from any thread; `WHvCancelRunVirtualProcessor` works while
//! another thread runs the VP, and `WHvDeletePartition` cancels such runs.
//!
//! Tests: `cargo test -p winhv-capi-platform` builds the C clients in
//! `tests/c/` with gcc against `include/` and runs them, runs a client
//! declared through windows-sys only, checks the exported symbols and the
//! headers' declarations, and installs into a prefix.
#![allow(
    unsafe_code,
    reason = "the C ABI: exported functions take raw pointers from C callers"
)]
#![allow(
    non_snake_case,
    reason = "exports and their parameters keep Windows' names"
)]

mod args;
mod boundary;
mod capability;
mod compute_system;
mod handles;
mod hdv;
mod hdv_model;
mod interrupts;
mod memory;
mod notify;
mod partition;
mod processor;
mod state;
mod synic;
mod unsupported;

pub use capability::WHvGetCapability;
pub use compute_system::{
    WINHV_COMPUTE_SYSTEM_CONFIG, WINHV_PCI_SLOT, WinhvCloseComputeSystem, WinhvCreateComputeSystem,
    WinhvStartComputeSystem, WinhvStopComputeSystem,
};
pub use hdv::WinhvGetDeviceHostFunctions;
pub use interrupts::{
    WHvGetInterruptTargetVpSet, WHvGetVirtualProcessorInterruptControllerState,
    WHvGetVirtualProcessorInterruptControllerState2, WHvRequestInterrupt,
    WHvSetVirtualProcessorInterruptControllerState,
    WHvSetVirtualProcessorInterruptControllerState2,
};
pub use memory::{
    WHvMapGpaRange, WHvMapGpaRange2, WHvQueryGpaRangeDirtyBitmap, WHvReadGpaRange, WHvTranslateGva,
    WHvUnmapGpaRange, WHvWriteGpaRange,
};
pub use partition::{
    WHvCreatePartition, WHvDeletePartition, WHvGetPartitionProperty, WHvResetPartition,
    WHvSetPartitionProperty, WHvSetupPartition,
};
pub use processor::{
    MIN_EXIT_CONTEXT_SIZE, WHvCancelRunVirtualProcessor, WHvCreateVirtualProcessor,
    WHvCreateVirtualProcessor2, WHvDeleteVirtualProcessor, WHvGetVirtualProcessorRegisters,
    WHvGetVirtualProcessorXsaveState, WHvRunVirtualProcessor, WHvSetVirtualProcessorRegisters,
    WHvSetVirtualProcessorXsaveState,
};
pub use state::{
    WHvAdviseGpaRange, WHvGetPartitionCounters, WHvGetVirtualProcessorCounters,
    WHvGetVirtualProcessorCpuidOutput, WHvGetVirtualProcessorState, WHvResumePartitionTime,
    WHvSetVirtualProcessorState, WHvSuspendPartitionTime,
};
pub use unsupported::*;

/// winhv's own exports beside Windows' (not in winhvplatform.dll): the
/// compute system that stands in for `HCS_SYSTEM`
/// (`include/winhvcomputesystem.h`) and the table libvmdevicehost.so
/// reaches the device host through.
pub const EXTENSIONS: &[&str] = &[
    "WinhvCloseComputeSystem",
    "WinhvCreateComputeSystem",
    "WinhvGetDeviceHostFunctions",
    "WinhvStartComputeSystem",
    "WinhvStopComputeSystem",
];

/// Every function this library exports, in Windows' spelling (66).
pub const EXPORTS: &[&str] = &[
    "WHvAcceptPartitionMigration",
    "WHvAdviseGpaRange",
    "WHvAllocateVpciResource",
    "WHvCancelPartitionMigration",
    "WHvCancelRunVirtualProcessor",
    "WHvCompletePartitionMigration",
    "WHvCreateNotificationPort",
    "WHvCreatePartition",
    "WHvCreateTrigger",
    "WHvCreateVirtualProcessor",
    "WHvCreateVirtualProcessor2",
    "WHvCreateVpciDevice",
    "WHvDeleteNotificationPort",
    "WHvDeletePartition",
    "WHvDeleteTrigger",
    "WHvDeleteVirtualProcessor",
    "WHvDeleteVpciDevice",
    "WHvGetCapability",
    "WHvGetInterruptTargetVpSet",
    "WHvGetPartitionCounters",
    "WHvGetPartitionProperty",
    "WHvGetVirtualProcessorCounters",
    "WHvGetVirtualProcessorCpuidOutput",
    "WHvGetVirtualProcessorInterruptControllerState",
    "WHvGetVirtualProcessorInterruptControllerState2",
    "WHvGetVirtualProcessorRegisters",
    "WHvGetVirtualProcessorState",
    "WHvGetVirtualProcessorXsaveState",
    "WHvGetVpciDeviceInterruptTarget",
    "WHvGetVpciDeviceNotification",
    "WHvGetVpciDeviceProperty",
    "WHvMapGpaRange",
    "WHvMapGpaRange2",
    "WHvMapVpciDeviceInterrupt",
    "WHvMapVpciDeviceMmioRanges",
    "WHvPostVirtualProcessorSynicMessage",
    "WHvQueryGpaRangeDirtyBitmap",
    "WHvReadGpaRange",
    "WHvReadVpciDeviceRegister",
    "WHvRegisterPartitionDoorbellEvent",
    "WHvRequestInterrupt",
    "WHvRequestVpciDeviceInterrupt",
    "WHvResetPartition",
    "WHvResumePartitionTime",
    "WHvRetargetVpciDeviceInterrupt",
    "WHvRunVirtualProcessor",
    "WHvSetNotificationPortProperty",
    "WHvSetPartitionProperty",
    "WHvSetVirtualProcessorInterruptControllerState",
    "WHvSetVirtualProcessorInterruptControllerState2",
    "WHvSetVirtualProcessorRegisters",
    "WHvSetVirtualProcessorState",
    "WHvSetVirtualProcessorXsaveState",
    "WHvSetVpciDevicePowerState",
    "WHvSetupPartition",
    "WHvSignalVirtualProcessorSynicEvent",
    "WHvStartPartitionMigration",
    "WHvSuspendPartitionTime",
    "WHvTranslateGva",
    "WHvUnmapGpaRange",
    "WHvUnmapVpciDeviceInterrupt",
    "WHvUnmapVpciDeviceMmioRanges",
    "WHvUnregisterPartitionDoorbellEvent",
    "WHvUpdateTriggerParameters",
    "WHvWriteGpaRange",
    "WHvWriteVpciDeviceRegister",
];
