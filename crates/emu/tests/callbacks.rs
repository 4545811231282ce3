//! Which registers the emulator asks for and writes, as a Windows VMM's
//! callbacks see them: one get-registers call with what the instruction
//! reads (after any instruction fetch), one set-registers call with what
//! it changed.

mod common;
use common::*;

const RIP: i32 = 0x10;
const RFLAGS: i32 = 0x11;

#[test]
fn a_64_bit_store_reads_its_two_registers_and_writes_rip_alone() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RAX] = 0x1234_5678;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK); // mov [rbx], eax
    assert_eq!(vp.get_log, vec![vec![RAX as i32, RBX as i32]]);
    assert_eq!(vp.set_log, vec![vec![RIP]]);
    assert_eq!(vp.peek_u64(MMIO, 4), 0x1234_5678);
}

#[test]
fn a_load_into_a_32_bit_register_does_not_read_it() {
    let mut vp = Vp::long();
    vp.gpr[RSI] = MMIO;
    vp.gpr[RCX] = !0;
    vp.poke(MMIO, &[1, 2, 3, 4]);
    assert_eq!(mmio(&mut vp, &[0x8b, 0x0e]), OK); // mov ecx, [rsi]
    assert_eq!(vp.get_log, vec![vec![RSI as i32]]);
    assert_eq!(vp.set_log, vec![vec![RCX as i32, RIP]]);
    assert_eq!(vp.gpr[RCX], 0x0403_0201);
}

#[test]
fn a_byte_load_reads_the_register_it_merges_into() {
    let mut vp = Vp::long();
    vp.gpr[RSI] = MMIO;
    vp.gpr[RCX] = 0x1111_2222_3333_4444;
    vp.poke(MMIO, &[0xab]);
    assert_eq!(mmio(&mut vp, &[0x8a, 0x2e]), OK); // mov ch, [rsi]
    assert_eq!(vp.get_log, vec![vec![RCX as i32, RSI as i32]]);
    assert_eq!(vp.gpr[RCX], 0x1111_2222_3333_ab44);
}

#[test]
fn outside_64_bit_mode_the_data_segment_comes_in_the_same_call() {
    let mut vp = Vp::prot32();
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK); // mov [ebx], eax
    assert_eq!(vp.get_log, vec![vec![RAX as i32, RBX as i32, 0x15]]); // DS
}

#[test]
fn flags_are_written_when_the_instruction_changes_them() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RAX] = 0;
    assert_eq!(mmio(&mut vp, &[0x01, 0x03]), OK); // add [rbx], eax: ZF PF
    assert_eq!(vp.rflags, 2 | ZF | PF);
    assert_eq!(vp.set_log, vec![vec![RIP, RFLAGS]]);
}

#[test]
fn an_sse_store_reads_its_xmm_register_with_the_address() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[2] = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10;
    assert_eq!(mmio(&mut vp, &[0x0f, 0x11, 0x13]), OK); // movups [rbx], xmm2
    assert_eq!(vp.get_log, vec![vec![RBX as i32, 0x1002]]);
    assert_eq!(vp.peek_u64(MMIO, 8), 0x090a_0b0c_0d0e_0f10);
}
