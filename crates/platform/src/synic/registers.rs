//! The WHV register names of the synthetic MSRs (WHvRegisterSint0–15,
//! Scontrol, Sversion, Siefp, Simp, Eom, WHvX64RegisterHypercall,
//! GuestOsId, ReferenceTsc, ReferenceTscSequence): the VMM's view of the
//! same values the guest's RDMSR/WRMSR use. A VMM write stores the value
//! only: it writes no page into guest memory (a restored VM's pages come
//! with its memory), and a write to Eom has no effect.

#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use winhv_defs::*;

use super::VpSynic;
use super::clock::TSC_PAGE_SEQUENCE;
use super::msrs::{self, Msr};
use crate::error::{Error, Result};
use crate::registers::RegisterState;
use crate::vcpu::Vcpu;

/// Whether `name` is one of the names this module answers (whatever the
/// partition enabled).
pub(crate) fn is_synthetic(name: WHV_REGISTER_NAME) -> bool {
    (WHvRegisterSint0.0..=WHvRegisterEom.0).contains(&name.0)
        || name == WHvX64RegisterHypercall
        || name == WHvRegisterGuestOsId
        || name == WHvRegisterReferenceTsc
        || name == WHvRegisterReferenceTscSequence
}

/// The MSR behind `name`, or `None` for ReferenceTscSequence.
fn msr_index(name: WHV_REGISTER_NAME) -> Option<u32> {
    Some(match name {
        n if (WHvRegisterSint0.0..=WHvRegisterSint15.0).contains(&n.0) => {
            msrs::SINT0 + (n.0 - WHvRegisterSint0.0) as u32
        }
        WHvRegisterScontrol => msrs::SCONTROL,
        WHvRegisterSversion => msrs::SVERSION,
        WHvRegisterSiefp => msrs::SIEFP,
        WHvRegisterSimp => msrs::SIMP,
        WHvRegisterEom => msrs::EOM,
        WHvX64RegisterHypercall => msrs::HYPERCALL,
        WHvRegisterGuestOsId => msrs::GUEST_OS_ID,
        _ => msrs::REFERENCE_TSC,
    })
    .filter(|_| name != WHvRegisterReferenceTscSequence)
}

fn unknown(name: WHV_REGISTER_NAME) -> Error {
    Error::with(
        WHV_E_INVALID_VP_REGISTER_NAME,
        format!(
            "register {:#x}: the partition has not enabled its synthetic feature",
            name.0
        ),
    )
}

impl VpSynic {
    fn resolve(&self, name: WHV_REGISTER_NAME) -> Result<Option<Msr>> {
        let index = msr_index(name).unwrap_or(msrs::REFERENCE_TSC);
        let msr = Msr::of(index, self.shared.features).ok_or_else(|| unknown(name))?;
        Ok((name != WHvRegisterReferenceTscSequence).then_some(msr))
    }

    /// Checks a batch's names (and, for a set, values) before anything is
    /// written.
    pub(crate) fn check(&self, name: WHV_REGISTER_NAME, value: Option<u64>) -> Result<()> {
        let msr = self.resolve(name)?;
        let refused = match (msr, value) {
            (_, None) => false,
            (None | Some(Msr::Sversion), Some(_)) => true,
            (Some(Msr::Sint(_)), Some(v)) => msrs::sint_value(v).is_err(),
            _ => false,
        };
        if refused {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "register {:#x}: read-only, or a value the TLFS refuses",
                    name.0
                ),
            ));
        }
        Ok(())
    }

    /// A register read.
    pub(crate) fn get_register(&self, name: WHV_REGISTER_NAME) -> Result<u64> {
        Ok(match self.resolve(name)? {
            Some(msr) => self.read(msr),
            None => {
                let enabled = self.read(Msr::ReferenceTsc) & msrs::PAGE_ENABLE != 0;
                if enabled && self.shared.clock.scale() != 0 {
                    u64::from(TSC_PAGE_SEQUENCE)
                } else {
                    0
                }
            }
        })
    }

    /// A register write [`Self::check`] accepted.
    pub(crate) fn set_register(&self, name: WHV_REGISTER_NAME, v: u64) -> Result<()> {
        if let Some(msr) = self.resolve(name)? {
            self.store(msr, v, 0).map_err(|_| {
                Error::with(
                    E_INVALIDARG,
                    format!("register {:#x}: value refused", name.0),
                )
            })?;
        }
        Ok(())
    }
}

/// WHvGetVirtualProcessorRegisters of a batch naming synthetic registers:
/// the synthetic names from `synic`, the rest from the register cache in
/// one call; nothing is written to `values` unless every name resolves.
pub(crate) fn get_batch(
    synic: &VpSynic,
    regs: &mut RegisterState,
    vcpu: &mut Vcpu,
    names: &[WHV_REGISTER_NAME],
    values: &mut [WHV_REGISTER_VALUE],
) -> Result<()> {
    let mut mine = Vec::with_capacity(names.len());
    for &n in names.iter().filter(|&&n| is_synthetic(n)) {
        mine.push(synic.get_register(n)?);
    }
    let others: Vec<WHV_REGISTER_NAME> = names
        .iter()
        .copied()
        .filter(|&n| !is_synthetic(n))
        .collect();
    let mut other_values = vec![WHV_REGISTER_VALUE::default(); others.len()];
    if !others.is_empty() {
        regs.get(vcpu, &others, &mut other_values)?;
    }
    let (mut mine, mut other_values) = (mine.into_iter(), other_values.into_iter());
    for (n, out) in names.iter().zip(values.iter_mut()) {
        *out = if is_synthetic(*n) {
            let mut v = WHV_REGISTER_VALUE::default();
            v.Reg64 = mine.next().unwrap_or(0);
            v
        } else {
            other_values.next().unwrap_or_default()
        };
    }
    Ok(())
}

/// WHvSetVirtualProcessorRegisters of a batch naming synthetic registers:
/// all or nothing — the synthetic values are checked first, the rest go
/// through the register cache (which checks its own), then the synthetic
/// ones are stored.
pub(crate) fn set_batch(
    synic: &VpSynic,
    regs: &mut RegisterState,
    vcpu: &mut Vcpu,
    names: &[WHV_REGISTER_NAME],
    values: &[WHV_REGISTER_VALUE],
) -> Result<()> {
    // SAFETY: every synthetic register is 64-bit, read through Reg64
    // (any bit pattern is a valid u64).
    let r64 = |v: &WHV_REGISTER_VALUE| unsafe { v.Reg64 };
    for (&n, v) in names.iter().zip(values).filter(|(n, _)| is_synthetic(**n)) {
        synic.check(n, Some(r64(v)))?;
    }
    let (others, other_values): (Vec<WHV_REGISTER_NAME>, Vec<WHV_REGISTER_VALUE>) = names
        .iter()
        .zip(values)
        .filter(|(n, _)| !is_synthetic(**n))
        .map(|(n, v)| (*n, *v))
        .unzip();
    if !others.is_empty() {
        regs.set(vcpu, &others, &other_values)?;
    }
    for (&n, v) in names.iter().zip(values).filter(|(n, _)| is_synthetic(**n)) {
        synic.set_register(n, r64(v))?;
    }
    Ok(())
}
