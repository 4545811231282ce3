//! Instruction fetch from guest-physical memory where nothing is mapped,
//! as a Windows VMM meets it: the run ends with a MemoryAccess exit —
//! AccessType Execute, GpaUnmapped, RIP at the code that cannot be fetched,
//! the fetch's GPA and GVA, no instruction bytes, InstructionLength 0 —,
//! the VMM maps memory there, and the next run executes it. In real mode,
//! virtual-8086 mode (real-mode code at CPL3), protected mode and long mode
//! at CPL0 and CPL3, and for a partition with no memory at all.
//!
//! On PVM (our machines' KVM) CPL3 code outside long mode is not
//! presented: KVM injects #UD (protected mode) or #GP(0) (virtual-8086
//! mode) into the guest instead of reporting the failed fetch
//! (docs/pvm.md); those two cases say SKIPPED there.
#![allow(
    unsafe_code,
    reason = "test guests live in mmap'd memory; exit contexts are C unions"
)]

mod common;

use common::{HostMem, TestVm, kvm_available, partition, rwx};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;
use winhv_guest::gdt::selector;
use winhv_guest::registers::Registers;
use winhv_guest::segment::Segment;

/// Whether `/dev/kvm` is PVM (DESIGN.md): the `kvm_pvm` module.
fn is_pvm() -> bool {
    std::path::Path::new("/sys/module/kvm_pvm").exists()
}

/// `out 0x42, al`: what the page mapped after the exit holds.
const OUT_42: [u8; 2] = [0xe6, 0x42];

/// Checks that `x` is Windows' exit for a fetch of the code at `rip`
/// (linear address `gva`, guest-physical `gpa`) at privilege `cpl`.
fn check_fetch(x: &WHV_RUN_VP_EXIT_CONTEXT, rip: u64, gva: u64, gpa: u64, cpl: u16) {
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonMemoryAccess,
        "a fetch from unmapped memory is a MemoryAccess exit"
    );
    assert_eq!(
        x.VpContext.Rip, rip,
        "RIP at the code that cannot be fetched"
    );
    assert_eq!(x.VpContext.ExecutionState.cpl(), cpl);
    assert_eq!(x.VpContext.instruction_length(), 0, "no instruction");
    // SAFETY: MemoryAccess is the live member.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(
        m.AccessInfo.access_type(),
        WHvMemoryAccessExecute.0 as u32,
        "an execute access"
    );
    assert_eq!(m.AccessInfo.gpa_unmapped(), 1);
    assert_eq!(m.AccessInfo.gva_valid(), 1);
    assert_eq!(m.Gpa, gpa, "the fetch's GPA");
    assert_eq!(m.Gva, gva, "the fetch's GVA");
    assert_eq!(m.InstructionByteCount, 0, "no instruction bytes");
}

/// Maps one page of RWX memory at `gpa` (page aligned) holding `code` at
/// `offset`; the memory is returned to be kept alive past the partition.
fn map_code_page(p: &Partition, gpa: u64, offset: usize, code: &[u8]) -> HostMem {
    let mem = HostMem::rw(0x1000);
    mem.write(offset, code);
    // SAFETY: the caller keeps `mem` alive for as long as the partition.
    unsafe { p.map_gpa_range(mem.ptr.cast(), gpa, 0x1000, rwx()) }.expect("map the code page");
    mem
}

/// Runs `vm` into the fetch exit for `target` (linear = guest-physical,
/// paging identity-maps it), checks it and that it repeats while nothing
/// is mapped, then maps `out 0x42, al` there: the next run executes it.
fn fetch_then_map(vm: &TestVm, rip: u64, target: u64, cpl: u16) {
    let x = vm.run();
    check_fetch(&x, rip, target, target, cpl);
    assert_eq!(vm.reg(WHvX64RegisterRip), rip, "the VP stays at the target");
    let again = vm.run();
    check_fetch(&again, rip, target, target, cpl);
    let page = target & !0xfff;
    let _code = map_code_page(&vm.p, page, (target - page) as usize, &OUT_42);
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "the mapped code runs"
    );
    assert_eq!(x.VpContext.Rip, rip);
    // SAFETY: IoPortAccess is the live member.
    let io = unsafe { x.Anonymous.IoPortAccess };
    assert_eq!(io.PortNumber, 0x42);
    // The page must outlive the partition's use of it.
    drop(vm.p.unmap_gpa_range(page, 0x1000));
}

#[test]
fn a_partition_without_memory_exits_at_the_reset_vector() {
    if !kvm_available() {
        return;
    }
    // The README's first steps: create, set up, one VP, run.
    let p = partition(1);
    let x = p.run_vp(0).expect("a run without memory is not an error");
    // The power-on state: CS.Base 0xffff0000, RIP 0xfff0.
    check_fetch(&x, 0xfff0, 0xffff_fff0, 0xffff_fff0, 0);
    assert_eq!(x.VpContext.Cs.Base, 0xffff_0000);
    let again = p.run_vp(0).expect("run again");
    check_fetch(&again, 0xfff0, 0xffff_fff0, 0xffff_fff0, 0);
    // The VMM maps its firmware there and runs on.
    let _rom = map_code_page(&p, 0xffff_f000, 0xff0, &OUT_42);
    let x = p.run_vp(0).unwrap();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    assert_eq!(x.VpContext.Rip, 0xfff0);
    drop(p);
}

#[test]
fn real_mode_far_jump_to_unmapped_memory() {
    if !kvm_available() {
        return;
    }
    // 192 KiB of RAM; jmp far 0x8000:0000 (linear 0x80000).
    let mut g = Guest::new(0, 0x3_0000).unwrap();
    let entry = g.layout().code;
    g.write(entry, &[0xea, 0x00, 0x00, 0x00, 0x80]).unwrap();
    let regs = g.real_mode(entry).unwrap();
    let vm = TestVm::new(&g, &regs);
    let x = vm.run();
    assert_eq!(x.VpContext.Cs.Selector, 0x8000, "the far jump loaded CS");
    assert_eq!(x.VpContext.Cs.Base, 0x8_0000);
    fetch_then_map(&vm, 0, 0x8_0000, 0);
}

#[test]
fn virtual_8086_mode_jump_to_unmapped_memory() {
    if !kvm_available() {
        return;
    }
    if is_pvm() {
        // KVM on PVM injects #GP(0) into the guest (docs/pvm.md).
        println!("SKIPPED: needs hardware virtualization");
        return;
    }
    // Real-mode code at CPL3: 132 KiB of RAM, code at 0x20000 (CS 0x2000),
    // jmp near to IP 0x8002 (linear 0x28002).
    let mut g = Guest::new(0, 0x2_1000).unwrap();
    let entry = g.layout().code;
    g.write(entry, &[0xe9, 0xff, 0x7f]).unwrap();
    let mut regs = g.protected32(entry).unwrap();
    let v86 = |selector: u16| Segment {
        base: u64::from(selector) << 4,
        limit: 0xffff,
        selector,
        attributes: 0xf3,
    };
    regs.cs = v86((entry >> 4) as u16);
    for s in [
        &mut regs.ss,
        &mut regs.ds,
        &mut regs.es,
        &mut regs.fs,
        &mut regs.gs,
    ] {
        *s = v86(0);
    }
    regs.rip = 0;
    regs.rsp = 0x7000;
    regs.rflags = 0x2_0002; // VM
    let vm = TestVm::new(&g, &regs);
    fetch_then_map(&vm, 0x8002, entry + 0x8002, 3);
}

/// Flat 32-bit protected mode, paging off: `mov eax, 0x400000; jmp eax`
/// with 2 MiB of RAM.
fn protected(user: bool) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(32, entry, |a| {
        a.mov(eax, 0x40_0000u32)?;
        a.jmp(eax)
    })
    .unwrap();
    let mut regs = g.protected32(entry).unwrap();
    if user {
        user32(&mut regs, g.layout().user_stack_top);
    }
    TestVm::new(&g, &regs)
}

/// Makes a flat protected-mode state CPL3 (the image GDT's user code and
/// data segments).
fn user32(regs: &mut Registers, stack: u64) {
    regs.cs = Segment::flat_code32(selector::USER_CODE32, 3);
    let data = Segment::flat_data(selector::USER_DATA, 3);
    for s in [
        &mut regs.ss,
        &mut regs.ds,
        &mut regs.es,
        &mut regs.fs,
        &mut regs.gs,
    ] {
        *s = data;
    }
    regs.rsp = stack;
}

#[test]
fn protected_mode_jump_to_unmapped_memory_at_cpl0() {
    if !kvm_available() {
        return;
    }
    fetch_then_map(&protected(false), 0x40_0000, 0x40_0000, 0);
}

#[test]
fn protected_mode_jump_to_unmapped_memory_at_cpl3() {
    if !kvm_available() {
        return;
    }
    if is_pvm() {
        // KVM on PVM injects #UD into the guest (docs/pvm.md).
        println!("SKIPPED: needs hardware virtualization");
        return;
    }
    fetch_then_map(&protected(true), 0x40_0000, 0x40_0000, 3);
}

/// Long mode with 4 GiB identity-mapped: `mov rax, 1 GiB; jmp rax` with
/// 2 MiB of RAM.
fn long(user: bool) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rax, 0x4000_0000u64)?;
        a.jmp(rax)
    })
    .unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    TestVm::new(&g, &regs)
}

#[test]
fn long_mode_jump_to_unmapped_memory_at_cpl0() {
    if !kvm_available() {
        return;
    }
    fetch_then_map(&long(false), 0x4000_0000, 0x4000_0000, 0);
}

#[test]
fn long_mode_jump_to_unmapped_memory_at_cpl3() {
    if !kvm_available() {
        return;
    }
    fetch_then_map(&long(true), 0x4000_0000, 0x4000_0000, 3);
}

#[test]
fn an_instruction_that_runs_into_unmapped_memory_exits_at_its_start() {
    if !kvm_available() {
        return;
    }
    // `mov eax, imm32` whose last three bytes would be in the first page
    // past the 2 MiB of RAM.
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    let at = (1u64 << 21) - 2;
    g.assemble_at(64, entry, |a| {
        a.mov(rax, at)?;
        a.jmp(rax)
    })
    .unwrap();
    g.write(at, &[0xb8, 0x78]).unwrap();
    let regs = g.long64(entry).unwrap();
    let vm = TestVm::new(&g, &regs);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess);
    assert_eq!(x.VpContext.Rip, at, "RIP at the instruction");
    assert_eq!(x.VpContext.instruction_length(), 0);
    // SAFETY: MemoryAccess is the live member.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.AccessInfo.access_type(), WHvMemoryAccessExecute.0 as u32);
    assert_eq!(m.AccessInfo.gpa_unmapped(), 1);
    assert_eq!(m.Gpa, 1 << 21, "the page that could not be fetched");
    assert_eq!(m.Gva, 1 << 21);
    let _rest = map_code_page(&vm.p, 1 << 21, 0, &[0x56, 0x34, 0x12, 0xf4]);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(vm.reg(WHvX64RegisterRax), 0x1234_5678);
    drop(vm.p.unmap_gpa_range(1 << 21, 0x1000));
}
