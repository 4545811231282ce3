//! The instruction: its bytes (from the exit context, then from guest
//! memory at CS:RIP through translation when the exit gave too few or the
//! instruction crosses a page) and its decoding by iced-x86.

use crate::access::PAGE;
use crate::callbacks::Callbacks;
use crate::cpu::{CS, Cpu, Mode};
use crate::segment::Access;
use crate::status::{Step, Stop};
use iced_x86::{Decoder, DecoderError, DecoderOptions, Instruction};

/// The longest x86 instruction.
const MAX_LEN: usize = 15;

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// Decodes the instruction at CS:RIP into `out`, starting from the
    /// exit's bytes.
    pub fn decode(&mut self, given: &[u8], out: &mut Instruction) -> Step<()> {
        let mut bytes = [0u8; MAX_LEN];
        let mut len = given.len().min(MAX_LEN);
        bytes[..len].copy_from_slice(&given[..len]);
        loop {
            let mut decoder =
                Decoder::with_ip(self.bitness, &bytes[..len], self.rip, DecoderOptions::NONE);
            decoder.decode_out(out);
            if !out.is_invalid() {
                self.code = bytes;
                self.code_len = out.len().min(MAX_LEN);
                return Ok(());
            }
            if decoder.last_error() != DecoderError::NoMoreBytes || len >= MAX_LEN {
                return Err(Stop::UNSUPPORTED);
            }
            len += self.fetch(&mut bytes, len)?;
        }
    }

    /// Fetches more bytes of the instruction after the first `have`;
    /// returns how many (at least one) or the fault.
    fn fetch(&mut self, bytes: &mut [u8; MAX_LEN], have: usize) -> Step<usize> {
        let ip_mask = match self.bitness {
            64 => u64::MAX,
            32 => 0xffff_ffff,
            _ => 0xffff,
        };
        let offset = self.rip.wrapping_add(have as u64) & ip_mask;
        let mut want = MAX_LEN - have;
        if self.mode != Mode::Long64 {
            let limit = u64::from(self.cached_segment(CS).Limit);
            if offset > limit {
                return Err(Stop::gp0());
            }
            want = want.min((limit - offset + 1).min(MAX_LEN as u64) as usize);
        }
        let la = self.linear(CS, offset, 1, Access::Fetch)?;
        let to_page_end = (PAGE - (la & (PAGE - 1))) as usize;
        let n = want.min(to_page_end).max(1);
        let span = self.resolve_linear(la, n, Access::Fetch)?;
        self.read_span(&span, &mut bytes[have..have + n])?;
        Ok(n)
    }
}
