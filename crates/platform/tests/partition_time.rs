//! WHvSuspendPartitionTime / WHvResumePartitionTime as a Windows VMM uses
//! them (to take a consistent snapshot, say): a CPL3 guest reads RDTSC
//! before and after an interval during which the partition's time is
//! suspended; the guest's TSC must not count that interval, must not jump
//! on resume, and a TSC register read while suspended is frozen. A run
//! resumes time by itself, as Microsoft documents. Where KVM cannot offset
//! the TSC (PVM) suspension is refused with ERROR_NOT_SUPPORTED and the
//! guest part is SKIPPED.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use std::time::{Duration, Instant};

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// Where the guest stores its RDTSC readings.
const DATA: u64 = 0x3_0000;
const DONE_PORT: u16 = 0x99;
/// The interval the partition's time is suspended for.
const SUSPENDED: Duration = Duration::from_millis(200);

/// A CPL3 guest that stores RDTSC at DATA + 8 * i and reports each on
/// DONE_PORT, `n` times.
fn rdtsc_guest(n: u32) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, DATA)?;
        for _ in 0..n {
            a.rdtsc()?;
            a.mov(dword_ptr(rdi), eax)?;
            a.mov(dword_ptr(rdi + 4), edx)?;
            a.add(rdi, 8)?;
            a.out(u32::from(DONE_PORT), al)?;
        }
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    TestVm::new(&g, &regs)
}

/// Runs the guest to its next report and returns the TSC it read.
fn next_reading(vm: &TestVm, i: usize) -> u64 {
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    // SAFETY: the exit reason says IoPortAccess is the live member.
    assert_eq!(unsafe { x.Anonymous.IoPortAccess }.PortNumber, DONE_PORT);
    vm.skip(&x);
    let at = DATA as usize + 8 * i;
    u64::from_le_bytes(vm.mem.bytes()[at..at + 8].try_into().unwrap())
}

/// The host's TSC.
fn host_tsc() -> u64 {
    // SAFETY: RDTSC has no preconditions (every x86-64 CPU has it).
    #[allow(unused_unsafe, reason = "safe in newer Rust")]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

/// Busy for [`SUSPENDED`]: the interval under test (not a wait for
/// anything). Returns the host TSC ticks it took.
fn interval() -> u64 {
    let (start, t) = (host_tsc(), Instant::now());
    while t.elapsed() < SUSPENDED {
        std::hint::spin_loop();
    }
    host_tsc() - start
}

/// `None` (with the SKIPPED line) where KVM cannot offset the TSC: then
/// suspension must be refused, honestly, and resuming is a no-op.
fn offset_control(vm: &TestVm) -> Option<()> {
    if winhv::kvm_caps().unwrap().tsc_offset_control {
        return Some(());
    }
    let e = vm.p.suspend_time().unwrap_err();
    assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED, "{e}");
    vm.p.resume_time().unwrap();
    println!("SKIPPED: needs hardware virtualization (KVM here cannot offset the guest's TSC)");
    None
}

#[test]
fn suspended_time_does_not_count_and_resumes_without_a_jump() {
    if !kvm_available() {
        return;
    }
    let vm = rdtsc_guest(3);
    let before = next_reading(&vm, 0);
    if offset_control(&vm).is_none() {
        return;
    }
    vm.p.suspend_time().unwrap();
    vm.p.suspend_time().unwrap(); // again: still suspended, nothing moves
    let frozen = vm.reg(WHvX64RegisterTsc);
    let host = interval();
    assert_eq!(vm.reg(WHvX64RegisterTsc), frozen, "frozen while suspended");
    assert!(frozen >= before);
    vm.p.resume_time().unwrap();
    vm.p.resume_time().unwrap(); // not suspended: a no-op
    let after = next_reading(&vm, 1);
    assert!(after > frozen, "no jump back: {after:#x} after {frozen:#x}");
    // Without the interval the guest counted only the exits around it.
    assert!(
        after - before < host / 2,
        "the guest counted the suspended interval: {} ticks of the host's {host}",
        after - before
    );

    // A run resumes time by itself.
    vm.p.suspend_time().unwrap();
    let host = interval();
    let third = next_reading(&vm, 2);
    assert!(
        third > after && third - after < host / 2,
        "{third:#x} {after:#x}"
    );
}

#[test]
fn suspending_needs_every_vp_stopped() {
    if !kvm_available() {
        return;
    }
    let vm = spinning_guest();
    std::thread::scope(|s| {
        let run = s.spawn(|| vm.run());
        wait_running(&vm);
        let e = vm.p.suspend_time().unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_STATE, "{e}");
        vm.p.cancel_run_vp(0, 0).unwrap();
        assert_eq!(run.join().unwrap().ExitReason, WHvRunVpExitReasonCanceled);
    });
    // Stopped: suspension works (or is refused as unsupported).
    match vm.p.suspend_time() {
        Ok(()) => vm.p.resume_time().unwrap(),
        Err(e) => assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED),
    }
}

/// Where the spinning guest raises its flag.
const FLAG: u64 = 0x3_8000;

/// A CPL3 guest that raises a flag at [`FLAG`], then spins until canceled.
fn spinning_guest() -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, FLAG)?;
        a.mov(byte_ptr(rdi), 1u32)?;
        let mut spin = a.create_label();
        a.set_label(&mut spin)?;
        a.jmp(spin)
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    TestVm::new(&g, &regs)
}

/// Waits until the spinning guest runs (its flag is up): no sleep, the
/// guest's own store says so.
fn wait_running(vm: &TestVm) {
    let flag = vm.mem.ptr.wrapping_add(FLAG as usize);
    // SAFETY: inside the guest's memory, which outlives this loop; the
    // guest writes the byte concurrently, hence the volatile read.
    while unsafe { std::ptr::read_volatile(flag) } == 0 {
        std::hint::spin_loop();
    }
}
