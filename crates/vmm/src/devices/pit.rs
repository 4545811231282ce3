//! A user-space 8254 PIT at ports 0x40-0x43 and port B (0x61, channel 2's
//! gate and output, as Linux's TSC calibration reads them). Counters are
//! computed from the host clock when read (1.193182 MHz); channel 0 in a
//! periodic mode (2 or 3) or one-shot (0) raises ISA IRQ 0 from a timer
//! thread at its period. Modes 1, 4 and 5 count but raise nothing; BCD
//! counting is not offered (the BCD bit is ignored).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::bus::{Device, lock};
use super::irq::IrqSink;
use super::stop::Stop;

/// The counters' ports.
pub const PORTS: u16 = 0x40;
/// Port B (NMI status and control).
pub const PORT_B: u16 = 0x61;
/// The input clock, Hz.
pub const FREQUENCY: u64 = 1_193_182;

#[derive(Clone, Copy)]
struct Channel {
    mode: u8,
    /// 1 lobyte, 2 hibyte, 3 lobyte then hibyte.
    access: u8,
    reload: u16,
    write_high: bool,
    read_high: bool,
    latch: Option<u16>,
    loaded: Instant,
}

impl Channel {
    fn new() -> Self {
        Self {
            mode: 0,
            access: 3,
            reload: 0,
            write_high: false,
            read_high: false,
            latch: None,
            loaded: Instant::now(),
        }
    }

    /// The reload value as a count (0 is 65536).
    fn period(&self) -> u64 {
        if self.reload == 0 {
            0x1_0000
        } else {
            u64::from(self.reload)
        }
    }

    fn elapsed(&self) -> u64 {
        (self.loaded.elapsed().as_nanos() as u64).saturating_mul(FREQUENCY) / 1_000_000_000
    }

    fn count(&self) -> u16 {
        let (n, p) = (self.elapsed(), self.period());
        match self.mode {
            2 | 3 => (p - n % p) as u16,
            _ => p.saturating_sub(n) as u16,
        }
    }

    fn out(&self) -> bool {
        let (n, p) = (self.elapsed(), self.period());
        match self.mode {
            0 | 1 => n >= p,
            3 => n % p < p / 2,
            _ => n % p != p - 1,
        }
    }
}

struct State {
    channels: [Channel; 3],
    gate2: bool,
    speaker: bool,
    refresh: bool,
    /// Bumped at every channel 0 load: the timer thread restarts.
    generation: u64,
    stopped: bool,
}

/// The PIT and its timer thread.
pub struct Pit {
    state: Mutex<State>,
    wake: Condvar,
    irq: Arc<dyn IrqSink>,
}

impl Pit {
    /// A PIT raising IRQ 0 on `irq`; its thread runs until [`Pit::stop`].
    pub fn new(irq: Arc<dyn IrqSink>) -> Arc<Self> {
        let pit = Arc::new(Self {
            state: Mutex::new(State {
                channels: [Channel::new(); 3],
                gate2: false,
                speaker: false,
                refresh: false,
                generation: 0,
                stopped: false,
            }),
            wake: Condvar::new(),
            irq,
        });
        let thread = pit.clone();
        std::thread::Builder::new()
            .name("pit".into())
            .spawn(move || thread.timer())
            .expect("the PIT's timer thread starts");
        pit
    }

    /// Ends the timer thread.
    pub fn stop(&self) {
        lock(&self.state).stopped = true;
        self.wake.notify_all();
    }

    /// The timer thread: IRQ 0 at channel 0's period, from each load
    /// until the next one (periodic modes) or once (mode 0).
    fn timer(&self) {
        let wait = |s| self.wake.wait(s).unwrap_or_else(|e| e.into_inner());
        let mut s = lock(&self.state);
        let mut done = 0;
        loop {
            if s.stopped {
                return;
            }
            let ch = s.channels[0];
            if s.generation == done || !matches!(ch.mode, 0 | 2 | 3) {
                s = wait(s);
                continue;
            }
            let generation = s.generation;
            let period = Duration::from_nanos(ch.period() * 1_000_000_000 / FREQUENCY);
            let mut next = ch.loaded + period;
            loop {
                let now = Instant::now();
                if now < next {
                    s = self
                        .wake
                        .wait_timeout(s, next - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    if s.stopped || s.generation != generation {
                        break;
                    }
                    continue;
                }
                drop(s);
                self.irq.raise(0);
                s = lock(&self.state);
                if s.generation != generation {
                    break;
                }
                if ch.mode == 0 {
                    done = generation;
                    break;
                }
                // Behind by more than a few periods (a busy host): skip ahead.
                next = if now > next + period * 4 {
                    now + period
                } else {
                    next + period
                };
            }
        }
    }
}

/// The counters' ports (0x40-0x43).
pub struct PitPorts(pub Arc<Pit>);

impl Device for PitPorts {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        let mut s = lock(&self.0.state);
        let Some(ch) = s.channels.get_mut(offset as usize) else {
            return;
        };
        let v = ch.latch.unwrap_or_else(|| ch.count());
        let byte = match ch.access {
            1 => v as u8,
            2 => (v >> 8) as u8,
            _ => {
                let b = if ch.read_high {
                    (v >> 8) as u8
                } else {
                    v as u8
                };
                ch.read_high = !ch.read_high;
                if ch.read_high {
                    // The low byte was read: keep the latch for the high one.
                    if ch.latch.is_none() {
                        ch.latch = Some(v);
                    }
                    data[0] = b;
                    return;
                }
                b
            }
        };
        ch.latch = None;
        data[0] = byte;
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        let v = data[0];
        let mut s = lock(&self.0.state);
        if offset == 3 {
            let index = usize::from(v >> 6);
            let Some(ch) = s.channels.get_mut(index) else {
                return None; // read-back command: not offered
            };
            let access = (v >> 4) & 3;
            if access == 0 {
                ch.latch = Some(ch.count());
                ch.read_high = false;
            } else {
                ch.access = access;
                ch.mode = match (v >> 1) & 7 {
                    6 => 2,
                    7 => 3,
                    m => m,
                };
                ch.write_high = false;
                ch.read_high = false;
                ch.latch = None;
            }
            return None;
        }
        let index = offset as usize;
        let ch = s.channels.get_mut(index)?;
        let loaded = match ch.access {
            1 => {
                ch.reload = u16::from(v);
                true
            }
            2 => {
                ch.reload = u16::from(v) << 8;
                true
            }
            _ if !ch.write_high => {
                ch.reload = (ch.reload & 0xff00) | u16::from(v);
                ch.write_high = true;
                false
            }
            _ => {
                ch.reload = (ch.reload & 0x00ff) | (u16::from(v) << 8);
                ch.write_high = false;
                true
            }
        };
        if loaded {
            ch.loaded = Instant::now();
            if index == 0 {
                s.generation += 1;
                self.0.wake.notify_all();
            }
        }
        None
    }
}

/// Port B: bit 0 gate 2, bit 1 speaker, bit 4 refresh (toggles), bit 5 OUT2.
pub struct PortB(pub Arc<Pit>);

impl Device for PortB {
    fn read(&mut self, _: u64, data: &mut [u8]) {
        let mut s = lock(&self.0.state);
        s.refresh = !s.refresh;
        let out2 = s.gate2 && s.channels[2].out();
        data.fill(0);
        data[0] = u8::from(s.gate2)
            | u8::from(s.speaker) << 1
            | u8::from(s.refresh) << 4
            | u8::from(out2) << 5;
    }
    fn write(&mut self, _: u64, data: &[u8]) -> Option<Stop> {
        let mut s = lock(&self.0.state);
        let gate = data[0] & 1 != 0;
        if gate && !s.gate2 {
            // A rising gate restarts channel 2's count.
            s.channels[2].loaded = Instant::now();
        }
        s.gate2 = gate;
        s.speaker = data[0] & 2 != 0;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::irq::NoIrq;

    #[test]
    fn counts_down_and_latches() {
        let pit = Pit::new(Arc::new(NoIrq));
        let mut ports = PitPorts(pit.clone());
        ports.write(3, &[0b1011_0100]); // channel 2, lo/hi, mode 2
        ports.write(2, &[0x00]);
        ports.write(2, &[0x80]); // 0x8000
        ports.write(3, &[0b1000_0000]); // latch channel 2
        let mut lo = [0];
        let mut hi = [0];
        ports.read(2, &mut lo);
        ports.read(2, &mut hi);
        let v = u16::from_le_bytes([lo[0], hi[0]]);
        assert!(v <= 0x8000 && v > 0x4000, "{v:#x}");
        pit.stop();
    }
}
