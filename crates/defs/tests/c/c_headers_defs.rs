//! The `winhv-defs` side of `c_headers.rs`: the size and alignment of every
//! WHV struct, union, enum and alias of the Rust twin, the offset of each of
//! its named top-level fields (a C anonymous union flattened into its
//! integer is compared through that integer: `Attributes`, `AsUINT64`),
//! every constant, and every `bitfield!` accessor's bits.
//! Listed from the crate's source by `c_headers_gen.py defs`; rerun it when
//! types are added.

use super::Expect;
use core::mem::{align_of, offset_of, size_of};
use winhv_defs as defs;

/// A constant as a number, whether a plain integer or an open enum.
trait Val {
    fn val(&self) -> i128;
}

macro_rules! int_val {
    ($($t:ty),*) => { $(impl Val for $t { fn val(&self) -> i128 { *self as i128 } })* };
}
int_val!(i32, u32, u64);

macro_rules! enum_val {
    ($($t:ident),* $(,)?) => { $(impl Val for defs::$t { fn val(&self) -> i128 { self.0 as i128 } })* };
}
enum_val!(
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
    HRESULT,
);

macro_rules! ty {
    ($v:ident, $t:ident) => {{
        $v.push((
            format!("size {}", stringify!($t)),
            size_of::<defs::$t>() as i128,
        ));
        $v.push((
            format!("align {}", stringify!($t)),
            align_of::<defs::$t>() as i128,
        ));
    }};
}

macro_rules! off {
    ($v:ident, $t:ident, $c:literal, $f:ident) => {
        $v.push((
            format!("offset {}.{}", stringify!($t), $c),
            offset_of!(defs::$t, $f) as i128,
        ))
    };
}

macro_rules! consts {
    ($v:ident: $($c:ident),* $(,)?) => {
        $( $v.push((format!("const {}", stringify!($c)), defs::$c.val())); )*
    };
}

/// Every expectation from `winhv-defs`.
pub fn expectations() -> Vec<Expect> {
    let mut v = Vec::new();
    ty!(v, GUID);
    off!(v, GUID, "Data1", data1);
    off!(v, GUID, "Data2", data2);
    off!(v, GUID, "Data3", data3);
    off!(v, GUID, "Data4", data4);
    ty!(v, WHV_ACCESS_GPA_CONTROLS);
    off!(v, WHV_ACCESS_GPA_CONTROLS, "AsUINT64", AsUINT64);
    ty!(v, WHV_ADVISE_GPA_RANGE);
    off!(v, WHV_ADVISE_GPA_RANGE, "Populate", Populate);
    ty!(v, WHV_ADVISE_GPA_RANGE_POPULATE);
    off!(v, WHV_ADVISE_GPA_RANGE_POPULATE, "Flags", Flags);
    off!(v, WHV_ADVISE_GPA_RANGE_POPULATE, "AccessType", AccessType);
    ty!(v, WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS);
    off!(v, WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS, "AsUINT32", AsUINT32);
    ty!(v, WHV_CAPABILITY);
    off!(v, WHV_CAPABILITY, "HypervisorPresent", HypervisorPresent);
    off!(v, WHV_CAPABILITY, "Features", Features);
    off!(v, WHV_CAPABILITY, "ExtendedVmExits", ExtendedVmExits);
    off!(v, WHV_CAPABILITY, "ProcessorVendor", ProcessorVendor);
    off!(v, WHV_CAPABILITY, "ProcessorFeatures", ProcessorFeatures);
    off!(
        v,
        WHV_CAPABILITY,
        "SyntheticProcessorFeaturesBanks",
        SyntheticProcessorFeaturesBanks
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorXsaveFeatures",
        ProcessorXsaveFeatures
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorClFlushSize",
        ProcessorClFlushSize
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ExceptionExitBitmap",
        ExceptionExitBitmap
    );
    off!(v, WHV_CAPABILITY, "X64MsrExitBitmap", X64MsrExitBitmap);
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorClockFrequency",
        ProcessorClockFrequency
    );
    off!(
        v,
        WHV_CAPABILITY,
        "InterruptClockFrequency",
        InterruptClockFrequency
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorFeaturesBanks",
        ProcessorFeaturesBanks
    );
    off!(
        v,
        WHV_CAPABILITY,
        "GpaRangePopulateFlags",
        GpaRangePopulateFlags
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorFrequencyCap",
        ProcessorFrequencyCap
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorPerfmonFeatures",
        ProcessorPerfmonFeatures
    );
    off!(v, WHV_CAPABILITY, "SchedulerFeatures", SchedulerFeatures);
    ty!(v, WHV_CAPABILITY_FEATURES);
    off!(v, WHV_CAPABILITY_FEATURES, "AsUINT64", AsUINT64);
    ty!(v, WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP);
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "HighestFrequencyMhz",
        HighestFrequencyMhz
    );
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "NominalFrequencyMhz",
        NominalFrequencyMhz
    );
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "LowestFrequencyMhz",
        LowestFrequencyMhz
    );
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "FrequencyStepMhz",
        FrequencyStepMhz
    );
    ty!(v, WHV_CPUID_OUTPUT);
    off!(v, WHV_CPUID_OUTPUT, "Eax", Eax);
    off!(v, WHV_CPUID_OUTPUT, "Ebx", Ebx);
    off!(v, WHV_CPUID_OUTPUT, "Ecx", Ecx);
    off!(v, WHV_CPUID_OUTPUT, "Edx", Edx);
    ty!(v, WHV_DOORBELL_MATCH_DATA);
    off!(v, WHV_DOORBELL_MATCH_DATA, "GuestAddress", GuestAddress);
    off!(v, WHV_DOORBELL_MATCH_DATA, "Value", Value);
    off!(v, WHV_DOORBELL_MATCH_DATA, "Length", Length);
    ty!(v, WHV_EMULATOR_CALLBACKS);
    off!(v, WHV_EMULATOR_CALLBACKS, "Size", Size);
    off!(v, WHV_EMULATOR_CALLBACKS, "Reserved", Reserved);
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorIoPortCallback",
        WHvEmulatorIoPortCallback
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorMemoryCallback",
        WHvEmulatorMemoryCallback
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorGetVirtualProcessorRegisters",
        WHvEmulatorGetVirtualProcessorRegisters
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorSetVirtualProcessorRegisters",
        WHvEmulatorSetVirtualProcessorRegisters
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorTranslateGvaPage",
        WHvEmulatorTranslateGvaPage
    );
    ty!(v, WHV_EMULATOR_IO_ACCESS_INFO);
    off!(v, WHV_EMULATOR_IO_ACCESS_INFO, "Direction", Direction);
    off!(v, WHV_EMULATOR_IO_ACCESS_INFO, "Port", Port);
    off!(v, WHV_EMULATOR_IO_ACCESS_INFO, "AccessSize", AccessSize);
    off!(v, WHV_EMULATOR_IO_ACCESS_INFO, "Data", Data);
    ty!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO);
    off!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "GpaAddress", GpaAddress);
    off!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "Direction", Direction);
    off!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "AccessSize", AccessSize);
    off!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "Data", Data);
    ty!(v, WHV_EMULATOR_STATUS);
    off!(v, WHV_EMULATOR_STATUS, "AsUINT32", AsUINT32);
    ty!(v, WHV_EXTENDED_VM_EXITS);
    off!(v, WHV_EXTENDED_VM_EXITS, "AsUINT64", AsUINT64);
    ty!(v, WHV_HYPERCALL_CONTEXT);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rax", Rax);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rbx", Rbx);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rcx", Rcx);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rdx", Rdx);
    off!(v, WHV_HYPERCALL_CONTEXT, "R8", R8);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rsi", Rsi);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rdi", Rdi);
    off!(v, WHV_HYPERCALL_CONTEXT, "Reserved0", Reserved0);
    off!(v, WHV_HYPERCALL_CONTEXT, "XmmRegisters", XmmRegisters);
    off!(v, WHV_HYPERCALL_CONTEXT, "Reserved1", Reserved1);
    ty!(v, WHV_INTERNAL_ACTIVITY_REGISTER);
    off!(v, WHV_INTERNAL_ACTIVITY_REGISTER, "AsUINT64", AsUINT64);
    ty!(v, WHV_INTERRUPT_CONTROL);
    off!(v, WHV_INTERRUPT_CONTROL, "Destination", Destination);
    off!(v, WHV_INTERRUPT_CONTROL, "Vector", Vector);
    ty!(v, WHV_MEMORY_ACCESS_CONTEXT);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "InstructionByteCount",
        InstructionByteCount
    );
    off!(v, WHV_MEMORY_ACCESS_CONTEXT, "Reserved", Reserved);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "InstructionBytes",
        InstructionBytes
    );
    off!(v, WHV_MEMORY_ACCESS_CONTEXT, "AccessInfo", AccessInfo);
    off!(v, WHV_MEMORY_ACCESS_CONTEXT, "Gpa", Gpa);
    off!(v, WHV_MEMORY_ACCESS_CONTEXT, "Gva", Gva);
    ty!(v, WHV_MEMORY_ACCESS_INFO);
    off!(v, WHV_MEMORY_ACCESS_INFO, "AsUINT32", AsUINT32);
    ty!(v, WHV_MEMORY_RANGE_ENTRY);
    off!(v, WHV_MEMORY_RANGE_ENTRY, "GuestAddress", GuestAddress);
    off!(v, WHV_MEMORY_RANGE_ENTRY, "SizeInBytes", SizeInBytes);
    ty!(v, WHV_MSR_ACTION_ENTRY);
    off!(v, WHV_MSR_ACTION_ENTRY, "Index", Index);
    off!(v, WHV_MSR_ACTION_ENTRY, "ReadAction", ReadAction);
    off!(v, WHV_MSR_ACTION_ENTRY, "WriteAction", WriteAction);
    off!(v, WHV_MSR_ACTION_ENTRY, "Reserved", Reserved);
    ty!(v, WHV_NOTIFICATION_PORT_PARAMETERS);
    off!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "NotificationPortType",
        NotificationPortType
    );
    off!(v, WHV_NOTIFICATION_PORT_PARAMETERS, "Reserved", Reserved);
    ty!(v, WHV_PARTITION_MEMORY_COUNTERS);
    off!(
        v,
        WHV_PARTITION_MEMORY_COUNTERS,
        "Mapped4KPageCount",
        Mapped4KPageCount
    );
    off!(
        v,
        WHV_PARTITION_MEMORY_COUNTERS,
        "Mapped2MPageCount",
        Mapped2MPageCount
    );
    off!(
        v,
        WHV_PARTITION_MEMORY_COUNTERS,
        "Mapped1GPageCount",
        Mapped1GPageCount
    );
    ty!(v, WHV_PARTITION_PROPERTY);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ExtendedVmExits",
        ExtendedVmExits
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFeatures",
        ProcessorFeatures
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "SyntheticProcessorFeaturesBanks",
        SyntheticProcessorFeaturesBanks
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorXsaveFeatures",
        ProcessorXsaveFeatures
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorClFlushSize",
        ProcessorClFlushSize
    );
    off!(v, WHV_PARTITION_PROPERTY, "ProcessorCount", ProcessorCount);
    off!(v, WHV_PARTITION_PROPERTY, "CpuidExitList", CpuidExitList);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidResultList",
        CpuidResultList
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidResultList2",
        CpuidResultList2
    );
    off!(v, WHV_PARTITION_PROPERTY, "MsrActionList", MsrActionList);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "UnimplementedMsrAction",
        UnimplementedMsrAction
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ExceptionExitBitmap",
        ExceptionExitBitmap
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "LocalApicEmulationMode",
        LocalApicEmulationMode
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "SeparateSecurityDomain",
        SeparateSecurityDomain
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "NestedVirtualization",
        NestedVirtualization
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "X64MsrExitBitmap",
        X64MsrExitBitmap
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorClockFrequency",
        ProcessorClockFrequency
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "InterruptClockFrequency",
        InterruptClockFrequency
    );
    off!(v, WHV_PARTITION_PROPERTY, "ApicRemoteRead", ApicRemoteRead);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFeaturesBanks",
        ProcessorFeaturesBanks
    );
    off!(v, WHV_PARTITION_PROPERTY, "ReferenceTime", ReferenceTime);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "PrimaryNumaNode",
        PrimaryNumaNode
    );
    off!(v, WHV_PARTITION_PROPERTY, "CpuReserve", CpuReserve);
    off!(v, WHV_PARTITION_PROPERTY, "CpuCap", CpuCap);
    off!(v, WHV_PARTITION_PROPERTY, "CpuWeight", CpuWeight);
    off!(v, WHV_PARTITION_PROPERTY, "CpuGroupId", CpuGroupId);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFrequencyCap",
        ProcessorFrequencyCap
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "AllowDeviceAssignment",
        AllowDeviceAssignment
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorPerfmonFeatures",
        ProcessorPerfmonFeatures
    );
    off!(v, WHV_PARTITION_PROPERTY, "DisableSmt", DisableSmt);
    ty!(v, WHV_PROCESSOR_APIC_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "MmioAccessCount",
        MmioAccessCount
    );
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "EoiAccessCount",
        EoiAccessCount
    );
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "TprAccessCount",
        TprAccessCount
    );
    off!(v, WHV_PROCESSOR_APIC_COUNTERS, "SentIpiCount", SentIpiCount);
    off!(v, WHV_PROCESSOR_APIC_COUNTERS, "SelfIpiCount", SelfIpiCount);
    ty!(v, WHV_PROCESSOR_EVENT_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_EVENT_COUNTERS,
        "PageFaultCount",
        PageFaultCount
    );
    off!(
        v,
        WHV_PROCESSOR_EVENT_COUNTERS,
        "ExceptionCount",
        ExceptionCount
    );
    off!(
        v,
        WHV_PROCESSOR_EVENT_COUNTERS,
        "InterruptCount",
        InterruptCount
    );
    ty!(v, WHV_PROCESSOR_FEATURES);
    off!(v, WHV_PROCESSOR_FEATURES, "AsUINT64", AsUINT64);
    ty!(v, WHV_PROCESSOR_FEATURES1);
    off!(v, WHV_PROCESSOR_FEATURES1, "AsUINT64", AsUINT64);
    ty!(v, WHV_PROCESSOR_FEATURES_BANKS);
    off!(v, WHV_PROCESSOR_FEATURES_BANKS, "BanksCount", BanksCount);
    off!(v, WHV_PROCESSOR_FEATURES_BANKS, "Reserved0", Reserved0);
    ty!(v, WHV_PROCESSOR_INTERCEPT_COUNTER);
    off!(v, WHV_PROCESSOR_INTERCEPT_COUNTER, "Count", Count);
    off!(v, WHV_PROCESSOR_INTERCEPT_COUNTER, "Time100ns", Time100ns);
    ty!(v, WHV_PROCESSOR_INTERCEPT_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PageInvalidations",
        PageInvalidations
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "ControlRegisterAccesses",
        ControlRegisterAccesses
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "IoInstructions",
        IoInstructions
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "HaltInstructions",
        HaltInstructions
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "CpuidInstructions",
        CpuidInstructions
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "MsrAccesses",
        MsrAccesses
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "OtherIntercepts",
        OtherIntercepts
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PendingInterrupts",
        PendingInterrupts
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "EmulatedInstructions",
        EmulatedInstructions
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "DebugRegisterAccesses",
        DebugRegisterAccesses
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PageFaultIntercepts",
        PageFaultIntercepts
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "NestedPageFaultIntercepts",
        NestedPageFaultIntercepts
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "Hypercalls",
        Hypercalls
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "RdpmcInstructions",
        RdpmcInstructions
    );
    ty!(v, WHV_PROCESSOR_PERFMON_FEATURES);
    off!(v, WHV_PROCESSOR_PERFMON_FEATURES, "AsUINT64", AsUINT64);
    ty!(v, WHV_PROCESSOR_RUNTIME_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_RUNTIME_COUNTERS,
        "TotalRuntime100ns",
        TotalRuntime100ns
    );
    off!(
        v,
        WHV_PROCESSOR_RUNTIME_COUNTERS,
        "HypervisorRuntime100ns",
        HypervisorRuntime100ns
    );
    ty!(v, WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "SyntheticInterruptsCount",
        SyntheticInterruptsCount
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "LongSpinWaitHypercallsCount",
        LongSpinWaitHypercallsCount
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "OtherHypercallsCount",
        OtherHypercallsCount
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "SyntheticInterruptHypercallsCount",
        SyntheticInterruptHypercallsCount
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "VirtualInterruptHypercallsCount",
        VirtualInterruptHypercallsCount
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "VirtualMmuHypercallsCount",
        VirtualMmuHypercallsCount
    );
    ty!(v, WHV_PROCESSOR_XSAVE_FEATURES);
    off!(v, WHV_PROCESSOR_XSAVE_FEATURES, "AsUINT64", AsUINT64);
    ty!(v, WHV_REGISTER_VALUE);
    off!(v, WHV_REGISTER_VALUE, "Reg128", Reg128);
    off!(v, WHV_REGISTER_VALUE, "Reg64", Reg64);
    off!(v, WHV_REGISTER_VALUE, "Reg32", Reg32);
    off!(v, WHV_REGISTER_VALUE, "Reg16", Reg16);
    off!(v, WHV_REGISTER_VALUE, "Reg8", Reg8);
    off!(v, WHV_REGISTER_VALUE, "Fp", Fp);
    off!(v, WHV_REGISTER_VALUE, "FpControlStatus", FpControlStatus);
    off!(v, WHV_REGISTER_VALUE, "XmmControlStatus", XmmControlStatus);
    off!(v, WHV_REGISTER_VALUE, "Segment", Segment);
    off!(v, WHV_REGISTER_VALUE, "Table", Table);
    off!(v, WHV_REGISTER_VALUE, "InterruptState", InterruptState);
    off!(
        v,
        WHV_REGISTER_VALUE,
        "PendingInterruption",
        PendingInterruption
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "DeliverabilityNotifications",
        DeliverabilityNotifications
    );
    off!(v, WHV_REGISTER_VALUE, "ExceptionEvent", ExceptionEvent);
    off!(v, WHV_REGISTER_VALUE, "ExtIntEvent", ExtIntEvent);
    off!(v, WHV_REGISTER_VALUE, "InternalActivity", InternalActivity);
    off!(
        v,
        WHV_REGISTER_VALUE,
        "PendingDebugException",
        PendingDebugException
    );
    ty!(v, WHV_RUN_VP_CANCELED_CONTEXT);
    off!(v, WHV_RUN_VP_CANCELED_CONTEXT, "CancelReason", CancelReason);
    ty!(v, WHV_RUN_VP_EXIT_CONTEXT);
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "ExitReason", ExitReason);
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "Reserved", Reserved);
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "VpContext", VpContext);
    ty!(v, WHV_SCHEDULER_FEATURES);
    off!(v, WHV_SCHEDULER_FEATURES, "AsUINT64", AsUINT64);
    ty!(v, WHV_SRIOV_RESOURCE_DESCRIPTOR);
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "PnpInstanceId",
        PnpInstanceId
    );
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "VirtualFunctionId",
        VirtualFunctionId
    );
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "VirtualFunctionIndex",
        VirtualFunctionIndex
    );
    off!(v, WHV_SRIOV_RESOURCE_DESCRIPTOR, "Reserved", Reserved);
    ty!(v, WHV_SYNIC_EVENT_PARAMETERS);
    off!(v, WHV_SYNIC_EVENT_PARAMETERS, "VpIndex", VpIndex);
    off!(v, WHV_SYNIC_EVENT_PARAMETERS, "TargetSint", TargetSint);
    off!(v, WHV_SYNIC_EVENT_PARAMETERS, "Reserved", Reserved);
    off!(v, WHV_SYNIC_EVENT_PARAMETERS, "FlagNumber", FlagNumber);
    ty!(v, WHV_SYNIC_SINT_DELIVERABLE_CONTEXT);
    off!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "DeliverableSints",
        DeliverableSints
    );
    off!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "Reserved1",
        Reserved1
    );
    off!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "Reserved2",
        Reserved2
    );
    ty!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES);
    off!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES, "AsUINT64", AsUINT64);
    ty!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS);
    off!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
        "BanksCount",
        BanksCount
    );
    off!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
        "Reserved0",
        Reserved0
    );
    ty!(v, WHV_TRANSLATE_GVA_RESULT);
    off!(v, WHV_TRANSLATE_GVA_RESULT, "ResultCode", ResultCode);
    off!(v, WHV_TRANSLATE_GVA_RESULT, "Reserved", Reserved);
    ty!(v, WHV_TRIGGER_PARAMETERS);
    off!(v, WHV_TRIGGER_PARAMETERS, "TriggerType", TriggerType);
    off!(v, WHV_TRIGGER_PARAMETERS, "Reserved", Reserved);
    ty!(v, WHV_UINT128);
    off!(v, WHV_UINT128, "Dword", Dword);
    ty!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY);
    off!(
        v,
        WHV_VIRTUAL_PROCESSOR_PROPERTY,
        "PropertyCode",
        PropertyCode
    );
    off!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY, "Reserved", Reserved);
    ty!(v, WHV_VPCI_DEVICE_NOTIFICATION);
    off!(
        v,
        WHV_VPCI_DEVICE_NOTIFICATION,
        "NotificationType",
        NotificationType
    );
    off!(v, WHV_VPCI_DEVICE_NOTIFICATION, "Reserved1", Reserved1);
    ty!(v, WHV_VPCI_DEVICE_REGISTER);
    off!(v, WHV_VPCI_DEVICE_REGISTER, "Location", Location);
    off!(v, WHV_VPCI_DEVICE_REGISTER, "SizeInBytes", SizeInBytes);
    off!(v, WHV_VPCI_DEVICE_REGISTER, "OffsetInBytes", OffsetInBytes);
    ty!(v, WHV_VPCI_HARDWARE_IDS);
    off!(v, WHV_VPCI_HARDWARE_IDS, "VendorID", VendorID);
    off!(v, WHV_VPCI_HARDWARE_IDS, "DeviceID", DeviceID);
    off!(v, WHV_VPCI_HARDWARE_IDS, "RevisionID", RevisionID);
    off!(v, WHV_VPCI_HARDWARE_IDS, "ProgIf", ProgIf);
    off!(v, WHV_VPCI_HARDWARE_IDS, "SubClass", SubClass);
    off!(v, WHV_VPCI_HARDWARE_IDS, "BaseClass", BaseClass);
    off!(v, WHV_VPCI_HARDWARE_IDS, "SubVendorID", SubVendorID);
    off!(v, WHV_VPCI_HARDWARE_IDS, "SubSystemID", SubSystemID);
    ty!(v, WHV_VPCI_INTERRUPT_TARGET);
    off!(v, WHV_VPCI_INTERRUPT_TARGET, "Vector", Vector);
    off!(v, WHV_VPCI_INTERRUPT_TARGET, "Flags", Flags);
    off!(
        v,
        WHV_VPCI_INTERRUPT_TARGET,
        "ProcessorCount",
        ProcessorCount
    );
    off!(v, WHV_VPCI_INTERRUPT_TARGET, "Processors", Processors);
    ty!(v, WHV_VPCI_MMIO_MAPPING);
    off!(v, WHV_VPCI_MMIO_MAPPING, "Location", Location);
    off!(v, WHV_VPCI_MMIO_MAPPING, "Flags", Flags);
    off!(v, WHV_VPCI_MMIO_MAPPING, "SizeInBytes", SizeInBytes);
    off!(v, WHV_VPCI_MMIO_MAPPING, "OffsetInBytes", OffsetInBytes);
    off!(v, WHV_VPCI_MMIO_MAPPING, "VirtualAddress", VirtualAddress);
    ty!(v, WHV_VPCI_PROBED_BARS);
    off!(v, WHV_VPCI_PROBED_BARS, "Value", Value);
    ty!(v, WHV_VP_EXCEPTION_CONTEXT);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "InstructionByteCount",
        InstructionByteCount
    );
    off!(v, WHV_VP_EXCEPTION_CONTEXT, "Reserved", Reserved);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "InstructionBytes",
        InstructionBytes
    );
    off!(v, WHV_VP_EXCEPTION_CONTEXT, "ExceptionInfo", ExceptionInfo);
    off!(v, WHV_VP_EXCEPTION_CONTEXT, "ExceptionType", ExceptionType);
    off!(v, WHV_VP_EXCEPTION_CONTEXT, "Reserved2", Reserved2);
    off!(v, WHV_VP_EXCEPTION_CONTEXT, "ErrorCode", ErrorCode);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "ExceptionParameter",
        ExceptionParameter
    );
    ty!(v, WHV_VP_EXCEPTION_INFO);
    off!(v, WHV_VP_EXCEPTION_INFO, "AsUINT32", AsUINT32);
    ty!(v, WHV_VP_EXIT_CONTEXT);
    off!(v, WHV_VP_EXIT_CONTEXT, "ExecutionState", ExecutionState);
    off!(v, WHV_VP_EXIT_CONTEXT, "Reserved", Reserved);
    off!(v, WHV_VP_EXIT_CONTEXT, "Reserved2", Reserved2);
    off!(v, WHV_VP_EXIT_CONTEXT, "Cs", Cs);
    off!(v, WHV_VP_EXIT_CONTEXT, "Rip", Rip);
    off!(v, WHV_VP_EXIT_CONTEXT, "Rflags", Rflags);
    ty!(v, WHV_X64_APIC_EOI_CONTEXT);
    off!(
        v,
        WHV_X64_APIC_EOI_CONTEXT,
        "InterruptVector",
        InterruptVector
    );
    ty!(v, WHV_X64_APIC_INIT_SIPI_CONTEXT);
    off!(v, WHV_X64_APIC_INIT_SIPI_CONTEXT, "ApicIcr", ApicIcr);
    ty!(v, WHV_X64_APIC_SMI_CONTEXT);
    off!(v, WHV_X64_APIC_SMI_CONTEXT, "ApicIcr", ApicIcr);
    ty!(v, WHV_X64_APIC_WRITE_CONTEXT);
    off!(v, WHV_X64_APIC_WRITE_CONTEXT, "Type", Type);
    off!(v, WHV_X64_APIC_WRITE_CONTEXT, "Reserved", Reserved);
    off!(v, WHV_X64_APIC_WRITE_CONTEXT, "WriteValue", WriteValue);
    ty!(v, WHV_X64_CPUID_ACCESS_CONTEXT);
    off!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rax", Rax);
    off!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rcx", Rcx);
    off!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rdx", Rdx);
    off!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rbx", Rbx);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRax",
        DefaultResultRax
    );
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRcx",
        DefaultResultRcx
    );
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRdx",
        DefaultResultRdx
    );
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRbx",
        DefaultResultRbx
    );
    ty!(v, WHV_X64_CPUID_RESULT);
    off!(v, WHV_X64_CPUID_RESULT, "Function", Function);
    off!(v, WHV_X64_CPUID_RESULT, "Reserved", Reserved);
    off!(v, WHV_X64_CPUID_RESULT, "Eax", Eax);
    off!(v, WHV_X64_CPUID_RESULT, "Ebx", Ebx);
    off!(v, WHV_X64_CPUID_RESULT, "Ecx", Ecx);
    off!(v, WHV_X64_CPUID_RESULT, "Edx", Edx);
    ty!(v, WHV_X64_CPUID_RESULT2);
    off!(v, WHV_X64_CPUID_RESULT2, "Function", Function);
    off!(v, WHV_X64_CPUID_RESULT2, "Index", Index);
    off!(v, WHV_X64_CPUID_RESULT2, "VpIndex", VpIndex);
    off!(v, WHV_X64_CPUID_RESULT2, "Flags", Flags);
    off!(v, WHV_X64_CPUID_RESULT2, "Output", Output);
    off!(v, WHV_X64_CPUID_RESULT2, "Mask", Mask);
    ty!(v, WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER);
    off!(
        v,
        WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
        "AsUINT64",
        AsUINT64
    );
    ty!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER);
    off!(
        v,
        WHV_X64_FP_CONTROL_STATUS_REGISTER,
        "AsUINT128",
        AsUINT128
    );
    ty!(v, WHV_X64_FP_REGISTER);
    off!(v, WHV_X64_FP_REGISTER, "AsUINT128", AsUINT128);
    ty!(v, WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT);
    off!(
        v,
        WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT,
        "DeliverableType",
        DeliverableType
    );
    ty!(v, WHV_X64_INTERRUPT_STATE_REGISTER);
    off!(v, WHV_X64_INTERRUPT_STATE_REGISTER, "AsUINT64", AsUINT64);
    ty!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "InstructionByteCount",
        InstructionByteCount
    );
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Reserved", Reserved);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "InstructionBytes",
        InstructionBytes
    );
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "AccessInfo", AccessInfo);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "PortNumber", PortNumber);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Reserved2", Reserved2);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rax", Rax);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rcx", Rcx);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rsi", Rsi);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rdi", Rdi);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Ds", Ds);
    off!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Es", Es);
    ty!(v, WHV_X64_IO_PORT_ACCESS_INFO);
    off!(v, WHV_X64_IO_PORT_ACCESS_INFO, "AsUINT32", AsUINT32);
    ty!(v, WHV_X64_MSR_ACCESS_CONTEXT);
    off!(v, WHV_X64_MSR_ACCESS_CONTEXT, "AccessInfo", AccessInfo);
    off!(v, WHV_X64_MSR_ACCESS_CONTEXT, "MsrNumber", MsrNumber);
    off!(v, WHV_X64_MSR_ACCESS_CONTEXT, "Rax", Rax);
    off!(v, WHV_X64_MSR_ACCESS_CONTEXT, "Rdx", Rdx);
    ty!(v, WHV_X64_MSR_ACCESS_INFO);
    off!(v, WHV_X64_MSR_ACCESS_INFO, "AsUINT32", AsUINT32);
    ty!(v, WHV_X64_MSR_EXIT_BITMAP);
    off!(v, WHV_X64_MSR_EXIT_BITMAP, "AsUINT64", AsUINT64);
    ty!(v, WHV_X64_PENDING_DEBUG_EXCEPTION);
    off!(v, WHV_X64_PENDING_DEBUG_EXCEPTION, "AsUINT64", AsUINT64);
    ty!(v, WHV_X64_PENDING_EXCEPTION_EVENT);
    off!(v, WHV_X64_PENDING_EXCEPTION_EVENT, "AsUINT128", AsUINT128);
    ty!(v, WHV_X64_PENDING_EXT_INT_EVENT);
    off!(v, WHV_X64_PENDING_EXT_INT_EVENT, "AsUINT128", AsUINT128);
    ty!(v, WHV_X64_PENDING_INTERRUPTION_REGISTER);
    off!(
        v,
        WHV_X64_PENDING_INTERRUPTION_REGISTER,
        "AsUINT64",
        AsUINT64
    );
    ty!(v, WHV_X64_RDTSC_CONTEXT);
    off!(v, WHV_X64_RDTSC_CONTEXT, "TscAux", TscAux);
    off!(v, WHV_X64_RDTSC_CONTEXT, "VirtualOffset", VirtualOffset);
    off!(v, WHV_X64_RDTSC_CONTEXT, "Tsc", Tsc);
    off!(v, WHV_X64_RDTSC_CONTEXT, "ReferenceTime", ReferenceTime);
    off!(v, WHV_X64_RDTSC_CONTEXT, "RdtscInfo", RdtscInfo);
    ty!(v, WHV_X64_RDTSC_INFO);
    off!(v, WHV_X64_RDTSC_INFO, "AsUINT64", AsUINT64);
    ty!(v, WHV_X64_SEGMENT_REGISTER);
    off!(v, WHV_X64_SEGMENT_REGISTER, "Base", Base);
    off!(v, WHV_X64_SEGMENT_REGISTER, "Limit", Limit);
    off!(v, WHV_X64_SEGMENT_REGISTER, "Selector", Selector);
    off!(v, WHV_X64_SEGMENT_REGISTER, "Attributes", Attributes);
    ty!(v, WHV_X64_TABLE_REGISTER);
    off!(v, WHV_X64_TABLE_REGISTER, "Pad", Pad);
    off!(v, WHV_X64_TABLE_REGISTER, "Limit", Limit);
    off!(v, WHV_X64_TABLE_REGISTER, "Base", Base);
    ty!(v, WHV_X64_UNSUPPORTED_FEATURE_CONTEXT);
    off!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "FeatureCode",
        FeatureCode
    );
    off!(v, WHV_X64_UNSUPPORTED_FEATURE_CONTEXT, "Reserved", Reserved);
    off!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "FeatureParameter",
        FeatureParameter
    );
    ty!(v, WHV_X64_VP_EXECUTION_STATE);
    off!(v, WHV_X64_VP_EXECUTION_STATE, "AsUINT16", AsUINT16);
    ty!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER);
    off!(
        v,
        WHV_X64_XMM_CONTROL_STATUS_REGISTER,
        "AsUINT128",
        AsUINT128
    );
    ty!(v, WHV_ADVISE_GPA_RANGE_CODE);
    ty!(v, WHV_ALLOCATE_VPCI_RESOURCE_FLAGS);
    ty!(v, WHV_CACHE_TYPE);
    ty!(v, WHV_CAPABILITY_CODE);
    ty!(v, WHV_CREATE_VPCI_DEVICE_FLAGS);
    ty!(v, WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK);
    ty!(v, WHV_EMULATOR_HANDLE);
    ty!(v, WHV_EMULATOR_IO_PORT_CALLBACK);
    ty!(v, WHV_EMULATOR_MEMORY_CALLBACK);
    ty!(v, WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK);
    ty!(v, WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK);
    ty!(v, WHV_EXCEPTION_TYPE);
    ty!(v, WHV_GUEST_PHYSICAL_ADDRESS);
    ty!(v, WHV_GUEST_VIRTUAL_ADDRESS);
    ty!(v, WHV_INTERRUPT_DESTINATION_MODE);
    ty!(v, WHV_INTERRUPT_TRIGGER_MODE);
    ty!(v, WHV_INTERRUPT_TYPE);
    ty!(v, WHV_MAP_GPA_RANGE_FLAGS);
    ty!(v, WHV_MEMORY_ACCESS_TYPE);
    ty!(v, WHV_MSR_ACTION);
    ty!(v, WHV_NOTIFICATION_PORT_HANDLE);
    ty!(v, WHV_NOTIFICATION_PORT_PROPERTY);
    ty!(v, WHV_NOTIFICATION_PORT_PROPERTY_CODE);
    ty!(v, WHV_NOTIFICATION_PORT_TYPE);
    ty!(v, WHV_PARTITION_COUNTER_SET);
    ty!(v, WHV_PARTITION_HANDLE);
    ty!(v, WHV_PARTITION_PROPERTY_CODE);
    ty!(v, WHV_PROCESSOR_ACTIVITY_COUNTERS);
    ty!(v, WHV_PROCESSOR_COUNTER_SET);
    ty!(v, WHV_PROCESSOR_GUEST_EVENT_COUNTERS);
    ty!(v, WHV_PROCESSOR_VENDOR);
    ty!(v, WHV_REGISTER_NAME);
    ty!(v, WHV_RUN_VP_CANCEL_REASON);
    ty!(v, WHV_RUN_VP_EXIT_REASON);
    ty!(v, WHV_TRANSLATE_GVA_FLAGS);
    ty!(v, WHV_TRANSLATE_GVA_RESULT_CODE);
    ty!(v, WHV_TRIGGER_HANDLE);
    ty!(v, WHV_TRIGGER_TYPE);
    ty!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE);
    ty!(v, WHV_VIRTUAL_PROCESSOR_STATE_TYPE);
    ty!(v, WHV_VPCI_DEVICE_NOTIFICATION_TYPE);
    ty!(v, WHV_VPCI_DEVICE_PROPERTY_CODE);
    ty!(v, WHV_VPCI_DEVICE_REGISTER_SPACE);
    ty!(v, WHV_VPCI_INTERRUPT_TARGET_FLAGS);
    ty!(v, WHV_VPCI_MMIO_RANGE_FLAGS);
    ty!(v, WHV_X64_APIC_WRITE_TYPE);
    ty!(v, WHV_X64_CPUID_RESULT2_FLAGS);
    ty!(v, WHV_X64_LOCAL_APIC_EMULATION_MODE);
    ty!(v, WHV_X64_PENDING_EVENT_TYPE);
    ty!(v, WHV_X64_PENDING_INTERRUPTION_TYPE);
    ty!(v, WHV_X64_UNSUPPORTED_FEATURE_CODE);
    consts!(v:
        WHvAdviseGpaRangeCodePopulate, WHvAdviseGpaRangeCodePin, WHvAdviseGpaRangeCodeUnpin, WHvAllocateVpciResourceFlagNone,
        WHvAllocateVpciResourceFlagAllowDirectP2P, WHvCacheTypeUncached, WHvCacheTypeWriteCombining, WHvCacheTypeWriteThrough,
        WHvCacheTypeWriteProtected, WHvCacheTypeWriteBack, WHvCapabilityCodeHypervisorPresent, WHvCapabilityCodeFeatures,
        WHvCapabilityCodeExtendedVmExits, WHvCapabilityCodeExceptionExitBitmap, WHvCapabilityCodeX64MsrExitBitmap, WHvCapabilityCodeGpaRangePopulateFlags,
        WHvCapabilityCodeSchedulerFeatures, WHvCapabilityCodeProcessorVendor, WHvCapabilityCodeProcessorFeatures, WHvCapabilityCodeProcessorClFlushSize,
        WHvCapabilityCodeProcessorXsaveFeatures, WHvCapabilityCodeProcessorClockFrequency, WHvCapabilityCodeInterruptClockFrequency, WHvCapabilityCodeProcessorFeaturesBanks,
        WHvCapabilityCodeProcessorFrequencyCap, WHvCapabilityCodeSyntheticProcessorFeaturesBanks, WHvCapabilityCodeProcessorPerfmonFeatures, WHvCreateVpciDeviceFlagNone,
        WHvCreateVpciDeviceFlagPhysicallyBacked, WHvCreateVpciDeviceFlagUseLogicalInterrupts, WHvX64ExceptionTypeDivideErrorFault, WHvX64ExceptionTypeDebugTrapOrFault,
        WHvX64ExceptionTypeBreakpointTrap, WHvX64ExceptionTypeOverflowTrap, WHvX64ExceptionTypeBoundRangeFault, WHvX64ExceptionTypeInvalidOpcodeFault,
        WHvX64ExceptionTypeDeviceNotAvailableFault, WHvX64ExceptionTypeDoubleFaultAbort, WHvX64ExceptionTypeInvalidTaskStateSegmentFault, WHvX64ExceptionTypeSegmentNotPresentFault,
        WHvX64ExceptionTypeStackFault, WHvX64ExceptionTypeGeneralProtectionFault, WHvX64ExceptionTypePageFault, WHvX64ExceptionTypeFloatingPointErrorFault,
        WHvX64ExceptionTypeAlignmentCheckFault, WHvX64ExceptionTypeMachineCheckAbort, WHvX64ExceptionTypeSimdFloatingPointFault, WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptDestinationModeLogical, WHvX64InterruptTriggerModeEdge, WHvX64InterruptTriggerModeLevel, WHvX64InterruptTypeFixed,
        WHvX64InterruptTypeLowestPriority, WHvX64InterruptTypeNmi, WHvX64InterruptTypeInit, WHvX64InterruptTypeSipi,
        WHvX64InterruptTypeLocalInt1, WHvMapGpaRangeFlagNone, WHvMapGpaRangeFlagRead, WHvMapGpaRangeFlagWrite,
        WHvMapGpaRangeFlagExecute, WHvMapGpaRangeFlagTrackDirtyPages, WHvMemoryAccessRead, WHvMemoryAccessWrite,
        WHvMemoryAccessExecute, WHvMsrActionArchitectureDefault, WHvMsrActionIgnoreWriteReadZero, WHvMsrActionExit,
        WHvNotificationPortPropertyPreferredTargetVp, WHvNotificationPortPropertyPreferredTargetDuration, WHvNotificationPortTypeEvent, WHvNotificationPortTypeDoorbell,
        WHvPartitionCounterSetMemory, WHvPartitionPropertyCodeExtendedVmExits, WHvPartitionPropertyCodeExceptionExitBitmap, WHvPartitionPropertyCodeSeparateSecurityDomain,
        WHvPartitionPropertyCodeNestedVirtualization, WHvPartitionPropertyCodeX64MsrExitBitmap, WHvPartitionPropertyCodePrimaryNumaNode, WHvPartitionPropertyCodeCpuReserve,
        WHvPartitionPropertyCodeCpuCap, WHvPartitionPropertyCodeCpuWeight, WHvPartitionPropertyCodeCpuGroupId, WHvPartitionPropertyCodeProcessorFrequencyCap,
        WHvPartitionPropertyCodeAllowDeviceAssignment, WHvPartitionPropertyCodeDisableSmt, WHvPartitionPropertyCodeProcessorFeatures, WHvPartitionPropertyCodeProcessorClFlushSize,
        WHvPartitionPropertyCodeCpuidExitList, WHvPartitionPropertyCodeCpuidResultList, WHvPartitionPropertyCodeLocalApicEmulationMode, WHvPartitionPropertyCodeProcessorXsaveFeatures,
        WHvPartitionPropertyCodeProcessorClockFrequency, WHvPartitionPropertyCodeInterruptClockFrequency, WHvPartitionPropertyCodeApicRemoteReadSupport, WHvPartitionPropertyCodeProcessorFeaturesBanks,
        WHvPartitionPropertyCodeReferenceTime, WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks, WHvPartitionPropertyCodeCpuidResultList2, WHvPartitionPropertyCodeProcessorPerfmonFeatures,
        WHvPartitionPropertyCodeMsrActionList, WHvPartitionPropertyCodeUnimplementedMsrAction, WHvPartitionPropertyCodeProcessorCount, WHvProcessorCounterSetRuntime,
        WHvProcessorCounterSetIntercepts, WHvProcessorCounterSetEvents, WHvProcessorCounterSetApic, WHvProcessorCounterSetSyntheticFeatures,
        WHvProcessorVendorAmd, WHvProcessorVendorIntel, WHvProcessorVendorHygon, WHvX64RegisterRax,
        WHvX64RegisterRcx, WHvX64RegisterRdx, WHvX64RegisterRbx, WHvX64RegisterRsp,
        WHvX64RegisterRbp, WHvX64RegisterRsi, WHvX64RegisterRdi, WHvX64RegisterR8,
        WHvX64RegisterR9, WHvX64RegisterR10, WHvX64RegisterR11, WHvX64RegisterR12,
        WHvX64RegisterR13, WHvX64RegisterR14, WHvX64RegisterR15, WHvX64RegisterRip,
        WHvX64RegisterRflags, WHvX64RegisterEs, WHvX64RegisterCs, WHvX64RegisterSs,
        WHvX64RegisterDs, WHvX64RegisterFs, WHvX64RegisterGs, WHvX64RegisterLdtr,
        WHvX64RegisterTr, WHvX64RegisterIdtr, WHvX64RegisterGdtr, WHvX64RegisterCr0,
        WHvX64RegisterCr2, WHvX64RegisterCr3, WHvX64RegisterCr4, WHvX64RegisterCr8,
        WHvX64RegisterDr0, WHvX64RegisterDr1, WHvX64RegisterDr2, WHvX64RegisterDr3,
        WHvX64RegisterDr6, WHvX64RegisterDr7, WHvX64RegisterXCr0, WHvX64RegisterVirtualCr0,
        WHvX64RegisterVirtualCr3, WHvX64RegisterVirtualCr4, WHvX64RegisterVirtualCr8, WHvX64RegisterXmm0,
        WHvX64RegisterXmm1, WHvX64RegisterXmm2, WHvX64RegisterXmm3, WHvX64RegisterXmm4,
        WHvX64RegisterXmm5, WHvX64RegisterXmm6, WHvX64RegisterXmm7, WHvX64RegisterXmm8,
        WHvX64RegisterXmm9, WHvX64RegisterXmm10, WHvX64RegisterXmm11, WHvX64RegisterXmm12,
        WHvX64RegisterXmm13, WHvX64RegisterXmm14, WHvX64RegisterXmm15, WHvX64RegisterFpMmx0,
        WHvX64RegisterFpMmx1, WHvX64RegisterFpMmx2, WHvX64RegisterFpMmx3, WHvX64RegisterFpMmx4,
        WHvX64RegisterFpMmx5, WHvX64RegisterFpMmx6, WHvX64RegisterFpMmx7, WHvX64RegisterFpControlStatus,
        WHvX64RegisterXmmControlStatus, WHvX64RegisterTsc, WHvX64RegisterEfer, WHvX64RegisterKernelGsBase,
        WHvX64RegisterApicBase, WHvX64RegisterPat, WHvX64RegisterSysenterCs, WHvX64RegisterSysenterEip,
        WHvX64RegisterSysenterEsp, WHvX64RegisterStar, WHvX64RegisterLstar, WHvX64RegisterCstar,
        WHvX64RegisterSfmask, WHvX64RegisterInitialApicId, WHvX64RegisterMsrMtrrCap, WHvX64RegisterMsrMtrrDefType,
        WHvX64RegisterMsrMtrrPhysBase0, WHvX64RegisterMsrMtrrPhysBase1, WHvX64RegisterMsrMtrrPhysBase2, WHvX64RegisterMsrMtrrPhysBase3,
        WHvX64RegisterMsrMtrrPhysBase4, WHvX64RegisterMsrMtrrPhysBase5, WHvX64RegisterMsrMtrrPhysBase6, WHvX64RegisterMsrMtrrPhysBase7,
        WHvX64RegisterMsrMtrrPhysBase8, WHvX64RegisterMsrMtrrPhysBase9, WHvX64RegisterMsrMtrrPhysBaseA, WHvX64RegisterMsrMtrrPhysBaseB,
        WHvX64RegisterMsrMtrrPhysBaseC, WHvX64RegisterMsrMtrrPhysBaseD, WHvX64RegisterMsrMtrrPhysBaseE, WHvX64RegisterMsrMtrrPhysBaseF,
        WHvX64RegisterMsrMtrrPhysMask0, WHvX64RegisterMsrMtrrPhysMask1, WHvX64RegisterMsrMtrrPhysMask2, WHvX64RegisterMsrMtrrPhysMask3,
        WHvX64RegisterMsrMtrrPhysMask4, WHvX64RegisterMsrMtrrPhysMask5, WHvX64RegisterMsrMtrrPhysMask6, WHvX64RegisterMsrMtrrPhysMask7,
        WHvX64RegisterMsrMtrrPhysMask8, WHvX64RegisterMsrMtrrPhysMask9, WHvX64RegisterMsrMtrrPhysMaskA, WHvX64RegisterMsrMtrrPhysMaskB,
        WHvX64RegisterMsrMtrrPhysMaskC, WHvX64RegisterMsrMtrrPhysMaskD, WHvX64RegisterMsrMtrrPhysMaskE, WHvX64RegisterMsrMtrrPhysMaskF,
        WHvX64RegisterMsrMtrrFix64k00000, WHvX64RegisterMsrMtrrFix16k80000, WHvX64RegisterMsrMtrrFix16kA0000, WHvX64RegisterMsrMtrrFix4kC0000,
        WHvX64RegisterMsrMtrrFix4kC8000, WHvX64RegisterMsrMtrrFix4kD0000, WHvX64RegisterMsrMtrrFix4kD8000, WHvX64RegisterMsrMtrrFix4kE0000,
        WHvX64RegisterMsrMtrrFix4kE8000, WHvX64RegisterMsrMtrrFix4kF0000, WHvX64RegisterMsrMtrrFix4kF8000, WHvX64RegisterTscAux,
        WHvX64RegisterBndcfgs, WHvX64RegisterMCount, WHvX64RegisterACount, WHvX64RegisterSpecCtrl,
        WHvX64RegisterPredCmd, WHvX64RegisterTscVirtualOffset, WHvX64RegisterTsxCtrl, WHvX64RegisterXss,
        WHvX64RegisterUCet, WHvX64RegisterSCet, WHvX64RegisterSsp, WHvX64RegisterPl0Ssp,
        WHvX64RegisterPl1Ssp, WHvX64RegisterPl2Ssp, WHvX64RegisterPl3Ssp, WHvX64RegisterInterruptSspTableAddr,
        WHvX64RegisterTscDeadline, WHvX64RegisterTscAdjust, WHvX64RegisterUmwaitControl, WHvX64RegisterXfd,
        WHvX64RegisterXfdErr, WHvX64RegisterApicId, WHvX64RegisterApicVersion, WHvX64RegisterApicTpr,
        WHvX64RegisterApicPpr, WHvX64RegisterApicEoi, WHvX64RegisterApicLdr, WHvX64RegisterApicSpurious,
        WHvX64RegisterApicIsr0, WHvX64RegisterApicIsr1, WHvX64RegisterApicIsr2, WHvX64RegisterApicIsr3,
        WHvX64RegisterApicIsr4, WHvX64RegisterApicIsr5, WHvX64RegisterApicIsr6, WHvX64RegisterApicIsr7,
        WHvX64RegisterApicTmr0, WHvX64RegisterApicTmr1, WHvX64RegisterApicTmr2, WHvX64RegisterApicTmr3,
        WHvX64RegisterApicTmr4, WHvX64RegisterApicTmr5, WHvX64RegisterApicTmr6, WHvX64RegisterApicTmr7,
        WHvX64RegisterApicIrr0, WHvX64RegisterApicIrr1, WHvX64RegisterApicIrr2, WHvX64RegisterApicIrr3,
        WHvX64RegisterApicIrr4, WHvX64RegisterApicIrr5, WHvX64RegisterApicIrr6, WHvX64RegisterApicIrr7,
        WHvX64RegisterApicEse, WHvX64RegisterApicIcr, WHvX64RegisterApicLvtTimer, WHvX64RegisterApicLvtThermal,
        WHvX64RegisterApicLvtPerfmon, WHvX64RegisterApicLvtLint0, WHvX64RegisterApicLvtLint1, WHvX64RegisterApicLvtError,
        WHvX64RegisterApicInitCount, WHvX64RegisterApicCurrentCount, WHvX64RegisterApicDivide, WHvX64RegisterApicSelfIpi,
        WHvRegisterSint0, WHvRegisterSint1, WHvRegisterSint2, WHvRegisterSint3,
        WHvRegisterSint4, WHvRegisterSint5, WHvRegisterSint6, WHvRegisterSint7,
        WHvRegisterSint8, WHvRegisterSint9, WHvRegisterSint10, WHvRegisterSint11,
        WHvRegisterSint12, WHvRegisterSint13, WHvRegisterSint14, WHvRegisterSint15,
        WHvRegisterScontrol, WHvRegisterSversion, WHvRegisterSiefp, WHvRegisterSimp,
        WHvRegisterEom, WHvRegisterVpRuntime, WHvX64RegisterHypercall, WHvRegisterGuestOsId,
        WHvRegisterVpAssistPage, WHvRegisterReferenceTsc, WHvRegisterReferenceTscSequence, WHvRegisterPendingInterruption,
        WHvRegisterInterruptState, WHvRegisterPendingEvent, WHvX64RegisterDeliverabilityNotifications, WHvRegisterInternalActivityState,
        WHvX64RegisterPendingDebugException, WHvRunVpCancelReasonUser, WHvRunVpExitReasonNone, WHvRunVpExitReasonMemoryAccess,
        WHvRunVpExitReasonX64IoPortAccess, WHvRunVpExitReasonUnrecoverableException, WHvRunVpExitReasonInvalidVpRegisterValue, WHvRunVpExitReasonUnsupportedFeature,
        WHvRunVpExitReasonX64InterruptWindow, WHvRunVpExitReasonX64Halt, WHvRunVpExitReasonX64ApicEoi, WHvRunVpExitReasonSynicSintDeliverable,
        WHvRunVpExitReasonX64MsrAccess, WHvRunVpExitReasonX64Cpuid, WHvRunVpExitReasonException, WHvRunVpExitReasonX64Rdtsc,
        WHvRunVpExitReasonX64ApicSmiTrap, WHvRunVpExitReasonHypercall, WHvRunVpExitReasonX64ApicInitSipiTrap, WHvRunVpExitReasonX64ApicWriteTrap,
        WHvRunVpExitReasonCanceled, WHvTranslateGvaFlagNone, WHvTranslateGvaFlagValidateRead, WHvTranslateGvaFlagValidateWrite,
        WHvTranslateGvaFlagValidateExecute, WHvTranslateGvaFlagPrivilegeExempt, WHvTranslateGvaFlagSetPageTableBits, WHvTranslateGvaFlagEnforceSmap,
        WHvTranslateGvaFlagOverrideSmap, WHvTranslateGvaResultSuccess, WHvTranslateGvaResultPageNotPresent, WHvTranslateGvaResultPrivilegeViolation,
        WHvTranslateGvaResultInvalidPageTableFlags, WHvTranslateGvaResultGpaUnmapped, WHvTranslateGvaResultGpaNoReadAccess, WHvTranslateGvaResultGpaNoWriteAccess,
        WHvTranslateGvaResultGpaIllegalOverlayAccess, WHvTranslateGvaResultIntercept, WHvTriggerTypeInterrupt, WHvTriggerTypeSynicEvent,
        WHvTriggerTypeDeviceInterrupt, WHvVirtualProcessorPropertyCodeNumaNode, WHvVirtualProcessorStateTypeSynicMessagePage, WHvVirtualProcessorStateTypeSynicEventFlagPage,
        WHvVirtualProcessorStateTypeSynicTimerState, WHvVirtualProcessorStateTypeInterruptControllerState2, WHvVirtualProcessorStateTypeXsaveState, WHvVpciDeviceNotificationUndefined,
        WHvVpciDeviceNotificationMmioRemapping, WHvVpciDeviceNotificationSurpriseRemoval, WHvVpciDevicePropertyCodeUndefined, WHvVpciDevicePropertyCodeHardwareIDs,
        WHvVpciDevicePropertyCodeProbedBARs, WHvVpciConfigSpace, WHvVpciBar0, WHvVpciBar1,
        WHvVpciBar2, WHvVpciBar3, WHvVpciBar4, WHvVpciBar5,
        WHvVpciInterruptTargetFlagNone, WHvVpciInterruptTargetFlagMulticast, WHvVpciMmioRangeFlagReadAccess, WHvVpciMmioRangeFlagWriteAccess,
        WHvX64ApicWriteTypeLdr, WHvX64ApicWriteTypeDfr, WHvX64ApicWriteTypeSvr, WHvX64ApicWriteTypeLint0,
        WHvX64ApicWriteTypeLint1, WHvX64CpuidResult2FlagSubleafSpecific, WHvX64CpuidResult2FlagVpSpecific, WHvX64LocalApicEmulationModeNone,
        WHvX64LocalApicEmulationModeXApic, WHvX64LocalApicEmulationModeX2Apic, WHvX64PendingEventException, WHvX64PendingEventExtInt,
        WHvX64PendingInterrupt, WHvX64PendingNmi, WHvX64PendingException, WHvUnsupportedFeatureIntercept,
        WHvUnsupportedFeatureTaskSwitchTss, WhvRunVpCancelReasonUser, WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS, WHV_PROCESSOR_FEATURES_BANKS_COUNT,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT, WHV_READ_WRITE_GPA_RANGE_MAX_SIZE, WHV_ANY_VP, WHV_NOTIFICATION_PORT_PREFERRED_DURATION_MAX,
        WHV_SYNIC_MESSAGE_SIZE, WHV_MAX_DEVICE_ID_SIZE_IN_CHARS, WHV_VPCI_TYPE0_BAR_COUNT, S_OK,
        S_FALSE, E_NOTIMPL, E_NOINTERFACE, E_POINTER,
        E_ABORT, E_FAIL, E_UNEXPECTED, E_ACCESSDENIED,
        E_HANDLE, E_OUTOFMEMORY, E_INVALIDARG, WHV_E_UNKNOWN_CAPABILITY,
        WHV_E_INSUFFICIENT_BUFFER, WHV_E_UNKNOWN_PROPERTY, WHV_E_INVALID_PARTITION_CONFIG, WHV_E_GPA_RANGE_NOT_FOUND,
        WHV_E_VP_ALREADY_EXISTS, WHV_E_VP_DOES_NOT_EXIST, WHV_E_INVALID_VP_STATE, WHV_E_INVALID_VP_REGISTER_NAME,
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG, WHV_E_UNSUPPORTED_PROCESSOR_CONFIG, E_PENDING, E_BOUNDS,
    );
    v
}

/// A bitfield type: (C type, bit offset of its integer in the C type,
/// the accessors' (name, first bit, width)).
pub type Bits = (&'static str, i128, &'static [(&'static str, u32, u32)]);

macro_rules! bits {
    ($c:ident, $t:ident, $f:ident) => {
        (
            stringify!($c),
            offset_of!(defs::$t, $f) as i128 * 8,
            defs::$t::FIELDS,
        )
    };
    ($c:ident, $t:ident, $f:ident, $p:ident . $pf:ident) => {
        (
            stringify!($c),
            (offset_of!(defs::$p, $pf) + offset_of!(defs::$t, $f)) as i128 * 8,
            defs::$t::FIELDS,
        )
    };
}

/// Every `bitfield!` of `winhv-defs`.
pub fn bitfields() -> Vec<Bits> {
    vec![
        bits!(WHV_CAPABILITY_FEATURES, WHV_CAPABILITY_FEATURES, AsUINT64),
        bits!(WHV_EXTENDED_VM_EXITS, WHV_EXTENDED_VM_EXITS, AsUINT64),
        bits!(WHV_X64_MSR_EXIT_BITMAP, WHV_X64_MSR_EXIT_BITMAP, AsUINT64),
        bits!(
            WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
            WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
            _bitfield
        ),
        bits!(WHV_SCHEDULER_FEATURES, WHV_SCHEDULER_FEATURES, AsUINT64),
        bits!(
            WHV_X64_VP_EXECUTION_STATE,
            WHV_X64_VP_EXECUTION_STATE,
            AsUINT16
        ),
        bits!(WHV_VP_EXIT_CONTEXT, WHV_VP_EXIT_CONTEXT, _bitfield),
        bits!(WHV_MEMORY_ACCESS_INFO, WHV_MEMORY_ACCESS_INFO, AsUINT32),
        bits!(
            WHV_X64_IO_PORT_ACCESS_INFO,
            WHV_X64_IO_PORT_ACCESS_INFO,
            AsUINT32
        ),
        bits!(WHV_X64_MSR_ACCESS_INFO, WHV_X64_MSR_ACCESS_INFO, AsUINT32),
        bits!(WHV_VP_EXCEPTION_INFO, WHV_VP_EXCEPTION_INFO, AsUINT32),
        bits!(WHV_X64_RDTSC_INFO, WHV_X64_RDTSC_INFO, AsUINT64),
        bits!(WHV_PROCESSOR_FEATURES, WHV_PROCESSOR_FEATURES, AsUINT64),
        bits!(WHV_PROCESSOR_FEATURES1, WHV_PROCESSOR_FEATURES1, AsUINT64),
        bits!(
            WHV_SYNTHETIC_PROCESSOR_FEATURES,
            WHV_SYNTHETIC_PROCESSOR_FEATURES,
            AsUINT64
        ),
        bits!(
            WHV_PROCESSOR_XSAVE_FEATURES,
            WHV_PROCESSOR_XSAVE_FEATURES,
            AsUINT64
        ),
        bits!(
            WHV_PROCESSOR_PERFMON_FEATURES,
            WHV_PROCESSOR_PERFMON_FEATURES,
            AsUINT64
        ),
        bits!(WHV_INTERRUPT_CONTROL, WHV_INTERRUPT_CONTROL, _bitfield),
        bits!(
            WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS,
            WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS,
            AsUINT32
        ),
        bits!(WHV_DOORBELL_MATCH_DATA, WHV_DOORBELL_MATCH_DATA, _bitfield),
        bits!(
            WHV_X64_FP_REGISTER,
            WHV_X64_FP_REGISTER_0,
            _bitfield,
            WHV_X64_FP_REGISTER.Anonymous
        ),
        bits!(
            WHV_X64_SEGMENT_REGISTER,
            WHV_X64_SEGMENT_REGISTER,
            Attributes
        ),
        bits!(
            WHV_X64_INTERRUPT_STATE_REGISTER,
            WHV_X64_INTERRUPT_STATE_REGISTER,
            AsUINT64
        ),
        bits!(
            WHV_X64_PENDING_INTERRUPTION_REGISTER,
            WHV_X64_PENDING_INTERRUPTION_REGISTER,
            AsUINT64
        ),
        bits!(
            WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
            WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
            AsUINT64
        ),
        bits!(
            WHV_X64_PENDING_EXCEPTION_EVENT,
            WHV_X64_PENDING_EXCEPTION_EVENT_0,
            _bitfield,
            WHV_X64_PENDING_EXCEPTION_EVENT.Anonymous
        ),
        bits!(
            WHV_X64_PENDING_EXT_INT_EVENT,
            WHV_X64_PENDING_EXT_INT_EVENT_0,
            _bitfield,
            WHV_X64_PENDING_EXT_INT_EVENT.Anonymous
        ),
        bits!(
            WHV_INTERNAL_ACTIVITY_REGISTER,
            WHV_INTERNAL_ACTIVITY_REGISTER,
            AsUINT64
        ),
        bits!(
            WHV_X64_PENDING_DEBUG_EXCEPTION,
            WHV_X64_PENDING_DEBUG_EXCEPTION,
            AsUINT64
        ),
        bits!(WHV_EMULATOR_STATUS, WHV_EMULATOR_STATUS, AsUINT32),
    ]
}
