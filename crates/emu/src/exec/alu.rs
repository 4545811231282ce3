//! Arithmetic and logic with a memory operand (ADD OR ADC SBB AND SUB XOR
//! CMP TEST NOT NEG INC DEC) and the exchanging instructions (XCHG,
//! CMPXCHG, CMPXCHG8B/16B, XADD).
//!
//! Undefined flags: AND/OR/XOR/TEST leave AF undefined (we clear it). The
//! others define every flag they touch.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, RAX, RBX, RCX, RDX};
use crate::flags::{self, ARITH, CF, ZF, mask};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// ADD OR ADC SBB AND SUB XOR CMP TEST NOT NEG INC DEC.
pub(crate) fn arith<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    use Mnemonic::*;
    let m = instr.mnemonic();
    let size = cpu.op_size(instr, 0);
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let unary = matches!(m, Not | Neg | Inc | Dec);
    if unary != (instr.op_count() == 1) {
        return Err(Stop::UNSUPPORTED);
    }
    let access = if matches!(m, Cmp | Test) {
        Access::Read
    } else {
        Access::ReadWrite
    };
    let dst = cpu.place(instr, 0, size, access)?;
    let b = if unary { 0 } else { cpu.src(instr, 1, size)? };
    let a = cpu.read_place(&dst, size)?;
    let cf = cpu.rflags & CF != 0;
    let (res, f, which) = match m {
        Add => tup(flags::add(a, b, false, size), ARITH),
        Adc => tup(flags::add(a, b, cf, size), ARITH),
        Sub | Cmp => tup(flags::sub(a, b, false, size), ARITH),
        Sbb => tup(flags::sub(a, b, cf, size), ARITH),
        And | Test => (a & b, flags::logic(a & b, size), ARITH),
        Or => (a | b, flags::logic(a | b, size), ARITH),
        Xor => (a ^ b, flags::logic(a ^ b, size), ARITH),
        Not => (!a & mask(size), 0, 0),
        Neg => tup(flags::sub(0, a, false, size), ARITH),
        Inc => tup(flags::add(a, 1, false, size), ARITH & !CF),
        Dec => tup(flags::sub(a, 1, false, size), ARITH & !CF),
        _ => return Err(Stop::UNSUPPORTED),
    };
    if access == Access::ReadWrite {
        cpu.write_place(&dst, size, res)?;
    }
    cpu.rflags = flags::merge(cpu.rflags, f, which);
    Ok(())
}

fn tup((res, f): (u64, u64), which: u64) -> (u64, u64, u64) {
    (res, f, which)
}

/// XCHG, CMPXCHG, CMPXCHG8B, CMPXCHG16B, XADD.
pub(crate) fn atomic<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    use Mnemonic::*;
    match instr.mnemonic() {
        Cmpxchg8b | Cmpxchg16b => return cmpxchg_wide(cpu, instr),
        _ => {}
    }
    if instr.op_count() != 2 {
        return Err(Stop::UNSUPPORTED);
    }
    // XCHG may have its memory operand on either side.
    let (mem_op, reg_op) = if instr.op_kind(0) == OpKind::Memory {
        (0, 1)
    } else {
        (1, 0)
    };
    if instr.op_kind(reg_op) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let reg = instr.op_register(reg_op);
    if !reg.is_gpr() {
        return Err(Stop::UNSUPPORTED);
    }
    let size = reg.size();
    let dst = cpu.place(instr, mem_op, size, Access::ReadWrite)?;
    let old = cpu.read_place(&dst, size)?;
    let r = cpu.read_reg(reg)?;
    match instr.mnemonic() {
        Xchg => {
            cpu.write_place(&dst, size, r)?;
            cpu.write_reg(reg, old)
        }
        Xadd => {
            let (sum, f) = flags::add(old, r, false, size);
            cpu.write_place(&dst, size, sum)?;
            cpu.write_reg(reg, old)?;
            cpu.rflags = flags::merge(cpu.rflags, f, ARITH);
            Ok(())
        }
        Cmpxchg => {
            let acc = cpu.gpr(RAX)? & mask(size);
            let (_, f) = flags::sub(acc, old, false, size);
            cpu.rflags = flags::merge(cpu.rflags, f, ARITH);
            if acc == old {
                cpu.write_place(&dst, size, r)
            } else {
                // The processor writes the destination back unchanged (its
                // locked read is always paired with a write; SDM CMPXCHG):
                // a device sees that write.
                cpu.write_place(&dst, size, old)?;
                cpu.write_gpr_sized(RAX, size, old)
            }
        }
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// CMPXCHG8B / CMPXCHG16B: compare rDX:rAX with the memory operand.
fn cmpxchg_wide<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    if instr.op_kind(0) != OpKind::Memory {
        return Err(Stop::UNSUPPORTED);
    }
    let half = if instr.mnemonic() == Mnemonic::Cmpxchg16b {
        8
    } else {
        4
    };
    let (seg, off) = cpu.mem_offset(instr, 0)?;
    if half == 8 {
        let la = cpu.linear(seg, off, 16, Access::ReadWrite)?;
        if la % 16 != 0 {
            return Err(Stop::gp0());
        }
    }
    let span = cpu.resolve(seg, off, half * 2, Access::ReadWrite)?;
    let mut buf = [0u8; 16];
    cpu.read_span(&span, &mut buf[..half * 2])?;
    let m = mask(half);
    let lo = u64::from_le_bytes(buf[..8].try_into().unwrap_or([0; 8]));
    let hi_bytes: [u8; 8] = buf[8..16].try_into().unwrap_or([0; 8]);
    let (mem_lo, mem_hi) = if half == 8 {
        (lo, u64::from_le_bytes(hi_bytes))
    } else {
        (lo & m, lo >> 32)
    };
    let (eax, edx) = (cpu.gpr(RAX)? & m, cpu.gpr(RDX)? & m);
    if mem_lo == eax && mem_hi == edx {
        let (ebx, ecx) = (cpu.gpr(RBX)? & m, cpu.gpr(RCX)? & m);
        let mut out = [0u8; 16];
        if half == 8 {
            out[..8].copy_from_slice(&ebx.to_le_bytes());
            out[8..].copy_from_slice(&ecx.to_le_bytes());
        } else {
            out[..8].copy_from_slice(&(ebx | (ecx << 32)).to_le_bytes());
        }
        cpu.write_span(&span, &out[..half * 2])?;
        cpu.rflags |= ZF;
    } else {
        // Written back unchanged, as the processor does (SDM CMPXCHG8B/16B).
        cpu.write_span(&span, &buf[..half * 2])?;
        cpu.write_gpr_sized(RAX, half, mem_lo)?;
        cpu.write_gpr_sized(RDX, half, mem_hi)?;
        cpu.rflags &= !ZF;
    }
    Ok(())
}
