//! SSE/AVX moves between an XMM register and memory: MOVD, MOVQ, MOVSS,
//! MOVSD, MOVDQA, MOVDQU, MOVAPS, MOVUPS, MOVAPD, MOVUPD, the non-temporal
//! MOVNTDQ, MOVNTPS, MOVNTPD, MOVNTDQA, and their VEX.128 store forms. The
//! aligned forms raise `#GP(0)` on a misaligned address. Loads of 4 or 8
//! bytes (MOVD, MOVQ, MOVSS, MOVSD) zero the rest of the XMM register. XMM registers go
//! through the register callbacks (`WHvX64RegisterXmm0`..).
//!
//! Not emulated (InternalEmulationFailure): MMX forms, VEX.256 forms, and
//! VEX loads into a register — VEX zeroes bits 128.. of the YMM register,
//! and the callbacks' register set has no upper YMM halves to write.

use crate::callbacks::Callbacks;
use crate::cpu::Cpu;
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{EncodingKind, Instruction, Mnemonic, OpKind};

/// Runs an SSE/AVX move.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    use Mnemonic::*;
    if instr.op_count() != 2 {
        return Err(Stop::UNSUPPORTED);
    }
    let vex = instr.encoding() != EncodingKind::Legacy;
    if vex && instr.encoding() != EncodingKind::VEX {
        return Err(Stop::UNSUPPORTED);
    }
    let aligned = matches!(
        instr.mnemonic(),
        Movdqa
            | Movaps
            | Movapd
            | Movntdq
            | Movntps
            | Movntpd
            | Movntdqa
            | Vmovdqa
            | Vmovaps
            | Vmovapd
            | Vmovntdq
            | Vmovntps
            | Vmovntpd
    );
    let size = instr.memory_size().size();
    if !matches!(size, 4 | 8 | 16) {
        return Err(Stop::UNSUPPORTED);
    }
    let (mem_op, reg_op, store) = match (instr.op_kind(0), instr.op_kind(1)) {
        (OpKind::Memory, OpKind::Register) => (0, 1, true),
        (OpKind::Register, OpKind::Memory) => (1, 0, false),
        _ => return Err(Stop::UNSUPPORTED),
    };
    let reg = instr.op_register(reg_op);
    if !reg.is_xmm() || (vex && !store) {
        return Err(Stop::UNSUPPORTED);
    }
    let n = reg.number();
    let (seg, off) = cpu.mem_offset(instr, mem_op)?;
    let access = if store { Access::Write } else { Access::Read };
    if aligned {
        let la = cpu.linear(seg, off, size, access)?;
        if la % 16 != 0 {
            return Err(Stop::gp0());
        }
    }
    let span = cpu.resolve(seg, off, size, access)?;
    if store {
        let v = cpu.xmm(n)?;
        cpu.write_span(&span, &v.to_le_bytes()[..size])
    } else {
        let mut b = [0u8; 16];
        cpu.read_span(&span, &mut b[..size])?;
        // MOVD/MOVQ loads zero the rest of the register.
        cpu.set_xmm(n, u128::from_le_bytes(b));
        Ok(())
    }
}
