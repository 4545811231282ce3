//! Segmentation: from a segment and an offset to a linear address, with the
//! checks the CPU makes (limits and types outside 64-bit mode, canonical
//! addresses in it), raising `#GP(0)` or, for SS, `#SS(0)`.

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, FS, GS, Mode, SS};
use crate::status::{Step, Stop};
use winhv_defs::WHV_X64_SEGMENT_REGISTER;

/// What an access does with the bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// A read followed by a write of the same bytes.
    ReadWrite,
    /// An instruction fetch.
    Fetch,
    /// A read of a descriptor table or the TSS: a supervisor access
    /// whatever the CPL, through no segment.
    SysRead,
    /// Setting a descriptor's accessed or busy bit.
    SysWrite,
}

impl Access {
    /// Whether the access writes.
    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite | Access::SysWrite)
    }
}

/// Whether `la` is canonical with 48-bit linear addresses.
pub(crate) fn is_canonical(la: u64) -> bool {
    (((la << 16) as i64) >> 16) as u64 == la
}

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// The linear address of `size` bytes at `seg:offset`, or the fault.
    /// `offset` is already truncated to the address size.
    pub fn linear(&mut self, seg: usize, offset: u64, size: usize, access: Access) -> Step<u64> {
        let fault = || if seg == SS { Stop::ss0() } else { Stop::gp0() };
        let last = (size.max(1) - 1) as u64;
        // 64-bit mode ignores every segment but FS's and GS's base.
        let s = if self.mode != Mode::Long64 || seg == FS || seg == GS {
            self.segment(seg)?
        } else {
            WHV_X64_SEGMENT_REGISTER::default()
        };
        match self.mode {
            Mode::Long64 => {
                let base = if seg == FS || seg == GS { s.Base } else { 0 };
                let la = base.wrapping_add(offset);
                if !is_canonical(la) || !is_canonical(la.wrapping_add(last)) {
                    return Err(fault());
                }
                Ok(la)
            }
            Mode::Real | Mode::Virtual8086 => {
                if offset.wrapping_add(last) > u64::from(s.Limit)
                    || offset.checked_add(last).is_none()
                {
                    return Err(fault());
                }
                Ok(s.Base.wrapping_add(offset) & 0xffff_ffff)
            }
            Mode::Protected => {
                if s.present() == 0 || s.non_system_segment() == 0 {
                    return Err(fault());
                }
                let ty = s.segment_type();
                let code = ty & 8 != 0;
                let ok_type = match access {
                    Access::Fetch => code,
                    Access::Read | Access::SysRead => !code || ty & 2 != 0,
                    Access::Write | Access::ReadWrite | Access::SysWrite => !code && ty & 2 != 0,
                };
                if !ok_type {
                    return Err(fault());
                }
                let end = offset.checked_add(last).ok_or_else(fault)?;
                let limit = u64::from(s.Limit);
                let expand_down = !code && ty & 4 != 0;
                let in_limit = if expand_down {
                    let top = if s.default_bit() != 0 {
                        0xffff_ffff
                    } else {
                        0xffff
                    };
                    offset > limit && end <= top
                } else {
                    end <= limit
                };
                if !in_limit {
                    return Err(fault());
                }
                Ok(s.Base.wrapping_add(offset) & 0xffff_ffff)
            }
        }
    }
}
