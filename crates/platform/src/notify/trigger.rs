//! Triggers (WHvCreateTrigger, WHvUpdateTriggerParameters,
//! WHvDeleteTrigger): an event whose signal interrupts the guest with no
//! call into winhv and no exit, on KVM's irqfd. Each trigger owns a GSI of
//! the partition's routing table (`interrupts::routes`) that raises the
//! trigger's interrupt as an MSI, and an eventfd bound to that GSI
//! (`KVM_IRQFD`): a write to the eventfd (the Linux `SetEvent`, see
//! [`signal`]) makes KVM deliver the MSI itself, from any thread.
//!
//! What a trigger can raise here: WHvTriggerTypeInterrupt with LAPIC
//! emulation — Fixed, LowestPriority, NMI, INIT and SIPI, the
//! `WHV_INTERRUPT_CONTROL` checked as WHvRequestInterrupt checks it.
//! LocalInt1 has no MSI form (KVM has no LINT1 input), SynicEvent needs
//! the SynIC and DeviceInterrupt a VPCI device, none of which exists here:
//! those answer `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`, as does a
//! partition without LAPIC emulation (irqfd needs KVM's in-kernel APIC).
//!
//! Update re-targets the trigger's route in place (same GSI, same event).
//! Handles are partition-wide numbers, never reissued; a deleted or
//! unknown one answers `E_HANDLE` (Microsoft documents only that the call
//! fails). The event returned is the caller's, as on Windows: deleting the
//! trigger unbinds it, the caller closes it.

#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Mutex;

use kvm_bindings::kvm_msi;
use kvm_ioctls::VmFd;
use vmm_sys_util::eventfd::{EFD_CLOEXEC, EventFd};
use winhv_defs::*;

use crate::interrupts::{GsiRoutes, Kind, Request};
use crate::{Error, Result};

/// A trigger handle (`WHV_TRIGGER_HANDLE`): a number, never a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TriggerHandle(pub u64);

/// The argument checks of WHvCreateTrigger / WHvUpdateTriggerParameters
/// that need no partition: the interrupt it raises.
pub(crate) fn check(p: &WHV_TRIGGER_PARAMETERS) -> Result<Request> {
    if p.Reserved != 0 {
        return Err(Error::new(
            E_INVALIDARG,
            "WHV_TRIGGER_PARAMETERS.Reserved is not zero",
        ));
    }
    match p.TriggerType {
        WHvTriggerTypeInterrupt => {
            // SAFETY: every member of the union is plain data; the type
            // says this one is meant.
            let ic = unsafe { p.Anonymous.Interrupt };
            let req = Request::parse(&ic)?;
            if req.kind == Kind::LocalInt1 {
                return Err(Error::new(
                    HRESULT_ERROR_NOT_SUPPORTED,
                    "a LocalInt1 trigger: KVM has no LINT1 input to bind an event to",
                ));
            }
            Ok(req)
        }
        WHvTriggerTypeSynicEvent => Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "SynicEvent triggers need the SynIC, which this platform does not have yet",
        )),
        WHvTriggerTypeDeviceInterrupt => Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "DeviceInterrupt triggers need VPCI devices, which this platform does not have yet",
        )),
        t => Err(Error::with(
            E_INVALIDARG,
            format!("unknown trigger type {}", t.0),
        )),
    }
}

/// Signals a trigger's event as `SetEvent` does on Windows: adds 1 to the
/// eventfd's counter.
pub fn signal(event: std::os::fd::BorrowedFd<'_>) -> Result<()> {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from a live buffer to an fd the caller lends.
    let n = unsafe { libc::write(event.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    if n == 8 {
        Ok(())
    } else {
        Err(Error::with(
            E_HANDLE,
            format!("signalling the event: {}", std::io::Error::last_os_error()),
        ))
    }
}

struct Trigger {
    gsi: u32,
    event: EventFd,
}

/// The partition's triggers.
#[derive(Default)]
pub(crate) struct Triggers {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    issued: u64,
    live: HashMap<u64, Trigger>,
}

fn bad_handle(h: TriggerHandle) -> Error {
    Error::with(E_HANDLE, format!("no trigger with handle {:#x}", h.0))
}

impl Triggers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A trigger raising `msi`: its handle and the caller's event.
    pub(crate) fn create(
        &self,
        vm: &VmFd,
        routes: &GsiRoutes,
        msi: kvm_msi,
    ) -> Result<(TriggerHandle, OwnedFd)> {
        let event = EventFd::new(EFD_CLOEXEC)
            .map_err(|e| Error::from_errno("eventfd", e.raw_os_error().unwrap_or(0)))?;
        // The caller's copy: it closes it; ours unbinds the irqfd.
        let theirs = event
            .try_clone()
            .map_err(|e| Error::from_errno("eventfd dup", e.raw_os_error().unwrap_or(0)))?;
        let gsi = routes.add(vm, msi)?;
        if let Err(e) = vm.register_irqfd(&event, gsi) {
            let _ = routes.remove(vm, gsi);
            return Err(Error::from_errno("KVM_IRQFD", e.errno()));
        }
        let mut t = self.lock();
        t.issued += 1;
        let handle = TriggerHandle(t.issued);
        t.live.insert(handle.0, Trigger { gsi, event });
        // SAFETY: `theirs` is an fd of its own, handed over whole.
        let fd = unsafe { OwnedFd::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(theirs)) };
        Ok((handle, fd))
    }

    /// Re-targets trigger `h` to `msi`.
    pub(crate) fn update(
        &self,
        vm: &VmFd,
        routes: &GsiRoutes,
        h: TriggerHandle,
        msi: kvm_msi,
    ) -> Result<()> {
        let t = self.lock();
        let trigger = t.live.get(&h.0).ok_or_else(|| bad_handle(h))?;
        routes.set(vm, trigger.gsi, msi)
    }

    /// Deletes trigger `h`: its event interrupts nothing any more.
    pub(crate) fn delete(&self, vm: &VmFd, routes: &GsiRoutes, h: TriggerHandle) -> Result<()> {
        let mut t = self.lock();
        let trigger = t.live.remove(&h.0).ok_or_else(|| bad_handle(h))?;
        vm.unregister_irqfd(&trigger.event, trigger.gsi)
            .map_err(|e| Error::from_errno("KVM_IRQFD (deassign)", e.errno()))?;
        routes.remove(vm, trigger.gsi)
    }
}
