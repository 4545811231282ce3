//! WHvRequestInterrupt and WHvGetInterruptTargetVpSet through the public
//! API, as a Windows VMM calls them, on partitions with LocalApicEmulation-
//! Mode xApic and x2Apic: every interrupt type reaches the guest's IDT
//! handler (physical, logical and broadcast destinations, edge and level),
//! an interrupt requested while the guest cannot take it waits in the IRR
//! (also after a register write the VMM made before it), LocalInt1 follows
//! the LVT LINT1 entry, a running VP is woken, and bad requests answer
//! Windows' HRESULTs.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use apic_guest::{Bsp, READY, control, count, fixed, partition, run_to_port};
use winhv::Partition;
use winhv::defs::*;

const MODES: [WHV_X64_LOCAL_APIC_EMULATION_MODE; 2] = [
    WHvX64LocalApicEmulationModeXApic,
    WHvX64LocalApicEmulationModeX2Apic,
];

/// Runs VP 0 of an [`Bsp::Idle`] guest to its next READY.
fn ready(p: &Partition) {
    assert_eq!(run_to_port(p, 0).0, READY);
}

fn get(p: &Partition, name: WHV_REGISTER_NAME) -> u64 {
    common::get64(p, 0, name)
}

/// Whether `vector`'s bit is set in the APIC bitmap register `first`
/// (ApicIsr0, ApicTmr0 or ApicIrr0) + vector / 32.
fn bit(p: &Partition, first: WHV_REGISTER_NAME, vector: u32) -> bool {
    let name = WHV_REGISTER_NAME(first.0 + (vector / 32) as i32);
    get(p, name) & (1 << (vector % 32)) != 0
}

#[test]
fn every_destination_form_reaches_the_guest_handler() {
    for mode in MODES {
        let Some((p, _mem)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        let x2apic = mode == WHvX64LocalApicEmulationModeX2Apic;
        ready(&p);
        let broadcast = if x2apic { 0xffff_ffff } else { 0xff };
        // VP 0's logical ID: bit 0 (the guest set the flat LDR to 1 << 24;
        // an x2APIC LDR is cluster 0, bit 0).
        let requests = [
            (fixed(0, 0x40), 0x40),
            (fixed(broadcast, 0x41), 0x41),
            (
                control(
                    WHvX64InterruptTypeFixed,
                    WHvX64InterruptDestinationModeLogical,
                    WHvX64InterruptTriggerModeEdge,
                    0x1,
                    0x42,
                ),
                0x42,
            ),
            (
                control(
                    WHvX64InterruptTypeLowestPriority,
                    WHvX64InterruptDestinationModeLogical,
                    WHvX64InterruptTriggerModeEdge,
                    0x1,
                    0x43,
                ),
                0x43,
            ),
            (
                control(
                    WHvX64InterruptTypeFixed,
                    WHvX64InterruptDestinationModeLogical,
                    WHvX64InterruptTriggerModeEdge,
                    broadcast,
                    0x44,
                ),
                0x44,
            ),
        ];
        for (ic, vector) in requests {
            p.request_interrupt(&ic)
                .unwrap_or_else(|e| panic!("mode {}: {ic:?}: {e}", mode.0));
            ready(&p);
            assert_eq!(count(&p, 0, vector), 1, "mode {}: {ic:?}", mode.0);
            assert!(!bit(&p, WHvX64RegisterApicIsr0, vector), "EOI'd");
            assert!(!bit(&p, WHvX64RegisterApicIrr0, vector));
        }
        // Destinations that name nobody are accepted and dropped, as an
        // APIC bus drops a message nobody takes; a later interrupt shows
        // nothing else arrived.
        let nobody = [
            fixed(7, 0x45),
            control(
                WHvX64InterruptTypeFixed,
                WHvX64InterruptDestinationModeLogical,
                WHvX64InterruptTriggerModeEdge,
                0x2,
                0x45,
            ),
        ];
        for ic in nobody {
            p.request_interrupt(&ic).unwrap();
        }
        if x2apic {
            // 0xFF is x2APIC ID 255 in x2APIC mode, not a broadcast (the
            // guest switched VP 0 to x2APIC mode).
            p.request_interrupt(&fixed(0xff, 0x45)).unwrap();
        }
        p.request_interrupt(&fixed(0, 0x46)).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, 0x45), 0, "mode {}", mode.0);
        assert_eq!(count(&p, 0, 0x46), 1);
    }
}

#[test]
fn level_and_edge_triggers_set_and_clear_the_tmr() {
    for mode in MODES {
        let Some((p, _mem)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        ready(&p);
        let level = control(
            WHvX64InterruptTypeFixed,
            WHvX64InterruptDestinationModePhysical,
            WHvX64InterruptTriggerModeLevel,
            0,
            0x47,
        );
        p.request_interrupt(&level).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, 0x47), 1);
        assert!(bit(&p, WHvX64RegisterApicTmr0, 0x47), "level-triggered");
        p.request_interrupt(&fixed(0, 0x47)).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, 0x47), 2);
        assert!(!bit(&p, WHvX64RegisterApicTmr0, 0x47), "edge-triggered");
    }
}

#[test]
fn nmi_reaches_the_guest_nmi_handler() {
    for mode in MODES {
        let Some((p, _mem)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        ready(&p);
        let nmi = control(
            WHvX64InterruptTypeNmi,
            WHvX64InterruptDestinationModePhysical,
            WHvX64InterruptTriggerModeEdge,
            0,
            0,
        );
        p.request_interrupt(&nmi).unwrap();
        // The NMI is taken at once (IF does not mask it); a fixed interrupt
        // then ends the guest's HLT.
        p.request_interrupt(&fixed(0, 0x30)).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, apic_guest::NMI), 1, "mode {}", mode.0);
        assert_eq!(count(&p, 0, 0x30), 1);
    }
}

#[test]
fn an_interrupt_the_guest_cannot_take_yet_waits_in_the_irr() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    // At READY the guest runs with IF clear. A register write first leaves
    // a changed LAPIC page in the VP's register cache: the interrupt must
    // neither be hidden from the next read nor undone when that page is
    // written back before the run.
    common::set64(&p, 0, WHvX64RegisterApicTpr, 0x10);
    p.request_interrupt(&fixed(0, 0x48)).unwrap();
    assert!(bit(&p, WHvX64RegisterApicIrr0, 0x48), "pending in the IRR");
    assert_eq!(get(&p, WHvX64RegisterApicTpr), 0x10, "and the TPR written");
    assert_eq!(get(&p, WHvX64RegisterCr8), 1);
    ready(&p);
    assert_eq!(count(&p, 0, 0x48), 1, "taken after STI");
    assert!(!bit(&p, WHvX64RegisterApicIrr0, 0x48));
    assert_eq!(get(&p, WHvX64RegisterApicTpr), 0x10);

    // The TPR holds back what it masks (class 4, not above TPR class 4).
    common::set64(&p, 0, WHvX64RegisterApicTpr, 0x40);
    p.request_interrupt(&fixed(0, 0x49)).unwrap();
    p.request_interrupt(&fixed(0, 0x50)).unwrap();
    ready(&p);
    assert_eq!(count(&p, 0, 0x49), 0, "masked by the TPR");
    assert!(bit(&p, WHvX64RegisterApicIrr0, 0x49));
    common::set64(&p, 0, WHvX64RegisterApicTpr, 0);
    ready(&p);
    assert_eq!(count(&p, 0, 0x49), 1);
}

#[test]
fn local_int1_follows_the_lvt_lint1_entry() {
    for mode in MODES {
        let Some((p, _mem)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        ready(&p);
        let lint1 = control(
            WHvX64InterruptTypeLocalInt1,
            WHvX64InterruptDestinationModePhysical,
            WHvX64InterruptTriggerModeEdge,
            0,
            0,
        );
        // LINT1 wired to NMI, as firmware sets it up.
        common::set64(&p, 0, WHvX64RegisterApicLvtLint1, 0x400);
        p.request_interrupt(&lint1).unwrap();
        p.request_interrupt(&fixed(0, 0x30)).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, apic_guest::NMI), 1, "mode {}", mode.0);
        // Fixed mode: the LVT's vector.
        common::set64(&p, 0, WHvX64RegisterApicLvtLint1, 0x4a);
        p.request_interrupt(&lint1).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, 0x4a), 1);
        // Masked: nothing.
        common::set64(&p, 0, WHvX64RegisterApicLvtLint1, 0x1_004a);
        p.request_interrupt(&lint1).unwrap();
        p.request_interrupt(&fixed(0, 0x31)).unwrap();
        ready(&p);
        assert_eq!(count(&p, 0, 0x4a), 1);
        assert_eq!(count(&p, 0, apic_guest::NMI), 1);
        assert_eq!(count(&p, 0, 0x31), 1);
    }
}

#[test]
fn a_request_wakes_a_vp_halted_on_another_thread() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    std::thread::scope(|s| {
        let runner = s.spawn(|| assert_eq!(apic_guest::run_to_port_contended(&p, 0).0, READY));
        // The VP halts inside its run (KVM keeps a halted VP with an
        // in-kernel LAPIC); a fixed interrupt wakes it.
        p.request_interrupt(&fixed(0, 0x4b)).unwrap();
        runner.join().unwrap();
    });
    assert_eq!(count(&p, 0, 0x4b), 1);
}

#[test]
fn target_sets_and_lint1_work_while_the_vp_runs() {
    for mode in MODES {
        let Some((p, mem)) = partition(mode, 1, Bsp::Spin) else {
            return;
        };
        ready(&p);
        // LINT1 in NMI mode (the guest spins with IF set, never exiting).
        common::set64(&p, 0, WHvX64RegisterApicLvtLint1, 0x400);
        let lint1 = control(
            WHvX64InterruptTypeLocalInt1,
            WHvX64InterruptDestinationModePhysical,
            WHvX64InterruptTriggerModeEdge,
            0,
            0,
        );
        let counted = |vector: u32| apic_guest::count_in(&mem, vector);
        let deadline = std::time::Instant::now() + apic_guest::WATCHDOG;
        let wait = |vector: u32, n: u32| {
            while counted(vector) < n {
                if std::time::Instant::now() > deadline {
                    return false;
                }
                std::thread::yield_now();
            }
            true
        };
        let (sets, arrived) = std::thread::scope(|s| {
            let run = s.spawn(|| p.run_vp(0).unwrap().ExitReason);
            // The run has started once the guest took an interrupt.
            p.request_interrupt(&fixed(0, 0x44)).unwrap();
            let mut arrived = wait(0x44, 1);
            let mut sets = Vec::new();
            for _ in 0..3 {
                let mut vps = [u32::MAX; 1];
                let r = p.get_interrupt_target_vp_set(
                    0,
                    WHvX64InterruptDestinationModePhysical,
                    &mut vps,
                );
                sets.push(r.map(|n| vps[..n as usize].to_vec()).map_err(|e| e.hresult));
            }
            let lint = p.request_interrupt(&lint1).map_err(|e| e.hresult);
            arrived &= wait(apic_guest::NMI, 1);
            // The run went on through all of it: one more interrupt.
            p.request_interrupt(&fixed(0, 0x45)).unwrap();
            arrived &= wait(0x45, 1);
            p.cancel_run_vp(0, 0).unwrap();
            assert_eq!(run.join().unwrap(), WHvRunVpExitReasonCanceled);
            sets.push(lint.map(|()| Vec::new()));
            (sets, arrived)
        });
        assert!(arrived, "mode {}: an interrupt never arrived", mode.0);
        for r in &sets[..3] {
            assert_eq!(r, &Ok(vec![0]), "mode {}", mode.0);
        }
        assert_eq!(sets[3], Ok(Vec::new()), "LocalInt1 while running");
        assert_eq!(count(&p, 0, apic_guest::NMI), 1, "LINT1 in NMI mode");
    }
}

#[test]
fn target_vp_sets_follow_ids_logical_ids_and_models() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 4, Bsp::Idle) else {
        return;
    };
    let set = |dest: u64, mode| {
        let mut vps = [u32::MAX; 4];
        let n = p.get_interrupt_target_vp_set(dest, mode, &mut vps).unwrap() as usize;
        vps[..n].to_vec()
    };
    let physical = WHvX64InterruptDestinationModePhysical;
    let logical = WHvX64InterruptDestinationModeLogical;
    // Power-on: xAPIC ID = VP index, LDR 0, flat model.
    assert_eq!(set(2, physical), [2]);
    assert_eq!(set(0xff, physical), [0, 1, 2, 3]);
    assert_eq!(
        set(0xffff_ffff, physical),
        [0, 1, 2, 3],
        "the x2APIC broadcast too"
    );
    assert_eq!(set(9, physical), [] as [u32; 0]);
    assert_eq!(set(0x0f, logical), [] as [u32; 0], "no logical IDs yet");
    // Flat model: logical ID = one bit per VP, VP 3 a second bit.
    for (vp, ldr) in [(0, 0x01), (1, 0x02), (2, 0x04), (3, 0x0c)] {
        common::set64(&p, vp, WHvX64RegisterApicLdr, ldr << 24);
    }
    assert_eq!(set(0x06, logical), [1, 2, 3]);
    assert_eq!(set(0x08, logical), [3]);
    assert_eq!(set(0xff, logical), [0, 1, 2, 3]);
    // A new xAPIC ID takes over its physical destination.
    common::set64(&p, 1, WHvX64RegisterApicId, 7);
    assert_eq!(set(7, physical), [1]);
    assert_eq!(set(1, physical), [] as [u32; 0]);
    // Cluster model (DFR 0x0FFFFFFF), set through the state buffer as a
    // VMM restoring a VP would: cluster in LDR[31:28], members in 27:24.
    for (vp, ldr) in [(0, 0x11u32), (1, 0x12), (2, 0x21), (3, 0x22)] {
        let mut state = vec![0u8; winhv::INTERRUPT_CONTROLLER_STATE_SIZE as usize];
        p.get_interrupt_controller_state2(vp, &mut state).unwrap();
        state[0xd0..0xd4].copy_from_slice(&(ldr << 24).to_le_bytes());
        state[0xe0..0xe4].copy_from_slice(&0x0fff_ffffu32.to_le_bytes());
        p.set_interrupt_controller_state2(vp, &state).unwrap();
    }
    assert_eq!(set(0x13, logical), [0, 1]);
    assert_eq!(set(0x22, logical), [3]);
    assert_eq!(set(0x04, logical), [] as [u32; 0], "cluster 0 is empty");
    // An APIC disabled in IA32_APIC_BASE is reached by nothing.
    let base = common::get64(&p, 2, WHvX64RegisterApicBase);
    common::set64(&p, 2, WHvX64RegisterApicBase, base & !(1 << 11));
    assert_eq!(set(0xff, physical), [0, 1, 3]);
}

#[test]
fn bad_requests_answer_windows_hresults() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 2, Bsp::Idle) else {
        return;
    };
    let with = |f: &dyn Fn(&mut WHV_INTERRUPT_CONTROL)| {
        let mut ic = fixed(0, 0x40);
        f(&mut ic);
        p.request_interrupt(&ic).map_err(|e| e.hresult)
    };
    assert_eq!(with(&|ic| ic.set_type(2)), Err(E_INVALIDARG), "type 2");
    assert_eq!(with(&|ic| ic.set_type(7)), Err(E_INVALIDARG), "type 7");
    assert_eq!(with(&|ic| ic.set_destination_mode(2)), Err(E_INVALIDARG));
    assert_eq!(with(&|ic| ic.set_trigger_mode(3)), Err(E_INVALIDARG));
    assert_eq!(
        with(&|ic| ic._bitfield |= 1 << 16),
        Err(E_INVALIDARG),
        "TargetVtl 1"
    );
    assert_eq!(
        with(&|ic| ic._bitfield |= 1 << 40),
        Err(E_INVALIDARG),
        "reserved"
    );
    assert_eq!(
        with(&|ic| ic.Vector = 15),
        Err(E_INVALIDARG),
        "vector below 16"
    );
    assert_eq!(
        with(&|ic| ic.Vector = 0x100),
        Err(E_INVALIDARG),
        "vector above 255"
    );
    assert_eq!(
        with(&|ic| {
            ic.set_type(WHvX64InterruptTypeLowestPriority.0 as u64);
            ic.Vector = 0;
        }),
        Err(E_INVALIDARG)
    );

    let mut vps = [0u32; 2];
    let e = p
        .get_interrupt_target_vp_set(0, WHvX64InterruptDestinationModePhysical, &mut vps[..1])
        .unwrap_err();
    assert_eq!(
        e.hresult, E_INVALIDARG,
        "room for fewer than ProcessorCount VPs"
    );
    let e = p
        .get_interrupt_target_vp_set(0, WHV_INTERRUPT_DESTINATION_MODE(2), &mut vps)
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "unknown mode");
    let e = p
        .get_interrupt_target_vp_set(1 << 32, WHvX64InterruptDestinationModePhysical, &mut vps)
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "a destination wider than 32 bits");

    // Not set up; no LAPIC emulation.
    let q = Partition::create().unwrap();
    assert_eq!(
        q.request_interrupt(&fixed(0, 0x40)).unwrap_err().hresult,
        WHV_E_INVALID_PARTITION_CONFIG
    );
    // Without LAPIC emulation a Fixed interrupt is injected by the run loop
    // (tests/interrupts_no_apic.rs), kinds that need an APIC are denied.
    let q = common::partition(1);
    q.request_interrupt(&fixed(0, 0x40)).unwrap();
    let init = control(
        WHvX64InterruptTypeInit,
        WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptTriggerModeEdge,
        0,
        0,
    );
    assert_eq!(
        q.request_interrupt(&init).unwrap_err().hresult,
        ERROR_HV_OPERATION_DENIED
    );
    assert_eq!(
        q.get_interrupt_target_vp_set(0, WHvX64InterruptDestinationModePhysical, &mut vps)
            .unwrap_err()
            .hresult,
        ERROR_HV_OPERATION_DENIED,
        "as Microsoft documents"
    );
}
