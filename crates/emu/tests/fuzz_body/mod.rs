//! The fuzz body shared by the stable test (tests/fuzz_target.rs, run by the
//! README's test command) and the cargo-fuzz harness for nightly
//! (crates/emu/fuzz): one input of arbitrary bytes becomes the instruction
//! bytes, the exit context (byte count, access info, port, GVA/GPA), the
//! whole register state the callbacks answer with, the contents of memory
//! and of the MMIO window, and which callback fails. The emulator must not
//! panic, must reject exactly the malformed contexts with E_INVALIDARG,
//! and must otherwise answer a defined status (success alone, or exactly
//! one failure bit) and call set-registers exactly when it says so. The
//! mock asserts that every memory access is 1 to 8 bytes inside one page.
#![allow(dead_code, reason = "the fuzz binary and the test use different parts")]

use crate::common::*;
use arbitrary::{Result, Unstructured};
use winhv_defs::*;

/// The statuses a failed emulation may answer (exactly one bit each).
pub const FAILURES: [u32; 9] = [
    INTERNAL,
    IO_FAILED,
    MEM_FAILED,
    TRANSLATE_FAILED,
    NOT_ALIGNED,
    GET_FAILED,
    SET_FAILED,
    INTERRUPT,
    CANNOT_FAULT,
];

/// Checks one emulation's answer `st` against what the mock saw; `ctx`
/// names the case in the panic message.
pub fn check_status(vp: &Vp, st: u32, ctx: &str) -> bool {
    if st == OK {
        assert_eq!(vp.set_calls, 1, "{ctx}");
        true
    } else {
        assert!(FAILURES.contains(&st), "undefined status: {ctx}");
        let expect_sets = usize::from(st == SET_FAILED);
        assert_eq!(vp.set_calls, expect_sets, "{ctx}");
        false
    }
}

/// A register value: small (inside memory or the MMIO window) or wild, so
/// that arbitrary bytes reach mapped memory often.
fn reg(u: &mut Unstructured) -> Result<u64> {
    let v: u64 = u.arbitrary()?;
    Ok(match u.int_in_range(0..=3u8)? {
        0 => v,
        1 => MMIO + v % MMIO_LEN as u64,
        2 => v % 0x10_000,
        _ => v % MEM as u64,
    })
}

fn seg(u: &mut Unstructured, s: &mut WHV_X64_SEGMENT_REGISTER) -> Result<()> {
    if u.ratio(1, 4)? {
        s.Base = reg(u)?;
        s.Limit = u.arbitrary()?;
        s.Attributes = u.arbitrary()?;
        s.Selector = u.arbitrary()?;
    }
    Ok(())
}

/// The VP the callbacks answer for: a mode, then any registers.
fn vp(u: &mut Unstructured) -> Result<Vp> {
    let mut vp = Vp::in_mode(u.int_in_range(0..=5)?);
    for r in vp.gpr.iter_mut() {
        *r = reg(u)?;
    }
    vp.rip = reg(u)?;
    vp.rflags = 2 | (u.arbitrary::<u64>()? & 0x7_7fd5);
    vp.cpl = u.int_in_range(0..=3)?;
    for s in vp.seg.iter_mut() {
        seg(u, s)?;
    }
    seg(u, &mut vp.ldtr)?;
    seg(u, &mut vp.tr)?;
    if u.ratio(1, 3)? {
        vp.cr0 = u.arbitrary()?;
        vp.cr4 = u.arbitrary::<u64>()? & 0x3f_ffff;
        vp.efer = u.arbitrary()?;
        vp.gdtr = (reg(u)?, u.arbitrary()?);
        vp.idtr = (reg(u)?, u.arbitrary()?);
        vp.interrupt_state = u.arbitrary()?;
        vp.dr6 = u.arbitrary()?;
    }
    for x in vp.xmm.iter_mut() {
        *x = u.arbitrary()?;
    }
    if u.ratio(1, 3)? {
        for f in vp.fp.iter_mut() {
            *f = u.arbitrary()?;
        }
        vp.fpcs = u.arbitrary()?;
        vp.xmmcs = u.arbitrary()?;
    }
    // Which callback answers with a failure.
    let fails: u8 = u.arbitrary()?;
    vp.fail_io = fails & 1 != 0 && u.ratio(1, 2)?;
    vp.fail_mem = fails & 2 != 0 && u.ratio(1, 2)?;
    vp.fail_get = fails & 4 != 0 && u.ratio(1, 2)?;
    vp.fail_set = fails & 8 != 0 && u.ratio(1, 2)?;
    vp.fail_translate = fails & 16 != 0 && u.ratio(1, 2)?;
    vp.misalign_gpa = fails & 32 != 0 && u.ratio(1, 2)?;
    vp.interruption_pending = fails & 64 != 0 && u.ratio(1, 2)?;
    if fails & 128 != 0 {
        vp.fail_mem_at = Some(u.int_in_range(0..=7)?);
    }
    if u.ratio(1, 4)? {
        let page = reg(u)? & !0xfff;
        let code = u.int_in_range(0..=9)?;
        vp.bad_pages
            .insert(page, WHV_TRANSLATE_GVA_RESULT_CODE(code));
    }
    for _ in 0..u.int_in_range(0..=4)? {
        vp.io_in.push(u.arbitrary()?);
    }
    Ok(vp)
}

/// Runs the emulator on one input; panics on an undefined answer.
/// Returns Some(true) when emulation succeeded, None when the input was
/// too short to describe a case.
pub fn fuzz_one(data: &[u8]) -> Option<bool> {
    let mut u = Unstructured::new(data);
    run(&mut u).ok()
}

fn run(u: &mut Unstructured) -> Result<bool> {
    let io = u.ratio(1, 4)?;
    let code: [u8; 16] = u.arbitrary()?;
    // Usually a count the emulator accepts, sometimes any byte.
    let count: u8 = if u.ratio(1, 16)? {
        u.arbitrary()?
    } else {
        u.int_in_range(0..=16)?
    };
    let access: u32 = u.arbitrary()?;
    let mut vp = vp(u)?;
    // The code in guest memory too (where CS:RIP is in RAM), then the
    // MMIO window's and the stack's contents.
    let at = vp.seg[1].Base.wrapping_add(vp.rip) & 0xffff_ffff;
    if at + 16 < MEM as u64 {
        vp.poke(at, &code);
    }
    let window = u.int_in_range(0..=64)?;
    for i in 0..window {
        let b: u8 = u.arbitrary()?;
        vp.poke(MMIO + i, &[b]);
    }
    let sp = vp.gpr[RSP] & 0xffff_ffff;
    if sp + 32 < MEM as u64 {
        let stack: [u8; 32] = u.arbitrary()?;
        vp.poke(sp, &stack);
    }
    let mut vpc = vp.vp_context();
    vpc._bitfield = u.arbitrary()?;
    if u.ratio(1, 8)? {
        // An execution state that disagrees with the registers.
        vpc.ExecutionState.AsUINT16 = u.arbitrary()?;
    }
    let name = format!(
        "{} code {code:02x?} count {count} access {access:#x}",
        if io { "io" } else { "mmio" }
    );
    let answer = if io {
        let mut ctx = WHV_X64_IO_PORT_ACCESS_CONTEXT {
            InstructionByteCount: count,
            InstructionBytes: code,
            PortNumber: u.arbitrary()?,
            Rax: vp.gpr[RAX],
            Rcx: vp.gpr[RCX],
            Rsi: vp.gpr[RSI],
            Rdi: vp.gpr[RDI],
            Ds: vp.seg[3],
            Es: vp.seg[0],
            ..Default::default()
        };
        ctx.AccessInfo.AsUINT32 = access;
        let valid = winhv_emu::Emulator::check_io_context(&ctx).is_ok();
        let answer = winhv_emu::Emulator::new().try_io_emulation(&mut vp, &vpc, &ctx);
        assert_eq!(answer.is_ok(), valid, "{name}");
        answer
    } else {
        let mut ctx = WHV_MEMORY_ACCESS_CONTEXT {
            InstructionByteCount: count,
            InstructionBytes: code,
            Gpa: reg(u)?,
            Gva: reg(u)?,
            ..Default::default()
        };
        ctx.AccessInfo.AsUINT32 = access;
        let valid = count <= 16;
        let answer = winhv_emu::Emulator::new().try_mmio_emulation(&mut vp, &vpc, &ctx);
        assert_eq!(answer.is_ok(), valid, "{name}");
        answer
    };
    match answer {
        Ok(st) => Ok(check_status(
            &vp,
            st.AsUINT32,
            &format!("{name} status {:#x}", st.AsUINT32),
        )),
        Err(e) => {
            assert_eq!(e, E_INVALIDARG, "{name}");
            assert_eq!(
                vp.get_calls + vp.set_calls,
                0,
                "{name}: rejected after callbacks"
            );
            Ok(false)
        }
    }
}
