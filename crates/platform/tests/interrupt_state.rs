//! WHvGet/SetVirtualProcessorInterruptControllerState(2) through the public
//! API, as a Windows VMM saving and restoring a VP uses them: the 4 KiB
//! xAPIC register page with Windows' size protocol, round-tripping, and a
//! VP's APIC — pending interrupts, pending NMI, TPR, LVT timer — moved
//! from one partition to another, where the guest then takes them; the
//! registers read after a state write agree with it.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use apic_guest::{Bsp, READY, count, fixed, partition, run_to_port};
use winhv::defs::*;
use winhv::{INTERRUPT_CONTROLLER_STATE_SIZE as SIZE, Partition};

fn ready(p: &Partition) {
    assert_eq!(run_to_port(p, 0).0, READY);
}

fn state(p: &Partition, vp: u32) -> Vec<u8> {
    let mut s = vec![0u8; SIZE as usize];
    assert_eq!(p.get_interrupt_controller_state2(vp, &mut s).unwrap(), SIZE);
    s
}

/// Register `n` (xAPIC offset `n << 4`) of a state buffer.
fn reg(state: &[u8], n: usize) -> u32 {
    u32::from_le_bytes(state[n * 16..n * 16 + 4].try_into().unwrap())
}

/// Every register a VMM moves with a VP, but the APIC's.
const MOVED: [WHV_REGISTER_NAME; 33] = [
    WHvX64RegisterRax,
    WHvX64RegisterRcx,
    WHvX64RegisterRdx,
    WHvX64RegisterRbx,
    WHvX64RegisterRsp,
    WHvX64RegisterRbp,
    WHvX64RegisterRsi,
    WHvX64RegisterRdi,
    WHvX64RegisterR8,
    WHvX64RegisterR9,
    WHvX64RegisterR10,
    WHvX64RegisterR11,
    WHvX64RegisterR12,
    WHvX64RegisterR13,
    WHvX64RegisterR14,
    WHvX64RegisterR15,
    WHvX64RegisterRip,
    WHvX64RegisterRflags,
    WHvX64RegisterEs,
    WHvX64RegisterCs,
    WHvX64RegisterSs,
    WHvX64RegisterDs,
    WHvX64RegisterFs,
    WHvX64RegisterGs,
    WHvX64RegisterLdtr,
    WHvX64RegisterTr,
    WHvX64RegisterIdtr,
    WHvX64RegisterGdtr,
    WHvX64RegisterCr0,
    WHvX64RegisterCr3,
    WHvX64RegisterCr4,
    WHvX64RegisterEfer,
    WHvX64RegisterApicBase,
];

/// Moves VP 0 of `a` into VP 0 of `b` as a VMM would: memory, registers,
/// the APIC base, then the interrupt controller state.
fn move_vp(a: &Partition, b: &Partition) {
    let mut memory = vec![0u8; 1 << 20];
    a.read_gpa_range(0, &mut memory).unwrap();
    b.write_gpa_range(0, &memory).unwrap();
    let mut values = [WHV_REGISTER_VALUE::default(); MOVED.len()];
    a.get_vp_registers(0, &MOVED, &mut values).unwrap();
    b.set_vp_registers(0, &MOVED, &values).unwrap();
    b.set_interrupt_controller_state2(0, &state(a, 0)).unwrap();
}

#[test]
fn a_vps_apic_moves_to_another_partition() {
    for mode in [
        WHvX64LocalApicEmulationModeXApic,
        WHvX64LocalApicEmulationModeX2Apic,
    ] {
        let Some((a, _mem_a)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        let x2apic = mode == WHvX64LocalApicEmulationModeX2Apic;
        ready(&a);
        // State the guest runs with: a TPR, an armed (unmasked, periodic)
        // LVT timer with no count, one interrupt taken.
        common::set64(&a, 0, WHvX64RegisterApicTpr, 0x20);
        common::set64(&a, 0, WHvX64RegisterApicLvtTimer, 0x2_0039);
        p_request(&a, fixed(0, 0x30));
        ready(&a);
        // At READY the guest has IF clear: an interrupt and an NMI wait.
        p_request(&a, fixed(0, 0x47));
        let nmi = apic_guest::control(
            WHvX64InterruptTypeNmi,
            WHvX64InterruptDestinationModePhysical,
            WHvX64InterruptTriggerModeEdge,
            0,
            0,
        );
        p_request(&a, nmi);
        let s = state(&a, 0);
        assert_eq!(reg(&s, 0x08), 0x20, "TPR");
        assert_eq!(reg(&s, 0x32), 0x2_0039, "LVT timer");
        assert_eq!(reg(&s, 0x0f), 0x1ff, "SVR, as the guest set it");
        assert_eq!(reg(&s, 0x22), 1 << 7, "IRR: vector 0x47");
        assert_eq!(reg(&s, 0x20), 1 << 2, "IRR bit 2: the pending NMI");
        assert_eq!(reg(&s, 0x02), 0, "VP 0's ID");
        if x2apic {
            assert_eq!(reg(&s, 0x0d), 1, "x2APIC LDR: cluster 0, bit 0");
        } else {
            assert_eq!(reg(&s, 0x0d), 1 << 24, "the guest's flat LDR");
        }
        assert!(s[0x400..].iter().all(|&b| b == 0));
        for n in 0..64 {
            assert!(s[n * 16 + 4..n * 16 + 16].iter().all(|&b| b == 0));
        }

        let Some((b, _mem_b)) = partition(mode, 1, Bsp::Idle) else {
            return;
        };
        move_vp(&a, &b);
        assert_eq!(state(&b, 0), s, "mode {}: the same state", mode.0);
        // Registers read the state just written.
        assert_eq!(common::get64(&b, 0, WHvX64RegisterApicTpr), 0x20);
        assert_eq!(common::get64(&b, 0, WHvX64RegisterCr8), 2);
        assert_eq!(common::get64(&b, 0, WHvX64RegisterApicLvtTimer), 0x2_0039);
        assert_eq!(common::get64(&b, 0, WHvX64RegisterApicIrr2), 1 << 7);
        // And the guest in B takes what was pending in A.
        let before = (count(&b, 0, 0x47), count(&b, 0, apic_guest::NMI));
        ready(&b);
        assert_eq!(count(&b, 0, 0x47), before.0 + 1, "mode {}", mode.0);
        assert_eq!(count(&b, 0, apic_guest::NMI), before.1 + 1);
        assert_eq!(common::get64(&b, 0, WHvX64RegisterApicIrr2), 0);
    }
}

fn p_request(p: &Partition, ic: WHV_INTERRUPT_CONTROL) {
    p.request_interrupt(&ic).unwrap();
}

#[test]
fn the_buffer_follows_windows_size_rules_and_round_trips() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 2, Bsp::Idle) else {
        return;
    };
    ready(&p);
    let mut small = vec![0u8; 1024];
    let e = p
        .get_interrupt_controller_state2(0, &mut small)
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER);
    let e = p.get_interrupt_controller_state2(0, &mut []).unwrap_err();
    assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER);
    let mut big = vec![0xaau8; SIZE as usize + 16];
    assert_eq!(
        p.get_interrupt_controller_state2(0, &mut big).unwrap(),
        SIZE
    );
    assert_eq!(&big[..SIZE as usize], state(&p, 0));
    let s = state(&p, 0);
    // The deprecated functions take the same buffer.
    let mut old = vec![0u8; SIZE as usize];
    p.get_interrupt_controller_state(0, &mut old).unwrap();
    assert_eq!(old, s);
    p.set_interrupt_controller_state(0, &s).unwrap();
    p.set_interrupt_controller_state2(0, &s).unwrap();
    assert_eq!(state(&p, 0), s, "unchanged by writing it back");
    ready_after(&p, 0x30);
    assert_eq!(count(&p, 0, 0x30), 1, "and the guest runs on");

    let e = p
        .set_interrupt_controller_state2(0, &s[..1024])
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "a short buffer");
    let e = p.get_interrupt_controller_state2(2, &mut old).unwrap_err();
    assert_eq!(e.hresult, WHV_E_VP_DOES_NOT_EXIST);
    let e = p.set_interrupt_controller_state2(2, &s).unwrap_err();
    assert_eq!(e.hresult, WHV_E_VP_DOES_NOT_EXIST);

    // VP 1 (never run) has its own ID.
    assert_eq!(reg(&state(&p, 1), 0x02), 1 << 24);
    // Into x2APIC mode the ID cannot change: VP 0's state does not fit VP 1.
    let x2 = Partition::create().unwrap();
    x2.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())
        .unwrap();
    if x2
        .set_property(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &WHvX64LocalApicEmulationModeX2Apic.0.to_le_bytes(),
        )
        .is_ok()
    {
        x2.setup().unwrap();
        x2.create_vp(0).unwrap();
        x2.create_vp(1).unwrap();
        for vp in 0..2 {
            let base = common::get64(&x2, vp, WHvX64RegisterApicBase);
            common::set64(&x2, vp, WHvX64RegisterApicBase, base | 1 << 10);
        }
        let s0 = state(&x2, 0);
        assert_eq!(reg(&s0, 0x02), 0, "the 32-bit x2APIC ID");
        let e = x2.set_interrupt_controller_state2(1, &s0).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG);
        x2.set_interrupt_controller_state2(0, &s0).unwrap();
    }

    // Without LAPIC emulation there is no state.
    let none = common::partition(1);
    let e = none
        .get_interrupt_controller_state2(0, &mut old)
        .unwrap_err();
    assert_eq!(e.hresult, ERROR_HV_OPERATION_DENIED);
    let e = none.set_interrupt_controller_state2(0, &s).unwrap_err();
    assert_eq!(e.hresult, ERROR_HV_OPERATION_DENIED);
}

/// Requests `vector` at VP 0 and runs it to READY.
fn ready_after(p: &Partition, vector: u32) {
    p_request(p, fixed(0, vector));
    ready(p);
}

#[test]
fn a_running_vp_answers_invalid_vp_state() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 1, Bsp::Idle) else {
        return;
    };
    ready(&p);
    let s = state(&p, 0);
    std::thread::scope(|t| {
        let runner = t.spawn(|| assert_eq!(apic_guest::run_to_port_contended(&p, 0).0, READY));
        // Microsoft: "If the virtual processor is currently running, the
        // return value is WHV_E_INVALID_VP_STATE." The run starts soon.
        loop {
            match p.set_interrupt_controller_state2(0, &s) {
                Ok(()) => std::thread::yield_now(),
                Err(e) => {
                    assert_eq!(e.hresult, WHV_E_INVALID_VP_STATE);
                    break;
                }
            }
        }
        let mut buf = vec![0u8; SIZE as usize];
        let e = p.get_interrupt_controller_state2(0, &mut buf).unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_STATE);
        p_request(&p, fixed(0, 0x30));
        runner.join().unwrap();
    });
}
