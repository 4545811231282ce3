//! Save + restore of a 1 GiB guest: `Partition::save_state` then
//! `Partition::restore_state` (a new partition with its own memfd-backed
//! copy of the memory, its VP in the saved state), against what a raw KVM
//! VMM does for the same: read the vCPU's state (regs, sregs, XSAVE, the
//! LAPIC-less events), copy the memory out, create a VM and vCPU, copy the
//! memory into a new memfd, make it the slot and set the vCPU's state.
//! Both copy the 1 GiB twice: the figure is memory bandwidth plus what
//! each adds; every page of the source is populated first.

use std::time::Instant;

use kvm_bindings::kvm_userspace_memory_region;
use winhv::Partition;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;
use crate::pair::Pair;
use crate::raw::RawKvm;
use crate::whp::{self, rwx};

const LEN: usize = 1 << 30;

/// Every page written once, so that the copies read real memory.
fn populated() -> Result<HostMemory> {
    let mut m = HostMemory::new(LEN)?;
    for page in m.bytes_mut().chunks_mut(4096) {
        page[0] = 1;
    }
    Ok(m)
}

/// `len` bytes of a new memfd, mapped shared (unmapped on drop).
fn memfd(len: usize) -> Result<HostMemory> {
    // SAFETY: a plain system call on a C string literal.
    let fd = unsafe { libc::memfd_create(c"bench".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(Error::new(format!(
            "memfd_create: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: our fresh fd.
    let sized = unsafe { libc::ftruncate(fd, len as i64) } == 0;
    let m = sized.then(|| HostMemory::shared(fd, len));
    // SAFETY: our fd, not used again (the mapping keeps the memory).
    unsafe { libc::close(fd) };
    m.ok_or_else(|| Error::new(String::from("ftruncate of the memfd failed")))?
}

/// Save + restore of a 1 GiB partition with one VP.
pub fn save_restore_1g() -> Result<Pair> {
    let whp_memory = populated()?;
    let partition = whp::partition(true)?;
    // SAFETY: `whp_memory` moves into the closure with the partition and
    // is dropped after it (tuple order).
    unsafe { partition.map_gpa_range(whp_memory.as_ptr(), 0, LEN as u64, rwx()) }?;
    let w = (partition, whp_memory);
    let kvm = RawKvm::open()?;
    let raw_vm = kvm.kvm.create_vm()?;
    let raw_memory = populated()?;
    let region = |slot_memory: &HostMemory| kvm_userspace_memory_region {
        slot: 0,
        flags: 0,
        guest_phys_addr: 0,
        memory_size: LEN as u64,
        userspace_addr: slot_memory.addr(),
    };
    // SAFETY: `raw_memory` lives in the closure with the VM, dropped after it.
    unsafe { raw_vm.set_user_memory_region(region(&raw_memory)) }?;
    let raw_vcpu = raw_vm.create_vcpu(0)?;
    raw_vcpu.set_cpuid2(&kvm.cpuid)?;
    let r = (raw_vcpu, raw_vm, raw_memory, kvm);
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let (p, _) = &w;
            let start = Instant::now();
            for _ in 0..ops {
                let saved = p.save_state()?;
                drop(Partition::restore_state(&saved)?);
            }
            Ok(start.elapsed())
        }),
        kvm: Box::new(move |ops| {
            let (vcpu, _, memory, kvm) = &r;
            let start = Instant::now();
            for _ in 0..ops {
                let regs = vcpu.get_regs()?;
                let sregs = vcpu.get_sregs()?;
                let xsave = vcpu.get_xsave()?;
                let events = vcpu.get_vcpu_events()?;
                let copy = memory.bytes().to_vec();
                let vm = kvm.kvm.create_vm()?;
                let mut target = memfd(LEN)?;
                target.bytes_mut().copy_from_slice(&copy);
                drop(copy);
                // SAFETY: `target` outlives the VM (dropped after it below).
                unsafe { vm.set_user_memory_region(region(&target)) }?;
                let v = vm.create_vcpu(0)?;
                v.set_cpuid2(&kvm.cpuid)?;
                v.set_regs(&regs)?;
                v.set_sregs(&sregs)?;
                // SAFETY: no dynamic XSAVE features are enabled here, so
                // KVM_SET_XSAVE reads only the 4096 bytes of `kvm_xsave`.
                unsafe { v.set_xsave(&xsave) }?;
                v.set_vcpu_events(&events)?;
                drop((v, vm, target));
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 1,
        note: "1 GiB populated, 1 VP; raw: vCPU state ioctls + copy out, new VM + vCPU + memfd copy in + set state".into(),
    })
}
