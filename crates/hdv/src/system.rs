//! [`ComputeSystem`]: what stands in for `HCS_SYSTEM` — a partition, the
//! PCI segment its guest sees (ECAM, optionally CF8/CFC, BAR windows), the
//! device slots of its configuration (the `FlexibleIov` devices of a
//! Windows VM's configuration: class GUID, instance GUID, configuration
//! strings, plus a device number here), and a run state the VMM drives:
//! [`ComputeSystem::start`] ("the VPs are about to start") and
//! [`ComputeSystem::stop`].
//!
//! Start cold-plugs every device of the system's device host, in creation
//! order: Initialize → SetConfiguration → GetDetails → plugged (BARs
//! placed from the probed values) → Start. A device whose class and
//! instance match no slot gets the lowest free device number and no
//! configuration strings (our choice: Windows would leave it unused).
//! A restart after stop calls Start only.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use winhv::pci::{Ecam, PciSegment, Windows};
use winhv::{Error, Partition, PciHost, Result};
use winhv_defs::*;

use crate::device::Device;
use crate::host::DeviceHost;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One device slot of the configuration.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// The device class (the slot's `EmulatorId`).
    pub class_id: GUID,
    /// The device instance (the slot's key).
    pub instance_id: GUID,
    /// The device number on bus 0 (`None`: the lowest free one).
    pub device: Option<u8>,
    /// The slot's configuration strings, for SetConfiguration.
    pub configuration: Vec<String>,
}

/// A compute system's configuration.
#[derive(Debug, Clone)]
pub struct SystemConfig {
    /// The ECAM window (`None`: config access by CF8/CFC only).
    pub ecam: Option<Ecam>,
    /// Whether config mechanism #1 (0xCF8/0xCFC) is claimed.
    pub legacy_ports: bool,
    /// Where BARs are placed.
    pub windows: Windows,
    /// The device slots.
    pub slots: Vec<Slot>,
}

impl Default for SystemConfig {
    /// ECAM for bus 0 at 0xE0000000, CF8/CFC claimed, 32-bit BARs in
    /// 0xC0000000–0xE0000000, 64-bit BARs from 64 GiB, I/O from 0xC000.
    fn default() -> Self {
        SystemConfig {
            ecam: Some(Ecam {
                base: 0xe000_0000,
                first: 0,
                last: 0,
            }),
            legacy_ports: true,
            windows: Windows {
                mem32: 0xc000_0000..0xe000_0000,
                mem64: 0x10_0000_0000..0x20_0000_0000,
                io: 0xc000..0x1_0000,
            },
            slots: Vec::new(),
        }
    }
}

/// The run state of a compute system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemState {
    /// Made, not started: device hosts and devices may be created.
    Created,
    /// Started: the devices are plugged and started.
    Running,
    /// Stopped after running.
    Stopped,
    /// Closed: nothing more.
    Closed,
}

/// A partition with its PCI segment and device slots.
pub struct ComputeSystem {
    partition: Arc<Partition>,
    pci: Arc<PciHost>,
    slots: Vec<Slot>,
    state: Mutex<SystemState>,
    pub(crate) host: Mutex<Weak<DeviceHost>>,
}

impl std::fmt::Debug for ComputeSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComputeSystem")
            .field("state", &*lock(&self.state))
            .field("slots", &self.slots)
            .finish_non_exhaustive()
    }
}

impl ComputeSystem {
    /// Makes a compute system over `partition`, showing its PCI segment
    /// to the guest at once (the host bridge at 00:00.0). `E_INVALIDARG`
    /// when the segment's config ranges are claimed already.
    pub fn create(partition: Arc<Partition>, config: SystemConfig) -> Result<Arc<ComputeSystem>> {
        let segment = PciSegment::new(config.ecam, config.windows);
        let pci = partition.attach_pci(segment, config.legacy_ports)?;
        let system = Arc::new(ComputeSystem {
            partition,
            pci,
            slots: config.slots,
            state: Mutex::new(SystemState::Created),
            host: Mutex::new(Weak::new()),
        });
        // Section-backed pages follow their BARs.
        let weak = Arc::downgrade(&system);
        system.pci.set_observer(Arc::new(move |regions| {
            if let Some(s) = weak.upgrade() {
                for d in s.devices() {
                    d.relocate(regions);
                }
            }
        }));
        Ok(system)
    }

    /// The partition.
    pub fn partition(&self) -> &Arc<Partition> {
        &self.partition
    }

    /// The PCI segment behind the partition's router.
    pub fn pci(&self) -> &Arc<PciHost> {
        &self.pci
    }

    /// The run state.
    pub fn state(&self) -> SystemState {
        *lock(&self.state)
    }

    pub(crate) fn state_guard(&self) -> MutexGuard<'_, SystemState> {
        lock(&self.state)
    }

    fn devices(&self) -> Vec<Arc<Device>> {
        lock(&self.host)
            .upgrade()
            .map(|h| h.devices())
            .unwrap_or_default()
    }

    fn slot(&self, device: &Device) -> Option<&Slot> {
        self.slots
            .iter()
            .find(|s| s.class_id == device.class_id() && s.instance_id == device.instance_id())
    }

    /// The VPs are about to start: the first time, every device is
    /// plugged (Initialize, SetConfiguration, GetDetails, Start); after a
    /// stop, Start again. A failing callback fails the start with its
    /// HRESULT (devices plugged by this start are unplugged again).
    /// `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)` when running or closed.
    pub fn start(&self) -> Result<()> {
        let mut state = lock(&self.state);
        let devices = self.devices();
        match *state {
            SystemState::Created => {
                let mut plugged = Vec::new();
                for d in &devices {
                    if let Err(e) = self.plug(d) {
                        for p in plugged {
                            self.unplug(p);
                        }
                        return Err(e);
                    }
                    plugged.push(d);
                }
            }
            SystemState::Stopped => {
                for d in &devices {
                    d.lifecycle("Start", |m| m.start())?;
                }
            }
            SystemState::Running | SystemState::Closed => {
                return Err(Error::new(
                    HRESULT_ERROR_INVALID_STATE,
                    "the compute system is running or closed",
                ));
            }
        }
        *state = SystemState::Running;
        Ok(())
    }

    fn plug(&self, d: &Arc<Device>) -> Result<()> {
        d.lifecycle("Initialize", |m| m.initialize())?;
        let slot = self.slot(d);
        let config: Vec<Vec<u16>> = slot
            .map(|s| {
                s.configuration
                    .iter()
                    .map(|c| c.encode_utf16().chain([0]).collect())
                    .collect()
            })
            .unwrap_or_default();
        d.lifecycle("SetConfiguration", |m| m.set_configuration(&config))?;
        d.fetch_details()?;
        let bdf = self.pci.add(slot.and_then(|s| s.device), d.clone())?;
        *d.bdf.lock().unwrap_or_else(|p| p.into_inner()) = Some(bdf);
        if let Err(e) = d.lifecycle("Start", |m| m.start()) {
            self.unplug(d);
            return Err(e);
        }
        Ok(())
    }

    pub(crate) fn unplug(&self, d: &Device) {
        // The guard goes before the removal: the segment's observer reads
        // the device's place.
        let bdf = d.bdf.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(bdf) = bdf {
            self.pci.remove(bdf);
        }
    }

    /// The VPs are about to stop: every device's Stop.
    /// `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)` unless running.
    pub fn stop(&self) -> Result<()> {
        let mut state = lock(&self.state);
        if *state != SystemState::Running {
            return Err(Error::new(
                HRESULT_ERROR_INVALID_STATE,
                "the compute system is not running",
            ));
        }
        for d in self.devices() {
            d.call(|m| m.stop());
        }
        *state = SystemState::Stopped;
        Ok(())
    }

    /// Closes the system: its device host is torn down (Stop if running,
    /// then Teardown), the PCI segment leaves the guest's view.
    pub fn close(&self) {
        let host = lock(&self.host).upgrade();
        if let Some(h) = host {
            h.teardown();
        }
        *lock(&self.state) = SystemState::Closed;
        self.pci.detach();
    }
}
