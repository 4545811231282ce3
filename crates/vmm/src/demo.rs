//! `winhv run`: the built-in demo guest, driven the way a Windows VMM drives
//! WHP — create, set properties, set up, map memory, create a VP, load its
//! registers, then run and answer exits until it halts.

use std::collections::BTreeMap;
use std::io::Write;

use winhv::Partition;
use winhv::defs::*;
use winhv_guest::programs::{GREETING, demo_greeting};

use crate::guest_memory::GuestRam;

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
    let mut ram = GuestRam::new(image.len())?;
    ram.bytes_mut().copy_from_slice(image);

    let partition = Partition::create()?;
    partition.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    partition.setup()?;
    // SAFETY: `ram` outlives `partition` (declared before it, so dropped after).
    unsafe {
        partition.map_gpa_range(
            ram.as_ptr(),
            program.memory.base(),
            image.len() as u64,
            WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute,
        )?;
    }
    partition.create_vp(0)?;
    let (names, values) = winhv_guest::whp::registers(&program.registers);
    partition.set_vp_registers(0, &names, &values)?;

    let mut output = Vec::new();
    let mut exits: BTreeMap<String, u64> = BTreeMap::new();
    let stdout = std::io::stdout();
    for _ in 0..MAX_EXITS {
        let exit = partition.run_vp(0)?;
        *exits.entry(format!("{:?}", exit.ExitReason)).or_default() += 1;
        match exit.ExitReason {
            WHvRunVpExitReasonX64IoPortAccess => {
                // SAFETY: the exit reason selects the IoPortAccess member.
                let io = unsafe { exit.Anonymous.IoPortAccess };
                if io.AccessInfo.is_write() == 1 && io.PortNumber == DEBUG_PORT {
                    let byte = io.Rax as u8;
                    output.push(byte);
                    let mut out = stdout.lock();
                    out.write_all(&[byte])?;
                    out.flush()?;
                }
                // As on Windows: the VMM completes the instruction itself.
                let rip = exit.VpContext.Rip + u64::from(exit.VpContext.instruction_length());
                partition.set_vp_registers(
                    0,
                    &[WHvX64RegisterRip],
                    &[WHV_REGISTER_VALUE { Reg64: rip }],
                )?;
            }
            WHvRunVpExitReasonX64Halt => break,
            other => {
                return Err(
                    format!("unexpected exit {other:?} at RIP {:#x}", exit.VpContext.Rip).into(),
                );
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
    drop(partition);
    drop(ram);
    Ok(())
}
