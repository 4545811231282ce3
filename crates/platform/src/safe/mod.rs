//! The safe Rust face of winhv: the WHP model — a partition, its virtual
//! processors, a run loop that returns exits — with typed values and no
//! `unsafe` for the caller. It is built on the WHP-shaped functions
//! ([`crate::Partition`]), which stay for programs ported from Windows.
//!
//! | item | Windows |
//! | --- | --- |
//! | [`PartitionBuilder`], [`Property`] | WHvCreatePartition, WHvSetPartitionProperty, WHvSetupPartition |
//! | [`capabilities`], [`Capabilities`] | WHvGetCapability, typed |
//! | [`Partition`] | the set-up partition: VPs, the GPA map over owned [`GuestMemory`] or rust-vmm's `vm_memory::GuestMemoryMmap` ([`Partition::map_vm_memory`]), interrupts |
//! | [`VirtualProcessor`] | one VP: WHvRunVirtualProcessor ([`Exit`]), registers ([`Register`], [`SegmentRegister`], [`TableRegister`], [`Xmm`]), completions, WHvEmulator* ([`Devices`]) |
//! | [`CancelHandle`] | WHvCancelRunVirtualProcessor from any thread |
//!
//! A whole VMM loop:
//!
//! ```
//! # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
//! use winhv::safe::{Exit, GuestMemory, PartitionBuilder, Register};
//! use winhv::defs::*;
//! let partition = PartitionBuilder::new().processor_count(1).build()?;
//! let ram = GuestMemory::new(0x1000)?;
//! // At the reset vector (F000:FFF0): in al, 0x60; out 0xe9, al; hlt
//! ram.write(0xff0, &[0xe4, 0x60, 0xe6, 0xe9, 0xf4])?;
//! let rwx = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute;
//! partition.map(&ram, 0xffff_f000, rwx)?;
//! let mut vp = partition.create_vp(0)?;
//! let mut out = Vec::new();
//! loop {
//!     match vp.run()? {
//!         Exit::IoPort { port: 0x60, is_write: false, .. } => vp.complete_io_read(0x2a)?,
//!         Exit::IoPort { port: 0xe9, is_write: true, data, .. } => {
//!             out.push(data as u8);
//!             vp.complete_io_write()?;
//!         }
//!         Exit::Halt => break,
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! assert_eq!(out, [0x2a]);
//! assert_eq!(vp.get(Register::Rip)?, 0xfff5);
//! # Ok::<(), winhv::Error>(())
//! ```

mod builder;
mod cancel;
mod emulate;
mod exit;
mod memory;
mod partition;
mod property;
mod registers;
mod vm_memory;
mod vp;
mod vp_state;

pub use crate::capability::HostCapabilities as Capabilities;
pub use builder::PartitionBuilder;
pub use cancel::CancelHandle;
pub use emulate::Devices;
pub use exit::{Exit, ExitState, HypercallContext};
pub use memory::{GuestMemory, PAGE_SIZE};
pub use partition::{Interrupt, Partition};
pub use property::Property;
pub use registers::{
    Register, RegisterKind, RegisterValue, Segment, SegmentRegister, Table, TableRegister, Xmm,
};
pub use vp::VirtualProcessor;

/// WHvGetCapability, typed: this host's answers, computed once.
///
/// ```
/// let caps = winhv::safe::capabilities();
/// if caps.hypervisor_present() {
///     let f = caps.features();
///     println!("dirty tracking: {}", f.dirty_page_tracking());
///     println!("vendor: {:?}", caps.processor_vendor());
///     println!("MSR exits: {}", caps.extended_vm_exits().x64_msr_exit());
/// }
/// ```
pub fn capabilities() -> &'static Capabilities {
    crate::capability::host_capabilities()
}

#[cfg(test)]
mod tests {
    /// What a VMM shares between threads can be shared.
    #[test]
    fn thread_safety() {
        fn send_sync<T: Send + Sync>() {}
        fn send_sync_static<T: Send + Sync + 'static>() {}
        send_sync::<super::Partition>();
        send_sync::<super::VirtualProcessor<'_>>();
        send_sync_static::<super::CancelHandle>();
        send_sync_static::<super::GuestMemory>();
        send_sync_static::<super::PartitionBuilder>();
    }
}
