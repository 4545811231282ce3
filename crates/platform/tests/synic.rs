//! The user-space SynIC and synthetic MSRs through the public API, with a
//! real guest (long mode, CPL0, xAPIC): the Hyper-V CPUID leaves, VP_INDEX,
//! the reference counter in 100 ns units, the reference TSC page's formula
//! against the counter, the hypercall page, SIMP/SIEFP/SINT set up by the
//! guest, a posted message taken by the guest's handler with the right
//! vector and content, a busy slot (ERROR_HV_OBJECT_IN_USE, MessagePending)
//! whose EOM brings a SynicSintDeliverable exit, event flags with
//! NewlySignaled, the register names, and the argument checks.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use std::time::{Duration, Instant};

use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

use common::HostMem;

const ENTRY: u64 = 0x2_0000;
const HANDLER: u64 = 0x2_2000;
const SIMP: u64 = 0x8_0000;
const SIEFP: u64 = 0x8_1000;
const REF_TSC: u64 = 0x8_2000;
const HYPERCALL_PAGE: u64 = 0x8_3000;
/// The first 40 bytes of the last message the handler found.
const SEEN: u64 = 0x8_4000;
/// How many times the SINT handler ran.
const COUNT: u64 = 0x8_5000;
const MEMORY: usize = 1 << 20;

const VECTOR: u32 = 0x50;
const SINT: u32 = 2;
const SLOT: u64 = SIMP + SINT as u64 * 256;

const P_CPUID0: u16 = 0x60;
const P_CPUID1: u16 = 0x61;
const P_CPUID3: u16 = 0x62;
const P_VP_INDEX: u16 = 0x63;
const P_REF: u16 = 0x64;
const P_TSC_PAGE: u16 = 0x66;
const P_HYPERCALL: u16 = 0x67;
const P_READY: u16 = 0x68;
const P_ARMED: u16 = 0x69;

const MSR_GUEST_OS_ID: u32 = 0x4000_0000;
const MSR_HYPERCALL: u32 = 0x4000_0001;
const MSR_VP_INDEX: u32 = 0x4000_0002;
const MSR_TIME_REF_COUNT: u32 = 0x4000_0020;
const MSR_REFERENCE_TSC: u32 = 0x4000_0021;
const MSR_SCONTROL: u32 = 0x4000_0080;
const MSR_SIEFP: u32 = 0x4000_0082;
const MSR_SIMP: u32 = 0x4000_0083;
const MSR_EOM: u32 = 0x4000_0084;
const MSR_SINT0: u32 = 0x4000_0090;
const MSR_STIMER0_CONFIG: u32 = 0x4000_00b0;
const MSR_STIMER0_COUNT: u32 = 0x4000_00b1;

/// Every synthetic feature bit this implementation has.
const FEATURES: u64 = 0b11_1011_1011;

fn wrmsr(a: &mut CodeAssembler, msr: u32, v: u64) -> Result<(), IcedError> {
    a.mov(ecx, msr)?;
    a.mov(eax, v as u32)?;
    a.mov(edx, (v >> 32) as u32)?;
    a.wrmsr()
}

fn rdmsr(a: &mut CodeAssembler, msr: u32) -> Result<(), IcedError> {
    a.mov(ecx, msr)?;
    a.rdmsr()
}

fn program(a: &mut CodeAssembler) -> Result<(), IcedError> {
    for (leaf, port) in [
        (0x4000_0000u32, P_CPUID0),
        (0x4000_0001, P_CPUID1),
        (0x4000_0003, P_CPUID3),
    ] {
        a.mov(eax, leaf)?;
        a.xor(ecx, ecx)?;
        a.cpuid()?;
        a.out(u32::from(port), al)?;
    }
    rdmsr(a, MSR_VP_INDEX)?;
    a.out(u32::from(P_VP_INDEX), al)?;
    for _ in 0..2 {
        rdmsr(a, MSR_TIME_REF_COUNT)?;
        a.out(u32::from(P_REF), al)?;
    }
    // The reference TSC page's formula, then the counter: r8, EDX:EAX.
    wrmsr(a, MSR_REFERENCE_TSC, REF_TSC | 1)?;
    a.rdtsc()?;
    a.shl(rdx, 32)?;
    a.or(rax, rdx)?;
    a.mov(rbx, REF_TSC)?;
    a.mul(qword_ptr(rbx + 8))?;
    a.add(rdx, qword_ptr(rbx + 16))?;
    a.mov(r8, rdx)?;
    rdmsr(a, MSR_TIME_REF_COUNT)?;
    a.out(u32::from(P_TSC_PAGE), al)?;
    // A hypercall through the page.
    wrmsr(a, MSR_GUEST_OS_ID, 0x1234)?;
    wrmsr(a, MSR_HYPERCALL, HYPERCALL_PAGE | 1)?;
    a.mov(rax, 0x5555u64)?;
    a.mov(rcx, 0x12u64)?;
    a.mov(rbx, HYPERCALL_PAGE)?;
    a.call(rbx)?;
    a.out(u32::from(P_HYPERCALL), al)?;
    // Again, after the VMM turned HypercallExit on: a fast call (code
    // 0x42, bit 16) with inputs in RDX, R8 and XMM0 (set by the VMM: SSE
    // at CPL0 is beyond PVM's emulator).
    a.mov(rcx, 0x1_0042u64)?;
    a.mov(rdx, 0x1111u64)?;
    a.mov(r8, 0x2222u64)?;
    a.mov(rbx, HYPERCALL_PAGE)?;
    a.call(rbx)?;
    a.out(u32::from(P_HYPERCALL), al)?;
    synic_on(a)?;
    idle(a)
}

/// The local APIC on, then the SynIC: SIMP, SIEFP, SINT with VECTOR.
fn synic_on(a: &mut CodeAssembler) -> Result<(), IcedError> {
    a.mov(rax, 0xfee0_00f0u64)?;
    a.mov(dword_ptr(rax), 0x1ffu32)?;
    wrmsr(a, MSR_SIMP, SIMP | 1)?;
    wrmsr(a, MSR_SIEFP, SIEFP | 1)?;
    wrmsr(a, MSR_SINT0 + SINT, u64::from(VECTOR))?;
    wrmsr(a, MSR_SCONTROL, 1)
}

/// Forever: `cli; out P_READY; sti; hlt`.
fn idle(a: &mut CodeAssembler) -> Result<(), IcedError> {
    let mut top = a.create_label();
    a.set_label(&mut top)?;
    a.cli()?;
    a.out(u32::from(P_READY), al)?;
    a.sti()?;
    a.hlt()?;
    a.jmp(top)
}

/// STIMER0 to SINT: periodic every `period` units, or one-shot 2 ms
/// from now (the expiration time in R9, reported at P_ARMED); then idles.
fn timer_program(a: &mut CodeAssembler, period: Option<u64>) -> Result<(), IcedError> {
    synic_on(a)?;
    let config = 1 | (u64::from(SINT) << 16);
    match period {
        Some(p) => {
            wrmsr(a, MSR_STIMER0_COUNT, p)?;
            wrmsr(a, MSR_STIMER0_CONFIG, config | 2)?;
        }
        None => {
            rdmsr(a, MSR_TIME_REF_COUNT)?;
            a.shl(rdx, 32)?;
            a.or(rax, rdx)?;
            a.add(rax, 20_000)?;
            a.mov(r9, rax)?;
            a.mov(rdx, rax)?;
            a.shr(rdx, 32)?;
            a.mov(ecx, MSR_STIMER0_COUNT)?;
            a.wrmsr()?;
            wrmsr(a, MSR_STIMER0_CONFIG, config)?;
        }
    }
    a.out(u32::from(P_ARMED), al)?;
    idle(a)
}

/// The SINT handler: counts, copies the slot's first 40 bytes to SEEN if
/// it holds a message, frees it, writes EOM if MessagePending was set,
/// EOIs.
fn handler(a: &mut CodeAssembler) -> Result<(), IcedError> {
    for r in [rax, rbx, rcx, rdx] {
        a.push(r)?;
    }
    a.mov(rbx, COUNT)?;
    a.lock().inc(dword_ptr(rbx))?;
    a.mov(rbx, SLOT)?;
    let mut done = a.create_label();
    a.cmp(dword_ptr(rbx), 0)?;
    a.je(done)?;
    a.mov(rcx, SEEN)?;
    for i in 0..5 {
        a.mov(rax, qword_ptr(rbx + 8 * i))?;
        a.mov(qword_ptr(rcx + 8 * i), rax)?;
    }
    a.mov(dword_ptr(rbx), 0u32)?;
    a.test(byte_ptr(rbx + 5), 1)?;
    a.je(done)?;
    wrmsr(a, MSR_EOM, 0)?;
    a.set_label(&mut done)?;
    a.mov(rax, 0xfee0_00b0u64)?;
    a.mov(dword_ptr(rax), 0u32)?;
    for r in [rdx, rcx, rbx, rax] {
        a.pop(r)?;
    }
    a.iretq()
}

/// A partition with every synthetic feature and xAPIC emulation running
/// the program, or `None` (with a SKIPPED line) where that is not offered.
fn partition() -> Option<(Partition, HostMem)> {
    partition_running(program)
}

/// [`partition`] running `program`.
fn partition_running(
    program: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>,
) -> Option<(Partition, HostMem)> {
    if !common::kvm_available() {
        return None;
    }
    let mut banks = [0u8; 16];
    let n = winhv::get_capability(WHvCapabilityCodeSyntheticProcessorFeaturesBanks, &mut banks)
        .unwrap();
    assert_eq!(n, 16);
    let offered = u64::from_le_bytes(banks[8..].try_into().unwrap());
    if offered & FEATURES != FEATURES {
        println!("SKIPPED: synthetic features {FEATURES:#x} not offered here ({offered:#x})");
        return None;
    }
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &WHvX64LocalApicEmulationModeXApic.0.to_le_bytes(),
    )
    .unwrap();
    banks[8..].copy_from_slice(&FEATURES.to_le_bytes());
    p.set_property(
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
        &banks,
    )
    .unwrap();
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    let mut g = Guest::new(0, MEMORY).unwrap();
    let registers = g.long64(ENTRY).unwrap();
    g.assemble_at(64, ENTRY, program).unwrap();
    g.assemble_at(64, HANDLER, handler).unwrap();
    let idt = g.layout().idt;
    g.write(idt + u64::from(VECTOR) * 16, &apic_guest::gate(HANDLER))
        .unwrap();
    let image = g.into_memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    // SAFETY: `mem` outlives the partition (dropped after it by the pair).
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &registers);
    Some((p, mem))
}

fn get(p: &Partition, name: WHV_REGISTER_NAME) -> u64 {
    common::get64(p, 0, name)
}

/// Runs to the next port write, skips it; the port.
fn port(p: &Partition) -> u16 {
    apic_guest::run_to_port(p, 0).0
}

fn read(p: &Partition, gpa: u64, n: usize) -> Vec<u8> {
    let mut b = vec![0; n];
    p.read_gpa_range(gpa, &mut b).unwrap();
    b
}

fn count(p: &Partition) -> u32 {
    u32::from_le_bytes(read(p, COUNT, 4).try_into().unwrap())
}

fn edx_eax(p: &Partition) -> u64 {
    (get(p, WHvX64RegisterRdx) << 32) | (get(p, WHvX64RegisterRax) & 0xffff_ffff)
}

fn message(ty: u32, fill: u8) -> Vec<u8> {
    let mut m = vec![fill; 40];
    m[..4].copy_from_slice(&ty.to_le_bytes());
    m[4] = 24; // PayloadSize
    m[5] = 0;
    m
}

#[test]
fn a_guest_sees_hyperv_and_takes_synic_messages_and_events() {
    let Some((p, _mem)) = partition() else {
        return;
    };
    // CPUID: "Microsoft Hv", "Hv#1", privileges.
    assert_eq!(port(&p), P_CPUID0);
    let vendor: Vec<u8> = [WHvX64RegisterRbx, WHvX64RegisterRcx, WHvX64RegisterRdx]
        .iter()
        .flat_map(|&r| (get(&p, r) as u32).to_le_bytes())
        .collect();
    assert_eq!(&vendor, b"Microsoft Hv");
    assert_eq!(get(&p, WHvX64RegisterRax) as u32, 0x4000_000a);
    assert_eq!(port(&p), P_CPUID1);
    assert_eq!(
        get(&p, WHvX64RegisterRax) as u32,
        u32::from_le_bytes(*b"Hv#1")
    );
    assert_eq!(port(&p), P_CPUID3);
    // AccessPartitionReferenceCounter, AccessSynicRegs,
    // AccessSyntheticTimerRegs, AccessHypercallMsrs, AccessVpIndex,
    // AccessPartitionReferenceTsc.
    assert_eq!(get(&p, WHvX64RegisterRax) as u32, 0b10_0110_1110);
    assert_eq!(port(&p), P_VP_INDEX);
    assert_eq!(edx_eax(&p), 0);

    // The reference counter counts 100 ns units.
    let t0 = Instant::now();
    assert_eq!(port(&p), P_REF);
    let c1 = edx_eax(&p);
    let spin = Instant::now();
    while spin.elapsed() < Duration::from_millis(20) {
        std::hint::spin_loop();
    }
    assert_eq!(port(&p), P_REF);
    let c2 = edx_eax(&p);
    let total = t0.elapsed();
    let delta = Duration::from_nanos((c2 - c1) * 100);
    assert!(
        delta >= Duration::from_millis(20) && delta <= total,
        "counter advanced {delta:?}, host saw at least 20 ms and at most {total:?}"
    );

    // The TSC page's formula gives the counter (read just after it).
    assert_eq!(port(&p), P_TSC_PAGE);
    let by_page = get(&p, WHvX64RegisterR8);
    let counter = edx_eax(&p);
    assert!(
        by_page <= counter && counter - by_page < 100_000,
        "TSC page {by_page}, counter {counter}"
    );
    assert!(by_page >= c2);
    assert_eq!(get(&p, WHvRegisterReferenceTsc), REF_TSC | 1);
    assert_eq!(get(&p, WHvRegisterReferenceTscSequence), 1);

    // The hypercall page answers HV_STATUS_INVALID_HYPERCALL_CODE, RCX kept.
    assert_eq!(port(&p), P_HYPERCALL);
    assert_eq!(get(&p, WHvX64RegisterRax), 2);
    assert_eq!(get(&p, WHvX64RegisterRcx), 0x12);
    assert_eq!(get(&p, WHvRegisterGuestOsId), 0x1234);
    assert_eq!(get(&p, WHvX64RegisterHypercall), HYPERCALL_PAGE | 1);
    // With HypercallExit the call reaches the VMM, presented as Windows
    // does: RIP at the call, its length, the inputs; the VMM answers.
    let mut exits = [0u8; 8];
    p.get_property(WHvPartitionPropertyCodeExtendedVmExits, &mut exits)
        .unwrap();
    let exits = u64::from_le_bytes(exits) | (1 << 5);
    p.set_property(
        WHvPartitionPropertyCodeExtendedVmExits,
        &exits.to_le_bytes(),
    )
    .unwrap();
    let mut x0 = WHV_REGISTER_VALUE::default();
    x0.Reg128.Anonymous.Low64 = 0x3333_4444_5555_6666;
    p.set_vp_registers(0, &[WHvX64RegisterXmm0], &[x0]).unwrap();
    let x = p.run_vp(0).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonHypercall);
    assert_eq!(x.VpContext.Rip, HYPERCALL_PAGE);
    assert_eq!(x.VpContext.instruction_length(), 2);
    // SAFETY: the exit reason says which member is live.
    let hc = unsafe { x.Anonymous.Hypercall };
    assert_eq!((hc.Rcx, hc.Rdx, hc.R8), (0x1_0042, 0x1111, 0x2222));
    // SAFETY: a plain 128-bit union, any bits valid.
    let xmm0_low = unsafe { hc.XmmRegisters[0].Anonymous.Low64 };
    assert_eq!(xmm0_low, 0x3333_4444_5555_6666);
    assert_eq!(get(&p, WHvX64RegisterRip), HYPERCALL_PAGE);
    common::set64(&p, 0, WHvX64RegisterRax, 0x77);
    common::set64(&p, 0, WHvX64RegisterRip, HYPERCALL_PAGE + 2);
    assert_eq!(port(&p), P_HYPERCALL);
    assert_eq!(get(&p, WHvX64RegisterRax), 0x77, "the VMM's result");
    assert_eq!(get(&p, WHvX64RegisterRcx), 0x1_0042);

    // The SynIC as the guest set it, through the register names.
    assert_eq!(port(&p), P_READY);
    assert_eq!(get(&p, WHvRegisterScontrol), 1);
    assert_eq!(get(&p, WHvRegisterSversion), 1);
    assert_eq!(get(&p, WHvRegisterSimp), SIMP | 1);
    assert_eq!(get(&p, WHvRegisterSiefp), SIEFP | 1);
    assert_eq!(get(&p, WHvRegisterSint2), u64::from(VECTOR));
    assert_eq!(get(&p, WHvRegisterSint3), 1 << 16, "masked at reset");

    // A message reaches the handler.
    let m1 = message(0x100, 0xa1);
    p.post_synic_message(0, SINT, &m1).unwrap();
    assert_eq!(port(&p), P_READY);
    assert_eq!(count(&p), 1);
    assert_eq!(read(&p, SEEN, 32), m1[..32]);
    assert_eq!(read(&p, SLOT, 4), [0; 4], "the guest freed the slot");

    // Two posts before the guest runs: the second finds the slot busy and
    // sets MessagePending; the guest's EOM after freeing it is reported.
    let m2 = message(0x101, 0xb2);
    p.post_synic_message(0, SINT, &m2).unwrap();
    let e = p
        .post_synic_message(0, SINT, &message(0x102, 0xc3))
        .unwrap_err();
    assert_eq!(e.hresult, ERROR_HV_OBJECT_IN_USE);
    assert_eq!(read(&p, SLOT + 5, 1), [1], "MessagePending");
    let x = p.run_vp(0).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonSynicSintDeliverable);
    // SAFETY: the exit reason says which member is live.
    let d = unsafe { x.Anonymous.SynicSintDeliverable };
    assert_eq!(d.DeliverableSints, 1 << SINT);
    let mut seen2 = m2[..32].to_vec();
    seen2[5] = 1; // the guest saw MessagePending
    assert_eq!(read(&p, SEEN, 32), seen2);
    assert_eq!(count(&p), 2);
    let m3 = message(0x102, 0xc3);
    p.post_synic_message(0, SINT, &m3).unwrap();
    // The vector waits in the IRR until the handler's EOI: taken at the
    // IRET, or (PVM) at the next `sti; hlt`, one READY later.
    for _ in 0..2 {
        if count(&p) == 3 {
            break;
        }
        assert_eq!(port(&p), P_READY);
    }
    assert_eq!(count(&p), 3);
    assert_eq!(read(&p, SEEN, 32), m3[..32]);

    // Event flags: the first signal sets the flag and interrupts.
    let ev = WHV_SYNIC_EVENT_PARAMETERS {
        VpIndex: 0,
        TargetSint: SINT as u8,
        Reserved: 0,
        FlagNumber: 70,
    };
    assert!(p.signal_synic_event(&ev).unwrap());
    assert!(!p.signal_synic_event(&ev).unwrap(), "already set");
    let flags = read(&p, SIEFP + u64::from(SINT) * 256, 16);
    assert_eq!(flags[8], 1 << 6, "flag 70 = byte 8 bit 6");
    assert_eq!(port(&p), P_READY);
    assert_eq!(count(&p), 4);

    // A masked SINT takes the message without an interrupt.
    common::set64(&p, 0, WHvRegisterSint2, (1 << 16) | u64::from(VECTOR));
    p.post_synic_message(0, SINT, &message(0x103, 0xd4))
        .unwrap();
    assert_eq!(read(&p, SLOT, 4), 0x103u32.to_le_bytes());
    assert_eq!(count(&p), 4);
}

#[test]
fn bad_synic_calls_answer_windows_hresults() {
    let Some((p, _mem)) = partition() else {
        return;
    };
    let hr = |r: winhv::Result<()>| r.unwrap_err().hresult;
    // The guest has not enabled its SynIC yet.
    assert_eq!(
        hr(p.post_synic_message(0, 0, &[1, 0, 0, 0])),
        ERROR_HV_INVALID_SYNIC_STATE
    );
    assert_eq!(hr(p.post_synic_message(0, 16, &[1])), E_INVALIDARG);
    assert_eq!(hr(p.post_synic_message(0, 0, &[])), E_INVALIDARG);
    assert_eq!(hr(p.post_synic_message(0, 0, &[0; 257])), E_INVALIDARG);
    assert_eq!(
        hr(p.post_synic_message(1, 0, &[1])),
        WHV_E_VP_DOES_NOT_EXIST
    );
    let ev = |sint, vtl, flag| WHV_SYNIC_EVENT_PARAMETERS {
        VpIndex: 0,
        TargetSint: sint,
        Reserved: vtl,
        FlagNumber: flag,
    };
    for (event, want) in [
        (ev(0, 1, 0), E_INVALIDARG),
        (ev(16, 0, 0), E_INVALIDARG),
        (ev(0, 0, 2048), E_INVALIDARG),
        (ev(0, 0, 0), ERROR_HV_INVALID_SYNIC_STATE),
    ] {
        assert_eq!(hr(p.signal_synic_event(&event).map(drop)), want);
    }
    // Register writes the TLFS refuses; read-only SVERSION.
    let set = |name, v| {
        let mut r = WHV_REGISTER_VALUE::default();
        r.Reg64 = v;
        p.set_vp_registers(0, &[name], &[r])
    };
    assert_eq!(hr(set(WHvRegisterSint0, 5)), E_INVALIDARG);
    assert_eq!(hr(set(WHvRegisterSversion, 2)), E_INVALIDARG);
    set(WHvRegisterSint0, 0x31).unwrap();
    assert_eq!(get(&p, WHvRegisterSint0), 0x31);
    // A batch mixing synthetic and other registers, all or nothing.
    let mut v = [WHV_REGISTER_VALUE::default(); 3];
    v[0].Reg64 = 0x42;
    v[1].Reg64 = 0x1000;
    v[2].Reg64 = 3; // an unmasked vector below 16
    let names = [WHvRegisterSint1, WHvX64RegisterRip, WHvRegisterSint4];
    assert_eq!(hr(p.set_vp_registers(0, &names, &v)), E_INVALIDARG);
    assert_eq!(get(&p, WHvRegisterSint1), 1 << 16, "nothing written");
    v[2].Reg64 = 0x43;
    p.set_vp_registers(0, &names, &v).unwrap();
    let mut out = [WHV_REGISTER_VALUE::default(); 3];
    p.get_vp_registers(0, &names, &mut out).unwrap();
    // SAFETY: 64-bit registers.
    let got: Vec<u64> = out.iter().map(|v| unsafe { v.Reg64 }).collect();
    assert_eq!(got, [0x42, 0x1000, 0x43]);
    // WHvResetPartition puts the SynIC back in its reset state.
    set(WHvRegisterGuestOsId, 7).unwrap();
    p.reset().unwrap();
    assert_eq!(get(&p, WHvRegisterSint1), 1 << 16, "masked again");
    assert_eq!(get(&p, WHvRegisterGuestOsId), 0);
}

#[test]
fn without_synthetic_features_nothing_changes() {
    if !common::kvm_available() {
        return;
    }
    let p = common::partition(1);
    let mut v = [WHV_REGISTER_VALUE::default()];
    let e = p
        .get_vp_registers(0, &[WHvRegisterSint0], &mut v)
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME);
    let e = p.post_synic_message(0, 0, &[1]).unwrap_err();
    assert_eq!(e.hresult, ERROR_HV_INVALID_SYNIC_STATE);
    // CPUID keeps KVM's hypervisor leaves.
    let out = p.get_vp_cpuid_output(0, 0x4000_0000, 0).unwrap();
    assert_ne!(out.Ebx, u32::from_le_bytes(*b"Micr"));
}

#[test]
fn without_lapic_emulation_no_sint_can_be_raised() {
    if !common::kvm_available() {
        return;
    }
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    let banks = [&1u32.to_le_bytes()[..], &[0; 4], &0x13u64.to_le_bytes()].concat();
    if let Err(e) = p.set_property(
        WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks,
        &banks,
    ) {
        println!("SKIPPED: AccessSynicRegs not offered here: {e}");
        return;
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // As WHvRequestInterrupt without LAPIC emulation, before any write.
    let e = p.post_synic_message(0, 0, &[1]).unwrap_err();
    assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED);
    let ev = WHV_SYNIC_EVENT_PARAMETERS::default();
    let e = p.signal_synic_event(&ev).unwrap_err();
    assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED);
}

fn seen_u64(p: &Partition, at: u64) -> u64 {
    u64::from_le_bytes(read(p, SEEN + at, 8).try_into().unwrap())
}

/// Checks SEEN holds STIMER0's HvMessageTimerExpired; its expiration time.
fn timer_message(p: &Partition) -> u64 {
    assert_eq!(
        read(p, SEEN, 5),
        [0x10, 0, 0, 0x80, 24],
        "HvMessageTimerExpired, 24 bytes"
    );
    assert_eq!(read(p, SEEN + 16, 4), [0; 4], "TimerIndex 0");
    let (expiration, delivery) = (seen_u64(p, 24), seen_u64(p, 32));
    assert!(
        delivery >= expiration,
        "delivered {delivery} before {expiration}"
    );
    expiration
}

/// Runs `body` while a watchdog cancels VP 0's run if `body` has not
/// finished within 20 s (a timer that never fires then fails the test
/// with a Canceled exit instead of hanging).
fn watched(p: &Partition, body: impl FnOnce()) {
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            if finished.recv_timeout(Duration::from_secs(20)).is_err() {
                let _ = p.cancel_run_vp(0, 0);
            }
        });
        body();
        drop(done);
    });
}

#[test]
fn a_one_shot_synthetic_timer_posts_its_expiry_message() {
    let Some((p, _mem)) = partition_running(|a| timer_program(a, None)) else {
        return;
    };
    watched(&p, || {
        assert_eq!(port(&p), P_ARMED);
        let expiration = get(&p, WHvX64RegisterR9);
        assert_eq!(port(&p), P_READY);
        assert_eq!(count(&p), 0);
        // The guest halts; the timer thread's message wakes it.
        assert_eq!(port(&p), P_READY);
        assert_eq!(count(&p), 1);
        assert_eq!(timer_message(&p), expiration);
    });
}

#[test]
fn a_periodic_synthetic_timer_keeps_its_period() {
    const PERIOD: u64 = 10_000; // 1 ms
    let Some((p, _mem)) = partition_running(|a| timer_program(a, Some(PERIOD))) else {
        return;
    };
    let mut expirations = Vec::new();
    watched(&p, || {
        assert_eq!(port(&p), P_ARMED);
        while expirations.len() < 4 {
            assert_eq!(port(&p), P_READY);
            if count(&p) as usize > expirations.len() {
                expirations.push(timer_message(&p));
            }
        }
    });
    for w in expirations.windows(2) {
        assert!(
            w[1] > w[0] && (w[1] - w[0]) % PERIOD == 0,
            "{expirations:?}"
        );
    }
}
