//! The port and MMIO buses: address ranges, each served by one device
//! behind its own lock (VPs run on their own threads). An access no device
//! claims reads all ones and writes nowhere, as on a PC.

use std::sync::{Arc, Mutex};

use super::stop::Stop;

/// A device on a bus. `offset` is from the start of the range it was
/// inserted at; `data` is the access (1, 2, 4 or 8 bytes, little-endian).
pub trait Device: Send {
    /// A read: fill `data`.
    fn read(&mut self, offset: u64, data: &mut [u8]);
    /// A write; `Some` ends the run (an exit device).
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop>;
}

/// A shared device.
pub type SharedDevice = Arc<Mutex<dyn Device>>;

struct Range {
    base: u64,
    len: u64,
    device: SharedDevice,
}

/// One address space (ports or guest-physical MMIO).
#[derive(Default)]
pub struct Bus {
    ranges: Vec<Range>,
}

impl Bus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `device` at `base..base + len`; ranges must not overlap.
    pub fn insert(&mut self, base: u64, len: u64, device: SharedDevice) {
        assert!(
            self.ranges
                .iter()
                .all(|r| base + len <= r.base || r.base + r.len <= base),
            "bus ranges overlap at {base:#x}"
        );
        let at = self.ranges.partition_point(|r| r.base < base);
        self.ranges.insert(at, Range { base, len, device });
    }

    fn find(&self, addr: u64) -> Option<&Range> {
        let i = self.ranges.partition_point(|r| r.base <= addr);
        let r = self.ranges.get(i.checked_sub(1)?)?;
        (addr - r.base < r.len).then_some(r)
    }

    /// Is anything at `addr`?
    pub fn claims(&self, addr: u64) -> bool {
        self.find(addr).is_some()
    }

    /// A read at `addr`; all ones where no device is.
    pub fn read(&self, addr: u64, data: &mut [u8]) {
        match self.find(addr) {
            Some(r) => lock(&r.device).read(addr - r.base, data),
            None => data.fill(0xff),
        }
    }

    /// A write at `addr`.
    pub fn write(&self, addr: u64, data: &[u8]) -> Option<Stop> {
        let r = self.find(addr)?;
        lock(&r.device).write(addr - r.base, data)
    }
}

/// Locks a device; a device whose lock a panicking thread left is still
/// used (its state is plain data).
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The little-endian value of an access.
pub fn value(data: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = data.len().min(8);
    bytes[..n].copy_from_slice(&data[..n]);
    u64::from_le_bytes(bytes)
}

/// Fills an access with the low bytes of `v`.
pub fn fill(data: &mut [u8], v: u64) {
    let n = data.len().min(8);
    data[..n].copy_from_slice(&v.to_le_bytes()[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo(u64);
    impl Device for Echo {
        fn read(&mut self, offset: u64, data: &mut [u8]) {
            fill(data, self.0 + offset);
        }
        fn write(&mut self, _: u64, data: &[u8]) -> Option<Stop> {
            self.0 = value(data);
            None
        }
    }

    #[test]
    fn ranges_route_and_gaps_read_ones() {
        let mut bus = Bus::new();
        bus.insert(0x10, 4, Arc::new(Mutex::new(Echo(0x100))));
        bus.insert(0x20, 1, Arc::new(Mutex::new(Echo(0x200))));
        let mut b = [0u8; 2];
        bus.read(0x12, &mut b);
        assert_eq!(value(&b), 0x102);
        bus.read(0x14, &mut b);
        assert_eq!(b, [0xff, 0xff]);
        bus.read(0x0f, &mut b);
        assert_eq!(b, [0xff, 0xff]);
        assert_eq!(bus.write(0x20, &[7]), None);
        bus.read(0x20, &mut b[..1]);
        assert_eq!(b[0], 7);
        assert!(bus.claims(0x13) && !bus.claims(0x21));
    }
}
