//! The raw-KVM side of every pair: what a user writing straight to
//! kvm-ioctls would write, as lean as it can be — one VM, one vCPU, the
//! image in slot 0, the host's supported CPUID fetched once, registers
//! loaded with KVM_SET_REGS/SREGS.

use kvm_bindings::{CpuId, KVM_MAX_CPUID_ENTRIES, kvm_userspace_memory_region};
use kvm_ioctls::{Kvm, VcpuFd, VmFd};
use winhv_guest::Registers;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;

/// `/dev/kvm` with the supported CPUID, fetched once (a lean VMM caches it).
pub struct RawKvm {
    /// The open `/dev/kvm`.
    pub kvm: Kvm,
    /// `KVM_GET_SUPPORTED_CPUID`.
    pub cpuid: CpuId,
}

impl RawKvm {
    /// Opens `/dev/kvm` and reads the supported CPUID.
    pub fn open() -> Result<Self> {
        let kvm = Kvm::new()?;
        let cpuid = kvm.get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)?;
        Ok(Self { kvm, cpuid })
    }

    /// A VM with `memory` at GPA `base` (slot 0) and one vCPU in state
    /// `registers`.
    pub fn vm(&self, memory: HostMemory, base: u64, registers: &Registers) -> Result<RawVm> {
        self.vm_with(memory, base, registers, |_| Ok(()))
    }

    /// As [`Self::vm`], with `before_vcpu` run on the VM before its vCPU
    /// exists (an irqchip, routes).
    pub fn vm_with(
        &self,
        memory: HostMemory,
        base: u64,
        registers: &Registers,
        before_vcpu: impl FnOnce(&VmFd) -> Result<()>,
    ) -> Result<RawVm> {
        let vm = self.kvm.create_vm()?;
        before_vcpu(&vm)?;
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: base,
            memory_size: memory.len() as u64,
            userspace_addr: memory.addr(),
        };
        // SAFETY: the region is backed by `memory`, which the returned
        // `RawVm` owns and drops after the VM (field order).
        unsafe { vm.set_user_memory_region(region) }?;
        let vcpu = vm.create_vcpu(0)?;
        vcpu.set_cpuid2(&self.cpuid)?;
        load(&vcpu, registers)?;
        Ok(RawVm { vcpu, vm, memory })
    }
}

/// A raw KVM VM with one vCPU; fields drop in order, memory last.
///
/// The fields are private for the reason given on
/// [`WhpVm`](crate::whp::WhpVm): a closure must capture the whole VM.
pub struct RawVm {
    vcpu: VcpuFd,
    vm: VmFd,
    #[allow(dead_code, reason = "kept alive for the guest, never read")]
    memory: HostMemory,
}

impl RawVm {
    /// vCPU 0.
    pub fn vcpu(&mut self) -> &mut VcpuFd {
        &mut self.vcpu
    }

    /// The VM (for VM ioctls such as `KVM_SIGNAL_MSI`, and more memory slots).
    pub fn vm(&self) -> &VmFd {
        &self.vm
    }
}

/// Loads `r` into `vcpu` with KVM_SET_REGS, KVM_GET_SREGS and KVM_SET_SREGS.
pub fn load(vcpu: &VcpuFd, r: &Registers) -> Result<()> {
    vcpu.set_regs(&winhv_guest::kvm::regs(r))?;
    let mut sregs = vcpu.get_sregs()?;
    winhv_guest::kvm::apply_sregs(r, &mut sregs);
    vcpu.set_sregs(&sregs)?;
    Ok(())
}

/// An unexpected exit, described.
pub fn unexpected(what: &str, exit: &kvm_ioctls::VcpuExit<'_>) -> Error {
    Error::new(format!("raw KVM: expected {what}, got {exit:?}"))
}
