//! Robustness: seeded random instruction bytes, register states, modes and
//! callbacks failing at random. The emulator must not panic, must answer
//! only defined statuses (success alone, or exactly one failure bit), and
//! must call set-registers exactly when it says it succeeded (or that the
//! set failed). The mock itself asserts that every memory access is 1 to 8
//! bytes inside one page and that translations are page-aligned.
//!
//! `EMU_FUZZ_CASES` and `EMU_FUZZ_SEED` override the bounded defaults;
//! `EMU_FUZZ_TRACE=1` prints each case before it runs (to find one that
//! kills the process, as a host FPU exception would). The VP's x87 and
//! SSE control state, CR0/CR4 and GDTR are random too: the emulator runs
//! SSE and x87 arithmetic on the host processor under them.

#![allow(
    clippy::field_reassign_with_default,
    reason = "exit contexts are built field by field"
)]

mod common;
mod fuzz_body;
use common::*;
use fuzz_body::check_status;
use winhv_defs::*;

/// A register value: small (likely inside memory or the MMIO window) or
/// wild.
fn reg(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.next(),
        1 => MMIO + rng.below(MMIO_LEN as u64),
        2 => rng.below(0x10_000),
        _ => rng.below(0x40_0000),
    }
}

/// Instruction bytes: fully random, or a random tail after a prefix/opcode
/// the emulator handles (to reach deeper paths).
fn bytes(rng: &mut Rng) -> Vec<u8> {
    const HEADS: &[&[u8]] = &[
        &[0x89],
        &[0x8b],
        &[0x88],
        &[0x8a],
        &[0xc7],
        &[0xc6],
        &[0xa4],
        &[0xa5],
        &[0xf3, 0xa4],
        &[0xf3, 0xa5],
        &[0xf3, 0xab],
        &[0xf3, 0xa6],
        &[0xf2, 0xae],
        &[0x6e],
        &[0xf3, 0x6d],
        &[0x01],
        &[0x29],
        &[0x81],
        &[0x83],
        &[0xf7],
        &[0xff],
        &[0xd1],
        &[0xd3],
        &[0xc1],
        &[0x0f, 0xa3],
        &[0x0f, 0xab],
        &[0x0f, 0xba],
        &[0x0f, 0xb1],
        &[0x0f, 0xc7],
        &[0x0f, 0xc1],
        &[0x87],
        &[0x0f, 0x94],
        &[0x8f],
        &[0x66, 0x0f, 0x7f],
        &[0x0f, 0x28],
        &[0xc5, 0xfa, 0x7f],
        &[0x0f, 0x38, 0xf0],
        &[0x0f, 0xb6],
        &[0x63],
        &[0xe4],
        &[0xee],
        &[0x67],
        &[0x66],
        &[0x48],
        &[0x64],
        &[0x65],
        &[0x2e],
        &[0x36],
        // MUL/DIV, IMUL, SHLD/SHRD, bit scans, BMI (VEX), ADX, CRC32.
        &[0xf6],
        &[0x0f, 0xaf],
        &[0x69],
        &[0x0f, 0xa5],
        &[0x0f, 0xac],
        &[0x0f, 0xbc],
        &[0xf3, 0x0f, 0xbd],
        &[0xf3, 0x0f, 0xb8],
        &[0xc4, 0xe2, 0x78],
        &[0xc4, 0xe2, 0xf8],
        &[0xc4, 0xe3, 0x7b, 0xf0],
        &[0x66, 0x0f, 0x38, 0xf6],
        &[0xf2, 0x0f, 0x38, 0xf1],
        // Segment loads, control transfers, system tables.
        &[0x8e],
        &[0x0f, 0xb2],
        &[0xc5],
        &[0x1f],
        &[0x0f, 0xa9],
        &[0xc8],
        &[0xc9],
        &[0xc3],
        &[0xc2],
        &[0xcb],
        &[0xcf],
        &[0x48, 0xcf],
        &[0x9a],
        &[0xff, 0x18],
        &[0xff, 0x28],
        &[0x0f, 0x01],
        &[0x0f, 0x00],
        // SSE arithmetic, shuffles, compares, conversions, MXCSR.
        &[0x0f, 0x58],
        &[0x66, 0x0f, 0xfe],
        &[0xf3, 0x0f, 0x5e],
        &[0x66, 0x0f, 0x38, 0x00],
        &[0x66, 0x0f, 0x3a, 0x08],
        &[0x0f, 0xc2],
        &[0x0f, 0xc6],
        &[0x66, 0x0f, 0x70],
        &[0x0f, 0x2f],
        &[0xf2, 0x48, 0x0f, 0x2d],
        &[0x66, 0x0f, 0xc4],
        &[0x66, 0x0f, 0x3a, 0x16],
        &[0x0f, 0xae, 0x13],
        &[0x66, 0x0f, 0x38, 0x10],
        // x87 with memory operands.
        &[0xd9],
        &[0xdd],
        &[0xdb],
        &[0xdf],
        &[0xd8],
        &[0xde],
    ];
    let mut v = Vec::new();
    if rng.below(3) != 0 {
        v.extend_from_slice(HEADS[rng.below(HEADS.len() as u64) as usize]);
    }
    let n = rng.below(16) as usize;
    for _ in 0..n {
        v.push(rng.next() as u8);
    }
    v.truncate(16);
    v
}

fn vp_for(rng: &mut Rng) -> Vp {
    let mut vp = Vp::in_mode(rng.below(6) as u8);
    for r in vp.gpr.iter_mut() {
        *r = reg(rng);
    }
    vp.rflags = 2 | (rng.next() & 0x4_0cd5);
    if rng.below(8) == 0 {
        vp.rflags |= 1 << 17; // VM
    }
    vp.cpl = if rng.below(4) == 0 { 3 } else { 0 };
    if rng.below(8) == 0 {
        vp.cr0 |= 1 << 18;
    }
    for s in vp.seg.iter_mut() {
        if rng.below(6) == 0 {
            s.Base = reg(rng);
            s.Limit = rng.next() as u32;
            s.Attributes = rng.next() as u16;
        }
    }
    vp.rip = match rng.below(3) {
        0 => 0x1000,
        1 => 0x1ff8 + rng.below(8),
        _ => reg(rng),
    };
    for x in vp.xmm.iter_mut() {
        *x = u128::from(rng.next()) << 64 | u128::from(rng.next());
    }
    // Any x87 and SSE control state a VMM could hand over (the host runs
    // SSE and x87 arithmetic under it), and any CR0/CR4/GDTR.
    if rng.below(3) == 0 {
        for f in vp.fp.iter_mut() {
            *f = u128::from(rng.next()) << 64 | u128::from(rng.next());
        }
        vp.fpcs = u128::from(rng.next()) << 64 | u128::from(rng.next());
        vp.xmmcs = u128::from(rng.next()) << 64 | u128::from(rng.next());
    }
    if rng.below(3) == 0 {
        vp.cr4 = rng.next() & 0x3f_ffff;
        vp.cr0 ^= rng.next() & 0x2e;
        vp.gdtr = (reg(rng), rng.next() as u16);
    }
    if rng.below(4) == 0 {
        vp.bad_pages.insert(
            (reg(rng)) & !0xfff,
            WHV_TRANSLATE_GVA_RESULT_CODE(rng.below(10) as i32),
        );
    }
    vp.fail_io = rng.below(10) == 0;
    vp.fail_mem = rng.below(12) == 0;
    vp.fail_get = rng.below(12) == 0;
    vp.fail_set = rng.below(12) == 0;
    vp.fail_translate = rng.below(12) == 0;
    vp.misalign_gpa = rng.below(16) == 0;
    vp.interruption_pending = rng.below(32) == 0;
    if rng.below(4) == 0 {
        vp.fail_mem_at = Some(rng.below(4) as usize);
    }
    vp.io_in = (0..4).map(|_| rng.next() as u32).collect();
    for i in 0..64 {
        let b = rng.next() as u8;
        vp.poke(MMIO + i, &[b]);
    }
    vp
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs one case: a VP drawn from `rng`, instruction bytes `code` (the exit
/// gives the first `given` of them), an I/O or an MMIO exit. Panics with a
/// description on an undefined answer; returns whether emulation succeeded.
fn one_case(rng: &mut Rng, code: &[u8], label: &str) -> bool {
    let mut vp = vp_for(rng);
    let given = rng.below(code.len() as u64 + 1) as usize;
    if std::env::var_os("EMU_FUZZ_TRACE").is_some() {
        eprintln!(
            "{label} code {code:02x?} fpcs {:#x} xmmcs {:#x}",
            vp.fpcs, vp.xmmcs
        );
    }
    // The code lies in guest memory too (where CS:RIP is in range).
    let at = vp.seg[1].Base.wrapping_add(vp.rip) & 0xffff_ffff;
    if at + 16 < MEM as u64 {
        vp.poke(at, code);
    }
    let st = if rng.below(4) == 0 {
        let mut ctx = WHV_X64_IO_PORT_ACCESS_CONTEXT::default();
        ctx.InstructionByteCount = given as u8;
        ctx.InstructionBytes[..given].copy_from_slice(&code[..given]);
        ctx.AccessInfo
            .set_access_size([1, 2, 4][rng.below(3) as usize]);
        ctx.AccessInfo.set_is_write(rng.below(2) as u32);
        ctx.AccessInfo.set_string_op(rng.below(2) as u32);
        ctx.AccessInfo.set_rep_prefix(rng.below(2) as u32);
        ctx.PortNumber = rng.next() as u16;
        ctx.Rax = vp.gpr[RAX];
        ctx.Rcx = vp.gpr[RCX];
        ctx.Rsi = vp.gpr[RSI];
        ctx.Rdi = vp.gpr[RDI];
        ctx.Ds = vp.seg[3];
        ctx.Es = vp.seg[0];
        let mut vpc = vp.vp_context();
        vpc.set_instruction_length(rng.below(16) as u8);
        winhv_emu::Emulator::new().try_io_emulation(&mut vp, &vpc, &ctx)
    } else {
        let mut ctx = WHV_MEMORY_ACCESS_CONTEXT::default();
        ctx.InstructionByteCount = given as u8;
        ctx.InstructionBytes[..given].copy_from_slice(&code[..given]);
        if rng.below(4) == 0 {
            ctx.AccessInfo.set_gva_valid(1);
            ctx.AccessInfo.set_access_type(rng.below(3) as u32);
            ctx.Gva = reg(rng);
            ctx.Gpa = reg(rng);
        }
        let vpc = vp.vp_context();
        winhv_emu::Emulator::new().try_mmio_emulation(&mut vp, &vpc, &ctx)
    };
    let st = st.expect("well-formed contexts are accepted").AsUINT32;
    if std::env::var_os("EMU_FUZZ_TRACE").is_some() {
        eprintln!("{label} ok");
    }
    let ctx = format!("{label} code {code:02x?} given {given} status {st:#x}");
    check_status(&vp, st, &ctx)
}

#[test]
fn random_instructions_and_failing_callbacks_never_panic() {
    let cases = env("EMU_FUZZ_CASES", 4_000);
    let seed = env("EMU_FUZZ_SEED", 0x00c0_ffee);
    let mut rng = Rng(seed | 1);
    let mut ok = 0;
    for case in 0..cases {
        let code = bytes(&mut rng);
        if one_case(&mut rng, &code, &format!("case {case} seed {seed:#x}")) {
            ok += 1;
        }
    }
    // The generator reaches the success path often enough to mean something.
    assert!(ok * 20 > cases, "only {ok} of {cases} cases succeeded");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..Default::default()
    })]

    /// The same property driven by proptest, which shrinks a failing case
    /// to its smallest instruction bytes and seed.
    #[test]
    fn proptest_random_bytes_never_panic(
        seed in proptest::prelude::any::<u64>(),
        code in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..=16),
    ) {
        let mut rng = Rng(seed | 1);
        one_case(&mut rng, &code, &format!("proptest seed {seed:#x}"));
    }
}
