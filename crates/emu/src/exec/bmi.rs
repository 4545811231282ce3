//! General-purpose instructions of the BMI1, BMI2, ADX and SSE4.2 sets
//! with a memory source: ANDN, BEXTR, BLSI, BLSMSK, BLSR (BMI1); BZHI,
//! MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX (BMI2); ADCX, ADOX (ADX);
//! CRC32 (SSE4.2). Each raises `#UD` where the host processor lacks its
//! set ([`crate::host`]: the guest's CPUID cannot switch them off).
//!
//! Flags as the SDM gives them; the undefined ones (AF and PF of the BMI1
//! instructions and BZHI, SF of BEXTR — also answered by
//! [`crate::undefined_flags`]) are left unchanged. BMI2's other
//! instructions, ADCX/ADOX (but for CF/OF) and CRC32 leave the flags
//! alone.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, RDX};
use crate::flags::{self, CF, OF, SF, ZF, mask};
use crate::host::{Feature, has};
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// Runs one of this module's instructions.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    use Mnemonic::*;
    let m = instr.mnemonic();
    let feature = match m {
        Andn | Bextr | Blsi | Blsmsk | Blsr => Feature::Bmi1,
        Adcx | Adox => Feature::Adx,
        Crc32 => Feature::Sse42,
        _ => Feature::Bmi2,
    };
    if !has(feature) {
        return Err(Stop::ud());
    }
    if instr.op_kind(0) != OpKind::Register || !instr.op_register(0).is_gpr() {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    let size = dst.size();
    if m == Crc32 {
        return crc32(cpu, instr);
    }
    if !matches!(size, 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let w = (size * 8) as u32;
    let msk = mask(size);
    let op = |cpu: &mut Cpu<'_, C>, i: u32| cpu.src(instr, i, size).map(|v| v & msk);
    // Result flags: (value, which flags it sets).
    let (res, f, which) = match m {
        Andn => {
            let r = !op(cpu, 1)? & op(cpu, 2)? & msk;
            (r, sz(r, size), CF | OF | SF | ZF)
        }
        Bextr => {
            let (src, ctl) = (op(cpu, 1)?, op(cpu, 2)?);
            let start = (ctl & 0xff) as u32;
            let len = ((ctl >> 8) & 0xff) as u32;
            let shifted = if start >= w { 0 } else { src >> start };
            let r = if len >= w {
                shifted
            } else {
                shifted & ((1u64 << len) - 1)
            };
            (r, zf(r), CF | OF | ZF)
        }
        Blsi | Blsmsk | Blsr => {
            let src = op(cpu, 1)?;
            let r = match m {
                Blsi => src.wrapping_neg() & src,
                Blsmsk => src.wrapping_sub(1) ^ src,
                _ => src.wrapping_sub(1) & src,
            } & msk;
            let carry = if m == Blsi { src != 0 } else { src == 0 };
            let mut f = sz(r, size);
            if m == Blsmsk {
                // ZF is cleared.
                f &= SF;
            }
            if carry {
                f |= CF;
            }
            (r, f, CF | OF | SF | ZF)
        }
        Bzhi => {
            let (src, ctl) = (op(cpu, 1)?, op(cpu, 2)?);
            let n = (ctl & 0xff) as u32;
            let r = if n >= w { src } else { src & ((1u64 << n) - 1) };
            let mut f = sz(r, size);
            if n > w - 1 {
                f |= CF;
            }
            (r, f, CF | OF | SF | ZF)
        }
        Mulx => return mulx(cpu, instr, size),
        Pdep | Pext => {
            let (src, sel) = (op(cpu, 1)?, op(cpu, 2)?);
            let r = if m == Pdep {
                deposit(src, sel)
            } else {
                extract(src, sel)
            };
            (r, 0, 0)
        }
        Rorx => {
            let src = op(cpu, 1)?;
            let c = (instr.immediate(2) as u32) & (w - 1);
            let r = if c == 0 {
                src
            } else {
                ((src >> c) | (src << (w - c))) & msk
            };
            (r, 0, 0)
        }
        Sarx | Shlx | Shrx => {
            let (src, c) = (op(cpu, 1)?, (op(cpu, 2)? as u32) & (w - 1));
            let r = match m {
                Shlx => (src << c) & msk,
                Shrx => src >> c,
                _ => (crate::exec::mov::sign_extend(src, size) as i64 >> c) as u64 & msk,
            };
            (r, 0, 0)
        }
        Adcx | Adox => {
            let flag = if m == Adcx { CF } else { OF };
            let a = cpu.read_reg(dst)?;
            let b = op(cpu, 1)?;
            let sum = u128::from(a) + u128::from(b) + u128::from(cpu.rflags & flag != 0);
            let f = if sum >> w != 0 { flag } else { 0 };
            (sum as u64 & msk, f, flag)
        }
        _ => return Err(Stop::UNSUPPORTED),
    };
    cpu.write_reg(dst, res)?;
    cpu.rflags = flags::merge(cpu.rflags, f, which);
    Ok(())
}

/// SF and ZF of `r`.
fn sz(r: u64, size: usize) -> u64 {
    flags::szp(r, size) & (SF | ZF)
}

/// ZF of `r`.
fn zf(r: u64) -> u64 {
    if r == 0 { ZF } else { 0 }
}

/// MULX hi, lo, r/m: rDX × source, unsigned; the high half is written
/// last (it wins when both name one register).
fn mulx<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction, size: usize) -> Step<()> {
    if instr.op_count() != 3 || instr.op_kind(1) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let w = (size * 8) as u32;
    let a = cpu.gpr(RDX)? & mask(size);
    let b = cpu.src(instr, 2, size)? & mask(size);
    let p = u128::from(a) * u128::from(b);
    cpu.write_reg(instr.op_register(1), p as u64 & mask(size))?;
    cpu.write_reg(instr.op_register(0), (p >> w) as u64 & mask(size))
}

/// PDEP: the low bits of `src` scattered to the set bits of `sel`.
fn deposit(src: u64, mut sel: u64) -> u64 {
    let (mut r, mut k) = (0u64, 0);
    while sel != 0 {
        let low = sel & sel.wrapping_neg();
        if (src >> k) & 1 != 0 {
            r |= low;
        }
        sel &= sel - 1;
        k += 1;
    }
    r
}

/// PEXT: the bits of `src` under the set bits of `sel`, gathered low.
fn extract(src: u64, mut sel: u64) -> u64 {
    let (mut r, mut k) = (0u64, 0);
    while sel != 0 {
        let low = sel & sel.wrapping_neg();
        if src & low != 0 {
            r |= 1 << k;
        }
        sel &= sel - 1;
        k += 1;
    }
    r
}

/// CRC32 r32/r64, r/m8/16/32/64: CRC-32C (Castagnoli, reflected) of the
/// source's bytes onto the destination's low 32 bits; the result
/// zero-extends into the destination.
fn crc32<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let dst = instr.op_register(0);
    let size = cpu.op_size(instr, 1);
    if !matches!(size, 1 | 2 | 4 | 8) || !matches!(dst.size(), 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let v = cpu.src(instr, 1, size)?;
    let mut crc = cpu.read_reg(dst)? as u32;
    for byte in v.to_le_bytes().iter().take(size) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82f6_3b78 & (crc & 1).wrapping_neg());
        }
    }
    cpu.write_reg(dst, u64::from(crc))
}

#[cfg(test)]
mod tests {
    use super::{deposit, extract};

    #[test]
    fn deposit_and_extract() {
        assert_eq!(deposit(0b101, 0b1101_0000), 0b1001_0000);
        assert_eq!(extract(0b1001_0000, 0b1101_0000), 0b101);
        assert_eq!(deposit(u64::MAX, 0), 0);
        assert_eq!(extract(u64::MAX, u64::MAX), u64::MAX);
    }
}
