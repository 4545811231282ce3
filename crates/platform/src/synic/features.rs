//! Which Hyper-V synthetic features (`WHV_SYNTHETIC_PROCESSOR_FEATURES`,
//! bank 0) this implementation has, which this host can offer
//! (WHvCapabilityCodeSyntheticProcessorFeaturesBanks) and which a
//! partition may enable (WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks).
//!
//! Everything here is answered in user space, through the MSR filter: the
//! host needs `KVM_CAP_X86_USER_SPACE_MSR` and `KVM_CAP_X86_MSR_FILTER`
//! for any bit, the in-kernel local APIC (split irqchip) for the SynIC
//! and its timers (their interrupts are LAPIC vectors) and a known TSC
//! frequency for the reference TSC page and the timers.

use crate::error::{Error, Result};
use winhv_defs::*;

/// `HypervisorPresent`: CPUID.1:ECX[31] and the leaves 0x4000_0000 on.
pub(crate) const HYPERVISOR_PRESENT: u64 = 1 << 0;
/// `Hv1`: the "Hv#1" interface (leaf 0x4000_0001).
pub(crate) const HV1: u64 = 1 << 1;
/// `AccessPartitionReferenceCounter`: HV_X64_MSR_TIME_REF_COUNT.
pub(crate) const REFERENCE_COUNTER: u64 = 1 << 3;
/// `AccessSynicRegs`: SCONTROL, SVERSION, SIEFP, SIMP, EOM, SINT0–15.
pub(crate) const SYNIC_REGS: u64 = 1 << 4;
/// `AccessSyntheticTimerRegs`: STIMER0–3 CONFIG and COUNT.
pub(crate) const SYNTHETIC_TIMERS: u64 = 1 << 5;
/// `AccessHypercallRegs`: HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL.
pub(crate) const HYPERCALL_REGS: u64 = 1 << 7;
/// `AccessVpIndex`: HV_X64_MSR_VP_INDEX.
pub(crate) const VP_INDEX: u64 = 1 << 8;
/// `AccessPartitionReferenceTsc`: HV_X64_MSR_REFERENCE_TSC.
pub(crate) const REFERENCE_TSC: u64 = 1 << 9;

/// Every bit implemented here (the others — VP run time, the APIC MSRs,
/// guest idle, frequency MSRs, direct timers and the hypercall families —
/// are not).
pub(crate) const IMPLEMENTED: u64 = HYPERVISOR_PRESENT
    | HV1
    | REFERENCE_COUNTER
    | SYNIC_REGS
    | SYNTHETIC_TIMERS
    | HYPERCALL_REGS
    | VP_INDEX
    | REFERENCE_TSC;

/// What the host can offer: the implemented bits its kernel allows.
pub(crate) fn offered(msr_exits: bool, split_irqchip: bool, tsc_known: bool) -> u64 {
    if !msr_exits {
        return 0;
    }
    let mut v = IMPLEMENTED;
    if !split_irqchip {
        v &= !(SYNIC_REGS | SYNTHETIC_TIMERS);
    }
    if !tsc_known {
        // The timers' deadlines are reference time too.
        v &= !(REFERENCE_TSC | SYNTHETIC_TIMERS);
    }
    v
}

/// Checks a partition's bank 0 against what the host offers: bits not
/// offered answer `WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG`; a feature without
/// the interface it lives in (anything without `Hv1`, `Hv1` without
/// `HypervisorPresent`) `E_INVALIDARG` (our reading of the TLFS: every
/// synthetic MSR belongs to the Hv#1 interface).
pub(crate) fn check(v: u64, offered: u64) -> Result<()> {
    if v & !offered != 0 {
        return Err(Error::with(
            WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
            format!(
                "SyntheticProcessorFeaturesBanks: features {:#x} are not available here (offered: {offered:#x})",
                v & !offered
            ),
        ));
    }
    let needs_hv1 = v & !(HYPERVISOR_PRESENT | HV1) != 0;
    let timers_alone = v & SYNTHETIC_TIMERS != 0 && v & SYNIC_REGS == 0;
    if (needs_hv1 && v & HV1 == 0) || (v & HV1 != 0 && v & HYPERVISOR_PRESENT == 0) || timers_alone
    {
        return Err(Error::with(
            E_INVALIDARG,
            format!(
                "SyntheticProcessorFeaturesBanks: {v:#x}: synthetic features need Hv1, Hv1 needs HypervisorPresent, timers need the SynIC"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_follow_the_host() {
        assert_eq!(offered(false, true, true), 0);
        assert_eq!(offered(true, true, true), IMPLEMENTED);
        assert_eq!(
            offered(true, false, true) & (SYNIC_REGS | SYNTHETIC_TIMERS),
            0
        );
        assert_eq!(
            offered(true, true, false) & (REFERENCE_TSC | SYNTHETIC_TIMERS),
            0
        );
    }

    #[test]
    fn dependencies_and_offers_are_checked() {
        assert!(check(0, IMPLEMENTED).is_ok());
        assert!(check(HYPERVISOR_PRESENT, IMPLEMENTED).is_ok());
        assert!(check(IMPLEMENTED, IMPLEMENTED).is_ok());
        assert_eq!(check(HV1, IMPLEMENTED).unwrap_err().hresult, E_INVALIDARG);
        assert_eq!(
            check(HYPERVISOR_PRESENT | SYNIC_REGS, IMPLEMENTED)
                .unwrap_err()
                .hresult,
            E_INVALIDARG
        );
        assert_eq!(
            check(HYPERVISOR_PRESENT | HV1 | (1 << 2), IMPLEMENTED)
                .unwrap_err()
                .hresult,
            WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
        );
        assert_eq!(
            check(HYPERVISOR_PRESENT | HV1 | SYNTHETIC_TIMERS, IMPLEMENTED)
                .unwrap_err()
                .hresult,
            E_INVALIDARG,
            "timers without the SynIC"
        );
    }
}
