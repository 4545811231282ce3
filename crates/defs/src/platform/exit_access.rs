//! The payloads of the access exits: guest memory (MMIO / unmapped GPA),
//! I/O ports, MSRs and CPUID.

use super::memory::{WHV_GUEST_PHYSICAL_ADDRESS, WHV_GUEST_VIRTUAL_ADDRESS};
use super::register_value::WHV_X64_SEGMENT_REGISTER;

/// What a memory exit's access was (`AccessType` is a
/// [`super::WHV_MEMORY_ACCESS_TYPE`]).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_MEMORY_ACCESS_INFO {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT32: u32,
}

bitfield! {
    WHV_MEMORY_ACCESS_INFO . AsUINT32 : u32 {
        /// `AccessType` (a [`super::WHV_MEMORY_ACCESS_TYPE`]): bits 0..2.
        access_type / set_access_type : 0, 2;
        /// `GpaUnmapped`: bit 2.
        gpa_unmapped / set_gpa_unmapped : 2, 1;
        /// `GvaValid` (the context's `Gva` is meaningful): bit 3.
        gva_valid / set_gva_valid : 3, 1;
    }
}

/// The payload of `WHvRunVpExitReasonMemoryAccess`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_MEMORY_ACCESS_CONTEXT {
    /// How many of [`Self::InstructionBytes`] are valid.
    pub InstructionByteCount: u8,
    /// Reserved, zero.
    pub Reserved: [u8; 3],
    /// The first bytes of the intercepted instruction.
    pub InstructionBytes: [u8; 16],
    /// The access.
    pub AccessInfo: WHV_MEMORY_ACCESS_INFO,
    /// The guest physical address accessed.
    pub Gpa: WHV_GUEST_PHYSICAL_ADDRESS,
    /// The guest virtual address accessed, when `gva_valid`.
    pub Gva: WHV_GUEST_VIRTUAL_ADDRESS,
}

/// What an I/O-port exit's access was (`AccessSize` in bytes: 1, 2 or 4).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_IO_PORT_ACCESS_INFO {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT32: u32,
}

bitfield! {
    WHV_X64_IO_PORT_ACCESS_INFO . AsUINT32 : u32 {
        /// `IsWrite`: bit 0.
        is_write / set_is_write : 0, 1;
        /// `AccessSize`, in bytes (1, 2 or 4): bits 1..4.
        access_size / set_access_size : 1, 3;
        /// `StringOp`: bit 4.
        string_op / set_string_op : 4, 1;
        /// `RepPrefix`: bit 5.
        rep_prefix / set_rep_prefix : 5, 1;
    }
}

/// The payload of `WHvRunVpExitReasonX64IoPortAccess`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_IO_PORT_ACCESS_CONTEXT {
    /// How many of [`Self::InstructionBytes`] are valid.
    pub InstructionByteCount: u8,
    /// Reserved, zero.
    pub Reserved: [u8; 3],
    /// The first bytes of the intercepted instruction.
    pub InstructionBytes: [u8; 16],
    /// The access.
    pub AccessInfo: WHV_X64_IO_PORT_ACCESS_INFO,
    /// The port.
    pub PortNumber: u16,
    /// Reserved, zero.
    pub Reserved2: [u16; 3],
    /// RAX before the instruction.
    pub Rax: u64,
    /// RCX before the instruction (the count of a `rep` string op).
    pub Rcx: u64,
    /// RSI before the instruction.
    pub Rsi: u64,
    /// RDI before the instruction.
    pub Rdi: u64,
    /// DS (source segment of `outs`).
    pub Ds: WHV_X64_SEGMENT_REGISTER,
    /// ES (destination segment of `ins`).
    pub Es: WHV_X64_SEGMENT_REGISTER,
}

/// Whether an MSR exit was a write.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_MSR_ACCESS_INFO {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT32: u32,
}

bitfield! {
    WHV_X64_MSR_ACCESS_INFO . AsUINT32 : u32 {
        /// `IsWrite`: bit 0.
        is_write / set_is_write : 0, 1;
    }
}

/// The payload of `WHvRunVpExitReasonX64MsrAccess`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_MSR_ACCESS_CONTEXT {
    /// The access.
    pub AccessInfo: WHV_X64_MSR_ACCESS_INFO,
    /// The MSR (ECX).
    pub MsrNumber: u32,
    /// RAX (the low half written by `wrmsr`).
    pub Rax: u64,
    /// RDX (the high half written by `wrmsr`).
    pub Rdx: u64,
}

/// The payload of `WHvRunVpExitReasonX64Cpuid`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_CPUID_ACCESS_CONTEXT {
    /// RAX (the leaf).
    pub Rax: u64,
    /// RCX (the sub-leaf).
    pub Rcx: u64,
    /// RDX.
    pub Rdx: u64,
    /// RBX.
    pub Rbx: u64,
    /// The EAX result the hypervisor would give.
    pub DefaultResultRax: u64,
    /// The ECX result the hypervisor would give.
    pub DefaultResultRcx: u64,
    /// The EDX result the hypervisor would give.
    pub DefaultResultRdx: u64,
    /// The EBX result the hypervisor would give.
    pub DefaultResultRbx: u64,
}
