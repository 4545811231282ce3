//! Whole-VP state and VP properties: the state types of
//! `WHvGetVirtualProcessorState` / `WHvSetVirtualProcessorState` and the
//! property of `WHvCreateVirtualProcessor2`.

open_enum! {
    /// A block of VP state (`WHvGetVirtualProcessorState`).
    pub enum WHV_VIRTUAL_PROCESSOR_STATE_TYPE: i32 {
        WHvVirtualProcessorStateTypeSynicMessagePage = 0x0000_0000,
        WHvVirtualProcessorStateTypeSynicEventFlagPage = 0x0000_0001,
        WHvVirtualProcessorStateTypeSynicTimerState = 0x0000_0002,
        WHvVirtualProcessorStateTypeInterruptControllerState2 = 0x0000_1000,
        WHvVirtualProcessorStateTypeXsaveState = 0x0000_1001,
    }
}

open_enum! {
    /// A VP property (`WHvCreateVirtualProcessor2`).
    pub enum WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE: i32 {
        WHvVirtualProcessorPropertyCodeNumaNode = 0x0000_0000,
    }
}

/// A VP property.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_VIRTUAL_PROCESSOR_PROPERTY {
    /// Which property; selects the [`Self::Anonymous`] member.
    pub PropertyCode: WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE,
    /// Reserved, zero.
    pub Reserved: u32,
    /// The value.
    pub Anonymous: WHV_VIRTUAL_PROCESSOR_PROPERTY_0,
}

/// The value of a [`WHV_VIRTUAL_PROCESSOR_PROPERTY`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_VIRTUAL_PROCESSOR_PROPERTY_0 {
    /// `WHvVirtualProcessorPropertyCodeNumaNode`.
    pub NumaNode: u16,
    /// Sizes the union to 64 bits.
    pub Padding: u64,
}

impl Default for WHV_VIRTUAL_PROCESSOR_PROPERTY_0 {
    /// All bytes zero.
    fn default() -> Self {
        Self { Padding: 0 }
    }
}
