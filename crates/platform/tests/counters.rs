//! WHvGetPartitionCounters / WHvGetVirtualProcessorCounters as a Windows
//! VMM reads them (a buffer of its SDK's struct size, every set): a guest
//! makes a known number of port I/O and MMIO exits and halts; the counts
//! winhv keeps itself are exact, KVM's are at least what the guest did,
//! the buffer sizes behave as documented (`state/counters.rs`), and the
//! counters can be read while the VP runs.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]
#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

mod common;

use common::{TestVm, kvm_available};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const PORT: u16 = 0x42;
const OUTS: u32 = 5;
/// An unmapped GPA: every store there is an MMIO (MemoryAccess) exit.
const MMIO: u64 = 0x4000_0000;
const STORES: u32 = 3;

/// A CPL0 guest: OUTS port writes, STORES MMIO stores, HLT.
fn guest() -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        for i in 0..OUTS {
            a.mov(al, i)?;
            a.out(u32::from(PORT), al)?;
        }
        a.mov(rsi, MMIO)?;
        for _ in 0..STORES {
            a.mov(dword_ptr(rsi), eax)?;
        }
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    TestVm::new(&g, &regs)
}

/// The u64 fields of VP counter set `set`, read into a buffer of the
/// struct's size, as a caller does with `sizeof`.
fn vp_counters(p: &Partition, vp: u32, set: WHV_PROCESSOR_COUNTER_SET) -> Vec<u64> {
    let size = Partition::vp_counters_size(set).unwrap() as usize;
    let mut b = vec![0u8; size];
    let n = p.get_vp_counters(vp, set, &mut b).unwrap();
    assert_eq!(n as usize, size, "{set:?}: the whole struct");
    b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// The intercept counters, (Count, Time100ns) pairs by field index.
fn intercepts(p: &Partition) -> Vec<(u64, u64)> {
    vp_counters(p, 0, WHvProcessorCounterSetIntercepts)
        .chunks_exact(2)
        .map(|c| (c[0], c[1]))
        .collect()
}

const IO: usize = 2;
const HALT: usize = 3;
const OTHER: usize = 6;
const NESTED_PF: usize = 11;

#[test]
fn the_guests_exits_are_counted() {
    if !kvm_available() {
        return;
    }
    let vm = guest();
    assert!(intercepts(&vm.p).iter().all(|&c| c == (0, 0)), "a new VP");
    assert_eq!(vp_counters(&vm.p, 0, WHvProcessorCounterSetRuntime)[0], 0);
    loop {
        let x = vm.run();
        match x.ExitReason {
            WHvRunVpExitReasonX64IoPortAccess | WHvRunVpExitReasonMemoryAccess => vm.skip(&x),
            WHvRunVpExitReasonX64Halt => break,
            other => panic!("unexpected exit {other:?}"),
        }
    }
    let c = intercepts(&vm.p);
    assert_eq!(c[IO].0, u64::from(OUTS), "IoInstructions");
    assert!(
        c[NESTED_PF].0 >= u64::from(STORES),
        "NestedPageFaultIntercepts {c:?}"
    );
    assert!(c[HALT].0 >= 1, "HaltInstructions {c:?}");
    assert_eq!(c[OTHER].0, 0, "OtherIntercepts");
    assert!(
        c.iter().all(|&(_, t)| t == 0),
        "no intercept time is measured"
    );
    let runtime = vp_counters(&vm.p, 0, WHvProcessorCounterSetRuntime);
    assert!(runtime[0] > 0, "TotalRuntime100ns {runtime:?}");
    assert_eq!(runtime[1], 0, "HypervisorRuntime100ns is not measured");
    // Counted across runs, and not by a canceled run.
    vm.p.cancel_run_vp(0, 0).unwrap();
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonCanceled);
    assert_eq!(intercepts(&vm.p)[IO].0, u64::from(OUTS));
    assert_eq!(intercepts(&vm.p)[OTHER].0, 0);
    let later = vp_counters(&vm.p, 0, WHvProcessorCounterSetRuntime);
    assert!(later[0] >= runtime[0]);

    // The other sets: events from KVM, no synthetic features, no APIC
    // (this partition does not emulate one).
    assert_eq!(vp_counters(&vm.p, 0, WHvProcessorCounterSetEvents).len(), 3);
    assert!(
        vp_counters(&vm.p, 0, WHvProcessorCounterSetSyntheticFeatures)
            .iter()
            .all(|&x| x == 0)
    );
    assert!(
        vp_counters(&vm.p, 0, WHvProcessorCounterSetApic)
            .iter()
            .all(|&x| x == 0)
    );

    // The partition's memory counters.
    let mut m = [0u8; size_of::<WHV_PARTITION_MEMORY_COUNTERS>()];
    assert_eq!(
        vm.p.get_partition_counters(WHvPartitionCounterSetMemory, &mut m)
            .unwrap(),
        24
    );
    let mapped: u64 = m
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .sum();
    if std::path::Path::new("/sys/module/kvm_pvm").exists() {
        println!(
            "mapped-page part SKIPPED: needs hardware virtualization (PVM's MMU counts no pages): {mapped}"
        );
    } else {
        assert!(mapped > 0, "the guest's pages are mapped");
    }
}

#[test]
fn buffer_sizes_and_bad_requests() {
    if !kvm_available() {
        return;
    }
    let vm = guest();
    let p = &vm.p;
    for set in WHV_PROCESSOR_COUNTER_SET::ALL {
        let size = Partition::vp_counters_size(*set).unwrap() as usize;
        let e = p.get_vp_counters(0, *set, &mut [0; 8]).unwrap_err();
        assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER, "{set:?}");
        let e = p.get_vp_counters(0, *set, &mut []).unwrap_err();
        assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER, "{set:?}");
        // A larger buffer: the struct, nothing past it.
        let mut big = vec![0xa5u8; size + 16];
        assert_eq!(p.get_vp_counters(0, *set, &mut big).unwrap() as usize, size);
        assert!(big[size..].iter().all(|&b| b == 0xa5), "{set:?}");
    }
    assert_eq!(
        Partition::vp_counters_size(WHvProcessorCounterSetIntercepts).unwrap(),
        size_of::<WHV_PROCESSOR_INTERCEPT_COUNTERS>() as u32
    );
    // An older SDK's intercept struct: 11 counters.
    let mut old = [0xa5u8; 176 + 8];
    assert_eq!(
        p.get_vp_counters(0, WHvProcessorCounterSetIntercepts, &mut old[..176])
            .unwrap(),
        176
    );
    assert!(old[176..].iter().all(|&b| b == 0xa5));
    let e = p
        .get_vp_counters(0, WHvProcessorCounterSetIntercepts, &mut old[..175])
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER);

    let mut b = [0u8; 256];
    let e = p
        .get_vp_counters(0, WHV_PROCESSOR_COUNTER_SET(99), &mut b)
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    let e = p
        .get_vp_counters(1, WHvProcessorCounterSetRuntime, &mut b)
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_VP_DOES_NOT_EXIST);
    let e = p
        .get_partition_counters(WHV_PARTITION_COUNTER_SET(1), &mut b)
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    let e = p
        .get_partition_counters(WHvPartitionCounterSetMemory, &mut b[..23])
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INSUFFICIENT_BUFFER);
    // Before setup: the set is checked first, then the state.
    let q = Partition::create().unwrap();
    let e = q
        .get_partition_counters(WHV_PARTITION_COUNTER_SET(1), &mut b)
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    let e = q
        .get_partition_counters(WHvPartitionCounterSetMemory, &mut b)
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INVALID_PARTITION_CONFIG);
}

#[test]
fn apic_counters_with_lapic_emulation_are_not_supported() {
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
    let mut b = [0u8; size_of::<WHV_PROCESSOR_APIC_COUNTERS>()];
    let e = p
        .get_vp_counters(0, WHvProcessorCounterSetApic, &mut b)
        .unwrap_err();
    assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED);
}

#[test]
fn counters_are_read_while_the_vp_runs() {
    if !kvm_available() {
        return;
    }
    let vm = spinning_guest();
    std::thread::scope(|s| {
        let run = s.spawn(|| vm.run());
        wait_running(&vm);
        // The VP is held by its run: registers cannot be read now ...
        let mut v = [WHV_REGISTER_VALUE::default()];
        let e =
            vm.p.get_vp_registers(0, &[WHvX64RegisterRip], &mut v)
                .unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_STATE);
        // ... but the counters answer.
        let c = intercepts(&vm.p);
        assert_eq!(c[IO].0, 0);
        vm.p.cancel_run_vp(0, 0).unwrap();
        assert_eq!(run.join().unwrap().ExitReason, WHvRunVpExitReasonCanceled);
    });
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
