//! The synthetic MSRs (TLFS: "Partition Properties", "Virtual Processor
//! Index", "Partition Reference Counter", "Synthetic Interrupt
//! Controller"): their numbers, which enabled feature each belongs to,
//! their values and what the TLFS says a write does to them — pure state,
//! no KVM. Guest accesses reach it through the MSR filter (`synic/mod.rs`),
//! the VMM's through the register names (`synic/registers.rs`).

use super::features::*;
use super::timers::STIMER0_CONFIG;

pub(crate) const GUEST_OS_ID: u32 = 0x4000_0000;
pub(crate) const HYPERCALL: u32 = 0x4000_0001;
pub(crate) const VP_INDEX: u32 = 0x4000_0002;
pub(crate) const TIME_REF_COUNT: u32 = 0x4000_0020;
pub(crate) const REFERENCE_TSC: u32 = 0x4000_0021;
pub(crate) const SCONTROL: u32 = 0x4000_0080;
pub(crate) const SVERSION: u32 = 0x4000_0081;
pub(crate) const SIEFP: u32 = 0x4000_0082;
pub(crate) const SIMP: u32 = 0x4000_0083;
pub(crate) const EOM: u32 = 0x4000_0084;
pub(crate) const SINT0: u32 = 0x4000_0090;

/// SVERSION: SynIC version 1.
pub(crate) const SYNIC_VERSION: u64 = 1;
/// SINTx fields.
pub(crate) const SINT_VECTOR: u64 = 0xff;
pub(crate) const SINT_MASKED: u64 = 1 << 16;
pub(crate) const SINT_AUTO_EOI: u64 = 1 << 17;
pub(crate) const SINT_POLLING: u64 = 1 << 18;
/// Enable bit and base GPA of SIEFP, SIMP, REFERENCE_TSC and HYPERCALL.
pub(crate) const PAGE_ENABLE: u64 = 1;
pub(crate) const PAGE_BASE: u64 = !0xfff;
/// HYPERCALL's lock bit.
pub(crate) const HYPERCALL_LOCKED: u64 = 1 << 1;

/// One synthetic MSR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Msr {
    GuestOsId,
    Hypercall,
    VpIndex,
    TimeRefCount,
    ReferenceTsc,
    Scontrol,
    Sversion,
    Siefp,
    Simp,
    Eom,
    Sint(usize),
    StimerConfig(usize),
    StimerCount(usize),
}

impl Msr {
    /// The MSR `index` is, if the partition's `features` enable it.
    pub(crate) fn of(index: u32, features: u64) -> Option<Msr> {
        let (msr, feature) = match index {
            GUEST_OS_ID => (Msr::GuestOsId, HYPERCALL_REGS),
            HYPERCALL => (Msr::Hypercall, HYPERCALL_REGS),
            VP_INDEX => (Msr::VpIndex, super::features::VP_INDEX),
            TIME_REF_COUNT => (Msr::TimeRefCount, REFERENCE_COUNTER),
            super::msrs::REFERENCE_TSC => (Msr::ReferenceTsc, super::features::REFERENCE_TSC),
            SCONTROL => (Msr::Scontrol, SYNIC_REGS),
            SVERSION => (Msr::Sversion, SYNIC_REGS),
            SIEFP => (Msr::Siefp, SYNIC_REGS),
            SIMP => (Msr::Simp, SYNIC_REGS),
            EOM => (Msr::Eom, SYNIC_REGS),
            i if (SINT0..SINT0 + 16).contains(&i) => (Msr::Sint((i - SINT0) as usize), SYNIC_REGS),
            i if (STIMER0_CONFIG..STIMER0_CONFIG + 8).contains(&i) => {
                let t = ((i - STIMER0_CONFIG) / 2) as usize;
                let msr = if i % 2 == 0 {
                    Msr::StimerConfig(t)
                } else {
                    Msr::StimerCount(t)
                };
                (msr, SYNTHETIC_TIMERS)
            }
            _ => return None,
        };
        (features & feature != 0 && features & HV1 != 0).then_some(msr)
    }
}

/// Every MSR the partition's `features` enable (what the MSR filter
/// sends to user space).
pub(crate) fn enabled(features: u64) -> Vec<u32> {
    let mut all = vec![
        GUEST_OS_ID,
        HYPERCALL,
        VP_INDEX,
        TIME_REF_COUNT,
        REFERENCE_TSC,
        SCONTROL,
        SVERSION,
        SIEFP,
        SIMP,
        EOM,
    ];
    all.extend(SINT0..SINT0 + 16);
    all.extend(STIMER0_CONFIG..STIMER0_CONFIG + 8);
    all.retain(|&i| Msr::of(i, features).is_some());
    all
}

/// The partition-wide synthetic MSRs.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PartitionMsrs {
    pub guest_os_id: u64,
    pub hypercall: u64,
    pub reference_tsc: u64,
}

/// One VP's SynIC MSRs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SynicMsrs {
    pub scontrol: u64,
    pub siefp: u64,
    pub simp: u64,
    pub sint: [u64; 16],
}

impl Default for SynicMsrs {
    /// The TLFS's reset state: SynIC disabled, pages disabled, every SINT
    /// masked.
    fn default() -> Self {
        Self {
            scontrol: 0,
            siefp: 0,
            simp: 0,
            sint: [SINT_MASKED; 16],
        }
    }
}

impl SynicMsrs {
    /// Whether the SynIC is enabled and `page` (SIMP or SIEFP) too: its
    /// base GPA.
    pub(crate) fn page(&self, page: u64) -> Option<u64> {
        (self.scontrol & 1 != 0 && page & PAGE_ENABLE != 0).then_some(page & PAGE_BASE)
    }

    /// The vector SINT `sint` raises, unless it is masked or polled.
    pub(crate) fn vector(&self, sint: usize) -> Option<u8> {
        let v = self.sint[sint];
        (v & (SINT_MASKED | SINT_POLLING) == 0).then_some((v & SINT_VECTOR) as u8)
    }
}

/// A write the TLFS refuses: the guest gets #GP, the VMM `E_INVALIDARG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

/// The value SINTx holds after a write of `v`: reserved bits dropped;
/// an unmasked vector below 16 is refused (TLFS: vectors 0–15 are
/// invalid; KVM's Hyper-V emulation answers #GP too).
pub(crate) fn sint_value(v: u64) -> Result<u64, Refused> {
    if v & SINT_MASKED == 0 && v & SINT_VECTOR < 16 {
        return Err(Refused);
    }
    Ok(v & (SINT_VECTOR | SINT_MASKED | SINT_AUTO_EOI | SINT_POLLING))
}

/// The value a page-address MSR (SIEFP, SIMP, REFERENCE_TSC) holds after
/// a write of `v`: the enable bit and the base, reserved bits dropped.
pub(crate) fn page_value(v: u64) -> u64 {
    v & (PAGE_BASE | PAGE_ENABLE)
}

/// HYPERCALL after a write of `v` over `old`: a locked MSR keeps its
/// value; the page cannot be enabled while GUEST_OS_ID is 0 (TLFS).
pub(crate) fn hypercall_value(old: u64, v: u64, guest_os_id: u64) -> u64 {
    if old & HYPERCALL_LOCKED != 0 {
        return old;
    }
    let mut v = v & (PAGE_BASE | PAGE_ENABLE | HYPERCALL_LOCKED);
    if guest_os_id == 0 {
        v &= !PAGE_ENABLE;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msrs_follow_their_features() {
        let all = IMPLEMENTED;
        assert_eq!(Msr::of(SINT0 + 15, all), Some(Msr::Sint(15)));
        assert_eq!(Msr::of(SINT0 + 16, all), None);
        assert_eq!(Msr::of(SIMP, all & !SYNIC_REGS), None);
        assert_eq!(
            Msr::of(
                VP_INDEX,
                HYPERVISOR_PRESENT | super::super::features::VP_INDEX
            ),
            None,
            "needs Hv1"
        );
        assert_eq!(enabled(all).len(), 34);
        assert_eq!(Msr::of(0x4000_00b7, all), Some(Msr::StimerCount(3)));
        assert_eq!(Msr::of(0x4000_00b2, all), Some(Msr::StimerConfig(1)));
        assert_eq!(
            enabled(HYPERVISOR_PRESENT | HV1 | REFERENCE_COUNTER),
            vec![TIME_REF_COUNT]
        );
    }

    #[test]
    fn writes_follow_the_tlfs() {
        assert_eq!(sint_value(0x0f), Err(Refused));
        assert_eq!(sint_value(SINT_MASKED | 0x0f), Ok(SINT_MASKED | 0x0f));
        assert_eq!(
            sint_value(0x1_0000_0050 | SINT_AUTO_EOI),
            Ok(0x50 | SINT_AUTO_EOI)
        );
        assert_eq!(page_value(0x1234_5ff3), 0x1234_5001);
        assert_eq!(
            hypercall_value(0, 0x5001, 0),
            0x5000,
            "no OS id: not enabled"
        );
        assert_eq!(hypercall_value(0, 0x5001, 1), 0x5001);
        assert_eq!(hypercall_value(0x5003, 0x6001, 1), 0x5003, "locked");
        let s = SynicMsrs::default();
        assert_eq!(s.vector(0), None);
        assert_eq!(s.page(0x5001), None, "SynIC disabled");
    }
}
