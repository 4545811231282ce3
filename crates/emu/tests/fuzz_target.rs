//! The cargo-fuzz target's body (tests/fuzz_body) on stable Rust, in
//! bounded time: a seeded corpus (instructions of every emulated family,
//! each behind several register/callback tails) and a deterministic
//! mutation loop over it (bit flips, byte overwrites, inserts, removals,
//! splices), feeding arbitrary bytes to the emulator as the nightly
//! harness in crates/emu/fuzz does. `EMU_FUZZ_ITERS` and `EMU_FUZZ_SEED`
//! override the defaults; a failing input is printed in hex so that it can
//! be replayed (`EMU_FUZZ_INPUT=<hex>`) or added to the nightly corpus.

mod common;
mod fuzz_body;
use common::Rng;

/// Instruction heads the corpus starts from: one per family the emulator
/// handles (MOV, ALU, string, I/O, bit ops, muldiv, shifts, scans, BMI,
/// segment loads, control transfers, system tables, SSE, x87).
const HEADS: &[&[u8]] = &[
    &[0x89, 0x03],
    &[0x8b, 0x07],
    &[0xc7, 0x00, 1, 2, 3, 4],
    &[0xf3, 0xa5],
    &[0xf3, 0x6d],
    &[0xee],
    &[0x01, 0x08],
    &[0x81, 0x30, 1, 0, 0, 0],
    &[0x0f, 0xab, 0x08],
    &[0x0f, 0xc7, 0x08],
    &[0x87, 0x08],
    &[0xf7, 0x30],
    &[0x0f, 0xaf, 0x00],
    &[0x0f, 0xa5, 0x08],
    &[0xf3, 0x0f, 0xbd, 0x00],
    &[0xc4, 0xe2, 0x78, 0xf2, 0x00],
    &[0xf2, 0x0f, 0x38, 0xf1, 0x00],
    &[0x8e, 0x18],
    &[0x0f, 0xb2, 0x00],
    &[0x9a, 0, 0x20, 0, 0, 8, 0],
    &[0xff, 0x18],
    &[0xff, 0x10],
    &[0xc8, 0x10, 0, 2],
    &[0xc9],
    &[0xcb],
    &[0x48, 0xcf],
    &[0x0f, 0x01, 0x10],
    &[0x0f, 0x00, 0x18],
    &[0x66, 0x0f, 0xfe, 0x00],
    &[0x0f, 0xae, 0x10],
    &[0xd9, 0x00],
    &[0xdd, 0x38],
    &[0xdf, 0x30],
];

/// The seeded corpus: each head at the front of 16 instruction bytes,
/// followed by a few pseudo-random tails (mode, registers, callbacks).
fn corpus(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for head in HEADS {
        for _ in 0..3 {
            // The first byte picks I/O or MMIO (arbitrary's ratio): a low
            // value sends the case to the I/O path now and then.
            let mut v = vec![rng.next() as u8];
            let mut code = [0u8; 16];
            code[..head.len()].copy_from_slice(head);
            v.extend_from_slice(&code);
            v.push(head.len() as u8);
            let tail = 64 + rng.below(700) as usize;
            v.extend((0..tail).map(|_| rng.next() as u8));
            out.push(v);
        }
    }
    out
}

/// One mutation of `input` (or a splice with `other`).
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let len = input.len().max(1) as u64;
    match rng.below(6) {
        0 => {
            if let Some(b) = input.get_mut(rng.below(len) as usize) {
                *b ^= 1 << rng.below(8);
            }
        }
        1 => {
            if let Some(b) = input.get_mut(rng.below(len) as usize) {
                *b = rng.next() as u8;
            }
        }
        2 => input.insert(rng.below(len) as usize, rng.next() as u8),
        3 => {
            if !input.is_empty() {
                input.remove(rng.below(len) as usize);
            }
        }
        4 => {
            let at = rng.below(len) as usize;
            input.truncate(at);
            let from = rng.below(other.len().max(1) as u64) as usize;
            input.extend_from_slice(other.get(from..).unwrap_or_default());
        }
        _ => {
            // Rewrite an instruction byte (the first 17 bytes).
            if let Some(b) = input.get_mut(1 + rng.below(16) as usize) {
                *b = rng.next() as u8;
            }
        }
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn run_logged(data: &[u8]) -> Option<bool> {
    let caught = std::panic::catch_unwind(|| fuzz_body::fuzz_one(data));
    match caught {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("failing input: EMU_FUZZ_INPUT={}", hex(data));
            std::panic::resume_unwind(e)
        }
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn arbitrary_bytes_never_panic_or_answer_undefined() {
    if let Ok(h) = std::env::var("EMU_FUZZ_INPUT") {
        let data: Vec<u8> = (0..h.len() / 2)
            .filter_map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        run_logged(&data);
        return;
    }
    let iters = env("EMU_FUZZ_ITERS", 6_000);
    let seed = env("EMU_FUZZ_SEED", 0x5eed_f022);
    let mut rng = Rng(seed | 1);
    let mut pool = corpus(&mut rng);
    let (mut cases, mut ok) = (0u64, 0u64);
    for input in pool.clone() {
        cases += 1;
        ok += u64::from(run_logged(&input) == Some(true));
    }
    for _ in 0..iters {
        let mut input = pool[rng.below(pool.len() as u64) as usize].clone();
        let other = pool[rng.below(pool.len() as u64) as usize].clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut input, &other);
        }
        cases += 1;
        if run_logged(&input) == Some(true) {
            ok += 1;
            // Keep inputs that reach success: later mutations start deeper.
            if pool.len() < 4_096 {
                pool.push(input);
            }
        }
    }
    // The inputs reach the success path often enough to mean something.
    assert!(ok * 20 > cases, "only {ok} of {cases} inputs succeeded");
}
