//! The safe Rust API's run loop with real guests: I/O completions, MMIO
//! and string I/O through the emulator, MSR exits, injected events and
//! interrupt windows, cancel from another thread, VPs on several threads,
//! an AP started with INIT/SIPI. No `unsafe`: a VMM on this API needs none.

mod safe_common;

use safe_common::*;
use winhv::defs::*;
use winhv::safe::{Exit, GuestMemory, Interrupt, PartitionBuilder, Register, SegmentRegister};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// IN and OUT finish with the helpers (RAX merged by size, RIP past the
/// instruction), MMIO stores and loads and a `rep outsb` go through the
/// emulator to the device, and the guest sees every answer.
#[test]
fn io_mmio_and_string_io_complete_through_the_safe_api() {
    if !kvm_available() {
        return;
    }
    let msg_at = 0x30000u64;
    let (mut g, regs) = user_guest(|a| {
        a.mov(rbx, 0x1111_1111_1111_1111_u64)?;
        a.mov(rax, rbx)?;
        a.in_(al, 0x60)?; // RAX keeps its upper bytes
        a.mov(r12, rax)?;
        a.mov(edx, 0x61u32)?;
        a.mov(rax, rbx)?;
        a.in_(eax, dx)?; // a 32-bit IN zero-extends
        a.mov(r13, rax)?;
        a.mov(eax, 0xdead_beef_u32)?;
        a.out(0x62, eax)?;
        a.mov(rdi, MMIO)?;
        a.mov(dword_ptr(rdi + 4), eax)?;
        a.mov(r14, qword_ptr(rdi + 8))?;
        a.mov(rsi, msg_at)?;
        a.mov(ecx, 5u32)?;
        a.mov(edx, 0xe9u32)?;
        a.rep().outsb()?;
        a.mov(r15, rcx)?;
        Ok(())
    });
    g.write(msg_at, b"hello").unwrap();
    let p = load(&g, &regs, 1);
    let mut vp = p.vp(0).unwrap();
    let mut dev = Recorder {
        answer: 0x0102_0304_0506_0708,
        ..Default::default()
    };
    drive(&mut vp, &mut dev, 0xaabb_ccdd);
    let [in8, in32, loaded, count] = vp
        .get_many([Register::R12, Register::R13, Register::R14, Register::R15])
        .unwrap();
    assert_eq!(in8, 0x1111_1111_1111_11dd, "8-bit IN merged into RAX");
    assert_eq!(in32, 0xaabb_ccdd, "32-bit IN zero-extended");
    assert_eq!(loaded, 0x0102_0304_0506_0708, "MMIO load from the device");
    assert_eq!(count, 0, "rep outsb ran to the end");
    assert_eq!(
        dev.mmio_writes,
        [(MMIO + 4, 0xdead_beef_u32.to_le_bytes().to_vec())]
    );
    assert_eq!(dev.mmio_reads, [(MMIO + 8, 8)]);
    let out: Vec<_> = dev.io.iter().filter(|(port, _)| *port == 0xe9).collect();
    assert_eq!(out.len(), 5, "{:?}", dev.io);
    let text: Vec<u8> = out.iter().flat_map(|(_, d)| d.clone()).collect();
    assert_eq!(text, b"hello");
    assert!(
        dev.io
            .contains(&(0x62, 0xdead_beef_u32.to_le_bytes().to_vec()))
    );
}

/// `run_devices` answers I/O (simple and string) and MMIO through the
/// devices and returns the first exit the VMM must see (here the HLT).
#[test]
fn run_devices_answers_io_and_mmio_until_halt() {
    if !kvm_available() {
        return;
    }
    let msg_at = 0x30000u64;
    let (mut g, regs) = user_guest(|a| {
        a.in_(al, 0x60)?;
        a.mov(r12, rax)?;
        a.out(0x61, al)?;
        a.mov(rdi, MMIO)?;
        a.mov(dword_ptr(rdi), eax)?;
        a.mov(r13, qword_ptr(rdi + 8))?;
        a.mov(rsi, msg_at)?;
        a.mov(ecx, 3u32)?;
        a.mov(edx, 0xe9u32)?;
        a.rep().outsb()?;
        Ok(())
    });
    g.write(msg_at, b"abc").unwrap();
    let p = load(&g, &regs, 1);
    let mut vp = p.vp(0).unwrap();
    let mut dev = Recorder {
        answer: 0x77,
        io_answer: 0x5a,
        ..Default::default()
    };
    assert!(matches!(vp.run_devices(&mut dev).unwrap(), Exit::Halt));
    assert_eq!(
        vp.get_many([Register::R12, Register::R13]).unwrap()[1],
        0x77
    );
    assert_eq!(vp.get(Register::R12).unwrap() & 0xff, 0x5a);
    assert_eq!(dev.mmio_writes, [(MMIO, 0x5a_u32.to_le_bytes().to_vec())]);
    let ports: Vec<(u16, Vec<u8>)> = dev.io.clone();
    assert_eq!(
        ports,
        [
            (0x61, vec![0x5a]),
            (0xe9, b"a".to_vec()),
            (0xe9, b"b".to_vec()),
            (0xe9, b"c".to_vec()),
            (DONE_PORT, vec![0x5a]),
        ]
    );
}

/// An MMIO read finished with one value; an MMIO write is not a read.
#[test]
fn complete_mmio_read_answers_a_load() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, MMIO)?;
        a.mov(rcx, 0x1111_1111_1111_1111_u64)?;
        a.mov(ecx, dword_ptr(rdi + 0x10))?;
        a.mov(qword_ptr(rdi), rcx)?;
        Ok(())
    });
    let p = load(&g, &regs, 1);
    let mut vp = p.vp(0).unwrap();
    assert!(
        matches!(vp.run().unwrap(), Exit::Mmio { gpa, is_write: false, .. } if gpa == MMIO + 0x10)
    );
    vp.complete_mmio_read(0xaaaa_bbbb_cccc_dddd).unwrap();
    assert_eq!(
        vp.get(Register::Rcx).unwrap(),
        0xcccc_dddd,
        "a 32-bit load takes its 4 bytes and zero-extends"
    );
    assert!(matches!(
        vp.run().unwrap(),
        Exit::Mmio { is_write: true, .. }
    ));
    assert_eq!(vp.complete_mmio_read(1).unwrap_err().hresult, E_INVALIDARG);
    let mut dev = Recorder::default();
    vp.emulate_mmio(&mut dev).unwrap();
    assert_eq!(
        dev.mmio_writes,
        [(MMIO, 0xcccc_dddd_u64.to_le_bytes().to_vec())]
    );
    assert!(matches!(
        vp.run().unwrap(),
        Exit::IoPort {
            port: DONE_PORT,
            ..
        }
    ));
}

/// An MSR the host does not implement exits (X64MsrExit with the
/// UnhandledMsrs bit): the RDMSR is finished with `complete_msr_read`,
/// the WRMSR reports EDX:EAX and is skipped. CPL0 (emulated on PVM).
#[test]
fn msr_exits_complete_through_the_safe_api() {
    if !kvm_available() {
        return;
    }
    let caps = winhv::safe::capabilities();
    if caps.extended_vm_exits().x64_msr_exit() == 0 {
        println!("SKIPPED: no MSR exits on this host (ExtendedVmExits.X64MsrExit)");
        return;
    }
    const MSR: u32 = 0x4000_1234;
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(ecx, MSR)?;
        a.rdmsr()?;
        a.mov(r8, rax)?;
        a.mov(r9, rdx)?;
        a.add(eax, 1)?;
        a.wrmsr()?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let mut exits = WHV_EXTENDED_VM_EXITS::default();
    exits.set_x64_msr_exit(1);
    let mut bitmap = WHV_X64_MSR_EXIT_BITMAP::default();
    bitmap.set_unhandled_msrs(1);
    let p = PartitionBuilder::new()
        .processor_count(1)
        .extended_vm_exits(exits)
        .x64_msr_exit_bitmap(bitmap)
        .build()
        .unwrap();
    assert_eq!(p.extended_vm_exits().unwrap().x64_msr_exit(), 1);
    let mem = GuestMemory::new(g.memory().size() as usize).unwrap();
    mem.write(0, g.memory().as_bytes()).unwrap();
    p.map(&mem, 0, rwx()).unwrap();
    let mut vp = p.create_vp(0).unwrap();
    let (names, values) = winhv_guest::whp::registers(&regs);
    vp.set_raw(&names, &values).unwrap();

    match vp.run().unwrap() {
        Exit::MsrAccess {
            msr,
            is_write: false,
            ..
        } => assert_eq!(msr, MSR),
        other => panic!("{other:?}"),
    }
    vp.complete_msr_read(0x1122_3344_5566_7788).unwrap();
    match vp.run().unwrap() {
        Exit::MsrAccess {
            msr,
            is_write: true,
            value,
            ..
        } => assert_eq!((msr, value), (MSR, 0x1122_3344_5566_7789)),
        other => panic!("{other:?}"),
    }
    vp.skip_instruction().unwrap();
    assert!(matches!(vp.run().unwrap(), Exit::Halt));
    assert_eq!(
        vp.get_many([Register::R8, Register::R9]).unwrap(),
        [0x5566_7788, 0x1122_3344]
    );
}

/// An injected exception reaches the guest's IDT (its handler reports
/// the vector and error code on the exception port); an interrupt
/// window, asked for, is reported.
#[test]
fn injected_exception_reaches_the_guest_and_interrupt_window_is_reported() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = user_guest(|a| {
        a.nop()?;
        a.out(0x70, al)
    });
    let port = g.layout().exception_port;
    let p = load(&g, &regs, 1);
    let mut vp = p.vp(0).unwrap();
    assert_eq!(
        vp.inject_exception(32, None).unwrap_err().hresult,
        E_INVALIDARG,
        "not an exception vector"
    );
    vp.inject_exception(13, Some(0x18)).unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        match vp.run().unwrap() {
            Exit::IoPort { port: p, data, .. } if p == port => {
                seen.push(data);
                vp.complete_io_write().unwrap();
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen, [13, 0x18], "vector, then error code");

    // A fresh start at CPL3 (IF set): the window is open at once.
    let (names, values) = winhv_guest::whp::registers(&regs);
    vp.set_raw(&names, &values).unwrap();
    vp.request_interrupt_window(true).unwrap();
    assert!(matches!(vp.run().unwrap(), Exit::InterruptWindow { .. }));
    vp.request_interrupt_window(false).unwrap();
    assert!(matches!(vp.run().unwrap(), Exit::IoPort { port: 0x70, .. }));
}

/// A cancel from another thread ends a run of a guest that spins forever.
#[test]
fn cancel_from_another_thread() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = user_guest(|a| {
        let mut spin = a.create_label();
        a.set_label(&mut spin)?;
        a.jmp(spin)
    });
    let p = load(&g, &regs, 1);
    let mut vp = p.vp(0).unwrap();
    let cancel = vp.cancel_handle();
    let t = std::thread::spawn(move || cancel.cancel());
    assert!(matches!(vp.run().unwrap(), Exit::Canceled));
    t.join().unwrap().unwrap();
    // The partition gone, the handle answers, it does not crash.
    let cancel = vp.cancel_handle();
    drop(p);
    assert_eq!(
        cancel.cancel().unwrap_err().hresult,
        WHV_E_VP_DOES_NOT_EXIST
    );
}

/// Two VPs run at once on two threads, each with its own handle.
#[test]
fn vps_on_two_threads() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = user_guest(|a| {
        a.mov(rax, r9)?;
        a.out(0x70, eax)?;
        Ok(())
    });
    let p = load(&g, &regs, 2);
    for i in 0..2 {
        p.vp(i)
            .unwrap()
            .set(Register::R9, 0x100 + u64::from(i))
            .unwrap();
    }
    let got: Vec<u32> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let p = &p;
                s.spawn(move || {
                    let mut vp = p.vp(i).unwrap();
                    match vp.run().unwrap() {
                        Exit::IoPort {
                            port: 0x70, data, ..
                        } => data,
                        other => panic!("{other:?}"),
                    }
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(got, [0x100, 0x101]);
}

/// With LAPIC emulation an AP waits for its SIPI inside its run; the host
/// starts it with `Interrupt::init` and `Interrupt::sipi`, and it runs
/// real-mode code at the SIPI page.
#[test]
fn the_host_starts_an_ap_with_typed_init_and_sipi() {
    if !kvm_available() {
        return;
    }
    if winhv::safe::capabilities()
        .features()
        .local_apic_emulation()
        == 0
    {
        println!("SKIPPED: no LAPIC emulation on this host");
        return;
    }
    let p = PartitionBuilder::new()
        .processor_count(2)
        .local_apic_emulation(WHvX64LocalApicEmulationModeXApic)
        .build()
        .unwrap();
    assert_eq!(
        p.local_apic_emulation().unwrap(),
        WHvX64LocalApicEmulationModeXApic
    );
    let ram = GuestMemory::new(0x2_0000).unwrap();
    // At 0x1_0000 (SIPI page 0x10): mov al, 0x5a; out 0x70, al; hlt
    ram.write(0x1_0000, &[0xb0, 0x5a, 0xe6, 0x70, 0xf4])
        .unwrap();
    p.map(&ram, 0, rwx()).unwrap();
    p.create_vp(0).unwrap();
    p.create_vp(1).unwrap();
    assert_eq!(
        p.request_interrupt(Interrupt::fixed(0, 3))
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "a fixed vector below 16"
    );
    let data = std::thread::scope(|s| {
        let ap = s.spawn(|| {
            let mut vp = p.vp(1).unwrap();
            match vp.run().unwrap() {
                Exit::IoPort {
                    port: 0x70, data, ..
                } => data,
                other => panic!("{other:?}"),
            }
        });
        p.request_interrupt(Interrupt::init(1)).unwrap();
        p.request_interrupt(Interrupt::sipi(1, 0x10)).unwrap();
        ap.join().unwrap()
    });
    assert_eq!(data, 0x5a);
    let vp = p.vp(1).unwrap();
    assert_eq!(vp.get(SegmentRegister::Cs).unwrap().selector, 0x1000);
}

/// A store to memory mapped read-only (a ROM) is a memory exit whose
/// emulation goes to the devices, not into the ROM; a load from it reads
/// the ROM itself.
#[test]
fn rom_writes_go_to_the_devices() {
    if !kvm_available() {
        return;
    }
    let rom_at = 0x40_0000u64;
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, rom_at)?;
        a.mov(eax, 0x1234_5678u32)?;
        a.mov(dword_ptr(rdi + 0x10), eax)?;
        a.mov(r12, qword_ptr(rdi))?;
        Ok(())
    });
    let p = load(&g, &regs, 1);
    let rom = GuestMemory::new(0x1000).unwrap();
    rom.write_u64(0, 0xfeed_f00d).unwrap();
    p.map(&rom, rom_at, WHvMapGpaRangeFlagRead).unwrap();
    let mut vp = p.vp(0).unwrap();
    let mut dev = Recorder::default();
    match vp.run().unwrap() {
        Exit::Mmio {
            gpa,
            is_write: true,
            gpa_unmapped: false,
            ..
        } => assert_eq!(gpa, rom_at + 0x10),
        other => panic!("{other:?}"),
    }
    vp.emulate_mmio(&mut dev).unwrap();
    assert_eq!(
        dev.mmio_writes,
        [(rom_at + 0x10, 0x1234_5678_u32.to_le_bytes().to_vec())]
    );
    assert_eq!(rom.read_u64(0x10).unwrap(), 0, "the ROM is unchanged");
    assert!(matches!(vp.run_devices(&mut dev).unwrap(), Exit::Halt));
    assert_eq!(
        vp.get(Register::R12).unwrap(),
        0xfeed_f00d,
        "loads read the ROM"
    );
}
