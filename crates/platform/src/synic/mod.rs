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
mod registers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::memory::GpaMap;
use clock::ReferenceClock;
use msrs::{Msr, PartitionMsrs, Refused, SynicMsrs};

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

/// What the VPs of a partition with synthetic features share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The partition's bank 0.
    features: u64,
    clock: ReferenceClock,
    msrs: Mutex<PartitionMsrs>,
    /// ExtendedVmExits.HypercallExit (changeable after setup).
    hypercall_exit: AtomicBool,
}

impl Shared {
    /// The shared state of a partition with `features` (bank 0, nonzero)
    /// whose TSC runs at `tsc_hz`.
    pub(crate) fn new(features: u64, tsc_hz: u64, hypercall_exit: bool) -> Arc<Self> {
        Arc::new(Self {
            features,
            clock: ReferenceClock::new(tsc_hz),
            msrs: Mutex::new(PartitionMsrs::default()),
            hypercall_exit: AtomicBool::new(hypercall_exit),
        })
    }

    /// ExtendedVmExits changed: whether hypercalls exit to the VMM.
    pub(crate) fn set_hypercall_exit(&self, on: bool) {
        self.hypercall_exit.store(on, Ordering::Relaxed);
    }
}

/// One VP's SynIC.
#[derive(Debug)]
pub(crate) struct VpSynic {
    index: u32,
    shared: Arc<Shared>,
    state: Mutex<VpState>,
}

#[derive(Debug, Default)]
struct VpState {
    msrs: SynicMsrs,
    /// SINTs a post found busy: their slot's freeing is reported at EOM.
    waiting: u16,
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
    pub(crate) fn new(index: u32, shared: Arc<Shared>) -> Self {
        Self {
            index,
            shared,
            state: Mutex::new(VpState::default()),
        }
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
        *lock(&self.state) = VpState::default();
        *lock(&self.shared.msrs) = PartitionMsrs::default();
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
        let s = lock(&self.state).msrs;
        match msr {
            Msr::GuestOsId => p.guest_os_id,
            Msr::Hypercall => p.hypercall,
            Msr::ReferenceTsc => p.reference_tsc,
            Msr::VpIndex => u64::from(self.index),
            Msr::TimeRefCount | Msr::Eom => 0,
            Msr::Scontrol => s.scontrol,
            Msr::Sversion => msrs::SYNIC_VERSION,
            Msr::Siefp => s.siefp,
            Msr::Simp => s.simp,
            Msr::Sint(i) => s.sint[i],
        }
    }

    /// Stores a write (guest or VMM) of `v` to `msr`, without side effects
    /// on guest memory; `Refused` for a read-only MSR or a value the TLFS
    /// refuses. Returns the value stored.
    fn store(&self, msr: Msr, v: u64) -> std::result::Result<u64, Refused> {
        let mut p = lock(&self.shared.msrs);
        let mut s = lock(&self.state);
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
        })
    }

    fn guest_write(&self, msr: Msr, v: u64, env: &mut MsrEnv<'_>) -> MsrOutcome {
        let Ok(stored) = self.store(msr, v) else {
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
            Msr::Eom => {
                let d = self.deliverable(env.map);
                if d != 0 {
                    return MsrOutcome::Deliverable(d);
                }
            }
            _ => {}
        }
        MsrOutcome::Written
    }

    /// At EOM: which of the SINTs waiting (a post found them busy) have a
    /// free slot now; they stop waiting.
    fn deliverable(&self, map: &GpaMap) -> u16 {
        let mut s = lock(&self.state);
        let Some(simp) = s.msrs.page(s.msrs.simp) else {
            return 0;
        };
        let candidates = s.waiting;
        let mut d = 0u16;
        for sint in 0..16u16 {
            if candidates & (1 << sint) != 0
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
    /// `message` at most 256 bytes (checked by the caller): the vector to
    /// raise, if the SINT is neither masked nor polled.
    pub(crate) fn post(&self, map: &GpaMap, sint: u32, message: &[u8]) -> Result<Option<u8>> {
        let mut s = lock(&self.state);
        let simp = s.msrs.page(s.msrs.simp).ok_or_else(|| {
            Error::new(
                ERROR_HV_INVALID_SYNIC_STATE,
                "the target VP's SynIC or message page (SCONTROL, SIMP) is not enabled",
            )
        })?;
        let slot = simp + u64::from(sint) * message::SLOT_SIZE;
        if !message::post(map, slot, message)? {
            s.waiting |= 1 << sint;
            return Err(Error::with(
                ERROR_HV_OBJECT_IN_USE,
                format!("SINT {sint}'s message slot holds an undelivered message"),
            ));
        }
        Ok(s.msrs.vector(sint as usize))
    }

    /// WHvSignalVirtualProcessorSynicEvent on this VP, `sint` < 16,
    /// `flag` < 2048 (checked by the caller): whether the flag was newly
    /// set, and the vector to raise (only then).
    pub(crate) fn signal(&self, map: &GpaMap, sint: u8, flag: u16) -> Result<(bool, Option<u8>)> {
        let s = lock(&self.state);
        let siefp = s.msrs.page(s.msrs.siefp).ok_or_else(|| {
            Error::new(
                ERROR_HV_INVALID_SYNIC_STATE,
                "the target VP's SynIC or event flags page (SCONTROL, SIEFP) is not enabled",
            )
        })?;
        let newly = message::signal(map, siefp + u64::from(sint) * message::SLOT_SIZE, flag)?;
        Ok((
            newly,
            if newly {
                s.msrs.vector(usize::from(sint))
            } else {
                None
            },
        ))
    }
}
