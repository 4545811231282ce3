//! [`Header`]: the registers of a type-0 header the platform keeps for
//! itself, as the Windows VID does for HDV devices: the six BARs (sized
//! from the function's probed values, placed and moved by the guest), the
//! command register (its memory-space and I/O-space bits gate the BARs'
//! decoding) and the expansion ROM register (no ROM: reads 0). Every other
//! register belongs to the function.

use crate::bar::{Bar, BarInfo, BarKind};
use crate::regs;

/// The platform-owned registers of one function's header.
#[derive(Debug, Clone)]
pub struct Header {
    bars: [Option<Bar>; regs::BAR_COUNT],
    command: u16,
}

/// What a write to a platform-owned register changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderWrite {
    /// The register was the header's (not forwarded to the function).
    pub owned: bool,
    /// The decoded regions changed: a BAR moved while decoding, or the
    /// command register's memory or I/O bit changed.
    pub regions_changed: bool,
}

impl Header {
    /// A header for the BARs a function's probed values describe
    /// ([`BarInfo::decode_probed`]), at address 0, decoding off.
    pub fn new(probed: &[u32; 6]) -> Header {
        Header {
            bars: BarInfo::decode_probed(probed).map(|b| b.map(Bar::new)),
            command: 0,
        }
    }

    /// The BAR that starts at register `index`.
    pub fn bar(&self, index: usize) -> Option<&Bar> {
        self.bars.get(index)?.as_ref()
    }

    /// Places the BAR that starts at register `index` at `address` (the
    /// platform's placement at plug time). False when there is no such BAR
    /// or the address is not a multiple of its size.
    pub fn place(&mut self, index: usize, address: u64) -> bool {
        match self.bars.get_mut(index).and_then(Option::as_mut) {
            Some(bar) if address % bar.info.size == 0 => {
                bar.address = address;
                true
            }
            _ => false,
        }
    }

    /// The command register.
    pub fn command(&self) -> u16 {
        self.command
    }

    /// Whether memory BARs decode (command bit 1).
    pub fn memory_enabled(&self) -> bool {
        self.command & regs::COMMAND_MEMORY != 0
    }

    /// Whether I/O BARs decode (command bit 0).
    pub fn io_enabled(&self) -> bool {
        self.command & regs::COMMAND_IO != 0
    }

    /// Whether the function may master the bus (DMA, MSIs).
    pub fn bus_master(&self) -> bool {
        self.command & regs::COMMAND_BUS_MASTER != 0
    }

    /// Whether the BAR at `index` decodes now (its space is enabled).
    pub fn decoding(&self, index: usize) -> bool {
        match self.bar(index) {
            Some(b) if b.info.kind.is_memory() => self.memory_enabled(),
            Some(_) => self.io_enabled(),
            None => false,
        }
    }

    /// The register `index` (0..6) that is the upper half of a 64-bit BAR
    /// starting one below.
    fn upper_of(&self, index: usize) -> Option<usize> {
        let low = index.checked_sub(1)?;
        matches!(self.bar(low)?.info.kind, BarKind::Memory64 { .. }).then_some(low)
    }

    /// The dword at `offset` (dword-aligned) when the header owns it; the
    /// command register's dword answers only its low half (the status is
    /// the function's).
    pub fn read(&self, offset: u16) -> Option<u32> {
        match offset {
            regs::COMMAND => Some(u32::from(self.command)),
            o if (regs::BAR0..regs::BAR0 + 24).contains(&o) => {
                let i = usize::from((o - regs::BAR0) / 4);
                Some(match (self.bar(i), self.upper_of(i)) {
                    (Some(b), _) => b.read_low(),
                    (None, Some(low)) => self.bars[low].map_or(0, |b| b.read_high()),
                    (None, None) => 0,
                })
            }
            regs::EXPANSION_ROM => Some(0),
            _ => None,
        }
    }

    /// A guest write of the dword at `offset` (dword-aligned, whole dword).
    pub fn write(&mut self, offset: u16, value: u32) -> HeaderWrite {
        match offset {
            regs::COMMAND => {
                let old = self.command;
                self.command = value as u16 & regs::COMMAND_WRITABLE;
                let spaces = regs::COMMAND_MEMORY | regs::COMMAND_IO;
                HeaderWrite {
                    owned: true,
                    regions_changed: (old ^ self.command) & spaces != 0,
                }
            }
            o if (regs::BAR0..regs::BAR0 + 24).contains(&o) => {
                let i = usize::from((o - regs::BAR0) / 4);
                let moved = if self.bars[i].is_some() {
                    self.bars[i].as_mut().is_some_and(|b| b.write_low(value)) && self.decoding(i)
                } else if let Some(low) = self.upper_of(i) {
                    self.bars[low].as_mut().is_some_and(|b| b.write_high(value))
                        && self.decoding(low)
                } else {
                    false
                };
                HeaderWrite {
                    owned: true,
                    regions_changed: moved,
                }
            }
            regs::EXPANSION_ROM => HeaderWrite {
                owned: true,
                regions_changed: false,
            },
            _ => HeaderWrite::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        // BAR0 1 MiB 32-bit, BAR2/3 a 64-bit 16 KiB, BAR4 I/O 32 bytes.
        Header::new(&[0xfff0_0000, 0, 0xffff_c004, 0xffff_ffff, 0xffff_ffe1, 0])
    }

    #[test]
    fn owned_registers() {
        let mut h = header();
        assert_eq!(h.read(regs::VENDOR_ID), None);
        assert_eq!(h.read(regs::SUBSYSTEM), None);
        assert_eq!(h.read(regs::EXPANSION_ROM), Some(0));
        assert!(h.write(regs::EXPANSION_ROM, 0xffff_ffff).owned);
        assert_eq!(h.read(regs::EXPANSION_ROM), Some(0));
        assert_eq!(h.read(regs::BAR0 + 4), Some(0), "no BAR1");
        assert!(!h.write(regs::CAPABILITIES_POINTER, 0).owned);
    }

    #[test]
    fn sizing_then_placing_each_kind() {
        let mut h = header();
        for i in 0..6u16 {
            h.write(regs::BAR0 + 4 * i, 0xffff_ffff);
        }
        let probed: Vec<u32> = (0..6u16)
            .map(|i| h.read(regs::BAR0 + 4 * i).unwrap())
            .collect();
        assert_eq!(
            probed,
            [0xfff0_0000, 0, 0xffff_c004, 0xffff_ffff, 0xffff_ffe1, 0]
        );
        h.write(regs::BAR0, 0xfe00_0000);
        h.write(regs::BAR0 + 8, 0x8000_0000);
        h.write(regs::BAR0 + 12, 0x2);
        h.write(regs::BAR0 + 16, 0xc000);
        assert_eq!(h.bar(0).unwrap().address, 0xfe00_0000);
        assert_eq!(h.bar(2).unwrap().address, 0x2_8000_0000);
        assert_eq!(h.bar(4).unwrap().address, 0xc000);
        assert_eq!(h.read(regs::BAR0 + 12), Some(2));
    }

    #[test]
    fn command_gates_decoding_and_reports_changes() {
        let mut h = header();
        assert!(h.place(0, 0xfe00_0000));
        assert!(!h.place(0, 0xfe00_1000), "unaligned");
        assert!(!h.place(1, 0), "no BAR1");
        // Moving a BAR while decoding is off changes no region.
        assert!(!h.write(regs::BAR0, 0xfd00_0000).regions_changed);
        let w = h.write(regs::COMMAND, 0xffff_ffff);
        assert!(w.owned && w.regions_changed);
        assert_eq!(h.command(), regs::COMMAND_WRITABLE);
        assert!(h.memory_enabled() && h.io_enabled() && h.bus_master());
        assert!(h.decoding(0) && h.decoding(4) && !h.decoding(1));
        assert!(h.write(regs::BAR0, 0xfc00_0000).regions_changed);
        assert!(
            !h.write(regs::BAR0, 0xfc00_0000).regions_changed,
            "same place"
        );
        assert!(
            h.write(regs::BAR0 + 12, 1).regions_changed,
            "upper half moved"
        );
        assert!(
            !h.write(regs::COMMAND, u32::from(regs::COMMAND_WRITABLE))
                .regions_changed
        );
        assert!(h.write(regs::COMMAND, 0).regions_changed);
    }
}
