//! Loading a segment register from memory: MOV Sreg, r/m16; POP Sreg
//! (the stack in MMIO); LDS, LES, LFS, LGS, LSS r, m16:16/32/64. The
//! descriptor comes from the GDT or LDT through the callbacks, with the
//! CPU's checks and faults ([`crate::descriptor`]); the new register is
//! written with the commit. Loading SS holds off interrupts and the
//! single-step trap for one instruction (`WHvRegisterInterruptState`'s
//! shadow is set).

use crate::callbacks::Callbacks;
use crate::cpu::{CS, Cpu, RSP, SS};
use crate::exec::stack::{pop_value, stack_size};
use crate::exec::{addr_mask, seg_index};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind, Register};

/// MOV Sreg, r/m16.
pub(crate) fn mov<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let i = seg_index(instr.op_register(0))?;
    if i == CS {
        return Err(Stop::ud());
    }
    let selector = cpu.src(instr, 1, 2)? as u16;
    let s = cpu.load_data_segment(i, selector)?;
    cpu.set_segment(i, s);
    Ok(())
}

/// POP Sreg: the selector in the low 16 bits of an operand-size slot.
pub(crate) fn pop<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let i = seg_index(instr.op_register(0))?;
    if i == CS {
        return Err(Stop::ud());
    }
    let size = instr.stack_pointer_increment().unsigned_abs() as usize;
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let ssize = stack_size(cpu)?;
    let sp = cpu.gpr(RSP)? & addr_mask(ssize);
    let v = pop_value(cpu, sp, size)?;
    let s = cpu.load_data_segment(i, v as u16)?;
    cpu.set_segment(i, s);
    cpu.write_gpr_sized(RSP, ssize, sp.wrapping_add(size as u64) & addr_mask(ssize))
}

/// LDS, LES, LFS, LGS, LSS r, m16:16/32/64: the offset, then the selector.
pub(crate) fn load_far<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    let seg = match instr.mnemonic() {
        Mnemonic::Lds => Register::DS,
        Mnemonic::Les => Register::ES,
        Mnemonic::Lfs => Register::FS,
        Mnemonic::Lgs => Register::GS,
        _ => Register::SS,
    };
    if instr.op_count() != 2
        || instr.op_kind(0) != OpKind::Register
        || instr.op_kind(1) != OpKind::Memory
    {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    let size = dst.size();
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let (s, off) = cpu.mem_offset(instr, 1)?;
    let span = cpu.resolve(s, off, size + 2, Access::Read)?;
    let mut b = [0u8; 10];
    cpu.read_span(&span, &mut b[..size + 2])?;
    let mut o = [0u8; 8];
    o[..size].copy_from_slice(&b[..size]);
    let selector = u16::from_le_bytes([b[size], b[size + 1]]);
    let i = seg_index(seg)?;
    let loaded = cpu.load_data_segment(i, selector)?;
    cpu.set_segment(i, loaded);
    if i == SS {
        cpu.ss_loaded = true;
    }
    cpu.write_reg(dst, u64::from_le_bytes(o))
}
