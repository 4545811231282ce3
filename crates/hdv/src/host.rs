//! [`DeviceHost`]: `HdvInitializeDeviceHost(Ex)`, `HdvCreateDeviceInstance`
//! and `HdvTeardownDeviceHost`. One device host per compute system, made
//! before the system starts (Windows: "after the system is created and
//! before it is started"); its devices live until it is torn down (HDV has
//! no call to destroy one device). Windows' same-thread rule for teardown
//! (a COM apartment's) is not enforced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use winhv::{Error, Result};
use winhv_defs::*;

use crate::device::Device;
use crate::model::DeviceModel;
use crate::system::{ComputeSystem, SystemState};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A compute system's device host.
#[derive(Debug)]
pub struct DeviceHost {
    system: Arc<ComputeSystem>,
    devices: Mutex<Vec<Arc<Device>>>,
    torn_down: AtomicBool,
}

impl DeviceHost {
    /// HdvInitializeDeviceHost(Ex). `flags`: `HdvDeviceHostFlagNone` or
    /// `HdvDeviceHostFlagInitializeComSecurity` (accepted, nothing to do
    /// without COM); other bits `E_INVALIDARG`. A second live host for the
    /// system: `HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)`; a system that
    /// has started: `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)`.
    pub fn initialize(
        system: &Arc<ComputeSystem>,
        flags: HDV_DEVICE_HOST_FLAGS,
    ) -> Result<Arc<DeviceHost>> {
        if flags.0 & !HdvDeviceHostFlagInitializeComSecurity.0 != 0 {
            return Err(Error::with(
                E_INVALIDARG,
                format!("undefined device host flags {:#x}", flags.0),
            ));
        }
        let state = system.state_guard();
        if *state != SystemState::Created {
            return Err(Error::new(
                HRESULT_ERROR_INVALID_STATE,
                "a device host is initialized before the compute system starts",
            ));
        }
        let mut slot = lock(&system.host);
        if slot
            .upgrade()
            .is_some_and(|h| !h.torn_down.load(Ordering::Acquire))
        {
            return Err(Error::new(
                HRESULT_ERROR_ALREADY_EXISTS,
                "the compute system has a device host",
            ));
        }
        let host = Arc::new(DeviceHost {
            system: system.clone(),
            devices: Mutex::new(Vec::new()),
            torn_down: AtomicBool::new(false),
        });
        *slot = Arc::downgrade(&host);
        drop(state);
        Ok(host)
    }

    /// The compute system.
    pub fn system(&self) -> &Arc<ComputeSystem> {
        &self.system
    }

    /// The devices, in creation order.
    pub fn devices(&self) -> Vec<Arc<Device>> {
        lock(&self.devices).clone()
    }

    /// HdvCreateDeviceInstance: registers a device; its callbacks come
    /// when the system starts. `E_INVALIDARG` for a type other than PCI;
    /// `HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)` for a class and instance
    /// already used; `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)` once the
    /// system has started (no hot-plug yet); `E_HANDLE` after teardown.
    pub fn create_device(
        &self,
        kind: HDV_DEVICE_TYPE,
        class_id: GUID,
        instance_id: GUID,
        model: Box<dyn DeviceModel>,
    ) -> Result<Arc<Device>> {
        if kind != HdvDeviceTypePCI {
            return Err(Error::with(
                E_INVALIDARG,
                format!("device type {} is not PCI", kind.0),
            ));
        }
        if self.torn_down.load(Ordering::Acquire) {
            return Err(Error::new(E_HANDLE, "the device host was torn down"));
        }
        let state = self.system.state_guard();
        if *state != SystemState::Created {
            return Err(Error::new(
                HRESULT_ERROR_INVALID_STATE,
                "devices are created before the compute system starts (no hot-plug yet)",
            ));
        }
        let mut devices = lock(&self.devices);
        if devices
            .iter()
            .any(|d| d.class_id() == class_id && d.instance_id() == instance_id)
        {
            return Err(Error::new(
                HRESULT_ERROR_ALREADY_EXISTS,
                "a device with this class and instance exists",
            ));
        }
        let d = Arc::new(Device::new(
            class_id,
            instance_id,
            model,
            self.system.partition().clone(),
        ));
        devices.push(d.clone());
        drop(state);
        Ok(d)
    }

    /// HdvTeardownDeviceHost: every device is stopped (if the system
    /// runs), unplugged and torn down (its Teardown callback, then
    /// nothing); the system may get a new device host only before it
    /// starts. A second teardown does nothing.
    pub fn teardown(&self) {
        if self.torn_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let running = self.system.state() == SystemState::Running;
        let devices = std::mem::take(&mut *lock(&self.devices));
        for d in &devices {
            if running {
                d.call(|m| m.stop());
            }
            self.system.unplug(d);
            d.teardown();
        }
    }

    /// Whether [`DeviceHost::teardown`] has run.
    pub fn is_torn_down(&self) -> bool {
        self.torn_down.load(Ordering::Acquire)
    }
}
