//! winhv-pci: the PCI model winhv shows a partition's guest, with no KVM in
//! it. A [`PciSegment`] holds bus 0 of one PCI segment — a host bridge at
//! 00:00.0 and the functions plugged into it — and answers config-space
//! accesses however they arrive (legacy ports 0xCF8/0xCFC or ECAM). Each
//! function stands behind the [`PciFunction`] trait, whatever serves it (an
//! HDV device's callbacks, a vfio-user server, a kernel VFIO device); the
//! segment keeps the header registers the platform owns (BARs, command,
//! expansion ROM), as the Windows VID does for HDV devices.
//!
//! | module | owns |
//! | --- | --- |
//! | `address` | [`Bdf`]: bus, device, function |
//! | `bar` | [`BarKind`], [`BarInfo`] (a BAR from its sizing-probe value), [`Bar`] (one BAR's register and address) |
//! | `header` | [`Header`]: the platform-owned registers of a type-0 header (BARs, command, ROM) |
//! | `config_space` | [`ConfigSpace`]: a 4 KiB config space with write and write-1-to-clear masks, for functions written in Rust |
//! | `capability` | the walk of the standard and extended capability lists |
//! | `msi` | [`MsiCapability`] decoding, [`MsiMessage`], [`X86Msi`] (an x86 MSI's fields) |
//! | `msix` | [`MsixCapability`] and [`MsixEntry`] decoding |
//! | `cf8` | [`ConfigAddress`] (the 0xCF8 register) and [`LegacyPorts`] (the CF8/CFC mechanism) |
//! | `ecam` | [`Ecam`]: the enhanced configuration access window |
//! | `alloc` | [`Windows`]: BAR placement in the MMIO and I/O windows |
//! | `function` | [`PciFunction`] |
//! | `host_bridge` | [`HostBridge`], the function at 00:00.0 |
//! | `segment` | [`PciSegment`], [`Region`] |
//! | `regs` | register offsets and bits of the type-0 header |
#![forbid(unsafe_code)]

mod address;
mod alloc;
mod bar;
mod capability;
mod cf8;
mod config_space;
mod ecam;
mod function;
mod header;
mod host_bridge;
mod msi;
mod msix;
pub mod regs;
mod segment;

pub use address::Bdf;
pub use alloc::Windows;
pub use bar::{Bar, BarInfo, BarKind};
pub use capability::{
    Capability, ExtendedCapability, capabilities, extended_capabilities, find_capability,
};
pub use cf8::{CONFIG_ADDRESS_PORT, CONFIG_DATA_PORT, ConfigAddress, LegacyPorts};
pub use config_space::ConfigSpace;
pub use ecam::Ecam;
pub use function::PciFunction;
pub use header::Header;
pub use host_bridge::HostBridge;
pub use msi::{MsiCapability, MsiError, MsiMessage, X86Msi};
pub use msix::{MsixCapability, MsixEntry};
pub use segment::{PciSegment, Region, RegionKind, SegmentError};
