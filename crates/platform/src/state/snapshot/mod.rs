//! Partition snapshots: [`Partition::save_state`] saves a whole set-up
//! partition — its properties, every VP's state (`vp.rs`), every mapped
//! range with its contents, KVM's clock — into a [`PartitionSnapshot`],
//! whose byte form (`format.rs`) is stable and versioned;
//! [`Partition::restore_state`] builds a new partition from one, and its
//! VPs continue exactly where the saved ones stopped.
//!
//! Saving holds every VP (none may be running: `WHV_E_INVALID_VP_STATE`),
//! first writing the register cache's pending changes into KVM (one
//! `KVM_RUN` with `immediate_exit`, which loads them and returns at once).
//! A VP stopped at an I/O or MMIO read exit whose completion KVM has not
//! made yet answers `WHV_E_INVALID_VP_STATE` too: run it on (or cancel and
//! run it, which returns at once) first.
//!
//! The restored partition's memory is its own: each range is a new memfd
//! mapped shared and filled with the saved contents, owned by the GPA map
//! and unmapped with the partition (read and write it with
//! WHvReadGpaRange/WHvWriteGpaRange). Its ranges track dirty pages as the
//! saved ones did, starting clean.
//!
//! Not saved (yet): SynIC and synthetic timer state (no SynIC yet),
//! suspended partition time (a saved partition whose time is suspended is
//! restored running), exit and VP counters (a new partition's start at 0).

mod format;
pub(crate) mod vp;

use kvm_bindings::kvm_clock_data;
use winhv_defs::*;

use crate::error::{Error, Result};
use crate::memory::{OwnedMapping, host_read};
use crate::partition::Partition;
use vp::VpSnapshot;

/// The partition properties a snapshot carries, in the order a restore
/// sets them: everything WHvSetPartitionProperty takes before setup.
const PROPERTIES: &[WHV_PARTITION_PROPERTY_CODE] = &[
    WHvPartitionPropertyCodeProcessorCount,
    WHvPartitionPropertyCodeProcessorFeaturesBanks,
    WHvPartitionPropertyCodeProcessorXsaveFeatures,
    WHvPartitionPropertyCodeProcessorPerfmonFeatures,
    WHvPartitionPropertyCodeProcessorClFlushSize,
    WHvPartitionPropertyCodeProcessorClockFrequency,
    WHvPartitionPropertyCodeInterruptClockFrequency,
    WHvPartitionPropertyCodeLocalApicEmulationMode,
    WHvPartitionPropertyCodeCpuidExitList,
    WHvPartitionPropertyCodeCpuidResultList,
    WHvPartitionPropertyCodeCpuidResultList2,
    WHvPartitionPropertyCodeExtendedVmExits,
    WHvPartitionPropertyCodeExceptionExitBitmap,
    WHvPartitionPropertyCodeX64MsrExitBitmap,
    WHvPartitionPropertyCodeMsrActionList,
    WHvPartitionPropertyCodeUnimplementedMsrAction,
];

/// One mapped range and its contents.
#[derive(Clone, Default)]
pub(crate) struct MemoryRange {
    pub(crate) gpa: u64,
    pub(crate) flags: u32,
    pub(crate) contents: Vec<u8>,
}

/// A whole partition's state, saved by [`Partition::save_state`].
///
/// ```no_run
/// # let p = winhv::Partition::create()?;
/// let snapshot = p.save_state()?;
/// let bytes = snapshot.to_bytes();                       // keep or send it
/// let again = winhv::PartitionSnapshot::from_bytes(&bytes)?;
/// let q = winhv::Partition::restore_state(&again)?;      // runs on from there
/// # Ok::<(), winhv::Error>(())
/// ```
#[derive(Default)]
pub struct PartitionSnapshot {
    properties: Vec<(u32, Vec<u8>)>,
    vps: Vec<VpSnapshot>,
    memory: Vec<MemoryRange>,
    clock: Option<u64>,
}

impl PartitionSnapshot {
    /// The snapshot's stable, versioned byte form (`state/snapshot/format.rs`).
    pub fn to_bytes(&self) -> Vec<u8> {
        format::encode(self)
    }

    /// Reads [`Self::to_bytes`]' form: `HRESULT_FROM_WIN32(ERROR_BAD_FORMAT)`
    /// for something else or another version,
    /// `HRESULT_FROM_WIN32(ERROR_INVALID_DATA)` when malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        format::decode(bytes)
    }

    /// The version of the byte form this build writes.
    pub const VERSION: u32 = format::VERSION;

    /// The indices of the VPs saved.
    pub fn vp_indices(&self) -> Vec<u32> {
        self.vps.iter().map(|v| v.index).collect()
    }

    /// The guest memory saved, in bytes.
    pub fn memory_size(&self) -> u64 {
        self.memory.iter().map(|m| m.contents.len() as u64).sum()
    }
}

impl std::fmt::Debug for PartitionSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionSnapshot")
            .field("vps", &self.vp_indices())
            .field("memory_size", &self.memory_size())
            .finish_non_exhaustive()
    }
}

impl Partition {
    /// Saves the whole partition (see `state/snapshot`): its properties,
    /// every VP's state, every mapped range with its contents, the clock.
    /// No VP may be running (`WHV_E_INVALID_VP_STATE`).
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let snapshot = p.save_state()?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn save_state(&self) -> Result<PartitionSnapshot> {
        let (vps, clock) = self.with_held_vps(|vm, held| {
            let mut vps = Vec::with_capacity(held.len());
            for (index, vp) in held.iter_mut() {
                vps.push(vp.snapshot(*index)?);
            }
            Ok((vps, vm.get_clock().ok().map(|c| c.clock)))
        })?;
        let mut properties = Vec::new();
        for &code in PROPERTIES {
            match self.property_to_restore(code) {
                Ok(Some(value)) => properties.push((code.0 as u32, value)),
                Ok(None) => {}
                // Not offered on this host: nothing to carry.
                Err(e) if e.hresult == WHV_E_UNKNOWN_PROPERTY => {}
                Err(e) => return Err(e),
            }
        }
        let memory = self.with_memory(|ranges| {
            ranges
                .map(|(gpa, size, flags, host)| {
                    let mut contents = vec![0u8; size as usize];
                    host_read(host, &mut contents)?;
                    Ok(MemoryRange {
                        gpa,
                        flags,
                        contents,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        Ok(PartitionSnapshot {
            properties,
            vps,
            memory,
            clock,
        })
    }

    /// A new partition in the state `snapshot` saved: same properties,
    /// VPs, memory (its own, memfd-backed) and clock. Its VPs continue
    /// where the saved ones stopped.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let q = winhv::Partition::restore_state(&p.save_state()?)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn restore_state(snapshot: &PartitionSnapshot) -> Result<Partition> {
        let p = Partition::create()?;
        for (code, value) in &snapshot.properties {
            p.set_property(WHV_PARTITION_PROPERTY_CODE(*code as i32), value)
                .map_err(|e| {
                    Error::with(
                        e.hresult,
                        format!("restoring partition property {code:#x}: {}", e.context),
                    )
                })?;
        }
        p.setup()?;
        for m in &snapshot.memory {
            let size = m.contents.len() as u64;
            let mut memory = OwnedMapping::memfd(size)?;
            memory.bytes_mut().copy_from_slice(&m.contents);
            p.map_owned(memory, m.gpa, size, m.flags)?;
        }
        for v in &snapshot.vps {
            p.create_vp(v.index)?;
        }
        p.with_held_vps(|vm, held| {
            for (index, vp) in held.iter_mut() {
                if let Some(s) = snapshot.vps.iter().find(|s| s.index == *index) {
                    vp.restore_snapshot(s)?;
                }
            }
            if let Some(clock) = snapshot.clock {
                let data = kvm_clock_data {
                    clock,
                    ..Default::default()
                };
                vm.set_clock(&data)
                    .map_err(|e| Error::from_errno("KVM_SET_CLOCK", e.errno()))?;
            }
            Ok(())
        })?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_form_round_trips_and_refuses_what_it_is_not() {
        let s = PartitionSnapshot {
            properties: vec![(0x1fff, 2u32.to_le_bytes().to_vec())],
            vps: Vec::new(),
            memory: vec![MemoryRange {
                gpa: 0x1000,
                flags: 3,
                contents: vec![7; 4096],
            }],
            clock: Some(12345),
        };
        let bytes = s.to_bytes();
        let back = PartitionSnapshot::from_bytes(&bytes).unwrap();
        assert_eq!(back.properties, s.properties);
        assert_eq!(back.memory[0].contents, s.memory[0].contents);
        assert_eq!((back.memory[0].gpa, back.memory[0].flags), (0x1000, 3));
        assert_eq!(back.clock, Some(12345));
        for cut in [0, 7, 12, 20, bytes.len() - 1] {
            assert!(
                PartitionSnapshot::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut other = bytes.clone();
        other[8] = 2;
        let e = PartitionSnapshot::from_bytes(&other).unwrap_err();
        assert_eq!(e.hresult, HRESULT_ERROR_BAD_FORMAT);
        let e = PartitionSnapshot::from_bytes(&bytes[..20]).unwrap_err();
        assert_eq!(e.hresult, HRESULT_ERROR_INVALID_DATA);
    }
}
