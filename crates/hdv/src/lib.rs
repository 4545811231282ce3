//! winhv-hdv: vmdevicehost.dll's device host (HDV) in process, over a
//! winhv [`Partition`](winhv::Partition). A Windows device host gets an
//! `HCS_SYSTEM` from the Host Compute Service; here a VMM makes a
//! [`ComputeSystem`] (a partition plus a PCI segment plus the device
//! slots of its configuration), and the Windows sequence runs unchanged:
//! [`DeviceHost::initialize`] → [`DeviceHost::create_device`] → at
//! [`ComputeSystem::start`] each device's Initialize, SetConfiguration,
//! GetDetails and Start callbacks, then config and BAR callbacks on the VP
//! threads, Stop at [`ComputeSystem::stop`], Teardown at
//! [`DeviceHost::teardown`].
//!
//! | module | owns |
//! | --- | --- |
//! | `model` | [`DeviceModel`]: the ten callbacks of `HDV_PCI_DEVICE_INTERFACE` |
//! | `system` | [`ComputeSystem`], [`SystemConfig`], [`Slot`]: what stands in for `HCS_SYSTEM` |
//! | `host` | [`DeviceHost`]: `HdvInitializeDeviceHost(Ex)`, `HdvCreateDeviceInstance`, `HdvTeardownDeviceHost` |
//! | `device` | [`Device`]: one device instance — the `PciFunction` the segment calls, and the services the device calls (guest memory, apertures, MSIs, doorbells) |
//! | `doorbell` | [`Doorbell`]: `HdvRegisterDoorbell`'s flags and matching |
//! | `section` | section-backed MMIO: a file's pages mapped at a BAR's address while it decodes |
//! | `interrupt` | `HdvDeliverGuestInterrupt`: an MSI turned into a WHvRequestInterrupt |
//!
//! Our choices where Windows documents none (each also in its module):
//! a second device host for one system answers
//! `HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)`; a device host or device
//! created once the system has started (no hot-plug yet), or a start of a
//! system that is running, answers `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)`;
//! a failing or panicking config/BAR callback reads as all-ones and drops
//! the write; the PnP ID from GetDetails is what the guest reads at
//! config offsets 0x00, 0x08 and 0x2C (the rest of config space is the
//! device's, except BARs, command and ROM, which the platform keeps as the
//! Windows VID does).

mod device;
mod doorbell;
mod host;
mod interrupt;
mod model;
#[allow(
    unsafe_code,
    reason = "mmap of section files, mapped into the partition"
)]
mod section;
mod system;

pub use device::Device;
pub use doorbell::Doorbell;
pub use host::DeviceHost;
pub use interrupt::msi_to_interrupt;
pub use model::DeviceModel;
pub use system::{ComputeSystem, Slot, SystemConfig, SystemState};
