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
/// operand-size byte accesses another address or size), and the shortest
/// candidate with that same mnemonic, operand size and address is returned
/// (redundant prefixes change nothing). A caller that
/// knows the accessed address should use [`match_retired_at`], which is
/// exact.
pub(crate) fn match_retired(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
) -> Option<(Instruction, usize)> {
    pick(candidates(before, regs, sregs, rip, access, None), regs, sregs)
}

/// [`match_retired`] for an MMIO write whose guest-physical address is
/// `gpa`: only candidates whose operand address has `gpa`'s page offset
/// count.
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "for exit.rs's MMIO write path (see run.rs)")
)]
pub(crate) fn match_retired_at(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
    gpa: u64,
) -> Option<(Instruction, usize)> {
    pick(candidates(before, regs, sregs, rip, access, Some(gpa)), regs, sregs)
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
                    if i.op1_kind() == OpKind::Register && i.op1_register().is_segment_register()
                    {
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
