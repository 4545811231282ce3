//! Partition lifecycle: create, set up, one VP, map 2 MiB, load the entry
//! registers, run to HLT, delete — against KVM_CREATE_VM, a 2 MiB slot,
//! KVM_CREATE_VCPU + KVM_SET_CPUID2 (the supported CPUID fetched once, as a
//! lean VMM caches it), KVM_SET_REGS/SREGS, KVM_RUN, close.

use std::time::Instant;

use kvm_ioctls::VcpuExit;
use winhv::defs::*;
use winhv_guest::Guest;

use crate::error::Result;
use crate::host_memory::{HostMemory, used_prefix};
use crate::pair::Pair;
use crate::raw::{self, RawKvm};
use crate::whp::{self, WhpVm};

const MEMORY: usize = 2 << 20;

/// Both sides, per operation, from nothing to a deleted VM.
pub fn lifecycle() -> Result<Pair> {
    let mut guest = Guest::new(0, MEMORY)?;
    let entry = guest.layout().code;
    guest.assemble_at(64, entry, |a| a.hlt())?;
    let registers = guest.long64(entry)?;
    let image = guest.memory().as_bytes();
    let image = image[..used_prefix(image)].to_vec();
    let kvm = RawKvm::open()?;
    let raw_image = image.clone();
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                let vm = WhpVm::new(HostMemory::with_image(MEMORY, &image)?, 0, &registers)?;
                let exit = vm.partition().run_vp(0)?;
                if exit.ExitReason != WHvRunVpExitReasonX64Halt {
                    return Err(whp::unexpected("a HLT exit", &exit));
                }
                drop(vm);
            }
            Ok(start.elapsed())
        }),
        kvm: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                let mut vm = kvm.vm(HostMemory::with_image(MEMORY, &raw_image)?, 0, &registers)?;
                match vm.vcpu().run()? {
                    VcpuExit::Hlt => {}
                    other => return Err(raw::unexpected("KVM_EXIT_HLT", &other)),
                }
                drop(vm);
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 4,
        note: "long-mode CPL0 guest, 2 MiB RAM, one hlt; mmap/munmap of the RAM on both sides"
            .into(),
    })
}
