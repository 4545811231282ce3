//! SSE arithmetic, compares, conversions, shuffles and MXCSR moves with
//! the operand in MMIO: results against Rust's IEEE arithmetic and
//! written-out lane references, MXCSR's flags, and the faults the CPU
//! raises (#GP for a misaligned 16-byte operand, #XM for an unmasked
//! exception, #NM with CR0.TS, #UD with CR0.EM or without CR4.OSFXSR).

mod common;
use common::*;
use iced_x86::code_asm::{self as x, CodeAssembler, IcedError};

fn asm(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(64).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x1000).unwrap()
}

fn f32s(v: [f32; 4]) -> u128 {
    v.iter()
        .enumerate()
        .fold(0, |a, (i, x)| a | (u128::from(x.to_bits()) << (32 * i)))
}

/// A long-mode VP with SSE enabled (CR4.OSFXSR, OSXMMEXCPT), RBX at MMIO.
fn sse_vp() -> Vp {
    let mut vp = Vp::long();
    vp.cr4 = 0x600;
    vp.gpr[RBX] = MMIO;
    vp
}

fn mxcsr(vp: &Vp) -> u32 {
    (vp.xmmcs >> 64) as u32
}

#[test]
fn packed_and_scalar_arithmetic() {
    let a = [1.5f32, -2.0, 1e30, 3.0];
    let b = [0.25f32, 8.0, 1e30, 7.0];
    for (code, want) in [
        (
            asm(|a| a.addps(x::xmm1, x::xmmword_ptr(x::rbx))),
            f32s([1.75, 6.0, 2e30, 10.0]),
        ),
        (
            asm(|a| a.mulps(x::xmm1, x::xmmword_ptr(x::rbx))),
            f32s([0.375, -16.0, f32::INFINITY, 21.0]),
        ),
        (
            asm(|a| a.divss(x::xmm1, x::dword_ptr(x::rbx))),
            f32s([6.0, -2.0, 1e30, 3.0]),
        ),
        (
            asm(|a| a.minps(x::xmm1, x::xmmword_ptr(x::rbx))),
            f32s([0.25, -2.0, 1e30, 3.0]),
        ),
    ] {
        let mut vp = sse_vp();
        vp.xmm[1] = f32s(a);
        vp.poke(MMIO, &f32s(b).to_le_bytes());
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(pending(&vp), None);
        assert_eq!(vp.xmm[1], want, "{code:02x?}");
    }
    // 1e30 * 1e30 overflows (masked): OE and PE set in MXCSR.
    let mut vp = sse_vp();
    vp.xmm[1] = f32s(a);
    vp.poke(MMIO, &f32s(b).to_le_bytes());
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.mulps(x::xmm1, x::xmmword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(mxcsr(&vp), 0x1f80 | 0x8 | 0x20);
}

#[test]
fn sixteen_byte_operands_must_be_aligned() {
    let mut vp = sse_vp();
    vp.gpr[RBX] = MMIO + 8;
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.paddd(x::xmm0, x::xmmword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(pending(&vp), Some((13, Some(0))));
    assert!(vp.mem_log.is_empty());
    // A scalar operand need not be.
    let mut vp = sse_vp();
    vp.gpr[RBX] = MMIO + 3;
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.addsd(x::xmm0, x::qword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(pending(&vp), None);
}

#[test]
fn an_unmasked_exception_raises_xm_and_leaves_the_register() {
    let code = asm(|a| a.divss(x::xmm2, x::dword_ptr(x::rbx)));
    let mut vp = sse_vp();
    vp.xmmcs = (vp.xmmcs & !(0xffff_ffffu128 << 64)) | ((0x1f80u128 & !0x200) << 64); // ZE unmasked
    vp.xmm[2] = f32s([1.0, 2.0, 3.0, 4.0]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((19, None)));
    assert_eq!(vp.xmm[2], f32s([1.0, 2.0, 3.0, 4.0]));
    assert_eq!(mxcsr(&vp) & 0x3f, 0x4, "ZE set");
    assert_eq!(vp.rip, 0x1000);
    // Without CR4.OSXMMEXCPT: #UD.
    let mut vp = sse_vp();
    vp.cr4 = 0x200;
    vp.xmmcs = (vp.xmmcs & !(0xffff_ffffu128 << 64)) | ((0x1f80u128 & !0x200) << 64);
    vp.xmm[2] = f32s([1.0, 2.0, 3.0, 4.0]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((6, None)));
}

#[test]
fn cr0_and_cr4_gate_sse() {
    let code = asm(|a| a.addps(x::xmm0, x::xmmword_ptr(x::rbx)));
    for (cr0, cr4, want) in [
        (0x8000_0019u64, 0x600u64, 7u8),
        (0x8000_0015, 0x600, 6),
        (0x8000_0011, 0, 6),
    ] {
        let mut vp = sse_vp();
        vp.cr0 = cr0;
        vp.cr4 = cr4;
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(
            pending(&vp),
            Some((want, None)),
            "cr0 {cr0:#x} cr4 {cr4:#x}"
        );
        assert!(vp.mem_log.is_empty(), "checked before the access");
    }
}

#[test]
fn compares_and_conversions() {
    let mut vp = sse_vp();
    vp.xmm[0] = f32s([1.0, 0.0, 0.0, 0.0]);
    vp.poke(MMIO, &2.0f32.to_bits().to_le_bytes());
    vp.rflags = 2 | ZF | SF | OF;
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.comiss(x::xmm0, x::dword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(vp.rflags, 2 | CF, "below: CF; SF/OF cleared");

    let mut vp = sse_vp();
    vp.poke(MMIO, &(-2.75f64).to_bits().to_le_bytes());
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.cvttsd2si(x::rax, x::qword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(vp.gpr[RAX], (-2i64) as u64);
    let mut vp = sse_vp();
    vp.poke(MMIO, &(-2.75f64).to_bits().to_le_bytes());
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.cvtsd2si(x::eax, x::qword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(vp.gpr[RAX], 0xffff_fffd, "round to nearest, zero-extended");

    let mut vp = sse_vp();
    vp.xmm[3] = u128::MAX;
    vp.poke(MMIO, &7i32.to_le_bytes());
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.cvtsi2ss(x::xmm3, x::dword_ptr(x::rbx)))),
        OK
    );
    assert_eq!(vp.xmm[3], (u128::MAX << 32) | u128::from(7.0f32.to_bits()));

    // cmpps with predicate 1 (lt).
    let mut vp = sse_vp();
    vp.xmm[1] = f32s([1.0, 5.0, -1.0, 0.0]);
    vp.poke(MMIO, &f32s([2.0, 2.0, 2.0, 0.0]).to_le_bytes());
    assert_eq!(
        mmio(
            &mut vp,
            &asm(|a| a.cmpps(x::xmm1, x::xmmword_ptr(x::rbx), 1))
        ),
        OK
    );
    assert_eq!(vp.xmm[1], 0x0000_0000_ffff_ffff_0000_0000_ffff_ffff);
}

#[test]
fn shuffles_inserts_and_extracts() {
    let src = 0x3333_3333_2222_2222_1111_1111_0000_0000u128;
    let mut vp = sse_vp();
    vp.poke(MMIO, &src.to_le_bytes());
    assert_eq!(
        mmio(
            &mut vp,
            &asm(|a| a.pshufd(x::xmm0, x::xmmword_ptr(x::rbx), 0x1b))
        ),
        OK
    );
    assert_eq!(vp.xmm[0], 0x0000_0000_1111_1111_2222_2222_3333_3333);

    let mut vp = sse_vp();
    vp.xmm[4] = 0xdddd_dddd_cccc_cccc_bbbb_bbbb_aaaa_aaaa;
    vp.poke(MMIO, &src.to_le_bytes());
    assert_eq!(
        mmio(
            &mut vp,
            &asm(|a| a.shufps(x::xmm4, x::xmmword_ptr(x::rbx), 0xe4))
        ),
        OK
    );
    assert_eq!(vp.xmm[4], 0x3333_3333_2222_2222_bbbb_bbbb_aaaa_aaaa);

    let mut vp = sse_vp();
    vp.xmm[5] = 0;
    vp.poke(MMIO, &0xbeefu16.to_le_bytes());
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.pinsrw(x::xmm5, x::word_ptr(x::rbx), 3))),
        OK
    );
    assert_eq!(vp.xmm[5], 0xbeef << 48);

    let mut vp = sse_vp();
    vp.xmm[6] = src;
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.movhps(x::qword_ptr(x::rbx), x::xmm6))),
        OK
    );
    assert_eq!(vp.peek_u64(MMIO, 8), 0x3333_3333_2222_2222);
    assert_eq!(vp.mem_log.len(), 1);
    if std::is_x86_feature_detected!("sse4.1") {
        let mut vp = sse_vp();
        vp.xmm[6] = src;
        assert_eq!(
            mmio(
                &mut vp,
                &asm(|a| a.pextrd(x::dword_ptr(x::rbx), x::xmm6, 2))
            ),
            OK
        );
        assert_eq!(vp.peek_u64(MMIO, 4), 0x2222_2222);
    }
}

#[test]
fn ldmxcsr_and_stmxcsr() {
    let mut vp = sse_vp();
    vp.poke(MMIO, &0x7f80u32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.ldmxcsr(x::dword_ptr(x::rbx)))), OK);
    assert_eq!(mxcsr(&vp), 0x7f80);
    assert_eq!(vp.xmmcs >> 96, 0xffff, "MXCSR_MASK kept");
    let mut vp = sse_vp();
    vp.poke(MMIO, &0x1_0000u32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.ldmxcsr(x::dword_ptr(x::rbx)))), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))), "a reserved bit");
    let mut vp = sse_vp();
    assert_eq!(mmio(&mut vp, &asm(|a| a.stmxcsr(x::dword_ptr(x::rbx)))), OK);
    assert_eq!(vp.peek_u64(MMIO, 4), 0x1f80);
}

#[test]
fn vex_arithmetic_is_not_emulated() {
    // vaddps xmm0, xmm1, [rbx]: VEX.128 zeroes the upper YMM half.
    let mut vp = sse_vp();
    assert_eq!(mmio(&mut vp, &[0xc5, 0xf0, 0x58, 0x03]), INTERNAL);
}
