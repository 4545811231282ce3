//! The C device model: a caller's `HDV_PCI_DEVICE_INTERFACE` and context
//! behind `winhv_hdv::DeviceModel`. A NULL callback does what Windows'
//! default would (nothing, success; config and BAR reads of zero). The
//! callbacks run on VP threads (HDV's own threads on Windows), one at a
//! time per device.

use core::ffi::c_void;

use winhv_defs::*;
use winhv_hdv::DeviceModel;

/// A C device model.
pub(crate) struct CModel {
    pub(crate) iface: HDV_PCI_DEVICE_INTERFACE,
    pub(crate) context: *mut c_void,
}

// SAFETY: HDV's contract: the caller's callbacks and context may be used
// from threads other than the one that created the device (on Windows
// they run on HDV's worker threads).
unsafe impl Send for CModel {}
// SAFETY: as for Send; the device calls one callback at a time.
unsafe impl Sync for CModel {}

impl DeviceModel for CModel {
    fn initialize(&self) -> HRESULT {
        // SAFETY: the caller's callback with its own context.
        self.iface
            .Initialize
            .map_or(S_OK, |f| unsafe { f(self.context) })
    }

    fn teardown(&self) {
        if let Some(f) = self.iface.Teardown {
            // SAFETY: as above.
            unsafe { f(self.context) }
        }
    }

    fn set_configuration(&self, values: &[Vec<u16>]) -> HRESULT {
        let pointers: Vec<PCWSTR> = values.iter().map(|v| v.as_ptr()).collect();
        self.iface.SetConfiguration.map_or(S_OK, |f| {
            // SAFETY: `pointers` holds `len` NUL-terminated strings that
            // outlive the call.
            unsafe { f(self.context, pointers.len() as u32, pointers.as_ptr()) }
        })
    }

    fn get_details(&self, pnp: &mut HDV_PCI_PNP_ID, probed: &mut [u32; 6]) -> HRESULT {
        self.iface.GetDetails.map_or(S_OK, |f| {
            // SAFETY: writable PnP ID and six writable UINT32s.
            unsafe { f(self.context, pnp, HDV_PCI_BAR_COUNT, probed.as_mut_ptr()) }
        })
    }

    fn start(&self) -> HRESULT {
        // SAFETY: the caller's callback with its own context.
        self.iface
            .Start
            .map_or(S_OK, |f| unsafe { f(self.context) })
    }

    fn stop(&self) {
        if let Some(f) = self.iface.Stop {
            // SAFETY: as above.
            unsafe { f(self.context) }
        }
    }

    fn read_config(&self, offset: u32, value: &mut u32) -> HRESULT {
        *value = 0;
        // SAFETY: a writable UINT32.
        self.iface
            .ReadConfigSpace
            .map_or(S_OK, |f| unsafe { f(self.context, offset, value) })
    }

    fn write_config(&self, offset: u32, value: u32) -> HRESULT {
        // SAFETY: the caller's callback with its own context.
        self.iface
            .WriteConfigSpace
            .map_or(S_OK, |f| unsafe { f(self.context, offset, value) })
    }

    fn read_intercepted(&self, bar: HDV_PCI_BAR_SELECTOR, offset: u64, data: &mut [u8]) -> HRESULT {
        data.fill(0);
        self.iface.ReadInterceptedMemory.map_or(S_OK, |f| {
            // SAFETY: `data.len()` writable bytes.
            unsafe {
                f(
                    self.context,
                    bar,
                    offset,
                    data.len() as u64,
                    data.as_mut_ptr(),
                )
            }
        })
    }

    fn write_intercepted(&self, bar: HDV_PCI_BAR_SELECTOR, offset: u64, data: &[u8]) -> HRESULT {
        self.iface.WriteInterceptedMemory.map_or(S_OK, |f| {
            // SAFETY: `data.len()` readable bytes.
            unsafe { f(self.context, bar, offset, data.len() as u64, data.as_ptr()) }
        })
    }
}
