//! The synthetic interrupt controller (SynIC): the SINT-deliverable exit
//! payload, the event parameters of `WHvSignalVirtualProcessorSynicEvent`
//! and the message size of `WHvPostVirtualProcessorSynicMessage`.

/// The payload of `WHvRunVpExitReasonSynicSintDeliverable`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_SYNIC_SINT_DELIVERABLE_CONTEXT {
    /// Bit *n* set: SINT *n* can take a message now.
    pub DeliverableSints: u16,
    /// Reserved, zero.
    pub Reserved1: u16,
    /// Reserved, zero.
    pub Reserved2: u32,
}

/// Which SynIC event flag `WHvSignalVirtualProcessorSynicEvent` sets.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_SYNIC_EVENT_PARAMETERS {
    /// The target VP.
    pub VpIndex: u32,
    /// The target SINT (0..16).
    pub TargetSint: u8,
    /// Reserved, zero.
    pub Reserved: u8,
    /// The event flag number.
    pub FlagNumber: u16,
}

/// The size of a SynIC message (`WHvPostVirtualProcessorSynicMessage`).
pub const WHV_SYNIC_MESSAGE_SIZE: u32 = 256;
