//! End to end, in process: QEMU's `edu` device (QEMU docs/specs/edu.rst:
//! 1234:11e8, BAR0 of 1 MiB with the ID, liveness, factorial, interrupt
//! and DMA registers, a 4 KiB DMA buffer at 0x40000, MSI) written here
//! against the HDV API, and a CPL0 long-mode guest of our own that scans
//! bus 0 with CF8/CFC and ECAM, sizes BAR0 and enables it, programs the
//! MSI capability, runs liveness, factorial and DMA both ways (in by
//! HdvReadGuestMemory, out through an aperture), takes the
//! MSIs in its IDT handler, rings a doorbell and uses a section-backed
//! page (a memfd). Checked: what the guest
//! read, the DMA'd bytes, the interrupt count, the doorbell's eventfd
//! count (and that those writes never reached WriteInterceptedMemory),
//! and the callbacks in Windows' order.
#![allow(
    unsafe_code,
    reason = "guest memory is mmap'd; the doorbell is an eventfd"
)]

use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use winhv::Partition;
use winhv::defs::*;
use winhv::pci::{ConfigSpace, regs};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;
use winhv_hdv::{ComputeSystem, Device, DeviceHost, DeviceModel, Slot, SystemConfig};

const MEMORY: usize = 4 << 20;
const ECAM: u64 = 0xe000_0000;
const DEV1: u64 = ECAM + (1 << 15);
/// Results the guest stores, one dword each.
const RES: u64 = 0x30_0000;
/// The MSI handler's count.
const COUNT: u64 = 0x30_1000;
/// DMA source pattern and destination.
const DMA_SRC: u64 = 0x31_0000;
const DMA_DST: u64 = 0x31_1000;
const HANDLER: u64 = 0x32_0000;
const VECTOR: u32 = 0x40;
const DOORBELL: u64 = 0x200;
const RINGS: u32 = 10;
const DONE_PORT: u16 = 0x99;
/// The section-backed page of BAR0 (page 0x20).
const SECTION: u64 = 0x2_0000;
const MSI_CAP: u16 = 0x40;

fn guid(n: u32) -> GUID {
    GUID {
        data1: n,
        ..Default::default()
    }
}

/// The edu device's state.
struct Edu {
    config: Mutex<ConfigSpace>,
    regs: Mutex<EduRegs>,
    buffer: Mutex<[u8; 4096]>,
    device: OnceLock<Weak<Device>>,
    log: Mutex<Vec<String>>,
}

#[derive(Default)]
struct EduRegs {
    liveness: u32,
    factorial: u32,
    status: u32,
    irq_status: u32,
    dma_src: u64,
    dma_dst: u64,
    dma_count: u64,
    dma_cmd: u64,
}

impl Edu {
    fn new() -> Arc<Edu> {
        let mut c = ConfigSpace::new(0x1234, 0x11e8, 0x0000_ff00, 0x10);
        // MSI, 32-bit address, one message: control (enable writable),
        // address, data.
        let body = [0u8; 10];
        let writable = [0x01, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            c.add_capability(regs::CAP_ID_MSI, &body, &writable),
            Some(MSI_CAP)
        );
        Arc::new(Edu {
            config: Mutex::new(c),
            regs: Mutex::new(EduRegs::default()),
            buffer: Mutex::new([0; 4096]),
            device: OnceLock::new(),
            log: Mutex::new(Vec::new()),
        })
    }

    fn note(&self, what: &str) {
        let mut log = self.log.lock().unwrap();
        if log.last().map(String::as_str) != Some(what) {
            log.push(what.to_string());
        }
    }

    fn device(&self) -> Arc<Device> {
        self.device
            .get()
            .and_then(Weak::upgrade)
            .expect("the device")
    }

    /// Raises `bits` in the interrupt status and sends the MSI the guest
    /// programmed, if it enabled MSI.
    fn raise(&self, r: &mut EduRegs, bits: u32) {
        r.irq_status |= bits;
        let (control, address, data) = {
            let c = self.config.lock().unwrap();
            (
                c.read_dword(MSI_CAP) >> 16,
                c.read_dword(MSI_CAP + 4),
                c.read_dword(MSI_CAP + 8),
            )
        };
        if control & 1 != 0 {
            self.device()
                .deliver_guest_interrupt(u64::from(address), data & 0xffff)
                .unwrap();
        }
    }

    fn dma(&self, r: &mut EduRegs) {
        let n = (r.dma_count as usize).min(4096);
        let to_ram = r.dma_cmd & 2 != 0;
        let (ram, edu) = if to_ram {
            (r.dma_dst, r.dma_src)
        } else {
            (r.dma_src, r.dma_dst)
        };
        let at = (edu.wrapping_sub(0x40000) as usize).min(4096 - n);
        let mut buf = self.buffer.lock().unwrap();
        if to_ram {
            // Into guest RAM through an aperture (zero-copy DMA).
            let d = self.device();
            let va = d.create_aperture(ram, n as u32, false).unwrap();
            // SAFETY: the aperture maps `n` bytes of guest RAM at `ram`.
            unsafe { std::ptr::copy_nonoverlapping(buf[at..].as_ptr(), va, n) };
            d.destroy_aperture(va).unwrap();
        } else {
            self.device()
                .read_guest_memory(ram, &mut buf[at..at + n])
                .unwrap();
        }
        drop(buf);
        r.dma_cmd &= !1;
        if r.dma_cmd & 4 != 0 {
            self.raise(r, 0x100);
        }
    }
}

/// The DeviceModel behind the shared state.
struct EduModel(Arc<Edu>);

impl DeviceModel for EduModel {
    fn initialize(&self) -> HRESULT {
        self.0.note("Initialize");
        S_OK
    }
    fn teardown(&self) {
        self.0.note("Teardown");
    }
    fn set_configuration(&self, values: &[Vec<u16>]) -> HRESULT {
        let strings: Vec<String> = values
            .iter()
            .map(|v| String::from_utf16_lossy(&v[..v.len() - 1]))
            .collect();
        self.0.note(&format!("SetConfiguration {strings:?}"));
        S_OK
    }
    fn get_details(&self, pnp: &mut HDV_PCI_PNP_ID, probed: &mut [u32; 6]) -> HRESULT {
        self.0.note("GetDetails");
        *pnp = HDV_PCI_PNP_ID {
            VendorID: 0x1234,
            DeviceID: 0x11e8,
            RevisionID: 0x10,
            ProgIf: 0,
            SubClass: 0xff,
            BaseClass: 0,
            SubVendorID: 0x1af4,
            SubSystemID: 0x1100,
        };
        *probed = [0xfff0_0000, 0, 0, 0, 0, 0];
        S_OK
    }
    fn start(&self) -> HRESULT {
        self.0.note("Start");
        S_OK
    }
    fn stop(&self) {
        self.0.note("Stop");
    }
    fn read_config(&self, offset: u32, value: &mut u32) -> HRESULT {
        self.0.note("ReadConfigSpace");
        *value = self.0.config.lock().unwrap().read_dword(offset as u16);
        S_OK
    }
    fn write_config(&self, offset: u32, value: u32) -> HRESULT {
        self.0.note("WriteConfigSpace");
        self.0
            .config
            .lock()
            .unwrap()
            .write_dword(offset as u16, value);
        S_OK
    }
    fn read_intercepted(&self, bar: HDV_PCI_BAR_SELECTOR, offset: u64, data: &mut [u8]) -> HRESULT {
        self.0.note("ReadInterceptedMemory");
        assert_eq!(bar, HDV_PCI_BAR0);
        assert!(
            !(SECTION..SECTION + 0x1000).contains(&offset),
            "a section read reached the device"
        );
        let r = self.0.regs.lock().unwrap();
        let v: u64 = match offset {
            0x00 => 0x0100_00ed,
            0x04 => u64::from(!r.liveness),
            0x08 => u64::from(r.factorial),
            0x20 => u64::from(r.status),
            0x24 => u64::from(r.irq_status),
            0x80 => r.dma_src,
            0x88 => r.dma_dst,
            0x90 => r.dma_count,
            0x98 => r.dma_cmd,
            o if (0x40000..0x41000).contains(&o) => {
                let b = self.0.buffer.lock().unwrap();
                let at = (o - 0x40000) as usize;
                let mut v = [0u8; 8];
                let n = data.len().min(4096 - at);
                v[..n].copy_from_slice(&b[at..at + n]);
                u64::from_le_bytes(v)
            }
            _ => u64::MAX,
        };
        let n = data.len().min(8);
        data[..n].copy_from_slice(&v.to_le_bytes()[..n]);
        S_OK
    }
    fn write_intercepted(&self, bar: HDV_PCI_BAR_SELECTOR, offset: u64, data: &[u8]) -> HRESULT {
        self.0.note("WriteInterceptedMemory");
        assert_eq!(bar, HDV_PCI_BAR0);
        assert_ne!(offset, DOORBELL, "a doorbell write reached the device");
        assert!(
            !(SECTION..SECTION + 0x1000).contains(&offset),
            "a section write reached the device"
        );
        let mut v = [0u8; 8];
        v[..data.len().min(8)].copy_from_slice(&data[..data.len().min(8)]);
        let v = u64::from_le_bytes(v);
        let mut r = self.0.regs.lock().unwrap();
        match offset {
            0x04 => r.liveness = v as u32,
            0x08 => {
                // Computed at once: the status's busy bit is never seen set.
                r.factorial = (1..=v as u32).fold(1u32, |a, b| a.wrapping_mul(b));
                if r.status & 0x80 != 0 {
                    self.0.raise(&mut r, 0x1);
                }
            }
            0x20 => r.status = (r.status & 1) | (v as u32 & 0x80),
            0x60 => self.0.raise(&mut r, v as u32),
            0x64 => r.irq_status &= !(v as u32),
            0x80 => r.dma_src = v,
            0x88 => r.dma_dst = v,
            0x90 => r.dma_count = v,
            0x98 => {
                r.dma_cmd = v;
                if v & 1 != 0 {
                    self.0.dma(&mut r);
                }
            }
            _ => {}
        }
        S_OK
    }
}

/// Stores EAX as result `index`.
fn store(a: &mut CodeAssembler, index: u32) -> Result<(), IcedError> {
    a.mov(rdi, RES + u64::from(index) * 4)?;
    a.mov(dword_ptr(rdi), eax)
}

/// Waits until the handler has counted `n` interrupts, at most 100,000
/// rounds (a lost interrupt then fails the count check, not the run).
fn wait_count(a: &mut CodeAssembler, n: u32) -> Result<(), IcedError> {
    let mut wait = a.create_label();
    let mut done = a.create_label();
    a.mov(ecx, 100_000u32)?;
    a.set_label(&mut wait)?;
    a.pause()?;
    a.mov(rdi, COUNT)?;
    a.cmp(dword_ptr(rdi), n as i32)?;
    a.jae(done)?;
    a.dec(ecx)?;
    a.jnz(wait)?;
    a.set_label(&mut done)?;
    a.nop()
}

/// Waits until the DMA command's start bit is clear.
fn wait_dma(a: &mut CodeAssembler) -> Result<(), IcedError> {
    let mut wait = a.create_label();
    a.set_label(&mut wait)?;
    a.mov(eax, dword_ptr(r15 + 0x98))?;
    a.test(eax, 1)?;
    a.jnz(wait)
}

fn program(a: &mut CodeAssembler) -> Result<(), IcedError> {
    // Bus 0, devices 0 and 1, by CF8/CFC (results 0, 1) and ECAM (2, 3).
    for dev in 0..2u32 {
        a.mov(eax, 0x8000_0000 | dev << 11)?;
        a.mov(dx, 0xcf8u32)?;
        a.out(dx, eax)?;
        a.mov(dx, 0xcfcu32)?;
        a.in_(eax, dx)?;
        store(a, dev)?;
        a.mov(rsi, ECAM + (u64::from(dev) << 15))?;
        a.mov(eax, dword_ptr(rsi))?;
        store(a, 2 + dev)?;
    }
    // BAR0: placed address (4), probe (5), restored.
    a.mov(r14, DEV1)?;
    a.mov(ebx, dword_ptr(r14 + 0x10))?;
    a.mov(eax, ebx)?;
    store(a, 4)?;
    a.mov(dword_ptr(r14 + 0x10), -1)?;
    a.mov(eax, dword_ptr(r14 + 0x10))?;
    store(a, 5)?;
    a.mov(dword_ptr(r14 + 0x10), ebx)?;
    a.and(ebx, -16)?;
    a.mov(r15d, ebx)?;
    // Memory space and bus master on (a word write of the command).
    a.mov(word_ptr(r14 + 4), 6u32)?;
    // MSI through the capability list: address, data, enable.
    a.movzx(eax, byte_ptr(r14 + 0x34))?;
    a.mov(r13, r14)?;
    a.add(r13, rax)?;
    a.movzx(eax, byte_ptr(r13))?;
    store(a, 6)?; // the capability ID
    a.mov(dword_ptr(r13 + 4), 0xfee0_0000u32 as i32)?;
    a.mov(dword_ptr(r13 + 8), VECTOR as i32)?;
    a.mov(word_ptr(r13 + 2), 1u32)?;
    // The local APIC on; interrupts on.
    a.mov(rax, 0xfee0_00f0u64)?;
    a.mov(dword_ptr(rax), 0x1ff)?;
    a.sti()?;
    // ID (7), liveness (8), factorial of 10 (9).
    a.mov(eax, dword_ptr(r15))?;
    store(a, 7)?;
    a.mov(dword_ptr(r15 + 4), 0x1234_5678)?;
    a.mov(eax, dword_ptr(r15 + 4))?;
    store(a, 8)?;
    a.mov(dword_ptr(r15 + 8), 10)?;
    a.mov(eax, dword_ptr(r15 + 8))?;
    store(a, 9)?;
    // Factorial of 5 with its interrupt (status bit 7) (10).
    a.mov(dword_ptr(r15 + 0x20), 0x80)?;
    a.mov(dword_ptr(r15 + 8), 5)?;
    wait_count(a, 1)?;
    a.mov(eax, dword_ptr(r15 + 8))?;
    store(a, 10)?;
    // A raised interrupt.
    a.mov(dword_ptr(r15 + 0x60), 0x4)?;
    wait_count(a, 2)?;
    // DMA 64 bytes RAM → device buffer, then back to another place in RAM.
    a.mov(rax, DMA_SRC)?;
    a.mov(qword_ptr(r15 + 0x80), rax)?;
    a.mov(rax, 0x40000u64)?;
    a.mov(qword_ptr(r15 + 0x88), rax)?;
    a.mov(qword_ptr(r15 + 0x90), 64)?;
    a.mov(qword_ptr(r15 + 0x98), 1 | 4)?;
    wait_dma(a)?;
    wait_count(a, 3)?;
    a.mov(rax, 0x40000u64)?;
    a.mov(qword_ptr(r15 + 0x80), rax)?;
    a.mov(rax, DMA_DST)?;
    a.mov(qword_ptr(r15 + 0x88), rax)?;
    a.mov(qword_ptr(r15 + 0x98), 1 | 2 | 4)?;
    wait_dma(a)?;
    wait_count(a, 4)?;
    // The doorbell, RINGS times.
    for i in 0..RINGS {
        a.mov(dword_ptr(r15 + DOORBELL as i32), i as i32)?;
    }
    // The section-backed page: read (11), written.
    a.mov(eax, dword_ptr(r15 + SECTION as i32))?;
    store(a, 11)?;
    a.mov(dword_ptr(r15 + SECTION as i32 + 4), 0x77)?;
    a.cli()?;
    a.mov(dx, u32::from(DONE_PORT))?;
    a.out(dx, al)?;
    a.hlt()
}

fn handler(a: &mut CodeAssembler) -> Result<(), IcedError> {
    a.push(rax)?;
    a.push(rdi)?;
    // Acknowledge what the device raised, count, EOI.
    a.mov(eax, dword_ptr(r15 + 0x24))?;
    a.mov(dword_ptr(r15 + 0x64), eax)?;
    a.mov(rdi, COUNT)?;
    a.lock().inc(dword_ptr(rdi))?;
    a.mov(rax, 0xfee0_00b0u64)?;
    a.mov(dword_ptr(rax), 0)?;
    a.pop(rdi)?;
    a.pop(rax)?;
    a.iretq()
}

/// Page-aligned guest memory.
struct Memory(*mut u8);

impl Memory {
    fn new() -> Memory {
        // SAFETY: a fresh anonymous mapping.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MEMORY,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        Memory(p.cast())
    }
    fn bytes(&self) -> &[u8] {
        // SAFETY: MEMORY bytes mapped by `new`, alive until drop.
        unsafe { std::slice::from_raw_parts(self.0, MEMORY) }
    }
    fn fill(&mut self, image: &[u8]) {
        // SAFETY: as in `bytes`; `&mut self` before the guest runs.
        let all = unsafe { std::slice::from_raw_parts_mut(self.0, MEMORY) };
        all[..image.len()].copy_from_slice(image);
    }
    fn dword(&self, gpa: u64) -> u32 {
        u32::from_le_bytes(self.bytes()[gpa as usize..][..4].try_into().unwrap())
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: the mapping made by `new`.
        unsafe { libc::munmap(self.0.cast(), MEMORY) };
    }
}

#[test]
fn edu_device_end_to_end() {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    let mut mem = Memory::new();
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &WHvX64LocalApicEmulationModeXApic.0.to_le_bytes(),
    )
    .unwrap();
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    let p = Arc::new(p);

    let mut g = Guest::new(0, MEMORY).unwrap();
    let entry = g.layout().code;
    let regs = g.long64(entry).unwrap();
    g.assemble_at(64, entry, program).unwrap();
    g.assemble_at(64, HANDLER, handler).unwrap();
    let idt = g.layout().idt;
    g.write(
        idt + u64::from(VECTOR) * 16,
        &winhv_guest::idt::gate(HANDLER),
    )
    .unwrap();
    let pattern: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(7) ^ 0x5a).collect();
    g.write(DMA_SRC, &pattern).unwrap();
    mem.fill(g.memory().as_bytes());
    let flags = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute;
    // SAFETY: `mem` outlives the partition (declared first, dropped last).
    unsafe { p.map_gpa_range(mem.0.cast(), 0, MEMORY as u64, flags) }.unwrap();
    let (names, values) = winhv_guest::whp::registers(&regs);
    p.set_vp_registers(0, &names, &values).unwrap();

    let class = guid(0xed0);
    let instance = guid(1);
    let config = SystemConfig {
        slots: vec![Slot {
            class_id: class,
            instance_id: instance,
            device: Some(1),
            configuration: vec!["edu".into(), "dma".into()],
        }],
        ..Default::default()
    };
    let system = ComputeSystem::create(p.clone(), config).unwrap();
    let host = DeviceHost::initialize(&system, HdvDeviceHostFlagNone).unwrap();
    let edu = Edu::new();
    let device = host
        .create_device(
            HdvDeviceTypePCI,
            class,
            instance,
            Box::new(EduModel(edu.clone())),
        )
        .unwrap();
    edu.device.set(Arc::downgrade(&device)).unwrap();
    system.start().unwrap();
    // SAFETY: no pointer argument.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: a new descriptor, owned by this File from here on.
    let event = unsafe { File::from_raw_fd(fd) };
    device
        .register_doorbell(0, DOORBELL, 0, 0x8000_0003, event.try_clone().unwrap())
        .unwrap();
    // SAFETY: a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"edu-section".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: a new descriptor, owned by this File from here on.
    let section = unsafe { File::from_raw_fd(fd) };
    section.set_len(0x1000).unwrap();
    section
        .write_all_at(&0x5ec7_1014u32.to_le_bytes(), 0)
        .unwrap();
    let rw = HdvMmioMappingFlagWriteable;
    device
        .create_section(0, SECTION >> 12, 1, rw, section.try_clone().unwrap(), 0)
        .unwrap();

    let exit = p.run_vp(0).unwrap();
    assert_eq!(
        exit.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "exit {:?} at {:#x}",
        exit.ExitReason, exit.VpContext.Rip
    );
    // SAFETY: an I/O port exit (checked above).
    let port = unsafe { exit.Anonymous.IoPortAccess.PortNumber };
    assert_eq!(port, DONE_PORT, "the guest ran to its end");

    let r = |i: u64| mem.dword(RES + i * 4);
    assert_eq!((r(0), r(1)), (0x0008_1b36, 0x11e8_1234), "CF8/CFC scan");
    assert_eq!((r(2), r(3)), (0x0008_1b36, 0x11e8_1234), "ECAM scan");
    assert_eq!(r(4), 0xc000_0000, "BAR0 placed at plug time");
    assert_eq!(r(5), 0xfff0_0000, "BAR0's probe: 1 MiB");
    assert_eq!(r(6), u32::from(regs::CAP_ID_MSI));
    assert_eq!(r(7), 0x0100_00ed, "ID");
    assert_eq!(r(8), !0x1234_5678u32, "liveness");
    assert_eq!(r(9), 3_628_800, "10!");
    assert_eq!(r(10), 120, "5!");
    assert_eq!(
        mem.dword(COUNT),
        4,
        "factorial, raise and two DMA interrupts"
    );
    assert_eq!(
        &mem.bytes()[DMA_DST as usize..][..64],
        &pattern[..],
        "DMA there and back"
    );
    let mut count = [0u8; 8];
    (&event).read_exact(&mut count).unwrap();
    assert_eq!(
        u64::from_ne_bytes(count),
        u64::from(RINGS),
        "doorbell rings"
    );

    system.stop().unwrap();
    host.teardown();
    let log = edu.log.lock().unwrap().clone();
    assert_eq!(
        &log[..4],
        [
            "Initialize",
            "SetConfiguration [\"edu\", \"dma\"]",
            "GetDetails",
            "Start"
        ],
    );
    assert_eq!(&log[log.len() - 2..], ["Stop", "Teardown"]);
    assert!(
        log.iter().any(|l| l == "ReadConfigSpace") && log.iter().any(|l| l == "WriteConfigSpace")
    );
    // Torn down: the services answer E_HANDLE.
    assert_eq!(
        device
            .read_guest_memory(0, &mut [0; 4])
            .unwrap_err()
            .hresult,
        E_HANDLE
    );
    system.close();
}
