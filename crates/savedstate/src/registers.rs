//! [`RegisterFile`]: the registers a saved state holds for one VP (and VTL),
//! by the saved-state register ids (`REGISTER_ID`, as `GetRegisterValue`
//! takes them) and by the platform's `WHV_REGISTER_NAME`s.
//!
//! Each register is kept as the 16 bytes of its `VIRTUAL_PROCESSOR_REGISTER`
//! member: `Reg64` for general, control and debug registers, `Reg128` for
//! XMM and x87/MMX, `X64.Segment`/`X64.Table` for segment and descriptor-
//! table registers, `X64.FpControlStatus`/`X64.XmmControlStatus` in their
//! FXSAVE layout. A register the input did not save is absent, and
//! answers `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)` rather than a made-up 0.

use winhv_defs::*;

use crate::error::{Error, Result};

/// How many x64 register ids there are (`X64_RegisterMax`).
pub const X64_REGISTER_COUNT: usize = X64_RegisterMax.0 as usize;

/// A segment register (CS, …, LDTR, TR) as the saved state holds it;
/// `attributes` has the `WHV_X64_SEGMENT_REGISTER.Attributes` layout
/// (type 0..4, S 4, DPL 5..7, P 7, AVL 12, L 13, D/B 14, G 15).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The base address.
    pub base: u64,
    /// The limit in bytes.
    pub limit: u32,
    /// The selector.
    pub selector: u16,
    /// The attribute bits.
    pub attributes: u16,
}

impl Segment {
    /// The descriptor privilege level.
    pub const fn dpl(&self) -> u8 {
        ((self.attributes >> 5) & 3) as u8
    }
    /// The L bit (64-bit code).
    pub const fn long(&self) -> bool {
        self.attributes & (1 << 13) != 0
    }
}

/// A descriptor-table register (GDTR, IDTR).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Table {
    /// The base address.
    pub base: u64,
    /// The limit.
    pub limit: u16,
}

/// The registers of one VP, as saved.
#[derive(Clone, Debug)]
pub struct RegisterFile {
    values: [Option<[u8; 16]>; X64_REGISTER_COUNT],
}

impl Default for RegisterFile {
    fn default() -> Self {
        Self {
            values: [None; X64_REGISTER_COUNT],
        }
    }
}

/// The general registers in `REGISTER_ID` order (RAX, RCX, RDX, RBX, RSP,
/// RBP, RSI, RDI, R8–R15, RIP, RFLAGS), the order Hyper-V's partition state
/// also stores them in.
pub const GENERAL_REGISTERS: [REGISTER_ID; 18] = [
    X64_RegisterRax,
    X64_RegisterRcx,
    X64_RegisterRdx,
    X64_RegisterRbx,
    X64_RegisterRsp,
    X64_RegisterRbp,
    X64_RegisterRsi,
    X64_RegisterRdi,
    X64_RegisterR8,
    X64_RegisterR9,
    X64_RegisterR10,
    X64_RegisterR11,
    X64_RegisterR12,
    X64_RegisterR13,
    X64_RegisterR14,
    X64_RegisterR15,
    X64_RegisterRip,
    X64_RegisterRFlags,
];

fn index(id: REGISTER_ID) -> Option<usize> {
    usize::try_from(id.0)
        .ok()
        .filter(|&i| i < X64_REGISTER_COUNT)
}

impl RegisterFile {
    /// Stores the 16 raw bytes of `id` (ids out of range are ignored).
    pub fn set_raw(&mut self, id: REGISTER_ID, bytes: [u8; 16]) {
        if let Some(i) = index(id) {
            self.values[i] = Some(bytes);
        }
    }

    /// Stores a 64-bit register.
    pub fn set_u64(&mut self, id: REGISTER_ID, value: u64) {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&value.to_le_bytes());
        self.set_raw(id, b);
    }

    /// Stores a 128-bit register.
    pub fn set_u128(&mut self, id: REGISTER_ID, value: u128) {
        self.set_raw(id, value.to_le_bytes());
    }

    /// Stores a segment register.
    pub fn set_segment(&mut self, id: REGISTER_ID, s: Segment) {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&s.base.to_le_bytes());
        b[8..12].copy_from_slice(&s.limit.to_le_bytes());
        b[12..14].copy_from_slice(&s.selector.to_le_bytes());
        b[14..16].copy_from_slice(&s.attributes.to_le_bytes());
        self.set_raw(id, b);
    }

    /// Stores a descriptor-table register (`X64.Table`: limit at 0, base at 8).
    pub fn set_table(&mut self, id: REGISTER_ID, t: Table) {
        let mut b = [0u8; 16];
        b[..2].copy_from_slice(&t.limit.to_le_bytes());
        b[8..16].copy_from_slice(&t.base.to_le_bytes());
        self.set_raw(id, b);
    }

    /// The raw 16 bytes of `id`, if saved.
    pub fn raw(&self, id: REGISTER_ID) -> Option<[u8; 16]> {
        index(id).and_then(|i| self.values[i])
    }

    /// Whether `id` was saved.
    pub fn has(&self, id: REGISTER_ID) -> bool {
        self.raw(id).is_some()
    }

    /// The low 64 bits of `id`, if saved.
    pub fn u64(&self, id: REGISTER_ID) -> Option<u64> {
        self.raw(id).map(|b| u64_at(&b, 0))
    }

    /// The 128 bits of `id`, if saved.
    pub fn u128(&self, id: REGISTER_ID) -> Option<u128> {
        self.raw(id).map(u128::from_le_bytes)
    }

    /// `id` read as a segment register, if saved.
    pub fn segment(&self, id: REGISTER_ID) -> Option<Segment> {
        self.raw(id).map(|b| Segment {
            base: u64_at(&b, 0),
            limit: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            selector: u16::from_le_bytes([b[12], b[13]]),
            attributes: u16::from_le_bytes([b[14], b[15]]),
        })
    }

    /// `id` read as a descriptor-table register, if saved.
    pub fn table(&self, id: REGISTER_ID) -> Option<Table> {
        self.raw(id).map(|b| Table {
            limit: u16::from_le_bytes([b[0], b[1]]),
            base: u64_at(&b, 8),
        })
    }

    /// `id` as `GetRegisterValue` returns it: `ERROR_NOT_FOUND` when the
    /// saved state does not hold it, `E_INVALIDARG` for an id that is not
    /// an x64 register.
    pub fn value(&self, id: REGISTER_ID) -> Result<VIRTUAL_PROCESSOR_REGISTER> {
        if index(id).is_none() {
            return Err(Error::invalid_arg(format!(
                "{id:?} is not an x64 register id"
            )));
        }
        let b = self
            .raw(id)
            .ok_or_else(|| Error::not_found(format!("{id:?} is not in this saved state")))?;
        Ok(VIRTUAL_PROCESSOR_REGISTER {
            Reg128: VIRTUAL_PROCESSOR_REGISTER_0 {
                Low64: u64_at(&b, 0),
                High64: u64_at(&b, 8),
            },
        })
    }

    /// The register a `WHV_REGISTER_NAME` names, in `WHV_REGISTER_VALUE`
    /// form (the platform's layout: a table register's limit at offset 6).
    /// Names with no saved-state id answer `WHV_E_INVALID_VP_REGISTER_NAME`;
    /// names whose register was not saved `ERROR_NOT_FOUND`.
    pub fn whv_value(&self, name: WHV_REGISTER_NAME) -> Result<WHV_REGISTER_VALUE> {
        let (low, high) = self.whv_halves(name)?;
        Ok(WHV_REGISTER_VALUE {
            Reg128: WHV_UINT128 {
                Anonymous: WHV_UINT128_0 {
                    Low64: low,
                    High64: high,
                },
            },
        })
    }

    /// [`Self::whv_value`] as its low and high 64 bits.
    pub fn whv_halves(&self, name: WHV_REGISTER_NAME) -> Result<(u64, u64)> {
        let id = register_id_of(name).ok_or_else(|| {
            Error::with(
                WHV_E_INVALID_VP_REGISTER_NAME,
                format!("{name:?} has no saved-state register id"),
            )
        })?;
        let b = self
            .raw(id)
            .ok_or_else(|| Error::not_found(format!("{id:?} is not in this saved state")))?;
        Ok(if matches!(id, X64_RegisterIdtr | X64_RegisterGdtr) {
            // VIRTUAL_PROCESSOR_REGISTER.X64.Table has the limit at 0;
            // WHV_X64_TABLE_REGISTER has three pad words first.
            let limit = u64::from(u16::from_le_bytes([b[0], b[1]]));
            (limit << 48, u64_at(&b, 8))
        } else {
            (u64_at(&b, 0), u64_at(&b, 8))
        })
    }
}

fn u64_at(b: &[u8; 16], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// The saved-state register id of a `WHV_REGISTER_NAME`, for the registers
/// both numberings have.
pub fn register_id_of(name: WHV_REGISTER_NAME) -> Option<REGISTER_ID> {
    let n = name.0;
    let id = match name {
        _ if (WHvX64RegisterRax.0..=WHvX64RegisterRflags.0).contains(&n) => {
            // Both number RAX..R15, RIP, RFLAGS 0..=17 in the same order.
            n
        }
        _ if (WHvX64RegisterXmm0.0..=WHvX64RegisterXmm15.0).contains(&n) => {
            X64_RegisterXmm0.0 + (n - WHvX64RegisterXmm0.0)
        }
        _ if (WHvX64RegisterFpMmx0.0..=WHvX64RegisterFpMmx7.0).contains(&n) => {
            X64_RegisterFpMmx0.0 + (n - WHvX64RegisterFpMmx0.0)
        }
        WHvX64RegisterFpControlStatus => X64_RegisterFpControlStatus.0,
        WHvX64RegisterXmmControlStatus => X64_RegisterXmmControlStatus.0,
        WHvX64RegisterCr0 => X64_RegisterCr0.0,
        WHvX64RegisterCr2 => X64_RegisterCr2.0,
        WHvX64RegisterCr3 => X64_RegisterCr3.0,
        WHvX64RegisterCr4 => X64_RegisterCr4.0,
        WHvX64RegisterCr8 => X64_RegisterCr8.0,
        WHvX64RegisterEfer => X64_RegisterEfer.0,
        WHvX64RegisterDr0 => X64_RegisterDr0.0,
        WHvX64RegisterDr1 => X64_RegisterDr1.0,
        WHvX64RegisterDr2 => X64_RegisterDr2.0,
        WHvX64RegisterDr3 => X64_RegisterDr3.0,
        WHvX64RegisterDr6 => X64_RegisterDr6.0,
        WHvX64RegisterDr7 => X64_RegisterDr7.0,
        WHvX64RegisterEs => X64_RegisterEs.0,
        WHvX64RegisterCs => X64_RegisterCs.0,
        WHvX64RegisterSs => X64_RegisterSs.0,
        WHvX64RegisterDs => X64_RegisterDs.0,
        WHvX64RegisterFs => X64_RegisterFs.0,
        WHvX64RegisterGs => X64_RegisterGs.0,
        WHvX64RegisterLdtr => X64_RegisterLdtr.0,
        WHvX64RegisterTr => X64_RegisterTr.0,
        WHvX64RegisterIdtr => X64_RegisterIdtr.0,
        WHvX64RegisterGdtr => X64_RegisterGdtr.0,
        _ => return None,
    };
    Some(REGISTER_ID(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_absent_ones_are_not_found() {
        let mut r = RegisterFile::default();
        r.set_u64(X64_RegisterRip, 0x1234);
        r.set_segment(
            X64_RegisterCs,
            Segment {
                base: 0x1000,
                limit: 0xffff,
                selector: 0x8,
                attributes: 0x209b,
            },
        );
        r.set_table(
            X64_RegisterGdtr,
            Table {
                base: 0xfff0_0000,
                limit: 0x27,
            },
        );
        assert_eq!(r.u64(X64_RegisterRip), Some(0x1234));
        assert_eq!(r.segment(X64_RegisterCs).unwrap().selector, 8);
        assert!(r.segment(X64_RegisterCs).unwrap().long());
        assert_eq!(r.table(X64_RegisterGdtr).unwrap().limit, 0x27);
        assert_eq!(
            r.value(X64_RegisterRax).err().unwrap().hresult,
            HRESULT_ERROR_NOT_FOUND
        );
        assert_eq!(
            r.value(X64_RegisterMax).err().unwrap().hresult,
            E_INVALIDARG
        );
        assert_eq!(
            r.value(REGISTER_ID(-1)).err().unwrap().hresult,
            E_INVALIDARG
        );
    }

    #[test]
    fn whv_names_map_onto_saved_state_ids() {
        assert_eq!(register_id_of(WHvX64RegisterR15), Some(X64_RegisterR15));
        assert_eq!(
            register_id_of(WHvX64RegisterRflags),
            Some(X64_RegisterRFlags)
        );
        assert_eq!(register_id_of(WHvX64RegisterXmm15), Some(X64_RegisterXmm15));
        assert_eq!(
            register_id_of(WHvX64RegisterFpMmx7),
            Some(X64_RegisterFpMmx7)
        );
        assert_eq!(register_id_of(WHvX64RegisterEfer), Some(X64_RegisterEfer));
        assert_eq!(register_id_of(WHvX64RegisterTsc), None);
        let mut r = RegisterFile::default();
        r.set_table(
            X64_RegisterIdtr,
            Table {
                base: 0xdead_0000,
                limit: 0xfff,
            },
        );
        // WHV_X64_TABLE_REGISTER: Pad[3], Limit at byte 6, Base at 8.
        let (low, high) = r.whv_halves(WHvX64RegisterIdtr).unwrap();
        assert_eq!((low >> 48, high), (0xfff, 0xdead_0000));
        assert_eq!(
            r.whv_value(WHvX64RegisterTsc).err().unwrap().hresult,
            WHV_E_INVALID_VP_REGISTER_NAME
        );
    }
}
