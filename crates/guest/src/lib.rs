//! winhv-guest: builds small x86 guests — machine code plus the memory
//! image (GDT, IDT, TSS, page tables) and the initial register state — for
//! winhv's tests, the `winhv run` demo and the benchmarks.
//!
//! It knows neither WHP nor KVM: registers are plain values ([`Registers`],
//! [`Segment`] with attributes in the `WHV_X64_SEGMENT_REGISTER.Attributes`
//! layout, see [`segment::attr`]) that a WHP caller and a KVM caller both
//! load unchanged.
//!
//! | entry state | method | runs at |
//! | --- | --- | --- |
//! | real mode | [`Guest::real_mode`] | 16-bit, CS:IP from a linear address below 1 MiB |
//! | flat protected mode | [`Guest::protected32`] | 32-bit CPL0, paging off, no IDT |
//! | long mode | [`Guest::long64`] | 64-bit CPL0, identity-mapped paging, reporting IDT |
//! | long mode, user | [`Guest::long64_user`], [`Guest::long64_user_via_iretq`] | 64-bit CPL3, every I/O port allowed |
//! | boot stub | [`Guest::boot_stub`] | real mode that switches to long mode itself |
//!
//! Canned programs are in [`programs`]. Raw-KVM glue that loads a
//! [`Registers`] and runs an image is in `tests/support/mod.rs`.
//!
//! # On PVM (the KVM of our machines, see `DESIGN.md`), measured
//!
//! Every entry state above runs on PVM, the boot stub included (the real-
//! to long-mode switch is emulated instruction by instruction), and so does
//! setting CPL3 CS/SS directly through KVM_SET_SREGS; `iretq` from CPL0 to
//! CPL3 works as well. CPL3 code runs natively on the host CPU, and that
//! shows:
//! * RFLAGS.IOPL is 0 at CPL3 whatever the guest set (an `out` with IOPL 3
//!   in RFLAGS raised #GP(0); the pushed RFLAGS had IOPL 0). So the user
//!   state keeps IOPL 0 and allows `in`/`out` through an all-zero TSS I/O
//!   permission bitmap instead, which PVM honours — the same on hardware.
//! * `mov r, cs`/`ss` read the host's selectors (0x33/0x2b) and DS/ES/FS/GS
//!   read 0; `pushfq` reads IF = 1. The GDT therefore uses Linux's user
//!   selectors, DS/ES/FS/GS are null and IF is set at CPL3, so a snippet
//!   reads the same values on PVM and on hardware.
//! * `int n` at CPL3 raises #UD for every vector tried (0x20, 0x21, 0x40,
//!   0x80, 0x81, 0xf0, 0xfe) whatever the gate's DPL; `int3` raises #BP even
//!   through a DPL 0 gate (hardware: #GP). So a CPL3 snippet ends with `hlt`
//!   (its #GP becomes a plain HLT exit), not with a software interrupt.
//! * Exceptions from CPL3 (#PF with the right error code and CR2, #GP, #UD)
//!   are delivered through the IDT to the CPL0 handlers on TSS.RSP0.
//!
//! ```
//! use winhv_guest::{Guest, asm::code_asm::*};
//! let mut guest = Guest::new(0, 1 << 20)?;
//! let entry = guest.layout().code;
//! guest.assemble_at(64, entry, |a| {
//!     a.mov(dx, 0x3f8u32)?;
//!     a.mov(al, b'!' as u32)?;
//!     a.out(dx, al)?;   // allowed at CPL3: the TSS I/O bitmap allows every port
//!     a.ud2()?;         // reported by the CPL0 handler on layout().exception_port
//!     a.hlt()           // at CPL3: a plain HLT exit
//! })?;
//! let registers = guest.long64_user(entry)?;
//! assert_eq!(registers.cpl(), 3);
//! # Ok::<(), winhv_guest::Error>(())
//! ```

pub mod asm;
mod boot;
mod entry;
mod error;
pub mod gdt;
mod guest;
pub mod idt;
#[cfg(feature = "kvm")]
pub mod kvm;
pub mod layout;
pub mod memory;
pub mod paging;
pub mod programs;
pub mod registers;
pub mod segment;
pub mod tss;
#[cfg(feature = "whp")]
pub mod whp;

pub use boot::TAIL_OFFSET as BOOT_STUB_TAIL_OFFSET;
pub use entry::{CR0_LONG, CR0_PROTECTED, CR4_LONG, CR4_PROTECTED, EFER_LONG, RFLAGS_USER};
pub use error::{Error, Result};
pub use guest::Guest;
pub use idt::ExceptionRecord;
pub use layout::Layout;
pub use memory::GuestMemory;
pub use paging::{PageTables, pte};
pub use programs::Program;
pub use registers::Registers;
pub use segment::{Segment, TableRegister};
