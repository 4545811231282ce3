//! The page walk itself: [`translate`], which reads the paging structures of
//! every x86 paging mode, checks presence, reserved bits and access rights,
//! and sets Accessed/Dirty bits when asked.

use crate::access::{self, Rights};
use crate::entry::{self, A, D, P, PS, RW, US, XD};
use crate::fault::{Fault, FaultKind, PageFaultErrorCode, TranslateError};
use crate::regs::{CR4_PSE, CR4_SMEP, EFER_NXE};
use crate::{
    GuestPhysMemory, MemError, PageSize, PagingMode, PagingState, TranslateFlags, Translation,
};

/// How many times [`translate`] walks again after losing a compare-exchange
/// race with the guest before giving up with [`TranslateError::Contended`].
pub const MAX_ATTEMPTS: u32 = 16;

/// Translates the guest virtual address `gva` as the processor in `state`
/// would, validating the accesses `flags` asks for — the walk behind
/// WHvTranslateGva.
///
/// Outside long mode `gva` is truncated to 32 bits; with paging off the GPA
/// is that address. In long mode a non-canonical address fails
/// ([`FaultKind::NonCanonical`]). Only the paging structures are read: the
/// final GPA need not be mapped (an MMIO address translates like any other).
/// With [`TranslateFlags::SET_PAGE_TABLE_BITS`], Accessed is set in every
/// entry walked (not in PAE PDPTEs, which have none) and Dirty in the leaf for
/// a validated write, by compare-exchange, only when the translation succeeds.
///
/// ```
/// use winhv_paging::testing::{FakeMemory, PageTables};
/// use winhv_paging::{entry, regs::*, translate, PageSize, PagingMode, PagingState,
///                    TranslateFlags, TranslateResultCode};
///
/// // 4-level tables in a fake guest memory: 0x4000_1000 -> 0x7000.
/// let mem = FakeMemory::new();
/// let mut pt = PageTables::new(&mem, PagingMode::FourLevel, 0x10_0000);
/// let leaf = entry::P | entry::RW;
/// pt.map(0x4000_1000, 0x7000, PageSize::Size4K, leaf, entry::P | entry::RW);
///
/// let state = PagingState::new(CR0_PE | CR0_PG, pt.cr3(), CR4_PAE, EFER_LME | EFER_LMA);
/// let flags = TranslateFlags::VALIDATE_READ | TranslateFlags::VALIDATE_WRITE;
/// let t = translate(&mem, &state, 0x4000_1234, flags).unwrap();
/// assert_eq!(t.gpa, 0x7234);
/// assert_eq!(t.page_size, Some(PageSize::Size4K));
///
/// // At CPL 3 the supervisor page is out of reach.
/// let user = PagingState { cpl: 3, ..state };
/// let err = translate(&mem, &user, 0x4000_1234, flags).unwrap_err();
/// assert_eq!(err.result_code(), Some(TranslateResultCode::PrivilegeViolation));
/// ```
pub fn translate<M: GuestPhysMemory + ?Sized>(
    mem: &M,
    state: &PagingState,
    gva: u64,
    flags: TranslateFlags,
) -> Result<Translation, TranslateError> {
    let mode = state.mode();
    let gva = if mode.is_long() {
        gva
    } else {
        gva & 0xffff_ffff
    };
    let error_code = access_error_code(state, flags);
    let fault = |kind| Fault {
        gva,
        kind,
        error_code: match kind {
            FaultKind::NotPresent { .. } => error_code,
            FaultKind::ReservedBits { .. } => PageFaultErrorCode(
                error_code.0 | PageFaultErrorCode::PRESENT | PageFaultErrorCode::RESERVED,
            ),
            FaultKind::Privilege(crate::Violation::ProtectionKey) => PageFaultErrorCode(
                error_code.0 | PageFaultErrorCode::PRESENT | PageFaultErrorCode::PROTECTION_KEY,
            ),
            FaultKind::Privilege(_) => {
                PageFaultErrorCode(error_code.0 | PageFaultErrorCode::PRESENT)
            }
            FaultKind::NonCanonical | FaultKind::GpaAccess { .. } => PageFaultErrorCode(0),
        },
    };

    if mode == PagingMode::Disabled {
        return Ok(Translation {
            gpa: gva,
            page_size: None,
            mode,
            writable: true,
            user: true,
            executable: true,
            leaf_entry: 0,
            leaf_entry_gpa: None,
        });
    }
    if mode.is_long() && !is_canonical(gva, mode) {
        return Err(fault(FaultKind::NonCanonical).into());
    }

    for _ in 0..MAX_ATTEMPTS {
        let walk = walk(mem, state, mode, gva).map_err(fault)?;
        let rights = Rights {
            writable: walk.translation.writable,
            user: walk.translation.user,
            executable: walk.translation.executable,
            leaf: walk.translation.leaf_entry,
        };
        access::check(state, flags, &rights).map_err(|v| fault(FaultKind::Privilege(v)))?;
        if !flags.contains(TranslateFlags::SET_PAGE_TABLE_BITS) {
            return Ok(walk.translation);
        }
        let dirty = flags.contains(TranslateFlags::VALIDATE_WRITE);
        match set_accessed_dirty(mem, &walk, dirty) {
            Ok(true) => return Ok(walk.translation),
            Ok(false) => continue,
            Err((level, gpa, error)) => {
                return Err(fault(FaultKind::GpaAccess { level, gpa, error }).into());
            }
        }
    }
    Err(TranslateError::Contended)
}

/// The W, U and I bits of a #PF error code for the access `flags` validate.
fn access_error_code(state: &PagingState, flags: TranslateFlags) -> PageFaultErrorCode {
    let mut code = 0;
    if flags.contains(TranslateFlags::VALIDATE_WRITE) {
        code |= PageFaultErrorCode::WRITE;
    }
    if state.user_mode() && !flags.contains(TranslateFlags::PRIVILEGE_EXEMPT) {
        code |= PageFaultErrorCode::USER;
    }
    if flags.contains(TranslateFlags::VALIDATE_EXECUTE)
        && (access::nx_active(state) || state.cr4 & CR4_SMEP != 0)
    {
        code |= PageFaultErrorCode::FETCH;
    }
    PageFaultErrorCode(code)
}

/// Whether `gva` is canonical for a long-mode paging mode.
fn is_canonical(gva: u64, mode: PagingMode) -> bool {
    let bits = if mode == PagingMode::FiveLevel {
        57
    } else {
        48
    };
    let top = (gva as i64) >> (bits - 1);
    top == 0 || top == -1
}

/// One entry read on the walk.
#[derive(Copy, Clone, Debug, Default)]
struct Walked {
    level: u8,
    gpa: u64,
    value: u64,
    /// 8-byte entry (else 4-byte).
    wide: bool,
    /// Whether the entry has an Accessed bit (PAE PDPTEs have none).
    has_accessed: bool,
    leaf: bool,
}

/// A completed walk: the translation and the entries it read, top first.
struct Walk {
    translation: Translation,
    entries: [Walked; 5],
    count: usize,
}

/// Walks the paging structures of `mode` for `gva`.
fn walk<M: GuestPhysMemory + ?Sized>(
    mem: &M,
    state: &PagingState,
    mode: PagingMode,
    gva: u64,
) -> Result<Walk, FaultKind> {
    let maxphy = state.maxphy();
    let phys_mask = (1u64 << maxphy) - 1;
    let wide = mode.wide_entries();
    // NXE makes XD count (PAE/long mode) and, when clear, makes it reserved.
    let nx = access::nx_active(state);
    let nxe = state.efer & EFER_NXE != 0;
    let pse = state.cr4 & CR4_PSE != 0;

    let mut base = match mode {
        PagingMode::Bits32 => state.cr3 & 0xffff_f000,
        PagingMode::Pae => state.cr3 & 0xffff_ffe0,
        _ => state.cr3 & phys_mask & !0xfff,
    };
    let mut walk = Walk {
        translation: Translation {
            gpa: 0,
            page_size: None,
            mode,
            writable: true,
            user: true,
            executable: true,
            leaf_entry: 0,
            leaf_entry_gpa: None,
        },
        entries: [Walked::default(); 5],
        count: 0,
    };

    let mut level = mode.levels();
    loop {
        let (index, size) = if wide {
            ((gva >> (12 + 9 * (u32::from(level) - 1))) & 0x1ff, 8)
        } else {
            ((gva >> (12 + 10 * (u32::from(level) - 1))) & 0x3ff, 4)
        };
        let entry_gpa = base.wrapping_add(index * size);
        let pdpte = mode == PagingMode::Pae && level == 3;
        let value = match (pdpte, state.pae_pdptes) {
            (true, Some(pdptes)) => pdptes[(index & 3) as usize],
            _ => read_entry(mem, entry_gpa, wide).map_err(|error| FaultKind::GpaAccess {
                level,
                gpa: entry_gpa,
                error,
            })?,
        };
        if value & P == 0 {
            return Err(FaultKind::NotPresent { level, entry_gpa });
        }
        let large = match (mode, level) {
            (PagingMode::Bits32, 2) => pse && value & PS != 0,
            (PagingMode::Pae, 2) => value & PS != 0,
            (PagingMode::FourLevel | PagingMode::FiveLevel, 2 | 3) => value & PS != 0,
            _ => false,
        };
        if value & entry::reserved_mask(mode, level, large, nxe, maxphy, state.gb_pages) != 0 {
            return Err(FaultKind::ReservedBits { level, entry_gpa });
        }
        if !pdpte {
            let t = &mut walk.translation;
            t.writable &= value & RW != 0;
            t.user &= value & US != 0;
            t.executable &= !(nx && value & XD != 0);
        }
        let leaf = large || level == 1;
        walk.entries[walk.count] = Walked {
            level,
            gpa: entry_gpa,
            value,
            wide,
            has_accessed: !pdpte,
            leaf,
        };
        walk.count += 1;

        if leaf {
            let (page_base, size) = leaf_page(mode, level, value, phys_mask);
            let t = &mut walk.translation;
            t.page_size = Some(size);
            t.gpa = page_base | (gva & (size.bytes() - 1));
            t.leaf_entry = value;
            t.leaf_entry_gpa = Some(entry_gpa);
            return Ok(walk);
        }
        base = if wide {
            value & phys_mask & !0xfff
        } else {
            value & 0xffff_f000
        };
        level -= 1;
    }
}

/// The base address and size of the page a leaf entry maps.
fn leaf_page(mode: PagingMode, level: u8, value: u64, phys_mask: u64) -> (u64, PageSize) {
    match (mode, level) {
        (PagingMode::Bits32, 2) => {
            let low = value & 0xffc0_0000;
            let high = ((value >> 13) & 0xff) << 32;
            (low | high, PageSize::Size4M)
        }
        (PagingMode::Bits32, _) => (value & 0xffff_f000, PageSize::Size4K),
        (_, 3) => (
            value & phys_mask & !(PageSize::Size1G.bytes() - 1),
            PageSize::Size1G,
        ),
        (_, 2) => (
            value & phys_mask & !(PageSize::Size2M.bytes() - 1),
            PageSize::Size2M,
        ),
        _ => (value & phys_mask & !0xfff, PageSize::Size4K),
    }
}

/// Reads an entry of 8 (`wide`) or 4 bytes.
fn read_entry<M: GuestPhysMemory + ?Sized>(mem: &M, gpa: u64, wide: bool) -> Result<u64, MemError> {
    if wide {
        mem.read_u64(gpa)
    } else {
        mem.read_u32(gpa).map(u64::from)
    }
}

/// Sets Accessed on every entry of `walk` (and Dirty on the leaf when
/// `dirty`), top first. `Ok(false)` when an entry changed since the walk read
/// it: the caller walks again.
fn set_accessed_dirty<M: GuestPhysMemory + ?Sized>(
    mem: &M,
    walk: &Walk,
    dirty: bool,
) -> Result<bool, (u8, u64, MemError)> {
    for e in &walk.entries[..walk.count] {
        if !e.has_accessed {
            continue;
        }
        let mut new = e.value | A;
        if e.leaf && dirty {
            new |= D;
        }
        if new == e.value {
            continue;
        }
        let swapped = if e.wide {
            mem.compare_exchange_u64(e.gpa, e.value, new)
                .map(|r| r.is_ok())
        } else {
            // 4-byte entries were zero-extended; the truncations are exact.
            mem.compare_exchange_u32(e.gpa, e.value as u32, new as u32)
                .map(|r| r.is_ok())
        };
        match swapped {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(error) => return Err((e.level, e.gpa, error)),
        }
    }
    Ok(true)
}
