//! String instructions: MOVS STOS LODS CMPS SCAS INS OUTS, with REP /
//! REPE / REPNE, the direction flag, the address-size prefix (SI/ESI/RSI
//! and CX/ECX/RCX of that width) and a segment override for the source.
//!
//! Each iteration resolves every page it touches before moving a byte,
//! and completed iterations are checkpointed: a fault in iteration k
//! leaves RCX/RSI/RDI as the CPU would (k-1 iterations done). A REP is cut
//! after [`crate::MAX_REP_ITERATIONS`] iterations with RIP left on the
//! instruction, so the guest resumes it.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, ES, RAX, RCX, RDI, RDX, RSI};
use crate::exec::io::IoExit;
use crate::exec::{Flow, addr_mask, seg_index};
use crate::flags::{self, ARITH, DF, ZF};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The address size of a string instruction, from its implicit operands.
fn string_address_size(instr: &Instruction) -> Step<usize> {
    for i in 0..instr.op_count() {
        match instr.op_kind(i) {
            OpKind::MemorySegSI | OpKind::MemorySegDI | OpKind::MemoryESDI => return Ok(2),
            OpKind::MemorySegESI | OpKind::MemorySegEDI | OpKind::MemoryESEDI => return Ok(4),
            OpKind::MemorySegRSI | OpKind::MemorySegRDI | OpKind::MemoryESRDI => return Ok(8),
            _ => {}
        }
    }
    Err(Stop::UNSUPPORTED)
}

/// Runs a string instruction; returns whether RIP advances.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    _io: Option<&IoExit>,
) -> Step<Flow> {
    use Mnemonic::*;
    let m = instr.mnemonic();
    let asize = string_address_size(instr)?;
    let amask = addr_mask(asize);
    let size = instr.memory_size().size();
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let src_seg = seg_index(instr.memory_segment())?;
    let rep = instr.has_rep_prefix() || instr.has_repne_prefix();
    let compares = matches!(
        m,
        Cmpsb | Cmpsw | Cmpsd | Cmpsq | Scasb | Scasw | Scasd | Scasq
    );
    let delta = if cpu.rflags & DF != 0 {
        (size as u64).wrapping_neg()
    } else {
        size as u64
    };
    let mut done: u64 = 0;
    loop {
        if rep && cpu.gpr(RCX)? & amask == 0 {
            break;
        }
        // Single-stepping traps after every iteration.
        let cap = if cpu.single_step() {
            1
        } else {
            crate::MAX_REP_ITERATIONS
        };
        if done >= cap {
            return Ok(Flow::Stay);
        }
        let si = cpu.gpr(RSI)? & amask;
        let di = cpu.gpr(RDI)? & amask;
        let (mut step_si, mut step_di) = (false, false);
        match m {
            Movsb | Movsw | Movsd | Movsq => {
                let src = cpu.resolve(src_seg, si, size, Access::Read)?;
                let dst = cpu.resolve(ES, di, size, Access::Write)?;
                let v = cpu.read_value(&src, size)?;
                cpu.write_value(&dst, size, v)?;
                (step_si, step_di) = (true, true);
            }
            Stosb | Stosw | Stosd | Stosq => {
                let v = cpu.gpr(RAX)?;
                cpu.write_mem(ES, di, size, v)?;
                step_di = true;
            }
            Lodsb | Lodsw | Lodsd | Lodsq => {
                let v = cpu.read_mem(src_seg, si, size)?;
                cpu.write_gpr_sized(RAX, size, v)?;
                step_si = true;
            }
            Cmpsb | Cmpsw | Cmpsd | Cmpsq => {
                let a = cpu.resolve(src_seg, si, size, Access::Read)?;
                let b = cpu.resolve(ES, di, size, Access::Read)?;
                let a = cpu.read_value(&a, size)?;
                let b = cpu.read_value(&b, size)?;
                let (_, f) = flags::sub(a, b, false, size);
                cpu.rflags = flags::merge(cpu.rflags, f, ARITH);
                (step_si, step_di) = (true, true);
            }
            Scasb | Scasw | Scasd | Scasq => {
                let b = cpu.read_mem(ES, di, size)?;
                let (_, f) = flags::sub(cpu.gpr(RAX)?, b, false, size);
                cpu.rflags = flags::merge(cpu.rflags, f, ARITH);
                step_di = true;
            }
            Insb | Insw | Insd => {
                let dst = cpu.resolve(ES, di, size, Access::Write)?;
                let port = cpu.gpr(RDX)? as u16;
                let v = cpu.port_io(port, size, false, 0)?;
                cpu.write_value(&dst, size, u64::from(v))?;
                step_di = true;
            }
            Outsb | Outsw | Outsd => {
                let v = cpu.read_mem(src_seg, si, size)?;
                let port = cpu.gpr(RDX)? as u16;
                cpu.port_io(port, size, true, v as u32)?;
                step_si = true;
            }
            _ => return Err(Stop::UNSUPPORTED),
        }
        if step_si {
            cpu.write_gpr_sized(RSI, asize, si.wrapping_add(delta) & amask)?;
        }
        if step_di {
            cpu.write_gpr_sized(RDI, asize, di.wrapping_add(delta) & amask)?;
        }
        done += 1;
        if !rep {
            cpu.checkpoint();
            break;
        }
        let count = cpu.gpr(RCX)?.wrapping_sub(1) & amask;
        cpu.write_gpr_sized(RCX, asize, count)?;
        cpu.checkpoint();
        if compares {
            let zf = cpu.rflags & ZF != 0;
            if (instr.has_repe_prefix() && !zf) || (instr.has_repne_prefix() && zf) {
                break;
            }
        }
    }
    Ok(Flow::Next)
}
