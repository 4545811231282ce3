//! Raw-KVM glue for running winhv-guest images in tests (and, later, the
//! raw-KVM side of the benchmarks): one VM, one vCPU, one memory slot
//! holding the image, the image's [`Registers`] loaded through
//! KVM_SET_REGS/SREGS, and exits turned into an owned [`Exit`].

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helper"
)]

use kvm_bindings::{
    KVM_MAX_CPUID_ENTRIES, kvm_regs, kvm_segment, kvm_sregs, kvm_userspace_memory_region,
};
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use winhv_guest::{GuestMemory, Registers, Segment};

/// One VM exit, copied out of `kvm_run`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `out`: port and the bytes written.
    IoOut { port: u16, data: Vec<u8> },
    /// `in`: port and size; the guest gets zeros.
    IoIn { port: u16, size: usize },
    /// A store outside the memory slot.
    MmioWrite { gpa: u64, data: Vec<u8> },
    /// A load outside the memory slot; the guest gets zeros.
    MmioRead { gpa: u64, size: usize },
    /// HLT.
    Hlt,
    /// Triple fault.
    Shutdown,
    /// Anything else, described.
    Other(String),
}

/// KVM, or `None` after printing the one SKIPPED line when /dev/kvm does
/// not exist. A /dev/kvm that exists but cannot be opened is a failure.
pub fn kvm_or_skip() -> Option<Kvm> {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return None;
    }
    Some(Kvm::new().expect("/dev/kvm exists but cannot be opened"))
}

/// Anonymous shared memory backing the slot, unmapped on drop.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> Self {
        // SAFETY: an anonymous private mapping with no address hint touches
        // no existing memory; the result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap of guest memory failed");
        Self {
            ptr: ptr.cast(),
            len,
        }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live mapping of `len` readable bytes owned by
        // self; the guest may write it concurrently only while KVM_RUN is
        // in progress, which needs `&mut Vm`, so not during this borrow.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; the VM that used it
        // is dropped before (field order in `Vm`).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// A VM with one vCPU running one guest image.
pub struct Vm {
    // Field order is drop order: vCPU and VM before the memory they use.
    vcpu: VcpuFd,
    vm: VmFd,
    memory: Mapping,
    base: u64,
}

impl Vm {
    /// Creates the VM, maps `image` at its base GPA, sets the host's
    /// supported CPUID, and loads `registers`. `None` (after printing
    /// `SKIPPED: no /dev/kvm`) when KVM is missing.
    pub fn new(image: &GuestMemory, registers: &Registers) -> Option<Self> {
        let kvm = kvm_or_skip()?;
        let vm = kvm.create_vm().expect("KVM_CREATE_VM");
        let len = (image.size() as usize).next_multiple_of(4096);
        let mut memory = Mapping::new(len);
        memory.bytes_mut()[..image.as_bytes().len()].copy_from_slice(image.as_bytes());
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: image.base(),
            memory_size: len as u64,
            userspace_addr: memory.ptr as u64,
        };
        // SAFETY: the region is backed by `memory`, which outlives the VM
        // (drop order of `Vm`'s fields).
        unsafe { vm.set_user_memory_region(region) }.expect("KVM_SET_USER_MEMORY_REGION");
        let vcpu = vm.create_vcpu(0).expect("KVM_CREATE_VCPU");
        let cpuid = kvm
            .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
            .expect("KVM_GET_SUPPORTED_CPUID");
        vcpu.set_cpuid2(&cpuid).expect("KVM_SET_CPUID2");
        let mut this = Self {
            vcpu,
            vm,
            memory,
            base: image.base(),
        };
        this.load(registers);
        Some(this)
    }

    /// Loads `registers` (GPRs, RIP, RFLAGS, segments, tables, CRs, EFER).
    pub fn load(&mut self, r: &Registers) {
        self.vcpu
            .set_regs(&winhv_guest::kvm::regs(r))
            .expect("KVM_SET_REGS");
        let mut sregs = self.vcpu.get_sregs().expect("KVM_GET_SREGS");
        winhv_guest::kvm::apply_sregs(r, &mut sregs);
        self.vcpu.set_sregs(&sregs).expect("KVM_SET_SREGS");
    }

    /// Runs until the next exit that reaches user space.
    pub fn run(&mut self) -> Exit {
        match self.vcpu.run() {
            Ok(VcpuExit::IoOut(port, data)) => Exit::IoOut {
                port,
                data: data.to_vec(),
            },
            Ok(VcpuExit::IoIn(port, data)) => {
                data.fill(0);
                Exit::IoIn {
                    port,
                    size: data.len(),
                }
            }
            Ok(VcpuExit::MmioWrite(gpa, data)) => Exit::MmioWrite {
                gpa,
                data: data.to_vec(),
            },
            Ok(VcpuExit::MmioRead(gpa, data)) => {
                data.fill(0);
                Exit::MmioRead {
                    gpa,
                    size: data.len(),
                }
            }
            Ok(VcpuExit::Hlt) => Exit::Hlt,
            Ok(VcpuExit::Shutdown) => Exit::Shutdown,
            Ok(VcpuExit::InternalError) => {
                let run = self.vcpu.get_kvm_run();
                // SAFETY: exit_reason is KVM_EXIT_INTERNAL_ERROR, so the
                // `internal` member of the union is the one KVM filled in.
                let suberror = unsafe { run.__bindgen_anon_1.internal.suberror };
                Exit::Other(format!("internal error, suberror {suberror}"))
            }
            Ok(other) => Exit::Other(format!("{other:?}")),
            Err(error) => Exit::Other(format!("KVM_RUN failed: {error}")),
        }
    }

    /// Runs until HLT, shutdown or an unexpected exit, at most `limit`
    /// exits, and returns them all (the last one included).
    pub fn run_to_halt(&mut self, limit: usize) -> Vec<Exit> {
        let mut exits = Vec::new();
        while exits.len() < limit {
            let exit = self.run();
            let last = matches!(exit, Exit::Hlt | Exit::Shutdown | Exit::Other(_));
            exits.push(exit);
            if last {
                break;
            }
        }
        exits
    }

    /// The current GPRs, RIP and RFLAGS.
    pub fn regs(&self) -> kvm_regs {
        self.vcpu.get_regs().expect("KVM_GET_REGS")
    }

    /// The current segments, tables and control registers.
    pub fn sregs(&self) -> kvm_sregs {
        self.vcpu.get_sregs().expect("KVM_GET_SREGS")
    }

    /// The `len` bytes of guest memory at `gpa` (inside the image).
    pub fn memory(&self, gpa: u64, len: usize) -> &[u8] {
        let start = (gpa - self.base) as usize;
        &self.memory.bytes()[start..start + len]
    }

    /// The underlying VM (for tests that need another ioctl).
    pub fn vm(&self) -> &VmFd {
        &self.vm
    }
}

/// A [`Segment`] (WHP attribute layout) as KVM holds it.
pub fn segment(s: &Segment) -> kvm_segment {
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

/// The bytes of every `out` to `port` among `exits`, concatenated.
pub fn port_output(exits: &[Exit], port: u16) -> Vec<u8> {
    exits
        .iter()
        .filter_map(|exit| match exit {
            Exit::IoOut { port: p, data } if *p == port => Some(data.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// An `out` exit value, for building expected exit lists.
pub fn out(port: u16, data: &[u8]) -> Exit {
    Exit::IoOut {
        port,
        data: data.to_vec(),
    }
}
