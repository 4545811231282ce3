//! Executing a decoded instruction against the [`Cpu`]: the dispatch by
//! mnemonic and the operand helpers every instruction family shares.
//!
//! Each family's handler returns whether RIP advances past the instruction
//! (a `rep` string instruction cut short leaves RIP on itself, with its
//! registers showing the iterations done, as after an interrupt).

mod alu;
mod bits;
mod io;
mod mov;
mod sse;
mod stack;
mod string;

use crate::access::Span;
use crate::callbacks::Callbacks;
use crate::cpu::{CS, Cpu, DS, ES, FS, GS, SS};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind, Register};

pub(crate) use io::{IoExit, described, fast_io, simple_io};

/// Runs `instr`; returns whether RIP advances.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    io: Option<&IoExit>,
) -> Step<bool> {
    use Mnemonic::*;
    let m = instr.mnemonic();
    let port_insn = matches!(m, In | Out | Insb | Insw | Insd | Outsb | Outsw | Outsd);
    let touches_memory = matches!(m, Push | Pop)
        || (0..instr.op_count())
            .any(|i| instr.op_kind(i) == OpKind::Memory || is_string_kind(instr.op_kind(i)));
    // The instruction at RIP must be one that can cause this exit (another
    // VP may have rewritten it since).
    let fits = match io {
        Some(_) => port_insn,
        None => touches_memory && !matches!(m, In | Out),
    };
    if !fits {
        return Err(Stop::UNSUPPORTED);
    }
    if (0..instr.op_count()).any(|i| is_string_kind(instr.op_kind(i))) {
        return string::execute(cpu, instr, io);
    }
    match m {
        In | Out => io::in_out(cpu, instr, io).map(|()| true),
        Mov | Movzx | Movsx | Movsxd | Movbe | Movnti => mov::execute(cpu, instr).map(|()| true),
        Add | Or | Adc | Sbb | And | Sub | Xor | Cmp | Test | Not | Neg | Inc | Dec => {
            alu::arith(cpu, instr).map(|()| true)
        }
        Xchg | Cmpxchg | Cmpxchg8b | Cmpxchg16b | Xadd => alu::atomic(cpu, instr).map(|()| true),
        Bt | Bts | Btr | Btc => bits::bit_test(cpu, instr).map(|()| true),
        Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr => bits::shift(cpu, instr).map(|()| true),
        Seto | Setno | Setb | Setae | Sete | Setne | Setbe | Seta | Sets | Setns | Setp | Setnp
        | Setl | Setge | Setle | Setg => bits::setcc(cpu, instr).map(|()| true),
        Push | Pop => stack::execute(cpu, instr).map(|()| true),
        Cmovo | Cmovno | Cmovb | Cmovae | Cmove | Cmovne | Cmovbe | Cmova | Cmovs | Cmovns
        | Cmovp | Cmovnp | Cmovl | Cmovge | Cmovle | Cmovg => mov::cmov(cpu, instr).map(|()| true),
        Movd | Movq | Movdqa | Movdqu | Movaps | Movups | Movapd | Movupd | Movss | Movsd
        | Movntdq | Movntps | Movntpd | Movntdqa | Vmovd | Vmovq | Vmovdqa | Vmovdqu | Vmovaps
        | Vmovups | Vmovapd | Vmovupd | Vmovntdq | Vmovntps | Vmovntpd => {
            sse::execute(cpu, instr).map(|()| true)
        }
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// The implicit-address operand kinds of string instructions.
fn is_string_kind(k: OpKind) -> bool {
    matches!(
        k,
        OpKind::MemorySegSI
            | OpKind::MemorySegESI
            | OpKind::MemorySegRSI
            | OpKind::MemorySegDI
            | OpKind::MemorySegEDI
            | OpKind::MemorySegRDI
            | OpKind::MemoryESDI
            | OpKind::MemoryESEDI
            | OpKind::MemoryESRDI
    )
}

/// The index into [`Cpu::seg`] of a segment register.
pub(crate) fn seg_index(r: Register) -> Step<usize> {
    Ok(match r {
        Register::ES => ES,
        Register::CS => CS,
        Register::SS => SS,
        Register::DS => DS,
        Register::FS => FS,
        Register::GS => GS,
        _ => return Err(Stop::UNSUPPORTED),
    })
}

/// The address size in bytes of an explicit memory operand.
pub(crate) fn address_size(instr: &Instruction, bitness: u32) -> usize {
    let base = instr.memory_base();
    match base {
        Register::RIP => return 8,
        Register::EIP => return 4,
        Register::None => {}
        r => return r.size(),
    }
    match instr.memory_index() {
        Register::None => {}
        r => return r.size(),
    }
    match instr.memory_displ_size() {
        2 | 4 | 8 => instr.memory_displ_size() as usize,
        _ => (bitness / 8) as usize,
    }
}

/// The mask of an address of `size` bytes.
pub(crate) fn addr_mask(size: usize) -> u64 {
    match size {
        2 => 0xffff,
        4 => 0xffff_ffff,
        _ => u64::MAX,
    }
}

/// Where an operand lives.
pub(crate) enum Place {
    /// A general-purpose register.
    Reg(Register),
    /// Resolved guest memory.
    Mem(Span),
}

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// The segment and the (address-size truncated) offset of explicit
    /// memory operand `op`.
    pub fn mem_offset(&self, instr: &Instruction, op: u32) -> Step<(usize, u64)> {
        let seg = seg_index(instr.memory_segment())?;
        let off = instr
            .try_virtual_address(op, 0, |r, _, _| {
                if r.is_segment_register() {
                    Some(0)
                } else {
                    self.read_reg(r).ok()
                }
            })
            .ok_or(Stop::UNSUPPORTED)?;
        Ok((seg, off))
    }

    /// The size in bytes of operand `op`.
    pub fn op_size(&self, instr: &Instruction, op: u32) -> usize {
        match instr.op_kind(op) {
            OpKind::Register => instr.op_register(op).size(),
            OpKind::Memory => instr.memory_size().size(),
            OpKind::Immediate8 => 1,
            OpKind::Immediate16 | OpKind::Immediate8to16 => 2,
            OpKind::Immediate32 | OpKind::Immediate8to32 => 4,
            _ => 8,
        }
    }

    /// Resolves operand `op` as a place to read and/or write.
    pub fn place(
        &mut self,
        instr: &Instruction,
        op: u32,
        size: usize,
        access: Access,
    ) -> Step<Place> {
        match instr.op_kind(op) {
            OpKind::Register => Ok(Place::Reg(instr.op_register(op))),
            OpKind::Memory => {
                let (seg, off) = self.mem_offset(instr, op)?;
                Ok(Place::Mem(self.resolve(seg, off, size, access)?))
            }
            _ => Err(Stop::UNSUPPORTED),
        }
    }

    /// Reads `size` bytes from a place.
    pub fn read_place(&mut self, p: &Place, size: usize) -> Step<u64> {
        match p {
            Place::Reg(r) => self.read_reg(*r),
            Place::Mem(span) => self.read_value(span, size),
        }
    }

    /// Writes `size` bytes to a place.
    pub fn write_place(&mut self, p: &Place, size: usize, v: u64) -> Step<()> {
        match p {
            Place::Reg(r) => self.write_reg(*r, v),
            Place::Mem(span) => self.write_value(span, size, v),
        }
    }

    /// Reads source operand `op` (register, immediate or memory) of `size`
    /// bytes.
    pub fn src(&mut self, instr: &Instruction, op: u32, size: usize) -> Step<u64> {
        match instr.op_kind(op) {
            OpKind::Register => self.read_reg(instr.op_register(op)),
            OpKind::Memory => {
                let (seg, off) = self.mem_offset(instr, op)?;
                self.read_mem(seg, off, size)
            }
            OpKind::Immediate8
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64 => Ok(instr.immediate(op) & crate::flags::mask(size)),
            _ => Err(Stop::UNSUPPORTED),
        }
    }
}
