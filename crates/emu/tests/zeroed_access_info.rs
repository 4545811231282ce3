//! I/O exit contexts whose access info is zeroed (`AccessSize` 0), as a
//! VMM passes when it fills in only the instruction bytes: the emulator
//! decodes the instruction and takes the port from its imm8 or DX, the
//! size and direction from its opcode, and the registers from the
//! callback — as Windows' emulator does — instead of refusing the context.

mod common;

use common::*;
use winhv_defs::*;
use winhv_emu::Emulator;

const RAX: usize = 0;
const RCX: usize = 1;
const RDX: usize = 2;
const RSI: usize = 6;
const RDI: usize = 7;

/// Runs I/O emulation on a context with only `given` instruction bytes
/// (the code is placed at CS:RIP) and everything else zero: no access
/// info, port 0, no RAX/RCX/RSI/RDI/DS/ES.
fn zeroed_io(vp: &mut Vp, code: &[u8], given: usize) -> Result<u32, HRESULT> {
    vp.place_code(code);
    let mut ctx = WHV_X64_IO_PORT_ACCESS_CONTEXT::default();
    let n = given.min(code.len());
    ctx.InstructionByteCount = n as u8;
    ctx.InstructionBytes[..n].copy_from_slice(&code[..n]);
    let vpc = vp.vp_context();
    Emulator::new()
        .try_io_emulation(vp, &vpc, &ctx)
        .map(|s| s.AsUINT32)
}

fn rec(port: u64, size: u8, write: bool, data: u64) -> Rec {
    Rec {
        addr: port,
        size,
        write,
        data,
    }
}

#[test]
fn out_imm8_takes_port_size_and_direction_from_the_instruction() {
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0x1234_5641;
    assert_eq!(zeroed_io(&mut vp, &[0xe6, 0x80], 2), Ok(OK)); // out 0x80, al
    assert_eq!(vp.io_log, [rec(0x80, 1, true, 0x41)]);
    assert_eq!(vp.rip, 0x1002);
}

#[test]
fn out_dx_takes_the_port_from_dx_not_the_zeroed_port_number() {
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0xaabb_ccdd;
    vp.gpr[RDX] = 0xffff_0000_0000_03f8;
    assert_eq!(zeroed_io(&mut vp, &[0x66, 0xef], 2), Ok(OK)); // out dx, ax
    assert_eq!(vp.io_log, [rec(0x3f8, 2, true, 0xccdd)]);
    assert_eq!(vp.rip, 0x1002);
}

#[test]
fn in_forms_read_into_the_accumulator() {
    // in eax, dx: 32-bit, zero-extends RAX in 64-bit mode.
    let mut vp = Vp::long();
    vp.gpr[RAX] = u64::MAX;
    vp.gpr[RDX] = 0xcf8;
    vp.io_in = vec![0x8000_0010];
    assert_eq!(zeroed_io(&mut vp, &[0xed], 1), Ok(OK));
    assert_eq!(vp.io_log, [rec(0xcf8, 4, false, 0x8000_0010)]);
    assert_eq!(vp.gpr[RAX], 0x8000_0010);
    assert_eq!(vp.rip, 0x1001);

    // in al, 0x60: 8-bit, the rest of RAX kept.
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0x1122_3344;
    vp.io_in = vec![0x5a];
    assert_eq!(zeroed_io(&mut vp, &[0xe4, 0x60], 2), Ok(OK));
    assert_eq!(vp.io_log, [rec(0x60, 1, false, 0x5a)]);
    assert_eq!(vp.gpr[RAX], 0x1122_335a);
}

#[test]
fn string_forms_use_the_registers_from_the_callback() {
    // rep outsb: three bytes from DS:RSI to port DX.
    let mut vp = Vp::long();
    vp.poke(0x5000, b"abc");
    vp.gpr[RSI] = 0x5000;
    vp.gpr[RCX] = 3;
    vp.gpr[RDX] = 0xe9;
    assert_eq!(zeroed_io(&mut vp, &[0xf3, 0x6e], 2), Ok(OK));
    let bytes: Vec<Rec> = b"abc"
        .iter()
        .map(|&b| rec(0xe9, 1, true, b.into()))
        .collect();
    assert_eq!(vp.io_log, bytes);
    assert_eq!((vp.gpr[RSI], vp.gpr[RCX]), (0x5003, 0));
    assert_eq!(vp.rip, 0x1002);

    // insw: one word from port DX to ES:RDI.
    let mut vp = Vp::long();
    vp.gpr[RDI] = 0x6000;
    vp.gpr[RDX] = 0x1f0;
    vp.io_in = vec![0xbeef];
    assert_eq!(zeroed_io(&mut vp, &[0x66, 0x6d], 2), Ok(OK));
    assert_eq!(vp.io_log, [rec(0x1f0, 2, false, 0xbeef)]);
    assert_eq!(vp.peek(0x6000, 2), vec![0xef, 0xbe]);
    assert_eq!(vp.gpr[RDI], 0x6002);
}

#[test]
fn without_instruction_bytes_the_instruction_is_fetched() {
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0x77;
    vp.gpr[RDX] = 0x402;
    assert_eq!(zeroed_io(&mut vp, &[0xee], 0), Ok(OK)); // out dx, al, from memory
    assert_eq!(vp.io_log, [rec(0x402, 1, true, 0x77)]);
    assert_eq!(vp.rip, 0x1001);
}

#[test]
fn in_real_mode_too() {
    let mut vp = Vp::real();
    vp.gpr[RAX] = 0x41;
    vp.gpr[RDX] = 0x3f8;
    assert_eq!(zeroed_io(&mut vp, &[0xee], 1), Ok(OK));
    assert_eq!(vp.io_log, [rec(0x3f8, 1, true, 0x41)]);
}

#[test]
fn a_non_io_instruction_is_still_refused() {
    let mut vp = Vp::long();
    vp.gpr[3] = 0x5000;
    // mov [rbx], eax on an I/O exit: nothing to do with a port.
    assert_eq!(zeroed_io(&mut vp, &[0x89, 0x03], 2), Ok(INTERNAL));
    assert!(vp.io_log.is_empty() && vp.mem_log.is_empty());
    assert_eq!(vp.set_calls, 0);
}

#[test]
fn an_impossible_access_size_is_still_malformed() {
    for size in [3, 5, 6, 7] {
        let mut vp = Vp::long();
        let vpc = vp.vp_context();
        let mut ctx = WHV_X64_IO_PORT_ACCESS_CONTEXT {
            InstructionByteCount: 1,
            ..Default::default()
        };
        ctx.InstructionBytes[0] = 0xee;
        ctx.AccessInfo.set_access_size(size);
        assert_eq!(
            Emulator::new().try_io_emulation(&mut vp, &vpc, &ctx),
            Err(E_INVALIDARG),
            "AccessSize {size}"
        );
    }
}

/// A described access still takes the exit's port for DX and the exit's
/// registers (no get-registers call for a plain IN/OUT).
#[test]
fn a_described_access_keeps_the_exit_context() {
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0x41;
    vp.gpr[RDX] = 0x1111; // stale DX: the exit's port wins
    let st = io(&mut vp, &[0xee], 0x3f8, 1, true, false, false);
    assert_eq!(st, OK);
    assert_eq!(vp.io_log, [rec(0x3f8, 1, true, 0x41)]);
    assert_eq!(vp.get_calls, 0);
}
