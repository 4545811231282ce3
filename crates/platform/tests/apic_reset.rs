//! The local APIC's state after VP creation with LocalApicEmulationMode
//! xApic or x2Apic is the state Windows gives (openvmm's APIC reset state,
//! `vmm_core/virt/src/x86/vp.rs` `Apic::at_reset`, which its WHP backend
//! sets; see `registers/apic.rs`): every LVT masked, SVR 0xff, version
//! 0x0005_0014, DFR all ones, ID = VP index, in xAPIC mode. Read through
//! WHvGetVirtualProcessorRegisters and by a guest through the APIC page,
//! which also sends itself an IPI before enabling the APIC, as a guest may.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, kvm_available};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;

/// (register, value after VP creation), for VP `vp`.
fn reset_values(vp: u32) -> Vec<(WHV_REGISTER_NAME, u64)> {
    let masked = 0x1_0000;
    let mut v = vec![
        (
            WHvX64RegisterApicBase,
            0xfee0_0800 | if vp == 0 { 0x100 } else { 0 },
        ),
        (WHvX64RegisterApicId, u64::from(vp)),
        (WHvX64RegisterApicVersion, 0x0005_0014),
        (WHvX64RegisterApicTpr, 0),
        (WHvX64RegisterApicPpr, 0),
        (WHvX64RegisterApicLdr, 0),
        (WHvX64RegisterApicSpurious, 0xff),
        (WHvX64RegisterApicEse, 0),
        (WHvX64RegisterApicIcr, 0),
        (WHvX64RegisterApicLvtTimer, masked),
        (WHvX64RegisterApicLvtThermal, masked),
        (WHvX64RegisterApicLvtPerfmon, masked),
        (WHvX64RegisterApicLvtLint0, masked),
        (WHvX64RegisterApicLvtLint1, masked),
        (WHvX64RegisterApicLvtError, masked),
        (WHvX64RegisterApicInitCount, 0),
        (WHvX64RegisterApicCurrentCount, 0),
        (WHvX64RegisterApicDivide, 0),
    ];
    for i in 0..8 {
        v.push((WHV_REGISTER_NAME(WHvX64RegisterApicIsr0.0 + i), 0));
        v.push((WHV_REGISTER_NAME(WHvX64RegisterApicTmr0.0 + i), 0));
        v.push((WHV_REGISTER_NAME(WHvX64RegisterApicIrr0.0 + i), 0));
    }
    v
}

/// A set-up partition in `mode` with `vps` VPs, or `None` (with a SKIPPED
/// line) where KVM refuses the mode.
fn partition(mode: WHV_X64_LOCAL_APIC_EMULATION_MODE, vps: u32) -> Option<Partition> {
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &vps.to_le_bytes())
        .unwrap();
    if let Err(e) = p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &mode.0.to_le_bytes(),
    ) {
        let caps = winhv::kvm_caps().unwrap();
        let x2apic_cpuid = winhv::host_capabilities()
            .supported_cpuid()
            .iter()
            .any(|e| e.function == 1 && e.ecx & (1 << 21) != 0);
        assert!(
            !caps.split_irqchip || (mode == WHvX64LocalApicEmulationModeX2Apic && !x2apic_cpuid),
            "LocalApicEmulationMode {} refused although KVM can: {e}",
            mode.0
        );
        println!(
            "SKIPPED: LocalApicEmulationMode {} refused here: {e}",
            mode.0
        );
        return None;
    }
    p.setup().unwrap();
    for i in 0..vps {
        p.create_vp(i).unwrap();
    }
    Some(p)
}

fn read(p: &Partition, vp: u32, name: WHV_REGISTER_NAME) -> u64 {
    common::get64(p, vp, name)
}

#[test]
fn registers_after_vp_creation_are_windows_reset_values() {
    if !kvm_available() {
        return;
    }
    for mode in [
        WHvX64LocalApicEmulationModeXApic,
        WHvX64LocalApicEmulationModeX2Apic,
    ] {
        let Some(p) = partition(mode, 2) else {
            continue;
        };
        for vp in 0..2 {
            for (name, want) in reset_values(vp) {
                assert_eq!(
                    read(&p, vp, name),
                    want,
                    "mode {} VP {vp}: {name:?}",
                    mode.0
                );
            }
        }
    }
}

/// Where the guest stores what it read from the APIC page.
const DATA: u64 = 0x3_0000;
const APIC: u64 = 0xfee0_0000;
/// APIC page offsets the guest reads, in the order it stores them.
const PAGE_READS: [u32; 10] = [
    0x20, 0x30, 0x80, 0xd0, 0xe0, 0xf0, 0x320, 0x350, 0x360, 0x370,
];
/// Port of the guest's last instruction (a HLT would wait for the IPI).
const DONE_PORT: u16 = 0x99;

#[test]
fn a_guest_sees_them_and_its_early_self_ipi_is_not_accepted() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        use winhv_guest::asm::code_asm::*;
        a.mov(rsi, APIC)?;
        a.mov(rdi, DATA)?;
        for (i, off) in PAGE_READS.iter().enumerate() {
            a.mov(eax, dword_ptr(rsi + *off))?;
            a.mov(dword_ptr(rdi + 4 * i as u32), eax)?;
        }
        // A fixed self-IPI, vector 0x40, before the APIC is enabled: IRR
        // (vectors 0x40-0x5f) afterwards.
        a.mov(dword_ptr(rsi + 0x300), 0x0004_0040)?;
        a.mov(eax, dword_ptr(rsi + 0x220))?;
        a.mov(dword_ptr(rdi + 0x40), eax)?;
        // Enabled (SVR bit 8): the same IPI is accepted (IF is 0, so it
        // stays in the IRR).
        a.mov(dword_ptr(rsi + 0xf0), 0x1ff)?;
        a.mov(dword_ptr(rsi + 0x300), 0x0004_0040)?;
        a.mov(eax, dword_ptr(rsi + 0x220))?;
        a.mov(dword_ptr(rdi + 0x44), eax)?;
        a.out(u32::from(DONE_PORT), al)
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let image = g.memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let Some(p) = partition(WHvX64LocalApicEmulationModeXApic, 1) else {
        return;
    };
    // SAFETY: `mem` lives in the TestVm, which drops `p` first.
    unsafe { p.map_gpa_range(mem.ptr.cast(), image.base(), image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &regs);
    let vm = TestVm { p, mem };
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    // SAFETY: the exit reason says IoPortAccess is the live member.
    assert_eq!(unsafe { x.Anonymous.IoPortAccess }.PortNumber, DONE_PORT);
    let at = |i: usize| {
        let b = vm.mem.bytes();
        let o = DATA as usize + 4 * i;
        u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
    };
    let masked = 0x1_0000;
    let want = [
        0,           // ID (VP 0) << 24
        0x0005_0014, // version
        0,           // TPR
        0,           // LDR
        0xffff_ffff, // DFR: flat model
        0xff,        // SVR: software-disabled
        masked,      // LVT timer
        masked,      // LVT LINT0
        masked,      // LVT LINT1
        masked,      // LVT error
    ];
    for (i, (off, w)) in PAGE_READS.iter().zip(want).enumerate() {
        assert_eq!(at(i), w, "APIC page offset {off:#x}");
    }
    assert_eq!(at(0x10), 0, "a disabled APIC does not accept a fixed IPI");
    assert_eq!(at(0x11), 1, "the enabled APIC does (vector 0x40 pending)");
}
