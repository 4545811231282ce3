//! A raw-KVM harness for the measurements in `differential_kvm.rs`: one VM,
//! one vCPU, the image in one slot, a winhv-guest [`Registers`] loaded, and
//! exits copied out with the read data supplied by the caller.

use kvm_bindings::{KVM_MAX_CPUID_ENTRIES, kvm_regs, kvm_segment, kvm_userspace_memory_region};
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use winhv_guest::{GuestMemory, Registers, Segment};

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

fn segment(s: &Segment) -> kvm_segment {
    let a = s.attributes;
    kvm_segment {
        base: s.base,
        limit: s.limit,
        selector: s.selector,
        type_: (a & 0xf) as u8,
        s: ((a >> 4) & 1) as u8,
        dpl: ((a >> 5) & 3) as u8,
        present: ((a >> 7) & 1) as u8,
        avl: ((a >> 12) & 1) as u8,
        l: ((a >> 13) & 1) as u8,
        db: ((a >> 14) & 1) as u8,
        g: ((a >> 15) & 1) as u8,
        unusable: u8::from((a >> 7) & 1 == 0),
        padding: 0,
    }
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
        vcpu.set_regs(&regs).expect("KVM_SET_REGS");
        let mut s = vcpu.get_sregs().expect("KVM_GET_SREGS");
        s.cs = segment(&r.cs);
        s.ds = segment(&r.ds);
        s.es = segment(&r.es);
        s.fs = segment(&r.fs);
        s.gs = segment(&r.gs);
        s.ss = segment(&r.ss);
        s.tr = segment(&r.tr);
        s.ldt = segment(&r.ldtr);
        s.gdt.base = r.gdtr.base;
        s.gdt.limit = r.gdtr.limit;
        s.idt.base = r.idtr.base;
        s.idt.limit = r.idtr.limit;
        s.cr0 = r.cr0;
        s.cr2 = r.cr2;
        s.cr3 = r.cr3;
        s.cr4 = r.cr4;
        s.efer = r.efer;
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
