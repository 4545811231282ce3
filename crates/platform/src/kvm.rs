//! The process-wide `/dev/kvm` handle and what this kernel's KVM can do.
//!
//! Opened once per process ([`OnceLock`]); every partition creates its VM
//! through it. At the same time the platform measures, once, the facts that
//! decide how exits are translated (DESIGN.md, "Exit semantics"): whether a
//! port `out` and an MMIO store exit with the instruction already retired,
//! what a guest touch of inaccessible (`PROT_NONE`) host memory produces, and
//! whether `KVM_SET_GUEST_DEBUG` software breakpoints really exit (they do not
//! on PVM), whether the TSC offset attribute really moves the guest's TSC
//! (not on PVM). The answers are cached in [`KvmCaps`].

use std::sync::OnceLock;

use kvm_bindings::{
    KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_USE_SW_BP, KVM_SYNC_X86_EVENTS, KVM_SYNC_X86_REGS,
    KVM_SYNC_X86_SREGS, kvm_guest_debug, kvm_userspace_memory_region,
};
use kvm_ioctls::{Cap, Kvm, VcpuExit, VcpuFd, VmFd};

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;

/// What `/dev/kvm` on this machine offers, queried and measured once per
/// process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvmCaps {
    /// `KVM_CAP_SYNC_REGS` covers regs, sregs and events: the exit path reads
    /// and writes them in `kvm_run` without ioctls.
    pub sync_regs: bool,
    /// `KVM_CAP_X86_USER_SPACE_MSR`: RDMSR/WRMSR can exit to user space.
    pub user_space_msr: bool,
    /// `KVM_CAP_X86_MSR_FILTER`: which MSRs exit can be chosen.
    pub msr_filter: bool,
    /// `KVM_CAP_SPLIT_IRQCHIP`: an in-kernel LAPIC without PIC/IOAPIC.
    pub split_irqchip: bool,
    /// `KVM_CAP_MEMORY_FAULT_INFO`: a failed access to guest memory's host
    /// side is reported as `KVM_EXIT_MEMORY_FAULT` with its GPA.
    pub memory_fault_info: bool,
    /// `KVM_CAP_READONLY_MEM`: read-only slots (MMIO exits on writes).
    pub readonly_mem: bool,
    /// `KVM_CAP_IMMEDIATE_EXIT`: `kvm_run.immediate_exit` is honoured.
    pub immediate_exit: bool,
    /// `KVM_CAP_EXCEPTION_PAYLOAD`: a pending exception carries its payload
    /// (CR2, DR6), which WHvRegisterPendingEvent needs.
    pub exception_payload: bool,
    /// Number of memory slots a VM may have.
    pub nr_memslots: u32,
    /// Largest vCPU count a VM may have.
    pub max_vcpus: u32,
    /// Measured: a port `out` exits with RIP already past the instruction.
    pub pio_out_retired: bool,
    /// Measured: an MMIO store exits with RIP already past the instruction.
    pub mmio_write_retired: bool,
    /// Measured: what a CPL0 guest read of a `PROT_NONE` host page inside a
    /// slot produces. (Whatever it is, the exit path turns it into a
    /// MemoryAccess exit: an MMIO exit as is, `KVM_EXIT_MEMORY_FAULT` by its
    /// GPA, a bare `EFAULT` — what PVM gives for CPL3 code — by decoding the
    /// instruction and walking the guest's page tables.)
    pub inaccessible_memory: InaccessibleMemory,
    /// Measured: `KVM_SET_GUEST_DEBUG` with software breakpoints turns a
    /// guest `int3` into `KVM_EXIT_DEBUG` (false on PVM).
    pub guest_debug_sw_bp: bool,
    /// Measured: the `KVM_VCPU_TSC_OFFSET` attribute moves the guest's TSC
    /// (partition time can be suspended and reset; false on PVM, whose
    /// guests read the host's TSC).
    pub tsc_offset_control: bool,
}

/// What KVM does when the guest touches a slot page whose host memory is
/// inaccessible (reserved with `PROT_NONE`, not yet made accessible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InaccessibleMemory {
    /// An ordinary `KVM_EXIT_MMIO` at that GPA (PVM's emulator does this).
    MmioExit,
    /// `KVM_RUN` fails with `EFAULT` and `KVM_EXIT_MEMORY_FAULT` gives the GPA.
    MemoryFaultExit,
    /// `KVM_RUN` fails with a bare `EFAULT`.
    Efault,
    /// Something else (reported as a failed run).
    Other,
}

struct System {
    kvm: Kvm,
    caps: KvmCaps,
}

static SYSTEM: OnceLock<std::result::Result<System, Error>> = OnceLock::new();

fn system() -> Result<&'static System> {
    SYSTEM.get_or_init(open).as_ref().map_err(Clone::clone)
}

/// The process-wide KVM handle, opened on first use.
pub(crate) fn kvm() -> Result<&'static Kvm> {
    system().map(|s| &s.kvm)
}

/// True when `/dev/kvm` can be opened and has everything this platform needs
/// (WHvGetCapability's `HypervisorPresent`).
///
/// ```
/// if !winhv::hypervisor_present() {
///     println!("no usable /dev/kvm");
/// }
/// ```
pub fn hypervisor_present() -> bool {
    system().is_ok()
}

/// What KVM on this machine can do (queried and measured once), or the error
/// that keeps the platform from using it.
///
/// ```
/// if let Ok(caps) = winhv::kvm_caps() {
///     println!("out exits retired: {}", caps.pio_out_retired);
/// }
/// ```
pub fn kvm_caps() -> Result<&'static KvmCaps> {
    system().map(|s| &s.caps)
}

fn open() -> Result<System> {
    let kvm = Kvm::new().map_err(|e| {
        Error::with(
            winhv_defs::HRESULT_ERROR_NOT_SUPPORTED,
            format!("cannot open /dev/kvm: {e}"),
        )
    })?;
    if kvm.get_api_version() != 12 {
        return Err(Error::new(
            winhv_defs::HRESULT_ERROR_NOT_SUPPORTED,
            "unexpected KVM API version",
        ));
    }
    let sync = kvm.check_extension_int(Cap::SyncRegs) as u32;
    let needed = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
    if sync & needed != needed || !kvm.check_extension(Cap::ImmediateExit) {
        return Err(Error::new(
            winhv_defs::HRESULT_ERROR_NOT_SUPPORTED,
            "KVM lacks KVM_CAP_SYNC_REGS or KVM_CAP_IMMEDIATE_EXIT",
        ));
    }
    let mut caps = KvmCaps {
        sync_regs: true,
        user_space_msr: kvm.check_extension(Cap::X86UserSpaceMsr),
        msr_filter: kvm.check_extension(Cap::X86MsrFilter),
        split_irqchip: kvm.check_extension(Cap::SplitIrqchip),
        memory_fault_info: kvm.check_extension(Cap::MemoryFaultInfo),
        readonly_mem: kvm.check_extension(Cap::ReadonlyMem),
        exception_payload: kvm
            .check_extension_raw(u64::from(kvm_bindings::KVM_CAP_EXCEPTION_PAYLOAD))
            > 0,
        immediate_exit: true,
        nr_memslots: kvm.get_nr_memslots().min(u32::MAX as usize) as u32,
        max_vcpus: kvm.get_max_vcpus().min(u32::MAX as usize) as u32,
        // Conservative answers, replaced by the probe's measurements.
        pio_out_retired: true,
        mmio_write_retired: true,
        inaccessible_memory: InaccessibleMemory::Other,
        guest_debug_sw_bp: false,
        tsc_offset_control: false,
    };
    probe(&kvm, &mut caps)?;
    Ok(System { kvm, caps })
}

/// Guest-physical layout of the probe guest (real mode).
const CODE: u64 = 0x1000;
const MMIO_BASE: u64 = 0x2_0000;
const NOACCESS_BASE: u64 = 0x3_0000;
const BP_HANDLER: u64 = 0x1100;

/// The probe program, at `CODE` in real mode with DS = MMIO_BASE >> 4 and
/// ES = NOACCESS_BASE >> 4.
const PROBE_CODE: &[u8] = &[
    0xb0, 0x5a, // 1000: mov al, 0x5a
    0xe6, 0x10, // 1002: out 0x10, al
    0xa2, 0x00, 0x00, // 1004: mov [0], al   (DS → MMIO)
    0xf4, // 1007: hlt
    0x26, 0xa0, 0x00, 0x00, // 1008: mov al, es:[0]   (ES → PROT_NONE page)
    0xf4, // 100c: hlt
];

fn probe(kvm: &Kvm, caps: &mut KvmCaps) -> Result<()> {
    // Memory first, so that it is dropped after the VM that maps it.
    let ram = HostMemory::new(0x1_0000)?;
    let noaccess = HostMemory::new_inaccessible(0x1000)?;
    let vm = kvm.create_vm()?;
    let code = CODE as usize;
    ram.write(code, PROBE_CODE)?;
    // Interrupt vector 3 → 0000:BP_HANDLER, a `hlt`.
    ram.write(12, &(BP_HANDLER as u32).to_le_bytes())?;
    ram.write(BP_HANDLER as usize, &[0xf4])?;
    ram.write(BP_HANDLER as usize + 0x10, &[0xcc, 0xf4])?;
    add_slot(&vm, 0, 0, &ram)?;
    add_slot(&vm, 1, NOACCESS_BASE, &noaccess)?;

    let mut vcpu = vm.create_vcpu(0)?;
    real_mode(&mut vcpu, CODE)?;

    // out 0x10, al
    match vcpu.run() {
        Ok(VcpuExit::IoOut(0x10, _)) => {}
        other => return Err(probe_failed("out", &other)),
    }
    caps.pio_out_retired = vcpu.get_regs()?.rip == CODE + 4;
    if !caps.pio_out_retired {
        let mut regs = vcpu.get_regs()?;
        regs.rip = CODE + 4;
        vcpu.set_regs(&regs)?;
    }
    // mov [0], al → MMIO write
    match vcpu.run() {
        Ok(VcpuExit::MmioWrite(MMIO_BASE, _)) => {}
        other => return Err(probe_failed("MMIO store", &other)),
    }
    caps.mmio_write_retired = vcpu.get_regs()?.rip == CODE + 7;
    if !caps.mmio_write_retired {
        let mut regs = vcpu.get_regs()?;
        regs.rip = CODE + 7;
        vcpu.set_regs(&regs)?;
    }
    match vcpu.run() {
        Ok(VcpuExit::Hlt) => {}
        other => return Err(probe_failed("hlt", &other)),
    }
    // mov al, es:[0] → the PROT_NONE page.
    let mut regs = vcpu.get_regs()?;
    regs.rip = CODE + 8;
    vcpu.set_regs(&regs)?;
    caps.inaccessible_memory = match vcpu.run() {
        Ok(VcpuExit::MemoryFault { .. }) => InaccessibleMemory::MemoryFaultExit,
        Ok(VcpuExit::MmioRead(NOACCESS_BASE, _)) => InaccessibleMemory::MmioExit,
        Err(e) if e.errno() == libc::EFAULT => InaccessibleMemory::Efault,
        _ => InaccessibleMemory::Other,
    };
    drop(vcpu);

    // int3 with software breakpoints: a fresh vCPU (the last one may be
    // stuck on the fault).
    let mut vcpu = vm.create_vcpu(1)?;
    real_mode(&mut vcpu, BP_HANDLER + 0x10)?;
    let dbg = kvm_guest_debug {
        control: KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP,
        ..Default::default()
    };
    caps.guest_debug_sw_bp = vcpu.set_guest_debug(&dbg).is_ok()
        && matches!(vcpu.run(), Ok(VcpuExit::Debug(d)) if d.exception == 3);
    caps.tsc_offset_control = crate::state::time::probe_offset_control(&vcpu);
    Ok(())
}

fn probe_failed(what: &str, got: &std::result::Result<VcpuExit<'_>, kvm_ioctls::Error>) -> Error {
    Error::with(
        winhv_defs::HRESULT_ERROR_NOT_SUPPORTED,
        format!("KVM start-up probe: {what} gave {got:?}"),
    )
}

fn add_slot(vm: &VmFd, slot: u32, gpa: u64, mem: &HostMemory) -> Result<()> {
    let region = kvm_userspace_memory_region {
        slot,
        guest_phys_addr: gpa,
        memory_size: mem.len() as u64,
        userspace_addr: mem.as_ptr() as u64,
        flags: 0,
    };
    // SAFETY: the region is `mem`'s own mapping, whole; `probe` declares the
    // memory before the VM, so the VM (and its slots) is dropped first.
    unsafe { vm.set_user_memory_region(region) }?;
    Ok(())
}

fn real_mode(vcpu: &mut VcpuFd, rip: u64) -> Result<()> {
    let mut sregs = vcpu.get_sregs()?;
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.ds.base = MMIO_BASE;
    sregs.ds.selector = (MMIO_BASE >> 4) as u16;
    sregs.es.base = NOACCESS_BASE;
    sregs.es.selector = (NOACCESS_BASE >> 4) as u16;
    vcpu.set_sregs(&sregs)?;
    let mut regs = vcpu.get_regs()?;
    regs.rip = rip;
    regs.rflags = 2;
    vcpu.set_regs(&regs)?;
    Ok(())
}
