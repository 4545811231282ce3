//! The register writes Windows refuses, checked before anything is written
//! (the hypervisor validates "that reserved bits of a register are set to
//! zero" — TLFS, HvCallSetVpRegisters), and the one architectural fix-up
//! KVM needs that a WHP caller never makes: EFER.LMA.
//!
//! Checks that depend on the guest's CPUID (CR4 and XCR0 feature bits, MSR
//! values) are left to KVM, which refuses them when the state is written.

use winhv_defs::E_INVALIDARG;

use crate::{Error, Result};

const CR0_PE: u64 = 1 << 0;
const CR0_NW: u64 = 1 << 29;
const CR0_CD: u64 = 1 << 30;
const CR0_PG: u64 = 1 << 31;
const CR4_PAE: u64 = 1 << 5;
/// EFER.LME.
pub(crate) const EFER_LME: u64 = 1 << 8;
/// EFER.LMA.
pub(crate) const EFER_LMA: u64 = 1 << 10;
/// EFER bits x86 defines: SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE,
/// AUTOIBRS.
const EFER_DEFINED: u64 =
    1 | 1 << 8 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 21;

fn invalid(what: &str, v: u64) -> Error {
    Error::with(E_INVALIDARG, format!("{what} {v:#x} is not a valid value"))
}

/// CR0: bits 63–32 reserved; PG needs PE; NW needs CD.
pub(crate) fn cr0(v: u64) -> Result<()> {
    if v >> 32 != 0 || (v & CR0_PG != 0 && v & CR0_PE == 0) || (v & CR0_NW != 0 && v & CR0_CD == 0)
    {
        return Err(invalid("CR0", v));
    }
    Ok(())
}

/// CR4: bits 63–32 reserved.
pub(crate) fn cr4(v: u64) -> Result<()> {
    if v >> 32 != 0 {
        Err(invalid("CR4", v))
    } else {
        Ok(())
    }
}

/// CR8: a 4-bit priority.
pub(crate) fn cr8(v: u64) -> Result<()> {
    if v > 0xf {
        Err(invalid("CR8", v))
    } else {
        Ok(())
    }
}

/// EFER: only defined bits.
pub(crate) fn efer(v: u64) -> Result<()> {
    if v & !EFER_DEFINED != 0 {
        Err(invalid("EFER", v))
    } else {
        Ok(())
    }
}

/// DR6 and DR7: bits 63–32 reserved.
pub(crate) fn dr6_dr7(name: &str, v: u64) -> Result<()> {
    if v >> 32 != 0 {
        Err(invalid(name, v))
    } else {
        Ok(())
    }
}

/// XCR0: x87 state is always enabled; AVX needs SSE.
pub(crate) fn xcr0(v: u64) -> Result<()> {
    if v & 1 == 0 || (v & 4 != 0 && v & 2 == 0) {
        Err(invalid("XCR0", v))
    } else {
        Ok(())
    }
}

/// An address MSR (KernelGsBase, Lstar, Cstar): canonical for the host's
/// linear-address width (KVM checks host-initiated writes against it).
pub(crate) fn canonical(what: &str, v: u64) -> Result<()> {
    let la57 = core::arch::x86_64::__cpuid_count(7, 0).ecx & (1 << 16) != 0;
    let bits = if la57 { 57 } else { 48 };
    let shift = 64 - bits;
    if ((v << shift) as i64 >> shift) as u64 != v {
        Err(invalid(what, v))
    } else {
        Ok(())
    }
}

/// IA32_PAT: each of the eight entries a memory type (UC, WC, WT, WP, WB,
/// UC-).
pub(crate) fn pat(v: u64) -> Result<()> {
    if v.to_le_bytes()
        .iter()
        .all(|b| matches!(b, 0 | 1 | 4 | 5 | 6 | 7))
    {
        Ok(())
    } else {
        Err(invalid("PAT", v))
    }
}

/// IA32_TSC_AUX: 32 bits.
pub(crate) fn tsc_aux(v: u64) -> Result<()> {
    if v >> 32 != 0 {
        Err(invalid("TscAux", v))
    } else {
        Ok(())
    }
}

/// EFER.LMA as the processor keeps it: set exactly when LME, CR0.PG and
/// CR4.PAE are. WHP callers putting a VP in long mode often set LME and PG
/// alone; KVM refuses an EFER whose LMA disagrees.
pub(crate) fn efer_with_lma(efer: u64, cr0: u64, cr4: u64) -> u64 {
    if efer & EFER_LME != 0 && cr0 & CR0_PG != 0 && cr4 & CR4_PAE != 0 {
        efer | EFER_LMA
    } else {
        efer & !EFER_LMA
    }
}

/// Long mode with paging needs PAE (the processor refuses to enable paging
/// otherwise, and so does KVM).
pub(crate) fn long_mode(efer: u64, cr0: u64, cr4: u64) -> Result<()> {
    if efer & EFER_LME != 0 && cr0 & CR0_PG != 0 && cr4 & CR4_PAE == 0 {
        return Err(Error::new(
            E_INVALIDARG,
            "EFER.LME and CR0.PG are set but CR4.PAE is clear",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_register_checks() {
        assert!(cr0(0x6000_0010).is_ok());
        assert!(cr0(0x8000_0011).is_ok());
        assert!(cr0(0x8000_0000).is_err());
        assert!(cr0(0x2000_0000).is_err());
        assert!(cr0(1 << 32).is_err());
        assert!(cr4(0x20).is_ok());
        assert!(cr4(1 << 40).is_err());
        assert!(cr8(15).is_ok());
        assert!(cr8(16).is_err());
        assert!(efer(0xd01).is_ok());
        assert!(efer(1 << 1).is_err());
        assert!(xcr0(7).is_ok());
        assert!(xcr0(6).is_err());
        assert!(xcr0(5).is_err());
        assert!(canonical("LSTAR", 0xffff_8000_0000_0000).is_ok());
        assert!(canonical("LSTAR", 0x0000_7fff_ffff_ffff).is_ok());
        assert!(canonical("LSTAR", 0xaabb_ccdd_1234_5678).is_err());
        assert!(pat(0x0007_0406_0007_0406).is_ok());
        assert!(pat(0x0007_0406_0007_0402).is_err());
        assert!(tsc_aux(0xffff_ffff).is_ok());
        assert!(tsc_aux(1 << 32).is_err());
    }

    #[test]
    fn lma_follows_lme_pg_pae() {
        assert_eq!(
            efer_with_lma(EFER_LME, CR0_PG | CR0_PE, CR4_PAE),
            EFER_LME | EFER_LMA
        );
        assert_eq!(
            efer_with_lma(EFER_LME | EFER_LMA, CR0_PE, CR4_PAE),
            EFER_LME
        );
        assert_eq!(efer_with_lma(EFER_LMA, CR0_PG | CR0_PE, CR4_PAE), 0);
        assert!(long_mode(EFER_LME, CR0_PG | CR0_PE, 0).is_err());
        assert!(long_mode(EFER_LME, CR0_PE, 0).is_ok());
    }
}
