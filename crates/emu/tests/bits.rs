//! Shifts, rotates, bit tests and SETcc on memory operands, against
//! bit-by-bit reference loops.

mod common;
use common::*;

fn mask(bits: u32) -> u64 {
    if bits == 64 { !0 } else { (1 << bits) - 1 }
}

/// Reference: (result, CF, OF-if-count-is-1) from single-bit steps.
fn shift_ref(r: u8, a: u64, count: u32, bits: u32, cf_in: bool) -> (u64, bool, bool) {
    let m = mask(bits);
    let msb = |v: u64| (v >> (bits - 1)) & 1 == 1;
    let mut v = a & m;
    let mut cf = cf_in;
    let orig = v;
    for _ in 0..count {
        match r {
            0 => {
                cf = msb(v);
                v = ((v << 1) | u64::from(cf)) & m;
            }
            1 => {
                cf = v & 1 == 1;
                v = (v >> 1) | (u64::from(cf) << (bits - 1));
            }
            2 => {
                let out = msb(v);
                v = ((v << 1) | u64::from(cf)) & m;
                cf = out;
            }
            3 => {
                let out = v & 1 == 1;
                v = (v >> 1) | (u64::from(cf) << (bits - 1));
                cf = out;
            }
            4 => {
                cf = msb(v);
                v = (v << 1) & m;
            }
            5 => {
                cf = v & 1 == 1;
                v >>= 1;
            }
            _ => {
                cf = v & 1 == 1;
                v = (v >> 1) | (v & (1 << (bits - 1)));
            }
        }
    }
    let of = match r {
        0 | 2 | 4 => msb(v) != cf,
        1 | 3 => msb(v) != ((v >> (bits - 2)) & 1 == 1),
        5 => msb(orig),
        _ => false,
    };
    (v, cf, of)
}

fn szp(v: u64, bits: u32) -> u64 {
    let v = v & mask(bits);
    let mut f = 0;
    if v == 0 {
        f |= ZF;
    }
    if (v >> (bits - 1)) & 1 == 1 {
        f |= SF;
    }
    if (v as u8).count_ones() % 2 == 0 {
        f |= PF;
    }
    f
}

#[test]
fn shifts_and_rotates() {
    let mut rng = Rng(0x5eed_0010);
    for _ in 0..150 {
        for r in [0u8, 1, 2, 3, 4, 5, 7] {
            for bits in [8u32, 16, 32, 64] {
                for form in 0..3 {
                    let a = rng.next();
                    let cf_in = rng.next() & 1 == 1;
                    let raw_count: u8 = match form {
                        0 => 1,
                        _ => rng.next() as u8,
                    };
                    let (mut code, w) = match bits {
                        8 => (vec![], 0u8),
                        16 => (vec![0x66], 1),
                        32 => (vec![], 1),
                        _ => (vec![0x48], 1),
                    };
                    let modrm = 0x03 | (r << 3);
                    match form {
                        0 => code.extend([0xd0 + w, modrm]),
                        1 => code.extend([0xd2 + w, modrm]),
                        _ => code.extend([0xc0 + w, modrm, raw_count]),
                    }
                    let mut vp = Vp::long();
                    vp.gpr[RBX] = MMIO + 0x20;
                    vp.gpr[RCX] = u64::from(raw_count) | 0xff00;
                    let start_flags =
                        2 | if cf_in { CF } else { 0 } | (rng.next() & (ZF | SF | PF | AF | OF));
                    vp.rflags = start_flags;
                    vp.poke(MMIO + 0x20, &a.to_le_bytes());
                    assert_eq!(mmio(&mut vp, &code), OK, "{code:x?}");
                    let count = u32::from(raw_count) & if bits == 64 { 0x3f } else { 0x1f };
                    let m = mask(bits);
                    let ctx = format!("/{r} bits={bits} a={a:#x} count={count} cf={cf_in}");
                    if count == 0 {
                        assert_eq!(vp.peek_u64(MMIO + 0x20, 8), a, "{ctx}");
                        assert_eq!(vp.rflags, start_flags, "{ctx}");
                        continue;
                    }
                    let (res, cf, of) = shift_ref(r, a, count, bits, cf_in);
                    assert_eq!(vp.peek_u64(MMIO + 0x20, 8), (a & !m) | res, "{ctx}");
                    let rotate = r <= 3;
                    let cf_defined = rotate || count <= bits;
                    if cf_defined {
                        assert_eq!(vp.rflags & CF != 0, cf, "{ctx} CF");
                    }
                    if count == 1 {
                        assert_eq!(vp.rflags & OF != 0, of, "{ctx} OF");
                    }
                    if rotate {
                        // Rotates touch only CF and OF.
                        assert_eq!(
                            vp.rflags & (ZF | SF | PF | AF),
                            start_flags & (ZF | SF | PF | AF),
                            "{ctx}"
                        );
                    } else {
                        assert_eq!(vp.rflags & (ZF | SF | PF), szp(res, bits), "{ctx} SZP");
                    }
                }
            }
        }
    }
}

#[test]
fn bit_tests_with_immediate_and_register_offsets() {
    let mut rng = Rng(0x5eed_0011);
    // (opcode with register offset, /r for the 0F BA immediate form)
    let ops = [(0xa3u8, 4u8), (0xab, 5), (0xb3, 6), (0xbb, 7)]; // bt bts btr btc
    for _ in 0..200 {
        for (i, &(opc, r)) in ops.iter().enumerate() {
            for bits in [16u32, 32, 64] {
                let pre: Vec<u8> = match bits {
                    16 => vec![0x66],
                    32 => vec![],
                    _ => vec![0x48],
                };
                // Register offset, possibly negative or far beyond the operand.
                let off = (rng.next() % 512) as i64 - 256;
                let mut code = pre.clone();
                code.extend([0x0f, opc, 0x0b]); // bt [rbx], ecx-sized
                let mut vp = Vp::long();
                let base = MMIO + 0x800;
                vp.gpr[RBX] = base;
                vp.gpr[RCX] = off as u64;
                let init: Vec<u8> = (0..0x100).map(|_| rng.next() as u8).collect();
                vp.poke(base - 0x80, &init);
                vp.rflags = 2 | (rng.next() & (CF | ZF));
                let zf_before = vp.rflags & ZF;
                assert_eq!(mmio(&mut vp, &code), OK);
                // Reference: the bit string starting at `base`, bit `off`.
                let byte = base.wrapping_add((off >> 3) as u64);
                let bit = (off & 7) as u32;
                let old = (init[(byte - (base - 0x80)) as usize] >> bit) & 1;
                assert_eq!(
                    u64::from(old),
                    vp.rflags & CF,
                    "op{i} bits={bits} off={off}"
                );
                assert_eq!(vp.rflags & ZF, zf_before, "ZF kept");
                let now = (vp.peek(byte, 1)[0] >> bit) & 1;
                let expect = match i {
                    0 => old,
                    1 => 1,
                    2 => 0,
                    _ => old ^ 1,
                };
                assert_eq!(now, expect, "op{i} bits={bits} off={off}");
                // Only the bit changed, and the access was of the operand size
                // at the operand-aligned address holding it.
                let acc = vp.mem_log.iter().find(|r| !r.write).expect("a read");
                assert_eq!(u32::from(acc.size) * 8, bits);
                let step = i64::from(bits);
                let word = base.wrapping_add(((off.div_euclid(step)) * step / 8) as u64);
                assert_eq!(acc.addr, word, "op{i} bits={bits} off={off}");

                // Immediate form: 0F BA /r ib, offset taken modulo the size.
                let imm = rng.next() as u8;
                let mut code = pre.clone();
                code.extend([0x0f, 0xba, 0x03 | (r << 3), imm]);
                let mut vp = Vp::long();
                vp.gpr[RBX] = base;
                vp.poke(base, &init[..8]);
                assert_eq!(mmio(&mut vp, &code), OK);
                let b = u32::from(imm) % bits;
                let old = (u64::from_le_bytes(init[..8].try_into().unwrap()) >> b) & 1;
                assert_eq!(vp.rflags & CF, old, "imm op{i} bits={bits} imm={imm}");
                let acc = &vp.mem_log[0];
                assert_eq!(acc.addr, base, "imm form does not move the address");
            }
        }
    }
}

#[test]
fn setcc_to_memory() {
    let mut rng = Rng(0x5eed_0012);
    for _ in 0..100 {
        let f = rng.next() & (CF | ZF | SF | OF | PF);
        for cc in 0u8..16 {
            let mut vp = Vp::long();
            vp.gpr[RBX] = MMIO;
            vp.poke(MMIO, &[0xcc]);
            vp.rflags = 2 | f;
            assert_eq!(mmio(&mut vp, &[0x0f, 0x90 + cc, 0x03]), OK);
            let (c, z, s, o, p) = (
                f & CF != 0,
                f & ZF != 0,
                f & SF != 0,
                f & OF != 0,
                f & PF != 0,
            );
            let base = match cc >> 1 {
                0 => o,
                1 => c,
                2 => z,
                3 => c || z,
                4 => s,
                5 => p,
                6 => s != o,
                _ => z || s != o,
            };
            let want = base ^ (cc & 1 == 1);
            assert_eq!(
                vp.peek(MMIO, 1)[0],
                u8::from(want),
                "setcc {cc:x} flags {f:#x}"
            );
            assert_eq!(vp.rflags, 2 | f);
        }
    }
}
