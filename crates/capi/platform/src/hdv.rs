//! vmdevicehost.dll's 13 functions, implemented here beside the partition
//! table (libvmdevicehost.so forwards to them through
//! [`WinhvGetDeviceHostFunctions`]'s table, so one copy of winhv serves a
//! process). Device hosts and devices are entries of two more handle
//! tables (tags "DH" and "DV"): `HDV_HOST` and `HDV_DEVICE` are numbers,
//! so a handle used after HdvTeardownDeviceHost is `E_HANDLE`, never a
//! crash.
//!
//! Argument choices (Windows documents none): NULL required pointers,
//! `DeviceInterface.Version` other than 1, and undefined flags answer
//! `E_INVALIDARG`; an event `HANDLE` is a file descriptor (an eventfd),
//! `(HANDLE)(intptr_t)fd`, duplicated at registration — one that is not
//! open answers `E_HANDLE`; so is a section's (a memfd or another
//! mappable file).

use core::ffi::c_void;
use std::fs::File;
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex};

use winhv_capi_support::devicehost::{
    WINHV_DEVICE_HOST_FUNCTIONS, WINHV_DEVICE_HOST_FUNCTIONS_VERSION,
};
use winhv_capi_support::handles::Table;
use winhv_defs::*;
use winhv_hdv::{Device, DeviceHost};

use crate::args;
use crate::boundary::{Outcome, guard, hr};
use crate::compute_system::system;
use crate::hdv_model::CModel;

/// A device host and the handles of its devices.
pub(crate) struct HostEntry {
    host: Arc<DeviceHost>,
    devices: Mutex<Vec<u64>>,
}

/// The process's device hosts (tag "DH").
static HOSTS: Table<HostEntry, 0x4448> = Table::new();
/// The process's devices (tag "DV").
static DEVICES: Table<Device, 0x4456> = Table::new();

fn device(handle: HDV_DEVICE) -> Result<Arc<Device>, HRESULT> {
    DEVICES.get(handle as u64)
}

fn initialize(
    ComputeSystem: HCS_SYSTEM,
    Flags: HDV_DEVICE_HOST_FLAGS,
    DeviceHostHandle: *mut HDV_HOST,
) -> Outcome {
    // SAFETY: the export's contract.
    let out = unsafe { args::output(DeviceHostHandle)? };
    let s = system(ComputeSystem)?;
    let host = DeviceHost::initialize(&s, Flags).map_err(hr)?;
    let handle = HOSTS.insert(HostEntry {
        host,
        devices: Mutex::new(Vec::new()),
    })?;
    *out = handle as HDV_HOST;
    Ok(())
}

/// HdvInitializeDeviceHost.
///
/// # Safety
/// `DeviceHostHandle` must be a writable `HDV_HOST`.
pub unsafe extern "C" fn HdvInitializeDeviceHost(
    ComputeSystem: HCS_SYSTEM,
    DeviceHostHandle: *mut HDV_HOST,
) -> HRESULT {
    guard(|| initialize(ComputeSystem, HdvDeviceHostFlagNone, DeviceHostHandle))
}

/// HdvInitializeDeviceHostEx.
///
/// # Safety
/// As [`HdvInitializeDeviceHost`].
pub unsafe extern "C" fn HdvInitializeDeviceHostEx(
    ComputeSystem: HCS_SYSTEM,
    Flags: HDV_DEVICE_HOST_FLAGS,
    DeviceHostHandle: *mut HDV_HOST,
) -> HRESULT {
    guard(|| initialize(ComputeSystem, Flags, DeviceHostHandle))
}

/// HdvTeardownDeviceHost: every device's Teardown; the host's and its
/// devices' handles die.
pub extern "C" fn HdvTeardownDeviceHost(DeviceHostHandle: HDV_HOST) -> HRESULT {
    guard(|| {
        let entry = HOSTS.remove(DeviceHostHandle as u64)?;
        for d in entry
            .devices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            let _ = DEVICES.remove(d);
        }
        entry.host.teardown();
        Ok(())
    })
}

/// HdvCreateDeviceInstance.
///
/// # Safety
/// The GUIDs and `DeviceInterface` (an `HDV_PCI_DEVICE_INTERFACE`) must be
/// readable, `DeviceHandle` a writable `HDV_DEVICE`; the callbacks must
/// stay callable, with `DeviceContext`, until their Teardown.
pub unsafe extern "C" fn HdvCreateDeviceInstance(
    DeviceHostHandle: HDV_HOST,
    DeviceType: HDV_DEVICE_TYPE,
    DeviceClassId: *const GUID,
    DeviceInstanceId: *const GUID,
    DeviceInterface: *const c_void,
    DeviceContext: *mut c_void,
    DeviceHandle: *mut HDV_DEVICE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the export's contract.
        let out = unsafe { args::output(DeviceHandle)? };
        // SAFETY: the export's contract.
        let class = unsafe { args::slice(DeviceClassId, 1)? }[0];
        // SAFETY: the export's contract.
        let instance = unsafe { args::slice(DeviceInstanceId, 1)? }[0];
        // SAFETY: the export's contract.
        let iface =
            unsafe { args::slice(DeviceInterface.cast::<HDV_PCI_DEVICE_INTERFACE>(), 1)? }[0];
        if iface.Version != HdvPciDeviceInterfaceVersion1 {
            return Err(E_INVALIDARG);
        }
        let entry = HOSTS.get(DeviceHostHandle as u64)?;
        let model = Box::new(CModel {
            iface,
            context: DeviceContext,
        });
        let d = entry
            .host
            .create_device(DeviceType, class, instance, model)
            .map_err(hr)?;
        let handle = DEVICES.insert_arc(d)?;
        entry
            .devices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(handle);
        *out = handle as HDV_DEVICE;
        Ok(())
    })
}

/// HdvReadGuestMemory.
///
/// # Safety
/// `Buffer` must hold `ByteCount` writable bytes.
pub unsafe extern "C" fn HdvReadGuestMemory(
    Requestor: HDV_DEVICE,
    GuestPhysicalAddress: u64,
    ByteCount: u32,
    Buffer: *mut u8,
) -> HRESULT {
    guard(|| {
        // SAFETY: the export's contract.
        let buf = unsafe { args::slice_mut(Buffer, ByteCount as usize)? };
        device(Requestor)?
            .read_guest_memory(GuestPhysicalAddress, buf)
            .map_err(hr)
    })
}

/// HdvWriteGuestMemory.
///
/// # Safety
/// `Buffer` must hold `ByteCount` readable bytes.
pub unsafe extern "C" fn HdvWriteGuestMemory(
    Requestor: HDV_DEVICE,
    GuestPhysicalAddress: u64,
    ByteCount: u32,
    Buffer: *const u8,
) -> HRESULT {
    guard(|| {
        // SAFETY: the export's contract.
        let buf = unsafe { args::slice(Buffer, ByteCount as usize)? };
        device(Requestor)?
            .write_guest_memory(GuestPhysicalAddress, buf)
            .map_err(hr)
    })
}

/// HdvCreateGuestMemoryAperture.
///
/// # Safety
/// `MappedAddress` must be a writable pointer.
pub unsafe extern "C" fn HdvCreateGuestMemoryAperture(
    Requestor: HDV_DEVICE,
    GuestPhysicalAddress: u64,
    ByteCount: u32,
    WriteProtected: BOOL,
    MappedAddress: *mut *mut c_void,
) -> HRESULT {
    guard(|| {
        // SAFETY: the export's contract.
        let out = unsafe { args::output(MappedAddress)? };
        let d = device(Requestor)?;
        let at = d
            .create_aperture(GuestPhysicalAddress, ByteCount, WriteProtected != 0)
            .map_err(hr)?;
        *out = at.cast();
        Ok(())
    })
}

/// HdvDestroyGuestMemoryAperture.
pub extern "C" fn HdvDestroyGuestMemoryAperture(
    Requestor: HDV_DEVICE,
    MappedAddress: *mut c_void,
) -> HRESULT {
    guard(|| {
        device(Requestor)?
            .destroy_aperture(MappedAddress.cast())
            .map_err(hr)
    })
}

/// HdvDeliverGuestInterrupt.
pub extern "C" fn HdvDeliverGuestInterrupt(
    Requestor: HDV_DEVICE,
    MsiAddress: u64,
    MsiData: u32,
) -> HRESULT {
    guard(|| {
        device(Requestor)?
            .deliver_guest_interrupt(MsiAddress, MsiData)
            .map_err(hr)
    })
}

/// The file behind a `HANDLE` (a file descriptor: a doorbell's eventfd,
/// a section's memfd), duplicated.
fn descriptor(handle: HANDLE) -> Result<File, HRESULT> {
    let fd = i32::try_from(handle as isize).map_err(|_| E_HANDLE)?;
    if fd < 0 {
        return Err(E_HANDLE);
    }
    // SAFETY: fcntl with F_DUPFD_CLOEXEC reads no memory; a closed or
    // invalid descriptor answers -1.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(E_HANDLE);
    }
    // SAFETY: `dup` is a new descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(dup) })
}

/// HdvRegisterDoorbell.
pub extern "C" fn HdvRegisterDoorbell(
    Requestor: HDV_DEVICE,
    BarIndex: HDV_PCI_BAR_SELECTOR,
    BarOffset: u64,
    TriggerValue: u64,
    Flags: u64,
    DoorbellEvent: HANDLE,
) -> HRESULT {
    guard(|| {
        let d = device(Requestor)?;
        let event = descriptor(DoorbellEvent)?;
        d.register_doorbell(BarIndex.0, BarOffset, TriggerValue, Flags, event)
            .map_err(hr)
    })
}

/// HdvUnregisterDoorbell.
pub extern "C" fn HdvUnregisterDoorbell(
    Requestor: HDV_DEVICE,
    BarIndex: HDV_PCI_BAR_SELECTOR,
    BarOffset: u64,
    TriggerValue: u64,
    Flags: u64,
) -> HRESULT {
    guard(|| {
        device(Requestor)?
            .unregister_doorbell(BarIndex.0, BarOffset, TriggerValue, Flags)
            .map_err(hr)
    })
}

/// HdvCreateSectionBackedMmioRange: `SectionHandle` is a file
/// descriptor of a mappable file (a memfd), duplicated.
pub extern "C" fn HdvCreateSectionBackedMmioRange(
    Requestor: HDV_DEVICE,
    BarIndex: HDV_PCI_BAR_SELECTOR,
    OffsetInPages: u64,
    LengthInPages: u64,
    MappingFlags: HDV_MMIO_MAPPING_FLAGS,
    SectionHandle: HANDLE,
    SectionOffsetInPages: u64,
) -> HRESULT {
    guard(|| {
        let d = device(Requestor)?;
        let file = descriptor(SectionHandle)?;
        d.create_section(
            BarIndex.0,
            OffsetInPages,
            LengthInPages,
            MappingFlags,
            file,
            SectionOffsetInPages,
        )
        .map_err(hr)
    })
}

/// HdvDestroySectionBackedMmioRange.
pub extern "C" fn HdvDestroySectionBackedMmioRange(
    Requestor: HDV_DEVICE,
    BarIndex: HDV_PCI_BAR_SELECTOR,
    OffsetInPages: u64,
) -> HRESULT {
    guard(|| {
        device(Requestor)?
            .destroy_section(BarIndex.0, OffsetInPages)
            .map_err(hr)
    })
}

const FUNCTIONS: WINHV_DEVICE_HOST_FUNCTIONS = WINHV_DEVICE_HOST_FUNCTIONS {
    Size: size_of::<WINHV_DEVICE_HOST_FUNCTIONS>() as u32,
    Version: WINHV_DEVICE_HOST_FUNCTIONS_VERSION,
    InitializeDeviceHost: HdvInitializeDeviceHost,
    InitializeDeviceHostEx: HdvInitializeDeviceHostEx,
    TeardownDeviceHost: HdvTeardownDeviceHost,
    CreateDeviceInstance: HdvCreateDeviceInstance,
    ReadGuestMemory: HdvReadGuestMemory,
    WriteGuestMemory: HdvWriteGuestMemory,
    CreateGuestMemoryAperture: HdvCreateGuestMemoryAperture,
    DestroyGuestMemoryAperture: HdvDestroyGuestMemoryAperture,
    DeliverGuestInterrupt: HdvDeliverGuestInterrupt,
    RegisterDoorbell: HdvRegisterDoorbell,
    UnregisterDoorbell: HdvUnregisterDoorbell,
    CreateSectionBackedMmioRange: HdvCreateSectionBackedMmioRange,
    DestroySectionBackedMmioRange: HdvDestroySectionBackedMmioRange,
};

/// Fills `Functions` with the device host's functions (winhv's own
/// export, for libvmdevicehost.so). `E_INVALIDARG` when `Functions` is
/// NULL or its `Size` is below this version's.
///
/// # Safety
/// `Functions` must be NULL or point to a writable table whose `Size` is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinhvGetDeviceHostFunctions(
    Functions: *mut WINHV_DEVICE_HOST_FUNCTIONS,
) -> HRESULT {
    guard(|| {
        if Functions.is_null() || !Functions.is_aligned() {
            return Err(E_INVALIDARG);
        }
        // SAFETY: non-NULL and aligned; the caller set Size.
        let size = unsafe { *Functions.cast::<u32>() } as usize;
        if size < size_of::<WINHV_DEVICE_HOST_FUNCTIONS>() {
            return Err(E_INVALIDARG);
        }
        // SAFETY: at least one table's writable bytes (the caller's Size).
        unsafe { Functions.write(FUNCTIONS) };
        Ok(())
    })
}
