//! Register offsets and bits of a type-0 configuration header (PCI Local
//! Bus 3.0, chapter 6).

/// Vendor ID (16 bits) and device ID (16 bits).
pub const VENDOR_ID: u16 = 0x00;
/// Command (16 bits) and status (16 bits).
pub const COMMAND: u16 = 0x04;
/// Revision ID, programming interface, subclass, base class.
pub const CLASS_REVISION: u16 = 0x08;
/// Cache line size, latency timer, header type, BIST.
pub const HEADER_TYPE_DWORD: u16 = 0x0c;
/// The first BAR; BAR n is at `BAR0 + 4 * n`.
pub const BAR0: u16 = 0x10;
/// Subsystem vendor ID and subsystem ID.
pub const SUBSYSTEM: u16 = 0x2c;
/// Expansion ROM base address.
pub const EXPANSION_ROM: u16 = 0x30;
/// Capabilities pointer (low byte).
pub const CAPABILITIES_POINTER: u16 = 0x34;
/// Interrupt line and pin.
pub const INTERRUPT: u16 = 0x3c;
/// The first extended capability (PCI Express).
pub const EXTENDED_CAPABILITIES: u16 = 0x100;
/// The size of a function's configuration space (PCI Express).
pub const CONFIG_SPACE_SIZE: u16 = 0x1000;
/// The number of BARs of a type-0 header.
pub const BAR_COUNT: usize = 6;

/// Command: I/O space decoding.
pub const COMMAND_IO: u16 = 1 << 0;
/// Command: memory space decoding.
pub const COMMAND_MEMORY: u16 = 1 << 1;
/// Command: bus master (the function may DMA and signal MSIs).
pub const COMMAND_BUS_MASTER: u16 = 1 << 2;
/// Command: parity error response.
pub const COMMAND_PARITY: u16 = 1 << 6;
/// Command: SERR# enable.
pub const COMMAND_SERR: u16 = 1 << 8;
/// Command: INTx emulation disable.
pub const COMMAND_INTX_DISABLE: u16 = 1 << 10;
/// The command bits a guest can set on winhv's functions.
pub const COMMAND_WRITABLE: u16 = COMMAND_IO
    | COMMAND_MEMORY
    | COMMAND_BUS_MASTER
    | COMMAND_PARITY
    | COMMAND_SERR
    | COMMAND_INTX_DISABLE;
/// Status: the function has a capability list.
pub const STATUS_CAPABILITIES: u16 = 1 << 4;

/// Capability ID: MSI.
pub const CAP_ID_MSI: u8 = 0x05;
/// Capability ID: PCI Express.
pub const CAP_ID_EXP: u8 = 0x10;
/// Capability ID: MSI-X.
pub const CAP_ID_MSIX: u8 = 0x11;
/// Capability ID: power management.
pub const CAP_ID_PM: u8 = 0x01;
