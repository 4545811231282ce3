//! `winhv run`: the built-in demo guest, driven through winhv's safe Rust
//! API — build a partition, map owned guest memory, create a VP, load its
//! registers, then run and answer exits until it halts. No `unsafe`.

use std::collections::BTreeMap;
use std::io::Write;

use winhv::defs::*;
use winhv::safe::{Exit, GuestMemory, PartitionBuilder};
use winhv_guest::programs::{GREETING, demo_greeting};

/// The port the demo guest prints through (the Bochs/QEMU debug port).
const DEBUG_PORT: u16 = 0xe9;
/// A bound on exits, so that a misbehaving kernel cannot spin forever.
const MAX_EXITS: usize = 100_000;

type Error = Box<dyn std::error::Error>;

/// Runs the demo; prints the guest's output and the exit counts.
pub fn run() -> Result<(), Error> {
    if !winhv::hypervisor_present() {
        return Err("no usable /dev/kvm: the hypervisor is not present".into());
    }
    let program = demo_greeting(DEBUG_PORT)?;
    let image = program.memory.as_bytes();
    let ram = GuestMemory::new(image.len())?;
    ram.write(0, image)?;

    let partition = PartitionBuilder::new().processor_count(1).build()?;
    let rwx = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute;
    partition.map_range(&ram, 0, program.memory.base(), image.len() as u64, rwx)?;
    let mut vp = partition.create_vp(0)?;
    let (names, values) = winhv_guest::whp::registers(&program.registers);
    vp.set_raw(&names, &values)?;

    let mut output = Vec::new();
    let mut exits: BTreeMap<String, u64> = BTreeMap::new();
    let stdout = std::io::stdout();
    for _ in 0..MAX_EXITS {
        let exit = vp.run()?;
        *exits.entry(format!("{:?}", exit.reason())).or_default() += 1;
        match exit {
            Exit::IoPort {
                port,
                is_write: true,
                string: false,
                data,
                ..
            } => {
                if port == DEBUG_PORT {
                    let byte = data as u8;
                    output.push(byte);
                    let mut out = stdout.lock();
                    out.write_all(&[byte])?;
                    out.flush()?;
                }
                // As on Windows: the VMM completes the instruction itself.
                vp.complete_io_write()?;
            }
            Exit::Halt => break,
            other => {
                let other = format!("{other:?}");
                let rip = vp.exit_state().rip;
                return Err(format!("unexpected exit {other} at RIP {rip:#x}").into());
            }
        }
    }
    if output != GREETING.as_bytes() {
        return Err(format!(
            "the guest wrote {:?}, expected {GREETING:?}",
            String::from_utf8_lossy(&output)
        )
        .into());
    }
    println!("exits by reason:");
    for (reason, count) in &exits {
        println!("  {reason:<40} {count:>6}");
    }
    Ok(())
}
