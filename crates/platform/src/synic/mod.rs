//! The user-space SynIC and the other Hyper-V synthetic MSRs (KVM on our
//! machines has no Hyper-V emulation, and we do not rely on it elsewhere):
//! what a partition with SyntheticProcessorFeaturesBanks gets.
//!
//! | file | owns |
//! | --- | --- |
//! | `features` | which synthetic feature bits exist here, offered and checked |
//! | `cpuid` | the Hyper-V CPUID leaves 0x4000_0000–0x4000_000A |
//! | `msrs` | the synthetic MSRs' numbers, values and write rules |
//! | `clock` | the reference counter and the reference TSC page |
//! | `message` | SIMP message slots and SIEFP event flags in guest memory |
//! | `registers` | the WHV register names that read and write the same MSRs |
//! | `hypercall` | the hypercall page and the Hypercall exit's payload |
//! | `timers` | STIMER0–3: their MSRs, deadlines and expiry messages |
//! | `scheduler` | the thread that waits for the timers' deadlines |
//! | `raise` | a SINT's vector onto a VP's local APIC, from any thread |
//!
//! How a guest access is answered: the partition's MSR filter
//! (`crate::msr`) denies every synthetic MSR the partition enabled, so
//! KVM hands each access to user space; [`VpSynic::msr`] answers it inside
//! WHvRunVirtualProcessor, which goes on running the guest (no exit to
//! the caller), except for an EOM that frees a slot a post found busy
//! (`ERROR_HV_OBJECT_IN_USE`): that becomes a `WHvRunVpExitReasonSynicSintDeliverable`
//! exit, after the WRMSR (`crate::vp`).
//!
//! SINT interrupts are fixed, edge-triggered LAPIC vectors sent to the
//! VP's APIC ID (its index, as created) with `KVM_SIGNAL_MSI`, so the
//! SynIC needs LocalApicEmulationMode xApic or x2Apic; AutoEOI is kept but
//! not performed (the in-kernel LAPIC cannot end an interrupt for the
//! guest; CPUID 0x4000_0004 recommends against AutoEOI).

mod clock;
mod cpuid;
pub(crate) mod features;
mod hypercall;
mod message;
mod msrs;
mod raise;
mod registers;
mod scheduler;
mod timers;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::Instant;

use kvm_ioctls::VmFd;
use winhv_defs::*;

use crate::error::{Error, Result};
use crate::memory::GpaMap;
use clock::ReferenceClock;
use msrs::{Msr, PartitionMsrs, Refused, SynicMsrs};
use raise::Raiser;
use scheduler::Sched;
use timers::Stimer;

pub(crate) use cpuid::apply as apply_cpuid;
pub(crate) use hypercall::{
    CALL_LENGTH as HYPERCALL_LENGTH, HV_STATUS_INVALID_HYPERCALL_CODE, PORT as HYPERCALL_PORT,
    context as hypercall_context,
};
pub(crate) use msrs::enabled as enabled_msrs;
pub(crate) use registers::{get_batch, is_synthetic as is_synthetic_register, set_batch};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a partition's SynIC is built from at setup.
pub(crate) struct Setup<'a> {
    /// SyntheticProcessorFeaturesBanks bank 0 (nonzero).
    pub features: u64,
    /// The partition's TSC rate in Hz (0: unknown).
    pub tsc_hz: u64,
    /// ExtendedVmExits.HypercallExit.
    pub hypercall_exit: bool,
    pub processor_count: u32,
    /// The partition's GPA map (message and event pages live there).
    pub map: Arc<RwLock<GpaMap>>,
    /// The VM (duplicated for raising SINTs) and its interrupt counter.
    pub vm: &'a VmFd,
    pub interrupts: Arc<AtomicU64>,
    /// LocalApicEmulationMode: `None` without LAPIC emulation, else
    /// whether it is x2APIC.
    pub lapic: Option<bool>,
    pub x2apic_api: bool,
}

/// A partition's SynIC and synthetic MSRs: shared by its VPs, the
/// partition's SynIC calls and the timer thread.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The partition's bank 0.
    features: u64,
    clock: ReferenceClock,
    msrs: Mutex<PartitionMsrs>,
    /// ExtendedVmExits.HypercallExit (changeable after setup).
    hypercall_exit: AtomicBool,
    /// Each VP's SynIC state, by VP index.
    vps: Box<[Mutex<VpState>]>,
    map: Arc<RwLock<GpaMap>>,
    /// `None` without LAPIC emulation (no SynIC feature is offered then).
    raiser: Option<Raiser>,
    sched: Arc<Sched>,
    this: Weak<Shared>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.sched.stop();
    }
}

impl Shared {
    pub(crate) fn new(s: Setup<'_>) -> Result<Arc<Self>> {
        let raiser = Raiser::new(s.vm, s.interrupts, s.lapic, s.x2apic_api)?;
        Ok(Arc::new_cyclic(|this| Self {
            features: s.features,
            clock: ReferenceClock::new(s.tsc_hz),
            msrs: Mutex::new(PartitionMsrs::default()),
            hypercall_exit: AtomicBool::new(s.hypercall_exit),
            vps: (0..s.processor_count)
                .map(|_| Mutex::new(VpState::default()))
                .collect(),
            map: s.map,
            raiser,
            sched: Arc::default(),
            this: this.clone(),
        }))
    }

    /// WHvDeletePartition: the timer thread stops and touches guest memory
    /// no more once this returns.
    pub(crate) fn shutdown(&self) {
        self.sched.shutdown();
    }

    /// ExtendedVmExits changed: whether hypercalls exit to the VMM.
    pub(crate) fn set_hypercall_exit(&self, on: bool) {
        self.hypercall_exit.store(on, Ordering::Relaxed);
    }

    fn map(&self) -> std::sync::RwLockReadGuard<'_, GpaMap> {
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    /// What a post or signal answers on a partition without LAPIC
    /// emulation, where no SINT can be raised (as WHvRequestInterrupt).
    fn check_raiser(&self) -> Result<()> {
        match self.raiser {
            Some(_) => Ok(()),
            None => Err(Error::new(
                HRESULT_ERROR_NOT_SUPPORTED,
                "SINT interrupts need LocalApicEmulationMode xApic or x2Apic (not yet without)",
            )),
        }
    }

    /// Raises `vector` (if any) on VP `vp`.
    fn raise(&self, vp: u32, vector: Option<u8>) -> Result<()> {
        match (vector, &self.raiser) {
            (Some(v), Some(r)) => r.raise(vp, v),
            _ => Ok(()),
        }
    }

    /// The timer thread's work: fires every timer whose deadline has
    /// passed, delivers its message; the earliest deadline still armed.
    fn expire_due(&self) -> Option<Instant> {
        let now = self.clock.host_now()?;
        // The map before any VP's state, as every path takes them.
        let map = self.map();
        let mut next: Option<u64> = None;
        for (index, vp) in self.vps.iter().enumerate() {
            let mut st = lock(vp);
            for t in 0..timers::COUNT {
                if st.timers[t].deadline.is_some_and(|d| d <= now) {
                    st.timers[t].fire(now);
                    self.deliver_timer(&map, index as u32, &mut st, t, now);
                }
                if let Some(d) = st.timers[t].deadline {
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
            }
        }
        next.and_then(|d| self.clock.instant_of(d))
    }

    /// Posts timer `t`'s pending expiry message, if its slot is free
    /// (otherwise MessagePending is set and EOM tries again); raises the
    /// SINT. Without a message page the expiry is dropped.
    fn deliver_timer(&self, map: &GpaMap, vp: u32, st: &mut VpState, t: usize, now: u64) {
        let Some(expiration) = st.timers[t].pending else {
            return;
        };
        let sint = st.timers[t].sint();
        let Some(simp) = st.msrs.page(st.msrs.simp) else {
            st.timers[t].pending = None;
            return;
        };
        let m = timers::message(t, expiration, now);
        match message::post(map, simp + sint as u64 * message::SLOT_SIZE, &m) {
            Ok(false) => {}
            Ok(true) => {
                st.timers[t].pending = None;
                let _ = self.raise(vp, st.msrs.vector(sint));
            }
            Err(_) => st.timers[t].pending = None,
        }
    }
}

/// One VP's SynIC.
#[derive(Debug)]
pub(crate) struct VpSynic {
    index: u32,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct VpState {
    msrs: SynicMsrs,
    /// SINTs a post found busy: their slot's freeing is reported at EOM.
    waiting: u16,
    timers: [Stimer; timers::COUNT],
}

/// What answering a guest access needs from the VP's run.
pub(crate) struct MsrEnv<'a> {
    pub map: &'a GpaMap,
    /// The VP's TSC now (`None`: it cannot be read).
    pub tsc: &'a mut dyn FnMut() -> Option<u64>,
}

/// The answer to a guest access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MsrOutcome {
    /// A read's value.
    Read(u64),
    /// A write done.
    Written,
    /// A write done that made these SINTs deliverable (EOM).
    Deliverable(u16),
    /// #GP.
    Fault,
}

impl VpSynic {
    /// VP `index`'s view of `shared` (`index` below its processor count).
    pub(crate) fn new(index: u32, shared: Arc<Shared>) -> Self {
        Self { index, shared }
    }

    fn state(&self) -> MutexGuard<'_, VpState> {
        // The VP exists, so its index is below the processor count the
        // states were made for.
        lock(&self.shared.vps[self.index as usize])
    }

    /// Whether MSR `index` is one of the partition's synthetic MSRs.
    pub(crate) fn owns(&self, index: u32) -> bool {
        Msr::of(index, self.shared.features).is_some()
    }

    /// The GPA of the hypercall page, while the guest has it enabled.
    pub(crate) fn hypercall_page(&self) -> Option<u64> {
        let h = lock(&self.shared.msrs).hypercall;
        (h & msrs::PAGE_ENABLE != 0).then_some(h & msrs::PAGE_BASE)
    }

    /// Whether a hypercall ends the run with a Hypercall exit (else the
    /// platform answers it).
    pub(crate) fn hypercall_exit(&self) -> bool {
        self.shared.hypercall_exit.load(Ordering::Relaxed)
    }

    /// Back to the reset state (WHvResetPartition, a VP created again).
    pub(crate) fn reset(&self) {
        *self.state() = VpState::default();
        *lock(&self.shared.msrs) = PartitionMsrs::default();
        self.shared.clock.reset();
    }

    /// A guest RDMSR (`write: None`) or WRMSR of `index`.
    pub(crate) fn msr(&self, index: u32, write: Option<u64>, env: &mut MsrEnv<'_>) -> MsrOutcome {
        let Some(msr) = Msr::of(index, self.shared.features) else {
            return MsrOutcome::Fault;
        };
        match write {
            None => match msr {
                Msr::TimeRefCount => match (env.tsc)() {
                    Some(tsc) => MsrOutcome::Read(self.shared.clock.count(tsc)),
                    None => MsrOutcome::Fault,
                },
                _ => MsrOutcome::Read(self.read(msr)),
            },
            Some(v) => self.guest_write(msr, v, env),
        }
    }

    /// A synthetic MSR's value (what RDMSR and a register read give; the
    /// reference counter is [`clock::ReferenceClock::count`]).
    fn read(&self, msr: Msr) -> u64 {
        let p = *lock(&self.shared.msrs);
        let s = self.state();
        match msr {
            Msr::GuestOsId => p.guest_os_id,
            Msr::Hypercall => p.hypercall,
            Msr::ReferenceTsc => p.reference_tsc,
            Msr::VpIndex => u64::from(self.index),
            Msr::TimeRefCount | Msr::Eom => 0,
            Msr::Scontrol => s.msrs.scontrol,
            Msr::Sversion => msrs::SYNIC_VERSION,
            Msr::Siefp => s.msrs.siefp,
            Msr::Simp => s.msrs.simp,
            Msr::Sint(i) => s.msrs.sint[i],
            Msr::StimerConfig(t) => s.timers[t].config,
            Msr::StimerCount(t) => s.timers[t].count,
        }
    }

    /// Stores a write (guest or VMM) of `v` to `msr`, without side effects
    /// on guest memory; `Refused` for a read-only MSR or a value the TLFS
    /// refuses. Returns the value stored. A timer write re-arms from
    /// reference time `now`.
    fn store(&self, msr: Msr, v: u64, now: u64) -> std::result::Result<u64, Refused> {
        let mut p = lock(&self.shared.msrs);
        let mut s = self.state();
        Ok(match msr {
            Msr::GuestOsId => {
                p.guest_os_id = v;
                if v == 0 {
                    // TLFS: clearing the OS id disables the hypercall page.
                    p.hypercall &= !msrs::PAGE_ENABLE;
                }
                v
            }
            Msr::Hypercall => {
                p.hypercall = msrs::hypercall_value(p.hypercall, v, p.guest_os_id);
                p.hypercall
            }
            Msr::ReferenceTsc => {
                p.reference_tsc = msrs::page_value(v);
                p.reference_tsc
            }
            Msr::VpIndex | Msr::TimeRefCount | Msr::Sversion => return Err(Refused),
            Msr::Eom => 0,
            Msr::Scontrol => {
                s.msrs.scontrol = v & 1;
                v & 1
            }
            Msr::Siefp => {
                s.msrs.siefp = msrs::page_value(v);
                s.msrs.siefp
            }
            Msr::Simp => {
                s.msrs.simp = msrs::page_value(v);
                s.msrs.simp
            }
            Msr::Sint(i) => {
                s.msrs.sint[i] = msrs::sint_value(v)?;
                s.msrs.sint[i]
            }
            Msr::StimerConfig(t) => {
                s.timers[t].write_config(v, now)?;
                s.timers[t].config
            }
            Msr::StimerCount(t) => {
                s.timers[t].write_count(v, now);
                v
            }
        })
    }

    fn guest_write(&self, msr: Msr, v: u64, env: &mut MsrEnv<'_>) -> MsrOutcome {
        let timer = matches!(msr, Msr::StimerConfig(_) | Msr::StimerCount(_));
        let now = if timer {
            // The clock starts (from the VP's TSC) at the latest now.
            let Some(tsc) = (env.tsc)() else {
                return MsrOutcome::Fault;
            };
            self.shared.clock.offset(tsc);
            self.shared.clock.host_now().unwrap_or(0)
        } else {
            0
        };
        let Ok(stored) = self.store(msr, v, now) else {
            return MsrOutcome::Fault;
        };
        match msr {
            Msr::Hypercall if stored & msrs::PAGE_ENABLE != 0 => {
                // A page outside guest RAM stays unwritten (as an overlay
                // over nothing would).
                let _ = env.map.write(stored & msrs::PAGE_BASE, &hypercall::page());
            }
            Msr::ReferenceTsc if stored & msrs::PAGE_ENABLE != 0 => {
                if let Some(tsc) = (env.tsc)() {
                    let page = self.shared.clock.page(tsc);
                    let _ = env.map.write(stored & msrs::PAGE_BASE, &page);
                }
            }
            Msr::StimerConfig(_) | Msr::StimerCount(_) => {
                self.shared.sched.kick(&self.shared.this);
            }
            Msr::Eom => {
                let d = self.eom(env.map);
                if d != 0 {
                    return MsrOutcome::Deliverable(d);
                }
            }
            _ => {}
        }
        MsrOutcome::Written
    }

    /// At EOM: timer messages waiting for a free slot are posted; the SINTs
    /// waiting for a posted message's slot (a post found them busy) whose
    /// slot is free now are returned, and stop waiting.
    fn eom(&self, map: &GpaMap) -> u16 {
        let mut s = self.state();
        if s.timers.iter().any(|t| t.pending.is_some()) {
            let now = self.shared.clock.host_now().unwrap_or(0);
            for t in 0..timers::COUNT {
                self.shared.deliver_timer(map, self.index, &mut s, t, now);
            }
        }
        let Some(simp) = s.msrs.page(s.msrs.simp) else {
            return 0;
        };
        let mut d = 0u16;
        for sint in 0..16u16 {
            if s.waiting & (1 << sint) != 0
                && message::slot_free(map, simp + u64::from(sint) * message::SLOT_SIZE)
                    .unwrap_or(false)
            {
                d |= 1 << sint;
            }
        }
        s.waiting &= !d;
        d
    }

    /// WHvPostVirtualProcessorSynicMessage on this VP, `sint` < 16 and
    /// `message` at most 256 bytes (checked by the caller); raises the
    /// SINT unless it is masked or polled.
    pub(crate) fn post(&self, sint: u32, message: &[u8]) -> Result<()> {
        self.shared.check_raiser()?;
        let map = self.shared.map();
        let mut s = self.state();
        let simp = s.msrs.page(s.msrs.simp).ok_or_else(|| {
            Error::new(
                ERROR_HV_INVALID_SYNIC_STATE,
                "the target VP's SynIC or message page (SCONTROL, SIMP) is not enabled",
            )
        })?;
        let slot = simp + u64::from(sint) * message::SLOT_SIZE;
        if !message::post(&map, slot, message)? {
            s.waiting |= 1 << sint;
            return Err(Error::with(
                ERROR_HV_OBJECT_IN_USE,
                format!("SINT {sint}'s message slot holds an undelivered message"),
            ));
        }
        self.shared.raise(self.index, s.msrs.vector(sint as usize))
    }

    /// WHvSignalVirtualProcessorSynicEvent on this VP, `sint` < 16,
    /// `flag` < 2048 (checked by the caller): whether the flag was newly
    /// set (only then is the SINT raised).
    pub(crate) fn signal(&self, sint: u8, flag: u16) -> Result<bool> {
        self.shared.check_raiser()?;
        let map = self.shared.map();
        let s = self.state();
        let siefp = s.msrs.page(s.msrs.siefp).ok_or_else(|| {
            Error::new(
                ERROR_HV_INVALID_SYNIC_STATE,
                "the target VP's SynIC or event flags page (SCONTROL, SIEFP) is not enabled",
            )
        })?;
        let newly = message::signal(&map, siefp + u64::from(sint) * message::SLOT_SIZE, flag)?;
        if newly {
            self.shared
                .raise(self.index, s.msrs.vector(usize::from(sint)))?;
        }
        Ok(newly)
    }
}
