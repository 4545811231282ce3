//! The stack: PUSH and POP of a general-purpose register, a segment
//! register, an immediate or a memory operand, and the frame helpers the
//! branch instructions share — every slot through SS (address size from
//! the mode and SS.B, the stack pointer wrapping within it), all slots of
//! a frame checked and translated before the first byte moves, one memory
//! access per slot. A memory destination of POP is addressed with RSP
//! already incremented, as on the CPU.

use crate::access::Span;
use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, RSP, SS};
use crate::exec::{addr_mask, seg_index};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The most slots one frame holds (an IRET frame: RIP, CS, RFLAGS, RSP,
/// SS).
const MAX_SLOTS: usize = 5;

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

/// Resolves `n` slots of `size` bytes at stack offsets `sp`, `sp + size`,
/// … (`up`) or `sp - size`, `sp - 2·size`, … (pushes), each wrapping
/// within the stack-address size `ssize`.
fn slots<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    sp: u64,
    size: usize,
    n: usize,
    ssize: usize,
    up: bool,
    access: Access,
) -> Step<[Span; MAX_SLOTS]> {
    let mut spans = [Span::default(); MAX_SLOTS];
    let m = addr_mask(ssize);
    for (k, span) in spans.iter_mut().enumerate().take(n.min(MAX_SLOTS)) {
        let off = if up {
            sp.wrapping_add((k * size) as u64)
        } else {
            sp.wrapping_sub(((k + 1) * size) as u64)
        } & m;
        *span = cpu.resolve(SS, off, size, access)?;
    }
    Ok(spans)
}

/// Reads `out.len()` slots of `size` bytes from SS:`sp` up (the first
/// popped first), all checked before any is read.
pub(crate) fn pop_frame<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    sp: u64,
    size: usize,
    out: &mut [u64],
) -> Step<()> {
    let ssize = stack_size(cpu)?;
    let spans = slots(cpu, sp, size, out.len(), ssize, true, Access::Read)?;
    for (v, span) in out.iter_mut().zip(spans.iter()) {
        *v = cpu.read_value(span, size)?;
    }
    Ok(())
}

/// Reads one slot of `size` bytes at SS:`sp`.
pub(crate) fn pop_value<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    sp: u64,
    size: usize,
) -> Step<u64> {
    let mut v = [0];
    pop_frame(cpu, sp, size, &mut v)?;
    Ok(v[0])
}

/// Pushes `values` (the first pushed first, at the highest address) in
/// slots of `size` bytes below SS:`sp`, all checked before any is
/// written; returns the new stack offset (not yet written to RSP).
pub(crate) fn push_frame<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    sp: u64,
    size: usize,
    values: &[u64],
) -> Step<u64> {
    let ssize = stack_size(cpu)?;
    let spans = slots(cpu, sp, size, values.len(), ssize, false, Access::Write)?;
    for (v, span) in values.iter().zip(spans.iter()) {
        cpu.write_value(span, size, *v)?;
    }
    Ok(sp.wrapping_sub((values.len() * size) as u64) & addr_mask(ssize))
}

/// Moves RSP to `sp` within the stack-address size (its other bits kept).
pub(crate) fn set_sp<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, sp: u64) -> Step<()> {
    let ssize = stack_size(cpu)?;
    cpu.write_gpr_sized(RSP, ssize, sp & addr_mask(ssize))
}

/// The stack offset: RSP within the stack-address size.
pub(crate) fn sp<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>) -> Step<u64> {
    let ssize = stack_size(cpu)?;
    Ok(cpu.gpr(RSP)? & addr_mask(ssize))
}

/// PUSH or POP.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    if instr.op_count() != 1 {
        return Err(Stop::UNSUPPORTED);
    }
    let sreg = instr.op_kind(0) == OpKind::Register && instr.op_register(0).is_segment_register();
    if sreg && instr.mnemonic() == Mnemonic::Pop {
        return crate::exec::segload::pop(cpu, instr);
    }
    if instr.op_kind(0) == OpKind::Register && !instr.op_register(0).is_gpr() && !sreg {
        return Err(Stop::UNSUPPORTED);
    }
    let size = instr.stack_pointer_increment().unsigned_abs() as usize;
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let ssize = stack_size(cpu)?;
    let smask = addr_mask(ssize);
    let sp = cpu.gpr(RSP)? & smask;
    if instr.mnemonic() == Mnemonic::Push {
        let v = if sreg {
            // A segment register pushes its selector, zero-extended.
            u64::from(cpu.segment(seg_index(instr.op_register(0))?)?.Selector)
        } else {
            cpu.src(instr, 0, size)?
        };
        let new_sp = push_frame(cpu, sp, size, &[v])?;
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
