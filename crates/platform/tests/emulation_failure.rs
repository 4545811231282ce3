//! MMIO accesses KVM's own emulator cannot perform (MOVQ, VEX moves): they
//! end `KVM_RUN` with an emulation failure, and winhv presents them as
//! Windows does — a MemoryAccess exit at the instruction, with its length,
//! bytes, GPA, GVA and direction —; emulated by winhv-emu they take effect
//! exactly once, and left alone (RIP not advanced) they exit again.
#![allow(unsafe_code, reason = "register values are C unions")]

mod differential;

use differential::vmm::{RamDevice, VmmCallbacks};
use differential::{TestVm, kvm_available};
use iced_x86::{Decoder, DecoderOptions, Instruction};
use winhv::defs::*;
use winhv_emu::Emulator;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const MMIO: u64 = 0x1000_0000;
const XMM0: u128 = 0x0102_0304_0506_0708_1122_3344_5566_7788;
const XMM1: u128 = 0xa1a2_a3a4_a5a6_a7a8_b1b2_b3b4_b5b6_b7b8;
const LOADED: u64 = 0xfeed_face_cafe_beef;
const FILL: u8 = 0xee;

/// The guest: `movq [rdi+8], xmm0`, `vmovdqu [rdi+0x20], xmm1`,
/// `movq xmm2, [rdi+0x40]` with RDI = MMIO, then HLT. Returns the guest,
/// its registers and the three instructions.
fn build(user: bool) -> (Guest, winhv_guest::registers::Registers, Vec<Instruction>) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    let end = g
        .assemble_at(64, entry, |a| {
            a.mov(rdi, MMIO)?;
            a.movq(qword_ptr(rdi + 8), xmm0)?;
            a.vmovdqu(xmmword_ptr(rdi + 0x20), xmm1)?;
            a.movq(xmm2, qword_ptr(rdi + 0x40))?;
            a.hlt()
        })
        .unwrap();
    let code = g.memory().as_bytes()[entry as usize..end as usize].to_vec();
    let insns: Vec<Instruction> = Decoder::with_ip(64, &code, entry, DecoderOptions::NONE)
        .into_iter()
        .collect();
    assert_eq!(insns.len(), 5, "mov, movq, vmovdqu, movq, hlt");
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    (g, regs, insns[1..4].to_vec())
}

fn xmm(vm: &TestVm, name: WHV_REGISTER_NAME) -> u128 {
    let mut v = [WHV_REGISTER_VALUE::default()];
    vm.p.get_vp_registers(0, &[name], &mut v).unwrap();
    // SAFETY: XMM registers come back through Reg128.
    let r = unsafe { v[0].Reg128 };
    // SAFETY: both views of WHV_UINT128 are plain data of the same size.
    let r = unsafe { r.Anonymous };
    u128::from(r.Low64) | (u128::from(r.High64) << 64)
}

fn set_xmm(vm: &TestVm, name: WHV_REGISTER_NAME, x: u128) {
    let v = WHV_REGISTER_VALUE {
        Reg128: WHV_UINT128 {
            Anonymous: WHV_UINT128_0 {
                Low64: x as u64,
                High64: (x >> 64) as u64,
            },
        },
    };
    vm.p.set_vp_registers(0, &[name], &[v]).unwrap();
}

/// Checks `x` is the MemoryAccess exit of `i`: at its RIP, its length and
/// bytes, the operand's GPA (= GVA, identity-mapped) and direction.
fn check_exit(x: &WHV_RUN_VP_EXIT_CONTEXT, i: &Instruction, gpa: u64, write: bool, user: bool) {
    check_exit_at(x, i, gpa, gpa, write, user);
}

/// As [`check_exit`], with the GVA expected.
fn check_exit_at(
    x: &WHV_RUN_VP_EXIT_CONTEXT,
    i: &Instruction,
    gpa: u64,
    gva: u64,
    write: bool,
    user: bool,
) {
    assert_eq!(
        x.ExitReason,
        WHvRunVpExitReasonMemoryAccess,
        "exit for {:?} (not {:?})",
        i.code(),
        x.ExitReason
    );
    assert_eq!(x.VpContext.Rip, i.ip(), "RIP at {:?}", i.code());
    assert_eq!(usize::from(x.VpContext.instruction_length()), i.len());
    assert_eq!(x.VpContext.ExecutionState.cpl(), if user { 3 } else { 0 });
    // SAFETY: MemoryAccess is the live member.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, gpa, "GPA of {:?}", i.code());
    assert_eq!(m.Gva, gva, "GVA of {:?}", i.code());
    assert_eq!(m.AccessInfo.gva_valid(), 1);
    assert_eq!(m.AccessInfo.gpa_unmapped(), 1);
    assert_eq!(
        m.AccessInfo.access_type(),
        u32::from(write),
        "direction of {:?}",
        i.code()
    );
    assert!(usize::from(m.InstructionByteCount) >= i.len());
}

fn emulate(vm: &TestVm, emu: &mut Emulator, dev: &mut RamDevice, x: &WHV_RUN_VP_EXIT_CONTEXT) {
    // SAFETY: MemoryAccess is the live member (checked by the caller).
    let m = unsafe { x.Anonymous.MemoryAccess };
    let mut cb = VmmCallbacks { p: &vm.p, dev };
    let status = emu
        .try_mmio_emulation(&mut cb, &x.VpContext, &m)
        .expect("try_mmio_emulation");
    assert_ne!(status.emulation_successful(), 0, "winhv-emu emulated it");
}

fn exactly_once(user: bool) {
    if !kvm_available() {
        return;
    }
    let (g, regs, insns) = build(user);
    let vm = TestVm::new(&g, &regs);
    set_xmm(&vm, WHvX64RegisterXmm0, XMM0);
    set_xmm(&vm, WHvX64RegisterXmm1, XMM1);
    set_xmm(&vm, WHvX64RegisterXmm2, 0);
    let mut dev = RamDevice {
        base: MMIO,
        bytes: vec![FILL; 0x80],
        ..Default::default()
    };
    dev.bytes[0x40..0x48].copy_from_slice(&LOADED.to_le_bytes());
    let mut emu = Emulator::new();
    let expected = [(MMIO + 8, true), (MMIO + 0x20, true), (MMIO + 0x40, false)];

    // Not emulated, RIP left: the store exits again, nothing happened.
    let first = vm.run();
    check_exit(&first, &insns[0], expected[0].0, true, user);
    let again = vm.run();
    check_exit(&again, &insns[0], expected[0].0, true, user);
    assert_eq!(dev.accesses, 0);

    emulate(&vm, &mut emu, &mut dev, &again);
    for (i, &(gpa, write)) in insns.iter().zip(&expected).skip(1) {
        let x = vm.run();
        check_exit(&x, i, gpa, write, user);
        emulate(&vm, &mut emu, &mut dev, &x);
    }
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64Halt,
        "each access exited once"
    );
    let mut want = vec![FILL; 0x80];
    want[8..16].copy_from_slice(&(XMM0 as u64).to_le_bytes());
    want[0x20..0x30].copy_from_slice(&XMM1.to_le_bytes());
    want[0x40..0x48].copy_from_slice(&LOADED.to_le_bytes());
    assert_eq!(dev.bytes, want, "the device got exactly the stores");
    assert_eq!(xmm(&vm, WHvX64RegisterXmm0), XMM0);
    assert_eq!(xmm(&vm, WHvX64RegisterXmm1), XMM1);
    assert_eq!(
        xmm(&vm, WHvX64RegisterXmm2),
        u128::from(LOADED),
        "movq zero-extends the load"
    );
}

#[test]
fn sse_and_vex_mmio_exactly_once_cpl3() {
    exactly_once(true);
}

#[test]
fn sse_and_vex_mmio_exactly_once_cpl0() {
    exactly_once(false);
}

/// `vmovdqu [p], xmm1` whose first half is RAM and second half MMIO: the
/// exit is the MMIO part's (its page's GVA and GPA), and winhv-emu
/// completes both halves once.
fn split_across_ram_and_mmio(user: bool) {
    if !kvm_available() {
        return;
    }
    const VA: u64 = 0x4000_0000;
    const RAM: u64 = 0x10_0000;
    let mut g = Guest::new(0, 1 << 21).unwrap();
    g.map_4k(VA, RAM, winhv_guest::pte::RW_USER).unwrap();
    g.map_4k(VA + 0x1000, MMIO, winhv_guest::pte::RW_USER)
        .unwrap();
    let entry = g.layout().code;
    let end = g
        .assemble_at(64, entry, |a| {
            a.mov(rdi, VA + 0xff8)?;
            a.vmovdqu(xmmword_ptr(rdi), xmm1)?;
            a.hlt()
        })
        .unwrap();
    let code = g.memory().as_bytes()[entry as usize..end as usize].to_vec();
    let insns: Vec<Instruction> = Decoder::with_ip(64, &code, entry, DecoderOptions::NONE)
        .into_iter()
        .collect();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    let vm = TestVm::new(&g, &regs);
    set_xmm(&vm, WHvX64RegisterXmm1, XMM1);
    let mut dev = RamDevice {
        base: MMIO,
        bytes: vec![FILL; 0x10],
        ..Default::default()
    };
    let x = vm.run();
    // The MMIO part's own page: GVA and GPA map to each other.
    check_exit_at(&x, &insns[1], MMIO, VA + 0x1000, true, user);
    emulate(&vm, &mut Emulator::new(), &mut dev, &x);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    let mut ram = [0u8; 8];
    vm.p.read_gpa_range(RAM + 0xff8, &mut ram).unwrap();
    assert_eq!(u64::from_le_bytes(ram), XMM1 as u64, "the RAM half");
    let mut want = vec![FILL; 0x10];
    want[..8].copy_from_slice(&((XMM1 >> 64) as u64).to_le_bytes());
    assert_eq!(dev.bytes, want, "the MMIO half, once");
}

#[test]
fn split_across_ram_and_mmio_cpl3() {
    split_across_ram_and_mmio(true);
}

#[test]
fn split_across_ram_and_mmio_cpl0() {
    split_across_ram_and_mmio(false);
}
