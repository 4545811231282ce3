//! The virtual machine behind `winhv run`, on winhv's safe API: a
//! partition with N VPs and the local APIC emulated (xAPIC: INIT/SIPI start
//! the APs, which wait for their SIPI inside their runs), guest RAM
//! (vm-memory's regions) mapped, the boot processor at the loader's entry
//! state, one thread per VP, and a supervisor (the calling thread) that
//! cancels every VP's run when the first stop comes — from a device, a
//! shutdown, a failure, or Ctrl-C/SIGTERM.
//!
//! This is the only module that talks to winhv; the loaders and devices
//! know nothing of it.

mod interrupts;
mod registers;
mod vp;

use std::sync::mpsc::channel;

use winhv::defs::*;
use winhv::safe::{Partition, PartitionBuilder};

use crate::boot::{EntryState, GuestRam};
use crate::devices::{Devices, Stop};

pub use interrupts::ApicInterrupts;

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// VPs.
    pub cpus: u32,
    /// Print every exit on stderr.
    pub trace_exits: bool,
}

/// A partition with `cpus` VPs, `ram` mapped (the partition keeps it), the
/// BSP at `entry`.
pub fn create(cpus: u32, ram: &GuestRam, entry: &EntryState) -> winhv::Result<Partition> {
    let partition = PartitionBuilder::new()
        .processor_count(cpus)
        .local_apic_emulation(WHvX64LocalApicEmulationModeXApic)
        .build()?;
    partition.map_vm_memory(
        ram,
        WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute,
    )?;
    for index in 0..cpus {
        partition.create_vp(index)?;
    }
    partition
        .vp(0)?
        .set_values(&registers::entry_registers(entry))?;
    Ok(partition)
}

/// What the supervisor hears.
enum Event {
    Stopped(Stop),
    Signal,
}

/// Tells the supervisor when a VP's thread unwinds (a bug of ours), so
/// that the other VPs are stopped instead of waiting forever.
struct PanicReporter(std::sync::mpsc::Sender<Event>, u32);

impl Drop for PanicReporter {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Event::Stopped(Stop::Failed(format!(
                "VP {}'s thread panicked",
                self.1
            ))));
        }
    }
}

/// Runs the partition's VPs until the first stop; returns it.
pub fn run(partition: &Partition, devices: &Devices, config: Config) -> Stop {
    let mut signals = match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ]) {
        Ok(s) => s,
        Err(e) => return Stop::Failed(format!("cannot catch SIGINT/SIGTERM: {e}")),
    };
    let signal_handle = signals.handle();
    let mut vps = Vec::new();
    for index in 0..config.cpus {
        match partition.vp(index) {
            Ok(vp) => vps.push(vp),
            Err(e) => return Stop::Failed(format!("VP {index}: {e}")),
        }
    }
    let cancels: Vec<_> = vps.iter().map(|vp| vp.cancel_handle()).collect();
    let (tx, rx) = channel();
    std::thread::scope(|s| {
        for mut vp in vps {
            let tx = tx.clone();
            s.spawn(move || {
                let _reporter = PanicReporter(tx.clone(), vp.index());
                if let Some(stop) = vp::run(&mut vp, devices, config.trace_exits) {
                    let _ = tx.send(Event::Stopped(stop));
                }
            });
        }
        {
            let tx = tx.clone();
            s.spawn(move || {
                if signals.forever().next().is_some() {
                    let _ = tx.send(Event::Signal);
                }
            });
        }
        drop(tx);
        let stop = match rx.recv() {
            Ok(Event::Stopped(stop)) => stop,
            Ok(Event::Signal) => Stop::Interrupted,
            Err(_) => Stop::Failed("every VP ended without a reason".into()),
        };
        for cancel in &cancels {
            let _ = cancel.cancel();
        }
        signal_handle.close();
        stop
    })
}
