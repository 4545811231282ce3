//! WHvGetCapability through the public API, checked against the kernel:
//! every code answers with the header's size, buffers are handled as
//! Windows does, unknown codes are refused, and the processor features are
//! the bits KVM_GET_SUPPORTED_CPUID really has.

use kvm_bindings::kvm_cpuid_entry2;
use winhv::defs::*;

/// Every capability code with the size of its `WHV_CAPABILITY` member
/// (mingw-w64 `winhvplatformdefs.h`).
const SIZES: &[(WHV_CAPABILITY_CODE, u32)] = &[
    (WHvCapabilityCodeHypervisorPresent, 4),
    (WHvCapabilityCodeFeatures, 8),
    (WHvCapabilityCodeExtendedVmExits, 8),
    (WHvCapabilityCodeExceptionExitBitmap, 8),
    (WHvCapabilityCodeX64MsrExitBitmap, 8),
    (WHvCapabilityCodeGpaRangePopulateFlags, 4),
    (WHvCapabilityCodeSchedulerFeatures, 8),
    (WHvCapabilityCodeProcessorVendor, 4),
    (WHvCapabilityCodeProcessorFeatures, 8),
    (WHvCapabilityCodeProcessorClFlushSize, 1),
    (WHvCapabilityCodeProcessorXsaveFeatures, 8),
    (WHvCapabilityCodeProcessorClockFrequency, 8),
    (WHvCapabilityCodeInterruptClockFrequency, 8),
    (WHvCapabilityCodeProcessorFeaturesBanks, 24),
    (WHvCapabilityCodeProcessorFrequencyCap, 20),
    (WHvCapabilityCodeSyntheticProcessorFeaturesBanks, 16),
    (WHvCapabilityCodeProcessorPerfmonFeatures, 8),
];

fn cap(code: WHV_CAPABILITY_CODE) -> Vec<u8> {
    let mut b = [0u8; 64];
    let n = winhv::get_capability(code, &mut b).expect("known capability") as usize;
    b[..n].to_vec()
}

fn cap_u64(code: WHV_CAPABILITY_CODE) -> u64 {
    let b = cap(code);
    u64::from_le_bytes(b[..8].try_into().unwrap())
}

fn cap_u32(code: WHV_CAPABILITY_CODE) -> u32 {
    let b = cap(code);
    u32::from_le_bytes(b[..4].try_into().unwrap())
}

/// KVM's supported CPUID, or None (after the SKIPPED line) without KVM.
fn supported_cpuid() -> Option<Vec<kvm_cpuid_entry2>> {
    let Ok(kvm) = kvm_ioctls::Kvm::new() else {
        println!("SKIPPED: no /dev/kvm");
        return None;
    };
    Some(
        kvm.get_supported_cpuid(kvm_bindings::KVM_MAX_CPUID_ENTRIES)
            .unwrap()
            .as_slice()
            .to_vec(),
    )
}

fn bit(cpuid: &[kvm_cpuid_entry2], leaf: u32, subleaf: u32, reg: usize, bit: u32) -> bool {
    let max = cpuid
        .iter()
        .find(|e| e.function == leaf & 0x8000_0000)
        .map_or(0, |e| e.eax);
    if leaf > max {
        return false;
    }
    cpuid
        .iter()
        .find(|e| e.function == leaf && e.index == subleaf)
        .map(|e| [e.eax, e.ebx, e.ecx, e.edx][reg] & (1 << bit) != 0)
        .unwrap_or(false)
}

#[test]
fn every_code_answers_with_the_header_size() {
    assert_eq!(
        SIZES.len(),
        WHV_CAPABILITY_CODE::ALL.len(),
        "a code is missing here"
    );
    for &(code, size) in SIZES {
        let mut b = [0xa5u8; 40];
        let n = winhv::get_capability(code, &mut b).unwrap_or_else(|e| panic!("{code:?}: {e}"));
        assert_eq!(n, size, "{code:?}");
        assert_eq!(winhv::capability_size(code).unwrap(), size, "{code:?}");
        assert!(
            b[size as usize..].iter().all(|&x| x == 0xa5),
            "{code:?} wrote past its answer"
        );
        println!("{code:?}: {:02x?}", &b[..size as usize]);
    }
}

#[test]
fn hypervisor_present_matches_dev_kvm() {
    let present = cap_u32(WHvCapabilityCodeHypervisorPresent) != 0;
    let kvm_opens = kvm_ioctls::Kvm::new().is_ok();
    if !kvm_opens {
        println!("SKIPPED: no /dev/kvm");
        assert!(!present);
        return;
    }
    assert_eq!(present, winhv::hypervisor_present());
    assert!(present, "/dev/kvm opens but HypervisorPresent is FALSE");
}

#[test]
fn short_buffers_and_unknown_codes() {
    for &(code, size) in SIZES {
        let mut b = vec![0x5au8; size as usize - 1];
        let e = winhv::get_capability(code, &mut b).unwrap_err();
        assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER, "{code:?}");
        assert!(
            b.iter().all(|&x| x == 0x5a),
            "{code:?} wrote into a short buffer"
        );
    }
    for code in [7, 0x0fff, 0x100a, 0x2000, -1, i32::MAX] {
        let code = WHV_CAPABILITY_CODE(code);
        let e = winhv::get_capability(code, &mut [0u8; 64]).unwrap_err();
        assert_eq!(e.hresult, WHV_E_UNKNOWN_CAPABILITY, "{code:?}");
        assert_eq!(
            winhv::capability_size(code).unwrap_err().hresult,
            WHV_E_UNKNOWN_CAPABILITY
        );
    }
}

#[test]
fn processor_features_are_kvm_supported_cpuid_bits() {
    let Some(cpuid) = supported_cpuid() else {
        return;
    };
    let bank0 = cap_u64(WHvCapabilityCodeProcessorFeatures);
    let banks = cap(WHvCapabilityCodeProcessorFeaturesBanks);
    assert_eq!(u32::from_le_bytes(banks[0..4].try_into().unwrap()), 2);
    assert_eq!(u64::from_le_bytes(banks[8..16].try_into().unwrap()), bank0);
    let bank1 = u64::from_le_bytes(banks[16..24].try_into().unwrap());
    let xsave = cap_u64(WHvCapabilityCodeProcessorXsaveFeatures);
    let (eax, ebx, ecx, edx) = (0, 1, 2, 3);
    // (word, bit, leaf, subleaf, register, CPUID bit)
    let checks: &[(u64, u32, u32, u32, usize, u32, &str)] = &[
        (bank0, 0, 1, 0, ecx, 0, "SSE3"),
        (bank0, 1, 0x8000_0001, 0, ecx, 0, "LAHF/SAHF"),
        (bank0, 2, 1, 0, ecx, 9, "SSSE3"),
        (bank0, 7, 1, 0, ecx, 23, "POPCNT"),
        (bank0, 8, 1, 0, ecx, 13, "CMPXCHG16B"),
        (bank0, 15, 0x8000_0001, 0, edx, 26, "1 GB pages"),
        (bank0, 22, 7, 0, ebx, 0, "FSGSBASE"),
        (bank0, 23, 7, 0, ebx, 7, "SMEP"),
        (bank0, 29, 1, 0, ecx, 22, "MOVBE"),
        (bank0, 38, 0x8000_0001, 0, edx, 27, "RDTSCP"),
        (bank0, 39, 7, 0, ebx, 23, "CLFLUSHOPT"),
        (bank0, 40, 7, 0, ebx, 24, "CLWB"),
        (bank0, 58, 7, 0, ecx, 2, "UMIP"),
        (bank1, 17, 1, 0, ecx, 24, "TSC deadline"),
        (bank1, 18, 7, 0, ebx, 1, "TSC_ADJUST"),
        (bank1, 1, 0x8000_0007, 0, edx, 8, "invariant TSC"),
        (xsave, 0, 1, 0, ecx, 26, "XSAVE"),
        (xsave, 2, 1, 0, ecx, 28, "AVX"),
        (xsave, 3, 7, 0, ebx, 5, "AVX2"),
        (xsave, 6, 7, 0, ebx, 16, "AVX512F"),
        (xsave, 1, 0xd, 1, eax, 0, "XSAVEOPT"),
    ];
    for &(word, wbit, leaf, subleaf, reg, cbit, name) in checks {
        assert_eq!(
            word & (1 << wbit) != 0,
            bit(&cpuid, leaf, subleaf, reg, cbit),
            "{name}"
        );
    }
    // Bits with no CPUID source are never claimed: Npiep1 (bank 0 bit 30),
    // the reserved bits, NestedVirtSupport and VmxExceptionInjectSupport.
    assert_eq!(
        bank0 & ((1 << 27) | (1 << 28) | (1 << 30) | (1 << 47) | (1 << 63)),
        0
    );
    assert_eq!(bank1 & ((1 << 6) | (1 << 10) | !((1 << 22) - 1)), 0);

    let leaf1 = cpuid.iter().find(|e| e.function == 1).unwrap();
    assert_eq!(
        u32::from(cap(WHvCapabilityCodeProcessorClFlushSize)[0]),
        (leaf1.ebx >> 8) & 0xff
    );
    let leaf0 = cpuid.iter().find(|e| e.function == 0).unwrap();
    let vendor = [
        leaf0.ebx.to_le_bytes(),
        leaf0.edx.to_le_bytes(),
        leaf0.ecx.to_le_bytes(),
    ]
    .concat();
    let expected = match &vendor[..] {
        b"AuthenticAMD" => WHvProcessorVendorAmd,
        b"HygonGenuine" => WHvProcessorVendorHygon,
        _ => WHvProcessorVendorIntel,
    };
    assert_eq!(
        WHV_PROCESSOR_VENDOR(cap_u32(WHvCapabilityCodeProcessorVendor) as i32),
        expected
    );
}

#[test]
fn exits_claimed_are_exits_kvm_gives() {
    let Some(_) = supported_cpuid() else { return };
    let caps = winhv::kvm_caps().expect("KVM probe");
    let exits = cap_u64(WHvCapabilityCodeExtendedVmExits);
    assert_eq!(exits & 1, 0, "KVM cannot exit on CPUID");
    assert_eq!(exits & (1 << 3), 0, "KVM cannot exit on RDTSC");
    assert_eq!(
        exits & !0b10_0110,
        0,
        "only MSR, exception and hypercall exits can be claimed"
    );
    let msr_exits = caps.user_space_msr && caps.msr_filter;
    assert_eq!(exits & 0b10 != 0, msr_exits);
    // Hypercalls through the page the synthetic MSRs give the guest.
    assert_eq!(exits & 0b10_0000 != 0, msr_exits);
    assert_eq!(exits & 0b100 != 0, caps.guest_debug_sw_bp);
    let bitmap = cap_u64(WHvCapabilityCodeExceptionExitBitmap);
    assert_eq!(bitmap, if caps.guest_debug_sw_bp { 1 << 3 } else { 0 });
    let msr = cap_u64(WHvCapabilityCodeX64MsrExitBitmap);
    assert_eq!(msr & 1 != 0, msr_exits);
    assert_eq!(msr & !0b11_1111, 0);
    let features = cap_u64(WHvCapabilityCodeFeatures);
    assert_eq!(features & 1, 1, "PartialUnmap");
    assert_eq!(features & 2 != 0, caps.split_irqchip, "LocalApicEmulation");
    assert_eq!(
        features & 0b11_1110_0000,
        0,
        "no APIC remote read, idle suspend, VPCI, IOMMU, VP hot add/remove"
    );
    // The synthetic features winhv answers in user space, where the MSR
    // filter exists (the SynIC also needs the split irqchip, the reference
    // TSC page a known TSC rate); no frequency cap, no scheduler features.
    let synthetic = cap(WHvCapabilityCodeSyntheticProcessorFeaturesBanks);
    assert_eq!(u32::from_le_bytes(synthetic[0..4].try_into().unwrap()), 1);
    assert_eq!(synthetic[4..8], [0; 4]);
    let bank0 = u64::from_le_bytes(synthetic[8..16].try_into().unwrap());
    let mut want = 0;
    if msr_exits {
        // HypervisorPresent, Hv1, AccessPartitionReferenceCounter,
        // AccessHypercallRegs, AccessVpIndex.
        want = 0b1_1000_1011;
        let tsc_known = cap_u64(WHvCapabilityCodeProcessorClockFrequency) != 0;
        if caps.split_irqchip {
            want |= 1 << 4; // AccessSynicRegs
        }
        if tsc_known {
            want |= 1 << 9; // AccessPartitionReferenceTsc
        }
        if caps.split_irqchip && tsc_known {
            want |= 1 << 5; // AccessSyntheticTimerRegs
        }
    }
    assert_eq!(bank0, want);
    assert!(
        cap(WHvCapabilityCodeProcessorFrequencyCap)
            .iter()
            .all(|&b| b == 0)
    );
    assert_eq!(cap_u64(WHvCapabilityCodeSchedulerFeatures), 0);
    let interrupt_hz = cap_u64(WHvCapabilityCodeInterruptClockFrequency);
    assert_eq!(
        interrupt_hz,
        if caps.split_irqchip { 1_000_000_000 } else { 0 }
    );
}

#[test]
fn processor_clock_is_kvm_tsc_rate() {
    let Some(_) = supported_cpuid() else { return };
    let kvm = kvm_ioctls::Kvm::new().unwrap();
    let vm = kvm.create_vm().unwrap();
    let vcpu = vm.create_vcpu(0).unwrap();
    let hz = cap_u64(WHvCapabilityCodeProcessorClockFrequency);
    match vcpu.get_tsc_khz() {
        Ok(khz) if khz != 0 => assert_eq!(hz, u64::from(khz) * 1000),
        _ => println!("KVM_GET_TSC_KHZ unavailable; the answer ({hz} Hz) comes from CPUID"),
    }
}
