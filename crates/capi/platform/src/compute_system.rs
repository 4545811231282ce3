//! winhv's compute systems at the C boundary: what stands in for
//! `HCS_SYSTEM` (see `winhv-hdv`), made over a partition by
//! `WinhvCreateComputeSystem` and driven by `WinhvStartComputeSystem`,
//! `WinhvStopComputeSystem` and `WinhvCloseComputeSystem` — winhv's own
//! functions (include/winhvcomputesystem.h), exported here because the
//! partition table lives here. Handles are numbers of the compute-system
//! table (tag "CS"), never pointers, never reissued.
//!
//! A compute system keeps its partition alive: WHvDeletePartition before
//! WinhvCloseComputeSystem invalidates the partition's handle, but the
//! partition goes only with the compute system.

use std::sync::Arc;

use winhv_capi_support::handles::Table;
use winhv_defs::*;
use winhv_hdv::{ComputeSystem, Slot, SystemConfig};
use winhv_pci::{Ecam, Windows};

use crate::args;
use crate::boundary::{Outcome, guard, hr};
use crate::handles::partition;

/// The process's compute systems (tag "CS").
pub(crate) static SYSTEMS: Table<ComputeSystem, 0x4353> = Table::new();

/// The compute system `handle` names, or `E_HANDLE`.
pub(crate) fn system(handle: HCS_SYSTEM) -> Result<Arc<ComputeSystem>, HRESULT> {
    SYSTEMS.get(handle as u64)
}

/// `WINHV_PCI_SLOT`: one device slot (a Windows VM configuration's
/// `FlexibleIov` device).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WINHV_PCI_SLOT {
    /// The device class (`EmulatorId`).
    pub DeviceClassId: GUID,
    /// The device instance.
    pub DeviceInstanceId: GUID,
    /// The device number on bus 0, or `WINHV_PCI_SLOT_ANY_DEVICE`.
    pub DeviceNumber: u32,
    /// Entries of `ConfigurationValues`.
    pub ConfigurationValueCount: u32,
    /// The strings SetConfiguration receives (NUL-terminated UTF-16).
    pub ConfigurationValues: *const PCWSTR,
}

/// `WINHV_PCI_SLOT.DeviceNumber`: the lowest free device number.
pub const WINHV_PCI_SLOT_ANY_DEVICE: u32 = u32::MAX;

/// `WINHV_COMPUTE_SYSTEM_CONFIG`: the PCI segment and the slots.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WINHV_COMPUTE_SYSTEM_CONFIG {
    /// `WINHV_COMPUTE_SYSTEM_CONFIG_VERSION` (1).
    pub Version: u32,
    /// `WINHV_COMPUTE_SYSTEM_FLAG_*`.
    pub Flags: u32,
    /// The ECAM window of bus 0 (1 MiB-aligned); 0: none.
    pub EcamBase: u64,
    /// The window 32-bit BARs are placed in.
    pub Mmio32Base: u64,
    /// Its size.
    pub Mmio32Size: u64,
    /// The window 64-bit BARs are placed in (size 0: below 4 GiB too).
    pub Mmio64Base: u64,
    /// Its size.
    pub Mmio64Size: u64,
    /// The window I/O BARs are placed in.
    pub IoBase: u32,
    /// Its size.
    pub IoSize: u32,
    /// Entries of `Slots`.
    pub SlotCount: u32,
    /// Reserved, 0.
    pub Reserved: u32,
    /// The device slots.
    pub Slots: *const WINHV_PCI_SLOT,
}

const _: () = assert!(size_of::<WINHV_PCI_SLOT>() == 48);
const _: () = assert!(size_of::<WINHV_COMPUTE_SYSTEM_CONFIG>() == 72);

/// The version of [`WINHV_COMPUTE_SYSTEM_CONFIG`].
pub const WINHV_COMPUTE_SYSTEM_CONFIG_VERSION: u32 = 1;
/// Claim configuration mechanism #1 (ports 0xCF8/0xCFC).
pub const WINHV_COMPUTE_SYSTEM_FLAG_LEGACY_PORTS: u32 = 1;

/// Reads a NUL-terminated UTF-16 string (at most 32 Ki units).
///
/// # Safety
/// `s` must be NULL or point to a NUL-terminated string.
unsafe fn wide(s: PCWSTR) -> Result<String, HRESULT> {
    if s.is_null() {
        return Err(E_INVALIDARG);
    }
    let mut units = Vec::new();
    for i in 0..0x8000 {
        let at = s.wrapping_add(i);
        // SAFETY: the caller's contract: every unit up to the NUL is readable.
        let u = unsafe { *at };
        if u == 0 {
            return Ok(String::from_utf16_lossy(&units));
        }
        units.push(u);
    }
    Err(E_INVALIDARG)
}

/// The configuration a C caller gave; NULL is the default.
///
/// # Safety
/// `config` must be NULL or point to a readable configuration whose
/// pointers are as documented.
unsafe fn config(config: *const WINHV_COMPUTE_SYSTEM_CONFIG) -> Result<SystemConfig, HRESULT> {
    if config.is_null() {
        return Ok(SystemConfig::default());
    }
    // SAFETY: the caller's contract.
    let c = unsafe { args::slice(config, 1)? }[0];
    if c.Version != WINHV_COMPUTE_SYSTEM_CONFIG_VERSION
        || c.Flags & !WINHV_COMPUTE_SYSTEM_FLAG_LEGACY_PORTS != 0
        || c.Reserved != 0
        || c.EcamBase % (1 << 20) != 0
    {
        return Err(E_INVALIDARG);
    }
    let end = |base: u64, size: u64| base.checked_add(size).ok_or(E_INVALIDARG);
    // SAFETY: the caller's contract.
    let slots = unsafe { args::slice(c.Slots, c.SlotCount as usize)? };
    let mut out = Vec::new();
    for s in slots {
        // SAFETY: the caller's contract.
        let values =
            unsafe { args::slice(s.ConfigurationValues, s.ConfigurationValueCount as usize)? };
        let configuration = values
            .iter()
            // SAFETY: each entry is a NUL-terminated string (contract).
            .map(|v| unsafe { wide(*v) })
            .collect::<Result<Vec<_>, _>>()?;
        let device = match s.DeviceNumber {
            WINHV_PCI_SLOT_ANY_DEVICE => None,
            d if d < 32 => Some(d as u8),
            _ => return Err(E_INVALIDARG),
        };
        out.push(Slot {
            class_id: s.DeviceClassId,
            instance_id: s.DeviceInstanceId,
            device,
            configuration,
        });
    }
    Ok(SystemConfig {
        ecam: (c.EcamBase != 0).then_some(Ecam {
            base: c.EcamBase,
            first: 0,
            last: 0,
        }),
        legacy_ports: c.Flags & WINHV_COMPUTE_SYSTEM_FLAG_LEGACY_PORTS != 0,
        windows: Windows {
            mem32: c.Mmio32Base..end(c.Mmio32Base, c.Mmio32Size)?,
            mem64: c.Mmio64Base..end(c.Mmio64Base, c.Mmio64Size)?,
            io: u64::from(c.IoBase)..end(u64::from(c.IoBase), u64::from(c.IoSize))?,
        },
        slots: out,
    })
}

/// Makes a compute system over `Partition` (see the module
/// documentation). `Config` NULL: ECAM at 0xE0000000, CF8/CFC, BARs in
/// 0xC0000000–0xE0000000 and from 64 GiB, I/O from 0xC000, no slots.
///
/// # Safety
/// `Config` must be NULL or a valid configuration; `ComputeSystem` a
/// writable `HCS_SYSTEM`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinhvCreateComputeSystem(
    Partition: WHV_PARTITION_HANDLE,
    Config: *const WINHV_COMPUTE_SYSTEM_CONFIG,
    ComputeSystem: *mut HCS_SYSTEM,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract.
        let out = unsafe { args::output(ComputeSystem)? };
        // SAFETY: the caller's contract.
        let config = unsafe { config(Config)? };
        let p = partition(Partition)?;
        let system = ComputeSystem::create(p, config).map_err(hr)?;
        let handle = SYSTEMS.insert_arc(system)?;
        *out = handle as HCS_SYSTEM;
        Ok(())
    })
}

fn drive(handle: HCS_SYSTEM, f: impl FnOnce(&ComputeSystem) -> winhv::Result<()>) -> Outcome {
    f(&*system(handle)?).map_err(hr)
}

/// The VPs are about to start: the devices are plugged and started.
#[unsafe(no_mangle)]
pub extern "C" fn WinhvStartComputeSystem(ComputeSystem: HCS_SYSTEM) -> HRESULT {
    guard(|| drive(ComputeSystem, |s| s.start()))
}

/// The VPs are about to stop: the devices' Stop.
#[unsafe(no_mangle)]
pub extern "C" fn WinhvStopComputeSystem(ComputeSystem: HCS_SYSTEM) -> HRESULT {
    guard(|| drive(ComputeSystem, |s| s.stop()))
}

/// Closes the compute system: its device host is torn down, its PCI
/// segment leaves the guest's view, the handle dies.
#[unsafe(no_mangle)]
pub extern "C" fn WinhvCloseComputeSystem(ComputeSystem: HCS_SYSTEM) -> HRESULT {
    guard(|| {
        let s = SYSTEMS.remove(ComputeSystem as u64)?;
        s.close();
        Ok(())
    })
}
