//! BARs: what a sizing probe says about one ([`BarInfo`], decoded from the
//! value read back after writing all-ones — HDV's GetDetails and VPCI's
//! ProbedBARs hand over exactly these values), and one BAR's register as
//! the guest sees it ([`Bar`]: sizing, relocation).

/// The kind of a BAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    /// A memory BAR below 4 GiB (type 00).
    Memory32 {
        /// Prefetchable (bit 3).
        prefetchable: bool,
    },
    /// A 64-bit memory BAR (type 10): it takes this BAR and the next.
    Memory64 {
        /// Prefetchable (bit 3).
        prefetchable: bool,
    },
    /// An I/O BAR (bit 0 set).
    Io,
}

impl BarKind {
    /// Whether the BAR decodes memory (not I/O).
    pub fn is_memory(self) -> bool {
        !matches!(self, BarKind::Io)
    }

    /// The read-only low bits of the register (space, type, prefetch).
    pub fn flag_bits(self) -> u32 {
        match self {
            BarKind::Memory32 { prefetchable } => u32::from(prefetchable) << 3,
            BarKind::Memory64 { prefetchable } => 0b100 | u32::from(prefetchable) << 3,
            BarKind::Io => 1,
        }
    }
}

/// A BAR as its sizing probe describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarInfo {
    /// Memory (32/64-bit) or I/O.
    pub kind: BarKind,
    /// Size in bytes: a power of two (at least 16 for memory, 4 for I/O).
    pub size: u64,
}

impl BarInfo {
    /// Decodes the six probed values of a type-0 header (BAR n's register
    /// as read back after writing all-ones; 0 = no BAR; a 64-bit BAR's
    /// upper half in the next entry). A value that is no valid BAR — a
    /// reserved memory type (11), no address bit writable, a 64-bit BAR in
    /// the last slot, an address mask with a hole — decodes as absent.
    /// Entry n of the result is the BAR that starts at register n (the
    /// upper half of a 64-bit BAR is `None`).
    pub fn decode_probed(probed: &[u32; 6]) -> [Option<BarInfo>; 6] {
        let mut out = [None; 6];
        let mut i = 0;
        while i < 6 {
            let v = probed[i];
            if v & 1 == 1 {
                let mask = v & !0x3;
                out[i] = contiguous_size(u64::from(mask), 0xffff_fffc).map(|size| BarInfo {
                    kind: BarKind::Io,
                    size,
                });
                i += 1;
                continue;
            }
            let prefetchable = v & 0x8 != 0;
            match (v >> 1) & 0x3 {
                0b00 => {
                    out[i] =
                        contiguous_size(u64::from(v & !0xf), 0xffff_fff0).map(|size| BarInfo {
                            kind: BarKind::Memory32 { prefetchable },
                            size,
                        });
                    i += 1;
                }
                0b10 if i + 1 < 6 => {
                    let mask = u64::from(probed[i + 1]) << 32 | u64::from(v & !0xf);
                    out[i] = contiguous_size(mask, !0xf).map(|size| BarInfo {
                        kind: BarKind::Memory64 { prefetchable },
                        size,
                    });
                    i += 2;
                }
                _ => i += 1,
            }
        }
        out
    }

    /// The value a sizing probe reads back: the low register and, for a
    /// 64-bit BAR, the upper one.
    pub fn probed(&self) -> (u32, Option<u32>) {
        let mask = !(self.size - 1);
        let low = (mask as u32 & !0xf) | self.kind.flag_bits();
        match self.kind {
            BarKind::Memory64 { .. } => (low, Some((mask >> 32) as u32)),
            BarKind::Memory32 { .. } => (low, None),
            BarKind::Io => ((mask as u32 & !0x3) | 1, None),
        }
    }
}

/// The size an address mask stands for, when its set bits run unbroken
/// from the lowest one up to the top of `full` (the register's address
/// bits); I/O BARs may leave their upper 16 bits unimplemented (all zero).
fn contiguous_size(mask: u64, full: u64) -> Option<u64> {
    if mask == 0 {
        return None;
    }
    let size = mask & mask.wrapping_neg();
    let ones = full & !(size - 1);
    let io16 = full == 0xffff_fffc && mask == ones & 0xffff;
    (mask == ones || io16).then_some(size)
}

/// One BAR's register: its kind and size, and the address the guest (or
/// the platform's placement) gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// Kind and size.
    pub info: BarInfo,
    /// The base address (a multiple of the size, except while a sizing
    /// probe is in progress: then the mask).
    pub address: u64,
}

impl Bar {
    /// A BAR of `info` at address 0.
    pub fn new(info: BarInfo) -> Bar {
        Bar { info, address: 0 }
    }

    fn mask(&self) -> u64 {
        let mask = !(self.info.size - 1);
        match self.info.kind {
            BarKind::Memory64 { .. } => mask,
            BarKind::Memory32 { .. } => mask & 0xffff_fff0,
            BarKind::Io => mask & 0xffff_fffc,
        }
    }

    /// The low register as the guest reads it.
    pub fn read_low(&self) -> u32 {
        (self.address & self.mask()) as u32 | self.info.kind.flag_bits()
    }

    /// The upper register of a 64-bit BAR as the guest reads it.
    pub fn read_high(&self) -> u32 {
        ((self.address & self.mask()) >> 32) as u32
    }

    /// A guest write of the low register; true when the address changed.
    pub fn write_low(&mut self, value: u32) -> bool {
        let old = self.address;
        let high = self.address & !0xffff_ffff;
        self.address = (high | u64::from(value)) & self.mask();
        old != self.address
    }

    /// A guest write of the upper register of a 64-bit BAR; true when the
    /// address changed.
    pub fn write_high(&mut self, value: u32) -> bool {
        let old = self.address;
        self.address = (u64::from(value) << 32 | (self.address & 0xffff_ffff)) & self.mask();
        old != self.address
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_memory_io_and_64_bit() {
        let probed = [
            0xffff_f000,
            0xfff0_000c,
            0xffff_ffff,
            0xffff_ff01,
            0,
            0x0000_fff1,
        ];
        let bars = BarInfo::decode_probed(&probed);
        assert_eq!(
            bars[0],
            Some(BarInfo {
                kind: BarKind::Memory32 {
                    prefetchable: false
                },
                size: 0x1000
            })
        );
        assert_eq!(
            bars[1],
            Some(BarInfo {
                kind: BarKind::Memory64 { prefetchable: true },
                size: 0x10_0000
            })
        );
        assert_eq!(bars[2], None, "the upper half of BAR1");
        assert_eq!(
            bars[3],
            Some(BarInfo {
                kind: BarKind::Io,
                size: 0x100
            })
        );
        assert_eq!(bars[4], None);
        assert_eq!(
            bars[5],
            Some(BarInfo {
                kind: BarKind::Io,
                size: 0x10
            }),
            "an I/O BAR with 16 address bits"
        );
        // (BAR5's 16-bit form re-encodes with all 32 address bits.)
        for (i, b) in bars.iter().enumerate().take(5) {
            if let Some(b) = b {
                let (low, high) = b.probed();
                assert_eq!(low, probed[i]);
                if let Some(h) = high {
                    assert_eq!(h, probed[i + 1]);
                }
            }
        }
    }

    #[test]
    fn decode_refuses_invalid_values() {
        // Reserved type 11, a hole in the mask, a 64-bit BAR in the last
        // slot, a memory BAR with no writable bit.
        let probed = [0xffff_f006, 0xff0f_f000, 0, 0, 0x0000_0000, 0xffff_f004];
        assert_eq!(BarInfo::decode_probed(&probed), [None; 6]);
        // A 64-bit BAR larger than 4 GiB.
        let big = BarInfo::decode_probed(&[0x0000_000c, 0xffff_fffe, 0, 0, 0, 0]);
        assert_eq!(big[0].unwrap().size, 1 << 33);
    }

    #[test]
    fn sizing_and_relocation() {
        let info = BarInfo {
            kind: BarKind::Memory64 {
                prefetchable: false,
            },
            size: 0x10_0000,
        };
        let mut bar = Bar::new(info);
        assert!(bar.write_low(0xfeb0_0000));
        assert!(bar.write_high(0x1));
        assert_eq!(bar.address, 0x1_feb0_0000);
        assert_eq!(bar.read_low(), 0xfeb0_0004);
        assert_eq!(bar.read_high(), 1);
        // Sizing: all-ones reads back the probe value.
        bar.write_low(0xffff_ffff);
        bar.write_high(0xffff_ffff);
        assert_eq!((bar.read_low(), Some(bar.read_high())), info.probed());
        // Unaligned bits are dropped.
        bar.write_low(0x1234_5678);
        bar.write_high(0);
        assert_eq!(bar.address, 0x1230_0000);
        assert!(!bar.write_low(0x1230_0000));

        let mut io = Bar::new(BarInfo {
            kind: BarKind::Io,
            size: 0x20,
        });
        io.write_low(0xc0ff);
        assert_eq!(io.read_low(), 0xc0e1);
        io.write_low(0xffff_ffff);
        assert_eq!(io.read_low(), 0xffff_ffe1);
    }
}
