//! Interrupts into a partition whose local APICs KVM emulates (the
//! in-kernel LAPIC with a split irqchip; WHP has no IOAPIC or PIC, so
//! neither do we): WHvRequestInterrupt, WHvGetInterruptTargetVpSet and
//! WHvGet/SetVirtualProcessorInterruptControllerState(2), reached through
//! [`Lapics`], which `Partition` builds for each call. Without LAPIC
//! emulation WHvRequestInterrupt goes to [`request_without_apic`]
//! (`no_apic`): each VP's run loop injects what was requested.
//!
//! | file | owns |
//! | --- | --- |
//! | `control` | checking a `WHV_INTERRUPT_CONTROL`, encoding it as a KVM MSI |
//! | `routing` | which VPs a destination reaches (APIC ID, LDR, DFR, mode) |
//! | `state` | the 4 KiB interrupt-controller state buffer ↔ KVM's LAPIC page |
//! | `no_apic` | WHvRequestInterrupt without LAPIC emulation: the requests each VP's run loop injects |
//!
//! How each request reaches the guest:
//! * Fixed, LowestPriority, NMI, INIT, SIPI: one `KVM_SIGNAL_MSI` (two for
//!   a physical broadcast, see `routing`). KVM routes it with its live view
//!   of every APIC (the guest may change IDs and LDRs at any time without
//!   an exit), arbitrates LowestPriority itself (by vector hashing over
//!   the destination's logical IDs, so a mask that names IDs no VP holds
//!   may drop the interrupt: KVM's `kvm_apic_map_get_dest_lapic`; README),
//!   wakes a halted VP and
//!   kicks a running one: no VP is stopped, from any thread, as on Windows
//!   (QEMU's `whpx_send_msi` calls WHvRequestInterrupt from its I/O thread
//!   while VPs run).
//! * LocalInt1: KVM has no LINT1 input with an in-kernel LAPIC; its
//!   documentation for `KVM_NMI` gives the recipe — pause the VP, read its
//!   LVT LINT1 entry, and if the change queues an NMI issue `KVM_NMI`. So
//!   each target running is taken out of `KVM_RUN` for that moment
//!   (`Vp::borrow_state`), and its LVT LINT1 decides: masked, nothing; NMI mode, `KVM_NMI`; Fixed
//!   mode, the vector is raised in its IRR (TMR for level); ExtINT, SMI and
//!   INIT modes have no effect here (README).
//! * Every request is first counted in the partition's interrupt counter,
//!   which each VP's register cache compares with the count it fetched its
//!   LAPIC page and event state at: stale ones are fetched again, or merged
//!   into what the VMM changed before that is written back
//!   (`registers/cache/interrupts`). No VP is locked, so the VPs' own
//!   threads never find their VP busy because of a request.
//!
//! WHvGetInterruptTargetVpSet, LocalInt1 and the state functions read
//! VPs' APICs through their register caches. The state functions need the
//! VP stopped (`WHV_E_INVALID_VP_STATE` while it runs, as Microsoft
//! documents for them); WHvGetInterruptTargetVpSet and LocalInt1 take a
//! running VP out of `KVM_RUN` for the moment they need it
//! (`Vp::borrow_state`: a kick, the run lends its lock and goes on).

#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

mod control;
mod no_apic;
mod routing;
mod state;

use std::sync::atomic::{AtomicU64, Ordering};

use kvm_bindings::kvm_msi;
use kvm_ioctls::{VcpuFd, VmFd};

use crate::vcpu::Vcpu;
use winhv_defs::*;

use crate::registers::RegisterState;
use crate::vp::Vp;
use crate::{Error, Result};
use control::Kind;
pub(crate) use control::Request;
pub(crate) use no_apic::Requested;
use routing::{ApicIdentity, X2APIC_BROADCAST, XAPIC_BROADCAST};
pub use state::STATE_SIZE;

/// The partition's local APICs, for one call.
pub(crate) struct Lapics<'a, F: Fn(u32) -> Option<&'a Vp>> {
    /// The VM the MSIs go to.
    pub vm: &'a VmFd,
    /// VP `index` if it exists.
    pub vp: F,
    /// The partition's ProcessorCount (VP indexes are below it).
    pub processor_count: u32,
    /// LocalApicEmulationMode X2Apic (else XApic).
    pub x2apic_partition: bool,
    /// The VM has `KVM_CAP_X2APIC_API` with 32-bit IDs and no broadcast
    /// quirk.
    pub x2apic_api: bool,
    /// The partition's interrupt counter (the VPs' register caches hold it).
    pub counter: &'a AtomicU64,
}

fn no_vp(index: u32) -> Error {
    Error::with(
        WHV_E_VP_DOES_NOT_EXIST,
        format!("no virtual processor with index {index}"),
    )
}

/// LVT LINT1 (x2APIC register 0x36) and its fields.
const LVT_LINT1: usize = 0x36;
const LVT_MASKED: u32 = 1 << 16;
const LVT_LEVEL: u32 = 1 << 15;
const TMR0: usize = 0x18;
const IRR0: usize = 0x20;

impl<'a, F: Fn(u32) -> Option<&'a Vp>> Lapics<'a, F> {
    /// Every VP that exists, with its index.
    fn vps(&self) -> impl Iterator<Item = (u32, &'a Vp)> + '_ {
        (0..self.processor_count).filter_map(|i| (self.vp)(i).map(|vp| (i, vp)))
    }

    /// WHvRequestInterrupt (see the module documentation) of a request
    /// [`check_request`] accepted.
    pub(crate) fn request(&self, req: &Request) -> Result<()> {
        if req.kind == Kind::LocalInt1 {
            return self.local_int1(req);
        }
        let dest = routing::normalize(req.destination, self.x2apic_partition);
        // A physical broadcast reaches every VP whatever its mode: the x2APIC
        // broadcast for x2APIC-mode VPs and 0xFF for xAPIC-mode ones (without
        // 32-bit IDs, KVM's broadcast quirk makes 0xFF reach both).
        let dests = match (req.logical, dest == X2APIC_BROADCAST, self.x2apic_api) {
            (false, true, true) => [Some(X2APIC_BROADCAST), Some(XAPIC_BROADCAST)],
            (false, true, false) => [Some(XAPIC_BROADCAST), None],
            _ => [Some(dest), None],
        };
        let mut msis: [Option<kvm_msi>; 2] = [None, None];
        for (m, d) in msis.iter_mut().zip(dests) {
            if let Some(d) = d {
                *m = req.msi(d, self.x2apic_api)?;
            }
        }
        // Counted before it is sent: a cache that fetched before the count
        // moved treats what it holds as stale.
        self.counter.fetch_add(1, Ordering::SeqCst);
        for msi in msis.iter().flatten() {
            // The count of APICs that took it (0 when none matched: the
            // interrupt is dropped, as an APIC bus drops one nobody accepts).
            self.vm
                .signal_msi(*msi)
                .map_err(|e| Error::from_errno("KVM_SIGNAL_MSI", e.errno()))?;
        }
        Ok(())
    }

    /// The VPs `destination` reaches in `logical` mode (running ones are
    /// borrowed from their runs), pushed to `out` in index order.
    fn targets(&self, destination: u32, logical: bool, mut push: impl FnMut(u32)) -> Result<()> {
        let dest = routing::normalize(destination, self.x2apic_partition);
        for (index, vp) in self.vps() {
            let snapshot = vp.borrow_state(|vcpu, regs| regs.lapic_snapshot(vcpu))?;
            if routing::reaches(&ApicIdentity::of(&snapshot, index), dest, logical) {
                push(index);
            }
        }
        Ok(())
    }

    /// WHvGetInterruptTargetVpSet: the indexes of the VPs `destination`
    /// (checked by [`check_target`]) reaches, in `out`; returns how many.
    /// Microsoft: `out` must hold an entry for every VP of the partition,
    /// and "an insufficient buffer returns E_INVALIDARG rather than
    /// reporting the required size".
    pub(crate) fn target_vp_set(
        &self,
        destination: u32,
        logical: bool,
        out: &mut [u32],
    ) -> Result<u32> {
        if out.len() < self.processor_count as usize {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "room for {} VP indexes: the partition has {} processors",
                    out.len(),
                    self.processor_count
                ),
            ));
        }
        let mut n = 0;
        self.targets(destination, logical, |index| {
            if let Some(slot) = out.get_mut(n) {
                *slot = index;
                n += 1;
            }
        })?;
        Ok(n as u32)
    }

    /// LocalInt1 to the VPs `req` names (see the module documentation).
    fn local_int1(&self, req: &Request) -> Result<()> {
        let mut targets = Vec::new();
        self.targets(req.destination, req.logical, |i| targets.push(i))?;
        for index in targets {
            let vp = (self.vp)(index).ok_or_else(|| no_vp(index))?;
            vp.borrow_state(assert_lint1)?;
        }
        Ok(())
    }

    fn vp(&self, index: u32) -> Result<&'a Vp> {
        (self.vp)(index).ok_or_else(|| no_vp(index))
    }

    /// WHvGetVirtualProcessorInterruptControllerState(2): writes VP
    /// `index`'s state ([`STATE_SIZE`] bytes, [`check_state_buffer`]) to
    /// `out` and returns the size.
    pub(crate) fn get_state(&self, index: u32, out: &mut [u8]) -> Result<u32> {
        check_state_buffer(out.len(), true)?;
        let vp = self.vp(index)?;
        let snapshot = vp.with_state(|vcpu, regs| regs.lapic_snapshot(vcpu))?;
        state::to_blob(&snapshot, index, out);
        Ok(STATE_SIZE)
    }

    /// WHvSetVirtualProcessorInterruptControllerState(2): VP `index`'s APIC
    /// becomes `blob` ([`check_state_buffer`]), through its register cache.
    pub(crate) fn set_state(&self, index: u32, blob: &[u8]) -> Result<()> {
        check_state_buffer(blob.len(), false)?;
        let vp = self.vp(index)?;
        vp.with_state(|vcpu, regs| {
            let current = regs.lapic_snapshot(vcpu)?;
            let (page, nmi_pending) = state::from_blob(blob, &current, index)?;
            regs.set_lapic_snapshot(vcpu, &page, nmi_pending)
        })
    }
}

/// WHvRequestInterrupt without LAPIC emulation (`no_apic`): `req` is
/// recorded for every VP among the `count` that `vp` finds which it
/// reaches, and each is kicked out of a run in progress.
pub(crate) fn request_without_apic<'a>(
    req: &Request,
    count: u32,
    vp: impl Fn(u32) -> Option<&'a Vp>,
) -> Result<()> {
    no_apic::check(req)?;
    for (index, vp) in (0..count).filter_map(|i| vp(i).map(|vp| (i, vp))) {
        if no_apic::reaches(req, index) {
            vp.requested.raise(req);
            vp.cancel.kick();
        }
    }
    Ok(())
}

/// WHvRequestInterrupt's argument checks (`control`), which need no
/// partition: all `E_INVALIDARG`.
pub(crate) fn check_request(interrupt: &WHV_INTERRUPT_CONTROL) -> Result<Request> {
    Request::parse(interrupt)
}

/// WHvGetInterruptTargetVpSet's argument checks: a known mode (Microsoft:
/// `E_INVALIDARG` "if DestinationMode is not a valid value") and a
/// destination of 32 bits at most (APIC destinations have no more; our
/// reading). Returns the destination and whether it is logical.
pub(crate) fn check_target(
    destination: u64,
    mode: WHV_INTERRUPT_DESTINATION_MODE,
) -> Result<(u32, bool)> {
    let logical = match mode {
        WHvX64InterruptDestinationModePhysical => false,
        WHvX64InterruptDestinationModeLogical => true,
        m => {
            return Err(Error::with(
                E_INVALIDARG,
                format!("unknown destination mode {}", m.0),
            ));
        }
    };
    let destination = u32::try_from(destination).map_err(|_| {
        Error::with(
            E_INVALIDARG,
            format!("destination {destination:#x} has more than 32 bits"),
        )
    })?;
    Ok((destination, logical))
}

/// The size check of an interrupt-controller state buffer of `len` bytes:
/// fewer than [`STATE_SIZE`] answers `WHV_E_INSUFFICIENT_BUFFER` for a Get
/// (Microsoft's documented answer, the caller learning the size needed)
/// and `E_INVALIDARG` for a Set (our reading: openvmm's "the API requires a
/// full page").
pub(crate) fn check_state_buffer(len: usize, get: bool) -> Result<()> {
    if len >= STATE_SIZE as usize {
        return Ok(());
    }
    let hresult = if get {
        WHV_E_INSUFFICIENT_BUFFER
    } else {
        E_INVALIDARG
    };
    Err(Error::with(
        hresult,
        format!("{len} bytes: the interrupt controller state takes {STATE_SIZE}"),
    ))
}

/// Asserts LINT1 on a stopped VP: what its LVT LINT1 entry says.
fn assert_lint1(vcpu: &mut Vcpu, regs: &mut RegisterState) -> Result<()> {
    let snapshot = regs.lapic_snapshot(vcpu)?;
    let lvt = routing::dword(&snapshot.page, LVT_LINT1);
    if lvt & LVT_MASKED != 0 {
        return Ok(());
    }
    match (lvt >> 8) & 7 {
        // Fixed: the vector, if a valid one, is requested as from the bus.
        0 => {
            let vector = (lvt & 0xff) as usize;
            if vector < 16 {
                return Ok(());
            }
            let mut page = snapshot.page;
            let bit = |page: &mut kvm_bindings::kvm_lapic_state, base: usize, on: bool| {
                let at = ((base + vector / 32) << 4) | ((vector % 32) / 8);
                let mask = 1u8 << (vector % 8);
                let byte = page.regs[at] as u8;
                let byte = if on { byte | mask } else { byte & !mask };
                page.regs[at] = byte as std::os::raw::c_char;
            };
            bit(&mut page, IRR0, true);
            bit(&mut page, TMR0, lvt & LVT_LEVEL != 0);
            regs.set_lapic_snapshot(vcpu, &page, snapshot.nmi_pending)
        }
        // NMI: KVM's own recipe for LINT1.
        4 => {
            regs.count_interrupt();
            vcpu.fd()
                .nmi()
                .map_err(|e| Error::from_errno("KVM_NMI", e.errno()))
        }
        // SMI, INIT, ExtINT (no PIC in a WHP partition): no effect here.
        _ => Ok(()),
    }
}

/// Enables `KVM_CAP_X2APIC_API` with 32-bit APIC IDs and without the
/// broadcast quirk on a VM with an in-kernel LAPIC, before its vCPUs
/// exist, where KVM offers both flags: MSIs then carry 32-bit x2APIC
/// destinations and 0xFF is an x2APIC ID, not a broadcast, for x2APIC-mode
/// APICs (the SDM's rules). Returns whether it is on.
pub(crate) fn enable_x2apic_api(vm: &VmFd) -> Result<bool> {
    use kvm_bindings::{
        KVM_CAP_X2APIC_API, KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK, KVM_X2APIC_API_USE_32BIT_IDS,
    };
    let wanted = KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
    let offered = vm.check_extension_raw(u64::from(KVM_CAP_X2APIC_API));
    if offered < 0 || (offered as u32) & wanted != wanted {
        return Ok(false);
    }
    let mut cap = kvm_bindings::kvm_enable_cap {
        cap: KVM_CAP_X2APIC_API,
        ..Default::default()
    };
    cap.args[0] = u64::from(wanted);
    vm.enable_cap(&cap)
        .map_err(|e| Error::from_errno("KVM_CAP_X2APIC_API", e.errno()))?;
    Ok(true)
}

/// Makes KVM route no interrupt to a deleted VP's vCPU (which KVM keeps):
/// its local APIC is disabled (IA32_APIC_BASE EN and EXTD clear), which
/// takes it out of KVM's APIC map and of every delivery. Creating the
/// index again restores the power-on APIC (`state/reset`).
pub(crate) fn unroute_deleted_vp(vcpu: &VcpuFd) -> Result<()> {
    const ENABLED: u64 = 1 << 11 | 1 << 10;
    let mut sregs = vcpu
        .get_sregs()
        .map_err(|e| Error::from_errno("KVM_GET_SREGS", e.errno()))?;
    sregs.apic_base &= !ENABLED;
    vcpu.set_sregs(&sregs)
        .map_err(|e| Error::from_errno("KVM_SET_SREGS", e.errno()))
}

/// Makes KVM route interrupts to a VP just created. KVM rebuilds its map
/// of APIC IDs lazily, on APIC state changes, and the vCPU being created
/// is not yet counted when its own reset rebuilds it: until something
/// changes an APIC, an MSI to the new VP finds nobody (measured: a
/// WHvRequestInterrupt INIT to an AP nobody had touched was accepted by no
/// APIC). Loading the VP's own LAPIC page again rebuilds the map with it.
pub(crate) fn route_new_vp(vcpu: &VcpuFd) -> Result<()> {
    let page = vcpu
        .get_lapic()
        .map_err(|e| Error::from_errno("KVM_GET_LAPIC", e.errno()))?;
    vcpu.set_lapic(&page)
        .map_err(|e| Error::from_errno("KVM_SET_LAPIC", e.errno()))
}
