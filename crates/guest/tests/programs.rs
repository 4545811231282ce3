//! The canned programs, run on real KVM: the demo prints its greeting after
//! switching from real to long mode by itself, and each loop produces
//! exactly the exits it promises.
#![allow(
    unsafe_code,
    reason = "the raw-KVM test glue maps memory and reads kvm_run"
)]

mod support;

use support::{Exit, Vm, out, port_output};
use winhv_guest::programs::{self, GREETING, HLT_LOOP_DONE_PORT, Program};
use winhv_guest::registers::efer;

const PORT: u16 = 0x3f8;

fn start(program: &Program) -> Option<Vm> {
    Vm::new(&program.memory, &program.registers)
}

#[test]
fn demo_greeting_goes_from_real_to_long_mode_and_prints() {
    let program = programs::demo_greeting(PORT).unwrap();
    assert_eq!(program.registers.cr0 & 1, 0, "starts in real mode");
    let Some(mut vm) = start(&program) else {
        return;
    };
    let exits = vm.run_to_halt(GREETING.len() + 4);
    assert_eq!(exits.last(), Some(&Exit::Hlt), "{exits:?}");
    assert_eq!(
        exits.len(),
        GREETING.len() + 1,
        "one exit per byte, then HLT"
    );
    assert_eq!(port_output(&exits, PORT), GREETING.as_bytes());
    let sregs = vm.sregs();
    assert_ne!(sregs.efer & efer::LMA, 0, "long mode active");
    assert_eq!(
        (sregs.cs.l, sregs.cs.selector),
        (1, winhv_guest::gdt::selector::KERNEL_CODE64)
    );
    assert_eq!(vm.regs().rsp, program.layout.kernel_stack_top);
    // Resuming halts again.
    assert_eq!(vm.run(), Exit::Hlt);
}

fn expected_outs(n: u8) -> Vec<Exit> {
    let mut exits: Vec<Exit> = (1..=n).rev().map(|i| out(PORT, &[i])).collect();
    exits.push(Exit::Hlt);
    exits
}

#[test]
fn out_loop_writes_n_counting_down_then_halts() {
    for (user, program) in [
        (false, programs::out_loop(PORT, 5)),
        (true, programs::out_loop_user(PORT, 5)),
    ] {
        let program = program.unwrap();
        assert_eq!(program.registers.cpl(), if user { 3 } else { 0 });
        let Some(mut vm) = start(&program) else {
            return;
        };
        assert_eq!(vm.run_to_halt(10), expected_outs(5), "user={user}");
    }
    let program = programs::out_loop(PORT, 0).unwrap();
    let Some(mut vm) = start(&program) else {
        return;
    };
    assert_eq!(vm.run_to_halt(4), [Exit::Hlt]);
}

#[test]
fn mmio_loop_stores_n_times_then_halts() {
    const GPA: u64 = 0xd000_0000;
    for (user, program) in [
        (false, programs::mmio_loop(GPA, 3)),
        (true, programs::mmio_loop_user(GPA, 3)),
    ] {
        let program = program.unwrap();
        let Some(mut vm) = start(&program) else {
            return;
        };
        let mut expected: Vec<Exit> = (1..=3u32)
            .rev()
            .map(|i| Exit::MmioWrite {
                gpa: GPA,
                data: i.to_le_bytes().to_vec(),
            })
            .collect();
        expected.push(Exit::Hlt);
        assert_eq!(vm.run_to_halt(10), expected, "user={user}");
    }
    assert!(programs::mmio_loop(0x1000, 1).is_err(), "inside RAM");
    assert!(programs::mmio_loop(GPA + 2, 1).is_err(), "misaligned");
    assert!(
        programs::mmio_loop(8 << 30, 1).is_err(),
        "beyond the identity map"
    );
}

#[test]
fn hlt_loop_halts_n_times_then_reports_done() {
    let program = programs::hlt_loop(3).unwrap();
    let Some(mut vm) = start(&program) else {
        return;
    };
    let exits: Vec<Exit> = (0..5).map(|_| vm.run()).collect();
    assert_eq!(
        exits,
        [
            Exit::Hlt,
            Exit::Hlt,
            Exit::Hlt,
            out(HLT_LOOP_DONE_PORT, &[0]),
            Exit::Hlt
        ]
    );
}
