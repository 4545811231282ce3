//! x87 loads, stores, memory-source arithmetic and the control/environment
//! instructions with the operand in MMIO, through the FpMmx /
//! FpControlStatus / XmmControlStatus registers: the stack in stack order
//! (a push shifts every ST(i)), TOP and the abridged tag, rounding, masked
//! and unmasked exceptions (#MF at the next waiting instruction), the last
//! instruction/data pointers, and #NM with CR0.TS.

mod common;
use common::*;
use iced_x86::code_asm::{self as x, CodeAssembler, IcedError};

fn asm(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(64).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x1000).unwrap()
}

/// The 80-bit extended value of a normal `f64` (in the low 80 bits).
fn f80(v: f64) -> u128 {
    if v == 0.0 {
        return u128::from(v.is_sign_negative()) << 79;
    }
    let b = v.to_bits();
    let sign = u128::from(b >> 63);
    let exp = ((b >> 52) & 0x7ff) as i64 - 1023 + 16383;
    let mantissa = (1u64 << 63) | ((b & ((1 << 52) - 1)) << 11);
    (sign << 79) | ((exp as u128) << 64) | u128::from(mantissa)
}

fn fcw(vp: &Vp) -> u16 {
    vp.fpcs as u16
}
fn fsw(vp: &Vp) -> u16 {
    (vp.fpcs >> 16) as u16
}
fn ftw(vp: &Vp) -> u8 {
    (vp.fpcs >> 32) as u8
}
fn top(vp: &Vp) -> u16 {
    (fsw(vp) >> 11) & 7
}

/// A VP with an x87 stack of `values` (ST0 first), TOP = 8 - n.
fn x87_vp(values: &[f64]) -> Vp {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    let n = values.len() as u128;
    let top = (8 - n) & 7;
    let mut tag = 0u128;
    for (i, v) in values.iter().enumerate() {
        vp.fp[i] = f80(*v);
        tag |= 1 << ((top as usize + i) & 7);
    }
    vp.fpcs = 0x37f | (top << (16 + 11)) | (tag << 32);
    vp
}

#[test]
fn fld_pushes_and_shifts_the_stack() {
    let mut vp = x87_vp(&[2.0]);
    vp.poke(MMIO, &1.5f64.to_bits().to_le_bytes());
    let code = asm(|a| a.fld(x::qword_ptr(x::rbx)));
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(vp.fp[0], f80(1.5));
    assert_eq!(vp.fp[1], f80(2.0), "the old ST(0) is ST(1) now");
    assert_eq!(top(&vp), 6);
    assert_eq!(ftw(&vp), 0b1100_0000);
    // FOP (DD /0 with ModRM 03), FIP = RIP, FDP = the operand's address.
    assert_eq!((vp.fpcs >> 48) as u16 & 0x7ff, 0x503);
    assert_eq!((vp.fpcs >> 64) as u64, 0x1000);
    assert_eq!(vp.xmmcs as u64, MMIO);
    assert_eq!(vp.rip, 0x1000 + code.len() as u64);
}

#[test]
fn stores_round_and_pop() {
    // fstp dword: 2.5 → 0x40200000, popped.
    let mut vp = x87_vp(&[2.5, 7.0]);
    assert_eq!(mmio(&mut vp, &asm(|a| a.fstp(x::dword_ptr(x::rbx)))), OK);
    assert_eq!(vp.peek_u64(MMIO, 4), 0x4020_0000);
    assert_eq!((top(&vp), ftw(&vp)), (7, 0b1000_0000));
    assert_eq!(vp.fp[0], f80(7.0));
    // fistp dword rounds to nearest even: 2.5 → 2; -3.5 → -4.
    for (v, want) in [(2.5, 2i32), (-3.5, -4), (1e10, i32::MIN)] {
        let mut vp = x87_vp(&[v]);
        assert_eq!(mmio(&mut vp, &asm(|a| a.fistp(x::dword_ptr(x::rbx)))), OK);
        assert_eq!(vp.peek_u64(MMIO, 4) as u32, want as u32, "{v}");
    }
    // fisttp truncates; fst qword keeps the stack.
    let mut vp = x87_vp(&[-2.75]);
    assert_eq!(mmio(&mut vp, &asm(|a| a.fisttp(x::word_ptr(x::rbx)))), OK);
    assert_eq!(vp.peek_u64(MMIO, 2) as u16, (-2i16) as u16);
    let mut vp = x87_vp(&[0.1]);
    assert_eq!(mmio(&mut vp, &asm(|a| a.fst(x::qword_ptr(x::rbx)))), OK);
    assert_eq!(vp.peek_u64(MMIO, 8), 0.1f64.to_bits());
    assert_eq!(top(&vp), 7);
}

#[test]
fn integer_and_bcd_loads_and_memory_arithmetic() {
    let mut vp = x87_vp(&[]);
    vp.poke(MMIO, &(-3i16).to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.fild(x::word_ptr(x::rbx)))), OK);
    assert_eq!(vp.fp[0], f80(-3.0));
    // fbld: packed BCD 1234, negative.
    let mut vp = x87_vp(&[]);
    let mut bcd = [0u8; 10];
    bcd[0] = 0x34;
    bcd[1] = 0x12;
    bcd[9] = 0x80;
    vp.poke(MMIO, &bcd);
    assert_eq!(mmio(&mut vp, &asm(|a| a.fbld(x::tword_ptr(x::rbx)))), OK);
    assert_eq!(vp.fp[0], f80(-1234.0));
    // fadd dword / fidiv word.
    let mut vp = x87_vp(&[1.25]);
    vp.poke(MMIO, &2.0f32.to_bits().to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.fadd(x::dword_ptr(x::rbx)))), OK);
    assert_eq!(vp.fp[0], f80(3.25));
    let mut vp = x87_vp(&[9.0]);
    vp.poke(MMIO, &4i16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.fidiv(x::word_ptr(x::rbx)))), OK);
    assert_eq!(vp.fp[0], f80(2.25));
    // fcom: C0 set for less.
    let mut vp = x87_vp(&[1.0]);
    vp.poke(MMIO, &2.0f64.to_bits().to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.fcom(x::qword_ptr(x::rbx)))), OK);
    assert_eq!(fsw(&vp) & 0x4500, 0x0100, "C0");
}

#[test]
fn an_unmasked_exception_blocks_the_store_and_faults_the_next_instruction() {
    // IM unmasked: fistp of 1e10 (invalid) stores nothing and sets ES.
    let mut vp = x87_vp(&[1e10]);
    vp.fpcs &= !1;
    vp.poke(MMIO, &[0xaa; 4]);
    assert_eq!(mmio(&mut vp, &asm(|a| a.fist(x::dword_ptr(x::rbx)))), OK);
    assert_eq!(pending(&vp), None);
    assert_eq!(vp.peek(MMIO, 4), vec![0xaa; 4], "no store");
    assert_eq!(fsw(&vp) & 0x81, 0x81, "IE and ES");
    // The next waiting instruction takes #MF before it runs.
    vp.rip = 0x1000;
    let code = asm(|a| a.fld(x::dword_ptr(x::rbx)));
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((16, None)));
    assert_eq!(top(&vp), 7, "nothing pushed");
    // fnstsw does not wait.
    vp.pending = 0;
    vp.rip = 0x1000;
    assert_eq!(mmio(&mut vp, &asm(|a| a.fnstsw(x::word_ptr(x::rbx)))), OK);
    assert_eq!(pending(&vp), None);
    assert_eq!(vp.peek_u64(MMIO, 2) as u16, fsw(&vp));
}

#[test]
fn control_word_and_environment() {
    let mut vp = x87_vp(&[1.0, 0.0]);
    vp.poke(MMIO, &0x0c7fu16.to_le_bytes()); // round toward zero
    assert_eq!(mmio(&mut vp, &asm(|a| a.fldcw(x::word_ptr(x::rbx)))), OK);
    assert_eq!(fcw(&vp), 0x0c7f);
    vp.rip = 0x1000;
    assert_eq!(
        mmio(&mut vp, &asm(|a| a.fnstcw(x::word_ptr(x::rbx + 2)))),
        OK
    );
    assert_eq!(vp.peek_u64(MMIO + 2, 2), 0x0c7f);

    // fnstenv (28 bytes): FCW, FSW, the full tag word (ST0 valid, ST1
    // zero, the rest empty), then every exception masked.
    let mut vp = x87_vp(&[1.0, 0.0]);
    vp.fpcs = (vp.fpcs & !0xffff) | 0x360;
    vp.fpcs |= 0x1234u128 << 64; // FIP
    assert_eq!(mmio(&mut vp, &asm(|a| a.fnstenv(x::ptr(x::rbx)))), OK);
    let env = vp.peek(MMIO, 28);
    assert_eq!(u16::from_le_bytes([env[0], env[1]]), 0x360);
    assert_eq!(u16::from_le_bytes([env[8], env[9]]), 0b0100_1111_1111_1111);
    assert_eq!(
        u32::from_le_bytes([env[12], env[13], env[14], env[15]]),
        0x1234
    );
    assert_eq!(fcw(&vp), 0x37f, "masked after");
    // fldenv of it back: the abridged tag from the full one.
    let mut vp2 = x87_vp(&[]);
    vp2.poke(MMIO, &env);
    assert_eq!(mmio(&mut vp2, &asm(|a| a.fldenv(x::ptr(x::rbx)))), OK);
    assert_eq!((fcw(&vp2), ftw(&vp2), top(&vp2)), (0x360, 0b1100_0000, 6));
}

#[test]
fn an_unmasked_flag_without_es_is_still_pending() {
    // A VMM may hand over FSW with ZE set under an unmasked ZM but ES
    // clear: the processor treats it as pending (#MF), and so do we —
    // the host must not take it.
    let mut vp = x87_vp(&[1.0]);
    vp.fpcs = (vp.fpcs & !0xffff_ffff) | 0x37b | (((0x3800 | 0x4) as u128) << 16);
    vp.poke(MMIO, &2i16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(|a| a.fidiv(x::word_ptr(x::rbx)))), OK);
    assert_eq!(pending(&vp), Some((16, None)));
}

#[test]
fn ts_and_em_raise_nm() {
    for cr0 in [0x8000_0019u64, 0x8000_0015] {
        let mut vp = x87_vp(&[]);
        vp.cr0 = cr0;
        assert_eq!(mmio(&mut vp, &asm(|a| a.fld(x::dword_ptr(x::rbx)))), OK);
        assert_eq!(pending(&vp), Some((7, None)));
        assert!(vp.mem_log.is_empty());
    }
}
