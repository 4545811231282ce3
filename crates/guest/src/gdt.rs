//! The GDT every image uses: its selectors, and writing it (with the TSS
//! descriptor) into guest memory.

use crate::error::Result;
use crate::layout::Layout;
use crate::memory::GuestMemory;
use crate::segment::{Segment, TableRegister};

/// Selectors of the image GDT (RPL included for the user ones).
///
/// The layout is Linux x86-64's (`__KERNEL_CS` = 0x10, `__USER_CS` = 0x33,
/// `__USER_DS` = 0x2b, and the SYSCALL/SYSRET order of STAR), on purpose: on
/// PVM, CPL3 code runs natively on the host CPU with the host's selectors,
/// so `mov ax, cs` there reads 0x33 whatever the guest loaded. With the
/// same numbers in our GDT, a snippet reads the same value on PVM and on
/// hardware virtualization.
pub mod selector {
    /// Flat 32-bit code, DPL 0.
    pub const KERNEL_CODE32: u16 = 0x08;
    /// 64-bit code, DPL 0.
    pub const KERNEL_CODE64: u16 = 0x10;
    /// Flat data, DPL 0.
    pub const KERNEL_DATA: u16 = 0x18;
    /// Flat 32-bit code, DPL 3 (index 4, RPL 3).
    pub const USER_CODE32: u16 = 0x23;
    /// Flat data, DPL 3 (index 5, RPL 3).
    pub const USER_DATA: u16 = 0x2b;
    /// 64-bit code, DPL 3 (index 6, RPL 3).
    pub const USER_CODE64: u16 = 0x33;
    /// The 64-bit TSS (a 16-byte descriptor: indexes 8 and 9).
    pub const TSS: u16 = 0x40;
}

/// The GDT's limit: 10 descriptors of 8 bytes, minus one.
pub const GDT_LIMIT: u16 = 10 * 8 - 1;

/// The TSS limit: the 0x68-byte 64-bit TSS, an 8 KiB I/O permission bitmap
/// (65536 ports) and the 0xff byte that must follow it.
pub const TSS_LIMIT: u32 = crate::tss::SIZE as u32 - 1;

/// The segments of the image GDT, in selector order (TSS excluded).
pub fn code_and_data_segments() -> [Segment; 6] {
    [
        Segment::flat_code32(selector::KERNEL_CODE32, 0),
        Segment::code64(selector::KERNEL_CODE64, 0),
        Segment::flat_data(selector::KERNEL_DATA, 0),
        Segment::flat_code32(selector::USER_CODE32, 3),
        Segment::flat_data(selector::USER_DATA, 3),
        Segment::code64(selector::USER_CODE64, 3),
    ]
}

/// The TSS segment as TR holds it once loaded (busy).
pub fn tss_segment(layout: &Layout) -> Segment {
    Segment::tss_busy(selector::TSS, layout.tss, TSS_LIMIT)
}

/// The GDTR value for the image GDT.
pub fn gdtr(layout: &Layout) -> TableRegister {
    TableRegister {
        base: layout.gdt,
        limit: GDT_LIMIT,
    }
}

/// Writes the GDT at `layout.gdt` and its pseudo-descriptor at
/// [`Layout::gdtr_pointer`]. The TSS descriptor is written busy, matching
/// the TR the register-set entry states load (so `ltr` on it would fault:
/// the boot stub does not load TR).
pub fn write(memory: &mut GuestMemory, layout: &Layout) -> Result<()> {
    let mut table = [0u64; 10];
    for segment in code_and_data_segments() {
        table[usize::from(segment.selector >> 3)] = segment.descriptor();
    }
    let tss = tss_segment(layout);
    let index = usize::from(selector::TSS >> 3);
    table[index] = tss.descriptor();
    table[index + 1] = tss.base >> 32;
    for (i, descriptor) in table.iter().enumerate() {
        memory.write_u64(layout.gdt + 8 * i as u64, *descriptor)?;
    }
    write_pseudo_descriptor(memory, layout.gdtr_pointer(), gdtr(layout))
}

/// Writes a `limit:u16, base:u64` pseudo-descriptor (the `lgdt`/`lidt` operand).
pub fn write_pseudo_descriptor(
    memory: &mut GuestMemory,
    gpa: u64,
    table: TableRegister,
) -> Result<()> {
    memory.write_u16(gpa, table.limit)?;
    memory.write_u64(gpa + 2, table.base)
}
