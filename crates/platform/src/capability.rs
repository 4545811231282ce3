//! WHvGetCapability: what this implementation really offers on this kernel.
//!
//! The answers are computed once per process ([`host_capabilities`]) from
//! the facts platform-core's start-up probe measured ([`crate::kvm`]), KVM's
//! supported CPUID (through [`crate::cpu_features`]), the
//! `IA32_ARCH_CAPABILITIES` feature MSR and the TSC frequency of a probe
//! vCPU. Nothing is claimed that the platform does not do: see
//! `docs/capabilities.md` for every code and the reason for its answer.
//!
//! Buffer rules (as WHvGetCapability): the answer is the code's
//! `WHV_CAPABILITY` member, written little-endian at the start of the
//! caller's buffer; the call returns how many bytes that is. A shorter
//! buffer fails with `WHV_E_INSUFFICIENT_BUFFER` and writes nothing
//! ([`capability_size`] gives the size needed); an unknown code fails with
//! `WHV_E_UNKNOWN_CAPABILITY`.
#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use std::sync::OnceLock;

use kvm_bindings::kvm_cpuid_entry2;
use winhv_defs::*;

use crate::cpu_features::{self, FeatureWords};
use crate::error::{Error, Result};

/// `WHV_CAPABILITY_FEATURES` bits.
mod feature_bits {
    pub const PARTIAL_UNMAP: u64 = 1 << 0;
    pub const LOCAL_APIC_EMULATION: u64 = 1 << 1;
    pub const XSAVE: u64 = 1 << 2;
    pub const DIRTY_PAGE_TRACKING: u64 = 1 << 3;
    pub const SPECULATION_CONTROL: u64 = 1 << 4;
}

/// `WHV_EXTENDED_VM_EXITS` bits.
pub(crate) mod exit_bits {
    /// X64CpuidExit (never offered: KVM cannot exit on CPUID).
    #[allow(dead_code, reason = "named for the tests that check it is refused")]
    pub const CPUID: u64 = 1 << 0;
    /// X64MsrExit.
    pub const MSR: u64 = 1 << 1;
    /// ExceptionExit.
    pub const EXCEPTION: u64 = 1 << 2;
    /// HypercallExit (calls through the hypercall page, `crate::synic`).
    pub const HYPERCALL: u64 = 1 << 5;
    /// Every bit the header defines (X64CpuidExit … GpaAccessFaultExit).
    pub const DEFINED: u64 = (1 << 15) - 1;
}

/// `WHV_X64_MSR_EXIT_BITMAP` bits.
pub(crate) mod msr_exit_bits {
    /// UnhandledMsrs: MSRs KVM does not implement exit instead of #GP.
    pub const UNHANDLED: u64 = 1 << 0;
    /// TscMsrWrite, TscMsrRead, ApicBaseMsrWrite, MiscEnableMsrRead,
    /// McUpdatePatchLevelMsrRead: chosen MSRs, through KVM's MSR filter.
    pub const FILTERED: u64 = 0b11_1110;
    /// Every bit the header defines.
    pub const DEFINED: u64 = 0b11_1111;
}

/// The Bank-0 speculation-control features (IBRS, STIBP, IBPB, SSBD).
const SPECULATION_FEATURES: u64 = (1 << 44) | (1 << 45) | (1 << 46) | (1 << 48);

/// KVM's local APIC counts its timer in nanoseconds of a 1 GHz "bus"
/// (`APIC_BUS_CYCLE_NS` = 1) unless `KVM_CAP_X86_APIC_BUS_CYCLES_NS` changes
/// it.
pub(crate) const KVM_APIC_BUS_HZ: u64 = 1_000_000_000;

/// What the kernel and the start-up probe told us: the inputs to every
/// capability answer. Tests build their own to check the derivations.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostFacts {
    /// `/dev/kvm` works and the start-up probe passed.
    pub present: bool,
    /// `KVM_GET_SUPPORTED_CPUID`.
    pub cpuid: Vec<kvm_cpuid_entry2>,
    /// `IA32_ARCH_CAPABILITIES` as a KVM feature MSR, when KVM offers it.
    pub arch_capabilities: Option<u64>,
    /// `KVM_CAP_XSAVE`: KVM_GET/SET_XSAVE work.
    pub xsave_state: bool,
    /// `KVM_CAP_SPLIT_IRQCHIP`.
    pub split_irqchip: bool,
    /// `KVM_CAP_X86_USER_SPACE_MSR`.
    pub user_space_msr: bool,
    /// `KVM_CAP_X86_MSR_FILTER`.
    pub msr_filter: bool,
    /// The probe saw `KVM_SET_GUEST_DEBUG` turn `int3` into a debug exit.
    pub guest_debug: bool,
    /// `KVM_GET_TSC_KHZ` of a probe vCPU.
    pub tsc_khz: Option<u32>,
    /// `KVM_CAP_TSC_CONTROL`: a VM may run at another TSC frequency.
    pub tsc_scaling: bool,
    /// `KVM_CAP_X86_APIC_BUS_CYCLES_NS`: the APIC timer rate can be set.
    pub apic_bus_cycles: bool,
    /// `KVM_CAP_MAX_VCPUS`.
    pub max_vcpus: u32,
    /// Vendor when there is no KVM (from `/proc/cpuinfo`).
    pub fallback_vendor: i32,
}

/// Every answer WHvGetCapability gives on this machine, plus the kernel
/// facts partition properties are validated against.
#[derive(Debug, Clone)]
pub struct HostCapabilities {
    pub(crate) facts: HostFacts,
    pub(crate) offered: FeatureWords,
    pub(crate) features: u64,
    pub(crate) extended_vm_exits: u64,
    pub(crate) exception_exit_bitmap: u64,
    pub(crate) msr_exit_bitmap: u64,
    /// SyntheticProcessorFeaturesBanks bank 0 (`crate::synic::features`).
    pub(crate) synthetic_features: u64,
    pub(crate) vendor: i32,
    pub(crate) clflush_size: u8,
    pub(crate) processor_clock_hz: u64,
    pub(crate) interrupt_clock_hz: u64,
}

impl HostCapabilities {
    /// Derives every answer from the kernel's facts.
    pub(crate) fn from_facts(facts: HostFacts) -> Self {
        if !facts.present {
            return Self {
                vendor: facts.fallback_vendor,
                facts,
                offered: FeatureWords::default(),
                features: 0,
                extended_vm_exits: 0,
                exception_exit_bitmap: 0,
                msr_exit_bitmap: 0,
                synthetic_features: 0,
                clflush_size: 0,
                processor_clock_hz: 0,
                interrupt_clock_hz: 0,
            };
        }
        let offered = cpu_features::features_from_cpuid(&facts.cpuid, facts.arch_capabilities);
        let mut features = feature_bits::PARTIAL_UNMAP | feature_bits::DIRTY_PAGE_TRACKING;
        if facts.split_irqchip {
            features |= feature_bits::LOCAL_APIC_EMULATION;
        }
        if facts.xsave_state {
            features |= feature_bits::XSAVE;
        }
        if offered.bank0 & SPECULATION_FEATURES != 0 {
            features |= feature_bits::SPECULATION_CONTROL;
        }
        // MSR exits need the filter too: it makes the bitmap's MSRs exit,
        // and it makes the MSRs KVM answers in one direction only exit in
        // both (msr.rs), as an MSR exit policy promises.
        let msr_exits = facts.user_space_msr && facts.msr_filter;
        let mut extended_vm_exits = 0;
        if msr_exits {
            // The hypercall page is ours where the synthetic MSRs are.
            extended_vm_exits |= exit_bits::MSR | exit_bits::HYPERCALL;
        }
        if facts.guest_debug {
            extended_vm_exits |= exit_bits::EXCEPTION;
        }
        // #BP only: the platform intercepts it with KVM_GUESTDBG_USE_SW_BP.
        // #DB would need KVM_GUESTDBG_USE_HW_BP, which replaces the guest's
        // own debug registers, so it is not offered.
        let exception_exit_bitmap = if facts.guest_debug {
            1 << WHvX64ExceptionTypeBreakpointTrap.0
        } else {
            0
        };
        let msr_exit_bitmap = if msr_exits {
            msr_exit_bits::UNHANDLED | msr_exit_bits::FILTERED
        } else {
            0
        };
        let processor_clock_hz = facts
            .tsc_khz
            .map(|khz| u64::from(khz) * 1000)
            .or_else(|| cpu_features::tsc_hz_from_cpuid(&facts.cpuid))
            .unwrap_or(0);
        let interrupt_clock_hz = if facts.split_irqchip {
            KVM_APIC_BUS_HZ
        } else {
            0
        };
        let synthetic_features = crate::synic::features::offered(
            msr_exits,
            facts.split_irqchip,
            processor_clock_hz != 0,
        );
        Self {
            vendor: cpu_features::vendor_from_cpuid(&facts.cpuid),
            synthetic_features,
            clflush_size: cpu_features::clflush_size_from_cpuid(&facts.cpuid),
            facts,
            offered,
            features,
            extended_vm_exits,
            exception_exit_bitmap,
            msr_exit_bitmap,
            processor_clock_hz,
            interrupt_clock_hz,
        }
    }

    /// `WHvCapabilityCodeHypervisorPresent`: `/dev/kvm` works here.
    pub fn hypervisor_present(&self) -> bool {
        self.facts.present
    }

    /// `WHvCapabilityCodeFeatures`.
    pub fn features(&self) -> WHV_CAPABILITY_FEATURES {
        WHV_CAPABILITY_FEATURES {
            AsUINT64: self.features,
        }
    }

    /// `WHvCapabilityCodeExtendedVmExits`.
    pub fn extended_vm_exits(&self) -> WHV_EXTENDED_VM_EXITS {
        WHV_EXTENDED_VM_EXITS {
            AsUINT64: self.extended_vm_exits,
        }
    }

    /// `WHvCapabilityCodeExceptionExitBitmap`: bit n = exception vector n.
    pub fn exception_exit_bitmap(&self) -> u64 {
        self.exception_exit_bitmap
    }

    /// `WHvCapabilityCodeX64MsrExitBitmap`.
    pub fn x64_msr_exit_bitmap(&self) -> WHV_X64_MSR_EXIT_BITMAP {
        WHV_X64_MSR_EXIT_BITMAP {
            AsUINT64: self.msr_exit_bitmap,
        }
    }

    /// `WHvCapabilityCodeProcessorVendor`.
    pub fn processor_vendor(&self) -> WHV_PROCESSOR_VENDOR {
        WHV_PROCESSOR_VENDOR(self.vendor)
    }

    /// `WHvCapabilityCodeProcessorFeaturesBanks` as (bank 0, bank 1).
    pub fn processor_features_banks(&self) -> (WHV_PROCESSOR_FEATURES, WHV_PROCESSOR_FEATURES1) {
        (
            WHV_PROCESSOR_FEATURES {
                AsUINT64: self.offered.bank0,
            },
            WHV_PROCESSOR_FEATURES1 {
                AsUINT64: self.offered.bank1,
            },
        )
    }

    /// `WHvCapabilityCodeProcessorXsaveFeatures`.
    pub fn processor_xsave_features(&self) -> WHV_PROCESSOR_XSAVE_FEATURES {
        WHV_PROCESSOR_XSAVE_FEATURES {
            AsUINT64: self.offered.xsave,
        }
    }

    /// `WHvCapabilityCodeProcessorPerfmonFeatures`.
    pub fn processor_perfmon_features(&self) -> WHV_PROCESSOR_PERFMON_FEATURES {
        WHV_PROCESSOR_PERFMON_FEATURES {
            AsUINT64: self.offered.perfmon,
        }
    }

    /// `WHvCapabilityCodeProcessorClFlushSize` (CPUID units of 8 bytes).
    pub fn processor_cl_flush_size(&self) -> u8 {
        self.clflush_size
    }

    /// `WHvCapabilityCodeProcessorClockFrequency` in Hz (0 when unknown).
    pub fn processor_clock_frequency(&self) -> u64 {
        self.processor_clock_hz
    }

    /// `WHvCapabilityCodeInterruptClockFrequency` in Hz (0 without LAPIC
    /// emulation).
    pub fn interrupt_clock_frequency(&self) -> u64 {
        self.interrupt_clock_hz
    }

    /// The largest `ProcessorCount` a partition may have (`KVM_CAP_MAX_VCPUS`).
    pub fn max_processor_count(&self) -> u32 {
        self.facts.max_vcpus
    }

    /// KVM's supported CPUID, the table partitions start from.
    pub fn supported_cpuid(&self) -> &[kvm_cpuid_entry2] {
        &self.facts.cpuid
    }

    /// The answer for `code`: its bytes, as many as the member's size.
    fn answer(&self, code: WHV_CAPABILITY_CODE) -> Result<Answer> {
        let mut a = Answer::default();
        match code {
            WHvCapabilityCodeHypervisorPresent => a.u32(u32::from(self.facts.present)),
            WHvCapabilityCodeFeatures => a.u64(self.features),
            WHvCapabilityCodeExtendedVmExits => a.u64(self.extended_vm_exits),
            WHvCapabilityCodeExceptionExitBitmap => a.u64(self.exception_exit_bitmap),
            WHvCapabilityCodeX64MsrExitBitmap => a.u64(self.msr_exit_bitmap),
            // WHvAdviseGpaRange's populate flags (`state/advise.rs`).
            WHvCapabilityCodeGpaRangePopulateFlags => a.u32(crate::state::advise::populate_flags()),
            // No CPU reserve/cap/weight/group or SMT control.
            WHvCapabilityCodeSchedulerFeatures => a.u64(0),
            WHvCapabilityCodeProcessorVendor => a.u32(self.vendor as u32),
            WHvCapabilityCodeProcessorFeatures => a.u64(self.offered.bank0),
            WHvCapabilityCodeProcessorClFlushSize => a.u8(self.clflush_size),
            WHvCapabilityCodeProcessorXsaveFeatures => a.u64(self.offered.xsave),
            WHvCapabilityCodeProcessorClockFrequency => a.u64(self.processor_clock_hz),
            WHvCapabilityCodeInterruptClockFrequency => a.u64(self.interrupt_clock_hz),
            WHvCapabilityCodeProcessorFeaturesBanks => {
                a.u32(WHV_PROCESSOR_FEATURES_BANKS_COUNT);
                a.u32(0);
                a.u64(self.offered.bank0);
                a.u64(self.offered.bank1);
            }
            WHvCapabilityCodeProcessorFrequencyCap => {
                // IsSupported = 0 and no frequencies: 20 zero bytes.
                for _ in 0..5 {
                    a.u32(0);
                }
            }
            WHvCapabilityCodeSyntheticProcessorFeaturesBanks => {
                // One bank: what `crate::synic` implements and this host
                // allows.
                a.u32(WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT);
                a.u32(0);
                a.u64(self.synthetic_features);
            }
            WHvCapabilityCodeProcessorPerfmonFeatures => a.u64(self.offered.perfmon),
            _ => {
                return Err(Error::with(
                    WHV_E_UNKNOWN_CAPABILITY,
                    format!("unknown capability code {:#x}", code.0),
                ));
            }
        }
        Ok(a)
    }

    /// WHvGetCapability against this set of answers; see [`get_capability`].
    pub fn get(&self, code: WHV_CAPABILITY_CODE, buffer: &mut [u8]) -> Result<u32> {
        let a = self.answer(code)?;
        let have = buffer.len();
        let out = buffer.get_mut(..a.len).ok_or_else(|| {
            Error::with(
                WHV_E_INSUFFICIENT_BUFFER,
                format!("{code:?} needs {} bytes, the buffer has {have}", a.len),
            )
        })?;
        out.copy_from_slice(&a.bytes[..a.len]);
        Ok(a.len as u32)
    }

    /// The size in bytes of the answer to `code`.
    pub fn size(&self, code: WHV_CAPABILITY_CODE) -> Result<u32> {
        self.answer(code).map(|a| a.len as u32)
    }
}

/// A capability answer being encoded: little-endian, packed as the C
/// member (every member is a run of naturally aligned integers).
#[derive(Default)]
struct Answer {
    bytes: [u8; 24],
    len: usize,
}

impl Answer {
    fn put(&mut self, b: &[u8]) {
        self.bytes[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }
    fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }
}

static HOST: OnceLock<HostCapabilities> = OnceLock::new();

/// The capability answers of this machine, computed on first use.
///
/// ```
/// let host = winhv::host_capabilities();
/// if host.hypervisor_present() {
///     println!("vendor {:?}", host.processor_vendor());
/// }
/// ```
pub fn host_capabilities() -> &'static HostCapabilities {
    HOST.get_or_init(|| HostCapabilities::from_facts(probe()))
}

/// WHvGetCapability: writes the answer to `code` at the start of `buffer`
/// and returns its size in bytes.
///
/// Fails with `WHV_E_UNKNOWN_CAPABILITY` for a code this platform does not
/// know and with `WHV_E_INSUFFICIENT_BUFFER` (writing nothing) when `buffer`
/// is shorter than the answer; [`capability_size`] says how long it must be.
///
/// ```
/// use winhv::defs::*;
/// let mut present = [0u8; 4];
/// let n = winhv::get_capability(WHvCapabilityCodeHypervisorPresent, &mut present).unwrap();
/// assert_eq!(n, 4);
/// let hv = u32::from_le_bytes(present) != 0;
/// assert_eq!(hv, winhv::host_capabilities().hypervisor_present());
/// ```
pub fn get_capability(code: WHV_CAPABILITY_CODE, buffer: &mut [u8]) -> Result<u32> {
    host_capabilities().get(code, buffer)
}

/// The size in bytes of WHvGetCapability's answer to `code` (what a C
/// caller's `WrittenSizeInBytes` receives), or `WHV_E_UNKNOWN_CAPABILITY`.
///
/// ```
/// use winhv::defs::*;
/// assert_eq!(winhv::capability_size(WHvCapabilityCodeProcessorFeaturesBanks).unwrap(), 24);
/// ```
pub fn capability_size(code: WHV_CAPABILITY_CODE) -> Result<u32> {
    host_capabilities().size(code)
}

/// Gathers the facts: platform-core's probe results plus what only the
/// capability answers need.
fn probe() -> HostFacts {
    let fallback_vendor = vendor_from_proc_cpuinfo();
    let (Ok(kvm), Ok(caps)) = (crate::kvm::kvm(), crate::kvm::kvm_caps()) else {
        return HostFacts {
            fallback_vendor,
            ..HostFacts::default()
        };
    };
    let Ok(cpuid) = kvm.get_supported_cpuid(kvm_bindings::KVM_MAX_CPUID_ENTRIES) else {
        return HostFacts {
            fallback_vendor,
            ..HostFacts::default()
        };
    };
    HostFacts {
        present: true,
        cpuid: cpuid.as_slice().to_vec(),
        arch_capabilities: read_feature_msr(kvm, cpu_features::MSR_IA32_ARCH_CAPABILITIES),
        xsave_state: kvm.check_extension(kvm_ioctls::Cap::Xsave),
        split_irqchip: caps.split_irqchip,
        user_space_msr: caps.user_space_msr,
        msr_filter: caps.msr_filter,
        guest_debug: caps.guest_debug_sw_bp,
        tsc_khz: probe_tsc_khz(kvm),
        tsc_scaling: kvm.check_extension(kvm_ioctls::Cap::TscControl),
        apic_bus_cycles: kvm
            .check_extension_raw(u64::from(kvm_bindings::KVM_CAP_X86_APIC_BUS_CYCLES_NS))
            > 0,
        max_vcpus: caps.max_vcpus,
        fallback_vendor,
    }
}

/// A KVM feature MSR's value (`KVM_GET_MSRS` on the system fd), if KVM
/// lists it.
fn read_feature_msr(kvm: &kvm_ioctls::Kvm, index: u32) -> Option<u64> {
    let list = kvm.get_msr_feature_index_list().ok()?;
    if !list.as_slice().contains(&index) {
        return None;
    }
    let mut msrs = kvm_bindings::Msrs::from_entries(&[kvm_bindings::kvm_msr_entry {
        index,
        ..Default::default()
    }])
    .ok()?;
    match kvm.get_msrs(&mut msrs) {
        Ok(1) => msrs.as_slice().first().map(|e| e.data),
        _ => None,
    }
}

/// The TSC frequency KVM gives a new vCPU (`KVM_GET_TSC_KHZ`).
fn probe_tsc_khz(kvm: &kvm_ioctls::Kvm) -> Option<u32> {
    if !kvm.check_extension(kvm_ioctls::Cap::GetTscKhz) {
        return None;
    }
    let vm = kvm.create_vm().ok()?;
    let vcpu = vm.create_vcpu(0).ok()?;
    vcpu.get_tsc_khz().ok().filter(|&khz| khz != 0)
}

/// The processor vendor when KVM is unusable: `/proc/cpuinfo`'s vendor_id.
fn vendor_from_proc_cpuinfo() -> i32 {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let vendor = info
        .lines()
        .find(|l| l.starts_with("vendor_id"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("");
    match vendor {
        "AuthenticAMD" => WHvProcessorVendorAmd.0,
        "HygonGenuine" => WHvProcessorVendorHygon.0,
        _ => WHvProcessorVendorIntel.0,
    }
}

/// A fake host for unit tests: `facts` turned into answers, leaked so
/// property stores can hold it like the real one.
#[cfg(test)]
pub(crate) fn test_host(facts: HostFacts) -> &'static HostCapabilities {
    Box::leak(Box::new(HostCapabilities::from_facts(facts)))
}

/// The facts of a fake AMD host on which KVM offers everything it can:
/// SSE3, x2APIC, XSAVE, APIC, SMEP, IBRS/IBPB, `IA32_ARCH_CAPABILITIES`
/// (RDCL_NO), split irqchip, user-space MSRs and filter, guest debug,
/// a 2 GHz TSC without scaling, a settable APIC bus, 8 vCPUs.
#[cfg(test)]
pub(crate) fn full_facts() -> HostFacts {
    let entry = |function, index, regs: [u32; 4]| kvm_cpuid_entry2 {
        function,
        index,
        eax: regs[0],
        ebx: regs[1],
        ecx: regs[2],
        edx: regs[3],
        ..Default::default()
    };
    HostFacts {
        present: true,
        cpuid: vec![
            entry(0, 0, [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
            entry(
                1,
                0,
                [0, 0x0000_0800, (1 << 0) | (1 << 21) | (1 << 26), 1 << 9],
            ),
            entry(7, 0, [0, 1 << 7, 0, (1 << 26) | (1 << 29)]),
        ],
        arch_capabilities: Some(1),
        xsave_state: true,
        split_irqchip: true,
        user_space_msr: true,
        msr_filter: true,
        guest_debug: true,
        tsc_khz: Some(2_000_000),
        tsc_scaling: false,
        apic_bus_cycles: true,
        max_vcpus: 8,
        fallback_vendor: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_follow_the_facts() {
        let h = HostCapabilities::from_facts(full_facts());
        assert_eq!(
            h.features, 0b1_1111,
            "PartialUnmap, LAPIC, Xsave, DirtyPage, SpeculationControl"
        );
        assert_eq!(
            h.extended_vm_exits,
            exit_bits::MSR | exit_bits::HYPERCALL | exit_bits::EXCEPTION
        );
        assert_eq!(h.exception_exit_bitmap, 1 << 3);
        assert_eq!(h.msr_exit_bitmap, 0b11_1111);
        assert_eq!(h.vendor, 0);
        assert_eq!(h.clflush_size, 8);
        assert_eq!(h.processor_clock_hz, 2_000_000_000);
        assert_eq!(h.interrupt_clock_hz, 1_000_000_000);
        // SSE3, SMEP, IBRS+IBPB, RdclNo (arch capabilities, 7.0 EDX[29]).
        assert_eq!(
            h.offered.bank0,
            (1 << 0) | (1 << 23) | (1 << 44) | (1 << 46) | (1 << 51)
        );

        let mut pvm = full_facts();
        pvm.guest_debug = false;
        pvm.split_irqchip = false;
        let h = HostCapabilities::from_facts(pvm.clone());
        assert_eq!(h.extended_vm_exits, exit_bits::MSR | exit_bits::HYPERCALL);
        assert_eq!(h.exception_exit_bitmap, 0);
        assert_eq!(h.msr_exit_bitmap, msr_exit_bits::DEFINED);
        // User-space MSR exits without the filter could not keep an MSR's
        // reads and writes alike: no MSR exits at all.
        pvm.msr_filter = false;
        let h = HostCapabilities::from_facts(pvm);
        assert_eq!(h.extended_vm_exits, 0);
        assert_eq!(h.msr_exit_bitmap, 0);
        assert_eq!(h.features & feature_bits::LOCAL_APIC_EMULATION, 0);
        assert_eq!(h.interrupt_clock_hz, 0);
    }

    #[test]
    fn absent_kvm_answers_false_and_zero() {
        let h = HostCapabilities::from_facts(HostFacts {
            fallback_vendor: 0,
            ..HostFacts::default()
        });
        let mut b = [0xffu8; 24];
        assert_eq!(
            h.get(WHvCapabilityCodeHypervisorPresent, &mut b).unwrap(),
            4
        );
        assert_eq!(&b[..4], &[0, 0, 0, 0]);
        assert_eq!(h.get(WHvCapabilityCodeFeatures, &mut b).unwrap(), 8);
        assert_eq!(&b[..8], &[0; 8]);
        assert_eq!(h.get(WHvCapabilityCodeProcessorVendor, &mut b).unwrap(), 4);
        assert_eq!(&b[..4], &[0, 0, 0, 0]);
    }

    #[test]
    fn banks_are_laid_out_as_the_header() {
        let h = HostCapabilities::from_facts(full_facts());
        let mut b = [0u8; 32];
        assert_eq!(
            h.get(WHvCapabilityCodeProcessorFeaturesBanks, &mut b)
                .unwrap(),
            24
        );
        assert_eq!(u32::from_le_bytes(b[0..4].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()), 0);
        assert_eq!(
            u64::from_le_bytes(b[8..16].try_into().unwrap()),
            h.offered.bank0
        );
        assert_eq!(
            u64::from_le_bytes(b[16..24].try_into().unwrap()),
            h.offered.bank1
        );
        assert_eq!(&b[24..], &[0; 8], "nothing written past the answer");
    }
}
