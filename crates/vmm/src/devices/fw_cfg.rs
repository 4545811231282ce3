//! QEMU's fw_cfg, its traditional port interface only (no DMA): a 16-bit
//! key written to port 0x510 selects an item, byte reads of port 0x511
//! return it in order. The basic keys kvm-unit-tests and firmware read:
//! the signature, the interface id, RAM size, CPU counts, NUMA (none) and
//! an empty file directory. Other keys read as zeros.

use super::bus::{Device, value};
use super::stop::Stop;

/// The selector port (the data port follows it).
pub const PORT: u16 = 0x510;

/// The keys.
pub const SIGNATURE: u16 = 0x00;
/// Interface id: bit 0 = the traditional interface.
pub const ID: u16 = 0x01;
/// RAM size, u64.
pub const RAM_SIZE: u16 = 0x03;
/// No graphics, u16.
pub const NOGRAPHIC: u16 = 0x04;
/// Boot CPUs, u16.
pub const NB_CPUS: u16 = 0x05;
/// NUMA: u64 node count (0), then nothing.
pub const NUMA: u16 = 0x0d;
/// Possible CPUs, u16.
pub const MAX_CPUS: u16 = 0x0f;
/// The file directory: a big-endian u32 count (0).
pub const FILE_DIR: u16 = 0x19;

/// The device.
pub struct FwCfg {
    ram_size: u64,
    cpus: u16,
    item: Vec<u8>,
    at: usize,
}

impl FwCfg {
    /// For a VM of `ram_size` bytes and `cpus` VPs.
    pub fn new(ram_size: u64, cpus: u16) -> Self {
        let mut d = Self {
            ram_size,
            cpus,
            item: Vec::new(),
            at: 0,
        };
        d.select(SIGNATURE);
        d
    }

    fn select(&mut self, key: u16) {
        self.at = 0;
        self.item = match key {
            SIGNATURE => b"QEMU".to_vec(),
            ID => 1u32.to_le_bytes().to_vec(),
            RAM_SIZE => self.ram_size.to_le_bytes().to_vec(),
            NOGRAPHIC => 1u16.to_le_bytes().to_vec(),
            NB_CPUS | MAX_CPUS => self.cpus.to_le_bytes().to_vec(),
            NUMA => 0u64.to_le_bytes().to_vec(),
            FILE_DIR => 0u32.to_be_bytes().to_vec(),
            _ => Vec::new(),
        };
    }
}

impl Device for FwCfg {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        if offset != 1 {
            data.fill(0);
            return;
        }
        for b in data.iter_mut() {
            *b = self.item.get(self.at).copied().unwrap_or(0);
            self.at += 1;
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        if offset == 0 {
            self.select(value(data) as u16);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(d: &mut FwCfg, key: u16, n: usize) -> Vec<u8> {
        d.write(0, &key.to_le_bytes());
        (0..n)
            .map(|_| {
                let mut b = [0];
                d.read(1, &mut b);
                b[0]
            })
            .collect()
    }

    #[test]
    fn basic_keys() {
        let mut d = FwCfg::new(64 << 20, 4);
        assert_eq!(get(&mut d, SIGNATURE, 4), b"QEMU");
        assert_eq!(get(&mut d, NB_CPUS, 2), [4, 0]);
        assert_eq!(get(&mut d, MAX_CPUS, 2), [4, 0]);
        assert_eq!(get(&mut d, RAM_SIZE, 8), (64u64 << 20).to_le_bytes());
        assert_eq!(get(&mut d, 0x1234, 2), [0, 0]);
    }
}
