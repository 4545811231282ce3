//! Control transfers that touch memory: CALL (relative, through a
//! register or memory — the return address onto an MMIO stack, the target
//! from MMIO —, far direct and through memory), JMP through memory (near
//! and far), RET and RET imm16 (near and far), ENTER (any nesting level),
//! LEAVE, and IRET/IRETD/IRETQ, in every mode.
//!
//! The target is checked as the CPU checks it — within the CS limit
//! outside 64-bit mode, canonical in it — with `#GP(0)` and nothing done
//! otherwise; every stack slot of the instruction is checked and
//! translated before the first is written ([`crate::exec::stack`]). Far
//! transfers load CS (and, returning to an outer privilege level, SS)
//! through [`crate::descriptor`], with its checks.
//!
//! Not emulated (`InternalEmulationFailure`): far transfers through call
//! gates, task gates or TSS descriptors (task switches), IRET with
//! RFLAGS.NT (a task return) or to virtual-8086 mode. Near branches in
//! 64-bit mode with a 66 prefix are decoded as Intel processors run them
//! (the prefix ignored, 64-bit targets); AMD processors truncate the
//! target to 16 bits.

use crate::callbacks::Callbacks;
use crate::cpu::{CS, Cpu, DS, ES, FS, GS, Mode, RBP, RSP, SS};
use crate::descriptor::{CodeEntry, null_segment};
use crate::exec::stack::{pop_frame, push_frame, set_sp, sp, stack_size};
use crate::exec::{Flow, addr_mask};
use crate::flags;
use crate::regval;
use crate::segment::{Access, is_canonical};
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};
use winhv_defs::*;

/// RFLAGS bits by name.
const IF: u64 = 1 << 9;
const IOPL: u64 = 3 << 12;
const NT: u64 = 1 << 14;
const VIF: u64 = 1 << 19;
const VIP: u64 = 1 << 20;

/// Runs a control transfer.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<Flow> {
    use Mnemonic::*;
    match instr.mnemonic() {
        Call if is_far(instr) => far_call(cpu, instr),
        Call => near_call(cpu, instr),
        Jmp if is_far(instr) => far_jump(cpu, instr),
        Jmp => near_jump(cpu, instr),
        Ret => near_ret(cpu, instr),
        Retf => far_ret(cpu, instr),
        Enter => enter(cpu, instr).map(|()| Flow::Next),
        Leave => leave(cpu, instr).map(|()| Flow::Next),
        Iret | Iretd | Iretq => iret(cpu, instr),
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// Whether a CALL/JMP is far (ptr16:xx, or m16:xx).
fn is_far(instr: &Instruction) -> bool {
    match instr.op0_kind() {
        OpKind::FarBranch16 | OpKind::FarBranch32 => true,
        OpKind::Memory => {
            use iced_x86::MemorySize::*;
            matches!(instr.memory_size(), SegPtr16 | SegPtr32 | SegPtr64)
        }
        _ => false,
    }
}

/// The operand size of a near branch in bytes (its return-address slot).
fn near_size(instr: &Instruction) -> usize {
    match instr.op0_kind() {
        OpKind::NearBranch16 => 2,
        OpKind::NearBranch32 => 4,
        OpKind::NearBranch64 => 8,
        OpKind::Register => instr.op0_register().size(),
        OpKind::Memory => instr.memory_size().size(),
        _ => instr.stack_pointer_increment().unsigned_abs() as usize,
    }
}

/// Checks a target offset of `size` bytes in the code segment `cs` with
/// the code size `bits`: canonical in 64-bit code, within the limit
/// elsewhere (`#GP(0)`).
fn check_target(target: u64, cs: &WHV_X64_SEGMENT_REGISTER, long: bool) -> Step<u64> {
    if long {
        if !is_canonical(target) {
            return Err(Stop::gp0());
        }
    } else if target > u64::from(cs.Limit) {
        return Err(Stop::gp0());
    }
    Ok(target)
}

/// The near target of a CALL/JMP: relative, a register or memory.
fn near_target<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    size: usize,
) -> Step<u64> {
    let t = match instr.op0_kind() {
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
            instr.near_branch_target()
        }
        OpKind::Register | OpKind::Memory => cpu.src(instr, 0, size)?,
        _ => return Err(Stop::UNSUPPORTED),
    };
    let t = t & addr_mask(size);
    let cs = cpu.cached_segment(CS);
    check_target(t, &cs, cpu.long64())
}

/// CALL rel / r/m (near): the return address pushed, RIP at the target.
fn near_call<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let size = near_size(instr);
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    let target = near_target(cpu, instr, size)?;
    let ret = instr.next_ip() & addr_mask(size);
    let sp0 = sp(cpu)?;
    let new_sp = push_frame(cpu, sp0, size, &[ret])?;
    set_sp(cpu, new_sp)?;
    Ok(Flow::Jump(target))
}

/// JMP r/m (near, the target read from memory or a register).
fn near_jump<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let size = near_size(instr);
    if !matches!(size, 2 | 4 | 8) {
        return Err(Stop::UNSUPPORTED);
    }
    near_target(cpu, instr, size).map(Flow::Jump)
}

/// RET / RET imm16 (near).
fn near_ret<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let size = ret_size(instr);
    let sp0 = sp(cpu)?;
    let mut v = [0u64];
    pop_frame(cpu, sp0, size, &mut v)?;
    let cs = cpu.cached_segment(CS);
    let target = check_target(v[0] & addr_mask(size), &cs, cpu.long64())?;
    let release = if instr.op_count() > 0 {
        instr.immediate(0) & 0xffff
    } else {
        0
    };
    set_sp(cpu, sp0.wrapping_add(size as u64).wrapping_add(release))?;
    Ok(Flow::Jump(target))
}

/// The slot size of a RET/RETF/IRET: its operand size.
fn ret_size(instr: &Instruction) -> usize {
    use Mnemonic::*;
    let total = instr.stack_pointer_increment().unsigned_abs() as usize;
    let release = if matches!(instr.mnemonic(), Ret | Retf) && instr.op_count() > 0 {
        (instr.immediate(0) & 0xffff) as usize
    } else {
        0
    };
    let slots = match instr.mnemonic() {
        Retf => 2,
        Iret | Iretd | Iretq => {
            // iced counts the frame it pops in the mode at hand.
            return match instr.mnemonic() {
                Iret => 2,
                Iretd => 4,
                _ => 8,
            };
        }
        _ => 1,
    };
    (total.saturating_sub(release) / slots).clamp(2, 8)
}

/// The code size a CS value selects.
fn code_long<C: Callbacks + ?Sized>(cpu: &Cpu<'_, C>, cs: &WHV_X64_SEGMENT_REGISTER) -> bool {
    cpu.lma && cs.long() != 0 && cpu.mode != Mode::Real
}

/// The far pointer of a JMP/CALL: (selector, offset) from the immediate or
/// memory (offset first, then the selector).
fn far_pointer<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<(u16, u64, usize)> {
    match instr.op0_kind() {
        OpKind::FarBranch16 => Ok((
            instr.far_branch_selector(),
            u64::from(instr.far_branch16()),
            2,
        )),
        OpKind::FarBranch32 => Ok((
            instr.far_branch_selector(),
            u64::from(instr.far_branch32()),
            4,
        )),
        OpKind::Memory => {
            let size = instr.memory_size().size().saturating_sub(2);
            if !matches!(size, 2 | 4 | 8) {
                return Err(Stop::UNSUPPORTED);
            }
            let (s, off) = cpu.mem_offset(instr, 0)?;
            let span = cpu.resolve(s, off, size + 2, Access::Read)?;
            let mut b = [0u8; 10];
            cpu.read_span(&span, &mut b[..size + 2])?;
            let mut o = [0u8; 8];
            o[..size].copy_from_slice(&b[..size]);
            Ok((
                u16::from_le_bytes([b[size], b[size + 1]]),
                u64::from_le_bytes(o),
                size,
            ))
        }
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// Enters the code segment `selector` at `offset` (a far JMP/CALL/RET):
/// CS loaded after the checks, the offset checked against it.
fn enter_code<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    selector: u16,
    offset: u64,
    entry: CodeEntry,
) -> Step<(u64, u8)> {
    let (cs, cpl) = cpu.load_code_segment(selector, entry)?;
    let long = code_long(cpu, &cs);
    let target = check_target(offset, &cs, long)?;
    cpu.set_segment(CS, cs);
    Ok((target, cpl))
}

/// JMP ptr16:xx / m16:xx.
fn far_jump<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let (selector, offset, _) = far_pointer(cpu, instr)?;
    let (target, _) = enter_code(cpu, selector, offset, CodeEntry::JumpOrCall)?;
    Ok(Flow::Jump(target))
}

/// CALL ptr16:xx / m16:xx: CS and the return offset pushed (operand-size
/// slots), then CS:RIP loaded.
fn far_call<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let (selector, offset, size) = far_pointer(cpu, instr)?;
    let old_cs = u64::from(cpu.cached_segment(CS).Selector);
    let ret = instr.next_ip() & addr_mask(size);
    // The new CS is checked before anything is pushed.
    let (target, _) = enter_code(cpu, selector, offset, CodeEntry::JumpOrCall)?;
    let sp0 = sp(cpu)?;
    let new_sp = push_frame(cpu, sp0, size, &[old_cs, ret])?;
    set_sp(cpu, new_sp)?;
    Ok(Flow::Jump(target))
}

/// RETF / RETF imm16: offset and CS popped; to an outer privilege level,
/// then RSP and SS too (after the release).
fn far_ret<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let size = ret_size(instr);
    let release = if instr.op_count() > 0 {
        instr.immediate(0) & 0xffff
    } else {
        0
    };
    let sp0 = sp(cpu)?;
    let mut f = [0u64; 2];
    pop_frame(cpu, sp0, size, &mut f)?;
    let selector = f[1] as u16;
    let outer = !matches!(cpu.mode, Mode::Real | Mode::Virtual8086)
        && u8::try_from(selector & 3).unwrap_or(0) > cpu.cpl;
    let after = sp0.wrapping_add(2 * size as u64).wrapping_add(release);
    let outer_stack = if outer {
        let mut s = [0u64; 2];
        pop_frame(cpu, after, size, &mut s)?;
        Some((s[0], s[1] as u16))
    } else {
        None
    };
    let (target, cpl) = enter_code(cpu, selector, f[0] & addr_mask(size), CodeEntry::Return)?;
    match outer_stack {
        None => set_sp(cpu, after)?,
        Some((rsp, ss)) => {
            to_outer_level(cpu, cpl, ss, rsp.wrapping_add(release), size)?;
        }
    }
    Ok(Flow::Jump(target))
}

/// Switches to the outer privilege level `cpl` after a far RET or IRET:
/// SS loaded from `ss` (checked at the new CPL), RSP set to `rsp`
/// (`size` bytes wide outside 64-bit mode), and each of ES, DS, FS, GS
/// that the new level may not use made null.
fn to_outer_level<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    cpl: u8,
    ss: u16,
    rsp: u64,
    size: usize,
) -> Step<()> {
    let old_cpl = cpu.cpl;
    cpu.cpl = cpl;
    let loaded = cpu.load_data_segment(SS, ss);
    cpu.cpl = old_cpl;
    let new_ss = loaded?;
    cpu.set_segment(SS, new_ss);
    if cpu.long64() {
        // 64-bit mode: RSP is the popped slot, zero-extended.
        cpu.set_gpr(RSP, rsp & addr_mask(size));
    } else if new_ss.default_bit() != 0 {
        cpu.write_gpr_sized(RSP, 4, rsp)?;
    } else {
        cpu.write_gpr_sized(RSP, 2, rsp)?;
    }
    for i in [ES, DS, FS, GS] {
        let s = cpu.segment(i)?;
        let data_or_nonconforming = s.segment_type() & 0xc != 0xc;
        if s.non_system_segment() != 0
            && data_or_nonconforming
            && u8::try_from(s.descriptor_privilege_level()).unwrap_or(3) < cpl
        {
            cpu.set_segment(i, null_segment(0));
        }
    }
    cpu.ss_loaded = false;
    Ok(())
}

/// IRET, IRETD, IRETQ.
fn iret<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<Flow> {
    let size = ret_size(instr);
    let sp0 = sp(cpu)?;
    let old = cpu.rflags;
    if !matches!(cpu.mode, Mode::Real) && old & NT != 0 {
        // A task return.
        return Err(Stop::UNSUPPORTED);
    }
    if cpu.mode == Mode::Virtual8086 {
        // IRET in virtual-8086 mode: IOPL-sensitive, VME: not emulated.
        return Err(Stop::UNSUPPORTED);
    }
    // 64-bit mode always pops SS:RSP too.
    let slots = if cpu.long64() { 5 } else { 3 };
    let mut f = [0u64; 5];
    pop_frame(cpu, sp0, size, &mut f[..slots])?;
    let (ip, selector, popped) = (f[0] & addr_mask(size), f[1] as u16, f[2]);
    if cpu.mode == Mode::Real {
        let (target, _) = enter_code(cpu, selector, ip, CodeEntry::Return)?;
        cpu.rflags = iret_flags(old, popped, size, 0, true);
        cpu.keep_rf = true;
        set_sp(cpu, sp0.wrapping_add(3 * size as u64))?;
        clear_nmi_blocking(cpu)?;
        return Ok(Flow::Jump(target));
    }
    if popped & flags::VM != 0 && cpu.cpl == 0 && !cpu.lma {
        // Back to virtual-8086 mode: not emulated.
        return Err(Stop::UNSUPPORTED);
    }
    let rpl = u8::try_from(selector & 3).unwrap_or(0);
    let outer = rpl > cpu.cpl;
    let (rsp, ss) = if outer && !cpu.long64() {
        let mut s = [0u64; 2];
        pop_frame(cpu, sp0.wrapping_add(3 * size as u64), size, &mut s)?;
        (s[0], s[1] as u16)
    } else {
        (f[3], f[4] as u16)
    };
    let cpl0 = cpu.cpl;
    let (target, cpl) = enter_code(cpu, selector, ip, CodeEntry::Return)?;
    cpu.rflags = iret_flags(old, popped, size, cpl0, false);
    cpu.keep_rf = true;
    if outer || cpu.long64() {
        to_outer_level(cpu, cpl, ss, rsp, size)?;
    } else {
        set_sp(cpu, sp0.wrapping_add(3 * size as u64))?;
    }
    clear_nmi_blocking(cpu)?;
    Ok(Flow::Jump(target))
}

/// RFLAGS after an IRET that popped `popped` (`size` bytes) at CPL `cpl`:
/// IOPL only at CPL 0, IF where CPL ≤ IOPL, VIF/VIP only at CPL 0, VM
/// never (refused earlier); real mode as CPL 0 keeping VM, VIF, VIP.
fn iret_flags(old: u64, popped: u64, size: usize, cpl: u8, real: bool) -> u64 {
    // Bits IRET can change: CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID
    // (and VIF/VIP at CPL 0 in protected mode).
    let mut changeable: u64 = 0x25_7fd5;
    if !real && cpl == 0 {
        changeable |= VIF | VIP;
    }
    if !real && cpl > 0 {
        changeable &= !IOPL;
    }
    let iopl = ((old & IOPL) >> 12) as u8;
    if !real && cpl > iopl {
        changeable &= !IF;
    }
    if size == 2 {
        changeable &= 0xffff;
    }
    ((old & !changeable) | (popped & changeable)) | 2
}

/// IRET ends NMI blocking: `WHvRegisterInterruptState` written with
/// `NmiMasked` clear.
fn clear_nmi_blocking<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>) -> Step<()> {
    let v = cpu.get_one(WHvRegisterInterruptState)?;
    let mut state = WHV_X64_INTERRUPT_STATE_REGISTER {
        AsUINT64: regval::reg64(&v),
    };
    if state.nmi_masked() == 0 {
        return Ok(());
    }
    state.set_nmi_masked(0);
    let mut w = WHV_REGISTER_VALUE::default();
    w.InterruptState = state;
    cpu.stage(WHvRegisterInterruptState, w)
}

/// ENTER imm16, imm8: push rBP; for a nesting level L > 0, L − 1 frame
/// pointers copied from the old frame (read at SS:rBP − k·size, which can
/// be MMIO too) and the new frame pointer pushed; rBP = the frame, rSP
/// lowered by imm16.
fn enter<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let size = frame_operand_size(instr);
    let alloc = instr.immediate(0) & 0xffff;
    let level = (instr.immediate(1) & 31) as usize;
    let ssize = stack_size(cpu)?;
    let smask = addr_mask(ssize);
    let sp0 = sp(cpu)?;
    let rbp = cpu.gpr(RBP)?;
    let frame = sp0.wrapping_sub(size as u64) & smask;
    // The values pushed: rBP, the copied frame pointers, the new frame.
    let mut values = [0u64; 33];
    let mut n = 0;
    values[n] = rbp & addr_mask(size);
    n += 1;
    if level > 0 {
        let mut bp = rbp & smask;
        for _ in 1..level {
            bp = bp.wrapping_sub(size as u64) & smask;
            let span = cpu.resolve(SS, bp, size, Access::Read)?;
            values[n] = cpu.read_value(&span, size)?;
            n += 1;
        }
        values[n] = frame;
        n += 1;
    }
    let mut at = sp0;
    for chunk in values[..n].chunks(5) {
        at = push_frame(cpu, at, size, chunk)?;
    }
    let new_sp = at.wrapping_sub(alloc) & smask;
    // The final stack pointer must be usable (the CPU checks it).
    if !cpu.long64() {
        cpu.linear(SS, new_sp, 1, Access::Write)?;
    }
    cpu.write_gpr_sized(RBP, size, frame)?;
    set_sp(cpu, new_sp)
}

/// ENTER's and LEAVE's operand size, from the decoded form.
fn frame_operand_size(instr: &Instruction) -> usize {
    use iced_x86::Code::*;
    match instr.code() {
        Enterw_imm16_imm8 | Leavew => 2,
        Enterd_imm16_imm8 | Leaved => 4,
        _ => 8,
    }
}

/// LEAVE: rSP = rBP (stack-address size), then rBP popped.
fn leave<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let size = frame_operand_size(instr);
    let ssize = stack_size(cpu)?;
    let smask = addr_mask(ssize);
    let bp = cpu.gpr(RBP)? & smask;
    let mut v = [0u64];
    pop_frame(cpu, bp, size, &mut v)?;
    cpu.write_gpr_sized(RSP, ssize, bp.wrapping_add(size as u64) & smask)?;
    cpu.write_gpr_sized(RBP, size, v[0])
}
