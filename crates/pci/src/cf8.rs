//! PCI configuration mechanism #1: the address register at port 0xCF8
//! ([`ConfigAddress`]: enable bit 31, bus 23:16, device 15:11, function
//! 10:8, register 7:2, and AMD's extended register bits 27:24 for offsets
//! past 0xFF) and the data ports 0xCFC–0xCFF, whose byte lanes follow the
//! port ([`LegacyPorts`]).

use crate::address::Bdf;

/// The address port.
pub const CONFIG_ADDRESS_PORT: u16 = 0xcf8;
/// The first data port (0xCFC–0xCFF).
pub const CONFIG_DATA_PORT: u16 = 0xcfc;

/// The value of the 0xCF8 register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConfigAddress(pub u32);

impl ConfigAddress {
    /// Bit 31: data-port accesses reach config space.
    pub fn enabled(self) -> bool {
        self.0 & (1 << 31) != 0
    }

    /// The function addressed.
    pub fn bdf(self) -> Bdf {
        Bdf {
            bus: (self.0 >> 16) as u8,
            device: ((self.0 >> 11) & 0x1f) as u8,
            function: ((self.0 >> 8) & 7) as u8,
        }
    }

    /// The dword-aligned register offset (bits 7:2, and 27:24 as offset
    /// bits 11:8).
    pub fn register(self) -> u16 {
        (self.0 & 0xfc) as u16 | (((self.0 >> 24) & 0xf) as u16) << 8
    }

    /// The address of `bdf`'s register at `offset`, enabled.
    pub fn of(bdf: Bdf, offset: u16) -> ConfigAddress {
        ConfigAddress(
            1 << 31
                | u32::from((offset >> 8) & 0xf) << 24
                | u32::from(bdf.bus) << 16
                | u32::from(bdf.device & 0x1f) << 11
                | u32::from(bdf.function & 7) << 8
                | u32::from(offset & 0xfc),
        )
    }
}

/// The config access a data-port access makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataAccess {
    /// The function.
    pub bdf: Bdf,
    /// The byte offset of the access in its config space.
    pub offset: u16,
}

/// The CF8/CFC mechanism's state: the address latch.
#[derive(Debug, Clone, Copy, Default)]
pub struct LegacyPorts {
    address: ConfigAddress,
}

impl LegacyPorts {
    /// Reads the address port: the latch for a dword access, all-ones
    /// otherwise (byte and word accesses at 0xCF8 are not the config
    /// mechanism).
    pub fn read_address(&self, size: u8) -> u32 {
        if size == 4 { self.address.0 } else { u32::MAX }
    }

    /// Writes the address port: dword writes set the latch, others are
    /// dropped.
    pub fn write_address(&mut self, size: u8, value: u32) {
        if size == 4 {
            self.address = ConfigAddress(value);
        }
    }

    /// The latch.
    pub fn address(&self) -> ConfigAddress {
        self.address
    }

    /// The config access a data-port access of `size` bytes at `port`
    /// (0xCFC–0xCFF) makes, or `None` when the latch is disabled or the
    /// access leaves the dword (it then reads all-ones, writes nothing).
    pub fn data(&self, port: u16, size: u8) -> Option<DataAccess> {
        let lane = port.checked_sub(CONFIG_DATA_PORT)?;
        if !self.address.enabled() || lane + u16::from(size) > 4 || size == 0 {
            return None;
        }
        Some(DataAccess {
            bdf: self.address.bdf(),
            offset: self.address.register() + lane,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_fields_and_round_trip() {
        let a = ConfigAddress(0x8a01_fb3c);
        assert!(a.enabled());
        assert_eq!(a.bdf(), Bdf::new(1, 31, 3).unwrap());
        assert_eq!(a.register(), 0xa3c);
        assert_eq!(ConfigAddress::of(a.bdf(), a.register()), a);
        assert!(!ConfigAddress(0x0000_0010).enabled());
    }

    #[test]
    fn data_port_lanes() {
        let mut p = LegacyPorts::default();
        assert_eq!(p.data(0xcfc, 4), None, "latch disabled");
        p.write_address(2, 0x8000_0000);
        assert_eq!(p.read_address(4), 0, "word write dropped");
        p.write_address(4, ConfigAddress::of(Bdf::new(0, 2, 0).unwrap(), 0x10).0);
        assert_eq!(p.read_address(4), 0x8000_1010);
        assert_eq!(p.read_address(1), u32::MAX);
        let d = p.data(0xcfe, 2).unwrap();
        assert_eq!(d.offset, 0x12);
        assert_eq!(d.bdf.device, 2);
        assert_eq!(p.data(0xcff, 1).unwrap().offset, 0x13);
        assert_eq!(p.data(0xcfe, 4), None, "crosses the dword");
        assert_eq!(p.data(0xcf8, 4), None);
    }
}
