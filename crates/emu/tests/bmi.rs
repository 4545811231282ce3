//! Bit scans and counts (BSF BSR TZCNT LZCNT POPCNT), double shifts
//! (SHLD SHRD), BMI1/BMI2, ADCX/ADOX and CRC32 with the source in MMIO,
//! against bit-by-bit references over seeded random values.

mod common;
use common::*;
use iced_x86::code_asm::{self as x, CodeAssembler, IcedError};

fn mask(bits: u32) -> u64 {
    if bits == 64 { !0 } else { (1 << bits) - 1 }
}

fn asm64(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(64).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x1000).unwrap()
}

/// A VP with the source value at MMIO (RBX points at it), RCX = `rcx`.
fn vp_with(src: u64, rcx: u64, rflags: u64) -> Vp {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RCX] = rcx;
    vp.rflags = rflags;
    vp.poke(MMIO, &src.to_le_bytes());
    vp
}

fn value(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => 0,
        1 => 1 << rng.below(64),
        2 => rng.next() & rng.next(),
        _ => rng.next(),
    }
}

#[test]
fn scans_and_counts() {
    let mut rng = Rng(0x7363_616e);
    for case in 0..1500 {
        let k = case % 5;
        let bits = [16u32, 32, 64][(case / 5 % 3) as usize];
        let code = asm64(|a| {
            macro_rules! form {
                ($op:ident) => {
                    match bits {
                        16 => a.$op(x::cx, x::word_ptr(x::rbx)),
                        32 => a.$op(x::ecx, x::dword_ptr(x::rbx)),
                        _ => a.$op(x::rcx, x::qword_ptr(x::rbx)),
                    }
                };
            }
            match k {
                0 => form!(bsf),
                1 => form!(bsr),
                2 => form!(tzcnt),
                3 => form!(lzcnt),
                _ => form!(popcnt),
            }
        });
        let (src, rcx) = (value(&mut rng), rng.next());
        let mut vp = vp_with(src, rcx, 2 | (rng.next() & 0x8d5));
        let f0 = vp.rflags;
        assert_eq!(mmio(&mut vp, &code), OK, "case {case}");
        let s = src & mask(bits);
        let put = |v: u64| match bits {
            16 => (rcx & !0xffff) | v,
            _ => v,
        };
        let ctx = format!("case {case} k {k} bits {bits} src {s:#x}");
        match k {
            0 | 1 => {
                if s == 0 {
                    assert_eq!(vp.gpr[RCX], rcx, "unchanged: {ctx}");
                    assert_ne!(vp.rflags & ZF, 0, "{ctx}");
                } else {
                    let i = (0..bits).find(|&i| {
                        let b = if k == 0 { i } else { bits - 1 - i };
                        (s >> b) & 1 == 1
                    });
                    let i = u64::from(i.unwrap());
                    let want = if k == 0 { i } else { u64::from(bits) - 1 - i };
                    assert_eq!(vp.gpr[RCX], put(want), "{ctx}");
                    assert_eq!(vp.rflags & ZF, 0, "{ctx}");
                }
            }
            2 | 3 => {
                let n = (0..bits)
                    .take_while(|&i| {
                        let b = if k == 2 { i } else { bits - 1 - i };
                        (s >> b) & 1 == 0
                    })
                    .count() as u64;
                assert_eq!(vp.gpr[RCX], put(n), "{ctx}");
                let want = if s == 0 { CF } else { 0 } | if n == 0 { ZF } else { 0 };
                assert_eq!(vp.rflags & (CF | ZF), want, "{ctx}");
            }
            _ => {
                let n = (0..bits).filter(|&i| (s >> i) & 1 == 1).count() as u64;
                assert_eq!(vp.gpr[RCX], put(n), "{ctx}");
                let want = if s == 0 { ZF } else { 0 };
                assert_eq!(vp.rflags & (CF | PF | AF | ZF | SF | OF), want, "{ctx}");
                let _ = f0;
            }
        }
    }
}

#[test]
fn double_shifts_into_memory() {
    let mut rng = Rng(0x7368_6c64);
    for case in 0..1500 {
        let left = case % 2 == 0;
        let bits = [16u32, 32, 64][(case / 2 % 3) as usize];
        let by_cl = case / 6 % 2 == 0;
        let count = (rng.below(if bits == 16 { 17 } else { bits as u64 })) as u32;
        let code = asm64(|a| {
            macro_rules! form {
                ($op:ident) => {
                    match (bits, by_cl) {
                        (16, true) => a.$op(x::word_ptr(x::rbx), x::dx, x::cl),
                        (32, true) => a.$op(x::dword_ptr(x::rbx), x::edx, x::cl),
                        (_, true) => a.$op(x::qword_ptr(x::rbx), x::rdx, x::cl),
                        (16, false) => a.$op(x::word_ptr(x::rbx), x::dx, count),
                        (32, false) => a.$op(x::dword_ptr(x::rbx), x::edx, count),
                        (_, false) => a.$op(x::qword_ptr(x::rbx), x::rdx, count),
                    }
                };
            }
            if left { form!(shld) } else { form!(shrd) }
        });
        let (dst, src) = (rng.next(), rng.next());
        let mut vp = vp_with(dst, u64::from(count), 2);
        vp.gpr[RDX] = src;
        assert_eq!(mmio(&mut vp, &code), OK, "case {case}");
        let m = mask(bits);
        let (mut d, s) = (dst & m, src & m);
        let mut cf = false;
        for i in 0..count {
            if left {
                cf = (d >> (bits - 1)) & 1 == 1;
                d = ((d << 1) | ((s >> (bits - 1 - i)) & 1)) & m;
            } else {
                cf = d & 1 == 1;
                d = (d >> 1) | (((s >> i) & 1) << (bits - 1));
            }
        }
        let ctx = format!("case {case} left {left} bits {bits} n {count}");
        let got = vp.peek_u64(MMIO, (bits / 8) as usize);
        assert_eq!(got, d, "{ctx}");
        if count == 0 {
            assert!(vp.mem_log.iter().all(|r| !r.write), "no write for 0: {ctx}");
            continue;
        }
        assert_eq!(vp.rflags & CF != 0, cf, "{ctx}");
        assert_eq!(vp.rflags & ZF != 0, d == 0, "{ctx}");
        assert_eq!(vp.rflags & SF != 0, (d >> (bits - 1)) & 1 == 1, "{ctx}");
        if count == 1 {
            let changed = ((d ^ dst) >> (bits - 1)) & 1 == 1;
            assert_eq!(vp.rflags & OF != 0, changed, "{ctx}");
        }
    }
}

fn pdep(src: u64, sel: u64) -> u64 {
    let (mut r, mut k) = (0, 0);
    for i in 0..64 {
        if (sel >> i) & 1 == 1 {
            r |= ((src >> k) & 1) << i;
            k += 1;
        }
    }
    r
}

fn pext(src: u64, sel: u64) -> u64 {
    let (mut r, mut k) = (0, 0);
    for i in 0..64 {
        if (sel >> i) & 1 == 1 {
            r |= ((src >> i) & 1) << k;
            k += 1;
        }
    }
    r
}

#[test]
fn bmi_instructions() {
    if !std::is_x86_feature_detected!("bmi1") || !std::is_x86_feature_detected!("bmi2") {
        println!("SKIPPED: the host has no BMI1/BMI2 (the emulator raises #UD)");
        return;
    }
    let mut rng = Rng(0x626d_6932);
    for case in 0..2000 {
        let k = case % 12;
        let wide = case / 12 % 2 == 0;
        let bits = if wide { 64 } else { 32 };
        let m = mask(bits);
        let imm = rng.below(64) as u32;
        let code = asm64(|a| {
            macro_rules! f3 {
                ($op:ident, mem_last) => {
                    if wide {
                        a.$op(x::rcx, x::rdx, x::qword_ptr(x::rbx))
                    } else {
                        a.$op(x::ecx, x::edx, x::dword_ptr(x::rbx))
                    }
                };
                ($op:ident, mem_mid) => {
                    if wide {
                        a.$op(x::rcx, x::qword_ptr(x::rbx), x::rdx)
                    } else {
                        a.$op(x::ecx, x::dword_ptr(x::rbx), x::edx)
                    }
                };
            }
            macro_rules! f2 {
                ($op:ident) => {
                    if wide {
                        a.$op(x::rcx, x::qword_ptr(x::rbx))
                    } else {
                        a.$op(x::ecx, x::dword_ptr(x::rbx))
                    }
                };
            }
            match k {
                0 => f3!(andn, mem_last),
                1 => f3!(bextr, mem_mid),
                2 => f2!(blsi),
                3 => f2!(blsmsk),
                4 => f2!(blsr),
                5 => f3!(bzhi, mem_mid),
                6 => f3!(pdep, mem_last),
                7 => f3!(pext, mem_last),
                8 => f3!(sarx, mem_mid),
                9 => f3!(shlx, mem_mid),
                10 => f3!(shrx, mem_mid),
                _ => {
                    if wide {
                        a.rorx(x::rcx, x::qword_ptr(x::rbx), imm)
                    } else {
                        a.rorx(x::ecx, x::dword_ptr(x::rbx), imm)
                    }
                }
            }
        });
        let src = value(&mut rng) & m;
        let rdx = if matches!(k, 1 | 5) && rng.below(2) == 0 {
            rng.below(0x4848)
        } else {
            value(&mut rng)
        };
        let mut vp = vp_with(src, rng.next(), 2 | (rng.next() & 0x8d5));
        vp.gpr[RDX] = rdx;
        let f0 = vp.rflags;
        assert_eq!(mmio(&mut vp, &code), OK, "case {case}");
        let r2 = rdx & m;
        let sext = |v: u64| {
            if bits == 32 {
                v as u32 as i32 as i64
            } else {
                v as i64
            }
        };
        let (want, flags) = match k {
            0 => {
                let r = !r2 & src & m;
                (r, Some((r, 0u64)))
            }
            1 => {
                let (st, len) = ((r2 & 0xff) as u32, ((r2 >> 8) & 0xff) as u32);
                let v = if st >= bits { 0 } else { src >> st };
                let r = if len >= bits { v } else { v & ((1 << len) - 1) };
                (r, Some((r, 0)))
            }
            2 => {
                let r = src & src.wrapping_neg() & m;
                (r, Some((r, if src != 0 { CF } else { 0 })))
            }
            3 => {
                let r = (src ^ src.wrapping_sub(1)) & m;
                (r, Some((r, if src == 0 { CF } else { 0 })))
            }
            4 => {
                let r = src & src.wrapping_sub(1) & m;
                (r, Some((r, if src == 0 { CF } else { 0 })))
            }
            5 => {
                let n = (r2 & 0xff) as u32;
                let r = if n >= bits { src } else { src & ((1 << n) - 1) };
                (r, Some((r, if n > bits - 1 { CF } else { 0 })))
            }
            6 => (pdep(r2, src) & m, None),
            7 => (pext(r2, src) & m, None),
            8 => ((sext(src) >> (r2 & u64::from(bits - 1))) as u64 & m, None),
            9 => ((src << (r2 & u64::from(bits - 1))) & m, None),
            10 => (src >> (r2 & u64::from(bits - 1)), None),
            _ => {
                let c = imm & (bits - 1);
                let r = if c == 0 {
                    src
                } else {
                    ((src >> c) | (src << (bits - c))) & m
                };
                (r, None)
            }
        };
        let ctx = format!("case {case} k {k} bits {bits} src {src:#x} rdx {rdx:#x}");
        assert_eq!(vp.gpr[RCX], want, "{ctx}");
        match flags {
            None => assert_eq!(vp.rflags, f0, "no flag changes: {ctx}"),
            Some((r, cf)) => {
                assert_eq!(vp.rflags & (CF | OF), cf, "{ctx}");
                if k != 3 {
                    assert_eq!(vp.rflags & ZF != 0, r == 0, "{ctx}");
                } else {
                    assert_eq!(vp.rflags & ZF, 0, "blsmsk clears ZF: {ctx}");
                }
                if k != 1 {
                    assert_eq!(vp.rflags & SF != 0, (r >> (bits - 1)) & 1 == 1, "{ctx}");
                }
            }
        }
    }
}

#[test]
fn mulx_writes_high_then_low_and_no_flags() {
    if !std::is_x86_feature_detected!("bmi2") {
        println!("SKIPPED: the host has no BMI2");
        return;
    }
    let code = asm64(|a| a.mulx(x::rcx, x::rsi, x::qword_ptr(x::rbx)));
    let mut vp = vp_with(0x1_0000_0001, 0, 2 | CF);
    vp.gpr[RDX] = u64::MAX;
    assert_eq!(mmio(&mut vp, &code), OK);
    let p = u128::from(u64::MAX) * 0x1_0000_0001;
    assert_eq!((vp.gpr[RCX], vp.gpr[RSI]), ((p >> 64) as u64, p as u64));
    assert_eq!(vp.rflags, 2 | CF);
    // Both halves into one register: the high half wins.
    let code = asm64(|a| a.mulx(x::ecx, x::ecx, x::dword_ptr(x::rbx)));
    let mut vp = vp_with(0x10, 0, 2);
    vp.gpr[RDX] = 0xf000_0001;
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(vp.gpr[RCX], 0xf);
}

#[test]
fn adcx_and_adox_carry_through_their_own_flag() {
    if !std::is_x86_feature_detected!("adx") {
        println!("SKIPPED: the host has no ADX");
        return;
    }
    let adcx = asm64(|a| a.adcx(x::rcx, x::qword_ptr(x::rbx)));
    let adox = asm64(|a| a.adox(x::ecx, x::dword_ptr(x::rbx)));
    let mut vp = vp_with(u64::MAX, 1, 2 | CF | ZF);
    assert_eq!(mmio(&mut vp, &adcx), OK);
    assert_eq!(vp.gpr[RCX], 1, "1 + MAX + 1");
    assert_eq!(vp.rflags, 2 | CF | ZF, "CF out, ZF untouched");
    let mut vp = vp_with(0xffff_ffff, 0x1_0000_0000, 2 | CF);
    assert_eq!(mmio(&mut vp, &adox), OK);
    assert_eq!(
        vp.gpr[RCX], 0xffff_ffff,
        "32-bit: 0 + 0xffffffff + OF(0), zero-extended"
    );
    assert_eq!(vp.rflags, 2 | CF, "OF stays clear, CF untouched");
}

#[test]
fn crc32_of_the_check_string() {
    if !std::is_x86_feature_detected!("sse4.2") {
        println!("SKIPPED: the host has no SSE4.2");
        return;
    }
    // CRC-32C("123456789") = 0xe3069283: the instruction does no
    // pre/post inversion, so start at !0 and invert the result.
    let q = asm64(|a| a.crc32(x::rcx, x::qword_ptr(x::rbx)));
    let b = asm64(|a| a.crc32(x::ecx, x::byte_ptr(x::rbx)));
    let mut vp = vp_with(u64::from_le_bytes(*b"12345678"), 0xffff_ffff, 2);
    assert_eq!(mmio(&mut vp, &q), OK);
    let mid = vp.gpr[RCX];
    assert_eq!(mid >> 32, 0);
    let mut vp = vp_with(u64::from(b'9'), mid | 0xdead_0000_0000_0000, 2);
    assert_eq!(mmio(&mut vp, &b), OK);
    assert_eq!(vp.gpr[RCX] ^ 0xffff_ffff, 0xe306_9283);
    assert_eq!(vp.rflags, 2);
}
