//! The winhv side of every pair: a partition set up through winhv's public
//! API alone, with the image mapped and VP 0 loaded, as a WHP VMM does it.

use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Registers;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;

/// Read, write and execute.
pub fn rwx() -> WHV_MAP_GPA_RANGE_FLAGS {
    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute
}

/// A set-up partition with ProcessorCount 1 and, with `vp`, VP 0 created.
pub fn partition(vp: bool) -> Result<Partition> {
    let p = Partition::create()?;
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    p.setup()?;
    if vp {
        p.create_vp(0)?;
    }
    Ok(p)
}

/// A partition running a guest: fields drop in order, memory last.
///
/// The fields are private on purpose: a `move` closure that named
/// `vm.partition` would capture only that field (edition 2021 disjoint
/// capture) and drop — unmap — the guest's memory under the running VP.
/// [`WhpVm::partition`] borrows the whole value.
pub struct WhpVm {
    partition: Partition,
    #[allow(dead_code, reason = "kept alive for the guest, never read")]
    memory: HostMemory,
}

impl WhpVm {
    /// Maps `memory` at `base` (RWX) and loads `registers` into VP 0.
    pub fn new(memory: HostMemory, base: u64, registers: &Registers) -> Result<Self> {
        Self::with_partition(partition(true)?, memory, base, registers)
    }

    /// As [`Self::new`], on a partition set up by the caller (VP 0 created).
    pub fn with_partition(
        partition: Partition,
        memory: HostMemory,
        base: u64,
        registers: &Registers,
    ) -> Result<Self> {
        // SAFETY: `memory` is owned by the returned value and dropped after
        // the partition (field order).
        unsafe { partition.map_gpa_range(memory.as_ptr(), base, memory.len() as u64, rwx()) }?;
        set_registers(&partition, registers)?;
        Ok(Self { partition, memory })
    }

    /// The partition.
    pub fn partition(&self) -> &Partition {
        &self.partition
    }
}

/// The 16 general registers, in encoding order.
pub const GPRS: [WHV_REGISTER_NAME; 16] = [
    WHvX64RegisterRax,
    WHvX64RegisterRcx,
    WHvX64RegisterRdx,
    WHvX64RegisterRbx,
    WHvX64RegisterRsp,
    WHvX64RegisterRbp,
    WHvX64RegisterRsi,
    WHvX64RegisterRdi,
    WHvX64RegisterR8,
    WHvX64RegisterR9,
    WHvX64RegisterR10,
    WHvX64RegisterR11,
    WHvX64RegisterR12,
    WHvX64RegisterR13,
    WHvX64RegisterR14,
    WHvX64RegisterR15,
];

/// A 64-bit register value.
pub fn reg64(x: u64) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = x;
    v
}

/// Loads a `winhv_guest` register state into VP 0 with one
/// WHvSetVirtualProcessorRegisters call (the shared `winhv_guest::whp` list).
pub fn set_registers(p: &Partition, r: &Registers) -> Result<()> {
    let (names, values) = winhv_guest::whp::registers(r);
    Ok(p.set_vp_registers(0, &names, &values)?)
}

/// Advances VP 0's RIP past the instruction of `exit`, as a WHP VMM does
/// after emulating an I/O-port or MMIO access.
pub fn skip_instruction(p: &Partition, exit: &WHV_RUN_VP_EXIT_CONTEXT) -> Result<()> {
    let len = u64::from(exit.VpContext.instruction_length());
    if len == 0 {
        return Err(Error::new(
            "winhv: the exit carries no InstructionLength, so a VMM cannot advance RIP",
        ));
    }
    Ok(p.set_vp_registers(0, &[WHvX64RegisterRip], &[reg64(exit.VpContext.Rip + len)])?)
}

/// An unexpected exit, described.
pub fn unexpected(what: &str, exit: &WHV_RUN_VP_EXIT_CONTEXT) -> Error {
    Error::new(format!(
        "winhv: expected {what}, got exit reason {:?} ({:#x}) at RIP {:#x}",
        exit.ExitReason.name(),
        exit.ExitReason.0,
        exit.VpContext.Rip
    ))
}
