//! The devices a `winhv run` guest finds, all in user space behind two
//! buses (ports, MMIO): COM1 (vm-superio's 16550) on the terminal, the
//! exit devices (isa-debug-exit, ACPI power-off, reset), QEMU's pc-testdev
//! and fw_cfg (what kvm-unit-tests' x86 tests expect), and for time and
//! interrupts an 8254 PIT and an IOAPIC whose messages the VM delivers to
//! the local APICs (WHvRequestInterrupt). The legacy 8259 PIC is absent
//! (its ports read all ones, which guests take as no PIC): WHP has no
//! ExtINT path to deliver through. Nothing here knows about partitions: the VM (`vm`)
//! routes its exits to the buses.

pub mod bus;
pub mod exit;
pub mod fw_cfg;
pub mod ioapic;
pub mod irq;
pub mod pc_testdev;
pub mod pit;
pub mod serial;
pub mod stop;

use std::sync::{Arc, Mutex};

pub use bus::{Bus, Device};
pub use stop::Stop;

/// The buses and what the guest printed.
pub struct Devices {
    /// The PIT (its timer thread ends with [`Devices::stop`]).
    pub pit: Arc<pit::Pit>,
    /// COM1 (its input: [`Devices::feed_stdin`]).
    pub com1: Arc<Mutex<serial::SerialPort>>,
    /// Port I/O.
    pub ports: Bus,
    /// MMIO (guest-physical addresses outside RAM).
    pub mmio: Bus,
    /// Every byte COM1 sent.
    pub transcript: Arc<Mutex<Vec<u8>>>,
}

fn shared(d: impl Device + 'static) -> bus::SharedDevice {
    Arc::new(Mutex::new(d))
}

impl Devices {
    /// The standard set for a VM of `ram_size` bytes and `cpus` VPs whose
    /// IOAPIC's messages go to `apics`.
    pub fn standard(ram_size: u64, cpus: u16, apics: Arc<dyn ioapic::MessageSink>) -> Self {
        let ioapic = ioapic::IoApic::new(apics);
        let irq: Arc<dyn irq::IrqSink> = ioapic.clone();
        let pit = pit::Pit::new(irq.clone());
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let mut ports = Bus::new();
        let mut mmio = Bus::new();
        let com1 = serial::SerialPort::new(
            irq::IrqLine {
                irq: serial::COM1_IRQ,
                sink: irq.clone(),
            },
            transcript.clone(),
        );
        let com1 = Arc::new(Mutex::new(com1));
        ports.insert(u64::from(serial::COM1), 8, com1.clone());
        ports.insert(u64::from(exit::DEBUG_EXIT_PORT), 4, shared(exit::DebugExit));
        for port in exit::PM1A_CONTROL_PORTS {
            ports.insert(u64::from(port), 2, shared(exit::PowerControl));
        }
        ports.insert(
            u64::from(exit::RESET_CONTROL_PORT),
            1,
            shared(exit::ResetControl::register()),
        );
        ports.insert(
            u64::from(exit::KBD_COMMAND_PORT),
            1,
            shared(exit::ResetControl::keyboard()),
        );
        ports.insert(
            u64::from(pc_testdev::IOPORT),
            pc_testdev::IOPORT_LEN,
            shared(pc_testdev::TestdevPorts::default()),
        );
        ports.insert(
            u64::from(pc_testdev::IRQ_PORTS),
            pc_testdev::IRQ_LINES,
            shared(pc_testdev::TestdevIrq { sink: irq }),
        );
        mmio.insert(
            pc_testdev::IOMEM,
            pc_testdev::IOMEM_LEN,
            shared(pc_testdev::TestdevMemory::default()),
        );
        ports.insert(
            u64::from(fw_cfg::PORT),
            2,
            shared(fw_cfg::FwCfg::new(ram_size, cpus)),
        );
        ports.insert(u64::from(pit::PORTS), 4, shared(pit::PitPorts(pit.clone())));
        ports.insert(u64::from(pit::PORT_B), 1, shared(pit::PortB(pit.clone())));
        mmio.insert(
            ioapic::BASE,
            ioapic::LEN,
            shared(ioapic::IoApicMmio(ioapic)),
        );
        Self {
            pit,
            com1,
            ports,
            mmio,
            transcript,
        }
    }

    /// Makes our stdin COM1's input.
    pub fn feed_stdin(&self) {
        serial::feed_stdin(self.com1.clone());
    }

    /// Stops the devices' threads.
    pub fn stop(&self) {
        self.pit.stop();
    }
}
