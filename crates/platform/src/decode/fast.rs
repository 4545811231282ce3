//! The retired-write fast match: for the plain forms — OUT imm8/DX and a
//! MOV/MOVNTI store of a general register or an immediate — what
//! [`super::undo_retired`]'s cached instruction would check on every exit
//! (port, size, data, the written address's page offset), compiled once
//! into a [`Plain`] when the instruction is cached, so that a device loop
//! exiting again at the same RIP is matched with a few loads and compares
//! instead of iced-x86's operand and address getters.
//!
//! A [`Plain`] is made only for forms whose check it reproduces exactly
//! (`retired::plain_performs` with `retired::performs`' `Out` and
//! `Mov | Movnti` arms, `memory_address` by iced-x86's own rules for a
//! `OpKind::Memory` operand); anything else — segment-register sources,
//! MOVBE, SETcc, SSE, string and stack forms — has none and takes the
//! general path. A plain form changes no register but RIP, so a hit
//! undoes the write by moving RIP back by its length.

use iced_x86::{Instruction, Mnemonic, OpKind, Register};
use kvm_bindings::{kvm_regs, kvm_sregs};

use super::{Access, gpr, gpr_index, low};

/// A general register operand: index (0 = RAX … 15 = R15), bit offset (8
/// for AH–BH) and size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gpr {
    index: u8,
    shift: u8,
    size: u8,
}

impl Gpr {
    fn of(r: Register) -> Option<Gpr> {
        let (index, shift) = gpr_index(r)?;
        Some(Gpr {
            index: index as u8,
            shift: shift as u8,
            size: r.size() as u8,
        })
    }

    /// The register's value (as `decode::register_value` gives it).
    fn value(self, regs: &kvm_regs) -> u64 {
        low(gpr(regs, usize::from(self.index)) >> self.shift, self.size)
    }
}

/// Which segment base a memory operand adds: ES, CS, SS, DS count only
/// outside 64-bit mode (`decode::register_value`), FS and GS always.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegBase {
    Es,
    Cs,
    Ss,
    Ds,
    Fs,
    Gs,
}

impl SegBase {
    fn of(r: Register) -> Option<SegBase> {
        Some(match r {
            Register::ES => SegBase::Es,
            Register::CS => SegBase::Cs,
            Register::SS => SegBase::Ss,
            Register::DS => SegBase::Ds,
            Register::FS => SegBase::Fs,
            Register::GS => SegBase::Gs,
            _ => return None,
        })
    }

    fn base(self, sregs: &kvm_sregs, bitness: u32) -> u64 {
        let flat = bitness == 64;
        match self {
            SegBase::Fs => sregs.fs.base,
            SegBase::Gs => sregs.gs.base,
            _ if flat => 0,
            SegBase::Es => sregs.es.base,
            SegBase::Cs => sregs.cs.base,
            SegBase::Ss => sregs.ss.base,
            SegBase::Ds => sregs.ds.base,
        }
    }
}

/// A memory operand's linear address, by iced-x86's `virtual_address`
/// rules for `OpKind::Memory` (displacement + base + index << scale,
/// within the address size, plus the segment base) and
/// `decode::linear` (32 bits outside 64-bit mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Address {
    displacement: u64,
    base: Option<Gpr>,
    index: Option<(Gpr, u8)>,
    mask: u64,
    segment: SegBase,
}

impl Address {
    fn of(i: &Instruction) -> Option<Address> {
        // (Only MOV and MOVNTI get here: none of iced-x86's forms that
        // ignore the segment or the index, LEA and the MPX/AMX ones.)
        if i.op0_kind() != OpKind::Memory {
            return None;
        }
        let base = i.memory_base();
        let index = i.memory_index();
        let size_of = |r: Register| match r {
            Register::None => 0,
            r => r.size(),
        };
        // iced-x86's get_address_size_in_bytes.
        let size = match size_of(base) | size_of(index) {
            0 if i.memory_displ_size() >= 2 => i.memory_displ_size() as usize,
            0 => match i.code_size() {
                iced_x86::CodeSize::Code32 => 4,
                iced_x86::CodeSize::Code16 => 2,
                _ => 8,
            },
            s => s,
        };
        let mask = match size {
            8 => u64::MAX,
            4 => u64::from(u32::MAX),
            2 => u64::from(u16::MAX),
            _ => return None,
        };
        let base = match base {
            Register::None | Register::RIP | Register::EIP => None,
            r => Some(Gpr::of(r)?),
        };
        let index = match index {
            Register::None => None,
            r => {
                // A vector index (VSIB) is not a plain store.
                if !r.is_gpr() {
                    return None;
                }
                let scale = i.memory_index_scale().trailing_zeros() as u8;
                Some((Gpr::of(r)?, scale))
            }
        };
        Some(Address {
            displacement: i.memory_displacement64(),
            base,
            index,
            mask,
            segment: SegBase::of(i.memory_segment())?,
        })
    }

    fn linear(&self, regs: &kvm_regs, sregs: &kvm_sregs, bitness: u32) -> u64 {
        let mut offset = self.displacement;
        if let Some(b) = self.base {
            offset = offset.wrapping_add(b.value(regs));
        }
        if let Some((x, scale)) = self.index {
            offset = offset.wrapping_add(x.value(regs) << scale);
        }
        let a = self
            .segment
            .base(sregs, bitness)
            .wrapping_add(offset & self.mask);
        if bitness == 64 { a } else { a & 0xffff_ffff }
    }
}

/// The data a plain store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Register(Gpr),
    Immediate(u64),
}

/// A plain form's check, compiled from its decoded instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plain(Form);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `out imm8, al/ax/eax` (`port` Some) or `out dx, …`.
    Out {
        port: Option<u16>,
        source: Gpr,
        /// The instruction has a (meaningless) REP prefix: reported in the
        /// exit's access info as the general path does.
        rep: bool,
    },
    /// `mov`/`movnti [mem], reg/imm` of `operand` bytes.
    Store {
        address: Address,
        source: Source,
        operand: u8,
    },
}

/// What a hit gives the exit path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// The instruction's length (RIP moves back by it).
    pub(crate) len: u8,
    /// The REP prefix of an OUT.
    pub(crate) rep: bool,
    /// A store's written operand: its linear address (from the registers
    /// before it: RIP does not enter it) and size.
    pub(crate) operand: Option<(u64, usize)>,
}

impl Plain {
    /// The check for `i`, when it is one of the plain forms this module
    /// reproduces. A store's address is checked against iced-x86's for the
    /// registers at hand (`regs`, `sregs`: those it was matched with),
    /// so that a form computed differently gets no check at all.
    pub(crate) fn compile(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<Plain> {
        let form = Self::compile_unchecked(i)?;
        if let Form::Store { address, .. } = form {
            let bitness = super::bitness(regs, sregs);
            if Some(address.linear(regs, sregs, bitness)) != super::memory_address(i, regs, sregs) {
                return None;
            }
        }
        Some(Plain(form))
    }

    fn compile_unchecked(i: &Instruction) -> Option<Form> {
        match i.mnemonic() {
            Mnemonic::Out => {
                if i.op_count() != 2 || i.op1_kind() != OpKind::Register {
                    return None;
                }
                let port = match i.op0_kind() {
                    OpKind::Immediate8 => Some(i.immediate8() as u16),
                    OpKind::Register if i.op0_register() == Register::DX => None,
                    _ => return None,
                };
                Some(Form::Out {
                    port,
                    source: Gpr::of(i.op1_register())?,
                    rep: i.has_rep_prefix(),
                })
            }
            Mnemonic::Mov | Mnemonic::Movnti => {
                if i.op_count() != 2 {
                    return None;
                }
                let source = match i.op1_kind() {
                    OpKind::Register => Source::Register(Gpr::of(i.op1_register())?),
                    OpKind::Immediate8
                    | OpKind::Immediate16
                    | OpKind::Immediate32
                    | OpKind::Immediate8to16
                    | OpKind::Immediate8to32
                    | OpKind::Immediate8to64
                    | OpKind::Immediate32to64 => Source::Immediate(i.immediate(1)),
                    _ => return None,
                };
                let operand = i.memory_size().size();
                if operand == 0 || operand > 8 {
                    return None;
                }
                Some(Form::Store {
                    address: Address::of(i)?,
                    source,
                    operand: operand as u8,
                })
            }
            _ => None,
        }
    }

    /// Whether the instruction performed `access` (at `gpa`'s page offset
    /// for a store), with the registers KVM reports after it; `len` is its
    /// length.
    pub(crate) fn matches(
        &self,
        len: u8,
        regs: &kvm_regs,
        sregs: &kvm_sregs,
        bitness: u32,
        access: Access,
        gpa: Option<u64>,
    ) -> Option<Hit> {
        match (self.0, access) {
            (
                Form::Out { port, source, rep },
                Access::PortOut {
                    port: p,
                    size,
                    data,
                },
            ) => {
                let port = port.unwrap_or(regs.rdx as u16);
                let ok = port == p
                    && source.size == size
                    && source.value(regs) == u64::from(data)
                    && gpa.is_none();
                ok.then_some(Hit {
                    len,
                    rep,
                    operand: None,
                })
            }
            (
                Form::Store {
                    address,
                    source,
                    operand,
                },
                Access::MemWrite { size, data },
            ) => {
                if operand < size {
                    return None;
                }
                let value = match source {
                    Source::Register(r) => r.value(regs),
                    Source::Immediate(v) => v,
                };
                if low(value, size) != low(data, size) {
                    return None;
                }
                let at = address.linear(regs, sregs, bitness);
                if gpa.is_some_and(|gpa| at & 0xfff != gpa & 0xfff) {
                    return None;
                }
                Some(Hit {
                    len,
                    rep: false,
                    operand: Some((at, usize::from(operand))),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
