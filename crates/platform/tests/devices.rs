//! The device router inside WHvRunVirtualProcessor: claimed port and MMIO
//! ranges are served by their handlers on the VP's thread — every size,
//! string I/O, reads answered with the handler's data — and never reach
//! the WHP caller, while unclaimed accesses still exit; a released claim
//! exits again. The guest runs at CPL3 (native on PVM).
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use std::sync::{Arc, Mutex};

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv::{DeviceHandler, Space};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// Where the guest's string buffers live.
const BUF: u64 = 0x10_0000;
/// The claimed MMIO range.
const MMIO: u64 = 0xfe00_0000;

/// Records every access; reads answer byte i of an access at offset o
/// with `o + i + 0x10 * tag`.
#[derive(Default)]
struct Recorder {
    tag: u8,
    log: Mutex<Vec<(bool, u64, Vec<u8>)>>,
}

impl DeviceHandler for Recorder {
    fn read(&self, offset: u64, data: &mut [u8]) {
        for (i, b) in data.iter_mut().enumerate() {
            *b = (offset as u8)
                .wrapping_add(i as u8)
                .wrapping_add(self.tag * 0x10);
        }
        self.log
            .lock()
            .unwrap()
            .push((false, offset, data.to_vec()));
    }
    fn write(&self, offset: u64, data: &[u8]) {
        self.log.lock().unwrap().push((true, offset, data.to_vec()));
    }
}

/// The port of an I/O port exit.
fn port(exit: &WHV_RUN_VP_EXIT_CONTEXT) -> u16 {
    assert_eq!(exit.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    // SAFETY: the exit reason says the IoPortAccess member is live.
    unsafe { exit.Anonymous.IoPortAccess.PortNumber }
}

fn guest() -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    g.write(BUF, b"abc").unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        // Five byte writes to port 0x80.
        a.mov(ecx, 5u32)?;
        let mut top = a.create_label();
        a.set_label(&mut top)?;
        a.mov(al, cl)?;
        a.out(0x80, al)?;
        a.dec(ecx)?;
        a.jnz(top)?;
        // Reads of port 0x81 (byte) and 0x84 (dword, 4-port claim).
        a.in_(al, 0x81)?;
        a.movzx(ebx, al)?;
        a.mov(dx, 0x84u32)?;
        a.in_(eax, dx)?;
        a.mov(r10d, eax)?;
        // String I/O: OUTSB of "abc" to 0x80, INSB of 4 bytes from 0x81.
        a.mov(rsi, BUF)?;
        a.mov(ecx, 3u32)?;
        a.mov(dx, 0x80u32)?;
        a.rep().outsb()?;
        a.mov(rdi, BUF + 0x100)?;
        a.mov(ecx, 4u32)?;
        a.mov(dx, 0x81u32)?;
        a.rep().insb()?;
        // MMIO: a dword write, a dword and a qword read.
        a.mov(rsi, MMIO)?;
        a.mov(dword_ptr(rsi + 8), 0x1234_5678u32)?;
        a.mov(r8d, dword_ptr(rsi + 0x10))?;
        a.mov(r9, qword_ptr(rsi + 0x20))?;
        // An unclaimed port: the caller's exit.
        a.out(0x90, al)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    (g, regs)
}

#[test]
fn claimed_ranges_are_served_in_the_run() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = guest();
    let vm = TestVm::new(&g, &regs);
    let ports = Arc::new(Recorder {
        tag: 1,
        ..Default::default()
    });
    let wide = Arc::new(Recorder {
        tag: 2,
        ..Default::default()
    });
    let mmio = Arc::new(Recorder {
        tag: 3,
        ..Default::default()
    });
    vm.p.claim(Space::Port, 0x80, 2, ports.clone()).unwrap();
    vm.p.claim(Space::Port, 0x84, 4, wide.clone()).unwrap();
    vm.p.claim(Space::Mmio, MMIO, 0x1000, mmio.clone()).unwrap();
    // Overlaps are refused.
    let e = vm.p.claim(Space::Port, 0x81, 1, ports.clone()).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);

    let exit = vm.run();
    assert_eq!(
        exit.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "only the unclaimed port exits"
    );
    assert_eq!(port(&exit), 0x90);
    vm.skip(&exit);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);

    let log = ports.log.lock().unwrap().clone();
    let mut expected: Vec<(bool, u64, Vec<u8>)> =
        (1..=5).rev().map(|i| (true, 0, vec![i])).collect();
    expected.push((false, 1, vec![0x11]));
    expected.extend(b"abc".iter().map(|b| (true, 0, vec![*b])));
    expected.extend((0..4).map(|_| (false, 1, vec![0x11])));
    assert_eq!(log, expected);
    assert_eq!(
        *wide.log.lock().unwrap(),
        [(false, 0, vec![0x20, 0x21, 0x22, 0x23])]
    );
    assert_eq!(
        *mmio.log.lock().unwrap(),
        [
            (true, 8, 0x1234_5678u32.to_le_bytes().to_vec()),
            (false, 0x10, vec![0x40, 0x41, 0x42, 0x43]),
            (false, 0x20, (0x50..0x58).collect()),
        ]
    );
    // What the guest received.
    assert_eq!(vm.reg(WHvX64RegisterRbx), 0x11);
    assert_eq!(vm.reg(WHvX64RegisterR10), 0x2322_2120);
    assert_eq!(vm.reg(WHvX64RegisterR8), 0x4342_4140);
    assert_eq!(vm.reg(WHvX64RegisterR9), 0x5756_5554_5352_5150);
    assert_eq!(&vm.mem.bytes()[BUF as usize + 0x100..][..4], [0x11; 4]);
}

#[test]
fn released_and_partial_accesses_exit() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = guest();
    let vm = TestVm::new(&g, &regs);
    let ports = Arc::new(Recorder::default());
    let id = vm.p.claim(Space::Port, 0x80, 1, ports.clone()).unwrap();
    assert!(vm.p.release_claim(id));
    assert!(!vm.p.release_claim(id), "released twice");
    // Only port 0x84's first two bytes: the dword IN there is not inside
    // the claim and exits.
    let part = Arc::new(Recorder::default());
    vm.p.claim(Space::Port, 0x84, 2, part.clone()).unwrap();
    let exit = vm.run();
    assert_eq!(exit.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    assert_eq!(port(&exit), 0x80, "released: exits");
    assert!(ports.log.lock().unwrap().is_empty());
    // Run to the dword IN at 0x84, skipping each exit.
    let mut seen = Vec::new();
    let mut exit = exit;
    while exit.ExitReason == WHvRunVpExitReasonX64IoPortAccess {
        seen.push(port(&exit));
        if port(&exit) == 0x84 {
            break;
        }
        vm.skip(&exit);
        exit = vm.run();
    }
    assert_eq!(seen.last(), Some(&0x84), "the dword IN exited: {seen:x?}");
    assert!(part.log.lock().unwrap().is_empty());
}
