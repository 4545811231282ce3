//! The processor feature bitfields and banks, reported by capabilities and
//! set as partition properties: CPUID-visible features (banks 0 and 1),
//! Hyper-V synthetic features, XSAVE features, performance monitoring.

/// Processor features, bank 0 (`WHvCapabilityCodeProcessorFeatures`,
/// `WHvPartitionPropertyCodeProcessorFeatures`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_FEATURES {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_PROCESSOR_FEATURES . AsUINT64 : u64 {
        /// `Sse3Support`: bit 0.
        sse3_support / set_sse3_support : 0, 1;
        /// `LahfSahfSupport`: bit 1.
        lahf_sahf_support / set_lahf_sahf_support : 1, 1;
        /// `Ssse3Support`: bit 2.
        ssse3_support / set_ssse3_support : 2, 1;
        /// `Sse4_1Support`: bit 3.
        sse4_1_support / set_sse4_1_support : 3, 1;
        /// `Sse4_2Support`: bit 4.
        sse4_2_support / set_sse4_2_support : 4, 1;
        /// `Sse4aSupport`: bit 5.
        sse4a_support / set_sse4a_support : 5, 1;
        /// `XopSupport`: bit 6.
        xop_support / set_xop_support : 6, 1;
        /// `PopCntSupport`: bit 7.
        pop_cnt_support / set_pop_cnt_support : 7, 1;
        /// `Cmpxchg16bSupport`: bit 8.
        cmpxchg16b_support / set_cmpxchg16b_support : 8, 1;
        /// `Altmovcr8Support`: bit 9.
        altmovcr8_support / set_altmovcr8_support : 9, 1;
        /// `LzcntSupport`: bit 10.
        lzcnt_support / set_lzcnt_support : 10, 1;
        /// `MisAlignSseSupport`: bit 11.
        mis_align_sse_support / set_mis_align_sse_support : 11, 1;
        /// `MmxExtSupport`: bit 12.
        mmx_ext_support / set_mmx_ext_support : 12, 1;
        /// `Amd3DNowSupport`: bit 13.
        amd_3dnow_support / set_amd_3dnow_support : 13, 1;
        /// `ExtendedAmd3DNowSupport`: bit 14.
        extended_amd_3dnow_support / set_extended_amd_3dnow_support : 14, 1;
        /// `Page1GbSupport`: bit 15.
        page_1gb_support / set_page_1gb_support : 15, 1;
        /// `AesSupport`: bit 16.
        aes_support / set_aes_support : 16, 1;
        /// `PclmulqdqSupport`: bit 17.
        pclmulqdq_support / set_pclmulqdq_support : 17, 1;
        /// `PcidSupport`: bit 18.
        pcid_support / set_pcid_support : 18, 1;
        /// `Fma4Support`: bit 19.
        fma4_support / set_fma4_support : 19, 1;
        /// `F16CSupport`: bit 20.
        f16c_support / set_f16c_support : 20, 1;
        /// `RdRandSupport`: bit 21.
        rd_rand_support / set_rd_rand_support : 21, 1;
        /// `RdWrFsGsSupport`: bit 22.
        rd_wr_fs_gs_support / set_rd_wr_fs_gs_support : 22, 1;
        /// `SmepSupport`: bit 23.
        smep_support / set_smep_support : 23, 1;
        /// `EnhancedFastStringSupport`: bit 24.
        enhanced_fast_string_support / set_enhanced_fast_string_support : 24, 1;
        /// `Bmi1Support`: bit 25.
        bmi1_support / set_bmi1_support : 25, 1;
        /// `Bmi2Support`: bit 26.
        bmi2_support / set_bmi2_support : 26, 1;
        /// `MovbeSupport`: bit 29.
        movbe_support / set_movbe_support : 29, 1;
        /// `Npiep1Support`: bit 30.
        npiep1_support / set_npiep1_support : 30, 1;
        /// `DepX87FPUSaveSupport`: bit 31.
        dep_x87_fpu_save_support / set_dep_x87_fpu_save_support : 31, 1;
        /// `RdSeedSupport`: bit 32.
        rd_seed_support / set_rd_seed_support : 32, 1;
        /// `AdxSupport`: bit 33.
        adx_support / set_adx_support : 33, 1;
        /// `IntelPrefetchSupport`: bit 34.
        intel_prefetch_support / set_intel_prefetch_support : 34, 1;
        /// `SmapSupport`: bit 35.
        smap_support / set_smap_support : 35, 1;
        /// `HleSupport`: bit 36.
        hle_support / set_hle_support : 36, 1;
        /// `RtmSupport`: bit 37.
        rtm_support / set_rtm_support : 37, 1;
        /// `RdtscpSupport`: bit 38.
        rdtscp_support / set_rdtscp_support : 38, 1;
        /// `ClflushoptSupport`: bit 39.
        clflushopt_support / set_clflushopt_support : 39, 1;
        /// `ClwbSupport`: bit 40.
        clwb_support / set_clwb_support : 40, 1;
        /// `ShaSupport`: bit 41.
        sha_support / set_sha_support : 41, 1;
        /// `X87PointersSavedSupport`: bit 42.
        x87_pointers_saved_support / set_x87_pointers_saved_support : 42, 1;
        /// `InvpcidSupport`: bit 43.
        invpcid_support / set_invpcid_support : 43, 1;
        /// `IbrsSupport`: bit 44.
        ibrs_support / set_ibrs_support : 44, 1;
        /// `StibpSupport`: bit 45.
        stibp_support / set_stibp_support : 45, 1;
        /// `IbpbSupport`: bit 46.
        ibpb_support / set_ibpb_support : 46, 1;
        /// `SsbdSupport`: bit 48.
        ssbd_support / set_ssbd_support : 48, 1;
        /// `FastShortRepMovSupport`: bit 49.
        fast_short_rep_mov_support / set_fast_short_rep_mov_support : 49, 1;
        /// `RdclNo`: bit 51.
        rdcl_no / set_rdcl_no : 51, 1;
        /// `IbrsAllSupport`: bit 52.
        ibrs_all_support / set_ibrs_all_support : 52, 1;
        /// `SsbNo`: bit 54.
        ssb_no / set_ssb_no : 54, 1;
        /// `RsbANo`: bit 55.
        rsb_a_no / set_rsb_a_no : 55, 1;
        /// `RdPidSupport`: bit 57.
        rd_pid_support / set_rd_pid_support : 57, 1;
        /// `UmipSupport`: bit 58.
        umip_support / set_umip_support : 58, 1;
        /// `MdsNoSupport`: bit 59.
        mds_no_support / set_mds_no_support : 59, 1;
        /// `MdClearSupport`: bit 60.
        md_clear_support / set_md_clear_support : 60, 1;
        /// `TaaNoSupport`: bit 61.
        taa_no_support / set_taa_no_support : 61, 1;
        /// `TsxCtrlSupport`: bit 62.
        tsx_ctrl_support / set_tsx_ctrl_support : 62, 1;
    }
}

/// Processor features, bank 1.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_FEATURES1 {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_PROCESSOR_FEATURES1 . AsUINT64 : u64 {
        /// `ACountMCountSupport`: bit 0.
        acount_mcount_support / set_acount_mcount_support : 0, 1;
        /// `TscInvariantSupport`: bit 1.
        tsc_invariant_support / set_tsc_invariant_support : 1, 1;
        /// `ClZeroSupport`: bit 2.
        cl_zero_support / set_cl_zero_support : 2, 1;
        /// `RdpruSupport`: bit 3.
        rdpru_support / set_rdpru_support : 3, 1;
        /// `NestedVirtSupport`: bit 6.
        nested_virt_support / set_nested_virt_support : 6, 1;
        /// `PsfdSupport`: bit 7.
        psfd_support / set_psfd_support : 7, 1;
        /// `CetSsSupport`: bit 8.
        cet_ss_support / set_cet_ss_support : 8, 1;
        /// `CetIbtSupport`: bit 9.
        cet_ibt_support / set_cet_ibt_support : 9, 1;
        /// `VmxExceptionInjectSupport`: bit 10.
        vmx_exception_inject_support / set_vmx_exception_inject_support : 10, 1;
        /// `UmwaitTpauseSupport`: bit 12.
        umwait_tpause_support / set_umwait_tpause_support : 12, 1;
        /// `MovdiriSupport`: bit 13.
        movdiri_support / set_movdiri_support : 13, 1;
        /// `Movdir64bSupport`: bit 14.
        movdir64b_support / set_movdir64b_support : 14, 1;
        /// `CldemoteSupport`: bit 15.
        cldemote_support / set_cldemote_support : 15, 1;
        /// `SerializeSupport`: bit 16.
        serialize_support / set_serialize_support : 16, 1;
        /// `TscDeadlineTmrSupport`: bit 17.
        tsc_deadline_tmr_support / set_tsc_deadline_tmr_support : 17, 1;
        /// `TscAdjustSupport`: bit 18.
        tsc_adjust_support / set_tsc_adjust_support : 18, 1;
        /// `FZLRepMovsb`: bit 19.
        fzl_rep_movsb / set_fzl_rep_movsb : 19, 1;
        /// `FSRepStosb`: bit 20.
        fs_rep_stosb / set_fs_rep_stosb : 20, 1;
        /// `FSRepCmpsb`: bit 21.
        fs_rep_cmpsb / set_fs_rep_cmpsb : 21, 1;
    }
}

/// The number of banks in [`WHV_PROCESSOR_FEATURES_BANKS`].
pub const WHV_PROCESSOR_FEATURES_BANKS_COUNT: u32 = 2;

/// All processor feature banks (`WHvCapabilityCodeProcessorFeaturesBanks`,
/// `WHvPartitionPropertyCodeProcessorFeaturesBanks`).
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_PROCESSOR_FEATURES_BANKS {
    /// How many banks the caller passes or wants
    /// ([`WHV_PROCESSOR_FEATURES_BANKS_COUNT`]).
    pub BanksCount: u32,
    /// Reserved, zero.
    pub Reserved0: u32,
    /// The banks, by name or as an array.
    pub Anonymous: WHV_PROCESSOR_FEATURES_BANKS_0,
}

/// The banks of [`WHV_PROCESSOR_FEATURES_BANKS`], by name or as an array.
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_PROCESSOR_FEATURES_BANKS_0 {
    /// The banks by name.
    pub Anonymous: WHV_PROCESSOR_FEATURES_BANKS_0_0,
    /// The banks as integers.
    pub AsUINT64: [u64; WHV_PROCESSOR_FEATURES_BANKS_COUNT as usize],
}

impl Default for WHV_PROCESSOR_FEATURES_BANKS_0 {
    /// All banks zero.
    fn default() -> Self {
        Self {
            AsUINT64: [0; WHV_PROCESSOR_FEATURES_BANKS_COUNT as usize],
        }
    }
}

/// The processor feature banks by name.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_FEATURES_BANKS_0_0 {
    /// Bank 0.
    pub Bank0: WHV_PROCESSOR_FEATURES,
    /// Bank 1.
    pub Bank1: WHV_PROCESSOR_FEATURES1,
}

/// Hyper-V synthetic (enlightenment) features offered to the guest, bank 0
/// (x64 layout).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_SYNTHETIC_PROCESSOR_FEATURES {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_SYNTHETIC_PROCESSOR_FEATURES . AsUINT64 : u64 {
        /// `HypervisorPresent`: bit 0.
        hypervisor_present / set_hypervisor_present : 0, 1;
        /// `Hv1`: bit 1.
        hv1 / set_hv1 : 1, 1;
        /// `AccessVpRunTimeReg`: bit 2.
        access_vp_run_time_reg / set_access_vp_run_time_reg : 2, 1;
        /// `AccessPartitionReferenceCounter`: bit 3.
        access_partition_reference_counter / set_access_partition_reference_counter : 3, 1;
        /// `AccessSynicRegs`: bit 4.
        access_synic_regs / set_access_synic_regs : 4, 1;
        /// `AccessSyntheticTimerRegs`: bit 5.
        access_synthetic_timer_regs / set_access_synthetic_timer_regs : 5, 1;
        /// `AccessIntrCtrlRegs`: bit 6.
        access_intr_ctrl_regs / set_access_intr_ctrl_regs : 6, 1;
        /// `AccessHypercallRegs`: bit 7.
        access_hypercall_regs / set_access_hypercall_regs : 7, 1;
        /// `AccessVpIndex`: bit 8.
        access_vp_index / set_access_vp_index : 8, 1;
        /// `AccessPartitionReferenceTsc`: bit 9.
        access_partition_reference_tsc / set_access_partition_reference_tsc : 9, 1;
        /// `AccessGuestIdleReg`: bit 10.
        access_guest_idle_reg / set_access_guest_idle_reg : 10, 1;
        /// `AccessFrequencyRegs`: bit 11.
        access_frequency_regs / set_access_frequency_regs : 11, 1;
        /// `EnableExtendedGvaRangesForFlushVirtualAddressList`: bit 15.
        enable_extended_gva_ranges_for_flush_virtual_address_list / set_enable_extended_gva_ranges_for_flush_virtual_address_list : 15, 1;
        /// `FastHypercallOutput`: bit 18.
        fast_hypercall_output / set_fast_hypercall_output : 18, 1;
        /// `DirectSyntheticTimers`: bit 22.
        direct_synthetic_timers / set_direct_synthetic_timers : 22, 1;
        /// `ExtendedProcessorMasks`: bit 24.
        extended_processor_masks / set_extended_processor_masks : 24, 1;
        /// `TbFlushHypercalls`: bit 25.
        tb_flush_hypercalls / set_tb_flush_hypercalls : 25, 1;
        /// `SyntheticClusterIpi`: bit 26.
        synthetic_cluster_ipi / set_synthetic_cluster_ipi : 26, 1;
        /// `NotifyLongSpinWait`: bit 27.
        notify_long_spin_wait / set_notify_long_spin_wait : 27, 1;
        /// `QueryNumaDistance`: bit 28.
        query_numa_distance / set_query_numa_distance : 28, 1;
        /// `SignalEvents`: bit 29.
        signal_events / set_signal_events : 29, 1;
        /// `RetargetDeviceInterrupt`: bit 30.
        retarget_device_interrupt / set_retarget_device_interrupt : 30, 1;
    }
}

/// The number of banks in [`WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS`].
pub const WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT: u32 = 1;

/// All synthetic processor feature banks
/// (`WHvCapabilityCodeSyntheticProcessorFeaturesBanks`,
/// `WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks`).
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS {
    /// How many banks the caller passes or wants
    /// ([`WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT`]).
    pub BanksCount: u32,
    /// Reserved, zero.
    pub Reserved0: u32,
    /// The banks, by name or as an array.
    pub Anonymous: WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0,
}

/// The banks of [`WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0 {
    /// The banks by name.
    pub Anonymous: WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0_0,
    /// The banks as integers.
    pub AsUINT64: [u64; WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT as usize],
}

impl Default for WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0 {
    /// All banks zero.
    fn default() -> Self {
        Self {
            AsUINT64: [0; WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT as usize],
        }
    }
}

/// The synthetic processor feature banks by name.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_0_0 {
    /// Bank 0.
    pub Bank0: WHV_SYNTHETIC_PROCESSOR_FEATURES,
}

/// XSAVE-managed features (`WHvCapabilityCodeProcessorXsaveFeatures`,
/// `WHvPartitionPropertyCodeProcessorXsaveFeatures`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_XSAVE_FEATURES {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_PROCESSOR_XSAVE_FEATURES . AsUINT64 : u64 {
        /// `XsaveSupport`: bit 0.
        xsave_support / set_xsave_support : 0, 1;
        /// `XsaveoptSupport`: bit 1.
        xsaveopt_support / set_xsaveopt_support : 1, 1;
        /// `AvxSupport`: bit 2.
        avx_support / set_avx_support : 2, 1;
        /// `Avx2Support`: bit 3.
        avx2_support / set_avx2_support : 3, 1;
        /// `FmaSupport`: bit 4.
        fma_support / set_fma_support : 4, 1;
        /// `MpxSupport`: bit 5.
        mpx_support / set_mpx_support : 5, 1;
        /// `Avx512Support`: bit 6.
        avx512_support / set_avx512_support : 6, 1;
        /// `Avx512DQSupport`: bit 7.
        avx512_dq_support / set_avx512_dq_support : 7, 1;
        /// `Avx512CDSupport`: bit 8.
        avx512_cd_support / set_avx512_cd_support : 8, 1;
        /// `Avx512BWSupport`: bit 9.
        avx512_bw_support / set_avx512_bw_support : 9, 1;
        /// `Avx512VLSupport`: bit 10.
        avx512_vl_support / set_avx512_vl_support : 10, 1;
        /// `XsaveCompSupport`: bit 11.
        xsave_comp_support / set_xsave_comp_support : 11, 1;
        /// `XsaveSupervisorSupport`: bit 12.
        xsave_supervisor_support / set_xsave_supervisor_support : 12, 1;
        /// `Xcr1Support`: bit 13.
        xcr1_support / set_xcr1_support : 13, 1;
        /// `Avx512BitalgSupport`: bit 14.
        avx512_bitalg_support / set_avx512_bitalg_support : 14, 1;
        /// `Avx512IfmaSupport`: bit 15.
        avx512_ifma_support / set_avx512_ifma_support : 15, 1;
        /// `Avx512VBmiSupport`: bit 16.
        avx512_vbmi_support / set_avx512_vbmi_support : 16, 1;
        /// `Avx512VBmi2Support`: bit 17.
        avx512_vbmi2_support / set_avx512_vbmi2_support : 17, 1;
        /// `Avx512VnniSupport`: bit 18.
        avx512_vnni_support / set_avx512_vnni_support : 18, 1;
        /// `GfniSupport`: bit 19.
        gfni_support / set_gfni_support : 19, 1;
        /// `VaesSupport`: bit 20.
        vaes_support / set_vaes_support : 20, 1;
        /// `Avx512VPopcntdqSupport`: bit 21.
        avx512_vpopcntdq_support / set_avx512_vpopcntdq_support : 21, 1;
        /// `VpclmulqdqSupport`: bit 22.
        vpclmulqdq_support / set_vpclmulqdq_support : 22, 1;
        /// `Avx512Bf16Support`: bit 23.
        avx512_bf16_support / set_avx512_bf16_support : 23, 1;
        /// `Avx512Vp2IntersectSupport`: bit 24.
        avx512_vp2intersect_support / set_avx512_vp2intersect_support : 24, 1;
        /// `Avx512Fp16Support`: bit 25.
        avx512_fp16_support / set_avx512_fp16_support : 25, 1;
        /// `XfdSupport`: bit 26.
        xfd_support / set_xfd_support : 26, 1;
        /// `AmxTileSupport`: bit 27.
        amx_tile_support / set_amx_tile_support : 27, 1;
        /// `AmxBf16Support`: bit 28.
        amx_bf16_support / set_amx_bf16_support : 28, 1;
        /// `AmxInt8Support`: bit 29.
        amx_int8_support / set_amx_int8_support : 29, 1;
        /// `AvxVnniSupport`: bit 30.
        avx_vnni_support / set_avx_vnni_support : 30, 1;
    }
}

/// Performance monitoring features (`WHvCapabilityCodeProcessorPerfmonFeatures`,
/// `WHvPartitionPropertyCodeProcessorPerfmonFeatures`).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_PERFMON_FEATURES {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT64: u64,
}

bitfield! {
    WHV_PROCESSOR_PERFMON_FEATURES . AsUINT64 : u64 {
        /// `PmuSupport`: bit 0.
        pmu_support / set_pmu_support : 0, 1;
        /// `LbrSupport`: bit 1.
        lbr_support / set_lbr_support : 1, 1;
    }
}
