//! [`PciHost`]: a `winhv_pci::PciSegment` shown to a partition's guest
//! through the device router — its ECAM window and (optionally) the legacy
//! ports 0xCF8 and 0xCFC–0xCFF claimed for config access, and each BAR that
//! decodes claimed for its function. A config write that moves a BAR or
//! toggles decoding re-claims the BARs in one router step
//! ([`DeviceRouter::replace`]), so no VP ever sees a BAR half-moved.
//!
//! Our choices: a BAR that overlaps another claim (the ECAM window, a
//! second BAR the guest put on top of it, a range the VMM claimed) does
//! not decode, like a conflicting BAR on real hardware; only the dword
//! port 0xCF8 is claimed (byte accesses at 0xCF9, the reset control
//! register of many chipsets, stay the VMM's exits); 8-byte ECAM accesses
//! read all-ones and write nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use winhv_defs::{E_INVALIDARG, E_OUTOFMEMORY};
use winhv_pci::{
    Bdf, CONFIG_ADDRESS_PORT, CONFIG_DATA_PORT, PciFunction, PciSegment, Region, RegionKind,
    SegmentError,
};

use super::DeviceHandler;
use super::router::{ClaimId, DeviceRouter, Space};
use crate::error::{Error, Result};

/// What [`PciHost::set_observer`] calls with the decoding regions.
pub type RegionObserver = Arc<dyn Fn(&[Region]) + Send + Sync>;

/// A PCI segment behind a partition's router.
pub struct PciHost {
    segment: Mutex<PciSegment>,
    router: Weak<DeviceRouter>,
    /// The config-access claims (ECAM, ports).
    fixed: Mutex<Vec<ClaimId>>,
    /// The claims of the BARs that decode.
    bars: Mutex<Vec<ClaimId>>,
    /// Set by [`PciHost::detach`]: nothing is claimed again.
    detached: AtomicBool,
    /// Told the decoding regions after each change ([`PciHost::set_observer`]).
    observer: Mutex<Option<RegionObserver>>,
}

impl std::fmt::Debug for PciHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PciHost")
            .field("segment", &*self.segment())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl PciHost {
    /// Puts `segment` behind `router`: claims its ECAM window and, with
    /// `legacy_ports`, 0xCF8 and 0xCFC–0xCFF. `E_INVALIDARG` when one of
    /// them is claimed already.
    pub(crate) fn attach(
        router: &Arc<DeviceRouter>,
        segment: PciSegment,
        legacy_ports: bool,
    ) -> Result<Arc<PciHost>> {
        let ecam = segment.ecam();
        let host = Arc::new(PciHost {
            segment: Mutex::new(segment),
            router: Arc::downgrade(router),
            fixed: Mutex::new(Vec::new()),
            bars: Mutex::new(Vec::new()),
            detached: AtomicBool::new(false),
            observer: Mutex::new(None),
        });
        let mut claims = Vec::new();
        if let Some(e) = ecam {
            claims.push((Space::Mmio, e.base, e.size(), Config::Ecam(e.base)));
        }
        if legacy_ports {
            claims.push((
                Space::Port,
                u64::from(CONFIG_ADDRESS_PORT),
                4,
                Config::Ports(CONFIG_ADDRESS_PORT),
            ));
            claims.push((
                Space::Port,
                u64::from(CONFIG_DATA_PORT),
                4,
                Config::Ports(CONFIG_DATA_PORT),
            ));
        }
        let mut fixed = Vec::new();
        for (space, base, len, kind) in claims {
            let handler = Arc::new(ConfigHandler {
                host: Arc::downgrade(&host),
                kind,
            });
            match router.claim(space, base, len, handler) {
                Ok(id) => fixed.push(id),
                Err(e) => {
                    router.replace(&fixed, Vec::new());
                    return Err(e);
                }
            }
        }
        *lock(&host.fixed) = fixed;
        host.sync();
        Ok(host)
    }

    /// The segment, locked. Changes made through it that move BARs or
    /// toggle decoding take effect at [`PciHost::sync`].
    pub fn segment(&self) -> MutexGuard<'_, PciSegment> {
        lock(&self.segment)
    }

    /// Plugs `function` as device `device` (`None`: the lowest free one).
    /// `E_INVALIDARG` for a taken or invalid device number,
    /// `E_OUTOFMEMORY` when bus 0 or the BAR windows are full.
    pub fn add(&self, device: Option<u8>, function: Arc<dyn PciFunction>) -> Result<Bdf> {
        let r = self.segment().add(device, function);
        r.map_err(|e| {
            let code = match e {
                SegmentError::SlotTaken(_) => E_INVALIDARG,
                SegmentError::Full | SegmentError::NoRoom(_) => E_OUTOFMEMORY,
            };
            Error::with(code, e.to_string())
        })
    }

    /// Unplugs the function at `bdf`; its BARs stop decoding.
    pub fn remove(&self, bdf: Bdf) -> bool {
        let removed = self.segment().remove(bdf);
        self.sync();
        removed
    }

    /// Releases every claim of this host: the segment disappears from the
    /// guest's view.
    pub fn detach(&self) {
        let Some(router) = self.router.upgrade() else {
            return;
        };
        let mut fixed = lock(&self.fixed);
        let mut bars = lock(&self.bars);
        self.detached.store(true, Ordering::Release);
        let old: Vec<ClaimId> = fixed.drain(..).chain(bars.drain(..)).collect();
        router.replace(&old, Vec::new());
        drop((fixed, bars));
        self.notify(&[]);
    }

    /// Claims the BARs that decode now (and releases those that no longer
    /// do), in one router step.
    pub fn sync(&self) {
        let Some(router) = self.router.upgrade() else {
            return;
        };
        let mut bars = lock(&self.bars);
        if self.detached.load(Ordering::Acquire) {
            return;
        }
        let regions = self.segment().regions();
        let new = regions
            .iter()
            .cloned()
            .map(|r| {
                let space = match r.kind {
                    RegionKind::Memory => Space::Mmio,
                    RegionKind::Io => Space::Port,
                };
                let handler: Arc<dyn DeviceHandler> = Arc::new(BarHandler {
                    function: r.function,
                    bar: r.bar,
                });
                (space, r.base, r.size, handler)
            })
            .collect();
        let ids = router.replace(&bars, new);
        *bars = ids.into_iter().flatten().collect();
        drop(bars);
        self.notify(&regions);
    }

    /// Calls `observer` with the decoding regions after every change (a
    /// BAR moved, decoding toggled, a function plugged or unplugged,
    /// detach: none), with no lock of this host's held: the device host
    /// keeps its section-backed pages at their BARs this way. Replaces
    /// any observer set before.
    pub fn set_observer(&self, observer: RegionObserver) {
        *lock(&self.observer) = Some(observer);
    }

    fn notify(&self, regions: &[Region]) {
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o(regions);
        }
    }
}

/// Which config mechanism a [`ConfigHandler`] serves.
#[derive(Debug, Clone, Copy)]
enum Config {
    /// The ECAM window at this base.
    Ecam(u64),
    /// The ports from this one.
    Ports(u16),
}

/// Config access (ECAM or ports) to the segment.
struct ConfigHandler {
    host: Weak<PciHost>,
    kind: Config,
}

impl DeviceHandler for ConfigHandler {
    fn read(&self, offset: u64, data: &mut [u8]) {
        let Some(host) = self.host.upgrade() else {
            data.fill(0xff);
            return;
        };
        let size = data.len() as u8;
        let segment = host.segment();
        let v = match self.kind {
            Config::Ecam(base) if size <= 4 => segment.ecam_read(base + offset, size),
            Config::Ecam(_) => None,
            Config::Ports(port) => Some(segment.io_read(port + offset as u16, size)),
        }
        .unwrap_or(u32::MAX);
        drop(segment);
        let bytes = v.to_le_bytes();
        for (i, b) in data.iter_mut().enumerate() {
            *b = bytes.get(i).copied().unwrap_or(0xff);
        }
    }

    fn write(&self, offset: u64, data: &[u8]) {
        let Some(host) = self.host.upgrade() else {
            return;
        };
        let size = data.len() as u8;
        if size > 4 {
            return;
        }
        let mut v = [0u8; 4];
        v[..data.len()].copy_from_slice(data);
        let value = u32::from_le_bytes(v);
        let mut segment = host.segment();
        let changed = match self.kind {
            Config::Ecam(base) => segment
                .ecam_write(base + offset, size, value)
                .unwrap_or(false),
            Config::Ports(port) => segment.io_write(port + offset as u16, size, value),
        };
        drop(segment);
        if changed {
            host.sync();
        }
    }
}

/// One decoding BAR of a function.
struct BarHandler {
    function: Arc<dyn PciFunction>,
    bar: u8,
}

impl DeviceHandler for BarHandler {
    fn read(&self, offset: u64, data: &mut [u8]) {
        self.function.bar_read(self.bar, offset, data);
    }

    fn write(&self, offset: u64, data: &[u8]) {
        self.function.bar_write(self.bar, offset, data);
    }
}
