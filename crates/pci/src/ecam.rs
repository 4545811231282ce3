//! [`Ecam`]: the PCI Express enhanced configuration access window — 1 MiB
//! of MMIO per bus, 4 KiB per function: `base + (bus - first) << 20 |
//! device << 15 | function << 12 | offset`.

use crate::address::Bdf;

/// An ECAM window for buses `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecam {
    /// The window's base (1 MiB-aligned; for ACPI's MCFG, the address of
    /// bus `first`).
    pub base: u64,
    /// The first bus.
    pub first: u8,
    /// The last bus.
    pub last: u8,
}

impl Ecam {
    /// The window's size in bytes.
    pub fn size(&self) -> u64 {
        (u64::from(self.last.saturating_sub(self.first)) + 1) << 20
    }

    /// The function and byte offset an access at `gpa` reaches; `None`
    /// outside the window.
    pub fn decode(&self, gpa: u64) -> Option<(Bdf, u16)> {
        let rel = gpa.checked_sub(self.base)?;
        if rel >= self.size() {
            return None;
        }
        Some((
            Bdf {
                bus: self.first + (rel >> 20) as u8,
                device: ((rel >> 15) & 0x1f) as u8,
                function: ((rel >> 12) & 7) as u8,
            },
            (rel & 0xfff) as u16,
        ))
    }

    /// The address of `bdf`'s register at `offset`; `None` for a bus
    /// outside the window.
    pub fn address(&self, bdf: Bdf, offset: u16) -> Option<u64> {
        (self.first..=self.last).contains(&bdf.bus).then(|| {
            self.base
                + (u64::from(bdf.bus - self.first) << 20
                    | u64::from(bdf.device & 0x1f) << 15
                    | u64::from(bdf.function & 7) << 12
                    | u64::from(offset & 0xfff))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_encode() {
        let e = Ecam {
            base: 0xb000_0000,
            first: 0,
            last: 1,
        };
        assert_eq!(e.size(), 2 << 20);
        let (bdf, off) = e.decode(0xb01f_f104).unwrap();
        assert_eq!(bdf, Bdf::new(1, 31, 7).unwrap());
        assert_eq!(off, 0x104);
        assert_eq!(e.address(bdf, off), Some(0xb01f_f104));
        assert_eq!(e.decode(0xb020_0000), None);
        assert_eq!(e.decode(0xafff_ffff), None);
        assert_eq!(e.address(Bdf::new(2, 0, 0).unwrap(), 0), None);
    }
}
