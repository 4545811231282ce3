//! The partition property store behind WHvSetPartitionProperty and
//! WHvGetPartitionProperty: each property's buffer layout and size, which
//! values this platform accepts (checked against [`HostCapabilities`]),
//! when it may be set (before WHvSetupPartition, or also after), Windows'
//! defaults, and the CPUID table for `KVM_SET_CPUID2` that the processor
//! properties describe ([`PartitionProperties::kvm_cpuid_vp`]).
//!
//! Rules, as Microsoft documents them:
//! * An unknown code, or one for a feature not available on this system
//!   (the scheduler properties, PrimaryNumaNode, ProcessorFrequencyCap,
//!   ReferenceTime), answers `WHV_E_UNKNOWN_PROPERTY`.
//! * After setup only ExtendedVmExits, ExceptionExitBitmap, X64MsrExitBitmap
//!   and CpuidExitList may be set; any other answers `E_INVALIDARG`. That
//!   is the partition's state, so it is checked last: the code, the buffer
//!   size and the value first, as for every WHv* function's arguments
//!   (`partition/args.rs`).
//! * Getting CpuidExitList or CpuidResultList answers
//!   `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`.
//!
//! Our reading where the documentation is silent: a buffer shorter than the
//! property answers `WHV_E_INSUFFICIENT_BUFFER` (a longer one is accepted:
//! callers pass `sizeof(WHV_PARTITION_PROPERTY)`); reserved or undefined
//! bits and enum values answer `E_INVALIDARG`; a defined feature this
//! platform does not offer answers `WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG`
//! (platform features) or `WHV_E_UNSUPPORTED_PROCESSOR_CONFIG` (processor
//! features). `docs/capabilities.md` lists every property.
#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use kvm_bindings::{CpuId, kvm_cpuid_entry2};
use winhv_defs::*;

use crate::capability::{HostCapabilities, KVM_APIC_BUS_HZ, exit_bits, msr_exit_bits};
use crate::cpu_features::{
    self, DEFINED_BANK0, DEFINED_BANK1, DEFINED_PERFMON, DEFINED_XSAVE, FeatureWords, Reg,
};
use crate::error::{Error, Result};

/// The most entries a CPUID result list, CPUID exit list or MSR action list
/// may hold (KVM's CPUID table holds 256 entries in all).
pub(crate) const MAX_LIST_ENTRIES: usize = 256;

/// What a successful set asks of the platform. Before setup nothing: the
/// value is read at setup. After setup the platform must push the new
/// value into KVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PropertyEffect {
    /// Nothing to do now.
    None,
    /// ExtendedVmExits changed: MSR exits (user-space MSR / filter) and
    /// exception exits (`KVM_SET_GUEST_DEBUG`) follow it.
    ExtendedVmExits,
    /// ExceptionExitBitmap changed: `KVM_SET_GUEST_DEBUG` on every VP.
    ExceptionExitBitmap,
    /// X64MsrExitBitmap changed: rebuild the MSR filter.
    MsrExitBitmap,
}

/// A partition's properties: Windows' defaults until set.
#[derive(Debug, Clone)]
pub(crate) struct PartitionProperties {
    host: &'static HostCapabilities,
    extended_vm_exits: u64,
    exception_exit_bitmap: u64,
    msr_exit_bitmap: u64,
    processor_count: u32,
    features: FeatureWords,
    clflush_size: u8,
    cpuid_results: Vec<WHV_X64_CPUID_RESULT>,
    cpuid_results2: Vec<WHV_X64_CPUID_RESULT2>,
    msr_actions: Vec<WHV_MSR_ACTION_ENTRY>,
    unimplemented_msr_action: WHV_MSR_ACTION,
    apic_mode: WHV_X64_LOCAL_APIC_EMULATION_MODE,
    processor_clock_hz: u64,
    interrupt_clock_hz: u64,
    /// SyntheticProcessorFeaturesBanks bank 0 (`crate::synic`).
    synthetic: u64,
}

/// How a property's buffer is laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One value of this many bytes.
    Fixed(usize),
    /// An array of elements of this many bytes.
    List(usize),
}

/// The layout of `code`'s buffer, or `WHV_E_UNKNOWN_PROPERTY` for a code
/// unknown or not available here.
fn shape(code: WHV_PARTITION_PROPERTY_CODE) -> Result<Shape> {
    Ok(match code {
        WHvPartitionPropertyCodeExtendedVmExits
        | WHvPartitionPropertyCodeExceptionExitBitmap
        | WHvPartitionPropertyCodeX64MsrExitBitmap
        | WHvPartitionPropertyCodeProcessorFeatures
        | WHvPartitionPropertyCodeProcessorXsaveFeatures
        | WHvPartitionPropertyCodeProcessorClockFrequency
        | WHvPartitionPropertyCodeInterruptClockFrequency
        | WHvPartitionPropertyCodeProcessorPerfmonFeatures => Shape::Fixed(8),
        WHvPartitionPropertyCodeSeparateSecurityDomain
        | WHvPartitionPropertyCodeNestedVirtualization
        | WHvPartitionPropertyCodeAllowDeviceAssignment
        | WHvPartitionPropertyCodeDisableSmt
        | WHvPartitionPropertyCodeApicRemoteReadSupport
        | WHvPartitionPropertyCodeLocalApicEmulationMode
        | WHvPartitionPropertyCodeUnimplementedMsrAction
        | WHvPartitionPropertyCodeProcessorCount => Shape::Fixed(4),
        WHvPartitionPropertyCodeProcessorClFlushSize => Shape::Fixed(1),
        WHvPartitionPropertyCodeProcessorFeaturesBanks => Shape::Fixed(24),
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks => Shape::Fixed(16),
        WHvPartitionPropertyCodeCpuidExitList => Shape::List(4),
        WHvPartitionPropertyCodeCpuidResultList => Shape::List(32),
        WHvPartitionPropertyCodeCpuidResultList2 => Shape::List(48),
        WHvPartitionPropertyCodeMsrActionList => Shape::List(8),
        WHvPartitionPropertyCodePrimaryNumaNode
        | WHvPartitionPropertyCodeCpuReserve
        | WHvPartitionPropertyCodeCpuCap
        | WHvPartitionPropertyCodeCpuWeight
        | WHvPartitionPropertyCodeCpuGroupId
        | WHvPartitionPropertyCodeProcessorFrequencyCap
        | WHvPartitionPropertyCodeReferenceTime => {
            return Err(Error::with(
                WHV_E_UNKNOWN_PROPERTY,
                format!("{code:?} is not available on this platform (KVM)"),
            ));
        }
        _ => {
            return Err(Error::with(
                WHV_E_UNKNOWN_PROPERTY,
                format!("unknown partition property {:#x}", code.0),
            ));
        }
    })
}

/// WHvSetPartitionProperty's checks of the code and the buffer's size
/// alone: `WHV_E_UNKNOWN_PROPERTY`, `WHV_E_INSUFFICIENT_BUFFER` for a short
/// fixed-size value, `E_INVALIDARG` for a list that is not whole entries
/// (or too long). The value's checks need the host's capabilities.
pub(crate) fn check_buffer(code: WHV_PARTITION_PROPERTY_CODE, len: usize) -> Result<()> {
    match shape(code)? {
        Shape::Fixed(size) if len < size => Err(Error::with(
            WHV_E_INSUFFICIENT_BUFFER,
            format!("{code:?} needs {size} bytes, the buffer has {len}"),
        )),
        Shape::List(size) if len % size != 0 || len / size > MAX_LIST_ENTRIES => {
            Err(invalid(format!(
                "{code:?} needs a whole number (at most {MAX_LIST_ENTRIES}) of {size}-byte entries, got {len} bytes"
            )))
        }
        _ => Ok(()),
    }
}

/// The properties Microsoft lets a caller change after WHvSetupPartition.
fn settable_after_setup(code: WHV_PARTITION_PROPERTY_CODE) -> bool {
    matches!(
        code,
        WHvPartitionPropertyCodeExtendedVmExits
            | WHvPartitionPropertyCodeExceptionExitBitmap
            | WHvPartitionPropertyCodeX64MsrExitBitmap
            | WHvPartitionPropertyCodeCpuidExitList
    )
}

fn invalid(what: String) -> Error {
    Error::with(E_INVALIDARG, what)
}

fn unsupported_hv(what: String) -> Error {
    Error::with(WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG, what)
}

fn unsupported_cpu(what: String) -> Error {
    Error::with(WHV_E_UNSUPPORTED_PROCESSOR_CONFIG, what)
}

/// Little-endian field readers over a buffer already checked for length.
fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// Checks a feature word: reserved bits → `E_INVALIDARG`; bits the host
/// does not offer → `WHV_E_UNSUPPORTED_PROCESSOR_CONFIG`.
fn check_features(name: &str, value: u64, defined: u64, offered: u64) -> Result<()> {
    if value & !defined != 0 {
        return Err(invalid(format!(
            "{name}: reserved bits {:#x} set",
            value & !defined
        )));
    }
    if value & !offered != 0 {
        return Err(unsupported_cpu(format!(
            "{name}: bits {:#x} are not offered on this host (see WHvGetCapability)",
            value & !offered
        )));
    }
    Ok(())
}

impl PartitionProperties {
    /// Windows' defaults on this machine's capabilities.
    pub(crate) fn new() -> Self {
        Self::with_host(crate::capability::host_capabilities())
    }

    /// Windows' defaults on `host`'s capabilities: no extended exits, no
    /// processor count (0: the caller must set one before setup, which
    /// Windows refuses with `WHV_E_INVALID_PARTITION_CONFIG` otherwise),
    /// every processor and XSAVE feature the host offers, no PMU, no local
    /// APIC emulation, no CPUID or MSR lists, the host's clock frequencies.
    pub(crate) fn with_host(host: &'static HostCapabilities) -> Self {
        Self {
            host,
            extended_vm_exits: 0,
            exception_exit_bitmap: 0,
            msr_exit_bitmap: 0,
            processor_count: 0,
            features: FeatureWords {
                perfmon: 0,
                ..host.offered
            },
            clflush_size: host.clflush_size,
            cpuid_results: Vec::new(),
            cpuid_results2: Vec::new(),
            msr_actions: Vec::new(),
            unimplemented_msr_action: WHvMsrActionArchitectureDefault,
            apic_mode: WHvX64LocalApicEmulationModeNone,
            processor_clock_hz: host.processor_clock_hz,
            interrupt_clock_hz: host.interrupt_clock_hz,
            synthetic: 0,
        }
    }

    /// WHvSetPartitionProperty: validates `buffer` as `code`'s value and
    /// stores it. `set_up` says whether WHvSetupPartition has run. Checks
    /// the code, the buffer's size and the value, then whether the property
    /// may change now; on any error nothing changes.
    pub(crate) fn set(
        &mut self,
        code: WHV_PARTITION_PROPERTY_CODE,
        buffer: &[u8],
        set_up: bool,
    ) -> Result<PropertyEffect> {
        if set_up && !settable_after_setup(code) {
            // Arguments first: a bad code, size or value answers its own
            // HRESULT; a good value is refused for the partition's state.
            self.clone().apply(code, buffer, false)?;
            return Err(invalid(format!(
                "{code:?} cannot be changed after WHvSetupPartition"
            )));
        }
        self.apply(code, buffer, set_up)
    }

    /// WHvGetPartitionProperty's checks that need no partition state: the
    /// code known and readable, and a buffer of at least a fixed-size
    /// value's size (a list's size depends on what was set). Called on a
    /// default store.
    pub(crate) fn check_get(&self, code: WHV_PARTITION_PROPERTY_CODE, have: usize) -> Result<()> {
        let need = self.size(code)? as usize;
        if have < need {
            return Err(Error::with(
                WHV_E_INSUFFICIENT_BUFFER,
                format!("{code:?} needs {need} bytes, the buffer has {have}"),
            ));
        }
        Ok(())
    }

    /// [`Self::set`] without the setup rule: validates and stores (each
    /// property's checks come before its store, so an error changes
    /// nothing).
    fn apply(
        &mut self,
        code: WHV_PARTITION_PROPERTY_CODE,
        buffer: &[u8],
        set_up: bool,
    ) -> Result<PropertyEffect> {
        check_buffer(code, buffer.len())?;
        let host = self.host;
        match code {
            WHvPartitionPropertyCodeExtendedVmExits => {
                let v = u64_at(buffer, 0);
                if v & !exit_bits::DEFINED != 0 {
                    return Err(invalid(format!(
                        "ExtendedVmExits: reserved bits {:#x}",
                        v & !exit_bits::DEFINED
                    )));
                }
                if v & !host.extended_vm_exits != 0 {
                    return Err(unsupported_hv(format!(
                        "ExtendedVmExits: exits {:#x} are not available on KVM here",
                        v & !host.extended_vm_exits
                    )));
                }
                self.extended_vm_exits = v;
                return Ok(if set_up {
                    PropertyEffect::ExtendedVmExits
                } else {
                    PropertyEffect::None
                });
            }
            WHvPartitionPropertyCodeExceptionExitBitmap => {
                let v = u64_at(buffer, 0);
                if v >> 32 != 0 {
                    return Err(invalid(format!(
                        "ExceptionExitBitmap: bits above vector 31 ({v:#x})"
                    )));
                }
                if v & !host.exception_exit_bitmap != 0 {
                    return Err(unsupported_hv(format!(
                        "ExceptionExitBitmap: vectors {:#x} cannot exit on KVM here (only #DB/#BP through guest debug, and only where it works)",
                        v & !host.exception_exit_bitmap
                    )));
                }
                self.exception_exit_bitmap = v;
                return Ok(if set_up {
                    PropertyEffect::ExceptionExitBitmap
                } else {
                    PropertyEffect::None
                });
            }
            WHvPartitionPropertyCodeX64MsrExitBitmap => {
                let v = u64_at(buffer, 0);
                if v & !msr_exit_bits::DEFINED != 0 {
                    return Err(invalid(format!(
                        "X64MsrExitBitmap: reserved bits {:#x}",
                        v & !msr_exit_bits::DEFINED
                    )));
                }
                if v & !host.msr_exit_bitmap != 0 {
                    return Err(unsupported_hv(format!(
                        "X64MsrExitBitmap: {:#x} needs KVM user-space MSRs / MSR filter",
                        v & !host.msr_exit_bitmap
                    )));
                }
                self.msr_exit_bitmap = v;
                return Ok(if set_up {
                    PropertyEffect::MsrExitBitmap
                } else {
                    PropertyEffect::None
                });
            }
            WHvPartitionPropertyCodeCpuidExitList => {
                if !buffer.is_empty() {
                    return Err(unsupported_hv(
                        "CpuidExitList: KVM cannot exit on CPUID (X64CpuidExit is 0)".into(),
                    ));
                }
            }
            WHvPartitionPropertyCodeSeparateSecurityDomain
            | WHvPartitionPropertyCodeNestedVirtualization
            | WHvPartitionPropertyCodeAllowDeviceAssignment
            | WHvPartitionPropertyCodeDisableSmt
            | WHvPartitionPropertyCodeApicRemoteReadSupport => {
                if u32_at(buffer, 0) != 0 {
                    return Err(unsupported_hv(format!(
                        "{code:?}: TRUE is not available on KVM; only FALSE is accepted"
                    )));
                }
            }
            WHvPartitionPropertyCodeProcessorCount => {
                let v = u32_at(buffer, 0);
                if v == 0 || v > host.facts.max_vcpus {
                    return Err(invalid(format!(
                        "ProcessorCount {v}: must be 1..={}",
                        host.facts.max_vcpus
                    )));
                }
                self.processor_count = v;
            }
            WHvPartitionPropertyCodeProcessorFeatures => {
                let v = u64_at(buffer, 0);
                check_features("ProcessorFeatures", v, DEFINED_BANK0, host.offered.bank0)?;
                self.features.bank0 = v;
            }
            WHvPartitionPropertyCodeProcessorFeaturesBanks => {
                let count = u32_at(buffer, 0);
                if !(1..=WHV_PROCESSOR_FEATURES_BANKS_COUNT).contains(&count)
                    || u32_at(buffer, 4) != 0
                {
                    return Err(invalid(format!(
                        "ProcessorFeaturesBanks: BanksCount {count} (1..=2) or Reserved0 nonzero"
                    )));
                }
                let bank0 = u64_at(buffer, 8);
                check_features(
                    "ProcessorFeaturesBanks.Bank0",
                    bank0,
                    DEFINED_BANK0,
                    host.offered.bank0,
                )?;
                let bank1 = if count > 1 {
                    Some(u64_at(buffer, 16))
                } else {
                    None
                };
                if let Some(b1) = bank1 {
                    check_features(
                        "ProcessorFeaturesBanks.Bank1",
                        b1,
                        DEFINED_BANK1,
                        host.offered.bank1,
                    )?;
                }
                self.features.bank0 = bank0;
                if let Some(b1) = bank1 {
                    self.features.bank1 = b1;
                }
            }
            WHvPartitionPropertyCodeProcessorXsaveFeatures => {
                let v = u64_at(buffer, 0);
                check_features(
                    "ProcessorXsaveFeatures",
                    v,
                    DEFINED_XSAVE,
                    host.offered.xsave,
                )?;
                self.features.xsave = v;
            }
            WHvPartitionPropertyCodeProcessorPerfmonFeatures => {
                let v = u64_at(buffer, 0);
                check_features(
                    "ProcessorPerfmonFeatures",
                    v,
                    DEFINED_PERFMON,
                    host.offered.perfmon,
                )?;
                self.features.perfmon = v;
            }
            WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks => {
                let count = u32_at(buffer, 0);
                if count != WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT || u32_at(buffer, 4) != 0 {
                    return Err(invalid(format!(
                        "SyntheticProcessorFeaturesBanks: BanksCount {count} (must be 1) or Reserved0 nonzero"
                    )));
                }
                let v = u64_at(buffer, 8);
                crate::synic::features::check(v, host.synthetic_features)?;
                self.synthetic = v;
            }
            WHvPartitionPropertyCodeProcessorClFlushSize => {
                let v = buffer[0];
                if v == 0 {
                    return Err(invalid("ProcessorClFlushSize 0".into()));
                }
                self.clflush_size = v;
            }
            WHvPartitionPropertyCodeLocalApicEmulationMode => {
                let mode = WHV_X64_LOCAL_APIC_EMULATION_MODE(u32_at(buffer, 0) as i32);
                match mode {
                    WHvX64LocalApicEmulationModeNone => {}
                    WHvX64LocalApicEmulationModeXApic | WHvX64LocalApicEmulationModeX2Apic => {
                        if !host.facts.split_irqchip {
                            return Err(unsupported_hv(format!(
                                "{mode:?}: KVM here has no split irqchip (in-kernel LAPIC)"
                            )));
                        }
                        let x2apic = cpu_features::reg_of(&host.facts.cpuid, 1, 0, Reg::Ecx)
                            & (1 << 21)
                            != 0;
                        if mode == WHvX64LocalApicEmulationModeX2Apic && !x2apic {
                            return Err(unsupported_cpu(
                                "X2Apic: KVM does not offer x2APIC here".into(),
                            ));
                        }
                    }
                    _ => return Err(invalid(format!("LocalApicEmulationMode {}", mode.0))),
                }
                self.apic_mode = mode;
            }
            WHvPartitionPropertyCodeProcessorClockFrequency => {
                let v = u64_at(buffer, 0);
                if v == 0 {
                    return Err(invalid("ProcessorClockFrequency 0".into()));
                }
                if v != host.processor_clock_hz
                    && !(host.facts.tsc_scaling && v % 1000 == 0 && v / 1000 <= u64::from(u32::MAX))
                {
                    return Err(unsupported_hv(format!(
                        "ProcessorClockFrequency {v} Hz: the host runs at {} Hz and KVM cannot scale the TSC here",
                        host.processor_clock_hz
                    )));
                }
                self.processor_clock_hz = v;
            }
            WHvPartitionPropertyCodeInterruptClockFrequency => {
                let v = u64_at(buffer, 0);
                if v == 0 {
                    return Err(invalid("InterruptClockFrequency 0".into()));
                }
                let settable = host.facts.apic_bus_cycles
                    && host.facts.split_irqchip
                    && KVM_APIC_BUS_HZ % v == 0;
                if v != host.interrupt_clock_hz && !settable {
                    return Err(unsupported_hv(format!(
                        "InterruptClockFrequency {v} Hz: KVM's APIC timer runs at {} Hz and cannot be set to that",
                        host.interrupt_clock_hz
                    )));
                }
                self.interrupt_clock_hz = v;
            }
            WHvPartitionPropertyCodeCpuidResultList => {
                let mut list = Vec::with_capacity(buffer.len() / 32);
                for e in buffer.chunks_exact(32) {
                    let r = WHV_X64_CPUID_RESULT {
                        Function: u32_at(e, 0),
                        Reserved: [u32_at(e, 4), u32_at(e, 8), u32_at(e, 12)],
                        Eax: u32_at(e, 16),
                        Ebx: u32_at(e, 20),
                        Ecx: u32_at(e, 24),
                        Edx: u32_at(e, 28),
                    };
                    if r.Reserved != [0; 3] {
                        return Err(invalid(format!(
                            "CpuidResultList: leaf {:#x} has nonzero Reserved",
                            r.Function
                        )));
                    }
                    list.push(r);
                }
                self.cpuid_results = list;
            }
            WHvPartitionPropertyCodeCpuidResultList2 => {
                let mut list = Vec::with_capacity(buffer.len() / 48);
                let known =
                    WHvX64CpuidResult2FlagSubleafSpecific.0 | WHvX64CpuidResult2FlagVpSpecific.0;
                for e in buffer.chunks_exact(48) {
                    let out = |at| WHV_CPUID_OUTPUT {
                        Eax: u32_at(e, at),
                        Ebx: u32_at(e, at + 4),
                        Ecx: u32_at(e, at + 8),
                        Edx: u32_at(e, at + 12),
                    };
                    let r = WHV_X64_CPUID_RESULT2 {
                        Function: u32_at(e, 0),
                        Index: u32_at(e, 4),
                        VpIndex: u32_at(e, 8),
                        Flags: WHV_X64_CPUID_RESULT2_FLAGS(u32_at(e, 12) as i32),
                        Output: out(16),
                        Mask: out(32),
                    };
                    if r.Flags.0 & !known != 0 {
                        return Err(invalid(format!(
                            "CpuidResultList2: leaf {:#x} has unknown flags {:#x}",
                            r.Function, r.Flags.0
                        )));
                    }
                    list.push(r);
                }
                self.cpuid_results2 = list;
            }
            WHvPartitionPropertyCodeMsrActionList => {
                let mut list = Vec::with_capacity(buffer.len() / 8);
                for e in buffer.chunks_exact(8) {
                    let r = WHV_MSR_ACTION_ENTRY {
                        Index: u32_at(e, 0),
                        ReadAction: e[4],
                        WriteAction: e[5],
                        Reserved: u16::from_le_bytes([e[6], e[7]]),
                    };
                    if r.ReadAction > 2 || r.WriteAction > 2 || r.Reserved != 0 {
                        return Err(invalid(format!(
                            "MsrActionList: MSR {:#x}: bad action or nonzero Reserved",
                            r.Index
                        )));
                    }
                    if (r.ReadAction != 0 || r.WriteAction != 0)
                        && !(host.facts.user_space_msr && host.facts.msr_filter)
                    {
                        return Err(unsupported_hv(format!(
                            "MsrActionList: MSR {:#x}: needs KVM user-space MSRs and the MSR filter",
                            r.Index
                        )));
                    }
                    list.push(r);
                }
                self.msr_actions = list;
            }
            WHvPartitionPropertyCodeUnimplementedMsrAction => {
                let action = WHV_MSR_ACTION(u32_at(buffer, 0) as i32);
                match action {
                    WHvMsrActionArchitectureDefault => {}
                    WHvMsrActionIgnoreWriteReadZero => {
                        if !host.facts.user_space_msr {
                            return Err(unsupported_hv(format!(
                                "UnimplementedMsrAction {action:?}: KVM here has no user-space MSR exits"
                            )));
                        }
                    }
                    // Exits need the filter as well, so that reads and
                    // writes of an MSR exit alike (msr.rs).
                    WHvMsrActionExit => {
                        if !(host.facts.user_space_msr && host.facts.msr_filter) {
                            return Err(unsupported_hv(format!(
                                "UnimplementedMsrAction {action:?}: needs KVM user-space MSRs and the MSR filter"
                            )));
                        }
                    }
                    _ => return Err(invalid(format!("UnimplementedMsrAction {}", action.0))),
                }
                self.unimplemented_msr_action = action;
            }
            _ => {
                return Err(Error::with(
                    WHV_E_UNKNOWN_PROPERTY,
                    format!("unknown partition property {:#x}", code.0),
                ));
            }
        }
        Ok(PropertyEffect::None)
    }

    /// The size in bytes of `code`'s current value (what a C caller's
    /// `WrittenSizeInBytes` receives), or the error a get would give.
    pub(crate) fn size(&self, code: WHV_PARTITION_PROPERTY_CODE) -> Result<u32> {
        let mut out = Vec::new();
        self.encode(code, &mut out)?;
        Ok(out.len() as u32)
    }

    /// WHvGetPartitionProperty: writes `code`'s value at the start of
    /// `buffer` and returns its size; a shorter buffer answers
    /// `WHV_E_INSUFFICIENT_BUFFER` and writes nothing.
    pub(crate) fn get(
        &self,
        code: WHV_PARTITION_PROPERTY_CODE,
        buffer: &mut [u8],
        _set_up: bool,
    ) -> Result<u32> {
        let mut out = Vec::new();
        self.encode(code, &mut out)?;
        let have = buffer.len();
        let dst = buffer.get_mut(..out.len()).ok_or_else(|| {
            Error::with(
                WHV_E_INSUFFICIENT_BUFFER,
                format!("{code:?} needs {} bytes, the buffer has {have}", out.len()),
            )
        })?;
        dst.copy_from_slice(&out);
        Ok(out.len() as u32)
    }

    fn encode(&self, code: WHV_PARTITION_PROPERTY_CODE, out: &mut Vec<u8>) -> Result<()> {
        shape(code)?;
        let u32v = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        let u64v = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        match code {
            WHvPartitionPropertyCodeExtendedVmExits => u64v(out, self.extended_vm_exits),
            WHvPartitionPropertyCodeExceptionExitBitmap => u64v(out, self.exception_exit_bitmap),
            WHvPartitionPropertyCodeX64MsrExitBitmap => u64v(out, self.msr_exit_bitmap),
            WHvPartitionPropertyCodeSeparateSecurityDomain
            | WHvPartitionPropertyCodeNestedVirtualization
            | WHvPartitionPropertyCodeAllowDeviceAssignment
            | WHvPartitionPropertyCodeDisableSmt
            | WHvPartitionPropertyCodeApicRemoteReadSupport => u32v(out, 0),
            WHvPartitionPropertyCodeProcessorCount => u32v(out, self.processor_count),
            WHvPartitionPropertyCodeProcessorFeatures => u64v(out, self.features.bank0),
            WHvPartitionPropertyCodeProcessorFeaturesBanks => {
                u32v(out, WHV_PROCESSOR_FEATURES_BANKS_COUNT);
                u32v(out, 0);
                u64v(out, self.features.bank0);
                u64v(out, self.features.bank1);
            }
            WHvPartitionPropertyCodeProcessorXsaveFeatures => u64v(out, self.features.xsave),
            WHvPartitionPropertyCodeProcessorPerfmonFeatures => u64v(out, self.features.perfmon),
            WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks => {
                u32v(out, WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS_COUNT);
                u32v(out, 0);
                u64v(out, self.synthetic);
            }
            WHvPartitionPropertyCodeProcessorClFlushSize => out.push(self.clflush_size),
            WHvPartitionPropertyCodeLocalApicEmulationMode => u32v(out, self.apic_mode.0 as u32),
            WHvPartitionPropertyCodeProcessorClockFrequency => u64v(out, self.processor_clock_hz),
            WHvPartitionPropertyCodeInterruptClockFrequency => u64v(out, self.interrupt_clock_hz),
            WHvPartitionPropertyCodeUnimplementedMsrAction => {
                u32v(out, self.unimplemented_msr_action.0 as u32)
            }
            WHvPartitionPropertyCodeCpuidExitList | WHvPartitionPropertyCodeCpuidResultList => {
                return Err(Error::with(
                    HRESULT_ERROR_NOT_SUPPORTED,
                    format!("{code:?} cannot be read back (as on Windows)"),
                ));
            }
            WHvPartitionPropertyCodeCpuidResultList2 => {
                for r in &self.cpuid_results2 {
                    for v in [r.Function, r.Index, r.VpIndex, r.Flags.0 as u32] {
                        u32v(out, v);
                    }
                    for o in [r.Output, r.Mask] {
                        for v in [o.Eax, o.Ebx, o.Ecx, o.Edx] {
                            u32v(out, v);
                        }
                    }
                }
            }
            WHvPartitionPropertyCodeMsrActionList => {
                for r in &self.msr_actions {
                    u32v(out, r.Index);
                    out.push(r.ReadAction);
                    out.push(r.WriteAction);
                    out.extend_from_slice(&r.Reserved.to_le_bytes());
                }
            }
            _ => {
                return Err(Error::with(
                    WHV_E_UNKNOWN_PROPERTY,
                    format!("unknown partition property {:#x}", code.0),
                ));
            }
        }
        Ok(())
    }

    /// `ProcessorCount`; 0 until set.
    pub(crate) fn processor_count(&self) -> u32 {
        self.processor_count
    }

    /// `LocalApicEmulationMode`.
    pub(crate) fn local_apic_emulation_mode(&self) -> WHV_X64_LOCAL_APIC_EMULATION_MODE {
        self.apic_mode
    }

    /// `ExtendedVmExits`.
    pub(crate) fn extended_vm_exits(&self) -> WHV_EXTENDED_VM_EXITS {
        WHV_EXTENDED_VM_EXITS {
            AsUINT64: self.extended_vm_exits,
        }
    }

    /// `ExceptionExitBitmap` (bit n = vector n), effective only with
    /// ExtendedVmExits.ExceptionExit.
    pub(crate) fn exception_exit_bitmap(&self) -> u64 {
        self.exception_exit_bitmap
    }

    /// `X64MsrExitBitmap`, effective only with ExtendedVmExits.X64MsrExit.
    pub(crate) fn msr_exit_bitmap(&self) -> WHV_X64_MSR_EXIT_BITMAP {
        WHV_X64_MSR_EXIT_BITMAP {
            AsUINT64: self.msr_exit_bitmap,
        }
    }

    /// `CpuidExitList`: always empty (KVM cannot exit on CPUID).
    #[cfg(test)]
    pub(crate) fn cpuid_exit_list(&self) -> &[u32] {
        &[]
    }

    /// `CpuidResultList`.
    #[cfg(test)]
    pub(crate) fn cpuid_results(&self) -> &[WHV_X64_CPUID_RESULT] {
        &self.cpuid_results
    }

    /// `MsrActionList`.
    pub(crate) fn msr_actions(&self) -> &[WHV_MSR_ACTION_ENTRY] {
        &self.msr_actions
    }

    /// `UnimplementedMsrAction`.
    pub(crate) fn unimplemented_msr_action(&self) -> WHV_MSR_ACTION {
        self.unimplemented_msr_action
    }

    /// `ProcessorFeaturesBanks` as (bank 0, bank 1).
    #[cfg(test)]
    pub(crate) fn processor_features(&self) -> (WHV_PROCESSOR_FEATURES, WHV_PROCESSOR_FEATURES1) {
        (
            WHV_PROCESSOR_FEATURES {
                AsUINT64: self.features.bank0,
            },
            WHV_PROCESSOR_FEATURES1 {
                AsUINT64: self.features.bank1,
            },
        )
    }

    /// `ProcessorXsaveFeatures`.
    #[cfg(test)]
    pub(crate) fn xsave_features(&self) -> WHV_PROCESSOR_XSAVE_FEATURES {
        WHV_PROCESSOR_XSAVE_FEATURES {
            AsUINT64: self.features.xsave,
        }
    }

    /// `ProcessorPerfmonFeatures`.
    #[cfg(test)]
    pub(crate) fn perfmon_features(&self) -> WHV_PROCESSOR_PERFMON_FEATURES {
        WHV_PROCESSOR_PERFMON_FEATURES {
            AsUINT64: self.features.perfmon,
        }
    }

    /// `ProcessorClFlushSize` (CPUID units of 8 bytes).
    #[cfg(test)]
    pub(crate) fn clflush_size(&self) -> u8 {
        self.clflush_size
    }

    /// `ProcessorClockFrequency` in Hz (the partition's TSC rate).
    pub(crate) fn processor_clock_frequency(&self) -> u64 {
        self.processor_clock_hz
    }

    /// SyntheticProcessorFeaturesBanks bank 0 (0: no synthetic features).
    pub(crate) fn synthetic_features(&self) -> u64 {
        self.synthetic
    }

    /// `InterruptClockFrequency` in Hz.
    #[cfg(test)]
    pub(crate) fn interrupt_clock_frequency(&self) -> u64 {
        self.interrupt_clock_hz
    }

    /// The TSC rate for `KVM_SET_TSC_KHZ` on every vCPU, when the partition
    /// asked for one other than the host's.
    pub(crate) fn tsc_khz_override(&self) -> Option<u32> {
        (self.processor_clock_hz != self.host.processor_clock_hz)
            .then_some((self.processor_clock_hz / 1000) as u32)
    }

    /// The value for `KVM_CAP_X86_APIC_BUS_CYCLES_NS` (enabled on the VM
    /// before its vCPUs are created), when the partition asked for an APIC
    /// timer rate other than KVM's 1 GHz.
    pub(crate) fn apic_bus_cycle_ns(&self) -> Option<u64> {
        (self.interrupt_clock_hz != self.host.interrupt_clock_hz && self.interrupt_clock_hz != 0)
            .then(|| KVM_APIC_BUS_HZ / self.interrupt_clock_hz)
    }

    /// The `IA32_ARCH_CAPABILITIES` value a VP should see (write it with
    /// `KVM_SET_MSRS` after `KVM_SET_CPUID2`): the host's, minus the bits
    /// of bank-0 features the partition turned off. `None` when KVM does not
    /// offer the MSR.
    pub(crate) fn arch_capabilities(&self) -> Option<u64> {
        self.host
            .facts
            .arch_capabilities
            .map(|msr| cpu_features::arch_capabilities_for(msr, self.features.bank0))
    }

    /// The partition-wide CPUID table for `KVM_SET_CPUID2`: `supported`
    /// (KVM_GET_SUPPORTED_CPUID) minus the processor, XSAVE and perfmon
    /// features the partition turned off, with its CLFLUSH size and its
    /// local APIC mode's APIC/x2APIC bits, then CpuidResultList and the
    /// CpuidResultList2 entries that are not VP-specific. Prefer
    /// [`Self::kvm_cpuid_vp`], which also gives each VP its APIC ID.
    #[cfg(test)]
    pub(crate) fn kvm_cpuid(&self, supported: &CpuId) -> Result<CpuId> {
        self.build_cpuid(supported, None)
    }

    /// The CPUID table for VP `vp_index`: [`Self::kvm_cpuid`] plus the VP's
    /// initial APIC ID (= its index, as on Windows) in leaves 1, 0xB, 0x1F
    /// and 0x8000_001E, and the VP-specific CpuidResultList2 entries for it.
    pub(crate) fn kvm_cpuid_vp(&self, supported: &CpuId, vp_index: u32) -> Result<CpuId> {
        self.build_cpuid(supported, Some(vp_index))
    }

    fn build_cpuid(&self, supported: &CpuId, vp: Option<u32>) -> Result<CpuId> {
        let mut t: Vec<kvm_cpuid_entry2> = supported.as_slice().to_vec();
        // Only what the capability offered can have been turned off.
        cpu_features::restrict_cpuid(&mut t, &self.host.offered, &self.features);
        for e in t.iter_mut().filter(|e| e.function == 1) {
            e.ebx = (e.ebx & !0xff00) | (u32::from(self.clflush_size) << 8);
            match self.apic_mode {
                WHvX64LocalApicEmulationModeNone => {
                    e.edx &= !(1 << 9); // APIC
                    e.ecx &= !((1 << 21) | (1 << 24)); // x2APIC, TSC deadline
                }
                WHvX64LocalApicEmulationModeXApic => e.ecx &= !(1 << 21),
                _ => {}
            }
        }
        crate::synic::apply_cpuid(&mut t, self.synthetic, self.processor_count);
        if let Some(vp) = vp {
            for e in t.iter_mut() {
                match e.function {
                    1 => e.ebx = (e.ebx & 0x00ff_ffff) | ((vp & 0xff) << 24),
                    0xb | 0x1f => e.edx = vp,
                    0x8000_001e => e.eax = vp,
                    _ => {}
                }
            }
        }
        for r in &self.cpuid_results {
            let out = WHV_CPUID_OUTPUT {
                Eax: r.Eax,
                Ebx: r.Ebx,
                Ecx: r.Ecx,
                Edx: r.Edx,
            };
            override_leaf(
                &mut t,
                r.Function,
                None,
                &out,
                &WHV_CPUID_OUTPUT {
                    Eax: !0,
                    Ebx: !0,
                    Ecx: !0,
                    Edx: !0,
                },
            );
        }
        for r in &self.cpuid_results2 {
            if r.Flags.contains(WHvX64CpuidResult2FlagVpSpecific) && vp != Some(r.VpIndex) {
                continue;
            }
            let index = r
                .Flags
                .contains(WHvX64CpuidResult2FlagSubleafSpecific)
                .then_some(r.Index);
            override_leaf(&mut t, r.Function, index, &r.Output, &r.Mask);
        }
        CpuId::from_entries(&t).map_err(|_| {
            invalid(format!(
                "the CPUID table has {} entries, more than KVM takes",
                t.len()
            ))
        })
    }
}

/// Applies `out` under `mask` to leaf `function` (every subleaf, or only
/// `index`), adding the entry when the table lacks it.
fn override_leaf(
    t: &mut Vec<kvm_cpuid_entry2>,
    function: u32,
    index: Option<u32>,
    out: &WHV_CPUID_OUTPUT,
    mask: &WHV_CPUID_OUTPUT,
) {
    let apply = |e: &mut kvm_cpuid_entry2| {
        e.eax = (e.eax & !mask.Eax) | (out.Eax & mask.Eax);
        e.ebx = (e.ebx & !mask.Ebx) | (out.Ebx & mask.Ebx);
        e.ecx = (e.ecx & !mask.Ecx) | (out.Ecx & mask.Ecx);
        e.edx = (e.edx & !mask.Edx) | (out.Edx & mask.Edx);
    };
    let mut found = false;
    for e in t
        .iter_mut()
        .filter(|e| e.function == function && index.is_none_or(|i| e.index == i))
    {
        apply(e);
        found = true;
    }
    if !found {
        let mut e = kvm_cpuid_entry2 {
            function,
            index: index.unwrap_or(0),
            flags: if index.is_some() {
                kvm_bindings::KVM_CPUID_FLAG_SIGNIFCANT_INDEX
            } else {
                0
            },
            ..Default::default()
        };
        apply(&mut e);
        t.push(e);
    }
}

#[cfg(test)]
mod tests;
