//! Unit tests of the partition property store: every property's round trip,
//! sizes, setup rules, validation against a fake host, and the CPUID tables
//! KVM takes.

use super::*;
use crate::capability::{full_facts, test_host};

fn props() -> PartitionProperties {
    PartitionProperties::with_host(test_host(full_facts()))
}

fn hr<T: std::fmt::Debug>(r: Result<T>) -> HRESULT {
    r.expect_err("expected an error").hresult
}

fn get_vec(p: &PartitionProperties, code: WHV_PARTITION_PROPERTY_CODE) -> Vec<u8> {
    let mut b = [0u8; 256];
    let n = p.get(code, &mut b, false).unwrap() as usize;
    assert_eq!(p.size(code).unwrap() as usize, n);
    b[..n].to_vec()
}

fn banks(count: u32, b0: u64, b1: u64) -> Vec<u8> {
    [
        &count.to_le_bytes()[..],
        &0u32.to_le_bytes(),
        &b0.to_le_bytes(),
        &b1.to_le_bytes(),
    ]
    .concat()
}

/// A value this platform accepts for each settable property, different
/// from the default wherever the fake host allows one.
fn sample(p: &PartitionProperties, code: WHV_PARTITION_PROPERTY_CODE) -> Vec<u8> {
    let h = p.host;
    match code {
        WHvPartitionPropertyCodeExtendedVmExits => (exit_bits::MSR | exit_bits::EXCEPTION)
            .to_le_bytes()
            .to_vec(),
        WHvPartitionPropertyCodeExceptionExitBitmap => (1u64 << 3).to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeX64MsrExitBitmap => 0b11u64.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeProcessorCount => 4u32.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeProcessorFeatures => {
            (h.offered.bank0 & !(1 << 23)).to_le_bytes().to_vec()
        }
        WHvPartitionPropertyCodeProcessorFeaturesBanks => banks(2, h.offered.bank0 & !1, 0),
        WHvPartitionPropertyCodeProcessorXsaveFeatures => 0u64.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeProcessorPerfmonFeatures => 0u64.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks => {
            [&1u32.to_le_bytes()[..], &[0; 12]].concat()
        }
        WHvPartitionPropertyCodeProcessorClFlushSize => vec![16],
        WHvPartitionPropertyCodeLocalApicEmulationMode => 2u32.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeProcessorClockFrequency => {
            h.processor_clock_hz.to_le_bytes().to_vec()
        }
        WHvPartitionPropertyCodeInterruptClockFrequency => 25_000_000u64.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeUnimplementedMsrAction => 2u32.to_le_bytes().to_vec(),
        WHvPartitionPropertyCodeCpuidExitList => Vec::new(),
        WHvPartitionPropertyCodeCpuidResultList => [0x4000_0000u32, 0, 0, 0, 1, 2, 3, 4]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        WHvPartitionPropertyCodeCpuidResultList2 => {
            [1u32, 0, 0, 0, 0, 0, 1 << 31, 0, 0, 0, 1 << 31, 0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect()
        }
        WHvPartitionPropertyCodeMsrActionList => [
            &0x1234_5678u32.to_le_bytes()[..],
            &[2, 1, 0, 0],
            &0x10u32.to_le_bytes(),
            &[0, 2, 0, 0],
        ]
        .concat(),
        _ => 0u32.to_le_bytes().to_vec(), // the BOOLs: FALSE
    }
}

const UNAVAILABLE: &[WHV_PARTITION_PROPERTY_CODE] = &[
    WHvPartitionPropertyCodePrimaryNumaNode,
    WHvPartitionPropertyCodeCpuReserve,
    WHvPartitionPropertyCodeCpuCap,
    WHvPartitionPropertyCodeCpuWeight,
    WHvPartitionPropertyCodeCpuGroupId,
    WHvPartitionPropertyCodeProcessorFrequencyCap,
    WHvPartitionPropertyCodeReferenceTime,
];

#[test]
fn every_property_round_trips_or_answers_as_windows() {
    for &code in WHV_PARTITION_PROPERTY_CODE::ALL {
        let mut p = props();
        if UNAVAILABLE.contains(&code) {
            assert_eq!(
                hr(p.set(code, &[0; 8], false)),
                WHV_E_UNKNOWN_PROPERTY,
                "{code:?}"
            );
            assert_eq!(
                hr(p.get(code, &mut [0; 8], false)),
                WHV_E_UNKNOWN_PROPERTY,
                "{code:?}"
            );
            continue;
        }
        let value = sample(&p, code);
        assert_eq!(
            p.set(code, &value, false).unwrap(),
            PropertyEffect::None,
            "{code:?}"
        );
        if matches!(
            code,
            WHvPartitionPropertyCodeCpuidExitList | WHvPartitionPropertyCodeCpuidResultList
        ) {
            assert_eq!(
                hr(p.get(code, &mut [0; 64], false)),
                HRESULT_ERROR_NOT_SUPPORTED,
                "{code:?}"
            );
            continue;
        }
        assert_eq!(get_vec(&p, code), value, "{code:?}");
    }
}

#[test]
fn set_values_reach_the_typed_getters() {
    let mut p = props();
    for code in [
        WHvPartitionPropertyCodeProcessorCount,
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        WHvPartitionPropertyCodeUnimplementedMsrAction,
        WHvPartitionPropertyCodeCpuidResultList,
        WHvPartitionPropertyCodeMsrActionList,
        WHvPartitionPropertyCodeInterruptClockFrequency,
        WHvPartitionPropertyCodeExtendedVmExits,
    ] {
        let v = sample(&p, code);
        p.set(code, &v, false).unwrap();
    }
    assert_eq!(p.processor_count(), 4);
    assert_eq!(
        p.local_apic_emulation_mode(),
        WHvX64LocalApicEmulationModeX2Apic
    );
    assert_eq!(p.unimplemented_msr_action(), WHvMsrActionExit);
    assert_eq!(p.cpuid_results().len(), 1);
    assert_eq!(p.cpuid_results()[0].Ebx, 2);
    assert_eq!(p.msr_actions()[1].Index, 0x10);
    assert_eq!(p.msr_actions()[1].WriteAction, 2);
    assert_eq!(p.apic_bus_cycle_ns(), Some(40));
    assert_eq!(p.tsc_khz_override(), None);
    assert_eq!(
        p.extended_vm_exits().AsUINT64,
        exit_bits::MSR | exit_bits::EXCEPTION
    );
    assert!(p.cpuid_exit_list().is_empty());
}

#[test]
fn defaults_are_windows_defaults_on_the_host() {
    let p = props();
    let h = p.host;
    // Not set: WHvSetupPartition refuses the partition until it is.
    assert_eq!(p.processor_count(), 0);
    assert_eq!(p.extended_vm_exits().AsUINT64, 0);
    assert_eq!(p.exception_exit_bitmap(), 0);
    assert_eq!(p.msr_exit_bitmap().AsUINT64, 0);
    assert_eq!(p.processor_features().0.AsUINT64, h.offered.bank0);
    assert_eq!(p.processor_features().1.AsUINT64, h.offered.bank1);
    assert_eq!(p.xsave_features().AsUINT64, h.offered.xsave);
    assert_eq!(p.perfmon_features().AsUINT64, 0);
    assert_eq!(p.clflush_size(), 8);
    assert_eq!(
        p.local_apic_emulation_mode(),
        WHvX64LocalApicEmulationModeNone
    );
    assert_eq!(
        p.unimplemented_msr_action(),
        WHvMsrActionArchitectureDefault
    );
    assert_eq!(p.processor_clock_frequency(), 2_000_000_000);
    assert_eq!(p.interrupt_clock_frequency(), 1_000_000_000);
    assert_eq!(p.apic_bus_cycle_ns(), None);
    assert_eq!(p.arch_capabilities(), Some(1));
}

#[test]
fn unknown_codes_are_unknown_properties() {
    let mut p = props();
    for code in [0, 14, 0x1000, 0x1011, 0x1ffe, 0x2000, -1] {
        let code = WHV_PARTITION_PROPERTY_CODE(code);
        assert_eq!(
            hr(p.set(code, &[0; 8], false)),
            WHV_E_UNKNOWN_PROPERTY,
            "{code:?}"
        );
        assert_eq!(
            hr(p.get(code, &mut [0; 8], false)),
            WHV_E_UNKNOWN_PROPERTY,
            "{code:?}"
        );
        assert_eq!(hr(p.size(code)), WHV_E_UNKNOWN_PROPERTY);
    }
}

#[test]
fn wrong_sizes() {
    let mut p = props();
    // Too short for the value.
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeProcessorCount, &[4, 0, 0], false)),
        WHV_E_INSUFFICIENT_BUFFER
    );
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeExtendedVmExits, &[0; 4], false)),
        WHV_E_INSUFFICIENT_BUFFER
    );
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeProcessorClFlushSize, &[], false)),
        WHV_E_INSUFFICIENT_BUFFER
    );
    // Longer is fine (callers pass sizeof(WHV_PARTITION_PROPERTY) = 48).
    let mut big = [0u8; 48];
    big[0] = 2;
    p.set(WHvPartitionPropertyCodeProcessorCount, &big, false)
        .unwrap();
    assert_eq!(p.processor_count(), 2);
    // Lists need whole entries.
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeCpuidResultList, &[0; 33], false)),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeMsrActionList, &[0; 12], false)),
        E_INVALIDARG
    );
    let too_many = vec![0u8; 8 * (MAX_LIST_ENTRIES + 1)];
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeMsrActionList, &too_many, false)),
        E_INVALIDARG
    );
    // Get into a short buffer: nothing written.
    let mut b = [0xaau8; 7];
    assert_eq!(
        hr(p.get(WHvPartitionPropertyCodeExtendedVmExits, &mut b, false)),
        WHV_E_INSUFFICIENT_BUFFER
    );
    assert_eq!(b, [0xaa; 7]);
    assert_eq!(p.size(WHvPartitionPropertyCodeExtendedVmExits).unwrap(), 8);
    assert_eq!(
        p.size(WHvPartitionPropertyCodeProcessorFeaturesBanks)
            .unwrap(),
        24
    );
    assert_eq!(
        p.size(WHvPartitionPropertyCodeProcessorClFlushSize)
            .unwrap(),
        1
    );
    // A list's size follows its content; an empty list writes nothing.
    assert_eq!(p.size(WHvPartitionPropertyCodeMsrActionList).unwrap(), 0);
    assert_eq!(
        p.get(WHvPartitionPropertyCodeMsrActionList, &mut [], false)
            .unwrap(),
        0
    );
}

#[test]
fn before_and_after_setup() {
    let mut p = props();
    let count = 2u32.to_le_bytes();
    p.set(WHvPartitionPropertyCodeProcessorCount, &count, false)
        .unwrap();
    for &code in WHV_PARTITION_PROPERTY_CODE::ALL {
        if UNAVAILABLE.contains(&code) {
            continue;
        }
        let value = sample(&p, code);
        let r = p.set(code, &value, true);
        match code {
            WHvPartitionPropertyCodeExtendedVmExits => {
                assert_eq!(r.unwrap(), PropertyEffect::ExtendedVmExits)
            }
            WHvPartitionPropertyCodeExceptionExitBitmap => {
                assert_eq!(r.unwrap(), PropertyEffect::ExceptionExitBitmap)
            }
            WHvPartitionPropertyCodeX64MsrExitBitmap => {
                assert_eq!(r.unwrap(), PropertyEffect::MsrExitBitmap)
            }
            WHvPartitionPropertyCodeCpuidExitList => {
                assert_eq!(r.unwrap(), PropertyEffect::None)
            }
            _ => assert_eq!(hr(r), E_INVALIDARG, "{code:?} after setup"),
        }
    }
    // The refused sets changed nothing; gets work after setup too.
    assert_eq!(p.processor_count(), 2);
    let mut b = [0u8; 4];
    assert_eq!(
        p.get(WHvPartitionPropertyCodeProcessorCount, &mut b, true)
            .unwrap(),
        4
    );
    assert_eq!(u32::from_le_bytes(b), 2);
}

/// After setup a pre-setup-only property is refused for the partition's
/// state only once its code, size and value pass: the arguments answer
/// first, as for every WHv* function. Nothing changes either way.
#[test]
fn after_setup_the_arguments_are_checked_first() {
    let mut p = props();
    p.set(
        WHvPartitionPropertyCodeProcessorCount,
        &2u32.to_le_bytes(),
        false,
    )
    .unwrap();
    let count = WHvPartitionPropertyCodeProcessorCount;
    assert_eq!(hr(p.set(count, &[3, 0], true)), WHV_E_INSUFFICIENT_BUFFER);
    assert_eq!(hr(p.set(count, &0u32.to_le_bytes(), true)), E_INVALIDARG);
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeSeparateSecurityDomain,
            &1u32.to_le_bytes(),
            true
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    assert_eq!(
        hr(p.set(WHV_PARTITION_PROPERTY_CODE(0x7777), &[0; 8], true)),
        WHV_E_UNKNOWN_PROPERTY
    );
    assert_eq!(hr(p.set(count, &3u32.to_le_bytes(), true)), E_INVALIDARG);
    assert_eq!(p.processor_count(), 2, "nothing changed");
}

#[test]
fn values_are_validated_against_the_host() {
    let mut p = props();
    let u64b = |v: u64| v.to_le_bytes();
    let u32b = |v: u32| v.to_le_bytes();
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeProcessorCount, &u32b(0), false)),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeProcessorCount, &u32b(9), false)),
        E_INVALIDARG
    );
    p.set(WHvPartitionPropertyCodeProcessorCount, &u32b(8), false)
        .unwrap();
    // Reserved bits vs features the host lacks.
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeExtendedVmExits,
            &u64b(1 << 20),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeExtendedVmExits,
            &u64b(exit_bits::CPUID),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    // The APIC traps (SMI 4, INIT/SIPI 6, LINT0 7, LINT1 8, SVR 9, LDR 12,
    // DFR 13): the in-kernel LAPIC handles those writes without an exit,
    // and KVM's MSR filter always lets x2APIC MSRs through, so no host
    // offers them.
    for bit in [4, 6, 7, 8, 9, 12, 13] {
        assert_eq!(p.host.extended_vm_exits & 1 << bit, 0, "trap bit {bit}");
        assert_eq!(
            hr(p.set(
                WHvPartitionPropertyCodeExtendedVmExits,
                &u64b(1 << bit),
                false
            )),
            WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
            "trap bit {bit}"
        );
    }
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeExceptionExitBitmap,
            &u64b(1 << 14),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeExceptionExitBitmap,
            &u64b(1 << 40),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeX64MsrExitBitmap,
            &u64b(1 << 6),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorFeatures,
            &u64b(1 << 27),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorFeatures,
            &u64b(1 << 2),
            false
        )),
        WHV_E_UNSUPPORTED_PROCESSOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorFeaturesBanks,
            &banks(3, 0, 0),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorFeaturesBanks,
            &banks(2, 0, 1),
            false
        )),
        WHV_E_UNSUPPORTED_PROCESSOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorXsaveFeatures,
            &u64b(1 << 2),
            false
        )),
        WHV_E_UNSUPPORTED_PROCESSOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorPerfmonFeatures,
            &u64b(1),
            false
        )),
        WHV_E_UNSUPPORTED_PROCESSOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorPerfmonFeatures,
            &u64b(4),
            false
        )),
        E_INVALIDARG
    );
    // The VP run time register (bit 2) is not implemented: refused; what
    // `crate::synic` implements is accepted and read back.
    let synth = |v: u64| [&1u32.to_le_bytes()[..], &[0; 4], &v.to_le_bytes()].concat();
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
            &synth(0b111),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    let implemented = crate::synic::features::IMPLEMENTED;
    p.set(
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
        &synth(implemented),
        false,
    )
    .unwrap();
    assert_eq!(
        get_vec(&p, WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks),
        synth(implemented)
    );
    p.set(
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
        &synth(0),
        false,
    )
    .unwrap();
    for code in [
        WHvPartitionPropertyCodeSeparateSecurityDomain,
        WHvPartitionPropertyCodeNestedVirtualization,
        WHvPartitionPropertyCodeAllowDeviceAssignment,
        WHvPartitionPropertyCodeDisableSmt,
        WHvPartitionPropertyCodeApicRemoteReadSupport,
    ] {
        assert_eq!(
            hr(p.set(code, &u32b(1), false)),
            WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
            "{code:?}"
        );
    }
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &u32b(3),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeUnimplementedMsrAction,
            &u32b(3),
            false
        )),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeCpuidExitList, &u32b(1), false)),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    let reserved = [1u32, 1, 0, 0, 0, 0, 0, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect::<Vec<_>>();
    assert_eq!(
        hr(p.set(WHvPartitionPropertyCodeCpuidResultList, &reserved, false)),
        E_INVALIDARG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeMsrActionList,
            &[0, 0, 0, 0, 3, 0, 0, 0],
            false
        )),
        E_INVALIDARG
    );
    // TSC: the host's rate only (no KVM_CAP_TSC_CONTROL on the fake host).
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeProcessorClockFrequency,
            &u64b(1_000_000_000),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    // APIC bus: 1 GHz divided by a whole number of ns only.
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeInterruptClockFrequency,
            &u64b(3),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    // Nothing refused above changed the defaults.
    assert_eq!(p.extended_vm_exits().AsUINT64, 0);
    assert_eq!(p.processor_features().0.AsUINT64, p.host.offered.bank0);
}

#[test]
fn a_host_without_the_kvm_features_refuses_them() {
    let mut facts = full_facts();
    facts.split_irqchip = false;
    facts.user_space_msr = false;
    facts.guest_debug = false;
    let mut p = PartitionProperties::with_host(test_host(facts));
    let u32b = |v: u32| v.to_le_bytes();
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &u32b(1),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    p.set(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &u32b(0),
        false,
    )
    .unwrap();
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeUnimplementedMsrAction,
            &u32b(2),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeMsrActionList,
            &[1, 0, 0, 0, 2, 0, 0, 0],
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    p.set(
        WHvPartitionPropertyCodeMsrActionList,
        &[1, 0, 0, 0, 0, 0, 0, 0],
        false,
    )
    .unwrap();
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeExtendedVmExits,
            &exit_bits::EXCEPTION.to_le_bytes(),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
    assert_eq!(
        hr(p.set(
            WHvPartitionPropertyCodeExceptionExitBitmap,
            &(1u64 << 3).to_le_bytes(),
            false
        )),
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
    );
}

fn cpuid_table(entries: &[(u32, u32, [u32; 4])]) -> CpuId {
    let v: Vec<kvm_cpuid_entry2> = entries
        .iter()
        .map(|&(function, index, r)| kvm_cpuid_entry2 {
            function,
            index,
            flags: if function == 7 || function == 0xb {
                kvm_bindings::KVM_CPUID_FLAG_SIGNIFCANT_INDEX
            } else {
                0
            },
            eax: r[0],
            ebx: r[1],
            ecx: r[2],
            edx: r[3],
            ..Default::default()
        })
        .collect();
    CpuId::from_entries(&v).unwrap()
}

fn find(t: &CpuId, function: u32, index: u32) -> kvm_cpuid_entry2 {
    *t.as_slice()
        .iter()
        .find(|e| e.function == function && e.index == index)
        .expect("leaf present")
}

#[test]
fn kvm_cpuid_applies_features_apic_mode_and_overrides() {
    let supported = cpuid_table(&[
        (0, 0, [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
        (
            1,
            0,
            [
                0x00a1_0f11,
                0x0000_0800,
                (1 << 0) | (1 << 21) | (1 << 24) | (1 << 26),
                1 << 9,
            ],
        ),
        (7, 0, [0, 1 << 7, 0, (1 << 26) | (1 << 29)]),
        (0xb, 0, [0, 1, 0x100, 0]),
        (0xb, 1, [0, 2, 0x201, 0]),
        (
            0x4000_0000,
            0,
            [0x4000_0001, 0x4b4d_564b, 0x564b_4d56, 0x4d],
        ),
    ]);
    let mut p = props();
    // SMEP off; X2APIC mode; CLFLUSH 16 (128 bytes).
    let bank0 = p.host.offered.bank0 & !(1 << 23);
    p.set(
        WHvPartitionPropertyCodeProcessorFeatures,
        &bank0.to_le_bytes(),
        false,
    )
    .unwrap();
    p.set(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &2u32.to_le_bytes(),
        false,
    )
    .unwrap();
    p.set(WHvPartitionPropertyCodeProcessorClFlushSize, &[16], false)
        .unwrap();
    // Result list: replace 0x4000_0000 and add 0x4000_0010.
    let list: Vec<u8> = [
        [0x4000_0000u32, 0, 0, 0, 0x4000_0010, 0x1111, 0x2222, 0x3333],
        [0x4000_0010, 0, 0, 0, 5, 6, 7, 8],
    ]
    .iter()
    .flatten()
    .flat_map(|v| v.to_le_bytes())
    .collect();
    p.set(WHvPartitionPropertyCodeCpuidResultList, &list, false)
        .unwrap();
    // Result list 2: set leaf 1 ECX[31] (hypervisor bit) under a mask,
    // subleaf-specific 0xB.1 EBX, and VP 1's leaf 7.0 EDX[0].
    let r2: Vec<u8> = [
        [1u32, 0, 0, 0, 0, 0, 1 << 31, 0, 0, 0, 1 << 31, 0],
        [0xb, 1, 0, 1, 0, 0x77, 0, 0, 0, 0xff, 0, 0],
        [7, 0, 1, 3, 0, 0, 0, 1, 0, 0, 0, 1],
    ]
    .iter()
    .flatten()
    .flat_map(|v| v.to_le_bytes())
    .collect();
    p.set(WHvPartitionPropertyCodeCpuidResultList2, &r2, false)
        .unwrap();

    let t = p.kvm_cpuid(&supported).unwrap();
    let l1 = find(&t, 1, 0);
    assert_eq!(
        l1.ecx,
        (1 << 0) | (1 << 21) | (1 << 24) | (1 << 26) | (1 << 31),
        "mask adds bit 31 only"
    );
    assert_eq!(l1.edx, 1 << 9, "APIC present in X2Apic mode");
    assert_eq!((l1.ebx >> 8) & 0xff, 16, "CLFLUSH size");
    assert_eq!(find(&t, 7, 0).ebx, 0, "SMEP cleared");
    assert_eq!(
        find(&t, 7, 0).edx,
        (1 << 26) | (1 << 29),
        "IBRS untouched, VP-specific entry skipped"
    );
    let hv = find(&t, 0x4000_0000, 0);
    assert_eq!(
        (hv.eax, hv.ebx, hv.ecx, hv.edx),
        (0x4000_0010, 0x1111, 0x2222, 0x3333)
    );
    let added = find(&t, 0x4000_0010, 0);
    assert_eq!((added.eax, added.ebx, added.ecx, added.edx), (5, 6, 7, 8));
    assert_eq!(find(&t, 0xb, 1).ebx, 0x77, "subleaf-specific mask");
    assert_eq!(find(&t, 0xb, 0).ebx, 1, "other subleaf untouched");

    // VP 1: its APIC ID, and its VP-specific entry.
    let t1 = p.kvm_cpuid_vp(&supported, 1).unwrap();
    assert_eq!(find(&t1, 1, 0).ebx >> 24, 1);
    assert_eq!(find(&t1, 0xb, 0).edx, 1);
    assert_eq!(find(&t1, 7, 0).edx, (1 << 26) | (1 << 29) | 1);
    let t0 = p.kvm_cpuid_vp(&supported, 0).unwrap();
    assert_eq!(find(&t0, 7, 0).edx, (1 << 26) | (1 << 29));

    // No LAPIC emulation: APIC, x2APIC and TSC-deadline bits go.
    let mut none = props();
    none.set(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &0u32.to_le_bytes(),
        false,
    )
    .unwrap();
    let l1 = find(&none.kvm_cpuid(&supported).unwrap(), 1, 0);
    assert_eq!(l1.edx & (1 << 9), 0);
    assert_eq!(l1.ecx & ((1 << 21) | (1 << 24)), 0);
    // XApic: APIC stays, x2APIC goes.
    let mut xapic = props();
    xapic
        .set(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &1u32.to_le_bytes(),
            false,
        )
        .unwrap();
    let l1 = find(&xapic.kvm_cpuid(&supported).unwrap(), 1, 0);
    assert_eq!((l1.edx & (1 << 9), l1.ecx & (1 << 21)), (1 << 9, 0));
}

#[test]
fn real_host_defaults_build_a_cpuid_table() {
    let host = crate::capability::host_capabilities();
    if !host.hypervisor_present() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    let p = PartitionProperties::new();
    assert_eq!(
        p.processor_features().0.AsUINT64,
        host.processor_features_banks().0.AsUINT64
    );
    assert_eq!(
        p.xsave_features().AsUINT64,
        host.processor_xsave_features().AsUINT64
    );
    let supported = CpuId::from_entries(host.supported_cpuid()).unwrap();
    let t = p.kvm_cpuid_vp(&supported, 0).unwrap();
    // Default partition: every offered feature is still there.
    let again = cpu_features::features_from_cpuid(t.as_slice(), host.facts.arch_capabilities);
    assert_eq!(again.bank0, host.offered.bank0);
    assert_eq!(again.xsave, host.offered.xsave);
    // No LAPIC emulation by default: no APIC bit.
    assert_eq!(
        cpu_features::reg_of(t.as_slice(), 1, 0, Reg::Edx) & (1 << 9),
        0
    );
}

#[test]
fn kvm_takes_the_tables() {
    let host = crate::capability::host_capabilities();
    let Ok(kvm) = crate::kvm::kvm() else {
        println!("SKIPPED: no /dev/kvm");
        return;
    };
    let supported = CpuId::from_entries(host.supported_cpuid()).unwrap();
    let mut p = PartitionProperties::new();
    // Turn off every other offered bank-0 feature, all XSAVE features,
    // and override a leaf.
    let bank0 = host.offered.bank0 & 0x5555_5555_5555_5555;
    p.set(
        WHvPartitionPropertyCodeProcessorFeatures,
        &bank0.to_le_bytes(),
        false,
    )
    .unwrap();
    p.set(
        WHvPartitionPropertyCodeProcessorXsaveFeatures,
        &0u64.to_le_bytes(),
        false,
    )
    .unwrap();
    let r: Vec<u8> = [0x4000_0000u32, 0, 0, 0, 0x4000_0001, 1, 2, 3]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    p.set(WHvPartitionPropertyCodeCpuidResultList, &r, false)
        .unwrap();
    let vm = kvm.create_vm().unwrap();
    for vp in 0..2 {
        let t = p.kvm_cpuid_vp(&supported, vp).unwrap();
        let again = cpu_features::features_from_cpuid(t.as_slice(), None);
        assert_eq!(
            again.bank0 & !bank0,
            0,
            "a turned-off feature is still in CPUID"
        );
        assert_eq!(again.xsave, 0);
        let vcpu = vm.create_vcpu(u64::from(vp)).unwrap();
        vcpu.set_cpuid2(&t).unwrap();
        let back = vcpu
            .get_cpuid2(kvm_bindings::KVM_MAX_CPUID_ENTRIES)
            .unwrap();
        let l1 = back.as_slice().iter().find(|e| e.function == 1).unwrap();
        assert_eq!(l1.ebx >> 24, vp, "initial APIC ID");
        let hv = back
            .as_slice()
            .iter()
            .find(|e| e.function == 0x4000_0000)
            .unwrap();
        assert_eq!((hv.ebx, hv.ecx, hv.edx), (1, 2, 3));
    }
}
