//! Bit tests (BT BTS BTR BTC, including a register bit offset reaching
//! beyond the operand), shifts and rotates (SHL/SAL SHR SAR ROL ROR RCL
//! RCR by 1, CL or an immediate), and SETcc.
//!
//! Undefined flags, for differential tests to mask (also answered by
//! [`crate::undefined_flags`]):
//! * BT/BTS/BTR/BTC: OF, SF, AF, PF are undefined (left unchanged here).
//! * Shifts by a masked count > 1: OF undefined (here: SHL as for a count
//!   of 1 from the final result and CF, SHR the original sign bit, SAR 0);
//!   AF undefined for any non-zero count (cleared); SHL/SHR by at least the
//!   operand width: CF undefined (here: the last bit shifted out, 0 once
//!   past the operand).
//! * Rotates by a masked count > 1: OF undefined (computed as for 1).

use crate::callbacks::Callbacks;
use crate::cpu::Cpu;
use crate::exec::{addr_mask, address_size};
use crate::flags::{self, AF, ARITH, CF, OF, mask, sign_bit};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// BT, BTS, BTR, BTC.
pub(crate) fn bit_test<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    let size = cpu.op_size(instr, 0);
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let bits = (size * 8) as u64;
    let access = if instr.mnemonic() == Mnemonic::Bt {
        Access::Read
    } else {
        Access::ReadWrite
    };
    let (offset_bits, from_reg) = match instr.op_kind(1) {
        OpKind::Register => (cpu.read_reg(instr.op_register(1))?, true),
        _ => (cpu.src(instr, 1, 1)?, false),
    };
    let (place, bit) = match instr.op_kind(0) {
        OpKind::Memory => {
            let (seg, off) = cpu.mem_offset(instr, 0)?;
            let (off, bit) = if from_reg {
                let signed = crate::exec::mov::sign_extend(offset_bits, size) as i64;
                let words = signed >> bits.trailing_zeros();
                let amask = addr_mask(address_size(instr, cpu.bitness));
                let off = off.wrapping_add((words * size as i64) as u64) & amask;
                (off, (offset_bits & (bits - 1)) as u32)
            } else {
                (off, (offset_bits & (bits - 1)) as u32)
            };
            (
                crate::exec::Place::Mem(cpu.resolve(seg, off, size, access)?),
                bit,
            )
        }
        OpKind::Register => (
            crate::exec::Place::Reg(instr.op_register(0)),
            (offset_bits & (bits - 1)) as u32,
        ),
        _ => return Err(Stop::UNSUPPORTED),
    };
    let v = cpu.read_place(&place, size)?;
    let old = (v >> bit) & 1;
    let new = match instr.mnemonic() {
        Mnemonic::Bts => v | (1 << bit),
        Mnemonic::Btr => v & !(1 << bit),
        Mnemonic::Btc => v ^ (1 << bit),
        _ => v,
    };
    if access == Access::ReadWrite {
        cpu.write_place(&place, size, new)?;
    }
    cpu.rflags = flags::merge(cpu.rflags, old * CF, CF);
    Ok(())
}

/// Shifts and rotates; returns the result and the new RFLAGS. `count` is
/// the masked count (non-zero).
pub(crate) fn shift_value(m: Mnemonic, a: u64, count: u32, size: usize, rflags: u64) -> (u64, u64) {
    use Mnemonic::*;
    let width = (size * 8) as u32;
    let msk = mask(size);
    let sb = sign_bit(size);
    let a = a & msk;
    let cf_in = rflags & CF != 0;
    let bit = |v: u64, n: u32| (v >> n) & 1 != 0;
    match m {
        Shl | Sal | Shr | Sar => {
            let (res, cf, of) = match m {
                Shr => {
                    let res = if count >= 64 { 0 } else { a >> count };
                    let cf = count <= 64 && bit(a, count - 1);
                    (res, cf, a & sb != 0)
                }
                Sar => {
                    let s = crate::exec::mov::sign_extend(a, size) as i64;
                    let res = (s >> count.min(63)) as u64 & msk;
                    let cf = (s >> (count - 1).min(63)) & 1 != 0;
                    (res, cf, false)
                }
                _ => {
                    let wide = u128::from(a) << count;
                    let res = (wide as u64) & msk;
                    let cf = (wide >> width) & 1 != 0;
                    (res, cf, (res & sb != 0) != cf)
                }
            };
            let mut f = flags::szp(res, size);
            if cf {
                f |= CF;
            }
            if of {
                f |= OF;
            }
            (res, flags::merge(rflags, f, ARITH) & !AF)
        }
        Rol | Ror => {
            let c = count % width;
            let res = if c == 0 {
                a
            } else if m == Rol {
                ((a << c) | (a >> (width - c))) & msk
            } else {
                ((a >> c) | (a << (width - c))) & msk
            };
            let (cf, of) = if m == Rol {
                let cf = res & 1 != 0;
                (cf, (res & sb != 0) != cf)
            } else {
                let cf = res & sb != 0;
                (cf, cf != bit(res, width - 2))
            };
            let f = if cf { CF } else { 0 } | if of { OF } else { 0 };
            (res, flags::merge(rflags, f, CF | OF))
        }
        Rcl | Rcr => {
            let c = count % (width + 1);
            if c == 0 {
                return (a, rflags);
            }
            let mut v = a;
            let mut cf = cf_in;
            for _ in 0..c {
                if m == Rcl {
                    let out = v & sb != 0;
                    v = ((v << 1) | u64::from(cf)) & msk;
                    cf = out;
                } else {
                    let out = v & 1 != 0;
                    v = (v >> 1) | if cf { sb } else { 0 };
                    cf = out;
                }
            }
            let of = if m == Rcl {
                (v & sb != 0) != cf
            } else {
                (v & sb != 0) != bit(v, width - 2)
            };
            let f = if cf { CF } else { 0 } | if of { OF } else { 0 };
            (v, flags::merge(rflags, f, CF | OF))
        }
        _ => (a, rflags),
    }
}

/// SHL SAL SHR SAR ROL ROR RCL RCR with a memory (or register) operand.
pub(crate) fn shift<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let size = cpu.op_size(instr, 0);
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let raw = if instr.op_count() < 2 {
        1
    } else {
        cpu.src(instr, 1, 1)?
    };
    let count = (raw & if size == 8 { 0x3f } else { 0x1f }) as u32;
    let place = cpu.place(instr, 0, size, Access::ReadWrite)?;
    let a = cpu.read_place(&place, size)?;
    if count == 0 {
        return Ok(());
    }
    let (res, rflags) = shift_value(instr.mnemonic(), a, count, size, cpu.rflags);
    cpu.write_place(&place, size, res)?;
    cpu.rflags = rflags;
    Ok(())
}

/// SETcc r/m8.
pub(crate) fn setcc<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let cc = (instr.condition_code() as u8).wrapping_sub(1) & 15;
    let v = u64::from(flags::condition(cpu.rflags, cc));
    let place = cpu.place(instr, 0, 1, Access::Write)?;
    cpu.write_place(&place, 1, v)
}

/// SHLD/SHRD of `dst` with bits from `src` by the masked `count` (1..):
/// the result and the new RFLAGS. A 16-bit operand shifted by more than
/// 16 is undefined; here it shifts through `dst:src:dst`, as Intel
/// processors (and QEMU) do.
pub(crate) fn double_shift_value(
    left: bool,
    dst: u64,
    src: u64,
    count: u32,
    size: usize,
    rflags: u64,
) -> (u64, u64) {
    let w = (size * 8) as u32;
    let msk = mask(size);
    let (d, s) = (u128::from(dst & msk), u128::from(src & msk));
    // The bits the shift moves through, `len` of them, `dst` at the top
    // for SHLD and at the bottom for SHRD.
    let (v, len) = if size == 2 {
        ((d << 32) | (s << 16) | d, 48)
    } else if left {
        ((d << w) | s, 2 * w)
    } else {
        ((s << w) | d, 2 * w)
    };
    let (res, cf) = if left {
        let shifted = v << count;
        let res = (shifted >> (len - w)) as u64 & msk;
        (res, (v >> (len - count)) & 1 != 0)
    } else {
        ((v >> count) as u64 & msk, (v >> (count - 1)) & 1 != 0)
    };
    let mut f = flags::szp(res, size);
    if cf {
        f |= CF;
    }
    // Defined for a count of 1: the sign changed.
    if (res ^ dst) & sign_bit(size) != 0 {
        f |= OF;
    }
    (res, flags::merge(rflags, f, ARITH) & !AF)
}

/// SHLD/SHRD r/m, r, imm8|CL.
pub(crate) fn double_shift<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    if instr.op_count() != 3 || instr.op_kind(1) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let size = cpu.op_size(instr, 0);
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let src = cpu.read_reg(instr.op_register(1))?;
    let raw = cpu.src(instr, 2, 1)?;
    let count = (raw & if size == 8 { 0x3f } else { 0x1f }) as u32;
    let place = cpu.place(instr, 0, size, Access::ReadWrite)?;
    let dst = cpu.read_place(&place, size)?;
    if count == 0 {
        return Ok(());
    }
    let left = instr.mnemonic() == Mnemonic::Shld;
    let (res, rflags) = double_shift_value(left, dst, src, count, size, cpu.rflags);
    cpu.write_place(&place, size, res)?;
    cpu.rflags = rflags;
    Ok(())
}
