//! [`Device`]: one HDV device instance. Toward the guest it is the
//! [`PciFunction`] the partition's PCI segment calls on the VP threads —
//! config dwords and BAR accesses go to its [`DeviceModel`], one call at a
//! time per device (our choice: Windows does not say whether HDV
//! serialises callbacks; device models written for it are safe either
//! way, and serialising spares them races). Toward the device model it
//! offers the services an HDV device calls with its `HDV_DEVICE` as
//! `Requestor`: guest memory, apertures, MSIs, doorbells.
//!
//! A callback that fails (an error HRESULT) or panics reads as all-ones
//! and drops the write, as a PCI function that does not answer; after
//! teardown the device answers nothing and its services `E_HANDLE`.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use winhv::{Error, Partition, Result};
use winhv_defs::*;
use winhv_pci::{BarInfo, Bdf, PciFunction, Region, RegionKind, regs};

use crate::doorbell::{self, Doorbell};
use crate::interrupt::msi_to_interrupt;
use crate::model::DeviceModel;
use crate::section::Section;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What GetDetails said.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Details {
    pub(crate) pnp: HDV_PCI_PNP_ID,
    pub(crate) probed: [u32; 6],
    pub(crate) bars: [Option<BarInfo>; 6],
}

/// One HDV device instance.
pub struct Device {
    class_id: GUID,
    instance_id: GUID,
    model: Box<dyn DeviceModel>,
    partition: Arc<Partition>,
    /// Serialises the model's callbacks.
    calls: Mutex<()>,
    details: Mutex<Option<Details>>,
    doorbells: RwLock<Vec<Doorbell>>,
    /// The addresses HdvCreateGuestMemoryAperture handed out.
    apertures: Mutex<Vec<usize>>,
    /// Section-backed ranges, and where each memory BAR decodes now.
    sections: Mutex<(Vec<Section>, [Option<u64>; 6])>,
    /// Where the device sits once plugged.
    pub(crate) bdf: Mutex<Option<Bdf>>,
    alive: AtomicBool,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("class_id", &self.class_id)
            .field("instance_id", &self.instance_id)
            .field("bdf", &*lock(&self.bdf))
            .finish_non_exhaustive()
    }
}

fn dead() -> Error {
    Error::new(
        E_HANDLE,
        "the device instance was torn down (HdvTeardownDeviceHost)",
    )
}

impl Device {
    pub(crate) fn new(
        class_id: GUID,
        instance_id: GUID,
        model: Box<dyn DeviceModel>,
        partition: Arc<Partition>,
    ) -> Device {
        Device {
            class_id,
            instance_id,
            model,
            partition,
            calls: Mutex::new(()),
            details: Mutex::new(None),
            doorbells: RwLock::new(Vec::new()),
            apertures: Mutex::new(Vec::new()),
            sections: Mutex::new((Vec::new(), [None; 6])),
            bdf: Mutex::new(None),
            alive: AtomicBool::new(true),
        }
    }

    /// The device class ID it was created with.
    pub fn class_id(&self) -> GUID {
        self.class_id
    }

    /// The device instance ID it was created with.
    pub fn instance_id(&self) -> GUID {
        self.instance_id
    }

    /// Where it sits on the segment, once the system has started.
    pub fn bdf(&self) -> Option<Bdf> {
        *lock(&self.bdf)
    }

    /// Calls the model, one call at a time; `None` when the device is
    /// dead or the callback panicked.
    pub(crate) fn call<R>(&self, f: impl FnOnce(&dyn DeviceModel) -> R) -> Option<R> {
        if !self.alive.load(Ordering::Acquire) {
            return None;
        }
        let _one = lock(&self.calls);
        catch_unwind(AssertUnwindSafe(|| f(&*self.model))).ok()
    }

    /// A lifecycle callback's result as a `Result` (a panic is
    /// `E_UNEXPECTED`).
    pub(crate) fn lifecycle(
        &self,
        what: &'static str,
        f: impl FnOnce(&dyn DeviceModel) -> HRESULT,
    ) -> Result<()> {
        match self.call(f) {
            Some(hr) if hr.is_ok() => Ok(()),
            Some(hr) => Err(Error::with(
                hr,
                format!("the device's {what} callback failed"),
            )),
            None => Err(Error::with(
                E_UNEXPECTED,
                format!("the device's {what} callback panicked"),
            )),
        }
    }

    /// GetDetails, remembered for the BARs and the PnP ID.
    pub(crate) fn fetch_details(&self) -> Result<Details> {
        let mut pnp = HDV_PCI_PNP_ID::default();
        let mut probed = [0u32; 6];
        self.lifecycle("GetDetails", |m| m.get_details(&mut pnp, &mut probed))?;
        let details = Details {
            pnp,
            probed,
            bars: BarInfo::decode_probed(&probed),
        };
        *lock(&self.details) = Some(details);
        Ok(details)
    }

    /// Ends the device: Teardown, then nothing more reaches the model;
    /// its sections leave the partition.
    pub(crate) fn teardown(&self) {
        self.call(|m| m.teardown());
        self.alive.store(false, Ordering::Release);
        let mut s = lock(&self.sections);
        for section in &mut s.0 {
            section.place(&self.partition, None);
        }
        s.0.clear();
    }

    /// The decoding regions changed: each section follows its BAR.
    pub(crate) fn relocate(&self, regions: &[Region]) {
        let bdf = self.bdf();
        let mut bases = [None; 6];
        for r in regions {
            if Some(r.bdf) == bdf && r.kind == RegionKind::Memory && usize::from(r.bar) < 6 {
                bases[usize::from(r.bar)] = Some(r.base);
            }
        }
        let mut s = lock(&self.sections);
        s.1 = bases;
        let (sections, bases) = &mut *s;
        for section in sections.iter_mut() {
            let gpa = bases[usize::from(section.bar)].map(|b| b + section.offset);
            section.place(&self.partition, gpa);
        }
    }

    /// Where section-backed pages of `bar` at byte `offset` are mapped in
    /// the partition now (`None`: not mapped, or no such section).
    pub fn section_gpa(&self, bar: u8, offset: u64) -> Option<u64> {
        let s = lock(&self.sections);
        s.0.iter()
            .find(|x| x.bar == bar && x.offset == offset)
            .and_then(Section::at)
    }

    /// HdvCreateSectionBackedMmioRange: pages `offset_pages..` of memory
    /// BAR `bar` backed by `file` from page `file_offset_pages`, mapped
    /// into the partition while the BAR decodes. `E_INVALIDARG` for a BAR
    /// the device lacks (or an I/O BAR), pages outside it, undefined flags,
    /// an overlap with another section or a doorbell (which would never
    /// fire there), or a file that cannot be mapped;
    /// `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)` before GetDetails.
    pub fn create_section(
        &self,
        bar: i32,
        offset_pages: u64,
        len_pages: u64,
        flags: HDV_MMIO_MAPPING_FLAGS,
        file: File,
        file_offset_pages: u64,
    ) -> Result<()> {
        self.check_alive()?;
        let info = self.memory_bar(bar)?;
        let section = Section::new(
            bar as u8,
            info.size,
            offset_pages,
            len_pages,
            flags,
            file,
            file_offset_pages,
        )?;
        let bells = self.doorbells.read().unwrap_or_else(|p| p.into_inner());
        if bells
            .iter()
            .any(|d| section.overlaps(d.bar, d.offset, u64::from(d.size.unwrap_or(1))))
        {
            return Err(Error::new(E_INVALIDARG, "a doorbell lies in the range"));
        }
        drop(bells);
        let mut s = lock(&self.sections);
        if s.0
            .iter()
            .any(|o| o.overlaps(section.bar, section.offset, section.len))
        {
            return Err(Error::new(
                E_INVALIDARG,
                "the range overlaps another section",
            ));
        }
        let mut section = section;
        let gpa = s.1[usize::from(section.bar)].map(|b| b + section.offset);
        section.place(&self.partition, gpa);
        s.0.push(section);
        Ok(())
    }

    /// HdvDestroySectionBackedMmioRange: the section starting at page
    /// `offset_pages` of `bar`; `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)` when
    /// there is none (our choice).
    pub fn destroy_section(&self, bar: i32, offset_pages: u64) -> Result<()> {
        self.check_alive()?;
        let mut s = lock(&self.sections);
        let offset = offset_pages.checked_mul(0x1000);
        let found =
            s.0.iter()
                .position(|x| i32::from(x.bar) == bar && Some(x.offset) == offset);
        let Some(i) = found else {
            return Err(Error::new(
                HRESULT_ERROR_NOT_FOUND,
                "no section starts there",
            ));
        };
        let mut section = s.0.swap_remove(i);
        section.place(&self.partition, None);
        Ok(())
    }

    /// The memory BAR `bar` as GetDetails described it.
    fn memory_bar(&self, bar: i32) -> Result<BarInfo> {
        let details = lock(&self.details).ok_or(Error::new(
            HRESULT_ERROR_INVALID_STATE,
            "BARs are known once GetDetails has described them",
        ))?;
        let index = usize::try_from(bar).ok().filter(|i| *i < 6);
        match index.and_then(|i| details.bars[i]) {
            Some(info) if info.kind.is_memory() => Ok(info),
            _ => Err(Error::with(
                E_INVALIDARG,
                format!("the device has no memory BAR{bar}"),
            )),
        }
    }

    fn check_alive(&self) -> Result<()> {
        if self.alive.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(dead())
        }
    }

    /// HdvReadGuestMemory: a DMA read of guest RAM. The partition's answer
    /// for an unmapped range (WHvReadGpaRange's) is returned as is.
    pub fn read_guest_memory(&self, gpa: u64, buffer: &mut [u8]) -> Result<()> {
        self.check_alive()?;
        self.partition.read_gpa_range(gpa, buffer)
    }

    /// HdvWriteGuestMemory: a DMA write of guest RAM.
    pub fn write_guest_memory(&self, gpa: u64, data: &[u8]) -> Result<()> {
        self.check_alive()?;
        self.partition.write_gpa_range(gpa, data)
    }

    /// HdvCreateGuestMemoryAperture: the host address of guest RAM at
    /// `gpa`, for `len` bytes of zero-copy DMA. As on Windows the whole
    /// pages holding the range must be guest RAM, mapped in one piece
    /// (`WHV_E_GPA_RANGE_NOT_FOUND` otherwise); the address is valid while
    /// the partition keeps that range mapped. `write_protected` is not
    /// enforced: the memory is the VMM's own anonymous mapping, which has
    /// no second, read-only view to hand out (README).
    pub fn create_aperture(&self, gpa: u64, len: u32, write_protected: bool) -> Result<*mut u8> {
        let _ = write_protected;
        self.check_alive()?;
        if len == 0 {
            return Err(Error::new(E_INVALIDARG, "an empty aperture"));
        }
        let first = gpa & !0xfff;
        let end = gpa
            .checked_add(u64::from(len))
            .and_then(|e| e.checked_next_multiple_of(0x1000))
            .ok_or(Error::new(E_INVALIDARG, "the aperture wraps"))?;
        let base = self.partition.host_address(first, end - first)?;
        let at = base.wrapping_add((gpa - first) as usize);
        lock(&self.apertures).push(at as usize);
        Ok(at)
    }

    /// HdvDestroyGuestMemoryAperture: forgets an aperture (nothing was
    /// mapped for it). `E_INVALIDARG` for an address this device did not
    /// hand out (or handed out and destroyed already).
    pub fn destroy_aperture(&self, address: *const u8) -> Result<()> {
        self.check_alive()?;
        let mut all = lock(&self.apertures);
        match all.iter().position(|a| *a == address as usize) {
            Some(i) => {
                all.swap_remove(i);
                Ok(())
            }
            None => Err(Error::new(E_INVALIDARG, "not an aperture of this device")),
        }
    }

    /// HdvDeliverGuestInterrupt: the MSI (`address`, `data`).
    pub fn deliver_guest_interrupt(&self, address: u64, data: u32) -> Result<()> {
        self.check_alive()?;
        let ic = msi_to_interrupt(address, data)?;
        self.partition.request_interrupt(&ic)
    }

    /// HdvRegisterDoorbell. `E_INVALIDARG` for a BAR the device does not
    /// have or an offset past it (see [`Doorbell::new`]),
    /// `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)` before GetDetails (the BARs
    /// are not known yet), `ERROR_HV_INVALID_PARAMETER` for a conflict.
    pub fn register_doorbell(
        &self,
        bar: i32,
        offset: u64,
        trigger: u64,
        flags: u64,
        event: File,
    ) -> Result<()> {
        self.check_alive()?;
        let details = lock(&self.details).ok_or(Error::new(
            HRESULT_ERROR_INVALID_STATE,
            "doorbells are registered once GetDetails has described the BARs",
        ))?;
        let index = usize::try_from(bar).ok().filter(|i| *i < 6);
        let Some(info) = index.and_then(|i| details.bars[i]) else {
            return Err(Error::with(
                E_INVALIDARG,
                format!("the device has no BAR{bar}"),
            ));
        };
        let d = Doorbell::new(bar as u8, info.size, offset, trigger, flags, event)?;
        let len = u64::from(d.size.unwrap_or(1));
        if lock(&self.sections)
            .0
            .iter()
            .any(|s| s.overlaps(d.bar, d.offset, len))
        {
            return Err(Error::new(
                E_INVALIDARG,
                "the doorbell lies in a section-backed range",
            ));
        }
        let mut all = self.doorbells.write().unwrap_or_else(|p| p.into_inner());
        if all.iter().any(|o| o.conflicts(&d)) {
            return Err(doorbell::conflict());
        }
        all.push(d);
        Ok(())
    }

    /// HdvUnregisterDoorbell: the doorbell registered with exactly these
    /// arguments; `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)` when there is none
    /// (our choice).
    pub fn unregister_doorbell(
        &self,
        bar: i32,
        offset: u64,
        trigger: u64,
        flags: u64,
    ) -> Result<()> {
        self.check_alive()?;
        let mut all = self.doorbells.write().unwrap_or_else(|p| p.into_inner());
        let before = all.len();
        let bar = u8::try_from(bar).unwrap_or(u8::MAX);
        all.retain(|d| !d.is(bar, offset, trigger, flags));
        if all.len() == before {
            return Err(Error::new(
                HRESULT_ERROR_NOT_FOUND,
                "no doorbell registered with these arguments",
            ));
        }
        Ok(())
    }
}

impl PciFunction for Device {
    fn probed_bars(&self) -> [u32; 6] {
        lock(&self.details).map_or([0; 6], |d| d.probed)
    }

    fn config_read(&self, offset: u16) -> u32 {
        let pnp = lock(&self.details).map(|d| d.pnp);
        match (offset, pnp) {
            (regs::VENDOR_ID, Some(p)) => u32::from(p.VendorID) | u32::from(p.DeviceID) << 16,
            (regs::CLASS_REVISION, Some(p)) => {
                u32::from_le_bytes([p.RevisionID, p.ProgIf, p.SubClass, p.BaseClass])
            }
            (regs::SUBSYSTEM, Some(p)) => u32::from(p.SubVendorID) | u32::from(p.SubSystemID) << 16,
            _ => {
                let mut v = 0u32;
                match self.call(|m| m.read_config(u32::from(offset), &mut v)) {
                    Some(hr) if hr.is_ok() => v,
                    _ => u32::MAX,
                }
            }
        }
    }

    fn config_write(&self, offset: u16, value: u32) {
        self.call(|m| m.write_config(u32::from(offset), value));
    }

    fn bar_read(&self, bar: u8, offset: u64, data: &mut [u8]) {
        let ok = self
            .call(|m| m.read_intercepted(HDV_PCI_BAR_SELECTOR(i32::from(bar)), offset, data))
            .is_some_and(|hr| hr.is_ok());
        if !ok {
            data.fill(0xff);
        }
    }

    fn bar_write(&self, bar: u8, offset: u64, data: &[u8]) {
        {
            let bells = self.doorbells.read().unwrap_or_else(|p| p.into_inner());
            if let Some(d) = bells.iter().find(|d| d.matches(bar, offset, data)) {
                d.ring();
                return;
            }
        }
        self.call(|m| m.write_intercepted(HDV_PCI_BAR_SELECTOR(i32::from(bar)), offset, data));
    }
}
