//! One instruction (ADD r/m, r) across every CPU mode, operand size
//! (default and 66-prefixed) and addressing form (16-, 32- and 64-bit,
//! with and without the 67 prefix), checking the address the CPU would
//! compute (written out independently here), the stored sum, the flags
//! and RIP.

mod common;
use common::*;

#[derive(Copy, Clone, Debug)]
enum M {
    Real,
    P16,
    P32,
    Compat,
    Long,
}

fn vp(m: M) -> Vp {
    let mut v = match m {
        M::Real => Vp::real(),
        M::P16 => Vp::prot16(),
        M::P32 => Vp::prot32(),
        M::Compat => Vp::compat(),
        M::Long => Vp::long(),
    };
    if let M::Real = m {
        v.seg[3] = real_seg(0x2000, false);
    } else {
        v.seg[3].Base = 0x2_0000;
    }
    v
}

/// The default code size in bits.
fn code_bits(m: M) -> u32 {
    match m {
        M::Real | M::P16 => 16,
        M::P32 | M::Compat => 32,
        M::Long => 64,
    }
}

fn add_ref(a: u64, b: u64, bytes: u32) -> (u64, u64) {
    let bits = bytes * 8;
    let m = if bits == 64 { !0 } else { (1u64 << bits) - 1 };
    let (a, b) = (a & m, b & m);
    let wide = u128::from(a) + u128::from(b);
    let r = (wide as u64) & m;
    let mut f = 0;
    if wide > u128::from(m) {
        f |= CF;
    }
    let sa = (a >> (bits - 1)) & 1;
    let sb = (b >> (bits - 1)) & 1;
    let sr = (r >> (bits - 1)) & 1;
    if sa == sb && sr != sa {
        f |= OF;
    }
    if (a & 0xf) + (b & 0xf) > 0xf {
        f |= AF;
    }
    if r == 0 {
        f |= ZF;
    }
    if sr == 1 {
        f |= SF;
    }
    if (r as u8).count_ones() % 2 == 0 {
        f |= PF;
    }
    (r, f)
}

#[test]
fn add_across_modes_sizes_and_addressing() {
    let mut rng = Rng(0x5eed_0020);
    let mut ran = 0;
    for m in [M::Real, M::P16, M::P32, M::Compat, M::Long] {
        let cb = code_bits(m);
        for op66 in [false, true] {
            // 66 toggles between 16 and 32 bits (REX.W is not used here).
            let opbytes: u32 = match (cb, op66) {
                (16, false) | (32 | 64, true) => 2,
                _ => 4,
            };
            for a67 in [false, true] {
                let abits = match (cb, a67) {
                    (16, false) => 16,
                    (16, true) => 32,
                    (32, false) => 32,
                    (32, true) => 16,
                    (_, false) => 64,
                    _ => 32,
                };
                for form in 0..3 {
                    for _ in 0..8 {
                        let mut v = vp(m);
                        let (bx, si) = (rng.below(0x8000), rng.below(0x8000));
                        let disp8 = rng.next() as i8;
                        v.gpr[RBX] = bx | (rng.next() << 32);
                        v.gpr[RSI] = si | (rng.next() << 32);
                        let src = rng.next();
                        v.gpr[RCX] = src;
                        // ModRM with reg = CX/ECX (001)
                        let (modrm_bytes, ea): (Vec<u8>, u64) = match (abits, form) {
                            (16, 0) => (vec![0x0f], bx & 0xffff), // [bx]
                            (16, 1) => (
                                vec![0x48, disp8 as u8], // [bx+si+disp8]
                                (bx + si).wrapping_add(disp8 as i64 as u64) & 0xffff,
                            ),
                            (16, _) => (vec![0x0e, 0x34, 0x12], 0x1234), // [disp16]
                            (_, 0) => (vec![0x0b], bx), // [ebx]/[rbx] (no upper bits)
                            (_, 1) => {
                                // [ebx+esi*4+disp8]: SIB scale 2, index esi, base ebx
                                (
                                    vec![0x4c, 0xb3, disp8 as u8],
                                    (bx + si * 4).wrapping_add(disp8 as i64 as u64),
                                )
                            }
                            (_, _) => {
                                if cb == 64 {
                                    // [disp32] needs a SIB in 64-bit mode (mod 00 rm 101 is RIP/EIP-relative)
                                    (vec![0x0c, 0x25, 0x78, 0x56, 0, 0], 0x5678)
                                } else {
                                    (vec![0x0d, 0x78, 0x56, 0, 0], 0x5678)
                                }
                            }
                        };
                        // Upper register bits must not leak into 16/32-bit addresses.
                        if abits == 64 {
                            v.gpr[RBX] = bx;
                            v.gpr[RSI] = si;
                        }
                        let ea = match abits {
                            16 => ea & 0xffff,
                            32 => ea & 0xffff_ffff,
                            _ => ea,
                        };
                        let base = if let M::Long = m { 0 } else { 0x2_0000 };
                        let la = base + ea;
                        if la + 8 >= MEM as u64 {
                            continue;
                        }
                        let mut code = Vec::new();
                        if op66 {
                            code.push(0x66);
                        }
                        if a67 {
                            code.push(0x67);
                        }
                        code.push(0x01);
                        code.extend(modrm_bytes);
                        let old = rng.next();
                        v.poke(la, &old.to_le_bytes());
                        let st = mmio(&mut v, &code);
                        let ctx = format!(
                            "{m:?} op66={op66} a67={a67} form={form} code={code:02x?} la={la:#x}"
                        );
                        assert_eq!(st, OK, "{ctx}");
                        let limit = match m {
                            M::Real | M::P16 => 0xffff,
                            _ => u64::MAX,
                        };
                        if ea + u64::from(opbytes) - 1 > limit {
                            // A 32-bit address past a 64 KiB segment: #GP.
                            let code = if let M::Real = m { None } else { Some(0) };
                            assert_eq!(pending(&v), Some((13, code)), "{ctx}");
                            assert_eq!(v.peek_u64(la, 8), old, "{ctx}");
                            assert_eq!(v.rip, 0x1000, "{ctx}");
                            ran += 1;
                            continue;
                        }
                        let (sum, f) = add_ref(old, src, opbytes);
                        let mask = if opbytes == 8 {
                            !0
                        } else {
                            (1u64 << (opbytes * 8)) - 1
                        };
                        assert_eq!(v.peek_u64(la, 8), (old & !mask) | sum, "{ctx}");
                        assert_eq!(v.rflags & (CF | PF | AF | ZF | SF | OF), f, "{ctx}");
                        assert_eq!(v.rip, 0x1000 + code.len() as u64, "{ctx}");
                        ran += 1;
                    }
                }
            }
        }
    }
    assert!(ran > 150, "{ran}");
}
