//! One VP's run loop, on its own thread: run, answer the exit (IN/OUT from
//! the exit, string I/O and MMIO through the emulator, all to the device
//! buses), and run again until a device, a shutdown or the supervisor's
//! cancel ends it.

use std::io::Write;

use winhv::safe::{Devices as _, Exit, VirtualProcessor};

use crate::devices::{Devices, Stop};

/// The buses as the safe API's emulator sees them, keeping a stop that a
/// device asked for.
struct Buses<'a> {
    devices: &'a Devices,
    stop: Option<Stop>,
}

impl winhv::safe::Devices for Buses<'_> {
    fn io_read(&mut self, port: u16, data: &mut [u8]) {
        self.devices.ports.read(u64::from(port), data);
    }
    fn io_write(&mut self, port: u16, data: &[u8]) {
        if let Some(stop) = self.devices.ports.write(u64::from(port), data) {
            self.stop.get_or_insert(stop);
        }
    }
    fn mmio_read(&mut self, gpa: u64, data: &mut [u8]) {
        self.devices.mmio.read(gpa, data);
    }
    fn mmio_write(&mut self, gpa: u64, data: &[u8]) {
        if let Some(stop) = self.devices.mmio.write(gpa, data) {
            self.stop.get_or_insert(stop);
        }
    }
}

fn failed(vp: u32, e: winhv::Error) -> Stop {
    Stop::Failed(format!("VP {vp}: {e}"))
}

/// Runs `vp` until it stops (`Some`) or is canceled (`None`).
pub fn run(vp: &mut VirtualProcessor<'_>, devices: &Devices, trace_exits: bool) -> Option<Stop> {
    let index = vp.index();
    loop {
        let exit = match vp.run() {
            Ok(exit) => exit,
            Err(e) => return Some(failed(index, e)),
        };
        if trace_exits {
            // A closed stderr loses the trace, not the guest.
            let _ = writeln!(std::io::stderr(), "[vp{index}] {exit}");
        }
        let mut buses = Buses {
            devices,
            stop: None,
        };
        let done = match exit {
            Exit::IoPort {
                string: false,
                is_write: true,
                port,
                size,
                data,
                ..
            } => {
                buses.io_write(port, &data.to_le_bytes()[..usize::from(size)]);
                vp.complete_io_write()
            }
            Exit::IoPort {
                string: false,
                is_write: false,
                port,
                size,
                ..
            } => {
                let mut data = [0u8; 4];
                buses.io_read(port, &mut data[..usize::from(size)]);
                vp.complete_io_read(u32::from_le_bytes(data))
            }
            Exit::IoPort { .. } => vp.emulate_io(&mut buses),
            Exit::Mmio { gpa, access, .. } if access == winhv::defs::WHvMemoryAccessExecute => {
                let rip = vp.exit_context().VpContext.Rip;
                return Some(Stop::Failed(format!(
                    "VP {index}: instruction fetch from {gpa:#x}, which is not RAM (RIP {rip:#x})"
                )));
            }
            Exit::Mmio { .. } => vp.emulate_mmio(&mut buses),
            Exit::Canceled => return None,
            Exit::UnrecoverableException => {
                return Some(Stop::TripleFault {
                    vp: index,
                    rip: vp.exit_context().VpContext.Rip,
                });
            }
            // With the local APIC emulated a halted VP waits in its run;
            // a Halt exit is only a wake-up: run on.
            Exit::Halt => Ok(()),
            other => {
                let what = other.to_string();
                let rip = vp.exit_context().VpContext.Rip;
                return Some(Stop::Failed(format!(
                    "VP {index}: unexpected exit {what} at RIP {rip:#x}"
                )));
            }
        };
        if let Err(e) = done {
            return Some(failed(index, e));
        }
        if let Some(stop) = buses.stop {
            return Some(stop);
        }
    }
}
