//! The mingw-w64 headers as a second ABI oracle — the right one for 16-byte
//! alignment, which `windows-sys` under-states. The test writes a C program
//! that includes `tests/c/winhv_shim.h` (the Windows base types for LP64
//! Linux), `winhvplatformdefs.h` and `winhvemulation.h`, compiles it with
//! `cc`, runs it, and compares what it prints with our types:
//! `sizeof`/`_Alignof` of every type, `offsetof` of every non-bitfield
//! member, the bytes every bitfield member sets when assigned all ones, and
//! the value of every enumerator and `#define`. The header is older than
//! `windows-sys`: only names it has are checked.
//!
//! The header directory is `$WINHV_MINGW_INCLUDE` (set by `scripts/test`),
//! else `/usr/share/mingw-w64/include`; without it, or without `cc`, the test
//! says SKIPPED in one line and passes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of, size_of_val};
use std::path::{Path, PathBuf};
use std::process::Command;

use winhv_defs as defs;

/// One C type: its name in the header, our size, alignment and the offset
/// of each C member (named as in C; anonymous members are reachable
/// directly, as C lets them be).
struct CType {
    name: &'static str,
    size: usize,
    align: usize,
    fields: Vec<(&'static str, usize)>,
}

/// `C_NAME [=> RustName] { CMember [= rust.path], … };` — the Rust type
/// defaults to the C name, the Rust path to the C member's name.
macro_rules! c_types {
    ($( $c:ident $(=> $r:ident)? { $($cf:ident $(= $($rp:ident).+)?),* $(,)? } );* $(;)?) => {
        vec![ $( c_types!(@one $c $(=> $r)? { $($cf $(= $($rp).+)?),* }) ),* ]
    };
    (@one $c:ident { $($body:tt)* }) => { c_types!(@one $c => $c { $($body)* }) };
    (@one $c:ident => $r:ident { $($cf:ident $(= $($rp:ident).+)?),* }) => {
        CType {
            name: stringify!($c),
            size: size_of::<defs::$r>(),
            align: align_of::<defs::$r>(),
            fields: vec![ $( (stringify!($cf), c_types!(@off $r, $cf $(, $($rp).+)?)) ),* ],
        }
    };
    (@off $r:ident, $cf:ident) => { offset_of!(defs::$r, $cf) };
    (@off $r:ident, $cf:ident, $($rp:ident).+) => { offset_of!(defs::$r, $($rp).+) };
}

/// One bitfield member: the bytes of the C type after assigning all ones to
/// it in a zeroed value, as our setter produces them.
struct CBits {
    ty: &'static str,
    member: &'static str,
    image: Vec<u8>,
}

/// The byte image of a value of `size` bytes, zero except for `int` at `offset`.
fn image_of(size: usize, offset: usize, int: &[u8]) -> Vec<u8> {
    let mut v = vec![0; size];
    v[offset..offset + int.len()].copy_from_slice(int);
    v
}

/// `C_TYPE => RustType . int_field { CMember: rust_setter, … };`
macro_rules! c_bits {
    ($( $c:ident => $r:ident . $int:ident { $($m:ident : $set:ident),* $(,)? } );* $(;)?) => {{
        let mut v: Vec<CBits> = Vec::new();
        $( $(
            let mut x = defs::$r::default();
            x.$set(!0);
            let bytes = (x.$int as u128).to_le_bytes();
            v.push(CBits {
                ty: stringify!($c),
                member: stringify!($m),
                image: image_of(size_of::<defs::$r>(), offset_of!(defs::$r, $int), &bytes[..size_of_val(&x.$int)]),
            });
        )* )*
        v
    }};
}

/// Every enumerator of the listed open enums, by name, as the C `unsigned`
/// bits.
macro_rules! enum_values {
    ($($t:ident),* $(,)?) => {{
        let mut v: Vec<(&'static str, u64)> = Vec::new();
        $(
            for e in defs::$t::ALL {
                v.push((e.name().unwrap_or("?"), e.0 as u32 as u64));
            }
        )*
        v
    }};
}

fn types() -> Vec<CType> {
    c_types! {
        WHV_CAPABILITY_FEATURES { AsUINT64 };
        WHV_EXTENDED_VM_EXITS { AsUINT64 };
        WHV_PROCESSOR_FEATURES { AsUINT64 };
        WHV_PROCESSOR_FEATURES1 { AsUINT64 };
        WHV_PROCESSOR_FEATURES_BANKS { BanksCount, Reserved0, Bank0 = Anonymous.Anonymous.Bank0, Bank1 = Anonymous.Anonymous.Bank1, AsUINT64 = Anonymous.AsUINT64 };
        WHV_SYNTHETIC_PROCESSOR_FEATURES { AsUINT64 };
        WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS { BanksCount, Reserved0, Bank0 = Anonymous.Anonymous.Bank0, AsUINT64 = Anonymous.AsUINT64 };
        WHV_PROCESSOR_XSAVE_FEATURES { AsUINT64 };
        WHV_PROCESSOR_PERFMON_FEATURES { AsUINT64 };
        WHV_X64_MSR_EXIT_BITMAP { AsUINT64 };
        WHV_MEMORY_RANGE_ENTRY { GuestAddress, SizeInBytes };
        WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS { AsUINT32 };
        WHV_ADVISE_GPA_RANGE_POPULATE { Flags, AccessType };
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP { HighestFrequencyMhz, NominalFrequencyMhz, LowestFrequencyMhz, FrequencyStepMhz };
        WHV_SCHEDULER_FEATURES { AsUINT64 };
        WHV_CAPABILITY { HypervisorPresent, Features, ExtendedVmExits, ProcessorVendor, ProcessorFeatures, SyntheticProcessorFeaturesBanks, ProcessorXsaveFeatures, ProcessorClFlushSize, ExceptionExitBitmap, X64MsrExitBitmap, ProcessorClockFrequency, InterruptClockFrequency, ProcessorFeaturesBanks, GpaRangePopulateFlags, ProcessorFrequencyCap, ProcessorPerfmonFeatures, SchedulerFeatures };
        WHV_X64_CPUID_RESULT { Function, Reserved, Eax, Ebx, Ecx, Edx };
        WHV_CPUID_OUTPUT { Eax, Ebx, Ecx, Edx };
        WHV_X64_CPUID_RESULT2 { Function, Index, VpIndex, Flags, Output, Mask };
        WHV_MSR_ACTION_ENTRY { Index, ReadAction, WriteAction, Reserved };
        WHV_PARTITION_PROPERTY { ExtendedVmExits, ProcessorFeatures, SyntheticProcessorFeaturesBanks, ProcessorXsaveFeatures, ProcessorClFlushSize, ProcessorCount, CpuidExitList, CpuidResultList, CpuidResultList2, MsrActionList, UnimplementedMsrAction, ExceptionExitBitmap, LocalApicEmulationMode, SeparateSecurityDomain, NestedVirtualization, X64MsrExitBitmap, ProcessorClockFrequency, InterruptClockFrequency, ApicRemoteRead, ProcessorFeaturesBanks, ReferenceTime, PrimaryNumaNode, CpuReserve, CpuCap, CpuWeight, CpuGroupId, ProcessorFrequencyCap, AllowDeviceAssignment, ProcessorPerfmonFeatures, DisableSmt };
        WHV_TRANSLATE_GVA_RESULT { ResultCode, Reserved };
        WHV_ADVISE_GPA_RANGE { Populate };
        WHV_ACCESS_GPA_CONTROLS { AsUINT64, CacheType = Anonymous.CacheType, Reserved = Anonymous.Reserved };
        WHV_X64_FP_REGISTER { Mantissa = Anonymous.Mantissa, AsUINT128 };
        WHV_X64_FP_CONTROL_STATUS_REGISTER { FpControl = Anonymous.FpControl, FpStatus = Anonymous.FpStatus, FpTag = Anonymous.FpTag, Reserved = Anonymous.Reserved, LastFpOp = Anonymous.LastFpOp, LastFpRip = Anonymous.Anonymous.LastFpRip, LastFpEip = Anonymous.Anonymous.Anonymous.LastFpEip, LastFpCs = Anonymous.Anonymous.Anonymous.LastFpCs, Reserved2 = Anonymous.Anonymous.Anonymous.Reserved2, AsUINT128 };
        WHV_X64_XMM_CONTROL_STATUS_REGISTER { LastFpRdp = Anonymous.Anonymous.LastFpRdp, LastFpDp = Anonymous.Anonymous.Anonymous.LastFpDp, LastFpDs = Anonymous.Anonymous.Anonymous.LastFpDs, Reserved = Anonymous.Anonymous.Anonymous.Reserved, XmmStatusControl = Anonymous.XmmStatusControl, XmmStatusControlMask = Anonymous.XmmStatusControlMask, AsUINT128 };
        WHV_X64_SEGMENT_REGISTER { Base, Limit, Selector, Attributes };
        WHV_X64_TABLE_REGISTER { Pad, Limit, Base };
        WHV_X64_INTERRUPT_STATE_REGISTER { AsUINT64 };
        WHV_X64_PENDING_INTERRUPTION_REGISTER { AsUINT64 };
        WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER { AsUINT64 };
        WHV_X64_PENDING_EXCEPTION_EVENT { ErrorCode = Anonymous.ErrorCode, ExceptionParameter = Anonymous.ExceptionParameter, AsUINT128 };
        WHV_X64_PENDING_EXT_INT_EVENT { Reserved2 = Anonymous.Reserved2, AsUINT128 };
        WHV_INTERNAL_ACTIVITY_REGISTER { AsUINT64 };
        WHV_X64_PENDING_DEBUG_EXCEPTION { AsUINT64 };
        WHV_SYNIC_SINT_DELIVERABLE_CONTEXT { DeliverableSints, Reserved1, Reserved2 };
        WHV_REGISTER_VALUE { Reg128, Reg64, Reg32, Reg16, Reg8, Fp, FpControlStatus, XmmControlStatus, Segment, Table, InterruptState, PendingInterruption, DeliverabilityNotifications, ExceptionEvent, ExtIntEvent, InternalActivity, PendingDebugException };
        WHV_X64_VP_EXECUTION_STATE { AsUINT16 };
        WHV_VP_EXIT_CONTEXT { ExecutionState, Reserved, Reserved2, Cs, Rip, Rflags };
        WHV_MEMORY_ACCESS_INFO { AsUINT32 };
        WHV_MEMORY_ACCESS_CONTEXT { InstructionByteCount, Reserved, InstructionBytes, AccessInfo, Gpa, Gva };
        WHV_X64_IO_PORT_ACCESS_INFO { AsUINT32 };
        WHV_X64_IO_PORT_ACCESS_CONTEXT { InstructionByteCount, Reserved, InstructionBytes, AccessInfo, PortNumber, Reserved2, Rax, Rcx, Rsi, Rdi, Ds, Es };
        WHV_X64_MSR_ACCESS_INFO { AsUINT32 };
        WHV_X64_MSR_ACCESS_CONTEXT { AccessInfo, MsrNumber, Rax, Rdx };
        WHV_X64_CPUID_ACCESS_CONTEXT { Rax, Rcx, Rdx, Rbx, DefaultResultRax, DefaultResultRcx, DefaultResultRdx, DefaultResultRbx };
        WHV_VP_EXCEPTION_INFO { AsUINT32 };
        WHV_VP_EXCEPTION_CONTEXT { InstructionByteCount, Reserved, InstructionBytes, ExceptionInfo, ExceptionType, Reserved2, ErrorCode, ExceptionParameter };
        WHV_X64_UNSUPPORTED_FEATURE_CONTEXT { FeatureCode, Reserved, FeatureParameter };
        WHV_RUN_VP_CANCELED_CONTEXT { CancelReason };
        WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT { DeliverableType };
        WHV_X64_APIC_EOI_CONTEXT { InterruptVector };
        WHV_X64_RDTSC_INFO { AsUINT64 };
        WHV_X64_RDTSC_CONTEXT { TscAux, VirtualOffset, Tsc, ReferenceTime, RdtscInfo };
        WHV_X64_APIC_SMI_CONTEXT { ApicIcr };
        WHV_HYPERCALL_CONTEXT { Rax, Rbx, Rcx, Rdx, R8, Rsi, Rdi, Reserved0, XmmRegisters, Reserved1 };
        WHV_X64_APIC_INIT_SIPI_CONTEXT { ApicIcr };
        WHV_X64_APIC_WRITE_CONTEXT { Type, Reserved, WriteValue };
        WHV_RUN_VP_EXIT_CONTEXT { ExitReason, Reserved, VpContext, MemoryAccess = Anonymous.MemoryAccess, IoPortAccess = Anonymous.IoPortAccess, MsrAccess = Anonymous.MsrAccess, CpuidAccess = Anonymous.CpuidAccess, VpException = Anonymous.VpException, InterruptWindow = Anonymous.InterruptWindow, UnsupportedFeature = Anonymous.UnsupportedFeature, CancelReason = Anonymous.CancelReason, ApicEoi = Anonymous.ApicEoi, ReadTsc = Anonymous.ReadTsc, ApicSmi = Anonymous.ApicSmi, Hypercall = Anonymous.Hypercall, ApicInitSipi = Anonymous.ApicInitSipi, ApicWrite = Anonymous.ApicWrite, SynicSintDeliverable = Anonymous.SynicSintDeliverable };
        WHV_INTERRUPT_CONTROL { Destination, Vector };
        WHV_DOORBELL_MATCH_DATA { GuestAddress, Value, Length };
        WHV_PARTITION_MEMORY_COUNTERS { Mapped4KPageCount, Mapped2MPageCount, Mapped1GPageCount };
        WHV_PROCESSOR_RUNTIME_COUNTERS { TotalRuntime100ns, HypervisorRuntime100ns };
        WHV_PROCESSOR_INTERCEPT_COUNTER { Count, Time100ns };
        WHV_PROCESSOR_ACTIVITY_COUNTERS => WHV_PROCESSOR_INTERCEPT_COUNTERS { PageInvalidations, ControlRegisterAccesses, IoInstructions, HaltInstructions, CpuidInstructions, MsrAccesses, OtherIntercepts, PendingInterrupts, EmulatedInstructions, DebugRegisterAccesses, PageFaultIntercepts, NestedPageFaultIntercepts, Hypercalls, RdpmcInstructions };
        WHV_PROCESSOR_GUEST_EVENT_COUNTERS => WHV_PROCESSOR_EVENT_COUNTERS { PageFaultCount, ExceptionCount, InterruptCount };
        WHV_PROCESSOR_APIC_COUNTERS { MmioAccessCount, EoiAccessCount, TprAccessCount, SentIpiCount, SelfIpiCount };
        WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS { SyntheticInterruptsCount, LongSpinWaitHypercallsCount, OtherHypercallsCount, SyntheticInterruptHypercallsCount, VirtualInterruptHypercallsCount, VirtualMmuHypercallsCount };
        WHV_SYNIC_EVENT_PARAMETERS { VpIndex, TargetSint, Reserved, FlagNumber };
        WHV_SRIOV_RESOURCE_DESCRIPTOR { PnpInstanceId, VirtualFunctionId, VirtualFunctionIndex, Reserved };
        WHV_VPCI_DEVICE_NOTIFICATION { NotificationType, Reserved1, Reserved2 = Anonymous.Reserved2 };
        WHV_VPCI_HARDWARE_IDS { VendorID, DeviceID, RevisionID, ProgIf, SubClass, BaseClass, SubVendorID, SubSystemID };
        WHV_VPCI_PROBED_BARS { Value };
        WHV_VPCI_MMIO_MAPPING { Location, Flags, SizeInBytes, OffsetInBytes, VirtualAddress };
        WHV_VPCI_DEVICE_REGISTER { Location, SizeInBytes, OffsetInBytes };
        WHV_VPCI_INTERRUPT_TARGET { Vector, Flags, ProcessorCount, Processors };
        WHV_VIRTUAL_PROCESSOR_PROPERTY { PropertyCode, Reserved, NumaNode = Anonymous.NumaNode, Padding = Anonymous.Padding };
        WHV_UINT128 { Low64 = Anonymous.Low64, High64 = Anonymous.High64, Dword };
        WHV_TRIGGER_PARAMETERS { TriggerType, Reserved, Interrupt = Anonymous.Interrupt, SynicEvent = Anonymous.SynicEvent, DeviceInterrupt = Anonymous.DeviceInterrupt };
        WHV_NOTIFICATION_PORT_PARAMETERS { NotificationPortType, Reserved, Doorbell = Anonymous.Doorbell, Event = Anonymous.Event };
        // winhvemulation.h
        WHV_EMULATOR_STATUS { AsUINT32 };
        WHV_EMULATOR_MEMORY_ACCESS_INFO { GpaAddress, Direction, AccessSize, Data };
        WHV_EMULATOR_IO_ACCESS_INFO { Direction, Port, AccessSize, Data };
        WHV_EMULATOR_CALLBACKS { Size, Reserved, WHvEmulatorIoPortCallback, WHvEmulatorMemoryCallback, WHvEmulatorGetVirtualProcessorRegisters, WHvEmulatorSetVirtualProcessorRegisters, WHvEmulatorTranslateGvaPage };
        // Plain types: handles, addresses, callbacks and every enum.
        WHV_PARTITION_HANDLE {}; WHV_GUEST_PHYSICAL_ADDRESS {}; WHV_GUEST_VIRTUAL_ADDRESS {};
        WHV_TRIGGER_HANDLE {}; WHV_NOTIFICATION_PORT_HANDLE {}; WHV_NOTIFICATION_PORT_PROPERTY {};
        WHV_EMULATOR_HANDLE {}; WHV_EMULATOR_IO_PORT_CALLBACK {}; WHV_EMULATOR_MEMORY_CALLBACK {};
        WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK {};
        WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK {};
        WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK {};
        WHV_ADVISE_GPA_RANGE_CODE {};
        WHV_ALLOCATE_VPCI_RESOURCE_FLAGS {};
        WHV_CACHE_TYPE {};
        WHV_CAPABILITY_CODE {};
        WHV_CREATE_VPCI_DEVICE_FLAGS {};
        WHV_EXCEPTION_TYPE {};
        WHV_INTERRUPT_DESTINATION_MODE {};
        WHV_INTERRUPT_TRIGGER_MODE {};
        WHV_INTERRUPT_TYPE {};
        WHV_MAP_GPA_RANGE_FLAGS {};
        WHV_MEMORY_ACCESS_TYPE {};
        WHV_MSR_ACTION {};
        WHV_NOTIFICATION_PORT_PROPERTY_CODE {};
        WHV_NOTIFICATION_PORT_TYPE {};
        WHV_PARTITION_COUNTER_SET {};
        WHV_PARTITION_PROPERTY_CODE {};
        WHV_PROCESSOR_COUNTER_SET {};
        WHV_PROCESSOR_VENDOR {};
        WHV_REGISTER_NAME {};
        WHV_RUN_VP_CANCEL_REASON {};
        WHV_RUN_VP_EXIT_REASON {};
        WHV_TRANSLATE_GVA_FLAGS {};
        WHV_TRANSLATE_GVA_RESULT_CODE {};
        WHV_TRIGGER_TYPE {};
        WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE {};
        WHV_VIRTUAL_PROCESSOR_STATE_TYPE {};
        WHV_VPCI_DEVICE_NOTIFICATION_TYPE {};
        WHV_VPCI_DEVICE_PROPERTY_CODE {};
        WHV_VPCI_DEVICE_REGISTER_SPACE {};
        WHV_VPCI_INTERRUPT_TARGET_FLAGS {};
        WHV_VPCI_MMIO_RANGE_FLAGS {};
        WHV_X64_APIC_WRITE_TYPE {};
        WHV_X64_CPUID_RESULT2_FLAGS {};
        WHV_X64_LOCAL_APIC_EMULATION_MODE {};
        WHV_X64_PENDING_EVENT_TYPE {};
        WHV_X64_PENDING_INTERRUPTION_TYPE {};
        WHV_X64_UNSUPPORTED_FEATURE_CODE {};
    }
}

fn bitfields() -> Vec<CBits> {
    c_bits! {
        WHV_CAPABILITY_FEATURES => WHV_CAPABILITY_FEATURES . AsUINT64 { PartialUnmap: set_partial_unmap, LocalApicEmulation: set_local_apic_emulation, Xsave: set_xsave, DirtyPageTracking: set_dirty_page_tracking, SpeculationControl: set_speculation_control, ApicRemoteRead: set_apic_remote_read, IdleSuspend: set_idle_suspend, VirtualPciDeviceSupport: set_virtual_pci_device_support, IommuSupport: set_iommu_support, VpHotAddRemove: set_vp_hot_add_remove };
        WHV_EXTENDED_VM_EXITS => WHV_EXTENDED_VM_EXITS . AsUINT64 { X64CpuidExit: set_x64_cpuid_exit, X64MsrExit: set_x64_msr_exit, ExceptionExit: set_exception_exit, X64RdtscExit: set_x64_rdtsc_exit, X64ApicSmiExitTrap: set_x64_apic_smi_exit_trap, HypercallExit: set_hypercall_exit, X64ApicInitSipiExitTrap: set_x64_apic_init_sipi_exit_trap, X64ApicWriteLint0ExitTrap: set_x64_apic_write_lint0_exit_trap, X64ApicWriteLint1ExitTrap: set_x64_apic_write_lint1_exit_trap, X64ApicWriteSvrExitTrap: set_x64_apic_write_svr_exit_trap, UnknownSynicConnection: set_unknown_synic_connection, RetargetUnknownVpciDevice: set_retarget_unknown_vpci_device, X64ApicWriteLdrExitTrap: set_x64_apic_write_ldr_exit_trap, X64ApicWriteDfrExitTrap: set_x64_apic_write_dfr_exit_trap, GpaAccessFaultExit: set_gpa_access_fault_exit };
        WHV_X64_MSR_EXIT_BITMAP => WHV_X64_MSR_EXIT_BITMAP . AsUINT64 { UnhandledMsrs: set_unhandled_msrs, TscMsrWrite: set_tsc_msr_write, TscMsrRead: set_tsc_msr_read, ApicBaseMsrWrite: set_apic_base_msr_write, MiscEnableMsrRead: set_misc_enable_msr_read, McUpdatePatchLevelMsrRead: set_mc_update_patch_level_msr_read };
        WHV_SCHEDULER_FEATURES => WHV_SCHEDULER_FEATURES . AsUINT64 { CpuReserve: set_cpu_reserve, CpuCap: set_cpu_cap, CpuWeight: set_cpu_weight, CpuGroupId: set_cpu_group_id, DisableSmt: set_disable_smt };
        WHV_PROCESSOR_FEATURES => WHV_PROCESSOR_FEATURES . AsUINT64 { Sse3Support: set_sse3_support, LahfSahfSupport: set_lahf_sahf_support, Ssse3Support: set_ssse3_support, Sse4_1Support: set_sse4_1_support, Sse4_2Support: set_sse4_2_support, Sse4aSupport: set_sse4a_support, XopSupport: set_xop_support, PopCntSupport: set_pop_cnt_support, Cmpxchg16bSupport: set_cmpxchg16b_support, Altmovcr8Support: set_altmovcr8_support, LzcntSupport: set_lzcnt_support, MisAlignSseSupport: set_mis_align_sse_support, MmxExtSupport: set_mmx_ext_support, Amd3DNowSupport: set_amd_3dnow_support, ExtendedAmd3DNowSupport: set_extended_amd_3dnow_support, Page1GbSupport: set_page_1gb_support, AesSupport: set_aes_support, PclmulqdqSupport: set_pclmulqdq_support, PcidSupport: set_pcid_support, Fma4Support: set_fma4_support, F16CSupport: set_f16c_support, RdRandSupport: set_rd_rand_support, RdWrFsGsSupport: set_rd_wr_fs_gs_support, SmepSupport: set_smep_support, EnhancedFastStringSupport: set_enhanced_fast_string_support, Bmi1Support: set_bmi1_support, Bmi2Support: set_bmi2_support, MovbeSupport: set_movbe_support, Npiep1Support: set_npiep1_support, DepX87FPUSaveSupport: set_dep_x87_fpu_save_support, RdSeedSupport: set_rd_seed_support, AdxSupport: set_adx_support, IntelPrefetchSupport: set_intel_prefetch_support, SmapSupport: set_smap_support, HleSupport: set_hle_support, RtmSupport: set_rtm_support, RdtscpSupport: set_rdtscp_support, ClflushoptSupport: set_clflushopt_support, ClwbSupport: set_clwb_support, ShaSupport: set_sha_support, X87PointersSavedSupport: set_x87_pointers_saved_support, InvpcidSupport: set_invpcid_support, IbrsSupport: set_ibrs_support, StibpSupport: set_stibp_support, IbpbSupport: set_ibpb_support, SsbdSupport: set_ssbd_support, FastShortRepMovSupport: set_fast_short_rep_mov_support, RdclNo: set_rdcl_no, IbrsAllSupport: set_ibrs_all_support, SsbNo: set_ssb_no, RsbANo: set_rsb_a_no, RdPidSupport: set_rd_pid_support, UmipSupport: set_umip_support, MdsNoSupport: set_mds_no_support, MdClearSupport: set_md_clear_support, TaaNoSupport: set_taa_no_support, TsxCtrlSupport: set_tsx_ctrl_support };
        WHV_PROCESSOR_FEATURES1 => WHV_PROCESSOR_FEATURES1 . AsUINT64 { ACountMCountSupport: set_acount_mcount_support, TscInvariantSupport: set_tsc_invariant_support, ClZeroSupport: set_cl_zero_support, RdpruSupport: set_rdpru_support, NestedVirtSupport: set_nested_virt_support, PsfdSupport: set_psfd_support, CetSsSupport: set_cet_ss_support, CetIbtSupport: set_cet_ibt_support, VmxExceptionInjectSupport: set_vmx_exception_inject_support, UmwaitTpauseSupport: set_umwait_tpause_support, MovdiriSupport: set_movdiri_support, Movdir64bSupport: set_movdir64b_support, CldemoteSupport: set_cldemote_support, SerializeSupport: set_serialize_support, TscDeadlineTmrSupport: set_tsc_deadline_tmr_support, TscAdjustSupport: set_tsc_adjust_support, FZLRepMovsb: set_fzl_rep_movsb, FSRepStosb: set_fs_rep_stosb, FSRepCmpsb: set_fs_rep_cmpsb };
        WHV_SYNTHETIC_PROCESSOR_FEATURES => WHV_SYNTHETIC_PROCESSOR_FEATURES . AsUINT64 { HypervisorPresent: set_hypervisor_present, Hv1: set_hv1, AccessVpRunTimeReg: set_access_vp_run_time_reg, AccessPartitionReferenceCounter: set_access_partition_reference_counter, AccessSynicRegs: set_access_synic_regs, AccessSyntheticTimerRegs: set_access_synthetic_timer_regs, AccessIntrCtrlRegs: set_access_intr_ctrl_regs, AccessHypercallRegs: set_access_hypercall_regs, AccessVpIndex: set_access_vp_index, AccessPartitionReferenceTsc: set_access_partition_reference_tsc, AccessGuestIdleReg: set_access_guest_idle_reg, AccessFrequencyRegs: set_access_frequency_regs, EnableExtendedGvaRangesForFlushVirtualAddressList: set_enable_extended_gva_ranges_for_flush_virtual_address_list, FastHypercallOutput: set_fast_hypercall_output, DirectSyntheticTimers: set_direct_synthetic_timers, ExtendedProcessorMasks: set_extended_processor_masks, TbFlushHypercalls: set_tb_flush_hypercalls, SyntheticClusterIpi: set_synthetic_cluster_ipi, NotifyLongSpinWait: set_notify_long_spin_wait, QueryNumaDistance: set_query_numa_distance, SignalEvents: set_signal_events, RetargetDeviceInterrupt: set_retarget_device_interrupt };
        WHV_PROCESSOR_XSAVE_FEATURES => WHV_PROCESSOR_XSAVE_FEATURES . AsUINT64 { XsaveSupport: set_xsave_support, XsaveoptSupport: set_xsaveopt_support, AvxSupport: set_avx_support, Avx2Support: set_avx2_support, FmaSupport: set_fma_support, MpxSupport: set_mpx_support, Avx512Support: set_avx512_support, Avx512DQSupport: set_avx512_dq_support, Avx512CDSupport: set_avx512_cd_support, Avx512BWSupport: set_avx512_bw_support, Avx512VLSupport: set_avx512_vl_support, XsaveCompSupport: set_xsave_comp_support, XsaveSupervisorSupport: set_xsave_supervisor_support, Xcr1Support: set_xcr1_support, Avx512BitalgSupport: set_avx512_bitalg_support, Avx512IfmaSupport: set_avx512_ifma_support, Avx512VBmiSupport: set_avx512_vbmi_support, Avx512VBmi2Support: set_avx512_vbmi2_support, Avx512VnniSupport: set_avx512_vnni_support, GfniSupport: set_gfni_support, VaesSupport: set_vaes_support, Avx512VPopcntdqSupport: set_avx512_vpopcntdq_support, VpclmulqdqSupport: set_vpclmulqdq_support, Avx512Bf16Support: set_avx512_bf16_support, Avx512Vp2IntersectSupport: set_avx512_vp2intersect_support, Avx512Fp16Support: set_avx512_fp16_support, XfdSupport: set_xfd_support, AmxTileSupport: set_amx_tile_support, AmxBf16Support: set_amx_bf16_support, AmxInt8Support: set_amx_int8_support, AvxVnniSupport: set_avx_vnni_support };
        WHV_PROCESSOR_PERFMON_FEATURES => WHV_PROCESSOR_PERFMON_FEATURES . AsUINT64 { PmuSupport: set_pmu_support, LbrSupport: set_lbr_support };
        WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS => WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS . AsUINT32 { Prefetch: set_prefetch, AvoidHardFaults: set_avoid_hard_faults };
        WHV_X64_INTERRUPT_STATE_REGISTER => WHV_X64_INTERRUPT_STATE_REGISTER . AsUINT64 { InterruptShadow: set_interrupt_shadow, NmiMasked: set_nmi_masked };
        WHV_X64_PENDING_INTERRUPTION_REGISTER => WHV_X64_PENDING_INTERRUPTION_REGISTER . AsUINT64 { InterruptionPending: set_interruption_pending, InterruptionType: set_interruption_type, DeliverErrorCode: set_deliver_error_code, InstructionLength: set_instruction_length, NestedEvent: set_nested_event, InterruptionVector: set_interruption_vector, ErrorCode: set_error_code };
        WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER => WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER . AsUINT64 { NmiNotification: set_nmi_notification, InterruptNotification: set_interrupt_notification, InterruptPriority: set_interrupt_priority };
        WHV_INTERNAL_ACTIVITY_REGISTER => WHV_INTERNAL_ACTIVITY_REGISTER . AsUINT64 { StartupSuspend: set_startup_suspend, HaltSuspend: set_halt_suspend, IdleSuspend: set_idle_suspend };
        WHV_X64_PENDING_DEBUG_EXCEPTION => WHV_X64_PENDING_DEBUG_EXCEPTION . AsUINT64 { Breakpoint0: set_breakpoint0, Breakpoint1: set_breakpoint1, Breakpoint2: set_breakpoint2, Breakpoint3: set_breakpoint3, SingleStep: set_single_step };
        WHV_X64_VP_EXECUTION_STATE => WHV_X64_VP_EXECUTION_STATE . AsUINT16 { Cpl: set_cpl, Cr0Pe: set_cr0_pe, Cr0Am: set_cr0_am, EferLma: set_efer_lma, DebugActive: set_debug_active, InterruptionPending: set_interruption_pending, InterruptShadow: set_interrupt_shadow };
        WHV_MEMORY_ACCESS_INFO => WHV_MEMORY_ACCESS_INFO . AsUINT32 { AccessType: set_access_type, GpaUnmapped: set_gpa_unmapped, GvaValid: set_gva_valid };
        WHV_X64_IO_PORT_ACCESS_INFO => WHV_X64_IO_PORT_ACCESS_INFO . AsUINT32 { IsWrite: set_is_write, AccessSize: set_access_size, StringOp: set_string_op, RepPrefix: set_rep_prefix };
        WHV_X64_MSR_ACCESS_INFO => WHV_X64_MSR_ACCESS_INFO . AsUINT32 { IsWrite: set_is_write };
        WHV_VP_EXCEPTION_INFO => WHV_VP_EXCEPTION_INFO . AsUINT32 { ErrorCodeValid: set_error_code_valid, SoftwareException: set_software_exception };
        WHV_X64_RDTSC_INFO => WHV_X64_RDTSC_INFO . AsUINT64 { IsRdtscp: set_is_rdtscp };
        WHV_X64_SEGMENT_REGISTER => WHV_X64_SEGMENT_REGISTER . Attributes { SegmentType: set_segment_type, NonSystemSegment: set_non_system_segment, DescriptorPrivilegeLevel: set_descriptor_privilege_level, Present: set_present, Available: set_available, Long: set_long, Default: set_default_bit, Granularity: set_granularity };
        WHV_X64_FP_REGISTER => WHV_X64_FP_REGISTER_0 . _bitfield { BiasedExponent: set_biased_exponent, Sign: set_sign };
        WHV_X64_PENDING_EXCEPTION_EVENT => WHV_X64_PENDING_EXCEPTION_EVENT_0 . _bitfield { EventPending: set_event_pending, EventType: set_event_type, DeliverErrorCode: set_deliver_error_code, Vector: set_vector };
        WHV_X64_PENDING_EXT_INT_EVENT => WHV_X64_PENDING_EXT_INT_EVENT_0 . _bitfield { EventPending: set_event_pending, EventType: set_event_type, Vector: set_vector };
        WHV_VP_EXIT_CONTEXT => WHV_VP_EXIT_CONTEXT . _bitfield { InstructionLength: set_instruction_length, Cr8: set_cr8 };
        WHV_INTERRUPT_CONTROL => WHV_INTERRUPT_CONTROL . _bitfield { Type: set_type, DestinationMode: set_destination_mode, TriggerMode: set_trigger_mode };
        WHV_DOORBELL_MATCH_DATA => WHV_DOORBELL_MATCH_DATA . _bitfield { MatchOnValue: set_match_on_value, MatchOnLength: set_match_on_length };
        WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP => WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP . _bitfield { IsSupported: set_is_supported };
        WHV_EMULATOR_STATUS => WHV_EMULATOR_STATUS . AsUINT32 { EmulationSuccessful: set_emulation_successful, InternalEmulationFailure: set_internal_emulation_failure, IoPortCallbackFailed: set_io_port_callback_failed, MemoryCallbackFailed: set_memory_callback_failed, TranslateGvaPageCallbackFailed: set_translate_gva_page_callback_failed, TranslateGvaPageCallbackGpaIsNotAligned: set_translate_gva_page_callback_gpa_is_not_aligned, GetVirtualProcessorRegistersCallbackFailed: set_get_virtual_processor_registers_callback_failed, SetVirtualProcessorRegistersCallbackFailed: set_set_virtual_processor_registers_callback_failed, InterruptCausedIntercept: set_interrupt_caused_intercept, GuestCannotBeFaulted: set_guest_cannot_be_faulted };
    }
}

fn enumerators() -> Vec<(&'static str, u64)> {
    let mut v = enum_values!(
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
    );
    // The header's spelling (windows-sys spells it `WHvRunVpCancelReasonUser`).
    v.push((
        "WhvRunVpCancelReasonUser",
        defs::WhvRunVpCancelReasonUser.0 as u32 as u64,
    ));
    v
}

/// The header's `#define`s.
fn defines() -> Vec<(&'static str, u64)> {
    vec![
        (
            "WHV_PROCESSOR_FEATURES_BANKS_COUNT",
            defs::WHV_PROCESSOR_FEATURES_BANKS_COUNT.into(),
        ),
        (
            "WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT",
            defs::WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT.into(),
        ),
        (
            "WHV_READ_WRITE_GPA_RANGE_MAX_SIZE",
            defs::WHV_READ_WRITE_GPA_RANGE_MAX_SIZE.into(),
        ),
        (
            "WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS",
            defs::WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS.into(),
        ),
        (
            "WHV_MAX_DEVICE_ID_SIZE_IN_CHARS",
            defs::WHV_MAX_DEVICE_ID_SIZE_IN_CHARS.into(),
        ),
        (
            "WHV_VPCI_TYPE0_BAR_COUNT",
            defs::WHV_VPCI_TYPE0_BAR_COUNT.into(),
        ),
        ("WHV_ANY_VP", defs::WHV_ANY_VP.into()),
        (
            "WHV_NOTIFICATION_PORT_PREFERRED_DURATION_MAX",
            defs::WHV_NOTIFICATION_PORT_PREFERRED_DURATION_MAX,
        ),
        (
            "WHV_SYNIC_MESSAGE_SIZE",
            defs::WHV_SYNIC_MESSAGE_SIZE.into(),
        ),
    ]
}

/// True when `name` occurs in `text` as a whole C identifier.
fn mentions(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn header_dir() -> Option<PathBuf> {
    let candidates = std::env::var_os("WINHV_MINGW_INCLUDE")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/usr/share/mingw-w64/include")]);
    candidates
        .into_iter()
        .find(|d| d.join("winhvplatformdefs.h").is_file() && d.join("winhvemulation.h").is_file())
}

#[test]
fn mingw_headers_agree_with_our_types() {
    let Some(include) = header_dir() else {
        println!("SKIPPED: mingw-w64 headers not found (run scripts/setup)");
        return;
    };
    if Command::new("cc")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        println!("SKIPPED: no C compiler (cc) for the mingw-w64 header check");
        return;
    }
    let header = std::fs::read_to_string(include.join("winhvplatformdefs.h")).expect("read header")
        + &std::fs::read_to_string(include.join("winhvemulation.h")).expect("read header");
    let has = |name: &str| mentions(&header, name);

    // What we expect the C program to print, key → value.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut c = String::from(
        "#include \"winhv_shim.h\"\n#include <winhvplatformdefs.h>\n#include <winhvemulation.h>\n\
         #include <stdio.h>\n#include <string.h>\n\
         static void image(const char *k, const void *p, size_t n) {\n\
         \x20   printf(\"%s \", k);\n\
         \x20   for (size_t i = 0; i < n; i++) printf(\"%02x\", ((const unsigned char *)p)[i]);\n\
         \x20   printf(\"\\n\");\n}\n\
         int main(void) {\n",
    );
    let (mut n_types, mut n_fields, mut n_bits, mut n_consts) = (0, 0, 0, 0);
    for t in types() {
        if !has(t.name) {
            continue;
        }
        n_types += 1;
        let name = t.name;
        expected.insert(format!("size {name}"), t.size.to_string());
        expected.insert(format!("align {name}"), t.align.to_string());
        writeln!(c, "    printf(\"size {name} %zu\\n\", sizeof({name}));").unwrap();
        writeln!(
            c,
            "    printf(\"align {name} %zu\\n\", (size_t)_Alignof({name}));"
        )
        .unwrap();
        for (f, off) in t.fields {
            if !has(f) {
                continue;
            }
            n_fields += 1;
            expected.insert(format!("offset {name}.{f}"), off.to_string());
            writeln!(
                c,
                "    printf(\"offset {name}.{f} %zu\\n\", offsetof({name}, {f}));"
            )
            .unwrap();
        }
    }
    for b in bitfields() {
        if !has(b.ty) || !has(b.member) {
            continue;
        }
        n_bits += 1;
        let (ty, m) = (b.ty, b.member);
        let hex: String = b.image.iter().map(|x| format!("{x:02x}")).collect();
        expected.insert(format!("bits {ty}.{m}"), hex);
        writeln!(c, "    {{ {ty} v; memset(&v, 0, sizeof v); v.{m} = ~0ULL; image(\"bits {ty}.{m}\", &v, sizeof v); }}").unwrap();
    }
    for (name, value) in enumerators() {
        if !has(name) {
            continue;
        }
        n_consts += 1;
        expected.insert(format!("const {name}"), value.to_string());
        writeln!(
            c,
            "    printf(\"const {name} %llu\\n\", (unsigned long long)(unsigned)({name}));"
        )
        .unwrap();
    }
    for (name, value) in defines() {
        if !has(name) {
            continue;
        }
        n_consts += 1;
        expected.insert(format!("const {name}"), value.to_string());
        writeln!(c, "#ifdef {name}\n    printf(\"const {name} %llu\\n\", (unsigned long long)({name}));\n#endif").unwrap();
    }
    c.push_str("    return 0;\n}\n");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mingw_headers");
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, &c).expect("write C file");
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let out = Command::new("cc")
        .args(["-std=gnu11", "-w", "-I"])
        .arg(&shim)
        .arg("-idirafter")
        .arg(&include)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc failed on {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().expect("run the layout program");
    assert!(run.status.success(), "layout program failed");

    let mut got: BTreeMap<String, String> = BTreeMap::new();
    for line in String::from_utf8_lossy(&run.stdout).lines() {
        if let Some((k, v)) = line.rsplit_once(' ') {
            got.insert(k.to_string(), v.to_string());
        }
    }
    let mismatches: Vec<String> = expected
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(v))
        .map(|(k, v)| {
            format!(
                "{k}: ours {v}, header {}",
                got.get(k).map_or("(absent)", |s| s.as_str())
            )
        })
        .collect();
    println!(
        "mingw-w64 {}: {n_types} types, {n_fields} offsets, {n_bits} bitfield members, {n_consts} constants checked",
        include.display()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches with the mingw-w64 headers:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // A header this test can read has at least these (mingw-w64 10 has
    // about 90 types and 430 constants): a filter gone wrong must not pass.
    assert!(
        n_types >= 60 && n_fields >= 200 && n_bits >= 150 && n_consts >= 300,
        "too little checked"
    );
}
