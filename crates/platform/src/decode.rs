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
//!
//! It also owns the linear addresses an exit reports (its GVA): a memory
//! operand, or a stack slot — SS's base plus the stack pointer within the
//! stack-address size ([`stack_mask`]: 16 or 32 bits by SS.B outside
//! 64-bit mode), truncated to 32 bits outside 64-bit mode — and the
//! stack pointer moved within that size, its other bits kept
//! ([`stack_moved`]), which every undo of a stack access uses.

use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};
use kvm_bindings::{kvm_regs, kvm_sregs};

mod call;
mod fast;
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

/// The stack-address size of the VP's current mode, as the mask of the
/// RSP bits a stack access uses and moves: all 64 in 64-bit mode, else
/// SS.B's 32 or 16 (Intel SDM Vol. 1 §6.2.3, "Stack Alignment" and
/// "Address-Size Attributes for Stack Accesses"). Real and virtual-8086
/// mode have SS.B clear (the WHP reset state's SS attributes are 0x93;
/// VMX requires it in virtual-8086 mode), so 16 bits there. The same rule
/// as KVM's emulator, which performed the accesses being undone
/// (`stack_mask()` in Linux's arch/x86/kvm/emulate.c: `~0U >> ((ss.d ^ 1) *
/// 16)` outside 64-bit mode), and as winhv-emu's stack code
/// (crates/emu/src/exec/stack.rs).
pub(crate) fn stack_mask(regs: &kvm_regs, sregs: &kvm_sregs) -> u64 {
    if bitness(regs, sregs) == 64 {
        u64::MAX
    } else if sregs.ss.db != 0 {
        0xffff_ffff
    } else {
        0xffff
    }
}

/// `rsp` moved by `delta` bytes (two's complement) within the stack-address
/// size `mask`: the bits above it are kept, as the processor keeps them
/// (in real mode `push ax` with SP = 0 leaves SP = 0xfffe, not 0x1_fffe).
pub(crate) fn stack_moved(rsp: u64, mask: u64, delta: u64) -> u64 {
    (rsp & !mask) | (rsp.wrapping_add(delta) & mask)
}

/// The linear address of the stack slot at stack pointer `rsp`: SS's base
/// plus `rsp` within the stack-address size ([`stack_mask`]).
pub(crate) fn stack_address(regs: &kvm_regs, sregs: &kvm_sregs, rsp: u64) -> Option<u64> {
    let bitness = bitness(regs, sregs);
    let ss = register_value(regs, sregs, bitness, Register::SS)?;
    Some(linear(
        bitness,
        ss.wrapping_add(rsp & stack_mask(regs, sregs)),
    ))
}

/// A linear address as the processor forms it in a mode of code size
/// `bitness`: 64 bits in 64-bit mode, else truncated to 32 (a segment base
/// plus an offset wraps at 4 GiB, as in KVM's emulator).
fn linear(bitness: u32, address: u64) -> u64 {
    if bitness == 64 {
        address
    } else {
        address & 0xffff_ffff
    }
}

/// The linear address a read exit's instruction `i` reads, from the
/// registers before it: the stack slot at SS:rSP for POP, POPF, POPA and
/// a near or far RET; SS:rBP for LEAVE; the memory operand otherwise
/// (PUSH [mem] reads its operand; the stack write that follows is its own
/// exit). `None` when the instruction has no memory access we know.
pub(crate) fn read_address(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<u64> {
    use Mnemonic::*;
    match i.mnemonic() {
        Pop | Popf | Popfd | Popfq | Popa | Popad | Ret | Retf => {
            stack_address(regs, sregs, regs.rsp)
        }
        Leave => stack_address(regs, sregs, regs.rbp),
        _ => memory_address(i, regs, sregs),
    }
}

/// The access of `i` that KVM could not make because the host memory
/// behind it is inaccessible (`EFAULT`, a memory-fault exit), from the
/// registers before it, as (linear address, write): the first access the
/// instruction makes. That is the stack slot for PUSH and CALL of a
/// register, an immediate or a relative target (a write, at the slot the
/// stack-address size gives) and for POP, RET and LEAVE (a read); the
/// memory operand read by PUSH or CALL through memory; otherwise the
/// memory operand, written when it is the first operand (except by CMP
/// and TEST). The second access of PUSH [mem] (its stack write) and of
/// POP [mem] (its store) is not told apart from the first.
pub(crate) fn fault_access(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
) -> (Option<u64>, bool) {
    use Mnemonic::*;
    let memory = (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory);
    match i.mnemonic() {
        Push | Call if !memory => (call::written_address(i, regs, sregs), true),
        Push | Call => (memory_address(i, regs, sregs), false),
        Pop | Popf | Popfd | Popfq | Popa | Popad | Ret | Retf | Leave => {
            (read_address(i, regs, sregs), false)
        }
        m => {
            let write =
                i.op_count() > 0 && i.op0_kind() == OpKind::Memory && !matches!(m, Cmp | Test);
            (memory_address(i, regs, sregs), write)
        }
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

/// For the reads whose destination is memory — MOVS and INS, and POP to
/// memory from an MMIO stack, PUSH from MMIO —: the linear address the
/// element is stored at (`Completion::ReadToMemory`), from the registers
/// before the instruction: ES:RDI for a string instruction; for POP the
/// memory operand, addressed with RSP already incremented, as the
/// processor (and KVM's emulator) addresses it; for PUSH the stack slot.
pub(crate) fn string_store_target(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
) -> Option<u64> {
    use Mnemonic::*;
    match i.mnemonic() {
        Movsb | Movsw | Movsd | Movsq | Insb | Insw | Insd => {
            let bitness = bitness(regs, sregs);
            let es = register_value(regs, sregs, bitness, Register::ES)?;
            Some(linear(
                bitness,
                es.wrapping_add(regs.rdi & address_mask(i, bitness)),
            ))
        }
        Pop if i.op0_kind() == OpKind::Memory => {
            let width = u64::from(i.stack_pointer_increment().unsigned_abs());
            let mut after = *regs;
            after.rsp = stack_moved(regs.rsp, stack_mask(regs, sregs), width);
            memory_address(i, &after, sregs)
        }
        // PUSH [mmio]: the slot below RSP.
        Push if i.op0_kind() == OpKind::Memory => {
            let width = u64::from(i.stack_pointer_increment().unsigned_abs());
            stack_address(
                regs,
                sregs,
                stack_moved(regs.rsp, stack_mask(regs, sregs), width.wrapping_neg()),
            )
        }
        _ => None,
    }
}

/// The first stack access of an instruction without an explicit memory
/// operand that KVM's emulator may fail on (ENTER, IRET, RET, LEAVE, PUSHF,
/// POPF, PUSH/POP of a register): (linear address, bytes, whether it
/// writes), from the registers before it — a pop reads at SS:RSP (LEAVE
/// at SS:RBP), a push writes the slot below SS:RSP.
pub(crate) fn stack_access(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
) -> Option<(u64, u64, bool)> {
    use Mnemonic::*;
    if (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory) {
        return None;
    }
    let spi = i.stack_pointer_increment();
    let mask = stack_mask(regs, sregs);
    match i.mnemonic() {
        Iret | Iretd | Iretq | Ret | Retf | Pop | Popf | Popfd | Popfq => {
            let release = if matches!(i.mnemonic(), Ret | Retf) && i.op_count() > 0 {
                i64::from(i.immediate16())
            } else {
                0
            };
            let bytes = (i64::from(spi) - release).max(1) as u64;
            Some((stack_address(regs, sregs, regs.rsp & mask)?, bytes, false))
        }
        Leave => {
            let width = match i.code() {
                iced_x86::Code::Leavew => 2,
                iced_x86::Code::Leaved => 4,
                _ => 8,
            };
            Some((stack_address(regs, sregs, regs.rbp & mask)?, width, false))
        }
        Enter | Push | Pushf | Pushfd | Pushfq => {
            let width = match i.code() {
                iced_x86::Code::Enterw_imm16_imm8 => 2,
                iced_x86::Code::Enterd_imm16_imm8 => 4,
                iced_x86::Code::Enterq_imm16_imm8 => 8,
                _ => u64::from(spi.unsigned_abs()),
            };
            let slot = stack_moved(regs.rsp, mask, width.wrapping_neg());
            Some((stack_address(regs, sregs, slot)?, width, true))
        }
        _ => None,
    }
}

/// The linear address of memory operand 0 or 1 of `i` (the one that is
/// memory), computed from the registers.
pub(crate) fn memory_address(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<u64> {
    let bitness = bitness(regs, sregs);
    let op = (0..i.op_count()).find(|&n| i.op_kind(n) == OpKind::Memory)?;
    i.virtual_address(op, 0, |r, _, _| register_value(regs, sregs, bitness, r))
        .map(|a| linear(bitness, a))
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

    /// Real mode (the WHP reset state's SS: base 0, B clear), SS:SP = 0:0
    /// with bits above SP set in RSP, CS:IP = 0x2000:0x100.
    pub(super) fn real_mode() -> (kvm_regs, kvm_sregs) {
        let mut sregs = kvm_sregs::default();
        sregs.cs.base = 0x2_0000;
        let regs = kvm_regs {
            rax: 0x8765_4321,
            rsp: 0x1234_0000,
            rip: 0x100,
            ..Default::default()
        };
        (regs, sregs)
    }

    /// Flat 32-bit protected mode (SS.B set), ESP = 0.
    pub(super) fn protected32() -> (kvm_regs, kvm_sregs) {
        let mut sregs = kvm_sregs {
            cr0: 1,
            ..Default::default()
        };
        sregs.cs.db = 1;
        sregs.ss.db = 1;
        let regs = kvm_regs {
            rax: 0x8765_4321,
            rip: 0x2_0000,
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
    use super::testing::{long_mode, protected32, real_mode};
    use super::*;

    #[test]
    fn stack_slots_use_the_stack_address_size() {
        // Real mode: 16 bits of RSP, SS's base.
        let (regs, mut sregs) = real_mode();
        assert_eq!(stack_mask(&regs, &sregs), 0xffff);
        assert_eq!(
            stack_moved(regs.rsp, 0xffff, 2u64.wrapping_neg()),
            0x1234_fffe
        );
        assert_eq!(stack_address(&regs, &sregs, 0x1234_fffe), Some(0xfffe));
        sregs.ss.base = 0xf_0000;
        assert_eq!(stack_address(&regs, &sregs, 0xfffe), Some(0xf_fffe));
        // 32-bit code with a 16-bit stack segment at 0xffff_0000.
        let (regs, mut sregs) = protected32();
        sregs.ss.db = 0;
        sregs.ss.base = 0xffff_0000;
        assert_eq!(stack_mask(&regs, &sregs), 0xffff);
        assert_eq!(stack_address(&regs, &sregs, 0xfffc), Some(0xffff_fffc));
        // Flat 32-bit: ESP wraps at 4 GiB, and so does SS base + ESP.
        let (regs, mut sregs) = protected32();
        assert_eq!(stack_mask(&regs, &sregs), 0xffff_ffff);
        assert_eq!(
            stack_moved(0, 0xffff_ffff, 4u64.wrapping_neg()),
            0xffff_fffc
        );
        assert_eq!(stack_moved(0xffff_fffc, 0xffff_ffff, 4), 0);
        sregs.ss.base = 0x1000;
        assert_eq!(stack_address(&regs, &sregs, 0xffff_f000), Some(0));
        // 64-bit mode: all of RSP, SS's base ignored.
        let (mut regs, mut sregs) = long_mode();
        sregs.ss.base = 0x1000;
        regs.rsp = 0x1_0000_0000;
        assert_eq!(stack_mask(&regs, &sregs), u64::MAX);
        assert_eq!(stack_address(&regs, &sregs, regs.rsp), Some(0x1_0000_0000));
    }

    #[test]
    fn read_addresses_of_stack_reads() {
        // pop cx (59), ret (c3), leave (c9) in real mode read SS:SP/SS:BP;
        // push word [bx] (ff 37) reads its operand.
        let (mut regs, mut sregs) = real_mode();
        sregs.ss.base = 0x1000;
        sregs.ds.base = 0x2_0000;
        regs.rsp = 0x1234_fffe;
        regs.rbp = 0x5678_0010;
        regs.rbx = 0x800;
        let at = |code: &[u8]| read_address(&decode(code, 16, 0).unwrap(), &regs, &sregs);
        assert_eq!(at(&[0x59]), Some(0x1_0ffe));
        assert_eq!(at(&[0xc3]), Some(0x1_0ffe));
        assert_eq!(at(&[0xc9]), Some(0x1010));
        assert_eq!(at(&[0xff, 0x37]), Some(0x2_0800));
        // pop dword [esp+4] (8f 44 24 04) in flat 32-bit mode: the read is
        // the stack slot; the store goes to ESP + 4 after the increment.
        let (mut regs, sregs) = protected32();
        regs.rsp = 0xffff_fffc;
        let i = decode(&[0x8f, 0x44, 0x24, 0x04], 32, regs.rip).unwrap();
        assert_eq!(read_address(&i, &regs, &sregs), Some(0xffff_fffc));
        assert_eq!(string_store_target(&i, &regs, &sregs), Some(4));
        assert_eq!(written_address(&i, &regs, &sregs), Some(4));
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
}
