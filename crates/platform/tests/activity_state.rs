//! WHvRegisterInternalActivityState with LAPIC emulation, as Windows gives
//! it: a HLT with no interrupt makes no exit (the VP waits in the
//! hypervisor, here KVM), a VP whose run was cancelled while halted reads
//! HaltSuspend, and clearing HaltSuspend lets the guest go on past its HLT
//! without an interrupt (what rusty_box's WHP probe measured on Windows 11,
//! P1). Without LAPIC emulation: `tests/interrupts_no_apic.rs`.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use apic_guest::{Bsp, READY, partition, run_to_port};
use winhv::defs::*;

const HALT_SUSPEND: u64 = 2;

#[test]
fn a_cancelled_halt_reads_halt_suspend_and_clearing_it_resumes_the_guest() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    assert_eq!(run_to_port(&p, 0).0, READY);
    // The guest now does `sti; hlt` with nothing pending: no exit comes.
    // Cancel its run until it is found halted (a cancel may come before
    // the HLT; the guest then goes on from where it was).
    let deadline = std::time::Instant::now() + apic_guest::WATCHDOG;
    loop {
        let exit = std::thread::scope(|s| {
            let run = s.spawn(|| p.run_vp(0).unwrap().ExitReason);
            std::thread::yield_now();
            p.cancel_run_vp(0, 0).unwrap();
            run.join().unwrap()
        });
        assert_eq!(exit, WHvRunVpExitReasonCanceled, "a HLT makes no exit");
        let activity = common::get64(&p, 0, WHvRegisterInternalActivityState);
        if activity == HALT_SUSPEND {
            break;
        }
        assert_eq!(activity, 0, "runnable until it halts");
        assert!(
            std::time::Instant::now() < deadline,
            "the guest never halted"
        );
    }
    // Clearing HaltSuspend: the guest leaves its HLT without an interrupt
    // and reports READY again.
    common::set64(&p, 0, WHvRegisterInternalActivityState, 0);
    assert_eq!(run_to_port(&p, 0).0, READY);
    assert_eq!(common::get64(&p, 0, WHvRegisterInternalActivityState), 0);
}
