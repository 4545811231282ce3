//! The instruction behind an I/O-port or MMIO exit, decoded with iced-x86:
//! its length and bytes, and for an access KVM reports after it retired,
//! which instruction ended at the current RIP.
//!
//! Windows intercepts these accesses *before* the instruction runs; KVM
//! reports writes after it retired (DESIGN.md, "Exit semantics"). For a
//! retired write the instruction is found by decoding the candidates that
//! end at RIP and keeping the shortest one whose kind, size, port or
//! address and data match what KVM reported (a redundant prefix is the only
//! way to be ambiguous, and the shortest form is then the right guess).
//! This module recognises the plain forms — `out` with an immediate or DX
//! port, and `mov` stores (register or immediate source) — which leave no
//! register side effects to undo; issue #4 (the emulator) extends
//! [`match_retired`] to every form.

use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};
use kvm_bindings::{kvm_regs, kvm_sregs};

/// What KVM reported about an access, to match a candidate instruction.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access {
    /// A port write of `size` bytes (1, 2, 4) with `data`.
    PortOut { port: u16, size: u8, data: u32 },
    /// A memory write of `size` bytes (1..=8) with `data` (its address is
    /// checked by the caller).
    MemWrite { size: u8, data: u64 },
}

/// The code size of the VP's current mode: 16, 32 or 64.
pub(crate) fn bitness(regs: &kvm_regs, sregs: &kvm_sregs) -> u32 {
    const RFLAGS_VM: u64 = 1 << 17;
    if sregs.cr0 & 1 == 0 || regs.rflags & RFLAGS_VM != 0 {
        16
    } else if sregs.efer & (1 << 10) != 0 && sregs.cs.l != 0 {
        64
    } else if sregs.cs.db != 0 {
        32
    } else {
        16
    }
}

/// Decodes the instruction at the start of `bytes`, or `None` when the bytes
/// do not hold a whole valid instruction.
pub(crate) fn decode(bytes: &[u8], bitness: u32, ip: u64) -> Option<Instruction> {
    let mut d = Decoder::with_ip(bitness, bytes, ip, DecoderOptions::NONE);
    let i = d.decode();
    (!i.is_invalid()).then_some(i)
}

/// The value of a register as an address computation or a data check reads
/// it. Segment registers give their base (0 for ES/CS/SS/DS in 64-bit mode).
pub(crate) fn register_value(
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    r: Register,
) -> Option<u64> {
    let seg = |s: &kvm_bindings::kvm_segment, flat: bool| {
        Some(if flat && bitness == 64 { 0 } else { s.base })
    };
    match r {
        Register::ES => return seg(&sregs.es, true),
        Register::CS => return seg(&sregs.cs, true),
        Register::SS => return seg(&sregs.ss, true),
        Register::DS => return seg(&sregs.ds, true),
        Register::FS => return seg(&sregs.fs, false),
        Register::GS => return seg(&sregs.gs, false),
        Register::RIP | Register::EIP => return Some(0),
        _ => {}
    }
    let (index, shift) = gpr_index(r)?;
    let full = gpr(regs, index);
    let bits = r.size() * 8;
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    Some((full >> shift) & mask)
}

/// The general register (0 = RAX … 15 = R15) holding `r`, and the bit
/// offset of `r` in it (8 for AH/CH/DH/BH).
pub(crate) fn gpr_index(r: Register) -> Option<(usize, u32)> {
    if !r.is_gpr() {
        return None;
    }
    if matches!(r, Register::AH | Register::CH | Register::DH | Register::BH) {
        return Some((r.number() - 4, 8));
    }
    Some((r.full_register().number(), 0))
}

/// General register `index` (WHP / encoding order) of `regs`.
pub(crate) fn gpr(regs: &kvm_regs, index: usize) -> u64 {
    match index {
        0 => regs.rax,
        1 => regs.rcx,
        2 => regs.rdx,
        3 => regs.rbx,
        4 => regs.rsp,
        5 => regs.rbp,
        6 => regs.rsi,
        7 => regs.rdi,
        8 => regs.r8,
        9 => regs.r9,
        10 => regs.r10,
        11 => regs.r11,
        12 => regs.r12,
        13 => regs.r13,
        14 => regs.r14,
        _ => regs.r15,
    }
}

/// Among the instructions that end exactly at the end of `before` (the up
/// to 15 bytes preceding RIP), the one that performed `access`; returns it
/// with its length.
///
/// Bytes before an instruction can decode in more than one way: a suffix
/// of the real instruction may itself be a valid instruction making a
/// write of the same size and data through another address (`41 c6 43 58
/// 82`, `mov byte [r11+0x58], 0x82`, ends with `c6 43 58 82`, `mov byte
/// [rbx+0x58], 0x82`), and the previous instruction's last bytes may read
/// as redundant prefixes of this one. So every candidate is decoded; the
/// longest one fixes the operand (a suffix that drops a REX, SIB or
/// operand-size byte accesses another address or size, or stores another
/// register), and the shortest candidate with that same mnemonic, operand
/// size, registers, immediates and address is returned (redundant
/// prefixes change nothing). A caller that
/// knows the accessed address should use [`match_retired_at`], which is
/// exact.
pub(crate) fn match_retired(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
) -> Option<(Instruction, usize)> {
    pick(
        candidates(before, regs, sregs, rip, access, None),
        regs,
        sregs,
    )
}

/// [`match_retired`] for an MMIO write whose guest-physical address is
/// `gpa`: only candidates whose operand address has `gpa`'s page offset
/// count.
pub(crate) fn match_retired_at(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
    gpa: u64,
) -> Option<(Instruction, usize)> {
    pick(
        candidates(before, regs, sregs, rip, access, Some(gpa)),
        regs,
        sregs,
    )
}

/// The candidates (instruction, length) performing `access`, shortest
/// first, at most one per length.
fn candidates(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
    gpa: Option<u64>,
) -> Vec<(Instruction, usize)> {
    let bitness = bitness(regs, sregs);
    let mut found = Vec::new();
    for len in 1..=before.len().min(15) {
        let bytes = &before[before.len() - len..];
        let Some(i) = decode(bytes, bitness, rip.wrapping_sub(len as u64)) else {
            continue;
        };
        if i.len() != len || !performs(&i, regs, sregs, bitness, access) {
            continue;
        }
        if let Some(gpa) = gpa {
            let at = memory_address(&i, regs, sregs);
            if at.is_none_or(|a| a & 0xfff != gpa & 0xfff) {
                continue;
            }
        }
        found.push((i, len));
    }
    found
}

fn pick(
    found: Vec<(Instruction, usize)>,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
) -> Option<(Instruction, usize)> {
    let (longest, _) = found.last()?;
    let same = |i: &Instruction| {
        i.mnemonic() == longest.mnemonic()
            && i.memory_size() == longest.memory_size()
            && same_operands(i, longest)
            && memory_address(i, regs, sregs) == memory_address(longest, regs, sregs)
    };
    found.iter().find(|(i, _)| same(i)).copied()
}

/// `value` masked to its low `size` bytes.
fn low(value: u64, size: u8) -> u64 {
    if size >= 8 {
        value
    } else {
        value & ((1u64 << (u32::from(size) * 8)) - 1)
    }
}

fn performs(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
) -> bool {
    let value = |r| register_value(regs, sregs, bitness, r);
    match access {
        Access::PortOut { port, size, data } => {
            if i.mnemonic() != Mnemonic::Out
                || i.op_count() != 2
                || i.op1_kind() != OpKind::Register
            {
                return false;
            }
            let src = i.op1_register();
            let port_ok = match i.op0_kind() {
                OpKind::Immediate8 => u64::from(port) == i.immediate8() as u64,
                OpKind::Register if i.op0_register() == Register::DX => {
                    value(Register::DX) == Some(u64::from(port))
                }
                _ => false,
            };
            port_ok && src.size() == usize::from(size) && value(src) == Some(u64::from(data))
        }
        Access::MemWrite { size, data } => {
            if i.op_count() == 0 || i.op0_kind() != OpKind::Memory {
                return false;
            }
            // The whole operand, or the first fragment of one that crosses
            // a page (KVM reports each part as its own exit).
            let operand = i.memory_size().size();
            if operand < usize::from(size) || (operand > 8 && size > 8) {
                return false;
            }
            let check = |v: Option<u64>| v.is_some_and(|v| low(v, size) == low(data, size));
            let source = || match i.op1_kind() {
                OpKind::Register => value(i.op1_register()),
                OpKind::Immediate8
                | OpKind::Immediate16
                | OpKind::Immediate32
                | OpKind::Immediate8to16
                | OpKind::Immediate8to32
                | OpKind::Immediate8to64
                | OpKind::Immediate32to64 => Some(i.immediate(1)),
                _ => None,
            };
            match i.mnemonic() {
                // Plain stores: no register changes to undo.
                Mnemonic::Mov | Mnemonic::Movnti if i.op1_kind() != OpKind::Memory => {
                    if i.op1_kind() == OpKind::Register && i.op1_register().is_segment_register() {
                        return operand == usize::from(size);
                    }
                    operand <= 8 && check(source())
                }
                Mnemonic::Movbe => {
                    let swapped = value(i.op1_register()).map(|v| match operand {
                        2 => u64::from((v as u16).swap_bytes()),
                        4 => u64::from((v as u32).swap_bytes()),
                        _ => v.swap_bytes(),
                    });
                    check(swapped)
                }
                m if setcc(m) => operand == 1 && size == 1 && data & 0xff <= 1,
                // SSE/AVX stores: the XMM source is not in kvm_regs; the
                // size and (by the caller) the address decide.
                Mnemonic::Movd
                | Mnemonic::Movq
                | Mnemonic::Movss
                | Mnemonic::Movsd
                | Mnemonic::Movdqa
                | Mnemonic::Movdqu
                | Mnemonic::Movaps
                | Mnemonic::Movups
                | Mnemonic::Movapd
                | Mnemonic::Movupd
                | Mnemonic::Movntdq
                | Mnemonic::Movntps
                | Mnemonic::Movntpd
                | Mnemonic::Movlps
                | Mnemonic::Movhps
                | Mnemonic::Movlpd
                | Mnemonic::Movhpd
                | Mnemonic::Vmovd
                | Mnemonic::Vmovq
                | Mnemonic::Vmovdqa
                | Mnemonic::Vmovdqu
                | Mnemonic::Vmovaps
                | Mnemonic::Vmovups
                | Mnemonic::Vmovapd
                | Mnemonic::Vmovupd
                | Mnemonic::Vmovntdq => {
                    i.op1_kind() == OpKind::Register && i.op1_register().is_xmm()
                }
                _ => false,
            }
        }
    }
}

/// A retired write's instruction, its length, and the registers as they
/// were before it (RIP at its first byte; RCX/RSI/RDI of a string
/// instruction before this iteration; RSP before a PUSH or POP).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retired {
    pub(crate) insn: Instruction,
    pub(crate) len: usize,
    pub(crate) regs: kvm_regs,
}

/// Finds the instruction behind a retired write — the plain forms of
/// [`match_retired_at`] and those with register side effects, which it
/// undoes: STOS/MOVS (MMIO destination) and OUTS, with or without REP
/// (mid-REP, KVM leaves RIP on the instruction and RCX/RSI/RDI after the
/// iteration), PUSH (register, immediate, memory) onto an MMIO stack, and
/// POP to MMIO. `before` holds the up to 15 bytes that end at RIP, `at`
/// the bytes at RIP; `gpa` the written guest-physical address (MMIO) or
/// `None` for a port write.
///
/// Not handled: CALL onto an MMIO stack (RIP is then the call's target;
/// its bytes end at the pushed return address, which the caller would have
/// to read) and ENTER.
pub(crate) fn undo_retired(
    before: &[u8],
    at: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    access: Access,
    gpa: Option<u64>,
) -> Option<Retired> {
    let bitness = bitness(regs, sregs);
    let rip = regs.rip;
    // Mid-REP: the instruction at RIP, one iteration done.
    if let Some(i) = decode(at, bitness, rip) {
        if i.has_rep_prefix() || i.has_repne_prefix() {
            if let Some(r) = string_before(&i, regs, sregs, bitness, access, gpa, false) {
                return Some(Retired {
                    insn: i,
                    len: i.len(),
                    regs: r,
                });
            }
        }
    }
    // Plain forms ending at RIP.
    let plain = match gpa {
        Some(gpa) => match_retired_at(before, regs, sregs, rip, access, gpa),
        None => match_retired(before, regs, sregs, rip, access),
    };
    if let Some((i, len)) = plain {
        let mut r = *regs;
        r.rip = rip.wrapping_sub(len as u64);
        return Some(Retired {
            insn: i,
            len,
            regs: r,
        });
    }
    // Forms with side effects ending at RIP: the longest candidate decides
    // (a REP or operand-size byte before a string instruction belongs to
    // it), and the shortest equivalent one is kept (redundant prefixes).
    let mut found: Option<Retired> = None;
    for len in (1..=before.len().min(15)).rev() {
        let bytes = &before[before.len() - len..];
        let Some(i) = decode(bytes, bitness, rip.wrapping_sub(len as u64)) else {
            continue;
        };
        if i.len() != len {
            continue;
        }
        if let Some(f) = &found {
            if !equivalent(&f.insn, &i) {
                continue;
            }
        }
        let undone = if i.is_string_instruction() {
            string_before(&i, regs, sregs, bitness, access, gpa, true)
        } else {
            stack_before(&i, regs, sregs, bitness, access, gpa)
        };
        if let Some(mut r) = undone {
            r.rip = rip.wrapping_sub(len as u64);
            found = Some(Retired {
                insn: i,
                len,
                regs: r,
            });
        }
    }
    found
}

/// Whether `a` and `b` do the same thing (they differ in redundant
/// prefixes at most).
fn equivalent(a: &Instruction, b: &Instruction) -> bool {
    a.code() == b.code()
        && a.has_rep_prefix() == b.has_rep_prefix()
        && a.has_repne_prefix() == b.has_repne_prefix()
        && a.segment_prefix() == b.segment_prefix()
        && a.memory_base() == b.memory_base()
        && a.memory_index() == b.memory_index()
        && a.memory_displacement64() == b.memory_displacement64()
        && same_operands(a, b)
}

/// Whether `a` and `b` have the same operand kinds, registers and
/// immediates (memory operands are compared by the callers).
fn same_operands(a: &Instruction, b: &Instruction) -> bool {
    a.op_count() == b.op_count()
        && (0..a.op_count()).all(|n| {
            a.op_kind(n) == b.op_kind(n)
                && match a.op_kind(n) {
                    OpKind::Register => a.op_register(n) == b.op_register(n),
                    OpKind::Memory => true,
                    k if is_immediate(k) => a.immediate(n) == b.immediate(n),
                    _ => true,
                }
        })
}

fn is_immediate(k: OpKind) -> bool {
    matches!(
        k,
        OpKind::Immediate8
            | OpKind::Immediate8_2nd
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64
    )
}

/// The address-size mask of `i`.
fn address_mask(i: &Instruction, bitness: u32) -> u64 {
    let string = (0..i.op_count()).find_map(|n| match i.op_kind(n) {
        OpKind::MemorySegSI | OpKind::MemoryESDI | OpKind::MemorySegDI => Some(16),
        OpKind::MemorySegESI | OpKind::MemoryESEDI | OpKind::MemorySegEDI => Some(32),
        OpKind::MemorySegRSI | OpKind::MemoryESRDI | OpKind::MemorySegRDI => Some(64),
        _ => None,
    });
    let bits = match (bitness, string.unwrap_or(i.memory_base().size() * 8)) {
        (_, 64) => 64,
        (_, 32) => 32,
        (_, 16) => 16,
        (64, _) => 64,
        (32, _) => 32,
        _ => 16,
    };
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Registers before one iteration of the string store or OUTS `i` that
/// performed `access` (RIP untouched); `last` when `i` ended at RIP.
fn string_before(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
    gpa: Option<u64>,
    last: bool,
) -> Option<kvm_regs> {
    const DF: u64 = 1 << 10;
    let size = match i.mnemonic() {
        Mnemonic::Stosb | Mnemonic::Movsb | Mnemonic::Outsb => 1u64,
        Mnemonic::Stosw | Mnemonic::Movsw | Mnemonic::Outsw => 2,
        Mnemonic::Stosd | Mnemonic::Movsd | Mnemonic::Outsd => 4,
        Mnemonic::Stosq | Mnemonic::Movsq => 8,
        _ => return None,
    };
    let rep = i.has_rep_prefix() || i.has_repne_prefix();
    if last && rep && regs.rcx & address_mask(i, bitness) != 0 {
        return None;
    }
    let mask = address_mask(i, bitness);
    let step = if regs.rflags & DF != 0 {
        size.wrapping_neg()
    } else {
        size
    };
    let back = |v: u64| (v & !mask) | (v.wrapping_sub(step) & mask);
    let mut r = *regs;
    if rep {
        r.rcx = (regs.rcx & !mask) | (regs.rcx.wrapping_add(1) & mask);
    }
    let value = |reg| register_value(regs, sregs, bitness, reg);
    match (i.mnemonic(), access) {
        (
            Mnemonic::Outsb | Mnemonic::Outsw | Mnemonic::Outsd,
            Access::PortOut { port, size: s, .. },
        ) => {
            if u64::from(s) != size || value(Register::DX) != Some(u64::from(port)) {
                return None;
            }
            r.rsi = back(regs.rsi);
        }
        (
            Mnemonic::Stosb | Mnemonic::Stosw | Mnemonic::Stosd | Mnemonic::Stosq,
            Access::MemWrite { size: s, data },
        ) => {
            if u64::from(s) > size || low(regs.rax, s) != low(data, s) {
                return None;
            }
            r.rdi = back(regs.rdi);
        }
        (
            Mnemonic::Movsb | Mnemonic::Movsw | Mnemonic::Movsd | Mnemonic::Movsq,
            Access::MemWrite { size: s, .. },
        ) => {
            if u64::from(s) > size {
                return None;
            }
            r.rdi = back(regs.rdi);
            r.rsi = back(regs.rsi);
        }
        _ => return None,
    }
    if let Some(gpa) = gpa {
        // The destination ES:RDI before the iteration has the GPA's page
        // offset.
        let es = register_value(regs, sregs, bitness, Register::ES)?;
        if es.wrapping_add(r.rdi & mask) & 0xfff != gpa & 0xfff {
            return None;
        }
    }
    Some(r)
}

/// Registers before the PUSH or POP `i` that performed `access` (RIP
/// untouched).
fn stack_before(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
    gpa: Option<u64>,
) -> Option<kvm_regs> {
    let Access::MemWrite { size, data } = access else {
        return None;
    };
    let value = |reg| register_value(regs, sregs, bitness, reg);
    let mut r = *regs;
    match i.mnemonic() {
        Mnemonic::Push => {
            let width = i.stack_pointer_increment().unsigned_abs() as u64;
            if width < u64::from(size) {
                return None;
            }
            let pushed = match i.op0_kind() {
                OpKind::Register => value(i.op0_register()),
                OpKind::Memory => None,
                _ => Some(i.immediate(0)),
            };
            if i.op0_kind() != OpKind::Memory
                && pushed.is_none_or(|v| low(v, size) != low(data, size))
            {
                return None;
            }
            if let Some(gpa) = gpa {
                let ss = value(Register::SS)?;
                if ss.wrapping_add(regs.rsp) & 0xfff != gpa & 0xfff {
                    return None;
                }
            }
            r.rsp = regs.rsp.wrapping_add(width);
        }
        Mnemonic::Pop if i.op0_kind() == OpKind::Memory => {
            let width = i.stack_pointer_increment().unsigned_abs() as u64;
            if width < u64::from(size) {
                return None;
            }
            if let Some(gpa) = gpa {
                // The address uses RSP after the increment, as the CPU does.
                let a = memory_address(i, regs, sregs)?;
                if a & 0xfff != gpa & 0xfff {
                    return None;
                }
            }
            r.rsp = regs.rsp.wrapping_sub(width);
        }
        _ => return None,
    }
    Some(r)
}

/// For MOVS and INS — reads whose destination is memory —: the linear
/// address ES:RDI the element is stored at (`Completion::ReadToMemory`).
pub(crate) fn string_store_target(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
) -> Option<u64> {
    use Mnemonic::*;
    if !matches!(
        i.mnemonic(),
        Movsb | Movsw | Movsd | Movsq | Insb | Insw | Insd
    ) {
        return None;
    }
    let bitness = bitness(regs, sregs);
    let es = register_value(regs, sregs, bitness, Register::ES)?;
    Some(es.wrapping_add(regs.rdi & address_mask(i, bitness)))
}

/// The SETcc mnemonics.
fn setcc(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Seto | Setno
            | Setb
            | Setae
            | Sete
            | Setne
            | Setbe
            | Seta
            | Sets
            | Setns
            | Setp
            | Setnp
            | Setl
            | Setge
            | Setle
            | Setg
    )
}

/// The linear address of memory operand 0 or 1 of `i` (the one that is
/// memory), computed from the registers.
pub(crate) fn memory_address(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<u64> {
    let bitness = bitness(regs, sregs);
    let op = (0..i.op_count()).find(|&n| i.op_kind(n) == OpKind::Memory)?;
    i.virtual_address(op, 0, |r, _, _| register_value(regs, sregs, bitness, r))
}

/// For a plain load (`mov`, `movzx`, `movsx`, `movsxd` from memory into a
/// general register, `in` into AL/AX/EAX): the destination register's
/// index and bit offset. The loaded data equals that register's low bytes
/// (zero- or sign-extension keeps them), which lets the VMM's value be
/// handed to KVM's completion.
pub(crate) fn load_destination(i: &Instruction) -> Option<(usize, u32)> {
    let loads = matches!(
        i.mnemonic(),
        Mnemonic::Mov | Mnemonic::Movzx | Mnemonic::Movsx | Mnemonic::Movsxd
    ) && i.op_count() == 2
        && i.op0_kind() == OpKind::Register
        && i.op1_kind() == OpKind::Memory;
    let port_in = i.mnemonic() == Mnemonic::In && i.op0_kind() == OpKind::Register;
    if loads || port_in {
        gpr_index(i.op0_register())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_mode() -> (kvm_regs, kvm_sregs) {
        let mut sregs = kvm_sregs {
            cr0: 1,
            efer: 1 << 10,
            ..Default::default()
        };
        sregs.cs.l = 1;
        let regs = kvm_regs {
            rax: 0x1122_3344_5566_7788,
            rbx: 0x1100,
            rcx: 0x4000_0ffd,
            rdi: 0x4000_0000,
            r11: 0x4000_2000,
            rip: 0x10_0000,
            ..Default::default()
        };
        (regs, sregs)
    }

    /// Right-aligns `code` in a 15-byte window after filler bytes.
    fn window(code: &[u8]) -> Vec<u8> {
        let mut v = vec![0x90; 15 - code.len()];
        v.extend_from_slice(code);
        v
    }

    #[test]
    fn a_valid_suffix_does_not_hide_the_instruction() {
        // mov byte [r11+0x58], 0x82 ends with mov byte [rbx+0x58], 0x82.
        let (regs, sregs) = long_mode();
        let before = window(&[0x41, 0xc6, 0x43, 0x58, 0x82]);
        let access = Access::MemWrite {
            size: 1,
            data: 0x82,
        };
        let (i, len) = match_retired(&before, &regs, &sregs, regs.rip, access).unwrap();
        assert_eq!(len, 5);
        assert_eq!(memory_address(&i, &regs, &sregs), Some(0x4000_2058));
        let at = match_retired_at(&before, &regs, &sregs, regs.rip, access, 0x1158);
        assert_eq!(at.map(|(_, l)| l), Some(4), "the address decides");
        let at = match_retired_at(&before, &regs, &sregs, regs.rip, access, 0x2058);
        assert_eq!(at.map(|(_, l)| l), Some(5));
    }

    #[test]
    fn rex_w_is_not_redundant_for_a_fragment() {
        // movnti [rcx], rax at 0xffd: KVM's first fragment is 3 bytes, which
        // movnti [rcx], eax (the suffix) would also explain.
        let (regs, sregs) = long_mode();
        let before = window(&[0x48, 0x0f, 0xc3, 0x01]);
        let access = Access::MemWrite {
            size: 3,
            data: regs.rax & 0xff_ffff,
        };
        let (i, len) = match_retired(&before, &regs, &sregs, regs.rip, access).unwrap();
        assert_eq!((len, i.memory_size().size()), (4, 8));
    }

    #[test]
    fn redundant_prefixes_are_left_out() {
        // ds mov [rdi], eax: the DS prefix does nothing in 64-bit mode.
        let (regs, sregs) = long_mode();
        let before = window(&[0x3e, 0x89, 0x07]);
        let access = Access::MemWrite {
            size: 4,
            data: regs.rax & 0xffff_ffff,
        };
        let (_, len) = match_retired(&before, &regs, &sregs, regs.rip, access).unwrap();
        assert_eq!(len, 2);
        // The wrong data matches nothing.
        let wrong = Access::MemWrite { size: 4, data: 1 };
        assert!(match_retired(&before, &regs, &sregs, regs.rip, wrong).is_none());
    }

    #[test]
    fn stores_without_side_effects_are_recognised() {
        let (regs, sregs) = long_mode();
        let cases: &[(&[u8], u8, u64)] = &[
            (&[0x0f, 0x94, 0x07], 1, 1),                 // sete [rdi]
            (&[0x0f, 0x38, 0xf1, 0x07], 4, 0x8877_6655), // movbe [rdi], eax
            (&[0x0f, 0x29, 0x07], 8, 0),                 // movaps [rdi], xmm0 (first half)
            (&[0x66, 0x0f, 0x7f, 0x07], 8, 0),           // movdqa [rdi], xmm0
        ];
        for (code, size, data) in cases {
            let before = window(code);
            let access = Access::MemWrite {
                size: *size,
                data: *data,
            };
            let found = match_retired(&before, &regs, &sregs, regs.rip, access);
            assert_eq!(found.map(|(_, l)| l), Some(code.len()), "{code:02x?}");
        }
    }

    #[test]
    fn stores_with_side_effects_are_not_matched() {
        // stosb, push rax, pop qword [rdi]: undoing them needs RDI/RCX/RSP.
        let (regs, sregs) = long_mode();
        for code in [&[0xaa][..], &[0x50], &[0x8f, 0x07]] {
            let before = window(code);
            let access = Access::MemWrite {
                size: code.len().min(8) as u8,
                data: regs.rax,
            };
            let found = match_retired(&before, &regs, &sregs, regs.rip, access);
            assert!(found.is_none(), "{code:02x?}");
        }
    }

    #[test]
    fn mid_rep_stos_is_undone() {
        // rep stosb at RIP, one iteration done: RDI and RCX move back.
        let (mut regs, sregs) = long_mode();
        regs.rdi = 0x4000_0001;
        regs.rcx = 2;
        regs.rax = 0x5a;
        let at = [0xf3, 0xaa, 0x90];
        let access = Access::MemWrite {
            size: 1,
            data: 0x5a,
        };
        let r = undo_retired(
            &window(&[0x90]),
            &at,
            &regs,
            &sregs,
            access,
            Some(0x1000_0000),
        )
        .unwrap();
        assert_eq!(
            (r.len, r.regs.rip, r.regs.rdi, r.regs.rcx),
            (2, regs.rip, 0x4000_0000, 3)
        );
        // With DF set the iteration went down.
        regs.rflags |= 1 << 10;
        regs.rdi = 0x4000_0fff;
        let r = undo_retired(&window(&[0x90]), &at, &regs, &sregs, access, Some(0x1000)).unwrap();
        assert_eq!(r.regs.rdi, 0x4000_1000);
    }

    #[test]
    fn last_iteration_and_plain_string_stores_are_undone() {
        // movsq ended at RIP (no REP): RSI, RDI back by 8, RIP back by 2.
        let (mut regs, sregs) = long_mode();
        regs.rsi = 0x2008;
        regs.rdi = 0x4000_0108;
        let access = Access::MemWrite { size: 8, data: 7 };
        let r = undo_retired(
            &window(&[0x48, 0xa5]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0x100),
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rsi, r.regs.rdi), (2, 0x2000, 0x4000_0100));
        assert_eq!(r.regs.rip, regs.rip - 2);
        // rep outsb, last iteration: RCX 0 -> 1.
        regs.rdx = 0x80;
        regs.rcx = 0;
        let access = Access::PortOut {
            port: 0x80,
            size: 1,
            data: 9,
        };
        let r = undo_retired(&window(&[0xf3, 0x6e]), &[0x90], &regs, &sregs, access, None).unwrap();
        assert_eq!((r.len, r.regs.rcx, r.regs.rsi), (2, 1, 0x2007));
    }

    #[test]
    fn push_and_pop_are_undone() {
        let (mut regs, sregs) = long_mode();
        regs.rsp = 0x4000_00f8;
        // push rax onto the MMIO stack.
        let access = Access::MemWrite {
            size: 8,
            data: regs.rax,
        };
        let r = undo_retired(&window(&[0x50]), &[0x90], &regs, &sregs, access, Some(0xf8)).unwrap();
        assert_eq!((r.len, r.regs.rsp), (1, 0x4000_0100));
        // pop qword [rdi] to MMIO: RSP was 8 lower.
        let access = Access::MemWrite { size: 8, data: 3 };
        let r = undo_retired(
            &window(&[0x8f, 0x07]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0),
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rsp), (2, 0x4000_00f0));
        // A plain store is still a plain store.
        let access = Access::MemWrite {
            size: 4,
            data: regs.rax & 0xffff_ffff,
        };
        let r = undo_retired(
            &window(&[0x89, 0x07]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0),
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rsp, r.regs.rip), (2, regs.rsp, regs.rip - 2));
    }

    #[test]
    fn string_store_targets() {
        let (mut regs, sregs) = long_mode();
        regs.rdi = 0x1_0000_2000;
        let at = |code: &[u8]| {
            let i = decode(code, 64, regs.rip).unwrap();
            string_store_target(&i, &regs, &sregs)
        };
        assert_eq!(at(&[0xa4]), Some(0x1_0000_2000)); // movsb
        assert_eq!(at(&[0x67, 0xa4]), Some(0x2000)); // movsb, 32-bit addresses
        assert_eq!(at(&[0xf3, 0x6c]), Some(0x1_0000_2000)); // rep insb
        assert_eq!(at(&[0xac]), None); // lodsb stores in RAX
    }

    #[test]
    fn rex_r_is_not_redundant() {
        // movnti [rax+0x18], r12d ends with movnti [rax+0x18], esp; a
        // 1-byte fragment of either can carry the same data.
        let (mut regs, sregs) = long_mode();
        regs.rsp = 0x8000;
        regs.r12 = 0x9b00_0000;
        let before = window(&[0x44, 0x0f, 0xc3, 0x60, 0x18]);
        let access = Access::MemWrite { size: 1, data: 0 };
        let (i, len) = match_retired(&before, &regs, &sregs, regs.rip, access).unwrap();
        assert_eq!((len, i.op1_register()), (5, Register::R12D));
    }
}
