//! Every entry state, run on real KVM: the guest's port writes, HLTs,
//! memory and final registers show it ran in the mode it was built for.
#![allow(
    unsafe_code,
    reason = "the raw-KVM test glue maps memory and reads kvm_run"
)]

mod support;

use support::{Exit, Vm, out};
use winhv_guest::asm::code_asm::*;
use winhv_guest::gdt::selector;
use winhv_guest::{ExceptionRecord, Guest};

const PORT: u16 = 0x3f8;
const MEMORY: usize = 2 << 20;

#[test]
fn real_mode_runs_16_bit_code_with_cs_derived_from_the_entry() {
    let mut guest = Guest::new(0, MEMORY).unwrap();
    // 0x20000 is above 64 KiB: CS must be 0x2000 and IP 0.
    let entry = guest.layout().code;
    guest
        .assemble_at(16, entry, |a| {
            a.mov(dx, u32::from(PORT))?;
            a.mov(al, byte_ptr(0x100))?; // DS = CS: reads the byte placed at entry + 0x100
            a.out(dx, al)?;
            a.mov(ax, 0xbeefu32)?;
            a.out(dx, ax)?;
            a.mov(ax, cs)?;
            a.out(dx, ax)?;
            a.push(0x1234)?; // SS:SP = 0:user_stack_top
            a.hlt()
        })
        .unwrap();
    guest.write(entry + 0x100, &[0x42]).unwrap();
    let registers = guest.real_mode(entry).unwrap();
    assert_eq!((registers.cs.selector, registers.rip), (0x2000, 0));
    let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
        return;
    };
    let exits = vm.run_to_halt(8);
    assert_eq!(
        exits,
        [
            out(PORT, &[0x42]),
            out(PORT, &[0xef, 0xbe]),
            out(PORT, &[0x00, 0x20]),
            Exit::Hlt
        ]
    );
    let stack_top = guest.layout().user_stack_top;
    assert_eq!(vm.regs().rsp, stack_top - 2);
    assert_eq!(vm.memory(stack_top - 2, 2), [0x34, 0x12]);
}

#[test]
fn protected32_runs_flat_32_bit_code() {
    let mut guest = Guest::new(0, MEMORY).unwrap();
    let entry = guest.layout().code;
    guest
        .assemble_at(32, entry, |a| {
            a.mov(edx, u32::from(PORT))?;
            a.mov(eax, 0xcafe_babeu32)?;
            a.mov(dword_ptr(0x10_0000), eax)?; // flat: above 1 MiB
            a.mov(ebx, dword_ptr(0x10_0000))?;
            a.out(dx, eax)?;
            a.mov(eax, esp)?;
            a.out(dx, eax)?;
            a.hlt()
        })
        .unwrap();
    let registers = guest.protected32(entry).unwrap();
    let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
        return;
    };
    let exits = vm.run_to_halt(8);
    let stack_bytes = (guest.layout().kernel_stack_top as u32).to_le_bytes();
    assert_eq!(
        exits,
        [
            out(PORT, &0xcafe_babeu32.to_le_bytes()),
            out(PORT, &stack_bytes),
            Exit::Hlt
        ]
    );
    assert_eq!(vm.regs().rbx, 0xcafe_babe);
    assert_eq!(vm.memory(0x10_0000, 4), 0xcafe_babeu32.to_le_bytes());
    assert_eq!(vm.sregs().cs.selector, selector::KERNEL_CODE32);
}

#[test]
fn long64_runs_64_bit_code_with_paging() {
    let mut guest = Guest::new(0, MEMORY).unwrap();
    let entry = guest.layout().code;
    // Alias: GVA 0x4000_0000 → GPA 0x10_0000 through a 4 KiB page.
    guest
        .map_4k(0x4000_0000, 0x10_0000, winhv_guest::pte::RW_USER)
        .unwrap();
    guest
        .assemble_at(64, entry, |a| {
            a.mov(edx, u32::from(PORT))?;
            a.mov(rax, 0x1122_3344_5566_7788u64)?;
            a.mov(rdi, 0x4000_0000u64)?;
            a.mov(qword_ptr(rdi), rax)?;
            a.out(dx, eax)?;
            a.mov(ax, cs)?;
            a.out(dx, ax)?;
            a.hlt()
        })
        .unwrap();
    let registers = guest.long64(entry).unwrap();
    let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
        return;
    };
    let exits = vm.run_to_halt(8);
    assert_eq!(
        exits,
        [
            out(PORT, &[0x88, 0x77, 0x66, 0x55]),
            out(PORT, &[selector::KERNEL_CODE64 as u8, 0]),
            Exit::Hlt
        ]
    );
    assert_eq!(
        vm.memory(0x10_0000, 8),
        0x1122_3344_5566_7788u64.to_le_bytes()
    );
    let sregs = vm.sregs();
    assert_ne!(sregs.efer & winhv_guest::registers::efer::LMA, 0);
    assert_eq!(sregs.cs.l, 1);
}

#[test]
fn long64_reports_a_cpl0_exception_through_the_idt() {
    let mut guest = Guest::new(0, MEMORY).unwrap();
    let entry = guest.layout().code;
    guest.assemble_at(64, entry, |a| a.ud2()).unwrap();
    let registers = guest.long64(entry).unwrap();
    let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
        return;
    };
    let exits = vm.run_to_halt(8);
    let port = guest.layout().exception_port;
    assert_eq!(
        exits,
        [out(port, &[6, 0, 0, 0]), out(port, &[0; 4]), Exit::Hlt]
    );
    let record = read_record(&vm, &guest);
    assert_eq!(
        (record.vector, record.rip, record.cs),
        (6, entry, u64::from(selector::KERNEL_CODE64))
    );
}

/// A CPL3 snippet: reports CS, SS, DS and RFLAGS with allowed `out`s, then
/// reads `fault_at`. Returns the entry and the address of the faulting load.
fn user_snippet(guest: &mut Guest, fault_at: u64) -> (u64, u64) {
    let entry = guest.layout().code;
    let mut prefix_end = 0;
    guest
        .assemble_at(64, entry, |a| {
            a.mov(edx, u32::from(PORT))?;
            a.mov(ax, cs)?;
            a.out(dx, ax)?;
            a.mov(ax, ss)?;
            a.out(dx, ax)?;
            a.mov(ax, ds)?;
            a.out(dx, ax)?;
            a.pushfq()?;
            a.pop(rax)?;
            a.out(dx, eax)?;
            a.mov(rbx, fault_at)?;
            a.mov(rax, 0x5555u64)?;
            a.mov(rcx, qword_ptr(rbx))?;
            a.hlt()
        })
        .unwrap();
    // Find the faulting load: the instruction after `mov rax, 0x5555`.
    let code = guest.memory().read(entry, 64).unwrap();
    let mut decoder = iced_x86::Decoder::with_ip(64, code, entry, 0);
    for instruction in &mut decoder {
        if instruction.code() == iced_x86::Code::Mov_r64_rm64 {
            prefix_end = instruction.ip();
            break;
        }
    }
    assert_ne!(prefix_end, 0);
    (entry, prefix_end)
}

fn read_record(vm: &Vm, guest: &Guest) -> ExceptionRecord {
    ExceptionRecord::parse(vm.memory(guest.layout().exception_record, ExceptionRecord::SIZE))
        .unwrap()
}

/// Runs a user snippet that faults on `fault_at` and checks the report.
fn check_user_page_fault(via_iretq: bool, fault_at: u64, supervisor_page: bool, error_code: u8) {
    let mut guest = Guest::new(0, MEMORY).unwrap();
    if supervisor_page {
        guest
            .map_4k(
                fault_at,
                fault_at,
                winhv_guest::pte::PRESENT | winhv_guest::pte::WRITABLE,
            )
            .unwrap();
    }
    let (entry, fault_ip) = user_snippet(&mut guest, fault_at);
    let registers = if via_iretq {
        guest.long64_user_via_iretq(entry).unwrap()
    } else {
        guest.long64_user(entry).unwrap()
    };
    let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
        return;
    };
    let exits = vm.run_to_halt(8);
    let port = guest.layout().exception_port;
    assert_eq!(
        exits,
        [
            out(PORT, &[0x33, 0]),          // CS: USER_CODE64
            out(PORT, &[0x2b, 0]),          // SS: USER_DATA
            out(PORT, &[0, 0]),             // DS: null
            out(PORT, &[0x02, 0x02, 0, 0]), // RFLAGS: IF, reserved bit 1
            out(port, &[14, 0, 0, 0]),
            out(port, &[error_code, 0, 0, 0]),
            Exit::Hlt
        ],
        "via_iretq={via_iretq}"
    );
    let record = read_record(&vm, &guest);
    assert_eq!(record.cr2, fault_at);
    assert_eq!(record.rip, fault_ip);
    assert_eq!(record.cs, u64::from(selector::USER_CODE64));
    assert_eq!(record.ss, u64::from(selector::USER_DATA));
    assert_eq!(record.rsp, guest.layout().user_stack_top);
    assert_eq!(record.rax, 0x5555);
    // The handler ran at CPL0 on TSS.RSP0, and restored what it used.
    let regs = vm.regs();
    assert_eq!(
        (regs.rax, regs.rbx, regs.rdx),
        (0x5555, fault_at, u64::from(PORT))
    );
    assert_eq!(vm.sregs().cs.selector, selector::KERNEL_CODE64);
    assert!(
        regs.rsp < guest.layout().kernel_stack_top
            && regs.rsp > guest.layout().kernel_stack_top - 0x100
    );
}

#[test]
fn long64_user_not_present_page_fault_is_reported() {
    // 4 GiB is just past the identity map: not present, user read → 0b100.
    check_user_page_fault(false, 4 << 30, false, 0x04);
}

#[test]
fn long64_user_supervisor_page_fault_is_reported() {
    // Present supervisor page, user read → P | U = 0b101.
    check_user_page_fault(false, 0x10_0000, true, 0x05);
}

#[test]
fn long64_user_via_iretq_reaches_cpl3_too() {
    check_user_page_fault(true, 4 << 30, false, 0x04);
}

#[test]
fn long64_user_gp_ud_and_hlt() {
    /// A one-instruction snippet and the (vector, error code) it reports,
    /// or `None` for a plain HLT exit.
    type Case = (
        &'static str,
        fn(&mut CodeAssembler) -> Result<(), IcedError>,
        Option<(u8, u8)>,
    );
    let cases: [Case; 4] = [
        ("mov rax, cr0", |a| a.mov(rax, cr0), Some((13, 0))),
        ("cli", |a| a.cli(), Some((13, 0))),
        ("ud2", |a| a.ud2(), Some((6, 0))),
        ("hlt", |a| a.hlt(), None),
    ];
    for (name, snippet, report) in cases {
        let mut guest = Guest::new(0, MEMORY).unwrap();
        let entry = guest.layout().code;
        guest.assemble_at(64, entry, snippet).unwrap();
        let registers = guest.long64_user(entry).unwrap();
        let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
            return;
        };
        let exits = vm.run_to_halt(8);
        let port = guest.layout().exception_port;
        let record = read_record(&vm, &guest);
        assert_eq!(
            (record.rip, record.cs),
            (entry, u64::from(selector::USER_CODE64)),
            "{name}"
        );
        match report {
            Some((vector, code)) => {
                assert_eq!(
                    exits,
                    [
                        out(port, &[vector, 0, 0, 0]),
                        out(port, &[code, 0, 0, 0]),
                        Exit::Hlt
                    ],
                    "{name}"
                );
                assert_eq!(record.vector, u64::from(vector), "{name}");
            }
            None => {
                // A CPL3 `hlt` is a plain HLT exit (its #GP is recorded, not reported)…
                assert_eq!(exits, [Exit::Hlt], "{name}");
                assert_eq!((record.vector, record.error_code), (13, 0));
                // …and resuming halts again instead of running on.
                assert_eq!(vm.run(), Exit::Hlt);
            }
        }
    }
}

#[test]
fn long64_user_page_rights_no_execute_and_read_only() {
    use winhv_guest::pte;
    // (what, leaf flags of the page at 0x10_0000, access, expected #PF error code)
    let cases: [(&str, u64, bool, u8); 2] = [
        (
            "execute from a no-execute page",
            pte::RW_USER | pte::NO_EXECUTE,
            true,
            0x15,
        ),
        (
            "write to a read-only page",
            pte::PRESENT | pte::USER,
            false,
            0x07,
        ),
    ];
    for (what, flags, execute, error_code) in cases {
        let mut guest = Guest::new(0, MEMORY).unwrap();
        let target = 0x10_0000;
        guest.map_4k(target, target, flags).unwrap();
        guest.write(target, &[0xf4]).unwrap(); // hlt, were it executed
        let entry = guest.layout().code;
        guest
            .assemble_at(64, entry, |a| {
                a.mov(rbx, target)?;
                if execute {
                    a.jmp(rbx)
                } else {
                    a.mov(qword_ptr(rbx), rbx)
                }
            })
            .unwrap();
        let registers = guest.long64_user(entry).unwrap();
        let Some(mut vm) = Vm::new(guest.memory(), &registers) else {
            return;
        };
        let port = guest.layout().exception_port;
        assert_eq!(
            vm.run_to_halt(8),
            [
                out(port, &[14, 0, 0, 0]),
                out(port, &[error_code, 0, 0, 0]),
                Exit::Hlt
            ],
            "{what}"
        );
        let record = read_record(&vm, &guest);
        assert_eq!(record.cr2, target, "{what}");
        assert_eq!(
            record.rip,
            if execute { target } else { entry + 10 },
            "{what}"
        );
    }
}
