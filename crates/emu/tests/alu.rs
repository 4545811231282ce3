//! ALU instructions with a memory operand, checked against reference
//! formulas written independently of the emulator (wide signed/unsigned
//! arithmetic), over seeded random operands, every size and direction.

mod common;
use common::*;

#[derive(Copy, Clone, Debug, PartialEq)]
enum Op {
    Add,
    Or,
    Adc,
    Sbb,
    And,
    Sub,
    Xor,
    Cmp,
    Test,
}

const OPS: [Op; 9] = [
    Op::Add,
    Op::Or,
    Op::Adc,
    Op::Sbb,
    Op::And,
    Op::Sub,
    Op::Xor,
    Op::Cmp,
    Op::Test,
];

fn mask(bits: u32) -> u64 {
    if bits == 64 { !0 } else { (1 << bits) - 1 }
}

fn sx(v: u64, bits: u32) -> i128 {
    let v = v & mask(bits);
    if v >> (bits - 1) & 1 == 1 {
        i128::from(v) - (1i128 << bits)
    } else {
        i128::from(v)
    }
}

fn parity(v: u64) -> bool {
    let mut n = 0;
    for i in 0..8 {
        n += (v >> i) & 1;
    }
    n % 2 == 0
}

/// (result, flags, flags that are defined).
fn reference(op: Op, a: u64, b: u64, cf: bool, bits: u32) -> (u64, u64, u64) {
    let m = mask(bits);
    let (a, b) = (a & m, b & m);
    let c = u64::from(cf && matches!(op, Op::Adc | Op::Sbb));
    let all = CF | PF | AF | ZF | SF | OF;
    let (res, mut f, defined) = match op {
        Op::Add | Op::Adc => {
            let u = u128::from(a) + u128::from(b) + u128::from(c);
            let s = sx(a, bits) + sx(b, bits) + i128::from(c);
            let res = (u as u64) & m;
            let mut f = 0;
            if u > u128::from(m) {
                f |= CF;
            }
            if s < -(1i128 << (bits - 1)) || s >= (1i128 << (bits - 1)) {
                f |= OF;
            }
            if (a & 0xf) + (b & 0xf) + c > 0xf {
                f |= AF;
            }
            (res, f, all)
        }
        Op::Sub | Op::Sbb | Op::Cmp => {
            let s = sx(a, bits) - sx(b, bits) - i128::from(c);
            let res = a.wrapping_sub(b).wrapping_sub(c) & m;
            let mut f = 0;
            if u128::from(a) < u128::from(b) + u128::from(c) {
                f |= CF;
            }
            if s < -(1i128 << (bits - 1)) || s >= (1i128 << (bits - 1)) {
                f |= OF;
            }
            if (a & 0xf) < (b & 0xf) + c {
                f |= AF;
            }
            (res, f, all)
        }
        Op::And | Op::Test => (a & b, 0, all & !AF),
        Op::Or => (a | b, 0, all & !AF),
        Op::Xor => (a ^ b, 0, all & !AF),
    };
    if res == 0 {
        f |= ZF;
    }
    if res >> (bits - 1) & 1 == 1 {
        f |= SF;
    }
    if parity(res) {
        f |= PF;
    }
    (res, f, defined)
}

fn opcode_base(op: Op) -> u8 {
    match op {
        Op::Add => 0x00,
        Op::Or => 0x08,
        Op::Adc => 0x10,
        Op::Sbb => 0x18,
        Op::And => 0x20,
        Op::Sub => 0x28,
        Op::Xor => 0x30,
        Op::Cmp => 0x38,
        Op::Test => 0x84,
    }
}

fn group1(op: Op) -> Option<u8> {
    Some(match op {
        Op::Add => 0,
        Op::Or => 1,
        Op::Adc => 2,
        Op::Sbb => 3,
        Op::And => 4,
        Op::Sub => 5,
        Op::Xor => 6,
        Op::Cmp => 7,
        Op::Test => return None,
    })
}

/// The prefix bytes and whether the opcode is the byte form.
fn sized(bits: u32) -> (Vec<u8>, u8) {
    match bits {
        8 => (vec![], 0),
        16 => (vec![0x66], 1),
        32 => (vec![], 1),
        _ => (vec![0x48], 1),
    }
}

const ALL: u64 = CF | PF | AF | ZF | SF | OF;

#[test]
fn alu_mem_dest_reg_src() {
    let mut rng = Rng(0x5eed_0001);
    for _ in 0..400 {
        for op in OPS {
            for bits in [8u32, 16, 32, 64] {
                let (a, b, cf) = (rng.next(), rng.next(), rng.next() & 1 == 1);
                let (mut code, w) = sized(bits);
                code.extend([opcode_base(op) + w, 0x0b]); // op [rbx], ecx-sized
                let mut vp = Vp::long();
                vp.gpr[RBX] = MMIO + 0x40;
                vp.gpr[RCX] = b;
                vp.rflags = 2 | if cf { CF } else { 0 } | (rng.next() & ALL & !CF);
                vp.poke(MMIO + 0x40, &a.to_le_bytes());
                let before = vp.rflags;
                assert_eq!(mmio(&mut vp, &code), OK, "{op:?} {bits}");
                let (res, f, defined) = reference(op, a, b, cf, bits);
                let stored = vp.peek_u64(MMIO + 0x40, 8);
                let expect_mem = if matches!(op, Op::Cmp | Op::Test) {
                    a
                } else {
                    (a & !mask(bits)) | res
                };
                assert_eq!(
                    stored, expect_mem,
                    "{op:?}/{bits} a={a:#x} b={b:#x} cf={cf}"
                );
                assert_eq!(
                    vp.rflags & defined,
                    f & defined,
                    "{op:?}/{bits} a={a:#x} b={b:#x} cf={cf} flags"
                );
                assert_eq!(vp.rflags & !ALL, before & !ALL, "other flags kept");
                let writes = vp.mem_log.iter().filter(|r| r.write).count();
                let reads = vp.mem_log.iter().filter(|r| !r.write).count();
                assert_eq!(reads, 1, "one read");
                assert_eq!(
                    writes,
                    usize::from(!matches!(op, Op::Cmp | Op::Test)),
                    "writes"
                );
            }
        }
    }
}

#[test]
fn alu_reg_dest_mem_src() {
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..200 {
        for op in OPS {
            if op == Op::Test {
                continue;
            }
            for bits in [8u32, 16, 32, 64] {
                let (a, b, cf) = (rng.next(), rng.next(), rng.next() & 1 == 1);
                let (mut code, w) = sized(bits);
                code.extend([opcode_base(op) + 2 + w, 0x0b]); // op ecx-sized, [rbx]
                let mut vp = Vp::long();
                vp.gpr[RBX] = MMIO + 0x40;
                vp.gpr[RCX] = a;
                vp.rflags = 2 | if cf { CF } else { 0 };
                vp.poke(MMIO + 0x40, &b.to_le_bytes());
                assert_eq!(mmio(&mut vp, &code), OK);
                let (res, f, defined) = reference(op, a, b, cf, bits);
                let expect = if op == Op::Cmp {
                    a
                } else if bits == 32 {
                    res
                } else {
                    (a & !mask(bits)) | res
                };
                assert_eq!(vp.gpr[RCX], expect, "{op:?}/{bits} a={a:#x} b={b:#x}");
                assert_eq!(vp.rflags & defined, f & defined, "{op:?}/{bits} flags");
            }
        }
    }
}

#[test]
fn alu_mem_imm() {
    let mut rng = Rng(0x5eed_0003);
    for _ in 0..200 {
        for op in OPS {
            for bits in [8u32, 16, 32, 64] {
                let (a, cf) = (rng.next(), rng.next() & 1 == 1);
                let imm8 = rng.next() as u8;
                let (mut code, w) = sized(bits);
                let b = match group1(op) {
                    // 80 /r ib or 83 /r ib (sign-extended)
                    Some(r) => {
                        code.extend([if w == 0 { 0x80 } else { 0x83 }, 0x03 | (r << 3), imm8]);
                        imm8 as i8 as i64 as u64
                    }
                    None => {
                        // test: F6 /0 ib or F7 /0 iz (imm16/imm32)
                        if w == 0 {
                            code.extend([0xf6, 0x03, imm8]);
                            u64::from(imm8)
                        } else if bits == 16 {
                            code.extend([0xf7, 0x03, imm8, 0x80]);
                            0x8000 | u64::from(imm8)
                        } else {
                            code.extend([0xf7, 0x03, imm8, 0, 0, 0x80]);
                            (0x8000_0000u32 | u32::from(imm8)) as i32 as i64 as u64
                        }
                    }
                };
                let mut vp = Vp::long();
                vp.gpr[RBX] = MMIO + 0x80;
                vp.rflags = 2 | if cf { CF } else { 0 };
                vp.poke(MMIO + 0x80, &a.to_le_bytes());
                assert_eq!(mmio(&mut vp, &code), OK, "{op:?}/{bits} {code:x?}");
                let (res, f, defined) = reference(op, a, b, cf, bits);
                let expect_mem = if matches!(op, Op::Cmp | Op::Test) {
                    a
                } else {
                    (a & !mask(bits)) | res
                };
                assert_eq!(vp.peek_u64(MMIO + 0x80, 8), expect_mem, "{op:?}/{bits}");
                assert_eq!(vp.rflags & defined, f & defined, "{op:?}/{bits} flags");
            }
        }
    }
}

#[test]
fn unary_ops() {
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..300 {
        for bits in [8u32, 16, 32, 64] {
            for (name, opc, r) in [
                ("not", 0xf6u8, 2u8),
                ("neg", 0xf6, 3),
                ("inc", 0xfe, 0),
                ("dec", 0xfe, 1),
            ] {
                let a = match rng.below(4) {
                    0 => 0,
                    1 => 1u64 << (bits - 1),
                    _ => rng.next(),
                };
                let cf = rng.next() & 1 == 1;
                let (mut code, w) = sized(bits);
                code.extend([opc + w, 0x03 | (r << 3)]);
                let mut vp = Vp::long();
                vp.gpr[RBX] = MMIO + 0x10;
                vp.rflags = 2 | if cf { CF } else { 0 };
                vp.poke(MMIO + 0x10, &a.to_le_bytes());
                assert_eq!(mmio(&mut vp, &code), OK);
                let m = mask(bits);
                let (res, f, defined) = match name {
                    "not" => ((!a) & m, vp.rflags, 0),
                    "neg" => {
                        let (r, mut f, d) = reference(Op::Sub, 0, a, false, bits);
                        // NEG: CF = (operand != 0), the same as 0 - a borrowing.
                        f = (f & !CF) | if a & m != 0 { CF } else { 0 };
                        (r, f, d)
                    }
                    "inc" => {
                        let (r, f, d) = reference(Op::Add, a, 1, false, bits);
                        (r, (f & !CF) | if cf { CF } else { 0 }, d)
                    }
                    _ => {
                        let (r, f, d) = reference(Op::Sub, a, 1, false, bits);
                        (r, (f & !CF) | if cf { CF } else { 0 }, d)
                    }
                };
                assert_eq!(
                    vp.peek_u64(MMIO + 0x10, 8),
                    (a & !m) | res,
                    "{name}/{bits} a={a:#x}"
                );
                assert_eq!(
                    vp.rflags & defined,
                    f & defined,
                    "{name}/{bits} a={a:#x} flags"
                );
                if name == "not" {
                    assert_eq!(vp.rflags, 2 | if cf { CF } else { 0 }, "not leaves flags");
                }
            }
        }
    }
}
