//! WHvGetVirtualProcessorXsaveState / WHvSetVirtualProcessorXsaveState
//! through the public API, used as a Windows VMM uses them (openvmm's WHP
//! backend: ask, grow the buffer to the size reported, read; change; write
//! back): the area is in the compacted form, its size is fixed per VP, it
//! is the same state the x87/SSE registers read and write, and a CPL3 guest
//! (run natively by the processor, the oracle) sees what was set by blob.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// Offsets in the compacted XSAVE area (Intel SDM vol. 1, 13.4).
const FCW: usize = 0;
const MXCSR: usize = 24;
const XMM0: usize = 160;
const XSTATE_BV: usize = 512;
const XCOMP_BV: usize = 520;
const EXTENDED: usize = 576;
/// Where the guest stores what it read.
const DATA: u64 = 0x3_0000;

fn r128(x: u128) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg128 = WHV_UINT128 {
        Anonymous: WHV_UINT128_0 {
            Low64: x as u64,
            High64: (x >> 64) as u64,
        },
    };
    v
}

fn xmm(vm: &TestVm, name: WHV_REGISTER_NAME) -> u128 {
    let mut v = [WHV_REGISTER_VALUE::default()];
    vm.p.get_vp_registers(0, &[name], &mut v).unwrap();
    // SAFETY: XMM registers are returned through Reg128 ...
    let x = unsafe { v[0].Reg128 };
    // SAFETY: ... all 16 bytes of it.
    let x = unsafe { x.Anonymous };
    u128::from(x.Low64) | u128::from(x.High64) << 64
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn u128_at(b: &[u8], at: usize) -> u128 {
    u128::from_le_bytes(b[at..at + 16].try_into().unwrap())
}

/// The XSAVE state as a Windows caller reads it: first with an empty
/// buffer, which fails with WHV_E_INSUFFICIENT_BUFFER, then with the size
/// that reported.
fn read_state(vm: &TestVm) -> Vec<u8> {
    let e = vm.p.get_vp_xsave_state(0, &mut []).unwrap_err();
    assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER);
    let size = vm.p.vp_xsave_state_size(0).unwrap() as usize;
    let mut state = vec![0u8; size];
    assert_eq!(
        vm.p.get_vp_xsave_state(0, &mut state).unwrap() as usize,
        size
    );
    state
}

/// A CPL3 guest that stores XMM5, XMM6, MXCSR and the x87 control word at
/// [`DATA`], then (with `avx`) YMM5, and halts.
fn guest(avx: bool) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, DATA)?;
        a.movdqu(ptr(rdi), xmm5)?;
        a.movdqu(ptr(rdi + 16), xmm6)?;
        a.stmxcsr(dword_ptr(rdi + 32))?;
        a.fnstcw(word_ptr(rdi + 36))?;
        if avx {
            a.vmovdqu(ptr(rdi + 64), ymm5)?;
        }
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    TestVm::new(&g, &regs)
}

/// Runs the guest to its HLT.
fn run_to_halt(vm: &TestVm) {
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64Halt,
        "the guest faulted (exception port) or did not halt: reason {:?}",
        x.ExitReason
    );
}

#[test]
fn the_state_is_compacted_and_sized_per_vp() {
    if !kvm_available() {
        return;
    }
    let vm = guest(false);
    let state = read_state(&vm);
    assert!(state.len() >= EXTENDED, "legacy region and header at least");
    let xcomp = u64_at(&state, XCOMP_BV);
    assert_ne!(xcomp & 1 << 63, 0, "compacted form: XCOMP_BV bit 63");
    assert_eq!(xcomp & 3, 3, "x87 and SSE always");
    assert_eq!(u64_at(&state, XSTATE_BV) & !xcomp, 0);
    assert!(state[528..576].iter().all(|&b| b == 0), "reserved header");
    // Fresh VP: the x87 control word and MXCSR have their reset values.
    assert_eq!(u16::from_le_bytes([state[FCW], state[FCW + 1]]), 0x037f);
    assert_eq!(
        u32::from_le_bytes(state[MXCSR..MXCSR + 4].try_into().unwrap()),
        0x1f80
    );
    // The size does not change with what the guest does (it is the VP's,
    // not the current XCR0's), and a larger buffer gets the same bytes.
    run_to_halt(&vm);
    let mut big = vec![0xa5u8; state.len() + 64];
    assert_eq!(
        vm.p.get_vp_xsave_state(0, &mut big).unwrap() as usize,
        state.len()
    );
    assert!(
        big[state.len()..].iter().all(|&b| b == 0xa5),
        "nothing past the size"
    );
}

#[test]
fn state_and_registers_are_one_copy() {
    if !kvm_available() {
        return;
    }
    let vm = guest(false);
    let mut state = read_state(&vm);
    let want5 = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeff_u128;
    state[XMM0 + 5 * 16..XMM0 + 6 * 16].copy_from_slice(&want5.to_le_bytes());
    state[XSTATE_BV] |= 2; // SSE in use
    vm.p.set_vp_xsave_state(0, &state).unwrap();
    // A register read before any run sees the state just set ...
    assert_eq!(xmm(&vm, WHvX64RegisterXmm5), want5);
    // ... and a state read sees a register just set.
    let want6 = 0xfeed_face_cafe_beef_0123_4567_89ab_cdef_u128;
    vm.p.set_vp_registers(0, &[WHvX64RegisterXmm6], &[r128(want6)])
        .unwrap();
    let state = read_state(&vm);
    assert_eq!(u128_at(&state, XMM0 + 5 * 16), want5);
    assert_eq!(u128_at(&state, XMM0 + 6 * 16), want6);
    assert_ne!(u64_at(&state, XSTATE_BV) & 2, 0);
    // Both reach KVM and come back after a run.
    run_to_halt(&vm);
    assert_eq!(u128_at(vm.mem.bytes(), DATA as usize), want5);
    assert_eq!(u128_at(vm.mem.bytes(), DATA as usize + 16), want6);
    let state = read_state(&vm);
    assert_eq!(u128_at(&state, XMM0 + 5 * 16), want5);
    assert_eq!(xmm(&vm, WHvX64RegisterXmm6), want6);
}

#[test]
fn a_cpl3_guest_sees_the_state_set_by_blob() {
    if !kvm_available() {
        return;
    }
    // The VP's XSAVE state carries AVX where KVM lets the guest enable it
    // in XCR0 (CPUID leaf 0xD): then the guest uses YMM5 too.
    let avx = u64_at(&read_state(&guest(false)), XCOMP_BV) & 4 != 0;
    let vm = guest(avx);
    let mut state = read_state(&vm);
    let want5 = 0x5555_4444_3333_2222_1111_0000_ffff_eeee_u128;
    let want_hi = 0x9999_8888_7777_6666_5555_4444_3333_2222_u128;
    state[XMM0 + 5 * 16..XMM0 + 6 * 16].copy_from_slice(&want5.to_le_bytes());
    // MXCSR with FZ and DAZ and every exception masked; x87 in 53-bit
    // precision (FCW 0x027f).
    state[MXCSR..MXCSR + 4].copy_from_slice(&0x9fc0u32.to_le_bytes());
    state[FCW..FCW + 2].copy_from_slice(&0x027fu16.to_le_bytes());
    state[XSTATE_BV] |= 3;
    if avx {
        // AVX is the first extended component: YMM5's upper half.
        state[EXTENDED + 5 * 16..EXTENDED + 6 * 16].copy_from_slice(&want_hi.to_le_bytes());
        state[XSTATE_BV] |= 4;
    }
    vm.p.set_vp_xsave_state(0, &state).unwrap();
    if avx {
        // The guest may use AVX: CR4.OSXSAVE and XCR0 = x87|SSE|AVX.
        let old_cr4 = vm.reg(WHvX64RegisterCr4);
        vm.set_reg(WHvX64RegisterCr4, old_cr4 | 1 << 18);
        vm.set_reg(WHvX64RegisterXCr0, 7);
    } else {
        println!("AVX part SKIPPED: this VP's XSAVE state has no AVX component");
    }
    run_to_halt(&vm);
    let mem = vm.mem.bytes();
    let at = DATA as usize;
    assert_eq!(u128_at(mem, at), want5, "XMM5");
    assert_eq!(
        u32::from_le_bytes(mem[at + 32..at + 36].try_into().unwrap()),
        0x9fc0,
        "MXCSR"
    );
    assert_eq!(
        u16::from_le_bytes([mem[at + 36], mem[at + 37]]),
        0x027f,
        "FCW"
    );
    if avx {
        assert_eq!(u128_at(mem, at + 64), want5, "YMM5 low half is XMM5");
        assert_eq!(u128_at(mem, at + 80), want_hi, "YMM5 high half");
    }
    if avx {
        // The AVX component went to KVM and comes back unchanged.
        let state = read_state(&vm);
        assert_ne!(u64_at(&state, XSTATE_BV) & 4, 0);
        assert_eq!(u128_at(&state, EXTENDED + 5 * 16), want_hi);
    }
}

#[test]
fn components_marked_initial_are_initial() {
    if !kvm_available() {
        return;
    }
    let vm = guest(false);
    let mut state = read_state(&vm);
    // Bytes for XMM5 and the x87 control word, but XSTATE_BV says x87 and
    // SSE are in their initial state: XRSTOR ignores the bytes.
    state[XMM0 + 5 * 16] = 0x77;
    state[FCW..FCW + 2].copy_from_slice(&0x0c7fu16.to_le_bytes());
    state[XSTATE_BV] &= !3;
    vm.p.set_vp_xsave_state(0, &state).unwrap();
    assert_eq!(xmm(&vm, WHvX64RegisterXmm5), 0);
    run_to_halt(&vm);
    let mem = vm.mem.bytes();
    assert_eq!(u128_at(mem, DATA as usize), 0, "XMM5 initial");
    assert_eq!(
        u16::from_le_bytes([mem[DATA as usize + 36], mem[DATA as usize + 37]]),
        0x037f
    );
}

#[test]
fn bad_sizes_and_bad_areas_change_nothing() {
    if !kvm_available() {
        return;
    }
    let vm = guest(false);
    let good = read_state(&vm);
    let size = good.len();
    // Get: one byte short fails and leaves the buffer alone.
    let mut short = vec![0x5au8; size - 1];
    assert_eq!(
        vm.p.get_vp_xsave_state(0, &mut short).unwrap_err().hresult,
        WHV_E_INSUFFICIENT_BUFFER
    );
    assert!(short.iter().all(|&b| b == 0x5a));
    // Set: too short for the header, or for the components XCOMP_BV names.
    let hr = |b: &[u8]| vm.p.set_vp_xsave_state(0, b).unwrap_err().hresult;
    assert_eq!(hr(&good[..EXTENDED - 1]), WHV_E_INSUFFICIENT_BUFFER);
    if size > EXTENDED {
        assert_eq!(hr(&good[..size - 1]), WHV_E_INSUFFICIENT_BUFFER);
    }
    let mut marked = good.clone();
    marked[XMM0] = 0x99;
    marked[XSTATE_BV] |= 2;
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = marked.clone();
        f(&mut b);
        b
    };
    // What XRSTOR refuses: the standard form, a component the VP lacks, an
    // XSTATE_BV bit outside XCOMP_BV, reserved header bytes, bad MXCSR.
    assert_eq!(hr(&with(&|b| b[XCOMP_BV + 7] &= 0x7f)), E_INVALIDARG);
    assert_eq!(hr(&with(&|b| b[XCOMP_BV + 6] |= 0x40)), E_INVALIDARG);
    assert_eq!(
        hr(&with(&|b| {
            b[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(1u64 << 63 | 1).to_le_bytes());
            b[XSTATE_BV] = 3;
        })),
        E_INVALIDARG
    );
    assert_eq!(hr(&with(&|b| b[560] = 1)), E_INVALIDARG);
    assert_eq!(hr(&with(&|b| b[MXCSR + 3] = 0x80)), E_INVALIDARG);
    // None of that reached the VP.
    assert_eq!(xmm(&vm, WHvX64RegisterXmm0), 0);
    assert_eq!(read_state(&vm), good);
    // A missing VP.
    assert_eq!(
        vm.p.get_vp_xsave_state(7, &mut vec![0; size])
            .unwrap_err()
            .hresult,
        WHV_E_VP_DOES_NOT_EXIST
    );
    assert_eq!(hr_vp(&vm, 7, &good), WHV_E_VP_DOES_NOT_EXIST);
}

fn hr_vp(vm: &TestVm, vp: u32, b: &[u8]) -> HRESULT {
    vm.p.set_vp_xsave_state(vp, b).unwrap_err().hresult
}
