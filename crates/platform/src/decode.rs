//! The instruction behind an I/O-port or MMIO exit, decoded with iced-x86:
//! its length and bytes, and for an access KVM reports after it retired,
//! which instruction ended at the current RIP.
//!
//! Windows intercepts these accesses *before* the instruction runs; KVM
//! reports writes after it retired (DESIGN.md, "Exit semantics"). For a
//! retired write the instruction is found by decoding the candidates that
//! end at RIP (or, mid-REP, the string instruction still at RIP) and
//! keeping the one whose kind, size, port or address and data match what
//! KVM reported; [`undo_retired`] also gives the registers as they were
//! before it (RIP, and RCX/RSI/RDI of a string instruction, RSP of a PUSH
//! or POP).

use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};
use kvm_bindings::{kvm_regs, kvm_sregs};

mod call;
mod retired;

pub(crate) use call::{call_returns, undo_call, written_address};
pub(crate) use retired::{RetiredCache, undo_retired};

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

/// `value` masked to its low `size` bytes.
fn low(value: u64, size: u8) -> u64 {
    if size >= 8 {
        value
    } else {
        value & ((1u64 << (u32::from(size) * 8)) - 1)
    }
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

/// The linear address of memory operand 0 or 1 of `i` (the one that is
/// memory), computed from the registers.
pub(crate) fn memory_address(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<u64> {
    let bitness = bitness(regs, sregs);
    let op = (0..i.op_count()).find(|&n| i.op_kind(n) == OpKind::Memory)?;
    i.virtual_address(op, 0, |r, _, _| register_value(regs, sregs, bitness, r))
}

/// Whether completing `i` can write FPU/SSE state: a register operand
/// that is not a general or segment register (XMM, YMM, MMX, x87, mask),
/// or an x87 instruction (its stack register is implicit).
pub(crate) fn writes_fpu(i: &Instruction) -> bool {
    use iced_x86::CpuidFeature as F;
    let vector = (0..i.op_count()).any(|n| {
        i.op_kind(n) == OpKind::Register && {
            let r = i.op_register(n);
            !r.is_gpr() && !r.is_segment_register()
        }
    });
    vector
        || i.cpuid_features()
            .iter()
            .any(|f| matches!(f, F::FPU | F::FPU287 | F::FPU387 | F::FPU387SL_ONLY))
}

/// The memory operand of `i` as (linear address, bytes), when it has one
/// of a known size.
pub(crate) fn operand(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<(u64, usize)> {
    let bytes = i.memory_size().size();
    (bytes > 0)
        .then(|| memory_address(i, regs, sregs))
        .flatten()
        .map(|a| (a, bytes))
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
mod testing {
    use kvm_bindings::{kvm_regs, kvm_sregs};

    pub(super) fn long_mode() -> (kvm_regs, kvm_sregs) {
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
    pub(super) fn window(code: &[u8]) -> Vec<u8> {
        let mut v = vec![0x90; 15 - code.len()];
        v.extend_from_slice(code);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::testing::long_mode;
    use super::*;
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
}
