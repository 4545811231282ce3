//! The virtual machine behind `winhv run`: a partition with N VPs and the
//! local APIC emulated (xAPIC: INIT/SIPI start the APs, which wait for
//! their SIPI inside their runs), guest RAM mapped, the boot processor at
//! the loader's entry state, one thread per VP, and a supervisor (the
//! calling thread) that ends every VP's run when the first stop comes —
//! from a device, a shutdown, a failure, or Ctrl-C/SIGTERM.
//!
//! This is the only module that talks to winhv (WHP-shaped calls); the
//! loaders and devices know nothing of it.

mod emulate;
mod interrupts;
mod registers;
mod trace;
mod vp;

use std::sync::mpsc::channel;

use vm_memory::{GuestAddress, GuestMemoryBackend};
use winhv::Partition;
use winhv::defs::*;

use crate::boot::{EntryState, GuestRam, RamLayout};
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

/// A partition with `cpus` VPs, `ram` mapped, the BSP at `entry`.
pub fn create(
    cpus: u32,
    ram: &GuestRam,
    layout: &RamLayout,
    entry: &EntryState,
) -> winhv::Result<Partition> {
    let partition = Partition::create()?;
    partition.set_property(WHvPartitionPropertyCodeProcessorCount, &cpus.to_le_bytes())?;
    partition.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &WHvX64LocalApicEmulationModeXApic.0.to_le_bytes(),
    )?;
    partition.setup()?;
    for region in layout.regions() {
        let host = ram
            .get_host_address(GuestAddress(region.start))
            .map_err(|_| winhv::Error::new(E_INVALIDARG, "guest RAM region without memory"))?;
        // SAFETY: `ram`'s regions are mmap'd for `region.size` bytes and
        // outlive the partition: callers drop it before `ram` (`run`).
        unsafe {
            partition.map_gpa_range(
                host.cast(),
                region.start,
                region.size,
                WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute,
            )?;
        }
    }
    for index in 0..cpus {
        partition.create_vp(index)?;
    }
    let (names, values) = registers::entry_registers(entry);
    partition.set_vp_registers(0, &names, &values)?;
    Ok(partition)
}

/// What the supervisor hears.
enum Event {
    Stopped(Stop),
    Signal,
}

/// Runs the partition's VPs until the first stop; returns it.
pub fn run(partition: &Partition, ram: &GuestRam, devices: &Devices, config: Config) -> Stop {
    let mut signals = match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ]) {
        Ok(s) => s,
        Err(e) => return Stop::Failed(format!("cannot catch SIGINT/SIGTERM: {e}")),
    };
    let signal_handle = signals.handle();
    let cx = vp::VpContext {
        partition,
        ram,
        devices,
        trace_exits: config.trace_exits,
    };
    let (tx, rx) = channel();
    std::thread::scope(|s| {
        for index in 0..config.cpus {
            let (cx, tx) = (&cx, tx.clone());
            s.spawn(move || {
                if let Some(stop) = vp::run(cx, index) {
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
        for index in 0..config.cpus {
            let _ = partition.cancel_run_vp(index, 0);
        }
        signal_handle.close();
        stop
    })
}
