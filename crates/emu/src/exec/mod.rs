//! Executing a decoded instruction against the [`Cpu`]: the dispatch by
//! mnemonic and the operand helpers every instruction family shares.
//!
//! Each family's handler returns whether RIP advances past the instruction
//! (a `rep` string instruction cut short leaves RIP on itself, with its
//! registers showing the iterations done, as after an interrupt).

mod alu;
mod bits;
mod bmi;
mod branch;
mod host_sse;
mod io;
mod mov;
mod muldiv;
mod scan;
mod segload;
mod simd;
mod sse;
mod stack;
mod string;
mod system;
mod x87;

use crate::access::Span;
use crate::callbacks::Callbacks;
use crate::cpu::{CS, Cpu, DS, ES, FS, GS, Mode, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP, SS};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{EncodingKind, Instruction, Mnemonic, OpKind, Register};

pub(crate) use io::{IoExit, described, fast_io, simple_io};

/// Where RIP goes after the instruction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Past the instruction.
    Next,
    /// Stays on it (a `rep` string instruction cut short resumes there).
    Stay,
    /// To this RIP (a branch; already within the new code size).
    Jump(u64),
}

/// Runs `instr`.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    io: Option<&IoExit>,
) -> Step<Flow> {
    use Mnemonic::*;
    let m = instr.mnemonic();
    let port_insn = matches!(m, In | Out | Insb | Insw | Insd | Outsb | Outsw | Outsd);
    let n = needs(cpu, instr);
    // The instruction at RIP must be one that can cause this exit (another
    // VP may have rewritten it since).
    let fits = match io {
        Some(_) => port_insn,
        None => n.memory && !matches!(m, In | Out),
    };
    if !fits {
        return Err(Stop::UNSUPPORTED);
    }
    if instr.encoding() != EncodingKind::Legacy
        && matches!(cpu.mode, Mode::Real | Mode::Virtual8086)
    {
        // VEX (and EVEX) encodings do not exist in real and virtual-8086
        // mode.
        return Err(Stop::ud());
    }
    let mut gprs = n.gprs;
    if matches!(m, In | Out) && io.is_some_and(|e| e.port.is_some()) {
        // The exit names the port: DX is not read.
        gprs &= !(1 << RDX);
    }
    cpu.need(gprs, n.segs, n.xmms)?;
    if n.string {
        return string::execute(cpu, instr, io);
    }
    let next = |r: Step<()>| r.map(|()| Flow::Next);
    match m {
        In | Out => next(io::in_out(cpu, instr, io)),
        Mov | Movzx | Movsx | Movsxd | Movbe | Movnti => next(mov::execute(cpu, instr)),
        Add | Or | Adc | Sbb | And | Sub | Xor | Cmp | Test | Not | Neg | Inc | Dec => {
            next(alu::arith(cpu, instr))
        }
        Xchg | Cmpxchg | Cmpxchg8b | Cmpxchg16b | Xadd => next(alu::atomic(cpu, instr)),
        Bt | Bts | Btr | Btc => next(bits::bit_test(cpu, instr)),
        Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr => next(bits::shift(cpu, instr)),
        Seto | Setno | Setb | Setae | Sete | Setne | Setbe | Seta | Sets | Setns | Setp | Setnp
        | Setl | Setge | Setle | Setg => next(bits::setcc(cpu, instr)),
        Shld | Shrd => next(bits::double_shift(cpu, instr)),
        Mul | Imul | Div | Idiv => next(muldiv::execute(cpu, instr)),
        Bsf | Bsr | Tzcnt | Lzcnt | Popcnt => next(scan::execute(cpu, instr)),
        Andn | Bextr | Blsi | Blsmsk | Blsr | Bzhi | Mulx | Pdep | Pext | Rorx | Sarx | Shlx
        | Shrx | Adcx | Adox | Crc32 => next(bmi::execute(cpu, instr)),
        Push | Pop => next(stack::execute(cpu, instr)),
        Call | Jmp | Ret | Retf | Enter | Leave | Iret | Iretd | Iretq => {
            branch::execute(cpu, instr)
        }
        Lds | Les | Lfs | Lgs | Lss => next(segload::load_far(cpu, instr)),
        Sgdt | Sidt | Sldt | Str | Smsw | Lgdt | Lidt | Lldt | Ltr | Lmsw => {
            next(system::execute(cpu, instr))
        }
        Cmovo | Cmovno | Cmovb | Cmovae | Cmove | Cmovne | Cmovbe | Cmova | Cmovs | Cmovns
        | Cmovp | Cmovnp | Cmovl | Cmovge | Cmovle | Cmovg => next(mov::cmov(cpu, instr)),
        Movd | Movq | Movdqa | Movdqu | Movaps | Movups | Movapd | Movupd | Movss | Movsd
        | Movntdq | Movntps | Movntpd | Movntdqa | Vmovd | Vmovq | Vmovdqa | Vmovdqu | Vmovaps
        | Vmovups | Vmovapd | Vmovupd | Vmovntdq | Vmovntps | Vmovntpd => {
            next(sse::execute(cpu, instr))
        }
        m if simd::handles(m) => next(simd::execute(cpu, instr)),
        m if x87::handles(m) => next(x87::execute(cpu, instr)),
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// Instructions whose memory access is the stack (no memory operand).
fn uses_stack(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Push | Pop
            | Call
            | Ret
            | Retf
            | Enter
            | Leave
            | Iret
            | Iretd
            | Iretq
            | Pushf
            | Pushfd
            | Pushfq
            | Popf
            | Popfd
            | Popfq
            | Pusha
            | Pushad
            | Popa
            | Popad
    )
}

/// What one pass over an instruction's operands finds.
struct Needs {
    /// GPRs read (bit *i* = register *i*).
    gprs: u16,
    /// Segment registers read (ES..GS).
    segs: u8,
    /// XMM registers read.
    xmms: u16,
    /// Whether it accesses memory (an operand, the stack, a string).
    memory: bool,
    /// Whether it is a string instruction.
    string: bool,
}

/// The GPRs, segment registers and XMM registers `instr` reads (bit masks
/// by register number), so that one get-registers call fetches them all,
/// and whether it touches memory. A register it reads that is not listed
/// here is fetched when used: the list only saves callbacks.
fn needs<C: Callbacks + ?Sized>(cpu: &Cpu<'_, C>, instr: &Instruction) -> Needs {
    use Mnemonic::*;
    let bit = Cpu::<C>::gpr_bit;
    let long = cpu.long64();
    // A data segment matters outside 64-bit mode, and FS/GS (their base)
    // in it.
    let data_seg = |r: Register| match seg_index(r) {
        Ok(i) if !long || i == FS || i == GS => 1u8 << i,
        _ => 0,
    };
    let (mut g, mut s, mut x) = (0u16, 0u8, 0u16);
    let m = instr.mnemonic();
    // The common MMIO forms name every register they use.
    let explicit = matches!(
        m,
        Mov | Movzx | Movsx | Movsxd | Add | Sub | And | Or | Xor | Cmp | Test | Movdqu | Movups
    );
    let stack = !explicit && uses_stack(m);
    let mut memory = stack;
    let mut string = false;
    for i in 0..instr.op_count() {
        let kind = instr.op_kind(i);
        if is_string_kind(kind) {
            string = true;
            memory = true;
        }
        match kind {
            OpKind::Register => {
                let r = instr.op_register(i);
                if r.is_gpr() {
                    // A 32/64-bit destination that is only written.
                    let write_only = i == 0
                        && r.size() >= 4
                        && matches!(
                            m,
                            Mov | Movzx | Movsx | Movsxd | Movbe | Popcnt | Lzcnt | Tzcnt
                        )
                        && instr.op_count() == 2;
                    if !write_only {
                        g |= bit(r);
                    }
                } else if r.is_xmm() {
                    x |= 1 << (r.number() & 15);
                } else if r.is_segment_register() {
                    s |= seg_index(r).map_or(0, |i| 1 << i);
                }
            }
            OpKind::Memory => {
                memory = true;
                g |= bit(instr.memory_base()) | bit(instr.memory_index());
                s |= data_seg(instr.memory_segment());
            }
            OpKind::MemorySegSI | OpKind::MemorySegESI | OpKind::MemorySegRSI => {
                g |= 1 << RSI;
                s |= data_seg(instr.memory_segment());
            }
            OpKind::MemoryESDI | OpKind::MemoryESEDI | OpKind::MemoryESRDI => {
                g |= 1 << RDI;
                s |= data_seg(Register::ES);
            }
            OpKind::MemorySegDI | OpKind::MemorySegEDI | OpKind::MemorySegRDI => {
                g |= 1 << RDI;
                s |= data_seg(instr.memory_segment());
            }
            _ => {}
        }
    }
    if explicit {
        return Needs {
            gprs: g,
            segs: s,
            xmms: x,
            memory,
            string,
        };
    }
    if instr.has_rep_prefix() || instr.has_repne_prefix() {
        g |= 1 << RCX;
    }
    if stack {
        g |= 1 << RSP;
        s |= data_seg(Register::SS);
        if matches!(m, Enter | Leave) {
            g |= 1 << RBP;
        }
    }
    g |= match m {
        Mul | Div | Idiv => (1 << RAX) | (1 << RDX),
        Imul if instr.op_count() == 1 => (1 << RAX) | (1 << RDX),
        Cmpxchg => 1 << RAX,
        Cmpxchg8b | Cmpxchg16b => (1 << RAX) | (1 << RBX) | (1 << RCX) | (1 << RDX),
        Stosb | Stosw | Stosd | Stosq | Lodsb | Lodsw | Lodsd | Lodsq | Scasb | Scasw | Scasd
        | Scasq => 1 << RAX,
        Insb | Insw | Insd | Outsb | Outsw | Outsd => 1 << RDX,
        Mulx => 1 << RDX,
        Xlatb => (1 << RAX) | (1 << RBX),
        _ => 0,
    };
    Needs {
        gprs: g,
        segs: s,
        xmms: x,
        memory,
        string,
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
    /// memory operand `op`: base + index × scale + displacement (a
    /// RIP-relative displacement is already absolute, the instruction
    /// being decoded at its RIP), within the address size.
    pub fn mem_offset(&mut self, instr: &Instruction, _op: u32) -> Step<(usize, u64)> {
        let seg = seg_index(instr.memory_segment())?;
        let base = instr.memory_base();
        let index = instr.memory_index();
        let mut off = instr.memory_displacement64();
        if base != Register::None && base != Register::RIP && base != Register::EIP {
            off = off.wrapping_add(self.read_reg(base)?);
        }
        if index != Register::None {
            // Vector indexes (VSIB) are not general registers: refused.
            let v = self.read_reg(index)?;
            off = off.wrapping_add(v.wrapping_mul(u64::from(instr.memory_index_scale())));
        }
        Ok((seg, off & addr_mask(address_size(instr, self.bitness))))
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
