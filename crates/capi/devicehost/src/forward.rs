//! The 13 exports, each a call through the table (see the crate root).

use core::ffi::{CStr, c_void};
use std::sync::OnceLock;

use winhv_capi_support::devicehost::{
    WINHV_DEVICE_HOST_FUNCTIONS, WINHV_DEVICE_HOST_FUNCTIONS_VERSION,
};
use winhv_defs::*;

/// `HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND)`.
pub const HRESULT_ERROR_MOD_NOT_FOUND: HRESULT = HRESULT(0x8007_007E_u32 as i32);

const GET: &CStr = c"WinhvGetDeviceHostFunctions";
const PLATFORM: &str = "libWinHvPlatform.so";

type Get = unsafe extern "C" fn(*mut WINHV_DEVICE_HOST_FUNCTIONS) -> HRESULT;

static TABLE: OnceLock<Result<WINHV_DEVICE_HOST_FUNCTIONS, HRESULT>> = OnceLock::new();

/// `libWinHvPlatform.so` in this library's directory.
fn sibling() -> Option<std::ffi::CString> {
    let mut info: libc::Dl_info = unsafe_zeroed();
    let here = sibling as *const c_void;
    // SAFETY: dladdr reads the address and fills `info`.
    if unsafe { libc::dladdr(here, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr's file name is a NUL-terminated string it owns.
    let me = unsafe { CStr::from_ptr(info.dli_fname) }.to_str().ok()?;
    let dir = std::path::Path::new(me).parent()?;
    std::ffi::CString::new(dir.join(PLATFORM).to_str()?).ok()
}

fn unsafe_zeroed() -> libc::Dl_info {
    libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    }
}

fn find() -> *mut c_void {
    // SAFETY: a NUL-terminated symbol name.
    let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, GET.as_ptr()) };
    if !sym.is_null() {
        return sym;
    }
    let by_name = std::ffi::CString::new(PLATFORM).ok();
    for path in [sibling(), by_name].into_iter().flatten() {
        // SAFETY: a NUL-terminated path; the library stays loaded.
        let lib = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
        if !lib.is_null() {
            // SAFETY: a handle dlopen gave and a NUL-terminated name.
            let sym = unsafe { libc::dlsym(lib, GET.as_ptr()) };
            if !sym.is_null() {
                return sym;
            }
        }
    }
    std::ptr::null_mut()
}

fn load() -> Result<WINHV_DEVICE_HOST_FUNCTIONS, HRESULT> {
    let sym = find();
    if sym.is_null() {
        return Err(HRESULT_ERROR_MOD_NOT_FOUND);
    }
    // SAFETY: the symbol is libWinHvPlatform.so's WinhvGetDeviceHostFunctions,
    // of this type.
    let get: Get = unsafe { std::mem::transmute::<*mut c_void, Get>(sym) };
    let mut table = std::mem::MaybeUninit::<WINHV_DEVICE_HOST_FUNCTIONS>::uninit();
    // SAFETY: the table's first field is its Size, set before the call.
    unsafe {
        table
            .as_mut_ptr()
            .cast::<u32>()
            .write(size_of::<WINHV_DEVICE_HOST_FUNCTIONS>() as u32)
    };
    // SAFETY: a writable table with Size set.
    let hr = unsafe { get(table.as_mut_ptr()) };
    if !hr.is_ok() {
        return Err(hr);
    }
    // SAFETY: a successful call filled the whole table.
    let table = unsafe { table.assume_init() };
    if table.Version != WINHV_DEVICE_HOST_FUNCTIONS_VERSION {
        return Err(HRESULT_ERROR_MOD_NOT_FOUND);
    }
    Ok(table)
}

/// The table, found on first use.
fn table() -> Result<&'static WINHV_DEVICE_HOST_FUNCTIONS, HRESULT> {
    TABLE.get_or_init(load).as_ref().map_err(|e| *e)
}

macro_rules! forward {
    ($(#[$doc:meta])* $name:ident => $field:ident ( $($arg:ident : $ty:ty),* )) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// As vmdevicehost.dll's function: pointer arguments must be
        /// valid for what the function reads or writes.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> HRESULT {
            match table() {
                // SAFETY: the caller's contract, passed on unchanged.
                Ok(t) => unsafe { (t.$field)($($arg),*) },
                Err(hr) => hr,
            }
        }
    };
}

forward!(
    /// HdvInitializeDeviceHost.
    HdvInitializeDeviceHost => InitializeDeviceHost(ComputeSystem: HCS_SYSTEM, DeviceHostHandle: *mut HDV_HOST)
);
forward!(
    /// HdvInitializeDeviceHostEx.
    HdvInitializeDeviceHostEx => InitializeDeviceHostEx(
        ComputeSystem: HCS_SYSTEM,
        Flags: HDV_DEVICE_HOST_FLAGS,
        DeviceHostHandle: *mut HDV_HOST
    )
);
forward!(
    /// HdvTeardownDeviceHost.
    HdvTeardownDeviceHost => TeardownDeviceHost(DeviceHostHandle: HDV_HOST)
);
forward!(
    /// HdvCreateDeviceInstance.
    HdvCreateDeviceInstance => CreateDeviceInstance(
        DeviceHostHandle: HDV_HOST,
        DeviceType: HDV_DEVICE_TYPE,
        DeviceClassId: *const GUID,
        DeviceInstanceId: *const GUID,
        DeviceInterface: *const c_void,
        DeviceContext: *mut c_void,
        DeviceHandle: *mut HDV_DEVICE
    )
);
forward!(
    /// HdvReadGuestMemory.
    HdvReadGuestMemory => ReadGuestMemory(Requestor: HDV_DEVICE, GuestPhysicalAddress: u64, ByteCount: u32, Buffer: *mut u8)
);
forward!(
    /// HdvWriteGuestMemory.
    HdvWriteGuestMemory => WriteGuestMemory(Requestor: HDV_DEVICE, GuestPhysicalAddress: u64, ByteCount: u32, Buffer: *const u8)
);
forward!(
    /// HdvCreateGuestMemoryAperture.
    HdvCreateGuestMemoryAperture => CreateGuestMemoryAperture(
        Requestor: HDV_DEVICE,
        GuestPhysicalAddress: u64,
        ByteCount: u32,
        WriteProtected: BOOL,
        MappedAddress: *mut *mut c_void
    )
);
forward!(
    /// HdvDestroyGuestMemoryAperture.
    HdvDestroyGuestMemoryAperture => DestroyGuestMemoryAperture(Requestor: HDV_DEVICE, MappedAddress: *mut c_void)
);
forward!(
    /// HdvDeliverGuestInterrupt.
    HdvDeliverGuestInterrupt => DeliverGuestInterrupt(Requestor: HDV_DEVICE, MsiAddress: u64, MsiData: u32)
);
forward!(
    /// HdvRegisterDoorbell.
    HdvRegisterDoorbell => RegisterDoorbell(
        Requestor: HDV_DEVICE,
        BarIndex: HDV_PCI_BAR_SELECTOR,
        BarOffset: u64,
        TriggerValue: u64,
        Flags: u64,
        DoorbellEvent: HANDLE
    )
);
forward!(
    /// HdvUnregisterDoorbell.
    HdvUnregisterDoorbell => UnregisterDoorbell(
        Requestor: HDV_DEVICE,
        BarIndex: HDV_PCI_BAR_SELECTOR,
        BarOffset: u64,
        TriggerValue: u64,
        Flags: u64
    )
);
forward!(
    /// HdvCreateSectionBackedMmioRange.
    HdvCreateSectionBackedMmioRange => CreateSectionBackedMmioRange(
        Requestor: HDV_DEVICE,
        BarIndex: HDV_PCI_BAR_SELECTOR,
        OffsetInPages: u64,
        LengthInPages: u64,
        MappingFlags: HDV_MMIO_MAPPING_FLAGS,
        SectionHandle: HANDLE,
        SectionOffsetInPages: u64
    )
);
forward!(
    /// HdvDestroySectionBackedMmioRange.
    HdvDestroySectionBackedMmioRange => DestroySectionBackedMmioRange(
        Requestor: HDV_DEVICE,
        BarIndex: HDV_PCI_BAR_SELECTOR,
        OffsetInPages: u64
    )
);
