//! One virtual processor (`vp/synic.rs`: its synthetic MSRs and
//! hypercalls in the run loop): its KVM vCPU (with kvm_run mapped and its sync
//! area enabled for regs, sregs and events), its register cache, its
//! cancellation state, and its power-on state for WHvResetPartition
//! (`state/reset.rs`, restored through [`HeldVp`]).
//!
//! A VP is run by one thread at a time: the run holds the VP's lock, and a
//! second run or a register access meanwhile answers
//! `WHV_E_INVALID_VP_STATE`. Cancellation does not take the lock.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use kvm_bindings::{
    CpuId, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_USE_SW_BP, KVM_SYNC_X86_EVENTS, KVM_SYNC_X86_REGS,
    KVM_SYNC_X86_SREGS, kvm_guest_debug, kvm_regs, kvm_sregs,
};
use kvm_ioctls::{VcpuFd, VmFd};
use winhv_defs::*;

use crate::cancel::CancelState;
use crate::cpuid_facts::PagingFacts;
use crate::decode::RetiredCache;
use crate::devices::DeviceRouter;
use crate::error::{Error, Result};
use crate::exit::{ExitInputs, translate_exit};
use crate::interrupts::Requested;
use crate::kvm::KvmCaps;
use crate::memory::GpaMap;
use crate::msr::{MsrAction, MsrPolicy};
use crate::property::PartitionProperties;
use crate::registers::RegisterState;
use crate::run::{Completion, KvmExit, read_linear, run};
use crate::state::counters::{ExitCounters, KvmStats};
use crate::state::reset::PowerOn;
use crate::state::snapshot::vp::VpSnapshot;
use crate::synic::VpSynic;
use crate::translate::CodeCache;
use crate::vcpu::Vcpu;
use crate::xsave::XsaveLayout;
use synic::{Hypercall, hypercall, synthetic_msr};

mod synic;

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
    /// A vector requested without LAPIC emulation waits for the guest to
    /// be able to take it (`deliver_requested`).
    vector_waiting: bool,
}

/// A virtual processor of a partition.
pub(crate) struct Vp {
    /// WHvCancelRunVirtualProcessor's state; usable without the lock.
    pub(crate) cancel: CancelState,
    /// WHvRequestInterrupt's requests without LAPIC emulation, injected by
    /// the run loop (`interrupts/no_apic`); usable without the lock.
    pub(crate) requested: Requested,
    /// Threads waiting in [`Vp::borrow_state`] for the VP its run holds.
    borrowers: AtomicU32,
    /// What WHvTranslateGva's walks need from the VP's CPUID table.
    pub(crate) paging: PagingFacts,
    /// The VP's XSAVE components (its CPUID leaf 0xD), for the XSAVE state.
    xsave: XsaveLayout,
    /// The VP's CPUID table as given to `KVM_SET_CPUID2`
    /// (WHvGetVirtualProcessorCpuidOutput).
    cpuid: Box<[kvm_bindings::kvm_cpuid_entry2]>,
    /// The exits the VP took, counted by the running thread.
    pub(crate) exits: ExitCounters,
    /// The vCPU's KVM statistics, opened at creation (`KVM_GET_STATS_FD`
    /// waits for a running vCPU; reading the statistics does not), or
    /// `None` where KVM has no binary statistics.
    stats: Option<KvmStats>,
    /// The VP's SynIC and synthetic MSRs, when the partition enabled
    /// synthetic features (`crate::synic`); usable without the lock.
    pub(crate) synic: Option<VpSynic>,
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
        synic: Option<&Arc<crate::synic::Shared>>,
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
        let power_on = PowerOn::capture(vcpu.fd())?;
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
        // SAFETY: the fd of the vCPU just created.
        let stats = unsafe { crate::state::counters::open_vcpu_stats(vcpu.fd().as_raw_fd()) }.ok();
        Ok(Arc::new(Vp {
            cancel,
            requested: Requested::default(),
            borrowers: AtomicU32::new(0),
            paging,
            xsave,
            cpuid: cpuid.as_slice().into(),
            exits: ExitCounters::default(),
            stats,
            synic: synic.map(|sh| VpSynic::new(index, sh.clone())),
            state: Mutex::new(VpState {
                vcpu,
                regs,
                completion: Completion::None,
                power_on,
                code: CodeCache::new(paging),
                retired: RetiredCache::default(),
                vector_waiting: false,
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
        match self.synthetic_names(names, values.len()) {
            Some(synic) => crate::synic::get_batch(synic, &mut s.regs, &mut s.vcpu, names, values),
            None => s.regs.get(&mut s.vcpu, names, values),
        }
    }

    /// The VP's SynIC when a register batch of `names` (with `values`
    /// values) names one of its registers.
    fn synthetic_names(&self, names: &[WHV_REGISTER_NAME], values: usize) -> Option<&VpSynic> {
        let synic = self.synic.as_ref()?;
        (values == names.len()
            && names
                .iter()
                .any(|&n| crate::synic::is_synthetic_register(n)))
        .then_some(synic)
    }

    /// WHvSetVirtualProcessorRegisters.
    pub(crate) fn set_registers(
        &self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        match self.synthetic_names(names, values.len()) {
            Some(synic) => crate::synic::set_batch(synic, &mut s.regs, &mut s.vcpu, names, values),
            None => s.regs.set(&mut s.vcpu, names, values),
        }
    }

    /// WHvGetVirtualProcessorRegisters of 64-bit registers as `u64`s (the
    /// safe API's typed batches).
    pub(crate) fn get_u64s(&self, names: &[WHV_REGISTER_NAME], out: &mut [u64]) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        s.regs.get_u64s(&mut s.vcpu, names, out)
    }

    /// WHvSetVirtualProcessorRegisters of 64-bit registers from `u64`s.
    pub(crate) fn set_u64s(&self, names: &[WHV_REGISTER_NAME], values: &[u64]) -> Result<()> {
        let mut g = self.lock()?;
        let s = &mut *g;
        s.regs.set_u64s(&mut s.vcpu, names, values)
    }

    /// Runs `f` on the VP's vCPU and register cache while no other thread
    /// uses the VP; `WHV_E_INVALID_VP_STATE` while one does (a run, a
    /// register call). For `crate::interrupts`' state functions, which
    /// Microsoft documents to answer so for a running VP.
    pub(crate) fn with_state<T>(
        &self,
        f: impl FnOnce(&mut Vcpu, &mut RegisterState) -> Result<T>,
    ) -> Result<T> {
        let mut g = self.lock()?;
        let s = &mut *g;
        f(&mut s.vcpu, &mut s.regs)
    }

    /// [`Self::with_state`] whatever the VP is doing, for what Windows does
    /// while VPs run (WHvGetInterruptTargetVpSet, LocalInt1): a run in progress on
    /// another thread is taken out of `KVM_RUN` (a kick, not a cancel),
    /// lends the VP ([`Self::lend`]) and goes on afterwards; a register
    /// call on another thread is waited for.
    pub(crate) fn borrow_state<T>(
        &self,
        f: impl FnOnce(&mut Vcpu, &mut RegisterState) -> Result<T>,
    ) -> Result<T> {
        let mut g = match self.state.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                // Counted before the kick: the run loop, woken by it, sees
                // the count (`Requested::wake` makes it look).
                self.borrowers.fetch_add(1, Ordering::SeqCst);
                self.requested.wake();
                self.cancel.kick();
                let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let s = &mut *g;
                let r = f(&mut s.vcpu, &mut s.regs);
                drop(g);
                self.borrowers.fetch_sub(1, Ordering::SeqCst);
                return r;
            }
        };
        let s = &mut *g;
        f(&mut s.vcpu, &mut s.regs)
    }

    /// The lock for a run: as [`Self::lock`], but waiting for a thread
    /// that borrows the VP ([`Self::borrow_state`]) instead of failing.
    fn lock_for_run(&self) -> Result<MutexGuard<'_, VpState>> {
        match self.lock() {
            Err(_) if self.borrowers.load(Ordering::SeqCst) != 0 => {
                Ok(self.state.lock().unwrap_or_else(|p| p.into_inner()))
            }
            r => r,
        }
    }

    /// Lets the threads waiting in [`Self::borrow_state`] have the VP, then
    /// takes it back for the run (the register cache holds whatever they
    /// changed, written before the next `KVM_RUN`).
    fn lend<'a>(&'a self, g: MutexGuard<'a, VpState>) -> MutexGuard<'a, VpState> {
        drop(g);
        while self.borrowers.load(Ordering::SeqCst) != 0 {
            std::thread::yield_now();
        }
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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

    /// WHvGetVirtualProcessorCpuidOutput: what the guest's CPUID `leaf`,
    /// `subleaf` answers now (`state/cpuid.rs`), with the registers as the
    /// register cache has them.
    pub(crate) fn cpuid_output(&self, leaf: u32, subleaf: u32) -> Result<WHV_CPUID_OUTPUT> {
        let mut g = self.lock()?;
        let s = &mut *g;
        let mut read = |name: WHV_REGISTER_NAME| -> Result<Option<u64>> {
            let mut v = [WHV_REGISTER_VALUE::default()];
            match s.regs.get(&mut s.vcpu, &[name], &mut v) {
                // SAFETY: these registers are 64-bit, returned through Reg64.
                Ok(()) => Ok(Some(unsafe { v[0].Reg64 })),
                Err(e) if e.hresult == WHV_E_INVALID_VP_REGISTER_NAME => Ok(None),
                Err(e) => Err(e),
            }
        };
        let d = crate::state::cpuid::Dynamic {
            cr4: read(WHvX64RegisterCr4)?.unwrap_or(0),
            apic_base: read(WHvX64RegisterApicBase)?.unwrap_or(0),
            xcr0: read(WHvX64RegisterXCr0)?,
            xss: read(WHvX64RegisterXss)?.unwrap_or(0),
            tsx_ctrl: read(WHvX64RegisterTsxCtrl)?.unwrap_or(0),
        };
        Ok(crate::state::cpuid::output(&self.cpuid, leaf, subleaf, &d))
    }

    /// WHvGetVirtualProcessorCounters: counter set `set` into `buffer`
    /// (`lapic`: the partition emulates the local APIC). Usable while the
    /// VP runs.
    pub(crate) fn counters(
        &self,
        set: WHV_PROCESSOR_COUNTER_SET,
        lapic: bool,
        buffer: &mut [u8],
    ) -> Result<u32> {
        crate::state::counters::vp_counters(set, &self.exits, self.stats.as_ref(), lapic, buffer)
    }

    /// WHvRunVirtualProcessor: runs until an exit the VMM must see, whose
    /// context is written into `out` (left as it was on an error). Each
    /// KVM exit is counted (`state/counters.rs`) where it arrives.
    pub(crate) fn run(
        &self,
        map: &std::sync::RwLock<GpaMap>,
        caps: &KvmCaps,
        msrs: &std::sync::RwLock<MsrPolicy>,
        devices: &DeviceRouter,
        out: &mut WHV_RUN_VP_EXIT_CONTEXT,
    ) -> Result<()> {
        let mut g = self.lock_for_run()?;
        let s = &mut *g;
        let inputs_map = || map.read().unwrap_or_else(|p| p.into_inner());
        // Interrupts requested without LAPIC emulation go in first: an
        // injection closes the window the VMM may be waiting for.
        self.deliver_requested(s)?;
        // A window already open is reported without running (KVM on PVM
        // never exits for an interrupt window; elsewhere this saves a run),
        // after a cancel the VMM made before the run.
        let window = match self.cancel.is_requested() {
            true => None,
            false => deliverable(s)?,
        };
        if let Some(kind) = window {
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
                kind,
                &mut s.completion,
                out,
            );
        }
        loop {
            let s = &mut *g;
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
            let window = s.regs.interrupt_notification() || s.vector_waiting;
            s.vcpu.area().set_request_interrupt_window(window);
            let facts = s.code.facts();
            let start = crate::state::counters::now();
            let exit = run(
                &mut s.vcpu,
                &self.cancel,
                &mut s.completion,
                &self.requested,
                &|regs, sregs, gva, buf| read_linear(&inputs_map(), regs, sregs, facts, gva, buf),
            );
            s.regs.after_run(&mut s.vcpu);
            let exit = exit?;
            // The counters' hook: the time in KVM_RUN and the exit's kind.
            self.exits.record(start, &exit);
            if let (Some(synic), KvmExit::RdMsr { index, .. } | KvmExit::WrMsr { index, .. }) =
                (&self.synic, exit)
            {
                if synic.owns(index) {
                    let sints = synthetic_msr(s, synic, index, &inputs_map());
                    if sints == 0 {
                        continue;
                    }
                    // An EOM freed a slot a post found busy: complete the
                    // WRMSR now (RIP past it, as Windows has it at this
                    // exit), then report.
                    self.cancel.set_immediate_exit();
                    let _ = s.vcpu.run();
                    self.cancel.clear_immediate_exit();
                    s.regs.after_run(&mut s.vcpu);
                    crate::exit::sint_deliverable(&mut s.vcpu, sints, out);
                    return Ok(());
                }
            }
            if let (
                Some(synic),
                KvmExit::IoOut {
                    port: crate::synic::HYPERCALL_PORT,
                    size: 1,
                    count: 1,
                    ..
                },
            ) = (&self.synic, exit)
            {
                match hypercall(s, synic, &inputs_map(), caps)? {
                    Hypercall::NotOne => {}
                    Hypercall::Answered => continue,
                    Hypercall::Exit(hc) => {
                        crate::exit::hypercall(&mut s.vcpu, &hc, out);
                        return Ok(());
                    }
                }
            }
            // A claimed range: served here, the VP runs on (KVM completes
            // a read from the data left in kvm_run).
            if devices.serve(&mut s.vcpu, &exit) {
                continue;
            }
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
            if let KvmExit::Requested = exit {
                // A request came during the run (its kick ended KVM_RUN):
                // an interrupt to inject, or a thread waiting for the VP.
                self.deliver_requested(s)?;
                if self.borrowers.load(Ordering::SeqCst) != 0 {
                    g = self.lend(g);
                }
                continue;
            }
            if s.vector_waiting
                && matches!(exit, KvmExit::Hlt | KvmExit::InterruptWindow)
                && window_open(s)?
            {
                // A requested interrupt the guest can take now: a HLT takes
                // it instead of exiting (RIP is past the HLT, where the
                // handler returns), as a window we asked for does.
                self.deliver_requested(s)?;
                continue;
            }
            if matches!(exit, KvmExit::InterruptWindow) && !s.regs.interrupt_notification() {
                // A window asked for a requested interrupt only (the VMM
                // asked for none): not the VMM's exit.
                continue;
            }
            let window = if matches!(exit, KvmExit::Hlt) {
                deliverable(s)?
            } else {
                None
            };
            let map = inputs_map();
            let inputs = ExitInputs {
                map: &map,
                caps,
                code: &mut s.code,
                retired: &mut s.retired,
            };
            if let Some(kind) = window {
                // The guest halted with an interrupt or NMI deliverable and
                // the VMM waiting for that: report the window, at the HLT
                // (Windows exits before it; it runs again if nothing is
                // injected).
                let regs = &mut s.vcpu.sync().regs;
                regs.rip = regs.rip.wrapping_sub(1);
                s.vcpu.mark_dirty(KVM_SYNC_X86_REGS);
                return translate_exit(
                    &mut s.vcpu,
                    &mut s.regs,
                    inputs,
                    kind,
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

    /// Injects what WHvRequestInterrupt left without LAPIC emulation
    /// (`interrupts/no_apic`): a requested NMI becomes KVM's pending NMI,
    /// the highest requested vector the interrupt being injected when the
    /// guest can take it. `vector_waiting` tells whether a vector still
    /// waits for the guest (the run then asks KVM for an interrupt window).
    #[inline]
    fn deliver_requested(&self, s: &mut VpState) -> Result<()> {
        if !self.requested.any() && !s.vector_waiting {
            return Ok(());
        }
        s.vector_waiting = self.inject_requested(s)?;
        Ok(())
    }

    /// [`Self::deliver_requested`] when there is something to do; true when
    /// a vector still waits.
    #[inline(never)]
    fn inject_requested(&self, s: &mut VpState) -> Result<bool> {
        let r = &self.requested;
        r.seen();
        if r.take_nmi() {
            s.regs.queue_nmi(&mut s.vcpu)?;
        }
        let Some(vector) = r.highest() else {
            return Ok(false);
        };
        if !window_open(s)? {
            return Ok(true);
        }
        let mut v = WHV_REGISTER_VALUE::default();
        v.Reg64 = 1 | u64::from(vector) << 16;
        s.regs
            .set(&mut s.vcpu, &[WHvRegisterPendingInterruption], &[v])?;
        r.take(vector);
        // The next waits for the guest to be able to take one again.
        Ok(r.highest().is_some())
    }

    /// Holds the VP for a partition-wide operation (reset, time): no run
    /// or register access can start meanwhile. `WHV_E_INVALID_VP_STATE`
    /// while it runs.
    pub(crate) fn hold(&self) -> Result<HeldVp<'_>> {
        Ok(HeldVp {
            vp: self,
            state: self.lock()?,
        })
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

/// A VP held by [`Vp::hold`].
pub(crate) struct HeldVp<'a> {
    vp: &'a Vp,
    state: MutexGuard<'a, VpState>,
}

impl HeldVp<'_> {
    /// The vCPU's ioctls.
    pub(crate) fn fd(&self) -> &VcpuFd {
        self.state.vcpu.fd()
    }

    /// Makes register reads of MSR `index` answer `value` until
    /// [`Self::unpin_msr`] or the next run (a write the VMM has not yet
    /// made reach KVM still wins).
    pub(crate) fn pin_msr(&mut self, index: u32, value: u64) {
        self.state.regs.pin_msr(index, value);
    }

    /// The TSC as a register read sees it (pinned while time is
    /// suspended).
    #[cfg(test)]
    pub(crate) fn read_tsc(&mut self) -> Result<u64> {
        let mut v = [WHV_REGISTER_VALUE::default()];
        let s = &mut *self.state;
        s.regs.get(&mut s.vcpu, &[WHvX64RegisterTsc], &mut v)?;
        // SAFETY: the TSC is returned through Reg64.
        Ok(unsafe { v[0].Reg64 })
    }

    /// Lets register reads of MSR `index` ask KVM again.
    pub(crate) fn unpin_msr(&mut self, index: u32) {
        self.state.regs.forget_msr(index);
    }

    /// Puts the VP back in its power-on state, all but the TSC.
    pub(crate) fn reset(&mut self) -> Result<()> {
        let s = &mut *self.state;
        // Pending completions of the last exit are dropped with the state:
        // flush them first so KVM does not apply them to the new state.
        if !matches!(s.completion, Completion::None) {
            self.vp.cancel.set_immediate_exit();
            let _ = s.vcpu.run();
            self.vp.cancel.clear_immediate_exit();
            s.completion = Completion::None;
        }
        s.vcpu.area().clear_dirty();
        s.power_on.restore(s.vcpu.fd())?;
        s.regs.reset();
        // KVM now holds exactly the snapshot: seed the cache with it.
        let p = &s.power_on;
        s.regs.seed(&mut s.vcpu, &p.regs, &p.sregs, &p.events);
        self.vp.cancel.reset();
        self.vp.requested.clear();
        s.vector_waiting = false;
        if let Some(synic) = &self.vp.synic {
            synic.reset();
        }
        Ok(())
    }
}

/// The InterruptionDeliverable exit the VMM asked for
/// (WHvX64RegisterDeliverabilityNotifications) that is due now, if any
/// (none while the VP waits for INIT/SIPI): an NMI window (NmiNotification, the guest not blocking NMIs and nothing
/// being injected) before an interrupt window (InterruptNotification,
/// [`window_open`], and with an InterruptPriority the guest's CR8 below
/// it: an interrupt of that priority class would be taken).
#[inline]
fn deliverable(s: &mut VpState) -> Result<Option<KvmExit>> {
    let armed = s.regs.deliverability_notifications();
    if armed & 3 == 0 {
        return Ok(None);
    }
    deliverable_now(s, armed)
}

/// [`deliverable`] for notifications `armed`.
#[inline(never)]
fn deliverable_now(s: &mut VpState, armed: u64) -> Result<Option<KvmExit>> {
    let names = [
        WHvRegisterInterruptState,
        WHvRegisterPendingInterruption,
        WHvRegisterInternalActivityState,
    ];
    let mut v = [WHV_REGISTER_VALUE::default(); 3];
    s.regs.get(&mut s.vcpu, &names, &mut v)?;
    // SAFETY: all are returned through their 64-bit bitfield unions,
    // plain u64s.
    let r64 = |v: &WHV_REGISTER_VALUE| unsafe { v.Reg64 };
    let (state, pending, activity) = (r64(&v[0]), r64(&v[1]), r64(&v[2]));
    if activity & 1 != 0 {
        // Waiting for INIT/SIPI: nothing is delivered until the start-up.
        return Ok(None);
    }
    if armed & 1 != 0 && state & 2 == 0 && pending & 1 == 0 {
        return Ok(Some(KvmExit::NmiWindow));
    }
    if armed & 2 == 0 || !window_open(s)? {
        return Ok(None);
    }
    let priority = (armed >> 2) & 0xf;
    if priority != 0 {
        let mut cr8 = [WHV_REGISTER_VALUE::default()];
        s.regs.get(&mut s.vcpu, &[WHvX64RegisterCr8], &mut cr8)?;
        // SAFETY: CR8 is returned through Reg64.
        if priority <= unsafe { cr8[0].Reg64 } {
            return Ok(None);
        }
    }
    Ok(Some(KvmExit::InterruptWindow))
}

/// Snapshots (`state/snapshot`).
impl HeldVp<'_> {
    /// Writes every change the register cache holds into KVM and reads
    /// the VP's whole state. `WHV_E_INVALID_VP_STATE` at an exit whose
    /// completion KVM has not made yet.
    pub(crate) fn snapshot(&mut self, index: u32) -> Result<VpSnapshot> {
        let s = &mut *self.state;
        if !matches!(s.completion, Completion::None) {
            return Err(Error::new(
                WHV_E_INVALID_VP_STATE,
                "the VP stopped at an exit KVM has not completed yet: run it on \
                 (or cancel and run it) before saving",
            ));
        }
        s.regs.before_run(&mut s.vcpu)?;
        // KVM loads the sync area's dirty classes (and makes nothing else
        // of the run) before it sees immediate_exit and returns EINTR.
        self.vp.cancel.set_immediate_exit();
        let _ = s.vcpu.run();
        self.vp.cancel.clear_immediate_exit();
        s.regs.after_run(&mut s.vcpu);
        VpSnapshot::capture(index, s.vcpu.fd())
    }

    /// Puts a saved state into this VP (of a partition being restored).
    pub(crate) fn restore_snapshot(&mut self, saved: &VpSnapshot) -> Result<()> {
        let s = &mut *self.state;
        s.vcpu.area().clear_dirty();
        saved.restore(s.vcpu.fd())?;
        s.regs.reset();
        // KVM now holds exactly the saved state: seed the cache with it.
        s.regs
            .seed(&mut s.vcpu, &saved.regs, &saved.sregs, &saved.events);
        Ok(())
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
