//! vmdevicehost.dll (HDV, `vmdevicehost.h`): the types of the PCI device
//! host — a device model that a host process serves to a VM: the device
//! interface table of callbacks, its PnP identity, BAR selectors, doorbell
//! and MMIO-mapping flags, and the handles the `Hdv*` functions pass.
//!
//! Callback parameters are those of the C header. The opaque `DeviceContext`
//! is the header's `void*` (`*mut c_void`); `windows-sys` spells it
//! `*const c_void`, which is the same ABI.

use crate::base::PCWSTR;
use crate::hresult::HRESULT;
use core::ffi::c_void;

/// A compute system handle (`HCS_SYSTEM`, `computecore.h`), as passed to
/// `HdvInitializeDeviceHost`.
pub type HCS_SYSTEM = *mut c_void;

/// A device host handle (`HDV_HOST`), returned by `HdvInitializeDeviceHost`.
pub type HDV_HOST = *mut c_void;

/// A device instance handle (`HDV_DEVICE`), returned by
/// `HdvCreateDeviceInstance` and passed as the `Requestor` of the guest
/// memory, interrupt, doorbell and MMIO functions.
pub type HDV_DEVICE = *mut c_void;

open_enum! {
    /// `HDV_DEVICE_TYPE`: the kind of device `HdvCreateDeviceInstance` creates.
    pub enum HDV_DEVICE_TYPE: i32 {
        /// No device type.
        HdvDeviceTypeUndefined = 0,
        /// A PCI device, served through [`HDV_PCI_DEVICE_INTERFACE`].
        HdvDeviceTypePCI = 1,
    }
}

open_enum! {
    /// `HDV_DEVICE_HOST_FLAGS`: options of `HdvInitializeDeviceHostEx`.
    pub enum HDV_DEVICE_HOST_FLAGS: i32 {
        /// No option.
        HdvDeviceHostFlagNone = 0,
        /// Initialize COM security for the process.
        HdvDeviceHostFlagInitializeComSecurity = 1,
    }
}

/// The number of base address registers of a PCI type-0 header.
pub const HDV_PCI_BAR_COUNT: u32 = 6;

open_enum! {
    /// `HDV_PCI_BAR_SELECTOR`: which of the six BARs an access or mapping targets.
    pub enum HDV_PCI_BAR_SELECTOR: i32 {
        /// BAR 0.
        HDV_PCI_BAR0 = 0,
        /// BAR 1.
        HDV_PCI_BAR1 = 1,
        /// BAR 2.
        HDV_PCI_BAR2 = 2,
        /// BAR 3.
        HDV_PCI_BAR3 = 3,
        /// BAR 4.
        HDV_PCI_BAR4 = 4,
        /// BAR 5.
        HDV_PCI_BAR5 = 5,
    }
}

open_enum! {
    /// `HDV_DOORBELL_FLAGS`: how a doorbell write must look to signal the
    /// event. The low bits are an access size (`TRIGGER_SIZE_*`), bit 31
    /// says that any written value matches.
    pub enum HDV_DOORBELL_FLAGS: i32 {
        /// A write of any size matches.
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_ANY = 0,
        /// Only a 1-byte write matches.
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_BYTE = 1,
        /// Only a 2-byte write matches.
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_WORD = 2,
        /// Only a 4-byte write matches.
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_DWORD = 3,
        /// Only an 8-byte write matches.
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_QWORD = 4,
        /// The written value is not compared (bit 31).
        HDV_DOORBELL_FLAG_TRIGGER_ANY_VALUE = 0x8000_0000_u32 as i32,
    }
}

open_enum! {
    /// `HDV_MMIO_MAPPING_FLAGS`: access of a section-backed MMIO range; a
    /// combination of bits.
    pub enum HDV_MMIO_MAPPING_FLAGS: i32 {
        /// Read-only.
        HdvMmioMappingFlagNone = 0,
        /// The guest may write (bit 0).
        HdvMmioMappingFlagWriteable = 1,
        /// The guest may execute (bit 1).
        HdvMmioMappingFlagExecutable = 2,
    }
}

open_enum! {
    /// `HDV_PCI_INTERFACE_VERSION`: the version of [`HDV_PCI_DEVICE_INTERFACE`].
    pub enum HDV_PCI_INTERFACE_VERSION: i32 {
        /// Not a valid version.
        HdvPciDeviceInterfaceVersionInvalid = 0,
        /// Version 1, the only one defined.
        HdvPciDeviceInterfaceVersion1 = 1,
    }
}

/// `HDV_PCI_PNP_ID`: the PCI identity a device reports from `GetDetails`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HDV_PCI_PNP_ID {
    /// PCI vendor ID.
    pub VendorID: u16,
    /// PCI device ID.
    pub DeviceID: u16,
    /// Revision ID.
    pub RevisionID: u8,
    /// Programming interface.
    pub ProgIf: u8,
    /// Sub-class code.
    pub SubClass: u8,
    /// Base class code.
    pub BaseClass: u8,
    /// Subsystem vendor ID.
    pub SubVendorID: u16,
    /// Subsystem ID.
    pub SubSystemID: u16,
}

/// Called once when the device instance is created.
pub type HDV_PCI_DEVICE_INITIALIZE =
    Option<unsafe extern "C" fn(DeviceContext: *mut c_void) -> HRESULT>;

/// Called once when the device instance is torn down.
pub type HDV_PCI_DEVICE_TEARDOWN = Option<unsafe extern "C" fn(DeviceContext: *mut c_void)>;

/// Passes the device its configuration strings (UTF-16).
pub type HDV_PCI_DEVICE_SET_CONFIGURATION = Option<
    unsafe extern "C" fn(
        DeviceContext: *mut c_void,
        ConfigurationValueCount: u32,
        ConfigurationValues: *const PCWSTR,
    ) -> HRESULT,
>;

/// Asks the device for its PnP identity and its probed BAR values
/// (`ProbedBarsCount` is [`HDV_PCI_BAR_COUNT`]).
pub type HDV_PCI_DEVICE_GET_DETAILS = Option<
    unsafe extern "C" fn(
        DeviceContext: *mut c_void,
        PnpId: *mut HDV_PCI_PNP_ID,
        ProbedBarsCount: u32,
        ProbedBars: *mut u32,
    ) -> HRESULT,
>;

/// Called when the VM starts (or resumes) the device.
pub type HDV_PCI_DEVICE_START = Option<unsafe extern "C" fn(DeviceContext: *mut c_void) -> HRESULT>;

/// Called when the VM stops (or pauses) the device.
pub type HDV_PCI_DEVICE_STOP = Option<unsafe extern "C" fn(DeviceContext: *mut c_void)>;

/// A guest read of 4 bytes of configuration space at `Offset`.
pub type HDV_PCI_READ_CONFIG_SPACE = Option<
    unsafe extern "C" fn(DeviceContext: *mut c_void, Offset: u32, Value: *mut u32) -> HRESULT,
>;

/// A guest write of 4 bytes of configuration space at `Offset`.
pub type HDV_PCI_WRITE_CONFIG_SPACE =
    Option<unsafe extern "C" fn(DeviceContext: *mut c_void, Offset: u32, Value: u32) -> HRESULT>;

/// A guest read of `Length` bytes at `Offset` in BAR `BarIndex`.
pub type HDV_PCI_READ_INTERCEPTED_MEMORY = Option<
    unsafe extern "C" fn(
        DeviceContext: *mut c_void,
        BarIndex: HDV_PCI_BAR_SELECTOR,
        Offset: u64,
        Length: u64,
        Value: *mut u8,
    ) -> HRESULT,
>;

/// A guest write of `Length` bytes at `Offset` in BAR `BarIndex`.
pub type HDV_PCI_WRITE_INTERCEPTED_MEMORY = Option<
    unsafe extern "C" fn(
        DeviceContext: *mut c_void,
        BarIndex: HDV_PCI_BAR_SELECTOR,
        Offset: u64,
        Length: u64,
        Value: *const u8,
    ) -> HRESULT,
>;

/// `HDV_PCI_DEVICE_INTERFACE`: the callbacks a PCI device model hands to
/// `HdvCreateDeviceInstance`. `Version` must be
/// [`HdvPciDeviceInterfaceVersion1`].
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct HDV_PCI_DEVICE_INTERFACE {
    /// The interface version.
    pub Version: HDV_PCI_INTERFACE_VERSION,
    /// See [`HDV_PCI_DEVICE_INITIALIZE`].
    pub Initialize: HDV_PCI_DEVICE_INITIALIZE,
    /// See [`HDV_PCI_DEVICE_TEARDOWN`].
    pub Teardown: HDV_PCI_DEVICE_TEARDOWN,
    /// See [`HDV_PCI_DEVICE_SET_CONFIGURATION`].
    pub SetConfiguration: HDV_PCI_DEVICE_SET_CONFIGURATION,
    /// See [`HDV_PCI_DEVICE_GET_DETAILS`].
    pub GetDetails: HDV_PCI_DEVICE_GET_DETAILS,
    /// See [`HDV_PCI_DEVICE_START`].
    pub Start: HDV_PCI_DEVICE_START,
    /// See [`HDV_PCI_DEVICE_STOP`].
    pub Stop: HDV_PCI_DEVICE_STOP,
    /// See [`HDV_PCI_READ_CONFIG_SPACE`].
    pub ReadConfigSpace: HDV_PCI_READ_CONFIG_SPACE,
    /// See [`HDV_PCI_WRITE_CONFIG_SPACE`].
    pub WriteConfigSpace: HDV_PCI_WRITE_CONFIG_SPACE,
    /// See [`HDV_PCI_READ_INTERCEPTED_MEMORY`].
    pub ReadInterceptedMemory: HDV_PCI_READ_INTERCEPTED_MEMORY,
    /// See [`HDV_PCI_WRITE_INTERCEPTED_MEMORY`].
    pub WriteInterceptedMemory: HDV_PCI_WRITE_INTERCEPTED_MEMORY,
}
