//! The exports whose feature the Rust core does not offer (yet): each
//! checks its partition handle (`E_HANDLE` for a bad one) and answers
//! `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` (0x80070032), the code
//! Microsoft documents for a request the platform does not support (see
//! `WHvGetPartitionProperty`: "HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED) when
//! called with an unsupported property code"). No pointer argument is read
//! or written (so, unlike the real exports, no argument is checked before
//! the handle: none is checked at all). [`UNSUPPORTED`] lists them; when
//! the core grows a feature,
//! its functions move out of this file into a real export.

use core::ffi::c_void;

use winhv_defs::*;

use crate::boundary::{Outcome, guard};
use crate::handles::partition;

/// `DEVICE_POWER_STATE` (`wdm.h`): a C enum, 32 bits.
#[allow(non_camel_case_types, reason = "the Windows name")]
pub type DEVICE_POWER_STATE = i32;

/// The first argument of an unsupported export: a partition handle is
/// checked, anything else (a process/migration handle, a GUID) is not.
trait Target {
    fn check(&self) -> Outcome;
}

impl Target for WHV_PARTITION_HANDLE {
    fn check(&self) -> Outcome {
        partition(*self).map(drop)
    }
}

impl Target for HANDLE {
    fn check(&self) -> Outcome {
        Ok(())
    }
}

impl Target for *const GUID {
    fn check(&self) -> Outcome {
        Ok(())
    }
}

macro_rules! unsupported {
    ($( $(#[$m:meta])* fn $name:ident($first:ident: $first_ty:ty $(, $arg:ident: $ty:ty)* $(,)?); )*) => {
        $(
            $(#[$m])*
            ///
            /// Not supported on this platform: answers
            /// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` after checking the
            /// partition handle.
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($first: $first_ty $(, $arg: $ty)*) -> HRESULT {
                $( let _ = $arg; )*
                guard(|| {
                    $first.check()?;
                    Err(HRESULT_ERROR_NOT_SUPPORTED)
                })
            }
        )*

        /// Every export that answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`.
        pub const UNSUPPORTED: &[&str] = &[$(stringify!($name)),*];
    };
}

unsupported! {
    /// `WHvRegisterPartitionDoorbellEvent`.
    fn WHvRegisterPartitionDoorbellEvent(
        Partition: WHV_PARTITION_HANDLE,
        MatchData: *const WHV_DOORBELL_MATCH_DATA,
        EventHandle: HANDLE,
    );
    /// `WHvUnregisterPartitionDoorbellEvent`.
    fn WHvUnregisterPartitionDoorbellEvent(Partition: WHV_PARTITION_HANDLE, MatchData: *const WHV_DOORBELL_MATCH_DATA);
    /// `WHvStartPartitionMigration`.
    fn WHvStartPartitionMigration(Partition: WHV_PARTITION_HANDLE, MigrationHandle: *mut HANDLE);
    /// `WHvCancelPartitionMigration`.
    fn WHvCancelPartitionMigration(Partition: WHV_PARTITION_HANDLE);
    /// `WHvCompletePartitionMigration`.
    fn WHvCompletePartitionMigration(Partition: WHV_PARTITION_HANDLE);
    /// `WHvAcceptPartitionMigration`.
    fn WHvAcceptPartitionMigration(MigrationHandle: HANDLE, Partition: *mut WHV_PARTITION_HANDLE);
    /// `WHvAllocateVpciResource`.
    fn WHvAllocateVpciResource(
        ProviderId: *const GUID,
        Flags: WHV_ALLOCATE_VPCI_RESOURCE_FLAGS,
        ResourceDescriptor: *const c_void,
        ResourceDescriptorSizeInBytes: u32,
        VpciResource: *mut HANDLE,
    );
    /// `WHvCreateVpciDevice`.
    fn WHvCreateVpciDevice(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        VpciResource: HANDLE,
        Flags: WHV_CREATE_VPCI_DEVICE_FLAGS,
        NotificationEventHandle: HANDLE,
    );
    /// `WHvDeleteVpciDevice`.
    fn WHvDeleteVpciDevice(Partition: WHV_PARTITION_HANDLE, LogicalDeviceId: u64);
    /// `WHvGetVpciDeviceProperty`.
    fn WHvGetVpciDeviceProperty(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        PropertyCode: WHV_VPCI_DEVICE_PROPERTY_CODE,
        PropertyBuffer: *mut c_void,
        PropertyBufferSizeInBytes: u32,
        WrittenSizeInBytes: *mut u32,
    );
    /// `WHvGetVpciDeviceNotification`.
    fn WHvGetVpciDeviceNotification(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        Notification: *mut WHV_VPCI_DEVICE_NOTIFICATION,
        NotificationSizeInBytes: u32,
    );
    /// `WHvMapVpciDeviceMmioRanges`.
    fn WHvMapVpciDeviceMmioRanges(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        MappingCount: *mut u32,
        Mappings: *mut *mut WHV_VPCI_MMIO_MAPPING,
    );
    /// `WHvUnmapVpciDeviceMmioRanges`.
    fn WHvUnmapVpciDeviceMmioRanges(Partition: WHV_PARTITION_HANDLE, LogicalDeviceId: u64);
    /// `WHvSetVpciDevicePowerState`.
    fn WHvSetVpciDevicePowerState(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        PowerState: DEVICE_POWER_STATE,
    );
    /// `WHvReadVpciDeviceRegister`.
    fn WHvReadVpciDeviceRegister(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        Register: *const WHV_VPCI_DEVICE_REGISTER,
        Data: *mut c_void,
    );
    /// `WHvWriteVpciDeviceRegister`.
    fn WHvWriteVpciDeviceRegister(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        Register: *const WHV_VPCI_DEVICE_REGISTER,
        Data: *const c_void,
    );
    /// `WHvMapVpciDeviceInterrupt`.
    fn WHvMapVpciDeviceInterrupt(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        Index: u32,
        MessageCount: u32,
        Target: *const WHV_VPCI_INTERRUPT_TARGET,
        MsiAddress: *mut u64,
        MsiData: *mut u32,
    );
    /// `WHvUnmapVpciDeviceInterrupt`.
    fn WHvUnmapVpciDeviceInterrupt(Partition: WHV_PARTITION_HANDLE, LogicalDeviceId: u64, Index: u32);
    /// `WHvRetargetVpciDeviceInterrupt`.
    fn WHvRetargetVpciDeviceInterrupt(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        MsiAddress: u64,
        MsiData: u32,
        Target: *const WHV_VPCI_INTERRUPT_TARGET,
    );
    /// `WHvRequestVpciDeviceInterrupt`.
    fn WHvRequestVpciDeviceInterrupt(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        MsiAddress: u64,
        MsiData: u32,
    );
    /// `WHvGetVpciDeviceInterruptTarget`.
    fn WHvGetVpciDeviceInterruptTarget(
        Partition: WHV_PARTITION_HANDLE,
        LogicalDeviceId: u64,
        Index: u32,
        MultiMessageNumber: u32,
        Target: *mut WHV_VPCI_INTERRUPT_TARGET,
        TargetSizeInBytes: u32,
        BytesWritten: *mut u32,
    );
    /// `WHvCreateTrigger`.
    fn WHvCreateTrigger(
        Partition: WHV_PARTITION_HANDLE,
        Parameters: *const WHV_TRIGGER_PARAMETERS,
        TriggerHandle: *mut WHV_TRIGGER_HANDLE,
        EventHandle: *mut HANDLE,
    );
    /// `WHvUpdateTriggerParameters`.
    fn WHvUpdateTriggerParameters(
        Partition: WHV_PARTITION_HANDLE,
        Parameters: *const WHV_TRIGGER_PARAMETERS,
        TriggerHandle: WHV_TRIGGER_HANDLE,
    );
    /// `WHvDeleteTrigger`.
    fn WHvDeleteTrigger(Partition: WHV_PARTITION_HANDLE, TriggerHandle: WHV_TRIGGER_HANDLE);
    /// `WHvCreateNotificationPort`.
    fn WHvCreateNotificationPort(
        Partition: WHV_PARTITION_HANDLE,
        Parameters: *const WHV_NOTIFICATION_PORT_PARAMETERS,
        EventHandle: HANDLE,
        PortHandle: *mut WHV_NOTIFICATION_PORT_HANDLE,
    );
    /// `WHvSetNotificationPortProperty`.
    fn WHvSetNotificationPortProperty(
        Partition: WHV_PARTITION_HANDLE,
        PortHandle: WHV_NOTIFICATION_PORT_HANDLE,
        PropertyCode: WHV_NOTIFICATION_PORT_PROPERTY_CODE,
        PropertyValue: u64,
    );
    /// `WHvDeleteNotificationPort`.
    fn WHvDeleteNotificationPort(Partition: WHV_PARTITION_HANDLE, PortHandle: WHV_NOTIFICATION_PORT_HANDLE);
}
