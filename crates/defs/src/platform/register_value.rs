//! `WHV_REGISTER_VALUE` and the register types it holds: the 128-bit value
//! ([`WHV_UINT128`], 16-byte aligned as in the C header), x87/SSE state,
//! segment and descriptor-table registers. The VP event-state registers
//! live in [`super::vp_events`].

use super::vp_events::{
    WHV_INTERNAL_ACTIVITY_REGISTER, WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
    WHV_X64_INTERRUPT_STATE_REGISTER, WHV_X64_PENDING_DEBUG_EXCEPTION,
    WHV_X64_PENDING_EXCEPTION_EVENT, WHV_X64_PENDING_EXT_INT_EVENT,
    WHV_X64_PENDING_INTERRUPTION_REGISTER,
};

/// A 128-bit value, 16-byte aligned (`DECLSPEC_ALIGN(16)` in the header;
/// `windows-sys` gives 8).
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_UINT128 {
    /// The two 64-bit halves.
    pub Anonymous: WHV_UINT128_0,
    /// The four 32-bit parts, least significant first.
    pub Dword: [u32; 4],
}

impl Default for WHV_UINT128 {
    /// Zero.
    fn default() -> Self {
        Self { Dword: [0; 4] }
    }
}

/// The halves of a [`WHV_UINT128`].
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_UINT128_0 {
    /// Bits 0..64.
    pub Low64: u64,
    /// Bits 64..128.
    pub High64: u64,
}

/// An x87 register (80-bit extended precision in 128 bits).
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_X64_FP_REGISTER {
    /// Mantissa, exponent and sign.
    pub Anonymous: WHV_X64_FP_REGISTER_0,
    /// The raw 128 bits.
    pub AsUINT128: WHV_UINT128,
}

impl Default for WHV_X64_FP_REGISTER {
    /// Zero.
    fn default() -> Self {
        Self {
            AsUINT128: WHV_UINT128::default(),
        }
    }
}

/// The fields of a [`WHV_X64_FP_REGISTER`].
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_FP_REGISTER_0 {
    /// The 64-bit mantissa.
    pub Mantissa: u64,
    /// The C bitfield `BiasedExponent : 15, Sign : 1, Reserved : 48`.
    pub _bitfield: u64,
}

bitfield! {
    WHV_X64_FP_REGISTER_0 . _bitfield : u64 {
        /// `BiasedExponent`: bits 0..15.
        biased_exponent / set_biased_exponent : 0, 15;
        /// `Sign`: bit 15.
        sign / set_sign : 15, 1;
    }
}

/// The x87 control, status and last-instruction state
/// (`WHvX64RegisterFpControlStatus`).
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_X64_FP_CONTROL_STATUS_REGISTER {
    /// The fields.
    pub Anonymous: WHV_X64_FP_CONTROL_STATUS_REGISTER_0,
    /// The raw 128 bits.
    pub AsUINT128: WHV_UINT128,
}

impl Default for WHV_X64_FP_CONTROL_STATUS_REGISTER {
    /// Zero.
    fn default() -> Self {
        Self {
            AsUINT128: WHV_UINT128::default(),
        }
    }
}

/// The fields of a [`WHV_X64_FP_CONTROL_STATUS_REGISTER`].
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_X64_FP_CONTROL_STATUS_REGISTER_0 {
    /// FCW.
    pub FpControl: u16,
    /// FSW.
    pub FpStatus: u16,
    /// The abridged tag word (FXSAVE format).
    pub FpTag: u8,
    /// Reserved, zero.
    pub Reserved: u8,
    /// The last x87 opcode (FOP).
    pub LastFpOp: u16,
    /// The last x87 instruction pointer.
    pub Anonymous: WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0,
}

/// The last x87 instruction pointer: 64-bit, or 32-bit with a selector.
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0 {
    /// The 64-bit form (FIP).
    pub LastFpRip: u64,
    /// The 32-bit form with CS.
    pub Anonymous: WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0_0,
}

impl Default for WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0 {
    /// Zero.
    fn default() -> Self {
        Self { LastFpRip: 0 }
    }
}

/// The 32-bit last x87 instruction pointer with its selector.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0_0 {
    /// The offset.
    pub LastFpEip: u32,
    /// The CS selector.
    pub LastFpCs: u16,
    /// Reserved, zero.
    pub Reserved2: u16,
}

/// The SSE control/status state and last x87 data pointer
/// (`WHvX64RegisterXmmControlStatus`).
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_X64_XMM_CONTROL_STATUS_REGISTER {
    /// The fields.
    pub Anonymous: WHV_X64_XMM_CONTROL_STATUS_REGISTER_0,
    /// The raw 128 bits.
    pub AsUINT128: WHV_UINT128,
}

impl Default for WHV_X64_XMM_CONTROL_STATUS_REGISTER {
    /// Zero.
    fn default() -> Self {
        Self {
            AsUINT128: WHV_UINT128::default(),
        }
    }
}

/// The fields of a [`WHV_X64_XMM_CONTROL_STATUS_REGISTER`].
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_X64_XMM_CONTROL_STATUS_REGISTER_0 {
    /// The last x87 data pointer.
    pub Anonymous: WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0,
    /// MXCSR.
    pub XmmStatusControl: u32,
    /// MXCSR_MASK.
    pub XmmStatusControlMask: u32,
}

/// The last x87 data pointer: 64-bit, or 32-bit with a selector.
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0 {
    /// The 64-bit form (FDP).
    pub LastFpRdp: u64,
    /// The 32-bit form with DS.
    pub Anonymous: WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0_0,
}

impl Default for WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0 {
    /// Zero.
    fn default() -> Self {
        Self { LastFpRdp: 0 }
    }
}

/// The 32-bit last x87 data pointer with its selector.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0_0 {
    /// The offset.
    pub LastFpDp: u32,
    /// The DS selector.
    pub LastFpDs: u16,
    /// Reserved, zero.
    pub Reserved: u16,
}

/// A segment register: base, limit, selector and the descriptor's
/// attribute bits (bits 40..56 of the descriptor, limit bits removed).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_SEGMENT_REGISTER {
    /// The segment base.
    pub Base: u64,
    /// The segment limit, in bytes (already scaled by the granularity).
    pub Limit: u32,
    /// The selector.
    pub Selector: u16,
    /// The attributes; the accessors below read and write its fields.
    pub Attributes: u16,
}

bitfield! {
    WHV_X64_SEGMENT_REGISTER . Attributes : u16 {
        /// `SegmentType`: bits 0..4.
        segment_type / set_segment_type : 0, 4;
        /// `NonSystemSegment` (S): bit 4.
        non_system_segment / set_non_system_segment : 4, 1;
        /// `DescriptorPrivilegeLevel`: bits 5..7.
        descriptor_privilege_level / set_descriptor_privilege_level : 5, 2;
        /// `Present`: bit 7.
        present / set_present : 7, 1;
        /// `Available` (AVL): bit 12.
        available / set_available : 12, 1;
        /// `Long` (L): bit 13.
        long / set_long : 13, 1;
        /// `Default` (D/B): bit 14. Named `default_bit` because a method
        /// `default` would shadow `Default::default()`.
        default_bit / set_default_bit : 14, 1;
        /// `Granularity` (G): bit 15.
        granularity / set_granularity : 15, 1;
    }
}

/// A descriptor-table register (GDTR, IDTR).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_TABLE_REGISTER {
    /// Padding, zero.
    pub Pad: [u16; 3],
    /// The table limit.
    pub Limit: u16,
    /// The table base.
    pub Base: u64,
}

/// The value of one register, 16 bytes, 16-byte aligned. The member to use
/// depends on the [`super::WHV_REGISTER_NAME`].
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_REGISTER_VALUE {
    /// XMM registers.
    pub Reg128: WHV_UINT128,
    /// 64-bit registers (GPRs, RIP, RFLAGS, CRs, DRs, MSRs, …).
    pub Reg64: u64,
    /// 32-bit values.
    pub Reg32: u32,
    /// 16-bit values.
    pub Reg16: u16,
    /// 8-bit values.
    pub Reg8: u8,
    /// x87 / MMX registers.
    pub Fp: WHV_X64_FP_REGISTER,
    /// `WHvX64RegisterFpControlStatus`.
    pub FpControlStatus: WHV_X64_FP_CONTROL_STATUS_REGISTER,
    /// `WHvX64RegisterXmmControlStatus`.
    pub XmmControlStatus: WHV_X64_XMM_CONTROL_STATUS_REGISTER,
    /// Segment registers, LDTR, TR.
    pub Segment: WHV_X64_SEGMENT_REGISTER,
    /// GDTR, IDTR.
    pub Table: WHV_X64_TABLE_REGISTER,
    /// `WHvRegisterInterruptState`.
    pub InterruptState: WHV_X64_INTERRUPT_STATE_REGISTER,
    /// `WHvRegisterPendingInterruption`.
    pub PendingInterruption: WHV_X64_PENDING_INTERRUPTION_REGISTER,
    /// `WHvX64RegisterDeliverabilityNotifications`.
    pub DeliverabilityNotifications: WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
    /// `WHvRegisterPendingEvent` with an exception event.
    pub ExceptionEvent: WHV_X64_PENDING_EXCEPTION_EVENT,
    /// `WHvRegisterPendingEvent` with an external-interrupt event.
    pub ExtIntEvent: WHV_X64_PENDING_EXT_INT_EVENT,
    /// `WHvRegisterInternalActivityState`.
    pub InternalActivity: WHV_INTERNAL_ACTIVITY_REGISTER,
    /// `WHvX64RegisterPendingDebugException`.
    pub PendingDebugException: WHV_X64_PENDING_DEBUG_EXCEPTION,
}

impl Default for WHV_REGISTER_VALUE {
    /// All 128 bits zero.
    fn default() -> Self {
        Self {
            Reg128: WHV_UINT128::default(),
        }
    }
}
