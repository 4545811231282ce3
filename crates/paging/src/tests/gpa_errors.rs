//! Paging structures in memory the walker cannot read: GpaUnmapped and
//! GpaNoReadAccess at every level, with the failing GPA; and a final GPA that
//! is not mapped (MMIO) translating normally.

use super::{PAGED, Setup, sizes};
use crate::entry::{P, RW, US};
use crate::{
    FaultKind, MemError, PageSize, PagingMode, TranslateError, TranslateFlags, TranslateResultCode,
};

#[test]
fn unreadable_tables_at_each_level() {
    for mode in PAGED {
        for &size in sizes(mode) {
            for (error, code) in [
                (MemError::Unmapped, TranslateResultCode::GpaUnmapped),
                (MemError::NoReadAccess, TranslateResultCode::GpaNoReadAccess),
            ] {
                for &(level, entry_gpa) in &s_entries(mode, size) {
                    let s = Setup::new(mode, size, P | RW | US, P | RW | US);
                    match error {
                        MemError::Unmapped => s.mem.unmap_page(entry_gpa),
                        _ => s.mem.set_no_read(entry_gpa, true),
                    }
                    let err = s.translate(0, TranslateFlags::VALIDATE_READ).unwrap_err();
                    let TranslateError::Fault(f) = err else {
                        panic!("{err:?}")
                    };
                    let what = format!("{mode:?} {size:?} level {level} {error:?}");
                    assert_eq!(
                        f.kind,
                        FaultKind::GpaAccess {
                            level,
                            gpa: entry_gpa,
                            error
                        },
                        "{what}"
                    );
                    assert_eq!(f.code(), code, "{what}");
                    assert_eq!(f.failed_gpa(), Some(entry_gpa), "{what}");
                    assert_eq!(f.exception(), None, "{what}");
                }
            }
        }
    }
}

/// The entries a fresh mapping of `size` in `mode` goes through.
fn s_entries(mode: PagingMode, size: PageSize) -> Vec<(u8, u64)> {
    Setup::new(mode, size, P | RW | US, P | RW | US)
        .mapping
        .entries
}

#[test]
fn the_final_gpa_need_not_be_mapped() {
    // gpa_for() is far from any page the fake memory holds.
    for mode in PAGED {
        let s = Setup::new(mode, PageSize::Size4K, P | RW | US, P | RW | US);
        assert_eq!(s.mem.peek_u64(s.gpa), None);
        let t = s.translate(
            0x8,
            TranslateFlags::VALIDATE_WRITE | TranslateFlags::SET_PAGE_TABLE_BITS,
        );
        assert_eq!(t.map(|t| t.gpa), Ok(s.gpa + 8), "{mode:?}");
    }
}
