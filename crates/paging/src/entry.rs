//! The bits of an x86 paging-structure entry (PML5E … PTE, 32-bit PDE/PTE,
//! PAE PDPTE), named as in the Intel SDM, and the reserved-bit masks the
//! walker checks for each paging mode and level.

use crate::PagingMode;

/// Present.
pub const P: u64 = 1 << 0;
/// Read/write: writes allowed when set at every level.
pub const RW: u64 = 1 << 1;
/// User/supervisor: user-mode access allowed when set at every level.
pub const US: u64 = 1 << 2;
/// Page-level write-through.
pub const PWT: u64 = 1 << 3;
/// Page-level cache disable.
pub const PCD: u64 = 1 << 4;
/// Accessed.
pub const A: u64 = 1 << 5;
/// Dirty (leaf entries only).
pub const D: u64 = 1 << 6;
/// Page size: the entry maps a large page (PDE, long-mode PDPTE), or PAT in
/// a 4 KiB PTE.
pub const PS: u64 = 1 << 7;
/// Global (leaf entries only).
pub const G: u64 = 1 << 8;
/// PAT bit of a large-page entry (2 MiB, 4 MiB, 1 GiB).
pub const PAT_LARGE: u64 = 1 << 12;
/// Execute-disable (PAE and long mode, with EFER.NXE).
pub const XD: u64 = 1 << 63;
/// Shift of the protection key (bits 62:59) of a long-mode leaf entry.
pub const PK_SHIFT: u32 = 59;

/// Bits `lo..hi` (exclusive) set; empty when `lo >= hi`.
pub(crate) const fn bits(lo: u32, hi: u32) -> u64 {
    if lo >= hi {
        return 0;
    }
    let upper = if hi >= 64 { u64::MAX } else { (1u64 << hi) - 1 };
    upper & !((1u64 << lo) - 1)
}

/// The bits of an entry at `level` (1 = PTE … 5 = PML5E) that must be zero.
///
/// `large` says whether the entry maps a page (PS=1 where PS is honoured);
/// `maxphy` is MAXPHYADDR, already clamped to 32..=52; without `gb_pages`
/// (CPUID Page1GB) PS in a long-mode PDPTE is reserved.
pub(crate) const fn reserved_mask(
    mode: PagingMode,
    level: u8,
    large: bool,
    nxe: bool,
    maxphy: u32,
    gb_pages: bool,
) -> u64 {
    let xd = if nxe { 0 } else { XD };
    match mode {
        PagingMode::Disabled => 0,
        PagingMode::Bits32 => {
            if level == 2 && large {
                // PSE-36: bits 20:13 hold physical address bits 39:32; the
                // ones at or above MAXPHYADDR are reserved, and so is bit 21.
                let usable = if maxphy >= 40 { 8 } else { maxphy - 32 };
                bits(13 + usable, 22)
            } else {
                0
            }
        }
        PagingMode::Pae => {
            if level == 3 {
                // The PDPTE: bits 2:1, 8:5 and 63:M (XD does not exist here).
                bits(1, 3) | bits(5, 9) | bits(maxphy, 64)
            } else {
                let large_bits = if level == 2 && large { bits(13, 21) } else { 0 };
                bits(maxphy, 63) | xd | large_bits
            }
        }
        PagingMode::FourLevel | PagingMode::FiveLevel => {
            let level_bits = match level {
                4 | 5 => PS,
                3 if large && !gb_pages => PS,
                3 if large => bits(13, 30),
                2 if large => bits(13, 21),
                _ => 0,
            };
            bits(maxphy, 52) | xd | level_bits
        }
    }
}
