//! `WHvGetCapability`: the capability codes, the answer union
//! [`WHV_CAPABILITY`] and the feature bitfields only a capability reports
//! (platform features, extended exits, MSR exits, frequency cap, scheduler).
//! The processor feature banks shared with partition properties live in
//! [`super::features`].

use super::features::{
    WHV_PROCESSOR_FEATURES, WHV_PROCESSOR_FEATURES_BANKS, WHV_PROCESSOR_PERFMON_FEATURES,
    WHV_PROCESSOR_XSAVE_FEATURES, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
};
use super::memory::WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS;
use crate::base::BOOL;

open_enum! {
    /// The question `WHvGetCapability` answers; selects the [`WHV_CAPABILITY`]
    /// member written.
    pub enum WHV_CAPABILITY_CODE: i32 {
        WHvCapabilityCodeHypervisorPresent = 0x0000_0000,
        WHvCapabilityCodeFeatures = 0x0000_0001,
        WHvCapabilityCodeExtendedVmExits = 0x0000_0002,
        WHvCapabilityCodeExceptionExitBitmap = 0x0000_0003,
        WHvCapabilityCodeX64MsrExitBitmap = 0x0000_0004,
        WHvCapabilityCodeGpaRangePopulateFlags = 0x0000_0005,
        WHvCapabilityCodeSchedulerFeatures = 0x0000_0006,
        WHvCapabilityCodeProcessorVendor = 0x0000_1000,
        WHvCapabilityCodeProcessorFeatures = 0x0000_1001,
        WHvCapabilityCodeProcessorClFlushSize = 0x0000_1002,
        WHvCapabilityCodeProcessorXsaveFeatures = 0x0000_1003,
        WHvCapabilityCodeProcessorClockFrequency = 0x0000_1004,
        WHvCapabilityCodeInterruptClockFrequency = 0x0000_1005,
        WHvCapabilityCodeProcessorFeaturesBanks = 0x0000_1006,
        WHvCapabilityCodeProcessorFrequencyCap = 0x0000_1007,
        WHvCapabilityCodeSyntheticProcessorFeaturesBanks = 0x0000_1008,
        WHvCapabilityCodeProcessorPerfmonFeatures = 0x0000_1009,
    }
}

/// Platform features (`WHvCapabilityCodeFeatures`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_CAPABILITY_FEATURES {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_CAPABILITY_FEATURES . AsUINT64 : u64 {
        /// `PartialUnmap`: bit 0.
        partial_unmap / set_partial_unmap : 0, 1;
        /// `LocalApicEmulation`: bit 1.
        local_apic_emulation / set_local_apic_emulation : 1, 1;
        /// `Xsave`: bit 2.
        xsave / set_xsave : 2, 1;
        /// `DirtyPageTracking`: bit 3.
        dirty_page_tracking / set_dirty_page_tracking : 3, 1;
        /// `SpeculationControl`: bit 4.
        speculation_control / set_speculation_control : 4, 1;
        /// `ApicRemoteRead`: bit 5.
        apic_remote_read / set_apic_remote_read : 5, 1;
        /// `IdleSuspend`: bit 6.
        idle_suspend / set_idle_suspend : 6, 1;
        /// `VirtualPciDeviceSupport`: bit 7.
        virtual_pci_device_support / set_virtual_pci_device_support : 7, 1;
        /// `IommuSupport`: bit 8.
        iommu_support / set_iommu_support : 8, 1;
        /// `VpHotAddRemove`: bit 9.
        vp_hot_add_remove / set_vp_hot_add_remove : 9, 1;
    }
}

/// Optional exits: the capability `WHvCapabilityCodeExtendedVmExits` says which exist,
/// the partition property `WHvPartitionPropertyCodeExtendedVmExits` enables them.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_EXTENDED_VM_EXITS {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_EXTENDED_VM_EXITS . AsUINT64 : u64 {
        /// `X64CpuidExit`: bit 0.
        x64_cpuid_exit / set_x64_cpuid_exit : 0, 1;
        /// `X64MsrExit`: bit 1.
        x64_msr_exit / set_x64_msr_exit : 1, 1;
        /// `ExceptionExit`: bit 2.
        exception_exit / set_exception_exit : 2, 1;
        /// `X64RdtscExit`: bit 3.
        x64_rdtsc_exit / set_x64_rdtsc_exit : 3, 1;
        /// `X64ApicSmiExitTrap`: bit 4.
        x64_apic_smi_exit_trap / set_x64_apic_smi_exit_trap : 4, 1;
        /// `HypercallExit`: bit 5.
        hypercall_exit / set_hypercall_exit : 5, 1;
        /// `X64ApicInitSipiExitTrap`: bit 6.
        x64_apic_init_sipi_exit_trap / set_x64_apic_init_sipi_exit_trap : 6, 1;
        /// `X64ApicWriteLint0ExitTrap`: bit 7.
        x64_apic_write_lint0_exit_trap / set_x64_apic_write_lint0_exit_trap : 7, 1;
        /// `X64ApicWriteLint1ExitTrap`: bit 8.
        x64_apic_write_lint1_exit_trap / set_x64_apic_write_lint1_exit_trap : 8, 1;
        /// `X64ApicWriteSvrExitTrap`: bit 9.
        x64_apic_write_svr_exit_trap / set_x64_apic_write_svr_exit_trap : 9, 1;
        /// `UnknownSynicConnection`: bit 10.
        unknown_synic_connection / set_unknown_synic_connection : 10, 1;
        /// `RetargetUnknownVpciDevice`: bit 11.
        retarget_unknown_vpci_device / set_retarget_unknown_vpci_device : 11, 1;
        /// `X64ApicWriteLdrExitTrap`: bit 12.
        x64_apic_write_ldr_exit_trap / set_x64_apic_write_ldr_exit_trap : 12, 1;
        /// `X64ApicWriteDfrExitTrap`: bit 13.
        x64_apic_write_dfr_exit_trap / set_x64_apic_write_dfr_exit_trap : 13, 1;
        /// `GpaAccessFaultExit`: bit 14.
        gpa_access_fault_exit / set_gpa_access_fault_exit : 14, 1;
    }
}

open_enum! {
    /// The host processor's vendor (`WHvCapabilityCodeProcessorVendor`).
    pub enum WHV_PROCESSOR_VENDOR: i32 {
        WHvProcessorVendorAmd = 0x0000,
        WHvProcessorVendorIntel = 0x0001,
        WHvProcessorVendorHygon = 0x0002,
    }
}

/// Which MSR accesses exit (`WHvCapabilityCodeX64MsrExitBitmap`,
/// `WHvPartitionPropertyCodeX64MsrExitBitmap`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_X64_MSR_EXIT_BITMAP {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_X64_MSR_EXIT_BITMAP . AsUINT64 : u64 {
        /// `UnhandledMsrs`: bit 0.
        unhandled_msrs / set_unhandled_msrs : 0, 1;
        /// `TscMsrWrite`: bit 1.
        tsc_msr_write / set_tsc_msr_write : 1, 1;
        /// `TscMsrRead`: bit 2.
        tsc_msr_read / set_tsc_msr_read : 2, 1;
        /// `ApicBaseMsrWrite`: bit 3.
        apic_base_msr_write / set_apic_base_msr_write : 3, 1;
        /// `MiscEnableMsrRead`: bit 4.
        misc_enable_msr_read / set_misc_enable_msr_read : 4, 1;
        /// `McUpdatePatchLevelMsrRead`: bit 5.
        mc_update_patch_level_msr_read / set_mc_update_patch_level_msr_read : 5, 1;
    }
}

/// The processor frequency cap (`WHvCapabilityCodeProcessorFrequencyCap`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP {
    /// The C bitfield `IsSupported : 1, Reserved : 31`.
    pub _bitfield: u32,
    /// Highest frequency, MHz.
    pub HighestFrequencyMhz: u32,
    /// Nominal frequency, MHz.
    pub NominalFrequencyMhz: u32,
    /// Lowest frequency, MHz.
    pub LowestFrequencyMhz: u32,
    /// Granularity of the cap, MHz.
    pub FrequencyStepMhz: u32,
}

bitfield! {
    WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP . _bitfield : u32 {
        /// `IsSupported`: bit 0.
        is_supported / set_is_supported : 0, 1;
    }
}

/// Scheduler controls available to partitions (`WHvCapabilityCodeSchedulerFeatures`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_SCHEDULER_FEATURES {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_SCHEDULER_FEATURES . AsUINT64 : u64 {
        /// `CpuReserve`: bit 0.
        cpu_reserve / set_cpu_reserve : 0, 1;
        /// `CpuCap`: bit 1.
        cpu_cap / set_cpu_cap : 1, 1;
        /// `CpuWeight`: bit 2.
        cpu_weight / set_cpu_weight : 2, 1;
        /// `CpuGroupId`: bit 3.
        cpu_group_id / set_cpu_group_id : 3, 1;
        /// `DisableSmt`: bit 4.
        disable_smt / set_disable_smt : 4, 1;
    }
}

/// The answer of `WHvGetCapability`; the member read depends on the
/// [`WHV_CAPABILITY_CODE`] asked.
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_CAPABILITY {
    /// `WHvCapabilityCodeHypervisorPresent`.
    pub HypervisorPresent: BOOL,
    /// `WHvCapabilityCodeFeatures`.
    pub Features: WHV_CAPABILITY_FEATURES,
    /// `WHvCapabilityCodeExtendedVmExits`.
    pub ExtendedVmExits: WHV_EXTENDED_VM_EXITS,
    /// `WHvCapabilityCodeProcessorVendor`.
    pub ProcessorVendor: WHV_PROCESSOR_VENDOR,
    /// `WHvCapabilityCodeProcessorFeatures`.
    pub ProcessorFeatures: WHV_PROCESSOR_FEATURES,
    /// `WHvCapabilityCodeSyntheticProcessorFeaturesBanks`.
    pub SyntheticProcessorFeaturesBanks: WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS,
    /// `WHvCapabilityCodeProcessorXsaveFeatures`.
    pub ProcessorXsaveFeatures: WHV_PROCESSOR_XSAVE_FEATURES,
    /// `WHvCapabilityCodeProcessorClFlushSize`: the cache line flush size, as
    /// CPUID reports it (units of 8 bytes).
    pub ProcessorClFlushSize: u8,
    /// `WHvCapabilityCodeExceptionExitBitmap`: bit *n* set when exception
    /// vector *n* can exit.
    pub ExceptionExitBitmap: u64,
    /// `WHvCapabilityCodeX64MsrExitBitmap`.
    pub X64MsrExitBitmap: WHV_X64_MSR_EXIT_BITMAP,
    /// `WHvCapabilityCodeProcessorClockFrequency`, Hz.
    pub ProcessorClockFrequency: u64,
    /// `WHvCapabilityCodeInterruptClockFrequency`, Hz.
    pub InterruptClockFrequency: u64,
    /// `WHvCapabilityCodeProcessorFeaturesBanks`.
    pub ProcessorFeaturesBanks: WHV_PROCESSOR_FEATURES_BANKS,
    /// `WHvCapabilityCodeGpaRangePopulateFlags`.
    pub GpaRangePopulateFlags: WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS,
    /// `WHvCapabilityCodeProcessorFrequencyCap`.
    pub ProcessorFrequencyCap: WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP,
    /// `WHvCapabilityCodeProcessorPerfmonFeatures`.
    pub ProcessorPerfmonFeatures: WHV_PROCESSOR_PERFMON_FEATURES,
    /// `WHvCapabilityCodeSchedulerFeatures`.
    pub SchedulerFeatures: WHV_SCHEDULER_FEATURES,
}

impl Default for WHV_CAPABILITY {
    /// All bytes zero (written through the largest member).
    fn default() -> Self {
        Self {
            ProcessorFeaturesBanks: WHV_PROCESSOR_FEATURES_BANKS::default(),
        }
    }
}
