//! Segment descriptors through the callbacks: GDTR and LDTR (read with the
//! get-registers callback), a selector's descriptor read from the GDT or
//! LDT with the translation and memory callbacks (supervisor accesses,
//! the table limit checked), its accessed bit set, and the checks the CPU
//! makes when it loads a data, stack or code segment register — `#GP`,
//! `#SS` or `#NP` with the selector as error code (SDM vol. 2, MOV, POP,
//! LDS/LES/LFS/LGS/LSS, JMP, CALL, RET, IRET; vol. 3 §5.5–5.8).
//!
//! Null selectors loaded into a data segment register (and, in 64-bit
//! mode below CPL 3, into SS) leave an unusable register: selector kept,
//! base, limit and attributes 0 (SS: its DPL). Intel processors clear the
//! base of FS/GS this way; AMD ones without "null selector clears base"
//! keep it — our choice is Intel's (the guest cannot see the difference
//! without RDFSBASE).

use crate::access::Span;
use crate::callbacks::Callbacks;
use crate::cpu::{CS, Cpu, Mode, SS};
use crate::regval;
use crate::segment::Access;
use crate::status::{Step, Stop, vector};
use winhv_defs::*;

/// A descriptor as the table holds it, with where it lives.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Descriptor {
    /// Bytes 0..8.
    pub lo: u64,
    /// Bytes 8..16 (16-byte system descriptors in long mode; else 0).
    pub hi: u64,
    /// The descriptor's linear address.
    pub la: u64,
}

impl Descriptor {
    /// The type field (4 bits).
    pub fn ty(&self) -> u8 {
        ((self.lo >> 40) & 0xf) as u8
    }
    /// S: a code or data segment (not a system descriptor).
    pub fn s(&self) -> bool {
        (self.lo >> 44) & 1 != 0
    }
    /// DPL.
    pub fn dpl(&self) -> u8 {
        ((self.lo >> 45) & 3) as u8
    }
    /// P.
    pub fn present(&self) -> bool {
        (self.lo >> 47) & 1 != 0
    }
    /// A code segment.
    pub fn code(&self) -> bool {
        self.s() && self.ty() & 8 != 0
    }
    /// A conforming code segment.
    pub fn conforming(&self) -> bool {
        self.code() && self.ty() & 4 != 0
    }
    /// A readable code segment, or any data segment.
    pub fn readable(&self) -> bool {
        !self.code() || self.ty() & 2 != 0
    }
    /// A writable data segment.
    pub fn writable(&self) -> bool {
        self.s() && !self.code() && self.ty() & 2 != 0
    }
    /// L (64-bit code).
    pub fn long(&self) -> bool {
        (self.lo >> 53) & 1 != 0
    }
    /// D/B.
    pub fn db(&self) -> bool {
        (self.lo >> 54) & 1 != 0
    }

    /// The segment register loaded from this descriptor with `selector`.
    pub fn segment(&self, selector: u16) -> WHV_X64_SEGMENT_REGISTER {
        let d = self.lo;
        let mut base = ((d >> 16) & 0xff_ffff) | (((d >> 56) & 0xff) << 24);
        if !self.s() {
            // A system descriptor in long mode holds base bits 32..64.
            base |= (self.hi & 0xffff_ffff) << 32;
        }
        let mut limit = ((d & 0xffff) | (((d >> 48) & 0xf) << 16)) as u32;
        if (d >> 55) & 1 != 0 {
            limit = (limit << 12) | 0xfff;
        }
        WHV_X64_SEGMENT_REGISTER {
            Base: base,
            Limit: limit,
            Selector: selector,
            Attributes: ((d >> 40) & 0xf0ff) as u16,
        }
    }
}

/// `#GP` with a selector's error code (index and TI; EXT 0).
pub(crate) fn gp(selector: u16) -> Stop {
    Stop::fault_code(vector::GP, u32::from(selector & 0xfffc))
}

/// `#NP` with a selector's error code.
pub(crate) fn np(selector: u16) -> Stop {
    Stop::fault_code(vector::NP, u32::from(selector & 0xfffc))
}

/// `#SS` with a selector's error code.
pub(crate) fn ss(selector: u16) -> Stop {
    Stop::fault_code(vector::SS, u32::from(selector & 0xfffc))
}

/// An unusable segment register (a null selector loaded).
pub(crate) fn null_segment(selector: u16) -> WHV_X64_SEGMENT_REGISTER {
    WHV_X64_SEGMENT_REGISTER {
        Base: 0,
        Limit: 0,
        Selector: selector,
        Attributes: 0,
    }
}

/// How a code segment is entered.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CodeEntry {
    /// A far JMP or CALL (no gates): the same privilege.
    JumpOrCall,
    /// A far RET or IRET to the selector's RPL (CPL or outer).
    Return,
}

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// GDTR, read through the callback.
    pub fn gdtr(&mut self) -> Step<WHV_X64_TABLE_REGISTER> {
        let v = self.get_one(WHvX64RegisterGdtr)?;
        Ok(regval::table(&v))
    }

    /// The descriptor `selector` names (GDT or, with TI, the LDT); 16
    /// bytes with `wide` (a system descriptor in long mode). `#GP(selector)`
    /// when it lies outside the table (or the LDT is unusable).
    pub fn descriptor(&mut self, selector: u16, wide: bool) -> Step<Descriptor> {
        let (base, limit) = if selector & 4 != 0 {
            let ldtr = regval::segment(&self.get_one(WHvX64RegisterLdtr)?);
            if ldtr.present() == 0 || ldtr.Selector & 0xfffc == 0 {
                return Err(gp(selector));
            }
            (ldtr.Base, u64::from(ldtr.Limit))
        } else {
            let g = self.gdtr()?;
            (g.Base, u64::from(g.Limit))
        };
        let offset = u64::from(selector & !7);
        let size = if wide { 16 } else { 8 };
        if offset + size - 1 > limit {
            return Err(gp(selector));
        }
        let la = self.table_address(base.wrapping_add(offset));
        let span = self.resolve_linear(la, size as usize, Access::SysRead)?;
        let mut b = [0u8; 16];
        self.read_span(&span, &mut b[..size as usize])?;
        let lo = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let hi = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
        Ok(Descriptor { lo, hi, la })
    }

    /// A descriptor-table linear address within the mode's width.
    fn table_address(&self, la: u64) -> u64 {
        if self.lma { la } else { la & 0xffff_ffff }
    }

    /// Sets bit `bit` of the descriptor's type byte (5) if clear: the
    /// accessed bit (0) of a segment being loaded, the busy bit (1) of a
    /// TSS. One byte written through the memory callback, as the CPU's
    /// locked update.
    pub fn set_descriptor_bit(&mut self, d: &mut Descriptor, bit: u32) -> Step<()> {
        if (d.lo >> (40 + bit)) & 1 != 0 {
            return Ok(());
        }
        d.lo |= 1 << (40 + bit);
        let la = self.table_address(d.la.wrapping_add(5));
        let span: Span = self.resolve_linear(la, 1, Access::SysWrite)?;
        self.write_span(&span, &[(d.lo >> 40) as u8])
    }

    /// The value a data segment register (ES, DS, FS, GS) or SS takes when
    /// `selector` is loaded into it, after the CPU's checks; the
    /// descriptor's accessed bit is set.
    pub fn load_data_segment(
        &mut self,
        seg: usize,
        selector: u16,
    ) -> Step<WHV_X64_SEGMENT_REGISTER> {
        match self.mode {
            Mode::Real => {
                let mut s = self.segment(seg)?;
                s.Selector = selector;
                s.Base = u64::from(selector) << 4;
                return Ok(s);
            }
            Mode::Virtual8086 => {
                return Ok(WHV_X64_SEGMENT_REGISTER {
                    Base: u64::from(selector) << 4,
                    Limit: 0xffff,
                    Selector: selector,
                    // P, DPL 3, S, read/write accessed data.
                    Attributes: 0xf3,
                });
            }
            _ => {}
        }
        let rpl = (selector & 3) as u8;
        let null = selector & 0xfffc == 0;
        if seg == SS {
            if null {
                if self.long64() && self.cpl != 3 && rpl == self.cpl {
                    let mut s = null_segment(selector);
                    s.set_non_system_segment(1);
                    s.set_segment_type(3);
                    s.set_descriptor_privilege_level(u16::from(self.cpl));
                    return Ok(s);
                }
                return Err(Stop::gp0());
            }
            let mut d = self.descriptor(selector, false)?;
            if rpl != self.cpl || !d.writable() || d.dpl() != self.cpl {
                return Err(gp(selector));
            }
            if !d.present() {
                return Err(ss(selector));
            }
            self.set_descriptor_bit(&mut d, 0)?;
            return Ok(d.segment(selector));
        }
        if null {
            return Ok(null_segment(selector));
        }
        let mut d = self.descriptor(selector, false)?;
        if !d.s() || !d.readable() {
            return Err(gp(selector));
        }
        if !d.conforming() && (rpl > d.dpl() || self.cpl > d.dpl()) {
            return Err(gp(selector));
        }
        if !d.present() {
            return Err(np(selector));
        }
        self.set_descriptor_bit(&mut d, 0)?;
        Ok(d.segment(selector))
    }

    /// The value CS takes when a far transfer enters `selector`, after the
    /// CPU's checks (no call gates or task switches: those are refused as
    /// not emulated), and the CPL after it. In real and virtual-8086 mode
    /// only the selector and base change.
    pub fn load_code_segment(
        &mut self,
        selector: u16,
        entry: CodeEntry,
    ) -> Step<(WHV_X64_SEGMENT_REGISTER, u8)> {
        if matches!(self.mode, Mode::Real | Mode::Virtual8086) {
            let mut s = self.cached_segment(CS);
            s.Selector = selector;
            s.Base = u64::from(selector) << 4;
            return Ok((s, self.cpl));
        }
        if selector & 0xfffc == 0 {
            return Err(Stop::gp0());
        }
        let rpl = (selector & 3) as u8;
        let mut d = self.descriptor(selector, false)?;
        if !d.s() {
            // A call gate, task gate or TSS: not emulated.
            return Err(Stop::UNSUPPORTED);
        }
        if !d.code() {
            return Err(gp(selector));
        }
        let cpl = match entry {
            CodeEntry::JumpOrCall => {
                let ok = if d.conforming() {
                    d.dpl() <= self.cpl
                } else {
                    rpl <= self.cpl && d.dpl() == self.cpl
                };
                if !ok {
                    return Err(gp(selector));
                }
                self.cpl
            }
            CodeEntry::Return => {
                if rpl < self.cpl {
                    return Err(gp(selector));
                }
                let ok = if d.conforming() {
                    d.dpl() <= rpl
                } else {
                    d.dpl() == rpl
                };
                if !ok {
                    return Err(gp(selector));
                }
                rpl
            }
        };
        if !d.present() {
            return Err(np(selector));
        }
        if self.lma && d.long() && d.db() {
            return Err(gp(selector));
        }
        self.set_descriptor_bit(&mut d, 0)?;
        // CS.RPL is the CPL.
        let sel = (selector & !3) | u16::from(cpl);
        Ok((d.segment(sel), cpl))
    }
}
