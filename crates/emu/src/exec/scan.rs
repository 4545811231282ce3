//! Bit scans and counts with a memory source: BSF, BSR, TZCNT, LZCNT,
//! POPCNT.
//!
//! Flags (undefined ones also answered by [`crate::undefined_flags`]):
//! * BSF/BSR: ZF = source zero, and then the destination is left as it
//!   was (AMD documents it, Intel processors do it); CF, OF, SF, AF and PF
//!   are undefined and left unchanged here.
//! * TZCNT/LZCNT: CF = source zero, ZF = result zero; OF, SF, AF, PF
//!   undefined, left unchanged. On a host without BMI1 (LZCNT) the
//!   F3-prefixed encodings are BSF (BSR), as on that processor
//!   ([`crate::host`]).
//! * POPCNT: ZF = source zero; CF, OF, SF, AF, PF cleared.

use crate::callbacks::Callbacks;
use crate::cpu::Cpu;
use crate::flags::{self, ARITH, CF, ZF, mask};
use crate::host::{Feature, has};
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// BSF, BSR, TZCNT, LZCNT, POPCNT r, r/m.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    if instr.op_count() != 2 || instr.op_kind(0) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    let size = dst.size();
    if !dst.is_gpr() || !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let m = match instr.mnemonic() {
        Mnemonic::Tzcnt if !has(Feature::Bmi1) => Mnemonic::Bsf,
        Mnemonic::Lzcnt if !has(Feature::Lzcnt) => Mnemonic::Bsr,
        Mnemonic::Popcnt if !has(Feature::Popcnt) => return Err(Stop::ud()),
        m => m,
    };
    let src = cpu.src(instr, 1, size)? & mask(size);
    let bits = (size * 8) as u64;
    match m {
        Mnemonic::Bsf | Mnemonic::Bsr => {
            if src == 0 {
                cpu.rflags |= ZF;
                return Ok(());
            }
            let v = if m == Mnemonic::Bsf {
                u64::from(src.trailing_zeros())
            } else {
                63 - u64::from(src.leading_zeros())
            };
            cpu.write_reg(dst, v)?;
            cpu.rflags &= !ZF;
        }
        Mnemonic::Tzcnt | Mnemonic::Lzcnt => {
            let v = if src == 0 {
                bits
            } else if m == Mnemonic::Tzcnt {
                u64::from(src.trailing_zeros())
            } else {
                u64::from(src.leading_zeros()) - (64 - bits)
            };
            cpu.write_reg(dst, v)?;
            let mut f = 0;
            if src == 0 {
                f |= CF;
            }
            if v == 0 {
                f |= ZF;
            }
            cpu.rflags = flags::merge(cpu.rflags, f, CF | ZF);
        }
        Mnemonic::Popcnt => {
            cpu.write_reg(dst, u64::from(src.count_ones()))?;
            let f = if src == 0 { ZF } else { 0 };
            cpu.rflags = flags::merge(cpu.rflags, f, ARITH);
        }
        _ => return Err(Stop::UNSUPPORTED),
    }
    Ok(())
}
