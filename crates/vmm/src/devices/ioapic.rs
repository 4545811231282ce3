//! A user-space IOAPIC (82093AA register model, 24 pins, at 0xfec00000):
//! IOREGSEL/IOWIN, the ID, version and arbitration registers and the
//! redirection table. A device's ISA IRQ reaches its pin (IRQ 0, the PIT,
//! on pin 2, as on QEMU's PC and in the MP table), and an unmasked entry
//! is sent as a fixed or lowest-priority message to the local APICs
//! through [`MessageSink`] (WHvRequestInterrupt). Every pin acts as an
//! edge: no remote IRR, no EOI broadcast (our devices raise edges; a
//! level-triggered guest setting is delivered once per raise).

use std::sync::{Arc, Mutex};

use super::bus::{Device, fill, lock, value};
use super::irq::IrqSink;
use super::stop::Stop;

/// The IOAPIC's guest-physical address.
pub const BASE: u64 = 0xfec0_0000;
/// Its MMIO window.
pub const LEN: u64 = 0x20;
/// Redirection entries.
pub const PINS: usize = 24;
/// The version register: 24 entries (max index 23), version 0x11.
const VERSION: u32 = 0x0017_0011;
/// Redirection entry bits.
const MASKED: u64 = 1 << 16;
const LOGICAL: u64 = 1 << 11;

/// Where the IOAPIC's messages go (the local APICs).
pub trait MessageSink: Send + Sync {
    /// A fixed (or, with `lowest_priority`, lowest-priority) edge interrupt.
    fn deliver(&self, vector: u8, destination: u8, logical: bool, lowest_priority: bool);
}

struct State {
    select: u8,
    id: u32,
    table: [u64; PINS],
}

/// The IOAPIC, shared by the MMIO bus and the devices raising IRQs.
pub struct IoApic {
    state: Mutex<State>,
    sink: Arc<dyn MessageSink>,
}

impl IoApic {
    /// An IOAPIC after reset: every pin masked.
    pub fn new(sink: Arc<dyn MessageSink>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                select: 0,
                id: 0,
                table: [MASKED; PINS],
            }),
            sink,
        })
    }

    /// The pin an ISA IRQ arrives on.
    pub fn pin(irq: u8) -> usize {
        if irq == 0 { 2 } else { usize::from(irq) }
    }

    fn read_register(&self, s: &State) -> u32 {
        match s.select {
            0x00 => s.id,
            0x01 => VERSION,
            0x02 => s.id,
            r @ 0x10..=0x3f => {
                let entry = s.table[usize::from(r - 0x10) / 2];
                if r % 2 == 0 {
                    entry as u32
                } else {
                    (entry >> 32) as u32
                }
            }
            _ => 0,
        }
    }

    fn write_register(s: &mut State, v: u32) {
        match s.select {
            0x00 => s.id = v & 0x0f00_0000,
            r @ 0x10..=0x3f => {
                let entry = &mut s.table[usize::from(r - 0x10) / 2];
                // Delivery status and remote IRR are read-only.
                let v = u64::from(v);
                *entry = if r % 2 == 0 {
                    (*entry & !0xffff_afff) | (v & 0xffff_afff)
                } else {
                    (*entry & 0xffff_ffff) | (v << 32)
                };
            }
            _ => {}
        }
    }
}

impl IrqSink for IoApic {
    fn raise(&self, irq: u8) {
        let pin = Self::pin(irq);
        let entry = match lock(&self.state).table.get(pin) {
            Some(&e) => e,
            None => return,
        };
        if entry & MASKED != 0 {
            return;
        }
        let mode = (entry >> 8) & 7;
        if mode > 1 {
            return; // SMI, NMI, INIT, ExtINT from a pin: not modelled
        }
        self.sink.deliver(
            entry as u8,
            (entry >> 56) as u8,
            entry & LOGICAL != 0,
            mode == 1,
        );
    }
}

/// The MMIO face of a shared [`IoApic`].
pub struct IoApicMmio(pub Arc<IoApic>);

impl Device for IoApicMmio {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let s = lock(&self.0.state);
        let v = match offset {
            0x00 => u32::from(s.select),
            0x10 => self.0.read_register(&s),
            _ => 0,
        };
        fill(data, u64::from(v));
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        let mut s = lock(&self.0.state);
        match offset {
            0x00 => s.select = value(data) as u8,
            0x10 => IoApic::write_register(&mut s, value(data) as u32),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Record(Mutex<Vec<(u8, u8, bool, bool)>>);
    impl MessageSink for Record {
        fn deliver(&self, vector: u8, destination: u8, logical: bool, lowest: bool) {
            lock(&self.0).push((vector, destination, logical, lowest));
        }
    }

    fn write(m: &mut IoApicMmio, register: u8, v: u32) {
        m.write(0, &[register]);
        m.write(0x10, &v.to_le_bytes());
    }

    fn read(m: &mut IoApicMmio, register: u8) -> u32 {
        m.write(0, &[register]);
        let mut b = [0u8; 4];
        m.read(0x10, &mut b);
        u32::from_le_bytes(b)
    }

    #[test]
    fn routes_unmasked_pins() {
        let record = Arc::new(Record::default());
        let ioapic = IoApic::new(record.clone());
        let mut mmio = IoApicMmio(ioapic.clone());
        assert_eq!(read(&mut mmio, 1), VERSION);
        ioapic.raise(4);
        assert!(lock(&record.0).is_empty(), "masked after reset");
        write(&mut mmio, 0x10 + 2 * 4, 0x31);
        write(&mut mmio, 0x11 + 2 * 4, 3 << 24);
        write(&mut mmio, 0x10 + 2 * 2, 0x30 | (1 << 8) | (1 << 11));
        write(&mut mmio, 0x11 + 2 * 2, 0x0f << 24);
        ioapic.raise(4);
        ioapic.raise(0);
        assert_eq!(
            *lock(&record.0),
            [(0x31, 3, false, false), (0x30, 0x0f, true, true)]
        );
        assert_eq!(read(&mut mmio, 0x11 + 2 * 4), 3 << 24);
    }
}
