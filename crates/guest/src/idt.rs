//! The 64-bit IDT and its CPL0 exception handlers: every vector records the
//! interrupted state in guest memory, reports itself and its error code
//! through port writes, and halts — except the #GP a CPL3 `hlt` raises,
//! which just halts, so a CPL3 snippet ends with `hlt` like a CPL0 one.

use iced_x86::code_asm::*;

use crate::error::{Error, Result};
use crate::gdt::{self, selector};
use crate::layout::Layout;
use crate::memory::GuestMemory;
use crate::segment::TableRegister;

/// The opcode of `hlt`: a #GP(0) at an instruction starting with it is the
/// end of a CPL3 snippet, not an exception to report.
const HLT_OPCODE: u8 = 0xf4;

/// The IDT's limit: 256 16-byte gates, minus one.
pub const IDT_LIMIT: u16 = 256 * 16 - 1;

/// Vectors for which the CPU pushes an error code.
const fn has_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10..=14 | 17 | 21 | 29 | 30)
}

/// What the exception handler stored at `layout.exception_record` before
/// its port writes (every field a little-endian `u64`, in this order).
///
/// When the handler halts, every GPR but RSP again holds its value at the
/// exception (RAX, RDX and RDI, which it uses, are restored and also kept
/// here); RSP is on the kernel stack, and the interrupted RIP, RSP, RFLAGS,
/// CS and SS are the fields below.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionRecord {
    /// The vector.
    pub vector: u64,
    /// The error code (0 for vectors without one).
    pub error_code: u64,
    /// RIP pushed by the CPU (the faulting instruction for faults).
    pub rip: u64,
    /// CS pushed by the CPU (its RPL is the CPL at the exception).
    pub cs: u64,
    /// RFLAGS pushed by the CPU.
    pub rflags: u64,
    /// RSP pushed by the CPU.
    pub rsp: u64,
    /// SS pushed by the CPU.
    pub ss: u64,
    /// CR2 when the handler ran (the faulting address for #PF).
    pub cr2: u64,
    /// RAX at the exception.
    pub rax: u64,
    /// RDX at the exception.
    pub rdx: u64,
    /// RDI at the exception.
    pub rdi: u64,
}

impl ExceptionRecord {
    /// Size of the record in guest memory.
    pub const SIZE: usize = 11 * 8;

    /// Parses a record from the [`SIZE`](Self::SIZE) bytes at
    /// `layout.exception_record` (`None` if `bytes` is shorter).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let field = |i: usize| -> Option<u64> {
            let raw = bytes.get(i * 8..i * 8 + 8)?;
            Some(u64::from_le_bytes(raw.try_into().ok()?))
        };
        Some(Self {
            vector: field(0)?,
            error_code: field(1)?,
            rip: field(2)?,
            cs: field(3)?,
            rflags: field(4)?,
            rsp: field(5)?,
            ss: field(6)?,
            cr2: field(7)?,
            rax: field(8)?,
            rdx: field(9)?,
            rdi: field(10)?,
        })
    }
}

/// The IDTR value for the image IDT.
pub fn idtr(layout: &Layout) -> TableRegister {
    TableRegister {
        base: layout.idt,
        limit: IDT_LIMIT,
    }
}

/// A 16-byte 64-bit interrupt gate (DPL 0, IST 0) to `handler` in the
/// kernel code segment.
pub fn gate(handler: u64) -> [u8; 16] {
    let low = (handler & 0xffff)
        | u64::from(selector::KERNEL_CODE64) << 16
        | 0x8e_u64 << 40
        | ((handler >> 16) & 0xffff) << 48;
    let high = handler >> 32;
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&low.to_le_bytes());
    bytes[8..].copy_from_slice(&high.to_le_bytes());
    bytes
}

/// Writes the IDT at `layout.idt`, its pseudo-descriptor at
/// [`Layout::idtr_pointer`], and the handlers at `layout.handlers`.
///
/// Each of the 256 vectors enters a stub that pushes a zero error code
/// where the CPU pushes none, pushes the vector and jumps to a common
/// handler, which fills the [`ExceptionRecord`], then does `out dx, eax`
/// twice on `layout.exception_port` — first the vector, then the low 32
/// bits of the error code — restores RAX, RDX and RDI, and halts (forever).
/// At that HLT exit every GPR but RSP holds its value at the exception; RIP,
/// RSP, RFLAGS, CS and SS at the exception are in the record. A #GP(0)
/// raised by `hlt` (CPL3 executing `hlt`) skips the two port writes, so the
/// caller sees a plain HLT exit after the snippet's last instruction. Gates are 64-bit interrupt gates (IF
/// cleared) with DPL 0, so `int n` from CPL3 raises #GP(n * 8 + 2) on
/// hardware (on PVM it raises #UD, see the crate documentation).
pub fn write(memory: &mut GuestMemory, layout: &Layout) -> Result<()> {
    let record = layout.exception_record;
    let port = u32::from(layout.exception_port);
    let mut entry_labels = Vec::with_capacity(256);
    let mut a = CodeAssembler::new(64)?;
    let mut common = a.create_label();
    let mut halt = a.create_label();
    for vector in 0..=255u8 {
        let mut label = a.create_label();
        a.set_label(&mut label)?;
        if !has_error_code(vector) {
            a.push(0)?;
        }
        a.push(i32::from(vector))?;
        a.jmp(common)?;
        entry_labels.push(label);
    }
    // Stack here: vector, error code, RIP, CS, RFLAGS, RSP, SS.
    let mut report = a.create_label();
    let mut restore = a.create_label();
    a.set_label(&mut common)?;
    a.push(rax)?;
    a.push(rdx)?;
    a.push(rdi)?;
    a.mov(rdi, record)?;
    for (slot, field) in (3..10).zip(0..7) {
        a.mov(rax, qword_ptr(rsp + 8 * slot))?;
        a.mov(qword_ptr(rdi + 8 * field), rax)?;
    }
    a.mov(rax, cr2)?;
    a.mov(qword_ptr(rdi + 7 * 8), rax)?;
    for (slot, field) in [(2, 8), (1, 9), (0, 10)] {
        a.mov(rax, qword_ptr(rsp + 8 * slot))?;
        a.mov(qword_ptr(rdi + 8 * field), rax)?;
    }
    // #GP(0) at a `hlt`: the end of a CPL3 snippet.
    a.cmp(qword_ptr(rdi), 13)?;
    a.jne(report)?;
    a.cmp(qword_ptr(rdi + 8), 0)?;
    a.jne(report)?;
    a.mov(rax, qword_ptr(rdi + 16))?;
    a.cmp(byte_ptr(rax), i32::from(HLT_OPCODE))?;
    a.je(restore)?;
    a.set_label(&mut report)?;
    a.mov(edx, port)?;
    a.mov(eax, dword_ptr(rdi))?;
    a.out(dx, eax)?;
    a.mov(eax, dword_ptr(rdi + 8))?;
    a.out(dx, eax)?;
    a.set_label(&mut restore)?;
    a.pop(rdi)?;
    a.pop(rdx)?;
    a.pop(rax)?;
    a.set_label(&mut halt)?;
    a.hlt()?;
    a.jmp(halt)?;
    let result = a.assemble_options(
        layout.handlers,
        iced_x86::BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS,
    )?;
    let code = &result.inner.code_buffer;
    if code.len() as u64 > Layout::HANDLERS_SIZE {
        return Err(Error::Layout("exception handlers overflow their area"));
    }
    memory.write(layout.handlers, code)?;
    for (vector, label) in entry_labels.iter().enumerate() {
        memory.write(
            layout.idt + 16 * vector as u64,
            &gate(result.label_ip(label)?),
        )?;
    }
    gdt::write_pseudo_descriptor(memory, layout.idtr_pointer(), idtr(layout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_point_into_the_handler_area() {
        let layout = Layout::at(0);
        let mut memory = GuestMemory::new(0, Layout::SYSTEM_SIZE as usize);
        write(&mut memory, &layout).unwrap();
        for vector in [0u64, 6, 13, 14, 0x80, 255] {
            let raw = memory.read(layout.idt + 16 * vector, 16).unwrap();
            let low = u64::from_le_bytes(raw[..8].try_into().unwrap());
            let target = (low & 0xffff) | ((low >> 48) << 16);
            assert!((layout.handlers..layout.handlers + 0x2000).contains(&target));
            assert_eq!((low >> 16) & 0xffff, u64::from(selector::KERNEL_CODE64));
            assert_eq!((low >> 40) & 0xff, 0x8e, "vector {vector}");
            // The stub pushes a zero error code only where the CPU pushes none.
            let mut decoder =
                iced_x86::Decoder::with_ip(64, memory.read(target, 16).unwrap(), target, 0);
            let first = decoder.decode();
            let second = decoder.decode();
            let vector_push = if has_error_code(vector as u8) {
                first
            } else {
                assert_eq!(
                    (first.mnemonic(), first.immediate(0)),
                    (iced_x86::Mnemonic::Push, 0)
                );
                second
            };
            assert_eq!(
                (vector_push.mnemonic(), vector_push.immediate(0)),
                (iced_x86::Mnemonic::Push, vector)
            );
        }
    }

    #[test]
    fn record_parses_in_field_order() {
        let bytes: Vec<u8> = (0..11u64).flat_map(|v| (v + 100).to_le_bytes()).collect();
        let record = ExceptionRecord::parse(&bytes).unwrap();
        assert_eq!((record.vector, record.cr2, record.rdi), (100, 107, 110));
        assert!(ExceptionRecord::parse(&bytes[..80]).is_none());
    }
}
