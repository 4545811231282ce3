//! The CPUID and MSR tables a partition is set up with: CPUID results
//! (`WHvPartitionPropertyCodeCpuidResultList`, `…List2`) and per-MSR actions
//! (`WHvPartitionPropertyCodeMsrActionList`,
//! `WHvPartitionPropertyCodeUnimplementedMsrAction`).

/// One forced CPUID result (`WHvPartitionPropertyCodeCpuidResultList`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_CPUID_RESULT {
    /// The leaf (EAX input).
    pub Function: u32,
    /// Reserved, zero.
    pub Reserved: [u32; 3],
    /// The EAX result.
    pub Eax: u32,
    /// The EBX result.
    pub Ebx: u32,
    /// The ECX result.
    pub Ecx: u32,
    /// The EDX result.
    pub Edx: u32,
}

open_enum! {
    /// How a [`WHV_X64_CPUID_RESULT2`] applies. Flags: combine with `|`.
    pub enum WHV_X64_CPUID_RESULT2_FLAGS: i32 {
        WHvX64CpuidResult2FlagSubleafSpecific = 0x0000_0001,
        WHvX64CpuidResult2FlagVpSpecific = 0x0000_0002,
    }
}

flag_ops!(WHV_X64_CPUID_RESULT2_FLAGS);

/// The four registers of a CPUID result.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_CPUID_OUTPUT {
    /// EAX.
    pub Eax: u32,
    /// EBX.
    pub Ebx: u32,
    /// ECX.
    pub Ecx: u32,
    /// EDX.
    pub Edx: u32,
}

/// One CPUID result with sub-leaf, VP and mask
/// (`WHvPartitionPropertyCodeCpuidResultList2`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_CPUID_RESULT2 {
    /// The leaf (EAX input).
    pub Function: u32,
    /// The sub-leaf (ECX input), with `WHvX64CpuidResult2FlagSubleafSpecific`.
    pub Index: u32,
    /// The VP, with `WHvX64CpuidResult2FlagVpSpecific`.
    pub VpIndex: u32,
    /// How the entry applies.
    pub Flags: WHV_X64_CPUID_RESULT2_FLAGS,
    /// The result bits.
    pub Output: WHV_CPUID_OUTPUT,
    /// Which result bits [`Self::Output`] sets.
    pub Mask: WHV_CPUID_OUTPUT,
}

/// What an MSR access does (`WHvPartitionPropertyCodeMsrActionList`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_MSR_ACTION_ENTRY {
    /// The MSR number.
    pub Index: u32,
    /// A [`WHV_MSR_ACTION`] value for reads.
    pub ReadAction: u8,
    /// A [`WHV_MSR_ACTION`] value for writes.
    pub WriteAction: u8,
    /// Reserved, zero.
    pub Reserved: u16,
}

open_enum! {
    /// What happens on an MSR access.
    pub enum WHV_MSR_ACTION: i32 {
        WHvMsrActionArchitectureDefault = 0,
        WHvMsrActionIgnoreWriteReadZero = 1,
        WHvMsrActionExit = 2,
    }
}
