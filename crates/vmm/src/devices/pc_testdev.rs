//! QEMU's pc-testdev, which kvm-unit-tests' x86 tests use: a 32-bit
//! scratch register at ports 0xe0-0xe3 (any access size and offset; the
//! same register byte by byte at 0xe4-0xe7), the flush-page port 0xe8
//! (accepted, no effect: QEMU uses it to mprotect the page on the host),
//! ISA IRQ lines at ports 0x2000-0x2017 (a non-zero write raises IRQ n),
//! and a 64 KiB memory window at 0xff000000 that reads back what was
//! written.

use std::sync::Arc;

use super::bus::{Device, fill, value};
use super::irq::IrqSink;
use super::stop::Stop;

/// The scratch register's ports (and the byte-wise view after them).
pub const IOPORT: u16 = 0xe0;
/// How many ports the scratch register, its byte view and flush take.
pub const IOPORT_LEN: u64 = 12;
/// The IRQ line ports.
pub const IRQ_PORTS: u16 = 0x2000;
/// How many IRQ lines.
pub const IRQ_LINES: u64 = 24;
/// The memory window's guest-physical address.
pub const IOMEM: u64 = 0xff00_0000;
/// Its size.
pub const IOMEM_LEN: u64 = 0x1_0000;

/// The ports: scratch register, its byte view, flush-page.
#[derive(Default)]
pub struct TestdevPorts {
    data: u32,
}

impl Device for TestdevPorts {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        if offset >= 8 {
            data.fill(0);
            return;
        }
        let shift = 8 * (offset & 3);
        fill(data, u64::from(self.data >> shift));
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        if offset < 8 {
            let shift = 8 * (offset & 3);
            let bits = (8 * data.len() as u64).min(32 - shift);
            let mask = (((1u64 << bits) - 1) << shift) as u32;
            self.data = (self.data & !mask) | (((value(data) << shift) as u32) & mask);
        }
        None
    }
}

/// The IRQ lines.
pub struct TestdevIrq {
    /// Where they go.
    pub sink: Arc<dyn IrqSink>,
}

impl Device for TestdevIrq {
    fn read(&mut self, _: u64, data: &mut [u8]) {
        data.fill(0);
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        if value(data) != 0 {
            self.sink.raise(offset as u8);
        }
        None
    }
}

/// The memory window.
pub struct TestdevMemory {
    buf: Vec<u8>,
}

impl Default for TestdevMemory {
    fn default() -> Self {
        Self {
            buf: vec![0; IOMEM_LEN as usize],
        }
    }
}

impl Device for TestdevMemory {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let start = offset as usize;
        for (i, b) in data.iter_mut().enumerate() {
            *b = self.buf.get(start + i).copied().unwrap_or(0);
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        let start = offset as usize;
        for (i, &b) in data.iter().enumerate() {
            if let Some(slot) = self.buf.get_mut(start + i) {
                *slot = b;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_register_by_size_and_offset() {
        let mut d = TestdevPorts::default();
        d.write(0, &0x1234_5678u32.to_le_bytes());
        let mut b = [0u8; 2];
        d.read(1, &mut b);
        assert_eq!(u16::from_le_bytes(b), 0x3456);
        d.write(6, &[0xab]);
        let mut w = [0u8; 4];
        d.read(0, &mut w);
        assert_eq!(u32::from_le_bytes(w), 0x12ab_5678);
    }

    #[test]
    fn memory_window_reads_back() {
        let mut m = TestdevMemory::default();
        m.write(0xfffe, &[1, 2, 3, 4]);
        let mut b = [0u8; 4];
        m.read(0xfffe, &mut b);
        assert_eq!(b, [1, 2, 0, 0]);
    }
}
