//! MSR exits in both directions: under a policy that sends unimplemented
//! MSRs to the VMM (ExtendedVmExits.X64MsrExit, or UnimplementedMsrAction
//! Exit), a CPL0 guest's RDMSR and WRMSR of the same MSR either both stay
//! in KVM (it implements the MSR) or both exit — also for the MSRs KVM
//! answers in one direction only, such as IA32_P5_MC_ADDR (0x0), whose
//! read KVM answers with 0 and whose write it does not know.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, kvm_available};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;

/// IA32_P5_MC_ADDR, IA32_P5_MC_TYPE, IA32_PLATFORM_ID, EBL_CR_POWERON,
/// EBC_FREQUENCY_ID, MSR_LASTBRANCHFROMIP, MSR_RAPL_POWER_UNIT, AMD's
/// SYSCFG (KVM answers reads of each of these itself, writes of several
/// not), and one nothing implements.
const MSRS: [u32; 9] = [
    0x0,
    0x1,
    0x17,
    0x2a,
    0x2c,
    0x1db,
    0x606,
    0xc001_0010,
    0x4000_1234,
];
/// IA32_STAR: implemented in both directions; never exits.
const STAR: u32 = 0xc000_0081;

/// A CPL0 guest that reads then writes (EDX:EAX = 0x22:0x11) each MSR,
/// writes and reads back STAR, and halts with STAR's value in RBX.
fn program() -> (Guest, winhv_guest::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        use winhv_guest::asm::code_asm::*;
        for m in MSRS {
            a.mov(ecx, m)?;
            a.rdmsr()?;
            a.mov(ecx, m)?;
            a.mov(eax, 0x11u32)?;
            a.mov(edx, 0x22u32)?;
            a.wrmsr()?;
        }
        a.mov(ecx, STAR)?;
        a.mov(eax, 0x5555_0000u32)?;
        a.mov(edx, 0x0023_0010u32)?;
        a.wrmsr()?;
        a.xor(eax, eax)?;
        a.rdmsr()?;
        a.mov(ebx, eax)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    (g, regs)
}

/// [`program`] on a one-VP partition whose properties `before_setup` sets
/// (false: a SKIPPED line, KVM here has no user-space MSR exits).
fn guest(before_setup: impl FnOnce(&Partition) -> winhv::Result<()>) -> Option<TestVm> {
    let (g, regs) = program();
    let image = g.memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    if let Err(e) = before_setup(&p) {
        assert!(
            !winhv::kvm_caps().unwrap().user_space_msr,
            "MSR exits refused although KVM has them: {e}"
        );
        println!("SKIPPED: no user-space MSR exits here");
        return None;
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // SAFETY: `mem` lives in the returned TestVm, which drops `p` first.
    unsafe { p.map_gpa_range(mem.ptr.cast(), image.base(), image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &regs);
    Some(TestVm { p, mem })
}

/// Runs the guest to its HLT, completing every MSR exit as a VMM does
/// (a read returns `!index`); returns (MSR, is write) of each exit.
fn run(vm: &TestVm) -> Vec<(u32, bool)> {
    let mut exits = Vec::new();
    loop {
        let x = vm.run();
        if x.ExitReason == WHvRunVpExitReasonX64Halt {
            return exits;
        }
        assert_eq!(
            x.ExitReason, WHvRunVpExitReasonX64MsrAccess,
            "only MSR exits before the HLT (exception port: a #GP)"
        );
        // SAFETY: the exit reason says MsrAccess is the live member.
        let m = unsafe { x.Anonymous.MsrAccess };
        let write = m.AccessInfo.is_write() != 0;
        if write {
            assert_eq!((m.Rax, m.Rdx), (0x11, 0x22), "MSR {:#x}", m.MsrNumber);
        } else {
            vm.set_reg(WHvX64RegisterRax, u64::from(!m.MsrNumber));
            vm.set_reg(WHvX64RegisterRdx, 0);
        }
        exits.push((m.MsrNumber, write));
        vm.skip(&x);
    }
}

fn check_both_directions(exits: &[(u32, bool)]) {
    println!("exits: {exits:x?}");
    for m in MSRS {
        let read = exits.contains(&(m, false));
        let write = exits.contains(&(m, true));
        assert_eq!(
            read, write,
            "MSR {m:#x}: the read exits: {read}, the write exits: {write}"
        );
    }
    for m in [0x0, 0x4000_1234] {
        assert!(
            exits.contains(&(m, false)) && exits.contains(&(m, true)),
            "MSR {m:#x} is not one KVM implements: both directions exit"
        );
    }
    assert!(!exits.iter().any(|&(m, _)| m == STAR), "STAR stays in KVM");
    assert_eq!(
        exits.len(),
        exits
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "each access exits once"
    );
}

#[test]
fn x64_msr_exit_sees_reads_and_writes_alike() {
    if !kvm_available() {
        return;
    }
    let mut ext = WHV_EXTENDED_VM_EXITS::default();
    ext.set_x64_msr_exit(1);
    let Some(vm) = guest(|p| {
        p.set_property(
            WHvPartitionPropertyCodeExtendedVmExits,
            &ext.AsUINT64.to_le_bytes(),
        )
    }) else {
        return;
    };
    let exits = run(&vm);
    check_both_directions(&exits);
    assert_eq!(vm.reg(WHvX64RegisterRbx), 0x5555_0000, "STAR round-trips");
}

#[test]
fn unimplemented_msr_action_exit_sees_reads_and_writes_alike() {
    if !kvm_available() {
        return;
    }
    let Some(vm) = guest(|p| {
        p.set_property(
            WHvPartitionPropertyCodeUnimplementedMsrAction,
            &WHvMsrActionExit.0.to_le_bytes(),
        )
    }) else {
        return;
    };
    let exits = run(&vm);
    check_both_directions(&exits);
}

#[test]
fn without_msr_exits_nothing_leaves_kvm() {
    if !kvm_available() {
        return;
    }
    // The default policy: KVM's own answers, #GP for what it does not
    // know (reported by the guest's exception handler on its port).
    let Some(vm) = guest(|_| Ok(())) else { return };
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    // SAFETY: the exit reason says IoPortAccess is the live member.
    let io = unsafe { x.Anonymous.IoPortAccess };
    assert_eq!(io.PortNumber, winhv_guest::layout::DEFAULT_EXCEPTION_PORT);
    assert_eq!(io.Rax & 0xff, 13, "#GP from the first unknown WRMSR");
}
