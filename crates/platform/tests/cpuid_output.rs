//! WHvGetVirtualProcessorCpuidOutput answers what the VP's guest observes:
//! a CPL0 guest (whose CPUID KVM emulates, on PVM as on hardware) runs
//! CPUID for basic, extended, hypervisor, indexed, missing and
//! out-of-range leaves, and every result equals the function's answer —
//! with CR4.OSXSAVE on and off, XCR0 changed, on two VPs (their APIC IDs),
//! and with a CpuidResultList override, as a Windows VMM would check it.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, kvm_available, rwx};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const DATA: u64 = 0x3_0000;
const DONE_PORT: u16 = 0x99;
/// The brand string's first leaf, overridden through CpuidResultList.
const BRAND: u32 = 0x8000_0002;
const OVERRIDE: [u32; 4] = [0x6e69_6877, 0x2076_6820, 0x6e6f_206e, 0x204d_564b];

/// (leaf, subleaf) pairs: present, indexed, missing, out of range.
const QUERIES: [(u32, u32); 20] = [
    (0, 0),
    (1, 0),
    (1, 5),
    (7, 0),
    (7, 1),
    (0xb, 0),
    (0xb, 1),
    (0xb, 7),
    (0xd, 0),
    (0xd, 1),
    (0xd, 2),
    (0xd, 40),
    (5, 0),
    (0x20, 3),
    (0x4000_0000, 0),
    (0x4000_0001, 0),
    (0x8000_0000, 0),
    (0x8000_0001, 0),
    (BRAND, 0),
    (0x8000_00ff, 0),
];

/// A partition with two VPs (no LAPIC emulation, so both run), a brand
/// string override, and the guest mapped.
fn partition(mem: &HostMem, image: &winhv_guest::GuestMemory) -> Partition {
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())
        .unwrap();
    let r = WHV_X64_CPUID_RESULT {
        Function: BRAND,
        Reserved: [0; 3],
        Eax: OVERRIDE[0],
        Ebx: OVERRIDE[1],
        Ecx: OVERRIDE[2],
        Edx: OVERRIDE[3],
    };
    let mut list = Vec::new();
    for v in [r.Function, 0, 0, 0, r.Eax, r.Ebx, r.Ecx, r.Edx] {
        list.extend_from_slice(&v.to_le_bytes());
    }
    p.set_property(WHvPartitionPropertyCodeCpuidResultList, &list)
        .unwrap();
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    p.create_vp(1).unwrap();
    // SAFETY: `mem` outlives the partition (the callers declare it first).
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), rwx()) }.unwrap();
    p
}

/// Runs the guest on `vp` from `regs` and compares what it read with the
/// function's answers.
fn check(p: &Partition, mem: &HostMem, vp: u32, regs: &winhv_guest::Registers, what: &str) {
    common::set_registers(p, vp, regs);
    mem.write(DATA as usize, &[0; 16 * QUERIES.len()]);
    let x = p.run_vp(vp).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess, "{what}");
    // SAFETY: the exit reason says IoPortAccess is the live member.
    let port = unsafe { x.Anonymous.IoPortAccess }.PortNumber;
    assert_eq!(port, DONE_PORT, "{what}: exception?");
    for (i, &(leaf, subleaf)) in QUERIES.iter().enumerate() {
        let at = DATA as usize + 16 * i;
        let b = &mem.bytes()[at..at + 16];
        let r = |k: usize| u32::from_le_bytes(b[4 * k..4 * k + 4].try_into().unwrap());
        let seen = [r(0), r(1), r(2), r(3)];
        let o = p.get_vp_cpuid_output(vp, leaf, subleaf).unwrap();
        if is_pvm() && pvm_passes_the_host(leaf, subleaf) {
            continue;
        }
        assert_eq!(
            [o.Eax, o.Ebx, o.Ecx, o.Edx],
            seen,
            "{what}: VP {vp} CPUID {leaf:#x}.{subleaf}"
        );
    }
}

/// Whether `/dev/kvm` is PVM (DESIGN.md): the `kvm_pvm` module.
fn is_pvm() -> bool {
    std::path::Path::new("/sys/module/kvm_pvm").exists()
}

/// The leaves whose feature bits PVM takes from the host rather than from
/// the VP's CPUID table, even for CPL0 code (measured: leaf 1 ECX/EDX,
/// leaf 7, leaf 0xd.1; docs/pvm.md).
fn pvm_passes_the_host(leaf: u32, subleaf: u32) -> bool {
    matches!(leaf, 1 | 7) || (leaf, subleaf) == (0xd, 1)
}

fn r64(p: &Partition, vp: u32, name: WHV_REGISTER_NAME) -> u64 {
    common::get64(p, vp, name)
}

#[test]
fn the_output_is_what_the_guest_sees() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, DATA)?;
        for (leaf, subleaf) in QUERIES {
            a.mov(eax, leaf)?;
            a.mov(ecx, subleaf)?;
            a.cpuid()?;
            a.mov(dword_ptr(rdi), eax)?;
            a.mov(dword_ptr(rdi + 4), ebx)?;
            a.mov(dword_ptr(rdi + 8), ecx)?;
            a.mov(dword_ptr(rdi + 12), edx)?;
            a.add(rdi, 16)?;
        }
        a.out(u32::from(DONE_PORT), al)
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let image = g.memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = partition(&mem, image);

    if is_pvm() {
        println!(
            "leaves 1, 7 and 0xd.1 SKIPPED: need hardware virtualization (PVM gives the guest the host's feature bits there)"
        );
    }
    check(&p, &mem, 0, &regs, "CR4.OSXSAVE clear");
    let o = p.get_vp_cpuid_output(0, 1, 0).unwrap();
    assert_eq!(o.Ecx & 1 << 27, 0, "OSXSAVE follows CR4");
    assert_eq!(o.Ebx >> 24, 0, "VP 0's initial APIC ID");
    let brand = p.get_vp_cpuid_output(0, BRAND, 0).unwrap();
    assert_eq!([brand.Eax, brand.Ebx, brand.Ecx, brand.Edx], OVERRIDE);

    // The VP's XSAVE configuration: CR4.OSXSAVE, and XCR0 with every
    // component the VP offers (leaf 0xd.0 EAX).
    let mut xregs = regs;
    xregs.cr4 |= 1 << 18;
    let offered = p.get_vp_cpuid_output(0, 0xd, 0).unwrap().Eax;
    let mut xcr0 = [WHV_REGISTER_VALUE::default()];
    let xsave = p
        .get_vp_registers(0, &[WHvX64RegisterXCr0], &mut xcr0)
        .is_ok();
    if offered & 3 == 3 && xsave {
        common::set_registers(&p, 0, &xregs);
        common::set64(&p, 0, WHvX64RegisterXCr0, u64::from(offered & 0xe7));
        // Before any run: the registers the VMM just set count.
        let o = p.get_vp_cpuid_output(0, 1, 0).unwrap();
        assert_ne!(o.Ecx & 1 << 27, 0, "OSXSAVE set");
        let full = p.get_vp_cpuid_output(0, 0xd, 0).unwrap().Ebx;
        check(&p, &mem, 0, &xregs, "CR4.OSXSAVE set, every XCR0 component");
        common::set64(&p, 0, WHvX64RegisterXCr0, 3);
        let legacy = p.get_vp_cpuid_output(0, 0xd, 0).unwrap().Ebx;
        assert_eq!(legacy, 576, "x87 | SSE: the legacy region and the header");
        assert!(full >= legacy, "the size follows XCR0: {full} {legacy}");
        check(&p, &mem, 0, &xregs, "CR4.OSXSAVE set, XCR0 x87|SSE");
    } else {
        println!("XSAVE part SKIPPED: the VP has no XCR0");
    }
    assert_ne!(
        r64(&p, 0, WHvX64RegisterApicBase) & 1 << 8,
        0,
        "VP 0 is the BSP"
    );
    // VP 1: its own APIC IDs.
    check(&p, &mem, 1, &regs, "VP 1");
    assert_eq!(p.get_vp_cpuid_output(1, 1, 0).unwrap().Ebx >> 24, 1);

    // A VP that does not exist; a running VP (see counters.rs) is busy.
    let e = p.get_vp_cpuid_output(2, 0, 0).unwrap_err();
    assert_eq!(e.hresult, WHV_E_VP_DOES_NOT_EXIST);
}
