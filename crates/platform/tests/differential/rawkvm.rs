//! A raw-KVM harness for the measurements in `differential_kvm.rs`: one VM,
//! one vCPU, the image in one slot, a winhv-guest [`Registers`] loaded, and
//! exits copied out with the read data supplied by the caller.

use kvm_bindings::{KVM_MAX_CPUID_ENTRIES, kvm_regs, kvm_userspace_memory_region};
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use winhv_guest::{GuestMemory, Registers};

/// One exit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code, reason = "fields are read through Debug")]
pub enum RawExit {
    IoIn {
        port: u16,
        size: usize,
        count: usize,
    },
    IoOut {
        port: u16,
        data: Vec<u8>,
    },
    MmioRead {
        gpa: u64,
        size: usize,
    },
    MmioWrite {
        gpa: u64,
        data: Vec<u8>,
    },
    Hlt,
    Other(String),
}

/// A VM running one image.
pub struct RawVm {
    vcpu: VcpuFd,
    _vm: VmFd,
    mem: super::HostMem,
}

impl RawVm {
    /// `None` after the skip line when /dev/kvm is missing.
    pub fn new(image: &GuestMemory, r: &Registers) -> Option<RawVm> {
        if !super::kvm_available() {
            return None;
        }
        let kvm = Kvm::new().expect("open /dev/kvm");
        let vm = kvm.create_vm().expect("KVM_CREATE_VM");
        let mem = super::HostMem::rw(image.size() as usize);
        mem.write(0, image.as_bytes());
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: image.base(),
            memory_size: mem.len as u64,
            userspace_addr: mem.ptr as u64,
        };
        // SAFETY: backed by `mem`, which RawVm drops after the VM.
        unsafe { vm.set_user_memory_region(region) }.expect("KVM_SET_USER_MEMORY_REGION");
        let vcpu = vm.create_vcpu(0).expect("KVM_CREATE_VCPU");
        let cpuid = kvm
            .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
            .expect("cpuid");
        vcpu.set_cpuid2(&cpuid).expect("KVM_SET_CPUID2");
        vcpu.set_regs(&winhv_guest::kvm::regs(r))
            .expect("KVM_SET_REGS");
        let mut s = vcpu.get_sregs().expect("KVM_GET_SREGS");
        winhv_guest::kvm::apply_sregs(r, &mut s);
        vcpu.set_sregs(&s).expect("KVM_SET_SREGS");
        Some(RawVm { vcpu, _vm: vm, mem })
    }

    /// Runs to the next exit; a read gets `data` (zero-padded).
    pub fn run(&mut self, data: &[u8]) -> RawExit {
        let fill = |buf: &mut [u8]| {
            buf.fill(0);
            let n = buf.len().min(data.len());
            buf[..n].copy_from_slice(&data[..n]);
        };
        let exit = match self.vcpu.run() {
            Ok(VcpuExit::IoIn(port, buf)) => {
                fill(buf);
                let n = buf.len();
                (port, n)
            }
            Ok(VcpuExit::IoOut(port, buf)) => {
                return RawExit::IoOut {
                    port,
                    data: buf.to_vec(),
                };
            }
            Ok(VcpuExit::MmioRead(gpa, buf)) => {
                fill(buf);
                return RawExit::MmioRead {
                    gpa,
                    size: buf.len(),
                };
            }
            Ok(VcpuExit::MmioWrite(gpa, buf)) => {
                return RawExit::MmioWrite {
                    gpa,
                    data: buf.to_vec(),
                };
            }
            Ok(VcpuExit::Hlt) => return RawExit::Hlt,
            Ok(other) => return RawExit::Other(format!("{other:?}")),
            Err(e) => return RawExit::Other(format!("{e}")),
        };
        let run = self.vcpu.get_kvm_run();
        // SAFETY: the exit was KVM_EXIT_IO, so `io` is the live member.
        let io = unsafe { run.__bindgen_anon_1.io };
        let _ = exit.1;
        RawExit::IoIn {
            port: exit.0,
            size: usize::from(io.size),
            count: io.count as usize,
        }
    }

    pub fn regs(&self) -> kvm_regs {
        self.vcpu.get_regs().expect("KVM_GET_REGS")
    }

    pub fn set_regs(&self, r: &kvm_regs) {
        self.vcpu.set_regs(r).expect("KVM_SET_REGS")
    }

    pub fn memory(&self, gpa: u64, len: usize) -> &[u8] {
        &self.mem.bytes()[gpa as usize..gpa as usize + len]
    }

    pub fn write(&self, gpa: u64, data: &[u8]) {
        self.mem.write(gpa as usize, data)
    }
}
