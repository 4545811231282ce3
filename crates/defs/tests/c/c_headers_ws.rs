//! The `windows-sys` 0.61.2 side of `c_headers.rs`: every WHV struct,
//! union and type alias of `Win32::System::Hypervisor` with the offset and
//! size of every member C code can name (anonymous unions and structs
//! followed through), every WHV constant, and the HRESULTs the headers
//! define. Listed from the `windows-sys` source by `c_headers_gen.py ws`;
//! kept as plain data so that a change on either side shows up as a mismatch.

use super::Expect;
use core::mem::{align_of, offset_of, size_of};
use windows_sys::Win32::Foundation as wf;
use windows_sys::Win32::System::Hypervisor as ws;

/// Types whose C definition is 16-byte aligned (`DECLSPEC_ALIGN(16)` on
/// `WHV_UINT128`) where `windows-sys` aligns to 8.
const ALIGN16: &[&str] = &[
    "WHV_UINT128",
    "WHV_X64_FP_REGISTER",
    "WHV_X64_FP_CONTROL_STATUS_REGISTER",
    "WHV_X64_XMM_CONTROL_STATUS_REGISTER",
    "WHV_X64_PENDING_EXCEPTION_EVENT",
    "WHV_X64_PENDING_EXT_INT_EVENT",
    "WHV_REGISTER_VALUE",
    "WHV_HYPERCALL_CONTEXT",
    "WHV_RUN_VP_EXIT_CONTEXT",
];

fn push_type(v: &mut Vec<Expect>, name: &str, size: usize, align: usize) {
    let align = if ALIGN16.contains(&name) { 16 } else { align };
    let size = size.div_ceil(align) * align;
    v.push((format!("size {name}"), size as i128));
    v.push((format!("align {name}"), align as i128));
}

macro_rules! ty {
    ($v:ident, $t:ident) => {
        push_type(
            &mut $v,
            stringify!($t),
            size_of::<ws::$t>(),
            align_of::<ws::$t>(),
        )
    };
}

/// The offset of a member: the sum of the offsets along its path through
/// windows-sys' `Anonymous` unions and structs.
macro_rules! off {
    ($v:ident, $t:ident, $c:literal, $($ty:ident . $f:ident);+) => {
        $v.push((
            format!("offset {}.{}", stringify!($t), $c),
            0 $(+ offset_of!(ws::$ty, $f) as i128)+,
        ))
    };
}

/// The size of a member, from its windows-sys type.
macro_rules! msz {
    ($v:ident, $t:ident, $c:literal, $ft:ty) => {
        $v.push((
            format!("msize {}.{}", stringify!($t), $c),
            size_of::<$ft>() as i128,
        ))
    };
}

macro_rules! consts {
    ($v:ident, $m:ident: $($c:ident),* $(,)?) => {
        $( $v.push((format!("const {}", stringify!($c)), $m::$c as i128)); )*
    };
}

/// Every expectation from `windows-sys`.
pub fn expectations() -> Vec<Expect> {
    let mut v = Vec::new();
    ty!(v, WHV_ACCESS_GPA_CONTROLS);
    off!(
        v,
        WHV_ACCESS_GPA_CONTROLS,
        "AsUINT64",
        WHV_ACCESS_GPA_CONTROLS.AsUINT64
    );
    msz!(v, WHV_ACCESS_GPA_CONTROLS, "AsUINT64", u64);
    off!(v, WHV_ACCESS_GPA_CONTROLS, "CacheType", WHV_ACCESS_GPA_CONTROLS.Anonymous; WHV_ACCESS_GPA_CONTROLS_0.CacheType);
    msz!(v, WHV_ACCESS_GPA_CONTROLS, "CacheType", ws::WHV_CACHE_TYPE);
    off!(v, WHV_ACCESS_GPA_CONTROLS, "Reserved", WHV_ACCESS_GPA_CONTROLS.Anonymous; WHV_ACCESS_GPA_CONTROLS_0.Reserved);
    msz!(v, WHV_ACCESS_GPA_CONTROLS, "Reserved", u32);
    ty!(v, WHV_ADVISE_GPA_RANGE);
    off!(
        v,
        WHV_ADVISE_GPA_RANGE,
        "Populate",
        WHV_ADVISE_GPA_RANGE.Populate
    );
    msz!(
        v,
        WHV_ADVISE_GPA_RANGE,
        "Populate",
        ws::WHV_ADVISE_GPA_RANGE_POPULATE
    );
    ty!(v, WHV_ADVISE_GPA_RANGE_POPULATE);
    off!(
        v,
        WHV_ADVISE_GPA_RANGE_POPULATE,
        "Flags",
        WHV_ADVISE_GPA_RANGE_POPULATE.Flags
    );
    msz!(
        v,
        WHV_ADVISE_GPA_RANGE_POPULATE,
        "Flags",
        ws::WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS
    );
    off!(
        v,
        WHV_ADVISE_GPA_RANGE_POPULATE,
        "AccessType",
        WHV_ADVISE_GPA_RANGE_POPULATE.AccessType
    );
    msz!(
        v,
        WHV_ADVISE_GPA_RANGE_POPULATE,
        "AccessType",
        ws::WHV_MEMORY_ACCESS_TYPE
    );
    ty!(v, WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS);
    off!(
        v,
        WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS,
        "AsUINT32",
        WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS.AsUINT32
    );
    msz!(v, WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS, "AsUINT32", u32);
    ty!(v, WHV_CAPABILITY);
    off!(
        v,
        WHV_CAPABILITY,
        "HypervisorPresent",
        WHV_CAPABILITY.HypervisorPresent
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "HypervisorPresent",
        windows_sys::core::BOOL
    );
    off!(v, WHV_CAPABILITY, "Features", WHV_CAPABILITY.Features);
    msz!(v, WHV_CAPABILITY, "Features", ws::WHV_CAPABILITY_FEATURES);
    off!(
        v,
        WHV_CAPABILITY,
        "ExtendedVmExits",
        WHV_CAPABILITY.ExtendedVmExits
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ExtendedVmExits",
        ws::WHV_EXTENDED_VM_EXITS
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorVendor",
        WHV_CAPABILITY.ProcessorVendor
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ProcessorVendor",
        ws::WHV_PROCESSOR_VENDOR
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorFeatures",
        WHV_CAPABILITY.ProcessorFeatures
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ProcessorFeatures",
        ws::WHV_PROCESSOR_FEATURES
    );
    off!(
        v,
        WHV_CAPABILITY,
        "SyntheticProcessorFeaturesBanks",
        WHV_CAPABILITY.SyntheticProcessorFeaturesBanks
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "SyntheticProcessorFeaturesBanks",
        ws::WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorXsaveFeatures",
        WHV_CAPABILITY.ProcessorXsaveFeatures
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ProcessorXsaveFeatures",
        ws::WHV_PROCESSOR_XSAVE_FEATURES
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorClFlushSize",
        WHV_CAPABILITY.ProcessorClFlushSize
    );
    msz!(v, WHV_CAPABILITY, "ProcessorClFlushSize", u8);
    off!(
        v,
        WHV_CAPABILITY,
        "ExceptionExitBitmap",
        WHV_CAPABILITY.ExceptionExitBitmap
    );
    msz!(v, WHV_CAPABILITY, "ExceptionExitBitmap", u64);
    off!(
        v,
        WHV_CAPABILITY,
        "X64MsrExitBitmap",
        WHV_CAPABILITY.X64MsrExitBitmap
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "X64MsrExitBitmap",
        ws::WHV_X64_MSR_EXIT_BITMAP
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorClockFrequency",
        WHV_CAPABILITY.ProcessorClockFrequency
    );
    msz!(v, WHV_CAPABILITY, "ProcessorClockFrequency", u64);
    off!(
        v,
        WHV_CAPABILITY,
        "InterruptClockFrequency",
        WHV_CAPABILITY.InterruptClockFrequency
    );
    msz!(v, WHV_CAPABILITY, "InterruptClockFrequency", u64);
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorFeaturesBanks",
        WHV_CAPABILITY.ProcessorFeaturesBanks
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ProcessorFeaturesBanks",
        ws::WHV_PROCESSOR_FEATURES_BANKS
    );
    off!(
        v,
        WHV_CAPABILITY,
        "GpaRangePopulateFlags",
        WHV_CAPABILITY.GpaRangePopulateFlags
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "GpaRangePopulateFlags",
        ws::WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorFrequencyCap",
        WHV_CAPABILITY.ProcessorFrequencyCap
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ProcessorFrequencyCap",
        ws::WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP
    );
    off!(
        v,
        WHV_CAPABILITY,
        "ProcessorPerfmonFeatures",
        WHV_CAPABILITY.ProcessorPerfmonFeatures
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "ProcessorPerfmonFeatures",
        ws::WHV_PROCESSOR_PERFMON_FEATURES
    );
    off!(
        v,
        WHV_CAPABILITY,
        "SchedulerFeatures",
        WHV_CAPABILITY.SchedulerFeatures
    );
    msz!(
        v,
        WHV_CAPABILITY,
        "SchedulerFeatures",
        ws::WHV_SCHEDULER_FEATURES
    );
    ty!(v, WHV_CAPABILITY_FEATURES);
    off!(
        v,
        WHV_CAPABILITY_FEATURES,
        "AsUINT64",
        WHV_CAPABILITY_FEATURES.AsUINT64
    );
    msz!(v, WHV_CAPABILITY_FEATURES, "AsUINT64", u64);
    ty!(v, WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP);
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "HighestFrequencyMhz",
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP.HighestFrequencyMhz
    );
    msz!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "HighestFrequencyMhz",
        u32
    );
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "NominalFrequencyMhz",
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP.NominalFrequencyMhz
    );
    msz!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "NominalFrequencyMhz",
        u32
    );
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "LowestFrequencyMhz",
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP.LowestFrequencyMhz
    );
    msz!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "LowestFrequencyMhz",
        u32
    );
    off!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "FrequencyStepMhz",
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP.FrequencyStepMhz
    );
    msz!(
        v,
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
        "FrequencyStepMhz",
        u32
    );
    ty!(v, WHV_CPUID_OUTPUT);
    off!(v, WHV_CPUID_OUTPUT, "Eax", WHV_CPUID_OUTPUT.Eax);
    msz!(v, WHV_CPUID_OUTPUT, "Eax", u32);
    off!(v, WHV_CPUID_OUTPUT, "Ebx", WHV_CPUID_OUTPUT.Ebx);
    msz!(v, WHV_CPUID_OUTPUT, "Ebx", u32);
    off!(v, WHV_CPUID_OUTPUT, "Ecx", WHV_CPUID_OUTPUT.Ecx);
    msz!(v, WHV_CPUID_OUTPUT, "Ecx", u32);
    off!(v, WHV_CPUID_OUTPUT, "Edx", WHV_CPUID_OUTPUT.Edx);
    msz!(v, WHV_CPUID_OUTPUT, "Edx", u32);
    ty!(v, WHV_DOORBELL_MATCH_DATA);
    off!(
        v,
        WHV_DOORBELL_MATCH_DATA,
        "GuestAddress",
        WHV_DOORBELL_MATCH_DATA.GuestAddress
    );
    msz!(v, WHV_DOORBELL_MATCH_DATA, "GuestAddress", u64);
    off!(
        v,
        WHV_DOORBELL_MATCH_DATA,
        "Value",
        WHV_DOORBELL_MATCH_DATA.Value
    );
    msz!(v, WHV_DOORBELL_MATCH_DATA, "Value", u64);
    off!(
        v,
        WHV_DOORBELL_MATCH_DATA,
        "Length",
        WHV_DOORBELL_MATCH_DATA.Length
    );
    msz!(v, WHV_DOORBELL_MATCH_DATA, "Length", u32);
    ty!(v, WHV_EMULATOR_CALLBACKS);
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "Size",
        WHV_EMULATOR_CALLBACKS.Size
    );
    msz!(v, WHV_EMULATOR_CALLBACKS, "Size", u32);
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "Reserved",
        WHV_EMULATOR_CALLBACKS.Reserved
    );
    msz!(v, WHV_EMULATOR_CALLBACKS, "Reserved", u32);
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorIoPortCallback",
        WHV_EMULATOR_CALLBACKS.WHvEmulatorIoPortCallback
    );
    msz!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorIoPortCallback",
        ws::WHV_EMULATOR_IO_PORT_CALLBACK
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorMemoryCallback",
        WHV_EMULATOR_CALLBACKS.WHvEmulatorMemoryCallback
    );
    msz!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorMemoryCallback",
        ws::WHV_EMULATOR_MEMORY_CALLBACK
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorGetVirtualProcessorRegisters",
        WHV_EMULATOR_CALLBACKS.WHvEmulatorGetVirtualProcessorRegisters
    );
    msz!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorGetVirtualProcessorRegisters",
        ws::WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorSetVirtualProcessorRegisters",
        WHV_EMULATOR_CALLBACKS.WHvEmulatorSetVirtualProcessorRegisters
    );
    msz!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorSetVirtualProcessorRegisters",
        ws::WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK
    );
    off!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorTranslateGvaPage",
        WHV_EMULATOR_CALLBACKS.WHvEmulatorTranslateGvaPage
    );
    msz!(
        v,
        WHV_EMULATOR_CALLBACKS,
        "WHvEmulatorTranslateGvaPage",
        ws::WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK
    );
    ty!(v, WHV_EMULATOR_IO_ACCESS_INFO);
    off!(
        v,
        WHV_EMULATOR_IO_ACCESS_INFO,
        "Direction",
        WHV_EMULATOR_IO_ACCESS_INFO.Direction
    );
    msz!(v, WHV_EMULATOR_IO_ACCESS_INFO, "Direction", u8);
    off!(
        v,
        WHV_EMULATOR_IO_ACCESS_INFO,
        "Port",
        WHV_EMULATOR_IO_ACCESS_INFO.Port
    );
    msz!(v, WHV_EMULATOR_IO_ACCESS_INFO, "Port", u16);
    off!(
        v,
        WHV_EMULATOR_IO_ACCESS_INFO,
        "AccessSize",
        WHV_EMULATOR_IO_ACCESS_INFO.AccessSize
    );
    msz!(v, WHV_EMULATOR_IO_ACCESS_INFO, "AccessSize", u16);
    off!(
        v,
        WHV_EMULATOR_IO_ACCESS_INFO,
        "Data",
        WHV_EMULATOR_IO_ACCESS_INFO.Data
    );
    msz!(v, WHV_EMULATOR_IO_ACCESS_INFO, "Data", u32);
    ty!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO);
    off!(
        v,
        WHV_EMULATOR_MEMORY_ACCESS_INFO,
        "GpaAddress",
        WHV_EMULATOR_MEMORY_ACCESS_INFO.GpaAddress
    );
    msz!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "GpaAddress", u64);
    off!(
        v,
        WHV_EMULATOR_MEMORY_ACCESS_INFO,
        "Direction",
        WHV_EMULATOR_MEMORY_ACCESS_INFO.Direction
    );
    msz!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "Direction", u8);
    off!(
        v,
        WHV_EMULATOR_MEMORY_ACCESS_INFO,
        "AccessSize",
        WHV_EMULATOR_MEMORY_ACCESS_INFO.AccessSize
    );
    msz!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "AccessSize", u8);
    off!(
        v,
        WHV_EMULATOR_MEMORY_ACCESS_INFO,
        "Data",
        WHV_EMULATOR_MEMORY_ACCESS_INFO.Data
    );
    msz!(v, WHV_EMULATOR_MEMORY_ACCESS_INFO, "Data", [u8; 8]);
    ty!(v, WHV_EMULATOR_STATUS);
    off!(
        v,
        WHV_EMULATOR_STATUS,
        "AsUINT32",
        WHV_EMULATOR_STATUS.AsUINT32
    );
    msz!(v, WHV_EMULATOR_STATUS, "AsUINT32", u32);
    ty!(v, WHV_EXTENDED_VM_EXITS);
    off!(
        v,
        WHV_EXTENDED_VM_EXITS,
        "AsUINT64",
        WHV_EXTENDED_VM_EXITS.AsUINT64
    );
    msz!(v, WHV_EXTENDED_VM_EXITS, "AsUINT64", u64);
    ty!(v, WHV_HYPERCALL_CONTEXT);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rax", WHV_HYPERCALL_CONTEXT.Rax);
    msz!(v, WHV_HYPERCALL_CONTEXT, "Rax", u64);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rbx", WHV_HYPERCALL_CONTEXT.Rbx);
    msz!(v, WHV_HYPERCALL_CONTEXT, "Rbx", u64);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rcx", WHV_HYPERCALL_CONTEXT.Rcx);
    msz!(v, WHV_HYPERCALL_CONTEXT, "Rcx", u64);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rdx", WHV_HYPERCALL_CONTEXT.Rdx);
    msz!(v, WHV_HYPERCALL_CONTEXT, "Rdx", u64);
    off!(v, WHV_HYPERCALL_CONTEXT, "R8", WHV_HYPERCALL_CONTEXT.R8);
    msz!(v, WHV_HYPERCALL_CONTEXT, "R8", u64);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rsi", WHV_HYPERCALL_CONTEXT.Rsi);
    msz!(v, WHV_HYPERCALL_CONTEXT, "Rsi", u64);
    off!(v, WHV_HYPERCALL_CONTEXT, "Rdi", WHV_HYPERCALL_CONTEXT.Rdi);
    msz!(v, WHV_HYPERCALL_CONTEXT, "Rdi", u64);
    off!(
        v,
        WHV_HYPERCALL_CONTEXT,
        "Reserved0",
        WHV_HYPERCALL_CONTEXT.Reserved0
    );
    msz!(v, WHV_HYPERCALL_CONTEXT, "Reserved0", u64);
    off!(
        v,
        WHV_HYPERCALL_CONTEXT,
        "XmmRegisters",
        WHV_HYPERCALL_CONTEXT.XmmRegisters
    );
    msz!(
        v,
        WHV_HYPERCALL_CONTEXT,
        "XmmRegisters",
        [ws::WHV_UINT128; 6]
    );
    off!(
        v,
        WHV_HYPERCALL_CONTEXT,
        "Reserved1",
        WHV_HYPERCALL_CONTEXT.Reserved1
    );
    msz!(v, WHV_HYPERCALL_CONTEXT, "Reserved1", [u64; 2]);
    ty!(v, WHV_INTERNAL_ACTIVITY_REGISTER);
    off!(
        v,
        WHV_INTERNAL_ACTIVITY_REGISTER,
        "AsUINT64",
        WHV_INTERNAL_ACTIVITY_REGISTER.AsUINT64
    );
    msz!(v, WHV_INTERNAL_ACTIVITY_REGISTER, "AsUINT64", u64);
    ty!(v, WHV_INTERRUPT_CONTROL);
    off!(
        v,
        WHV_INTERRUPT_CONTROL,
        "Destination",
        WHV_INTERRUPT_CONTROL.Destination
    );
    msz!(v, WHV_INTERRUPT_CONTROL, "Destination", u32);
    off!(
        v,
        WHV_INTERRUPT_CONTROL,
        "Vector",
        WHV_INTERRUPT_CONTROL.Vector
    );
    msz!(v, WHV_INTERRUPT_CONTROL, "Vector", u32);
    ty!(v, WHV_MEMORY_ACCESS_CONTEXT);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "InstructionByteCount",
        WHV_MEMORY_ACCESS_CONTEXT.InstructionByteCount
    );
    msz!(v, WHV_MEMORY_ACCESS_CONTEXT, "InstructionByteCount", u8);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "Reserved",
        WHV_MEMORY_ACCESS_CONTEXT.Reserved
    );
    msz!(v, WHV_MEMORY_ACCESS_CONTEXT, "Reserved", [u8; 3]);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "InstructionBytes",
        WHV_MEMORY_ACCESS_CONTEXT.InstructionBytes
    );
    msz!(v, WHV_MEMORY_ACCESS_CONTEXT, "InstructionBytes", [u8; 16]);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "AccessInfo",
        WHV_MEMORY_ACCESS_CONTEXT.AccessInfo
    );
    msz!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "AccessInfo",
        ws::WHV_MEMORY_ACCESS_INFO
    );
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "Gpa",
        WHV_MEMORY_ACCESS_CONTEXT.Gpa
    );
    msz!(v, WHV_MEMORY_ACCESS_CONTEXT, "Gpa", u64);
    off!(
        v,
        WHV_MEMORY_ACCESS_CONTEXT,
        "Gva",
        WHV_MEMORY_ACCESS_CONTEXT.Gva
    );
    msz!(v, WHV_MEMORY_ACCESS_CONTEXT, "Gva", u64);
    ty!(v, WHV_MEMORY_ACCESS_INFO);
    off!(
        v,
        WHV_MEMORY_ACCESS_INFO,
        "AsUINT32",
        WHV_MEMORY_ACCESS_INFO.AsUINT32
    );
    msz!(v, WHV_MEMORY_ACCESS_INFO, "AsUINT32", u32);
    ty!(v, WHV_MEMORY_RANGE_ENTRY);
    off!(
        v,
        WHV_MEMORY_RANGE_ENTRY,
        "GuestAddress",
        WHV_MEMORY_RANGE_ENTRY.GuestAddress
    );
    msz!(v, WHV_MEMORY_RANGE_ENTRY, "GuestAddress", u64);
    off!(
        v,
        WHV_MEMORY_RANGE_ENTRY,
        "SizeInBytes",
        WHV_MEMORY_RANGE_ENTRY.SizeInBytes
    );
    msz!(v, WHV_MEMORY_RANGE_ENTRY, "SizeInBytes", u64);
    ty!(v, WHV_MSR_ACTION_ENTRY);
    off!(v, WHV_MSR_ACTION_ENTRY, "Index", WHV_MSR_ACTION_ENTRY.Index);
    msz!(v, WHV_MSR_ACTION_ENTRY, "Index", u32);
    off!(
        v,
        WHV_MSR_ACTION_ENTRY,
        "ReadAction",
        WHV_MSR_ACTION_ENTRY.ReadAction
    );
    msz!(v, WHV_MSR_ACTION_ENTRY, "ReadAction", u8);
    off!(
        v,
        WHV_MSR_ACTION_ENTRY,
        "WriteAction",
        WHV_MSR_ACTION_ENTRY.WriteAction
    );
    msz!(v, WHV_MSR_ACTION_ENTRY, "WriteAction", u8);
    off!(
        v,
        WHV_MSR_ACTION_ENTRY,
        "Reserved",
        WHV_MSR_ACTION_ENTRY.Reserved
    );
    msz!(v, WHV_MSR_ACTION_ENTRY, "Reserved", u16);
    ty!(v, WHV_NOTIFICATION_PORT_PARAMETERS);
    off!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "NotificationPortType",
        WHV_NOTIFICATION_PORT_PARAMETERS.NotificationPortType
    );
    msz!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "NotificationPortType",
        ws::WHV_NOTIFICATION_PORT_TYPE
    );
    off!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "Reserved",
        WHV_NOTIFICATION_PORT_PARAMETERS.Reserved
    );
    msz!(v, WHV_NOTIFICATION_PORT_PARAMETERS, "Reserved", u32);
    off!(v, WHV_NOTIFICATION_PORT_PARAMETERS, "Doorbell", WHV_NOTIFICATION_PORT_PARAMETERS.Anonymous; WHV_NOTIFICATION_PORT_PARAMETERS_0.Doorbell);
    msz!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "Doorbell",
        ws::WHV_DOORBELL_MATCH_DATA
    );
    off!(v, WHV_NOTIFICATION_PORT_PARAMETERS, "Event", WHV_NOTIFICATION_PORT_PARAMETERS.Anonymous; WHV_NOTIFICATION_PORT_PARAMETERS_0.Event);
    msz!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "Event",
        ws::WHV_NOTIFICATION_PORT_PARAMETERS_0_0
    );
    off!(v, WHV_NOTIFICATION_PORT_PARAMETERS, "Event.ConnectionId", WHV_NOTIFICATION_PORT_PARAMETERS.Anonymous; WHV_NOTIFICATION_PORT_PARAMETERS_0.Event; WHV_NOTIFICATION_PORT_PARAMETERS_0_0.ConnectionId);
    msz!(
        v,
        WHV_NOTIFICATION_PORT_PARAMETERS,
        "Event.ConnectionId",
        u32
    );
    ty!(v, WHV_PARTITION_MEMORY_COUNTERS);
    off!(
        v,
        WHV_PARTITION_MEMORY_COUNTERS,
        "Mapped4KPageCount",
        WHV_PARTITION_MEMORY_COUNTERS.Mapped4KPageCount
    );
    msz!(v, WHV_PARTITION_MEMORY_COUNTERS, "Mapped4KPageCount", u64);
    off!(
        v,
        WHV_PARTITION_MEMORY_COUNTERS,
        "Mapped2MPageCount",
        WHV_PARTITION_MEMORY_COUNTERS.Mapped2MPageCount
    );
    msz!(v, WHV_PARTITION_MEMORY_COUNTERS, "Mapped2MPageCount", u64);
    off!(
        v,
        WHV_PARTITION_MEMORY_COUNTERS,
        "Mapped1GPageCount",
        WHV_PARTITION_MEMORY_COUNTERS.Mapped1GPageCount
    );
    msz!(v, WHV_PARTITION_MEMORY_COUNTERS, "Mapped1GPageCount", u64);
    ty!(v, WHV_PARTITION_PROPERTY);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ExtendedVmExits",
        WHV_PARTITION_PROPERTY.ExtendedVmExits
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "ExtendedVmExits",
        ws::WHV_EXTENDED_VM_EXITS
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFeatures",
        WHV_PARTITION_PROPERTY.ProcessorFeatures
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFeatures",
        ws::WHV_PROCESSOR_FEATURES
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "SyntheticProcessorFeaturesBanks",
        WHV_PARTITION_PROPERTY.SyntheticProcessorFeaturesBanks
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "SyntheticProcessorFeaturesBanks",
        ws::WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorXsaveFeatures",
        WHV_PARTITION_PROPERTY.ProcessorXsaveFeatures
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorXsaveFeatures",
        ws::WHV_PROCESSOR_XSAVE_FEATURES
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorClFlushSize",
        WHV_PARTITION_PROPERTY.ProcessorClFlushSize
    );
    msz!(v, WHV_PARTITION_PROPERTY, "ProcessorClFlushSize", u8);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorCount",
        WHV_PARTITION_PROPERTY.ProcessorCount
    );
    msz!(v, WHV_PARTITION_PROPERTY, "ProcessorCount", u32);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidExitList",
        WHV_PARTITION_PROPERTY.CpuidExitList
    );
    msz!(v, WHV_PARTITION_PROPERTY, "CpuidExitList", [u32; 1]);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidResultList",
        WHV_PARTITION_PROPERTY.CpuidResultList
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidResultList",
        [ws::WHV_X64_CPUID_RESULT; 1]
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidResultList2",
        WHV_PARTITION_PROPERTY.CpuidResultList2
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuidResultList2",
        [ws::WHV_X64_CPUID_RESULT2; 1]
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "MsrActionList",
        WHV_PARTITION_PROPERTY.MsrActionList
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "MsrActionList",
        [ws::WHV_MSR_ACTION_ENTRY; 1]
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "UnimplementedMsrAction",
        WHV_PARTITION_PROPERTY.UnimplementedMsrAction
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "UnimplementedMsrAction",
        ws::WHV_MSR_ACTION
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ExceptionExitBitmap",
        WHV_PARTITION_PROPERTY.ExceptionExitBitmap
    );
    msz!(v, WHV_PARTITION_PROPERTY, "ExceptionExitBitmap", u64);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "LocalApicEmulationMode",
        WHV_PARTITION_PROPERTY.LocalApicEmulationMode
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "LocalApicEmulationMode",
        ws::WHV_X64_LOCAL_APIC_EMULATION_MODE
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "SeparateSecurityDomain",
        WHV_PARTITION_PROPERTY.SeparateSecurityDomain
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "SeparateSecurityDomain",
        windows_sys::core::BOOL
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "NestedVirtualization",
        WHV_PARTITION_PROPERTY.NestedVirtualization
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "NestedVirtualization",
        windows_sys::core::BOOL
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "X64MsrExitBitmap",
        WHV_PARTITION_PROPERTY.X64MsrExitBitmap
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "X64MsrExitBitmap",
        ws::WHV_X64_MSR_EXIT_BITMAP
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorClockFrequency",
        WHV_PARTITION_PROPERTY.ProcessorClockFrequency
    );
    msz!(v, WHV_PARTITION_PROPERTY, "ProcessorClockFrequency", u64);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "InterruptClockFrequency",
        WHV_PARTITION_PROPERTY.InterruptClockFrequency
    );
    msz!(v, WHV_PARTITION_PROPERTY, "InterruptClockFrequency", u64);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ApicRemoteRead",
        WHV_PARTITION_PROPERTY.ApicRemoteRead
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "ApicRemoteRead",
        windows_sys::core::BOOL
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFeaturesBanks",
        WHV_PARTITION_PROPERTY.ProcessorFeaturesBanks
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFeaturesBanks",
        ws::WHV_PROCESSOR_FEATURES_BANKS
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ReferenceTime",
        WHV_PARTITION_PROPERTY.ReferenceTime
    );
    msz!(v, WHV_PARTITION_PROPERTY, "ReferenceTime", u64);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "PrimaryNumaNode",
        WHV_PARTITION_PROPERTY.PrimaryNumaNode
    );
    msz!(v, WHV_PARTITION_PROPERTY, "PrimaryNumaNode", u16);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuReserve",
        WHV_PARTITION_PROPERTY.CpuReserve
    );
    msz!(v, WHV_PARTITION_PROPERTY, "CpuReserve", u32);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuCap",
        WHV_PARTITION_PROPERTY.CpuCap
    );
    msz!(v, WHV_PARTITION_PROPERTY, "CpuCap", u32);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuWeight",
        WHV_PARTITION_PROPERTY.CpuWeight
    );
    msz!(v, WHV_PARTITION_PROPERTY, "CpuWeight", u32);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "CpuGroupId",
        WHV_PARTITION_PROPERTY.CpuGroupId
    );
    msz!(v, WHV_PARTITION_PROPERTY, "CpuGroupId", u64);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorFrequencyCap",
        WHV_PARTITION_PROPERTY.ProcessorFrequencyCap
    );
    msz!(v, WHV_PARTITION_PROPERTY, "ProcessorFrequencyCap", u32);
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "AllowDeviceAssignment",
        WHV_PARTITION_PROPERTY.AllowDeviceAssignment
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "AllowDeviceAssignment",
        windows_sys::core::BOOL
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorPerfmonFeatures",
        WHV_PARTITION_PROPERTY.ProcessorPerfmonFeatures
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "ProcessorPerfmonFeatures",
        ws::WHV_PROCESSOR_PERFMON_FEATURES
    );
    off!(
        v,
        WHV_PARTITION_PROPERTY,
        "DisableSmt",
        WHV_PARTITION_PROPERTY.DisableSmt
    );
    msz!(
        v,
        WHV_PARTITION_PROPERTY,
        "DisableSmt",
        windows_sys::core::BOOL
    );
    ty!(v, WHV_PROCESSOR_APIC_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "MmioAccessCount",
        WHV_PROCESSOR_APIC_COUNTERS.MmioAccessCount
    );
    msz!(v, WHV_PROCESSOR_APIC_COUNTERS, "MmioAccessCount", u64);
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "EoiAccessCount",
        WHV_PROCESSOR_APIC_COUNTERS.EoiAccessCount
    );
    msz!(v, WHV_PROCESSOR_APIC_COUNTERS, "EoiAccessCount", u64);
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "TprAccessCount",
        WHV_PROCESSOR_APIC_COUNTERS.TprAccessCount
    );
    msz!(v, WHV_PROCESSOR_APIC_COUNTERS, "TprAccessCount", u64);
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "SentIpiCount",
        WHV_PROCESSOR_APIC_COUNTERS.SentIpiCount
    );
    msz!(v, WHV_PROCESSOR_APIC_COUNTERS, "SentIpiCount", u64);
    off!(
        v,
        WHV_PROCESSOR_APIC_COUNTERS,
        "SelfIpiCount",
        WHV_PROCESSOR_APIC_COUNTERS.SelfIpiCount
    );
    msz!(v, WHV_PROCESSOR_APIC_COUNTERS, "SelfIpiCount", u64);
    ty!(v, WHV_PROCESSOR_EVENT_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_EVENT_COUNTERS,
        "PageFaultCount",
        WHV_PROCESSOR_EVENT_COUNTERS.PageFaultCount
    );
    msz!(v, WHV_PROCESSOR_EVENT_COUNTERS, "PageFaultCount", u64);
    off!(
        v,
        WHV_PROCESSOR_EVENT_COUNTERS,
        "ExceptionCount",
        WHV_PROCESSOR_EVENT_COUNTERS.ExceptionCount
    );
    msz!(v, WHV_PROCESSOR_EVENT_COUNTERS, "ExceptionCount", u64);
    off!(
        v,
        WHV_PROCESSOR_EVENT_COUNTERS,
        "InterruptCount",
        WHV_PROCESSOR_EVENT_COUNTERS.InterruptCount
    );
    msz!(v, WHV_PROCESSOR_EVENT_COUNTERS, "InterruptCount", u64);
    ty!(v, WHV_PROCESSOR_FEATURES);
    off!(
        v,
        WHV_PROCESSOR_FEATURES,
        "AsUINT64",
        WHV_PROCESSOR_FEATURES.AsUINT64
    );
    msz!(v, WHV_PROCESSOR_FEATURES, "AsUINT64", u64);
    ty!(v, WHV_PROCESSOR_FEATURES1);
    off!(
        v,
        WHV_PROCESSOR_FEATURES1,
        "AsUINT64",
        WHV_PROCESSOR_FEATURES1.AsUINT64
    );
    msz!(v, WHV_PROCESSOR_FEATURES1, "AsUINT64", u64);
    ty!(v, WHV_PROCESSOR_FEATURES_BANKS);
    off!(
        v,
        WHV_PROCESSOR_FEATURES_BANKS,
        "BanksCount",
        WHV_PROCESSOR_FEATURES_BANKS.BanksCount
    );
    msz!(v, WHV_PROCESSOR_FEATURES_BANKS, "BanksCount", u32);
    off!(
        v,
        WHV_PROCESSOR_FEATURES_BANKS,
        "Reserved0",
        WHV_PROCESSOR_FEATURES_BANKS.Reserved0
    );
    msz!(v, WHV_PROCESSOR_FEATURES_BANKS, "Reserved0", u32);
    off!(v, WHV_PROCESSOR_FEATURES_BANKS, "Bank0", WHV_PROCESSOR_FEATURES_BANKS.Anonymous; WHV_PROCESSOR_FEATURES_BANKS_0.Anonymous; WHV_PROCESSOR_FEATURES_BANKS_0_0.Bank0);
    msz!(
        v,
        WHV_PROCESSOR_FEATURES_BANKS,
        "Bank0",
        ws::WHV_PROCESSOR_FEATURES
    );
    off!(v, WHV_PROCESSOR_FEATURES_BANKS, "Bank1", WHV_PROCESSOR_FEATURES_BANKS.Anonymous; WHV_PROCESSOR_FEATURES_BANKS_0.Anonymous; WHV_PROCESSOR_FEATURES_BANKS_0_0.Bank1);
    msz!(
        v,
        WHV_PROCESSOR_FEATURES_BANKS,
        "Bank1",
        ws::WHV_PROCESSOR_FEATURES1
    );
    off!(v, WHV_PROCESSOR_FEATURES_BANKS, "AsUINT64", WHV_PROCESSOR_FEATURES_BANKS.Anonymous; WHV_PROCESSOR_FEATURES_BANKS_0.AsUINT64);
    msz!(v, WHV_PROCESSOR_FEATURES_BANKS, "AsUINT64", [u64; 2]);
    ty!(v, WHV_PROCESSOR_INTERCEPT_COUNTER);
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTER,
        "Count",
        WHV_PROCESSOR_INTERCEPT_COUNTER.Count
    );
    msz!(v, WHV_PROCESSOR_INTERCEPT_COUNTER, "Count", u64);
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTER,
        "Time100ns",
        WHV_PROCESSOR_INTERCEPT_COUNTER.Time100ns
    );
    msz!(v, WHV_PROCESSOR_INTERCEPT_COUNTER, "Time100ns", u64);
    ty!(v, WHV_PROCESSOR_INTERCEPT_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PageInvalidations",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.PageInvalidations
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PageInvalidations",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "ControlRegisterAccesses",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.ControlRegisterAccesses
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "ControlRegisterAccesses",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "IoInstructions",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.IoInstructions
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "IoInstructions",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "HaltInstructions",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.HaltInstructions
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "HaltInstructions",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "CpuidInstructions",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.CpuidInstructions
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "CpuidInstructions",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "MsrAccesses",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.MsrAccesses
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "MsrAccesses",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "OtherIntercepts",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.OtherIntercepts
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "OtherIntercepts",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PendingInterrupts",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.PendingInterrupts
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PendingInterrupts",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "EmulatedInstructions",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.EmulatedInstructions
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "EmulatedInstructions",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "DebugRegisterAccesses",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.DebugRegisterAccesses
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "DebugRegisterAccesses",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PageFaultIntercepts",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.PageFaultIntercepts
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "PageFaultIntercepts",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "NestedPageFaultIntercepts",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.NestedPageFaultIntercepts
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "NestedPageFaultIntercepts",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "Hypercalls",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.Hypercalls
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "Hypercalls",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    off!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "RdpmcInstructions",
        WHV_PROCESSOR_INTERCEPT_COUNTERS.RdpmcInstructions
    );
    msz!(
        v,
        WHV_PROCESSOR_INTERCEPT_COUNTERS,
        "RdpmcInstructions",
        ws::WHV_PROCESSOR_INTERCEPT_COUNTER
    );
    ty!(v, WHV_PROCESSOR_PERFMON_FEATURES);
    off!(
        v,
        WHV_PROCESSOR_PERFMON_FEATURES,
        "AsUINT64",
        WHV_PROCESSOR_PERFMON_FEATURES.AsUINT64
    );
    msz!(v, WHV_PROCESSOR_PERFMON_FEATURES, "AsUINT64", u64);
    ty!(v, WHV_PROCESSOR_RUNTIME_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_RUNTIME_COUNTERS,
        "TotalRuntime100ns",
        WHV_PROCESSOR_RUNTIME_COUNTERS.TotalRuntime100ns
    );
    msz!(v, WHV_PROCESSOR_RUNTIME_COUNTERS, "TotalRuntime100ns", u64);
    off!(
        v,
        WHV_PROCESSOR_RUNTIME_COUNTERS,
        "HypervisorRuntime100ns",
        WHV_PROCESSOR_RUNTIME_COUNTERS.HypervisorRuntime100ns
    );
    msz!(
        v,
        WHV_PROCESSOR_RUNTIME_COUNTERS,
        "HypervisorRuntime100ns",
        u64
    );
    ty!(v, WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS);
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "SyntheticInterruptsCount",
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS.SyntheticInterruptsCount
    );
    msz!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "SyntheticInterruptsCount",
        u64
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "LongSpinWaitHypercallsCount",
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS.LongSpinWaitHypercallsCount
    );
    msz!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "LongSpinWaitHypercallsCount",
        u64
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "OtherHypercallsCount",
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS.OtherHypercallsCount
    );
    msz!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "OtherHypercallsCount",
        u64
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "SyntheticInterruptHypercallsCount",
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS.SyntheticInterruptHypercallsCount
    );
    msz!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "SyntheticInterruptHypercallsCount",
        u64
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "VirtualInterruptHypercallsCount",
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS.VirtualInterruptHypercallsCount
    );
    msz!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "VirtualInterruptHypercallsCount",
        u64
    );
    off!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "VirtualMmuHypercallsCount",
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS.VirtualMmuHypercallsCount
    );
    msz!(
        v,
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS,
        "VirtualMmuHypercallsCount",
        u64
    );
    ty!(v, WHV_PROCESSOR_XSAVE_FEATURES);
    off!(
        v,
        WHV_PROCESSOR_XSAVE_FEATURES,
        "AsUINT64",
        WHV_PROCESSOR_XSAVE_FEATURES.AsUINT64
    );
    msz!(v, WHV_PROCESSOR_XSAVE_FEATURES, "AsUINT64", u64);
    ty!(v, WHV_REGISTER_VALUE);
    off!(v, WHV_REGISTER_VALUE, "Reg128", WHV_REGISTER_VALUE.Reg128);
    msz!(v, WHV_REGISTER_VALUE, "Reg128", ws::WHV_UINT128);
    off!(v, WHV_REGISTER_VALUE, "Reg64", WHV_REGISTER_VALUE.Reg64);
    msz!(v, WHV_REGISTER_VALUE, "Reg64", u64);
    off!(v, WHV_REGISTER_VALUE, "Reg32", WHV_REGISTER_VALUE.Reg32);
    msz!(v, WHV_REGISTER_VALUE, "Reg32", u32);
    off!(v, WHV_REGISTER_VALUE, "Reg16", WHV_REGISTER_VALUE.Reg16);
    msz!(v, WHV_REGISTER_VALUE, "Reg16", u16);
    off!(v, WHV_REGISTER_VALUE, "Reg8", WHV_REGISTER_VALUE.Reg8);
    msz!(v, WHV_REGISTER_VALUE, "Reg8", u8);
    off!(v, WHV_REGISTER_VALUE, "Fp", WHV_REGISTER_VALUE.Fp);
    msz!(v, WHV_REGISTER_VALUE, "Fp", ws::WHV_X64_FP_REGISTER);
    off!(
        v,
        WHV_REGISTER_VALUE,
        "FpControlStatus",
        WHV_REGISTER_VALUE.FpControlStatus
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "FpControlStatus",
        ws::WHV_X64_FP_CONTROL_STATUS_REGISTER
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "XmmControlStatus",
        WHV_REGISTER_VALUE.XmmControlStatus
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "XmmControlStatus",
        ws::WHV_X64_XMM_CONTROL_STATUS_REGISTER
    );
    off!(v, WHV_REGISTER_VALUE, "Segment", WHV_REGISTER_VALUE.Segment);
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "Segment",
        ws::WHV_X64_SEGMENT_REGISTER
    );
    off!(v, WHV_REGISTER_VALUE, "Table", WHV_REGISTER_VALUE.Table);
    msz!(v, WHV_REGISTER_VALUE, "Table", ws::WHV_X64_TABLE_REGISTER);
    off!(
        v,
        WHV_REGISTER_VALUE,
        "InterruptState",
        WHV_REGISTER_VALUE.InterruptState
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "InterruptState",
        ws::WHV_X64_INTERRUPT_STATE_REGISTER
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "PendingInterruption",
        WHV_REGISTER_VALUE.PendingInterruption
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "PendingInterruption",
        ws::WHV_X64_PENDING_INTERRUPTION_REGISTER
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "DeliverabilityNotifications",
        WHV_REGISTER_VALUE.DeliverabilityNotifications
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "DeliverabilityNotifications",
        ws::WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "ExceptionEvent",
        WHV_REGISTER_VALUE.ExceptionEvent
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "ExceptionEvent",
        ws::WHV_X64_PENDING_EXCEPTION_EVENT
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "ExtIntEvent",
        WHV_REGISTER_VALUE.ExtIntEvent
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "ExtIntEvent",
        ws::WHV_X64_PENDING_EXT_INT_EVENT
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "InternalActivity",
        WHV_REGISTER_VALUE.InternalActivity
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "InternalActivity",
        ws::WHV_INTERNAL_ACTIVITY_REGISTER
    );
    off!(
        v,
        WHV_REGISTER_VALUE,
        "PendingDebugException",
        WHV_REGISTER_VALUE.PendingDebugException
    );
    msz!(
        v,
        WHV_REGISTER_VALUE,
        "PendingDebugException",
        ws::WHV_X64_PENDING_DEBUG_EXCEPTION
    );
    ty!(v, WHV_RUN_VP_CANCELED_CONTEXT);
    off!(
        v,
        WHV_RUN_VP_CANCELED_CONTEXT,
        "CancelReason",
        WHV_RUN_VP_CANCELED_CONTEXT.CancelReason
    );
    msz!(
        v,
        WHV_RUN_VP_CANCELED_CONTEXT,
        "CancelReason",
        ws::WHV_RUN_VP_CANCEL_REASON
    );
    ty!(v, WHV_RUN_VP_EXIT_CONTEXT);
    off!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ExitReason",
        WHV_RUN_VP_EXIT_CONTEXT.ExitReason
    );
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ExitReason",
        ws::WHV_RUN_VP_EXIT_REASON
    );
    off!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "Reserved",
        WHV_RUN_VP_EXIT_CONTEXT.Reserved
    );
    msz!(v, WHV_RUN_VP_EXIT_CONTEXT, "Reserved", u32);
    off!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "VpContext",
        WHV_RUN_VP_EXIT_CONTEXT.VpContext
    );
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "VpContext",
        ws::WHV_VP_EXIT_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "MemoryAccess", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.MemoryAccess);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "MemoryAccess",
        ws::WHV_MEMORY_ACCESS_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "IoPortAccess", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.IoPortAccess);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "IoPortAccess",
        ws::WHV_X64_IO_PORT_ACCESS_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "MsrAccess", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.MsrAccess);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "MsrAccess",
        ws::WHV_X64_MSR_ACCESS_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "CpuidAccess", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.CpuidAccess);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "CpuidAccess",
        ws::WHV_X64_CPUID_ACCESS_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "VpException", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.VpException);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "VpException",
        ws::WHV_VP_EXCEPTION_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "InterruptWindow", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.InterruptWindow);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "InterruptWindow",
        ws::WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "UnsupportedFeature", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.UnsupportedFeature);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "UnsupportedFeature",
        ws::WHV_X64_UNSUPPORTED_FEATURE_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "CancelReason", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.CancelReason);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "CancelReason",
        ws::WHV_RUN_VP_CANCELED_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "ApicEoi", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.ApicEoi);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ApicEoi",
        ws::WHV_X64_APIC_EOI_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "ReadTsc", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.ReadTsc);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ReadTsc",
        ws::WHV_X64_RDTSC_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "ApicSmi", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.ApicSmi);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ApicSmi",
        ws::WHV_X64_APIC_SMI_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "Hypercall", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.Hypercall);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "Hypercall",
        ws::WHV_HYPERCALL_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "ApicInitSipi", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.ApicInitSipi);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ApicInitSipi",
        ws::WHV_X64_APIC_INIT_SIPI_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "ApicWrite", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.ApicWrite);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "ApicWrite",
        ws::WHV_X64_APIC_WRITE_CONTEXT
    );
    off!(v, WHV_RUN_VP_EXIT_CONTEXT, "SynicSintDeliverable", WHV_RUN_VP_EXIT_CONTEXT.Anonymous; WHV_RUN_VP_EXIT_CONTEXT_0.SynicSintDeliverable);
    msz!(
        v,
        WHV_RUN_VP_EXIT_CONTEXT,
        "SynicSintDeliverable",
        ws::WHV_SYNIC_SINT_DELIVERABLE_CONTEXT
    );
    ty!(v, WHV_SCHEDULER_FEATURES);
    off!(
        v,
        WHV_SCHEDULER_FEATURES,
        "AsUINT64",
        WHV_SCHEDULER_FEATURES.AsUINT64
    );
    msz!(v, WHV_SCHEDULER_FEATURES, "AsUINT64", u64);
    ty!(v, WHV_SRIOV_RESOURCE_DESCRIPTOR);
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "PnpInstanceId",
        WHV_SRIOV_RESOURCE_DESCRIPTOR.PnpInstanceId
    );
    msz!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "PnpInstanceId",
        [u16; 200]
    );
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "VirtualFunctionId",
        WHV_SRIOV_RESOURCE_DESCRIPTOR.VirtualFunctionId
    );
    msz!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "VirtualFunctionId",
        windows_sys::Win32::Foundation::LUID
    );
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "VirtualFunctionIndex",
        WHV_SRIOV_RESOURCE_DESCRIPTOR.VirtualFunctionIndex
    );
    msz!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "VirtualFunctionIndex",
        u16
    );
    off!(
        v,
        WHV_SRIOV_RESOURCE_DESCRIPTOR,
        "Reserved",
        WHV_SRIOV_RESOURCE_DESCRIPTOR.Reserved
    );
    msz!(v, WHV_SRIOV_RESOURCE_DESCRIPTOR, "Reserved", u16);
    ty!(v, WHV_SYNIC_EVENT_PARAMETERS);
    off!(
        v,
        WHV_SYNIC_EVENT_PARAMETERS,
        "VpIndex",
        WHV_SYNIC_EVENT_PARAMETERS.VpIndex
    );
    msz!(v, WHV_SYNIC_EVENT_PARAMETERS, "VpIndex", u32);
    off!(
        v,
        WHV_SYNIC_EVENT_PARAMETERS,
        "TargetSint",
        WHV_SYNIC_EVENT_PARAMETERS.TargetSint
    );
    msz!(v, WHV_SYNIC_EVENT_PARAMETERS, "TargetSint", u8);
    off!(
        v,
        WHV_SYNIC_EVENT_PARAMETERS,
        "Reserved",
        WHV_SYNIC_EVENT_PARAMETERS.Reserved
    );
    msz!(v, WHV_SYNIC_EVENT_PARAMETERS, "Reserved", u8);
    off!(
        v,
        WHV_SYNIC_EVENT_PARAMETERS,
        "FlagNumber",
        WHV_SYNIC_EVENT_PARAMETERS.FlagNumber
    );
    msz!(v, WHV_SYNIC_EVENT_PARAMETERS, "FlagNumber", u16);
    ty!(v, WHV_SYNIC_SINT_DELIVERABLE_CONTEXT);
    off!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "DeliverableSints",
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT.DeliverableSints
    );
    msz!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "DeliverableSints",
        u16
    );
    off!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "Reserved1",
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT.Reserved1
    );
    msz!(v, WHV_SYNIC_SINT_DELIVERABLE_CONTEXT, "Reserved1", u16);
    off!(
        v,
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT,
        "Reserved2",
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT.Reserved2
    );
    msz!(v, WHV_SYNIC_SINT_DELIVERABLE_CONTEXT, "Reserved2", u32);
    ty!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES);
    off!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES,
        "AsUINT64",
        WHV_SYNTHETIC_PROCESSOR_FEATURES.AsUINT64
    );
    msz!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES, "AsUINT64", u64);
    ty!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS);
    off!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
        "BanksCount",
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS.BanksCount
    );
    msz!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS, "BanksCount", u32);
    off!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
        "Reserved0",
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS.Reserved0
    );
    msz!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS, "Reserved0", u32);
    off!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS, "Bank0", WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS.Anonymous; WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0.Anonymous; WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0_0.Bank0);
    msz!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
        "Bank0",
        ws::WHV_SYNTHETIC_PROCESSOR_FEATURES
    );
    off!(v, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS, "AsUINT64", WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS.Anonymous; WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0.AsUINT64);
    msz!(
        v,
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
        "AsUINT64",
        [u64; 1]
    );
    ty!(v, WHV_TRANSLATE_GVA_RESULT);
    off!(
        v,
        WHV_TRANSLATE_GVA_RESULT,
        "ResultCode",
        WHV_TRANSLATE_GVA_RESULT.ResultCode
    );
    msz!(
        v,
        WHV_TRANSLATE_GVA_RESULT,
        "ResultCode",
        ws::WHV_TRANSLATE_GVA_RESULT_CODE
    );
    off!(
        v,
        WHV_TRANSLATE_GVA_RESULT,
        "Reserved",
        WHV_TRANSLATE_GVA_RESULT.Reserved
    );
    msz!(v, WHV_TRANSLATE_GVA_RESULT, "Reserved", u32);
    ty!(v, WHV_TRIGGER_PARAMETERS);
    off!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "TriggerType",
        WHV_TRIGGER_PARAMETERS.TriggerType
    );
    msz!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "TriggerType",
        ws::WHV_TRIGGER_TYPE
    );
    off!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "Reserved",
        WHV_TRIGGER_PARAMETERS.Reserved
    );
    msz!(v, WHV_TRIGGER_PARAMETERS, "Reserved", u32);
    off!(v, WHV_TRIGGER_PARAMETERS, "Interrupt", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.Interrupt);
    msz!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "Interrupt",
        ws::WHV_INTERRUPT_CONTROL
    );
    off!(v, WHV_TRIGGER_PARAMETERS, "SynicEvent", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.SynicEvent);
    msz!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "SynicEvent",
        ws::WHV_SYNIC_EVENT_PARAMETERS
    );
    off!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.DeviceInterrupt);
    msz!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "DeviceInterrupt",
        ws::WHV_TRIGGER_PARAMETERS_0_0
    );
    off!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.LogicalDeviceId", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.DeviceInterrupt; WHV_TRIGGER_PARAMETERS_0_0.LogicalDeviceId);
    msz!(
        v,
        WHV_TRIGGER_PARAMETERS,
        "DeviceInterrupt.LogicalDeviceId",
        u64
    );
    off!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.MsiAddress", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.DeviceInterrupt; WHV_TRIGGER_PARAMETERS_0_0.MsiAddress);
    msz!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.MsiAddress", u64);
    off!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.MsiData", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.DeviceInterrupt; WHV_TRIGGER_PARAMETERS_0_0.MsiData);
    msz!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.MsiData", u32);
    off!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.Reserved", WHV_TRIGGER_PARAMETERS.Anonymous; WHV_TRIGGER_PARAMETERS_0.DeviceInterrupt; WHV_TRIGGER_PARAMETERS_0_0.Reserved);
    msz!(v, WHV_TRIGGER_PARAMETERS, "DeviceInterrupt.Reserved", u32);
    ty!(v, WHV_UINT128);
    off!(v, WHV_UINT128, "Low64", WHV_UINT128.Anonymous; WHV_UINT128_0.Low64);
    msz!(v, WHV_UINT128, "Low64", u64);
    off!(v, WHV_UINT128, "High64", WHV_UINT128.Anonymous; WHV_UINT128_0.High64);
    msz!(v, WHV_UINT128, "High64", u64);
    off!(v, WHV_UINT128, "Dword", WHV_UINT128.Dword);
    msz!(v, WHV_UINT128, "Dword", [u32; 4]);
    ty!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY);
    off!(
        v,
        WHV_VIRTUAL_PROCESSOR_PROPERTY,
        "PropertyCode",
        WHV_VIRTUAL_PROCESSOR_PROPERTY.PropertyCode
    );
    msz!(
        v,
        WHV_VIRTUAL_PROCESSOR_PROPERTY,
        "PropertyCode",
        ws::WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE
    );
    off!(
        v,
        WHV_VIRTUAL_PROCESSOR_PROPERTY,
        "Reserved",
        WHV_VIRTUAL_PROCESSOR_PROPERTY.Reserved
    );
    msz!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY, "Reserved", u32);
    off!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY, "NumaNode", WHV_VIRTUAL_PROCESSOR_PROPERTY.Anonymous; WHV_VIRTUAL_PROCESSOR_PROPERTY_0.NumaNode);
    msz!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY, "NumaNode", u16);
    off!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY, "Padding", WHV_VIRTUAL_PROCESSOR_PROPERTY.Anonymous; WHV_VIRTUAL_PROCESSOR_PROPERTY_0.Padding);
    msz!(v, WHV_VIRTUAL_PROCESSOR_PROPERTY, "Padding", u64);
    ty!(v, WHV_VPCI_DEVICE_NOTIFICATION);
    off!(
        v,
        WHV_VPCI_DEVICE_NOTIFICATION,
        "NotificationType",
        WHV_VPCI_DEVICE_NOTIFICATION.NotificationType
    );
    msz!(
        v,
        WHV_VPCI_DEVICE_NOTIFICATION,
        "NotificationType",
        ws::WHV_VPCI_DEVICE_NOTIFICATION_TYPE
    );
    off!(
        v,
        WHV_VPCI_DEVICE_NOTIFICATION,
        "Reserved1",
        WHV_VPCI_DEVICE_NOTIFICATION.Reserved1
    );
    msz!(v, WHV_VPCI_DEVICE_NOTIFICATION, "Reserved1", u32);
    off!(v, WHV_VPCI_DEVICE_NOTIFICATION, "Reserved2", WHV_VPCI_DEVICE_NOTIFICATION.Anonymous; WHV_VPCI_DEVICE_NOTIFICATION_0.Reserved2);
    msz!(v, WHV_VPCI_DEVICE_NOTIFICATION, "Reserved2", u64);
    ty!(v, WHV_VPCI_DEVICE_REGISTER);
    off!(
        v,
        WHV_VPCI_DEVICE_REGISTER,
        "Location",
        WHV_VPCI_DEVICE_REGISTER.Location
    );
    msz!(
        v,
        WHV_VPCI_DEVICE_REGISTER,
        "Location",
        ws::WHV_VPCI_DEVICE_REGISTER_SPACE
    );
    off!(
        v,
        WHV_VPCI_DEVICE_REGISTER,
        "SizeInBytes",
        WHV_VPCI_DEVICE_REGISTER.SizeInBytes
    );
    msz!(v, WHV_VPCI_DEVICE_REGISTER, "SizeInBytes", u32);
    off!(
        v,
        WHV_VPCI_DEVICE_REGISTER,
        "OffsetInBytes",
        WHV_VPCI_DEVICE_REGISTER.OffsetInBytes
    );
    msz!(v, WHV_VPCI_DEVICE_REGISTER, "OffsetInBytes", u64);
    ty!(v, WHV_VPCI_HARDWARE_IDS);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "VendorID",
        WHV_VPCI_HARDWARE_IDS.VendorID
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "VendorID", u16);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "DeviceID",
        WHV_VPCI_HARDWARE_IDS.DeviceID
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "DeviceID", u16);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "RevisionID",
        WHV_VPCI_HARDWARE_IDS.RevisionID
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "RevisionID", u8);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "ProgIf",
        WHV_VPCI_HARDWARE_IDS.ProgIf
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "ProgIf", u8);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "SubClass",
        WHV_VPCI_HARDWARE_IDS.SubClass
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "SubClass", u8);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "BaseClass",
        WHV_VPCI_HARDWARE_IDS.BaseClass
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "BaseClass", u8);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "SubVendorID",
        WHV_VPCI_HARDWARE_IDS.SubVendorID
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "SubVendorID", u16);
    off!(
        v,
        WHV_VPCI_HARDWARE_IDS,
        "SubSystemID",
        WHV_VPCI_HARDWARE_IDS.SubSystemID
    );
    msz!(v, WHV_VPCI_HARDWARE_IDS, "SubSystemID", u16);
    ty!(v, WHV_VPCI_INTERRUPT_TARGET);
    off!(
        v,
        WHV_VPCI_INTERRUPT_TARGET,
        "Vector",
        WHV_VPCI_INTERRUPT_TARGET.Vector
    );
    msz!(v, WHV_VPCI_INTERRUPT_TARGET, "Vector", u32);
    off!(
        v,
        WHV_VPCI_INTERRUPT_TARGET,
        "Flags",
        WHV_VPCI_INTERRUPT_TARGET.Flags
    );
    msz!(
        v,
        WHV_VPCI_INTERRUPT_TARGET,
        "Flags",
        ws::WHV_VPCI_INTERRUPT_TARGET_FLAGS
    );
    off!(
        v,
        WHV_VPCI_INTERRUPT_TARGET,
        "ProcessorCount",
        WHV_VPCI_INTERRUPT_TARGET.ProcessorCount
    );
    msz!(v, WHV_VPCI_INTERRUPT_TARGET, "ProcessorCount", u32);
    off!(
        v,
        WHV_VPCI_INTERRUPT_TARGET,
        "Processors",
        WHV_VPCI_INTERRUPT_TARGET.Processors
    );
    msz!(v, WHV_VPCI_INTERRUPT_TARGET, "Processors", [u32; 1]);
    ty!(v, WHV_VPCI_MMIO_MAPPING);
    off!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "Location",
        WHV_VPCI_MMIO_MAPPING.Location
    );
    msz!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "Location",
        ws::WHV_VPCI_DEVICE_REGISTER_SPACE
    );
    off!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "Flags",
        WHV_VPCI_MMIO_MAPPING.Flags
    );
    msz!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "Flags",
        ws::WHV_VPCI_MMIO_RANGE_FLAGS
    );
    off!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "SizeInBytes",
        WHV_VPCI_MMIO_MAPPING.SizeInBytes
    );
    msz!(v, WHV_VPCI_MMIO_MAPPING, "SizeInBytes", u64);
    off!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "OffsetInBytes",
        WHV_VPCI_MMIO_MAPPING.OffsetInBytes
    );
    msz!(v, WHV_VPCI_MMIO_MAPPING, "OffsetInBytes", u64);
    off!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "VirtualAddress",
        WHV_VPCI_MMIO_MAPPING.VirtualAddress
    );
    msz!(
        v,
        WHV_VPCI_MMIO_MAPPING,
        "VirtualAddress",
        *mut core::ffi::c_void
    );
    ty!(v, WHV_VPCI_PROBED_BARS);
    off!(v, WHV_VPCI_PROBED_BARS, "Value", WHV_VPCI_PROBED_BARS.Value);
    msz!(v, WHV_VPCI_PROBED_BARS, "Value", [u32; 6]);
    ty!(v, WHV_VP_EXCEPTION_CONTEXT);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "InstructionByteCount",
        WHV_VP_EXCEPTION_CONTEXT.InstructionByteCount
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "InstructionByteCount", u8);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "Reserved",
        WHV_VP_EXCEPTION_CONTEXT.Reserved
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "Reserved", [u8; 3]);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "InstructionBytes",
        WHV_VP_EXCEPTION_CONTEXT.InstructionBytes
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "InstructionBytes", [u8; 16]);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "ExceptionInfo",
        WHV_VP_EXCEPTION_CONTEXT.ExceptionInfo
    );
    msz!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "ExceptionInfo",
        ws::WHV_VP_EXCEPTION_INFO
    );
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "ExceptionType",
        WHV_VP_EXCEPTION_CONTEXT.ExceptionType
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "ExceptionType", u8);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "Reserved2",
        WHV_VP_EXCEPTION_CONTEXT.Reserved2
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "Reserved2", [u8; 3]);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "ErrorCode",
        WHV_VP_EXCEPTION_CONTEXT.ErrorCode
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "ErrorCode", u32);
    off!(
        v,
        WHV_VP_EXCEPTION_CONTEXT,
        "ExceptionParameter",
        WHV_VP_EXCEPTION_CONTEXT.ExceptionParameter
    );
    msz!(v, WHV_VP_EXCEPTION_CONTEXT, "ExceptionParameter", u64);
    ty!(v, WHV_VP_EXCEPTION_INFO);
    off!(
        v,
        WHV_VP_EXCEPTION_INFO,
        "AsUINT32",
        WHV_VP_EXCEPTION_INFO.AsUINT32
    );
    msz!(v, WHV_VP_EXCEPTION_INFO, "AsUINT32", u32);
    ty!(v, WHV_VP_EXIT_CONTEXT);
    off!(
        v,
        WHV_VP_EXIT_CONTEXT,
        "ExecutionState",
        WHV_VP_EXIT_CONTEXT.ExecutionState
    );
    msz!(
        v,
        WHV_VP_EXIT_CONTEXT,
        "ExecutionState",
        ws::WHV_X64_VP_EXECUTION_STATE
    );
    off!(
        v,
        WHV_VP_EXIT_CONTEXT,
        "Reserved",
        WHV_VP_EXIT_CONTEXT.Reserved
    );
    msz!(v, WHV_VP_EXIT_CONTEXT, "Reserved", u8);
    off!(
        v,
        WHV_VP_EXIT_CONTEXT,
        "Reserved2",
        WHV_VP_EXIT_CONTEXT.Reserved2
    );
    msz!(v, WHV_VP_EXIT_CONTEXT, "Reserved2", u32);
    off!(v, WHV_VP_EXIT_CONTEXT, "Cs", WHV_VP_EXIT_CONTEXT.Cs);
    msz!(v, WHV_VP_EXIT_CONTEXT, "Cs", ws::WHV_X64_SEGMENT_REGISTER);
    off!(v, WHV_VP_EXIT_CONTEXT, "Rip", WHV_VP_EXIT_CONTEXT.Rip);
    msz!(v, WHV_VP_EXIT_CONTEXT, "Rip", u64);
    off!(v, WHV_VP_EXIT_CONTEXT, "Rflags", WHV_VP_EXIT_CONTEXT.Rflags);
    msz!(v, WHV_VP_EXIT_CONTEXT, "Rflags", u64);
    ty!(v, WHV_X64_APIC_EOI_CONTEXT);
    off!(
        v,
        WHV_X64_APIC_EOI_CONTEXT,
        "InterruptVector",
        WHV_X64_APIC_EOI_CONTEXT.InterruptVector
    );
    msz!(v, WHV_X64_APIC_EOI_CONTEXT, "InterruptVector", u32);
    ty!(v, WHV_X64_APIC_INIT_SIPI_CONTEXT);
    off!(
        v,
        WHV_X64_APIC_INIT_SIPI_CONTEXT,
        "ApicIcr",
        WHV_X64_APIC_INIT_SIPI_CONTEXT.ApicIcr
    );
    msz!(v, WHV_X64_APIC_INIT_SIPI_CONTEXT, "ApicIcr", u64);
    ty!(v, WHV_X64_APIC_SMI_CONTEXT);
    off!(
        v,
        WHV_X64_APIC_SMI_CONTEXT,
        "ApicIcr",
        WHV_X64_APIC_SMI_CONTEXT.ApicIcr
    );
    msz!(v, WHV_X64_APIC_SMI_CONTEXT, "ApicIcr", u64);
    ty!(v, WHV_X64_APIC_WRITE_CONTEXT);
    off!(
        v,
        WHV_X64_APIC_WRITE_CONTEXT,
        "Type",
        WHV_X64_APIC_WRITE_CONTEXT.Type
    );
    msz!(
        v,
        WHV_X64_APIC_WRITE_CONTEXT,
        "Type",
        ws::WHV_X64_APIC_WRITE_TYPE
    );
    off!(
        v,
        WHV_X64_APIC_WRITE_CONTEXT,
        "Reserved",
        WHV_X64_APIC_WRITE_CONTEXT.Reserved
    );
    msz!(v, WHV_X64_APIC_WRITE_CONTEXT, "Reserved", u32);
    off!(
        v,
        WHV_X64_APIC_WRITE_CONTEXT,
        "WriteValue",
        WHV_X64_APIC_WRITE_CONTEXT.WriteValue
    );
    msz!(v, WHV_X64_APIC_WRITE_CONTEXT, "WriteValue", u64);
    ty!(v, WHV_X64_CPUID_ACCESS_CONTEXT);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "Rax",
        WHV_X64_CPUID_ACCESS_CONTEXT.Rax
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rax", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "Rcx",
        WHV_X64_CPUID_ACCESS_CONTEXT.Rcx
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rcx", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "Rdx",
        WHV_X64_CPUID_ACCESS_CONTEXT.Rdx
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rdx", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "Rbx",
        WHV_X64_CPUID_ACCESS_CONTEXT.Rbx
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "Rbx", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRax",
        WHV_X64_CPUID_ACCESS_CONTEXT.DefaultResultRax
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "DefaultResultRax", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRcx",
        WHV_X64_CPUID_ACCESS_CONTEXT.DefaultResultRcx
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "DefaultResultRcx", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRdx",
        WHV_X64_CPUID_ACCESS_CONTEXT.DefaultResultRdx
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "DefaultResultRdx", u64);
    off!(
        v,
        WHV_X64_CPUID_ACCESS_CONTEXT,
        "DefaultResultRbx",
        WHV_X64_CPUID_ACCESS_CONTEXT.DefaultResultRbx
    );
    msz!(v, WHV_X64_CPUID_ACCESS_CONTEXT, "DefaultResultRbx", u64);
    ty!(v, WHV_X64_CPUID_RESULT);
    off!(
        v,
        WHV_X64_CPUID_RESULT,
        "Function",
        WHV_X64_CPUID_RESULT.Function
    );
    msz!(v, WHV_X64_CPUID_RESULT, "Function", u32);
    off!(
        v,
        WHV_X64_CPUID_RESULT,
        "Reserved",
        WHV_X64_CPUID_RESULT.Reserved
    );
    msz!(v, WHV_X64_CPUID_RESULT, "Reserved", [u32; 3]);
    off!(v, WHV_X64_CPUID_RESULT, "Eax", WHV_X64_CPUID_RESULT.Eax);
    msz!(v, WHV_X64_CPUID_RESULT, "Eax", u32);
    off!(v, WHV_X64_CPUID_RESULT, "Ebx", WHV_X64_CPUID_RESULT.Ebx);
    msz!(v, WHV_X64_CPUID_RESULT, "Ebx", u32);
    off!(v, WHV_X64_CPUID_RESULT, "Ecx", WHV_X64_CPUID_RESULT.Ecx);
    msz!(v, WHV_X64_CPUID_RESULT, "Ecx", u32);
    off!(v, WHV_X64_CPUID_RESULT, "Edx", WHV_X64_CPUID_RESULT.Edx);
    msz!(v, WHV_X64_CPUID_RESULT, "Edx", u32);
    ty!(v, WHV_X64_CPUID_RESULT2);
    off!(
        v,
        WHV_X64_CPUID_RESULT2,
        "Function",
        WHV_X64_CPUID_RESULT2.Function
    );
    msz!(v, WHV_X64_CPUID_RESULT2, "Function", u32);
    off!(
        v,
        WHV_X64_CPUID_RESULT2,
        "Index",
        WHV_X64_CPUID_RESULT2.Index
    );
    msz!(v, WHV_X64_CPUID_RESULT2, "Index", u32);
    off!(
        v,
        WHV_X64_CPUID_RESULT2,
        "VpIndex",
        WHV_X64_CPUID_RESULT2.VpIndex
    );
    msz!(v, WHV_X64_CPUID_RESULT2, "VpIndex", u32);
    off!(
        v,
        WHV_X64_CPUID_RESULT2,
        "Flags",
        WHV_X64_CPUID_RESULT2.Flags
    );
    msz!(
        v,
        WHV_X64_CPUID_RESULT2,
        "Flags",
        ws::WHV_X64_CPUID_RESULT2_FLAGS
    );
    off!(
        v,
        WHV_X64_CPUID_RESULT2,
        "Output",
        WHV_X64_CPUID_RESULT2.Output
    );
    msz!(v, WHV_X64_CPUID_RESULT2, "Output", ws::WHV_CPUID_OUTPUT);
    off!(v, WHV_X64_CPUID_RESULT2, "Mask", WHV_X64_CPUID_RESULT2.Mask);
    msz!(v, WHV_X64_CPUID_RESULT2, "Mask", ws::WHV_CPUID_OUTPUT);
    ty!(v, WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER);
    off!(
        v,
        WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
        "AsUINT64",
        WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER.AsUINT64
    );
    msz!(
        v,
        WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER,
        "AsUINT64",
        u64
    );
    ty!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "FpControl", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.FpControl);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "FpControl", u16);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "FpStatus", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.FpStatus);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "FpStatus", u16);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "FpTag", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.FpTag);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "FpTag", u8);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "Reserved", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.Reserved);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "Reserved", u8);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpOp", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.LastFpOp);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpOp", u16);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpRip", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0.LastFpRip);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpRip", u64);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpEip", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0_0.LastFpEip);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpEip", u32);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpCs", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0_0.LastFpCs);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "LastFpCs", u16);
    off!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "Reserved2", WHV_X64_FP_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0.Anonymous; WHV_X64_FP_CONTROL_STATUS_REGISTER_0_0_0.Reserved2);
    msz!(v, WHV_X64_FP_CONTROL_STATUS_REGISTER, "Reserved2", u16);
    off!(
        v,
        WHV_X64_FP_CONTROL_STATUS_REGISTER,
        "AsUINT128",
        WHV_X64_FP_CONTROL_STATUS_REGISTER.AsUINT128
    );
    msz!(
        v,
        WHV_X64_FP_CONTROL_STATUS_REGISTER,
        "AsUINT128",
        ws::WHV_UINT128
    );
    ty!(v, WHV_X64_FP_REGISTER);
    off!(v, WHV_X64_FP_REGISTER, "Mantissa", WHV_X64_FP_REGISTER.Anonymous; WHV_X64_FP_REGISTER_0.Mantissa);
    msz!(v, WHV_X64_FP_REGISTER, "Mantissa", u64);
    off!(
        v,
        WHV_X64_FP_REGISTER,
        "AsUINT128",
        WHV_X64_FP_REGISTER.AsUINT128
    );
    msz!(v, WHV_X64_FP_REGISTER, "AsUINT128", ws::WHV_UINT128);
    ty!(v, WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT);
    off!(
        v,
        WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT,
        "DeliverableType",
        WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT.DeliverableType
    );
    msz!(
        v,
        WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT,
        "DeliverableType",
        ws::WHV_X64_PENDING_INTERRUPTION_TYPE
    );
    ty!(v, WHV_X64_INTERRUPT_STATE_REGISTER);
    off!(
        v,
        WHV_X64_INTERRUPT_STATE_REGISTER,
        "AsUINT64",
        WHV_X64_INTERRUPT_STATE_REGISTER.AsUINT64
    );
    msz!(v, WHV_X64_INTERRUPT_STATE_REGISTER, "AsUINT64", u64);
    ty!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "InstructionByteCount",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.InstructionByteCount
    );
    msz!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "InstructionByteCount",
        u8
    );
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Reserved",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Reserved
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Reserved", [u8; 3]);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "InstructionBytes",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.InstructionBytes
    );
    msz!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "InstructionBytes",
        [u8; 16]
    );
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "AccessInfo",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.AccessInfo
    );
    msz!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "AccessInfo",
        ws::WHV_X64_IO_PORT_ACCESS_INFO
    );
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "PortNumber",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.PortNumber
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "PortNumber", u16);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Reserved2",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Reserved2
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Reserved2", [u16; 3]);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Rax",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Rax
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rax", u64);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Rcx",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Rcx
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rcx", u64);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Rsi",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Rsi
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rsi", u64);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Rdi",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Rdi
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_CONTEXT, "Rdi", u64);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Ds",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Ds
    );
    msz!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Ds",
        ws::WHV_X64_SEGMENT_REGISTER
    );
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Es",
        WHV_X64_IO_PORT_ACCESS_CONTEXT.Es
    );
    msz!(
        v,
        WHV_X64_IO_PORT_ACCESS_CONTEXT,
        "Es",
        ws::WHV_X64_SEGMENT_REGISTER
    );
    ty!(v, WHV_X64_IO_PORT_ACCESS_INFO);
    off!(
        v,
        WHV_X64_IO_PORT_ACCESS_INFO,
        "AsUINT32",
        WHV_X64_IO_PORT_ACCESS_INFO.AsUINT32
    );
    msz!(v, WHV_X64_IO_PORT_ACCESS_INFO, "AsUINT32", u32);
    ty!(v, WHV_X64_MSR_ACCESS_CONTEXT);
    off!(
        v,
        WHV_X64_MSR_ACCESS_CONTEXT,
        "AccessInfo",
        WHV_X64_MSR_ACCESS_CONTEXT.AccessInfo
    );
    msz!(
        v,
        WHV_X64_MSR_ACCESS_CONTEXT,
        "AccessInfo",
        ws::WHV_X64_MSR_ACCESS_INFO
    );
    off!(
        v,
        WHV_X64_MSR_ACCESS_CONTEXT,
        "MsrNumber",
        WHV_X64_MSR_ACCESS_CONTEXT.MsrNumber
    );
    msz!(v, WHV_X64_MSR_ACCESS_CONTEXT, "MsrNumber", u32);
    off!(
        v,
        WHV_X64_MSR_ACCESS_CONTEXT,
        "Rax",
        WHV_X64_MSR_ACCESS_CONTEXT.Rax
    );
    msz!(v, WHV_X64_MSR_ACCESS_CONTEXT, "Rax", u64);
    off!(
        v,
        WHV_X64_MSR_ACCESS_CONTEXT,
        "Rdx",
        WHV_X64_MSR_ACCESS_CONTEXT.Rdx
    );
    msz!(v, WHV_X64_MSR_ACCESS_CONTEXT, "Rdx", u64);
    ty!(v, WHV_X64_MSR_ACCESS_INFO);
    off!(
        v,
        WHV_X64_MSR_ACCESS_INFO,
        "AsUINT32",
        WHV_X64_MSR_ACCESS_INFO.AsUINT32
    );
    msz!(v, WHV_X64_MSR_ACCESS_INFO, "AsUINT32", u32);
    ty!(v, WHV_X64_MSR_EXIT_BITMAP);
    off!(
        v,
        WHV_X64_MSR_EXIT_BITMAP,
        "AsUINT64",
        WHV_X64_MSR_EXIT_BITMAP.AsUINT64
    );
    msz!(v, WHV_X64_MSR_EXIT_BITMAP, "AsUINT64", u64);
    ty!(v, WHV_X64_PENDING_DEBUG_EXCEPTION);
    off!(
        v,
        WHV_X64_PENDING_DEBUG_EXCEPTION,
        "AsUINT64",
        WHV_X64_PENDING_DEBUG_EXCEPTION.AsUINT64
    );
    msz!(v, WHV_X64_PENDING_DEBUG_EXCEPTION, "AsUINT64", u64);
    ty!(v, WHV_X64_PENDING_EXCEPTION_EVENT);
    off!(v, WHV_X64_PENDING_EXCEPTION_EVENT, "ErrorCode", WHV_X64_PENDING_EXCEPTION_EVENT.Anonymous; WHV_X64_PENDING_EXCEPTION_EVENT_0.ErrorCode);
    msz!(v, WHV_X64_PENDING_EXCEPTION_EVENT, "ErrorCode", u32);
    off!(v, WHV_X64_PENDING_EXCEPTION_EVENT, "ExceptionParameter", WHV_X64_PENDING_EXCEPTION_EVENT.Anonymous; WHV_X64_PENDING_EXCEPTION_EVENT_0.ExceptionParameter);
    msz!(
        v,
        WHV_X64_PENDING_EXCEPTION_EVENT,
        "ExceptionParameter",
        u64
    );
    off!(
        v,
        WHV_X64_PENDING_EXCEPTION_EVENT,
        "AsUINT128",
        WHV_X64_PENDING_EXCEPTION_EVENT.AsUINT128
    );
    msz!(
        v,
        WHV_X64_PENDING_EXCEPTION_EVENT,
        "AsUINT128",
        ws::WHV_UINT128
    );
    ty!(v, WHV_X64_PENDING_EXT_INT_EVENT);
    off!(v, WHV_X64_PENDING_EXT_INT_EVENT, "Reserved2", WHV_X64_PENDING_EXT_INT_EVENT.Anonymous; WHV_X64_PENDING_EXT_INT_EVENT_0.Reserved2);
    msz!(v, WHV_X64_PENDING_EXT_INT_EVENT, "Reserved2", u64);
    off!(
        v,
        WHV_X64_PENDING_EXT_INT_EVENT,
        "AsUINT128",
        WHV_X64_PENDING_EXT_INT_EVENT.AsUINT128
    );
    msz!(
        v,
        WHV_X64_PENDING_EXT_INT_EVENT,
        "AsUINT128",
        ws::WHV_UINT128
    );
    ty!(v, WHV_X64_PENDING_INTERRUPTION_REGISTER);
    off!(v, WHV_X64_PENDING_INTERRUPTION_REGISTER, "ErrorCode", WHV_X64_PENDING_INTERRUPTION_REGISTER.Anonymous; WHV_X64_PENDING_INTERRUPTION_REGISTER_0.ErrorCode);
    msz!(v, WHV_X64_PENDING_INTERRUPTION_REGISTER, "ErrorCode", u32);
    off!(
        v,
        WHV_X64_PENDING_INTERRUPTION_REGISTER,
        "AsUINT64",
        WHV_X64_PENDING_INTERRUPTION_REGISTER.AsUINT64
    );
    msz!(v, WHV_X64_PENDING_INTERRUPTION_REGISTER, "AsUINT64", u64);
    ty!(v, WHV_X64_RDTSC_CONTEXT);
    off!(
        v,
        WHV_X64_RDTSC_CONTEXT,
        "TscAux",
        WHV_X64_RDTSC_CONTEXT.TscAux
    );
    msz!(v, WHV_X64_RDTSC_CONTEXT, "TscAux", u64);
    off!(
        v,
        WHV_X64_RDTSC_CONTEXT,
        "VirtualOffset",
        WHV_X64_RDTSC_CONTEXT.VirtualOffset
    );
    msz!(v, WHV_X64_RDTSC_CONTEXT, "VirtualOffset", u64);
    off!(v, WHV_X64_RDTSC_CONTEXT, "Tsc", WHV_X64_RDTSC_CONTEXT.Tsc);
    msz!(v, WHV_X64_RDTSC_CONTEXT, "Tsc", u64);
    off!(
        v,
        WHV_X64_RDTSC_CONTEXT,
        "ReferenceTime",
        WHV_X64_RDTSC_CONTEXT.ReferenceTime
    );
    msz!(v, WHV_X64_RDTSC_CONTEXT, "ReferenceTime", u64);
    off!(
        v,
        WHV_X64_RDTSC_CONTEXT,
        "RdtscInfo",
        WHV_X64_RDTSC_CONTEXT.RdtscInfo
    );
    msz!(
        v,
        WHV_X64_RDTSC_CONTEXT,
        "RdtscInfo",
        ws::WHV_X64_RDTSC_INFO
    );
    ty!(v, WHV_X64_RDTSC_INFO);
    off!(
        v,
        WHV_X64_RDTSC_INFO,
        "AsUINT64",
        WHV_X64_RDTSC_INFO.AsUINT64
    );
    msz!(v, WHV_X64_RDTSC_INFO, "AsUINT64", u64);
    ty!(v, WHV_X64_SEGMENT_REGISTER);
    off!(
        v,
        WHV_X64_SEGMENT_REGISTER,
        "Base",
        WHV_X64_SEGMENT_REGISTER.Base
    );
    msz!(v, WHV_X64_SEGMENT_REGISTER, "Base", u64);
    off!(
        v,
        WHV_X64_SEGMENT_REGISTER,
        "Limit",
        WHV_X64_SEGMENT_REGISTER.Limit
    );
    msz!(v, WHV_X64_SEGMENT_REGISTER, "Limit", u32);
    off!(
        v,
        WHV_X64_SEGMENT_REGISTER,
        "Selector",
        WHV_X64_SEGMENT_REGISTER.Selector
    );
    msz!(v, WHV_X64_SEGMENT_REGISTER, "Selector", u16);
    off!(v, WHV_X64_SEGMENT_REGISTER, "Attributes", WHV_X64_SEGMENT_REGISTER.Anonymous; WHV_X64_SEGMENT_REGISTER_0.Attributes);
    msz!(v, WHV_X64_SEGMENT_REGISTER, "Attributes", u16);
    ty!(v, WHV_X64_TABLE_REGISTER);
    off!(v, WHV_X64_TABLE_REGISTER, "Pad", WHV_X64_TABLE_REGISTER.Pad);
    msz!(v, WHV_X64_TABLE_REGISTER, "Pad", [u16; 3]);
    off!(
        v,
        WHV_X64_TABLE_REGISTER,
        "Limit",
        WHV_X64_TABLE_REGISTER.Limit
    );
    msz!(v, WHV_X64_TABLE_REGISTER, "Limit", u16);
    off!(
        v,
        WHV_X64_TABLE_REGISTER,
        "Base",
        WHV_X64_TABLE_REGISTER.Base
    );
    msz!(v, WHV_X64_TABLE_REGISTER, "Base", u64);
    ty!(v, WHV_X64_UNSUPPORTED_FEATURE_CONTEXT);
    off!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "FeatureCode",
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT.FeatureCode
    );
    msz!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "FeatureCode",
        ws::WHV_X64_UNSUPPORTED_FEATURE_CODE
    );
    off!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "Reserved",
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT.Reserved
    );
    msz!(v, WHV_X64_UNSUPPORTED_FEATURE_CONTEXT, "Reserved", u32);
    off!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "FeatureParameter",
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT.FeatureParameter
    );
    msz!(
        v,
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT,
        "FeatureParameter",
        u64
    );
    ty!(v, WHV_X64_VP_EXECUTION_STATE);
    off!(
        v,
        WHV_X64_VP_EXECUTION_STATE,
        "AsUINT16",
        WHV_X64_VP_EXECUTION_STATE.AsUINT16
    );
    msz!(v, WHV_X64_VP_EXECUTION_STATE, "AsUINT16", u16);
    ty!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER);
    off!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "LastFpRdp", WHV_X64_XMM_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0.LastFpRdp);
    msz!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "LastFpRdp", u64);
    off!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "LastFpDp", WHV_X64_XMM_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0_0.LastFpDp);
    msz!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "LastFpDp", u32);
    off!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "LastFpDs", WHV_X64_XMM_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0_0.LastFpDs);
    msz!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "LastFpDs", u16);
    off!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "Reserved", WHV_X64_XMM_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0_0_0.Reserved);
    msz!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "Reserved", u16);
    off!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "XmmStatusControl", WHV_X64_XMM_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0.XmmStatusControl);
    msz!(
        v,
        WHV_X64_XMM_CONTROL_STATUS_REGISTER,
        "XmmStatusControl",
        u32
    );
    off!(v, WHV_X64_XMM_CONTROL_STATUS_REGISTER, "XmmStatusControlMask", WHV_X64_XMM_CONTROL_STATUS_REGISTER.Anonymous; WHV_X64_XMM_CONTROL_STATUS_REGISTER_0.XmmStatusControlMask);
    msz!(
        v,
        WHV_X64_XMM_CONTROL_STATUS_REGISTER,
        "XmmStatusControlMask",
        u32
    );
    off!(
        v,
        WHV_X64_XMM_CONTROL_STATUS_REGISTER,
        "AsUINT128",
        WHV_X64_XMM_CONTROL_STATUS_REGISTER.AsUINT128
    );
    msz!(
        v,
        WHV_X64_XMM_CONTROL_STATUS_REGISTER,
        "AsUINT128",
        ws::WHV_UINT128
    );
    ty!(v, WHV_ADVISE_GPA_RANGE_CODE);
    ty!(v, WHV_ALLOCATE_VPCI_RESOURCE_FLAGS);
    ty!(v, WHV_CACHE_TYPE);
    ty!(v, WHV_CAPABILITY_CODE);
    ty!(v, WHV_CREATE_VPCI_DEVICE_FLAGS);
    ty!(v, WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK);
    ty!(v, WHV_EMULATOR_IO_PORT_CALLBACK);
    ty!(v, WHV_EMULATOR_MEMORY_CALLBACK);
    ty!(v, WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK);
    ty!(v, WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK);
    ty!(v, WHV_EXCEPTION_TYPE);
    ty!(v, WHV_INTERRUPT_DESTINATION_MODE);
    ty!(v, WHV_INTERRUPT_TRIGGER_MODE);
    ty!(v, WHV_INTERRUPT_TYPE);
    ty!(v, WHV_MAP_GPA_RANGE_FLAGS);
    ty!(v, WHV_MEMORY_ACCESS_TYPE);
    ty!(v, WHV_MSR_ACTION);
    ty!(v, WHV_NOTIFICATION_PORT_PROPERTY_CODE);
    ty!(v, WHV_NOTIFICATION_PORT_TYPE);
    ty!(v, WHV_PARTITION_COUNTER_SET);
    ty!(v, WHV_PARTITION_HANDLE);
    ty!(v, WHV_PARTITION_PROPERTY_CODE);
    ty!(v, WHV_PROCESSOR_COUNTER_SET);
    ty!(v, WHV_PROCESSOR_VENDOR);
    ty!(v, WHV_REGISTER_NAME);
    ty!(v, WHV_RUN_VP_CANCEL_REASON);
    ty!(v, WHV_RUN_VP_EXIT_REASON);
    ty!(v, WHV_TRANSLATE_GVA_FLAGS);
    ty!(v, WHV_TRANSLATE_GVA_RESULT_CODE);
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
    consts!(v, ws:
        WHV_ANY_VP, WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS, WHV_MAX_DEVICE_ID_SIZE_IN_CHARS, WHV_PROCESSOR_FEATURES_BANKS_COUNT,
        WHV_READ_WRITE_GPA_RANGE_MAX_SIZE, WHV_SYNIC_MESSAGE_SIZE, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT, WHV_VPCI_TYPE0_BAR_COUNT,
        WHvAdviseGpaRangeCodePin, WHvAdviseGpaRangeCodePopulate, WHvAdviseGpaRangeCodeUnpin, WHvAllocateVpciResourceFlagAllowDirectP2P,
        WHvAllocateVpciResourceFlagNone, WHvCacheTypeUncached, WHvCacheTypeWriteBack, WHvCacheTypeWriteCombining,
        WHvCacheTypeWriteThrough, WHvCapabilityCodeExceptionExitBitmap, WHvCapabilityCodeExtendedVmExits, WHvCapabilityCodeFeatures,
        WHvCapabilityCodeGpaRangePopulateFlags, WHvCapabilityCodeHypervisorPresent, WHvCapabilityCodeInterruptClockFrequency, WHvCapabilityCodeProcessorClFlushSize,
        WHvCapabilityCodeProcessorClockFrequency, WHvCapabilityCodeProcessorFeatures, WHvCapabilityCodeProcessorFeaturesBanks, WHvCapabilityCodeProcessorFrequencyCap,
        WHvCapabilityCodeProcessorPerfmonFeatures, WHvCapabilityCodeProcessorVendor, WHvCapabilityCodeProcessorXsaveFeatures, WHvCapabilityCodeSchedulerFeatures,
        WHvCapabilityCodeSyntheticProcessorFeaturesBanks, WHvCapabilityCodeX64MsrExitBitmap, WHvCreateVpciDeviceFlagNone, WHvCreateVpciDeviceFlagPhysicallyBacked,
        WHvCreateVpciDeviceFlagUseLogicalInterrupts, WHvMapGpaRangeFlagExecute, WHvMapGpaRangeFlagNone, WHvMapGpaRangeFlagRead,
        WHvMapGpaRangeFlagTrackDirtyPages, WHvMapGpaRangeFlagWrite, WHvMemoryAccessExecute, WHvMemoryAccessRead,
        WHvMemoryAccessWrite, WHvMsrActionArchitectureDefault, WHvMsrActionExit, WHvMsrActionIgnoreWriteReadZero,
        WHvNotificationPortPropertyPreferredTargetDuration, WHvNotificationPortPropertyPreferredTargetVp, WHvNotificationPortTypeDoorbell, WHvNotificationPortTypeEvent,
        WHvPartitionCounterSetMemory, WHvPartitionPropertyCodeAllowDeviceAssignment, WHvPartitionPropertyCodeApicRemoteReadSupport, WHvPartitionPropertyCodeCpuCap,
        WHvPartitionPropertyCodeCpuGroupId, WHvPartitionPropertyCodeCpuReserve, WHvPartitionPropertyCodeCpuWeight, WHvPartitionPropertyCodeCpuidExitList,
        WHvPartitionPropertyCodeCpuidResultList, WHvPartitionPropertyCodeCpuidResultList2, WHvPartitionPropertyCodeDisableSmt, WHvPartitionPropertyCodeExceptionExitBitmap,
        WHvPartitionPropertyCodeExtendedVmExits, WHvPartitionPropertyCodeInterruptClockFrequency, WHvPartitionPropertyCodeLocalApicEmulationMode, WHvPartitionPropertyCodeMsrActionList,
        WHvPartitionPropertyCodeNestedVirtualization, WHvPartitionPropertyCodePrimaryNumaNode, WHvPartitionPropertyCodeProcessorClFlushSize, WHvPartitionPropertyCodeProcessorClockFrequency,
        WHvPartitionPropertyCodeProcessorCount, WHvPartitionPropertyCodeProcessorFeatures, WHvPartitionPropertyCodeProcessorFeaturesBanks, WHvPartitionPropertyCodeProcessorFrequencyCap,
        WHvPartitionPropertyCodeProcessorPerfmonFeatures, WHvPartitionPropertyCodeProcessorXsaveFeatures, WHvPartitionPropertyCodeReferenceTime, WHvPartitionPropertyCodeSeparateSecurityDomain,
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks, WHvPartitionPropertyCodeUnimplementedMsrAction, WHvPartitionPropertyCodeX64MsrExitBitmap, WHvProcessorCounterSetApic,
        WHvProcessorCounterSetEvents, WHvProcessorCounterSetIntercepts, WHvProcessorCounterSetRuntime, WHvProcessorCounterSetSyntheticFeatures,
        WHvProcessorVendorAmd, WHvProcessorVendorHygon, WHvProcessorVendorIntel, WHvRegisterEom,
        WHvRegisterGuestOsId, WHvRegisterInternalActivityState, WHvRegisterInterruptState, WHvRegisterPendingEvent,
        WHvRegisterPendingInterruption, WHvRegisterReferenceTsc, WHvRegisterReferenceTscSequence, WHvRegisterScontrol,
        WHvRegisterSiefp, WHvRegisterSimp, WHvRegisterSint0, WHvRegisterSint1,
        WHvRegisterSint10, WHvRegisterSint11, WHvRegisterSint12, WHvRegisterSint13,
        WHvRegisterSint14, WHvRegisterSint15, WHvRegisterSint2, WHvRegisterSint3,
        WHvRegisterSint4, WHvRegisterSint5, WHvRegisterSint6, WHvRegisterSint7,
        WHvRegisterSint8, WHvRegisterSint9, WHvRegisterSversion, WHvRegisterVpAssistPage,
        WHvRegisterVpRuntime, WHvRunVpCancelReasonUser, WHvRunVpExitReasonCanceled, WHvRunVpExitReasonException,
        WHvRunVpExitReasonHypercall, WHvRunVpExitReasonInvalidVpRegisterValue, WHvRunVpExitReasonMemoryAccess, WHvRunVpExitReasonNone,
        WHvRunVpExitReasonSynicSintDeliverable, WHvRunVpExitReasonUnrecoverableException, WHvRunVpExitReasonUnsupportedFeature, WHvRunVpExitReasonX64ApicEoi,
        WHvRunVpExitReasonX64ApicInitSipiTrap, WHvRunVpExitReasonX64ApicSmiTrap, WHvRunVpExitReasonX64ApicWriteTrap, WHvRunVpExitReasonX64Cpuid,
        WHvRunVpExitReasonX64Halt, WHvRunVpExitReasonX64InterruptWindow, WHvRunVpExitReasonX64IoPortAccess, WHvRunVpExitReasonX64MsrAccess,
        WHvRunVpExitReasonX64Rdtsc, WHvTranslateGvaFlagEnforceSmap, WHvTranslateGvaFlagNone, WHvTranslateGvaFlagOverrideSmap,
        WHvTranslateGvaFlagPrivilegeExempt, WHvTranslateGvaFlagSetPageTableBits, WHvTranslateGvaFlagValidateExecute, WHvTranslateGvaFlagValidateRead,
        WHvTranslateGvaFlagValidateWrite, WHvTranslateGvaResultGpaIllegalOverlayAccess, WHvTranslateGvaResultGpaNoReadAccess, WHvTranslateGvaResultGpaNoWriteAccess,
        WHvTranslateGvaResultGpaUnmapped, WHvTranslateGvaResultIntercept, WHvTranslateGvaResultInvalidPageTableFlags, WHvTranslateGvaResultPageNotPresent,
        WHvTranslateGvaResultPrivilegeViolation, WHvTranslateGvaResultSuccess, WHvTriggerTypeDeviceInterrupt, WHvTriggerTypeInterrupt,
        WHvTriggerTypeSynicEvent, WHvUnsupportedFeatureIntercept, WHvUnsupportedFeatureTaskSwitchTss, WHvVirtualProcessorPropertyCodeNumaNode,
        WHvVirtualProcessorStateTypeInterruptControllerState2, WHvVirtualProcessorStateTypeSynicEventFlagPage, WHvVirtualProcessorStateTypeSynicMessagePage, WHvVirtualProcessorStateTypeSynicTimerState,
        WHvVirtualProcessorStateTypeXsaveState, WHvVpciBar0, WHvVpciBar1, WHvVpciBar2,
        WHvVpciBar3, WHvVpciBar4, WHvVpciBar5, WHvVpciConfigSpace,
        WHvVpciDeviceNotificationMmioRemapping, WHvVpciDeviceNotificationSurpriseRemoval, WHvVpciDeviceNotificationUndefined, WHvVpciDevicePropertyCodeHardwareIDs,
        WHvVpciDevicePropertyCodeProbedBARs, WHvVpciDevicePropertyCodeUndefined, WHvVpciInterruptTargetFlagMulticast, WHvVpciInterruptTargetFlagNone,
        WHvVpciMmioRangeFlagReadAccess, WHvVpciMmioRangeFlagWriteAccess, WHvX64ApicWriteTypeDfr, WHvX64ApicWriteTypeLdr,
        WHvX64ApicWriteTypeLint0, WHvX64ApicWriteTypeLint1, WHvX64ApicWriteTypeSvr, WHvX64CpuidResult2FlagSubleafSpecific,
        WHvX64CpuidResult2FlagVpSpecific, WHvX64ExceptionTypeAlignmentCheckFault, WHvX64ExceptionTypeBoundRangeFault, WHvX64ExceptionTypeBreakpointTrap,
        WHvX64ExceptionTypeDebugTrapOrFault, WHvX64ExceptionTypeDeviceNotAvailableFault, WHvX64ExceptionTypeDivideErrorFault, WHvX64ExceptionTypeDoubleFaultAbort,
        WHvX64ExceptionTypeFloatingPointErrorFault, WHvX64ExceptionTypeGeneralProtectionFault, WHvX64ExceptionTypeInvalidOpcodeFault, WHvX64ExceptionTypeInvalidTaskStateSegmentFault,
        WHvX64ExceptionTypeMachineCheckAbort, WHvX64ExceptionTypeOverflowTrap, WHvX64ExceptionTypePageFault, WHvX64ExceptionTypeSegmentNotPresentFault,
        WHvX64ExceptionTypeSimdFloatingPointFault, WHvX64ExceptionTypeStackFault, WHvX64InterruptDestinationModeLogical, WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptTriggerModeEdge, WHvX64InterruptTriggerModeLevel, WHvX64InterruptTypeFixed, WHvX64InterruptTypeInit,
        WHvX64InterruptTypeLocalInt1, WHvX64InterruptTypeLowestPriority, WHvX64InterruptTypeNmi, WHvX64InterruptTypeSipi,
        WHvX64LocalApicEmulationModeNone, WHvX64LocalApicEmulationModeX2Apic, WHvX64LocalApicEmulationModeXApic, WHvX64PendingEventException,
        WHvX64PendingEventExtInt, WHvX64PendingException, WHvX64PendingInterrupt, WHvX64PendingNmi,
        WHvX64RegisterACount, WHvX64RegisterApicBase, WHvX64RegisterApicCurrentCount, WHvX64RegisterApicDivide,
        WHvX64RegisterApicEoi, WHvX64RegisterApicEse, WHvX64RegisterApicIcr, WHvX64RegisterApicId,
        WHvX64RegisterApicInitCount, WHvX64RegisterApicIrr0, WHvX64RegisterApicIrr1, WHvX64RegisterApicIrr2,
        WHvX64RegisterApicIrr3, WHvX64RegisterApicIrr4, WHvX64RegisterApicIrr5, WHvX64RegisterApicIrr6,
        WHvX64RegisterApicIrr7, WHvX64RegisterApicIsr0, WHvX64RegisterApicIsr1, WHvX64RegisterApicIsr2,
        WHvX64RegisterApicIsr3, WHvX64RegisterApicIsr4, WHvX64RegisterApicIsr5, WHvX64RegisterApicIsr6,
        WHvX64RegisterApicIsr7, WHvX64RegisterApicLdr, WHvX64RegisterApicLvtError, WHvX64RegisterApicLvtLint0,
        WHvX64RegisterApicLvtLint1, WHvX64RegisterApicLvtPerfmon, WHvX64RegisterApicLvtThermal, WHvX64RegisterApicLvtTimer,
        WHvX64RegisterApicPpr, WHvX64RegisterApicSelfIpi, WHvX64RegisterApicSpurious, WHvX64RegisterApicTmr0,
        WHvX64RegisterApicTmr1, WHvX64RegisterApicTmr2, WHvX64RegisterApicTmr3, WHvX64RegisterApicTmr4,
        WHvX64RegisterApicTmr5, WHvX64RegisterApicTmr6, WHvX64RegisterApicTmr7, WHvX64RegisterApicTpr,
        WHvX64RegisterApicVersion, WHvX64RegisterBndcfgs, WHvX64RegisterCr0, WHvX64RegisterCr2,
        WHvX64RegisterCr3, WHvX64RegisterCr4, WHvX64RegisterCr8, WHvX64RegisterCs,
        WHvX64RegisterCstar, WHvX64RegisterDeliverabilityNotifications, WHvX64RegisterDr0, WHvX64RegisterDr1,
        WHvX64RegisterDr2, WHvX64RegisterDr3, WHvX64RegisterDr6, WHvX64RegisterDr7,
        WHvX64RegisterDs, WHvX64RegisterEfer, WHvX64RegisterEs, WHvX64RegisterFpControlStatus,
        WHvX64RegisterFpMmx0, WHvX64RegisterFpMmx1, WHvX64RegisterFpMmx2, WHvX64RegisterFpMmx3,
        WHvX64RegisterFpMmx4, WHvX64RegisterFpMmx5, WHvX64RegisterFpMmx6, WHvX64RegisterFpMmx7,
        WHvX64RegisterFs, WHvX64RegisterGdtr, WHvX64RegisterGs, WHvX64RegisterHypercall,
        WHvX64RegisterIdtr, WHvX64RegisterInitialApicId, WHvX64RegisterInterruptSspTableAddr, WHvX64RegisterKernelGsBase,
        WHvX64RegisterLdtr, WHvX64RegisterLstar, WHvX64RegisterMCount, WHvX64RegisterMsrMtrrCap,
        WHvX64RegisterMsrMtrrDefType, WHvX64RegisterMsrMtrrFix16k80000, WHvX64RegisterMsrMtrrFix16kA0000, WHvX64RegisterMsrMtrrFix4kC0000,
        WHvX64RegisterMsrMtrrFix4kC8000, WHvX64RegisterMsrMtrrFix4kD0000, WHvX64RegisterMsrMtrrFix4kD8000, WHvX64RegisterMsrMtrrFix4kE0000,
        WHvX64RegisterMsrMtrrFix4kE8000, WHvX64RegisterMsrMtrrFix4kF0000, WHvX64RegisterMsrMtrrFix4kF8000, WHvX64RegisterMsrMtrrFix64k00000,
        WHvX64RegisterMsrMtrrPhysBase0, WHvX64RegisterMsrMtrrPhysBase1, WHvX64RegisterMsrMtrrPhysBase2, WHvX64RegisterMsrMtrrPhysBase3,
        WHvX64RegisterMsrMtrrPhysBase4, WHvX64RegisterMsrMtrrPhysBase5, WHvX64RegisterMsrMtrrPhysBase6, WHvX64RegisterMsrMtrrPhysBase7,
        WHvX64RegisterMsrMtrrPhysBase8, WHvX64RegisterMsrMtrrPhysBase9, WHvX64RegisterMsrMtrrPhysBaseA, WHvX64RegisterMsrMtrrPhysBaseB,
        WHvX64RegisterMsrMtrrPhysBaseC, WHvX64RegisterMsrMtrrPhysBaseD, WHvX64RegisterMsrMtrrPhysBaseE, WHvX64RegisterMsrMtrrPhysBaseF,
        WHvX64RegisterMsrMtrrPhysMask0, WHvX64RegisterMsrMtrrPhysMask1, WHvX64RegisterMsrMtrrPhysMask2, WHvX64RegisterMsrMtrrPhysMask3,
        WHvX64RegisterMsrMtrrPhysMask4, WHvX64RegisterMsrMtrrPhysMask5, WHvX64RegisterMsrMtrrPhysMask6, WHvX64RegisterMsrMtrrPhysMask7,
        WHvX64RegisterMsrMtrrPhysMask8, WHvX64RegisterMsrMtrrPhysMask9, WHvX64RegisterMsrMtrrPhysMaskA, WHvX64RegisterMsrMtrrPhysMaskB,
        WHvX64RegisterMsrMtrrPhysMaskC, WHvX64RegisterMsrMtrrPhysMaskD, WHvX64RegisterMsrMtrrPhysMaskE, WHvX64RegisterMsrMtrrPhysMaskF,
        WHvX64RegisterPat, WHvX64RegisterPendingDebugException, WHvX64RegisterPl0Ssp, WHvX64RegisterPl1Ssp,
        WHvX64RegisterPl2Ssp, WHvX64RegisterPl3Ssp, WHvX64RegisterPredCmd, WHvX64RegisterR10,
        WHvX64RegisterR11, WHvX64RegisterR12, WHvX64RegisterR13, WHvX64RegisterR14,
        WHvX64RegisterR15, WHvX64RegisterR8, WHvX64RegisterR9, WHvX64RegisterRax,
        WHvX64RegisterRbp, WHvX64RegisterRbx, WHvX64RegisterRcx, WHvX64RegisterRdi,
        WHvX64RegisterRdx, WHvX64RegisterRflags, WHvX64RegisterRip, WHvX64RegisterRsi,
        WHvX64RegisterRsp, WHvX64RegisterSCet, WHvX64RegisterSfmask, WHvX64RegisterSpecCtrl,
        WHvX64RegisterSs, WHvX64RegisterSsp, WHvX64RegisterStar, WHvX64RegisterSysenterCs,
        WHvX64RegisterSysenterEip, WHvX64RegisterSysenterEsp, WHvX64RegisterTr, WHvX64RegisterTsc,
        WHvX64RegisterTscAdjust, WHvX64RegisterTscAux, WHvX64RegisterTscDeadline, WHvX64RegisterTscVirtualOffset,
        WHvX64RegisterTsxCtrl, WHvX64RegisterUCet, WHvX64RegisterUmwaitControl, WHvX64RegisterVirtualCr0,
        WHvX64RegisterVirtualCr3, WHvX64RegisterVirtualCr4, WHvX64RegisterVirtualCr8, WHvX64RegisterXCr0,
        WHvX64RegisterXfd, WHvX64RegisterXfdErr, WHvX64RegisterXmm0, WHvX64RegisterXmm1,
        WHvX64RegisterXmm10, WHvX64RegisterXmm11, WHvX64RegisterXmm12, WHvX64RegisterXmm13,
        WHvX64RegisterXmm14, WHvX64RegisterXmm15, WHvX64RegisterXmm2, WHvX64RegisterXmm3,
        WHvX64RegisterXmm4, WHvX64RegisterXmm5, WHvX64RegisterXmm6, WHvX64RegisterXmm7,
        WHvX64RegisterXmm8, WHvX64RegisterXmm9, WHvX64RegisterXmmControlStatus, WHvX64RegisterXss,
    );
    consts!(v, wf:
        S_OK, S_FALSE, E_NOTIMPL, E_NOINTERFACE,
        E_POINTER, E_ABORT, E_FAIL, E_UNEXPECTED,
        E_BOUNDS, E_CHANGED_STATE, E_ILLEGAL_METHOD_CALL, E_ACCESSDENIED,
        E_HANDLE, E_OUTOFMEMORY, E_INVALIDARG, WHV_E_UNKNOWN_CAPABILITY,
        WHV_E_INSUFFICIENT_BUFFER, WHV_E_UNKNOWN_PROPERTY, WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG, WHV_E_INVALID_PARTITION_CONFIG,
        WHV_E_GPA_RANGE_NOT_FOUND, WHV_E_VP_ALREADY_EXISTS, WHV_E_VP_DOES_NOT_EXIST, WHV_E_INVALID_VP_STATE,
        WHV_E_INVALID_VP_REGISTER_NAME, WHV_E_UNSUPPORTED_PROCESSOR_CONFIG,
    );
    v
}

/// Every function of winhvplatform.dll and winhvemulation.dll in
/// `windows-sys`, then every emulator callback type: its name and its
/// parameters (lower-case name, C type without `const`, handle typedefs
/// resolved to `VOID*`).
pub const FUNCTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "WHvAcceptPartitionMigration",
        &[
            ("migrationhandle", "HANDLE"),
            ("partition", "WHV_PARTITION_HANDLE*"),
        ],
    ),
    (
        "WHvAdviseGpaRange",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("gparanges", "WHV_MEMORY_RANGE_ENTRY*"),
            ("gparangescount", "UINT32"),
            ("advice", "WHV_ADVISE_GPA_RANGE_CODE"),
            ("advicebuffer", "VOID*"),
            ("advicebuffersizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvAllocateVpciResource",
        &[
            ("providerid", "GUID*"),
            ("flags", "WHV_ALLOCATE_VPCI_RESOURCE_FLAGS"),
            ("resourcedescriptor", "VOID*"),
            ("resourcedescriptorsizeinbytes", "UINT32"),
            ("vpciresource", "HANDLE*"),
        ],
    ),
    (
        "WHvCancelPartitionMigration",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvCancelRunVirtualProcessor",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("flags", "UINT32"),
        ],
    ),
    (
        "WHvCompletePartitionMigration",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvCreateNotificationPort",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("parameters", "WHV_NOTIFICATION_PORT_PARAMETERS*"),
            ("eventhandle", "HANDLE"),
            ("porthandle", "VOID**"),
        ],
    ),
    (
        "WHvCreatePartition",
        &[("partition", "WHV_PARTITION_HANDLE*")],
    ),
    (
        "WHvCreateTrigger",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("parameters", "WHV_TRIGGER_PARAMETERS*"),
            ("triggerhandle", "VOID**"),
            ("eventhandle", "HANDLE*"),
        ],
    ),
    (
        "WHvCreateVirtualProcessor",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("flags", "UINT32"),
        ],
    ),
    (
        "WHvCreateVirtualProcessor2",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("properties", "WHV_VIRTUAL_PROCESSOR_PROPERTY*"),
            ("propertycount", "UINT32"),
        ],
    ),
    (
        "WHvCreateVpciDevice",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("vpciresource", "HANDLE"),
            ("flags", "WHV_CREATE_VPCI_DEVICE_FLAGS"),
            ("notificationeventhandle", "HANDLE"),
        ],
    ),
    (
        "WHvDeleteNotificationPort",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("porthandle", "VOID*"),
        ],
    ),
    (
        "WHvDeletePartition",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvDeleteTrigger",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("triggerhandle", "VOID*"),
        ],
    ),
    (
        "WHvDeleteVirtualProcessor",
        &[("partition", "WHV_PARTITION_HANDLE"), ("vpindex", "UINT32")],
    ),
    (
        "WHvDeleteVpciDevice",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
        ],
    ),
    (
        "WHvEmulatorCreateEmulator",
        &[
            ("callbacks", "WHV_EMULATOR_CALLBACKS*"),
            ("emulator", "VOID**"),
        ],
    ),
    ("WHvEmulatorDestroyEmulator", &[("emulator", "VOID*")]),
    (
        "WHvEmulatorTryIoEmulation",
        &[
            ("emulator", "VOID*"),
            ("context", "VOID*"),
            ("vpcontext", "WHV_VP_EXIT_CONTEXT*"),
            ("ioinstructioncontext", "WHV_X64_IO_PORT_ACCESS_CONTEXT*"),
            ("emulatorreturnstatus", "WHV_EMULATOR_STATUS*"),
        ],
    ),
    (
        "WHvEmulatorTryMmioEmulation",
        &[
            ("emulator", "VOID*"),
            ("context", "VOID*"),
            ("vpcontext", "WHV_VP_EXIT_CONTEXT*"),
            ("mmioinstructioncontext", "WHV_MEMORY_ACCESS_CONTEXT*"),
            ("emulatorreturnstatus", "WHV_EMULATOR_STATUS*"),
        ],
    ),
    (
        "WHvGetCapability",
        &[
            ("capabilitycode", "WHV_CAPABILITY_CODE"),
            ("capabilitybuffer", "VOID*"),
            ("capabilitybuffersizeinbytes", "UINT32"),
            ("writtensizeinbytes", "UINT32*"),
        ],
    ),
    (
        "WHvGetInterruptTargetVpSet",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("destination", "UINT64"),
            ("destinationmode", "WHV_INTERRUPT_DESTINATION_MODE"),
            ("targetvps", "UINT32*"),
            ("vpcount", "UINT32"),
            ("targetvpcount", "UINT32*"),
        ],
    ),
    (
        "WHvGetPartitionCounters",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("counterset", "WHV_PARTITION_COUNTER_SET"),
            ("buffer", "VOID*"),
            ("buffersizeinbytes", "UINT32"),
            ("byteswritten", "UINT32*"),
        ],
    ),
    (
        "WHvGetPartitionProperty",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("propertycode", "WHV_PARTITION_PROPERTY_CODE"),
            ("propertybuffer", "VOID*"),
            ("propertybuffersizeinbytes", "UINT32"),
            ("writtensizeinbytes", "UINT32*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorCounters",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("counterset", "WHV_PROCESSOR_COUNTER_SET"),
            ("buffer", "VOID*"),
            ("buffersizeinbytes", "UINT32"),
            ("byteswritten", "UINT32*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorCpuidOutput",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("eax", "UINT32"),
            ("ecx", "UINT32"),
            ("cpuidoutput", "WHV_CPUID_OUTPUT*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorInterruptControllerState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("state", "VOID*"),
            ("statesize", "UINT32"),
            ("writtensize", "UINT32*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorInterruptControllerState2",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("state", "VOID*"),
            ("statesize", "UINT32"),
            ("writtensize", "UINT32*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorRegisters",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("registernames", "WHV_REGISTER_NAME*"),
            ("registercount", "UINT32"),
            ("registervalues", "WHV_REGISTER_VALUE*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("statetype", "WHV_VIRTUAL_PROCESSOR_STATE_TYPE"),
            ("buffer", "VOID*"),
            ("buffersizeinbytes", "UINT32"),
            ("byteswritten", "UINT32*"),
        ],
    ),
    (
        "WHvGetVirtualProcessorXsaveState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("buffer", "VOID*"),
            ("buffersizeinbytes", "UINT32"),
            ("byteswritten", "UINT32*"),
        ],
    ),
    (
        "WHvGetVpciDeviceInterruptTarget",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("index", "UINT32"),
            ("multimessagenumber", "UINT32"),
            ("target", "WHV_VPCI_INTERRUPT_TARGET*"),
            ("targetsizeinbytes", "UINT32"),
            ("byteswritten", "UINT32*"),
        ],
    ),
    (
        "WHvGetVpciDeviceNotification",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("notification", "WHV_VPCI_DEVICE_NOTIFICATION*"),
            ("notificationsizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvGetVpciDeviceProperty",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("propertycode", "WHV_VPCI_DEVICE_PROPERTY_CODE"),
            ("propertybuffer", "VOID*"),
            ("propertybuffersizeinbytes", "UINT32"),
            ("writtensizeinbytes", "UINT32*"),
        ],
    ),
    (
        "WHvMapGpaRange",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("sourceaddress", "VOID*"),
            ("guestaddress", "UINT64"),
            ("sizeinbytes", "UINT64"),
            ("flags", "WHV_MAP_GPA_RANGE_FLAGS"),
        ],
    ),
    (
        "WHvMapGpaRange2",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("process", "HANDLE"),
            ("sourceaddress", "VOID*"),
            ("guestaddress", "UINT64"),
            ("sizeinbytes", "UINT64"),
            ("flags", "WHV_MAP_GPA_RANGE_FLAGS"),
        ],
    ),
    (
        "WHvMapVpciDeviceInterrupt",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("index", "UINT32"),
            ("messagecount", "UINT32"),
            ("target", "WHV_VPCI_INTERRUPT_TARGET*"),
            ("msiaddress", "UINT64*"),
            ("msidata", "UINT32*"),
        ],
    ),
    (
        "WHvMapVpciDeviceMmioRanges",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("mappingcount", "UINT32*"),
            ("mappings", "WHV_VPCI_MMIO_MAPPING**"),
        ],
    ),
    (
        "WHvPostVirtualProcessorSynicMessage",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("sintindex", "UINT32"),
            ("message", "VOID*"),
            ("messagesizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvQueryGpaRangeDirtyBitmap",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("guestaddress", "UINT64"),
            ("rangesizeinbytes", "UINT64"),
            ("bitmap", "UINT64*"),
            ("bitmapsizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvReadGpaRange",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("guestaddress", "UINT64"),
            ("controls", "WHV_ACCESS_GPA_CONTROLS"),
            ("data", "VOID*"),
            ("datasizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvReadVpciDeviceRegister",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("register", "WHV_VPCI_DEVICE_REGISTER*"),
            ("data", "VOID*"),
        ],
    ),
    (
        "WHvRegisterPartitionDoorbellEvent",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("matchdata", "WHV_DOORBELL_MATCH_DATA*"),
            ("eventhandle", "HANDLE"),
        ],
    ),
    (
        "WHvRequestInterrupt",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("interrupt", "WHV_INTERRUPT_CONTROL*"),
            ("interruptcontrolsize", "UINT32"),
        ],
    ),
    (
        "WHvRequestVpciDeviceInterrupt",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("msiaddress", "UINT64"),
            ("msidata", "UINT32"),
        ],
    ),
    (
        "WHvResetPartition",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvResumePartitionTime",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvRetargetVpciDeviceInterrupt",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("msiaddress", "UINT64"),
            ("msidata", "UINT32"),
            ("target", "WHV_VPCI_INTERRUPT_TARGET*"),
        ],
    ),
    (
        "WHvRunVirtualProcessor",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("exitcontext", "VOID*"),
            ("exitcontextsizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvSetNotificationPortProperty",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("porthandle", "VOID*"),
            ("propertycode", "WHV_NOTIFICATION_PORT_PROPERTY_CODE"),
            ("propertyvalue", "UINT64"),
        ],
    ),
    (
        "WHvSetPartitionProperty",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("propertycode", "WHV_PARTITION_PROPERTY_CODE"),
            ("propertybuffer", "VOID*"),
            ("propertybuffersizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvSetVirtualProcessorInterruptControllerState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("state", "VOID*"),
            ("statesize", "UINT32"),
        ],
    ),
    (
        "WHvSetVirtualProcessorInterruptControllerState2",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("state", "VOID*"),
            ("statesize", "UINT32"),
        ],
    ),
    (
        "WHvSetVirtualProcessorRegisters",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("registernames", "WHV_REGISTER_NAME*"),
            ("registercount", "UINT32"),
            ("registervalues", "WHV_REGISTER_VALUE*"),
        ],
    ),
    (
        "WHvSetVirtualProcessorState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("statetype", "WHV_VIRTUAL_PROCESSOR_STATE_TYPE"),
            ("buffer", "VOID*"),
            ("buffersizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvSetVirtualProcessorXsaveState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("buffer", "VOID*"),
            ("buffersizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvSetVpciDevicePowerState",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("powerstate", "DEVICE_POWER_STATE"),
        ],
    ),
    (
        "WHvSetupPartition",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvSignalVirtualProcessorSynicEvent",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("synicevent", "WHV_SYNIC_EVENT_PARAMETERS"),
            ("newlysignaled", "BOOL*"),
        ],
    ),
    (
        "WHvStartPartitionMigration",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("migrationhandle", "HANDLE*"),
        ],
    ),
    (
        "WHvSuspendPartitionTime",
        &[("partition", "WHV_PARTITION_HANDLE")],
    ),
    (
        "WHvTranslateGva",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("gva", "UINT64"),
            ("translateflags", "WHV_TRANSLATE_GVA_FLAGS"),
            ("translationresult", "WHV_TRANSLATE_GVA_RESULT*"),
            ("gpa", "UINT64*"),
        ],
    ),
    (
        "WHvUnmapGpaRange",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("guestaddress", "UINT64"),
            ("sizeinbytes", "UINT64"),
        ],
    ),
    (
        "WHvUnmapVpciDeviceInterrupt",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("index", "UINT32"),
        ],
    ),
    (
        "WHvUnmapVpciDeviceMmioRanges",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
        ],
    ),
    (
        "WHvUnregisterPartitionDoorbellEvent",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("matchdata", "WHV_DOORBELL_MATCH_DATA*"),
        ],
    ),
    (
        "WHvUpdateTriggerParameters",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("parameters", "WHV_TRIGGER_PARAMETERS*"),
            ("triggerhandle", "VOID*"),
        ],
    ),
    (
        "WHvWriteGpaRange",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("vpindex", "UINT32"),
            ("guestaddress", "UINT64"),
            ("controls", "WHV_ACCESS_GPA_CONTROLS"),
            ("data", "VOID*"),
            ("datasizeinbytes", "UINT32"),
        ],
    ),
    (
        "WHvWriteVpciDeviceRegister",
        &[
            ("partition", "WHV_PARTITION_HANDLE"),
            ("logicaldeviceid", "UINT64"),
            ("register", "WHV_VPCI_DEVICE_REGISTER*"),
            ("data", "VOID*"),
        ],
    ),
    (
        "WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK",
        &[
            ("context", "VOID*"),
            ("registernames", "WHV_REGISTER_NAME*"),
            ("registercount", "UINT32"),
            ("registervalues", "WHV_REGISTER_VALUE*"),
        ],
    ),
    (
        "WHV_EMULATOR_IO_PORT_CALLBACK",
        &[
            ("context", "VOID*"),
            ("ioaccess", "WHV_EMULATOR_IO_ACCESS_INFO*"),
        ],
    ),
    (
        "WHV_EMULATOR_MEMORY_CALLBACK",
        &[
            ("context", "VOID*"),
            ("memoryaccess", "WHV_EMULATOR_MEMORY_ACCESS_INFO*"),
        ],
    ),
    (
        "WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK",
        &[
            ("context", "VOID*"),
            ("registernames", "WHV_REGISTER_NAME*"),
            ("registercount", "UINT32"),
            ("registervalues", "WHV_REGISTER_VALUE*"),
        ],
    ),
    (
        "WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK",
        &[
            ("context", "VOID*"),
            ("gva", "UINT64"),
            ("translateflags", "WHV_TRANSLATE_GVA_FLAGS"),
            ("translationresult", "WHV_TRANSLATE_GVA_RESULT_CODE*"),
            ("gpa", "UINT64*"),
        ],
    ),
];
