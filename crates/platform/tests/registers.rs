//! Registers through the public API (WHvGet/SetVirtualProcessorRegisters):
//! values set before the first run and after an exit reach a CPL3 guest,
//! which the processor runs natively (the hardware is the oracle, not
//! KVM's emulator); unbacked names fail the whole batch.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

fn r128(x: u128) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg128 = WHV_UINT128 {
        Anonymous: WHV_UINT128_0 {
            Low64: x as u64,
            High64: (x >> 64) as u64,
        },
    };
    v
}

/// The data of an I/O write exit at `port`; the VMM then skips the OUT.
fn out(vm: &TestVm, port: u16) -> u32 {
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    // SAFETY: the exit reason says IoPortAccess is the live member.
    let io = unsafe { x.Anonymous.IoPortAccess };
    assert_eq!(io.PortNumber, port);
    vm.skip(&x);
    io.Rax as u32
}

#[test]
fn a_native_guest_sees_registers_set_before_and_between_runs() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(eax, r9d)?;
        a.out(0x10, eax)?;
        a.movd(eax, xmm3)?;
        a.out(0x11, eax)?;
        a.mov(eax, r9d)?;
        a.out(0x12, eax)?;
        a.psrldq(xmm3, 4)?;
        a.movd(eax, xmm3)?;
        a.out(0x13, eax)?;
        a.movd(eax, xmm3)?;
        a.out(0x14, eax)
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    let vm = TestVm::new(&g, &regs);
    // SSE on (OSFXSR, OSXMMEXCPT), whatever the builder chose.
    let old_cr4 = vm.reg(WHvX64RegisterCr4);
    vm.set_reg(WHvX64RegisterCr4, old_cr4 | 0x600);

    let want = 0xaabb_ccdd_1122_3344_5566_7788_99aa_bbcc_u128;
    vm.p.set_vp_registers(0, &[WHvX64RegisterXmm3], &[r128(want)])
        .unwrap();
    vm.set_reg(WHvX64RegisterR9, 0x1234_5678);
    assert_eq!(out(&vm, 0x10), 0x1234_5678, "R9 set before the first run");
    assert_eq!(out(&vm, 0x11), want as u32, "XMM3 set before the first run");
    // Between exits: general registers go through kvm_run's sync area, XMM
    // through KVM_SET_XSAVE.
    vm.set_reg(WHvX64RegisterR9, 0xcafe_f00d);
    let want = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10_u128;
    vm.p.set_vp_registers(0, &[WHvX64RegisterXmm3], &[r128(want)])
        .unwrap();
    assert_eq!(out(&vm, 0x12), 0xcafe_f00d, "R9 set after an exit");
    assert_eq!(
        out(&vm, 0x13),
        (want >> 32) as u32,
        "XMM3 set after an exit"
    );
    // The guest's own change (PSRLDQ) reads back.
    let mut v = [WHV_REGISTER_VALUE::default()];
    vm.p.get_vp_registers(0, &[WHvX64RegisterXmm3], &mut v)
        .unwrap();
    // SAFETY: XMM registers are returned through Reg128.
    let reg128 = unsafe { v[0].Reg128 };
    // SAFETY: all 16 bytes of the value are written.
    let got = unsafe { reg128.Anonymous };
    assert_eq!(
        u128::from(got.Low64) | u128::from(got.High64) << 64,
        want >> 32
    );
    assert_eq!(out(&vm, 0x14), (want >> 32) as u32);
}

#[test]
fn unbacked_names_fail_the_batch_through_the_api() {
    if !kvm_available() {
        return;
    }
    let p = common::partition(1);
    common::set64(&p, 0, WHvX64RegisterRbx, 5);
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = 6;
    for bad in [
        WHvRegisterSint3,
        WHvX64RegisterVirtualCr4,
        WHV_REGISTER_NAME(0x1234_5678),
    ] {
        let e = p
            .set_vp_registers(0, &[WHvX64RegisterRbx, bad], &[v, v])
            .unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{bad:?}");
        let mut out = [WHV_REGISTER_VALUE::default(); 2];
        let e = p
            .get_vp_registers(0, &[WHvX64RegisterRbx, bad], &mut out)
            .unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{bad:?}");
    }
    assert_eq!(common::get64(&p, 0, WHvX64RegisterRbx), 5);
}
