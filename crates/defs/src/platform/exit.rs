//! `WHvRunVirtualProcessor`'s answer: the exit reason, the VP state every
//! exit carries ([`WHV_VP_EXIT_CONTEXT`]) and [`WHV_RUN_VP_EXIT_CONTEXT`]
//! with its per-reason payload union. The payload types live in
//! [`super::exit_access`], [`super::exit_events`] and [`super::synic`].

use super::exit_access::{
    WHV_MEMORY_ACCESS_CONTEXT, WHV_X64_CPUID_ACCESS_CONTEXT, WHV_X64_IO_PORT_ACCESS_CONTEXT,
    WHV_X64_MSR_ACCESS_CONTEXT,
};
use super::exit_events::{
    WHV_HYPERCALL_CONTEXT, WHV_VP_EXCEPTION_CONTEXT, WHV_X64_APIC_EOI_CONTEXT,
    WHV_X64_APIC_INIT_SIPI_CONTEXT, WHV_X64_APIC_SMI_CONTEXT, WHV_X64_APIC_WRITE_CONTEXT,
    WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT, WHV_X64_RDTSC_CONTEXT,
    WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
};
use super::register_value::WHV_X64_SEGMENT_REGISTER;
use super::synic::WHV_SYNIC_SINT_DELIVERABLE_CONTEXT;

open_enum! {
    /// Why `WHvRunVirtualProcessor` returned; selects the
    /// [`WHV_RUN_VP_EXIT_CONTEXT_0`] member.
    pub enum WHV_RUN_VP_EXIT_REASON: i32 {
        WHvRunVpExitReasonNone = 0x0000_0000,
        WHvRunVpExitReasonMemoryAccess = 0x0000_0001,
        WHvRunVpExitReasonX64IoPortAccess = 0x0000_0002,
        WHvRunVpExitReasonUnrecoverableException = 0x0000_0004,
        WHvRunVpExitReasonInvalidVpRegisterValue = 0x0000_0005,
        WHvRunVpExitReasonUnsupportedFeature = 0x0000_0006,
        WHvRunVpExitReasonX64InterruptWindow = 0x0000_0007,
        WHvRunVpExitReasonX64Halt = 0x0000_0008,
        WHvRunVpExitReasonX64ApicEoi = 0x0000_0009,
        WHvRunVpExitReasonSynicSintDeliverable = 0x0000_000A,
        WHvRunVpExitReasonX64MsrAccess = 0x0000_1000,
        WHvRunVpExitReasonX64Cpuid = 0x0000_1001,
        WHvRunVpExitReasonException = 0x0000_1002,
        WHvRunVpExitReasonX64Rdtsc = 0x0000_1003,
        WHvRunVpExitReasonX64ApicSmiTrap = 0x0000_1004,
        WHvRunVpExitReasonHypercall = 0x0000_1005,
        WHvRunVpExitReasonX64ApicInitSipiTrap = 0x0000_1006,
        WHvRunVpExitReasonX64ApicWriteTrap = 0x0000_1007,
        WHvRunVpExitReasonCanceled = 0x0000_2001,
    }
}

/// The VP's execution state at the exit.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_VP_EXECUTION_STATE {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT16: u16,
}

bitfield! {
    WHV_X64_VP_EXECUTION_STATE . AsUINT16 : u16 {
        /// `Cpl`: bits 0..2.
        cpl / set_cpl : 0, 2;
        /// `Cr0Pe`: bit 2.
        cr0_pe / set_cr0_pe : 2, 1;
        /// `Cr0Am`: bit 3.
        cr0_am / set_cr0_am : 3, 1;
        /// `EferLma`: bit 4.
        efer_lma / set_efer_lma : 4, 1;
        /// `DebugActive`: bit 5.
        debug_active / set_debug_active : 5, 1;
        /// `InterruptionPending`: bit 6.
        interruption_pending / set_interruption_pending : 6, 1;
        /// `InterruptShadow`: bit 12.
        interrupt_shadow / set_interrupt_shadow : 12, 1;
    }
}

/// The VP state every exit reports.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VP_EXIT_CONTEXT {
    /// CPL, mode and pending-event bits.
    pub ExecutionState: WHV_X64_VP_EXECUTION_STATE,
    /// The C bitfield `InstructionLength : 4, Cr8 : 4`.
    pub _bitfield: u8,
    /// Reserved, zero.
    pub Reserved: u8,
    /// Reserved, zero.
    pub Reserved2: u32,
    /// CS at the exit.
    pub Cs: WHV_X64_SEGMENT_REGISTER,
    /// RIP at the exit: the first byte of the intercepted instruction.
    pub Rip: u64,
    /// RFLAGS at the exit.
    pub Rflags: u64,
}

bitfield! {
    WHV_VP_EXIT_CONTEXT . _bitfield : u8 {
        /// `InstructionLength`: bits 0..4, the intercepted instruction's
        /// length when known.
        instruction_length / set_instruction_length : 0, 4;
        /// `Cr8`: bits 4..8, the task priority.
        cr8 / set_cr8 : 4, 4;
    }
}

open_enum! {
    /// Why a run was canceled (`WHvRunVpExitReasonCanceled`).
    pub enum WHV_RUN_VP_CANCEL_REASON: i32 {
        WHvRunVpCancelReasonUser = 0,
    }
}

/// The header's spelling of [`WHvRunVpCancelReasonUser`] (lower-case `h`).
pub const WhvRunVpCancelReasonUser: WHV_RUN_VP_CANCEL_REASON = WHvRunVpCancelReasonUser;

/// The payload of `WHvRunVpExitReasonCanceled`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_RUN_VP_CANCELED_CONTEXT {
    /// Why the run was canceled.
    pub CancelReason: WHV_RUN_VP_CANCEL_REASON,
}

/// What `WHvRunVirtualProcessor` writes: the reason, the VP state, and the
/// reason's payload. 224 bytes, 16-byte aligned.
#[repr(C, align(16))]
#[derive(Copy, Clone, Default)]
pub struct WHV_RUN_VP_EXIT_CONTEXT {
    /// Why the run returned.
    pub ExitReason: WHV_RUN_VP_EXIT_REASON,
    /// Reserved, zero.
    pub Reserved: u32,
    /// The VP state at the exit.
    pub VpContext: WHV_VP_EXIT_CONTEXT,
    /// The payload for [`Self::ExitReason`].
    pub Anonymous: WHV_RUN_VP_EXIT_CONTEXT_0,
}

/// The per-reason payload of [`WHV_RUN_VP_EXIT_CONTEXT`].
#[repr(C, align(16))]
#[derive(Copy, Clone)]
pub union WHV_RUN_VP_EXIT_CONTEXT_0 {
    /// `WHvRunVpExitReasonMemoryAccess`.
    pub MemoryAccess: WHV_MEMORY_ACCESS_CONTEXT,
    /// `WHvRunVpExitReasonX64IoPortAccess`.
    pub IoPortAccess: WHV_X64_IO_PORT_ACCESS_CONTEXT,
    /// `WHvRunVpExitReasonX64MsrAccess`.
    pub MsrAccess: WHV_X64_MSR_ACCESS_CONTEXT,
    /// `WHvRunVpExitReasonX64Cpuid`.
    pub CpuidAccess: WHV_X64_CPUID_ACCESS_CONTEXT,
    /// `WHvRunVpExitReasonException`.
    pub VpException: WHV_VP_EXCEPTION_CONTEXT,
    /// `WHvRunVpExitReasonX64InterruptWindow`.
    pub InterruptWindow: WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT,
    /// `WHvRunVpExitReasonUnsupportedFeature`.
    pub UnsupportedFeature: WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
    /// `WHvRunVpExitReasonCanceled`.
    pub CancelReason: WHV_RUN_VP_CANCELED_CONTEXT,
    /// `WHvRunVpExitReasonX64ApicEoi`.
    pub ApicEoi: WHV_X64_APIC_EOI_CONTEXT,
    /// `WHvRunVpExitReasonX64Rdtsc`.
    pub ReadTsc: WHV_X64_RDTSC_CONTEXT,
    /// `WHvRunVpExitReasonX64ApicSmiTrap`.
    pub ApicSmi: WHV_X64_APIC_SMI_CONTEXT,
    /// `WHvRunVpExitReasonHypercall`.
    pub Hypercall: WHV_HYPERCALL_CONTEXT,
    /// `WHvRunVpExitReasonX64ApicInitSipiTrap`.
    pub ApicInitSipi: WHV_X64_APIC_INIT_SIPI_CONTEXT,
    /// `WHvRunVpExitReasonX64ApicWriteTrap`.
    pub ApicWrite: WHV_X64_APIC_WRITE_CONTEXT,
    /// `WHvRunVpExitReasonSynicSintDeliverable`.
    pub SynicSintDeliverable: WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
}

impl Default for WHV_RUN_VP_EXIT_CONTEXT_0 {
    /// All bytes zero (written through the largest member).
    fn default() -> Self {
        Self {
            Hypercall: WHV_HYPERCALL_CONTEXT::default(),
        }
    }
}
