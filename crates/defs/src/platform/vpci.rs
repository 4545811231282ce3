//! Virtual PCI devices (`WHvAllocateVpciResource`, `WHvCreateVpciDevice`
//! and the `WHv*VpciDevice*` calls): flags, the SR-IOV resource descriptor,
//! notifications, properties, register spaces, MMIO mappings and interrupt
//! targets.

use core::ffi::c_void;

open_enum! {
    /// Flags of `WHvAllocateVpciResource`. Flags: combine with `|`.
    pub enum WHV_ALLOCATE_VPCI_RESOURCE_FLAGS: i32 {
        WHvAllocateVpciResourceFlagNone = 0x0000_0000,
        WHvAllocateVpciResourceFlagAllowDirectP2P = 0x0000_0001,
    }
}

flag_ops!(WHV_ALLOCATE_VPCI_RESOURCE_FLAGS);

/// The length, in UTF-16 units, of a PnP instance ID.
pub const WHV_MAX_DEVICE_ID_SIZE_IN_CHARS: u32 = 200;

/// A locally unique identifier (`winnt.h`'s `LUID`), as an SR-IOV
/// descriptor names its virtual function.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct LUID {
    /// The low 32 bits.
    pub LowPart: u32,
    /// The high 32 bits.
    pub HighPart: i32,
}

/// An SR-IOV virtual function for `WHvAllocateVpciResource`.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct WHV_SRIOV_RESOURCE_DESCRIPTOR {
    /// The physical function's PnP instance ID, NUL-terminated UTF-16.
    pub PnpInstanceId: [u16; WHV_MAX_DEVICE_ID_SIZE_IN_CHARS as usize],
    /// The virtual function.
    pub VirtualFunctionId: LUID,
    /// The virtual function's index.
    pub VirtualFunctionIndex: u16,
    /// Reserved, zero.
    pub Reserved: u16,
}

impl Default for WHV_SRIOV_RESOURCE_DESCRIPTOR {
    /// All zero.
    fn default() -> Self {
        Self {
            PnpInstanceId: [0; WHV_MAX_DEVICE_ID_SIZE_IN_CHARS as usize],
            VirtualFunctionId: LUID::default(),
            VirtualFunctionIndex: 0,
            Reserved: 0,
        }
    }
}

open_enum! {
    /// What a VPCI device notification reports.
    pub enum WHV_VPCI_DEVICE_NOTIFICATION_TYPE: i32 {
        WHvVpciDeviceNotificationUndefined = 0,
        WHvVpciDeviceNotificationMmioRemapping = 1,
        WHvVpciDeviceNotificationSurpriseRemoval = 2,
    }
}

/// A VPCI device notification (`WHvGetVpciDeviceNotification`).
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_VPCI_DEVICE_NOTIFICATION {
    /// What happened.
    pub NotificationType: WHV_VPCI_DEVICE_NOTIFICATION_TYPE,
    /// Reserved, zero.
    pub Reserved1: u32,
    /// The notification's data.
    pub Anonymous: WHV_VPCI_DEVICE_NOTIFICATION_0,
}

/// The data of a [`WHV_VPCI_DEVICE_NOTIFICATION`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_VPCI_DEVICE_NOTIFICATION_0 {
    /// Reserved, zero.
    pub Reserved2: u64,
}

impl Default for WHV_VPCI_DEVICE_NOTIFICATION_0 {
    /// Zero.
    fn default() -> Self {
        Self { Reserved2: 0 }
    }
}

open_enum! {
    /// Flags of `WHvCreateVpciDevice`. Flags: combine with `|`.
    pub enum WHV_CREATE_VPCI_DEVICE_FLAGS: i32 {
        WHvCreateVpciDeviceFlagNone = 0x0000_0000,
        WHvCreateVpciDeviceFlagPhysicallyBacked = 0x0000_0001,
        WHvCreateVpciDeviceFlagUseLogicalInterrupts = 0x0000_0002,
    }
}

flag_ops!(WHV_CREATE_VPCI_DEVICE_FLAGS);

open_enum! {
    /// A VPCI device property (`WHvGetVpciDeviceProperty`).
    pub enum WHV_VPCI_DEVICE_PROPERTY_CODE: i32 {
        WHvVpciDevicePropertyCodeUndefined = 0,
        WHvVpciDevicePropertyCodeHardwareIDs = 1,
        WHvVpciDevicePropertyCodeProbedBARs = 2,
    }
}

/// `WHvVpciDevicePropertyCodeHardwareIDs`: the device's PCI IDs.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VPCI_HARDWARE_IDS {
    /// Vendor ID.
    pub VendorID: u16,
    /// Device ID.
    pub DeviceID: u16,
    /// Revision ID.
    pub RevisionID: u8,
    /// Programming interface.
    pub ProgIf: u8,
    /// Sub-class.
    pub SubClass: u8,
    /// Base class.
    pub BaseClass: u8,
    /// Subsystem vendor ID.
    pub SubVendorID: u16,
    /// Subsystem ID.
    pub SubSystemID: u16,
}

/// The number of BARs of a type-0 PCI header.
pub const WHV_VPCI_TYPE0_BAR_COUNT: u32 = 6;

/// `WHvVpciDevicePropertyCodeProbedBARs`: the BAR values read after
/// writing all ones.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VPCI_PROBED_BARS {
    /// One value per BAR.
    pub Value: [u32; WHV_VPCI_TYPE0_BAR_COUNT as usize],
}

open_enum! {
    /// The access of a VPCI MMIO mapping. Flags: combine with `|`.
    pub enum WHV_VPCI_MMIO_RANGE_FLAGS: i32 {
        WHvVpciMmioRangeFlagReadAccess = 0x0000_0001,
        WHvVpciMmioRangeFlagWriteAccess = 0x0000_0002,
    }
}

flag_ops!(WHV_VPCI_MMIO_RANGE_FLAGS);

open_enum! {
    /// A VPCI device register space: config space or a BAR.
    pub enum WHV_VPCI_DEVICE_REGISTER_SPACE: i32 {
        WHvVpciConfigSpace = -1,
        WHvVpciBar0 = 0,
        WHvVpciBar1 = 1,
        WHvVpciBar2 = 2,
        WHvVpciBar3 = 3,
        WHvVpciBar4 = 4,
        WHvVpciBar5 = 5,
    }
}

/// A VPCI device MMIO range mapped into the caller
/// (`WHvMapVpciDeviceMmioRanges`).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct WHV_VPCI_MMIO_MAPPING {
    /// The BAR.
    pub Location: WHV_VPCI_DEVICE_REGISTER_SPACE,
    /// The access granted.
    pub Flags: WHV_VPCI_MMIO_RANGE_FLAGS,
    /// The length.
    pub SizeInBytes: u64,
    /// The offset in the BAR.
    pub OffsetInBytes: u64,
    /// Where the range is mapped in the caller.
    pub VirtualAddress: *mut c_void,
}

impl Default for WHV_VPCI_MMIO_MAPPING {
    /// All zero, null address.
    fn default() -> Self {
        Self {
            Location: WHV_VPCI_DEVICE_REGISTER_SPACE::default(),
            Flags: WHV_VPCI_MMIO_RANGE_FLAGS::default(),
            SizeInBytes: 0,
            OffsetInBytes: 0,
            VirtualAddress: core::ptr::null_mut(),
        }
    }
}

/// A VPCI device register (`WHvReadVpciDeviceRegister`,
/// `WHvWriteVpciDeviceRegister`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VPCI_DEVICE_REGISTER {
    /// Config space or a BAR.
    pub Location: WHV_VPCI_DEVICE_REGISTER_SPACE,
    /// The access size: 1, 2, 4 or 8.
    pub SizeInBytes: u32,
    /// The offset in the space.
    pub OffsetInBytes: u64,
}

open_enum! {
    /// Flags of a [`WHV_VPCI_INTERRUPT_TARGET`]. Flags: combine with `|`.
    pub enum WHV_VPCI_INTERRUPT_TARGET_FLAGS: i32 {
        WHvVpciInterruptTargetFlagNone = 0x0000_0000,
        WHvVpciInterruptTargetFlagMulticast = 0x0000_0001,
    }
}

flag_ops!(WHV_VPCI_INTERRUPT_TARGET_FLAGS);

/// Where a VPCI device interrupt goes (`WHvMapVpciDeviceInterrupt`,
/// `WHvRetargetVpciDeviceInterrupt`). Variable length: `Processors` has
/// `ProcessorCount` entries.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VPCI_INTERRUPT_TARGET {
    /// The vector.
    pub Vector: u32,
    /// Flags.
    pub Flags: WHV_VPCI_INTERRUPT_TARGET_FLAGS,
    /// How many entries `Processors` has.
    pub ProcessorCount: u32,
    /// The target VPs (first element of a caller-sized array).
    pub Processors: [u32; 1],
}
