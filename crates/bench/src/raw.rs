//! The raw-KVM side of every pair: what a user writing straight to
//! kvm-ioctls would write, as lean as it can be — one VM, one vCPU, the
//! image in slot 0, the host's supported CPUID fetched once, registers
//! loaded with KVM_SET_REGS/SREGS.

use kvm_bindings::{
    CpuId, KVM_MAX_CPUID_ENTRIES, kvm_regs, kvm_segment, kvm_userspace_memory_region,
};
use kvm_ioctls::{Kvm, VcpuFd, VmFd};
use winhv_guest::{Registers, Segment};

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
        let vm = self.kvm.create_vm()?;
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
    #[allow(dead_code, reason = "kept alive for the vCPU, never read")]
    vm: VmFd,
    #[allow(dead_code, reason = "kept alive for the guest, never read")]
    memory: HostMemory,
}

impl RawVm {
    /// vCPU 0.
    pub fn vcpu(&mut self) -> &mut VcpuFd {
        &mut self.vcpu
    }
}

/// Loads `r` into `vcpu` with KVM_SET_REGS, KVM_GET_SREGS and KVM_SET_SREGS.
pub fn load(vcpu: &VcpuFd, r: &Registers) -> Result<()> {
    let regs = kvm_regs {
        rax: r.rax,
        rbx: r.rbx,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        rsp: r.rsp,
        rbp: r.rbp,
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rip: r.rip,
        rflags: r.rflags,
    };
    vcpu.set_regs(&regs)?;
    let mut sregs = vcpu.get_sregs()?;
    sregs.cs = segment(&r.cs);
    sregs.ds = segment(&r.ds);
    sregs.es = segment(&r.es);
    sregs.fs = segment(&r.fs);
    sregs.gs = segment(&r.gs);
    sregs.ss = segment(&r.ss);
    sregs.tr = segment(&r.tr);
    sregs.ldt = segment(&r.ldtr);
    sregs.gdt.base = r.gdtr.base;
    sregs.gdt.limit = r.gdtr.limit;
    sregs.idt.base = r.idtr.base;
    sregs.idt.limit = r.idtr.limit;
    sregs.cr0 = r.cr0;
    sregs.cr2 = r.cr2;
    sregs.cr3 = r.cr3;
    sregs.cr4 = r.cr4;
    sregs.efer = r.efer;
    vcpu.set_sregs(&sregs)?;
    Ok(())
}

/// A [`Segment`] (WHP attribute layout) as KVM holds it.
fn segment(s: &Segment) -> kvm_segment {
    kvm_segment {
        base: s.base,
        limit: s.limit,
        selector: s.selector,
        type_: s.segment_type(),
        present: u8::from(s.present()),
        dpl: s.dpl(),
        db: u8::from(s.default_big()),
        s: u8::from(s.is_code_or_data()),
        l: u8::from(s.long()),
        g: u8::from(s.granularity()),
        avl: u8::from(s.avl()),
        unusable: u8::from(!s.present()),
        padding: 0,
    }
}

/// An unexpected exit, described.
pub fn unexpected(what: &str, exit: &kvm_ioctls::VcpuExit<'_>) -> Error {
    Error::new(format!("raw KVM: expected {what}, got {exit:?}"))
}
