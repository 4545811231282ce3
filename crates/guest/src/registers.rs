//! The initial register state of a guest: everything an entry state sets,
//! as plain values a WHP caller (WHvSetVirtualProcessorRegisters) or a KVM
//! caller (KVM_SET_REGS/SREGS) loads unchanged.

use crate::segment::{Segment, TableRegister};

/// CR0 bits used by the entry states.
pub mod cr0 {
    /// PE: protection enable.
    pub const PE: u64 = 1 << 0;
    /// MP: monitor coprocessor (with EM clear: x87/SSE run natively).
    pub const MP: u64 = 1 << 1;
    /// ET: extension type (always 1 on modern CPUs).
    pub const ET: u64 = 1 << 4;
    /// NE: native x87 error reporting.
    pub const NE: u64 = 1 << 5;
    /// WP: supervisor writes honour read-only pages.
    pub const WP: u64 = 1 << 16;
    /// NW: not write-through (set at reset).
    pub const NW: u64 = 1 << 29;
    /// CD: cache disable (set at reset).
    pub const CD: u64 = 1 << 30;
    /// PG: paging.
    pub const PG: u64 = 1 << 31;
    /// The architectural value after reset.
    pub const RESET: u64 = CD | NW | ET;
}

/// CR4 bits used by the entry states.
pub mod cr4 {
    /// PAE: physical address extension (needed for long mode).
    pub const PAE: u64 = 1 << 5;
    /// OSFXSR: the OS supports FXSAVE/FXRSTOR, SSE instructions are enabled.
    pub const OSFXSR: u64 = 1 << 9;
    /// OSXMMEXCPT: the OS handles SIMD floating-point exceptions (#XM).
    pub const OSXMMEXCPT: u64 = 1 << 10;
}

/// EFER bits used by the entry states (MSR 0xC000_0080).
pub mod efer {
    /// The MSR number of EFER.
    pub const MSR: u32 = 0xc000_0080;
    /// SCE: SYSCALL enable.
    pub const SCE: u64 = 1 << 0;
    /// LME: long mode enable.
    pub const LME: u64 = 1 << 8;
    /// LMA: long mode active (set by the CPU when paging turns on with LME).
    pub const LMA: u64 = 1 << 10;
    /// NXE: the no-execute page bit is honoured.
    pub const NXE: u64 = 1 << 11;
}

/// RFLAGS bits used by the entry states.
pub mod rflags {
    /// Bit 1, reserved, always 1.
    pub const RESERVED1: u64 = 1 << 1;
    /// IF: maskable interrupts enabled.
    pub const IF: u64 = 1 << 9;
    /// IOPL = 3: `in`/`out`/`cli`/`sti` are allowed at every privilege level.
    pub const IOPL3: u64 = 3 << 12;
}

/// The initial register state of a virtual processor.
///
/// Every field is meant to be loaded; a field a mode does not use holds the
/// value the entry state chose for it (usually 0). Segment attributes are in
/// the WHP/VMX layout documented in [`crate::segment::attr`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(
    missing_docs,
    reason = "the general-purpose registers need no comment each"
)]
pub struct Registers {
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rbx: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    /// Instruction pointer (offset within CS; in long mode, linear).
    pub rip: u64,
    /// Flags; bit 1 is always set.
    pub rflags: u64,
    /// Control register 0, see [`cr0`].
    pub cr0: u64,
    /// Control register 2 (page-fault address).
    pub cr2: u64,
    /// Control register 3: the GPA of the top-level page table when paging.
    pub cr3: u64,
    /// Control register 4, see [`cr4`].
    pub cr4: u64,
    /// The EFER MSR, see [`efer`].
    pub efer: u64,
    pub cs: Segment,
    pub ds: Segment,
    pub es: Segment,
    pub fs: Segment,
    pub gs: Segment,
    pub ss: Segment,
    /// Task register.
    pub tr: Segment,
    /// LDT register.
    pub ldtr: Segment,
    /// GDT register.
    pub gdtr: TableRegister,
    /// IDT register.
    pub idtr: TableRegister,
}

impl Registers {
    /// The general-purpose registers in encoding order
    /// (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8–R15).
    pub fn gprs(&self) -> [u64; 16] {
        [
            self.rax, self.rcx, self.rdx, self.rbx, self.rsp, self.rbp, self.rsi, self.rdi,
            self.r8, self.r9, self.r10, self.r11, self.r12, self.r13, self.r14, self.r15,
        ]
    }

    /// The current privilege level this state starts at: CS.DPL in
    /// protected and long mode (equal to SS.DPL), 0 in real mode.
    pub fn cpl(&self) -> u8 {
        if self.cr0 & cr0::PE == 0 {
            0
        } else {
            self.cs.dpl()
        }
    }
}
