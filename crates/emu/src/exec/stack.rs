//! PUSH and POP of a general-purpose register, an immediate or a memory
//! operand, with the stack through SS (address size from the mode and
//! SS.B). A memory destination of POP is addressed with RSP already
//! incremented, as on the CPU.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, RSP, SS};
use crate::exec::addr_mask;
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The stack's address size in bytes.
pub(crate) fn stack_size<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>) -> Step<usize> {
    Ok(if cpu.long64() {
        8
    } else if cpu.segment(SS)?.default_bit() != 0 {
        4
    } else {
        2
    })
}

/// PUSH or POP.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    if instr.op_count() != 1 {
        return Err(Stop::UNSUPPORTED);
    }
    if instr.op_kind(0) == OpKind::Register && !instr.op_register(0).is_gpr() {
        return Err(Stop::UNSUPPORTED);
    }
    let size = cpu.op_size(instr, 0);
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let ssize = stack_size(cpu)?;
    let smask = addr_mask(ssize);
    let sp = cpu.gpr(RSP)? & smask;
    if instr.mnemonic() == Mnemonic::Push {
        let v = cpu.src(instr, 0, size)?;
        let new_sp = sp.wrapping_sub(size as u64) & smask;
        let span = cpu.resolve(SS, new_sp, size, Access::Write)?;
        cpu.write_value(&span, size, v)?;
        cpu.write_gpr_sized(RSP, ssize, new_sp)
    } else {
        let span = cpu.resolve(SS, sp, size, Access::Read)?;
        let new_sp = sp.wrapping_add(size as u64) & smask;
        let old_rsp = cpu.gpr(RSP)?;
        let was_dirty = cpu.gpr_written(RSP);
        cpu.write_gpr_sized(RSP, ssize, new_sp)?;
        let place = match cpu.place(instr, 0, size, Access::Write) {
            Ok(p) => p,
            Err(e) => {
                cpu.restore_gpr(RSP, old_rsp, was_dirty);
                return Err(e);
            }
        };
        let v = cpu.read_value(&span, size)?;
        cpu.write_place(&place, size, v)
    }
}
