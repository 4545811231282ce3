//! WHvResetPartition restores everything a new partition has: a guest
//! changes MSRs (WRMSR at CPL0) and its local APIC (through the APIC page),
//! the VMM changes more MSRs, the APIC (x2APIC mode included), debug
//! registers and the XSAVE state (YMM upper halves) through the register
//! and XSAVE-state APIs, a CPL3 run proves KVM holds all of it; then a
//! reset, and every register name the platform backs, the XSAVE state and
//! a fresh run are compared with a new partition's, as a Windows VMM that
//! reboots its guest would rely on. The TSC is checked apart: on hardware
//! it restarts at 0 and stays frozen until the next run; on PVM it is the
//! host's and cannot be reset (SKIPPED).
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, kvm_available, rwx};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// Where the CPL3 part stores XMM5 and YMM5.
const DATA: u64 = 0x3_0000;
const APIC: u64 = 0xfee0_0000;
/// The reset vector's page, mapped in both partitions for the fresh run.
const RESET_PAGE: u64 = 0xffff_f000;
/// The port each part of the guest ends on.
const DONE_PORT: u16 = 0x99;
/// XSAVE area offsets (compacted form).
const XMM0: usize = 160;
const XSTATE_BV: usize = 512;
const XCOMP_BV: usize = 520;
const EXTENDED: usize = 576;

/// A set-up partition with two VPs in `mode`, or `None` where KVM refuses
/// the mode.
fn partition(mode: WHV_X64_LOCAL_APIC_EMULATION_MODE) -> Option<Partition> {
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())
        .unwrap();
    if let Err(e) = p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &mode.0.to_le_bytes(),
    ) {
        println!("mode {} SKIPPED: refused here: {e}", mode.0);
        return None;
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    p.create_vp(1).unwrap();
    Some(p)
}

/// The 16 bytes of a register value.
fn bytes(v: &WHV_REGISTER_VALUE) -> [u8; 16] {
    // SAFETY: every member is 16 bytes or less of plain data and the
    // platform fills values from `WHV_REGISTER_VALUE::default()`.
    let x = unsafe { v.Reg128.Anonymous };
    let mut b = [0; 16];
    b[..8].copy_from_slice(&x.Low64.to_le_bytes());
    b[8..].copy_from_slice(&x.High64.to_le_bytes());
    b
}

/// Every register name `p`'s VP `vp` backs, but the TSC, with its value;
/// and the XSAVE state.
fn dump(p: &Partition, vp: u32) -> (Vec<(WHV_REGISTER_NAME, [u8; 16])>, Vec<u8>) {
    let mut regs = Vec::new();
    for &name in WHV_REGISTER_NAME::ALL {
        if name == WHvX64RegisterTsc {
            continue;
        }
        let mut v = [WHV_REGISTER_VALUE::default()];
        match p.get_vp_registers(vp, &[name], &mut v) {
            Ok(()) => regs.push((name, bytes(&v[0]))),
            Err(e) => assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{name:?}: {e}"),
        }
    }
    let mut xsave = vec![0; p.vp_xsave_state_size(vp).unwrap() as usize];
    p.get_vp_xsave_state(vp, &mut xsave).unwrap();
    (regs, xsave)
}

/// Compares every backed register and the XSAVE state of VP `vp`. After
/// a run (`ran`) XSTATE_BV is left out: the processor's XSAVE (when the
/// host saves the guest's state) may mark a component in use whose
/// registers hold their initial values, which is the same state; the
/// registers themselves are compared, through their names and the rest
/// of the area.
fn assert_same_state(reset: &Partition, fresh: &Partition, vp: u32, what: &str, ran: bool) {
    let (regs, mut xsave) = dump(reset, vp);
    let (want_regs, mut want_xsave) = dump(fresh, vp);
    if ran {
        xsave[XSTATE_BV..XSTATE_BV + 8].fill(0);
        want_xsave[XSTATE_BV..XSTATE_BV + 8].fill(0);
    }
    let names = |r: &[(WHV_REGISTER_NAME, [u8; 16])]| r.iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(
        names(&regs),
        names(&want_regs),
        "{what}: VP {vp}: names backed"
    );
    for ((name, got), (_, want)) in regs.iter().zip(&want_regs) {
        assert_eq!(got, want, "{what}: VP {vp}: {name:?}");
    }
    assert_eq!(xsave.len(), want_xsave.len(), "{what}: VP {vp}: XSAVE size");
    let first = xsave.iter().zip(&want_xsave).position(|(a, b)| a != b);
    assert_eq!(
        first, None,
        "{what}: VP {vp}: XSAVE state differs at this offset"
    );
}

fn r64(x: u64) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = x;
    v
}

/// Sets `name` if the VP backs it; true if it did.
fn set_if_backed(p: &Partition, vp: u32, name: WHV_REGISTER_NAME, value: u64) -> bool {
    match p.set_vp_registers(vp, &[name], &[r64(value)]) {
        Ok(()) => true,
        Err(e) if e.hresult == WHV_E_INVALID_VP_REGISTER_NAME => false,
        Err(e) => panic!("{name:?} = {value:#x}: {e}"),
    }
}

/// MSRs the CPL0 part writes (every KVM has them), with their values.
const GUEST_MSRS: [(u32, u64); 11] = [
    (0x174, 0x10),                        // SYSENTER_CS
    (0x175, 0xffff_8000_0000_1000),       // SYSENTER_ESP
    (0x176, 0xffff_8000_0000_2000),       // SYSENTER_EIP
    (0xc000_0081, 0x0023_0010_0000_0000), // STAR
    (0xc000_0082, 0xffff_8000_0000_3000), // LSTAR
    (0xc000_0083, 0xffff_8000_0000_4000), // CSTAR
    (0xc000_0084, 0x4_7700),              // SFMASK
    (0xc000_0102, 0xffff_8000_0000_5000), // KERNEL_GS_BASE
    (0x277, 0x0007_0406_0007_0406),       // PAT: UC- in entries 0 and 4
    (0x2ff, 0xc06),                       // MTRR_DEF_TYPE: enabled, WB
    (0x10, 1 << 60),                      // TSC (PVM ignores it)
];

/// The guest: a CPL0 part (WRMSRs, with `lapic` APIC page writes and a
/// self-IPI) and a CPL3 part that stores XMM5 (and YMM5) at DATA, each
/// ending with an `out` to [`DONE_PORT`] (with an in-kernel LAPIC, KVM
/// keeps a HLT to itself).
fn guest(avx: bool, lapic: bool) -> (Guest, winhv_guest::Registers, winhv_guest::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let cpl0 = g.layout().code;
    let cpl3 = cpl0 + 0x1000;
    g.assemble_at(64, cpl0, |a| {
        for (msr, value) in GUEST_MSRS {
            a.mov(ecx, msr)?;
            a.mov(eax, value as u32)?;
            a.mov(edx, (value >> 32) as u32)?;
            a.wrmsr()?;
        }
        if lapic {
            a.mov(rsi, APIC)?;
            a.mov(dword_ptr(rsi + 0xf0), 0x1ffu32)?; // SVR: enabled
            // TPR class 6: the self-IPI below stays pending at CPL3 (IF = 1).
            a.mov(dword_ptr(rsi + 0x80), 0x60u32)?;
            a.mov(dword_ptr(rsi + 0x350), 0x700u32)?; // LINT0: ExtINT
            a.mov(dword_ptr(rsi + 0x300), 0x0004_0050u32)?; // self-IPI 0x50: IRR
        }
        a.out(u32::from(DONE_PORT), al)
    })
    .unwrap();
    g.assemble_at(64, cpl3, |a| {
        a.mov(rdi, DATA)?;
        a.movdqu(ptr(rdi), xmm5)?;
        if avx {
            a.vmovdqu(ptr(rdi + 32), ymm5)?;
        }
        a.out(u32::from(DONE_PORT), al)
    })
    .unwrap();
    let r0 = g.long64(cpl0).unwrap();
    let r3 = g.long64_user(cpl3).unwrap();
    (g, r0, r3)
}

/// Runs VP `vp` to its `out` to [`DONE_PORT`] and skips it, as a VMM
/// would.
fn run_to_done(p: &Partition, vp: u32, what: &str) {
    let x = p.run_vp(vp).unwrap();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "{what}: {:?} at {:#x}",
        x.ExitReason, x.VpContext.Rip
    );
    // SAFETY: the exit reason says IoPortAccess is the live member.
    let port = unsafe { x.Anonymous.IoPortAccess }.PortNumber;
    assert_eq!(port, DONE_PORT, "{what}: an exception was reported");
    let next = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
    common::set64(p, vp, WHvX64RegisterRip, next);
}

/// Maps the reset vector's page (`out 0x99, al` at 0xfff0) into `p`.
fn map_reset_page(p: &Partition, page: &HostMem) {
    // SAFETY: `page` outlives `p` (declared before it by every caller).
    unsafe { p.map_gpa_range(page.ptr.cast(), RESET_PAGE, 0x1000, rwx()) }.unwrap();
}

/// The VMM's changes: MSRs, the APIC (x2APIC mode where the partition
/// offers it), debug registers, deliverability notifications, the XSAVE
/// state with XMM5 and YMM5's upper half, XCR0 and CR4.OSXSAVE.
fn vmm_changes(p: &Partition, vp: u32, mode: WHV_X64_LOCAL_APIC_EMULATION_MODE, avx: bool) {
    for (name, value) in [
        (WHvX64RegisterMsrMtrrPhysBase1, 0x8000_0006),
        (WHvX64RegisterMsrMtrrPhysMask1, 0xf_c000_0800),
        (WHvX64RegisterMsrMtrrFix64k00000, 0x0606_0606_0606_0606),
        (WHvX64RegisterTscAux, 0x1234),
        (WHvX64RegisterSpecCtrl, 1),
        (WHvX64RegisterTscAdjust, 0x5555),
        (WHvX64RegisterDr0, 0x1000),
        (WHvX64RegisterDr3, 0x4000),
        (WHvX64RegisterDr7, 0x0000_0401),
    ] {
        set_if_backed(p, vp, name, value);
    }
    if mode != WHvX64LocalApicEmulationModeNone {
        let mut apic = vec![
            (WHvX64RegisterApicLvtTimer, 0x3_00ef), // periodic, masked
            (WHvX64RegisterApicDivide, 0xa),
            (WHvX64RegisterApicInitCount, 0x8000_0000),
            (WHvX64RegisterApicLvtError, 0xfe),
            (WHvX64RegisterApicLvtThermal, 0x4fd),
            (WHvX64RegisterApicIcr, 0x40fe),
        ];
        if mode == WHvX64LocalApicEmulationModeX2Apic {
            let base = common::get64(p, vp, WHvX64RegisterApicBase);
            apic.insert(0, (WHvX64RegisterApicBase, base | 1 << 10));
        } else {
            apic.push((WHvX64RegisterApicLdr, 0x0200_0000));
        }
        for (name, value) in apic {
            assert!(set_if_backed(p, vp, name, value), "{name:?}");
        }
    }
    let mut notify = WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER::default();
    notify.set_nmi_notification(1);
    set_if_backed(
        p,
        vp,
        WHvX64RegisterDeliverabilityNotifications,
        notify.AsUINT64,
    );

    let mut xsave = vec![0; p.vp_xsave_state_size(vp).unwrap() as usize];
    p.get_vp_xsave_state(vp, &mut xsave).unwrap();
    xsave[XMM0 + 5 * 16..XMM0 + 6 * 16].copy_from_slice(&[0x5a; 16]);
    xsave[XSTATE_BV] |= 3;
    xsave[0..2].copy_from_slice(&0x027fu16.to_le_bytes()); // FCW
    if avx {
        xsave[EXTENDED + 5 * 16..EXTENDED + 6 * 16].copy_from_slice(&[0xa5; 16]);
        xsave[XSTATE_BV] |= 4;
    }
    p.set_vp_xsave_state(vp, &xsave).unwrap();
    if avx {
        let old_cr4 = common::get64(p, vp, WHvX64RegisterCr4);
        common::set64(p, vp, WHvX64RegisterCr4, old_cr4 | 1 << 18);
        common::set64(p, vp, WHvX64RegisterXCr0, 7);
    }
}

/// Whether the VP's XSAVE state has the AVX component.
fn has_avx(p: &Partition) -> bool {
    let mut xsave = vec![0; p.vp_xsave_state_size(0).unwrap() as usize];
    p.get_vp_xsave_state(0, &mut xsave).unwrap();
    u64::from_le_bytes(xsave[XCOMP_BV..XCOMP_BV + 8].try_into().unwrap()) & 4 != 0
}

fn reset_restores_a_new_partitions_state(mode: WHV_X64_LOCAL_APIC_EMULATION_MODE) {
    let reset_page = HostMem::rw(0x1000);
    reset_page.write(0xff0, &[0xe6, DONE_PORT as u8]);
    let Some(p) = partition(mode) else {
        return;
    };
    let Some(fresh) = partition(mode) else {
        return;
    };
    let avx = has_avx(&p);
    if !avx {
        println!(
            "mode {}: the AVX part SKIPPED: no AVX in the VP's XSAVE state",
            mode.0
        );
    }
    let (g, cpl0, cpl3) = guest(avx, mode != WHvX64LocalApicEmulationModeNone);
    let image = g.memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let fresh_mem = HostMem::rw(image.size() as usize);
    fresh_mem.write(0, image.as_bytes());
    // SAFETY: the memory is declared before the partitions: it outlives them.
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), rwx()) }.unwrap();
    // SAFETY: as above.
    unsafe { fresh.map_gpa_range(fresh_mem.ptr.cast(), 0, image.size(), rwx()) }.unwrap();
    map_reset_page(&p, &reset_page);
    map_reset_page(&fresh, &reset_page);
    let what = format!("mode {}", mode.0);

    // The guest's changes (CPL0), then the VMM's, then a CPL3 run that
    // shows KVM has them.
    common::set_registers(&p, 0, &cpl0);
    run_to_done(&p, 0, "the CPL0 part");
    for (msr, value) in GUEST_MSRS.iter().filter(|m| m.0 != 0x10) {
        let name = match msr {
            0x174 => WHvX64RegisterSysenterCs,
            0xc000_0082 => WHvX64RegisterLstar,
            0x277 => WHvX64RegisterPat,
            _ => continue,
        };
        assert_eq!(
            common::get64(&p, 0, name),
            *value,
            "the guest wrote {name:?}"
        );
    }
    if mode != WHvX64LocalApicEmulationModeNone {
        let irr2 = common::get64(&p, 0, WHvX64RegisterApicIrr2);
        assert_eq!(irr2, 1 << 16, "the self-IPI is pending");
    }
    common::set_registers(&p, 0, &cpl3);
    vmm_changes(&p, 0, mode, avx);
    vmm_changes(&p, 1, mode, avx);
    // VP 1's changes reach KVM in a run that is canceled before it starts
    // (an AP with a LAPIC waits for SIPI).
    p.cancel_run_vp(1, 0).unwrap();
    assert_eq!(p.run_vp(1).unwrap().ExitReason, WHvRunVpExitReasonCanceled);
    // The NMI notification the VMM armed is reported first: NMIs are
    // deliverable at the CPL3 part's start.
    let x = p.run_vp(0).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64InterruptWindow);
    // SAFETY: the exit reason says InterruptWindow is the live member.
    let kind = unsafe { x.Anonymous.InterruptWindow.DeliverableType };
    assert_eq!(kind, WHvX64PendingNmi);
    run_to_done(&p, 0, "the CPL3 part");
    let data = &mem.bytes()[DATA as usize..DATA as usize + 64];
    assert_eq!(data[..16], [0x5a; 16], "the guest saw XMM5");
    if avx {
        assert_eq!(data[48..64], [0xa5; 16], "the guest saw YMM5's upper half");
    }
    let tsc_before = common::get64(&p, 0, WHvX64RegisterTsc);

    p.reset().unwrap();
    for vp in 0..2 {
        assert_same_state(&p, &fresh, vp, &format!("{what}: after the reset"), false);
    }
    // Reset keeps memory.
    assert_eq!(mem.bytes()[DATA as usize..DATA as usize + 16], [0x5a; 16]);

    // A fresh run from the reset vector, in both.
    run_to_done(&p, 0, "after the reset");
    run_to_done(&fresh, 0, "the new partition");
    assert_same_state(&p, &fresh, 0, &format!("{what}: after a run"), true);
    assert_same_state(&p, &fresh, 1, &format!("{what}: after a run"), true);

    check_tsc(&p, tsc_before);
}

/// The TSC after a reset: back to 0 on every VP and frozen until the
/// next run, where KVM can offset it.
fn check_tsc(p: &Partition, before: u64) {
    if !winhv::kvm_caps().unwrap().tsc_offset_control {
        println!(
            "TSC part SKIPPED: needs hardware virtualization (KVM here cannot offset the TSC)"
        );
        return;
    }
    assert!(
        before >= 1 << 60,
        "the guest's WRMSR moved the TSC: {before:#x}"
    );
    p.reset().unwrap();
    let t0 = common::get64(p, 0, WHvX64RegisterTsc);
    let t1 = common::get64(p, 1, WHvX64RegisterTsc);
    assert!(t0 < 1 << 40 && t1 < 1 << 40, "back near 0: {t0:#x} {t1:#x}");
    assert_eq!(
        t0,
        common::get64(p, 0, WHvX64RegisterTsc),
        "frozen until a run"
    );
    run_to_done(p, 0, "after the second reset");
    let after = common::get64(p, 0, WHvX64RegisterTsc);
    assert!(
        after > t0 && after < 1 << 40,
        "running again from there: {after:#x}"
    );
}

#[test]
fn reset_without_lapic_emulation() {
    if kvm_available() {
        reset_restores_a_new_partitions_state(WHvX64LocalApicEmulationModeNone);
    }
}

#[test]
fn reset_with_xapic() {
    if kvm_available() {
        reset_restores_a_new_partitions_state(WHvX64LocalApicEmulationModeXApic);
    }
}

#[test]
fn reset_with_x2apic() {
    if kvm_available() {
        reset_restores_a_new_partitions_state(WHvX64LocalApicEmulationModeX2Apic);
    }
}
