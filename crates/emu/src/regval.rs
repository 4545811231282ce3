//! Safe reads of `WHV_REGISTER_VALUE`, a C union: every member is plain
//! integers, so any bit pattern is a valid value of each.

use winhv_defs::{
    WHV_REGISTER_VALUE, WHV_UINT128, WHV_UINT128_0, WHV_X64_SEGMENT_REGISTER,
    WHV_X64_TABLE_REGISTER,
};

/// The `Reg64` member.
pub(crate) fn reg64(v: &WHV_REGISTER_VALUE) -> u64 {
    // SAFETY: the union is 16 initialized bytes and `u64` accepts any bit
    // pattern.
    unsafe { v.Reg64 }
}

/// The `Reg128` member as a `u128` (low half first).
pub(crate) fn reg128(v: &WHV_REGISTER_VALUE) -> u128 {
    // SAFETY: as for `reg64`; `WHV_UINT128_0` is two `u64`s.
    let halves = unsafe { v.Reg128.Anonymous };
    u128::from(halves.Low64) | (u128::from(halves.High64) << 64)
}

/// The `Segment` member.
pub(crate) fn segment(v: &WHV_REGISTER_VALUE) -> WHV_X64_SEGMENT_REGISTER {
    // SAFETY: as for `reg64`; the segment register is integers only.
    unsafe { v.Segment }
}

/// The `Table` member (GDTR, IDTR).
pub(crate) fn table(v: &WHV_REGISTER_VALUE) -> WHV_X64_TABLE_REGISTER {
    // SAFETY: as for `reg64`; the table register is integers only.
    unsafe { v.Table }
}

/// A register value holding a segment register.
pub(crate) fn from_segment(s: WHV_X64_SEGMENT_REGISTER) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Segment = s;
    v
}

/// A register value holding a table register.
pub(crate) fn from_table(t: WHV_X64_TABLE_REGISTER) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Table = t;
    v
}

/// A register value holding `Reg64`.
pub(crate) fn from64(x: u64) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = x;
    v
}

/// A register value holding `Reg128`.
pub(crate) fn from128(x: u128) -> WHV_REGISTER_VALUE {
    WHV_REGISTER_VALUE {
        Reg128: WHV_UINT128 {
            Anonymous: WHV_UINT128_0 {
                Low64: x as u64,
                High64: (x >> 64) as u64,
            },
        },
    }
}
