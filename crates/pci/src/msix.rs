//! MSI-X: the capability's registers decoded ([`MsixCapability`]: table
//! size, where the table and the pending-bit array live) and one
//! 16-byte table entry ([`MsixEntry`]).

use crate::msi::MsiMessage;

/// An MSI-X capability's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsixCapability {
    /// Its offset in config space.
    pub offset: u16,
    /// MSI-X enable (control bit 15).
    pub enabled: bool,
    /// Function mask (control bit 14): every vector masked.
    pub function_masked: bool,
    /// Table entries (control bits 10:0, plus one).
    pub table_size: u16,
    /// The BAR holding the table.
    pub table_bar: u8,
    /// The table's offset in that BAR.
    pub table_offset: u32,
    /// The BAR holding the pending-bit array.
    pub pba_bar: u8,
    /// The PBA's offset in that BAR.
    pub pba_offset: u32,
}

/// The size of one table entry.
pub const MSIX_ENTRY_SIZE: u64 = 16;

impl MsixCapability {
    /// Reads the capability at `offset` through `read`.
    pub fn read(read: impl Fn(u16) -> u32, offset: u16) -> MsixCapability {
        let control = (read(offset) >> 16) as u16;
        let table = read(offset + 4);
        let pba = read(offset + 8);
        MsixCapability {
            offset,
            enabled: control & (1 << 15) != 0,
            function_masked: control & (1 << 14) != 0,
            table_size: (control & 0x7ff) + 1,
            table_bar: (table & 7) as u8,
            table_offset: table & !7,
            pba_bar: (pba & 7) as u8,
            pba_offset: pba & !7,
        }
    }

    /// The table entry that holds byte `offset` of BAR `bar`, and the
    /// offset within the entry, when it falls in the table.
    pub fn table_entry_at(&self, bar: u8, offset: u64) -> Option<(u16, u8)> {
        let start = u64::from(self.table_offset);
        let end = start + u64::from(self.table_size) * MSIX_ENTRY_SIZE;
        (bar == self.table_bar && (start..end).contains(&offset)).then(|| {
            let rel = offset - start;
            (
                (rel / MSIX_ENTRY_SIZE) as u16,
                (rel % MSIX_ENTRY_SIZE) as u8,
            )
        })
    }
}

/// One MSI-X table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsixEntry {
    /// Message address.
    pub address: u64,
    /// Message data.
    pub data: u32,
    /// Vector control bit 0: masked.
    pub masked: bool,
}

impl MsixEntry {
    /// Decodes an entry's 16 bytes (address low, address high, data,
    /// vector control; little-endian).
    pub fn decode(bytes: &[u8; 16]) -> MsixEntry {
        let dword =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        MsixEntry {
            address: u64::from(dword(4)) << 32 | u64::from(dword(0)),
            data: dword(8),
            masked: dword(12) & 1 != 0,
        }
    }

    /// The entry's 16 bytes.
    pub fn encode(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&(self.address as u32).to_le_bytes());
        b[4..8].copy_from_slice(&((self.address >> 32) as u32).to_le_bytes());
        b[8..12].copy_from_slice(&self.data.to_le_bytes());
        b[12..16].copy_from_slice(&u32::from(self.masked).to_le_bytes());
        b
    }

    /// The message this entry sends, unless it (or the whole function,
    /// `function_masked`) is masked.
    pub fn message(&self, function_masked: bool) -> Option<MsiMessage> {
        (!self.masked && !function_masked).then_some(MsiMessage {
            address: self.address,
            data: self.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_and_table_lookup() {
        let c = MsixCapability::read(
            |o| match o {
                0x70 => 0xc003_0011,
                0x74 => 0x0000_2002,
                0x78 => 0x0000_3003,
                _ => 0,
            },
            0x70,
        );
        assert!(c.enabled && c.function_masked);
        assert_eq!(c.table_size, 4);
        assert_eq!((c.table_bar, c.table_offset), (2, 0x2000));
        assert_eq!((c.pba_bar, c.pba_offset), (3, 0x3000));
        assert_eq!(c.table_entry_at(2, 0x2000), Some((0, 0)));
        assert_eq!(c.table_entry_at(2, 0x203c), Some((3, 12)));
        assert_eq!(c.table_entry_at(2, 0x2040), None);
        assert_eq!(c.table_entry_at(0, 0x2000), None);
    }

    #[test]
    fn entry_round_trip_and_masks() {
        let e = MsixEntry {
            address: 0x1_fee0_2000,
            data: 0x41,
            masked: false,
        };
        assert_eq!(MsixEntry::decode(&e.encode()), e);
        assert_eq!(
            e.message(false),
            Some(MsiMessage {
                address: 0x1_fee0_2000,
                data: 0x41
            })
        );
        assert_eq!(e.message(true), None);
        assert_eq!(MsixEntry { masked: true, ..e }.message(false), None);
    }
}
