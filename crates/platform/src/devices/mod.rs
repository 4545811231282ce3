//! The device router: MMIO and port ranges the VMM (or winhv itself, for
//! a PCI segment) claims are served inside WHvRunVirtualProcessor, on the
//! VP's thread, by a [`DeviceHandler`]; they never reach the WHP caller as
//! exits. KVM hands over address, size and data of the access
//! (`kvm_run.mmio`/`kvm_run.io`) and completes the instruction itself on
//! the next `KVM_RUN`, so no instruction is decoded or emulated here.
//!
//! | module | owns |
//! | --- | --- |
//! | `map` | [`RangeMap`]: the sorted, non-overlapping claims of one space and their lookup |
//! | `router` | [`DeviceRouter`]: the two maps, the claim table, serving a KVM exit |
//! | `pci` | [`PciHost`]: a `winhv_pci::PciSegment` behind the router (ECAM, CF8/CFC, BARs) |
//!
//! Rules (our choices; Windows has no such API): an access is served only
//! when it lies entirely inside one claim (else it is an ordinary exit);
//! claims of one space never overlap (`E_INVALIDARG`); a claim over GPA
//! ranges mapped as memory never sees an access (KVM serves memory
//! itself). A handler runs with no lock of winhv's held, so it may claim
//! and release ranges itself. With no claim at all the exit path pays one
//! relaxed atomic load.

mod map;
mod pci;
mod router;

pub use map::RangeMap;
pub use pci::{PciHost, RegionObserver};
pub use router::{ClaimId, DeviceRouter, Space};

/// What serves a claimed range. Offsets are from the claim's base; `data`
/// is the access's size (1, 2, 4 or 8 bytes; each element of a string I/O
/// instruction is one call).
pub trait DeviceHandler: Send + Sync {
    /// A guest read at `offset`: fill `data`.
    fn read(&self, offset: u64, data: &mut [u8]);
    /// A guest write of `data` at `offset`.
    fn write(&self, offset: u64, data: &[u8]);
}
