//! The `Partition` methods of doorbells, triggers and notification ports
//! (WHvRegister/UnregisterPartitionDoorbellEvent, WHvCreate/Update/
//! DeleteTrigger, WHvCreate/SetNotificationPortProperty/
//! DeleteNotificationPort): arguments first (`check_*`, which the C
//! exports call before the handle), then the partition; the work is in
//! `crate::notify`.

use std::os::fd::{BorrowedFd, OwnedFd};

use winhv_defs::*;

use super::{Partition, read};
use crate::error::{Error, Result};
use crate::notify::{NotificationPortHandle, TriggerHandle, doorbell, port, trigger};

impl Partition {
    /// WHvRegisterPartitionDoorbellEvent's argument checks (the match
    /// data's format: `E_INVALIDARG`).
    pub fn check_doorbell(data: &WHV_DOORBELL_MATCH_DATA) -> Result<()> {
        doorbell::check(data).map(drop)
    }

    /// WHvRegisterPartitionDoorbellEvent: a guest write matching `data`
    /// adds 1 to `event` (an eventfd, duplicated: the caller keeps its
    /// own) without an exit. A doorbell that conflicts with one already
    /// registered at the same GPA answers `ERROR_HV_INVALID_PARAMETER`;
    /// an fd that is no eventfd `E_HANDLE` (`notify/doorbell.rs`).
    ///
    /// ```no_run
    /// use std::os::fd::{AsFd, FromRawFd, OwnedFd};
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// // SAFETY: a new eventfd, owned from here on.
    /// let event = unsafe { OwnedFd::from_raw_fd(libc::eventfd(0, libc::EFD_CLOEXEC)) };
    /// let data = WHV_DOORBELL_MATCH_DATA { GuestAddress: 0x1000_0000, ..Default::default() };
    /// p.register_doorbell(&data, event.as_fd())?; // any write there rings it
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn register_doorbell(
        &self,
        data: &WHV_DOORBELL_MATCH_DATA,
        event: BorrowedFd<'_>,
    ) -> Result<()> {
        use std::os::fd::AsRawFd;
        let doorbell = doorbell::check(data)?;
        let vm = self.vm()?;
        let event = doorbell::event_from_handle(i64::from(event.as_raw_fd()))?;
        vm.notify.doorbells.register(&vm.fd, doorbell, event)
    }

    /// WHvUnregisterPartitionDoorbellEvent: removes the doorbell
    /// registered with exactly `data`; `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`
    /// when there is none.
    pub fn unregister_doorbell(&self, data: &WHV_DOORBELL_MATCH_DATA) -> Result<()> {
        let doorbell = doorbell::check(data)?;
        let vm = self.vm()?;
        vm.notify.doorbells.unregister(&vm.fd, &doorbell)
    }

    /// WHvCreateTrigger/WHvUpdateTriggerParameters' argument checks:
    /// `E_INVALIDARG` for a malformed one, `ERROR_NOT_SUPPORTED` for what
    /// this platform cannot raise (`notify/trigger.rs`).
    pub fn check_trigger(parameters: &WHV_TRIGGER_PARAMETERS) -> Result<()> {
        trigger::check(parameters).map(drop)
    }

    /// The MSI the trigger `parameters` describes raises in this partition.
    fn trigger_msi(&self, parameters: &WHV_TRIGGER_PARAMETERS) -> Result<kvm_bindings::kvm_msi> {
        let req = trigger::check(parameters)?;
        let vm = self.vm()?;
        let mode = read(&self.props).local_apic_emulation_mode();
        if mode == WHvX64LocalApicEmulationModeNone {
            return Err(Error::new(
                HRESULT_ERROR_NOT_SUPPORTED,
                "triggers need LAPIC emulation (KVM's irqfd delivers to its in-kernel APIC)",
            ));
        }
        crate::interrupts::trigger_msi(
            &req,
            mode == WHvX64LocalApicEmulationModeX2Apic,
            vm.x2apic_api,
        )
    }

    /// WHvCreateTrigger: a trigger whose event, when signalled (a write of
    /// 1 to the eventfd: [`crate::signal`]), raises the interrupt
    /// `parameters` describes, with no call and no exit. Returns the
    /// trigger's handle and its event, which the caller owns (and closes
    /// after [`Self::delete_trigger`], as on Windows).
    ///
    /// ```no_run
    /// use winhv::defs::*;
    /// # let p = winhv::Partition::create()?;
    /// let mut t = WHV_TRIGGER_PARAMETERS { TriggerType: WHvTriggerTypeInterrupt, ..Default::default() };
    /// t.Anonymous.Interrupt.Vector = 0x40; // Fixed, physical, edge, to APIC 0
    /// let (trigger, event) = p.create_trigger(&t)?;
    /// winhv::signal(std::os::fd::AsFd::as_fd(&event))?; // the guest takes vector 0x40
    /// p.delete_trigger(trigger)?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn create_trigger(
        &self,
        parameters: &WHV_TRIGGER_PARAMETERS,
    ) -> Result<(TriggerHandle, OwnedFd)> {
        let msi = self.trigger_msi(parameters)?;
        let vm = self.vm()?;
        vm.notify.triggers.create(&vm.fd, &vm.routes, msi)
    }

    /// WHvUpdateTriggerParameters: trigger `handle` raises what
    /// `parameters` describes from now on (same event).
    pub fn update_trigger(
        &self,
        handle: TriggerHandle,
        parameters: &WHV_TRIGGER_PARAMETERS,
    ) -> Result<()> {
        let msi = self.trigger_msi(parameters)?;
        let vm = self.vm()?;
        vm.notify.triggers.update(&vm.fd, &vm.routes, handle, msi)
    }

    /// WHvDeleteTrigger: the trigger's event interrupts nothing any more;
    /// a deleted or unknown handle answers `E_HANDLE`.
    pub fn delete_trigger(&self, handle: TriggerHandle) -> Result<()> {
        let vm = self.vm()?;
        vm.notify.triggers.delete(&vm.fd, &vm.routes, handle)
    }

    /// WHvCreateNotificationPort's argument checks (`notify/port.rs`).
    pub fn check_notification_port(parameters: &WHV_NOTIFICATION_PORT_PARAMETERS) -> Result<()> {
        port::check(parameters).map(drop)
    }

    /// WHvCreateNotificationPort: a doorbell port signals `event` as
    /// [`Self::register_doorbell`] does; event ports answer
    /// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` (no SynIC yet).
    pub fn create_notification_port(
        &self,
        parameters: &WHV_NOTIFICATION_PORT_PARAMETERS,
        event: BorrowedFd<'_>,
    ) -> Result<NotificationPortHandle> {
        use std::os::fd::AsRawFd;
        let doorbell = port::check(parameters)?;
        let vm = self.vm()?;
        let event = doorbell::event_from_handle(i64::from(event.as_raw_fd()))?;
        vm.notify.doorbells.register(&vm.fd, doorbell, event)?;
        Ok(vm.notify.ports.insert(doorbell))
    }

    /// WHvSetNotificationPortProperty (`notify/port.rs`).
    pub fn set_notification_port_property(
        &self,
        handle: NotificationPortHandle,
        code: WHV_NOTIFICATION_PORT_PROPERTY_CODE,
        value: u64,
    ) -> Result<()> {
        let vm = self.vm()?;
        vm.notify
            .ports
            .set_property(handle, code, value, vm.vps.len() as u32)
    }

    /// WHvDeleteNotificationPort: the port's event is signalled no more; a
    /// deleted or unknown handle answers `E_HANDLE`.
    pub fn delete_notification_port(&self, handle: NotificationPortHandle) -> Result<()> {
        let vm = self.vm()?;
        let doorbell = vm.notify.ports.remove(handle)?;
        vm.notify.doorbells.unregister(&vm.fd, &doorbell)
    }
}
