//! [`HostBridge`]: the function at 00:00.0 of every segment, class 06/00/00
//! — Linux's type-1 probe sanity-checks bus 0 for one. It carries Red Hat's
//! QEMU PCIe host bridge IDs (1b36:0008), which guests already know to
//! need no driver; it has no BARs and no capabilities.

use std::sync::Mutex;

use crate::config_space::ConfigSpace;
use crate::function::PciFunction;

/// The host bridge's vendor ID (Red Hat, Inc.).
pub const HOST_BRIDGE_VENDOR: u16 = 0x1b36;
/// The host bridge's device ID (QEMU PCIe host bridge).
pub const HOST_BRIDGE_DEVICE: u16 = 0x0008;

/// The host bridge.
#[derive(Debug)]
pub struct HostBridge {
    config: Mutex<ConfigSpace>,
}

impl Default for HostBridge {
    fn default() -> Self {
        HostBridge {
            config: Mutex::new(ConfigSpace::new(
                HOST_BRIDGE_VENDOR,
                HOST_BRIDGE_DEVICE,
                0x06_00_00,
                0,
            )),
        }
    }
}

impl PciFunction for HostBridge {
    fn probed_bars(&self) -> [u32; 6] {
        [0; 6]
    }

    fn config_read(&self, offset: u16) -> u32 {
        self.config
            .lock()
            .map_or(u32::MAX, |c| c.read_dword(offset))
    }

    fn config_write(&self, offset: u16, value: u32) {
        if let Ok(mut c) = self.config.lock() {
            c.write_dword(offset, value);
        }
    }

    fn bar_read(&self, _bar: u8, _offset: u64, data: &mut [u8]) {
        data.fill(0xff);
    }

    fn bar_write(&self, _bar: u8, _offset: u64, _data: &[u8]) {}
}
