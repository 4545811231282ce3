//! ABI checks of every `WinHvPlatformDefs.h` type (crate module `platform`)
//! against `windows-sys` 0.61: size, alignment and every field offset of
//! each struct and union, the value of every constant and enumerator, the
//! size of every plain type; and every bitfield accessor, bit by bit,
//! against the header's field positions.
//!
//! Types built on `WHV_UINT128` use the `align16` form: the C header aligns
//! them to 16 where `windows-sys` gives 8. No field offset moves with it
//! (every `WHV_UINT128` already sits at a multiple of 16), so windows-sys'
//! offsets are asserted as they are; the C header's sizes are asserted
//! explicitly in `uint128_types_are_16_byte_aligned`.

#![allow(unsafe_code, reason = "reading members of the ABI unions")]

#[macro_use]
mod common;

use winhv_defs as defs;

/// windows-sys' Hypervisor and Foundation modules under one name, for the
/// macros of `common`.
mod ws {
    pub use windows_sys::Win32::Foundation::*;
    pub use windows_sys::Win32::System::Hypervisor::*;
}

enum_const_value!(
    defs::WHV_ADVISE_GPA_RANGE_CODE,
    defs::WHV_ALLOCATE_VPCI_RESOURCE_FLAGS,
    defs::WHV_CACHE_TYPE,
    defs::WHV_CAPABILITY_CODE,
    defs::WHV_CREATE_VPCI_DEVICE_FLAGS,
    defs::WHV_EXCEPTION_TYPE,
    defs::WHV_INTERRUPT_DESTINATION_MODE,
    defs::WHV_INTERRUPT_TRIGGER_MODE,
    defs::WHV_INTERRUPT_TYPE,
    defs::WHV_MAP_GPA_RANGE_FLAGS,
    defs::WHV_MEMORY_ACCESS_TYPE,
    defs::WHV_MSR_ACTION,
    defs::WHV_NOTIFICATION_PORT_PROPERTY_CODE,
    defs::WHV_NOTIFICATION_PORT_TYPE,
    defs::WHV_PARTITION_COUNTER_SET,
    defs::WHV_PARTITION_PROPERTY_CODE,
    defs::WHV_PROCESSOR_COUNTER_SET,
    defs::WHV_PROCESSOR_VENDOR,
    defs::WHV_REGISTER_NAME,
    defs::WHV_RUN_VP_CANCEL_REASON,
    defs::WHV_RUN_VP_EXIT_REASON,
    defs::WHV_TRANSLATE_GVA_FLAGS,
    defs::WHV_TRANSLATE_GVA_RESULT_CODE,
    defs::WHV_TRIGGER_TYPE,
    defs::WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE,
    defs::WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
    defs::WHV_VPCI_DEVICE_NOTIFICATION_TYPE,
    defs::WHV_VPCI_DEVICE_PROPERTY_CODE,
    defs::WHV_VPCI_DEVICE_REGISTER_SPACE,
    defs::WHV_VPCI_INTERRUPT_TARGET_FLAGS,
    defs::WHV_VPCI_MMIO_RANGE_FLAGS,
    defs::WHV_X64_APIC_WRITE_TYPE,
    defs::WHV_X64_CPUID_RESULT2_FLAGS,
    defs::WHV_X64_LOCAL_APIC_EMULATION_MODE,
    defs::WHV_X64_PENDING_EVENT_TYPE,
    defs::WHV_X64_PENDING_INTERRUPTION_TYPE,
    defs::WHV_X64_UNSUPPORTED_FEATURE_CODE,
);

#[test]
fn platform_struct_and_union_layouts() {
    layout!(WHV_ACCESS_GPA_CONTROLS {
        AsUINT64,
        Anonymous
    });
    layout!(WHV_ACCESS_GPA_CONTROLS_0 {
        CacheType,
        Reserved
    });
    layout!(WHV_ADVISE_GPA_RANGE { Populate });
    layout!(WHV_ADVISE_GPA_RANGE_POPULATE { Flags, AccessType });
    layout!(WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS { AsUINT32 });
    flattened!(WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS_0 => WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS.AsUINT32);
    layout!(WHV_CAPABILITY {
        HypervisorPresent,
        Features,
        ExtendedVmExits,
        ProcessorVendor,
        ProcessorFeatures,
        SyntheticProcessorFeaturesBanks,
        ProcessorXsaveFeatures,
        ProcessorClFlushSize,
        ExceptionExitBitmap,
        X64MsrExitBitmap,
        ProcessorClockFrequency,
        InterruptClockFrequency,
        ProcessorFeaturesBanks,
        GpaRangePopulateFlags,
        ProcessorFrequencyCap,
        ProcessorPerfmonFeatures,
        SchedulerFeatures
    });
    layout!(WHV_CAPABILITY_FEATURES { AsUINT64 });
    flattened!(WHV_CAPABILITY_FEATURES_0 => WHV_CAPABILITY_FEATURES.AsUINT64);
    layout!(WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP {
        _bitfield,
        HighestFrequencyMhz,
        NominalFrequencyMhz,
        LowestFrequencyMhz,
        FrequencyStepMhz
    });
    layout!(WHV_CPUID_OUTPUT { Eax, Ebx, Ecx, Edx });
    layout!(WHV_DOORBELL_MATCH_DATA {
        GuestAddress,
        Value,
        Length,
        _bitfield
    });
    layout!(WHV_EXTENDED_VM_EXITS { AsUINT64 });
    flattened!(WHV_EXTENDED_VM_EXITS_0 => WHV_EXTENDED_VM_EXITS.AsUINT64);
    layout!(WHV_HYPERCALL_CONTEXT align16 { Rax, Rbx, Rcx, Rdx, R8, Rsi, Rdi, Reserved0, XmmRegisters, Reserved1 });
    layout!(WHV_INTERNAL_ACTIVITY_REGISTER { AsUINT64 });
    flattened!(WHV_INTERNAL_ACTIVITY_REGISTER_0 => WHV_INTERNAL_ACTIVITY_REGISTER.AsUINT64);
    layout!(WHV_INTERRUPT_CONTROL {
        _bitfield,
        Destination,
        Vector
    });
    layout!(WHV_MEMORY_ACCESS_CONTEXT {
        InstructionByteCount,
        Reserved,
        InstructionBytes,
        AccessInfo,
        Gpa,
        Gva
    });
    layout!(WHV_MEMORY_ACCESS_INFO { AsUINT32 });
    flattened!(WHV_MEMORY_ACCESS_INFO_0 => WHV_MEMORY_ACCESS_INFO.AsUINT32);
    layout!(WHV_MEMORY_RANGE_ENTRY {
        GuestAddress,
        SizeInBytes
    });
    layout!(WHV_MSR_ACTION_ENTRY {
        Index,
        ReadAction,
        WriteAction,
        Reserved
    });
    layout!(WHV_NOTIFICATION_PORT_PARAMETERS {
        NotificationPortType,
        Reserved,
        Anonymous
    });
    layout!(WHV_NOTIFICATION_PORT_PARAMETERS_0 { Doorbell, Event });
    layout!(WHV_NOTIFICATION_PORT_PARAMETERS_0_0 { ConnectionId });
    layout!(WHV_PARTITION_MEMORY_COUNTERS {
        Mapped4KPageCount,
        Mapped2MPageCount,
        Mapped1GPageCount
    });
    layout!(WHV_PARTITION_PROPERTY {
        ExtendedVmExits,
        ProcessorFeatures,
        SyntheticProcessorFeaturesBanks,
        ProcessorXsaveFeatures,
        ProcessorClFlushSize,
        ProcessorCount,
        CpuidExitList,
        CpuidResultList,
        CpuidResultList2,
        MsrActionList,
        UnimplementedMsrAction,
        ExceptionExitBitmap,
        LocalApicEmulationMode,
        SeparateSecurityDomain,
        NestedVirtualization,
        X64MsrExitBitmap,
        ProcessorClockFrequency,
        InterruptClockFrequency,
        ApicRemoteRead,
        ProcessorFeaturesBanks,
        ReferenceTime,
        PrimaryNumaNode,
        CpuReserve,
        CpuCap,
        CpuWeight,
        CpuGroupId,
        ProcessorFrequencyCap,
        AllowDeviceAssignment,
        ProcessorPerfmonFeatures,
        DisableSmt
    });
    layout!(WHV_PROCESSOR_APIC_COUNTERS {
        MmioAccessCount,
        EoiAccessCount,
        TprAccessCount,
        SentIpiCount,
        SelfIpiCount
    });
    layout!(WHV_PROCESSOR_EVENT_COUNTERS {
        PageFaultCount,
        ExceptionCount,
        InterruptCount
    });
    layout!(WHV_PROCESSOR_FEATURES { AsUINT64 });
    flattened!(WHV_PROCESSOR_FEATURES_0 => WHV_PROCESSOR_FEATURES.AsUINT64);
    layout!(WHV_PROCESSOR_FEATURES1 { AsUINT64 });
    flattened!(WHV_PROCESSOR_FEATURES1_0 => WHV_PROCESSOR_FEATURES1.AsUINT64);
    layout!(WHV_PROCESSOR_FEATURES_BANKS {
        BanksCount,
        Reserved0,
        Anonymous
    });
    layout!(WHV_PROCESSOR_FEATURES_BANKS_0 {
        Anonymous,
        AsUINT64
    });
    layout!(WHV_PROCESSOR_FEATURES_BANKS_0_0 { Bank0, Bank1 });
    layout!(WHV_PROCESSOR_INTERCEPT_COUNTER { Count, Time100ns });
    layout!(WHV_PROCESSOR_INTERCEPT_COUNTERS {
        PageInvalidations,
        ControlRegisterAccesses,
        IoInstructions,
        HaltInstructions,
        CpuidInstructions,
        MsrAccesses,
        OtherIntercepts,
        PendingInterrupts,
        EmulatedInstructions,
        DebugRegisterAccesses,
        PageFaultIntercepts,
        NestedPageFaultIntercepts,
        Hypercalls,
        RdpmcInstructions
    });
    layout!(WHV_PROCESSOR_PERFMON_FEATURES { AsUINT64 });
    flattened!(WHV_PROCESSOR_PERFMON_FEATURES_0 => WHV_PROCESSOR_PERFMON_FEATURES.AsUINT64);
    layout!(WHV_PROCESSOR_RUNTIME_COUNTERS {
        TotalRuntime100ns,
        HypervisorRuntime100ns
    });
    layout!(WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS {
        SyntheticInterruptsCount,
        LongSpinWaitHypercallsCount,
        OtherHypercallsCount,
        SyntheticInterruptHypercallsCount,
        VirtualInterruptHypercallsCount,
        VirtualMmuHypercallsCount
    });
    layout!(WHV_PROCESSOR_XSAVE_FEATURES { AsUINT64 });
    flattened!(WHV_PROCESSOR_XSAVE_FEATURES_0 => WHV_PROCESSOR_XSAVE_FEATURES.AsUINT64);
    layout!(WHV_REGISTER_VALUE align16 { Reg128, Reg64, Reg32, Reg16, Reg8, Fp, FpControlStatus, XmmControlStatus, Segment, Table, InterruptState, PendingInterruption, DeliverabilityNotifications, ExceptionEvent, ExtIntEvent, InternalActivity, PendingDebugException });
    layout!(WHV_RUN_VP_CANCELED_CONTEXT { CancelReason });
    layout!(WHV_RUN_VP_EXIT_CONTEXT align16 { ExitReason, Reserved, VpContext, Anonymous });
    layout!(WHV_RUN_VP_EXIT_CONTEXT_0 align16 { MemoryAccess, IoPortAccess, MsrAccess, CpuidAccess, VpException, InterruptWindow, UnsupportedFeature, CancelReason, ApicEoi, ReadTsc, ApicSmi, Hypercall, ApicInitSipi, ApicWrite, SynicSintDeliverable });
    layout!(WHV_SCHEDULER_FEATURES { AsUINT64 });
    flattened!(WHV_SCHEDULER_FEATURES_0 => WHV_SCHEDULER_FEATURES.AsUINT64);
    layout!(WHV_SRIOV_RESOURCE_DESCRIPTOR {
        PnpInstanceId,
        VirtualFunctionId,
        VirtualFunctionIndex,
        Reserved
    });
    layout!(WHV_SYNIC_EVENT_PARAMETERS {
        VpIndex,
        TargetSint,
        Reserved,
        FlagNumber
    });
    layout!(WHV_SYNIC_SINT_DELIVERABLE_CONTEXT {
        DeliverableSints,
        Reserved1,
        Reserved2
    });
    layout!(WHV_SYNTHETIC_PROCESSOR_FEATURES { AsUINT64 });
    flattened!(WHV_SYNTHETIC_PROCESSOR_FEATURES_0 => WHV_SYNTHETIC_PROCESSOR_FEATURES.AsUINT64);
    layout!(WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS {
        BanksCount,
        Reserved0,
        Anonymous
    });
    layout!(WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0 {
        Anonymous,
        AsUINT64
    });
    layout!(WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0_0 { Bank0 });
    layout!(WHV_TRANSLATE_GVA_RESULT {
        ResultCode,
        Reserved
    });
    layout!(WHV_TRIGGER_PARAMETERS {
        TriggerType,
        Reserved,
        Anonymous
    });
    layout!(WHV_TRIGGER_PARAMETERS_0 {
        Interrupt,
        SynicEvent,
        DeviceInterrupt
    });
    layout!(WHV_TRIGGER_PARAMETERS_0_0 {
        LogicalDeviceId,
        MsiAddress,
        MsiData,
        Reserved
    });
    layout!(WHV_UINT128 align16 { Anonymous, Dword });
    layout!(WHV_UINT128_0 { Low64, High64 });
    layout!(WHV_VIRTUAL_PROCESSOR_PROPERTY {
        PropertyCode,
        Reserved,
        Anonymous
    });
    layout!(WHV_VIRTUAL_PROCESSOR_PROPERTY_0 { NumaNode, Padding });
    layout!(WHV_VPCI_DEVICE_NOTIFICATION {
        NotificationType,
        Reserved1,
        Anonymous
    });
    layout!(WHV_VPCI_DEVICE_NOTIFICATION_0 { Reserved2 });
    layout!(WHV_VPCI_DEVICE_REGISTER {
        Location,
        SizeInBytes,
        OffsetInBytes
    });
    layout!(WHV_VPCI_HARDWARE_IDS {
        VendorID,
        DeviceID,
        RevisionID,
        ProgIf,
        SubClass,
        BaseClass,
        SubVendorID,
        SubSystemID
    });
    layout!(WHV_VPCI_INTERRUPT_TARGET {
        Vector,
        Flags,
        ProcessorCount,
        Processors
    });
    layout!(WHV_VPCI_MMIO_MAPPING {
        Location,
        Flags,
        SizeInBytes,
        OffsetInBytes,
        VirtualAddress
    });
    layout!(WHV_VPCI_PROBED_BARS { Value });
    layout!(WHV_VP_EXCEPTION_CONTEXT {
        InstructionByteCount,
        Reserved,
        InstructionBytes,
        ExceptionInfo,
        ExceptionType,
        Reserved2,
        ErrorCode,
        ExceptionParameter
    });
    layout!(WHV_VP_EXCEPTION_INFO { AsUINT32 });
    flattened!(WHV_VP_EXCEPTION_INFO_0 => WHV_VP_EXCEPTION_INFO.AsUINT32);
    layout!(WHV_VP_EXIT_CONTEXT {
        ExecutionState,
        _bitfield,
        Reserved,
        Reserved2,
        Cs,
        Rip,
        Rflags
    });
    layout!(WHV_X64_APIC_EOI_CONTEXT { InterruptVector });
    layout!(WHV_X64_APIC_INIT_SIPI_CONTEXT { ApicIcr });
    layout!(WHV_X64_APIC_SMI_CONTEXT { ApicIcr });
    layout!(WHV_X64_APIC_WRITE_CONTEXT {
        Type,
        Reserved,
        WriteValue
    });
    layout!(WHV_X64_CPUID_ACCESS_CONTEXT {
        Rax,
        Rcx,
        Rdx,
        Rbx,
        DefaultResultRax,
        DefaultResultRcx,
        DefaultResultRdx,
        DefaultResultRbx
    });
    layout!(WHV_X64_CPUID_RESULT {
        Function,
        Reserved,
        Eax,
        Ebx,
        Ecx,
        Edx
    });
    layout!(WHV_X64_CPUID_RESULT2 {
        Function,
        Index,
        VpIndex,
        Flags,
        Output,
        Mask
    });
    layout!(WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER { AsUINT64 });
    flattened!(WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER_0 => WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER.AsUINT64);
    layout!(WHV_X64_FP_CONTROL_STATUS_REGISTER align16 { Anonymous, AsUINT128 });
    layout!(WHV_X64_FP_CONTROL_STATUS_REGISTER_0 {
        FpControl,
        FpStatus,
        FpTag,
        Reserved,
        LastFpOp,
        Anonymous
    });
    layout!(WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0 {
        LastFpRip,
        Anonymous
    });
    layout!(WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0_0 {
        LastFpEip,
        LastFpCs,
        Reserved2
    });
    layout!(WHV_X64_FP_REGISTER align16 { Anonymous, AsUINT128 });
    layout!(WHV_X64_FP_REGISTER_0 {
        Mantissa,
        _bitfield
    });
    layout!(WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT { DeliverableType });
    layout!(WHV_X64_INTERRUPT_STATE_REGISTER { AsUINT64 });
    flattened!(WHV_X64_INTERRUPT_STATE_REGISTER_0 => WHV_X64_INTERRUPT_STATE_REGISTER.AsUINT64);
    layout!(WHV_X64_IO_PORT_ACCESS_CONTEXT {
        InstructionByteCount,
        Reserved,
        InstructionBytes,
        AccessInfo,
        PortNumber,
        Reserved2,
        Rax,
        Rcx,
        Rsi,
        Rdi,
        Ds,
        Es
    });
    layout!(WHV_X64_IO_PORT_ACCESS_INFO { AsUINT32 });
    flattened!(WHV_X64_IO_PORT_ACCESS_INFO_0 => WHV_X64_IO_PORT_ACCESS_INFO.AsUINT32);
    layout!(WHV_X64_MSR_ACCESS_CONTEXT {
        AccessInfo,
        MsrNumber,
        Rax,
        Rdx
    });
    layout!(WHV_X64_MSR_ACCESS_INFO { AsUINT32 });
    flattened!(WHV_X64_MSR_ACCESS_INFO_0 => WHV_X64_MSR_ACCESS_INFO.AsUINT32);
    layout!(WHV_X64_MSR_EXIT_BITMAP { AsUINT64 });
    flattened!(WHV_X64_MSR_EXIT_BITMAP_0 => WHV_X64_MSR_EXIT_BITMAP.AsUINT64);
    layout!(WHV_X64_PENDING_DEBUG_EXCEPTION { AsUINT64 });
    flattened!(WHV_X64_PENDING_DEBUG_EXCEPTION_0 => WHV_X64_PENDING_DEBUG_EXCEPTION.AsUINT64);
    layout!(WHV_X64_PENDING_EXCEPTION_EVENT align16 { Anonymous, AsUINT128 });
    layout!(WHV_X64_PENDING_EXCEPTION_EVENT_0 {
        _bitfield,
        ErrorCode,
        ExceptionParameter
    });
    layout!(WHV_X64_PENDING_EXT_INT_EVENT align16 { Anonymous, AsUINT128 });
    layout!(WHV_X64_PENDING_EXT_INT_EVENT_0 {
        _bitfield,
        Reserved2
    });
    layout!(WHV_X64_PENDING_INTERRUPTION_REGISTER { AsUINT64 });
    flattened!(WHV_X64_PENDING_INTERRUPTION_REGISTER_0 => WHV_X64_PENDING_INTERRUPTION_REGISTER.AsUINT64);
    layout!(WHV_X64_RDTSC_CONTEXT {
        TscAux,
        VirtualOffset,
        Tsc,
        ReferenceTime,
        RdtscInfo
    });
    layout!(WHV_X64_RDTSC_INFO { AsUINT64 });
    flattened!(WHV_X64_RDTSC_INFO_0 => WHV_X64_RDTSC_INFO.AsUINT64);
    layout!(WHV_X64_SEGMENT_REGISTER { Base, Limit, Selector, Attributes => Anonymous });
    flattened!(WHV_X64_SEGMENT_REGISTER_0 => WHV_X64_SEGMENT_REGISTER.Attributes);
    flattened!(WHV_X64_SEGMENT_REGISTER_0_0 => WHV_X64_SEGMENT_REGISTER.Attributes);
    layout!(WHV_X64_TABLE_REGISTER { Pad, Limit, Base });
    layout!(WHV_X64_UNSUPPORTED_FEATURE_CONTEXT {
        FeatureCode,
        Reserved,
        FeatureParameter
    });
    layout!(WHV_X64_VP_EXECUTION_STATE { AsUINT16 });
    flattened!(WHV_X64_VP_EXECUTION_STATE_0 => WHV_X64_VP_EXECUTION_STATE.AsUINT16);
    layout!(WHV_X64_XMM_CONTROL_STATUS_REGISTER align16 { Anonymous, AsUINT128 });
    layout!(WHV_X64_XMM_CONTROL_STATUS_REGISTER_0 {
        Anonymous,
        XmmStatusControl,
        XmmStatusControlMask
    });
    layout!(WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0 {
        LastFpRdp,
        Anonymous
    });
    layout!(WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0_0 {
        LastFpDp,
        LastFpDs,
        Reserved
    });
    layout!(LUID { LowPart, HighPart });
}

#[test]
fn uint128_types_are_16_byte_aligned() {
    use core::mem::{align_of, size_of};
    // Sizes from the header's C_ASSERTs; alignment from DECLSPEC_ALIGN(16).
    assert_eq!(
        (
            size_of::<defs::WHV_UINT128>(),
            align_of::<defs::WHV_UINT128>()
        ),
        (16, 16)
    );
    assert_eq!(size_of::<defs::WHV_REGISTER_VALUE>(), 16);
    assert_eq!(align_of::<defs::WHV_REGISTER_VALUE>(), 16);
    assert_eq!(size_of::<defs::WHV_X64_FP_REGISTER>(), 16);
    assert_eq!(size_of::<defs::WHV_X64_FP_CONTROL_STATUS_REGISTER>(), 16);
    assert_eq!(size_of::<defs::WHV_X64_XMM_CONTROL_STATUS_REGISTER>(), 16);
    assert_eq!(size_of::<defs::WHV_X64_PENDING_EXCEPTION_EVENT>(), 16);
    assert_eq!(size_of::<defs::WHV_X64_PENDING_EXT_INT_EVENT>(), 16);
    assert_eq!(size_of::<defs::WHV_HYPERCALL_CONTEXT>(), 176);
    assert_eq!(align_of::<defs::WHV_HYPERCALL_CONTEXT>(), 16);
    assert_eq!(size_of::<defs::WHV_RUN_VP_EXIT_CONTEXT>(), 224);
    assert_eq!(align_of::<defs::WHV_RUN_VP_EXIT_CONTEXT>(), 16);
    assert_eq!(
        core::mem::offset_of!(defs::WHV_RUN_VP_EXIT_CONTEXT, Anonymous),
        48
    );
    assert_eq!(
        core::mem::offset_of!(defs::WHV_HYPERCALL_CONTEXT, XmmRegisters),
        64
    );
    // An array of register values keeps every element 16-byte aligned.
    assert_eq!(size_of::<[defs::WHV_REGISTER_VALUE; 3]>(), 48);
}

#[test]
fn platform_plain_types() {
    covered!(
        WHV_ADVISE_GPA_RANGE_CODE,
        WHV_ALLOCATE_VPCI_RESOURCE_FLAGS,
        WHV_CACHE_TYPE,
        WHV_CAPABILITY_CODE,
        WHV_CREATE_VPCI_DEVICE_FLAGS,
        WHV_EXCEPTION_TYPE,
        WHV_INTERRUPT_DESTINATION_MODE,
        WHV_INTERRUPT_TRIGGER_MODE,
        WHV_INTERRUPT_TYPE,
        WHV_MAP_GPA_RANGE_FLAGS,
        WHV_MEMORY_ACCESS_TYPE,
        WHV_MSR_ACTION,
        WHV_NOTIFICATION_PORT_PROPERTY_CODE,
        WHV_NOTIFICATION_PORT_TYPE,
        WHV_PARTITION_COUNTER_SET,
        WHV_PARTITION_HANDLE,
        WHV_PARTITION_PROPERTY_CODE,
        WHV_PROCESSOR_COUNTER_SET,
        WHV_PROCESSOR_VENDOR,
        WHV_REGISTER_NAME,
        WHV_RUN_VP_CANCEL_REASON,
        WHV_RUN_VP_EXIT_REASON,
        WHV_TRANSLATE_GVA_FLAGS,
        WHV_TRANSLATE_GVA_RESULT_CODE,
        WHV_TRIGGER_TYPE,
        WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE,
        WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
        WHV_VPCI_DEVICE_NOTIFICATION_TYPE,
        WHV_VPCI_DEVICE_PROPERTY_CODE,
        WHV_VPCI_DEVICE_REGISTER_SPACE,
        WHV_VPCI_INTERRUPT_TARGET_FLAGS,
        WHV_VPCI_MMIO_RANGE_FLAGS,
        WHV_X64_APIC_WRITE_TYPE,
        WHV_X64_CPUID_RESULT2_FLAGS,
        WHV_X64_LOCAL_APIC_EMULATION_MODE,
        WHV_X64_PENDING_EVENT_TYPE,
        WHV_X64_PENDING_INTERRUPTION_TYPE,
        WHV_X64_UNSUPPORTED_FEATURE_CODE,
    );
    use core::mem::size_of;
    assert_eq!(size_of::<defs::WHV_GUEST_PHYSICAL_ADDRESS>(), 8);
    assert_eq!(size_of::<defs::WHV_GUEST_VIRTUAL_ADDRESS>(), 8);
    assert_eq!(size_of::<defs::WHV_NOTIFICATION_PORT_PROPERTY>(), 8);
    assert_eq!(size_of::<defs::WHV_NOTIFICATION_PORT_HANDLE>(), 8);
    assert_eq!(size_of::<defs::WHV_TRIGGER_HANDLE>(), 8);
    // The header's typedef names of two counter structs.
    assert_eq!(size_of::<defs::WHV_PROCESSOR_ACTIVITY_COUNTERS>(), 224);
    assert_eq!(size_of::<defs::WHV_PROCESSOR_GUEST_EVENT_COUNTERS>(), 24);
}

#[test]
fn platform_constants_and_enumerators() {
    // #define constants
    consts!(
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT,
        WHV_PROCESSOR_FEATURES_BANKS_COUNT,
        WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS,
        WHV_VPCI_TYPE0_BAR_COUNT,
        WHV_READ_WRITE_GPA_RANGE_MAX_SIZE,
        WHV_MAX_DEVICE_ID_SIZE_IN_CHARS,
        WHV_SYNIC_MESSAGE_SIZE,
        WHV_ANY_VP,
    );
    // WHV_ADVISE_GPA_RANGE_CODE
    consts!(
        WHvAdviseGpaRangeCodePopulate,
        WHvAdviseGpaRangeCodePin,
        WHvAdviseGpaRangeCodeUnpin,
    );
    // WHV_ALLOCATE_VPCI_RESOURCE_FLAGS
    consts!(
        WHvAllocateVpciResourceFlagNone,
        WHvAllocateVpciResourceFlagAllowDirectP2P,
    );
    // WHV_CACHE_TYPE
    consts!(
        WHvCacheTypeUncached,
        WHvCacheTypeWriteCombining,
        WHvCacheTypeWriteThrough,
        WHvCacheTypeWriteBack,
    );
    // WHV_CAPABILITY_CODE
    consts!(
        WHvCapabilityCodeHypervisorPresent,
        WHvCapabilityCodeFeatures,
        WHvCapabilityCodeExtendedVmExits,
        WHvCapabilityCodeExceptionExitBitmap,
        WHvCapabilityCodeX64MsrExitBitmap,
        WHvCapabilityCodeGpaRangePopulateFlags,
        WHvCapabilityCodeSchedulerFeatures,
        WHvCapabilityCodeProcessorVendor,
        WHvCapabilityCodeProcessorFeatures,
        WHvCapabilityCodeProcessorClFlushSize,
        WHvCapabilityCodeProcessorXsaveFeatures,
        WHvCapabilityCodeProcessorClockFrequency,
        WHvCapabilityCodeInterruptClockFrequency,
        WHvCapabilityCodeProcessorFeaturesBanks,
        WHvCapabilityCodeProcessorFrequencyCap,
        WHvCapabilityCodeSyntheticProcessorFeaturesBanks,
        WHvCapabilityCodeProcessorPerfmonFeatures,
    );
    // WHV_CREATE_VPCI_DEVICE_FLAGS
    consts!(
        WHvCreateVpciDeviceFlagNone,
        WHvCreateVpciDeviceFlagPhysicallyBacked,
        WHvCreateVpciDeviceFlagUseLogicalInterrupts,
    );
    // WHV_EXCEPTION_TYPE
    consts!(
        WHvX64ExceptionTypeDivideErrorFault,
        WHvX64ExceptionTypeDebugTrapOrFault,
        WHvX64ExceptionTypeBreakpointTrap,
        WHvX64ExceptionTypeOverflowTrap,
        WHvX64ExceptionTypeBoundRangeFault,
        WHvX64ExceptionTypeInvalidOpcodeFault,
        WHvX64ExceptionTypeDeviceNotAvailableFault,
        WHvX64ExceptionTypeDoubleFaultAbort,
        WHvX64ExceptionTypeInvalidTaskStateSegmentFault,
        WHvX64ExceptionTypeSegmentNotPresentFault,
        WHvX64ExceptionTypeStackFault,
        WHvX64ExceptionTypeGeneralProtectionFault,
        WHvX64ExceptionTypePageFault,
        WHvX64ExceptionTypeFloatingPointErrorFault,
        WHvX64ExceptionTypeAlignmentCheckFault,
        WHvX64ExceptionTypeMachineCheckAbort,
        WHvX64ExceptionTypeSimdFloatingPointFault,
    );
    // WHV_INTERRUPT_DESTINATION_MODE
    consts!(
        WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptDestinationModeLogical,
    );
    // WHV_INTERRUPT_TRIGGER_MODE
    consts!(
        WHvX64InterruptTriggerModeEdge,
        WHvX64InterruptTriggerModeLevel,
    );
    // WHV_INTERRUPT_TYPE
    consts!(
        WHvX64InterruptTypeFixed,
        WHvX64InterruptTypeLowestPriority,
        WHvX64InterruptTypeNmi,
        WHvX64InterruptTypeInit,
        WHvX64InterruptTypeSipi,
        WHvX64InterruptTypeLocalInt1,
    );
    // WHV_MAP_GPA_RANGE_FLAGS
    consts!(
        WHvMapGpaRangeFlagNone,
        WHvMapGpaRangeFlagRead,
        WHvMapGpaRangeFlagWrite,
        WHvMapGpaRangeFlagExecute,
        WHvMapGpaRangeFlagTrackDirtyPages,
    );
    // WHV_MEMORY_ACCESS_TYPE
    consts!(
        WHvMemoryAccessRead,
        WHvMemoryAccessWrite,
        WHvMemoryAccessExecute,
    );
    // WHV_MSR_ACTION
    consts!(
        WHvMsrActionArchitectureDefault,
        WHvMsrActionIgnoreWriteReadZero,
        WHvMsrActionExit,
    );
    // WHV_NOTIFICATION_PORT_PROPERTY_CODE
    consts!(
        WHvNotificationPortPropertyPreferredTargetVp,
        WHvNotificationPortPropertyPreferredTargetDuration,
    );
    // WHV_NOTIFICATION_PORT_TYPE
    consts!(
        WHvNotificationPortTypeEvent,
        WHvNotificationPortTypeDoorbell,
    );
    // WHV_PARTITION_COUNTER_SET
    consts!(WHvPartitionCounterSetMemory,);
    // WHV_PARTITION_PROPERTY_CODE
    consts!(
        WHvPartitionPropertyCodeExtendedVmExits,
        WHvPartitionPropertyCodeExceptionExitBitmap,
        WHvPartitionPropertyCodeSeparateSecurityDomain,
        WHvPartitionPropertyCodeNestedVirtualization,
        WHvPartitionPropertyCodeX64MsrExitBitmap,
        WHvPartitionPropertyCodePrimaryNumaNode,
        WHvPartitionPropertyCodeCpuReserve,
        WHvPartitionPropertyCodeCpuCap,
        WHvPartitionPropertyCodeCpuWeight,
        WHvPartitionPropertyCodeCpuGroupId,
        WHvPartitionPropertyCodeProcessorFrequencyCap,
        WHvPartitionPropertyCodeAllowDeviceAssignment,
        WHvPartitionPropertyCodeDisableSmt,
        WHvPartitionPropertyCodeProcessorFeatures,
        WHvPartitionPropertyCodeProcessorClFlushSize,
        WHvPartitionPropertyCodeCpuidExitList,
        WHvPartitionPropertyCodeCpuidResultList,
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        WHvPartitionPropertyCodeProcessorXsaveFeatures,
        WHvPartitionPropertyCodeProcessorClockFrequency,
        WHvPartitionPropertyCodeInterruptClockFrequency,
        WHvPartitionPropertyCodeApicRemoteReadSupport,
        WHvPartitionPropertyCodeProcessorFeaturesBanks,
        WHvPartitionPropertyCodeReferenceTime,
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
        WHvPartitionPropertyCodeCpuidResultList2,
        WHvPartitionPropertyCodeProcessorPerfmonFeatures,
        WHvPartitionPropertyCodeMsrActionList,
        WHvPartitionPropertyCodeUnimplementedMsrAction,
        WHvPartitionPropertyCodeProcessorCount,
    );
    // WHV_PROCESSOR_COUNTER_SET
    consts!(
        WHvProcessorCounterSetRuntime,
        WHvProcessorCounterSetIntercepts,
        WHvProcessorCounterSetEvents,
        WHvProcessorCounterSetApic,
        WHvProcessorCounterSetSyntheticFeatures,
    );
    // WHV_PROCESSOR_VENDOR
    consts!(
        WHvProcessorVendorAmd,
        WHvProcessorVendorIntel,
        WHvProcessorVendorHygon,
    );
    // WHV_REGISTER_NAME
    consts!(
        WHvRegisterPendingInterruption,
        WHvRegisterInterruptState,
        WHvRegisterPendingEvent,
        WHvX64RegisterDeliverabilityNotifications,
        WHvRegisterInternalActivityState,
        WHvX64RegisterPendingDebugException,
        WHvX64RegisterRax,
        WHvX64RegisterRcx,
        WHvX64RegisterRdx,
        WHvX64RegisterRbx,
        WHvX64RegisterRsp,
        WHvX64RegisterRbp,
        WHvX64RegisterRsi,
        WHvX64RegisterRdi,
        WHvX64RegisterR8,
        WHvX64RegisterR9,
        WHvX64RegisterR10,
        WHvX64RegisterR11,
        WHvX64RegisterR12,
        WHvX64RegisterR13,
        WHvX64RegisterR14,
        WHvX64RegisterR15,
        WHvX64RegisterRip,
        WHvX64RegisterRflags,
        WHvX64RegisterEs,
        WHvX64RegisterCs,
        WHvX64RegisterSs,
        WHvX64RegisterDs,
        WHvX64RegisterFs,
        WHvX64RegisterGs,
        WHvX64RegisterLdtr,
        WHvX64RegisterTr,
        WHvX64RegisterIdtr,
        WHvX64RegisterGdtr,
        WHvX64RegisterCr0,
        WHvX64RegisterCr2,
        WHvX64RegisterCr3,
        WHvX64RegisterCr4,
        WHvX64RegisterCr8,
        WHvX64RegisterDr0,
        WHvX64RegisterDr1,
        WHvX64RegisterDr2,
        WHvX64RegisterDr3,
        WHvX64RegisterDr6,
        WHvX64RegisterDr7,
        WHvX64RegisterXCr0,
        WHvX64RegisterVirtualCr0,
        WHvX64RegisterVirtualCr3,
        WHvX64RegisterVirtualCr4,
        WHvX64RegisterVirtualCr8,
        WHvX64RegisterXmm0,
        WHvX64RegisterXmm1,
        WHvX64RegisterXmm2,
        WHvX64RegisterXmm3,
        WHvX64RegisterXmm4,
        WHvX64RegisterXmm5,
        WHvX64RegisterXmm6,
        WHvX64RegisterXmm7,
        WHvX64RegisterXmm8,
        WHvX64RegisterXmm9,
        WHvX64RegisterXmm10,
        WHvX64RegisterXmm11,
        WHvX64RegisterXmm12,
        WHvX64RegisterXmm13,
        WHvX64RegisterXmm14,
        WHvX64RegisterXmm15,
        WHvX64RegisterFpMmx0,
        WHvX64RegisterFpMmx1,
        WHvX64RegisterFpMmx2,
        WHvX64RegisterFpMmx3,
        WHvX64RegisterFpMmx4,
        WHvX64RegisterFpMmx5,
        WHvX64RegisterFpMmx6,
        WHvX64RegisterFpMmx7,
        WHvX64RegisterFpControlStatus,
        WHvX64RegisterXmmControlStatus,
        WHvX64RegisterTsc,
        WHvX64RegisterEfer,
        WHvX64RegisterKernelGsBase,
        WHvX64RegisterApicBase,
        WHvX64RegisterPat,
        WHvX64RegisterSysenterCs,
        WHvX64RegisterSysenterEip,
        WHvX64RegisterSysenterEsp,
        WHvX64RegisterStar,
        WHvX64RegisterLstar,
        WHvX64RegisterCstar,
        WHvX64RegisterSfmask,
        WHvX64RegisterInitialApicId,
        WHvX64RegisterMsrMtrrCap,
        WHvX64RegisterMsrMtrrDefType,
        WHvX64RegisterMsrMtrrPhysBase0,
        WHvX64RegisterMsrMtrrPhysBase1,
        WHvX64RegisterMsrMtrrPhysBase2,
        WHvX64RegisterMsrMtrrPhysBase3,
        WHvX64RegisterMsrMtrrPhysBase4,
        WHvX64RegisterMsrMtrrPhysBase5,
        WHvX64RegisterMsrMtrrPhysBase6,
        WHvX64RegisterMsrMtrrPhysBase7,
        WHvX64RegisterMsrMtrrPhysBase8,
        WHvX64RegisterMsrMtrrPhysBase9,
        WHvX64RegisterMsrMtrrPhysBaseA,
        WHvX64RegisterMsrMtrrPhysBaseB,
        WHvX64RegisterMsrMtrrPhysBaseC,
        WHvX64RegisterMsrMtrrPhysBaseD,
        WHvX64RegisterMsrMtrrPhysBaseE,
        WHvX64RegisterMsrMtrrPhysBaseF,
        WHvX64RegisterMsrMtrrPhysMask0,
        WHvX64RegisterMsrMtrrPhysMask1,
        WHvX64RegisterMsrMtrrPhysMask2,
        WHvX64RegisterMsrMtrrPhysMask3,
        WHvX64RegisterMsrMtrrPhysMask4,
        WHvX64RegisterMsrMtrrPhysMask5,
        WHvX64RegisterMsrMtrrPhysMask6,
        WHvX64RegisterMsrMtrrPhysMask7,
        WHvX64RegisterMsrMtrrPhysMask8,
        WHvX64RegisterMsrMtrrPhysMask9,
        WHvX64RegisterMsrMtrrPhysMaskA,
        WHvX64RegisterMsrMtrrPhysMaskB,
        WHvX64RegisterMsrMtrrPhysMaskC,
        WHvX64RegisterMsrMtrrPhysMaskD,
        WHvX64RegisterMsrMtrrPhysMaskE,
        WHvX64RegisterMsrMtrrPhysMaskF,
        WHvX64RegisterMsrMtrrFix64k00000,
        WHvX64RegisterMsrMtrrFix16k80000,
        WHvX64RegisterMsrMtrrFix16kA0000,
        WHvX64RegisterMsrMtrrFix4kC0000,
        WHvX64RegisterMsrMtrrFix4kC8000,
        WHvX64RegisterMsrMtrrFix4kD0000,
        WHvX64RegisterMsrMtrrFix4kD8000,
        WHvX64RegisterMsrMtrrFix4kE0000,
        WHvX64RegisterMsrMtrrFix4kE8000,
        WHvX64RegisterMsrMtrrFix4kF0000,
        WHvX64RegisterMsrMtrrFix4kF8000,
        WHvX64RegisterTscAux,
        WHvX64RegisterBndcfgs,
        WHvX64RegisterMCount,
        WHvX64RegisterACount,
        WHvX64RegisterSpecCtrl,
        WHvX64RegisterPredCmd,
        WHvX64RegisterTscVirtualOffset,
        WHvX64RegisterTsxCtrl,
        WHvX64RegisterXss,
        WHvX64RegisterUCet,
        WHvX64RegisterSCet,
        WHvX64RegisterSsp,
        WHvX64RegisterPl0Ssp,
        WHvX64RegisterPl1Ssp,
        WHvX64RegisterPl2Ssp,
        WHvX64RegisterPl3Ssp,
        WHvX64RegisterInterruptSspTableAddr,
        WHvX64RegisterTscDeadline,
        WHvX64RegisterTscAdjust,
        WHvX64RegisterUmwaitControl,
        WHvX64RegisterXfd,
        WHvX64RegisterXfdErr,
        WHvX64RegisterApicId,
        WHvX64RegisterApicVersion,
        WHvX64RegisterApicTpr,
        WHvX64RegisterApicPpr,
        WHvX64RegisterApicEoi,
        WHvX64RegisterApicLdr,
        WHvX64RegisterApicSpurious,
        WHvX64RegisterApicIsr0,
        WHvX64RegisterApicIsr1,
        WHvX64RegisterApicIsr2,
        WHvX64RegisterApicIsr3,
        WHvX64RegisterApicIsr4,
        WHvX64RegisterApicIsr5,
        WHvX64RegisterApicIsr6,
        WHvX64RegisterApicIsr7,
        WHvX64RegisterApicTmr0,
        WHvX64RegisterApicTmr1,
        WHvX64RegisterApicTmr2,
        WHvX64RegisterApicTmr3,
        WHvX64RegisterApicTmr4,
        WHvX64RegisterApicTmr5,
        WHvX64RegisterApicTmr6,
        WHvX64RegisterApicTmr7,
        WHvX64RegisterApicIrr0,
        WHvX64RegisterApicIrr1,
        WHvX64RegisterApicIrr2,
        WHvX64RegisterApicIrr3,
        WHvX64RegisterApicIrr4,
        WHvX64RegisterApicIrr5,
        WHvX64RegisterApicIrr6,
        WHvX64RegisterApicIrr7,
        WHvX64RegisterApicEse,
        WHvX64RegisterApicIcr,
        WHvX64RegisterApicLvtTimer,
        WHvX64RegisterApicLvtThermal,
        WHvX64RegisterApicLvtPerfmon,
        WHvX64RegisterApicLvtLint0,
        WHvX64RegisterApicLvtLint1,
        WHvX64RegisterApicLvtError,
        WHvX64RegisterApicInitCount,
        WHvX64RegisterApicCurrentCount,
        WHvX64RegisterApicDivide,
        WHvX64RegisterApicSelfIpi,
        WHvRegisterSint0,
        WHvRegisterSint1,
        WHvRegisterSint2,
        WHvRegisterSint3,
        WHvRegisterSint4,
        WHvRegisterSint5,
        WHvRegisterSint6,
        WHvRegisterSint7,
        WHvRegisterSint8,
        WHvRegisterSint9,
        WHvRegisterSint10,
        WHvRegisterSint11,
        WHvRegisterSint12,
        WHvRegisterSint13,
        WHvRegisterSint14,
        WHvRegisterSint15,
        WHvRegisterScontrol,
        WHvRegisterSversion,
        WHvRegisterSiefp,
        WHvRegisterSimp,
        WHvRegisterEom,
        WHvRegisterVpRuntime,
        WHvX64RegisterHypercall,
        WHvRegisterGuestOsId,
        WHvRegisterVpAssistPage,
        WHvRegisterReferenceTsc,
        WHvRegisterReferenceTscSequence,
    );
    // WHV_RUN_VP_CANCEL_REASON
    consts!(WHvRunVpCancelReasonUser,);
    // WHV_RUN_VP_EXIT_REASON
    consts!(
        WHvRunVpExitReasonNone,
        WHvRunVpExitReasonMemoryAccess,
        WHvRunVpExitReasonX64IoPortAccess,
        WHvRunVpExitReasonUnrecoverableException,
        WHvRunVpExitReasonInvalidVpRegisterValue,
        WHvRunVpExitReasonUnsupportedFeature,
        WHvRunVpExitReasonX64InterruptWindow,
        WHvRunVpExitReasonX64Halt,
        WHvRunVpExitReasonX64ApicEoi,
        WHvRunVpExitReasonSynicSintDeliverable,
        WHvRunVpExitReasonX64MsrAccess,
        WHvRunVpExitReasonX64Cpuid,
        WHvRunVpExitReasonException,
        WHvRunVpExitReasonX64Rdtsc,
        WHvRunVpExitReasonX64ApicSmiTrap,
        WHvRunVpExitReasonHypercall,
        WHvRunVpExitReasonX64ApicInitSipiTrap,
        WHvRunVpExitReasonX64ApicWriteTrap,
        WHvRunVpExitReasonCanceled,
    );
    // WHV_TRANSLATE_GVA_FLAGS
    consts!(
        WHvTranslateGvaFlagNone,
        WHvTranslateGvaFlagValidateRead,
        WHvTranslateGvaFlagValidateWrite,
        WHvTranslateGvaFlagValidateExecute,
        WHvTranslateGvaFlagPrivilegeExempt,
        WHvTranslateGvaFlagSetPageTableBits,
        WHvTranslateGvaFlagEnforceSmap,
        WHvTranslateGvaFlagOverrideSmap,
    );
    // WHV_TRANSLATE_GVA_RESULT_CODE
    consts!(
        WHvTranslateGvaResultSuccess,
        WHvTranslateGvaResultPageNotPresent,
        WHvTranslateGvaResultPrivilegeViolation,
        WHvTranslateGvaResultInvalidPageTableFlags,
        WHvTranslateGvaResultGpaUnmapped,
        WHvTranslateGvaResultGpaNoReadAccess,
        WHvTranslateGvaResultGpaNoWriteAccess,
        WHvTranslateGvaResultGpaIllegalOverlayAccess,
        WHvTranslateGvaResultIntercept,
    );
    // WHV_TRIGGER_TYPE
    consts!(
        WHvTriggerTypeInterrupt,
        WHvTriggerTypeSynicEvent,
        WHvTriggerTypeDeviceInterrupt,
    );
    // WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE
    consts!(WHvVirtualProcessorPropertyCodeNumaNode,);
    // WHV_VIRTUAL_PROCESSOR_STATE_TYPE
    consts!(
        WHvVirtualProcessorStateTypeSynicMessagePage,
        WHvVirtualProcessorStateTypeSynicEventFlagPage,
        WHvVirtualProcessorStateTypeSynicTimerState,
        WHvVirtualProcessorStateTypeInterruptControllerState2,
        WHvVirtualProcessorStateTypeXsaveState,
    );
    // WHV_VPCI_DEVICE_NOTIFICATION_TYPE
    consts!(
        WHvVpciDeviceNotificationUndefined,
        WHvVpciDeviceNotificationMmioRemapping,
        WHvVpciDeviceNotificationSurpriseRemoval,
    );
    // WHV_VPCI_DEVICE_PROPERTY_CODE
    consts!(
        WHvVpciDevicePropertyCodeUndefined,
        WHvVpciDevicePropertyCodeHardwareIDs,
        WHvVpciDevicePropertyCodeProbedBARs,
    );
    // WHV_VPCI_DEVICE_REGISTER_SPACE
    consts!(
        WHvVpciConfigSpace,
        WHvVpciBar0,
        WHvVpciBar1,
        WHvVpciBar2,
        WHvVpciBar3,
        WHvVpciBar4,
        WHvVpciBar5,
    );
    // WHV_VPCI_INTERRUPT_TARGET_FLAGS
    consts!(
        WHvVpciInterruptTargetFlagNone,
        WHvVpciInterruptTargetFlagMulticast,
    );
    // WHV_VPCI_MMIO_RANGE_FLAGS
    consts!(
        WHvVpciMmioRangeFlagReadAccess,
        WHvVpciMmioRangeFlagWriteAccess,
    );
    // WHV_X64_APIC_WRITE_TYPE
    consts!(
        WHvX64ApicWriteTypeLdr,
        WHvX64ApicWriteTypeDfr,
        WHvX64ApicWriteTypeSvr,
        WHvX64ApicWriteTypeLint0,
        WHvX64ApicWriteTypeLint1,
    );
    // WHV_X64_CPUID_RESULT2_FLAGS
    consts!(
        WHvX64CpuidResult2FlagSubleafSpecific,
        WHvX64CpuidResult2FlagVpSpecific,
    );
    // WHV_X64_LOCAL_APIC_EMULATION_MODE
    consts!(
        WHvX64LocalApicEmulationModeNone,
        WHvX64LocalApicEmulationModeXApic,
        WHvX64LocalApicEmulationModeX2Apic,
    );
    // WHV_X64_PENDING_EVENT_TYPE
    consts!(WHvX64PendingEventException, WHvX64PendingEventExtInt,);
    // WHV_X64_PENDING_INTERRUPTION_TYPE
    consts!(
        WHvX64PendingInterrupt,
        WHvX64PendingNmi,
        WHvX64PendingException,
    );
    // WHV_X64_UNSUPPORTED_FEATURE_CODE
    consts!(
        WHvUnsupportedFeatureIntercept,
        WHvUnsupportedFeatureTaskSwitchTss,
    );
}

#[test]
fn platform_values_windows_sys_lacks() {
    // In the x64 header only (`#ifdef __x86_64__`); windows-sys omits it.
    assert_eq!(defs::WHvCacheTypeWriteProtected.0, 5);
    // The header spells this one `Whv…`; windows-sys `WHv…`.
    assert_eq!(
        defs::WhvRunVpCancelReasonUser,
        defs::WHvRunVpCancelReasonUser
    );
    assert_eq!(defs::WHV_NOTIFICATION_PORT_PREFERRED_DURATION_MAX, u64::MAX);
    // Register names at and above 0x8000_0000 are negative as i32, as in
    // windows-sys; the bits are the header's.
    assert_eq!(defs::WHvRegisterPendingInterruption.0 as u32, 0x8000_0000);
    assert_eq!(
        defs::WHvX64RegisterPendingDebugException.0 as u32,
        0x8000_0006
    );
}

#[test]
fn open_enums_round_trip_unknown_values() {
    let unknown = defs::WHV_REGISTER_NAME(0x1234_5678);
    assert_eq!(unknown.name(), None);
    assert_eq!(defs::WHvX64RegisterRip.name(), Some("WHvX64RegisterRip"));
    assert_eq!(defs::WHV_REGISTER_NAME::ALL.len(), 226);
    assert_eq!(defs::WHV_RUN_VP_EXIT_REASON::ALL.len(), 19);
    assert_eq!(defs::WHV_CAPABILITY_CODE::ALL.len(), 17);
    assert_eq!(defs::WHV_PARTITION_PROPERTY_CODE::ALL.len(), 30);
}

#[test]
fn flag_enums_combine_like_define_enum_flag_operators() {
    let rwx = defs::WHvMapGpaRangeFlagRead
        | defs::WHvMapGpaRangeFlagWrite
        | defs::WHvMapGpaRangeFlagExecute;
    assert_eq!(rwx.0, 7);
    assert!(rwx.contains(defs::WHvMapGpaRangeFlagWrite));
    assert!(!rwx.contains(defs::WHvMapGpaRangeFlagTrackDirtyPages));
    assert_eq!((rwx & !defs::WHvMapGpaRangeFlagWrite).0, 5);
    let mut f = defs::WHvTranslateGvaFlagValidateRead;
    f |= defs::WHvTranslateGvaFlagEnforceSmap;
    assert_eq!(f.0, 0x101);
    f ^= defs::WHvTranslateGvaFlagValidateRead;
    assert_eq!(f, defs::WHvTranslateGvaFlagEnforceSmap);
}

#[test]
fn unions_default_to_zero() {
    let mut v = defs::WHV_REGISTER_VALUE::default();
    // SAFETY: every member of WHV_REGISTER_VALUE is plain integers, and
    // Default wrote all 16 bytes through Reg128.
    let r = unsafe { v.Reg128 };
    // SAFETY: WHV_UINT128 is integers only, all 16 bytes written.
    assert_eq!(unsafe { r.Dword }, [0; 4]);
    v.Reg64 = u64::MAX;
    // SAFETY: as above; Reg64 overwrote the low 8 bytes.
    let r = unsafe { v.Reg128 };
    // SAFETY: as above.
    assert_eq!(unsafe { r.Dword }, [u32::MAX, u32::MAX, 0, 0]);

    let e = defs::WHV_RUN_VP_EXIT_CONTEXT::default();
    assert_eq!(e.ExitReason, defs::WHvRunVpExitReasonNone);
    assert_eq!(e.VpContext, defs::WHV_VP_EXIT_CONTEXT::default());
    // SAFETY: the payload union holds only integers; Default wrote all of
    // it through its largest member, Hypercall.
    let h = unsafe { e.Anonymous.Hypercall };
    assert_eq!((h.Rax, h.Reserved1), (0, [0, 0]));

    let p = defs::WHV_PARTITION_PROPERTY::default();
    // SAFETY: integers only; Default wrote the whole union (CpuidResultList2).
    let list = unsafe { p.CpuidResultList2 };
    assert_eq!(list, [defs::WHV_X64_CPUID_RESULT2::default()]);

    let c = defs::WHV_CAPABILITY::default();
    // SAFETY: integers only; Default wrote the whole union.
    let banks = unsafe { c.ProcessorFeaturesBanks };
    // SAFETY: integers only, both banks written.
    let raw = unsafe { banks.Anonymous.AsUINT64 };
    assert_eq!(raw, [0, 0]);
}

/// Checks bitfield accessors against the header's `(shift, width)` of each
/// field: on zero, setting all ones sets exactly the field's bits and the
/// getter reads the field's maximum; from all ones, clearing clears exactly
/// them; a 1 lands on the field's lowest bit; no two fields overlap.
macro_rules! bits {
    ($ty:ident . $int:ident {
        $($hname:ident : $get:ident / $set:ident = $shift:expr, $width:expr;)*
    }) => {{
        let mut covered: u128 = 0;
        $(
            let name = concat!(stringify!($ty), ".", stringify!($hname));
            let (shift, width): (u32, u32) = ($shift, $width);
            let ones: u128 = (1u128 << width) - 1;
            let mask: u128 = ones << shift;

            let mut v = defs::$ty::default();
            v.$set(!0);
            assert_eq!(v.$int as u128, mask, "{name}: all ones on zero");
            assert_eq!(v.$get() as u128, ones, "{name}: read back");

            let mut v = defs::$ty::default();
            v.$int = !0;
            let full = v.$int as u128;
            assert_eq!(v.$get() as u128, ones, "{name}: read from all ones");
            v.$set(0);
            assert_eq!(v.$int as u128, full & !mask, "{name}: cleared from all ones");
            assert_eq!(v.$get() as u128, 0, "{name}: read back cleared");

            let mut v = defs::$ty::default();
            v.$set(1);
            assert_eq!(v.$int as u128, 1u128 << shift, "{name}: lowest bit");

            assert_eq!(covered & mask, 0, "{name}: overlaps another field");
            covered |= mask;
        )*
        let _ = covered;
    }};
}

#[test]
fn platform_bitfields_match_the_header() {
    bits!(WHV_CAPABILITY_FEATURES . AsUINT64 {
        PartialUnmap: partial_unmap / set_partial_unmap = 0, 1;
        LocalApicEmulation: local_apic_emulation / set_local_apic_emulation = 1, 1;
        Xsave: xsave / set_xsave = 2, 1;
        DirtyPageTracking: dirty_page_tracking / set_dirty_page_tracking = 3, 1;
        SpeculationControl: speculation_control / set_speculation_control = 4, 1;
        ApicRemoteRead: apic_remote_read / set_apic_remote_read = 5, 1;
        IdleSuspend: idle_suspend / set_idle_suspend = 6, 1;
        VirtualPciDeviceSupport: virtual_pci_device_support / set_virtual_pci_device_support = 7, 1;
        IommuSupport: iommu_support / set_iommu_support = 8, 1;
        VpHotAddRemove: vp_hot_add_remove / set_vp_hot_add_remove = 9, 1;
    });
    bits!(WHV_EXTENDED_VM_EXITS . AsUINT64 {
        X64CpuidExit: x64_cpuid_exit / set_x64_cpuid_exit = 0, 1;
        X64MsrExit: x64_msr_exit / set_x64_msr_exit = 1, 1;
        ExceptionExit: exception_exit / set_exception_exit = 2, 1;
        X64RdtscExit: x64_rdtsc_exit / set_x64_rdtsc_exit = 3, 1;
        X64ApicSmiExitTrap: x64_apic_smi_exit_trap / set_x64_apic_smi_exit_trap = 4, 1;
        HypercallExit: hypercall_exit / set_hypercall_exit = 5, 1;
        X64ApicInitSipiExitTrap: x64_apic_init_sipi_exit_trap / set_x64_apic_init_sipi_exit_trap = 6, 1;
        X64ApicWriteLint0ExitTrap: x64_apic_write_lint0_exit_trap / set_x64_apic_write_lint0_exit_trap = 7, 1;
        X64ApicWriteLint1ExitTrap: x64_apic_write_lint1_exit_trap / set_x64_apic_write_lint1_exit_trap = 8, 1;
        X64ApicWriteSvrExitTrap: x64_apic_write_svr_exit_trap / set_x64_apic_write_svr_exit_trap = 9, 1;
        UnknownSynicConnection: unknown_synic_connection / set_unknown_synic_connection = 10, 1;
        RetargetUnknownVpciDevice: retarget_unknown_vpci_device / set_retarget_unknown_vpci_device = 11, 1;
        X64ApicWriteLdrExitTrap: x64_apic_write_ldr_exit_trap / set_x64_apic_write_ldr_exit_trap = 12, 1;
        X64ApicWriteDfrExitTrap: x64_apic_write_dfr_exit_trap / set_x64_apic_write_dfr_exit_trap = 13, 1;
        GpaAccessFaultExit: gpa_access_fault_exit / set_gpa_access_fault_exit = 14, 1;
    });
    bits!(WHV_X64_MSR_EXIT_BITMAP . AsUINT64 {
        UnhandledMsrs: unhandled_msrs / set_unhandled_msrs = 0, 1;
        TscMsrWrite: tsc_msr_write / set_tsc_msr_write = 1, 1;
        TscMsrRead: tsc_msr_read / set_tsc_msr_read = 2, 1;
        ApicBaseMsrWrite: apic_base_msr_write / set_apic_base_msr_write = 3, 1;
        MiscEnableMsrRead: misc_enable_msr_read / set_misc_enable_msr_read = 4, 1;
        McUpdatePatchLevelMsrRead: mc_update_patch_level_msr_read / set_mc_update_patch_level_msr_read = 5, 1;
    });
    bits!(WHV_SCHEDULER_FEATURES . AsUINT64 {
        CpuReserve: cpu_reserve / set_cpu_reserve = 0, 1;
        CpuCap: cpu_cap / set_cpu_cap = 1, 1;
        CpuWeight: cpu_weight / set_cpu_weight = 2, 1;
        CpuGroupId: cpu_group_id / set_cpu_group_id = 3, 1;
        DisableSmt: disable_smt / set_disable_smt = 4, 1;
    });
    bits!(WHV_PROCESSOR_FEATURES . AsUINT64 {
        Sse3Support: sse3_support / set_sse3_support = 0, 1;
        LahfSahfSupport: lahf_sahf_support / set_lahf_sahf_support = 1, 1;
        Ssse3Support: ssse3_support / set_ssse3_support = 2, 1;
        Sse4_1Support: sse4_1_support / set_sse4_1_support = 3, 1;
        Sse4_2Support: sse4_2_support / set_sse4_2_support = 4, 1;
        Sse4aSupport: sse4a_support / set_sse4a_support = 5, 1;
        XopSupport: xop_support / set_xop_support = 6, 1;
        PopCntSupport: pop_cnt_support / set_pop_cnt_support = 7, 1;
        Cmpxchg16bSupport: cmpxchg16b_support / set_cmpxchg16b_support = 8, 1;
        Altmovcr8Support: altmovcr8_support / set_altmovcr8_support = 9, 1;
        LzcntSupport: lzcnt_support / set_lzcnt_support = 10, 1;
        MisAlignSseSupport: mis_align_sse_support / set_mis_align_sse_support = 11, 1;
        MmxExtSupport: mmx_ext_support / set_mmx_ext_support = 12, 1;
        Amd3DNowSupport: amd_3dnow_support / set_amd_3dnow_support = 13, 1;
        ExtendedAmd3DNowSupport: extended_amd_3dnow_support / set_extended_amd_3dnow_support = 14, 1;
        Page1GbSupport: page_1gb_support / set_page_1gb_support = 15, 1;
        AesSupport: aes_support / set_aes_support = 16, 1;
        PclmulqdqSupport: pclmulqdq_support / set_pclmulqdq_support = 17, 1;
        PcidSupport: pcid_support / set_pcid_support = 18, 1;
        Fma4Support: fma4_support / set_fma4_support = 19, 1;
        F16CSupport: f16c_support / set_f16c_support = 20, 1;
        RdRandSupport: rd_rand_support / set_rd_rand_support = 21, 1;
        RdWrFsGsSupport: rd_wr_fs_gs_support / set_rd_wr_fs_gs_support = 22, 1;
        SmepSupport: smep_support / set_smep_support = 23, 1;
        EnhancedFastStringSupport: enhanced_fast_string_support / set_enhanced_fast_string_support = 24, 1;
        Bmi1Support: bmi1_support / set_bmi1_support = 25, 1;
        Bmi2Support: bmi2_support / set_bmi2_support = 26, 1;
        MovbeSupport: movbe_support / set_movbe_support = 29, 1;
        Npiep1Support: npiep1_support / set_npiep1_support = 30, 1;
        DepX87FPUSaveSupport: dep_x87_fpu_save_support / set_dep_x87_fpu_save_support = 31, 1;
        RdSeedSupport: rd_seed_support / set_rd_seed_support = 32, 1;
        AdxSupport: adx_support / set_adx_support = 33, 1;
        IntelPrefetchSupport: intel_prefetch_support / set_intel_prefetch_support = 34, 1;
        SmapSupport: smap_support / set_smap_support = 35, 1;
        HleSupport: hle_support / set_hle_support = 36, 1;
        RtmSupport: rtm_support / set_rtm_support = 37, 1;
        RdtscpSupport: rdtscp_support / set_rdtscp_support = 38, 1;
        ClflushoptSupport: clflushopt_support / set_clflushopt_support = 39, 1;
        ClwbSupport: clwb_support / set_clwb_support = 40, 1;
        ShaSupport: sha_support / set_sha_support = 41, 1;
        X87PointersSavedSupport: x87_pointers_saved_support / set_x87_pointers_saved_support = 42, 1;
        InvpcidSupport: invpcid_support / set_invpcid_support = 43, 1;
        IbrsSupport: ibrs_support / set_ibrs_support = 44, 1;
        StibpSupport: stibp_support / set_stibp_support = 45, 1;
        IbpbSupport: ibpb_support / set_ibpb_support = 46, 1;
        SsbdSupport: ssbd_support / set_ssbd_support = 48, 1;
        FastShortRepMovSupport: fast_short_rep_mov_support / set_fast_short_rep_mov_support = 49, 1;
        RdclNo: rdcl_no / set_rdcl_no = 51, 1;
        IbrsAllSupport: ibrs_all_support / set_ibrs_all_support = 52, 1;
        SsbNo: ssb_no / set_ssb_no = 54, 1;
        RsbANo: rsb_a_no / set_rsb_a_no = 55, 1;
        RdPidSupport: rd_pid_support / set_rd_pid_support = 57, 1;
        UmipSupport: umip_support / set_umip_support = 58, 1;
        MdsNoSupport: mds_no_support / set_mds_no_support = 59, 1;
        MdClearSupport: md_clear_support / set_md_clear_support = 60, 1;
        TaaNoSupport: taa_no_support / set_taa_no_support = 61, 1;
        TsxCtrlSupport: tsx_ctrl_support / set_tsx_ctrl_support = 62, 1;
    });
    bits!(WHV_PROCESSOR_FEATURES1 . AsUINT64 {
        ACountMCountSupport: acount_mcount_support / set_acount_mcount_support = 0, 1;
        TscInvariantSupport: tsc_invariant_support / set_tsc_invariant_support = 1, 1;
        ClZeroSupport: cl_zero_support / set_cl_zero_support = 2, 1;
        RdpruSupport: rdpru_support / set_rdpru_support = 3, 1;
        NestedVirtSupport: nested_virt_support / set_nested_virt_support = 6, 1;
        PsfdSupport: psfd_support / set_psfd_support = 7, 1;
        CetSsSupport: cet_ss_support / set_cet_ss_support = 8, 1;
        CetIbtSupport: cet_ibt_support / set_cet_ibt_support = 9, 1;
        VmxExceptionInjectSupport: vmx_exception_inject_support / set_vmx_exception_inject_support = 10, 1;
        UmwaitTpauseSupport: umwait_tpause_support / set_umwait_tpause_support = 12, 1;
        MovdiriSupport: movdiri_support / set_movdiri_support = 13, 1;
        Movdir64bSupport: movdir64b_support / set_movdir64b_support = 14, 1;
        CldemoteSupport: cldemote_support / set_cldemote_support = 15, 1;
        SerializeSupport: serialize_support / set_serialize_support = 16, 1;
        TscDeadlineTmrSupport: tsc_deadline_tmr_support / set_tsc_deadline_tmr_support = 17, 1;
        TscAdjustSupport: tsc_adjust_support / set_tsc_adjust_support = 18, 1;
        FZLRepMovsb: fzl_rep_movsb / set_fzl_rep_movsb = 19, 1;
        FSRepStosb: fs_rep_stosb / set_fs_rep_stosb = 20, 1;
        FSRepCmpsb: fs_rep_cmpsb / set_fs_rep_cmpsb = 21, 1;
    });
    bits!(WHV_SYNTHETIC_PROCESSOR_FEATURES . AsUINT64 {
        HypervisorPresent: hypervisor_present / set_hypervisor_present = 0, 1;
        Hv1: hv1 / set_hv1 = 1, 1;
        AccessVpRunTimeReg: access_vp_run_time_reg / set_access_vp_run_time_reg = 2, 1;
        AccessPartitionReferenceCounter: access_partition_reference_counter / set_access_partition_reference_counter = 3, 1;
        AccessSynicRegs: access_synic_regs / set_access_synic_regs = 4, 1;
        AccessSyntheticTimerRegs: access_synthetic_timer_regs / set_access_synthetic_timer_regs = 5, 1;
        AccessIntrCtrlRegs: access_intr_ctrl_regs / set_access_intr_ctrl_regs = 6, 1;
        AccessHypercallRegs: access_hypercall_regs / set_access_hypercall_regs = 7, 1;
        AccessVpIndex: access_vp_index / set_access_vp_index = 8, 1;
        AccessPartitionReferenceTsc: access_partition_reference_tsc / set_access_partition_reference_tsc = 9, 1;
        AccessGuestIdleReg: access_guest_idle_reg / set_access_guest_idle_reg = 10, 1;
        AccessFrequencyRegs: access_frequency_regs / set_access_frequency_regs = 11, 1;
        EnableExtendedGvaRangesForFlushVirtualAddressList: enable_extended_gva_ranges_for_flush_virtual_address_list / set_enable_extended_gva_ranges_for_flush_virtual_address_list = 15, 1;
        FastHypercallOutput: fast_hypercall_output / set_fast_hypercall_output = 18, 1;
        DirectSyntheticTimers: direct_synthetic_timers / set_direct_synthetic_timers = 22, 1;
        ExtendedProcessorMasks: extended_processor_masks / set_extended_processor_masks = 24, 1;
        TbFlushHypercalls: tb_flush_hypercalls / set_tb_flush_hypercalls = 25, 1;
        SyntheticClusterIpi: synthetic_cluster_ipi / set_synthetic_cluster_ipi = 26, 1;
        NotifyLongSpinWait: notify_long_spin_wait / set_notify_long_spin_wait = 27, 1;
        QueryNumaDistance: query_numa_distance / set_query_numa_distance = 28, 1;
        SignalEvents: signal_events / set_signal_events = 29, 1;
        RetargetDeviceInterrupt: retarget_device_interrupt / set_retarget_device_interrupt = 30, 1;
    });
    bits!(WHV_PROCESSOR_XSAVE_FEATURES . AsUINT64 {
        XsaveSupport: xsave_support / set_xsave_support = 0, 1;
        XsaveoptSupport: xsaveopt_support / set_xsaveopt_support = 1, 1;
        AvxSupport: avx_support / set_avx_support = 2, 1;
        Avx2Support: avx2_support / set_avx2_support = 3, 1;
        FmaSupport: fma_support / set_fma_support = 4, 1;
        MpxSupport: mpx_support / set_mpx_support = 5, 1;
        Avx512Support: avx512_support / set_avx512_support = 6, 1;
        Avx512DQSupport: avx512_dq_support / set_avx512_dq_support = 7, 1;
        Avx512CDSupport: avx512_cd_support / set_avx512_cd_support = 8, 1;
        Avx512BWSupport: avx512_bw_support / set_avx512_bw_support = 9, 1;
        Avx512VLSupport: avx512_vl_support / set_avx512_vl_support = 10, 1;
        XsaveCompSupport: xsave_comp_support / set_xsave_comp_support = 11, 1;
        XsaveSupervisorSupport: xsave_supervisor_support / set_xsave_supervisor_support = 12, 1;
        Xcr1Support: xcr1_support / set_xcr1_support = 13, 1;
        Avx512BitalgSupport: avx512_bitalg_support / set_avx512_bitalg_support = 14, 1;
        Avx512IfmaSupport: avx512_ifma_support / set_avx512_ifma_support = 15, 1;
        Avx512VBmiSupport: avx512_vbmi_support / set_avx512_vbmi_support = 16, 1;
        Avx512VBmi2Support: avx512_vbmi2_support / set_avx512_vbmi2_support = 17, 1;
        Avx512VnniSupport: avx512_vnni_support / set_avx512_vnni_support = 18, 1;
        GfniSupport: gfni_support / set_gfni_support = 19, 1;
        VaesSupport: vaes_support / set_vaes_support = 20, 1;
        Avx512VPopcntdqSupport: avx512_vpopcntdq_support / set_avx512_vpopcntdq_support = 21, 1;
        VpclmulqdqSupport: vpclmulqdq_support / set_vpclmulqdq_support = 22, 1;
        Avx512Bf16Support: avx512_bf16_support / set_avx512_bf16_support = 23, 1;
        Avx512Vp2IntersectSupport: avx512_vp2intersect_support / set_avx512_vp2intersect_support = 24, 1;
        Avx512Fp16Support: avx512_fp16_support / set_avx512_fp16_support = 25, 1;
        XfdSupport: xfd_support / set_xfd_support = 26, 1;
        AmxTileSupport: amx_tile_support / set_amx_tile_support = 27, 1;
        AmxBf16Support: amx_bf16_support / set_amx_bf16_support = 28, 1;
        AmxInt8Support: amx_int8_support / set_amx_int8_support = 29, 1;
        AvxVnniSupport: avx_vnni_support / set_avx_vnni_support = 30, 1;
    });
    bits!(WHV_PROCESSOR_PERFMON_FEATURES . AsUINT64 {
        PmuSupport: pmu_support / set_pmu_support = 0, 1;
        LbrSupport: lbr_support / set_lbr_support = 1, 1;
    });
    bits!(WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS . AsUINT32 {
        Prefetch: prefetch / set_prefetch = 0, 1;
        AvoidHardFaults: avoid_hard_faults / set_avoid_hard_faults = 1, 1;
    });
    bits!(WHV_X64_INTERRUPT_STATE_REGISTER . AsUINT64 {
        InterruptShadow: interrupt_shadow / set_interrupt_shadow = 0, 1;
        NmiMasked: nmi_masked / set_nmi_masked = 1, 1;
    });
    bits!(WHV_X64_PENDING_INTERRUPTION_REGISTER . AsUINT64 {
        InterruptionPending: interruption_pending / set_interruption_pending = 0, 1;
        InterruptionType: interruption_type / set_interruption_type = 1, 3;
        DeliverErrorCode: deliver_error_code / set_deliver_error_code = 4, 1;
        InstructionLength: instruction_length / set_instruction_length = 5, 4;
        NestedEvent: nested_event / set_nested_event = 9, 1;
        InterruptionVector: interruption_vector / set_interruption_vector = 16, 16;
        ErrorCode: error_code / set_error_code = 32, 32;
    });
    bits!(WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER . AsUINT64 {
        NmiNotification: nmi_notification / set_nmi_notification = 0, 1;
        InterruptNotification: interrupt_notification / set_interrupt_notification = 1, 1;
        InterruptPriority: interrupt_priority / set_interrupt_priority = 2, 4;
    });
    bits!(WHV_INTERNAL_ACTIVITY_REGISTER . AsUINT64 {
        StartupSuspend: startup_suspend / set_startup_suspend = 0, 1;
        HaltSuspend: halt_suspend / set_halt_suspend = 1, 1;
        IdleSuspend: idle_suspend / set_idle_suspend = 2, 1;
    });
    bits!(WHV_X64_PENDING_DEBUG_EXCEPTION . AsUINT64 {
        Breakpoint0: breakpoint0 / set_breakpoint0 = 0, 1;
        Breakpoint1: breakpoint1 / set_breakpoint1 = 1, 1;
        Breakpoint2: breakpoint2 / set_breakpoint2 = 2, 1;
        Breakpoint3: breakpoint3 / set_breakpoint3 = 3, 1;
        SingleStep: single_step / set_single_step = 4, 1;
    });
    bits!(WHV_X64_VP_EXECUTION_STATE . AsUINT16 {
        Cpl: cpl / set_cpl = 0, 2;
        Cr0Pe: cr0_pe / set_cr0_pe = 2, 1;
        Cr0Am: cr0_am / set_cr0_am = 3, 1;
        EferLma: efer_lma / set_efer_lma = 4, 1;
        DebugActive: debug_active / set_debug_active = 5, 1;
        InterruptionPending: interruption_pending / set_interruption_pending = 6, 1;
        InterruptShadow: interrupt_shadow / set_interrupt_shadow = 12, 1;
    });
    bits!(WHV_MEMORY_ACCESS_INFO . AsUINT32 {
        AccessType: access_type / set_access_type = 0, 2;
        GpaUnmapped: gpa_unmapped / set_gpa_unmapped = 2, 1;
        GvaValid: gva_valid / set_gva_valid = 3, 1;
    });
    bits!(WHV_X64_IO_PORT_ACCESS_INFO . AsUINT32 {
        IsWrite: is_write / set_is_write = 0, 1;
        AccessSize: access_size / set_access_size = 1, 3;
        StringOp: string_op / set_string_op = 4, 1;
        RepPrefix: rep_prefix / set_rep_prefix = 5, 1;
    });
    bits!(WHV_X64_MSR_ACCESS_INFO . AsUINT32 {
        IsWrite: is_write / set_is_write = 0, 1;
    });
    bits!(WHV_VP_EXCEPTION_INFO . AsUINT32 {
        ErrorCodeValid: error_code_valid / set_error_code_valid = 0, 1;
        SoftwareException: software_exception / set_software_exception = 1, 1;
    });
    bits!(WHV_X64_RDTSC_INFO . AsUINT64 {
        IsRdtscp: is_rdtscp / set_is_rdtscp = 0, 1;
    });
    // The bitfields inside structs and data unions.
    bits!(WHV_X64_SEGMENT_REGISTER . Attributes {
        SegmentType: segment_type / set_segment_type = 0, 4;
        NonSystemSegment: non_system_segment / set_non_system_segment = 4, 1;
        DescriptorPrivilegeLevel: descriptor_privilege_level / set_descriptor_privilege_level = 5, 2;
        Present: present / set_present = 7, 1;
        Available: available / set_available = 12, 1;
        Long: long / set_long = 13, 1;
        Default: default_bit / set_default_bit = 14, 1;
        Granularity: granularity / set_granularity = 15, 1;
    });
    bits!(WHV_X64_FP_REGISTER_0 . _bitfield {
        BiasedExponent: biased_exponent / set_biased_exponent = 0, 15;
        Sign: sign / set_sign = 15, 1;
    });
    bits!(WHV_X64_PENDING_EXCEPTION_EVENT_0 . _bitfield {
        EventPending: event_pending / set_event_pending = 0, 1;
        EventType: event_type / set_event_type = 1, 3;
        DeliverErrorCode: deliver_error_code / set_deliver_error_code = 8, 1;
        Vector: vector / set_vector = 16, 16;
    });
    bits!(WHV_X64_PENDING_EXT_INT_EVENT_0 . _bitfield {
        EventPending: event_pending / set_event_pending = 0, 1;
        EventType: event_type / set_event_type = 1, 3;
        Vector: vector / set_vector = 8, 8;
    });
    bits!(WHV_VP_EXIT_CONTEXT . _bitfield {
        InstructionLength: instruction_length / set_instruction_length = 0, 4;
        Cr8: cr8 / set_cr8 = 4, 4;
    });
    bits!(WHV_INTERRUPT_CONTROL . _bitfield {
        Type: r#type / set_type = 0, 8;
        DestinationMode: destination_mode / set_destination_mode = 8, 4;
        TriggerMode: trigger_mode / set_trigger_mode = 12, 4;
    });
    bits!(WHV_DOORBELL_MATCH_DATA . _bitfield {
        MatchOnValue: match_on_value / set_match_on_value = 0, 1;
        MatchOnLength: match_on_length / set_match_on_length = 1, 1;
    });
    bits!(WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP . _bitfield {
        IsSupported: is_supported / set_is_supported = 0, 1;
    });
}

#[test]
fn bitfields_build_well_known_values() {
    // A flat 64-bit code segment: type 0xB, S, P, L, G.
    let mut cs = defs::WHV_X64_SEGMENT_REGISTER::default();
    cs.set_segment_type(0xb);
    cs.set_non_system_segment(1);
    cs.set_present(1);
    cs.set_long(1);
    cs.set_granularity(1);
    assert_eq!(cs.Attributes, 0xa09b);

    // #PF with error code 2, as WHvRegisterPendingInterruption.
    let mut pi = defs::WHV_X64_PENDING_INTERRUPTION_REGISTER::default();
    pi.set_interruption_pending(1);
    pi.set_interruption_type(defs::WHvX64PendingException.0 as u64);
    pi.set_deliver_error_code(1);
    pi.set_interruption_vector(14);
    pi.set_error_code(2);
    assert_eq!(
        pi.AsUINT64,
        (2 << 32) | (14 << 16) | (1 << 4) | (3 << 1) | 1
    );

    // CPL 3 with an interrupt shadow.
    let es = defs::WHV_X64_VP_EXECUTION_STATE { AsUINT16: 0x1003 };
    assert_eq!(es.cpl(), 3);
    assert_eq!(es.interrupt_shadow(), 1);
    assert_eq!(es.cr0_pe(), 0);

    // A 4-byte `out` I/O access.
    let io = defs::WHV_X64_IO_PORT_ACCESS_INFO { AsUINT32: 0b1001 };
    assert_eq!((io.is_write(), io.access_size(), io.string_op()), (1, 4, 0));

    // Setters mask to the field's width and leave the neighbours alone.
    let mut x = defs::WHV_EXTENDED_VM_EXITS::default();
    x.set_exception_exit(0xff);
    x.set_x64_msr_exit(1);
    assert_eq!(x.AsUINT64, 0b110);
}
