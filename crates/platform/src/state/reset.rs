//! [`PowerOn`]: everything of a vCPU that WHvResetPartition puts back —
//! captured when the VP is created, restored by [`PowerOn::restore`].
//!
//! Microsoft: a reset returns the VPs "to the state they had immediately
//! after the partition was set up", restores "the register state of each
//! existing virtual processor … to its initial values" and clears pending
//! per-VP state; GPA mappings and memory stay (`WHvResetPartition`). So
//! every piece of KVM vCPU state a guest or the VMM can change is captured
//! here, right after the VP's creation (with its CPUID table, TSC rate and
//! IA32_ARCH_CAPABILITIES set):
//!
//! | state | ioctl | note |
//! | --- | --- | --- |
//! | general, segment, control registers, EFER, APIC base | `KVM_GET/SET_REGS`, `SREGS` | per VP |
//! | events (pending exceptions, NMI, interrupt shadow, SMM) | `KVM_GET/SET_VCPU_EVENTS` | per VP |
//! | activity (runnable, waiting for SIPI) | `KVM_GET/SET_MP_STATE` | per VP |
//! | the whole XSAVE image: x87, SSE, AVX and every extended component, PKRU | `KVM_GET/SET_XSAVE` | the same for every fresh vCPU ([`SharedPowerOn`]) |
//! | XCR0, DR0–7 | `KVM_GET/SET_XCRS`, `DEBUGREGS` | shared |
//! | MSRs: every one in `KVM_GET_MSR_INDEX_LIST`, every MSR a WHP register name backs, the MTRRs, the machine-check banks | `KVM_GET/SET_MSRS` | per VP; those the VP cannot read are left out |
//! | the local APIC's register page | `KVM_GET/SET_LAPIC` | per VP, with LAPIC emulation |
//!
//! Left to others: the TSC (`crate::state::time` sets every VP's back to 0
//! together, and freezes it until the next run, as Windows does), and the
//! register cache and cancellation state (`crate::vp`).
//!
//! Order of the restore: registers and system registers first (the APIC
//! base sets the APIC's mode), then the XSAVE image and XCR0, events,
//! activity, debug registers, the MSRs (a TSC deadline write disarms the
//! timer), and the LAPIC page last. KVM refuses a host write of some MSRs
//! once the vCPU has run when the value changes (feature MSRs): they are
//! written with their unchanged value, which KVM accepts; an MSR KVM
//! refuses all the same keeps its value (reported by the tests, not by the
//! reset, which must not fail half done).

use std::sync::OnceLock;

use kvm_bindings::{
    Msrs, kvm_debugregs, kvm_lapic_state, kvm_mp_state, kvm_msr_entry, kvm_regs, kvm_sregs,
    kvm_vcpu_events, kvm_xcrs, kvm_xsave,
};
use kvm_ioctls::VcpuFd;
use winhv_defs::{E_FAIL, WHV_REGISTER_NAME};

use crate::error::{Error, Result};

/// IA32_TIME_STAMP_COUNTER: reset by `state::time`, not here (a host write
/// of the TSC is subject to KVM's synchronisation heuristics).
const MSR_TSC: u32 = 0x10;
/// IA32_MTRRCAP and IA32_MCG_CAP: read-only.
const MSR_MTRRCAP: u32 = 0xfe;
const MSR_MCG_CAP: u32 = 0x179;
/// IA32_MC0_CTL: bank *i* is `0x400 + 4i` (CTL, STATUS, ADDR, MISC).
const MSR_MC0_CTL: u32 = 0x400;
/// IA32_MC0_CTL2 (with CMCI, MCG_CAP bit 10): bank *i* is `0x280 + i`.
const MSR_MC0_CTL2: u32 = 0x280;
const MCG_CMCI_P: u64 = 1 << 10;
/// The most entries one `KVM_GET/SET_MSRS` takes (kvm-bindings' wrapper).
const MSR_CHUNK: usize = kvm_bindings::KVM_MAX_MSR_ENTRIES;

/// The part of a fresh vCPU's state that KVM sets the same way for every
/// vCPU of every VM (its reset code loads fixed values: the XSAVE init
/// state, XCR0, DR0–DR7), fetched from the first vCPU created in the
/// process and shared by all later ones.
/// `tests::power_on_state_is_shared_by_every_vcpu` checks that this holds
/// on the kernel at hand.
pub(crate) struct SharedPowerOn {
    xsave: Box<kvm_xsave>,
    xcrs: Option<kvm_xcrs>,
    debugregs: kvm_debugregs,
}

fn fetch_shared_power_on(vcpu: &VcpuFd) -> Result<SharedPowerOn> {
    Ok(SharedPowerOn {
        xsave: Box::new(vcpu.get_xsave()?),
        xcrs: vcpu.get_xcrs().ok(),
        debugregs: vcpu.get_debug_regs()?,
    })
}

/// [`SharedPowerOn`], fetched from `vcpu` (a fresh vCPU) the first time.
fn shared_power_on(vcpu: &VcpuFd) -> Result<&'static SharedPowerOn> {
    static SHARED: OnceLock<SharedPowerOn> = OnceLock::new();
    if let Some(s) = SHARED.get() {
        return Ok(s);
    }
    let s = fetch_shared_power_on(vcpu)?;
    Ok(SHARED.get_or_init(|| s))
}

/// The MSRs a reset restores, before the per-VP filter: KVM's list of
/// MSRs to save, every MSR a WHP register name backs, the MTRRs (all
/// WHP names), without the TSC and the read-only MSRs. Fetched once.
fn msr_candidates() -> Result<&'static [u32]> {
    static LIST: OnceLock<Vec<u32>> = OnceLock::new();
    if let Some(l) = LIST.get() {
        return Ok(l);
    }
    let kvm = crate::kvm::kvm()?;
    let listed = kvm
        .get_msr_index_list()
        .map_err(|e| Error::from_errno("KVM_GET_MSR_INDEX_LIST", e.errno()))?;
    let mut list: Vec<u32> = listed.as_slice().to_vec();
    // The WHP MSR names are 0x2000–0x20ff.
    list.extend(
        (0x2000..0x2100).filter_map(|n| crate::registers::msr_of_name(WHV_REGISTER_NAME(n))),
    );
    let mut seen = std::collections::BTreeSet::new();
    list.retain(|&i| i != MSR_TSC && i != MSR_MTRRCAP && i != MSR_MCG_CAP && seen.insert(i));
    Ok(LIST.get_or_init(|| list))
}

/// The MSRs of `vcpu` a reset restores and a snapshot saves (besides the
/// TSC): [`msr_candidates`] and the machine-check banks KVM gives it.
pub(crate) fn msr_indices(vcpu: &VcpuFd) -> Result<Vec<u32>> {
    let mut indices = msr_candidates()?.to_vec();
    // The machine-check banks KVM gives this vCPU (MCG_CAP[7:0]).
    let mcg_cap = read_msrs(vcpu, &[MSR_MCG_CAP])?
        .first()
        .map_or(0, |e| e.data);
    for bank in 0..(mcg_cap & 0xff) as u32 {
        indices.extend((0..4).map(|i| MSR_MC0_CTL + 4 * bank + i));
        if mcg_cap & MCG_CMCI_P != 0 {
            indices.push(MSR_MC0_CTL2 + bank);
        }
    }
    Ok(indices)
}

/// Reads `indices` from `vcpu`, leaving out those KVM cannot read on it
/// (`KVM_GET_MSRS` stops at the first: it is skipped and the rest read
/// again). One ioctl per chunk when every MSR is readable.
pub(crate) fn read_msrs(vcpu: &VcpuFd, indices: &[u32]) -> Result<Vec<kvm_msr_entry>> {
    let mut out = Vec::with_capacity(indices.len());
    let mut rest = indices;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(MSR_CHUNK)];
        let entries: Vec<kvm_msr_entry> = chunk
            .iter()
            .map(|&index| kvm_msr_entry {
                index,
                ..Default::default()
            })
            .collect();
        let mut msrs =
            Msrs::from_entries(&entries).map_err(|_| Error::new(E_FAIL, "MSR list allocation"))?;
        let read = vcpu
            .get_msrs(&mut msrs)
            .map_err(|e| Error::from_errno("KVM_GET_MSRS", e.errno()))?;
        out.extend_from_slice(&msrs.as_slice()[..read.min(chunk.len())]);
        // Skip the one KVM refused, if it stopped short.
        let consumed = if read < chunk.len() { read + 1 } else { read };
        rest = &rest[consumed..];
    }
    Ok(out)
}

/// Writes `entries`; an MSR KVM refuses is skipped and the rest written.
pub(crate) fn write_msrs(vcpu: &VcpuFd, entries: &[kvm_msr_entry]) -> Result<()> {
    let mut rest = entries;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(MSR_CHUNK)];
        let msrs =
            Msrs::from_entries(chunk).map_err(|_| Error::new(E_FAIL, "MSR list allocation"))?;
        let written = vcpu
            .set_msrs(&msrs)
            .map_err(|e| Error::from_errno("KVM_SET_MSRS", e.errno()))?;
        let consumed = if written < chunk.len() {
            written + 1
        } else {
            written
        };
        rest = &rest[consumed..];
    }
    Ok(())
}

/// A VP's state right after its creation, restored by WHvResetPartition
/// (see the module documentation).
pub(crate) struct PowerOn {
    pub(crate) regs: kvm_regs,
    pub(crate) sregs: kvm_sregs,
    pub(crate) events: kvm_vcpu_events,
    mp_state: kvm_mp_state,
    shared: &'static SharedPowerOn,
    msrs: Box<[kvm_msr_entry]>,
    /// `None` without an in-kernel LAPIC.
    lapic: Option<Box<kvm_lapic_state>>,
}

impl PowerOn {
    /// Captures the state of `vcpu`, a vCPU just created and configured
    /// (CPUID, TSC rate, MSRs winhv sets), not yet run.
    pub(crate) fn capture(vcpu: &VcpuFd) -> Result<Self> {
        let shared = shared_power_on(vcpu)?;
        let indices = msr_indices(vcpu)?;
        let msrs = read_msrs(vcpu, &indices)?.into_boxed_slice();
        let lapic = vcpu.get_lapic().ok().map(Box::new);
        Ok(Self {
            regs: vcpu.get_regs()?,
            sregs: vcpu.get_sregs()?,
            events: vcpu.get_vcpu_events()?,
            mp_state: vcpu.get_mp_state()?,
            shared,
            msrs,
            lapic,
        })
    }

    /// Puts `vcpu` back in the captured state (everything but the TSC).
    pub(crate) fn restore(&self, vcpu: &VcpuFd) -> Result<()> {
        vcpu.set_regs(&self.regs)?;
        vcpu.set_sregs(&self.sregs)?;
        // SAFETY: this process never enables dynamic XSAVE features
        // (arch_prctl ARCH_REQ_XCOMP_GUEST_PERM), so KVM_SET_XSAVE reads
        // only the 4096 bytes of `kvm_xsave`.
        unsafe { vcpu.set_xsave(&self.shared.xsave) }?;
        if let Some(x) = &self.shared.xcrs {
            vcpu.set_xcrs(x)?;
        }
        vcpu.set_vcpu_events(&self.events)?;
        vcpu.set_mp_state(self.mp_state)?;
        vcpu.set_debug_regs(&self.shared.debugregs)?;
        write_msrs(vcpu, &self.msrs)?;
        if let Some(page) = &self.lapic {
            vcpu.set_lapic(page)?;
        }
        Ok(())
    }

    /// The MSRs restored, by index (tests).
    #[cfg(test)]
    pub(crate) fn msr_indices(&self) -> Vec<u32> {
        self.msrs.iter().map(|e| e.index).collect()
    }
}

#[cfg(test)]
mod tests {
    use kvm_ioctls::Kvm;

    use super::*;

    /// The shared power-on state is only right if KVM gives every fresh
    /// vCPU the same values, whatever the VM, vCPU index or CPUID.
    #[test]
    fn power_on_state_is_shared_by_every_vcpu() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let kvm = Kvm::new().expect("open /dev/kvm");
        let cpuid = kvm
            .get_supported_cpuid(kvm_bindings::KVM_MAX_CPUID_ENTRIES)
            .expect("supported CPUID");
        let mut seen = Vec::new();
        for (index, set_cpuid) in [(0, false), (1, true), (3, true)] {
            let vm = kvm.create_vm().expect("VM");
            let vcpu = vm.create_vcpu(index).expect("vCPU");
            if set_cpuid {
                vcpu.set_cpuid2(&cpuid).expect("KVM_SET_CPUID2");
            }
            let s = fetch_shared_power_on(&vcpu).expect("fetch");
            seen.push((s.xsave.region.to_vec(), s.xcrs, s.debugregs));
        }
        assert!(seen.iter().all(|s| *s == seen[0]), "{seen:#?}");
        // Something was fetched: the x87 control word's reset value.
        assert_eq!(seen[0].0[0] & 0xffff, 0x37f);
    }

    /// The MSRs a reset restores include those the guest most often
    /// changes, and never the TSC or a read-only MSR.
    #[test]
    fn the_restored_msrs_cover_the_guest_visible_ones() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let kvm = Kvm::new().expect("open /dev/kvm");
        let vm = kvm.create_vm().expect("VM");
        let vcpu = vm.create_vcpu(0).expect("vCPU");
        let cpuid = kvm
            .get_supported_cpuid(kvm_bindings::KVM_MAX_CPUID_ENTRIES)
            .expect("supported CPUID");
        vcpu.set_cpuid2(&cpuid).expect("KVM_SET_CPUID2");
        let p = PowerOn::capture(&vcpu).expect("capture");
        let have = p.msr_indices();
        // SYSENTER_CS, STAR, LSTAR, KERNEL_GS_BASE, PAT, MTRR_DEF_TYPE,
        // the first variable MTRR, MC0_CTL.
        for msr in [
            0x174,
            0xc000_0081,
            0xc000_0082,
            0xc000_0102,
            0x277,
            0x2ff,
            0x200,
            0x400,
        ] {
            assert!(have.contains(&msr), "{msr:#x} missing from {have:x?}");
        }
        for msr in [MSR_TSC, MSR_MTRRCAP, MSR_MCG_CAP] {
            assert!(!have.contains(&msr), "{msr:#x}");
        }
    }
}
