//! COM1: a 16550 UART (rust-vmm's vm-superio) at port 0x3f8, IRQ 4, its
//! output on the terminal (our stdout), a copy of everything written for
//! whoever wants to know what the guest said (tests, the report), and our
//! stdin as its input (a thread feeding the receive FIFO as it drains).

use std::io::Write;
use std::sync::{Arc, Mutex};

use vm_superio::Serial;

use super::bus::{Device, lock};
use super::irq::IrqLine;
use super::stop::Stop;

/// COM1's base port.
pub const COM1: u16 = 0x3f8;
/// COM1's IRQ.
pub const COM1_IRQ: u8 = 4;

/// Where the UART's bytes go: stdout, flushed at each byte so that a
/// partial line (a prompt) shows, and the shared transcript.
pub struct Out {
    transcript: Arc<Mutex<Vec<u8>>>,
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.transcript).extend_from_slice(buf);
        std::io::stdout().lock().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush()
    }
}

/// The UART on the port bus.
pub struct SerialPort {
    uart: Serial<IrqLine, vm_superio::serial::NoEvents, Out>,
}

impl SerialPort {
    /// A UART raising `irq`, writing to stdout and `transcript`.
    pub fn new(irq: IrqLine, transcript: Arc<Mutex<Vec<u8>>>) -> Self {
        Self {
            uart: Serial::new(irq, Out { transcript }),
        }
    }
}

impl SerialPort {
    /// Puts what fits of `bytes` in the receive FIFO; how many did.
    pub fn enqueue(&mut self, bytes: &[u8]) -> usize {
        let room = self.uart.fifo_capacity().min(bytes.len());
        if room == 0 {
            return 0;
        }
        self.uart.enqueue_raw_bytes(&bytes[..room]).unwrap_or(0)
    }
}

/// Feeds our stdin to `port` until stdin ends (at once for /dev/null). A
/// full FIFO is waited out a millisecond at a time: the guest drains it
/// at its own pace.
pub fn feed_stdin(port: Arc<Mutex<SerialPort>>) {
    use std::io::Read;
    let _ = std::thread::Builder::new()
        .name("serial-input".into())
        .spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin();
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let mut rest = &buf[..n];
                while !rest.is_empty() {
                    let taken = lock(&port).enqueue(rest);
                    rest = &rest[taken..];
                    if taken == 0 {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
            }
        });
}

impl Device for SerialPort {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        data[0] = self.uart.read(offset as u8);
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        // A closed stdout loses the guest's output, not the guest.
        let _ = self.uart.write(offset as u8, data[0]);
        None
    }
}
