//! Which RFLAGS bits an instruction leaves architecturally undefined, for
//! differential tests against a real CPU to mask. The emulator gives these
//! flags definite values (see the `exec` modules), which a CPU may not
//! share.

use crate::flags::{AF, ARITH, CF, OF, PF, SF, ZF};
use crate::host::{Feature, has};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The RFLAGS bits `instr` leaves undefined. `count` is the shift/rotate
/// count as executed (CL or the immediate, before masking; SHLD/SHRD's
/// too); other instructions ignore it. A 16-bit SHLD/SHRD by more than 16
/// leaves its result undefined as well as every flag.
///
/// ```
/// use iced_x86::{Decoder, DecoderOptions};
/// let i = Decoder::new(64, &[0x21, 0x03], DecoderOptions::NONE).decode(); // and [rbx], eax
/// assert_eq!(winhv_emu::undefined_flags(&i, 0), 1 << 4); // AF
/// ```
pub fn undefined_flags(instr: &Instruction, count: u32) -> u64 {
    use Mnemonic::*;
    let width = match instr.op_kind(0) {
        OpKind::Register => instr.op_register(0).size() as u32 * 8,
        _ => instr.memory_size().size() as u32 * 8,
    };
    let masked = count & if width == 64 { 0x3f } else { 0x1f };
    match instr.mnemonic() {
        And | Or | Xor | Test => AF,
        Bt | Bts | Btr | Btc => OF | SF | AF | PF,
        Shl | Sal | Shr | Sar if masked != 0 => {
            let mut f = AF;
            if masked > 1 {
                f |= OF;
            }
            if instr.mnemonic() != Sar && masked >= width {
                f |= CF;
            }
            f
        }
        Rol | Ror | Rcl | Rcr if masked > 1 => OF,
        Shld | Shrd if masked != 0 => {
            if width == 16 && masked > 16 {
                // The result too is undefined.
                ARITH
            } else if masked > 1 {
                AF | OF
            } else {
                AF
            }
        }
        Mul | Imul => SF | ZF | AF | PF,
        Div | Idiv => ARITH,
        Bsf | Bsr => CF | OF | SF | AF | PF,
        Tzcnt if !has(Feature::Bmi1) => CF | OF | SF | AF | PF,
        Lzcnt if !has(Feature::Lzcnt) => CF | OF | SF | AF | PF,
        Tzcnt | Lzcnt => OF | SF | AF | PF,
        Andn | Blsi | Blsmsk | Blsr | Bzhi => AF | PF,
        Bextr => AF | SF | PF,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::ZF;
    use iced_x86::{Decoder, DecoderOptions};

    fn of(bytes: &[u8], count: u32) -> u64 {
        undefined_flags(
            &Decoder::new(64, bytes, DecoderOptions::NONE).decode(),
            count,
        )
    }

    #[test]
    fn table() {
        assert_eq!(of(&[0x01, 0x03], 0), 0); // add
        assert_eq!(of(&[0x0f, 0xa3, 0x03], 0), OF | SF | AF | PF); // bt
        assert_eq!(of(&[0xd3, 0x23], 0), 0); // shl by 0
        assert_eq!(of(&[0xd3, 0x23], 1), AF); // shl by 1
        assert_eq!(of(&[0xd3, 0x23], 5), AF | OF);
        assert_eq!(of(&[0xd2, 0x23], 9), AF | OF | CF); // shl byte by 9
        assert_eq!(of(&[0xd2, 0x3b], 9), AF | OF); // sar byte by 9: CF defined
        assert_eq!(of(&[0xd3, 0x03], 2), OF); // rol
        assert_eq!(of(&[0xd3, 0x03], 32), 0); // masked to 0
        assert_eq!(of(&[0x85, 0x03], 0) & ZF, 0); // test defines ZF
        assert_eq!(of(&[0xf7, 0x23], 0), SF | ZF | AF | PF); // mul
        assert_eq!(of(&[0xf7, 0x33], 0), CF | PF | AF | ZF | SF | OF); // div
        assert_eq!(of(&[0x0f, 0xa5, 0x03], 1), AF); // shld [rbx], eax, cl
        assert_eq!(of(&[0x0f, 0xa5, 0x03], 3), AF | OF);
        assert_eq!(of(&[0x0f, 0xbc, 0x03], 0), CF | OF | SF | AF | PF); // bsf
    }
}
