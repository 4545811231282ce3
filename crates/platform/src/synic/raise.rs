//! Raising a SINT's vector on a VP's local APIC from any thread (a post,
//! a signal, the timer thread, an EOM): a fixed, edge-triggered MSI to the
//! VP's APIC ID as created (its index) through `crate::interrupts`, on the
//! SynIC's own duplicate of the VM's file descriptor, counted in the
//! partition's interrupt counter like every request.

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use kvm_ioctls::VmFd;
use winhv_defs::*;

use crate::error::{Error, Result};
use crate::interrupts::Lapics;

/// What raising needs.
#[derive(Debug)]
pub(crate) struct Raiser {
    vm: VmFd,
    counter: Arc<AtomicU64>,
    x2apic_partition: bool,
    x2apic_api: bool,
}

impl Raiser {
    /// A raiser for the VM `vm` (duplicated here) whose register caches
    /// follow `counter`; `None` without LAPIC emulation (`lapic`).
    pub(crate) fn new(
        vm: &VmFd,
        counter: Arc<AtomicU64>,
        lapic: Option<bool>,
        x2apic_api: bool,
    ) -> Result<Option<Self>> {
        let Some(x2apic_partition) = lapic else {
            return Ok(None);
        };
        // SAFETY: dup of a file descriptor this process owns, for as long
        // as `vm` is open.
        let fd = unsafe { libc::fcntl(vm.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        if fd < 0 {
            return Err(Error::from_errno(
                "F_DUPFD_CLOEXEC",
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            ));
        }
        let kvm = match crate::kvm::kvm() {
            Ok(k) => k,
            Err(e) => {
                // SAFETY: `fd` is ours and nothing else owns it yet.
                unsafe { libc::close(fd) };
                return Err(e);
            }
        };
        // SAFETY: `fd` is a fresh duplicate of a KVM VM fd, owned by the
        // VmFd from here on (the call fails, leaving it ours, only before
        // taking it: its vCPU mmap size query comes first).
        let vm = match unsafe { kvm.create_vmfd_from_rawfd(fd) } {
            Ok(vm) => vm,
            Err(e) => {
                // SAFETY: as above, still ours.
                unsafe { libc::close(fd) };
                return Err(Error::from_errno("KVM_GET_VCPU_MMAP_SIZE", e.errno()));
            }
        };
        Ok(Some(Self {
            vm,
            counter,
            x2apic_partition,
            x2apic_api,
        }))
    }

    /// Raises `vector` on VP `vp`.
    pub(crate) fn raise(&self, vp: u32, vector: u8) -> Result<()> {
        let mut ic = WHV_INTERRUPT_CONTROL {
            Destination: vp,
            Vector: u32::from(vector),
            ..Default::default()
        };
        ic.set_type(WHvX64InterruptTypeFixed.0 as u64);
        let request = crate::interrupts::check_request(&ic)?;
        Lapics {
            vm: &self.vm,
            vp: |_| None,
            processor_count: 0,
            x2apic_partition: self.x2apic_partition,
            x2apic_api: self.x2apic_api,
            counter: &self.counter,
        }
        .request(&request)
    }
}
