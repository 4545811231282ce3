//! One VP's whole KVM state in a snapshot: what `state/reset.rs` restores
//! at a reset, but this VP's own values of all of it (XSAVE image, XCR0,
//! debug registers too) and its TSC.
//!
//! | state | ioctl |
//! | --- | --- |
//! | general, segment, control registers, EFER, APIC base | `KVM_GET/SET_REGS`, `SREGS` |
//! | events (pending exception, interrupt, NMI, shadow, SIPI vector, SMM) | `KVM_GET/SET_VCPU_EVENTS` |
//! | activity | `KVM_GET/SET_MP_STATE` |
//! | XSAVE image, XCR0, DR0–7 | `KVM_GET/SET_XSAVE`, `XCRS`, `DEBUGREGS` |
//! | the TSC, then every MSR a reset restores | `KVM_GET/SET_MSRS` |
//! | the local APIC's page (with its timer's current count) | `KVM_GET/SET_LAPIC` |
//!
//! Restored in `state/reset.rs`' order (its top comment says why), with
//! the TSC written before the other MSRs (a TSC deadline is relative to
//! it). Not here yet: SynIC and synthetic timer state (no SynIC yet), the
//! nested-virtualization state.

use kvm_bindings::{
    KVM_VCPUEVENT_VALID_NMI_PENDING, KVM_VCPUEVENT_VALID_SIPI_VECTOR, kvm_debugregs,
    kvm_lapic_state, kvm_mp_state, kvm_msr_entry, kvm_regs, kvm_sregs, kvm_vcpu_events, kvm_xcrs,
    kvm_xsave,
};
use kvm_ioctls::VcpuFd;

use crate::error::Result;
use crate::state::reset::{msr_indices, read_msrs, write_msrs};

/// IA32_TIME_STAMP_COUNTER.
const MSR_TSC: u32 = 0x10;

/// One VP's state (see the module documentation).
pub(crate) struct VpSnapshot {
    pub(crate) index: u32,
    pub(crate) regs: kvm_regs,
    pub(crate) sregs: kvm_sregs,
    pub(crate) events: kvm_vcpu_events,
    pub(crate) mp_state: kvm_mp_state,
    pub(crate) xsave: Box<kvm_xsave>,
    pub(crate) xcrs: Option<kvm_xcrs>,
    pub(crate) debugregs: kvm_debugregs,
    /// The TSC first, then the rest.
    pub(crate) msrs: Vec<kvm_msr_entry>,
    pub(crate) lapic: Option<Box<kvm_lapic_state>>,
}

impl VpSnapshot {
    /// Reads VP `index`'s state from `vcpu`, which holds all of it (the
    /// register cache has been written back).
    pub(crate) fn capture(index: u32, vcpu: &VcpuFd) -> Result<Self> {
        let mut indices = vec![MSR_TSC];
        indices.extend(msr_indices(vcpu)?);
        Ok(Self {
            index,
            regs: vcpu.get_regs()?,
            sregs: vcpu.get_sregs()?,
            events: vcpu.get_vcpu_events()?,
            mp_state: vcpu.get_mp_state()?,
            xsave: Box::new(vcpu.get_xsave()?),
            xcrs: vcpu.get_xcrs().ok(),
            debugregs: vcpu.get_debug_regs()?,
            msrs: read_msrs(vcpu, &indices)?,
            lapic: vcpu.get_lapic().ok().map(Box::new),
        })
    }

    /// Puts the state into `vcpu` (a VP of the restored partition).
    pub(crate) fn restore(&self, vcpu: &VcpuFd) -> Result<()> {
        vcpu.set_regs(&self.regs)?;
        vcpu.set_sregs(&self.sregs)?;
        // SAFETY: this process never enables dynamic XSAVE features
        // (arch_prctl ARCH_REQ_XCOMP_GUEST_PERM), so KVM_SET_XSAVE reads
        // only the 4096 bytes of `kvm_xsave`.
        unsafe { vcpu.set_xsave(&self.xsave) }?;
        if let Some(x) = &self.xcrs {
            vcpu.set_xcrs(x)?;
        }
        let mut events = self.events;
        // KVM_GET_VCPU_EVENTS fills these fields without saying so; a set
        // takes them only when flagged.
        events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
        vcpu.set_vcpu_events(&events)?;
        vcpu.set_mp_state(self.mp_state)?;
        vcpu.set_debug_regs(&self.debugregs)?;
        write_msrs(vcpu, &self.msrs)?;
        if let Some(page) = &self.lapic {
            vcpu.set_lapic(page)?;
        }
        Ok(())
    }
}
