//! [`Windows`]: where BARs go when a function is plugged — as firmware
//! does before the OS runs, so guests without a PCI allocator find them
//! placed. Each window hands out naturally aligned ranges from its start
//! upwards; nothing is given back (unplugging is rare, the windows large).

use std::ops::Range;

use crate::bar::{BarInfo, BarKind};

/// The address windows BARs are placed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    /// Memory below 4 GiB (32-bit BARs, and 64-bit ones when `mem64` is
    /// empty or full).
    pub mem32: Range<u64>,
    /// Memory above 4 GiB for 64-bit BARs (may be empty).
    pub mem64: Range<u64>,
    /// I/O ports.
    pub io: Range<u64>,
}

impl Windows {
    /// Takes a range for `bar` and returns its base; `None` when no window
    /// that suits it has room.
    pub fn place(&mut self, bar: &BarInfo) -> Option<u64> {
        match bar.kind {
            BarKind::Io => take(&mut self.io, bar.size),
            BarKind::Memory32 { .. } => take(&mut self.mem32, bar.size),
            BarKind::Memory64 { .. } => {
                take(&mut self.mem64, bar.size).or_else(|| take(&mut self.mem32, bar.size))
            }
        }
    }
}

/// Takes `size` bytes aligned to `size` from the start of `window`.
fn take(window: &mut Range<u64>, size: u64) -> Option<u64> {
    let base = window.start.checked_next_multiple_of(size)?;
    let end = base.checked_add(size)?;
    if end > window.end {
        return None;
    }
    window.start = end;
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_alignment_and_fallback() {
        let mut w = Windows {
            mem32: 0xfe00_1000..0xfe40_0000,
            mem64: 0..0,
            io: 0xc000..0xd000,
        };
        let mem = |size, wide| BarInfo {
            kind: if wide {
                BarKind::Memory64 { prefetchable: true }
            } else {
                BarKind::Memory32 {
                    prefetchable: false,
                }
            },
            size,
        };
        assert_eq!(w.place(&mem(0x1000, false)), Some(0xfe00_1000));
        assert_eq!(
            w.place(&mem(0x10_0000, true)),
            Some(0xfe10_0000),
            "64-bit falls back below 4 GiB"
        );
        assert_eq!(w.place(&mem(0x1000, false)), Some(0xfe20_0000));
        assert_eq!(w.place(&mem(0x40_0000, false)), None, "full");
        assert_eq!(
            w.place(&BarInfo {
                kind: BarKind::Io,
                size: 0x100
            }),
            Some(0xc000)
        );
        let mut hi = Windows {
            mem32: 0..0,
            mem64: 0x1_0000_0000..0x2_0000_0000,
            io: 0..0,
        };
        assert_eq!(hi.place(&mem(0x4000, true)), Some(0x1_0000_0000));
        assert_eq!(hi.place(&mem(0x4000, false)), None);
        let mut edge = Windows {
            mem32: u64::MAX - 10..u64::MAX,
            mem64: 0..0,
            io: 0..0,
        };
        assert_eq!(edge.place(&mem(0x1000, false)), None, "no overflow");
    }
}
