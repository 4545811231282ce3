//! [`Partition`]: a WHP partition on a KVM VM — its properties until setup,
//! the VM and its VPs after, its GPA map — and every WHv* function that
//! takes a partition handle and is built here.
//!
//! Life cycle, as on Windows: [`Partition::create`] holds properties;
//! [`Partition::setup`] creates the KVM VM (split irqchip for an emulated
//! local APIC, MSR exits, CPUID per VP at VP creation); dropping the
//! partition is WHvDeletePartition and frees every fd and slot. A partition
//! is `Send + Sync`: different VPs run on different threads at once.
//!
//! Every method checks its arguments before the partition's state
//! (`args.rs` has the checks and the order, shared with the C exports).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kvm_bindings::{CpuId, kvm_enable_cap};
use kvm_ioctls::VmFd;
use winhv_defs::*;
use winhv_pci::PciSegment;

use crate::devices::{ClaimId, DeviceHandler, DeviceRouter, PciHost, Space};
use crate::error::{Error, Result};
use crate::kvm::{KvmCaps, kvm, kvm_caps};
use crate::memory::GpaMap;
use crate::msr::MsrPolicy;
use crate::property::{PartitionProperties, PropertyEffect};
use crate::state::counters::KvmStats;
use crate::state::time::PartitionTime;
use crate::vp::{HeldVp, Vp};

mod args;
mod handle;

pub(crate) use handle::VpRef;
mod notify;

/// The KVM side of a set-up partition.
struct Vm {
    /// One slot per VP index below the processor count (fixed by setup).
    /// Declared first so that the vCPU fds close before the VM fd: KVM then
    /// frees the VM and all its memory slots at once when the last closes
    /// (deleting slots one by one would cost an SRCU grace period each).
    vps: Box<[VpSlot]>,
    fd: VmFd,
    /// `KVM_GET_SUPPORTED_CPUID`, the base of every VP's CPUID table.
    supported_cpuid: CpuId,
    caps: &'static KvmCaps,
    /// `KVM_CAP_X2APIC_API` is on (32-bit APIC IDs, no broadcast quirk):
    /// see `crate::interrupts`.
    x2apic_api: bool,
    /// Interrupts requested so far, which every VP's register cache follows
    /// (`registers/cache/interrupts`).
    interrupts: Arc<AtomicU64>,
    /// The VM's KVM statistics, opened by the first counter read.
    stats: OnceLock<KvmStats>,
    /// What the VPs' SynICs share, when the partition enabled synthetic
    /// features (`crate::synic`).
    synic: Option<Arc<crate::synic::Shared>>,
    /// The GSI routing table (`interrupts/routes.rs`).
    routes: crate::interrupts::GsiRoutes,
    /// Doorbells, triggers, notification ports (`notify/`).
    notify: crate::notify::Notifications,
}

/// A WHP partition (`WHV_PARTITION_HANDLE`). Dropping it is
/// WHvDeletePartition: its VPs, memory slots and KVM file descriptors are
/// freed (guest memory stays the caller's).
///
/// ```no_run
/// use winhv::Partition;
/// use winhv::defs::*;
/// let p = Partition::create()?;
/// p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
/// p.setup()?;
/// p.create_vp(0)?;
/// # Ok::<(), winhv::Error>(())
/// ```
pub struct Partition {
    props: RwLock<PartitionProperties>,
    vm: OnceLock<Vm>,
    setup_lock: Mutex<()>,
    /// Shared with the SynIC's timer thread (`crate::synic`).
    memory: Arc<RwLock<GpaMap>>,
    /// Serialises VP creation and deletion (and the walks over all VPs).
    vp_change: Mutex<()>,
    msrs: RwLock<MsrPolicy>,
    time: PartitionTime,
    /// Claimed MMIO and port ranges, served inside the run (`devices/`).
    devices: Arc<DeviceRouter>,
}

/// VP `index`'s place in [`Vm::vps`]. Its VP stays after a delete (KVM
/// cannot destroy a vCPU before its VM, its id stays taken) and is reused,
/// in its power-on state, if the index is created again.
#[derive(Default)]
struct VpSlot {
    vp: OnceLock<Arc<Vp>>,
    /// Whether the VP exists (created, not deleted): changed under
    /// [`Partition::vp_change`], read without a lock by every lookup.
    live: AtomicBool,
}

impl Drop for Vm {
    /// Before the VPs and the VM go: the SynIC's timer thread stops
    /// writing guest memory (the caller may free it after the delete).
    fn drop(&mut self) {
        if let Some(synic) = &self.synic {
            synic.shutdown();
        }
    }
}

impl Vm {
    /// VP `index` if it exists: a bounds check and two loads, no lock and
    /// no reference count (the slots live as long as the partition).
    fn live_vp(&self, index: u32) -> Option<&Vp> {
        let slot = self.vps.get(index as usize)?;
        if slot.live.load(Ordering::Acquire) {
            slot.vp.get().map(|vp| &**vp)
        } else {
            None
        }
    }

    /// Every VP that exists.
    fn live_vps(&self) -> impl Iterator<Item = &Vp> {
        (0..self.vps.len() as u32).filter_map(|i| self.live_vp(i))
    }

    /// Every VP KVM has (live or deleted), held, with its index: all or
    /// `WHV_E_INVALID_VP_STATE` if one is running. Call under `vp_change`.
    fn hold_vps(&self) -> Result<Vec<(u32, HeldVp<'_>)>> {
        let mut held = Vec::new();
        for (index, slot) in self.vps.iter().enumerate() {
            if let Some(vp) = slot.vp.get() {
                held.push((index as u32, vp.hold()?));
            }
        }
        Ok(held)
    }

    /// Whether VP `index` exists (created, not deleted).
    fn is_live(&self, index: u32) -> bool {
        self.vps
            .get(index as usize)
            .is_some_and(|s| s.live.load(Ordering::Acquire))
    }
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

fn lock<T>(l: &Mutex<T>) -> MutexGuard<'_, T> {
    l.lock().unwrap_or_else(|p| p.into_inner())
}

fn not_set_up() -> Error {
    Error::new(
        WHV_E_INVALID_PARTITION_CONFIG,
        "the partition has not been set up (WHvSetupPartition)",
    )
}

/// What Microsoft documents for WHvGetInterruptTargetVpSet on a partition
/// without LAPIC emulation; the state functions answer it too.
fn operation_denied() -> Error {
    Error::new(
        ERROR_HV_OPERATION_DENIED,
        "the partition does not emulate local APICs (LocalApicEmulationMode None)",
    )
}

fn no_vp(index: u32) -> Error {
    Error::with(
        WHV_E_VP_DOES_NOT_EXIST,
        format!("no virtual processor with index {index}"),
    )
}

impl Partition {
    /// WHvCreatePartition: a partition with Windows' default properties,
    /// not yet set up. Fails when `/dev/kvm` is unusable.
    ///
    /// ```no_run
    /// let p = winhv::Partition::create()?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn create() -> Result<Partition> {
        kvm()?;
        Ok(Partition {
            props: RwLock::new(PartitionProperties::new()),
            vm: OnceLock::new(),
            setup_lock: Mutex::new(()),
            memory: Arc::default(),
            vp_change: Mutex::new(()),
            msrs: RwLock::new(MsrPolicy::default()),
            time: PartitionTime::default(),
            devices: Arc::default(),
        })
    }

    fn vm(&self) -> Result<&Vm> {
        self.vm.get().ok_or_else(not_set_up)
    }

    /// True once [`Partition::setup`] has succeeded.
    pub fn is_set_up(&self) -> bool {
        self.vm.get().is_some()
    }

    /// WHvSetPartitionProperty: sets property `code` from its buffer
    /// (`WHV_PARTITION_PROPERTY` member bytes). After setup only the exit
    /// properties may change; others answer `E_INVALIDARG`.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// let p = winhv::Partition::create()?;
    /// p.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn set_property(&self, code: WHV_PARTITION_PROPERTY_CODE, buffer: &[u8]) -> Result<()> {
        // Setup reads the properties under the setup lock: hold it so a set
        // is either before setup or after it, never during.
        let _setup = self.setup_lock.lock().unwrap_or_else(|p| p.into_inner());
        let set_up = self.is_set_up();
        let mut props = write(&self.props);
        let mut changed = props.clone();
        let effect = changed.set(code, buffer, set_up)?;
        if set_up {
            let vm = self.vm()?;
            match effect {
                PropertyEffect::None => {}
                PropertyEffect::ExtendedVmExits | PropertyEffect::MsrExitBitmap => {
                    let policy = MsrPolicy::new(&changed);
                    policy.apply(&vm.fd, vm.caps, false)?;
                    *write(&self.msrs) = policy;
                    if effect == PropertyEffect::ExtendedVmExits {
                        if let Some(synic) = &vm.synic {
                            synic.set_hypercall_exit(
                                changed.extended_vm_exits().hypercall_exit() != 0,
                            );
                        }
                        let _vps = lock(&self.vp_change);
                        for vp in vm.live_vps() {
                            vp.update_guest_debug(&changed, vm.caps)?;
                        }
                    }
                }
                PropertyEffect::ExceptionExitBitmap => {
                    let _vps = lock(&self.vp_change);
                    for vp in vm.live_vps() {
                        vp.update_guest_debug(&changed, vm.caps)?;
                    }
                }
            }
        }
        *props = changed;
        Ok(())
    }

    /// WHvGetPartitionProperty: writes property `code` at the start of
    /// `buffer` and returns the bytes written.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// let p = winhv::Partition::create()?;
    /// let mut b = [0u8; 4];
    /// p.get_property(WHvPartitionPropertyCodeProcessorCount, &mut b)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_property(
        &self,
        code: WHV_PARTITION_PROPERTY_CODE,
        buffer: &mut [u8],
    ) -> Result<u32> {
        read(&self.props).get(code, buffer, self.is_set_up())
    }

    /// The size in bytes of property `code`'s value (what WHvGetPartitionProperty
    /// writes; a C caller's `WrittenSizeInBytes`).
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// let p = winhv::Partition::create()?;
    /// assert_eq!(p.property_size(WHvPartitionPropertyCodeProcessorCount)?, 4);
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn property_size(&self, code: WHV_PARTITION_PROPERTY_CODE) -> Result<u32> {
        read(&self.props).size(code)
    }

    /// WHvSetupPartition: creates the KVM VM from the properties. A second
    /// call, or a partition whose ProcessorCount was never set, answers
    /// `WHV_E_INVALID_PARTITION_CONFIG`, as on Windows (which has no
    /// default processor count).
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// let p = winhv::Partition::create()?;
    /// p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    /// p.setup()?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn setup(&self) -> Result<()> {
        let _setup = self.setup_lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_set_up() {
            return Err(Error::new(
                WHV_E_INVALID_PARTITION_CONFIG,
                "the partition is already set up",
            ));
        }
        let props = read(&self.props).clone();
        // Windows refuses a partition without a processor count rather
        // than assume one (measured; its documentation has the same rule
        // for Arm64's required interrupt-controller property).
        if props.processor_count() == 0 {
            return Err(Error::new(
                WHV_E_INVALID_PARTITION_CONFIG,
                "ProcessorCount was not set (WHvSetPartitionProperty) before WHvSetupPartition",
            ));
        }
        let kvm = kvm()?;
        let caps = kvm_caps()?;
        let fd = kvm
            .create_vm()
            .map_err(|e| Error::from_errno("KVM_CREATE_VM", e.errno()))?;
        // VMX without unrestricted guest needs these pages for real mode;
        // AMD's SVM (and PVM on it) ignores them, so they cost two ioctls
        // per partition for nothing there.
        if crate::capability::host_capabilities().processor_vendor() != WHvProcessorVendorAmd {
            let _ = fd.set_tss_address(0xfffb_d000);
            let _ = fd.set_identity_map_address(0xfffb_c000);
        }
        let mut x2apic_api = false;
        if props.local_apic_emulation_mode() != WHvX64LocalApicEmulationModeNone {
            if !caps.split_irqchip {
                return Err(Error::new(
                    WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
                    "local APIC emulation needs KVM_CAP_SPLIT_IRQCHIP",
                ));
            }
            let cap = kvm_enable_cap {
                cap: kvm_bindings::KVM_CAP_SPLIT_IRQCHIP,
                ..Default::default()
            };
            fd.enable_cap(&cap)
                .map_err(|e| Error::from_errno("KVM_CAP_SPLIT_IRQCHIP", e.errno()))?;
            // The LAPICs' state after VP creation, as Windows sets it.
            crate::registers::configure_lapics(&fd)?;
            // 32-bit APIC IDs, no broadcast quirk (KVM_CAP_X2APIC_API's
            // flags add up: this keeps the flag set just above).
            x2apic_api = crate::interrupts::enable_x2apic_api(&fd)?;
        }
        if let Some(ns) = props.apic_bus_cycle_ns() {
            let mut cap = kvm_enable_cap {
                cap: kvm_bindings::KVM_CAP_X86_APIC_BUS_CYCLES_NS,
                ..Default::default()
            };
            cap.args[0] = ns;
            fd.enable_cap(&cap)
                .map_err(|e| Error::from_errno("KVM_CAP_X86_APIC_BUS_CYCLES_NS", e.errno()))?;
        }
        // Lets PendingEvent carry an exception's payload (CR2, DR6) as WHP's
        // does. Kernels without it answer PendingEvent writes with
        // ERROR_NOT_SUPPORTED instead (registers/events.rs).
        if caps.exception_payload {
            let mut cap = kvm_enable_cap {
                cap: kvm_bindings::KVM_CAP_EXCEPTION_PAYLOAD,
                ..Default::default()
            };
            cap.args[0] = 1;
            fd.enable_cap(&cap)
                .map_err(|e| Error::from_errno("KVM_CAP_EXCEPTION_PAYLOAD", e.errno()))?;
        }
        // MMIO instructions KVM cannot emulate exit instead of #UD.
        crate::emulation_failure::enable(kvm, &fd)?;
        // Dirty-page queries clear only the pages they report, with no copy
        // for a whole range (memory/dirty_log.rs).
        let manual_clear = crate::memory::enable_manual_clear(kvm, &fd);
        write(&self.memory).set_manual_clear(manual_clear);
        let policy = MsrPolicy::new(&props);
        policy.apply(&fd, caps, true)?;
        // KVM_GET_SUPPORTED_CPUID, fetched once per process.
        let supported_cpuid =
            CpuId::from_entries(crate::capability::host_capabilities().supported_cpuid())
                .map_err(|_| Error::new(E_FAIL, "KVM's supported CPUID table is too large"))?;
        *write(&self.msrs) = policy;
        let vps = (0..props.processor_count())
            .map(|_| VpSlot::default())
            .collect();
        let interrupts = Arc::<AtomicU64>::default();
        let mode = props.local_apic_emulation_mode();
        let synic = if props.synthetic_features() != 0 {
            Some(crate::synic::Shared::new(crate::synic::Setup {
                features: props.synthetic_features(),
                tsc_hz: props.processor_clock_frequency(),
                hypercall_exit: props.extended_vm_exits().hypercall_exit() != 0,
                processor_count: props.processor_count(),
                map: self.memory.clone(),
                vm: &fd,
                interrupts: interrupts.clone(),
                lapic: (mode != WHvX64LocalApicEmulationModeNone)
                    .then_some(mode == WHvX64LocalApicEmulationModeX2Apic),
                x2apic_api,
            })?)
        } else {
            None
        };
        let _ = self.vm.set(Vm {
            vps,
            fd,
            supported_cpuid,
            caps,
            x2apic_api,
            interrupts,
            stats: OnceLock::new(),
            synic,
            routes: Default::default(),
            notify: Default::default(),
        });
        Ok(())
    }

    /// WHvResetPartition: every VP back to the state it had right after
    /// its creation — registers, MSRs, the whole XSAVE state, the local
    /// APIC, pending events (`state/reset.rs`) — with every TSC back to 0
    /// and partition time frozen until the next run (`state/time.rs`);
    /// memory mappings and contents are kept. All or nothing:
    /// `WHV_E_INVALID_VP_STATE` if a VP is running.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// p.reset()?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn reset(&self) -> Result<()> {
        let vm = self.vm()?;
        let _vps = lock(&self.vp_change);
        let mut held = vm.hold_vps()?;
        for (index, vp) in held.iter_mut() {
            if vm.is_live(*index) {
                vp.reset()?;
            }
        }
        self.time
            .reset(&vm.fd, vm.caps.tsc_offset_control, &mut held)
    }

    /// WHvSuspendPartitionTime: the guest's TSC (and KVM's clock) stop
    /// until [`Self::resume_time`] or the next run, which continues them
    /// without a jump. No VP may be running (`WHV_E_INVALID_VP_STATE`).
    /// Where KVM cannot offset the guest's TSC (PVM) this answers
    /// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`. See `state/time.rs`.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// p.suspend_time()?;
    /// // … read a consistent state …
    /// p.resume_time()?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn suspend_time(&self) -> Result<()> {
        let vm = self.vm()?;
        let _vps = lock(&self.vp_change);
        let mut held = vm.hold_vps()?;
        self.time
            .suspend(&vm.fd, vm.caps.tsc_offset_control, &mut held)
    }

    /// WHvResumePartitionTime: time continues from where
    /// [`Self::suspend_time`] stopped it; a no-op when it is not suspended.
    pub fn resume_time(&self) -> Result<()> {
        let vm = self.vm()?;
        let _vps = lock(&self.vp_change);
        if !self.time.is_suspended() {
            // Resumed meanwhile (by another VP's run, say): nothing to
            // hold, nothing to do.
            return Ok(());
        }
        let mut held = vm.hold_vps()?;
        self.time.resume(&vm.fd, &mut held)
    }

    /// WHvGetVirtualProcessorCpuidOutput: the CPUID result VP `index`'s
    /// guest observes for leaf `eax`, subleaf `ecx` — its CPUID table
    /// (with the partition's CPUID overrides) and the bits that follow its
    /// registers (OSXSAVE, APIC, OSPKE, the XSAVE sizes of leaf 0xd), as
    /// KVM computes them (`state/cpuid.rs`).
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let leaf1 = p.get_vp_cpuid_output(0, 1, 0)?;
    /// let initial_apic_id = leaf1.Ebx >> 24;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_vp_cpuid_output(&self, index: u32, eax: u32, ecx: u32) -> Result<WHV_CPUID_OUTPUT> {
        self.vp(index)?.cpuid_output(eax, ecx)
    }

    /// WHvGetPartitionCounters: counter set `set` at the start of `buffer`;
    /// returns the bytes written. A buffer shorter than
    /// [`Self::partition_counters_size`] answers
    /// `WHV_E_INSUFFICIENT_BUFFER`. What each counter is on KVM:
    /// `state/counters.rs`.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let mut b = [0u8; size_of::<WHV_PARTITION_MEMORY_COUNTERS>()];
    /// p.get_partition_counters(WHvPartitionCounterSetMemory, &mut b)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_partition_counters(
        &self,
        set: WHV_PARTITION_COUNTER_SET,
        buffer: &mut [u8],
    ) -> Result<u32> {
        crate::state::counters::partition_set_size(set)?;
        let vm = self.vm()?;
        let stats = match vm.stats.get() {
            Some(s) => s,
            None => {
                use std::os::fd::AsRawFd;
                // SAFETY: the VM's own fd, open as long as `vm`.
                let s = unsafe { crate::state::counters::open_vm_stats(vm.fd.as_raw_fd()) }?;
                vm.stats.get_or_init(|| s)
            }
        };
        crate::state::counters::partition_counters(set, stats, buffer)
    }

    /// The size of partition counter set `set`'s struct.
    pub fn partition_counters_size(set: WHV_PARTITION_COUNTER_SET) -> Result<u32> {
        Ok(crate::state::counters::partition_set_size(set)? as u32)
    }

    /// WHvGetVirtualProcessorCounters: VP `index`'s counter set `set` at
    /// the start of `buffer`; returns the bytes written. Works while the VP
    /// runs. A buffer shorter than [`Self::vp_counters_size`] answers
    /// `WHV_E_INSUFFICIENT_BUFFER`, except that the intercept set takes
    /// older SDKs' 176-byte struct. What each counter is on KVM:
    /// `state/counters.rs`.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let mut b = [0u8; size_of::<WHV_PROCESSOR_INTERCEPT_COUNTERS>()];
    /// p.get_vp_counters(0, WHvProcessorCounterSetIntercepts, &mut b)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_vp_counters(
        &self,
        index: u32,
        set: WHV_PROCESSOR_COUNTER_SET,
        buffer: &mut [u8],
    ) -> Result<u32> {
        crate::state::counters::vp_set_size(set)?;
        let vp = self.vp(index)?;
        let lapic =
            read(&self.props).local_apic_emulation_mode() != WHvX64LocalApicEmulationModeNone;
        vp.counters(set, lapic, buffer)
    }

    /// The size of VP counter set `set`'s struct (this SDK's).
    pub fn vp_counters_size(set: WHV_PROCESSOR_COUNTER_SET) -> Result<u32> {
        Ok(crate::state::counters::vp_set_size(set)? as u32)
    }

    /// WHvCreateVirtualProcessor: creates VP `index` (below the partition's
    /// ProcessorCount). The C function's `Flags` argument, which must be 0,
    /// has no counterpart here.
    ///
    /// ```no_run
    /// # use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// # p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    /// # p.setup()?;
    /// p.create_vp(0)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn create_vp(&self, index: u32) -> Result<()> {
        self.create_vp2(index, &[])
    }

    /// WHvCreateVirtualProcessor2: as [`Partition::create_vp`], with VP
    /// properties. The NUMA node property is accepted and has no effect
    /// (KVM has no per-vCPU NUMA placement).
    pub fn create_vp2(
        &self,
        index: u32,
        properties: &[WHV_VIRTUAL_PROCESSOR_PROPERTY],
    ) -> Result<()> {
        Self::check_vp_properties(properties)?;
        let vm = self.vm()?;
        let props = read(&self.props);
        if index >= props.processor_count() {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "VP index {index} is not below the processor count {}",
                    props.processor_count()
                ),
            ));
        }
        let _vps = lock(&self.vp_change);
        let slot = vm.vps.get(index as usize).ok_or_else(|| {
            Error::with(
                E_INVALIDARG,
                format!("VP index {index} is beyond the partition's VP slots"),
            )
        })?;
        if slot.live.load(Ordering::Acquire) {
            return Err(Error::with(
                WHV_E_VP_ALREADY_EXISTS,
                format!("VP {index} exists already"),
            ));
        }
        match slot.vp.get() {
            Some(vp) => {
                let mut held = vp.hold()?;
                held.reset()?;
                // In step with the partition's TSC, as a new VP is (KVM
                // synchronises a new vCPU's itself).
                if vm.caps.tsc_offset_control {
                    let other = vm.vps.iter().enumerate().find_map(|(i, s)| {
                        (i != index as usize).then(|| s.vp.get()?.hold().ok())?
                    });
                    if let Some(other) = other {
                        PartitionTime::align(&held, &other)?;
                    }
                }
                drop(held);
                vp.update_guest_debug(&props, vm.caps)?;
            }
            None => {
                let vp = Vp::create(
                    &vm.fd,
                    index,
                    &props,
                    &vm.supported_cpuid,
                    vm.caps,
                    vm.synic.as_ref(),
                )?;
                let lapic = props.local_apic_emulation_mode() != WHvX64LocalApicEmulationModeNone;
                vp.with_state(|vcpu, regs| {
                    regs.set_x2apic_api(vm.x2apic_api);
                    regs.set_interrupt_counter(vm.interrupts.clone());
                    regs.set_lapic_emulation(lapic);
                    if lapic {
                        crate::interrupts::route_new_vp(vcpu.fd())?;
                    }
                    Ok(())
                })?;
                // Cannot be taken: set only here, under `vp_change`.
                let _ = slot.vp.set(vp);
            }
        }
        slot.live.store(true, Ordering::Release);
        Ok(())
    }

    /// WHvDeleteVirtualProcessor: VP `index` is gone; runs, register
    /// accesses and cancels of it answer `WHV_E_VP_DOES_NOT_EXIST`.
    ///
    /// KVM cannot destroy a vCPU before its VM (its id stays taken), so the
    /// deleted VP's vCPU is kept aside, its local APIC disabled (no
    /// interrupt reaches it, none is arbitrated to it) and, if the index is
    /// created again, reused in its power-on state.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// p.delete_vp(0)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn delete_vp(&self, index: u32) -> Result<()> {
        let vm = self.vm()?;
        let _vps = lock(&self.vp_change);
        let vp = vm.live_vp(index).ok_or_else(|| no_vp(index))?;
        if let Some(slot) = vm.vps.get(index as usize) {
            slot.live.store(false, Ordering::Release);
        }
        // A run in progress on another thread ends with Canceled.
        vp.cancel.cancel();
        if read(&self.props).local_apic_emulation_mode() != WHvX64LocalApicEmulationModeNone {
            // KVM keeps the vCPU, and would keep routing interrupts to it.
            vp.borrow_state(|vcpu, _| crate::interrupts::unroute_deleted_vp(vcpu.fd()))?;
        }
        Ok(())
    }

    /// VP `index`, which must exist. A run that looked it up before a
    /// `delete_vp` still has it; the delete's cancel ends that run.
    fn vp(&self, index: u32) -> Result<&Vp> {
        self.vm()?.live_vp(index).ok_or_else(|| no_vp(index))
    }

    /// WHvRunVirtualProcessor: runs VP `index` until an exit and returns
    /// what Windows' exit context would hold.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// use winhv::defs::*;
    /// let exit = p.run_vp(0)?;
    /// if exit.ExitReason == WHvRunVpExitReasonX64Halt { /* … */ }
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn run_vp(&self, index: u32) -> Result<WHV_RUN_VP_EXIT_CONTEXT> {
        let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
        self.run_vp_into(index, &mut exit)?;
        Ok(exit)
    }

    /// [`Self::run_vp`] writing the exit context into `exit` (built in
    /// place, no copy: what `WHvRunVirtualProcessor` does with the
    /// caller's buffer). On an error
    /// `exit` is left as it was.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// use winhv::defs::*;
    /// let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
    /// p.run_vp_into(0, &mut exit)?;
    /// if exit.ExitReason == WHvRunVpExitReasonX64Halt { /* … */ }
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn run_vp_into(&self, index: u32, exit: &mut WHV_RUN_VP_EXIT_CONTEXT) -> Result<()> {
        let vm = self.vm()?;
        let vp = self.vp(index)?;
        if self.time.is_suspended() {
            self.resume_time()?;
        }
        // Built in place: no copy of the context.
        vp.run(&self.memory, vm.caps, &self.msrs, &self.devices, exit)
    }

    /// Claims `[base, base + len)` of `space` for `handler`: the guest's
    /// accesses there are served by it inside [`Self::run_vp`], on the
    /// VP's thread, and never come back as exits (winhv's own API; Windows
    /// serves its virtual devices the same way, out of the caller's
    /// sight). `E_INVALIDARG` for an empty range, ports past 0xFFFF, or
    /// an overlap with another claim. See `devices/mod.rs` for the rules.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// struct Zero;
    /// impl winhv::DeviceHandler for Zero {
    ///     fn read(&self, _offset: u64, data: &mut [u8]) { data.fill(0) }
    ///     fn write(&self, _offset: u64, _data: &[u8]) {}
    /// }
    /// # let p = winhv::Partition::create()?;
    /// let id = p.claim(winhv::Space::Port, 0x80, 1, Arc::new(Zero))?;
    /// p.release_claim(id);
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn claim(
        &self,
        space: Space,
        base: u64,
        len: u64,
        handler: Arc<dyn DeviceHandler>,
    ) -> Result<ClaimId> {
        self.devices.claim(space, base, len, handler)
    }

    /// Releases a claim made by [`Self::claim`]; false when it was not one.
    pub fn release_claim(&self, id: ClaimId) -> bool {
        self.devices.release(id)
    }

    /// Shows a PCI segment to the guest: its ECAM window and, with
    /// `legacy_ports`, config mechanism #1 (0xCF8/0xCFC) are claimed, and
    /// so is every BAR the guest (or the segment's placement) makes
    /// decode. The returned host plugs and unplugs functions; dropping the
    /// partition drops it. `E_INVALIDARG` when a config range is claimed
    /// already.
    ///
    /// ```no_run
    /// use winhv::pci::{Ecam, PciSegment, Windows};
    /// # let p = winhv::Partition::create()?;
    /// let windows = Windows { mem32: 0xc000_0000..0xe000_0000, mem64: 0..0, io: 0xc000..0x1_0000 };
    /// let ecam = Ecam { base: 0xe000_0000, first: 0, last: 0 };
    /// let host = p.attach_pci(PciSegment::new(Some(ecam), windows), true)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn attach_pci(&self, segment: PciSegment, legacy_ports: bool) -> Result<Arc<PciHost>> {
        PciHost::attach(&self.devices, segment, legacy_ports)
    }

    /// WHvCancelRunVirtualProcessor: makes VP `index`'s current run (or its
    /// next, if none is in progress) return `WHvRunVpExitReasonCanceled`.
    /// Callable from any thread. `flags` must be 0. The running thread is
    /// kicked with SIGRTMIN+3, whatever signals it blocks and whatever the
    /// program installed for that signal (README, "Process-wide resources").
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// p.cancel_run_vp(0, 0)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn cancel_run_vp(&self, index: u32, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::new(
                E_INVALIDARG,
                "WHvCancelRunVirtualProcessor flags must be 0",
            ));
        }
        self.vp(index)?.cancel.cancel();
        Ok(())
    }

    /// WHvGetVirtualProcessorRegisters: `values[i]` receives register
    /// `names[i]` of VP `index`.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// use winhv::defs::*;
    /// let mut v = [WHV_REGISTER_VALUE::default()];
    /// p.get_vp_registers(0, &[WHvX64RegisterRip], &mut v)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_vp_registers(
        &self,
        index: u32,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> Result<()> {
        self.vp(index)?.get_registers(names, values)
    }

    /// WHvSetVirtualProcessorRegisters: sets register `names[i]` of VP
    /// `index` to `values[i]` (all or none).
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// use winhv::defs::*;
    /// let mut v = WHV_REGISTER_VALUE::default();
    /// v.Reg64 = 0x1000;
    /// p.set_vp_registers(0, &[WHvX64RegisterRip], &[v])?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn set_vp_registers(
        &self,
        index: u32,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> Result<()> {
        self.vp(index)?.set_registers(names, values)
    }

    /// WHvGetVirtualProcessorXsaveState: writes VP `index`'s XSAVE area
    /// into `buffer` in the compacted form Windows uses (legacy region,
    /// header with XCOMP_BV bit 63 set, the components XCOMP_BV names) and
    /// returns its size. A buffer shorter than
    /// [`Self::vp_xsave_state_size`] answers `WHV_E_INSUFFICIENT_BUFFER`
    /// and is left untouched.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let mut state = vec![0u8; p.vp_xsave_state_size(0)? as usize];
    /// let n = p.get_vp_xsave_state(0, &mut state)?;
    /// assert_eq!(n as usize, state.len());
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_vp_xsave_state(&self, index: u32, buffer: &mut [u8]) -> Result<u32> {
        self.vp(index)?.get_xsave_state(buffer)
    }

    /// The size of VP `index`'s XSAVE state (what
    /// WHvGetVirtualProcessorXsaveState's `BytesWritten` receives): fixed
    /// by the VP's CPUID leaf 0xD.
    pub fn vp_xsave_state_size(&self, index: u32) -> Result<u32> {
        Ok(self.vp(index)?.xsave_state_size())
    }

    /// WHvSetVirtualProcessorXsaveState: replaces VP `index`'s XSAVE area
    /// with `buffer`, a compacted XSAVE area as
    /// [`Self::get_vp_xsave_state`] writes it. What the processor's XRSTOR
    /// would refuse answers `E_INVALIDARG`; a buffer shorter than the
    /// components its XCOMP_BV names answers `WHV_E_INSUFFICIENT_BUFFER`;
    /// either way nothing changes. Register reads see the new state at once.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let mut state = vec![0u8; p.vp_xsave_state_size(0)? as usize];
    /// p.get_vp_xsave_state(0, &mut state)?;
    /// state[160] = 0x42; // XMM0's low byte (the legacy region)
    /// state[512] |= 2; // XSTATE_BV: SSE state in use
    /// p.set_vp_xsave_state(0, &state)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn set_vp_xsave_state(&self, index: u32, buffer: &[u8]) -> Result<()> {
        self.vp(index)?.set_xsave_state(buffer)
    }

    /// WHvMapGpaRange: maps `size` bytes of this process's memory at
    /// `source` into the guest at `gpa` with `flags` access. Page-aligned;
    /// it replaces whatever was mapped at those pages, as on Windows, all
    /// or nothing (`HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)` when KVM
    /// has no memory slot left for it). The memory
    /// may be reserved without access (`PROT_NONE`) and made accessible
    /// later; the guest then gets a memory-access exit when it touches a
    /// page that is still inaccessible.
    ///
    /// # Safety
    /// `source..source+size` must stay mapped in this process until it is
    /// unmapped from the guest or the partition is dropped; the guest (and
    /// KVM) write to it at any time.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// # p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    /// # p.setup()?;
    /// // Page-aligned memory that is never freed (a VMM would mmap it).
    /// let layout = std::alloc::Layout::from_size_align(0x2000, 0x1000).unwrap();
    /// // SAFETY: a non-zero size.
    /// let mem = unsafe { std::alloc::alloc_zeroed(layout) };
    /// let rwx = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute;
    /// // SAFETY: `mem` is never freed, so it outlives the partition.
    /// unsafe { p.map_gpa_range(mem.cast(), 0x0, 0x2000, rwx)? };
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub unsafe fn map_gpa_range(
        &self,
        source: *mut std::ffi::c_void,
        gpa: u64,
        size: u64,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        // The arguments before the state: an unaligned source answers
        // E_INVALIDARG even before setup, as on Windows.
        Self::check_map_gpa_range(source, gpa, size, flags)?;
        let vm = self.vm()?;
        // SAFETY: forwarded from this function's contract.
        unsafe { write(&self.memory).map(&vm.fd, source as u64, gpa, size, flags.0 as u32) }
    }

    /// WHvMapGpaRange2: maps `size` bytes at `source` in the process that
    /// `process` (a pidfd, Linux's process handle) names to `gpa`. Another
    /// process's memory can back the guest only where it is shared memory
    /// (a `MAP_SHARED` memfd or file mapping): winhv maps the same pages
    /// here, and unmaps them when no range uses them. Private memory
    /// answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`, a source range not
    /// mapped there (or across two of its mappings) `E_INVALIDARG`, a
    /// handle that is no pidfd or names an exited process `E_HANDLE`, a
    /// process we may not inspect as a debugger would `E_ACCESSDENIED`.
    /// A pidfd of this very process maps `source` as
    /// [`Partition::map_gpa_range`] does.
    ///
    /// ```no_run
    /// use std::os::fd::{FromRawFd, OwnedFd, AsFd};
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// # let (child_pid, child_addr) = (1234, 0x7f00_0000_0000u64);
    /// // SAFETY: pidfd_open returns a new fd (or -1, refused by the call).
    /// let pidfd = unsafe { OwnedFd::from_raw_fd(libc::syscall(libc::SYS_pidfd_open, child_pid, 0) as i32) };
    /// let rw = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite;
    /// // SAFETY: `pidfd` names another process, whose memory winhv maps itself.
    /// unsafe { p.map_gpa_range_from_process(pidfd.as_fd(), child_addr as *mut _, 0, 0x10000, rw)? };
    /// # Ok::<(), winhv::Error>(())
    /// ```
    ///
    /// # Safety
    /// When `process` names this process, as for [`Partition::map_gpa_range`];
    /// otherwise none (winhv owns the mapping it makes).
    pub unsafe fn map_gpa_range_from_process(
        &self,
        process: std::os::fd::BorrowedFd<'_>,
        source: *mut std::ffi::c_void,
        gpa: u64,
        size: u64,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        use std::os::fd::AsRawFd;
        Self::check_map_gpa_range(source, gpa, size, flags)?;
        let vm = self.vm()?;
        let fd = process.as_raw_fd();
        match crate::memory::pid_of(fd)? {
            // SAFETY: forwarded from this function's contract.
            None => unsafe { self.map_gpa_range(source, gpa, size, flags) },
            Some(pid) => write(&self.memory).map_foreign(
                &vm.fd,
                fd,
                pid,
                source as u64,
                gpa,
                size,
                flags.0 as u32,
            ),
        }
    }

    /// WHvUnmapGpaRange: unmaps every mapped page of `gpa..gpa+size`
    /// (splitting mappings that extend beyond it), all or nothing.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// p.unmap_gpa_range(0x1000, 0x1000)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn unmap_gpa_range(&self, gpa: u64, size: u64) -> Result<()> {
        Self::check_unmap_gpa_range(gpa, size)?;
        let vm = self.vm()?;
        write(&self.memory).unmap(&vm.fd, gpa, size)
    }

    /// WHvReadGpaRange: copies guest memory at `gpa` into `buffer`.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let mut b = [0u8; 8];
    /// p.read_gpa_range(0x1000, &mut b)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn read_gpa_range(&self, gpa: u64, buffer: &mut [u8]) -> Result<()> {
        self.vm()?;
        read(&self.memory).read(gpa, buffer)
    }

    /// WHvWriteGpaRange: copies `data` into guest memory at `gpa`.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// p.write_gpa_range(0x1000, &[0xf4])?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn write_gpa_range(&self, gpa: u64, data: &[u8]) -> Result<()> {
        self.vm()?;
        read(&self.memory).write(gpa, data)
    }

    /// The host address behind `[gpa, gpa + len)` when the range lies in
    /// one mapped GPA range (winhv's own; HDV's guest-memory apertures use
    /// it): valid while that range stays mapped, with the access the
    /// caller's memory has (a read-only GPA mapping does not make the
    /// host memory read-only). `WHV_E_GPA_RANGE_NOT_FOUND` when any byte is
    /// not mapped or the range spans two mappings; `E_INVALIDARG` for an
    /// empty range.
    pub fn host_address(&self, gpa: u64, len: u64) -> Result<*mut u8> {
        if len == 0 {
            return Err(Error::new(E_INVALIDARG, "an empty range"));
        }
        let (host, _, avail) = read(&self.memory)
            .lookup(gpa)
            .ok_or(Error::new(WHV_E_GPA_RANGE_NOT_FOUND, "GPA not mapped"))?;
        if avail < len {
            return Err(Error::new(
                WHV_E_GPA_RANGE_NOT_FOUND,
                "the range is not mapped in one piece",
            ));
        }
        Ok(host as *mut u8)
    }

    /// WHvQueryGpaRangeDirtyBitmap: one bit per page of `gpa..gpa+size`
    /// that the guest wrote since the last query, into `bitmap` (`None`
    /// only clears). The range must be mapped with TrackDirtyPages.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let mut bits = [0u64; 1];
    /// p.query_gpa_range_dirty_bitmap(0, 0x10000, Some(&mut bits))?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn query_gpa_range_dirty_bitmap(
        &self,
        gpa: u64,
        size: u64,
        bitmap: Option<&mut [u64]>,
    ) -> Result<()> {
        Self::check_query_gpa_range_dirty_bitmap(gpa, size, bitmap.as_ref().map(|b| b.len()))?;
        let vm = self.vm()?;
        write(&self.memory).query_dirty(&vm.fd, gpa, size, bitmap)
    }

    /// The partition's local APICs for an interrupt call; `without` is the
    /// answer when the partition has no LAPIC emulation.
    fn lapics<'a>(
        &'a self,
        without: Error,
    ) -> Result<crate::interrupts::Lapics<'a, impl Fn(u32) -> Option<&'a Vp> + 'a>> {
        let vm = self.vm()?;
        let mode = read(&self.props).local_apic_emulation_mode();
        if mode == WHvX64LocalApicEmulationModeNone {
            return Err(without);
        }
        Ok(crate::interrupts::Lapics {
            vm: &vm.fd,
            vp: |i| vm.live_vp(i),
            processor_count: vm.vps.len() as u32,
            x2apic_partition: mode == WHvX64LocalApicEmulationModeX2Apic,
            x2apic_api: vm.x2apic_api,
            counter: &vm.interrupts,
        })
    }

    /// WHvRequestInterrupt: delivers `interrupt` (any type, physical or
    /// logical destination, edge or level) to the VPs it names, from any
    /// thread, running or not. Without LAPIC emulation (LocalApicEmulationMode
    /// None) Fixed edge-triggered interrupts and NMIs to a physical
    /// destination (a VP index, or 0xFFFFFFFF for all) are injected by the
    /// target's run loop when its guest can take them; other kinds answer
    /// `ERROR_HV_OPERATION_DENIED`.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let mut ic = WHV_INTERRUPT_CONTROL { Destination: 0, Vector: 0x30, ..Default::default() };
    /// ic.set_type(WHvX64InterruptTypeFixed.0 as u64);
    /// p.request_interrupt(&ic)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn request_interrupt(&self, interrupt: &WHV_INTERRUPT_CONTROL) -> Result<()> {
        let request = crate::interrupts::check_request(interrupt)?;
        let vm = self.vm()?;
        if read(&self.props).local_apic_emulation_mode() == WHvX64LocalApicEmulationModeNone {
            let count = vm.vps.len() as u32;
            return crate::interrupts::request_without_apic(&request, count, |i| vm.live_vp(i));
        }
        let unreachable = Error::new(E_FAIL, "LAPIC emulation changed under the request");
        self.lapics(unreachable)?.request(&request)
    }

    /// WHvPostVirtualProcessorSynicMessage: writes `message` (1 to 256
    /// bytes, an HV_MESSAGE: MessageType first) into SINT `sint`'s slot of
    /// VP `index`'s SIMP page and raises the SINT's vector (unless masked
    /// or polled). A slot still holding a message answers
    /// `ERROR_HV_OBJECT_IN_USE` and sets its MessagePending flag; the
    /// guest's EOM after freeing it then ends a run with a
    /// `WHvRunVpExitReasonSynicSintDeliverable` exit. A SynIC or SIMP the
    /// guest has not enabled (or a partition without AccessSynicRegs)
    /// answers `ERROR_HV_INVALID_SYNIC_STATE`. Callable from any thread
    /// while the VP runs.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let mut message = [0u8; 256];
    /// message[..4].copy_from_slice(&0x100u32.to_le_bytes());
    /// p.post_synic_message(0, 2, &message)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn post_synic_message(&self, index: u32, sint: u32, message: &[u8]) -> Result<()> {
        args::check_synic_message(sint, message.len())?;
        self.synic_of(index)?.post(sint, message)
    }

    /// WHvSignalVirtualProcessorSynicEvent: sets event flag
    /// `FlagNumber` (below 2048) of SINT `TargetSint` in VP `VpIndex`'s
    /// SIEFP page and, if the flag was clear, raises the SINT's vector;
    /// returns whether it was clear (NewlySignaled). `TargetVtl` must be 0
    /// (`E_INVALIDARG`); a SynIC or SIEFP page the guest has not enabled
    /// answers `ERROR_HV_INVALID_SYNIC_STATE`, as Microsoft documents.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// use winhv::defs::*;
    /// let e = WHV_SYNIC_EVENT_PARAMETERS { VpIndex: 0, TargetSint: 2, Reserved: 0, FlagNumber: 5 };
    /// let newly = p.signal_synic_event(&e)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn signal_synic_event(&self, event: &WHV_SYNIC_EVENT_PARAMETERS) -> Result<bool> {
        args::check_synic_event(event)?;
        self.synic_of(event.VpIndex)?
            .signal(event.TargetSint, event.FlagNumber)
    }

    /// VP `index`'s SynIC: the VP must exist and the partition must have
    /// enabled AccessSynicRegs.
    fn synic_of(&self, index: u32) -> Result<&crate::synic::VpSynic> {
        let features = read(&self.props).synthetic_features();
        let vp = self.vp(index)?;
        match &vp.synic {
            Some(s) if features & crate::synic::features::SYNIC_REGS != 0 => Ok(s),
            _ => Err(Error::new(
                ERROR_HV_INVALID_SYNIC_STATE,
                "the partition has no SynIC (SyntheticProcessorFeaturesBanks.AccessSynicRegs)",
            )),
        }
    }

    /// WHvRequestInterrupt's argument checks, which need no partition: a
    /// known type, destination mode and trigger mode, no reserved bit, a
    /// vector of 16–255 for Fixed and LowestPriority (0–255 otherwise);
    /// `E_INVALIDARG` otherwise. [`Self::request_interrupt`] runs them
    /// first.
    pub fn check_request_interrupt(interrupt: &WHV_INTERRUPT_CONTROL) -> Result<()> {
        crate::interrupts::check_request(interrupt).map(drop)
    }

    /// WHvGetInterruptTargetVpSet's argument checks: a known mode and a
    /// destination of at most 32 bits (`E_INVALIDARG`).
    pub fn check_interrupt_target_vp_set(
        destination: u64,
        mode: WHV_INTERRUPT_DESTINATION_MODE,
    ) -> Result<()> {
        crate::interrupts::check_target(destination, mode).map(drop)
    }

    /// The buffer check of the interrupt-controller state functions: at
    /// least [`INTERRUPT_CONTROLLER_STATE_SIZE`](crate::INTERRUPT_CONTROLLER_STATE_SIZE)
    /// bytes, else `WHV_E_INSUFFICIENT_BUFFER` for a Get (`get`) and
    /// `E_INVALIDARG` for a Set.
    pub fn check_interrupt_controller_state(buffer_size: usize, get: bool) -> Result<()> {
        crate::interrupts::check_state_buffer(buffer_size, get)
    }

    /// WHvGetInterruptTargetVpSet: the indexes of the VPs that `destination`
    /// in `mode` reaches, by the APIC routing rules, written to
    /// `target_vps` (room for ProcessorCount entries, else `E_INVALIDARG`);
    /// returns how many. The VPs must not be running.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let mut vps = [0u32; 4];
    /// let n = p.get_interrupt_target_vp_set(0xff, WHvX64InterruptDestinationModePhysical, &mut vps)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_interrupt_target_vp_set(
        &self,
        destination: u64,
        mode: WHV_INTERRUPT_DESTINATION_MODE,
        target_vps: &mut [u32],
    ) -> Result<u32> {
        let (destination, logical) = crate::interrupts::check_target(destination, mode)?;
        self.lapics(operation_denied())?
            .target_vp_set(destination, logical, target_vps)
    }

    /// WHvGetVirtualProcessorInterruptControllerState2: VP `index`'s local
    /// APIC as the 4 KiB xAPIC register page ([`INTERRUPT_CONTROLLER_STATE_SIZE`](crate::INTERRUPT_CONTROLLER_STATE_SIZE)
    /// bytes, else `WHV_E_INSUFFICIENT_BUFFER`); returns the bytes written.
    ///
    /// ```no_run
    /// # let p = winhv::Partition::create()?;
    /// let mut state = vec![0u8; winhv::INTERRUPT_CONTROLLER_STATE_SIZE as usize];
    /// p.get_interrupt_controller_state2(0, &mut state)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_interrupt_controller_state2(&self, index: u32, state: &mut [u8]) -> Result<u32> {
        Self::check_interrupt_controller_state(state.len(), true)?;
        self.lapics(operation_denied())?.get_state(index, state)
    }

    /// WHvSetVirtualProcessorInterruptControllerState2: VP `index`'s local
    /// APIC becomes `state` (a buffer from
    /// [`Self::get_interrupt_controller_state2`], of this or another
    /// partition); set `WHvX64RegisterApicBase` first. The VP must not be
    /// running.
    ///
    /// ```no_run
    /// # let (a, b) = (winhv::Partition::create()?, winhv::Partition::create()?);
    /// let mut state = vec![0u8; winhv::INTERRUPT_CONTROLLER_STATE_SIZE as usize];
    /// a.get_interrupt_controller_state2(0, &mut state)?;
    /// b.set_interrupt_controller_state2(0, &state)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn set_interrupt_controller_state2(&self, index: u32, state: &[u8]) -> Result<()> {
        Self::check_interrupt_controller_state(state.len(), false)?;
        self.lapics(operation_denied())?.set_state(index, state)
    }

    /// WHvGetVirtualProcessorState: VP `index`'s state of type `kind`
    /// (the XSAVE area, the interrupt controller's; SynIC state answers
    /// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`: `state/vp_state.rs`) at
    /// the start of `buffer`; returns the bytes written.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let kind = WHvVirtualProcessorStateTypeXsaveState;
    /// let mut state = vec![0u8; p.vp_state_size(0, kind)? as usize];
    /// p.get_vp_state(0, kind, &mut state)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_vp_state(
        &self,
        index: u32,
        kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
        buffer: &mut [u8],
    ) -> Result<u32> {
        crate::state::vp_state::get(self, index, kind, buffer)
    }

    /// The size of VP `index`'s state of type `kind` (what
    /// WHvGetVirtualProcessorState's `BytesWritten` receives).
    pub fn vp_state_size(&self, index: u32, kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE) -> Result<u32> {
        crate::state::vp_state::size(self, index, kind)
    }

    /// WHvSetVirtualProcessorState: VP `index`'s state of type `kind`
    /// becomes `buffer` (as [`Self::get_vp_state`] wrote it).
    pub fn set_vp_state(
        &self,
        index: u32,
        kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
        buffer: &[u8],
    ) -> Result<()> {
        crate::state::vp_state::set(self, index, kind, buffer)
    }

    /// WHvGetVirtualProcessorInterruptControllerState (deprecated on
    /// Windows): the same buffer as [`Self::get_interrupt_controller_state2`].
    pub fn get_interrupt_controller_state(&self, index: u32, state: &mut [u8]) -> Result<u32> {
        self.get_interrupt_controller_state2(index, state)
    }

    /// WHvSetVirtualProcessorInterruptControllerState (deprecated on
    /// Windows): the same buffer as [`Self::set_interrupt_controller_state2`].
    pub fn set_interrupt_controller_state(&self, index: u32, state: &[u8]) -> Result<()> {
        self.set_interrupt_controller_state2(index, state)
    }

    /// WHvAdviseGpaRange: populates (faults in now, for reading or
    /// writing), pins (`mlock`) or unpins the memory behind `ranges`;
    /// `buffer` is the advice's parameters (a `WHV_ADVISE_GPA_RANGE_POPULATE`
    /// for Populate). Every page must be mapped. Rules and HRESULTs:
    /// `state/advise.rs`.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let range = WHV_MEMORY_RANGE_ENTRY { GuestAddress: 0, SizeInBytes: 0x10000 };
    /// let populate = WHV_ADVISE_GPA_RANGE_POPULATE {
    ///     Flags: WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS::default(),
    ///     AccessType: WHvMemoryAccessWrite,
    /// };
    /// let mut b = [0u8; 8];
    /// b[4..].copy_from_slice(&populate.AccessType.0.to_le_bytes());
    /// p.advise_gpa_range(&[range], WHvAdviseGpaRangeCodePopulate, &b)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn advise_gpa_range(
        &self,
        ranges: &[WHV_MEMORY_RANGE_ENTRY],
        code: WHV_ADVISE_GPA_RANGE_CODE,
        buffer: &[u8],
    ) -> Result<()> {
        let advice = crate::state::advise::check(ranges, code, buffer)?;
        self.vm()?;
        crate::state::advise::advise(&read(&self.memory), ranges, advice)
    }

    /// The argument checks of [`Self::advise_gpa_range`], which the C
    /// export makes before it looks at the handle.
    pub fn check_advise_gpa_range(
        ranges: &[WHV_MEMORY_RANGE_ENTRY],
        code: WHV_ADVISE_GPA_RANGE_CODE,
        buffer: &[u8],
    ) -> Result<()> {
        crate::state::advise::check(ranges, code, buffer).map(drop)
    }

    /// WHvTranslateGva: walks VP `index`'s page tables for `gva` with
    /// `flags`; returns the result code and, on success, the GPA.
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let (result, gpa) = p.translate_gva(0, 0x40_0000, WHvTranslateGvaFlagValidateRead)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn translate_gva(
        &self,
        index: u32,
        gva: u64,
        flags: WHV_TRANSLATE_GVA_FLAGS,
    ) -> Result<(WHV_TRANSLATE_GVA_RESULT, u64)> {
        let flags = args::translate_flags(flags)?;
        let vp = self.vp(index)?;
        let (regs, sregs) = vp.paging_registers()?;
        let map = read(&self.memory);
        match crate::translate::translate(&map, &regs, &sregs, vp.paging, gva, flags) {
            Ok(t) => Ok((
                WHV_TRANSLATE_GVA_RESULT {
                    ResultCode: WHvTranslateGvaResultSuccess,
                    Reserved: 0,
                },
                t.gpa,
            )),
            Err(winhv_paging::TranslateError::Fault(f)) => Ok((
                WHV_TRANSLATE_GVA_RESULT {
                    ResultCode: WHV_TRANSLATE_GVA_RESULT_CODE(f.code() as i32),
                    Reserved: 0,
                },
                0,
            )),
            Err(winhv_paging::TranslateError::Contended) => Err(Error::new(
                E_FAIL,
                "the guest kept changing its page tables during the walk",
            )),
        }
    }
}

/// What the partition's other state modules (`state/snapshot`) reach.
impl Partition {
    /// Runs `f` with every live VP held (none may be running:
    /// `WHV_E_INVALID_VP_STATE`) and VP creation locked out.
    pub(crate) fn with_held_vps<T>(
        &self,
        f: impl FnOnce(&VmFd, &mut [(u32, HeldVp<'_>)]) -> Result<T>,
    ) -> Result<T> {
        let vm = self.vm()?;
        let _vps = lock(&self.vp_change);
        let mut held = vm.hold_vps()?;
        held.retain(|(index, _)| vm.is_live(*index));
        f(&vm.fd, &mut held)
    }

    /// Property `code`'s value for a snapshot (`PartitionProperties::value_to_restore`).
    pub(crate) fn property_to_restore(
        &self,
        code: WHV_PARTITION_PROPERTY_CODE,
    ) -> Result<Option<Vec<u8>>> {
        read(&self.props).value_to_restore(code)
    }

    /// Runs `f` over the mapped ranges (first GPA, size, flags, host
    /// address), the map locked against changes.
    pub(crate) fn with_memory<T>(
        &self,
        f: impl FnOnce(&mut dyn Iterator<Item = (u64, u64, u32, u64)>) -> T,
    ) -> T {
        let map = read(&self.memory);
        f(&mut map.ranges())
    }

    /// Maps memory the partition then owns at `gpa`.
    pub(crate) fn map_owned(
        &self,
        memory: crate::memory::OwnedMapping,
        gpa: u64,
        size: u64,
        flags: u32,
    ) -> Result<()> {
        let vm = self.vm()?;
        write(&self.memory).map_owned(&vm.fd, memory, gpa, size, flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of guest memory for the test, freed after the partition.
    struct Page(*mut u8);

    const PAGE: std::alloc::Layout = match std::alloc::Layout::from_size_align(0x1000, 0x1000) {
        Ok(l) => l,
        Err(_) => panic!("a valid layout"),
    };

    impl Drop for Page {
        fn drop(&mut self) {
            // SAFETY: allocated in `run_into_matches_run` with `PAGE`.
            unsafe { std::alloc::dealloc(self.0, PAGE) };
        }
    }

    fn context_bytes(c: &WHV_RUN_VP_EXIT_CONTEXT) -> Vec<u8> {
        // SAFETY: a C struct read as its bytes; every one was written
        // (contexts start from `Default`, zeroed, and are copied whole).
        unsafe {
            std::slice::from_raw_parts(
                (c as *const WHV_RUN_VP_EXIT_CONTEXT).cast::<u8>(),
                size_of::<WHV_RUN_VP_EXIT_CONTEXT>(),
            )
        }
        .to_vec()
    }

    /// Where the kernel offers manual dirty-log clearing, setup turns it on
    /// (dirty-page queries then clear only what they report).
    #[test]
    fn setup_turns_on_manual_dirty_log_clearing_where_offered() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let offered = kvm()
            .unwrap()
            .check_extension_raw(u64::from(kvm_bindings::KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2))
            > 0;
        let p = Partition::create().unwrap();
        p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
            .unwrap();
        assert!(!read(&p.memory).manual_clear(), "not before setup");
        p.setup().unwrap();
        assert_eq!(read(&p.memory).manual_clear(), offered);
        if !offered {
            println!("SKIPPED: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 not offered here");
        }
    }

    /// `run_vp_into` fills the caller's context exactly as `run_vp` returns
    /// it, leaves it untouched on an error, and VP lookups follow create
    /// and delete (the slot table).
    #[test]
    fn run_into_matches_run_and_lookups_follow_create_and_delete() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        // SAFETY: a non-zero size.
        let page = Page(unsafe { std::alloc::alloc_zeroed(PAGE) });
        assert!(!page.0.is_null());
        // `out 0x10, al` at the reset vector (linear 0xffff_fff0).
        // SAFETY: the whole page, allocated above and not yet shared.
        let bytes = unsafe { std::slice::from_raw_parts_mut(page.0, 0x1000) };
        bytes[0xff0..0xff2].copy_from_slice(&[0xe6, 0x10]);
        let p = Partition::create().unwrap();
        p.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())
            .unwrap();
        p.setup().unwrap();
        let rx = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute;
        // SAFETY: `page` is dropped after `p` (declared before it).
        unsafe { p.map_gpa_range(page.0.cast(), 0xffff_f000, 0x1000, rx) }.unwrap();

        let mut into = WHV_RUN_VP_EXIT_CONTEXT::default();
        into.VpContext.Rip = 0x5a5a;
        let e = p.run_vp_into(1, &mut into).unwrap_err();
        assert_eq!(e.hresult, WHV_E_VP_DOES_NOT_EXIST);
        assert_eq!(into.VpContext.Rip, 0x5a5a, "untouched on an error");
        let e = p.run_vp_into(2, &mut into).unwrap_err();
        assert_eq!(e.hresult, WHV_E_VP_DOES_NOT_EXIST, "beyond the slots");

        p.create_vp(1).unwrap();
        p.run_vp_into(1, &mut into).unwrap();
        assert_eq!(into.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
        assert_eq!(into.VpContext.Rip, 0xfff0);
        let by_value = p.run_vp(1).unwrap();
        assert_eq!(
            context_bytes(&into),
            context_bytes(&by_value),
            "the same exit, the same bytes"
        );

        p.delete_vp(1).unwrap();
        assert_eq!(
            p.run_vp(1).err().map(|e| e.hresult),
            Some(WHV_E_VP_DOES_NOT_EXIST)
        );
        assert_eq!(p.delete_vp(1).unwrap_err().hresult, WHV_E_VP_DOES_NOT_EXIST);
        p.create_vp(1).unwrap();
        assert_eq!(p.create_vp(1).unwrap_err().hresult, WHV_E_VP_ALREADY_EXISTS);
        assert_eq!(p.create_vp(2).unwrap_err().hresult, E_INVALIDARG);
        let mut rip = [WHV_REGISTER_VALUE::default()];
        p.get_vp_registers(1, &[WHvX64RegisterRip], &mut rip)
            .unwrap();
        // SAFETY: RIP is a 64-bit register.
        assert_eq!(unsafe { rip[0].Reg64 }, 0xfff0, "re-created at power-on");
    }

    /// A deleted VP's vCPU, which KVM keeps, no longer takes interrupts:
    /// an MSI to its APIC ID is accepted by no APIC (KVM_SIGNAL_MSI's
    /// count), until the index is created again.
    #[test]
    fn a_deleted_vp_takes_no_interrupts() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let p = Partition::create().unwrap();
        p.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())
            .unwrap();
        let mode = WHvX64LocalApicEmulationModeXApic;
        if let Err(e) = p.set_property(
            WHvPartitionPropertyCodeLocalApicEmulationMode,
            &mode.0.to_le_bytes(),
        ) {
            println!("SKIPPED: LocalApicEmulationMode XApic refused here: {e}");
            return;
        }
        p.setup().unwrap();
        p.create_vp(0).unwrap();
        p.create_vp(1).unwrap();
        let accepted = || {
            // An NMI: a software-disabled APIC (the reset state) takes one.
            let msi = kvm_bindings::kvm_msi {
                address_lo: 0xfee0_1000,
                data: 4 << 8,
                ..Default::default()
            };
            p.vm().unwrap().fd.signal_msi(msi).unwrap()
        };
        assert_eq!(accepted(), 1, "VP 1 takes it");
        p.delete_vp(1).unwrap();
        assert_eq!(accepted(), 0, "nobody once VP 1 is deleted");
        p.create_vp(1).unwrap();
        assert_eq!(accepted(), 1, "the new VP 1 takes it");
    }
}
