//! [`Bdf`]: the address of one PCI function on a segment.

use std::fmt;

/// Bus, device (0..32) and function (0..8) of a PCI function.
/// `Bdf::default()` is 00:00.0, the host bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bdf {
    /// Bus number.
    pub bus: u8,
    /// Device number, 0..32.
    pub device: u8,
    /// Function number, 0..8.
    pub function: u8,
}

impl Bdf {
    /// The function at `bus:device.function`; `None` when the device or
    /// function number is out of range.
    pub fn new(bus: u8, device: u8, function: u8) -> Option<Bdf> {
        (device < 32 && function < 8).then_some(Bdf {
            bus,
            device,
            function,
        })
    }

    /// The 16-bit routing id (bus << 8 | device << 3 | function).
    pub fn routing_id(self) -> u16 {
        u16::from(self.bus) << 8 | u16::from(self.device) << 3 | u16::from(self.function)
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_display() {
        assert!(Bdf::new(0, 32, 0).is_none());
        assert!(Bdf::new(0, 0, 8).is_none());
        let b = Bdf::new(1, 31, 7).unwrap();
        assert_eq!(b.to_string(), "01:1f.7");
        assert_eq!(b.routing_id(), 0x01ff);
    }
}
