//! Canned guest programs shared by tests, the `winhv run` demo and the
//! benchmarks: each is a complete image plus its initial registers.

use iced_x86::code_asm::*;

use crate::error::{Error, Result};
use crate::guest::Guest;
use crate::layout::Layout;
use crate::memory::GuestMemory;
use crate::registers::Registers;

/// What [`demo_greeting`] prints.
pub const GREETING: &str = "Hello from winhv guest\n";

/// The RAM size of every canned program's image (base GPA 0).
pub const PROGRAM_MEMORY_SIZE: usize = 1 << 20;

/// The port [`hlt_loop`] writes to after its last HLT.
pub const HLT_LOOP_DONE_PORT: u16 = 0x00f4;

/// A complete guest: memory image (at GPA `memory.base()`), initial
/// registers, and the layout of its system structures.
#[derive(Clone, Debug)]
pub struct Program {
    /// The RAM image to map at `memory.base()`.
    pub memory: GuestMemory,
    /// The initial register state.
    pub registers: Registers,
    /// Where the system structures are (exception record, stacks, …).
    pub layout: Layout,
}

impl Program {
    fn new(guest: Guest, registers: Registers) -> Self {
        let layout = *guest.layout();
        Self {
            memory: guest.into_memory(),
            registers,
            layout,
        }
    }
}

/// The `winhv run` demo: starts in real mode, goes through the boot stub
/// into long mode, writes [`GREETING`] byte by byte with `out dx, al` to
/// `port`, then halts (and halts again if resumed).
pub fn demo_greeting(port: u16) -> Result<Program> {
    let mut guest = Guest::new(0, PROGRAM_MEMORY_SIZE)?;
    let entry = guest.layout().code;
    guest.assemble_at(64, entry, |a| {
        let mut message = a.create_label();
        let mut next = a.create_label();
        let mut done = a.create_label();
        a.lea(rsi, ptr(message))?;
        a.mov(edx, u32::from(port))?;
        a.set_label(&mut next)?;
        a.lodsb()?;
        a.test(al, al)?;
        a.jz(done)?;
        a.out(dx, al)?;
        a.jmp(next)?;
        a.set_label(&mut done)?;
        a.hlt()?;
        a.jmp(done)?;
        a.set_label(&mut message)?;
        a.db(GREETING.as_bytes())?;
        a.db(&[0])
    })?;
    let registers = guest.boot_stub(entry)?;
    Ok(Program::new(guest, registers))
}

/// Long mode, CPL0: `n` times `out dx, al` to `port` (AL = n, n-1, …, 1),
/// then HLT (forever).
pub fn out_loop(port: u16, n: u32) -> Result<Program> {
    counted_loop(
        false,
        n,
        |a| a.mov(edx, u32::from(port)),
        |a| a.out(dx, al),
        halt_forever,
    )
}

/// As [`out_loop`], but at CPL3 (natively executed on PVM), ending with
/// `hlt`: the #GP it raises becomes a HLT exit (see [`crate::idt::write`]).
pub fn out_loop_user(port: u16, n: u32) -> Result<Program> {
    counted_loop(
        true,
        n,
        |a| a.mov(edx, u32::from(port)),
        |a| a.out(dx, al),
        halt_forever,
    )
}

/// Long mode, CPL0: `n` times a 4-byte store `mov [gpa], eax` (EAX = n, n-1,
/// …, 1), then HLT. `gpa` must be outside the program's RAM (so every store
/// is an MMIO exit), 4-byte aligned and inside the identity map (4 GiB).
pub fn mmio_loop(gpa: u64, n: u32) -> Result<Program> {
    mmio_program(false, gpa, n, halt_forever)
}

/// As [`mmio_loop`], but at CPL3, ending with `hlt` (a HLT exit through the
/// #GP handler).
pub fn mmio_loop_user(gpa: u64, n: u32) -> Result<Program> {
    mmio_program(true, gpa, n, halt_forever)
}

/// At CPL3, forever: `n` stores as in [`mmio_loop_user`], then `out` of AL
/// to `port` — batches of MMIO stores with one port exit after each (the
/// stores of a batch may all be served inside the run).
pub fn mmio_batches_user(gpa: u64, n: u32, port: u16) -> Result<Program> {
    let entry = Layout::at(0).code;
    mmio_program(true, gpa, n, |a| {
        a.out(u32::from(port) as i32, al)?;
        a.mov(rax, entry)?;
        a.jmp(rax)
    })
}

/// Long mode, CPL0: `n` HLTs (each HLT exit is one iteration; RCX counts
/// down from n), then `out` of AL = 0 to [`HLT_LOOP_DONE_PORT`], then HLT
/// (forever).
pub fn hlt_loop(n: u32) -> Result<Program> {
    counted_loop(
        false,
        n,
        |_| Ok(()),
        |a| a.hlt(),
        |a| {
            a.xor(eax, eax)?;
            a.out(u32::from(HLT_LOOP_DONE_PORT), al)?;
            halt_forever(a)
        },
    )
}

fn mmio_program(
    user: bool,
    gpa: u64,
    n: u32,
    finish: impl FnOnce(&mut CodeAssembler) -> core::result::Result<(), IcedError>,
) -> Result<Program> {
    if gpa < PROGRAM_MEMORY_SIZE as u64 {
        return Err(Error::Layout(
            "the MMIO address lies inside the program's RAM",
        ));
    }
    if gpa % 4 != 0 {
        return Err(Error::Misaligned {
            what: "MMIO address",
            value: gpa,
            align: 4,
        });
    }
    if gpa
        .checked_add(4)
        .is_none_or(|end| end > Layout::at(0).identity_map_bytes)
    {
        return Err(Error::NotMapped(gpa));
    }
    counted_loop(
        user,
        n,
        |a| a.mov(rdi, gpa),
        |a| a.mov(dword_ptr(rdi), eax),
        finish,
    )
}

/// `hlt`, and `hlt` again whenever resumed (at CPL3 the #GP handler's own
/// `hlt` loop takes over).
fn halt_forever(a: &mut CodeAssembler) -> core::result::Result<(), IcedError> {
    // The first `hlt` carries the caller's label (iced allows one per
    // instruction), the loop its own.
    let mut again = a.create_label();
    a.hlt()?;
    a.set_label(&mut again)?;
    a.hlt()?;
    a.jmp(again)
}

/// The loop skeleton at `layout.code`: `setup`; then for ECX = n down to 1,
/// EAX = ECX and `body`; then `finish`. Runs at CPL3 if `user`, else CPL0.
fn counted_loop(
    user: bool,
    n: u32,
    setup: impl FnOnce(&mut CodeAssembler) -> core::result::Result<(), IcedError>,
    body: impl FnOnce(&mut CodeAssembler) -> core::result::Result<(), IcedError>,
    finish: impl FnOnce(&mut CodeAssembler) -> core::result::Result<(), IcedError>,
) -> Result<Program> {
    let mut guest = Guest::new(0, PROGRAM_MEMORY_SIZE)?;
    let entry = guest.layout().code;
    guest.assemble_at(64, entry, |a| {
        let mut top = a.create_label();
        let mut done = a.create_label();
        setup(a)?;
        a.mov(ecx, n)?;
        a.test(ecx, ecx)?;
        a.jz(done)?;
        a.set_label(&mut top)?;
        a.mov(eax, ecx)?;
        body(a)?;
        a.dec(ecx)?;
        a.jnz(top)?;
        a.set_label(&mut done)?;
        finish(a)
    })?;
    let registers = if user {
        guest.long64_user(entry)?
    } else {
        guest.long64(entry)?
    };
    Ok(Program::new(guest, registers))
}
