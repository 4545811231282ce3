//! Test guests for interrupts, shared by `interrupts.rs`, `interrupt_state.rs`,
//! `smp.rs` and `interrupts_no_apic.rs`: a long-mode CPL0 image whose local
//! APIC is used through xAPIC MMIO or x2APIC MSRs (or, without LAPIC
//! emulation, not at all: no APIC set-up, no EOI), with counting interrupt handlers, a BSP
//! program and an AP program that APs reach through INIT/SIPI (SIPI vector
//! 8 → the image's real-mode boot stub at 0x8000 → long mode).
//!
//! Every handler counts its vector per CPU at [`COUNTS`] (`cpu * 0x400 +
//! vector * 4`, the CPU found by CPUID's initial APIC ID = VP index) and,
//! but for the NMI, does EOI (with an APIC). A run that waits longer than
//! [`WATCHDOG`] for its exit is cancelled, so a lost interrupt fails the
//! test instead of hanging it. The programs report on ports:
//! * [`READY`] (single-VP idle loop, IF clear): between two READY exits
//!   the VP did `sti; hlt` and handled at least one interrupt;
//! * [`ONLINE`] (an AP came up, EAX = its index), [`WOKE`] (a VP left
//!   `hlt` and handled what was pending, EAX = index; reported with IF
//!   clear, so a fixed interrupt arriving meanwhile brings another WOKE), [`STARTED`] (the BSP sent INIT/SIPI to every AP),
//!   [`SENT`] (the BSP sent its IPIs, the flush last).
#![allow(dead_code, reason = "each test file uses a subset")]

use winhv::Partition;
use winhv::defs::*;
use winhv_guest::asm::code_asm::*;
use winhv_guest::{Guest, registers::Registers};

use crate::common::{self, HostMem};

pub const READY: u16 = 0x50;
pub const ONLINE: u16 = 0x51;
pub const WOKE: u16 = 0x52;
pub const STARTED: u16 = 0x53;
pub const SENT: u16 = 0x54;

/// Per-CPU interrupt counts: `COUNTS + cpu * 0x400 + vector * 4`.
pub const COUNTS: u64 = 0x4_0000;
/// What the BSP program sent: `SENT_COUNTS + vector * 4`.
pub const SENT_COUNTS: u64 = 0x4_4000;
const STACKS: u64 = 0x6_0000;
const BSP_ENTRY: u64 = 0x2_0000;
const AP_ENTRY: u64 = 0x2_1000;
const HANDLERS: u64 = 0x2_2000;
const MEMORY: usize = 1 << 20;
/// The SIPI vector of the boot stub (0x8000 >> 12).
pub const SIPI_VECTOR: u32 = 8;

/// The vectors with counting handlers: the NMI and 0x30–0x5f.
pub const NMI: u32 = 2;
pub const FIRST_VECTOR: u32 = 0x30;
pub const LAST_VECTOR: u32 = 0x5f;
/// IPIs the BSP program sends: to each AP, to itself, to all but itself,
/// and the flush sent last.
pub const V_FIXED: u32 = 0x40;
pub const V_SELF: u32 = 0x41;
pub const V_ALL_BUT_SELF: u32 = 0x42;
pub const V_FLUSH: u32 = 0x4f;

const XAPIC_BASE: u64 = 0xfee0_0000;
const SVR: u32 = 0x0f;
const LDR: u32 = 0x0d;
const EOI: u32 = 0x0b;

/// What the BSP runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bsp {
    /// Enables its APIC and loops: `cli; out READY; sti; hlt`.
    Idle,
    /// Enables its APIC, reports READY once and spins with IF set
    /// (`pause; jmp`): it exits only for what its handlers do.
    Spin,
    /// Starts `vps - 1` APs with INIT/SIPI (physical, one by one), reports
    /// STARTED, then sends V_FIXED and an NMI to each AP, V_ALL_BUT_SELF,
    /// a self-IPI, the V_FLUSH to all but itself, reports SENT and idles
    /// like an AP.
    StartAps { vps: u32 },
}

pub fn apic_write(
    a: &mut CodeAssembler,
    x2apic: bool,
    reg: u32,
    value: u32,
) -> Result<(), IcedError> {
    if x2apic {
        a.mov(ecx, 0x800 + reg)?;
        a.mov(eax, value)?;
        a.xor(edx, edx)?;
        a.wrmsr()
    } else {
        a.mov(rax, XAPIC_BASE + u64::from(reg) * 16)?;
        a.mov(dword_ptr(rax), value)
    }
}

/// Sends an IPI: ICR low `low` to `dest` (ICR high first in xAPIC mode).
fn icr(a: &mut CodeAssembler, x2apic: bool, dest: u32, low: u32) -> Result<(), IcedError> {
    if x2apic {
        a.mov(ecx, 0x830u32)?;
        a.mov(eax, low)?;
        a.mov(edx, dest)?;
        a.wrmsr()
    } else {
        a.mov(rax, XAPIC_BASE + 0x310)?;
        a.mov(dword_ptr(rax), dest << 24)?;
        a.mov(rax, XAPIC_BASE + 0x300)?;
        a.mov(dword_ptr(rax), low)
    }
}

/// Enables the APIC (software, SVR = 0x1ff; x2APIC mode first if asked);
/// in xAPIC mode sets the flat-model LDR to `1 << cpu` (cpu in r12d).
fn enable_apic(a: &mut CodeAssembler, x2apic: bool) -> Result<(), IcedError> {
    if x2apic {
        a.mov(ecx, 0x1bu32)?;
        a.rdmsr()?;
        a.or(eax, 0xc00)?;
        a.wrmsr()?;
    }
    apic_write(a, x2apic, SVR, 0x1ff)?;
    if !x2apic {
        a.mov(ecx, r12d)?;
        a.mov(eax, 1u32)?;
        a.shl(eax, cl)?;
        a.shl(eax, 24)?;
        a.mov(rdx, XAPIC_BASE + u64::from(LDR) * 16)?;
        a.mov(dword_ptr(rdx), eax)?;
    }
    Ok(())
}

/// r12d = this CPU's initial APIC ID (the VP index); RSP = its stack.
fn identify(a: &mut CodeAssembler) -> Result<(), IcedError> {
    a.mov(eax, 1u32)?;
    a.cpuid()?;
    a.shr(ebx, 24)?;
    a.mov(r12d, ebx)?;
    a.mov(eax, r12d)?;
    a.inc(eax)?;
    a.shl(eax, 12)?;
    a.add(eax, STACKS as u32)?;
    a.mov(esp, eax)
}

fn out(a: &mut CodeAssembler, port: u16) -> Result<(), IcedError> {
    a.mov(eax, r12d)?;
    a.mov(dx, u32::from(port))?;
    a.out(dx, eax)
}

/// `sti; hlt; cli; out WOKE; jmp` forever: every fixed interrupt is
/// followed by a WOKE (one pending when WOKE is reported waits for the next
/// `hlt`, IF being clear), an NMI by at least the next fixed one's.
fn idle_loop(a: &mut CodeAssembler) -> Result<(), IcedError> {
    let mut top = a.create_label();
    a.set_label(&mut top)?;
    a.sti()?;
    a.hlt()?;
    a.cli()?;
    out(a, WOKE)?;
    a.jmp(top)
}

fn add_sent(a: &mut CodeAssembler, vector: u32, n: u32) -> Result<(), IcedError> {
    a.mov(rdi, SENT_COUNTS + u64::from(vector) * 4)?;
    a.lock().add(dword_ptr(rdi), n)
}

/// The APIC a program uses: `Some(x2apic)`, or `None` without LAPIC
/// emulation.
type Apic = Option<bool>;

fn bsp_program(a: &mut CodeAssembler, apic: Apic, bsp: Bsp) -> Result<(), IcedError> {
    identify(a)?;
    if let Some(x2apic) = apic {
        enable_apic(a, x2apic)?;
    }
    let x2apic = apic == Some(true);
    match bsp {
        Bsp::Spin => {
            a.cli()?;
            out(a, READY)?;
            a.sti()?;
            let mut top = a.create_label();
            a.set_label(&mut top)?;
            a.pause()?;
            a.jmp(top)
        }
        Bsp::Idle => {
            let mut top = a.create_label();
            a.set_label(&mut top)?;
            a.cli()?;
            out(a, READY)?;
            a.sti()?;
            a.hlt()?;
            a.jmp(top)
        }
        Bsp::StartAps { vps } => {
            for ap in 1..vps {
                icr(a, x2apic, ap, 0x4500)?; // INIT, level assert
            }
            for ap in 1..vps {
                icr(a, x2apic, ap, 0x4600 | SIPI_VECTOR)?;
            }
            out(a, STARTED)?;
            a.sti()?;
            for ap in 1..vps {
                icr(a, x2apic, ap, 0x4000 | V_FIXED)?;
                add_sent(a, V_FIXED, 1)?;
            }
            for ap in 1..vps {
                icr(a, x2apic, ap, 0x4400)?; // NMI
                add_sent(a, NMI, 1)?;
            }
            icr(a, x2apic, 0, 0xc_4000 | V_ALL_BUT_SELF)?;
            add_sent(a, V_ALL_BUT_SELF, vps - 1)?;
            icr(a, x2apic, 0, 0x4_4000 | V_SELF)?;
            add_sent(a, V_SELF, 1)?;
            // The self-IPI is taken at once (IF is set): wait for it.
            let mut wait = a.create_label();
            a.set_label(&mut wait)?;
            a.pause()?;
            a.mov(rdi, COUNTS + u64::from(V_SELF) * 4)?;
            a.cmp(dword_ptr(rdi), 1)?;
            a.jb(wait)?;
            icr(a, x2apic, 0, 0xc_4000 | V_FLUSH)?;
            add_sent(a, V_FLUSH, vps - 1)?;
            out(a, SENT)?;
            idle_loop(a)
        }
    }
}

fn ap_program(a: &mut CodeAssembler, x2apic: bool) -> Result<(), IcedError> {
    identify(a)?;
    enable_apic(a, x2apic)?;
    out(a, ONLINE)?;
    idle_loop(a)
}

fn handler(a: &mut CodeAssembler, apic: Apic, vector: u32) -> Result<(), IcedError> {
    a.push(rax)?;
    a.push(rbx)?;
    a.push(rcx)?;
    a.push(rdx)?;
    a.mov(eax, 1u32)?;
    a.cpuid()?;
    a.shr(ebx, 24)?;
    a.shl(ebx, 10)?;
    a.mov(rax, COUNTS + u64::from(vector) * 4)?;
    a.add(rax, rbx)?;
    a.lock().inc(dword_ptr(rax))?;
    if let (Some(x2apic), true) = (apic, vector != NMI) {
        apic_write(a, x2apic, EOI, 0)?;
    }
    a.pop(rdx)?;
    a.pop(rcx)?;
    a.pop(rbx)?;
    a.pop(rax)?;
    a.iretq()
}

/// A 64-bit interrupt gate (DPL 0) to a handler (shared with the IDT
/// builder of the guest crate).
#[allow(unused_imports)]
pub use winhv_guest::idt::gate;

/// The image and the BSP's registers.
pub fn image(x2apic: bool, bsp: Bsp) -> (winhv_guest::memory::GuestMemory, Registers) {
    image_for(Some(x2apic), bsp)
}

/// [`image`] for `apic` (`None`: without LAPIC emulation).
fn image_for(apic: Apic, bsp: Bsp) -> (winhv_guest::memory::GuestMemory, Registers) {
    let x2apic = apic == Some(true);
    let mut g = Guest::new(0, MEMORY).unwrap();
    // The boot stub first: it and long64 both write the descriptor tables,
    // the handler gates go in after.
    g.boot_stub(AP_ENTRY).unwrap();
    let registers = g.long64(BSP_ENTRY).unwrap();
    g.assemble_at(64, BSP_ENTRY, |a| bsp_program(a, apic, bsp))
        .unwrap();
    g.assemble_at(64, AP_ENTRY, |a| ap_program(a, x2apic))
        .unwrap();
    let idt = g.layout().idt;
    let vectors = std::iter::once(NMI).chain(FIRST_VECTOR..=LAST_VECTOR);
    for (i, vector) in vectors.enumerate() {
        let at = HANDLERS + i as u64 * 0x80;
        let end = g.assemble_at(64, at, |a| handler(a, apic, vector)).unwrap();
        assert!(end <= at + 0x80, "handler {vector:#x} too long");
        g.write(idt + u64::from(vector) * 16, &winhv_guest::idt::gate(at))
            .unwrap();
    }
    (g.into_memory(), registers)
}

/// A set-up partition with `vps` VPs in LAPIC `mode` running [`image`] on
/// VP 0 (the memory is kept alive by the pair, dropped after the
/// partition), or `None` with a SKIPPED line where that cannot run here.
pub fn partition(
    mode: WHV_X64_LOCAL_APIC_EMULATION_MODE,
    vps: u32,
    bsp: Bsp,
) -> Option<(Partition, HostMem)> {
    if !common::kvm_available() {
        return None;
    }
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &vps.to_le_bytes())
        .unwrap();
    if let Err(e) = p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &mode.0.to_le_bytes(),
    ) {
        println!(
            "SKIPPED: LocalApicEmulationMode {} refused here: {e}",
            mode.0
        );
        return None;
    }
    p.setup().unwrap();
    for i in 0..vps {
        p.create_vp(i).unwrap();
    }
    let apic = (mode != WHvX64LocalApicEmulationModeNone)
        .then_some(mode == WHvX64LocalApicEmulationModeX2Apic);
    let (image, registers) = image_for(apic, bsp);
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    // SAFETY: the caller keeps `mem` alive until after the partition (the
    // pair's fields drop in order).
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &registers);
    Some((p, mem))
}

/// Runs VP `vp` to its next port write, which it skips; returns the port
/// and EAX. Any other exit fails the test.
pub fn run_to_port(p: &Partition, vp: u32) -> (u16, u32) {
    let x = run_watched(p, vp);
    finish_port_exit(p, vp, &x)
}

/// How long a single-VP test waits for an exit before it cancels the run
/// (which then fails the test with the Canceled exit): far above any
/// exit these guests wait for, even on a loaded machine.
pub const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs VP `vp` once, cancelling the run if it takes longer than
/// [`WATCHDOG`] (a lost interrupt leaves the guest halted for ever).
pub fn run_watched(p: &Partition, vp: u32) -> WHV_RUN_VP_EXIT_CONTEXT {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(WATCHDOG) {
                let _ = p.cancel_run_vp(vp, 0);
            }
        });
        let x = p.run_vp(vp);
        drop(done);
        let x = x.unwrap();
        assert_ne!(
            x.ExitReason, WHvRunVpExitReasonCanceled,
            "VP {vp}: no exit within {WATCHDOG:?} (a lost interrupt?)"
        );
        x
    })
}

/// Checks that `x` is a port write, skips it, returns port and EAX.
fn finish_port_exit(p: &Partition, vp: u32, x: &WHV_RUN_VP_EXIT_CONTEXT) -> (u16, u32) {
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "VP {vp}: exit {:?} at RIP {:#x}",
        x.ExitReason, x.VpContext.Rip
    );
    // SAFETY: the exit reason says which member is live.
    let io = unsafe { x.Anonymous.IoPortAccess };
    let port = io.PortNumber;
    assert_ne!(
        port,
        winhv_guest::layout::DEFAULT_EXCEPTION_PORT,
        "VP {vp}: exception {:#x} at RIP {:#x}",
        io.Rax,
        x.VpContext.Rip
    );
    let rip = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
    common::set64(p, vp, WHvX64RegisterRip, rip);
    (port, io.Rax as u32)
}

/// [`run_to_port`] for a VP another thread inspects meanwhile: a run that
/// starts while that thread holds the VP answers WHV_E_INVALID_VP_STATE
/// (winhv's one-thread-at-a-time rule) and is tried again.
pub fn run_to_port_contended(p: &Partition, vp: u32) -> (u16, u32) {
    loop {
        match p.run_vp(vp) {
            Err(e) if e.hresult == WHV_E_INVALID_VP_STATE => std::thread::yield_now(),
            Err(e) => panic!("VP {vp}: {e}"),
            Ok(x) => return finish_port_exit(p, vp, &x),
        }
    }
}

/// How many times CPU `cpu`'s handler for `vector` ran.
pub fn count(p: &Partition, cpu: u32, vector: u32) -> u32 {
    read_u32(p, COUNTS + u64::from(cpu) * 0x400 + u64::from(vector) * 4)
}

/// [`count`] for CPU 0 from the guest memory itself: readable while the VP
/// runs on another thread.
pub fn count_in(mem: &HostMem, vector: u32) -> u32 {
    let at = COUNTS as usize + vector as usize * 4;
    let b = mem.bytes();
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// How many `vector` IPIs the BSP program sent.
pub fn sent(p: &Partition, vector: u32) -> u32 {
    read_u32(p, SENT_COUNTS + u64::from(vector) * 4)
}

fn read_u32(p: &Partition, gpa: u64) -> u32 {
    let mut b = [0u8; 4];
    p.read_gpa_range(gpa, &mut b).unwrap();
    u32::from_le_bytes(b)
}

/// A `WHV_INTERRUPT_CONTROL` as a Windows caller fills it.
pub fn control(
    ty: WHV_INTERRUPT_TYPE,
    mode: WHV_INTERRUPT_DESTINATION_MODE,
    trigger: WHV_INTERRUPT_TRIGGER_MODE,
    destination: u32,
    vector: u32,
) -> WHV_INTERRUPT_CONTROL {
    let mut ic = WHV_INTERRUPT_CONTROL {
        Destination: destination,
        Vector: vector,
        ..Default::default()
    };
    ic.set_type(ty.0 as u64);
    ic.set_destination_mode(mode.0 as u64);
    ic.set_trigger_mode(trigger.0 as u64);
    ic
}

/// A fixed, edge-triggered, physical interrupt.
pub fn fixed(destination: u32, vector: u32) -> WHV_INTERRUPT_CONTROL {
    control(
        WHvX64InterruptTypeFixed,
        WHvX64InterruptDestinationModePhysical,
        WHvX64InterruptTriggerModeEdge,
        destination,
        vector,
    )
}
