//! The exit devices: QEMU's isa-debug-exit at port 0xf4 (a write of V
//! ends the run with status (V << 1) | 1, so test kernels written for QEMU
//! run unchanged), ACPI power-off (PM1a control at 0x604, QEMU q35's, and
//! 0xb004, its PIIX4's: SLP_EN with any sleep type) and the two reset
//! paths a PC kernel tries: the reset control register at 0xcf9 (bit 2)
//! and the keyboard controller's 0xfe command at port 0x64.

use super::bus::{Device, value};
use super::stop::Stop;

/// isa-debug-exit's port.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
/// PM1a control ports (q35, PIIX4).
pub const PM1A_CONTROL_PORTS: [u16; 2] = [0x604, 0xb004];
/// The reset control register.
pub const RESET_CONTROL_PORT: u16 = 0xcf9;
/// The keyboard controller's command/status port.
pub const KBD_COMMAND_PORT: u16 = 0x64;

/// PM1_CNT.SLP_EN.
const SLP_EN: u64 = 1 << 13;

/// isa-debug-exit.
pub struct DebugExit;

impl Device for DebugExit {
    fn read(&mut self, _: u64, data: &mut [u8]) {
        data.fill(0xff);
    }
    fn write(&mut self, _: u64, data: &[u8]) -> Option<Stop> {
        Some(Stop::DebugExit(value(data) as u32))
    }
}

/// PM1a control: power off on SLP_EN.
pub struct PowerControl;

impl Device for PowerControl {
    fn read(&mut self, _: u64, data: &mut [u8]) {
        data.fill(0);
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> Option<Stop> {
        // A byte write to the high half carries SLP_EN as bit 5.
        let v = value(data) << (8 * offset);
        (v & SLP_EN != 0).then_some(Stop::PowerOff)
    }
}

/// The reset control register (0xcf9) or the keyboard controller (0x64).
pub struct ResetControl {
    /// The value that resets: bit 2 at 0xcf9, the command 0xfe at 0x64.
    keyboard: bool,
}

impl ResetControl {
    /// At 0xcf9.
    pub fn register() -> Self {
        Self { keyboard: false }
    }
    /// At port 0x64.
    pub fn keyboard() -> Self {
        Self { keyboard: true }
    }
}

impl Device for ResetControl {
    fn read(&mut self, _: u64, data: &mut [u8]) {
        // Keyboard controller status: empty buffers, nothing to read.
        data.fill(0);
    }
    fn write(&mut self, _: u64, data: &[u8]) -> Option<Stop> {
        let v = data[0];
        let reset = if self.keyboard {
            v == 0xfe
        } else {
            v & 0x4 != 0
        };
        reset.then_some(Stop::Reset)
    }
}
