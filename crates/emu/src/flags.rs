//! RFLAGS bits and the arithmetic flag computations, as the CPU sets them.
//!
//! Architecturally undefined flags (documented per function) are given the
//! value most CPUs produce; differential tests should mask them.

/// Carry.
pub(crate) const CF: u64 = 1 << 0;
/// Parity (of the low byte).
pub(crate) const PF: u64 = 1 << 2;
/// Auxiliary carry (bit 3 carry/borrow).
pub(crate) const AF: u64 = 1 << 4;
/// Zero.
pub(crate) const ZF: u64 = 1 << 6;
/// Sign.
pub(crate) const SF: u64 = 1 << 7;
/// Trap (single-step).
pub(crate) const TF: u64 = 1 << 8;
/// Direction.
pub(crate) const DF: u64 = 1 << 10;
/// Overflow.
pub(crate) const OF: u64 = 1 << 11;
/// Resume.
pub(crate) const RF: u64 = 1 << 16;
/// Virtual-8086 mode.
pub(crate) const VM: u64 = 1 << 17;
/// Alignment check.
pub(crate) const AC: u64 = 1 << 18;
/// The six arithmetic status flags.
pub(crate) const ARITH: u64 = CF | PF | AF | ZF | SF | OF;

/// The mask of an operand of `size` bytes (1, 2, 4, 8).
pub(crate) fn mask(size: usize) -> u64 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        4 => 0xffff_ffff,
        _ => u64::MAX,
    }
}

/// The sign bit of an operand of `size` bytes.
pub(crate) fn sign_bit(size: usize) -> u64 {
    1u64 << (size.clamp(1, 8) * 8 - 1)
}

/// SF, ZF and PF of `res`.
pub(crate) fn szp(res: u64, size: usize) -> u64 {
    let res = res & mask(size);
    let mut f = 0;
    if res == 0 {
        f |= ZF;
    }
    if res & sign_bit(size) != 0 {
        f |= SF;
    }
    if (res as u8).count_ones() % 2 == 0 {
        f |= PF;
    }
    f
}

/// `a + b + carry_in`: result and the six status flags.
pub(crate) fn add(a: u64, b: u64, carry_in: bool, size: usize) -> (u64, u64) {
    let m = mask(size);
    let (a, b) = (a & m, b & m);
    let wide = u128::from(a) + u128::from(b) + u128::from(carry_in);
    let res = (wide as u64) & m;
    let mut f = szp(res, size);
    if wide > u128::from(m) {
        f |= CF;
    }
    if (a ^ res) & (b ^ res) & sign_bit(size) != 0 {
        f |= OF;
    }
    if (a ^ b ^ res) & 0x10 != 0 {
        f |= AF;
    }
    (res, f)
}

/// `a - b - borrow_in`: result and the six status flags.
pub(crate) fn sub(a: u64, b: u64, borrow_in: bool, size: usize) -> (u64, u64) {
    let m = mask(size);
    let (a, b) = (a & m, b & m);
    let res = a.wrapping_sub(b).wrapping_sub(u64::from(borrow_in)) & m;
    let mut f = szp(res, size);
    if u128::from(a) < u128::from(b) + u128::from(borrow_in) {
        f |= CF;
    }
    if (a ^ b) & (a ^ res) & sign_bit(size) != 0 {
        f |= OF;
    }
    if (a ^ b ^ res) & 0x10 != 0 {
        f |= AF;
    }
    (res, f)
}

/// Flags of AND/OR/XOR/TEST: CF = OF = 0, SF/ZF/PF from the result. AF is
/// undefined; we clear it (as Intel and AMD CPUs do).
pub(crate) fn logic(res: u64, size: usize) -> u64 {
    szp(res, size)
}

/// Replaces the flags in `which` of `rflags` with those of `new`.
pub(crate) fn merge(rflags: u64, new: u64, which: u64) -> u64 {
    (rflags & !which) | (new & which)
}

/// Evaluates condition code `cc` (0..16, the low nibble of `Jcc`/`SETcc`).
pub(crate) fn condition(rflags: u64, cc: u8) -> bool {
    let f = |b: u64| rflags & b != 0;
    let r = match cc >> 1 {
        0 => f(OF),
        1 => f(CF),
        2 => f(ZF),
        3 => f(CF) || f(ZF),
        4 => f(SF),
        5 => f(PF),
        6 => f(SF) != f(OF),
        _ => f(ZF) || (f(SF) != f(OF)),
    };
    r != (cc & 1 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sub_flags() {
        assert_eq!(add(0xff, 1, false, 1), (0, CF | ZF | PF | AF));
        assert_eq!(add(0x7f, 1, false, 1), (0x80, SF | OF | AF));
        assert_eq!(sub(0, 1, false, 4), (0xffff_ffff, CF | SF | PF | AF));
        assert_eq!(sub(0x80, 1, false, 1), (0x7f, OF | AF));
        assert_eq!(add(u64::MAX, 0, true, 8), (0, CF | ZF | PF | AF));
        assert_eq!(sub(5, 5, false, 2), (0, ZF | PF));
    }

    #[test]
    fn conditions() {
        assert!(condition(ZF, 0x4)); // e
        assert!(!condition(ZF, 0x5)); // ne
        assert!(condition(SF, 0xc)); // l: SF != OF
        assert!(condition(SF | OF, 0xd)); // ge
        assert!(condition(CF, 0x6)); // be
    }
}
