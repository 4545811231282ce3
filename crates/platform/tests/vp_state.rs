//! WHvGetVirtualProcessorState / WHvSetVirtualProcessorState as a Windows
//! VMM saving and restoring a VP uses them: the XSAVE and the
//! interrupt-controller blocks are the very buffers of
//! WHvGet/SetVirtualProcessorXsaveState and ...InterruptControllerState2
//! (a CPL3 guest sees an XMM register set through the state call), the
//! size rules are theirs, and SynIC state answers ERROR_NOT_SUPPORTED.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const DATA: u64 = 0x3_0000;
const XMM0: usize = 160;
const XSTATE_BV: usize = 512;

fn hr<T>(r: winhv::Result<T>) -> HRESULT {
    r.err().map_or(S_OK, |e| e.hresult)
}

#[test]
fn xsave_state_is_the_xsave_blob_and_the_guest_sees_it() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, DATA)?;
        a.movdqu(ptr(rdi), xmm3)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    let vm = TestVm::new(&g, &regs);
    let kind = WHvVirtualProcessorStateTypeXsaveState;
    // Asked with no buffer first, as a caller sizing it does.
    assert_eq!(
        hr(vm.p.get_vp_state(0, kind, &mut [])),
        WHV_E_INSUFFICIENT_BUFFER
    );
    let size = vm.p.vp_state_size(0, kind).unwrap();
    assert_eq!(size, vm.p.vp_xsave_state_size(0).unwrap());
    let mut state = vec![0u8; size as usize];
    assert_eq!(vm.p.get_vp_state(0, kind, &mut state).unwrap(), size);
    let mut blob = vec![0u8; size as usize];
    vm.p.get_vp_xsave_state(0, &mut blob).unwrap();
    assert_eq!(
        state, blob,
        "the same buffer as WHvGetVirtualProcessorXsaveState"
    );
    let want = 0x1122_3344_5566_7788_99aa_bbcc_ddee_ff00_u128;
    state[XMM0 + 3 * 16..XMM0 + 4 * 16].copy_from_slice(&want.to_le_bytes());
    state[XSTATE_BV] |= 2;
    vm.p.set_vp_state(0, kind, &state).unwrap();
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    let got = u128::from_le_bytes(
        vm.mem.bytes()[DATA as usize..DATA as usize + 16]
            .try_into()
            .unwrap(),
    );
    assert_eq!(got, want, "the guest's XMM3");
    // Too short a set: the XSAVE rules (header and components needed).
    assert_eq!(
        hr(vm.p.set_vp_state(0, kind, &state[..100])),
        WHV_E_INSUFFICIENT_BUFFER
    );
}

#[test]
fn interrupt_controller_state_is_the_apic_blob() {
    if !kvm_available() {
        return;
    }
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    let mode = WHvX64LocalApicEmulationModeXApic.0.to_le_bytes();
    if p.set_property(WHvPartitionPropertyCodeLocalApicEmulationMode, &mode)
        .is_err()
    {
        println!("SKIPPED: no LAPIC emulation here");
        return;
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    let kind = WHvVirtualProcessorStateTypeInterruptControllerState2;
    let size = p.vp_state_size(0, kind).unwrap();
    assert_eq!(size, winhv::INTERRUPT_CONTROLLER_STATE_SIZE);
    assert_eq!(
        hr(p.get_vp_state(0, kind, &mut vec![0; size as usize - 1])),
        WHV_E_INSUFFICIENT_BUFFER
    );
    let mut state = vec![0u8; size as usize];
    assert_eq!(p.get_vp_state(0, kind, &mut state).unwrap(), size);
    let mut blob = vec![0u8; size as usize];
    p.get_interrupt_controller_state2(0, &mut blob).unwrap();
    assert_eq!(
        state, blob,
        "the same buffer as ...InterruptControllerState2"
    );
    // The TPR (page offset 0x80) set through the state call.
    state[0x80] = 0x40;
    p.set_vp_state(0, kind, &state).unwrap();
    assert_eq!(common::get64(&p, 0, WHvX64RegisterApicTpr), 0x40);
}

#[test]
fn synic_and_unknown_types_are_refused() {
    if !kvm_available() {
        return;
    }
    let p = common::partition(1);
    let mut b = [0u8; 4096];
    for kind in [
        WHvVirtualProcessorStateTypeSynicMessagePage,
        WHvVirtualProcessorStateTypeSynicEventFlagPage,
        WHvVirtualProcessorStateTypeSynicTimerState,
    ] {
        assert_eq!(
            hr(p.get_vp_state(0, kind, &mut b)),
            HRESULT_ERROR_NOT_SUPPORTED,
            "{kind:?}"
        );
        assert_eq!(
            hr(p.set_vp_state(0, kind, &b)),
            HRESULT_ERROR_NOT_SUPPORTED,
            "{kind:?}"
        );
    }
    let unknown = WHV_VIRTUAL_PROCESSOR_STATE_TYPE(0x77);
    assert_eq!(hr(p.get_vp_state(0, unknown, &mut b)), E_INVALIDARG);
    assert_eq!(hr(p.set_vp_state(0, unknown, &b)), E_INVALIDARG);
    let xsave = WHvVirtualProcessorStateTypeXsaveState;
    assert_eq!(
        hr(p.get_vp_state(3, xsave, &mut b)),
        WHV_E_VP_DOES_NOT_EXIST
    );
}
