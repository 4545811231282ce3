//! Port I/O: IN and OUT (port in an immediate or DX), the port callback,
//! and the fast paths for a non-string I/O exit, which need no registers
//! but those in the exit context (and, without instruction bytes, no
//! decoding: Microsoft documents that simple I/O exits may come without
//! them).
//!
//! An exit context whose access info is zeroed (`AccessSize` 0: the
//! access not described) is emulated from the instruction alone, as
//! Windows does (measured, issue #17.7): registers through the callback,
//! port from the instruction's imm8 or DX, size and direction from the
//! opcode.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, RAX, RDX};
use crate::status::{Step, Stop, bits};
use iced_x86::{Instruction, Mnemonic, OpKind};
use winhv_defs::{WHV_EMULATOR_IO_ACCESS_INFO, WHV_X64_IO_PORT_ACCESS_CONTEXT};

/// What the I/O exit said about the access.
#[derive(Copy, Clone, Debug)]
pub(crate) struct IoExit {
    /// The port the CPU reported, or `None` when the exit did not describe
    /// the access (then DX names it).
    pub port: Option<u16>,
}

/// Whether the exit context describes the access (`AccessSize` 1, 2 or 4;
/// 0 when zeroed).
pub(crate) fn described(io: &WHV_X64_IO_PORT_ACCESS_CONTEXT) -> bool {
    io.AccessInfo.access_size() != 0
}

/// Whether an I/O exit can be emulated from the exit context alone (no
/// get-registers call): a described non-string IN/OUT.
pub(crate) fn fast_io(io: &WHV_X64_IO_PORT_ACCESS_CONTEXT) -> bool {
    described(io) && io.AccessInfo.string_op() == 0
}

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// One port access through the callback; returns the data read.
    pub fn port_io(&mut self, port: u16, size: usize, write: bool, data: u32) -> Step<u32> {
        let mask = if size >= 4 {
            u32::MAX
        } else {
            (1u32 << (size * 8)) - 1
        };
        let mut info = WHV_EMULATOR_IO_ACCESS_INFO {
            Direction: u8::from(write),
            Port: port,
            AccessSize: size as u16,
            Data: if write { data & mask } else { 0 },
        };
        if self.cb.io_port(&mut info).is_err() {
            return Err(Stop::Status(bits::IO_PORT_FAILED));
        }
        Ok(info.Data & mask)
    }
}

/// IN AL/AX/EAX, imm8|DX and OUT imm8|DX, AL/AX/EAX.
pub(crate) fn in_out<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    io: Option<&IoExit>,
) -> Step<()> {
    let is_in = instr.mnemonic() == Mnemonic::In;
    let (acc_op, port_op) = if is_in { (0, 1) } else { (1, 0) };
    if instr.op_count() != 2 || instr.op_kind(acc_op) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let acc = instr.op_register(acc_op);
    let port = match instr.op_kind(port_op) {
        OpKind::Immediate8 => instr.immediate(port_op) as u16,
        // DX: the exit context's port when it gave one (the fast path does
        // not load RDX), else DX itself.
        _ => match io.and_then(|e| e.port) {
            Some(port) => port,
            None => cpu.gpr(RDX)? as u16,
        },
    };
    let size = acc.size();
    if is_in {
        let v = cpu.port_io(port, size, false, 0)?;
        cpu.write_reg(acc, u64::from(v))
    } else {
        let v = cpu.read_reg(acc)? as u32;
        cpu.port_io(port, size, true, v).map(|_| ())
    }
}

/// A non-string IN/OUT known only from the exit: port, size and direction
/// from `AccessInfo`, length from the VP context.
pub(crate) fn simple_io<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    io: &WHV_X64_IO_PORT_ACCESS_CONTEXT,
) -> Step<()> {
    let size = io.AccessInfo.access_size() as usize;
    if io.AccessInfo.is_write() != 0 {
        let v = cpu.gpr(RAX)? as u32;
        cpu.port_io(io.PortNumber, size, true, v)?;
    } else {
        let v = cpu.port_io(io.PortNumber, size, false, 0)?;
        cpu.write_gpr_sized(RAX, size, u64::from(v))?;
    }
    Ok(())
}
