//! [`MsrCache`]: the MSR part of a VP's register cache. The MSRs a batch
//! names are fetched with one `KVM_GET_MSRS` (KVM stops at the first MSR it
//! does not implement: that name is unbacked, remembered for the VP's
//! life), kept until the next run, and the changed ones written back with
//! one `KVM_SET_MSRS` before it.

use kvm_bindings::{Msrs, kvm_msr_entry};
use kvm_ioctls::VcpuFd;
use winhv_defs::{E_INVALIDARG, WHV_E_INVALID_VP_REGISTER_NAME};

use super::counts::IoctlCounts;
use crate::{Error, Result};

/// One cached MSR.
#[derive(Copy, Clone, Debug)]
struct MsrValue {
    index: u32,
    value: u64,
    dirty: bool,
}

/// The MSR values of one VP fetched since its last run, and the MSRs KVM
/// does not implement.
#[derive(Debug, Default)]
pub(crate) struct MsrCache {
    values: Vec<MsrValue>,
    unsupported: Vec<u32>,
}

impl MsrCache {
    /// Whether KVM refused to read `index` on this VP before.
    pub(crate) fn is_unsupported(&self, index: u32) -> bool {
        self.unsupported.contains(&index)
    }

    /// The cached value of `index`.
    pub(crate) fn get(&self, index: u32) -> Option<u64> {
        self.values
            .iter()
            .find(|m| m.index == index)
            .map(|m| m.value)
    }

    /// Fetches the `wanted` MSRs not cached yet with one `KVM_GET_MSRS`;
    /// `WHV_E_INVALID_VP_REGISTER_NAME` for the first one KVM lacks.
    pub(crate) fn load(
        &mut self,
        vcpu: &VcpuFd,
        wanted: impl Iterator<Item = u32>,
        counts: &mut IoctlCounts,
    ) -> Result<()> {
        let mut missing: Vec<u32> = Vec::new();
        for index in wanted {
            if self.get(index).is_none() && !missing.contains(&index) {
                missing.push(index);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let entries: Vec<kvm_msr_entry> = missing
            .iter()
            .map(|&index| kvm_msr_entry {
                index,
                ..Default::default()
            })
            .collect();
        let mut msrs = Msrs::from_entries(&entries)
            .map_err(|_| Error::new(E_INVALIDARG, "too many MSRs in one register batch"))?;
        counts.get_msrs += 1;
        let read = vcpu
            .get_msrs(&mut msrs)
            .map_err(|e| Error::from_errno("KVM_GET_MSRS", e.errno()))?;
        for e in msrs.as_slice().iter().take(read) {
            self.values.push(MsrValue {
                index: e.index,
                value: e.data,
                dirty: false,
            });
        }
        if let Some(&lacking) = missing.get(read) {
            self.unsupported.push(lacking);
            return Err(Error::with(
                WHV_E_INVALID_VP_REGISTER_NAME,
                format!("KVM does not implement MSR {lacking:#x} on this VP"),
            ));
        }
        Ok(())
    }

    /// Records a new value for a cached MSR; marks it for write-back if it
    /// changed.
    pub(crate) fn update(&mut self, index: u32, value: u64) {
        if let Some(m) = self.values.iter_mut().find(|m| m.index == index) {
            if m.value != value {
                m.value = value;
                m.dirty = true;
            }
        }
    }

    /// One `KVM_SET_MSRS` for every changed MSR. An MSR KVM refuses keeps
    /// its old value in the VP and is forgotten here.
    pub(crate) fn write_back(&mut self, vcpu: &VcpuFd, counts: &mut IoctlCounts) -> Result<()> {
        if !self.values.iter().any(|m| m.dirty) {
            // The usual run: nothing to write, no allocation.
            return Ok(());
        }
        let entries: Vec<kvm_msr_entry> = self
            .values
            .iter()
            .filter(|m| m.dirty)
            .map(|m| kvm_msr_entry {
                index: m.index,
                data: m.value,
                ..Default::default()
            })
            .collect();
        if entries.is_empty() {
            return Ok(());
        }
        let msrs = Msrs::from_entries(&entries)
            .map_err(|_| Error::new(E_INVALIDARG, "too many MSRs to write back"))?;
        counts.set_msrs += 1;
        let written = match vcpu.set_msrs(&msrs) {
            Ok(n) => n,
            Err(e) => {
                self.values.retain(|m| !m.dirty);
                return Err(Error::from_errno("KVM_SET_MSRS", e.errno()));
            }
        };
        for e in entries.iter().take(written) {
            if let Some(m) = self.values.iter_mut().find(|m| m.index == e.index) {
                m.dirty = false;
            }
        }
        if let Some(refused) = entries.get(written) {
            self.values.retain(|m| m.index != refused.index);
            return Err(Error::with(
                E_INVALIDARG,
                format!("KVM refused MSR {:#x} = {:#x}", refused.index, refused.data),
            ));
        }
        Ok(())
    }

    /// Forgets the values (stale after a run); keeps what KVM lacks.
    pub(crate) fn drop_values(&mut self) {
        self.values.clear();
    }
}
