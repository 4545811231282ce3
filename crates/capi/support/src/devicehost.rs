//! `WINHV_DEVICE_HOST_FUNCTIONS`: how libvmdevicehost.so reaches the
//! device host that lives in libWinHvPlatform.so (beside the partition
//! table, so that one copy of winhv serves the process): one winhv export,
//! `WinhvGetDeviceHostFunctions`, fills this table with vmdevicehost.dll's
//! 13 functions, and libvmdevicehost.so's exports call through it.

#![allow(non_snake_case, non_camel_case_types, reason = "the C names")]

use core::ffi::c_void;

use winhv_defs::*;

/// `WINHV_DEVICE_HOST_FUNCTIONS`: the 13 functions, for libvmdevicehost.so.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WINHV_DEVICE_HOST_FUNCTIONS {
    /// `sizeof(WINHV_DEVICE_HOST_FUNCTIONS)` of the caller (at least this one's).
    pub Size: u32,
    /// `WINHV_DEVICE_HOST_FUNCTIONS_VERSION`.
    pub Version: u32,
    /// HdvInitializeDeviceHost.
    pub InitializeDeviceHost: unsafe extern "C" fn(HCS_SYSTEM, *mut HDV_HOST) -> HRESULT,
    /// HdvInitializeDeviceHostEx.
    pub InitializeDeviceHostEx:
        unsafe extern "C" fn(HCS_SYSTEM, HDV_DEVICE_HOST_FLAGS, *mut HDV_HOST) -> HRESULT,
    /// HdvTeardownDeviceHost.
    pub TeardownDeviceHost: unsafe extern "C" fn(HDV_HOST) -> HRESULT,
    /// HdvCreateDeviceInstance.
    pub CreateDeviceInstance: unsafe extern "C" fn(
        HDV_HOST,
        HDV_DEVICE_TYPE,
        *const GUID,
        *const GUID,
        *const c_void,
        *mut c_void,
        *mut HDV_DEVICE,
    ) -> HRESULT,
    /// HdvReadGuestMemory.
    pub ReadGuestMemory: unsafe extern "C" fn(HDV_DEVICE, u64, u32, *mut u8) -> HRESULT,
    /// HdvWriteGuestMemory.
    pub WriteGuestMemory: unsafe extern "C" fn(HDV_DEVICE, u64, u32, *const u8) -> HRESULT,
    /// HdvCreateGuestMemoryAperture.
    pub CreateGuestMemoryAperture:
        unsafe extern "C" fn(HDV_DEVICE, u64, u32, BOOL, *mut *mut c_void) -> HRESULT,
    /// HdvDestroyGuestMemoryAperture.
    pub DestroyGuestMemoryAperture: unsafe extern "C" fn(HDV_DEVICE, *mut c_void) -> HRESULT,
    /// HdvDeliverGuestInterrupt.
    pub DeliverGuestInterrupt: unsafe extern "C" fn(HDV_DEVICE, u64, u32) -> HRESULT,
    /// HdvRegisterDoorbell.
    pub RegisterDoorbell:
        unsafe extern "C" fn(HDV_DEVICE, HDV_PCI_BAR_SELECTOR, u64, u64, u64, HANDLE) -> HRESULT,
    /// HdvUnregisterDoorbell.
    pub UnregisterDoorbell:
        unsafe extern "C" fn(HDV_DEVICE, HDV_PCI_BAR_SELECTOR, u64, u64, u64) -> HRESULT,
    /// HdvCreateSectionBackedMmioRange.
    pub CreateSectionBackedMmioRange: unsafe extern "C" fn(
        HDV_DEVICE,
        HDV_PCI_BAR_SELECTOR,
        u64,
        u64,
        HDV_MMIO_MAPPING_FLAGS,
        HANDLE,
        u64,
    ) -> HRESULT,
    /// HdvDestroySectionBackedMmioRange.
    pub DestroySectionBackedMmioRange:
        unsafe extern "C" fn(HDV_DEVICE, HDV_PCI_BAR_SELECTOR, u64) -> HRESULT,
}

/// The version of [`WINHV_DEVICE_HOST_FUNCTIONS`].
pub const WINHV_DEVICE_HOST_FUNCTIONS_VERSION: u32 = 1;
