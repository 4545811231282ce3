//! A VP looked up once: what the safe API's `VirtualProcessor` keeps so
//! that each call skips the WHP path's per-call lookup (the partition's
//! set-up check, the slot bounds check), checking only that the VP still
//! exists (one atomic load), as WHvDeleteVirtualProcessor requires.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use winhv_defs::*;

use super::{Partition, no_vp, read};
use crate::error::Result;
use crate::vp::Vp;

/// VP `index` of a partition, found once.
#[derive(Clone, Copy)]
pub(crate) struct VpRef<'p> {
    vp: &'p Arc<Vp>,
    live: &'p AtomicBool,
    index: u32,
}

impl<'p> VpRef<'p> {
    /// The VP, if it still exists (`WHV_E_VP_DOES_NOT_EXIST` once deleted).
    pub(crate) fn get(&self) -> Result<&'p Vp> {
        if self.live.load(Ordering::Acquire) {
            Ok(self.vp)
        } else {
            Err(no_vp(self.index))
        }
    }

    /// The VP's index.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// A reference that does not keep the VP alive (a cancel handle).
    pub(crate) fn weak(&self) -> Weak<Vp> {
        Arc::downgrade(self.vp)
    }
}

impl Partition {
    /// VP `index`, which must exist.
    pub(crate) fn vp_ref(&self, index: u32) -> Result<VpRef<'_>> {
        let vm = self.vm()?;
        let slot = vm.vps.get(index as usize).ok_or_else(|| no_vp(index))?;
        let vp = slot.vp.get().ok_or_else(|| no_vp(index))?;
        let r = VpRef {
            vp,
            live: &slot.live,
            index,
        };
        r.get()?;
        Ok(r)
    }

    /// [`Partition::run_vp_into`] on a VP already looked up.
    pub(crate) fn run_vp_ref(
        &self,
        vp: VpRef<'_>,
        exit: &mut WHV_RUN_VP_EXIT_CONTEXT,
    ) -> Result<()> {
        let vp = vp.get()?;
        // Set up: a `VpRef` exists only for a set-up partition.
        let vm = self.vm()?;
        if self.time.is_suspended() {
            self.resume_time()?;
        }
        vp.run(&self.memory, vm.caps, &self.msrs, &self.devices, exit)
    }

    /// Whether `gpa` is mapped guest memory: its access flags
    /// (`WHV_MAP_GPA_RANGE_FLAGS` bits) and how many bytes follow it in
    /// the same mapping.
    pub(crate) fn mapping_at(&self, gpa: u64) -> Option<(u32, u64)> {
        read(&self.memory)
            .lookup(gpa)
            .map(|(_, flags, n)| (flags, n))
    }
}
