//! Multiplication and division with a memory operand: MUL, IMUL (one
//! operand into rDX:rAX, two operands, three with an immediate), DIV and
//! IDIV, which raise `#DE` for a zero divisor or a quotient that does not
//! fit, as the CPU does (nothing is written then).
//!
//! Undefined flags (also answered by [`crate::undefined_flags`]): MUL and
//! IMUL define only CF and OF (the high half is significant); SF, ZF and PF
//! are given from the low half of the result and AF is cleared, as QEMU
//! does. DIV and IDIV leave all six undefined; they are left unchanged.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, RAX, RDX};
use crate::exec::mov::sign_extend;
use crate::flags::{self, AF, ARITH, CF, OF, mask};
use crate::status::{Step, Stop, vector};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// MUL, IMUL, DIV, IDIV.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    let m = instr.mnemonic();
    if m == Mnemonic::Imul && instr.op_count() > 1 {
        return imul_explicit(cpu, instr);
    }
    if instr.op_count() != 1 {
        return Err(Stop::UNSUPPORTED);
    }
    let size = cpu.op_size(instr, 0);
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let src = cpu.src(instr, 0, size)?;
    let bits = (size * 8) as u32;
    let msk = mask(size);
    // The accumulator pair: AX for bytes (AL, AH), else rDX:rAX.
    let (lo, hi) = if size == 1 {
        let ax = cpu.gpr(RAX)? & 0xffff;
        (ax & 0xff, ax >> 8)
    } else {
        (cpu.gpr(RAX)? & msk, cpu.gpr(RDX)? & msk)
    };
    match m {
        Mnemonic::Mul | Mnemonic::Imul => {
            let product: u128 = if m == Mnemonic::Mul {
                u128::from(lo) * u128::from(src)
            } else {
                let a = sign_extend(lo, size) as i64 as i128;
                let b = sign_extend(src, size) as i64 as i128;
                (a * b) as u128
            };
            let low = product as u64 & msk;
            let high = (product >> bits) as u64 & msk;
            let significant = if m == Mnemonic::Mul {
                high != 0
            } else {
                // The product differs from its low half sign-extended.
                (product as i128) != sign_extend(low, size) as i64 as i128
            };
            write_pair(cpu, size, low, high)?;
            set_mul_flags(cpu, low, size, significant);
            Ok(())
        }
        Mnemonic::Div | Mnemonic::Idiv => {
            let (q, r) = divide(m == Mnemonic::Idiv, hi, lo, src, size)
                .ok_or_else(|| Stop::fault(vector::DE))?;
            write_pair(cpu, size, q, r)
        }
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// The quotient and remainder of the double-width dividend `hi:lo` by
/// `src`, each of `size` bytes; `None` for `#DE` (zero divisor, or a
/// quotient outside the destination's range).
fn divide(signed: bool, hi: u64, lo: u64, src: u64, size: usize) -> Option<(u64, u64)> {
    let bits = (size * 8) as u32;
    let msk = mask(size);
    let dividend = (u128::from(hi) << bits) | u128::from(lo);
    if src & msk == 0 {
        return None;
    }
    if !signed {
        let q = dividend / u128::from(src);
        let r = dividend % u128::from(src);
        return (q <= u128::from(msk)).then_some((q as u64, r as u64));
    }
    // Sign-extend the 2×size-bit dividend to 128 bits.
    let shift = 128 - 2 * bits;
    let n = ((dividend << shift) as i128) >> shift;
    let d = sign_extend(src, size) as i64 as i128;
    let q = n.checked_div(d)?;
    let r = n.checked_rem(d)?;
    let limit = 1i128 << (bits - 1);
    (-limit..limit)
        .contains(&q)
        .then_some((q as u64 & msk, r as u64 & msk))
}

/// Writes a result pair: AL/AH (as AX) for bytes, else rAX and rDX (a
/// 32-bit pair zero-extends both).
fn write_pair<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    size: usize,
    lo: u64,
    hi: u64,
) -> Step<()> {
    if size == 1 {
        return cpu.write_gpr_sized(RAX, 2, (hi << 8) | lo);
    }
    cpu.write_gpr_sized(RAX, size, lo)?;
    cpu.write_gpr_sized(RDX, size, hi)
}

/// CF = OF = `significant`; SF, ZF, PF from the low half, AF cleared.
fn set_mul_flags<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    low: u64,
    size: usize,
    significant: bool,
) {
    let mut f = flags::szp(low, size);
    if significant {
        f |= CF | OF;
    }
    cpu.rflags = flags::merge(cpu.rflags, f, ARITH) & !AF;
}

/// IMUL r, r/m and IMUL r, r/m, imm: the destination gets the low half.
fn imul_explicit<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    if instr.op_kind(0) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    let size = dst.size();
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let (a, b) = if instr.op_count() == 3 {
        (cpu.src(instr, 1, size)?, cpu.src(instr, 2, size)?)
    } else {
        (cpu.read_reg(dst)?, cpu.src(instr, 1, size)?)
    };
    let a = sign_extend(a, size) as i64 as i128;
    let b = sign_extend(b, size) as i64 as i128;
    let product = a * b;
    let low = product as u64 & mask(size);
    let significant = product != sign_extend(low, size) as i64 as i128;
    cpu.write_reg(dst, low)?;
    set_mul_flags(cpu, low, size, significant);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::divide;

    #[test]
    fn division_limits() {
        assert_eq!(divide(false, 0, 100, 7, 1), Some((14, 2)));
        assert_eq!(divide(false, 1, 0, 1, 1), None, "quotient 256 in a byte");
        assert_eq!(divide(false, 0, 5, 0, 4), None, "zero divisor");
        // -128 / 1 fits a byte; 128 / 1 does not; -128 / -1 does not.
        assert_eq!(divide(true, 0xff, 0x80, 1, 1), Some((0x80, 0)));
        assert_eq!(divide(true, 0, 0x80, 1, 1), None);
        assert_eq!(divide(true, 0xff, 0x80, 0xff, 1), None);
        // -7 / 2 = -3 remainder -1 (truncation toward zero).
        assert_eq!(divide(true, 0xffff, 0xfff9, 2, 2), Some((0xfffd, 0xffff)));
        // i128::MIN / -1 in 64-bit: #DE, not a panic.
        assert_eq!(divide(true, 1 << 63, 0, u64::MAX, 8), None);
        assert_eq!(
            divide(false, 1, 0, 2, 8),
            Some((1 << 63, 0)),
            "2^64 / 2 fits 64 bits"
        );
    }
}
