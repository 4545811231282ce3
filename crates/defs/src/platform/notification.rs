//! Notification ports (events and doorbells: `WHvCreateNotificationPort`)
//! and triggers (`WHvCreateTrigger`): their parameters, properties and
//! handles.

use core::ffi::c_void;

use super::interrupt::WHV_INTERRUPT_CONTROL;
use super::memory::WHV_GUEST_PHYSICAL_ADDRESS;
use super::synic::WHV_SYNIC_EVENT_PARAMETERS;

/// The guest write a doorbell matches.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_DOORBELL_MATCH_DATA {
    /// The guest physical address written.
    pub GuestAddress: WHV_GUEST_PHYSICAL_ADDRESS,
    /// The value, with `match_on_value`.
    pub Value: u64,
    /// The write's length in bytes, with `match_on_length`.
    pub Length: u32,
    /// The C bitfield `MatchOnValue : 1, MatchOnLength : 1, Reserved : 30`.
    pub _bitfield: u32,
}

bitfield! {
    WHV_DOORBELL_MATCH_DATA . _bitfield : u32 {
        /// `MatchOnValue`: bit 0.
        match_on_value / set_match_on_value : 0, 1;
        /// `MatchOnLength`: bit 1.
        match_on_length / set_match_on_length : 1, 1;
    }
}

open_enum! {
    /// The kind of a notification port.
    pub enum WHV_NOTIFICATION_PORT_TYPE: i32 {
        WHvNotificationPortTypeEvent = 2,
        WHvNotificationPortTypeDoorbell = 4,
    }
}

/// The parameters of `WHvCreateNotificationPort`.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_NOTIFICATION_PORT_PARAMETERS {
    /// The kind of port; selects the [`Self::Anonymous`] member.
    pub NotificationPortType: WHV_NOTIFICATION_PORT_TYPE,
    /// Reserved, zero.
    pub Reserved: u32,
    /// The kind's parameters.
    pub Anonymous: WHV_NOTIFICATION_PORT_PARAMETERS_0,
}

/// The per-kind parameters of [`WHV_NOTIFICATION_PORT_PARAMETERS`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_NOTIFICATION_PORT_PARAMETERS_0 {
    /// `WHvNotificationPortTypeDoorbell`.
    pub Doorbell: WHV_DOORBELL_MATCH_DATA,
    /// `WHvNotificationPortTypeEvent`.
    pub Event: WHV_NOTIFICATION_PORT_PARAMETERS_0_0,
}

impl Default for WHV_NOTIFICATION_PORT_PARAMETERS_0 {
    /// All bytes zero (written through the largest member).
    fn default() -> Self {
        Self {
            Doorbell: WHV_DOORBELL_MATCH_DATA::default(),
        }
    }
}

/// The parameters of an event port.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_NOTIFICATION_PORT_PARAMETERS_0_0 {
    /// The SynIC connection the guest signals.
    pub ConnectionId: u32,
}

open_enum! {
    /// A property of a notification port (`WHvSetNotificationPortProperty`).
    pub enum WHV_NOTIFICATION_PORT_PROPERTY_CODE: i32 {
        WHvNotificationPortPropertyPreferredTargetVp = 1,
        WHvNotificationPortPropertyPreferredTargetDuration = 5,
    }
}

/// The value of a notification port property.
pub type WHV_NOTIFICATION_PORT_PROPERTY = u64;

/// "Any VP" for `WHvNotificationPortPropertyPreferredTargetVp`.
pub const WHV_ANY_VP: u32 = 0xFFFF_FFFF;

/// The largest `WHvNotificationPortPropertyPreferredTargetDuration`.
pub const WHV_NOTIFICATION_PORT_PREFERRED_DURATION_MAX: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// A notification port handle (C `PVOID`).
pub type WHV_NOTIFICATION_PORT_HANDLE = *mut c_void;

open_enum! {
    /// What a trigger raises when signalled.
    pub enum WHV_TRIGGER_TYPE: i32 {
        WHvTriggerTypeInterrupt = 0,
        WHvTriggerTypeSynicEvent = 1,
        WHvTriggerTypeDeviceInterrupt = 2,
    }
}

/// The parameters of `WHvCreateTrigger` / `WHvUpdateTriggerParameters`.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_TRIGGER_PARAMETERS {
    /// What the trigger raises; selects the [`Self::Anonymous`] member.
    pub TriggerType: WHV_TRIGGER_TYPE,
    /// Reserved, zero.
    pub Reserved: u32,
    /// The type's parameters.
    pub Anonymous: WHV_TRIGGER_PARAMETERS_0,
}

/// The per-type parameters of [`WHV_TRIGGER_PARAMETERS`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_TRIGGER_PARAMETERS_0 {
    /// `WHvTriggerTypeInterrupt`.
    pub Interrupt: WHV_INTERRUPT_CONTROL,
    /// `WHvTriggerTypeSynicEvent`.
    pub SynicEvent: WHV_SYNIC_EVENT_PARAMETERS,
    /// `WHvTriggerTypeDeviceInterrupt`.
    pub DeviceInterrupt: WHV_TRIGGER_PARAMETERS_0_0,
}

impl Default for WHV_TRIGGER_PARAMETERS_0 {
    /// All bytes zero (written through the largest member).
    fn default() -> Self {
        Self {
            DeviceInterrupt: WHV_TRIGGER_PARAMETERS_0_0::default(),
        }
    }
}

/// The parameters of a device-interrupt trigger (an MSI of a VPCI device).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_TRIGGER_PARAMETERS_0_0 {
    /// The VPCI device's logical ID.
    pub LogicalDeviceId: u64,
    /// The MSI address.
    pub MsiAddress: u64,
    /// The MSI data.
    pub MsiData: u32,
    /// Reserved, zero.
    pub Reserved: u32,
}

/// A trigger handle (C `PVOID`).
pub type WHV_TRIGGER_HANDLE = *mut c_void;
