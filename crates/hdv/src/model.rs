//! [`DeviceModel`]: what a device host supplies — the ten callbacks of
//! `HDV_PCI_DEVICE_INTERFACE`, in Rust. The C library implements it over
//! the caller's function table and context; Rust device hosts implement
//! it directly. Results are HRESULTs, as the callbacks return them.

use winhv_defs::{HDV_PCI_BAR_SELECTOR, HDV_PCI_PNP_ID, HRESULT, S_OK};

/// A PCI device model behind HDV. Every method has Windows' default for a
/// NULL callback: success, nothing done, reads of zero.
pub trait DeviceModel: Send + Sync {
    /// Initialize: the VM is powering on (first call).
    fn initialize(&self) -> HRESULT {
        S_OK
    }
    /// Teardown: the last call; the model frees its state.
    fn teardown(&self) {}
    /// SetConfiguration: the slot's configuration strings, each UTF-16
    /// and NUL-terminated.
    fn set_configuration(&self, _values: &[Vec<u16>]) -> HRESULT {
        S_OK
    }
    /// GetDetails: the PnP identity and the six probed BAR values.
    fn get_details(&self, _pnp: &mut HDV_PCI_PNP_ID, _probed: &mut [u32; 6]) -> HRESULT {
        S_OK
    }
    /// Start: the VPs are about to run.
    fn start(&self) -> HRESULT {
        S_OK
    }
    /// Stop: the VPs are about to stop.
    fn stop(&self) {}
    /// ReadConfigSpace: one dword at byte `offset`.
    fn read_config(&self, _offset: u32, value: &mut u32) -> HRESULT {
        *value = 0;
        S_OK
    }
    /// WriteConfigSpace: one dword at byte `offset`.
    fn write_config(&self, _offset: u32, _value: u32) -> HRESULT {
        S_OK
    }
    /// ReadInterceptedMemory: a guest read of `data.len()` bytes at
    /// `offset` in BAR `bar`.
    fn read_intercepted(
        &self,
        _bar: HDV_PCI_BAR_SELECTOR,
        _offset: u64,
        data: &mut [u8],
    ) -> HRESULT {
        data.fill(0);
        S_OK
    }
    /// WriteInterceptedMemory: a guest write.
    fn write_intercepted(&self, _bar: HDV_PCI_BAR_SELECTOR, _offset: u64, _data: &[u8]) -> HRESULT {
        S_OK
    }
}
