//! Which instruction performed a write KVM reports after it retired: the
//! candidates that end at RIP (or, mid-REP, the string instruction still
//! at RIP), matched against the exit's kind, size, port or address and
//! data, and the registers as they were before it (RSP moved back within
//! the stack-address size); with a per-VP cache of the last answer.

use iced_x86::{Instruction, Mnemonic, OpKind, Register};
use kvm_bindings::{kvm_regs, kvm_sregs};

use super::fast::{Hit, Plain};
use super::{
    Access, address_mask, bitness, decode, low, memory_address, register_value, stack_address,
    stack_mask, stack_moved,
};

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
/// exact. (The tests' entry point to the plain search of
/// [`undo_retired`].)
#[cfg(test)]
fn match_retired(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
) -> Option<(Instruction, usize)> {
    let bitness = bitness(regs, sregs);
    let s = Suffixes::decode(before, bitness, rip);
    pick_plain(&s, regs, sregs, bitness, access, None)
}

/// [`match_retired`] for an MMIO write whose guest-physical address is
/// `gpa`: only candidates whose operand address has `gpa`'s page offset
/// count.
#[cfg(test)]
fn match_retired_at(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    rip: u64,
    access: Access,
    gpa: u64,
) -> Option<(Instruction, usize)> {
    let bitness = bitness(regs, sregs);
    let s = Suffixes::decode(before, bitness, rip);
    pick_plain(&s, regs, sregs, bitness, access, Some(gpa))
}

/// The instructions that end exactly at RIP: `by_len[n]` is the one the
/// last `n` bytes before RIP decode to, when it is `n` bytes long. Each
/// suffix is decoded once per exit, whichever forms are then tried.
pub(super) struct Suffixes {
    pub(super) by_len: [Option<Instruction>; 16],
}

impl Suffixes {
    pub(super) fn decode(before: &[u8], bitness: u32, rip: u64) -> Self {
        let mut by_len = [None; 16];
        for (len, slot) in by_len
            .iter_mut()
            .enumerate()
            .take(before.len().min(15) + 1)
            .skip(1)
        {
            let bytes = &before[before.len() - len..];
            *slot = decode(bytes, bitness, rip.wrapping_sub(len as u64)).filter(|i| i.len() == len);
        }
        Self { by_len }
    }

    /// The candidates with their lengths, longest first.
    pub(super) fn longest_first(&self) -> impl Iterator<Item = (Instruction, usize)> + '_ {
        (1..16)
            .rev()
            .filter_map(|len| self.by_len[len].map(|i| (i, len)))
    }
}

/// Whether the plain store or OUT `i` performed `access` (at `gpa`'s page
/// offset, for MMIO).
fn plain_performs(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
    gpa: Option<u64>,
) -> bool {
    performs(i, regs, sregs, bitness, access)
        && gpa.is_none_or(|gpa| {
            memory_address(i, regs, sregs).is_some_and(|a| a & 0xfff == gpa & 0xfff)
        })
}

/// The plain candidate of [`match_retired`]: the longest one performing
/// `access` fixes the operand; the shortest one doing the same is kept.
fn pick_plain(
    s: &Suffixes,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
    gpa: Option<u64>,
) -> Option<(Instruction, usize)> {
    let ok = |i: &Instruction| plain_performs(i, regs, sregs, bitness, access, gpa);
    let (longest, len) = s.longest_first().find(|(i, _)| ok(i))?;
    let at = memory_address(&longest, regs, sregs);
    let same = |i: &Instruction| {
        i.mnemonic() == longest.mnemonic()
            && i.memory_size() == longest.memory_size()
            && same_operands(i, &longest)
            && memory_address(i, regs, sregs) == at
    };
    // Shorter equivalents differ only in dropped leading (redundant)
    // prefixes.
    (1..len)
        .find_map(|n| s.by_len[n].filter(|i| ok(i) && same(i)).map(|i| (i, n)))
        .or(Some((longest, len)))
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
                // x87 control and status word stores (KVM's emulator
                // performs them): the FPU state is not in kvm_regs; the
                // size and (by the caller) the address decide.
                Mnemonic::Fnstcw | Mnemonic::Fnstsw | Mnemonic::Fstcw | Mnemonic::Fstsw => {
                    operand == 2
                }
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
/// CALL onto an MMIO stack is found by [`undo_call`] (RIP is then the
/// call's target; its bytes end at the pushed return address). ENTER
/// with nesting level 0 is undone here (rBP and rSP back); KVM's emulator
/// cannot perform other levels, which end in an emulation failure
/// (`emulation_failure`).
pub(crate) fn undo_retired(
    cache: &mut RetiredCache,
    before: &[u8],
    at: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    access: Access,
    gpa: Option<u64>,
) -> Option<Retired> {
    let bitness = bitness(regs, sregs);
    let rip = regs.rip;
    // Mid-REP: the instruction at RIP, one iteration done (decoded only
    // when its prefixes hold a REP).
    if rep_prefixed(at) {
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
    }
    // The instruction found the last time at this RIP, after these bytes.
    if let Some((i, len)) = cache.lookup(rip, bitness, before) {
        if let Some(r) = undo_ending(&i, len, regs, sregs, bitness, access, gpa) {
            return Some(r);
        }
    }
    let s = Suffixes::decode(before, bitness, rip);
    let found = find_ending(&s, regs, sregs, bitness, access, gpa);
    if let Some(r) = &found {
        cache.store(rip, bitness, before, r.insn, r.len, regs, sregs);
    }
    found
}

/// Undoes `i` (`len` bytes, ending at RIP) if it performed `access`: a
/// plain form, or one with side effects.
fn undo_ending(
    i: &Instruction,
    len: usize,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
    gpa: Option<u64>,
) -> Option<Retired> {
    let undone = if plain_performs(i, regs, sregs, bitness, access, gpa) {
        Some(*regs)
    } else if i.is_string_instruction() {
        string_before(i, regs, sregs, bitness, access, gpa, true)
    } else {
        stack_before(i, regs, sregs, bitness, access, gpa)
    };
    undone.map(|mut r| {
        r.rip = regs.rip.wrapping_sub(len as u64);
        Retired {
            insn: *i,
            len,
            regs: r,
        }
    })
}

/// The search of [`undo_retired`] among the instructions ending at RIP.
fn find_ending(
    s: &Suffixes,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    bitness: u32,
    access: Access,
    gpa: Option<u64>,
) -> Option<Retired> {
    // Plain forms.
    if let Some((i, len)) = pick_plain(s, regs, sregs, bitness, access, gpa) {
        return undo_ending(&i, len, regs, sregs, bitness, access, gpa);
    }
    // Forms with side effects: the longest candidate decides (a REP or
    // operand-size byte before a string instruction belongs to it), and
    // the shortest equivalent one is kept (redundant prefixes).
    let mut found: Option<Retired> = None;
    for (i, len) in s.longest_first() {
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
            r.rip = regs.rip.wrapping_sub(len as u64);
            found = Some(Retired {
                insn: i,
                len,
                regs: r,
            });
        }
    }
    found
}

/// Whether the legacy prefixes (and REX) that start `bytes` include REP or
/// REPNE: only then can the instruction at RIP be a string instruction
/// in the middle of its REP.
fn rep_prefixed(bytes: &[u8]) -> bool {
    for &b in bytes.iter().take(15) {
        match b {
            0xf2 | 0xf3 => return true,
            0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0x66 | 0x67 | 0xf0 | 0x40..=0x4f => {}
            _ => return false,
        }
    }
    false
}

/// The instruction [`undo_retired`] found the last time, per VP: a write
/// exit at the same RIP after the same 15 bytes (a loop writing a device
/// register) reuses it after one compare, when it performed this access
/// too; otherwise the candidates are decoded again.
#[derive(Debug, Default)]
pub(crate) struct RetiredCache {
    last: Option<Cached>,
}

#[derive(Debug, Clone, Copy)]
struct Cached {
    rip: u64,
    bitness: u32,
    before: [u8; 15],
    before_len: u8,
    insn: Instruction,
    len: usize,
    /// The instruction's check compiled, when it is a plain form.
    plain: Option<Plain>,
}

impl RetiredCache {
    /// The fast match: when the cached instruction is a plain form (see
    /// `decode::fast`) and it performed `access`, what [`undo_retired`]
    /// would find, without decoding; `None` sends the caller to
    /// [`undo_retired`]. The same arguments as it.
    pub(crate) fn fast_match(
        &self,
        before: &[u8],
        at: &[u8],
        regs: &kvm_regs,
        sregs: &kvm_sregs,
        access: Access,
        gpa: Option<u64>,
    ) -> Option<Hit> {
        let c = self.last.as_ref()?;
        let plain = c.plain?;
        // undo_retired tries the string instruction at RIP first.
        if rep_prefixed(at) {
            return None;
        }
        let bitness = bitness(regs, sregs);
        self.lookup(regs.rip, bitness, before)?;
        plain.matches(c.len as u8, regs, sregs, bitness, access, gpa)
    }

    fn lookup(&self, rip: u64, bitness: u32, before: &[u8]) -> Option<(Instruction, usize)> {
        let c = self.last.as_ref()?;
        (c.rip == rip
            && c.bitness == bitness
            && usize::from(c.before_len) == before.len()
            && c.before[..before.len().min(15)] == before[..before.len().min(15)])
            .then_some((c.insn, c.len))
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the key, the answer and its registers"
    )]
    fn store(
        &mut self,
        rip: u64,
        bitness: u32,
        before: &[u8],
        insn: Instruction,
        len: usize,
        regs: &kvm_regs,
        sregs: &kvm_sregs,
    ) {
        let n = before.len().min(15);
        let mut bytes = [0u8; 15];
        bytes[..n].copy_from_slice(&before[..n]);
        self.last = Some(Cached {
            rip,
            bitness,
            before: bytes,
            before_len: n as u8,
            insn,
            len,
            plain: Plain::compile(&insn, regs, sregs),
        });
    }
}

/// Whether `a` and `b` do the same thing (they differ in redundant
/// prefixes at most).
pub(super) fn equivalent(a: &Instruction, b: &Instruction) -> bool {
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
/// untouched). RSP moves back within the stack-address size
/// ([`stack_mask`]: SS.B's 16 or 32 bits outside 64-bit mode), its other
/// bits kept — as KVM moved it, and as the processor does (SP = 0 before
/// `push ax` in real mode is SP = 0xfffe after it, not RSP = 0x1_0000
/// undone).
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
                // A segment register pushes its selector (zero-extended).
                OpKind::Register if i.op0_register().is_segment_register() => {
                    selector(sregs, i.op0_register())
                }
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
                // The slot is SS:rSP after the push.
                if stack_address(regs, sregs, regs.rsp)? & 0xfff != gpa & 0xfff {
                    return None;
                }
            }
            r.rsp = stack_moved(regs.rsp, stack_mask(regs, sregs), width);
        }
        // ENTER with nesting level 0, the only one KVM's emulator performs:
        // push rBP, rBP = the slot, rSP = rBP - imm16. The push is the
        // write; the registers before: rBP = the pushed value, rSP = the
        // slot + its width.
        Mnemonic::Enter if i.immediate(1) & 31 == 0 => {
            let width: u64 = match i.code() {
                iced_x86::Code::Enterw_imm16_imm8 => 2,
                iced_x86::Code::Enterd_imm16_imm8 => 4,
                _ => 8,
            };
            if u64::from(size) != width {
                return None;
            }
            let mask = stack_mask(regs, sregs);
            let alloc = i.immediate(0) & 0xffff;
            if stack_moved(regs.rbp, mask, alloc.wrapping_neg()) & mask != regs.rsp & mask {
                return None;
            }
            if let Some(gpa) = gpa {
                // The slot is SS:rBP after the instruction.
                if stack_address(regs, sregs, regs.rbp & mask)? & 0xfff != gpa & 0xfff {
                    return None;
                }
            }
            r.rbp = match width {
                2 => (regs.rbp & !0xffff) | (data & 0xffff),
                4 => data & 0xffff_ffff,
                _ => data,
            };
            r.rsp = stack_moved(regs.rbp, mask, width);
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
            r.rsp = stack_moved(regs.rsp, stack_mask(regs, sregs), width.wrapping_neg());
        }
        _ => return None,
    }
    Some(r)
}

/// The selector of segment register `r`.
fn selector(sregs: &kvm_sregs, r: Register) -> Option<u64> {
    let s = match r {
        Register::ES => sregs.es,
        Register::CS => sregs.cs,
        Register::SS => sregs.ss,
        Register::DS => sregs.ds,
        Register::FS => sregs.fs,
        Register::GS => sregs.gs,
        _ => return None,
    };
    Some(u64::from(s.selector))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testing::{long_mode, window};
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
            &mut RetiredCache::default(),
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
        let r = undo_retired(
            &mut RetiredCache::default(),
            &window(&[0x90]),
            &at,
            &regs,
            &sregs,
            access,
            Some(0x1000),
        )
        .unwrap();
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
            &mut RetiredCache::default(),
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
        let r = undo_retired(
            &mut RetiredCache::default(),
            &window(&[0xf3, 0x6e]),
            &[0x90],
            &regs,
            &sregs,
            access,
            None,
        )
        .unwrap();
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
        let r = undo_retired(
            &mut RetiredCache::default(),
            &window(&[0x50]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0xf8),
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rsp), (1, 0x4000_0100));
        // pop qword [rdi] to MMIO: RSP was 8 lower.
        let access = Access::MemWrite { size: 8, data: 3 };
        let r = undo_retired(
            &mut RetiredCache::default(),
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
            &mut RetiredCache::default(),
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
    fn pushes_onto_16_and_32_bit_stacks_are_undone_within_them() {
        use crate::decode::testing::{protected32, real_mode};
        // push ax (50) in real mode with SP = 0 (RSP's bits 16-31 set):
        // KVM reports SP = 0xfffe after it; before it SP was 0, not 0x1_0000.
        let (mut regs, sregs) = real_mode();
        regs.rsp = 0x1234_fffe;
        regs.rip = 0x101;
        let access = Access::MemWrite {
            size: 2,
            data: 0x4321,
        };
        let r = undo_retired(
            &mut RetiredCache::default(),
            &window(&[0x50]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0xfffe),
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rip, r.regs.rsp), (1, 0x100, 0x1234_0000));
        assert_eq!(
            crate::decode::written_address(&r.insn, &r.regs, &sregs),
            Some(0xfffe)
        );
        // push eax (50) in flat 32-bit mode with ESP = 0.
        let (mut regs, sregs) = protected32();
        regs.rsp = 0xffff_fffc;
        let access = Access::MemWrite {
            size: 4,
            data: 0x8765_4321,
        };
        let r = undo_retired(
            &mut RetiredCache::default(),
            &window(&[0x50]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0xffff_fffc),
        )
        .unwrap();
        assert_eq!(r.regs.rsp, 0);
        assert_eq!(
            crate::decode::written_address(&r.insn, &r.regs, &sregs),
            Some(0xffff_fffc)
        );
        // pop dword [ebx] (8f 03) to MMIO with ESP = 0 after it: ESP was
        // 0xffff_fffc.
        regs.rsp = 0;
        regs.rbx = 0x1000;
        let access = Access::MemWrite { size: 4, data: 7 };
        let r = undo_retired(
            &mut RetiredCache::default(),
            &window(&[0x8f, 0x03]),
            &[0x90],
            &regs,
            &sregs,
            access,
            Some(0x1000),
        )
        .unwrap();
        assert_eq!(r.regs.rsp, 0xffff_fffc);
    }

    #[test]
    fn the_cache_is_checked_against_each_access() {
        // mov byte [r11+0x58], 0x82 ends with mov byte [rbx+0x58], 0x82:
        // the GPA decides, the cached answer must not.
        let (regs, sregs) = long_mode();
        let before = window(&[0x41, 0xc6, 0x43, 0x58, 0x82]);
        let access = Access::MemWrite {
            size: 1,
            data: 0x82,
        };
        let mut cache = RetiredCache::default();
        let mut undo = |gpa| {
            undo_retired(
                &mut cache,
                &before,
                &[0x90],
                &regs,
                &sregs,
                access,
                Some(gpa),
            )
            .map(|r| (r.len, r.regs.rip))
        };
        assert_eq!(undo(0x1158), Some((4, regs.rip - 4)));
        assert_eq!(undo(0x1158), Some((4, regs.rip - 4)), "a hit");
        assert_eq!(undo(0x2058), Some((5, regs.rip - 5)), "a miss: searched");
        assert_eq!(undo(0x3000), None);
        // Other bytes before RIP never hit.
        let other = window(&[0x89, 0x07]);
        let store = Access::MemWrite {
            size: 4,
            data: regs.rax & 0xffff_ffff,
        };
        let r = undo_retired(&mut cache, &other, &[0x90], &regs, &sregs, store, Some(0));
        assert_eq!(r.map(|r| r.len), Some(2));
        let r = undo_retired(&mut cache, &before, &[0x90], &regs, &sregs, store, Some(0));
        assert!(
            r.is_none(),
            "the cached mov [rdi], eax is not behind these bytes"
        );
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
