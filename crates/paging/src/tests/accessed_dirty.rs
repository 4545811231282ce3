//! Accessed/Dirty bits: set exactly when SetPageTableBits asks and the
//! translation succeeds; Accessed on every level walked (never on PAE
//! PDPTEs), Dirty on the leaf for a validated write; updates by
//! compare-exchange that survive a racing guest, and give up honestly.

use super::{PAGED, RWX, Setup, sizes};
use crate::entry::{A, D, P, RW, US};
use crate::{
    PageSize, PagingMode, PagingState, TranslateError, TranslateFlags, TranslateResultCode,
    translate,
};

const SET: TranslateFlags = TranslateFlags::SET_PAGE_TABLE_BITS;
const R: TranslateFlags = TranslateFlags::VALIDATE_READ;
const W: TranslateFlags = TranslateFlags::VALIDATE_WRITE;

fn entries(s: &Setup) -> Vec<u64> {
    let pt = s.tables();
    s.mapping
        .entries
        .iter()
        .map(|&(_, gpa)| pt.entry(gpa))
        .collect()
}

#[test]
fn accessed_and_dirty_exactly_as_asked() {
    for mode in PAGED {
        for &size in sizes(mode) {
            for (flags, want_a, want_d) in [
                (TranslateFlags::NONE, false, false),
                (R, false, false),
                (RWX, false, false),
                (SET, true, false),
                (SET | R, true, false),
                (SET | TranslateFlags::VALIDATE_EXECUTE, true, false),
                (SET | W, true, true),
                (SET | RWX, true, true),
            ] {
                let s = Setup::new(mode, size, P | RW | US, P | RW | US);
                let before = entries(&s);
                s.translate(0x40, flags).unwrap();
                let after = entries(&s);
                let what = format!("{mode:?} {size:?} {flags:?}");
                for (i, (&(level, _), (&b, &a))) in s
                    .mapping
                    .entries
                    .iter()
                    .zip(before.iter().zip(&after))
                    .enumerate()
                {
                    let leaf = i + 1 == after.len();
                    let pdpte = mode == PagingMode::Pae && level == 3;
                    let mut want = b;
                    if want_a && !pdpte {
                        want |= A;
                    }
                    if want_d && leaf {
                        want |= D;
                    }
                    assert_eq!(a, want, "{what}: level {level}");
                }
            }
        }
    }
}

#[test]
fn failed_translations_set_nothing() {
    // A write to a read-only leaf with SetPageTableBits: no A anywhere.
    let s = Setup::new(PagingMode::FourLevel, PageSize::Size4K, P | US, P | RW | US);
    let before = entries(&s);
    let err = s.translate(0, SET | W).unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(TranslateResultCode::PrivilegeViolation)
    );
    assert_eq!(entries(&s), before);
    assert_eq!(s.mem.exchanges(), 0);
    // Not present at the leaf: the upper levels stay untouched too.
    let s = Setup::new(
        PagingMode::FourLevel,
        PageSize::Size4K,
        RW | US,
        P | RW | US,
    );
    let before = entries(&s);
    assert!(s.translate(0, SET | R).is_err());
    assert_eq!(entries(&s), before);
}

#[test]
fn bits_already_set_need_no_write() {
    let s = Setup::new(
        PagingMode::FourLevel,
        PageSize::Size2M,
        P | RW | A | D,
        P | RW | A,
    );
    s.translate(0, SET | W).unwrap();
    assert_eq!(s.mem.exchanges(), 0);
    // So read-only page tables are fine then.
    for &(_, gpa) in &s.mapping.entries {
        s.mem.set_read_only(gpa, true);
    }
    assert!(s.translate(0, SET | W).is_ok());
}

#[test]
fn a_32bit_update_leaves_the_neighbouring_entry_alone() {
    let s = Setup::new(PagingMode::Bits32, PageSize::Size4K, P | RW, P | RW);
    let leaf = s.mapping.leaf();
    let neighbour = leaf + 4;
    s.mem.write_u32(neighbour, 0xdead_b001);
    s.translate(0, SET | W).unwrap();
    assert_eq!(s.mem.peek_u32(neighbour), Some(0xdead_b001));
    assert_eq!(u64::from(s.mem.peek_u32(leaf).unwrap()) & (A | D), A | D);
}

#[test]
fn the_update_survives_a_racing_guest() {
    let s = Setup::new(PagingMode::FiveLevel, PageSize::Size4K, P | RW, P | RW);
    s.mem.interfere_with_next_exchanges(3);
    let t = s.translate(0, SET | W).unwrap();
    assert_eq!(t.gpa, s.gpa);
    for (i, v) in entries(&s).into_iter().enumerate() {
        assert_eq!(v & A, A, "entry {i}");
    }
    assert_eq!(entries(&s).last().map(|v| v & D), Some(D));
}

#[test]
fn endless_interference_is_reported_as_contended() {
    let s = Setup::new(PagingMode::FourLevel, PageSize::Size4K, P | RW, P | RW);
    s.mem.interfere_with_next_exchanges(u32::MAX);
    let err = s.translate(0, SET | R).unwrap_err();
    assert_eq!(err, TranslateError::Contended);
    assert_eq!(err.result_code(), None);
    // Without SetPageTableBits nothing is written, so nothing can race.
    assert!(s.translate(0, R).is_ok());
}

#[test]
fn read_only_page_tables_fail_the_update_with_gpa_no_write_access() {
    let s = Setup::new(PagingMode::Pae, PageSize::Size4K, P | RW, P | RW);
    let pde = s.mapping.entry(2);
    s.mem.set_read_only(pde, true);
    assert!(s.translate(0, R).is_ok());
    let err = s.translate(0, SET | R).unwrap_err();
    let TranslateError::Fault(f) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f.code(), TranslateResultCode::GpaNoWriteAccess);
    assert_eq!(f.failed_gpa(), Some(pde));
    assert_eq!(f.exception(), None);
}

#[test]
fn pae_cached_pdptes_are_never_written() {
    let s = Setup::new(PagingMode::Pae, PageSize::Size2M, P | RW, P | RW);
    let pdpte_gpa = s.mapping.entry(3);
    let pdpte = s.mem.peek_u64(pdpte_gpa).unwrap();
    s.mem.set_read_only(pdpte_gpa, true);
    let mut pdptes = [0; 4];
    pdptes[((s.gva >> 30) & 3) as usize] = pdpte;
    let state = PagingState {
        pae_pdptes: Some(pdptes),
        ..s.state
    };
    // The PDPT page is read-only; the PDE (a 2 MiB leaf) is in another page.
    translate(&s.mem, &state, s.gva, SET | W).unwrap();
    assert_eq!(s.mem.peek_u64(pdpte_gpa), Some(pdpte));
    assert_eq!(s.mem.exchanges(), 1);
}
