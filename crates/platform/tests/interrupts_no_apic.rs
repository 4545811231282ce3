//! Interrupts without LAPIC emulation (LocalApicEmulationMode None), as a
//! Windows VMM uses them: WHvRequestInterrupt's Fixed interrupts and NMIs
//! reach the guest's IDT handlers (the highest vector first, after the
//! guest sets IF, from another thread while the VP runs), a HLT with a
//! requested interrupt takes it instead of exiting, other kinds answer
//! ERROR_HV_OPERATION_DENIED; X64Halt and InternalActivityState as Windows
//! gives them in this mode; DeliverabilityNotifications' NMI and
//! priority-qualified interrupt windows, and Windows' refusal of a
//! priority with LAPIC emulation.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use apic_guest::{Bsp, NMI, READY, control, count, fixed, partition, run_to_port, run_watched};
use winhv::Partition;
use winhv::defs::*;

const NONE: WHV_X64_LOCAL_APIC_EMULATION_MODE = WHvX64LocalApicEmulationModeNone;

fn ready(p: &Partition) {
    assert_eq!(run_to_port(p, 0).0, READY);
}

fn nmi(destination: u32) -> WHV_INTERRUPT_CONTROL {
    control(
        WHvX64InterruptTypeNmi,
        WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptTriggerModeEdge,
        destination,
        0,
    )
}

#[test]
fn fixed_interrupts_and_nmis_reach_the_guest_handlers() {
    let Some((p, _mem)) = partition(NONE, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    // At READY the guest runs with IF clear: the interrupt waits for its
    // `sti; hlt`, whose HLT takes it instead of exiting.
    p.request_interrupt(&fixed(0, 0x40)).unwrap();
    ready(&p);
    assert_eq!(count(&p, 0, 0x40), 1);
    p.request_interrupt(&fixed(0xffff_ffff, 0x41)).unwrap();
    ready(&p);
    assert_eq!(count(&p, 0, 0x41), 1, "0xFFFFFFFF reaches every VP");
    // An NMI is taken at once, IF clear or not; a Fixed one ends the HLT.
    p.request_interrupt(&nmi(0)).unwrap();
    p.request_interrupt(&fixed(0, 0x30)).unwrap();
    ready(&p);
    assert_eq!(count(&p, 0, NMI), 1);
    assert_eq!(count(&p, 0, 0x30), 1);
    // A destination that is no VP's index is dropped.
    p.request_interrupt(&fixed(7, 0x42)).unwrap();
    p.request_interrupt(&fixed(0, 0x43)).unwrap();
    ready(&p);
    assert_eq!((count(&p, 0, 0x42), count(&p, 0, 0x43)), (0, 1));
}

#[test]
fn the_highest_vector_goes_first_and_a_repeat_is_taken_once() {
    let Some((p, _mem)) = partition(NONE, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    for v in [0x41, 0x50, 0x41] {
        p.request_interrupt(&fixed(0, v)).unwrap();
    }
    // One `sti; hlt` per READY: one interrupt each time.
    ready(&p);
    assert_eq!((count(&p, 0, 0x50), count(&p, 0, 0x41)), (1, 0));
    ready(&p);
    assert_eq!((count(&p, 0, 0x50), count(&p, 0, 0x41)), (1, 1));
    // Nothing left: the next HLT is the VMM's.
    let x = run_watched(&p, 0);
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(count(&p, 0, 0x41), 1);
}

#[test]
fn a_request_reaches_a_vp_running_on_another_thread() {
    let Some((p, mem)) = partition(NONE, 1, Bsp::Spin) else {
        return;
    };
    ready(&p);
    let counted = |vector: u32| apic_guest::count_in(&mem, vector);
    let lost = std::thread::scope(|s| {
        // The guest spins with IF set and never exits by itself.
        let run = s.spawn(|| p.run_vp(0).unwrap().ExitReason);
        let deadline = std::time::Instant::now() + apic_guest::WATCHDOG;
        let mut lost = None;
        'requests: for (request, vector) in [
            (fixed(0, 0x44), 0x44),
            (nmi(0), NMI),
            (fixed(0, 0x45), 0x45),
        ] {
            p.request_interrupt(&request).unwrap();
            while counted(vector) == 0 {
                if std::time::Instant::now() > deadline {
                    lost = Some(vector);
                    break 'requests;
                }
                std::thread::yield_now();
            }
        }
        // Also when an interrupt was lost: the run must end for the scope.
        p.cancel_run_vp(0, 0).unwrap();
        assert_eq!(run.join().unwrap(), WHvRunVpExitReasonCanceled);
        lost
    });
    assert_eq!(lost, None, "this vector never reached the running guest");
    assert_eq!((count(&p, 0, 0x44), count(&p, 0, NMI)), (1, 1));
    assert_eq!(count(&p, 0, 0x45), 1);
}

#[test]
fn kinds_that_need_an_apic_are_denied() {
    let Some((p, _mem)) = partition(NONE, 1, Bsp::Idle) else {
        return;
    };
    let edge = WHvX64InterruptTriggerModeEdge;
    let physical = WHvX64InterruptDestinationModePhysical;
    let denied = [
        control(WHvX64InterruptTypeLowestPriority, physical, edge, 0, 0x40),
        control(WHvX64InterruptTypeInit, physical, edge, 0, 0),
        control(WHvX64InterruptTypeSipi, physical, edge, 0, 8),
        control(WHvX64InterruptTypeLocalInt1, physical, edge, 0, 0),
        control(
            WHvX64InterruptTypeFixed,
            WHvX64InterruptDestinationModeLogical,
            edge,
            1,
            0x40,
        ),
        control(
            WHvX64InterruptTypeFixed,
            physical,
            WHvX64InterruptTriggerModeLevel,
            0,
            0x40,
        ),
    ];
    for ic in denied {
        let e = p.request_interrupt(&ic).unwrap_err();
        assert_eq!(e.hresult, ERROR_HV_OPERATION_DENIED, "{ic:?}: {e}");
    }
    // The argument checks come first, as with an APIC.
    let e = p.request_interrupt(&fixed(0, 15)).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
}

#[test]
fn hlt_exits_with_rip_past_it_and_activity_state_is_not_writable() {
    let Some((p, _mem)) = partition(NONE, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    let x = run_watched(&p, 0);
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
    let rip = common::get64(&p, 0, WHvX64RegisterRip);
    assert_eq!(x.VpContext.Rip, rip, "the context's RIP is the VP's");
    let mut hlt = [0u8; 1];
    p.read_gpa_range(rip - 1, &mut hlt).unwrap();
    assert_eq!(hlt[0], 0xf4, "RIP is past the HLT");
    assert_eq!(common::get64(&p, 0, WHvRegisterInternalActivityState), 0);
    for v in [0, 2] {
        let mut value = WHV_REGISTER_VALUE::default();
        value.Reg64 = v;
        let e = p
            .set_vp_registers(0, &[WHvRegisterInternalActivityState], &[value])
            .unwrap_err();
        assert_eq!(e.hresult, ERROR_HV_ACCESS_DENIED, "{v}: {e}");
    }
    // The guest goes on from the HLT (its loop reports READY again).
    ready(&p);
}

fn notifications(p: &Partition, v: u64) -> winhv::Result<()> {
    let mut value = WHV_REGISTER_VALUE::default();
    value.Reg64 = v;
    p.set_vp_registers(0, &[WHvX64RegisterDeliverabilityNotifications], &[value])
}

fn deliverable(x: &WHV_RUN_VP_EXIT_CONTEXT) -> WHV_X64_PENDING_INTERRUPTION_TYPE {
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64InterruptWindow);
    // SAFETY: the exit reason says InterruptWindow is live.
    unsafe { x.Anonymous.InterruptWindow.DeliverableType }
}

#[test]
fn nmi_and_priority_windows_are_reported_once() {
    let Some((p, _mem)) = partition(NONE, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    // NMIs are not blocked at READY: the NMI window is open at once.
    notifications(&p, 1).unwrap();
    assert_eq!(deliverable(&run_watched(&p, 0)), WHvX64PendingNmi);
    let left = common::get64(&p, 0, WHvX64RegisterDeliverabilityNotifications);
    assert_eq!(left, 0, "reported once, then cleared");
    // An interrupt window for priority 5 with CR8 at 5: an interrupt of
    // that class would not be taken, so the guest's HLT is the exit.
    common::set64(&p, 0, WHvX64RegisterCr8, 5);
    notifications(&p, 2 | 5 << 2).unwrap();
    assert_eq!(run_watched(&p, 0).ExitReason, WHvRunVpExitReasonX64Halt);
    // Priority 6 is above CR8: with IF set after the HLT, the window is
    // open.
    notifications(&p, 2 | 6 << 2).unwrap();
    assert_eq!(deliverable(&run_watched(&p, 0)), WHvX64PendingInterrupt);
    let left = common::get64(&p, 0, WHvX64RegisterDeliverabilityNotifications);
    assert_eq!(left, 0);
}

#[test]
fn an_emulated_lapic_refuses_an_interrupt_priority() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    let e = notifications(&p, 2 | 1 << 2).unwrap_err();
    assert_eq!(e.hresult, ERROR_HV_INVALID_PARAMETER, "{e}");
    notifications(&p, 3).unwrap();
}
