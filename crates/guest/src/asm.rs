//! Assembling snippets with iced-x86's `code_asm` at a given address and
//! bitness.

pub use iced_x86::IcedError;
pub use iced_x86::code_asm;
use iced_x86::code_asm::CodeAssembler;

use crate::error::Result;

/// Assembles the instructions `build` adds, for `bitness` (16, 32 or 64)
/// and first-instruction address `ip` (the offset in CS for 16-bit code,
/// the linear address otherwise), and returns the machine code.
///
/// ```
/// use winhv_guest::asm::{assemble, code_asm::*};
/// let code = assemble(64, 0x1000, |a| {
///     a.mov(dx, 0x3f8u32)?;
///     a.out(dx, al)?;
///     a.hlt()
/// })?;
/// assert_eq!(code, [0x66, 0xba, 0xf8, 0x03, 0xee, 0xf4]);
/// # Ok::<(), winhv_guest::Error>(())
/// ```
pub fn assemble(
    bitness: u32,
    ip: u64,
    build: impl FnOnce(&mut CodeAssembler) -> core::result::Result<(), IcedError>,
) -> Result<Vec<u8>> {
    let mut assembler = CodeAssembler::new(bitness)?;
    build(&mut assembler)?;
    Ok(assembler.assemble(ip)?)
}
