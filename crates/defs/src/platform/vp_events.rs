//! The VP's event and interrupt state as registers: interrupt shadow / NMI
//! masking, the pending interruption, deliverability notifications, pending
//! events (exception, ExtINT), internal activity and pending debug
//! exceptions.

use super::register_value::WHV_UINT128;

/// `WHvRegisterInterruptState`: the interrupt shadow and NMI masking.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_INTERRUPT_STATE_REGISTER {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_X64_INTERRUPT_STATE_REGISTER . AsUINT64 : u64 {
        /// `InterruptShadow`: bit 0.
        interrupt_shadow / set_interrupt_shadow : 0, 1;
        /// `NmiMasked`: bit 1.
        nmi_masked / set_nmi_masked : 1, 1;
    }
}

open_enum! {
    /// The kind of a pending interruption, or of the event an interrupt window
    /// opened for.
    pub enum WHV_X64_PENDING_INTERRUPTION_TYPE: i32 {
        WHvX64PendingInterrupt = 0,
        WHvX64PendingNmi = 2,
        WHvX64PendingException = 3,
    }
}

/// `WHvRegisterPendingInterruption`: an event to inject at the next entry
/// (`InterruptionType` is a [`WHV_X64_PENDING_INTERRUPTION_TYPE`]). The
/// header's anonymous struct (a 32-bit bitfield, then `ErrorCode`) is
/// flattened into `AsUINT64`: `error_code` is bits 32..64.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_PENDING_INTERRUPTION_REGISTER {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_X64_PENDING_INTERRUPTION_REGISTER . AsUINT64 : u64 {
        /// `InterruptionPending`: bit 0.
        interruption_pending / set_interruption_pending : 0, 1;
        /// `InterruptionType` (a [`WHV_X64_PENDING_INTERRUPTION_TYPE`]): bits 1..4.
        interruption_type / set_interruption_type : 1, 3;
        /// `DeliverErrorCode`: bit 4.
        deliver_error_code / set_deliver_error_code : 4, 1;
        /// `InstructionLength`: bits 5..9.
        instruction_length / set_instruction_length : 5, 4;
        /// `NestedEvent`: bit 9.
        nested_event / set_nested_event : 9, 1;
        /// `InterruptionVector`: bits 16..32.
        interruption_vector / set_interruption_vector : 16, 16;
        /// `ErrorCode`: bits 32..64.
        error_code / set_error_code : 32, 32;
    }
}

/// `WHvX64RegisterDeliverabilityNotifications`: which interrupt windows make
/// the VP exit.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER . AsUINT64 : u64 {
        /// `NmiNotification`: bit 0.
        nmi_notification / set_nmi_notification : 0, 1;
        /// `InterruptNotification`: bit 1.
        interrupt_notification / set_interrupt_notification : 1, 1;
        /// `InterruptPriority`: bits 2..6.
        interrupt_priority / set_interrupt_priority : 2, 4;
    }
}

open_enum! {
    /// The kind of event in `WHvRegisterPendingEvent`.
    pub enum WHV_X64_PENDING_EVENT_TYPE: i32 {
        WHvX64PendingEventException = 0,
        WHvX64PendingEventExtInt = 5,
    }
}

/// `WHvRegisterPendingEvent` holding an exception.
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_X64_PENDING_EXCEPTION_EVENT {
    /// The fields.
    pub Anonymous: WHV_X64_PENDING_EXCEPTION_EVENT_0,
    /// The raw 128 bits.
    pub AsUINT128: WHV_UINT128,
}

impl Default for WHV_X64_PENDING_EXCEPTION_EVENT {
    /// Zero.
    fn default() -> Self {
        Self {
            AsUINT128: WHV_UINT128::default(),
        }
    }
}

/// The fields of a [`WHV_X64_PENDING_EXCEPTION_EVENT`].
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_PENDING_EXCEPTION_EVENT_0 {
    /// The C bitfield `EventPending : 1, EventType : 3, Reserved0 : 4,
    /// DeliverErrorCode : 1, Reserved1 : 7, Vector : 16`.
    pub _bitfield: u32,
    /// The error code, with `DeliverErrorCode`.
    pub ErrorCode: u32,
    /// The exception parameter (CR2 for #PF, DR6 bits for #DB).
    pub ExceptionParameter: u64,
}

bitfield! {
    WHV_X64_PENDING_EXCEPTION_EVENT_0 . _bitfield : u32 {
        /// `EventPending`: bit 0.
        event_pending / set_event_pending : 0, 1;
        /// `EventType` (a [`WHV_X64_PENDING_EVENT_TYPE`]): bits 1..4.
        event_type / set_event_type : 1, 3;
        /// `DeliverErrorCode`: bit 8.
        deliver_error_code / set_deliver_error_code : 8, 1;
        /// `Vector`: bits 16..32.
        vector / set_vector : 16, 16;
    }
}

/// `WHvRegisterPendingEvent` holding an external interrupt (ExtINT).
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_X64_PENDING_EXT_INT_EVENT {
    /// The fields.
    pub Anonymous: WHV_X64_PENDING_EXT_INT_EVENT_0,
    /// The raw 128 bits.
    pub AsUINT128: WHV_UINT128,
}

impl Default for WHV_X64_PENDING_EXT_INT_EVENT {
    /// Zero.
    fn default() -> Self {
        Self {
            AsUINT128: WHV_UINT128::default(),
        }
    }
}

/// The fields of a [`WHV_X64_PENDING_EXT_INT_EVENT`].
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_PENDING_EXT_INT_EVENT_0 {
    /// The C bitfield `EventPending : 1, EventType : 3, Reserved0 : 4,
    /// Vector : 8, Reserved1 : 48`.
    pub _bitfield: u64,
    /// Reserved, zero.
    pub Reserved2: u64,
}

bitfield! {
    WHV_X64_PENDING_EXT_INT_EVENT_0 . _bitfield : u64 {
        /// `EventPending`: bit 0.
        event_pending / set_event_pending : 0, 1;
        /// `EventType` (a [`WHV_X64_PENDING_EVENT_TYPE`]): bits 1..4.
        event_type / set_event_type : 1, 3;
        /// `Vector`: bits 8..16.
        vector / set_vector : 8, 8;
    }
}

/// `WHvRegisterInternalActivityState`: why the VP is not running
/// (waiting for SIPI, halted, idle).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_INTERNAL_ACTIVITY_REGISTER {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_INTERNAL_ACTIVITY_REGISTER . AsUINT64 : u64 {
        /// `StartupSuspend`: bit 0.
        startup_suspend / set_startup_suspend : 0, 1;
        /// `HaltSuspend`: bit 1.
        halt_suspend / set_halt_suspend : 1, 1;
        /// `IdleSuspend`: bit 2.
        idle_suspend / set_idle_suspend : 2, 1;
    }
}

/// `WHvX64RegisterPendingDebugException`: debug-exception conditions not yet
/// delivered.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_PENDING_DEBUG_EXCEPTION {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_X64_PENDING_DEBUG_EXCEPTION . AsUINT64 : u64 {
        /// `Breakpoint0`: bit 0.
        breakpoint0 / set_breakpoint0 : 0, 1;
        /// `Breakpoint1`: bit 1.
        breakpoint1 / set_breakpoint1 : 1, 1;
        /// `Breakpoint2`: bit 2.
        breakpoint2 / set_breakpoint2 : 2, 1;
        /// `Breakpoint3`: bit 3.
        breakpoint3 / set_breakpoint3 : 3, 1;
        /// `SingleStep`: bit 4.
        single_step / set_single_step : 4, 1;
    }
}
