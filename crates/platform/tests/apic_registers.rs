//! The local APIC registers (`WHvX64RegisterApic*`) through the public API
//! on a partition with LocalApicEmulationMode xApic (KVM's in-kernel LAPIC):
//! every writable name round-trips within an exit and, after a run, from
//! KVM's own state (`KVM_GET_LAPIC`); read-only names read what a local
//! APIC holds and refuse other values; the TPR is CR8; without LAPIC
//! emulation the names are unbacked.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]
#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

mod common;

use common::{HostMem, get64, kvm_available, set64};
use winhv::Partition;
use winhv::defs::*;

/// A set-up one-VP partition in `mode` running a CPL3 loop of OUTs to port
/// 0x42, or `None` (with a SKIPPED line) where KVM has no in-kernel LAPIC.
fn partition(mode: WHV_X64_LOCAL_APIC_EMULATION_MODE) -> Option<(Partition, HostMem)> {
    if !kvm_available() {
        return None;
    }
    let program = winhv_guest::programs::out_loop_user(0x42, 50).unwrap();
    let image = &program.memory;
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    if mode != WHvX64LocalApicEmulationModeNone {
        if let Err(e) = p.set_property(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &mode.0.to_le_bytes(),
        ) {
            println!(
                "SKIPPED: LocalApicEmulationMode {} refused here: {e}",
                mode.0
            );
            return None;
        }
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // SAFETY: the caller keeps `mem` alive, dropping the partition first
    // (tuple fields drop in order).
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &program.registers);
    Some((p, mem))
}

/// Runs VP 0 to its next OUT and skips it.
fn run_one(p: &Partition) {
    let x = p.run_vp(0).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    let rip = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
    set64(p, 0, WHvX64RegisterRip, rip);
}

fn try_set(p: &Partition, name: WHV_REGISTER_NAME, value: u64) -> winhv::Result<()> {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = value;
    p.set_vp_registers(0, &[name], &[v])
}

fn try_get(p: &Partition, name: WHV_REGISTER_NAME) -> winhv::Result<u64> {
    let mut v = [WHV_REGISTER_VALUE::default()];
    p.get_vp_registers(0, &[name], &mut v)?;
    // SAFETY: APIC registers are returned through Reg64.
    Ok(unsafe { v[0].Reg64 })
}

/// Writable names with a value each that keeps the guest undisturbed (LVTs
/// masked or with no source, the timer masked).
const WRITABLE: [(WHV_REGISTER_NAME, u64); 14] = [
    (WHvX64RegisterApicId, 5),
    (WHvX64RegisterApicTpr, 0x25),
    (WHvX64RegisterApicLdr, 0x0400_0000),
    (WHvX64RegisterApicSpurious, 0x1ff),
    (WHvX64RegisterApicEse, 0x40),
    (WHvX64RegisterApicIcr, 0x0300_0000_0000_40fe),
    (WHvX64RegisterApicLvtTimer, 0x1_00ef),
    (WHvX64RegisterApicLvtThermal, 0x1_00e1),
    (WHvX64RegisterApicLvtPerfmon, 0x1_04e2),
    (WHvX64RegisterApicLvtLint0, 0x1_0700),
    (WHvX64RegisterApicLvtLint1, 0x400),
    (WHvX64RegisterApicLvtError, 0xfd),
    (WHvX64RegisterApicInitCount, 0x7fff_0000),
    (WHvX64RegisterApicDivide, 0xb),
];

#[test]
fn every_writable_apic_register_round_trips_through_kvm() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic) else {
        return;
    };
    // Before the first run, one name at a time.
    for (name, value) in WRITABLE {
        try_set(&p, name, value).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(try_get(&p, name).unwrap(), value, "{name:?} before a run");
    }
    run_one(&p);
    for (name, value) in WRITABLE {
        assert_eq!(try_get(&p, name).unwrap(), value, "{name:?} from KVM");
    }

    // After an exit, as one batch, with new values.
    let names: Vec<_> = WRITABLE.iter().map(|&(n, _)| n).collect();
    let values: Vec<_> = WRITABLE
        .iter()
        .map(|&(n, v)| {
            let mut r = WHV_REGISTER_VALUE::default();
            r.Reg64 = match n {
                WHvX64RegisterApicId => 7,
                WHvX64RegisterApicLdr => 0x0800_0000,
                WHvX64RegisterApicTpr => 0x10,
                WHvX64RegisterApicDivide => 0x3,
                _ => v ^ 0x1,
            };
            r
        })
        .collect();
    p.set_vp_registers(0, &names, &values).unwrap();
    run_one(&p);
    let mut back = vec![WHV_REGISTER_VALUE::default(); names.len()];
    p.get_vp_registers(0, &names, &mut back).unwrap();
    for ((name, want), got) in names.iter().zip(&values).zip(&back) {
        // SAFETY: Reg64 on both sides.
        let (want, got) = unsafe { (want.Reg64, got.Reg64) };
        assert_eq!(got, want, "{name:?} after a batch and a run");
    }
}

#[test]
fn read_only_registers_read_a_local_apics_values_and_refuse_changes() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic) else {
        return;
    };
    run_one(&p);
    let version = try_get(&p, WHvX64RegisterApicVersion).unwrap();
    assert_eq!(version & 0xff, 0x14, "integrated APIC: {version:#x}");
    assert!(
        (version >> 16) & 0xff >= 5,
        "at least 6 LVT entries: {version:#x}"
    );
    for n in 0..8 {
        for base in [
            WHvX64RegisterApicIsr0,
            WHvX64RegisterApicTmr0,
            WHvX64RegisterApicIrr0,
        ] {
            let name = WHV_REGISTER_NAME(base.0 + n);
            assert_eq!(try_get(&p, name).unwrap(), 0, "{name:?} at rest");
        }
    }
    assert_eq!(try_get(&p, WHvX64RegisterApicCurrentCount).unwrap(), 0);
    // The PPR follows the TPR when nothing is in service (KVM recomputes it
    // when the page is written).
    try_set(&p, WHvX64RegisterApicTpr, 0x40).unwrap();
    run_one(&p);
    assert_eq!(try_get(&p, WHvX64RegisterApicPpr).unwrap(), 0x40);

    for name in [
        WHvX64RegisterApicVersion,
        WHvX64RegisterApicPpr,
        WHvX64RegisterApicIsr3,
        WHvX64RegisterApicTmr0,
        WHvX64RegisterApicIrr7,
        WHvX64RegisterApicCurrentCount,
    ] {
        let now = try_get(&p, name).unwrap();
        try_set(&p, name, now).unwrap_or_else(|e| panic!("{name:?} same value: {e}"));
        let e = try_set(&p, name, now ^ 0x100).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG, "{name:?}");
        assert_eq!(try_get(&p, name).unwrap(), now, "{name:?} unchanged");
    }
    // Write-only registers hold nothing and a write has no side effect.
    for name in [WHvX64RegisterApicEoi, WHvX64RegisterApicSelfIpi] {
        try_set(&p, name, 0x31).unwrap();
        assert_eq!(try_get(&p, name).unwrap(), 0, "{name:?}");
    }
    run_one(&p);
    assert_eq!(
        try_get(&p, WHvX64RegisterApicIrr1).unwrap(),
        0,
        "no self IPI"
    );
    // Reserved bits.
    let e = try_set(&p, WHvX64RegisterApicTpr, 0x100).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    let e = try_set(&p, WHvX64RegisterApicLvtLint0, 1 << 20).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
}

#[test]
fn the_tpr_is_cr8() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic) else {
        return;
    };
    try_set(&p, WHvX64RegisterApicTpr, 0x30).unwrap();
    assert_eq!(get64(&p, 0, WHvX64RegisterCr8), 3, "same exit");
    run_one(&p);
    assert_eq!(get64(&p, 0, WHvX64RegisterCr8), 3, "after a run");
    assert_eq!(try_get(&p, WHvX64RegisterApicTpr).unwrap(), 0x30);

    set64(&p, 0, WHvX64RegisterCr8, 5);
    assert_eq!(
        try_get(&p, WHvX64RegisterApicTpr).unwrap(),
        0x50,
        "same exit"
    );
    run_one(&p);
    assert_eq!(try_get(&p, WHvX64RegisterApicTpr).unwrap(), 0x50);

    // A TPR with its low bits, set with a control register in the same
    // exit: both survive the entry.
    try_set(&p, WHvX64RegisterApicTpr, 0x67).unwrap();
    let cr0 = get64(&p, 0, WHvX64RegisterCr0);
    set64(&p, 0, WHvX64RegisterCr0, cr0 ^ (1 << 18)); // AM
    run_one(&p);
    assert_eq!(try_get(&p, WHvX64RegisterApicTpr).unwrap(), 0x67);
    assert_eq!(get64(&p, 0, WHvX64RegisterCr8), 6);
    assert_eq!(get64(&p, 0, WHvX64RegisterCr0), cr0 ^ (1 << 18));
}

#[test]
fn without_lapic_emulation_apic_names_are_unbacked() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeNone) else {
        return;
    };
    for name in [
        WHvX64RegisterApicId,
        WHvX64RegisterApicTpr,
        WHvX64RegisterApicIcr,
        WHvX64RegisterApicIrr0,
    ] {
        let e = try_get(&p, name).unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{name:?}");
    }
    // The batch fails whole: RAX keeps its value.
    let rax = get64(&p, 0, WHvX64RegisterRax);
    let mut v = [WHV_REGISTER_VALUE::default(); 2];
    v[0].Reg64 = rax + 1;
    v[1].Reg64 = 0x20;
    let e = p
        .set_vp_registers(0, &[WHvX64RegisterRax, WHvX64RegisterApicTpr], &v)
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME);
    assert_eq!(get64(&p, 0, WHvX64RegisterRax), rax);
    run_one(&p);
    let e = try_get(&p, WHvX64RegisterApicLvtTimer).unwrap_err();
    assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "after a run too");
}

#[test]
fn x2apic_mode_makes_id_and_ldr_read_only() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeX2Apic) else {
        return;
    };
    let base = get64(&p, 0, WHvX64RegisterApicBase);
    // Enabled (bit 11) and x2APIC (bit 10).
    set64(&p, 0, WHvX64RegisterApicBase, base | (1 << 11) | (1 << 10));
    run_one(&p);
    assert_ne!(get64(&p, 0, WHvX64RegisterApicBase) & (1 << 10), 0);
    let id = try_get(&p, WHvX64RegisterApicId).unwrap();
    assert_eq!(id, 0, "VP 0's x2APIC ID");
    // The x2APIC LDR derives from the ID: cluster 0, bit 0.
    let ldr = try_get(&p, WHvX64RegisterApicLdr).unwrap();
    assert_eq!(ldr, 1);
    try_set(&p, WHvX64RegisterApicId, id).unwrap();
    let e = try_set(&p, WHvX64RegisterApicId, 9).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    let e = try_set(&p, WHvX64RegisterApicLdr, 2).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    // A 32-bit x2APIC destination fits the ICR now.
    let icr = 0x0000_0102_0000_00fe;
    try_set(&p, WHvX64RegisterApicIcr, icr).unwrap();
    run_one(&p);
    assert_eq!(try_get(&p, WHvX64RegisterApicIcr).unwrap(), icr);
}
