//! The 64-bit task-state segment: RSP0 (the stack the CPU switches to when
//! a CPL3 snippet takes an exception) and an I/O permission bitmap that
//! allows every port at CPL3.

use crate::error::Result;
use crate::layout::Layout;
use crate::memory::GuestMemory;

/// Offset of RSP0 in a 64-bit TSS.
pub const RSP0_OFFSET: u64 = 4;
/// Offset of IST1 in a 64-bit TSS.
pub const IST1_OFFSET: u64 = 0x24;
/// Offset of the I/O-map base in a 64-bit TSS.
pub const IOMAP_BASE_OFFSET: u64 = 0x66;

/// Offset of the I/O permission bitmap (right after the 0x68-byte TSS).
pub const IOMAP_OFFSET: u64 = 0x68;
/// Size of the TSS with its bitmap: 0x68 + 8 KiB + the terminating 0xff byte.
pub const SIZE: u64 = IOMAP_OFFSET + 0x2000 + 1;

/// Writes the TSS at `layout.tss`: RSP0 = `layout.kernel_stack_top`, no IST,
/// and an all-zero I/O permission bitmap, so `in`/`out` on any port are
/// allowed at CPL3 whatever RFLAGS.IOPL is (PVM does not give the guest
/// IOPL 3, see the crate documentation).
pub fn write(memory: &mut GuestMemory, layout: &Layout) -> Result<()> {
    memory.write(layout.tss, &[0; SIZE as usize - 1])?;
    memory.write(layout.tss + SIZE - 1, &[0xff])?;
    memory.write_u64(layout.tss + RSP0_OFFSET, layout.kernel_stack_top)?;
    memory.write_u16(layout.tss + IOMAP_BASE_OFFSET, IOMAP_OFFSET as u16)
}
