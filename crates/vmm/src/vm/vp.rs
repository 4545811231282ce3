//! One VP's run loop, on its own thread: run, answer the exit (port I/O
//! directly or through the emulator, MMIO through the emulator, both to
//! the device buses), and run again until a device, a shutdown or the
//! supervisor's cancel ends it.

use winhv::Partition;
use winhv::defs::*;
use winhv_emu::Emulator;

use super::emulate::VpCallbacks;
use super::trace;
use crate::boot::GuestRam;
use crate::devices::{Devices, Stop};

/// What a VP's thread needs.
pub struct VpContext<'a> {
    /// The partition.
    pub partition: &'a Partition,
    /// Guest RAM.
    pub ram: &'a GuestRam,
    /// The buses.
    pub devices: &'a Devices,
    /// Print every exit on stderr.
    pub trace_exits: bool,
}

fn failed(e: winhv::Error) -> Stop {
    Stop::Failed(e.to_string())
}

/// Runs VP `vp` until it stops (`Some`) or is canceled (`None`).
pub fn run(cx: &VpContext<'_>, vp: u32) -> Option<Stop> {
    let mut emulator = Emulator::new();
    let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
    loop {
        if let Err(e) = cx.partition.run_vp_into(vp, &mut exit) {
            return Some(failed(e));
        }
        if cx.trace_exits {
            trace::exit(vp, &exit);
        }
        let stop = match exit.ExitReason {
            WHvRunVpExitReasonX64IoPortAccess => {
                // SAFETY: the exit reason selects the IoPortAccess member.
                let io = unsafe { exit.Anonymous.IoPortAccess };
                port_io(cx, vp, &mut emulator, &exit.VpContext, &io)
            }
            WHvRunVpExitReasonMemoryAccess => {
                // SAFETY: the exit reason selects the MemoryAccess member.
                let mmio = unsafe { exit.Anonymous.MemoryAccess };
                memory(cx, vp, &mut emulator, &exit.VpContext, &mmio)
            }
            WHvRunVpExitReasonCanceled => return None,
            WHvRunVpExitReasonUnrecoverableException => Some(Stop::TripleFault {
                vp,
                rip: exit.VpContext.Rip,
            }),
            // With the local APIC emulated a halted VP waits in its run;
            // a Halt exit is only a wake-up: run on.
            WHvRunVpExitReasonX64Halt => None,
            other => Some(Stop::Failed(format!(
                "VP {vp}: unexpected exit {other:?} at RIP {:#x}",
                exit.VpContext.Rip
            ))),
        };
        if stop.is_some() {
            return stop;
        }
    }
}

/// A port access: IN/OUT from the exit context, string forms through
/// the emulator.
fn port_io(
    cx: &VpContext<'_>,
    vp: u32,
    emulator: &mut Emulator,
    ctx: &WHV_VP_EXIT_CONTEXT,
    io: &WHV_X64_IO_PORT_ACCESS_CONTEXT,
) -> Option<Stop> {
    if io.AccessInfo.string_op() != 0 {
        return emulate(cx, vp, |cb| emulator.try_io_emulation(cb, ctx, io));
    }
    let size = (io.AccessInfo.access_size() as usize).clamp(1, 4);
    let port = u64::from(io.PortNumber);
    let mut names = [WHvX64RegisterRip, WHvX64RegisterRax];
    let mut values = [WHV_REGISTER_VALUE::default(); 2];
    values[0].Reg64 = ctx.Rip + u64::from(ctx.instruction_length());
    let mut stop = None;
    let count = if io.AccessInfo.is_write() != 0 {
        stop = cx.devices.ports.write(port, &io.Rax.to_le_bytes()[..size]);
        1
    } else {
        let mut data = [0u8; 8];
        cx.devices.ports.read(port, &mut data[..size]);
        let v = u64::from_le_bytes(data);
        // IN AL/AX merges; IN EAX zero-extends into RAX.
        values[1].Reg64 = match size {
            4 => v,
            _ => (io.Rax & !((1u64 << (8 * size)) - 1)) | v,
        };
        2
    };
    names[1] = WHvX64RegisterRax;
    if let Err(e) = cx
        .partition
        .set_vp_registers(vp, &names[..count], &values[..count])
    {
        return Some(failed(e));
    }
    stop
}

/// A memory exit: MMIO outside RAM, through the emulator.
fn memory(
    cx: &VpContext<'_>,
    vp: u32,
    emulator: &mut Emulator,
    ctx: &WHV_VP_EXIT_CONTEXT,
    mmio: &WHV_MEMORY_ACCESS_CONTEXT,
) -> Option<Stop> {
    if mmio.AccessInfo.access_type() == WHvMemoryAccessExecute.0 as u32 {
        return Some(Stop::Failed(format!(
            "VP {vp}: instruction fetch from {:#x}, which is not RAM (RIP {:#x})",
            mmio.Gpa, ctx.Rip
        )));
    }
    emulate(cx, vp, |cb| emulator.try_mmio_emulation(cb, ctx, mmio))
}

/// Runs one emulation; a failed one stops the VM with what it was.
fn emulate(
    cx: &VpContext<'_>,
    vp: u32,
    f: impl FnOnce(&mut VpCallbacks<'_>) -> Result<WHV_EMULATOR_STATUS, HRESULT>,
) -> Option<Stop> {
    let mut cb = VpCallbacks {
        partition: cx.partition,
        vp,
        ram: cx.ram,
        devices: cx.devices,
        stop: None,
    };
    match f(&mut cb) {
        Ok(status) if status.emulation_successful() != 0 => cb.stop,
        Ok(status) => Some(Stop::Failed(format!(
            "VP {vp}: the emulator could not complete an access (status {:#x})",
            status.AsUINT32
        ))),
        Err(hr) => Some(Stop::Failed(format!("VP {vp}: emulator: {hr:?}"))),
    }
}
