//! I/O-port exits presented as Windows does (RIP at the instruction, its
//! length and bytes, pre-instruction registers) and a VMM loop doing each
//! IN/OUT exactly once, at CPL0 (emulated on PVM) and CPL3 (native).
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// One expected exit: port, size, is_write, the instruction bytes.
struct Expect {
    port: u16,
    size: u32,
    write: bool,
    bytes: &'static [u8],
    /// For writes: the data (low `size` bytes of RAX). For reads: the value
    /// the VMM answers with.
    data: u32,
}

fn build(user: bool) -> (Guest, winhv_guest::registers::Registers, u64) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(edx, 0x60u32)?; // ba 60 00 00 00
        a.mov(al, 0x11u32)?; // b0 11
        a.out(0x10, al)?; // e6 10
        a.mov(ax, 0x2233u32)?; // 66 b8 33 22
        a.out(dx, ax)?; // 66 ef
        a.in_(al, 0x20)?; // e4 20
        a.mov(bl, al)?; // 88 c3
        a.in_(eax, dx)?; // ed
        a.mov(ecx, eax)?; // 89 c1
        a.out(0x30, eax)?; // e7 30
        a.hlt()
    })
    .unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    (g, regs, entry)
}

const EXPECTED: &[Expect] = &[
    Expect {
        port: 0x10,
        size: 1,
        write: true,
        bytes: &[0xe6, 0x10],
        data: 0x11,
    },
    Expect {
        port: 0x60,
        size: 2,
        write: true,
        bytes: &[0x66, 0xef],
        data: 0x2233,
    },
    Expect {
        port: 0x20,
        size: 1,
        write: false,
        bytes: &[0xe4, 0x20],
        data: 0x44,
    },
    Expect {
        port: 0x60,
        size: 4,
        write: false,
        bytes: &[0xed],
        data: 0x5566_7788,
    },
    Expect {
        port: 0x30,
        size: 4,
        write: true,
        bytes: &[0xe7, 0x30],
        data: 0x5566_7788,
    },
];

/// Offsets of the expected instructions from the entry.
const OFFSETS: [u64; 5] = [7, 13, 15, 19, 22];

fn exactly_once(user: bool) {
    if !kvm_available() {
        return;
    }
    let (g, regs, entry) = build(user);
    let vm = TestVm::new(&g, &regs);
    for (e, off) in EXPECTED.iter().zip(OFFSETS) {
        let x = vm.run();
        assert_eq!(
            x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
            "exit at {off:#x}"
        );
        assert_eq!(x.VpContext.Rip, entry + off, "RIP at the instruction");
        assert_eq!(
            u64::from(x.VpContext.instruction_length()),
            e.bytes.len() as u64
        );
        assert_eq!(x.VpContext.ExecutionState.cpl(), if user { 3 } else { 0 });
        assert_eq!(x.VpContext.ExecutionState.cr0_pe(), 1);
        assert_eq!(x.VpContext.ExecutionState.efer_lma(), 1);
        assert_eq!(x.VpContext.Cs.Selector, regs.cs.selector);
        // SAFETY: the exit reason says IoPortAccess is the live member.
        let io = unsafe { x.Anonymous.IoPortAccess };
        assert_eq!(io.PortNumber, e.port);
        assert_eq!(io.AccessInfo.access_size(), e.size);
        assert_eq!(io.AccessInfo.is_write(), u32::from(e.write));
        assert_eq!(io.AccessInfo.string_op(), 0);
        assert_eq!(io.AccessInfo.rep_prefix(), 0);
        assert!(io.InstructionByteCount as usize >= e.bytes.len());
        assert_eq!(&io.InstructionBytes[..e.bytes.len()], e.bytes);
        assert_eq!(io.Rax, vm.reg(WHvX64RegisterRax));
        assert_eq!(io.Rcx, vm.reg(WHvX64RegisterRcx));
        let mask = if e.size == 4 {
            0xffff_ffff
        } else {
            (1u64 << (e.size * 8)) - 1
        };
        if e.write {
            assert_eq!(io.Rax & mask, u64::from(e.data), "data of the write");
        } else {
            let value = (io.Rax & !mask) | u64::from(e.data);
            let value = if e.size == 4 {
                u64::from(e.data)
            } else {
                value
            };
            vm.set_reg(WHvX64RegisterRax, value);
        }
        vm.skip(&x);
    }
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64Halt,
        "every I/O instruction exited exactly once"
    );
    assert_eq!(
        vm.reg(WHvX64RegisterRbx) & 0xff,
        0x44,
        "IN AL got the VMM's value"
    );
    assert_eq!(
        vm.reg(WHvX64RegisterRcx),
        0x5566_7788,
        "IN EAX got the VMM's value"
    );
}

#[test]
fn io_exactly_once_cpl0() {
    exactly_once(false);
}

#[test]
fn io_exactly_once_cpl3() {
    exactly_once(true);
}

/// A VMM that does not advance RIP sees the instruction again (Windows'
/// semantics), for a write and for a read.
#[test]
fn io_not_skipped_runs_again() {
    if !kvm_available() {
        return;
    }
    let (g, regs, entry) = build(false);
    let vm = TestVm::new(&g, &regs);
    let x1 = vm.run();
    let x2 = vm.run();
    assert_eq!(x2.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    assert_eq!(x1.VpContext.Rip, entry + 7);
    assert_eq!(x2.VpContext.Rip, entry + 7, "the OUT runs again");
    vm.skip(&x2);
    let x = vm.run();
    vm.skip(&x);
    let r1 = vm.run();
    assert_eq!(r1.VpContext.Rip, entry + 15);
    vm.set_reg(WHvX64RegisterRax, 0x99);
    let r2 = vm.run();
    assert_eq!(r2.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    assert_eq!(r2.VpContext.Rip, entry + 15, "the IN runs again");
    // SAFETY: IoPortAccess is live.
    let seen = unsafe { r2.Anonymous.IoPortAccess.Rax };
    assert_eq!(seen & 0xff, 0x99, "the VMM's RAX stayed");
}

/// The VMM's whole RAX wins, not only the bytes the IN reads.
fn in_keeps_vmm_rax(user: bool) {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.in_(al, 0x20)?;
        a.mov(cx, 0x60u32)?;
        a.mov(dx, cx)?;
        a.in_(ax, dx)?;
        a.hlt()
    })
    .unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    let vm = TestVm::new(&g, &regs);
    let x = vm.run();
    vm.set_reg(WHvX64RegisterRax, 0x1122_3344_5566_7744);
    vm.skip(&x);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    assert_eq!(vm.reg(WHvX64RegisterRax), 0x1122_3344_5566_7744);
    vm.set_reg(WHvX64RegisterRax, 0x8877_6655_4433_beef);
    vm.skip(&x);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(vm.reg(WHvX64RegisterRax), 0x8877_6655_4433_beef);
}

#[test]
fn in_keeps_vmm_rax_cpl0() {
    in_keeps_vmm_rax(false);
}

#[test]
fn in_keeps_vmm_rax_cpl3() {
    in_keeps_vmm_rax(true);
}
