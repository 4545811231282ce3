//! Reading and building `WHV_REGISTER_VALUE`s. The union is 16 bytes of
//! plain integers; a register is read through the member its format uses
//! (`Reg64`, `Reg128`, `Segment`, `Table`), the bytes a caller filled, and
//! values we hand out have all 16 bytes defined (zero above the register).

use winhv_defs::{
    WHV_REGISTER_VALUE, WHV_UINT128, WHV_UINT128_0, WHV_X64_SEGMENT_REGISTER,
    WHV_X64_TABLE_REGISTER,
};

/// The low 64 bits (`Reg64`).
pub(crate) fn u64_of(v: &WHV_REGISTER_VALUE) -> u64 {
    // SAFETY: every member of WHV_REGISTER_VALUE is plain integer data at
    // offset 0 and the caller initialised the bytes of the member it set.
    unsafe { v.Reg64 }
}

/// All 128 bits (`Reg128`).
pub(crate) fn u128_of(v: &WHV_REGISTER_VALUE) -> u128 {
    // SAFETY: as in `u64_of`; a 128-bit register's caller fills all 16
    // bytes.
    let halves = unsafe { v.Reg128.Anonymous };
    u128::from(halves.Low64) | u128::from(halves.High64) << 64
}

/// The `Segment` member.
pub(crate) fn segment_of(v: &WHV_REGISTER_VALUE) -> WHV_X64_SEGMENT_REGISTER {
    // SAFETY: as in `u64_of`.
    unsafe { v.Segment }
}

/// The `Table` member.
pub(crate) fn table_of(v: &WHV_REGISTER_VALUE) -> WHV_X64_TABLE_REGISTER {
    // SAFETY: as in `u64_of`.
    unsafe { v.Table }
}

/// A 64-bit register value, zero-extended to 128 bits.
pub(crate) fn from_u64(x: u64) -> WHV_REGISTER_VALUE {
    from_u128(u128::from(x))
}

/// A 128-bit register value.
pub(crate) fn from_u128(x: u128) -> WHV_REGISTER_VALUE {
    WHV_REGISTER_VALUE {
        Reg128: WHV_UINT128 {
            Anonymous: WHV_UINT128_0 {
                Low64: x as u64,
                High64: (x >> 64) as u64,
            },
        },
    }
}

/// A segment register value.
pub(crate) fn from_segment(s: WHV_X64_SEGMENT_REGISTER) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Segment = s;
    v
}

/// A descriptor-table register value.
pub(crate) fn from_table(t: WHV_X64_TABLE_REGISTER) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Table = t;
    v
}
