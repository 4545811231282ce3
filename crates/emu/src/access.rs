//! Guest memory as the instruction sees it: linear address → page
//! translation (through `TranslateGvaPage`, identity in real mode) →
//! guest-physical accesses (through `MemoryCallback`) of 1 to 8 bytes that
//! never cross a page: one per page piece, as Windows' emulator makes them. Every page of an access is translated before
//! any byte moves, so a fault leaves memory and devices untouched.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, Mode};
use crate::flags;
use crate::segment::Access;
use crate::status::{Exception, Step, Stop, bits, vector};
use winhv_defs::*;

/// The page size.
pub(crate) const PAGE: u64 = 4096;

/// A resolved access: up to two guest-physical pieces (an access of at most
/// [`MAX_ACCESS`] bytes crosses at most one page boundary).
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Span {
    pieces: [(u64, usize); 2],
    count: usize,
}

/// The largest access one span holds (an IRET frame of five 8-byte
/// slots, an FXSAVE-sized x87 environment piece, a 16-byte SSE operand).
pub(crate) const MAX_ACCESS: usize = 64;

impl Span {
    /// The total length.
    pub fn len(&self) -> usize {
        self.pieces[..self.count].iter().map(|p| p.1).sum()
    }
}

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// Translates the page of linear address `la` for `access`.
    #[allow(non_upper_case_globals, reason = "matching the Windows constant names")]
    fn translate(&mut self, la: u64, access: Access) -> Step<u64> {
        let page = la & !(PAGE - 1);
        if self.mode == Mode::Real {
            return Ok(page);
        }
        if let Some((gva, gpa, written)) = self.known_page {
            // A walk that allowed a write allows a read; a read proves
            // nothing about writing.
            let covered = match access {
                Access::Read => true,
                Access::Write | Access::ReadWrite => written,
                Access::Fetch | Access::SysRead | Access::SysWrite => false,
            };
            if gva == page && covered {
                return Ok(gpa);
            }
        }
        let flags = match access {
            Access::Read => WHvTranslateGvaFlagValidateRead,
            Access::Write => WHvTranslateGvaFlagValidateWrite,
            Access::ReadWrite => WHvTranslateGvaFlagValidateRead | WHvTranslateGvaFlagValidateWrite,
            Access::Fetch => WHvTranslateGvaFlagValidateExecute,
            // Descriptor tables and the TSS: supervisor accesses whatever
            // the CPL.
            Access::SysRead => WHvTranslateGvaFlagValidateRead | WHvTranslateGvaFlagPrivilegeExempt,
            Access::SysWrite => {
                WHvTranslateGvaFlagValidateRead
                    | WHvTranslateGvaFlagValidateWrite
                    | WHvTranslateGvaFlagPrivilegeExempt
            }
        };
        let mut result = WHvTranslateGvaResultSuccess;
        let mut gpa = 0;
        if self
            .cb
            .translate_gva_page(page, flags, &mut result, &mut gpa)
            .is_err()
        {
            return Err(Stop::Status(bits::TRANSLATE_FAILED));
        }
        let protection = match result {
            WHvTranslateGvaResultSuccess => {
                if gpa & (PAGE - 1) != 0 {
                    return Err(Stop::Status(bits::GPA_NOT_ALIGNED));
                }
                return Ok(gpa);
            }
            WHvTranslateGvaResultPageNotPresent => 0,
            WHvTranslateGvaResultPrivilegeViolation => 1,
            WHvTranslateGvaResultInvalidPageTableFlags => 1 | 8,
            // The walk itself hit unmapped or intercepted memory: there is
            // no architectural fault to give the guest.
            _ => return Err(Stop::Status(bits::GUEST_CANNOT_BE_FAULTED)),
        };
        let mut code = protection;
        if access.writes() {
            code |= 2;
        }
        if self.cpl == 3 && !matches!(access, Access::SysRead | Access::SysWrite) {
            code |= 4;
        }
        if access == Access::Fetch && self.efer()? & (1 << 11) != 0 {
            code |= 16;
        }
        Err(Stop::Fault(Exception {
            vector: vector::PF,
            error_code: Some(code),
            cr2: Some(la),
        }))
    }

    /// `#AC(0)` when alignment checking is on (CPL 3, CR0.AM, RFLAGS.AC)
    /// and a 2-, 4- or 8-byte data access is misaligned.
    fn alignment_check(&self, la: u64, size: usize) -> Step<()> {
        if self.cpl == 3
            && self.cr0_am
            && self.rflags & flags::AC != 0
            && matches!(size, 2 | 4 | 8)
            && la % size as u64 != 0
        {
            return Err(Stop::Fault(Exception {
                vector: vector::AC,
                error_code: Some(0),
                cr2: None,
            }));
        }
        Ok(())
    }

    /// Resolves `size` (1..=[`MAX_ACCESS`]) bytes at `seg:offset` for
    /// `access`.
    pub fn resolve(&mut self, seg: usize, offset: u64, size: usize, access: Access) -> Step<Span> {
        let la = self.linear(seg, offset, size, access)?;
        if matches!(access, Access::Read | Access::Write | Access::ReadWrite) {
            self.alignment_check(la, size)?;
        }
        self.resolve_linear(la, size, access)
    }

    /// Resolves `size` (1..=[`MAX_ACCESS`]) bytes at linear address `la`.
    pub fn resolve_linear(&mut self, la: u64, size: usize, access: Access) -> Step<Span> {
        if size == 0 || size > MAX_ACCESS {
            return Err(Stop::UNSUPPORTED);
        }
        let wrap = if self.long64() { u64::MAX } else { 0xffff_ffff };
        let first = (PAGE - (la & (PAGE - 1))) as usize;
        let mut span = Span::default();
        let gpa = self.translate(la, access)?;
        if size <= first {
            span.pieces[0] = (gpa | (la & (PAGE - 1)), size);
            span.count = 1;
        } else {
            let la2 = la.wrapping_add(first as u64) & wrap;
            let gpa2 = self.translate(la2, access)?;
            span.pieces[0] = (gpa | (la & (PAGE - 1)), first);
            span.pieces[1] = (gpa2, size - first);
            span.count = 2;
        }
        Ok(span)
    }

    /// Reads the span into `buf` (of the span's length).
    pub fn read_span(&mut self, span: &Span, buf: &mut [u8]) -> Step<()> {
        if buf.len() != span.len() {
            return Err(Stop::UNSUPPORTED);
        }
        let mut at = 0;
        for &(gpa, len) in &span.pieces[..span.count] {
            let mut done = 0;
            while done < len {
                // As Windows does: one callback per page piece, split only
                // where the piece exceeds the 8 bytes `Data` holds (an
                // 8-byte store at 0xffe is a 2-byte and a 6-byte access).
                let chunk = (len - done).min(8);
                let mut info = WHV_EMULATOR_MEMORY_ACCESS_INFO {
                    GpaAddress: gpa.wrapping_add(done as u64),
                    Direction: 0,
                    AccessSize: chunk as u8,
                    Data: [0; 8],
                };
                if self.cb.memory(&mut info).is_err() {
                    return Err(Stop::Status(bits::MEMORY_FAILED));
                }
                buf[at..at + chunk].copy_from_slice(&info.Data[..chunk]);
                at += chunk;
                done += chunk;
            }
        }
        Ok(())
    }

    /// Writes `buf` (of the span's length) to the span.
    pub fn write_span(&mut self, span: &Span, buf: &[u8]) -> Step<()> {
        if buf.len() != span.len() {
            return Err(Stop::UNSUPPORTED);
        }
        let mut at = 0;
        for &(gpa, len) in &span.pieces[..span.count] {
            let mut done = 0;
            while done < len {
                let chunk = (len - done).min(8);
                let mut info = WHV_EMULATOR_MEMORY_ACCESS_INFO {
                    GpaAddress: gpa.wrapping_add(done as u64),
                    Direction: 1,
                    AccessSize: chunk as u8,
                    Data: [0; 8],
                };
                info.Data[..chunk].copy_from_slice(&buf[at..at + chunk]);
                if self.cb.memory(&mut info).is_err() {
                    return Err(Stop::Status(bits::MEMORY_FAILED));
                }
                at += chunk;
                done += chunk;
            }
        }
        Ok(())
    }

    /// Reads a value of `size` (1..=8) bytes at `seg:offset`.
    pub fn read_mem(&mut self, seg: usize, offset: u64, size: usize) -> Step<u64> {
        let span = self.resolve(seg, offset, size, Access::Read)?;
        self.read_value(&span, size)
    }

    /// Writes a value of `size` (1..=8) bytes at `seg:offset`.
    pub fn write_mem(&mut self, seg: usize, offset: u64, size: usize, v: u64) -> Step<()> {
        let span = self.resolve(seg, offset, size, Access::Write)?;
        self.write_value(&span, size, v)
    }

    /// Reads a value of `size` (1..=8) bytes from a resolved span.
    pub fn read_value(&mut self, span: &Span, size: usize) -> Step<u64> {
        let mut b = [0u8; 8];
        let size = size.min(8);
        self.read_span(span, &mut b[..size])?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a value of `size` (1..=8) bytes to a resolved span.
    pub fn write_value(&mut self, span: &Span, size: usize, v: u64) -> Step<()> {
        let size = size.min(8);
        self.write_span(span, &v.to_le_bytes()[..size])
    }
}
