//! One virtual processor: its KVM vCPU (with kvm_run mapped and its sync
//! area enabled for regs, sregs and events), its register cache, its
//! cancellation state, and its power-on state for WHvResetPartition.
//!
//! A VP is run by one thread at a time: the run holds the VP's lock, and a
//! second run or a register access meanwhile answers
//! `WHV_E_INVALID_VP_STATE`. Cancellation does not take the lock.

use std::sync::{Arc, Mutex, OnceLock, TryLockError};

use kvm_bindings::{
    CpuId, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_USE_SW_BP, KVM_SYNC_X86_EVENTS, KVM_SYNC_X86_REGS,
    KVM_SYNC_X86_SREGS, kvm_debugregs, kvm_fpu, kvm_guest_debug, kvm_mp_state, kvm_regs, kvm_sregs,
    kvm_vcpu_events, kvm_xcrs,
};
use kvm_ioctls::{VcpuFd, VmFd};
use winhv_defs::*;

use crate::cancel::CancelState;
use crate::cpuid_facts::PagingFacts;
use crate::decode::RetiredCache;
use crate::error::{Error, Result};
use crate::exit::{ExitInputs, translate_exit};
use crate::kvm::KvmCaps;
use crate::memory::GpaMap;
use crate::msr::{MsrAction, MsrPolicy};
use crate::property::PartitionProperties;
use crate::registers::RegisterState;
use crate::run::{Completion, KvmExit, read_linear, run};
use crate::translate::CodeCache;
use crate::vcpu::Vcpu;
use crate::xsave::XsaveLayout;

/// The state KVM gives a new vCPU, restored by a partition reset.
struct PowerOn {
    regs: kvm_regs,
    sregs: kvm_sregs,
    fpu: kvm_fpu,
    events: kvm_vcpu_events,
    mp_state: kvm_mp_state,
    xcrs: Option<kvm_xcrs>,
    debugregs: kvm_debugregs,
}

/// The part of a new vCPU's state that KVM sets the same way for every
/// vCPU of every VM (its reset code loads fixed values: the x87/SSE init
/// state, XCR0, DR0–DR7), fetched from the
/// first vCPU created in the process and shared by all later ones.
/// `tests::power_on_state_is_shared_by_every_vcpu` checks that this holds
/// on the kernel at hand.
#[derive(Clone, Copy)]
struct SharedPowerOn {
    fpu: kvm_fpu,
    xcrs: Option<kvm_xcrs>,
    debugregs: kvm_debugregs,
}

fn fetch_shared_power_on(vcpu: &VcpuFd) -> Result<SharedPowerOn> {
    Ok(SharedPowerOn {
        fpu: vcpu.get_fpu()?,
        xcrs: vcpu.get_xcrs().ok(),
        debugregs: vcpu.get_debug_regs()?,
    })
}

/// [`SharedPowerOn`], fetched from `vcpu` (a fresh vCPU) the first time.
fn shared_power_on(vcpu: &VcpuFd) -> Result<SharedPowerOn> {
    static SHARED: OnceLock<SharedPowerOn> = OnceLock::new();
    if let Some(s) = SHARED.get() {
        return Ok(*s);
    }
    let s = fetch_shared_power_on(vcpu)?;
    Ok(*SHARED.get_or_init(|| s))
}

/// What only the running thread touches.
struct VpState {
    vcpu: Vcpu,
    regs: RegisterState,
    completion: Completion,
    power_on: PowerOn,
    /// The exit path's remembered code-page walks.
    code: CodeCache,
    /// The last instruction found behind a retired write (exit path).
    retired: RetiredCache,
}

/// A virtual processor of a partition.
pub(crate) struct Vp {
    /// WHvCancelRunVirtualProcessor's state; usable without the lock.
    pub(crate) cancel: CancelState,
    /// What WHvTranslateGva's walks need from the VP's CPUID table.
    pub(crate) paging: PagingFacts,
    /// The VP's XSAVE components (its CPUID leaf 0xD), for the XSAVE state.
    xsave: XsaveLayout,
    state: Mutex<VpState>,
}

fn busy() -> Error {
    Error::new(
        WHV_E_INVALID_VP_STATE,
        "the virtual processor is running on another thread",
    )
}

impl Vp {
    /// WHvCreateVirtualProcessor: creates vCPU `index` on `vm` with the
    /// partition's CPUID table, TSC rate and exception-exit settings.
    pub(crate) fn create(
        vm: &VmFd,
        index: u32,
        props: &PartitionProperties,
        supported: &CpuId,
        caps: &KvmCaps,
    ) -> Result<Arc<Vp>> {
        let vcpu = vm
            .create_vcpu(u64::from(index))
            .map_err(|e| Error::from_errno("KVM_CREATE_VCPU", e.errno()))?;
        let cpuid = props.kvm_cpuid_vp(supported, index)?;
        vcpu.set_cpuid2(&cpuid)
            .map_err(|e| Error::from_errno("KVM_SET_CPUID2", e.errno()))?;
        if let Some(value) = props.arch_capabilities() {
            // IA32_ARCH_CAPABILITIES as the partition's features describe it.
            let entry = kvm_bindings::kvm_msr_entry {
                index: 0x10a,
                data: value,
                ..Default::default()
            };
            let msrs = kvm_bindings::Msrs::from_entries(&[entry])
                .map_err(|_| Error::new(E_FAIL, "MSR list allocation"))?;
            vcpu.set_msrs(&msrs)
                .map_err(|e| Error::from_errno("KVM_SET_MSRS", e.errno()))?;
        }
        if let Some(khz) = props.tsc_khz_override() {
            vcpu.set_tsc_khz(khz)
                .map_err(|e| Error::from_errno("KVM_SET_TSC_KHZ", e.errno()))?;
        }
        apply_guest_debug(&vcpu, props, caps)?;
        // The exit path reads guest code directly while our fault handler
        // is in place: make sure it (still) is.
        crate::memory::check_direct_reads();
        let mmap_size = crate::kvm::kvm()?
            .get_vcpu_mmap_size()
            .map_err(|e| Error::from_errno("KVM_GET_VCPU_MMAP_SIZE", e.errno()))?;
        let mut vcpu = Vcpu::new(vcpu, mmap_size);
        vcpu.area().set_valid_regs(u64::from(
            KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS,
        ));
        let vcpu_fd = vcpu.fd();
        let shared = shared_power_on(vcpu_fd)?;
        let power_on = PowerOn {
            regs: vcpu_fd.get_regs()?,
            sregs: vcpu_fd.get_sregs()?,
            fpu: shared.fpu,
            events: vcpu_fd.get_vcpu_events()?,
            mp_state: vcpu_fd.get_mp_state()?,
            xcrs: shared.xcrs,
            debugregs: shared.debugregs,
        };
        // SAFETY: `immediate_exit` points into this vCPU's kvm_run mapping,
        // owned by `vcpu`, which lives in the same `Vp` as the CancelState
        // and is dropped with it; `Vcpu` itself only ever reaches that byte
        // atomically.
        let cancel = unsafe { CancelState::new(vcpu.immediate_exit()) };
        // The snapshot's general, system and event state is also the
        // register cache's first load: no second fetch.
        let mut regs = RegisterState::new();
        regs.seed(&mut vcpu, &power_on.regs, &power_on.sregs, &power_on.events);
        let paging = PagingFacts::from_cpuid(cpuid.as_slice());
        let xsave = XsaveLayout::from_cpuid(cpuid.as_slice());
        Ok(Arc::new(Vp {
            cancel,
            paging,
            xsave,
            state: Mutex::new(VpState {
                vcpu,
                regs,
                completion: Completion::None,
                power_on,
                code: CodeCache::new(paging),
                retired: RetiredCache::default(),
            }),
        }))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, VpState>> {
        match self.state.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::WouldBlock) => Err(busy()),
            // A panic while holding the lock (a bug): the state is still
            // KVM's; keep going.
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        }
    }

    /// WHvGetVirtualProcessorRegisters.
    pub(crate) fn get_registers(
        &self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        s.regs.get(&mut s.vcpu, names, values)
    }

    /// WHvSetVirtualProcessorRegisters.
    pub(crate) fn set_registers(
        &self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        s.regs.set(&mut s.vcpu, names, values)
    }

    /// Runs `f` on the VP's vCPU and register cache while no other thread
    /// uses the VP; `WHV_E_INVALID_VP_STATE` while one does (a run, a
    /// register call). For `crate::interrupts`.
    pub(crate) fn with_state<T>(
        &self,
        f: impl FnOnce(&mut Vcpu, &mut RegisterState) -> Result<T>,
    ) -> Result<T> {
        let mut g = self.lock()?;
        let s = &mut *g;
        f(&mut s.vcpu, &mut s.regs)
    }

    /// The size of the VP's XSAVE state (WHvGetVirtualProcessorXsaveState).
    pub(crate) fn xsave_state_size(&self) -> u32 {
        self.xsave.size() as u32
    }

    /// WHvGetVirtualProcessorXsaveState: the VP's XSAVE area, compacted,
    /// from the register cache; returns its size.
    pub(crate) fn get_xsave_state(&self, buffer: &mut [u8]) -> Result<u32> {
        let size = self.xsave.size();
        if buffer.len() < size {
            return Err(Error::with(
                WHV_E_INSUFFICIENT_BUFFER,
                format!(
                    "the XSAVE state needs {size} bytes, the buffer has {}",
                    buffer.len()
                ),
            ));
        }
        let mut g = self.lock()?;
        let s = &mut *g;
        let image = s.regs.xsave_image(&mut s.vcpu)?;
        Ok(self.xsave.to_compact(image, buffer) as u32)
    }

    /// WHvSetVirtualProcessorXsaveState: replaces the VP's XSAVE area in
    /// the register cache (loaded by KVM before the next run).
    pub(crate) fn set_xsave_state(&self, buffer: &[u8]) -> Result<()> {
        let image = self.xsave.parse_compact(buffer)?;
        let mut g = self.lock()?;
        g.regs.set_xsave_image(image);
        Ok(())
    }

    /// WHvRunVirtualProcessor: runs until an exit the VMM must see, whose
    /// context is written into `out` (left as it was on an error).
    pub(crate) fn run(
        &self,
        map: &std::sync::RwLock<GpaMap>,
        caps: &KvmCaps,
        msrs: &std::sync::RwLock<MsrPolicy>,
        out: &mut WHV_RUN_VP_EXIT_CONTEXT,
    ) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        let inputs_map = || map.read().unwrap_or_else(|p| p.into_inner());
        // A window already open is reported without running (KVM on PVM
        // never exits for an interrupt window; elsewhere this saves a run).
        if s.regs.interrupt_notification() && window_open(s)? {
            let map = inputs_map();
            let inputs = ExitInputs {
                map: &map,
                caps,
                code: &mut s.code,
                retired: &mut s.retired,
            };
            return translate_exit(
                &mut s.vcpu,
                &mut s.regs,
                inputs,
                KvmExit::InterruptWindow,
                &mut s.completion,
                out,
            );
        }
        loop {
            if let Err(e) = s.regs.before_run(&mut s.vcpu) {
                if e.hresult != E_INVALIDARG {
                    return Err(e);
                }
                // KVM refused the state the VMM set: Windows reports that
                // as an exit of the run.
                let map = inputs_map();
                let inputs = ExitInputs {
                    map: &map,
                    caps,
                    code: &mut s.code,
                    retired: &mut s.retired,
                };
                return translate_exit(
                    &mut s.vcpu,
                    &mut s.regs,
                    inputs,
                    KvmExit::InvalidState,
                    &mut s.completion,
                    out,
                );
            }
            let window = s.regs.interrupt_notification();
            s.vcpu.area().set_request_interrupt_window(window);
            let facts = s.code.facts();
            let exit = run(
                &mut s.vcpu,
                &self.cancel,
                &mut s.completion,
                &|regs, sregs, gva, buf| read_linear(&inputs_map(), regs, sregs, facts, gva, buf),
            );
            s.regs.after_run(&mut s.vcpu);
            let exit = exit?;
            if let KvmExit::RdMsr { index, reason } | KvmExit::WrMsr { index, reason, .. } = exit {
                let write = matches!(exit, KvmExit::WrMsr { .. });
                let action = msrs
                    .read()
                    .map_or(MsrAction::Exit, |p| p.action(index, write, reason));
                if action != MsrAction::Exit {
                    complete_msr_here(&mut s.vcpu, action);
                    continue;
                }
            }
            let window =
                matches!(exit, KvmExit::Hlt) && s.regs.interrupt_notification() && window_open(s)?;
            let map = inputs_map();
            let inputs = ExitInputs {
                map: &map,
                caps,
                code: &mut s.code,
                retired: &mut s.retired,
            };
            if window {
                // The guest halted with interrupts deliverable and the VMM
                // waiting for that: report the window, at the HLT (Windows
                // exits before it; it runs again if nothing is injected).
                let regs = &mut s.vcpu.sync().regs;
                regs.rip = regs.rip.wrapping_sub(1);
                s.vcpu.mark_dirty(KVM_SYNC_X86_REGS);
                return translate_exit(
                    &mut s.vcpu,
                    &mut s.regs,
                    inputs,
                    KvmExit::InterruptWindow,
                    &mut s.completion,
                    out,
                );
            }
            return translate_exit(
                &mut s.vcpu,
                &mut s.regs,
                inputs,
                exit,
                &mut s.completion,
                out,
            );
        }
    }

    /// Puts the VP back in its power-on state (WHvResetPartition).
    pub(crate) fn reset(&self) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        let p = &s.power_on;
        // Pending completions of the last exit are dropped with the state:
        // flush them first so KVM does not apply them to the new state.
        if !matches!(s.completion, Completion::None) {
            self.cancel.set_immediate_exit();
            let _ = s.vcpu.run();
            self.cancel.clear_immediate_exit();
            s.completion = Completion::None;
        }
        s.vcpu.area().clear_dirty();
        let fd = s.vcpu.fd();
        fd.set_regs(&p.regs)?;
        fd.set_sregs(&p.sregs)?;
        fd.set_fpu(&p.fpu)?;
        fd.set_vcpu_events(&p.events)?;
        fd.set_mp_state(p.mp_state)?;
        if let Some(x) = &p.xcrs {
            fd.set_xcrs(x)?;
        }
        fd.set_debug_regs(&p.debugregs)?;
        s.regs.reset();
        // KVM now holds exactly the snapshot: seed the cache with it.
        s.regs.seed(&mut s.vcpu, &p.regs, &p.sregs, &p.events);
        self.cancel.reset();
        Ok(())
    }

    /// The registers WHvTranslateGva reads (CR0, CR3, CR4, EFER, RFLAGS,
    /// SS for the CPL), through the register cache so that values the VMM
    /// set and KVM has not loaded yet count.
    pub(crate) fn paging_registers(&self) -> Result<(kvm_regs, kvm_sregs)> {
        let names = [
            WHvX64RegisterCr0,
            WHvX64RegisterCr3,
            WHvX64RegisterCr4,
            WHvX64RegisterEfer,
            WHvX64RegisterRflags,
            WHvX64RegisterSs,
        ];
        let mut values = [WHV_REGISTER_VALUE::default(); 6];
        self.get_registers(&names, &mut values)?;
        // SAFETY: the register cache writes 64-bit registers through Reg64.
        let r64 = |v: &WHV_REGISTER_VALUE| unsafe { v.Reg64 };
        let (cr0, cr3, cr4, efer, rflags) = (
            r64(&values[0]),
            r64(&values[1]),
            r64(&values[2]),
            r64(&values[3]),
            r64(&values[4]),
        );
        // SAFETY: and segment registers through Segment.
        let ss = unsafe { values[5].Segment };
        let mut sregs = kvm_sregs {
            cr0,
            cr3,
            cr4,
            efer,
            ..Default::default()
        };
        sregs.ss = crate::registers::segment_to_kvm(&ss);
        Ok((
            kvm_regs {
                rflags,
                ..Default::default()
            },
            sregs,
        ))
    }

    /// Pushes changed exception-exit settings into KVM.
    pub(crate) fn update_guest_debug(
        &self,
        props: &PartitionProperties,
        caps: &KvmCaps,
    ) -> Result<()> {
        if !caps.guest_debug_sw_bp {
            // Nothing to tell KVM (and no reason to wait for a running VP).
            return Ok(());
        }
        let g = self.lock()?;
        apply_guest_debug(g.vcpu.fd(), props, caps)
    }
}

/// Whether an external interrupt could be delivered now: RFLAGS.IF set, no
/// interrupt shadow, nothing being injected.
fn window_open(s: &mut VpState) -> Result<bool> {
    let names = [
        WHvX64RegisterRflags,
        WHvRegisterInterruptState,
        WHvRegisterPendingInterruption,
    ];
    let mut v = [WHV_REGISTER_VALUE::default(); 3];
    s.regs.get(&mut s.vcpu, &names, &mut v)?;
    // SAFETY: these registers are returned through Reg64 / their 64-bit
    // bitfield unions, all of which are plain u64s.
    let r64 = |v: &WHV_REGISTER_VALUE| unsafe { v.Reg64 };
    let (rflags, state, pending) = (r64(&v[0]), r64(&v[1]), r64(&v[2]));
    Ok(rflags & (1 << 9) != 0 && state & 1 == 0 && pending & 1 == 0)
}

/// `KVM_SET_GUEST_DEBUG` for the exception exits KVM can give (#BP, and
/// only where the start-up probe saw it work).
fn apply_guest_debug(vcpu: &VcpuFd, props: &PartitionProperties, caps: &KvmCaps) -> Result<()> {
    let wanted = props.extended_vm_exits().exception_exit() != 0
        && props.exception_exit_bitmap() & (1 << 3) != 0;
    if !caps.guest_debug_sw_bp {
        return Ok(());
    }
    let control = if wanted {
        KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP
    } else {
        0
    };
    let dbg = kvm_guest_debug {
        control,
        ..Default::default()
    };
    vcpu.set_guest_debug(&dbg)
        .map_err(|e| Error::from_errno("KVM_SET_GUEST_DEBUG", e.errno()))
}

/// Completes an MSR exit without the VMM: IgnoreWriteReadZero reads 0 and
/// drops the write; Fault lets KVM inject #GP.
fn complete_msr_here(vcpu: &mut Vcpu, action: MsrAction) {
    // The exit was an MSR exit (the caller's KvmExit says so).
    if let Some(msr) = vcpu.area().msr_mut() {
        msr.data = 0;
        msr.error = u8::from(action == MsrAction::Fault);
    }
}

#[cfg(test)]
mod tests {
    use kvm_ioctls::Kvm;

    use super::fetch_shared_power_on;

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
            seen.push((s.fpu, s.xcrs, s.debugregs));
        }
        assert!(seen.iter().all(|s| *s == seen[0]), "{seen:#?}");
        // Something was fetched: the x87 control word's reset value.
        assert_eq!(seen[0].0.fcw, 0x37f);
    }
}
