//! Interrupt delivery: WHvRequestInterrupt or a trigger's signal to the
//! guest's handler, and a guest doorbell write to the host's event. The
//! guest (long mode, CPL0, xAPIC) loops `cli; out READY; sti; hlt`; its
//! vector 0x40 handler does EOI. One operation: signal the event, run to
//! the next READY (the VP wakes, takes the interrupt, reports).
//!
//! winhv: a partition with LocalApicEmulationMode XApic, WHvCreateTrigger's
//! event signalled, WHvRunVirtualProcessor, RIP += InstructionLength.
//! Raw KVM: a split irqchip, one MSI route, an irqfd on it, the same
//! eventfd write and KVM_RUN (KVM completes the OUT itself).

use std::os::fd::AsFd;
use std::time::Instant;

use kvm_bindings::{KVM_IRQ_ROUTING_MSI, KvmIrqRouting, kvm_enable_cap, kvm_irq_routing_entry};
use kvm_ioctls::VcpuExit;
use vmm_sys_util::eventfd::EventFd;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;
use winhv_guest::gdt::selector;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;
use crate::pair::Pair;
use crate::raw::{self, RawKvm};
use crate::whp::{self, WhpVm};
use crate::workloads::exits::MIN_RAM;

const READY: u16 = 0xe1;
const VECTOR: u32 = 0x40;
const APIC: u64 = 0xfee0_0000;

/// The guest image and its registers.
fn program() -> Result<(winhv_guest::memory::GuestMemory, winhv_guest::Registers)> {
    let mut g = Guest::new(0, MIN_RAM)?;
    let entry = g.layout().code;
    let handler = entry + 0x800;
    g.assemble_at(64, entry, |a| {
        a.mov(rax, APIC + 0xf0)?;
        a.mov(dword_ptr(rax), 0x1ff)?; // SVR: APIC on
        a.mov(dx, u32::from(READY))?;
        let mut top = a.create_label();
        a.set_label(&mut top)?;
        a.cli()?;
        a.out(dx, al)?;
        a.sti()?;
        a.hlt()?;
        a.jmp(top)
    })?;
    g.assemble_at(64, handler, |a| {
        a.push(rax)?;
        a.mov(rax, APIC + 0xb0)?;
        a.mov(dword_ptr(rax), 0)?; // EOI
        a.pop(rax)?;
        a.iretq()
    })?;
    let registers = g.long64(entry)?;
    let low = (handler & 0xffff)
        | u64::from(selector::KERNEL_CODE64) << 16
        | 0x8e_u64 << 40
        | ((handler >> 16) & 0xffff) << 48;
    let mut gate = [0u8; 16];
    gate[..8].copy_from_slice(&low.to_le_bytes());
    gate[8..].copy_from_slice(&(handler >> 32).to_le_bytes());
    let idt = g.layout().idt;
    g.write(idt + u64::from(VECTOR) * 16, &gate)?;
    Ok((g.into_memory(), registers))
}

fn fail(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(format!("{what}: {e}"))
}

/// How an operation raises the interrupt.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// A trigger's event (winhv) / an irqfd (raw KVM).
    Trigger,
    /// WHvRequestInterrupt (winhv) / KVM_SIGNAL_MSI (raw KVM).
    Request,
}

/// The fixed, physical, edge MSI to APIC ID 0 both sides raise.
fn msi() -> kvm_bindings::kvm_msi {
    kvm_bindings::kvm_msi {
        address_lo: 0xfee0_0000,
        data: VECTOR,
        ..Default::default()
    }
}

fn apic_pair(source: Source, note: &str) -> Result<Pair> {
    let (image, registers) = program()?;
    // winhv.
    let memory = HostMemory::with_image(MIN_RAM, image.as_bytes())?;
    let p = winhv::Partition::create()?;
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &WHvX64LocalApicEmulationModeXApic.0.to_le_bytes(),
    )?;
    p.setup()?;
    p.create_vp(0)?;
    let vm = WhpVm::with_partition(p, memory, image.base(), &registers)?;
    // Fixed, physical, edge, to APIC ID 0.
    let request = WHV_INTERRUPT_CONTROL {
        Vector: VECTOR,
        ..Default::default()
    };
    let mut t = WHV_TRIGGER_PARAMETERS {
        TriggerType: WHvTriggerTypeInterrupt,
        ..Default::default()
    };
    t.Anonymous.Interrupt = request;
    let (_trigger, event) = vm.partition().create_trigger(&t)?;
    // Raw KVM.
    let kvm = RawKvm::open()?;
    let memory = HostMemory::with_image(MIN_RAM, image.as_bytes())?;
    let raw_event = EventFd::new(0).map_err(|e| fail("eventfd", e))?;
    let mut raw = kvm.vm_with(memory, image.base(), &registers, |vm| {
        let cap = kvm_enable_cap {
            cap: kvm_bindings::KVM_CAP_SPLIT_IRQCHIP,
            ..Default::default()
        };
        vm.enable_cap(&cap)?;
        let mut route = kvm_irq_routing_entry {
            gsi: 0,
            type_: KVM_IRQ_ROUTING_MSI,
            ..Default::default()
        };
        route.u.msi.address_lo = msi().address_lo;
        route.u.msi.data = msi().data;
        let routing =
            KvmIrqRouting::from_entries(&[route]).map_err(|e| fail("routing table", e))?;
        vm.set_gsi_routing(&routing)?;
        vm.register_irqfd(&raw_event, 0)?;
        Ok(())
    })?;
    // Both to their first READY (the APIC enabled).
    let first = vm.partition().run_vp(0)?;
    whp::skip_instruction(vm.partition(), &first)?;
    let exit = raw.vcpu().run()?;
    if !matches!(exit, VcpuExit::IoOut(READY, _)) {
        return Err(raw::unexpected("the first READY", &exit));
    }
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let p = vm.partition();
            let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
            let start = Instant::now();
            for _ in 0..ops {
                match source {
                    Source::Trigger => winhv::signal(event.as_fd())?,
                    Source::Request => p.request_interrupt(&request)?,
                }
                p.run_vp_into(0, &mut exit)?;
                if exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess {
                    return Err(whp::unexpected("READY after the interrupt", &exit));
                }
                whp::skip_instruction(p, &exit)?;
            }
            Ok(start.elapsed())
        }),
        kvm: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                match source {
                    Source::Trigger => {
                        raw_event.write(1).map_err(|e| fail("eventfd write", e))?;
                    }
                    Source::Request => {
                        raw.vm().signal_msi(msi())?;
                    }
                }
                let exit = raw.vcpu().run()?;
                if !matches!(exit, VcpuExit::IoOut(READY, _)) {
                    return Err(raw::unexpected("READY after the interrupt", &exit));
                }
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 100,
        note: note.into(),
    })
}

/// A trigger's signal to the guest's handler.
pub fn trigger() -> Result<Pair> {
    apic_pair(
        Source::Trigger,
        "eventfd signal → irqfd MSI → CPL0 handler (EOI) → `out` exit; winhv sets RIP",
    )
}

/// WHvRequestInterrupt to the guest's handler.
pub fn request() -> Result<Pair> {
    apic_pair(
        Source::Request,
        "WHvRequestInterrupt / KVM_SIGNAL_MSI → CPL0 handler (EOI) → `out` exit; winhv sets RIP",
    )
}

/// The doorbell's GPA (outside RAM, identity-mapped).
const DOORBELL_GPA: u64 = 0xd000_0000;
/// Where the guest reads its stop flag (RAM, past the code).
const STOP_OFFSET: u64 = 0x1_0000;
const DONE: u16 = 0xe2;

/// A CPL3 loop of 4-byte doorbell writes, checking a flag in RAM each
/// time; `out DONE` once the host sets it.
fn doorbell_program() -> Result<(
    winhv_guest::memory::GuestMemory,
    winhv_guest::Registers,
    u64,
)> {
    let mut g = Guest::new(0, MIN_RAM)?;
    let entry = g.layout().code;
    let stop = entry + STOP_OFFSET;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, DOORBELL_GPA)?;
        a.mov(rsi, stop)?;
        let mut top = a.create_label();
        a.set_label(&mut top)?;
        a.mov(dword_ptr(rdi), eax)?;
        a.cmp(byte_ptr(rsi), 0)?;
        a.je(top)?;
        a.mov(dx, u32::from(DONE))?;
        a.out(dx, al)?;
        a.jmp(top)
    })?;
    let registers = g.long64_user(entry)?;
    Ok((g.into_memory(), registers, stop))
}

/// The VP thread of a doorbell side: runs until the guest reports DONE,
/// which it does once [`Running::drop`] sets the stop flag.
struct Running {
    stop: *mut u8,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: the flag lies in guest memory, which the VP thread keeps
        // mapped until it is joined below.
        unsafe { self.stop.write_volatile(1) };
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads `event` until it counted `ops` rings; the time for `ops` of them.
fn rings(event: &EventFd, ops: u64) -> Result<std::time::Duration> {
    let start = Instant::now();
    let mut got = 0u64;
    while got < ops {
        got += event.read().map_err(|e| fail("eventfd read", e))?;
    }
    Ok(start.elapsed().mul_f64(ops as f64 / got as f64))
}

/// A guest doorbell write to the host's event.
pub fn doorbell() -> Result<Pair> {
    let (image, registers, stop) = doorbell_program()?;
    let data = WHV_DOORBELL_MATCH_DATA {
        GuestAddress: DOORBELL_GPA,
        ..Default::default()
    };
    // winhv.
    let memory = HostMemory::with_image(MIN_RAM, image.as_bytes())?;
    let whp_stop = (memory.addr() + stop) as *mut u8;
    let vm = std::sync::Arc::new(WhpVm::new(memory, image.base(), &registers)?);
    let whp_event = EventFd::new(0).map_err(|e| fail("eventfd", e))?;
    // SAFETY: the fd stays open as long as `whp_event`, which outlives the call.
    let borrowed =
        unsafe { std::os::fd::BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(&whp_event)) };
    vm.partition().register_doorbell(&data, borrowed)?;
    let runner = vm.clone();
    let whp_running = Running {
        stop: whp_stop,
        thread: Some(std::thread::spawn(move || {
            // Until the guest's DONE (or a failure).
            while let Ok(x) = runner.partition().run_vp(0) {
                if x.ExitReason == WHvRunVpExitReasonX64IoPortAccess {
                    break;
                }
            }
        })),
    };
    // Raw KVM.
    let kvm = RawKvm::open()?;
    let memory = HostMemory::with_image(MIN_RAM, image.as_bytes())?;
    let raw_stop = (memory.addr() + stop) as *mut u8;
    let raw_event = EventFd::new(0).map_err(|e| fail("eventfd", e))?;
    let mut raw = kvm.vm_with(memory, image.base(), &registers, |vm| {
        vm.register_ioevent(
            &raw_event,
            &kvm_ioctls::IoEventAddress::Mmio(DOORBELL_GPA),
            kvm_ioctls::NoDatamatch,
        )?;
        Ok(())
    })?;
    let raw_running = Running {
        stop: raw_stop,
        thread: Some(std::thread::spawn(move || {
            while let Ok(exit) = raw.vcpu().run() {
                if matches!(exit, VcpuExit::IoOut(DONE, _)) {
                    break;
                }
            }
        })),
    };
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let _keep = (&whp_running, &vm);
            rings(&whp_event, ops)
        }),
        kvm: Box::new(move |ops| {
            let _keep = &raw_running;
            rings(&raw_event, ops)
        }),
        ops_per_batch: 2000,
        note: "CPL3 `mov [gpa],eax` loop with a doorbell (ioeventfd) there: host eventfd rings per write, no exits".into(),
    })
}
