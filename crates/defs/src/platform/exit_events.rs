//! The payloads of the event exits: exceptions, unsupported features,
//! interrupt windows, APIC traps (EOI, SMI, INIT/SIPI, register writes),
//! RDTSC and hypercalls.

use super::register_value::WHV_UINT128;
use super::vp_events::WHV_X64_PENDING_INTERRUPTION_TYPE;

/// What an exception exit's exception was.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VP_EXCEPTION_INFO {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT32: u32,
}

bitfield! {
    WHV_VP_EXCEPTION_INFO . AsUINT32 : u32 {
        /// `ErrorCodeValid`: bit 0.
        error_code_valid / set_error_code_valid : 0, 1;
        /// `SoftwareException`: bit 1.
        software_exception / set_software_exception : 1, 1;
    }
}

/// The payload of `WHvRunVpExitReasonException`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_VP_EXCEPTION_CONTEXT {
    /// How many of [`Self::InstructionBytes`] are valid.
    pub InstructionByteCount: u8,
    /// Reserved, zero.
    pub Reserved: [u8; 3],
    /// The first bytes of the faulting instruction.
    pub InstructionBytes: [u8; 16],
    /// The exception's properties.
    pub ExceptionInfo: WHV_VP_EXCEPTION_INFO,
    /// The vector (a [`super::WHV_EXCEPTION_TYPE`] value).
    pub ExceptionType: u8,
    /// Reserved, zero.
    pub Reserved2: [u8; 3],
    /// The error code, when `error_code_valid`.
    pub ErrorCode: u32,
    /// The exception parameter (CR2 for #PF, DR6 for #DB).
    pub ExceptionParameter: u64,
}

open_enum! {
    /// The feature behind `WHvRunVpExitReasonUnsupportedFeature`.
    pub enum WHV_X64_UNSUPPORTED_FEATURE_CODE: i32 {
        WHvUnsupportedFeatureIntercept = 1,
        WHvUnsupportedFeatureTaskSwitchTss = 2,
    }
}

/// The payload of `WHvRunVpExitReasonUnsupportedFeature`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_UNSUPPORTED_FEATURE_CONTEXT {
    /// Which feature.
    pub FeatureCode: WHV_X64_UNSUPPORTED_FEATURE_CODE,
    /// Reserved, zero.
    pub Reserved: u32,
    /// A feature-specific parameter.
    pub FeatureParameter: u64,
}

/// The payload of `WHvRunVpExitReasonX64InterruptWindow`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT {
    /// The kind of event that can now be delivered.
    pub DeliverableType: WHV_X64_PENDING_INTERRUPTION_TYPE,
}

/// The payload of `WHvRunVpExitReasonX64ApicEoi`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_APIC_EOI_CONTEXT {
    /// The vector the guest ended.
    pub InterruptVector: u32,
}

/// Whether an RDTSC exit was `rdtscp`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_RDTSC_INFO {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_X64_RDTSC_INFO . AsUINT64 : u64 {
        /// `IsRdtscp`: bit 0.
        is_rdtscp / set_is_rdtscp : 0, 1;
    }
}

/// The payload of `WHvRunVpExitReasonX64Rdtsc`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_RDTSC_CONTEXT {
    /// TSC_AUX (the ECX result of `rdtscp`).
    pub TscAux: u64,
    /// The VP's TSC offset.
    pub VirtualOffset: u64,
    /// The host TSC.
    pub Tsc: u64,
    /// The partition reference time, 100 ns units.
    pub ReferenceTime: u64,
    /// The instruction.
    pub RdtscInfo: WHV_X64_RDTSC_INFO,
}

/// The payload of `WHvRunVpExitReasonX64ApicSmiTrap`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_APIC_SMI_CONTEXT {
    /// The ICR value written.
    pub ApicIcr: u64,
}

/// How many XMM registers [`WHV_HYPERCALL_CONTEXT`] carries.
pub const WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS: u32 = 6;

/// The payload of `WHvRunVpExitReasonHypercall`. 16-byte aligned (it holds
/// [`WHV_UINT128`]s).
#[repr(C, align(16))]
#[derive(Copy, Clone, Default)]
pub struct WHV_HYPERCALL_CONTEXT {
    /// RAX.
    pub Rax: u64,
    /// RBX.
    pub Rbx: u64,
    /// RCX.
    pub Rcx: u64,
    /// RDX.
    pub Rdx: u64,
    /// R8.
    pub R8: u64,
    /// RSI.
    pub Rsi: u64,
    /// RDI.
    pub Rdi: u64,
    /// Reserved, zero.
    pub Reserved0: u64,
    /// XMM0..XMM5 (fast hypercall input).
    pub XmmRegisters: [WHV_UINT128; WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS as usize],
    /// Reserved, zero.
    pub Reserved1: [u64; 2],
}

/// The payload of `WHvRunVpExitReasonX64ApicInitSipiTrap`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_APIC_INIT_SIPI_CONTEXT {
    /// The ICR value written.
    pub ApicIcr: u64,
}

open_enum! {
    /// The APIC register behind `WHvRunVpExitReasonX64ApicWriteTrap` (its
    /// xAPIC MMIO offset).
    pub enum WHV_X64_APIC_WRITE_TYPE: i32 {
        WHvX64ApicWriteTypeLdr = 0xD0,
        WHvX64ApicWriteTypeDfr = 0xE0,
        WHvX64ApicWriteTypeSvr = 0xF0,
        WHvX64ApicWriteTypeLint0 = 0x350,
        WHvX64ApicWriteTypeLint1 = 0x360,
    }
}

/// The payload of `WHvRunVpExitReasonX64ApicWriteTrap`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_APIC_WRITE_CONTEXT {
    /// The register written.
    pub Type: WHV_X64_APIC_WRITE_TYPE,
    /// Reserved, zero.
    pub Reserved: u32,
    /// The value written.
    pub WriteValue: u64,
}
