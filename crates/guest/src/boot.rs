//! The boot stub: 16-bit code that takes the CPU from the reset-like real
//! mode state into 64-bit long mode by itself (lgdt, CR4.PAE, CR3,
//! EFER.LME through `wrmsr`, CR0.PG|PE, far jump), then loads the data
//! segments, the kernel stack and the IDT, and jumps to the caller's code.

use iced_x86::code_asm::*;
use iced_x86::{Code, Instruction};

use crate::entry::{CR0_LONG, CR4_LONG, EFER_LONG};
use crate::error::{Error, Result};
use crate::gdt::selector;
use crate::guest::Guest;
use crate::layout::Layout;
use crate::registers::{Registers, cr0, efer};

/// Offset of the stub's 64-bit tail from `layout.boot_stub`.
pub const TAIL_OFFSET: u64 = 0x100;

impl Guest {
    /// Writes the GDT, TSS, page tables, IDT and the boot stub, and returns
    /// the real-mode registers that start the stub (CS:IP = 0:`boot_stub`).
    ///
    /// The stub goes straight from real mode to long mode (PE and PG set by
    /// one `mov cr0`), far-jumps to [`selector::KERNEL_CODE64`], loads
    /// [`selector::KERNEL_DATA`] into DS/ES/FS/GS/SS, RSP =
    /// `layout.kernel_stack_top`, the image IDT, and jumps to `long_entry`
    /// (64-bit code, within ±2 GiB of the stub) at CPL0 with CR0, CR4 and
    /// EFER as [`Guest::long64`] sets them. It does not load TR (the CPU
    /// keeps the real-mode TR; CPL0 exceptions do not need it).
    ///
    /// The stub's data references are 16-bit offsets from segment 0, so the
    /// layout's GDT must lie below 64 KiB (in practice: base 0).
    pub fn boot_stub(&mut self, long_entry: u64) -> Result<Registers> {
        let layout = *self.layout();
        // The Guest checked every area lies in memory: no overflow below.
        if layout.idtr_pointer() + 10 > 0x1_0000 || layout.boot_stub + TAIL_OFFSET > 0x1_0000 {
            return Err(Error::Layout("the boot stub and GDT must lie below 64 KiB"));
        }
        self.write_descriptor_tables(true)?;
        let tail = layout.boot_stub + TAIL_OFFSET;
        let pml4 = self.page_tables()?.root();
        let stub_end = self.assemble_at(16, layout.boot_stub, |a| {
            a.cli()?;
            a.lgdt(ptr(layout.gdtr_pointer()))?;
            a.mov(eax, cr4)?;
            a.or(eax, CR4_LONG as u32)?;
            a.mov(cr4, eax)?;
            a.mov(eax, pml4 as u32)?;
            a.mov(cr3, eax)?;
            a.mov(ecx, efer::MSR)?;
            a.rdmsr()?;
            a.or(eax, (EFER_LONG & !efer::LMA) as u32)?;
            a.wrmsr()?;
            a.mov(eax, cr0)?;
            a.and(eax, !(cr0::CD | cr0::NW) as u32 as i32)?;
            a.or(eax, CR0_LONG as u32 as i32)?;
            a.mov(cr0, eax)?;
            a.add_instruction(Instruction::with_far_branch(
                Code::Jmp_ptr1632,
                selector::KERNEL_CODE64,
                tail as u32,
            )?)
        })?;
        if stub_end > tail {
            return Err(Error::Layout("boot stub overflows into its tail"));
        }
        let tail_end = self.assemble_at(64, tail, |a| {
            a.mov(eax, u32::from(selector::KERNEL_DATA))?;
            a.mov(ds, ax)?;
            a.mov(es, ax)?;
            a.mov(fs, ax)?;
            a.mov(gs, ax)?;
            a.mov(ss, ax)?;
            a.mov(rsp, layout.kernel_stack_top)?;
            a.lidt(ptr(layout.idtr_pointer()))?;
            a.jmp(long_entry)
        })?;
        if tail_end > layout.boot_stub + Layout::BOOT_STUB_SIZE {
            return Err(Error::Layout("boot stub tail overflows its area"));
        }
        self.real_mode(layout.boot_stub)
    }
}
