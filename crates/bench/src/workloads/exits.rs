//! Exit round trips: a guest OUT loop, an MMIO store loop and a HLT loop,
//! each run to one exit per operation through winhv and through raw KVM.
//!
//! The winhv side does what a WHP VMM does after an I/O-port or MMIO exit:
//! it advances RIP by the exit's InstructionLength with
//! WHvSetVirtualProcessorRegisters. The raw side does what a raw KVM VMM
//! does: nothing — KVM completes a write exit itself on the next KVM_RUN.

use std::time::Instant;

use kvm_ioctls::VcpuExit;
use winhv::defs::*;
use winhv_guest::programs::{self, Program};

use crate::error::Result;
use crate::host_memory::HostMemory;
use crate::pair::Pair;
use crate::raw::{self, RawKvm, RawVm};
use crate::whp::{self, WhpVm};

/// The port the OUT loop writes to.
pub const PORT: u16 = 0x00e0;
/// The MMIO address the store loop writes to (outside RAM, identity-mapped).
pub const MMIO_GPA: u64 = 0xd000_0000;
/// Loop count: effectively endless (no batch gets near it).
const FOREVER: u32 = u32::MAX;

/// Guest RAM of every pair: at least 2 MiB, so that the 2 MiB page of the
/// identity map that holds the image is backed in full.
pub const MIN_RAM: usize = 2 << 20;

/// Both VMs running `program`, its image in [`MIN_RAM`] or more of RAM.
pub fn vms(program: &Program) -> Result<(WhpVm, RawVm)> {
    let image = program.memory.as_bytes();
    let base = program.memory.base();
    let len = image.len().max(MIN_RAM);
    let whp = WhpVm::new(
        HostMemory::with_image(len, image)?,
        base,
        &program.registers,
    )?;
    let kvm = RawKvm::open()?;
    let raw = kvm.vm(
        HostMemory::with_image(len, image)?,
        base,
        &program.registers,
    )?;
    Ok((whp, raw))
}

/// winhv: run to an exit of `reason`, then advance RIP when `skip`.
fn whp_side(
    vm: WhpVm,
    reason: WHV_RUN_VP_EXIT_REASON,
    what: &'static str,
    skip: bool,
) -> crate::pair::Side {
    Box::new(move |ops| {
        let p = vm.partition();
        // The caller's buffer, as WHvRunVirtualProcessor fills it.
        let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
        let start = Instant::now();
        for _ in 0..ops {
            p.run_vp_into(0, &mut exit)?;
            if exit.ExitReason != reason {
                return Err(whp::unexpected(what, &exit));
            }
            if skip {
                whp::skip_instruction(p, &exit)?;
            }
        }
        Ok(start.elapsed())
    })
}

/// raw KVM: run to an exit accepted by `expected`, nothing else (KVM
/// completes a write exit itself on the next KVM_RUN).
fn raw_side(
    mut vm: RawVm,
    what: &'static str,
    expected: fn(&VcpuExit<'_>) -> bool,
) -> crate::pair::Side {
    Box::new(move |ops| {
        let start = Instant::now();
        for _ in 0..ops {
            let exit = vm.vcpu().run()?;
            if !expected(&exit) {
                return Err(raw::unexpected(what, &exit));
            }
        }
        Ok(start.elapsed())
    })
}

fn port_io_pair(program: &Program, note: &str) -> Result<Pair> {
    let (whp, raw) = vms(program)?;
    Ok(Pair {
        winhv: whp_side(
            whp,
            WHvRunVpExitReasonX64IoPortAccess,
            "an I/O-port exit",
            true,
        ),
        kvm: raw_side(raw, "KVM_EXIT_IO (out)", |e| {
            matches!(e, VcpuExit::IoOut(..))
        }),
        ops_per_batch: 200,
        note: note.into(),
    })
}

fn mmio_pair(program: &Program, note: &str) -> Result<Pair> {
    let (whp, raw) = vms(program)?;
    Ok(Pair {
        winhv: whp_side(
            whp,
            WHvRunVpExitReasonMemoryAccess,
            "a memory-access exit",
            true,
        ),
        kvm: raw_side(raw, "KVM_EXIT_MMIO (write)", |e| {
            matches!(e, VcpuExit::MmioWrite(..))
        }),
        ops_per_batch: 200,
        note: note.into(),
    })
}

/// Port I/O: `out dx, al` at CPL3 (the loop natively executed on PVM).
pub fn port_io() -> Result<Pair> {
    port_io_pair(
        &programs::out_loop_user(PORT, FOREVER)?,
        "CPL3 `out dx,al` loop; winhv side sets RIP += InstructionLength",
    )
}

/// Port I/O through the safe API (`winhv::safe`): `VirtualProcessor::run`
/// → `Exit::IoPort`, then `complete_io_write` (RIP past the OUT).
pub fn port_io_safe() -> Result<Pair> {
    let (whp, raw) = vms(&programs::out_loop_user(PORT, FOREVER)?)?;
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let mut vp = winhv::safe::VirtualProcessor::from_raw(whp.partition(), 0)?;
            let start = Instant::now();
            for _ in 0..ops {
                match vp.run()? {
                    winhv::safe::Exit::IoPort { is_write: true, .. } => {}
                    _ => return Err(whp::unexpected("an I/O-port exit", vp.exit_context())),
                }
                vp.complete_io_write()?;
            }
            Ok(start.elapsed())
        }),
        kvm: raw_side(raw, "KVM_EXIT_IO (out)", |e| {
            matches!(e, VcpuExit::IoOut(..))
        }),
        ops_per_batch: 200,
        note: "CPL3 `out dx,al` loop; safe API: run() → Exit::IoPort, complete_io_write()".into(),
    })
}

/// Port I/O: `out dx, al` at CPL0 (every loop instruction emulated on PVM).
pub fn port_io_cpl0() -> Result<Pair> {
    port_io_pair(
        &programs::out_loop(PORT, FOREVER)?,
        "CPL0 `out dx,al` loop (loop emulated by PVM, both sides); winhv sets RIP",
    )
}

/// MMIO: a 4-byte store outside RAM at CPL3, in a loop.
pub fn mmio() -> Result<Pair> {
    mmio_pair(
        &programs::mmio_loop_user(MMIO_GPA, FOREVER)?,
        "CPL3 `mov [rdi],eax` to an unmapped GPA; winhv side sets RIP += InstructionLength",
    )
}

/// MMIO: the same store at CPL0.
pub fn mmio_cpl0() -> Result<Pair> {
    mmio_pair(
        &programs::mmio_loop(MMIO_GPA, FOREVER)?,
        "CPL0 `mov [rdi],eax` loop (loop emulated by PVM, both sides); winhv sets RIP",
    )
}

/// HLT: a CPL0 loop of `hlt` (CPL3 HLT would go through #GP).
pub fn hlt() -> Result<Pair> {
    let (whp, raw) = vms(&programs::hlt_loop(FOREVER)?)?;
    Ok(Pair {
        winhv: whp_side(whp, WHvRunVpExitReasonX64Halt, "a HLT exit", false),
        kvm: raw_side(raw, "KVM_EXIT_HLT", |e| matches!(e, VcpuExit::Hlt)),
        ops_per_batch: 200,
        note: "CPL0 hlt loop (3 emulated loop instructions per exit on PVM, both sides)".into(),
    })
}
