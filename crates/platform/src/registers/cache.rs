//! [`RegisterState`]: one VP's register cache over KVM.
//!
//! * General registers, segment/control registers and events live in
//!   kvm_run's sync area (`KVM_CAP_SYNC_REGS`) and nowhere else: KVM fills it
//!   at every exit, our reads and writes go straight to it, and a write sets
//!   the class's dirty bit so that KVM loads it at the next entry. Before the
//!   VP's first run the area is empty: the first access to a class fetches
//!   it with its ioctl (`KVM_GET_REGS`/`SREGS`/`VCPU_EVENTS`) into the area,
//!   and what the VMM changed is written with the `KVM_SET_*` ioctls (a VP
//!   waiting for INIT/SIPI ignores dirty bits).
//!   The exit path may read and write the area directly (with
//!   `Vcpu::mark_dirty`); there is no second copy to go stale.
//! * FPU, XCRs, debug registers and MSRs are fetched with one ioctl per
//!   class on first use after an exit, kept until the next run, and written
//!   back with one ioctl per class in [`RegisterState::before_run`] when a
//!   value changed. The FPU class is the VP's whole XSAVE image, which
//!   WHvGet/SetVirtualProcessorXsaveState read and replace here too
//!   (`crate::xsave`), never beside the cache.
//! * Deliverability notifications are ours alone: the run loop turns the
//!   interrupt bit into `kvm_run.request_interrupt_window`.
//! * The LAPIC page and the event state follow interrupts that other
//!   threads send meanwhile (`cache/interrupts`: refetched, or merged into
//!   what the VMM changed, when the partition's interrupt count moved).
//!
//! A batch is checked whole before anything is written: an unknown or
//! unbacked name, or an invalid value, fails the batch and leaves every
//! register as it was.

use kvm_bindings::{
    KVM_SYNC_X86_EVENTS, KVM_SYNC_X86_REGS, KVM_SYNC_X86_SREGS, KVM_VCPUEVENT_VALID_NMI_PENDING,
    kvm_debugregs, kvm_mp_state, kvm_regs, kvm_segment, kvm_sregs, kvm_sync_regs, kvm_vcpu_events,
    kvm_xcrs,
};
use winhv_defs::{
    E_INVALIDARG, ERROR_HV_ACCESS_DENIED, ERROR_HV_INVALID_PARAMETER,
    WHV_E_INVALID_VP_REGISTER_NAME, WHV_REGISTER_NAME, WHV_REGISTER_VALUE, WHvX64RegisterRax,
    WHvX64RegisterRflags,
};

use super::apic::{self, LapicCache};
use super::batch::{Batch, class_bit};
use super::counts::IoctlCounts;
use super::msrs::MsrCache;
use super::names::{Class, Reg, Seg, lookup};
use super::{activity, convert, events, fpu, validate, value};
use crate::vcpu::Vcpu;
use crate::{Error, Result};

mod interrupts;
mod plain;
pub(crate) use interrupts::LapicSnapshot;

const SYNC_ALL: u32 = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
/// IA32_MTRRCAP: read-only.
const MSR_MTRRCAP: u32 = 0xfe;
const MSR_PAT: u32 = 0x277;
const MSR_KERNEL_GS_BASE: u32 = 0xc000_0102;
const MSR_LSTAR: u32 = 0xc000_0082;
const MSR_CSTAR: u32 = 0xc000_0083;
const MSR_TSC_AUX: u32 = 0xc000_0103;
/// Deliverability notification bits WHP defines (NMI, interrupt, priority).
const DELIVERABILITY_DEFINED: u64 = 0x3f;
/// General registers, RIP and RFLAGS only: the fast path of get and set.
const REGS_ONLY: u32 = class_bit(Class::Regs);
/// Classes whose reads cannot fail once loaded (the sync area and ours).
const INFALLIBLE: u32 = class_bit(Class::Regs)
    | class_bit(Class::Sregs)
    | class_bit(Class::Events)
    | class_bit(Class::Local);

/// A class held by us between an exit and the next run.
#[derive(Clone, Debug)]
struct Cached<T> {
    value: Option<T>,
    dirty: bool,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self {
            value: None,
            dirty: false,
        }
    }
}

impl<T> Cached<T> {
    fn drop_value(&mut self) {
        self.value = None;
        self.dirty = false;
    }
}

/// The register cache of one VP; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct RegisterState {
    /// `KVM_SYNC_X86_*` classes whose copy in kvm_run is current.
    sync_loaded: u32,
    /// `KVM_SYNC_X86_*` classes changed by [`Self::set`] since the last run.
    sync_changed: u32,
    /// Whether the VP has been through a run since creation or reset
    /// (before that, changed sync classes are written by ioctl).
    entered: bool,
    fpu: Cached<fpu::XsaveArea>,
    xcrs: Cached<kvm_xcrs>,
    debugregs: Cached<kvm_debugregs>,
    mp_state: Cached<u32>,
    msrs: MsrCache,
    lapic: LapicCache,
    /// The interrupt counts the LAPIC and event state are current for.
    irq: interrupts::Epochs,
    deliverability: u64,
    /// The partition's LAPIC emulation, where the partition said
    /// ([`Self::set_lapic_emulation`]): it decides Windows' answers to
    /// InternalActivityState and InterruptPriority writes.
    lapic_emulation: Option<bool>,
    counts: IoctlCounts,
}

fn kvm_error(what: &'static str) -> impl FnOnce(kvm_ioctls::Error) -> Error {
    move |e| Error::from_errno(what, e.errno())
}

fn gpr(r: &mut kvm_regs, i: u8) -> &mut u64 {
    match i {
        0 => &mut r.rax,
        1 => &mut r.rcx,
        2 => &mut r.rdx,
        3 => &mut r.rbx,
        4 => &mut r.rsp,
        5 => &mut r.rbp,
        6 => &mut r.rsi,
        7 => &mut r.rdi,
        8 => &mut r.r8,
        9 => &mut r.r9,
        10 => &mut r.r10,
        11 => &mut r.r11,
        12 => &mut r.r12,
        13 => &mut r.r13,
        14 => &mut r.r14,
        _ => &mut r.r15,
    }
}

fn gpr_value(r: &kvm_regs, i: u8) -> u64 {
    match i {
        0 => r.rax,
        1 => r.rcx,
        2 => r.rdx,
        3 => r.rbx,
        4 => r.rsp,
        5 => r.rbp,
        6 => r.rsi,
        7 => r.rdi,
        8 => r.r8,
        9 => r.r9,
        10 => r.r10,
        11 => r.r11,
        12 => r.r12,
        13 => r.r13,
        14 => r.r14,
        _ => r.r15,
    }
}

/// Whether a non-empty batch names only general registers, RIP and
/// RFLAGS (WHP names 0x00–0x11, in the `Class::Regs` class).
fn regs_class_only(names: &[WHV_REGISTER_NAME]) -> bool {
    // Rax is 0: one unsigned compare per name (a negative name is
    // out of range too), no early exit to predict.
    const _: () = assert!(WHvX64RegisterRax.0 == 0);
    !names.is_empty()
        && names.iter().fold(true, |ok, n| {
            ok & ((n.0 as u32) <= WHvX64RegisterRflags.0 as u32)
        })
}

/// `kvm_regs`' fields in order (rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp,
/// r8–r15, rip, rflags) by WHP name 0x00–0x11 (Rax, Rcx, Rdx, Rbx, Rsp,
/// Rbp, Rsi, Rdi, R8–R15, Rip, Rflags).
const REGS_FIELD: [usize; 18] = [0, 2, 3, 1, 6, 7, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];

const _: () = assert!(size_of::<kvm_regs>() == 18 * size_of::<u64>());

/// `kvm_regs` as its 18 fields, to index by [`REGS_FIELD`].
fn regs_fields(r: &mut kvm_regs) -> &mut [u64; 18] {
    // SAFETY: kvm_regs is #[repr(C)] with exactly 18 u64 fields (size
    // asserted above, so no padding) and u64 alignment: the same layout
    // as [u64; 18]; the borrow is `r`'s.
    unsafe { &mut *(r as *mut kvm_regs).cast::<[u64; 18]>() }
}

fn segment_ref(s: &kvm_sregs, seg: Seg) -> &kvm_segment {
    match seg {
        Seg::Es => &s.es,
        Seg::Cs => &s.cs,
        Seg::Ss => &s.ss,
        Seg::Ds => &s.ds,
        Seg::Fs => &s.fs,
        Seg::Gs => &s.gs,
        Seg::Ldtr => &s.ldt,
        Seg::Tr => &s.tr,
    }
}

fn segment(s: &mut kvm_sregs, seg: Seg) -> &mut kvm_segment {
    match seg {
        Seg::Es => &mut s.es,
        Seg::Cs => &mut s.cs,
        Seg::Ss => &mut s.ss,
        Seg::Ds => &mut s.ds,
        Seg::Fs => &mut s.fs,
        Seg::Gs => &mut s.gs,
        Seg::Ldtr => &mut s.ldt,
        Seg::Tr => &mut s.tr,
    }
}

fn dr(d: &mut kvm_debugregs, n: u8) -> &mut u64 {
    match n {
        0..=3 => &mut d.db[usize::from(n)],
        6 => &mut d.dr6,
        _ => &mut d.dr7,
    }
}

/// XCR0 in KVM's XCR list, if KVM reported it.
fn xcr0(x: &mut kvm_xcrs) -> Option<&mut u64> {
    let n = (x.nr_xcrs as usize).min(x.xcrs.len());
    x.xcrs[..n]
        .iter_mut()
        .find(|e| e.xcr == 0)
        .map(|e| &mut e.value)
}

fn no_xcr0() -> Error {
    Error::new(
        WHV_E_INVALID_VP_REGISTER_NAME,
        "XCr0: KVM reports no XCR0 (no XSAVE on this host)",
    )
}

impl RegisterState {
    /// An empty cache: nothing fetched, nothing to write.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// WHvGetVirtualProcessorRegisters for one VP: fills `values[i]` with
    /// register `names[i]`, in Windows' format.
    pub(crate) fn get(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> Result<()> {
        if names.len() != values.len() {
            return Err(Error::new(
                E_INVALIDARG,
                "register name and value counts differ",
            ));
        }
        if regs_class_only(names) {
            // The common case (a VMM reading RIP or a few GPRs): no batch.
            return self.get_regs_fast(vcpu, names, values, value::from_u64);
        }
        self.get_batch(vcpu, names, values)
    }

    /// [`Self::get`] for any batch, through [`Batch`].
    // Out of line: its large frame must not burden the fast path.
    #[inline(never)]
    fn get_batch(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> Result<()> {
        let batch = self.resolve(names)?;
        let regs = batch.regs();
        self.load(vcpu, batch.classes(), regs)?;
        let sync: &kvm_sync_regs = vcpu.sync();
        if batch.only(REGS_ONLY) {
            for (reg, v) in regs.iter().zip(values.iter_mut()) {
                *v = value::from_u64(match *reg {
                    Reg::Gpr(i) => gpr_value(&sync.regs, i),
                    Reg::Rip => sync.regs.rip,
                    _ => sync.regs.rflags,
                });
            }
            return Ok(());
        }
        if batch.only(INFALLIBLE) {
            // No read of these classes can fail: write in place.
            for (reg, v) in regs.iter().zip(values.iter_mut()) {
                *v = self.read(*reg, sync)?;
            }
            return Ok(());
        }
        // Read everything before writing anything: a failure leaves
        // `values` untouched.
        let read = regs
            .iter()
            .map(|reg| self.read(*reg, sync))
            .collect::<Result<Vec<_>>>()?;
        values.copy_from_slice(&read);
        Ok(())
    }

    /// WHvSetVirtualProcessorRegisters for one VP: checks the whole batch,
    /// then records the new values (written to KVM by [`Self::before_run`]).
    pub(crate) fn set(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> Result<()> {
        if names.len() != values.len() {
            return Err(Error::new(
                E_INVALIDARG,
                "register name and value counts differ",
            ));
        }
        if regs_class_only(names) {
            // General registers, RIP, RFLAGS (a VMM advancing RIP): any
            // value is valid, so write the sync area in place, no batch.
            return self.set_regs_fast(vcpu, names, values, value::u64_of);
        }
        self.set_batch(vcpu, names, values)
    }

    /// [`Self::set`] for any batch, through [`Batch`]: validated on
    /// copies, committed all or none.
    // Out of line: its large frame must not burden the fast path.
    #[inline(never)]
    fn set_batch(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> Result<()> {
        let batch = self.resolve(names)?;
        let regs = batch.regs();
        let classes = batch.classes();
        self.load(vcpu, classes, regs)?;
        if batch.only(REGS_ONLY) {
            // General registers, RIP, RFLAGS: any value is valid, so write
            // the sync area in place.
            let area = &mut vcpu.sync().regs;
            let mut changed = false;
            for (reg, v) in regs.iter().zip(values) {
                let slot = match *reg {
                    Reg::Gpr(i) => gpr(area, i),
                    Reg::Rip => &mut area.rip,
                    _ => &mut area.rflags,
                };
                let x = value::u64_of(v);
                changed |= *slot != x;
                *slot = x;
            }
            if changed {
                self.sync_changed |= KVM_SYNC_X86_REGS;
            }
            return Ok(());
        }

        // Apply the batch to copies; commit only if every value is valid.
        let current = *vcpu.sync();
        let mut sync = current;
        let mut fpu_state = self.fpu.value.clone();
        let mut xcrs = self.xcrs.value;
        let mut debugregs = self.debugregs.value;
        let mut mp_state = self.mp_state.value;
        let mut msrs: Vec<(u32, u64)> = Vec::new();
        let mut deliverability = self.deliverability;
        let mut lapic_page = self.lapic.page().copied();
        // CR8 as a TPR write in this batch left it (see `Reg::Apic`).
        let mut cr8_from_tpr: Option<u64> = None;
        for (reg, v) in regs.iter().zip(values) {
            match *reg {
                Reg::Gpr(i) => *gpr(&mut sync.regs, i) = value::u64_of(v),
                Reg::Rip => sync.regs.rip = value::u64_of(v),
                Reg::Rflags => sync.regs.rflags = value::u64_of(v),
                Reg::Segment(seg) => {
                    *segment(&mut sync.sregs, seg) = convert::segment_to_kvm(&value::segment_of(v))
                }
                Reg::Gdtr => sync.sregs.gdt = convert::table_to_kvm(&value::table_of(v)),
                Reg::Idtr => sync.sregs.idt = convert::table_to_kvm(&value::table_of(v)),
                Reg::Cr0 => {
                    let x = value::u64_of(v);
                    validate::cr0(x)?;
                    sync.sregs.cr0 = x;
                }
                Reg::Cr2 => sync.sregs.cr2 = value::u64_of(v),
                Reg::Cr3 => sync.sregs.cr3 = value::u64_of(v),
                Reg::Cr4 => {
                    let x = value::u64_of(v);
                    validate::cr4(x)?;
                    sync.sregs.cr4 = x;
                }
                Reg::Cr8 => {
                    let x = value::u64_of(v);
                    validate::cr8(x)?;
                    sync.sregs.cr8 = x;
                    // CR8 is TPR[7:4] (and clears TPR[3:0]).
                    if let Some(page) = lapic_page.as_mut() {
                        apic::set_tpr(page, (x as u8 & 0xf) << 4);
                    }
                    cr8_from_tpr = None;
                }
                Reg::Apic(r) => {
                    let page = lapic_page.as_mut().ok_or_else(not_loaded)?;
                    let format = self.lapic.format(sync.sregs.apic_base);
                    apic::write(page, r, value::u64_of(v), format)?;
                    if r == apic::ApicReg::TPR {
                        cr8_from_tpr = Some(u64::from(apic::tpr(page) >> 4));
                    }
                }
                Reg::Efer => {
                    let x = value::u64_of(v);
                    validate::efer(x)?;
                    sync.sregs.efer = x;
                }
                Reg::ApicBase => sync.sregs.apic_base = value::u64_of(v),
                Reg::Dr(n) => {
                    let x = value::u64_of(v);
                    if n >= 6 {
                        validate::dr6_dr7(if n == 6 { "DR6" } else { "DR7" }, x)?;
                    }
                    *dr(debugregs.as_mut().ok_or_else(not_loaded)?, n) = x;
                }
                Reg::Xcr0 => {
                    let x = value::u64_of(v);
                    validate::xcr0(x)?;
                    *xcrs.as_mut().and_then(xcr0).ok_or_else(no_xcr0)? = x;
                }
                Reg::InternalActivity => {
                    if self.lapic_emulation == Some(false) {
                        return Err(Error::new(
                            ERROR_HV_ACCESS_DENIED,
                            "InternalActivityState cannot be written without LAPIC emulation",
                        ));
                    }
                    let state = activity::mp_state_for(value::u64_of(v))?;
                    *mp_state.as_mut().ok_or_else(not_loaded)? = state;
                }
                Reg::Msr(index) => {
                    let x = value::u64_of(v);
                    match index {
                        MSR_KERNEL_GS_BASE | MSR_LSTAR | MSR_CSTAR => {
                            validate::canonical("MSR", x)?
                        }
                        MSR_PAT => validate::pat(x)?,
                        MSR_TSC_AUX => validate::tsc_aux(x)?,
                        _ => {}
                    }
                    if index == MSR_MTRRCAP && Some(x) != self.msrs.get(index) {
                        return Err(Error::new(E_INVALIDARG, "MsrMtrrCap is read-only"));
                    }
                    msrs.retain(|(i, _)| *i != index);
                    msrs.push((index, x));
                }
                Reg::Xmm(i) => {
                    fpu_state
                        .as_mut()
                        .ok_or_else(not_loaded)?
                        .set_xmm(i, value::u128_of(v));
                }
                Reg::FpMmx(i) => {
                    fpu_state
                        .as_mut()
                        .ok_or_else(not_loaded)?
                        .set_fp_mmx(i, value::u128_of(v));
                }
                Reg::FpControlStatus => {
                    fpu_state
                        .as_mut()
                        .ok_or_else(not_loaded)?
                        .set_fp_control_status(value::u128_of(v));
                }
                Reg::XmmControlStatus => {
                    fpu_state
                        .as_mut()
                        .ok_or_else(not_loaded)?
                        .set_xmm_control_status(value::u128_of(v))?;
                }
                Reg::PendingInterruption => {
                    events::set_pending_interruption(&mut sync.events, value::u64_of(v))?
                }
                Reg::InterruptState => {
                    events::set_interrupt_state(&mut sync.events, value::u64_of(v))?
                }
                Reg::PendingEvent => {
                    events::set_pending_event(&mut sync.events, value::u128_of(v))?
                }
                Reg::DeliverabilityNotifications => {
                    let x = value::u64_of(v);
                    if x & !DELIVERABILITY_DEFINED != 0 {
                        return Err(Error::with(
                            E_INVALIDARG,
                            format!("DeliverabilityNotifications {x:#x}"),
                        ));
                    }
                    if x & 0x3c != 0 && self.lapic_emulation == Some(true) {
                        return Err(Error::with(
                            ERROR_HV_INVALID_PARAMETER,
                            format!(
                                "DeliverabilityNotifications {x:#x}: the emulated LAPIC owns \
                                 interrupt priority"
                            ),
                        ));
                    }
                    deliverability = x;
                }
            }
        }
        let sregs_changed = classes & class_bit(Class::Sregs) != 0 && sync.sregs != current.sregs;
        if sregs_changed {
            let s = &mut sync.sregs;
            validate::long_mode(s.efer, s.cr0, s.cr4)?;
            s.efer = validate::efer_with_lma(s.efer, s.cr0, s.cr4);
        }

        // Commit.
        let area = vcpu.sync();
        if classes & class_bit(Class::Regs) != 0 && sync.regs != current.regs {
            area.regs = sync.regs;
            self.sync_changed |= KVM_SYNC_X86_REGS;
        }
        if sregs_changed {
            area.sregs = sync.sregs;
            self.sync_changed |= KVM_SYNC_X86_SREGS;
        }
        if classes & class_bit(Class::Events) != 0 && sync.events != current.events {
            area.events = sync.events;
            self.sync_changed |= KVM_SYNC_X86_EVENTS;
        }
        if fpu_state != self.fpu.value {
            self.fpu.value = fpu_state;
            self.fpu.dirty = true;
        }
        if xcrs != self.xcrs.value {
            self.xcrs.value = xcrs;
            self.xcrs.dirty = true;
        }
        if debugregs != self.debugregs.value {
            self.debugregs.value = debugregs;
            self.debugregs.dirty = true;
        }
        if mp_state != self.mp_state.value {
            self.mp_state.value = mp_state;
            self.mp_state.dirty = true;
        }
        for (index, x) in msrs {
            self.msrs.update(index, x);
        }
        if let Some(page) = lapic_page {
            self.lapic.update(page);
        }
        if let Some(cr8) = cr8_from_tpr {
            // KVM derives CR8 from the TPR written by KVM_SET_LAPIC; the
            // sync area shows it now without a write of its own.
            vcpu.sync().sregs.cr8 = cr8;
        }
        self.deliverability = deliverability;
        Ok(())
    }

    /// Before KVM_RUN: makes sure the sync area holds the VP's state (by
    /// ioctl, the first time), asks KVM to fill it at the exit, marks the
    /// sync classes written since the last run dirty (KVM loads them at
    /// entry), and writes back changed FPU, XCR, debug-register and MSR
    /// state with one ioctl per class. On an error the failed class's cache
    /// is dropped (the VP keeps its previous value).
    pub(crate) fn before_run(&mut self, vcpu: &mut Vcpu) -> Result<()> {
        // The sync area must hold the VP's state even if this run never
        // reaches KVM_RUN (a cancel first): fetch what was never fetched
        // (only before the first run and after a reset).
        if self.sync_loaded & SYNC_ALL != SYNC_ALL {
            let classes =
                class_bit(Class::Regs) | class_bit(Class::Sregs) | class_bit(Class::Events);
            self.load(vcpu, classes, &[])?;
        }
        // Interrupts sent since the LAPIC page or events were fetched go
        // into what is written back (`cache/interrupts`).
        self.merge_interrupts(vcpu)?;
        vcpu.area().set_valid_regs(u64::from(SYNC_ALL));
        if self.entered {
            if self.sync_changed & KVM_SYNC_X86_REGS != 0 {
                vcpu.mark_dirty(KVM_SYNC_X86_REGS);
            }
            if self.sync_changed & KVM_SYNC_X86_SREGS != 0 && self.lapic.is_dirty() {
                // KVM_RUN would load CR8 into the TPR after the
                // KVM_SET_LAPIC below, clearing TPR[3:0]: write the system
                // registers (APIC base, CR8) first, by ioctl.
                self.counts.set_sregs += 1;
                let s = vcpu.sync().sregs;
                let r = vcpu.fd().set_sregs(&s).map_err(kvm_error("KVM_SET_SREGS"));
                self.settle(KVM_SYNC_X86_SREGS, r.is_ok());
                r?;
            } else if self.sync_changed & KVM_SYNC_X86_SREGS != 0 {
                vcpu.mark_dirty(KVM_SYNC_X86_SREGS);
            }
            if self.sync_changed & KVM_SYNC_X86_EVENTS != 0 {
                vcpu.mark_dirty(KVM_SYNC_X86_EVENTS);
            }
        } else {
            self.write_sync_by_ioctl(vcpu)?;
        }
        self.sync_changed = 0;
        if self.sync_loaded & KVM_SYNC_X86_SREGS != 0 {
            // Without an in-kernel LAPIC, KVM_RUN loads CR8 from kvm_run.cr8
            // after the sync area: keep the two equal.
            let cr8 = vcpu.sync().sregs.cr8;
            vcpu.area().set_cr8(cr8);
        }
        // After the system registers: the APIC mode is set and CR8 cannot
        // overwrite the TPR.
        let apic_base = vcpu.sync().sregs.apic_base;
        self.lapic.write_back(vcpu.fd(), apic_base)?;

        if let (true, Some(f)) = (self.fpu.dirty, self.fpu.value.as_ref()) {
            self.counts.set_xsave += 1;
            let image = f.to_kvm();
            // SAFETY: this process never enables dynamic XSAVE features
            // (arch_prctl ARCH_REQ_XCOMP_GUEST_PERM), so KVM_SET_XSAVE reads
            // only the 4096 bytes of `kvm_xsave`.
            let r = unsafe { vcpu.fd().set_xsave(&image) }.map_err(kvm_error("KVM_SET_XSAVE"));
            self.fpu.dirty = false;
            if r.is_err() {
                self.fpu.drop_value();
            }
            r?;
        }
        if let (true, Some(x)) = (self.xcrs.dirty, self.xcrs.value) {
            self.counts.set_xcrs += 1;
            let r = vcpu.fd().set_xcrs(&x).map_err(kvm_error("KVM_SET_XCRS"));
            self.xcrs.dirty = false;
            if r.is_err() {
                self.xcrs.drop_value();
            }
            r?;
        }
        if let (true, Some(d)) = (self.debugregs.dirty, self.debugregs.value) {
            self.counts.set_debugregs += 1;
            let r = vcpu
                .fd()
                .set_debug_regs(&d)
                .map_err(kvm_error("KVM_SET_DEBUGREGS"));
            self.debugregs.dirty = false;
            if r.is_err() {
                self.debugregs.drop_value();
            }
            r?;
        }
        self.msrs.write_back(vcpu.fd(), &mut self.counts)?;
        if let (true, Some(state)) = (self.mp_state.dirty, self.mp_state.value) {
            self.counts.set_mp_state += 1;
            let r = vcpu
                .fd()
                .set_mp_state(kvm_mp_state { mp_state: state })
                .map_err(kvm_error("KVM_SET_MP_STATE"));
            self.mp_state.dirty = false;
            if r.is_err() {
                self.mp_state.drop_value();
            }
            r?;
        }
        Ok(())
    }

    /// After KVM_RUN: kvm_run's sync area holds the VP's current general,
    /// system and event state; every other cached class is stale.
    pub(crate) fn after_run(&mut self, vcpu: &mut Vcpu) {
        self.sync_loaded = (vcpu.area().valid_regs() as u32) & SYNC_ALL;
        self.irq.events = self.irq.run;
        self.entered = true;
        self.sync_changed = 0;
        self.fpu.drop_value();
        self.xcrs.drop_value();
        self.debugregs.drop_value();
        self.mp_state.drop_value();
        self.msrs.drop_values();
        self.lapic.drop_value();
    }

    /// Forgets everything cached and every write not yet made (after the VP
    /// was reset behind the cache's back), including the deliverability
    /// notifications. The caller clears kvm_run's dirty bits if it set any.
    pub(crate) fn reset(&mut self) {
        let mut msrs = std::mem::take(&mut self.msrs);
        msrs.drop_values();
        let counts = self.counts;
        let x2apic_api = self.lapic.x2apic_api;
        let irq = self.irq.source_only();
        *self = Self {
            msrs,
            counts,
            irq,
            lapic_emulation: self.lapic_emulation,
            ..Self::default()
        };
        self.lapic.x2apic_api = x2apic_api;
    }

    /// Makes reads of MSR `index` answer `value` until the next run or
    /// [`Self::forget_msr`] (partition time pins the frozen TSC).
    pub(crate) fn pin_msr(&mut self, index: u32, value: u64) {
        self.msrs.pin(index, value);
    }

    /// Drops the cached value of MSR `index` (unless it waits for
    /// write-back): the next read asks KVM.
    pub(crate) fn forget_msr(&mut self, index: u32) {
        self.msrs.forget(index);
    }

    /// Fills the sync area with state just fetched by the caller (the VP's
    /// power-on snapshot) so that the first access needs no ioctl of its
    /// own. Only for a VP that has not run since creation or reset, with
    /// nothing changed in the cache.
    pub(crate) fn seed(
        &mut self,
        vcpu: &mut Vcpu,
        regs: &kvm_regs,
        sregs: &kvm_sregs,
        events: &kvm_vcpu_events,
    ) {
        if self.entered || self.sync_changed != 0 {
            return;
        }
        let area = vcpu.sync();
        area.regs = *regs;
        area.sregs = *sregs;
        area.events = *events;
        self.sync_loaded = SYNC_ALL;
    }

    /// The VP's whole XSAVE image (KVM's standard form), fetched with
    /// `KVM_GET_XSAVE` unless cached: the same copy the x87/SSE registers
    /// are read from, so a state read sees register writes not yet loaded.
    pub(crate) fn xsave_image(&mut self, vcpu: &mut Vcpu) -> Result<&fpu::XsaveArea> {
        self.load(vcpu, class_bit(Class::Fpu), &[])?;
        self.fpu.value.as_ref().ok_or_else(not_loaded)
    }

    /// Replaces the VP's whole XSAVE image; [`Self::before_run`] writes it
    /// with `KVM_SET_XSAVE`, and register reads meanwhile see it.
    pub(crate) fn set_xsave_image(&mut self, image: fpu::XsaveArea) {
        if self.fpu.value.as_ref() != Some(&image) {
            self.fpu.value = Some(image);
            self.fpu.dirty = true;
        }
    }

    /// Records whether the partition emulates local APICs. Without (as
    /// Windows answers, measured by rusty_box's WHP probe on Windows 11
    /// build 26200, `docs/whp-platform-probe-2026-09-03.md`, P1 control B)
    /// InternalActivityState cannot be written (`ERROR_HV_ACCESS_DENIED`);
    /// with it a non-zero InterruptPriority in DeliverabilityNotifications
    /// is refused (`ERROR_HV_INVALID_PARAMETER`; the same probe, P10).
    pub(crate) fn set_lapic_emulation(&mut self, on: bool) {
        self.lapic_emulation = Some(on);
    }

    /// Queues an NMI for KVM to deliver when the guest can take one: KVM's
    /// pending NMI, in the sync area's events (a `KVM_NMI` would be lost
    /// when events the VMM wrote are loaded at the next entry).
    pub(crate) fn queue_nmi(&mut self, vcpu: &mut Vcpu) -> Result<()> {
        self.load(vcpu, class_bit(Class::Events), &[])?;
        let ev = &mut vcpu.sync().events;
        ev.nmi.pending = 1;
        ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
        self.sync_changed |= KVM_SYNC_X86_EVENTS;
        Ok(())
    }

    /// `WHvX64RegisterDeliverabilityNotifications` as last set
    /// (`WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER::AsUINT64`).
    pub(crate) fn deliverability_notifications(&self) -> u64 {
        self.deliverability
    }

    /// Whether the caller asked for an InterruptionDeliverable exit for
    /// interrupts (`InterruptNotification`): the run loop sets
    /// `kvm_run.request_interrupt_window` while this is true.
    pub(crate) fn interrupt_notification(&self) -> bool {
        self.deliverability & 2 != 0
    }

    /// Replaces the deliverability notifications: the run loop clears a bit
    /// once it has reported the InterruptionDeliverable exit it asked for,
    /// as Windows does.
    pub(crate) fn set_deliverability_notifications(&mut self, v: u64) {
        self.deliverability = v & DELIVERABILITY_DEFINED;
    }

    /// The ioctls issued so far.
    #[cfg_attr(not(test), allow(dead_code, reason = "a debug counter read by tests"))]
    pub(crate) fn ioctl_counts(&self) -> IoctlCounts {
        self.counts
    }

    /// The `KVM_GET_LAPIC` and `KVM_SET_LAPIC` calls issued so far.
    #[cfg(test)]
    pub(crate) fn lapic_ioctls(&self) -> (u32, u32) {
        (self.lapic.gets, self.lapic.sets)
    }

    /// Maps each name to its register, failing on the first name KVM cannot
    /// back.
    fn resolve(&self, names: &[WHV_REGISTER_NAME]) -> Result<Batch> {
        Batch::resolve(names, |name| match lookup(name) {
            Some(Reg::Msr(index)) if self.msrs.is_unsupported(index) => Err(unsupported(name)),
            Some(Reg::Apic(_)) if self.lapic.is_absent() => Err(unsupported(name)),
            Some(reg) => Ok(reg),
            None => Err(unsupported(name)),
        })
    }

    /// Fetches the general registers, RIP and RFLAGS unless cached.
    fn load_regs(&mut self, vcpu: &mut Vcpu) -> Result<()> {
        if self.sync_loaded & KVM_SYNC_X86_REGS == 0 {
            self.counts.get_regs += 1;
            let r = vcpu.fd().get_regs().map_err(kvm_error("KVM_GET_REGS"))?;
            vcpu.sync().regs = r;
            self.sync_loaded |= KVM_SYNC_X86_REGS;
        }
        Ok(())
    }

    /// Fetches every class in `wanted` (as [`class_bit`]s) that is not
    /// cached, one ioctl each; `regs` names the MSRs wanted.
    fn load(&mut self, vcpu: &mut Vcpu, wanted: u32, regs: &[Reg]) -> Result<()> {
        if wanted & class_bit(Class::Regs) != 0 {
            self.load_regs(vcpu)?;
        }
        // APIC registers need the APIC base (the mode) and CR8 (the TPR).
        let wanted = match wanted & class_bit(Class::Lapic) {
            0 => wanted,
            _ => wanted | class_bit(Class::Sregs),
        };
        let classes = |c: Class| wanted & class_bit(c) != 0;
        if classes(Class::Sregs) && self.sync_loaded & KVM_SYNC_X86_SREGS == 0 {
            self.counts.get_sregs += 1;
            let s = vcpu.fd().get_sregs().map_err(kvm_error("KVM_GET_SREGS"))?;
            vcpu.sync().sregs = s;
            self.sync_loaded |= KVM_SYNC_X86_SREGS;
        }
        if classes(Class::Events) && self.sync_loaded & KVM_SYNC_X86_EVENTS == 0 {
            self.irq.events = self.irq.now();
            self.counts.get_events += 1;
            let e = vcpu
                .fd()
                .get_vcpu_events()
                .map_err(kvm_error("KVM_GET_VCPU_EVENTS"))?;
            vcpu.sync().events = e;
            self.sync_loaded |= KVM_SYNC_X86_EVENTS;
        }
        if classes(Class::Fpu) && self.fpu.value.is_none() {
            self.counts.get_xsave += 1;
            let image = vcpu.fd().get_xsave().map_err(kvm_error("KVM_GET_XSAVE"))?;
            self.fpu.value = Some(fpu::XsaveArea::from_kvm(&image));
        }
        if classes(Class::Xcrs) && self.xcrs.value.is_none() {
            self.counts.get_xcrs += 1;
            self.xcrs.value = Some(vcpu.fd().get_xcrs().map_err(kvm_error("KVM_GET_XCRS"))?);
        }
        if classes(Class::DebugRegs) && self.debugregs.value.is_none() {
            self.counts.get_debugregs += 1;
            self.debugregs.value = Some(
                vcpu.fd()
                    .get_debug_regs()
                    .map_err(kvm_error("KVM_GET_DEBUGREGS"))?,
            );
        }
        if classes(Class::MpState) && self.mp_state.value.is_none() {
            self.counts.get_mp_state += 1;
            self.mp_state.value = Some(
                vcpu.fd()
                    .get_mp_state()
                    .map_err(kvm_error("KVM_GET_MP_STATE"))?
                    .mp_state,
            );
        }
        if classes(Class::Msrs) {
            let wanted = regs.iter().filter_map(|r| match *r {
                Reg::Msr(index) => Some(index),
                _ => None,
            });
            self.msrs.load(vcpu.fd(), wanted, &mut self.counts)?;
        }
        if classes(Class::Lapic) {
            // A CR8 written since the page was last current is its TPR.
            let cr8_pending = self.sync_changed & KVM_SYNC_X86_SREGS != 0;
            let cr8 = vcpu.sync().sregs.cr8;
            let page = self.load_lapic(vcpu.fd())?;
            if cr8_pending && u64::from(apic::tpr(page) >> 4) != cr8 {
                apic::set_tpr(page, (cr8 as u8 & 0xf) << 4);
            }
        }
        Ok(())
    }

    /// Before the VP's first run, writes the changed sync classes by ioctl
    /// rather than by dirty bits: KVM skips the dirty bits of a VP that is
    /// still waiting for INIT/SIPI (an AP with the in-kernel LAPIC) and then
    /// overwrites the area, so the initial state a VMM sets would be lost.
    /// On an error the class is dropped from the cache (KVM keeps its value).
    fn write_sync_by_ioctl(&mut self, vcpu: &mut Vcpu) -> Result<()> {
        let area = *vcpu.sync();
        let changed = self.sync_changed;
        let mut result = Ok(());
        if changed & KVM_SYNC_X86_REGS != 0 {
            self.counts.set_regs += 1;
            result = vcpu
                .fd()
                .set_regs(&area.regs)
                .map_err(kvm_error("KVM_SET_REGS"));
            self.settle(KVM_SYNC_X86_REGS, result.is_ok());
        }
        if result.is_ok() && changed & KVM_SYNC_X86_SREGS != 0 {
            self.counts.set_sregs += 1;
            result = vcpu
                .fd()
                .set_sregs(&area.sregs)
                .map_err(kvm_error("KVM_SET_SREGS"));
            self.settle(KVM_SYNC_X86_SREGS, result.is_ok());
        }
        if result.is_ok() && changed & KVM_SYNC_X86_EVENTS != 0 {
            self.counts.set_events += 1;
            result = vcpu
                .fd()
                .set_vcpu_events(&area.events)
                .map_err(kvm_error("KVM_SET_VCPU_EVENTS"));
            self.settle(KVM_SYNC_X86_EVENTS, result.is_ok());
        }
        result
    }

    /// A sync class written by ioctl: no longer changed; if KVM refused it,
    /// no longer loaded either (the next access fetches KVM's value).
    fn settle(&mut self, class: u32, written: bool) {
        self.sync_changed &= !class;
        if !written {
            self.sync_loaded &= !class;
        }
    }

    /// One register from the loaded state.
    fn read(&self, reg: Reg, s: &kvm_sync_regs) -> Result<WHV_REGISTER_VALUE> {
        let fpu_state = || self.fpu.value.as_ref().ok_or_else(not_loaded);
        Ok(match reg {
            Reg::Gpr(i) => value::from_u64(gpr_value(&s.regs, i)),
            Reg::Rip => value::from_u64(s.regs.rip),
            Reg::Rflags => value::from_u64(s.regs.rflags),
            Reg::Segment(seg) => {
                value::from_segment(convert::segment_from_kvm(segment_ref(&s.sregs, seg)))
            }
            Reg::Gdtr => value::from_table(convert::table_from_kvm(&s.sregs.gdt)),
            Reg::Idtr => value::from_table(convert::table_from_kvm(&s.sregs.idt)),
            Reg::Cr0 => value::from_u64(s.sregs.cr0),
            Reg::Cr2 => value::from_u64(s.sregs.cr2),
            Reg::Cr3 => value::from_u64(s.sregs.cr3),
            Reg::Cr4 => value::from_u64(s.sregs.cr4),
            Reg::Cr8 => value::from_u64(s.sregs.cr8),
            Reg::Efer => value::from_u64(s.sregs.efer),
            Reg::ApicBase => value::from_u64(s.sregs.apic_base),
            Reg::Dr(n) => {
                let mut d = self.debugregs.value.ok_or_else(not_loaded)?;
                value::from_u64(*dr(&mut d, n))
            }
            Reg::Xcr0 => {
                let mut x = self.xcrs.value.ok_or_else(not_loaded)?;
                value::from_u64(*xcr0(&mut x).ok_or_else(no_xcr0)?)
            }
            Reg::Msr(index) => value::from_u64(self.msrs.get(index).ok_or_else(not_loaded)?),
            Reg::Xmm(i) => value::from_u128(fpu_state()?.xmm(i)),
            Reg::FpMmx(i) => value::from_u128(fpu_state()?.fp_mmx(i)),
            Reg::FpControlStatus => value::from_u128(fpu_state()?.fp_control_status()),
            Reg::XmmControlStatus => value::from_u128(fpu_state()?.xmm_control_status()),
            Reg::PendingInterruption => value::from_u64(events::pending_interruption(&s.events)),
            Reg::InterruptState => value::from_u64(events::interrupt_state(&s.events)),
            Reg::PendingEvent => value::from_u128(events::pending_event(&s.events)),
            Reg::DeliverabilityNotifications => value::from_u64(self.deliverability),
            Reg::InternalActivity => value::from_u64(activity::from_mp_state(
                self.mp_state.value.ok_or_else(not_loaded)?,
            )),
            Reg::Apic(r) => value::from_u64(apic::read(
                self.lapic.page().ok_or_else(not_loaded)?,
                r,
                self.lapic.format(s.sregs.apic_base),
            )),
        })
    }
}

fn unsupported(name: WHV_REGISTER_NAME) -> Error {
    Error::with(
        WHV_E_INVALID_VP_REGISTER_NAME,
        format!("register {name:?} is not available on KVM"),
    )
}

fn not_loaded() -> Error {
    // `load` fetched every class the batch needs; reaching this is a bug in
    // the cache, reported rather than panicking.
    Error::new(winhv_defs::E_UNEXPECTED, "register class not loaded")
}
