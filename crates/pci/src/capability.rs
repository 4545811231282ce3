//! The walk of a function's capability lists: the standard list from the
//! capabilities pointer (0x34) and the PCI Express extended list from
//! 0x100. Config space is read one dword at a time through a closure, so
//! the walk works on any [`crate::PciFunction`] or [`crate::ConfigSpace`].
//! A malformed list (a loop, a pointer into the header, past the end)
//! ends the walk; it never spins.

use crate::regs;

/// One standard capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    /// The capability ID (`regs::CAP_ID_*`).
    pub id: u8,
    /// Its offset in config space.
    pub offset: u16,
}

/// One extended (PCI Express) capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedCapability {
    /// The extended capability ID.
    pub id: u16,
    /// Its version.
    pub version: u8,
    /// Its offset in config space.
    pub offset: u16,
}

/// The most entries a list walk visits: the standard list has room for 48
/// (192 bytes of 4-byte capabilities), the extended list for 960.
const STANDARD_MAX: usize = 48;
const EXTENDED_MAX: usize = 960;

/// The standard capabilities, in list order, read through `read` (the
/// dword at a dword-aligned offset). Empty when the status register's
/// capabilities bit is clear.
pub fn capabilities(read: impl Fn(u16) -> u32) -> Vec<Capability> {
    let mut out = Vec::new();
    let status = (read(regs::COMMAND) >> 16) as u16;
    if status & regs::STATUS_CAPABILITIES == 0 {
        return out;
    }
    let mut next = (read(regs::CAPABILITIES_POINTER) & 0xfc) as u16;
    while next >= 0x40 && out.len() < STANDARD_MAX {
        if out.iter().any(|c: &Capability| c.offset == next) {
            break;
        }
        let dword = read(next);
        out.push(Capability {
            id: dword as u8,
            offset: next,
        });
        next = ((dword >> 8) & 0xfc) as u16;
    }
    out
}

/// The extended capabilities from 0x100 on, in list order. Empty when the
/// first header reads 0 or all-ones (no extended space).
pub fn extended_capabilities(read: impl Fn(u16) -> u32) -> Vec<ExtendedCapability> {
    let mut out = Vec::new();
    let mut next = regs::EXTENDED_CAPABILITIES;
    while (regs::EXTENDED_CAPABILITIES..regs::CONFIG_SPACE_SIZE).contains(&next)
        && out.len() < EXTENDED_MAX
    {
        let dword = read(next);
        if dword == 0 || dword == u32::MAX {
            break;
        }
        if out.iter().any(|c: &ExtendedCapability| c.offset == next) {
            break;
        }
        out.push(ExtendedCapability {
            id: dword as u16,
            version: ((dword >> 16) & 0xf) as u8,
            offset: next,
        });
        next = ((dword >> 20) & 0xffc) as u16;
    }
    out
}

/// The offset of the first standard capability with `id`.
pub fn find_capability(read: impl Fn(u16) -> u32, id: u8) -> Option<u16> {
    capabilities(read)
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn space(dwords: &[(u16, u32)]) -> impl Fn(u16) -> u32 + use<> {
        let m: HashMap<u16, u32> = dwords.iter().copied().collect();
        move |o| m.get(&o).copied().unwrap_or(0)
    }

    #[test]
    fn walks_the_standard_list() {
        let read = space(&[
            (regs::COMMAND, u32::from(regs::STATUS_CAPABILITIES) << 16),
            (regs::CAPABILITIES_POINTER, 0x43), // low bits ignored
            (0x40, 0x0000_5005),                // MSI, next 0x50
            (0x50, 0x0000_0011),                // MSI-X, end
        ]);
        assert_eq!(
            capabilities(&read),
            [
                Capability {
                    id: 5,
                    offset: 0x40
                },
                Capability {
                    id: 0x11,
                    offset: 0x50
                }
            ]
        );
        assert_eq!(find_capability(&read, regs::CAP_ID_MSIX), Some(0x50));
        assert_eq!(find_capability(&read, regs::CAP_ID_PM), None);
    }

    #[test]
    fn malformed_lists_end() {
        // No capabilities bit.
        assert!(capabilities(space(&[(regs::CAPABILITIES_POINTER, 0x40), (0x40, 5)])).is_empty());
        // A loop.
        let looped = space(&[
            (regs::COMMAND, 0x10 << 16),
            (regs::CAPABILITIES_POINTER, 0x40),
            (0x40, 0x5005),
            (0x50, 0x4001),
        ]);
        assert_eq!(capabilities(looped).len(), 2);
        // A pointer into the header.
        let header = space(&[
            (regs::COMMAND, 0x10 << 16),
            (regs::CAPABILITIES_POINTER, 0x10),
        ]);
        assert!(capabilities(header).is_empty());
    }

    #[test]
    fn walks_the_extended_list() {
        let read = space(&[
            (0x100, 0x1401_0001), // AER v1, next 0x140
            (0x140, 0x0001_000b), // vendor-specific v1, end
        ]);
        assert_eq!(
            extended_capabilities(&read),
            [
                ExtendedCapability {
                    id: 1,
                    version: 1,
                    offset: 0x100
                },
                ExtendedCapability {
                    id: 0xb,
                    version: 1,
                    offset: 0x140
                }
            ]
        );
        assert!(extended_capabilities(|_| u32::MAX).is_empty());
        assert_eq!(
            extended_capabilities(|o| if o == 0x100 { 0x1001_0001 } else { 0 }).len(),
            1
        );
    }
}
