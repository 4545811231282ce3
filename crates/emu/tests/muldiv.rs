//! MUL, IMUL (one, two and three operands), DIV and IDIV with the operand
//! in MMIO, against wide-integer reference formulas over seeded random
//! values, every operand size; `#DE` for a zero divisor and for a quotient
//! that does not fit, with nothing written.

mod common;
use common::*;
use iced_x86::code_asm::{self as x, CodeAssembler, IcedError};

fn mask(bits: u32) -> u64 {
    if bits == 64 { !0 } else { (1 << bits) - 1 }
}

fn sx(v: u64, bits: u32) -> i128 {
    let v = v & mask(bits);
    if (v >> (bits - 1)) & 1 == 1 {
        i128::from(v) - (1i128 << bits)
    } else {
        i128::from(v)
    }
}

/// Assembles one 64-bit instruction.
fn asm64(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(64).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x1000).unwrap()
}

fn mem_op(a: &mut CodeAssembler, k: u8, bits: u32) -> Result<(), IcedError> {
    let m = x::rbx + 0;
    match (k, bits) {
        (0, 8) => a.mul(x::byte_ptr(m)),
        (0, 16) => a.mul(x::word_ptr(m)),
        (0, 32) => a.mul(x::dword_ptr(m)),
        (0, _) => a.mul(x::qword_ptr(m)),
        (1, 8) => a.imul(x::byte_ptr(m)),
        (1, 16) => a.imul(x::word_ptr(m)),
        (1, 32) => a.imul(x::dword_ptr(m)),
        (1, _) => a.imul(x::qword_ptr(m)),
        (2, 8) => a.div(x::byte_ptr(m)),
        (2, 16) => a.div(x::word_ptr(m)),
        (2, 32) => a.div(x::dword_ptr(m)),
        (2, _) => a.div(x::qword_ptr(m)),
        (_, 8) => a.idiv(x::byte_ptr(m)),
        (_, 16) => a.idiv(x::word_ptr(m)),
        (_, 32) => a.idiv(x::dword_ptr(m)),
        (_, _) => a.idiv(x::qword_ptr(m)),
    }
}

/// The reference: new (RAX, RDX) or None for #DE; and CF=OF for MUL/IMUL.
fn reference(k: u8, bits: u32, rax: u64, rdx: u64, src: u64) -> Option<(u64, u64, Option<bool>)> {
    let m = mask(bits);
    let src = src & m;
    // Merge `v` into the low `bits` of `old` (32-bit writes zero-extend).
    let put = |old: u64, v: u64, b: u32| match b {
        32 => v & 0xffff_ffff,
        64 => v,
        _ => (old & !mask(b)) | (v & mask(b)),
    };
    if bits == 8 {
        let al = rax & 0xff;
        let ax = rax & 0xffff;
        return match k {
            0 => {
                let p = al * src;
                Some((put(rax, p, 16), rdx, Some(p >> 8 != 0)))
            }
            1 => {
                let p = sx(al, 8) * sx(src, 8);
                Some((put(rax, p as u64, 16), rdx, Some(p != sx(p as u64, 8))))
            }
            2 => {
                if src == 0 || ax / src > 0xff {
                    return None;
                }
                let (q, r) = (ax / src, ax % src);
                Some((put(rax, (r << 8) | q, 16), rdx, None))
            }
            _ => {
                let (n, d) = (sx(ax, 16), sx(src, 8));
                if d == 0 || !(-128..=127).contains(&(n / d)) {
                    return None;
                }
                let (q, r) = ((n / d) as u64 & 0xff, (n % d) as u64 & 0xff);
                Some((put(rax, (r << 8) | q, 16), rdx, None))
            }
        };
    }
    let (lo, hi) = (rax & m, rdx & m);
    match k {
        0 => {
            let p = u128::from(lo) * u128::from(src);
            let (l, h) = (p as u64 & m, (p >> bits) as u64 & m);
            Some((put(rax, l, bits), put(rdx, h, bits), Some(h != 0)))
        }
        1 => {
            let p = sx(lo, bits) * sx(src, bits);
            let (l, h) = (p as u64 & m, (p >> bits) as u64 & m);
            Some((put(rax, l, bits), put(rdx, h, bits), Some(p != sx(l, bits))))
        }
        2 => {
            let n = (u128::from(hi) << bits) | u128::from(lo);
            if src == 0 || n / u128::from(src) > u128::from(m) {
                return None;
            }
            let (q, r) = (n / u128::from(src), n % u128::from(src));
            Some((put(rax, q as u64, bits), put(rdx, r as u64, bits), None))
        }
        _ => {
            // The 2×bits dividend, signed (i128 holds up to 2×64 bits only
            // through the wrapping form for 64-bit operands).
            let n: i128 = if bits == 64 {
                ((u128::from(hi) << 64) | u128::from(lo)) as i128
            } else {
                sx((hi << bits) | lo, 2 * bits)
            };
            let d = sx(src, bits);
            if d == 0 {
                return None;
            }
            let q = n.checked_div(d)?;
            let limit = 1i128 << (bits - 1);
            if !(-limit..limit).contains(&q) {
                return None;
            }
            let r = n % d;
            Some((put(rax, q as u64, bits), put(rdx, r as u64, bits), None))
        }
    }
}

#[test]
fn one_operand_forms_match_the_reference() {
    let mut rng = Rng(0x6d75_6c64_6976);
    for case in 0..3000 {
        let k = (case % 4) as u8;
        let bits = [8u32, 16, 32, 64][(case / 4 % 4) as usize];
        let code = asm64(|a| mem_op(a, k, bits));
        let mut vp = Vp::long();
        let pick = |rng: &mut Rng| match rng.below(4) {
            0 => rng.below(4),
            1 => u64::MAX - rng.below(3),
            2 => 1 << rng.below(64),
            _ => rng.next(),
        };
        let (rax, rdx, src) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
        // Small high halves make most divisions fit.
        let rdx = if k >= 2 && rng.below(2) == 0 {
            rdx & 3
        } else {
            rdx
        };
        let rdx = if k == 3 && rng.below(3) == 0 {
            0u64.wrapping_sub(rdx & 1)
        } else {
            rdx
        };
        vp.gpr[RAX] = rax;
        vp.gpr[RDX] = rdx;
        vp.gpr[RBX] = MMIO + 0x10;
        vp.rflags = 2 | (rng.next() & 0x8d5);
        vp.poke(MMIO + 0x10, &src.to_le_bytes());
        let start_flags = vp.rflags;
        let st = mmio(&mut vp, &code);
        let ctx = format!("case {case} k {k} bits {bits} rax {rax:#x} rdx {rdx:#x} src {src:#x}");
        assert_eq!(st, OK, "{ctx}");
        match reference(k, bits, rax, rdx, src) {
            None => {
                assert_eq!(pending(&vp), Some((0, None)), "#DE: {ctx}");
                assert_eq!(
                    (vp.gpr[RAX], vp.gpr[RDX], vp.rip),
                    (rax, rdx, 0x1000),
                    "{ctx}"
                );
                assert_eq!(vp.rflags, start_flags, "{ctx}");
            }
            Some((a, d, carry)) => {
                assert_eq!(pending(&vp), None, "{ctx}");
                assert_eq!((vp.gpr[RAX], vp.gpr[RDX]), (a, d), "{ctx}");
                assert_eq!(vp.rip, 0x1000 + code.len() as u64, "{ctx}");
                if let Some(c) = carry {
                    let want = if c { CF | OF } else { 0 };
                    assert_eq!(vp.rflags & (CF | OF), want, "{ctx}");
                }
            }
        }
        // One read of the operand, nothing written to the device.
        assert_eq!(vp.mem_log.len(), 1, "{ctx}");
        assert!(!vp.mem_log[0].write, "{ctx}");
        assert_eq!(vp.mem_log[0].size as u32, bits / 8, "{ctx}");
    }
}

#[test]
fn two_and_three_operand_imul() {
    let mut rng = Rng(0x696d_756c);
    for case in 0..600 {
        let bits = [16u32, 32, 64][(case % 3) as usize];
        let three = case % 2 == 0;
        let imm = (rng.next() as i8) as i32;
        let code = asm64(|a| match (bits, three) {
            (16, false) => a.imul_2(x::cx, x::word_ptr(x::rbx)),
            (32, false) => a.imul_2(x::ecx, x::dword_ptr(x::rbx)),
            (_, false) => a.imul_2(x::rcx, x::qword_ptr(x::rbx)),
            (16, true) => a.imul_3(x::cx, x::word_ptr(x::rbx), imm),
            (32, true) => a.imul_3(x::ecx, x::dword_ptr(x::rbx), imm),
            (_, true) => a.imul_3(x::rcx, x::qword_ptr(x::rbx), imm),
        });
        let (rcx, src) = (rng.next(), rng.next());
        let mut vp = Vp::long();
        vp.gpr[RCX] = rcx;
        vp.gpr[RBX] = MMIO;
        vp.poke(MMIO, &src.to_le_bytes());
        assert_eq!(mmio(&mut vp, &code), OK);
        let a = if three {
            i128::from(imm)
        } else {
            sx(rcx, bits)
        };
        let p = a * sx(src, bits);
        let low = p as u64 & mask(bits);
        let want = match bits {
            16 => (rcx & !0xffff) | low,
            _ => low,
        };
        assert_eq!(vp.gpr[RCX], want, "case {case}");
        let c = p != sx(low, bits);
        assert_eq!(
            vp.rflags & (CF | OF),
            if c { CF | OF } else { 0 },
            "case {case}"
        );
    }
}

#[test]
fn division_by_zero_and_overflow_raise_de_in_every_mode() {
    // div byte [bx] in real mode, 16-bit and 32-bit protected mode.
    type Mode = (fn() -> Vp, Vec<u8>);
    let modes: [Mode; 3] = [
        (Vp::real, vec![0xf6, 0x37]),
        (Vp::prot16, vec![0xf6, 0x37]),
        (Vp::prot32, vec![0xf6, 0x33]),
    ];
    for (make, code) in modes {
        for (ax, divisor) in [(100u64, 0u8), (0x1000, 2)] {
            let mut vp = make();
            vp.gpr[RAX] = ax;
            vp.gpr[RBX] = 0x2000;
            vp.poke(0x2000, &[divisor]);
            assert_eq!(mmio(&mut vp, &code), OK);
            assert_eq!(pending(&vp), Some((0, None)));
            assert_eq!((vp.gpr[RAX], vp.rip), (ax, 0x1000));
        }
        let mut vp = make();
        vp.gpr[RAX] = 100;
        vp.gpr[RBX] = 0x2000;
        vp.poke(0x2000, &[7]);
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(vp.gpr[RAX], (2 << 8) | 14);
    }
}
