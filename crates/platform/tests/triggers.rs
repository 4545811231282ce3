//! Triggers through the public API, as a Windows VMM uses them: the event
//! WHvCreateTrigger returns (an eventfd here) interrupts the guest when
//! signalled, with no WHv call in between — also waking a VP halted in a
//! run on another thread; WHvUpdateTriggerParameters re-targets it; a
//! level-triggered trigger's interrupt is level-triggered (TMR); a
//! deleted trigger interrupts nothing and its handle answers `E_HANDLE`.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use std::os::fd::AsFd;

use apic_guest::{Bsp, READY, count, partition, run_to_port};
use winhv::Partition;
use winhv::defs::*;

const MODES: [WHV_X64_LOCAL_APIC_EMULATION_MODE; 2] = [
    WHvX64LocalApicEmulationModeXApic,
    WHvX64LocalApicEmulationModeX2Apic,
];

/// Runs VP 0 to its next READY. A watchdog cancels the run if the
/// interrupt that should end the guest's HLT never comes, so a lost
/// interrupt fails the test instead of hanging it (the deadline is never
/// waited for when the interrupt arrives).
fn ready(p: &Partition) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(move || {
            if finished
                .recv_timeout(std::time::Duration::from_secs(60))
                .is_err()
            {
                let _ = p.cancel_run_vp(0, 0);
            }
        });
        let x = p.run_vp(0).unwrap();
        let _ = done.send(());
        assert_ne!(
            x.ExitReason, WHvRunVpExitReasonCanceled,
            "no interrupt reached the guest within 60 s"
        );
        assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
        // SAFETY: the exit reason says which member is live.
        assert_eq!(unsafe { x.Anonymous.IoPortAccess.PortNumber }, READY);
        let rip = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
        common::set64(p, 0, WHvX64RegisterRip, rip);
    });
}

fn interrupt(ic: WHV_INTERRUPT_CONTROL) -> WHV_TRIGGER_PARAMETERS {
    let mut t = WHV_TRIGGER_PARAMETERS {
        TriggerType: WHvTriggerTypeInterrupt,
        ..Default::default()
    };
    t.Anonymous.Interrupt = ic;
    t
}

#[test]
fn a_signalled_trigger_interrupts_the_guest_without_a_call() {
    for mode in MODES {
        let Some((p, _mem)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        ready(&p);
        let (trigger, event) = p
            .create_trigger(&interrupt(apic_guest::fixed(0, 0x45)))
            .unwrap();
        for n in 1..=3 {
            winhv::signal(event.as_fd()).unwrap();
            ready(&p);
            assert_eq!(count(&p, 0, 0x45), n, "mode {}", mode.0);
        }
        // A VP halted in a run on another thread is woken by the signal
        // alone.
        std::thread::scope(|s| {
            let run = s.spawn(|| run_to_port(&p, 0).0);
            winhv::signal(event.as_fd()).unwrap();
            assert_eq!(run.join().unwrap(), READY);
        });
        assert_eq!(count(&p, 0, 0x45), 4);
        // Re-targeted: the same event raises 0x46.
        p.update_trigger(trigger, &interrupt(apic_guest::fixed(0, 0x46)))
            .unwrap();
        winhv::signal(event.as_fd()).unwrap();
        ready(&p);
        assert_eq!((count(&p, 0, 0x45), count(&p, 0, 0x46)), (4, 1));
        // Deleted: the event interrupts nothing (a request ends the HLT).
        p.delete_trigger(trigger).unwrap();
        winhv::signal(event.as_fd()).unwrap();
        p.request_interrupt(&apic_guest::fixed(0, 0x30)).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, 0x46), 1);
        assert_eq!(p.delete_trigger(trigger).unwrap_err().hresult, E_HANDLE);
        assert_eq!(
            p.update_trigger(trigger, &interrupt(apic_guest::fixed(0, 0x46)))
                .unwrap_err()
                .hresult,
            E_HANDLE
        );
    }
}

#[test]
fn a_level_triggered_trigger_raises_a_level_interrupt() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    let level = apic_guest::control(
        WHvX64InterruptTypeFixed,
        WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptTriggerModeLevel,
        0,
        0x48,
    );
    let (trigger, event) = p.create_trigger(&interrupt(level)).unwrap();
    winhv::signal(event.as_fd()).unwrap();
    ready(&p);
    assert_eq!(count(&p, 0, 0x48), 1);
    let tmr = common::get64(&p, 0, WHV_REGISTER_NAME(WHvX64RegisterApicTmr0.0 + 2));
    assert_ne!(tmr & (1 << 8), 0, "TMR bit 0x48: level-triggered");
    p.delete_trigger(trigger).unwrap();
}

#[test]
fn what_a_trigger_cannot_raise_here_is_refused() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    let mut bad = interrupt(apic_guest::fixed(0, 8));
    assert_eq!(p.create_trigger(&bad).unwrap_err().hresult, E_INVALIDARG);
    bad = interrupt(apic_guest::fixed(0, 0x40));
    bad.Reserved = 1;
    assert_eq!(p.create_trigger(&bad).unwrap_err().hresult, E_INVALIDARG);
    bad.Reserved = 0;
    bad.TriggerType = WHV_TRIGGER_TYPE(7);
    assert_eq!(p.create_trigger(&bad).unwrap_err().hresult, E_INVALIDARG);
    for ty in [WHvTriggerTypeSynicEvent, WHvTriggerTypeDeviceInterrupt] {
        bad.TriggerType = ty;
        assert_eq!(
            p.create_trigger(&bad).unwrap_err().hresult,
            HRESULT_ERROR_NOT_SUPPORTED
        );
    }
    let lint1 = apic_guest::control(
        WHvX64InterruptTypeLocalInt1,
        WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptTriggerModeEdge,
        0,
        0,
    );
    assert_eq!(
        p.create_trigger(&interrupt(lint1)).unwrap_err().hresult,
        HRESULT_ERROR_NOT_SUPPORTED
    );
    // Without LAPIC emulation there is no in-kernel APIC to raise it in.
    let plain = common::partition(1);
    assert_eq!(
        plain
            .create_trigger(&interrupt(apic_guest::fixed(0, 0x40)))
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_NOT_SUPPORTED
    );
}
