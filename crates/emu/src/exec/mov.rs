//! MOV in its forms with a memory operand: `mov r/m, r|imm|sreg`,
//! `mov r, r/m`, moffs, MOVZX, MOVSX, MOVSXD, MOVBE, MOVNTI, and CMOVcc.
//! None touches the flags.

use crate::callbacks::Callbacks;
use crate::cpu::Cpu;
use crate::exec::seg_index;
use crate::flags::mask;
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// Byte-swaps the low `size` bytes of `v`.
fn bswap(v: u64, size: usize) -> u64 {
    match size {
        2 => u64::from((v as u16).swap_bytes()),
        4 => u64::from((v as u32).swap_bytes()),
        _ => v.swap_bytes(),
    }
}

/// Sign-extends the low `size` bytes of `v`.
pub(crate) fn sign_extend(v: u64, size: usize) -> u64 {
    match size {
        1 => v as u8 as i8 as i64 as u64,
        2 => v as u16 as i16 as i64 as u64,
        4 => v as u32 as i32 as i64 as u64,
        _ => v,
    }
}

/// Runs a MOV-family instruction.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    let m = instr.mnemonic();
    if instr.op_count() != 2 {
        return Err(Stop::UNSUPPORTED);
    }
    if !matches!(instr.memory_size().size(), 1 | 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let to_mem = instr.op_kind(0) == OpKind::Memory;
    if to_mem {
        let size = instr.memory_size().size();
        let value =
            if instr.op_kind(1) == OpKind::Register && instr.op_register(1).is_segment_register() {
                let i = seg_index(instr.op_register(1))?;
                u64::from(cpu.segment(i)?.Selector)
            } else {
                cpu.src(instr, 1, size)?
            };
        let value = if m == Mnemonic::Movbe {
            bswap(value, size)
        } else {
            value
        };
        let (seg, off) = cpu.mem_offset(instr, 0)?;
        let span = cpu.resolve(seg, off, size, Access::Write)?;
        return cpu.write_value(&span, size, value & mask(size));
    }
    if instr.op_kind(0) != OpKind::Register || instr.op_kind(1) != OpKind::Memory {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    if dst.is_segment_register() {
        return crate::exec::segload::mov(cpu, instr);
    }
    if !dst.is_gpr() {
        return Err(Stop::UNSUPPORTED);
    }
    let src_size = instr.memory_size().size();
    let v = cpu.src(instr, 1, src_size)?;
    let v = match m {
        Mnemonic::Movsx | Mnemonic::Movsxd => sign_extend(v, src_size),
        Mnemonic::Movbe => bswap(v, src_size),
        _ => v,
    };
    cpu.write_reg(dst, v & mask(dst.size()))
}

/// CMOVcc r, m: the memory is read whatever the condition; a false
/// condition still zero-extends a 32-bit destination, as on the CPU.
pub(crate) fn cmov<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    if instr.op_count() != 2
        || instr.op_kind(0) != OpKind::Register
        || instr.op_kind(1) != OpKind::Memory
    {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    if !dst.is_gpr() {
        return Err(Stop::UNSUPPORTED);
    }
    let size = dst.size();
    let v = cpu.src(instr, 1, size)?;
    let cc = (instr.condition_code() as u8).wrapping_sub(1) & 15;
    let new = if crate::flags::condition(cpu.rflags, cc) {
        v
    } else {
        cpu.read_reg(dst)?
    };
    cpu.write_reg(dst, new & mask(size))
}
