//! Partitions: the handle, the property codes of `WHvGetPartitionProperty` /
//! `WHvSetPartitionProperty` and their value union [`WHV_PARTITION_PROPERTY`],
//! and the enums only properties use (exception types, LAPIC mode).

use super::capability::{WHV_EXTENDED_VM_EXITS, WHV_X64_MSR_EXIT_BITMAP};
use super::cpuid_msr::{
    WHV_MSR_ACTION, WHV_MSR_ACTION_ENTRY, WHV_X64_CPUID_RESULT, WHV_X64_CPUID_RESULT2,
};
use super::features::{
    WHV_PROCESSOR_FEATURES, WHV_PROCESSOR_FEATURES_BANKS, WHV_PROCESSOR_PERFMON_FEATURES,
    WHV_PROCESSOR_XSAVE_FEATURES, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
};
use crate::base::BOOL;

/// A partition handle, as `WHvCreatePartition` returns it. The C type is
/// `VOID*`; like `windows-sys` we hold it as a pointer-sized integer (same
/// ABI), so it is `Copy`, `Send` and comparable.
pub type WHV_PARTITION_HANDLE = isize;

open_enum! {
    /// A partition property: selects the [`WHV_PARTITION_PROPERTY`] member.
    pub enum WHV_PARTITION_PROPERTY_CODE: i32 {
        WHvPartitionPropertyCodeExtendedVmExits = 0x0000_0001,
        WHvPartitionPropertyCodeExceptionExitBitmap = 0x0000_0002,
        WHvPartitionPropertyCodeSeparateSecurityDomain = 0x0000_0003,
        WHvPartitionPropertyCodeNestedVirtualization = 0x0000_0004,
        WHvPartitionPropertyCodeX64MsrExitBitmap = 0x0000_0005,
        WHvPartitionPropertyCodePrimaryNumaNode = 0x0000_0006,
        WHvPartitionPropertyCodeCpuReserve = 0x0000_0007,
        WHvPartitionPropertyCodeCpuCap = 0x0000_0008,
        WHvPartitionPropertyCodeCpuWeight = 0x0000_0009,
        WHvPartitionPropertyCodeCpuGroupId = 0x0000_000A,
        WHvPartitionPropertyCodeProcessorFrequencyCap = 0x0000_000B,
        WHvPartitionPropertyCodeAllowDeviceAssignment = 0x0000_000C,
        WHvPartitionPropertyCodeDisableSmt = 0x0000_000D,
        WHvPartitionPropertyCodeProcessorFeatures = 0x0000_1001,
        WHvPartitionPropertyCodeProcessorClFlushSize = 0x0000_1002,
        WHvPartitionPropertyCodeCpuidExitList = 0x0000_1003,
        WHvPartitionPropertyCodeCpuidResultList = 0x0000_1004,
        WHvPartitionPropertyCodeLocalApicEmulationMode = 0x0000_1005,
        WHvPartitionPropertyCodeProcessorXsaveFeatures = 0x0000_1006,
        WHvPartitionPropertyCodeProcessorClockFrequency = 0x0000_1007,
        WHvPartitionPropertyCodeInterruptClockFrequency = 0x0000_1008,
        WHvPartitionPropertyCodeApicRemoteReadSupport = 0x0000_1009,
        WHvPartitionPropertyCodeProcessorFeaturesBanks = 0x0000_100A,
        WHvPartitionPropertyCodeReferenceTime = 0x0000_100B,
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks = 0x0000_100C,
        WHvPartitionPropertyCodeCpuidResultList2 = 0x0000_100D,
        WHvPartitionPropertyCodeProcessorPerfmonFeatures = 0x0000_100E,
        WHvPartitionPropertyCodeMsrActionList = 0x0000_100F,
        WHvPartitionPropertyCodeUnimplementedMsrAction = 0x0000_1010,
        WHvPartitionPropertyCodeProcessorCount = 0x0000_1FFF,
    }
}

open_enum! {
    /// An x64 exception vector, as named by WHP (bit numbers of
    /// `WHvPartitionPropertyCodeExceptionExitBitmap`).
    pub enum WHV_EXCEPTION_TYPE: i32 {
        WHvX64ExceptionTypeDivideErrorFault = 0x0,
        WHvX64ExceptionTypeDebugTrapOrFault = 0x1,
        WHvX64ExceptionTypeBreakpointTrap = 0x3,
        WHvX64ExceptionTypeOverflowTrap = 0x4,
        WHvX64ExceptionTypeBoundRangeFault = 0x5,
        WHvX64ExceptionTypeInvalidOpcodeFault = 0x6,
        WHvX64ExceptionTypeDeviceNotAvailableFault = 0x7,
        WHvX64ExceptionTypeDoubleFaultAbort = 0x8,
        WHvX64ExceptionTypeInvalidTaskStateSegmentFault = 0x0A,
        WHvX64ExceptionTypeSegmentNotPresentFault = 0x0B,
        WHvX64ExceptionTypeStackFault = 0x0C,
        WHvX64ExceptionTypeGeneralProtectionFault = 0x0D,
        WHvX64ExceptionTypePageFault = 0x0E,
        WHvX64ExceptionTypeFloatingPointErrorFault = 0x10,
        WHvX64ExceptionTypeAlignmentCheckFault = 0x11,
        WHvX64ExceptionTypeMachineCheckAbort = 0x12,
        WHvX64ExceptionTypeSimdFloatingPointFault = 0x13,
    }
}

open_enum! {
    /// Which local APIC the hypervisor emulates
    /// (`WHvPartitionPropertyCodeLocalApicEmulationMode`).
    pub enum WHV_X64_LOCAL_APIC_EMULATION_MODE: i32 {
        WHvX64LocalApicEmulationModeNone = 0,
        WHvX64LocalApicEmulationModeXApic = 1,
        WHvX64LocalApicEmulationModeX2Apic = 2,
    }
}

/// The value of a partition property; the member used depends on the
/// [`WHV_PARTITION_PROPERTY_CODE`]. The list members are the first element
/// of a caller-sized array.
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_PARTITION_PROPERTY {
    /// `WHvPartitionPropertyCodeExtendedVmExits`.
    pub ExtendedVmExits: WHV_EXTENDED_VM_EXITS,
    /// `WHvPartitionPropertyCodeProcessorFeatures`.
    pub ProcessorFeatures: WHV_PROCESSOR_FEATURES,
    /// `WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks`.
    pub SyntheticProcessorFeaturesBanks: WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
    /// `WHvPartitionPropertyCodeProcessorXsaveFeatures`.
    pub ProcessorXsaveFeatures: WHV_PROCESSOR_XSAVE_FEATURES,
    /// `WHvPartitionPropertyCodeProcessorClFlushSize`.
    pub ProcessorClFlushSize: u8,
    /// `WHvPartitionPropertyCodeProcessorCount`.
    pub ProcessorCount: u32,
    /// `WHvPartitionPropertyCodeCpuidExitList`: leaves that exit.
    pub CpuidExitList: [u32; 1],
    /// `WHvPartitionPropertyCodeCpuidResultList`.
    pub CpuidResultList: [WHV_X64_CPUID_RESULT; 1],
    /// `WHvPartitionPropertyCodeCpuidResultList2`.
    pub CpuidResultList2: [WHV_X64_CPUID_RESULT2; 1],
    /// `WHvPartitionPropertyCodeMsrActionList`.
    pub MsrActionList: [WHV_MSR_ACTION_ENTRY; 1],
    /// `WHvPartitionPropertyCodeUnimplementedMsrAction`.
    pub UnimplementedMsrAction: WHV_MSR_ACTION,
    /// `WHvPartitionPropertyCodeExceptionExitBitmap`: bit *n* makes
    /// exception vector *n* exit.
    pub ExceptionExitBitmap: u64,
    /// `WHvPartitionPropertyCodeLocalApicEmulationMode`.
    pub LocalApicEmulationMode: WHV_X64_LOCAL_APIC_EMULATION_MODE,
    /// `WHvPartitionPropertyCodeSeparateSecurityDomain`.
    pub SeparateSecurityDomain: BOOL,
    /// `WHvPartitionPropertyCodeNestedVirtualization`.
    pub NestedVirtualization: BOOL,
    /// `WHvPartitionPropertyCodeX64MsrExitBitmap`.
    pub X64MsrExitBitmap: WHV_X64_MSR_EXIT_BITMAP,
    /// `WHvPartitionPropertyCodeProcessorClockFrequency`, Hz.
    pub ProcessorClockFrequency: u64,
    /// `WHvPartitionPropertyCodeInterruptClockFrequency`, Hz.
    pub InterruptClockFrequency: u64,
    /// `WHvPartitionPropertyCodeApicRemoteReadSupport`.
    pub ApicRemoteRead: BOOL,
    /// `WHvPartitionPropertyCodeProcessorFeaturesBanks`.
    pub ProcessorFeaturesBanks: WHV_PROCESSOR_FEATURES_BANKS,
    /// `WHvPartitionPropertyCodeReferenceTime`, 100 ns units.
    pub ReferenceTime: u64,
    /// `WHvPartitionPropertyCodePrimaryNumaNode`.
    pub PrimaryNumaNode: u16,
    /// `WHvPartitionPropertyCodeCpuReserve`.
    pub CpuReserve: u32,
    /// `WHvPartitionPropertyCodeCpuCap`.
    pub CpuCap: u32,
    /// `WHvPartitionPropertyCodeCpuWeight`.
    pub CpuWeight: u32,
    /// `WHvPartitionPropertyCodeCpuGroupId`.
    pub CpuGroupId: u64,
    /// `WHvPartitionPropertyCodeProcessorFrequencyCap`, MHz.
    pub ProcessorFrequencyCap: u32,
    /// `WHvPartitionPropertyCodeAllowDeviceAssignment`.
    pub AllowDeviceAssignment: BOOL,
    /// `WHvPartitionPropertyCodeProcessorPerfmonFeatures`.
    pub ProcessorPerfmonFeatures: WHV_PROCESSOR_PERFMON_FEATURES,
    /// `WHvPartitionPropertyCodeDisableSmt`.
    pub DisableSmt: BOOL,
}

impl Default for WHV_PARTITION_PROPERTY {
    /// All bytes zero (written through the largest member).
    fn default() -> Self {
        Self {
            CpuidResultList2: [WHV_X64_CPUID_RESULT2::default()],
        }
    }
}
