//! `WHvRequestInterrupt`: the interrupt types, destination and trigger
//! modes, and [`WHV_INTERRUPT_CONTROL`].

open_enum! {
    /// The delivery mode of a requested interrupt (as in the APIC ICR).
    pub enum WHV_INTERRUPT_TYPE: i32 {
        WHvX64InterruptTypeFixed = 0,
        WHvX64InterruptTypeLowestPriority = 1,
        WHvX64InterruptTypeNmi = 4,
        WHvX64InterruptTypeInit = 5,
        WHvX64InterruptTypeSipi = 6,
        WHvX64InterruptTypeLocalInt1 = 9,
    }
}

open_enum! {
    /// How [`WHV_INTERRUPT_CONTROL::Destination`] names its target.
    pub enum WHV_INTERRUPT_DESTINATION_MODE: i32 {
        WHvX64InterruptDestinationModePhysical = 0,
        WHvX64InterruptDestinationModeLogical = 1,
    }
}

open_enum! {
    /// Edge- or level-triggered.
    pub enum WHV_INTERRUPT_TRIGGER_MODE: i32 {
        WHvX64InterruptTriggerModeEdge = 0,
        WHvX64InterruptTriggerModeLevel = 1,
    }
}

/// An interrupt for `WHvRequestInterrupt` (and interrupt triggers).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_INTERRUPT_CONTROL {
    /// The C bitfield `Type : 8, DestinationMode : 4, TriggerMode : 4,
    /// Reserved : 48`.
    pub _bitfield: u64,
    /// The destination APIC ID (physical) or logical destination.
    pub Destination: u32,
    /// The vector.
    pub Vector: u32,
}

bitfield! {
    WHV_INTERRUPT_CONTROL . _bitfield : u64 {
        /// `Type` (a [`WHV_INTERRUPT_TYPE`]): bits 0..8.
        r#type / set_type : 0, 8;
        /// `DestinationMode` (a [`WHV_INTERRUPT_DESTINATION_MODE`]): bits 8..12.
        destination_mode / set_destination_mode : 8, 4;
        /// `TriggerMode` (a [`WHV_INTERRUPT_TRIGGER_MODE`]): bits 12..16.
        trigger_mode / set_trigger_mode : 12, 4;
    }
}
