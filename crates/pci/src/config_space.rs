//! [`ConfigSpace`]: a function's 4 KiB configuration space as bytes, with
//! a write mask (bits the guest may change) and a write-1-to-clear mask
//! (status bits), for functions written in Rust — the host bridge, test
//! devices. The platform-owned header registers ([`crate::Header`]) never
//! reach it when the function sits in a [`crate::PciSegment`].

use crate::regs;

/// A function's configuration space.
#[derive(Clone)]
pub struct ConfigSpace {
    bytes: Box<[u8; 4096]>,
    writable: Box<[u8; 4096]>,
    clear_on_write: Box<[u8; 4096]>,
    /// The offset where the next capability goes.
    next_capability: u16,
    /// The last capability's offset (0: none yet).
    last_capability: u16,
}

impl std::fmt::Debug for ConfigSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigSpace")
            .field("header", &&self.bytes[..64])
            .finish_non_exhaustive()
    }
}

impl ConfigSpace {
    /// A type-0 header with these IDs and class code (`class << 16 |
    /// subclass << 8 | prog_if`), every other byte zero and read-only
    /// except the interrupt line (a scratch register the OS writes).
    pub fn new(vendor: u16, device: u16, class: u32, revision: u8) -> ConfigSpace {
        let mut c = ConfigSpace {
            bytes: Box::new([0; 4096]),
            writable: Box::new([0; 4096]),
            clear_on_write: Box::new([0; 4096]),
            next_capability: 0x40,
            last_capability: 0,
        };
        c.set_u16(regs::VENDOR_ID, vendor);
        c.set_u16(regs::VENDOR_ID + 2, device);
        c.set_u32(regs::CLASS_REVISION, class << 8 | u32::from(revision));
        c.writable[usize::from(regs::INTERRUPT)] = 0xff;
        c
    }

    /// Sets a byte (the function's side: no mask applies).
    pub fn set_u8(&mut self, offset: u16, value: u8) {
        if let Some(b) = self.bytes.get_mut(usize::from(offset)) {
            *b = value;
        }
    }

    /// Sets a little-endian word.
    pub fn set_u16(&mut self, offset: u16, value: u16) {
        for (i, b) in value.to_le_bytes().into_iter().enumerate() {
            self.set_u8(offset + i as u16, b);
        }
    }

    /// Sets a little-endian dword.
    pub fn set_u32(&mut self, offset: u16, value: u32) {
        for (i, b) in value.to_le_bytes().into_iter().enumerate() {
            self.set_u8(offset + i as u16, b);
        }
    }

    /// Marks `mask`'s bits of the dword at `offset` writable by the guest.
    pub fn set_writable(&mut self, offset: u16, mask: u32) {
        for (i, b) in mask.to_le_bytes().into_iter().enumerate() {
            if let Some(w) = self.writable.get_mut(usize::from(offset) + i) {
                *w = b;
            }
        }
    }

    /// Marks `mask`'s bits of the dword at `offset` write-1-to-clear.
    pub fn set_clear_on_write(&mut self, offset: u16, mask: u32) {
        for (i, b) in mask.to_le_bytes().into_iter().enumerate() {
            if let Some(w) = self.clear_on_write.get_mut(usize::from(offset) + i) {
                *w = b;
            }
        }
    }

    /// The byte at `offset` (0 past the end).
    pub fn u8_at(&self, offset: u16) -> u8 {
        self.bytes.get(usize::from(offset)).copied().unwrap_or(0)
    }

    /// The dword at `offset` (its low two bits ignored); 0 past the end.
    pub fn read_dword(&self, offset: u16) -> u32 {
        let o = offset & !3;
        u32::from_le_bytes([0, 1, 2, 3].map(|i| self.u8_at(o + i)))
    }

    /// A guest write of the dword at `offset` (low two bits ignored):
    /// writable bits take the value, write-1-to-clear bits written as 1
    /// clear.
    pub fn write_dword(&mut self, offset: u16, value: u32) {
        let o = usize::from(offset & !3);
        if o + 4 > self.bytes.len() {
            return;
        }
        for (i, v) in value.to_le_bytes().into_iter().enumerate() {
            let (w, c) = (self.writable[o + i], self.clear_on_write[o + i]);
            let b = &mut self.bytes[o + i];
            *b = (*b & !w) | (v & w);
            *b &= !(v & c);
        }
    }

    /// Appends a standard capability: `body` is its bytes after the ID
    /// and next-pointer bytes, `writable` the guest-writable mask of those
    /// bytes (shorter means read-only beyond). Links it into the list,
    /// sets the status register's capabilities bit, and returns its
    /// offset; `None` when the header's 192 bytes of capability room are
    /// full.
    pub fn add_capability(&mut self, id: u8, body: &[u8], writable: &[u8]) -> Option<u16> {
        let offset = self.next_capability;
        let len = (2 + body.len()).next_multiple_of(4) as u16;
        if offset + len > 0x100 {
            return None;
        }
        self.set_u8(offset, id);
        self.set_u8(offset + 1, 0);
        for (i, b) in body.iter().enumerate() {
            self.set_u8(offset + 2 + i as u16, *b);
        }
        for (i, w) in writable.iter().take(body.len()).enumerate() {
            self.writable[usize::from(offset) + 2 + i] = *w;
        }
        if self.last_capability == 0 {
            self.set_u8(regs::CAPABILITIES_POINTER, offset as u8);
        } else {
            self.set_u8(self.last_capability + 1, offset as u8);
        }
        let status = self.read_dword(regs::COMMAND) >> 16;
        self.set_u16(regs::COMMAND + 2, status as u16 | regs::STATUS_CAPABILITIES);
        self.last_capability = offset;
        self.next_capability = offset + len;
        Some(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::capabilities;

    #[test]
    fn ids_masks_and_w1c() {
        let mut c = ConfigSpace::new(0x1234, 0x11e8, 0x0000_ff00, 0x10);
        assert_eq!(c.read_dword(0), 0x11e8_1234);
        assert_eq!(c.read_dword(8), 0x0000_ff0010);
        c.write_dword(0, 0);
        assert_eq!(c.read_dword(0), 0x11e8_1234, "read-only");
        c.write_dword(regs::INTERRUPT, 0xffff_ff0b);
        assert_eq!(
            c.read_dword(regs::INTERRUPT),
            0x0b,
            "only the line is writable"
        );
        c.set_u16(6, 0x8000);
        c.set_clear_on_write(4, 0x8000_0000);
        c.write_dword(4, 0);
        assert_eq!(c.read_dword(4), 0x8000_0000, "0 leaves a W1C bit");
        c.write_dword(4, 0x8000_0000);
        assert_eq!(c.read_dword(4), 0);
        assert_eq!(c.read_dword(0x1000), 0, "past the end");
        c.write_dword(0xffe, 1);
    }

    #[test]
    fn capabilities_are_linked() {
        let mut c = ConfigSpace::new(1, 2, 0, 0);
        let a = c
            .add_capability(regs::CAP_ID_MSI, &[0; 10], &[0x71, 0])
            .unwrap();
        let b = c.add_capability(regs::CAP_ID_PM, &[0; 6], &[]).unwrap();
        assert_eq!((a, b), (0x40, 0x4c));
        let found = capabilities(|o| c.read_dword(o));
        assert_eq!(
            found.iter().map(|c| (c.id, c.offset)).collect::<Vec<_>>(),
            [(5, 0x40), (1, 0x4c)]
        );
        c.write_dword(a, 0xffff_ffff);
        assert_eq!(c.read_dword(a) >> 16, 0x71, "the writable control bits");
        while c.add_capability(9, &[0; 30], &[]).is_some() {}
        assert!(c.next_capability <= 0x100);
    }
}
