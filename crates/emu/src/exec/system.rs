//! The system-table instructions with a memory operand: SGDT, SIDT, SLDT,
//! STR, SMSW (stores; `#GP(0)` above CPL 0 with CR4.UMIP), LGDT, LIDT,
//! LLDT, LTR, LMSW (loads; CPL 0 only). GDTR, IDTR, LDTR, TR and CR0 go
//! through the register callbacks (`WHvX64RegisterGdtr`, …); LLDT and LTR
//! read their descriptor from the GDT (16 bytes in long mode), and LTR
//! marks the TSS busy there, as the CPU does (SDM vol. 2, each
//! instruction's pseudo-code).

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, Mode};
use crate::descriptor::{gp, np};
use crate::regval;
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Instruction, Mnemonic, OpKind};
use winhv_defs::*;

/// CR4.UMIP.
const CR4_UMIP: u64 = 1 << 11;

/// Runs one of this module's instructions.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    use Mnemonic::*;
    let m = instr.mnemonic();
    let protected_only = matches!(m, Sldt | Str | Lldt | Ltr);
    if protected_only && matches!(cpu.mode, Mode::Real | Mode::Virtual8086) {
        return Err(Stop::ud());
    }
    match m {
        Sgdt | Sidt | Sldt | Str | Smsw => {
            if cpu.cpl > 0 && cpu.get64(WHvX64RegisterCr4)? & CR4_UMIP != 0 {
                return Err(Stop::gp0());
            }
            store(cpu, instr)
        }
        _ => {
            if cpu.cpl > 0 || cpu.mode == Mode::Virtual8086 {
                return Err(Stop::gp0());
            }
            match m {
                Lgdt | Lidt => load_table(cpu, instr),
                Lldt => lldt(cpu, instr),
                Ltr => ltr(cpu, instr),
                Lmsw => lmsw(cpu, instr),
                _ => Err(Stop::UNSUPPORTED),
            }
        }
    }
}

/// SGDT/SIDT (limit, then a 32-bit base — 64-bit in 64-bit mode), SLDT,
/// STR, SMSW (16 bits to memory).
fn store<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    use Mnemonic::*;
    if instr.op_kind(0) != OpKind::Memory {
        return Err(Stop::UNSUPPORTED);
    }
    let mut b = [0u8; 10];
    let n = match instr.mnemonic() {
        Sgdt | Sidt => {
            let name = if instr.mnemonic() == Sgdt {
                WHvX64RegisterGdtr
            } else {
                WHvX64RegisterIdtr
            };
            let t = regval::table(&cpu.get_one(name)?);
            b[..2].copy_from_slice(&t.Limit.to_le_bytes());
            b[2..].copy_from_slice(&t.Base.to_le_bytes());
            if cpu.long64() { 10 } else { 6 }
        }
        Sldt | Str => {
            let name = if instr.mnemonic() == Sldt {
                WHvX64RegisterLdtr
            } else {
                WHvX64RegisterTr
            };
            let s = regval::segment(&cpu.get_one(name)?);
            b[..2].copy_from_slice(&s.Selector.to_le_bytes());
            2
        }
        _ => {
            let cr0 = cpu.get64(WHvX64RegisterCr0)?;
            b[..2].copy_from_slice(&(cr0 as u16).to_le_bytes());
            2
        }
    };
    let (seg, off) = cpu.mem_offset(instr, 0)?;
    let span = cpu.resolve(seg, off, n, Access::Write)?;
    cpu.write_span(&span, &b[..n])
}

/// The 16-bit selector operand of LLDT/LTR/LMSW.
fn word_operand<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<u16> {
    Ok(cpu.src(instr, 0, 2)? as u16)
}

/// LGDT/LIDT m16&32 (m16&64 in 64-bit mode; a 16-bit operand size keeps
/// 24 bits of the base).
fn load_table<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    if instr.op_kind(0) != OpKind::Memory {
        return Err(Stop::UNSUPPORTED);
    }
    let n = if cpu.long64() { 10 } else { 6 };
    let (seg, off) = cpu.mem_offset(instr, 0)?;
    let span = cpu.resolve(seg, off, n, Access::Read)?;
    let mut b = [0u8; 10];
    cpu.read_span(&span, &mut b[..n])?;
    let limit = u16::from_le_bytes([b[0], b[1]]);
    let mut base = u64::from_le_bytes(b[2..10].try_into().unwrap_or_default());
    if !cpu.long64() {
        base &= 0xffff_ffff;
        if matches!(
            instr.code(),
            iced_x86::Code::Lgdt_m1632_16 | iced_x86::Code::Lidt_m1632_16
        ) {
            base &= 0x00ff_ffff;
        }
    }
    let name = if instr.mnemonic() == Mnemonic::Lgdt {
        WHvX64RegisterGdtr
    } else {
        WHvX64RegisterIdtr
    };
    let table = WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: limit,
        Base: base,
    };
    cpu.stage(name, regval::from_table(table))
}

/// Checks a 16-byte long-mode system descriptor's upper half: its type
/// field zero and the base canonical.
fn check_wide<C: Callbacks + ?Sized>(
    cpu: &Cpu<'_, C>,
    d: &crate::descriptor::Descriptor,
    selector: u16,
) -> Step<()> {
    if cpu.lma && ((d.hi >> 40) & 0x1f != 0 || !crate::segment::is_canonical(d.segment(0).Base)) {
        return Err(gp(selector));
    }
    Ok(())
}

/// LLDT r/m16.
fn lldt<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let selector = word_operand(cpu, instr)?;
    let value = if selector & 0xfffc == 0 {
        crate::descriptor::null_segment(selector)
    } else {
        if selector & 4 != 0 {
            return Err(gp(selector));
        }
        let d = cpu.descriptor(selector, cpu.lma)?;
        if d.s() || d.ty() != 2 {
            return Err(gp(selector));
        }
        if !d.present() {
            return Err(np(selector));
        }
        check_wide(cpu, &d, selector)?;
        d.segment(selector)
    };
    cpu.stage(WHvX64RegisterLdtr, regval::from_segment(value))
}

/// LTR r/m16: an available TSS, marked busy in the GDT and in TR.
fn ltr<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let selector = word_operand(cpu, instr)?;
    if selector & 0xfffc == 0 {
        return Err(Stop::gp0());
    }
    if selector & 4 != 0 {
        return Err(gp(selector));
    }
    let mut d = cpu.descriptor(selector, cpu.lma)?;
    // An available TSS: 32/64-bit (9), or 16-bit (1) outside long mode.
    let available = d.ty() == 9 || (d.ty() == 1 && !cpu.lma);
    if d.s() || !available {
        return Err(gp(selector));
    }
    if !d.present() {
        return Err(np(selector));
    }
    check_wide(cpu, &d, selector)?;
    cpu.set_descriptor_bit(&mut d, 1)?;
    cpu.stage(WHvX64RegisterTr, regval::from_segment(d.segment(selector)))
}

/// LMSW r/m16: CR0 bits 0..4 (PE can be set, not cleared).
fn lmsw<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    let v = u64::from(word_operand(cpu, instr)?);
    let cr0 = cpu.get64(WHvX64RegisterCr0)?;
    let new = (cr0 & !0xe) | (v & 0xf) | (cr0 & 1);
    cpu.stage(WHvX64RegisterCr0, regval::from64(new))
}
