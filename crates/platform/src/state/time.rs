//! Partition time: WHvSuspendPartitionTime / WHvResumePartitionTime, and
//! the TSC part of WHvResetPartition ([`PartitionTime`]).
//!
//! Microsoft: "No virtual processor may be running when this is called.
//! Time will resume when WHvResumePartitionTime or WHvRunVirtualProcessor
//! is called" (`WHvSuspendPartitionTime`); a reset "freezes partition time;
//! time is thawed again when a virtual processor is next run"
//! (`WHvResetPartition`).
//!
//! # On KVM
//! KVM's TSC never stops: the guest's TSC is the host's (scaled) plus a
//! per-vCPU offset. So suspension is kept here and settled at resume:
//! * Suspend reads every VP's TSC and pins that value in the VP's register
//!   cache (a register read while suspended sees the frozen TSC), remembers
//!   VP 0's (the first created VP's) TSC and KVM's clock (`KVM_GET_CLOCK`,
//!   the kvmclock a guest may enable through KVM's CPUID leaves).
//! * Resume reads that VP's TSC again; the difference is the suspended
//!   interval, subtracted from every VP's TSC offset
//!   (`KVM_VCPU_TSC_OFFSET`, Linux 5.16+, one exact interface, unlike a
//!   host write of IA32_TSC, which KVM "synchronises" with the other vCPUs
//!   when it lands within a second of their TSC). KVM's clock is set back
//!   to the value at suspension (`KVM_SET_CLOCK`). The guest sees its TSC
//!   continue from where it stopped, without a jump.
//! * A reset sets every VP's TSC offset so that all TSCs read 0 at once,
//!   KVM's clock to 0, and suspends (the next run resumes).
//!
//! The offset is only honoured where KVM really controls the TSC: on PVM
//! (our machines) CPL3 code reads the host's TSC and KVM ignores the
//! offset, which the start-up probe ([`probe_offset_control`]) measures.
//! There WHvSuspendPartitionTime answers
//! `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` rather than pretend, and a
//! reset leaves the TSC running.
//!
//! Not frozen (README): the local APIC timer (KVM arms it in host time),
//! and a VP created while time is suspended reads a running TSC until the
//! resume. The Hyper-V reference time (`HV_X64_MSR_TIME_REF_COUNT`) comes
//! with the user-space SynIC: it must be derived from the same frozen base.

use std::os::fd::AsRawFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use kvm_bindings::{Msrs, kvm_clock_data, kvm_device_attr, kvm_msr_entry};
use kvm_ioctls::{VcpuFd, VmFd};
use winhv_defs::{E_FAIL, HRESULT_ERROR_NOT_SUPPORTED};

use crate::error::{Error, Result};
use crate::vp::HeldVp;

/// IA32_TIME_STAMP_COUNTER.
pub(crate) const MSR_TSC: u32 = 0x10;
/// `KVM_VCPU_TSC_CTRL` / `KVM_VCPU_TSC_OFFSET` (vCPU device attribute).
const KVM_VCPU_TSC_CTRL: u32 = 0;
const KVM_VCPU_TSC_OFFSET: u64 = 0;
/// `_IOW(KVMIO, 0xe1..0xe3, struct kvm_device_attr)` (24 bytes): kvm-ioctls
/// offers the vCPU forms on aarch64 only.
const KVM_SET_DEVICE_ATTR: libc::c_ulong = 0x4018_aee1;
const KVM_GET_DEVICE_ATTR: libc::c_ulong = 0x4018_aee2;
const KVM_HAS_DEVICE_ATTR: libc::c_ulong = 0x4018_aee3;

fn attr_ioctl(vcpu: &VcpuFd, request: libc::c_ulong, value: &mut u64) -> Result<()> {
    let attr = kvm_device_attr {
        flags: 0,
        group: KVM_VCPU_TSC_CTRL,
        attr: KVM_VCPU_TSC_OFFSET,
        addr: value as *mut u64 as u64,
    };
    // SAFETY: a device-attribute ioctl on our vCPU fd with a valid
    // `kvm_device_attr`; KVM reads or writes the 8 bytes at `addr`, which
    // is `value`, borrowed mutably for the whole call.
    let r = unsafe { libc::ioctl(vcpu.as_raw_fd(), request, &attr) };
    if r < 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(Error::from_errno("KVM_VCPU_TSC_OFFSET", errno));
    }
    Ok(())
}

/// The vCPU's TSC offset (guest TSC = scaled host TSC + offset).
fn tsc_offset(vcpu: &VcpuFd) -> Result<u64> {
    let mut v = 0;
    attr_ioctl(vcpu, KVM_GET_DEVICE_ATTR, &mut v)?;
    Ok(v)
}

fn set_tsc_offset(vcpu: &VcpuFd, offset: u64) -> Result<()> {
    let mut v = offset;
    attr_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &mut v)
}

/// The vCPU's TSC as KVM has it now (no cache).
pub(crate) fn guest_tsc(vcpu: &VcpuFd) -> Result<u64> {
    let mut msrs = Msrs::from_entries(&[kvm_msr_entry {
        index: MSR_TSC,
        ..Default::default()
    }])
    .map_err(|_| Error::new(E_FAIL, "MSR list allocation"))?;
    match vcpu.get_msrs(&mut msrs) {
        Ok(1) => Ok(msrs.as_slice()[0].data),
        Ok(_) => Err(Error::new(E_FAIL, "KVM did not read IA32_TSC")),
        Err(e) => Err(Error::from_errno("KVM_GET_MSRS (IA32_TSC)", e.errno())),
    }
}

/// Start-up probe: whether `KVM_VCPU_TSC_OFFSET` moves the TSC of `vcpu`
/// (a probe vCPU, changed by this). False where the attribute is missing
/// and on PVM, which accepts the offset and ignores it.
pub(crate) fn probe_offset_control(vcpu: &VcpuFd) -> bool {
    const STEP: u64 = 1 << 40;
    let mut unused = 0;
    if attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &mut unused).is_err() {
        return false;
    }
    let (Ok(before), Ok(offset)) = (guest_tsc(vcpu), tsc_offset(vcpu)) else {
        return false;
    };
    if set_tsc_offset(vcpu, offset.wrapping_sub(STEP)).is_err() {
        return false;
    }
    // Moved back by STEP, less the few microseconds between the reads (a
    // TSC that went on counting moved back by nothing).
    guest_tsc(vcpu).is_ok_and(|after| (STEP / 2..STEP).contains(&before.wrapping_sub(after)))
}

/// What a suspension remembers.
#[derive(Clone, Copy, Debug)]
struct Frozen {
    /// VP `index`'s TSC at suspension (`None`: no VP existed).
    reference: Option<(u32, u64)>,
    /// KVM's clock (ns) at suspension.
    clock: u64,
}

/// A partition's time: whether it is suspended and what the suspension
/// remembers. The flag is what a run checks (one relaxed load).
#[derive(Debug, Default)]
pub(crate) struct PartitionTime {
    suspended: AtomicBool,
    frozen: Mutex<Option<Frozen>>,
}

fn not_supported() -> Error {
    Error::new(
        HRESULT_ERROR_NOT_SUPPORTED,
        "KVM here cannot offset the guest's TSC (KVM_VCPU_TSC_OFFSET is missing or, as on PVM, \
         ignored): partition time cannot be suspended",
    )
}

impl PartitionTime {
    /// Whether time is suspended (a run resumes it first).
    pub(crate) fn is_suspended(&self) -> bool {
        self.suspended.load(Ordering::Relaxed)
    }

    fn frozen(&self) -> std::sync::MutexGuard<'_, Option<Frozen>> {
        self.frozen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// WHvSuspendPartitionTime over every VP of the partition (`vps`, held
    /// by the caller, so none is running). Suspending again is a no-op.
    pub(crate) fn suspend(
        &self,
        vm: &VmFd,
        offset_control: bool,
        vps: &mut [(u32, HeldVp<'_>)],
    ) -> Result<()> {
        if !offset_control {
            return Err(not_supported());
        }
        let mut frozen = self.frozen();
        if frozen.is_some() {
            return Ok(());
        }
        let clock = vm
            .get_clock()
            .map_err(|e| Error::from_errno("KVM_GET_CLOCK", e.errno()))?
            .clock;
        let mut reference = None;
        for (index, vp) in vps.iter_mut() {
            let tsc = guest_tsc(vp.fd())?;
            reference.get_or_insert((*index, tsc));
            vp.pin_msr(MSR_TSC, tsc);
        }
        *frozen = Some(Frozen { reference, clock });
        self.suspended.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// WHvResumePartitionTime over every VP of the partition (held by the
    /// caller): every TSC continues from where it was frozen. A no-op when
    /// time is not suspended.
    pub(crate) fn resume(&self, vm: &VmFd, vps: &mut [(u32, HeldVp<'_>)]) -> Result<()> {
        let mut frozen = self.frozen();
        let Some(f) = *frozen else {
            return Ok(());
        };
        if let Some((index, at)) = f.reference {
            let reference = vps
                .iter()
                .find(|(i, _)| *i == index)
                .ok_or_else(|| Error::new(E_FAIL, "the reference VP of the suspension is gone"))?;
            let interval = guest_tsc(reference.1.fd())?.wrapping_sub(at);
            for (_, vp) in vps.iter_mut() {
                let offset = tsc_offset(vp.fd())?;
                set_tsc_offset(vp.fd(), offset.wrapping_sub(interval))?;
                vp.unpin_msr(MSR_TSC);
            }
        }
        let clock = kvm_clock_data {
            clock: f.clock,
            ..Default::default()
        };
        vm.set_clock(&clock)
            .map_err(|e| Error::from_errno("KVM_SET_CLOCK", e.errno()))?;
        *frozen = None;
        self.suspended.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// The time part of WHvResetPartition: every VP's TSC and KVM's clock
    /// back to 0, frozen until the next run. Where KVM cannot offset the
    /// TSC only the clock is reset and nothing is frozen.
    pub(crate) fn reset(
        &self,
        vm: &VmFd,
        offset_control: bool,
        vps: &mut [(u32, HeldVp<'_>)],
    ) -> Result<()> {
        // A suspension in progress is over: its interval no longer matters.
        *self.frozen() = None;
        self.suspended.store(false, Ordering::Relaxed);
        for (_, vp) in vps.iter_mut() {
            vp.unpin_msr(MSR_TSC);
        }
        vm.set_clock(&kvm_clock_data::default())
            .map_err(|e| Error::from_errno("KVM_SET_CLOCK", e.errno()))?;
        if !offset_control {
            return Ok(());
        }
        if let Some((_, first)) = vps.first() {
            // Scaled host TSC = guest TSC - offset; the same for every VP
            // (one TSC rate per partition), so one offset zeroes them all.
            let fd = first.fd();
            let host = guest_tsc(fd)?.wrapping_sub(tsc_offset(fd)?);
            let zero = 0u64.wrapping_sub(host);
            for (_, vp) in vps.iter() {
                set_tsc_offset(vp.fd(), zero)?;
            }
        }
        self.suspend(vm, offset_control, vps)
    }

    /// Gives `vp` (re-created after a delete) the TSC of `other`, a VP
    /// of the same partition: it starts in step with the partition, as a
    /// new VP does. Only where KVM offsets the TSC.
    pub(crate) fn align(vp: &HeldVp<'_>, other: &HeldVp<'_>) -> Result<()> {
        set_tsc_offset(vp.fd(), tsc_offset(other.fd())?)
    }
}

#[cfg(test)]
mod tests {
    use kvm_bindings::CpuId;

    use super::*;
    use crate::property::PartitionProperties;
    use crate::vp::Vp;

    /// The suspension's own bookkeeping, whatever KVM does with the
    /// offset (on PVM it is ignored, so only the frozen register reads and
    /// the calls are checked there; with hardware virtualization the TSC
    /// moves too): a suspension pins every VP's TSC read, a resume gives
    /// KVM's back, a reset zeroes and freezes.
    #[test]
    fn suspension_pins_the_tsc_and_resume_moves_the_offsets() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let caps = crate::kvm_caps().unwrap();
        let vm = crate::kvm::kvm().unwrap().create_vm().unwrap();
        let supported =
            CpuId::from_entries(crate::capability::host_capabilities().supported_cpuid()).unwrap();
        let props = PartitionProperties::new();
        let vps: Vec<_> = (0..2)
            .map(|i| Vp::create(&vm, i, &props, &supported, caps, None).unwrap())
            .collect();
        let hold = || -> Vec<(u32, HeldVp<'_>)> {
            vps.iter()
                .enumerate()
                .map(|(i, vp)| (i as u32, vp.hold().unwrap()))
                .collect()
        };
        let read = |held: &mut [(u32, HeldVp<'_>)]| -> Vec<u64> {
            held.iter_mut()
                .map(|(_, vp)| vp.read_tsc().unwrap())
                .collect()
        };
        let time = PartitionTime::default();
        let mut held = hold();
        let offsets: Vec<u64> = held
            .iter()
            .map(|(_, vp)| tsc_offset(vp.fd()).unwrap())
            .collect();
        time.suspend(&vm, true, &mut held).unwrap();
        assert!(time.is_suspended());
        let frozen = read(&mut held);
        assert_eq!(read(&mut held), frozen, "pinned while suspended");
        time.resume(&vm, &mut held).unwrap();
        assert!(!time.is_suspended());
        let now = read(&mut held);
        assert!(now.iter().zip(&frozen).all(|(n, f)| n >= f), "KVM's again");
        let moved: Vec<u64> = held
            .iter()
            .map(|(_, vp)| tsc_offset(vp.fd()).unwrap())
            .collect();
        if caps.tsc_offset_control {
            assert!(moved.iter().zip(&offsets).all(|(m, o)| m < o), "moved back");
            assert_eq!(moved[0], moved[1], "the same interval for every VP");
        }
        time.reset(&vm, true, &mut held).unwrap();
        assert!(time.is_suspended(), "a reset freezes time");
        let zero = read(&mut held);
        if caps.tsc_offset_control {
            assert!(zero.iter().all(|&t| t < 1 << 40), "{zero:x?}");
        }
        assert_eq!(read(&mut held), zero);
        time.resume(&vm, &mut held).unwrap();
        // Where KVM cannot offset the TSC, the partition never suspends.
        let time = PartitionTime::default();
        let e = time.suspend(&vm, false, &mut held).unwrap_err();
        assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED);
        time.reset(&vm, false, &mut held).unwrap();
        assert!(!time.is_suspended());
    }
}
