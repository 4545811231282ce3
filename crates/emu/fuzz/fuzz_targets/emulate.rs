//! libFuzzer target: arbitrary bytes become instruction bytes, exit
//! context, register state, memory and callback failures (the body in
//! crates/emu/tests/fuzz_body, shared with the stable test that the
//! README's test command runs). A panic (an undefined status, an access
//! the mock rejects, a panic inside the emulator) is a finding.
#![no_main]

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/fuzz_body/mod.rs"]
mod fuzz_body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = fuzz_body::fuzz_one(data);
});
