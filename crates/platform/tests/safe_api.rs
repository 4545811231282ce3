//! The safe Rust API (`winhv::safe`) with real guests: I/O completions,
//! MMIO and string I/O through the emulator, typed registers, owned guest
//! memory kept alive by the partition, cancel from another thread, VPs on
//! several threads, and bad input answered with errors. No `unsafe` here:
//! a VMM on this API needs none.

use winhv::defs::*;
use winhv::safe::{
    Devices, Exit, GuestMemory, Interrupt, Partition, PartitionBuilder, Property, Register,
    Segment, SegmentRegister, Table, TableRegister, VirtualProcessor, Xmm,
};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const MMIO: u64 = 0x1000_0000;
const DONE_PORT: u16 = 0x99;

fn kvm_available() -> bool {
    if std::path::Path::new("/dev/kvm").exists() {
        true
    } else {
        println!("SKIPPED: no /dev/kvm");
        false
    }
}

fn rwx() -> WHV_MAP_GPA_RANGE_FLAGS {
    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute
}

/// A partition with `vps` VPs, `guest`'s image in owned memory (the
/// caller's handle dropped at once: the partition keeps it), and `regs`
/// loaded into every VP.
fn load(guest: &Guest, regs: &winhv_guest::registers::Registers, vps: u32) -> Partition {
    let image = guest.memory();
    let mem = GuestMemory::new(image.size() as usize).unwrap();
    mem.write(0, image.as_bytes()).unwrap();
    let p = PartitionBuilder::new()
        .processor_count(vps)
        .build()
        .unwrap();
    p.map(&mem, image.base(), rwx()).unwrap();
    drop(mem);
    let (names, values) = winhv_guest::whp::registers(regs);
    for i in 0..vps {
        p.create_vp(i).unwrap().set_raw(&names, &values).unwrap();
    }
    p
}

/// A CPL3 long-mode guest (native on PVM) running `body`, then
/// `out DONE_PORT, al`.
fn user_guest(
    body: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>,
) -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        body(a)?;
        a.out(DONE_PORT as u32, al)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    (g, regs)
}

/// A device model recording every access; MMIO reads answer from `reads`.
#[derive(Default)]
struct Recorder {
    io: Vec<(u16, Vec<u8>)>,
    mmio_writes: Vec<(u64, Vec<u8>)>,
    mmio_reads: Vec<(u64, usize)>,
    answer: u64,
}

impl Devices for Recorder {
    fn io_write(&mut self, port: u16, data: &[u8]) {
        self.io.push((port, data.to_vec()));
    }
    fn mmio_read(&mut self, gpa: u64, data: &mut [u8]) {
        self.mmio_reads.push((gpa, data.len()));
        let n = data.len();
        data.copy_from_slice(&self.answer.to_le_bytes()[..n]);
    }
    fn mmio_write(&mut self, gpa: u64, data: &[u8]) {
        self.mmio_writes.push((gpa, data.to_vec()));
    }
}

/// Runs until the guest reaches `out DONE_PORT`, answering I/O and MMIO
/// through `dev` (simple IN/OUT with the completion helpers, the rest
/// through the emulator); returns the values the guest's INs were given.
fn drive(vp: &mut VirtualProcessor<'_>, dev: &mut Recorder, in_value: u32) {
    for _ in 0..100 {
        match vp.run().unwrap() {
            Exit::IoPort {
                port: DONE_PORT, ..
            } => return,
            Exit::IoPort {
                is_write: false,
                string: false,
                ..
            } => vp.complete_io_read(in_value).unwrap(),
            Exit::IoPort {
                port,
                size,
                is_write: true,
                string: false,
                data,
                ..
            } => {
                dev.io
                    .push((port, data.to_le_bytes()[..usize::from(size)].to_vec()));
                vp.complete_io_write().unwrap();
            }
            Exit::IoPort { string: true, .. } => vp.emulate_io(dev).unwrap(),
            Exit::Mmio { .. } => vp.emulate_mmio(dev).unwrap(),
            other => {
                let other = format!("{other:?}");
                panic!("unexpected {other} at {:#x}", vp.exit_state().rip)
            }
        }
    }
    panic!("the guest never finished");
}

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

/// Typed registers round-trip: 64-bit, segments, tables, XMM, a batch.
#[test]
fn typed_registers_round_trip() {
    if !kvm_available() {
        return;
    }
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    let vp = p.create_vp(0).unwrap();
    let code = vp.get(SegmentRegister::Cs).unwrap();
    assert_eq!(
        (code.selector, code.base),
        (0xf000, 0xffff_0000),
        "power-on CS"
    );
    assert_eq!(vp.get(Register::Rip).unwrap(), 0xfff0);

    let data = Segment {
        base: 0x1234_0000,
        limit: 0xffff,
        selector: 0x1234,
        attributes: 0x93,
    };
    vp.set(SegmentRegister::Ds, data).unwrap();
    assert_eq!(vp.get(SegmentRegister::Ds).unwrap(), data);
    let gdt = Table {
        base: 0x5000,
        limit: 0x27,
    };
    vp.set(TableRegister::Gdtr, gdt).unwrap();
    assert_eq!(vp.get(TableRegister::Gdtr).unwrap(), gdt);
    let x = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeff_u128;
    let seventh = Xmm::new(7).unwrap();
    vp.set(seventh, x).unwrap();
    assert_eq!(vp.get(seventh).unwrap(), x);

    let gprs = Register::GPRS;
    let values: [u64; 16] = std::array::from_fn(|i| 0x100 * i as u64 + 7);
    let pairs: [(Register, u64); 16] = std::array::from_fn(|i| (gprs[i], values[i]));
    vp.set_many(pairs).unwrap();
    assert_eq!(vp.get_many(gprs).unwrap(), values);

    // Beyond the general registers: the ordinary batch path, all or none.
    vp.set_many([
        (Register::Cr4, 0x20),
        (Register::Efer, 0),
        (Register::Rax, 9),
    ])
    .unwrap();
    assert_eq!(
        vp.get_many([Register::Cr4, Register::Rax, Register::Efer])
            .unwrap(),
        [0x20, 9, 0]
    );
    let e = vp
        .set_many([(Register::Rax, 1), (Register::Cr0, 0x8000_0000)])
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "CR0.PG without PE: {e}");
    assert_eq!(vp.get(Register::Rax).unwrap(), 9, "nothing written");
}

/// Guest memory the caller dropped stays mapped (the partition holds it);
/// after an unmap the same address is an unmapped-GPA memory exit.
#[test]
fn guest_memory_lives_while_mapped() {
    if !kvm_available() {
        return;
    }
    let data_at = 0x20_0000u64;
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, data_at)?;
        a.mov(rax, qword_ptr(rdi))?;
        a.add(rax, 1)?;
        a.mov(qword_ptr(rdi), rax)?;
        Ok(())
    });
    let p = load(&g, &regs, 1);
    {
        let data = GuestMemory::new(0x1000).unwrap();
        data.write_u64(0, 41).unwrap();
        p.map(&data, data_at, rwx()).unwrap();
    }
    let mut vp = p.vp(0).unwrap();
    assert!(matches!(
        vp.run().unwrap(),
        Exit::IoPort {
            port: DONE_PORT,
            ..
        }
    ));
    let mut b = [0; 8];
    p.read(data_at, &mut b).unwrap();
    assert_eq!(
        u64::from_le_bytes(b),
        42,
        "the guest wrote the memory we dropped"
    );

    p.unmap(data_at, 0x1000).unwrap();
    let (names, values) = winhv_guest::whp::registers(&regs);
    vp.set_raw(&names, &values).unwrap();
    match vp.run().unwrap() {
        Exit::Mmio {
            gpa,
            gpa_unmapped,
            is_write,
            ..
        } => {
            assert_eq!(gpa, data_at);
            assert!(gpa_unmapped && !is_write);
        }
        other => panic!("{other:?}"),
    }
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

/// Bad input is an error with Windows' HRESULT, never a panic.
#[test]
fn bad_input_is_an_error() {
    assert_eq!(GuestMemory::new(0).unwrap_err().hresult, E_INVALIDARG);
    assert!(GuestMemory::new(usize::MAX).is_err());
    let mem = GuestMemory::new(0x1000).unwrap();
    assert_eq!(mem.write(0xfff, &[1, 2]).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(mem.read_u64(usize::MAX).unwrap_err().hresult, E_INVALIDARG);
    let bad = Interrupt {
        kind: WHV_INTERRUPT_TYPE(0x1ff),
        ..Interrupt::fixed(0, 0x30)
    };
    assert_eq!(bad.control().unwrap_err().hresult, E_INVALIDARG);
    if !kvm_available() {
        return;
    }
    assert_eq!(
        PartitionBuilder::new().build().unwrap_err().hresult,
        WHV_E_INVALID_PARTITION_CONFIG,
        "no processor count"
    );
    let e = PartitionBuilder::new()
        .processor_count(1)
        .local_apic_emulation(WHV_X64_LOCAL_APIC_EMULATION_MODE(7))
        .build()
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    assert!(e.context.contains("LocalApicEmulationMode"), "{e}");

    let p = PartitionBuilder::new().processor_count(2).build().unwrap();
    assert_eq!(p.vp(0).unwrap_err().hresult, WHV_E_VP_DOES_NOT_EXIST);
    assert_eq!(p.vp(9).unwrap_err().hresult, WHV_E_VP_DOES_NOT_EXIST);
    assert_eq!(p.create_vp(2).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(
        p.map_range(&mem, 0x1000, 0, 0x1000, rwx())
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "past the memory's end"
    );
    assert_eq!(
        p.map_range(&mem, u64::MAX, 0, 2, rwx())
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "an offset that overflows"
    );
    assert!(p.map(&mem, 0x123, rwx()).is_err(), "unaligned GPA");
    assert_eq!(
        p.set_property(&Property::ProcessorCount(4))
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "not after setup"
    );
    assert_eq!(
        p.request_interrupt(Interrupt::fixed(0, 0x30))
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_NOT_SUPPORTED,
        "no LAPIC emulation"
    );

    let vp = p.create_vp(0).unwrap();
    // No exit yet: nothing to complete.
    assert_eq!(vp.complete_io_read(1).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.complete_io_write().unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.complete_msr_read(1).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.skip_instruction().unwrap_err().hresult, E_INVALIDARG);
    let mut dev = Recorder::default();
    assert_eq!(vp.emulate_io(&mut dev).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.emulate_mmio(&mut dev).unwrap_err().hresult, E_INVALIDARG);
    assert!(vp.get(Register::ApicId).is_err(), "no LAPIC emulation");

    p.delete_vp(0).unwrap();
    assert_eq!(
        vp.get(Register::Rip).unwrap_err().hresult,
        WHV_E_VP_DOES_NOT_EXIST
    );
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

/// The typed interrupts encode as WHV_INTERRUPT_CONTROL does.
#[test]
fn interrupts_encode_their_fields() {
    let c = Interrupt::sipi(3, 0x9).control().unwrap();
    assert_eq!(
        (c.r#type(), c.destination_mode(), c.trigger_mode()),
        (WHvX64InterruptTypeSipi.0 as u64, 0, 0)
    );
    assert_eq!((c.Destination, c.Vector), (3, 9));
    let c = Interrupt {
        logical: true,
        level: true,
        ..Interrupt::fixed(0xff, 0x40)
    }
    .control()
    .unwrap();
    assert_eq!((c.destination_mode(), c.trigger_mode()), (1, 1));
    assert_eq!(
        Interrupt::init(1).control().unwrap().r#type(),
        WHvX64InterruptTypeInit.0 as u64
    );
    assert_eq!(
        Interrupt::nmi(1).control().unwrap().r#type(),
        WHvX64InterruptTypeNmi.0 as u64
    );
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

/// rust-vmm guest memory (vm-memory's mmap regions, what linux-loader
/// writes into) maps without `unsafe`; the guest and the host's
/// `vm_memory::Bytes` see the same bytes, and the partition keeps the
/// regions alive after the caller's handle is gone.
#[test]
fn vm_memory_regions_map_and_stay_alive() {
    use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
    if !kvm_available() {
        return;
    }
    let data_at = 0x40_0000u64;
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, data_at)?;
        a.mov(rax, qword_ptr(rdi))?;
        a.not(rax)?;
        a.mov(qword_ptr(rdi + 8), rax)?;
        Ok(())
    });
    let image = g.memory();
    let ram = GuestMemoryMmap::<()>::from_ranges(&[
        (GuestAddress(image.base()), image.size() as usize),
        (GuestAddress(data_at), 0x1000),
    ])
    .unwrap();
    ram.write_slice(image.as_bytes(), GuestAddress(image.base()))
        .unwrap();
    ram.write_obj(0x0f0f_0000_ffff_1234_u64, GuestAddress(data_at))
        .unwrap();
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    p.map_vm_memory(&ram, rwx()).unwrap();
    let shared = ram.clone();
    drop(ram);
    let mut vp = p.create_vp(0).unwrap();
    let (names, values) = winhv_guest::whp::registers(&regs);
    vp.set_raw(&names, &values).unwrap();
    assert!(matches!(
        vp.run().unwrap(),
        Exit::IoPort {
            port: DONE_PORT,
            ..
        }
    ));
    let written: u64 = shared.read_obj(GuestAddress(data_at + 8)).unwrap();
    assert_eq!(written, !0x0f0f_0000_ffff_1234_u64);
    drop(shared);
    let mut b = [0; 8];
    p.read(data_at + 8, &mut b).unwrap();
    assert_eq!(
        u64::from_le_bytes(b),
        !0x0f0f_0000_ffff_1234_u64,
        "still mapped"
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

/// A mixed batch is all or none.
#[test]
fn mixed_register_batches_are_all_or_none() {
    use winhv::safe::RegisterValue as V;
    if !kvm_available() {
        return;
    }
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    let vp = p.create_vp(0).unwrap();
    let gdt = Table {
        base: 0x2000,
        limit: 0x17,
    };
    vp.set_values(&[
        V::Table(TableRegister::Gdtr, gdt),
        V::Segment(SegmentRegister::Ss, Segment::data32(0x10)),
        V::U64(Register::Rsp, 0x8000),
        V::Xmm(Xmm::new(1).unwrap(), 5),
    ])
    .unwrap();
    assert_eq!(vp.get(TableRegister::Gdtr).unwrap(), gdt);
    assert_eq!(vp.get(Register::Rsp).unwrap(), 0x8000);
    let e = vp
        .set_values(&[
            V::U64(Register::Rsp, 0x9000),
            V::U64(Register::Cr0, 0x8000_0000),
        ])
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    assert_eq!(vp.get(Register::Rsp).unwrap(), 0x8000, "nothing written");
}

/// Properties read back typed, as the builder set them; the platform's
/// refusals stand.
#[test]
fn properties_read_back_typed() {
    if !kvm_available() {
        return;
    }
    let leaf = WHV_X64_CPUID_RESULT2 {
        Function: 0x4000_0000,
        Output: WHV_CPUID_OUTPUT {
            Eax: 0x4000_0001,
            ..Default::default()
        },
        Mask: WHV_CPUID_OUTPUT {
            Eax: u32::MAX,
            ..Default::default()
        },
        ..Default::default()
    };
    let p = PartitionBuilder::new()
        .processor_count(3)
        .exception_exit_bitmap(0)
        .cpuid_results2(&[leaf])
        .unimplemented_msr_action(WHvMsrActionIgnoreWriteReadZero)
        .build()
        .unwrap();
    assert_eq!(
        p.property(WHvPartitionPropertyCodeProcessorCount).unwrap(),
        Property::ProcessorCount(3)
    );
    assert_eq!(
        p.property(WHvPartitionPropertyCodeUnimplementedMsrAction)
            .unwrap(),
        Property::UnimplementedMsrAction(WHvMsrActionIgnoreWriteReadZero)
    );
    assert_eq!(
        p.property(WHvPartitionPropertyCodeCpuidResultList)
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_NOT_SUPPORTED,
        "Windows does not return the CPUID result list"
    );
    assert_eq!(
        p.property(WHV_PARTITION_PROPERTY_CODE(0x7777))
            .unwrap_err()
            .hresult,
        WHV_E_UNKNOWN_PROPERTY
    );
    let vp = p.create_vp(0).unwrap();
    assert_eq!(vp.cpuid(0x4000_0000, 0).unwrap().Eax, 0x4000_0001);
}
