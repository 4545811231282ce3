//! A PCI segment behind the device router, driven by a guest the way an
//! OS's PCI code does: it scans bus 0 with config mechanism #1
//! (0xCF8/0xCFC) and again through ECAM, sizes and moves a BAR, enables
//! memory decoding with a word write, then reads and writes the BAR. Only
//! the access to the BAR before decoding is on reaches the WHP caller.
//! The guest runs at CPL3 (native on PVM).
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use std::sync::{Arc, Mutex};

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv::pci::{Bdf, ConfigSpace, Ecam, PciFunction, PciSegment, Windows};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const BUF: u64 = 0x10_0000;
const ECAM: u64 = 0xe000_0000;
const NEW_BAR: u64 = 0xc010_0000;

/// A function with a 4 KiB memory BAR0: an ID register at 0, a scratch
/// register at 4.
struct Scratch {
    config: Mutex<ConfigSpace>,
    scratch: Mutex<u32>,
    log: Mutex<Vec<(u8, u64, usize, bool)>>,
}

impl PciFunction for Scratch {
    fn probed_bars(&self) -> [u32; 6] {
        [0xffff_f000, 0, 0, 0, 0, 0]
    }
    fn config_read(&self, offset: u16) -> u32 {
        self.config.lock().unwrap().read_dword(offset)
    }
    fn config_write(&self, offset: u16, value: u32) {
        self.config.lock().unwrap().write_dword(offset, value);
    }
    fn bar_read(&self, bar: u8, offset: u64, data: &mut [u8]) {
        self.log
            .lock()
            .unwrap()
            .push((bar, offset, data.len(), false));
        let v = match offset {
            0 => 0x0100_00ed,
            4 => *self.scratch.lock().unwrap(),
            _ => u32::MAX,
        };
        let b = v.to_le_bytes();
        let n = data.len().min(4);
        data[..n].copy_from_slice(&b[..n]);
    }
    fn bar_write(&self, bar: u8, offset: u64, data: &[u8]) {
        self.log
            .lock()
            .unwrap()
            .push((bar, offset, data.len(), true));
        if offset == 4 && data.len() == 4 {
            *self.scratch.lock().unwrap() = u32::from_le_bytes(data.try_into().unwrap());
        }
    }
}

fn guest() -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        // Bus 0 by CF8/CFC: vendor/device dword of each device.
        a.xor(ebx, ebx)?;
        let mut ports = a.create_label();
        a.set_label(&mut ports)?;
        a.mov(eax, ebx)?;
        a.shl(eax, 11)?;
        a.or(eax, 0x8000_0000u32 as i32)?;
        a.mov(dx, 0xcf8u32)?;
        a.out(dx, eax)?;
        a.mov(dx, 0xcfcu32)?;
        a.in_(eax, dx)?;
        a.mov(dword_ptr(rbx * 4 + BUF as i32), eax)?;
        a.inc(ebx)?;
        a.cmp(ebx, 32)?;
        a.jne(ports)?;
        // Bus 0 by ECAM.
        a.xor(ebx, ebx)?;
        a.mov(rcx, ECAM)?;
        let mut ecam = a.create_label();
        a.set_label(&mut ecam)?;
        a.mov(rax, rbx)?;
        a.shl(rax, 15)?;
        a.mov(eax, dword_ptr(rax + rcx))?;
        a.mov(dword_ptr(rbx * 4 + (BUF + 0x100) as i32), eax)?;
        a.inc(ebx)?;
        a.cmp(ebx, 32)?;
        a.jne(ecam)?;
        // Device 1's BAR0 through ECAM: placed, probed, moved.
        a.mov(rsi, ECAM + (1 << 15))?;
        a.mov(eax, dword_ptr(rsi + 0x10))?;
        a.mov(dword_ptr(BUF + 0x200), eax)?;
        a.mov(dword_ptr(rsi + 0x10), 0xffff_ffffu32 as i32)?;
        a.mov(eax, dword_ptr(rsi + 0x10))?;
        a.mov(dword_ptr(BUF + 0x204), eax)?;
        a.mov(dword_ptr(rsi + 0x10), NEW_BAR as u32 as i32)?;
        a.mov(eax, dword_ptr(rsi + 0x10))?;
        a.mov(dword_ptr(BUF + 0x208), eax)?;
        // Decoding still off: this read is the caller's MMIO exit.
        a.mov(rdi, NEW_BAR)?;
        a.mov(eax, dword_ptr(rdi))?;
        // Memory decoding on, by a word write through CF8/CFC.
        a.mov(eax, 0x8000_0804u32)?;
        a.mov(dx, 0xcf8u32)?;
        a.out(dx, eax)?;
        a.mov(ax, 2u32)?;
        a.mov(dx, 0xcfcu32)?;
        a.out(dx, ax)?;
        a.in_(eax, dx)?;
        a.mov(dword_ptr(BUF + 0x20c), eax)?;
        // The BAR: ID, scratch write and read back.
        a.mov(eax, dword_ptr(rdi))?;
        a.mov(dword_ptr(BUF + 0x210), eax)?;
        a.mov(dword_ptr(rdi + 4), 0xaa55u32)?;
        a.mov(eax, dword_ptr(rdi + 4))?;
        a.mov(dword_ptr(BUF + 0x214), eax)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    (g, regs)
}

/// A segment with no ECAM and no BAR room: it claims only the legacy ports.
fn bare_segment() -> PciSegment {
    let none = Windows {
        mem32: 0..0,
        mem64: 0..0,
        io: 0..0,
    };
    PciSegment::new(None, none)
}

fn dword(vm: &TestVm, gpa: u64) -> u32 {
    let b = &vm.mem.bytes()[gpa as usize..][..4];
    u32::from_le_bytes(b.try_into().unwrap())
}

#[test]
fn guest_scans_sizes_and_uses_a_bar() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = guest();
    let vm = TestVm::new(&g, &regs);
    let segment = PciSegment::new(
        Some(Ecam {
            base: ECAM,
            first: 0,
            last: 0,
        }),
        Windows {
            mem32: 0xc000_0000..0xd000_0000,
            mem64: 0..0,
            io: 0xc000..0x1_0000,
        },
    );
    let host = vm.p.attach_pci(segment, true).unwrap();
    let f = Arc::new(Scratch {
        config: Mutex::new(ConfigSpace::new(0x1234, 0x11e8, 0x0000_ff00, 0x10)),
        scratch: Mutex::new(0),
        log: Mutex::new(Vec::new()),
    });
    let bdf = host.add(Some(1), f.clone()).unwrap();
    assert_eq!(bdf, Bdf::new(0, 1, 0).unwrap());
    // A second segment cannot take the same config ranges.
    let again = bare_segment();
    assert_eq!(
        vm.p.attach_pci(again, true).unwrap_err().hresult,
        E_INVALIDARG
    );

    let exit = vm.run();
    assert_eq!(
        exit.ExitReason, WHvRunVpExitReasonMemoryAccess,
        "the BAR before decoding"
    );
    // SAFETY: a memory-access exit.
    assert_eq!(unsafe { exit.Anonymous.MemoryAccess.Gpa }, NEW_BAR);
    vm.skip(&exit);
    let exit = vm.run();
    assert_eq!(exit.ExitReason, WHvRunVpExitReasonX64Halt);

    for dev in 0..32u64 {
        let by_ports = dword(&vm, BUF + dev * 4);
        let by_ecam = dword(&vm, BUF + 0x100 + dev * 4);
        let expected = match dev {
            0 => 0x0008_1b36,
            1 => 0x11e8_1234,
            _ => u32::MAX,
        };
        assert_eq!((by_ports, by_ecam), (expected, expected), "device {dev}");
    }
    assert_eq!(dword(&vm, BUF + 0x200), 0xc000_0000, "placed at plug time");
    assert_eq!(dword(&vm, BUF + 0x204), 0xffff_f000, "the probe");
    assert_eq!(dword(&vm, BUF + 0x208), NEW_BAR as u32);
    assert_eq!(dword(&vm, BUF + 0x20c) & 0xffff, 2, "command: memory space");
    assert_eq!(dword(&vm, BUF + 0x210), 0x0100_00ed);
    assert_eq!(dword(&vm, BUF + 0x214), 0xaa55);
    assert_eq!(
        *f.log.lock().unwrap(),
        [(0, 0, 4, false), (0, 4, 4, true), (0, 4, 4, false)],
        "BAR-relative offsets, only while decoding"
    );
    let seg = host.segment();
    let h = seg.header(bdf).unwrap();
    assert_eq!(h.bar(0).unwrap().address, NEW_BAR);
    assert!(h.memory_enabled());
    drop(seg);
    // Detached: the config ranges exit again (a new attach can claim them).
    host.detach();
    let again = bare_segment();
    assert!(vm.p.attach_pci(again, true).is_ok());
}
