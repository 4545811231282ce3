//! Every capability bit this kernel reports works: for each bit set in
//! WHvCapabilityCodeFeatures, ExtendedVmExits, X64MsrExitBitmap and
//! ExceptionExitBitmap, the test calls the function, sets the property or
//! runs the guest that the bit gates, as a Windows caller that gates on the
//! bit would. A reported bit without a check here fails the test, so a new
//! capability cannot be claimed without one. The processor-feature codes
//! are checked the same way: their answers are accepted back as the
//! partition properties of the same name.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, kvm_available};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

fn cap_u64(code: WHV_CAPABILITY_CODE) -> u64 {
    let mut b = [0u8; 8];
    winhv::get_capability(code, &mut b).unwrap();
    u64::from_le_bytes(b)
}

/// The bits set in `v`.
fn bits(v: u64) -> impl Iterator<Item = u32> {
    (0..64).filter(move |b| v & (1 << b) != 0)
}

/// A partition with `before_setup` applied, set up, with VP 0, running
/// `build` (CPL0 or CPL3 long mode) from memory mapped with `flags`.
fn vm_with(
    user: bool,
    flags: WHV_MAP_GPA_RANGE_FLAGS,
    before_setup: impl FnOnce(&Partition),
    build: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>,
) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, build).unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    let image = g.memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    before_setup(&p);
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // SAFETY: `mem` lives in the returned TestVm, which drops `p` first.
    unsafe { p.map_gpa_range(mem.ptr.cast(), image.base(), image.size(), flags) }.unwrap();
    common::set_registers(&p, 0, &regs);
    TestVm { p, mem }
}

/// A new partition with one processor, not set up.
fn one_vp_partition() -> Partition {
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p
}

fn set_u64(p: &Partition, code: WHV_PARTITION_PROPERTY_CODE, v: u64) {
    p.set_property(code, &v.to_le_bytes())
        .unwrap_or_else(|e| panic!("property {code:?} = {v:#x}: {e}"));
}

fn msr_exits(p: &Partition, bitmap: u64) {
    let mut ext = WHV_EXTENDED_VM_EXITS::default();
    ext.set_x64_msr_exit(1);
    set_u64(p, WHvPartitionPropertyCodeExtendedVmExits, ext.AsUINT64);
    set_u64(p, WHvPartitionPropertyCodeX64MsrExitBitmap, bitmap);
}

/// The next exit is an MSR access to `msr` in direction `write`.
fn expect_msr_exit(vm: &TestVm, msr: u32, write: bool) {
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64MsrAccess,
        "MSR {msr:#x} write {write}: no MSR exit"
    );
    // SAFETY: the exit reason says MsrAccess is the live member.
    let m = unsafe { x.Anonymous.MsrAccess };
    assert_eq!((m.MsrNumber, m.AccessInfo.is_write() != 0), (msr, write));
}

fn check_partial_unmap() {
    let p = common::partition(1);
    let mem = HostMem::rw(0x3000);
    mem.write(0, &[1; 0x1000]);
    mem.write(0x2000, &[3; 0x1000]);
    // SAFETY: `mem` stays mapped until after `p` is dropped (below).
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0x10_0000, 0x3000, common::rwx()) }.unwrap();
    p.unmap_gpa_range(0x10_1000, 0x1000).unwrap();
    let mut b = [0u8; 16];
    p.read_gpa_range(0x10_0000, &mut b).unwrap();
    assert_eq!(b[0], 1);
    p.read_gpa_range(0x10_2000, &mut b).unwrap();
    assert_eq!(b[0], 3);
    assert!(
        p.read_gpa_range(0x10_1000, &mut b).is_err(),
        "the unmapped middle page"
    );
    drop(p);
    drop(mem);
}

fn check_local_apic_emulation() {
    for mode in [
        WHvX64LocalApicEmulationModeXApic,
        WHvX64LocalApicEmulationModeX2Apic,
    ] {
        let p = one_vp_partition();
        let r = p.set_property(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &mode.0.to_le_bytes(),
        );
        if mode == WHvX64LocalApicEmulationModeX2Apic {
            let x2apic_cpuid = winhv::host_capabilities()
                .supported_cpuid()
                .iter()
                .any(|e| e.function == 1 && e.ecx & (1 << 21) != 0);
            if !x2apic_cpuid {
                assert!(
                    r.is_err(),
                    "X2Apic needs CPUID x2APIC, which KVM lacks here"
                );
                continue;
            }
        }
        r.unwrap_or_else(|e| panic!("LocalApicEmulationMode {}: {e}", mode.0));
        p.setup().unwrap();
        p.create_vp(0).unwrap();
        assert_eq!(common::get64(&p, 0, WHvX64RegisterApicId), 0);
        assert_eq!(common::get64(&p, 0, WHvX64RegisterApicVersion) & 0xff, 0x14);
    }
}

fn check_xsave() {
    let p = common::partition(1);
    let size = p.vp_xsave_state_size(0).unwrap() as usize;
    assert!(size >= 576);
    let mut state = vec![0u8; size];
    assert_eq!(p.get_vp_xsave_state(0, &mut state).unwrap() as usize, size);
    p.set_vp_xsave_state(0, &state).unwrap();
}

fn check_dirty_page_tracking() {
    const PAGE: u64 = 0x4_0000;
    let vm = vm_with(
        true,
        common::rwx() | WHvMapGpaRangeFlagTrackDirtyPages,
        |_| {},
        |a| {
            a.mov(rdi, PAGE)?;
            a.mov(qword_ptr(rdi), 1)?;
            a.hlt()
        },
    );
    let size = vm.mem.len as u64;
    let mut bitmap = vec![0u64; (size / 0x1000).div_ceil(64) as usize];
    // Clear what loading the image dirtied.
    vm.p.query_gpa_range_dirty_bitmap(0, size, Some(&mut bitmap))
        .unwrap();
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    vm.p.query_gpa_range_dirty_bitmap(0, size, Some(&mut bitmap))
        .unwrap();
    let page = (PAGE / 0x1000) as usize;
    assert_ne!(
        bitmap[page / 64] & (1 << (page % 64)),
        0,
        "the page written"
    );
}

fn check_speculation_control() {
    let offered = cap_u64(WHvCapabilityCodeProcessorFeatures);
    let speculation = offered & ((1 << 44) | (1 << 45) | (1 << 46) | (1 << 48));
    assert_ne!(
        speculation, 0,
        "SpeculationControl reported without a feature"
    );
    let p = one_vp_partition();
    set_u64(&p, WHvPartitionPropertyCodeProcessorFeatures, offered);
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // IBRS, STIBP and SSBD live in IA32_SPEC_CTRL (IBPB is a command).
    if offered & ((1 << 44) | (1 << 45) | (1 << 48)) != 0 {
        common::set64(&p, 0, WHvX64RegisterSpecCtrl, 0);
        assert_eq!(common::get64(&p, 0, WHvX64RegisterSpecCtrl), 0);
    }
}

fn check_msr_exit() {
    let vm = vm_with(
        false,
        common::rwx(),
        |p| msr_exits(p, 0),
        |a| {
            a.mov(ecx, 0x4000_1234u32)?;
            a.rdmsr()?;
            a.hlt()
        },
    );
    expect_msr_exit(&vm, 0x4000_1234, false);
}

fn check_exception_exit() {
    let vm = vm_with(
        false,
        common::rwx(),
        |p| {
            let mut ext = WHV_EXTENDED_VM_EXITS::default();
            ext.set_exception_exit(1);
            set_u64(p, WHvPartitionPropertyCodeExtendedVmExits, ext.AsUINT64);
            set_u64(
                p,
                WHvPartitionPropertyCodeExceptionExitBitmap,
                cap_u64(WHvCapabilityCodeExceptionExitBitmap),
            );
        },
        |a| {
            a.int3()?;
            a.hlt()
        },
    );
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonException);
    // SAFETY: the exit reason says VpException is the live member.
    assert_eq!(unsafe { x.Anonymous.VpException }.ExceptionType, 3);
}

/// HypercallExit: a call through the hypercall page (the synthetic
/// features' HV_X64_MSR_HYPERCALL, `tests/synic.rs` has the details)
/// exits with the call's registers.
fn check_hypercall_exit() {
    const PAGE: u64 = 0x10_0000;
    let vm = vm_with(
        false,
        common::rwx(),
        |p| {
            let mut ext = WHV_EXTENDED_VM_EXITS::default();
            ext.set_hypercall_exit(1);
            set_u64(p, WHvPartitionPropertyCodeExtendedVmExits, ext.AsUINT64);
            // HypervisorPresent, Hv1, AccessHypercallRegs.
            let banks = [&1u32.to_le_bytes()[..], &[0; 4], &0x83u64.to_le_bytes()].concat();
            p.set_property(
                WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
                &banks,
            )
            .unwrap();
        },
        |a| {
            a.mov(ecx, 0x4000_0000u32)?; // GUEST_OS_ID
            a.mov(eax, 1u32)?;
            a.xor(edx, edx)?;
            a.wrmsr()?;
            a.mov(ecx, 0x4000_0001u32)?; // HYPERCALL: the page at PAGE
            a.mov(eax, PAGE as u32 | 1)?;
            a.wrmsr()?;
            a.mov(rcx, 0x42u64)?;
            a.mov(rax, PAGE)?;
            a.call(rax)?;
            a.hlt()
        },
    );
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonHypercall);
    assert_eq!(x.VpContext.Rip, PAGE);
    // SAFETY: the exit reason says Hypercall is the live member.
    assert_eq!(unsafe { x.Anonymous.Hypercall }.Rcx, 0x42);
}

/// X64MsrExitBitmap bit `bit`: the guest access it names exits.
fn check_msr_exit_bitmap_bit(bit: u32) {
    let (msr, write) = match bit {
        0 => (0x4000_1234, false), // UnhandledMsrs
        1 => (0x10, true),         // TscMsrWrite
        2 => (0x10, false),        // TscMsrRead
        3 => (0x1b, true),         // ApicBaseMsrWrite
        4 => (0x1a0, false),       // MiscEnableMsrRead
        5 => (0x8b, false),        // McUpdatePatchLevelMsrRead
        _ => panic!("X64MsrExitBitmap bit {bit} is reported but has no check"),
    };
    let vm = vm_with(
        false,
        common::rwx(),
        |p| msr_exits(p, 1 << bit),
        |a| {
            a.mov(ecx, msr)?;
            if write {
                // Write back what is there (the read itself does not exit).
                a.rdmsr()?;
                a.wrmsr()?;
            } else {
                a.rdmsr()?;
            }
            a.hlt()
        },
    );
    expect_msr_exit(&vm, msr, write);
}

#[test]
fn every_reported_feature_works() {
    if !kvm_available() {
        return;
    }
    let features = cap_u64(WHvCapabilityCodeFeatures);
    println!("Features {features:#x}");
    for bit in bits(features) {
        match bit {
            0 => check_partial_unmap(),
            1 => check_local_apic_emulation(),
            2 => check_xsave(),
            3 => check_dirty_page_tracking(),
            4 => check_speculation_control(),
            _ => panic!("Features bit {bit} is reported but has no check"),
        }
    }
}

#[test]
fn every_reported_extended_exit_works() {
    if !kvm_available() {
        return;
    }
    let exits = cap_u64(WHvCapabilityCodeExtendedVmExits);
    println!("ExtendedVmExits {exits:#x}");
    for bit in bits(exits) {
        match bit {
            1 => {
                check_msr_exit();
                let bitmap = cap_u64(WHvCapabilityCodeX64MsrExitBitmap);
                println!("X64MsrExitBitmap {bitmap:#x}");
                bits(bitmap).for_each(check_msr_exit_bitmap_bit);
            }
            2 => {
                let vectors = cap_u64(WHvCapabilityCodeExceptionExitBitmap);
                println!("ExceptionExitBitmap {vectors:#x}");
                for v in bits(vectors) {
                    assert_eq!(v, 3, "exception {v} is reported but has no check");
                }
                check_exception_exit();
            }
            5 => check_hypercall_exit(),
            _ => panic!("ExtendedVmExits bit {bit} is reported but has no check"),
        }
    }
    // Nothing gated by a bit that is not reported can be turned on.
    let p = Partition::create().unwrap();
    for bit in bits(!exits & ((1 << 15) - 1)) {
        assert!(
            p.set_property(
                WHvPartitionPropertyCodeExtendedVmExits,
                &(1u64 << bit).to_le_bytes()
            )
            .is_err(),
            "ExtendedVmExits bit {bit} accepted although not reported"
        );
    }
    if exits & 2 == 0 {
        assert_eq!(cap_u64(WHvCapabilityCodeX64MsrExitBitmap), 0);
    }
    if exits & 4 == 0 {
        assert_eq!(cap_u64(WHvCapabilityCodeExceptionExitBitmap), 0);
    }
}

#[test]
fn processor_capabilities_are_accepted_as_properties() {
    if !kvm_available() {
        return;
    }
    let p = one_vp_partition();
    for (cap, prop, len) in [
        (
            WHvCapabilityCodeProcessorFeatures,
            WHvPartitionPropertyCodeProcessorFeatures,
            8,
        ),
        (
            WHvCapabilityCodeProcessorXsaveFeatures,
            WHvPartitionPropertyCodeProcessorXsaveFeatures,
            8,
        ),
        (
            WHvCapabilityCodeProcessorPerfmonFeatures,
            WHvPartitionPropertyCodeProcessorPerfmonFeatures,
            8,
        ),
        (
            WHvCapabilityCodeProcessorClFlushSize,
            WHvPartitionPropertyCodeProcessorClFlushSize,
            1,
        ),
        (
            WHvCapabilityCodeProcessorClockFrequency,
            WHvPartitionPropertyCodeProcessorClockFrequency,
            8,
        ),
        (
            WHvCapabilityCodeProcessorFeaturesBanks,
            WHvPartitionPropertyCodeProcessorFeaturesBanks,
            24,
        ),
        (
            WHvCapabilityCodeSyntheticProcessorFeaturesBanks,
            WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
            16,
        ),
    ] {
        let mut b = [0u8; 24];
        assert_eq!(winhv::get_capability(cap, &mut b).unwrap() as usize, len);
        if cap == WHvCapabilityCodeProcessorClockFrequency && b[..8] == [0; 8] {
            continue; // unknown rate: nothing to give back
        }
        p.set_property(prop, &b[..len])
            .unwrap_or_else(|e| panic!("{prop:?} = capability {cap:?}: {e}"));
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // With LAPIC emulation, the interrupt clock too.
    let hz = cap_u64(WHvCapabilityCodeInterruptClockFrequency);
    if cap_u64(WHvCapabilityCodeFeatures) & 2 != 0 {
        let p = one_vp_partition();
        p.set_property(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &WHvX64LocalApicEmulationModeXApic.0.to_le_bytes(),
        )
        .unwrap();
        set_u64(&p, WHvPartitionPropertyCodeInterruptClockFrequency, hz);
        p.setup().unwrap();
        p.create_vp(0).unwrap();
    } else {
        assert_eq!(hz, 0);
    }
}
