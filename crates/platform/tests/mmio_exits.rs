//! MMIO exits (MemoryAccess to unmapped GPAs) presented as Windows does, and
//! a VMM loop doing each plain load/store exactly once, at CPL0 and CPL3.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const MMIO: u64 = 0x1000_0000;

/// An access the guest makes: instruction bytes, GPA, write?, and for a
/// read the destination register and the value it ends with.
struct Access {
    bytes: &'static [u8],
    gpa: u64,
    write: bool,
    dest: Option<(WHV_REGISTER_NAME, u64)>,
}

const ACCESSES: &[Access] = &[
    Access {
        bytes: &[0xc6, 0x07, 0x5a],
        gpa: MMIO,
        write: true,
        dest: None,
    },
    Access {
        bytes: &[0x66, 0xc7, 0x47, 0x02, 0x34, 0x12],
        gpa: MMIO + 2,
        write: true,
        dest: None,
    },
    Access {
        bytes: &[0x89, 0x47, 0x04],
        gpa: MMIO + 4,
        write: true,
        dest: None,
    },
    Access {
        bytes: &[0x48, 0x89, 0x5f, 0x08],
        gpa: MMIO + 8,
        write: true,
        dest: None,
    },
    Access {
        bytes: &[0x88, 0x67, 0x10],
        gpa: MMIO + 16,
        write: true,
        dest: None,
    },
    Access {
        bytes: &[0x8b, 0x4f, 0x20],
        gpa: MMIO + 0x20,
        write: false,
        dest: Some((WHvX64RegisterRcx, 0xcafe_f00d)),
    },
    Access {
        bytes: &[0x0f, 0xb6, 0x57, 0x24],
        gpa: MMIO + 0x24,
        write: false,
        dest: Some((WHvX64RegisterRdx, 0xfe)),
    },
    Access {
        bytes: &[0x4c, 0x0f, 0xbf, 0x47, 0x26],
        gpa: MMIO + 0x26,
        write: false,
        dest: Some((WHvX64RegisterR8, 0xffff_ffff_ffff_8001)),
    },
    Access {
        bytes: &[0x48, 0x8b, 0x77, 0x28],
        gpa: MMIO + 0x28,
        write: false,
        dest: Some((WHvX64RegisterRsi, 0x0102_0304_0506_0708)),
    },
];

fn build(user: bool) -> (Guest, winhv_guest::registers::Registers, Vec<u8>, u64) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    let end = g
        .assemble_at(64, entry, |a| {
            a.mov(rdi, MMIO)?;
            a.mov(byte_ptr(rdi), 0x5a)?;
            a.mov(word_ptr(rdi + 2), 0x1234)?;
            a.mov(eax, 0xdead_beef_u32)?;
            a.mov(dword_ptr(rdi + 4), eax)?;
            a.mov(rbx, 0x1122_3344_5566_7788_u64)?;
            a.mov(qword_ptr(rdi + 8), rbx)?;
            a.mov(ah, 0x77u32)?;
            a.mov(byte_ptr(rdi + 16), ah)?;
            a.mov(ecx, dword_ptr(rdi + 0x20))?;
            a.movzx(edx, byte_ptr(rdi + 0x24))?;
            a.movsx(r8, word_ptr(rdi + 0x26))?;
            a.mov(rsi, qword_ptr(rdi + 0x28))?;
            a.hlt()
        })
        .unwrap();
    let code = g.memory().as_bytes()[entry as usize..end as usize].to_vec();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    (g, regs, code, entry)
}

fn find(code: &[u8], pattern: &[u8]) -> u64 {
    code.windows(pattern.len())
        .position(|w| w == pattern)
        .expect("instruction in the code") as u64
}

fn exactly_once(user: bool) {
    if !kvm_available() {
        return;
    }
    let (g, regs, code, entry) = build(user);
    let vm = TestVm::new(&g, &regs);
    let mut written = Vec::new();
    for a in ACCESSES {
        let x = vm.run();
        assert_eq!(
            x.ExitReason, WHvRunVpExitReasonMemoryAccess,
            "exit for {:x?}",
            a.bytes
        );
        assert_eq!(
            x.VpContext.Rip,
            entry + find(&code, a.bytes),
            "RIP at the instruction {:x?}",
            a.bytes
        );
        assert_eq!(usize::from(x.VpContext.instruction_length()), a.bytes.len());
        assert_eq!(x.VpContext.ExecutionState.cpl(), if user { 3 } else { 0 });
        // SAFETY: MemoryAccess is the live member.
        let m = unsafe { x.Anonymous.MemoryAccess };
        assert_eq!(m.Gpa, a.gpa);
        assert_eq!(m.AccessInfo.access_type(), if a.write { 1 } else { 0 });
        assert_eq!(m.AccessInfo.gpa_unmapped(), 1);
        assert_eq!(m.AccessInfo.gva_valid(), 1);
        assert_eq!(m.Gva, a.gpa, "identity-mapped GVA");
        assert_eq!(&m.InstructionBytes[..a.bytes.len()], a.bytes);
        assert_eq!(
            vm.reg(WHvX64RegisterRip),
            x.VpContext.Rip,
            "the VP's RIP is the exit's"
        );
        if a.write {
            // The registers are as before the store: the data is readable.
            written.push((a.gpa, vm.reg(WHvX64RegisterRax), vm.reg(WHvX64RegisterRbx)));
        }
        if let Some((reg, value)) = a.dest {
            vm.set_reg(reg, value);
        }
        vm.skip(&x);
    }
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64Halt,
        "every access exited exactly once"
    );
    for a in ACCESSES {
        if let Some((reg, value)) = a.dest {
            assert_eq!(vm.reg(reg), value, "{reg:?} holds what the VMM loaded");
        }
    }
    assert_eq!(written[2].1 & 0xffff_ffff, 0xdead_beef);
    assert_eq!(written[3].2, 0x1122_3344_5566_7788);
}

#[test]
fn mmio_exactly_once_cpl0() {
    exactly_once(false);
}

#[test]
fn mmio_exactly_once_cpl3() {
    exactly_once(true);
}

/// A VMM that leaves RIP alone sees the access again: a store and a load.
#[test]
fn mmio_not_skipped_runs_again() {
    if !kvm_available() {
        return;
    }
    let (g, regs, code, entry) = build(false);
    let vm = TestVm::new(&g, &regs);
    let first = vm.run();
    let again = vm.run();
    assert_eq!(again.VpContext.Rip, first.VpContext.Rip);
    assert_eq!(again.VpContext.Rip, entry + find(&code, ACCESSES[0].bytes));
    for _ in 0..5 {
        let x = vm.run();
        vm.skip(&x);
    }
    // Now at the first load (mov ecx, [rdi+0x20]).
    let load = vm.run();
    assert_eq!(load.VpContext.Rip, entry + find(&code, ACCESSES[5].bytes));
    vm.set_reg(WHvX64RegisterRcx, 0x1234);
    let load2 = vm.run();
    assert_eq!(load2.ExitReason, WHvRunVpExitReasonMemoryAccess);
    assert_eq!(
        load2.VpContext.Rip, load.VpContext.Rip,
        "the load runs again"
    );
    assert_eq!(vm.reg(WHvX64RegisterRcx), 0x1234, "the VMM's RCX stayed");
}

/// Byte loads into AH and CL: the VMM's whole register wins.
#[test]
fn byte_loads_keep_the_vmm_register() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, MMIO)?;
        a.mov(ah, byte_ptr(rdi + 1))?;
        a.mov(cl, byte_ptr(rdi + 2))?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let vm = TestVm::new(&g, &regs);
    let x = vm.run();
    // SAFETY: MemoryAccess is live.
    assert_eq!(unsafe { x.Anonymous.MemoryAccess.Gpa }, MMIO + 1);
    vm.set_reg(WHvX64RegisterRax, 0xaaaa_bbbb_cccc_5a00);
    vm.skip(&x);
    let x = vm.run();
    // SAFETY: MemoryAccess is live.
    assert_eq!(unsafe { x.Anonymous.MemoryAccess.Gpa }, MMIO + 2);
    vm.set_reg(WHvX64RegisterRcx, 0x1234_5678_9abc_de77);
    vm.skip(&x);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(vm.reg(WHvX64RegisterRax), 0xaaaa_bbbb_cccc_5a00);
    assert_eq!(vm.reg(WHvX64RegisterRcx), 0x1234_5678_9abc_de77);
}
