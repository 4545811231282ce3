//! The other exit reasons: HLT, triple fault, MSR accesses (with the VMM
//! completing them as on Windows), interrupt windows, exception exits
//! (present only where KVM guest debug works), and Canceled.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

fn long64(user: bool, build: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, build).unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    TestVm::new(&g, &regs)
}

#[test]
fn halt_exit() {
    if !kvm_available() {
        return;
    }
    let vm = long64(false, |a| {
        a.nop()?;
        a.hlt()?;
        a.hlt()
    });
    let entry = vm.reg(WHvX64RegisterRip);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(x.VpContext.Rip, entry + 2, "HLT completes: RIP after it");
    assert_eq!(x.VpContext.ExecutionState.cpl(), 0);
    assert_eq!(x.VpContext.Rflags & 2, 2);
    assert_eq!(x.VpContext.Cs.Selector, 0x10);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(x.VpContext.Rip, entry + 3);
}

#[test]
fn triple_fault_is_unrecoverable() {
    if !kvm_available() {
        return;
    }
    let vm = long64(false, |a| {
        a.nop()?;
        a.ud2()
    });
    // No IDT: #UD → #DF → triple fault.
    let mut v = WHV_REGISTER_VALUE::default();
    v.Table = WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: 0,
        Base: 0,
    };
    vm.p.set_vp_registers(0, &[WHvX64RegisterIdtr], &[v])
        .unwrap();
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonUnrecoverableException);
}

fn set_property(vm: &TestVm, code: WHV_PARTITION_PROPERTY_CODE, v: u64) -> winhv::Result<()> {
    vm.p.set_property(code, &v.to_le_bytes())
}

#[test]
fn msr_exits_completed_by_the_vmm() {
    if !kvm_available() {
        return;
    }
    let vm = long64(false, |a| {
        a.mov(ecx, 0x10u32)?; // IA32_TIME_STAMP_COUNTER
        a.rdmsr()?;
        a.mov(ebx, eax)?;
        a.mov(r9, rdx)?;
        a.mov(ecx, 0x4000_1234u32)?; // nothing KVM implements
        a.mov(eax, 5u32)?;
        a.mov(edx, 6u32)?;
        a.wrmsr()?;
        a.hlt()
    });
    let mut ext = WHV_EXTENDED_VM_EXITS::default();
    ext.set_x64_msr_exit(1);
    let mut bitmap = WHV_X64_MSR_EXIT_BITMAP::default();
    bitmap.set_tsc_msr_read(1);
    if let Err(e) = set_property(&vm, WHvPartitionPropertyCodeExtendedVmExits, ext.AsUINT64)
        .and_then(|_| {
            set_property(
                &vm,
                WHvPartitionPropertyCodeX64MsrExitBitmap,
                bitmap.AsUINT64,
            )
        })
    {
        assert!(
            !winhv::kvm_caps().unwrap().user_space_msr,
            "MSR exits refused although KVM has them: {e}"
        );
        println!("SKIPPED: no user-space MSR exits here");
        return;
    }
    let entry = vm.reg(WHvX64RegisterRip);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64MsrAccess);
    assert_eq!(x.VpContext.Rip, entry + 5, "RIP at RDMSR");
    assert_eq!(x.VpContext.instruction_length(), 2);
    // SAFETY: MsrAccess is live.
    let m = unsafe { x.Anonymous.MsrAccess };
    assert_eq!(m.MsrNumber, 0x10);
    assert_eq!(m.AccessInfo.is_write(), 0);
    vm.set_reg(WHvX64RegisterRax, 0x1111);
    vm.set_reg(WHvX64RegisterRdx, 0x2222);
    vm.skip(&x);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64MsrAccess);
    // SAFETY: MsrAccess is live.
    let m = unsafe { x.Anonymous.MsrAccess };
    assert_eq!(m.MsrNumber, 0x4000_1234);
    assert_eq!(m.AccessInfo.is_write(), 1);
    assert_eq!((m.Rax, m.Rdx), (5, 6));
    assert_eq!(
        vm.reg(WHvX64RegisterRbx),
        0x1111,
        "RDMSR result from the VMM"
    );
    assert_eq!(vm.reg(WHvX64RegisterR9), 0x2222);
    vm.skip(&x);
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64Halt,
        "each MSR access exited once"
    );
    assert_eq!(x.VpContext.Rip, entry + 5 + 2 + 2 + 3 + 5 + 5 + 5 + 2 + 1);
    // MSR exits turned off after setup: the TSC read stays in KVM and the
    // unknown MSR's write gets KVM's #GP (reported by the guest's IDT).
    set_property(&vm, WHvPartitionPropertyCodeExtendedVmExits, 0).unwrap();
    vm.set_reg(WHvX64RegisterRip, entry);
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "no MSR exit once turned off"
    );
    // SAFETY: IoPortAccess is live.
    let io = unsafe { x.Anonymous.IoPortAccess };
    assert_eq!(io.PortNumber, winhv_guest::layout::DEFAULT_EXCEPTION_PORT);
    assert_eq!(io.Rax & 0xff, 13, "#GP from the WRMSR");
}

#[test]
fn interrupt_window_exit_and_injection() {
    if !kvm_available() {
        return;
    }
    let vm = long64(false, |a| {
        a.cli()?;
        a.nop()?;
        a.sti()?;
        a.nop()?;
        a.nop()?;
        a.hlt()?;
        a.hlt()
    });
    let entry = vm.reg(WHvX64RegisterRip);
    let mut v = WHV_REGISTER_VALUE::default();
    v.DeliverabilityNotifications = WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER { AsUINT64: 2 };
    vm.p.set_vp_registers(0, &[WHvX64RegisterDeliverabilityNotifications], &[v])
        .unwrap();
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64InterruptWindow);
    // SAFETY: InterruptWindow is live.
    let deliverable = unsafe { x.Anonymous.InterruptWindow.DeliverableType };
    assert_eq!(deliverable, WHvX64PendingInterrupt);
    assert!(x.VpContext.Rip > entry + 2, "after STI");
    assert_ne!(x.VpContext.Rflags & (1 << 9), 0, "IF set");
    // Reported once: the notification bit is cleared.
    let mut out = [WHV_REGISTER_VALUE::default()];
    vm.p.get_vp_registers(0, &[WHvX64RegisterDeliverabilityNotifications], &mut out)
        .unwrap();
    // SAFETY: read as written.
    assert_eq!(unsafe { out[0].Reg64 } & 2, 0);
    // Inject vector 0x30: the guest's IDT reports it with `out` on the
    // exception port.
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = 1 | (0x30 << 16);
    vm.p.set_vp_registers(0, &[WHvRegisterPendingInterruption], &[v])
        .unwrap();
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "the interrupt handler ran"
    );
    // SAFETY: IoPortAccess is live.
    let io = unsafe { x.Anonymous.IoPortAccess };
    assert_eq!(io.PortNumber, winhv_guest::layout::DEFAULT_EXCEPTION_PORT);
    assert_eq!(io.Rax & 0xff, 0x30, "vector 0x30 delivered");
}

#[test]
fn interrupt_window_waits_for_sti() {
    if !kvm_available() {
        return;
    }
    // IF clear until STI; the window opens afterwards (at the HLT here on
    // PVM, right after STI's shadow on hardware).
    let vm = long64(false, |a| {
        a.cli()?;
        a.out(0x10, al)?;
        a.sti()?;
        a.nop()?;
        a.hlt()
    });
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = 2;
    vm.p.set_vp_registers(0, &[WHvX64RegisterDeliverabilityNotifications], &[v])
        .unwrap();
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "no window while IF is clear"
    );
    vm.skip(&x);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64InterruptWindow);
    // Nothing injected: the guest goes on and halts.
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
}

#[test]
fn exception_exits_only_where_kvm_gives_them() {
    if !kvm_available() {
        return;
    }
    let vm = long64(false, |a| {
        a.nop()?;
        a.int3()?;
        a.hlt()
    });
    let mut ext = WHV_EXTENDED_VM_EXITS::default();
    ext.set_exception_exit(1);
    let r = set_property(&vm, WHvPartitionPropertyCodeExtendedVmExits, ext.AsUINT64)
        .and_then(|_| set_property(&vm, WHvPartitionPropertyCodeExceptionExitBitmap, 1 << 3));
    let works = winhv::kvm_caps().unwrap().guest_debug_sw_bp;
    if !works {
        assert!(
            r.is_err(),
            "#BP exits must be refused where KVM guest debug does not work"
        );
        println!("exception exits absent here (KVM guest debug does not work on this kernel)");
        return;
    }
    r.unwrap();
    let entry = vm.reg(WHvX64RegisterRip);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonException);
    // SAFETY: VpException is live.
    let e = unsafe { x.Anonymous.VpException };
    assert_eq!(e.ExceptionType, 3);
    assert_eq!(x.VpContext.Rip, entry + 1);
    assert_eq!(e.InstructionBytes[0], 0xcc);
}

#[test]
fn cancel_before_run_and_during_run() {
    if !kvm_available() {
        return;
    }
    // CPL3 spin: natively executed on PVM, so only a cancel ends it.
    let vm = long64(true, |a| {
        let mut l = a.create_label();
        a.set_label(&mut l)?;
        a.jmp(l)
    });
    vm.p.cancel_run_vp(0, 0).unwrap();
    assert_eq!(
        vm.run().ExitReason,
        WHvRunVpExitReasonCanceled,
        "cancel before run"
    );
    std::thread::scope(|s| {
        let runner = s.spawn(|| vm.p.run_vp(0).unwrap());
        // Cancel until the runner is done (the first cancel may land before
        // KVM_RUN, which is fine too).
        while !runner.is_finished() {
            vm.p.cancel_run_vp(0, 0).unwrap();
            std::thread::yield_now();
        }
        let x = runner.join().unwrap();
        assert_eq!(x.ExitReason, WHvRunVpExitReasonCanceled);
        // SAFETY: CancelReason is live.
        let reason = unsafe { x.Anonymous.CancelReason.CancelReason };
        assert_eq!(reason, WHvRunVpCancelReasonUser);
    });
    assert_eq!(vm.p.cancel_run_vp(0, 1).unwrap_err().hresult, E_INVALIDARG);
}

#[test]
fn invalid_register_state_is_an_exit() {
    if !kvm_available() {
        return;
    }
    let vm = long64(false, |a| {
        a.nop()?;
        a.hlt()
    });
    // EFER.LMA without EFER.LME: KVM refuses the state at entry.
    vm.set_reg(WHvX64RegisterEfer, (1 << 10) | (1 << 11));
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonInvalidVpRegisterValue);
}

#[test]
fn partition_with_emulated_local_apic_runs() {
    if !kvm_available() {
        return;
    }
    let program = winhv_guest::programs::out_loop_user(0x42, 3).unwrap();
    let image = &program.memory;
    let mem = common::HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = winhv::Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    let mode = WHvX64LocalApicEmulationModeXApic.0.to_le_bytes();
    p.set_property(WHvPartitionPropertyCodeLocalApicEmulationMode, &mode)
        .unwrap();
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // SAFETY: `mem` is declared before `p`, so it outlives the partition.
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &program.registers);
    for n in (1..=3).rev() {
        let x = p.run_vp(0).unwrap();
        assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
        // SAFETY: IoPortAccess is live.
        let io = unsafe { x.Anonymous.IoPortAccess };
        assert_eq!((io.PortNumber, io.Rax & 0xff), (0x42, n));
        let rip = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
        common::set64(&p, 0, WHvX64RegisterRip, rip);
    }
}

/// UnimplementedMsrAction = IgnoreWriteReadZero: no exit, no #GP; reads
/// give 0.
#[test]
fn unimplemented_msrs_ignored_when_asked() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(ecx, 0x4000_1234u32)?;
        a.mov(eax, 5u32)?;
        a.mov(edx, 6u32)?;
        a.wrmsr()?;
        a.rdmsr()?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let image = g.memory();
    let mem = common::HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = winhv::Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    let action = WHvMsrActionIgnoreWriteReadZero.0.to_le_bytes();
    if let Err(e) = p.set_property(WHvPartitionPropertyCodeUnimplementedMsrAction, &action) {
        assert!(!winhv::kvm_caps().unwrap().user_space_msr, "refused: {e}");
        println!("SKIPPED: no user-space MSR exits here");
        return;
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    // SAFETY: `mem` is declared before `p`, so it outlives the partition.
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &regs);
    let x = p.run_vp(0).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt, "no exit, no #GP");
    assert_eq!(common::get64(&p, 0, WHvX64RegisterRax), 0);
    assert_eq!(common::get64(&p, 0, WHvX64RegisterRdx), 0);
}
