//! What the interrupt functions (`crate::interrupts`) need from a VP's
//! register cache: the whole local APIC ([`LapicSnapshot`]: the register
//! page, the APIC base and KVM's pending NMI) read and written through the
//! cached classes, and the cache kept true while interrupts arrive from
//! other threads ([`Epochs`]).
//!
//! Interrupts and the cache: WHvRequestInterrupt sends an MSI from any
//! thread without stopping the VP (`KVM_SIGNAL_MSI` sets an IRR bit, queues
//! an NMI or latches INIT in KVM). The cache, meanwhile, may hold the LAPIC
//! page or the event state fetched before, and writes a changed one back
//! whole before the next run, which would undo the interrupt. So every
//! request first counts itself in the partition's interrupt counter, and
//! the cache compares that count with the one it saw when it fetched:
//! * a clean page fetched before an interrupt is fetched again when next
//!   used; a changed one gets the IRR bits (and their TMR bits) that KVM
//!   gained since, from a fresh `KVM_GET_LAPIC`, before it is used or
//!   written back;
//! * changed event state gets KVM's pending NMI and latched INIT the same
//!   way before it is written back (`KVM_GET_VCPU_EVENTS`), and a snapshot
//!   reads them fresh.
//!
//! The extra ioctls happen only when an interrupt arrived since the fetch
//! and the VMM touches those registers; the exit path only reads the
//! counter. What remains is the instant between such a merge and the
//! `KVM_SET_LAPIC` / `KVM_RUN` that writes it: an MSI landing there is
//! undone (KVM has no partial LAPIC write). README lists it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kvm_bindings::{KVM_SYNC_X86_EVENTS, kvm_lapic_state};
use kvm_ioctls::VcpuFd;

use crate::vcpu::Vcpu;

use super::{RegisterState, kvm_error};
use crate::registers::apic;
use crate::registers::batch::class_bit;
use crate::registers::names::Class;
use crate::{Error, Result};

/// A VP's local APIC as KVM holds it (with what the VMM changed and KVM has
/// not loaded yet).
#[derive(Clone, Copy)]
pub(crate) struct LapicSnapshot {
    /// The register page (`KVM_GET_LAPIC`'s layout: register `n` at byte
    /// `n << 4`).
    pub page: kvm_lapic_state,
    /// IA32_APIC_BASE (enable and x2APIC bits, base address).
    pub apic_base: u64,
    /// KVM's pending NMI (`kvm_vcpu_events.nmi.pending`).
    pub nmi_pending: bool,
    /// The page's ID register holds the 32-bit x2APIC ID in x2APIC mode
    /// (the VM enabled `KVM_CAP_X2APIC_API`) rather than `ID << 24`.
    pub x2apic_api: bool,
}

impl LapicSnapshot {
    /// Whether the APIC is in x2APIC mode (IA32_APIC_BASE.EXTD).
    pub(crate) fn x2apic(&self) -> bool {
        self.apic_base & apic::APIC_BASE_EXTD != 0
    }
}

/// IRR0 and TMR0 (x2APIC register numbers; eight registers each).
const IRR0: usize = 0x20;
const TMR0: usize = 0x18;

fn dword(page: &kvm_lapic_state, n: usize) -> u32 {
    let at = n << 4;
    let b = |i: usize| page.regs[at + i] as u8;
    u32::from_le_bytes([b(0), b(1), b(2), b(3)])
}

fn set_dword(page: &mut kvm_lapic_state, n: usize, value: u32) {
    let at = n << 4;
    for (i, byte) in value.to_le_bytes().into_iter().enumerate() {
        page.regs[at + i] = byte as std::os::raw::c_char;
    }
}

/// The interrupt counts the cache's LAPIC and event state are current for.
#[derive(Debug, Default)]
pub(super) struct Epochs {
    /// The partition's interrupt counter (none: no interrupts are sent).
    source: Option<Arc<AtomicU64>>,
    /// The count when the cached page was fetched or last merged.
    lapic: u64,
    /// The IRR as KVM had it then (bits gained since are new interrupts).
    irr: [u32; 8],
    /// The count kvm_run's event state is current for.
    pub(super) events: u64,
    /// The count read before the last run (the events at its exit include
    /// at least the interrupts counted by then).
    pub(super) run: u64,
}

impl Epochs {
    /// The partition's count now.
    pub(super) fn now(&self) -> u64 {
        self.source.as_ref().map_or(0, |s| s.load(Ordering::SeqCst))
    }

    /// A copy that keeps only the counter (for [`RegisterState::reset`]).
    pub(super) fn source_only(&self) -> Self {
        Self {
            source: self.source.clone(),
            ..Self::default()
        }
    }
}

impl RegisterState {
    /// Marks the VM as having `KVM_CAP_X2APIC_API` (32-bit IDs) enabled:
    /// the APIC ID register then has the x2APIC ID as is in x2APIC mode.
    /// Kept across [`RegisterState::reset`].
    pub(crate) fn set_x2apic_api(&mut self, on: bool) {
        self.lapic.x2apic_api = on;
    }

    /// Gives the cache the partition's interrupt counter (see the module
    /// documentation). Kept across [`RegisterState::reset`].
    pub(crate) fn set_interrupt_counter(&mut self, counter: Arc<AtomicU64>) {
        self.irq.source = Some(counter);
    }

    /// Counts an interrupt the caller is about to put into this VP's KVM
    /// state directly (`KVM_NMI`).
    pub(crate) fn count_interrupt(&self) {
        if let Some(s) = &self.irq.source {
            s.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The LAPIC page for `load`: fetched if not cached, fetched again if
    /// an interrupt arrived since (merged into it if the VMM changed it).
    pub(super) fn load_lapic(&mut self, vcpu: &VcpuFd) -> Result<&mut kvm_lapic_state> {
        let now = self.irq.now();
        if self.lapic.page().is_some() && self.irq.lapic != now {
            if self.lapic.is_dirty() {
                self.merge_lapic(vcpu, now)?;
            } else {
                self.lapic.drop_value();
            }
        }
        if self.lapic.page().is_none() {
            self.irq.lapic = now;
            let page = self.lapic.load(vcpu)?;
            self.irq.irr = std::array::from_fn(|i| dword(page, IRR0 + i));
        }
        self.lapic.load(vcpu)
    }

    /// Adds to the changed cached page the IRR bits KVM gained since the
    /// fetch, with their TMR bits.
    fn merge_lapic(&mut self, vcpu: &VcpuFd, now: u64) -> Result<()> {
        self.lapic.gets += 1;
        let fresh = vcpu.get_lapic().map_err(kvm_error("KVM_GET_LAPIC"))?;
        let old = self.irq.irr;
        let mut page = *self
            .lapic
            .page()
            .ok_or_else(|| Error::new(winhv_defs::E_UNEXPECTED, "LAPIC page not loaded"))?;
        for (i, old) in old.into_iter().enumerate() {
            let kvm = dword(&fresh, IRR0 + i);
            let new = kvm & !old;
            if new != 0 {
                let irr = dword(&page, IRR0 + i) | new;
                set_dword(&mut page, IRR0 + i, irr);
                let tmr = dword(&page, TMR0 + i) & !new | dword(&fresh, TMR0 + i) & new;
                set_dword(&mut page, TMR0 + i, tmr);
            }
            self.irq.irr[i] = kvm;
        }
        self.lapic.update(page);
        self.irq.lapic = now;
        Ok(())
    }

    /// Before a run writes the cache back: interrupts that arrived since a
    /// changed page or changed event state was fetched are merged into it.
    pub(super) fn merge_interrupts(&mut self, vcpu: &mut Vcpu) -> Result<()> {
        let now = self.irq.now();
        if self.lapic.is_dirty() && self.irq.lapic != now {
            self.merge_lapic(vcpu.fd(), now)?;
        }
        if self.sync_changed & KVM_SYNC_X86_EVENTS != 0 && self.irq.events != now {
            self.merge_events(vcpu, now)?;
        }
        self.irq.run = now;
        Ok(())
    }

    /// Adds KVM's pending NMI and latched INIT to the event state in
    /// kvm_run (changed by the VMM, not yet loaded by KVM).
    fn merge_events(&mut self, vcpu: &mut Vcpu, now: u64) -> Result<()> {
        self.counts.get_events += 1;
        let fresh = vcpu
            .fd()
            .get_vcpu_events()
            .map_err(kvm_error("KVM_GET_VCPU_EVENTS"))?;
        let e = &mut vcpu.sync().events;
        e.nmi.pending |= fresh.nmi.pending;
        e.smi.latched_init |= fresh.smi.latched_init;
        self.irq.events = now;
        Ok(())
    }

    /// The VP's local APIC, through the cache (one `KVM_GET_LAPIC` unless
    /// the page is cached). `WHV_E_INVALID_VP_REGISTER_NAME` without an
    /// in-kernel LAPIC.
    pub(crate) fn lapic_snapshot(&mut self, vcpu: &mut Vcpu) -> Result<LapicSnapshot> {
        let classes = class_bit(Class::Sregs) | class_bit(Class::Events) | class_bit(Class::Lapic);
        self.load(vcpu, classes, &[])?;
        let now = self.irq.now();
        if self.irq.events != now {
            if self.sync_changed & KVM_SYNC_X86_EVENTS != 0 {
                self.merge_events(vcpu, now)?;
            } else {
                self.counts.get_events += 1;
                let fresh = vcpu
                    .fd()
                    .get_vcpu_events()
                    .map_err(kvm_error("KVM_GET_VCPU_EVENTS"))?;
                vcpu.sync().events = fresh;
                self.irq.events = now;
            }
        }
        let page = *self
            .lapic
            .page()
            .ok_or_else(|| Error::new(winhv_defs::E_UNEXPECTED, "LAPIC page not loaded"))?;
        let sync = vcpu.sync();
        Ok(LapicSnapshot {
            page,
            apic_base: sync.sregs.apic_base,
            nmi_pending: sync.events.nmi.pending != 0,
            x2apic_api: self.lapic.x2apic_api,
        })
    }

    /// Replaces the VP's register page and pending NMI, written to KVM
    /// before the next run like any register. CR8 follows the new TPR at
    /// once, as KVM derives it when the page is loaded. Call after
    /// [`Self::lapic_snapshot`] (which loaded the classes).
    pub(crate) fn set_lapic_snapshot(
        &mut self,
        vcpu: &mut Vcpu,
        page: &kvm_lapic_state,
        nmi_pending: bool,
    ) -> Result<()> {
        let classes = class_bit(Class::Sregs) | class_bit(Class::Events) | class_bit(Class::Lapic);
        self.load(vcpu, classes, &[])?;
        self.lapic.update(*page);
        let sync = vcpu.sync();
        sync.sregs.cr8 = u64::from(apic::tpr(page) >> 4);
        let nmi = u8::from(nmi_pending);
        if sync.events.nmi.pending != nmi {
            sync.events.nmi.pending = nmi;
            self.sync_changed |= KVM_SYNC_X86_EVENTS;
        }
        Ok(())
    }
}
