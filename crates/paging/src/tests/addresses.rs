//! Address handling: paging off, 32-bit truncation outside long mode,
//! canonical checks for 4- and 5-level paging, CR3's non-address bits.

use super::{RWX, Setup, state};
use crate::entry::{P, RW, US};
use crate::regs::*;
use crate::testing::{FakeMemory, PageTables};
use crate::{
    Exception, FaultKind, PageSize, PagingMode, PagingState, TranslateError, TranslateFlags,
    TranslateResultCode, translate,
};

#[test]
fn paging_off_is_identity_truncated_to_32_bits() {
    let mem = FakeMemory::new(); // nothing mapped: nothing is read
    for (cr0, efer) in [(0, 0), (CR0_PE, 0), (CR0_PE, EFER_LME)] {
        let st = PagingState {
            cr0,
            efer,
            cpl: 3,
            cr4: CR4_PAE | CR4_SMAP,
            ..PagingState::default()
        };
        assert_eq!(st.mode(), PagingMode::Disabled);
        for (gva, gpa) in [
            (0x7c00, 0x7c00),
            (0xffff_fff0, 0xffff_fff0),
            (0x1_2345_6789, 0x2345_6789),
        ] {
            let all = RWX | TranslateFlags::SET_PAGE_TABLE_BITS | TranslateFlags::ENFORCE_SMAP;
            let t = translate(&mem, &st, gva, all).unwrap();
            assert_eq!(t.gpa, gpa);
            assert_eq!(t.page_size, None);
            assert_eq!(t.leaf_entry_gpa, None);
        }
    }
}

#[test]
fn addresses_are_truncated_outside_long_mode() {
    for mode in [PagingMode::Bits32, PagingMode::Pae] {
        let s = Setup::new(mode, PageSize::Size4K, P | RW, P | RW);
        let t = s.translate(0xdead_0000_0000_0000 | 0x123, RWX);
        // (Setup::translate adds the offset to gva; the high bits go.)
        assert_eq!(t.map(|t| t.gpa), Ok(s.gpa + 0x123), "{mode:?}");
    }
}

#[test]
fn non_canonical_addresses_fail_in_long_mode() {
    let cases = [
        (PagingMode::FourLevel, 0x0000_8000_0000_0000u64, false),
        (PagingMode::FourLevel, 0xffff_7fff_ffff_f000, false),
        (PagingMode::FourLevel, 0x0001_0000_0000_0000, false),
        (PagingMode::FourLevel, 0x0000_7fff_ffff_f000, true),
        (PagingMode::FourLevel, 0xffff_8000_0000_0000, true),
        (PagingMode::FiveLevel, 0x0000_8000_0000_0000, true),
        (PagingMode::FiveLevel, 0x00ff_ffff_ffff_f000, true),
        (PagingMode::FiveLevel, 0x0100_0000_0000_0000, false),
        (PagingMode::FiveLevel, 0xfeff_ffff_ffff_f000, false),
        (PagingMode::FiveLevel, 0xff00_0000_0000_0000, true),
    ];
    for (mode, gva, canonical) in cases {
        let mem = FakeMemory::new();
        let mut pt = PageTables::new(&mem, mode, super::TABLES);
        if canonical {
            pt.map(gva, 0x5000, PageSize::Size4K, P | RW, P | RW);
        }
        let st = state(mode, pt.cr3());
        let got = translate(&mem, &st, gva + 0x10, TranslateFlags::VALIDATE_READ);
        if canonical {
            assert_eq!(got.map(|t| t.gpa), Ok(0x5010), "{mode:?} {gva:#x}");
        } else {
            let Err(TranslateError::Fault(f)) = got else {
                panic!("{mode:?} {gva:#x}: {got:?}")
            };
            assert_eq!(f.kind, FaultKind::NonCanonical, "{mode:?} {gva:#x}");
            assert_eq!(f.code(), TranslateResultCode::PageNotPresent);
            assert_eq!(f.exception(), Some(Exception::GeneralProtection));
        }
    }
}

#[test]
fn five_level_uses_the_pml5_index() {
    // Two addresses that differ only in bits 56:48 map to different pages.
    let mem = FakeMemory::new();
    let mut pt = PageTables::new(&mem, PagingMode::FiveLevel, super::TABLES);
    let a = 0x0012_3456_789a_b000;
    let b = 0x0034_3456_789a_b000;
    let ma = pt.map(a, 0x1_0000, PageSize::Size4K, P | RW | US, P | RW | US);
    let mb = pt.map(b, 0x2_0000, PageSize::Size4K, P | RW | US, P | RW | US);
    assert_ne!(ma.entry(5), mb.entry(5));
    let st = state(PagingMode::FiveLevel, pt.cr3());
    assert_eq!(translate(&mem, &st, a, RWX).map(|t| t.gpa), Ok(0x1_0000));
    assert_eq!(translate(&mem, &st, b, RWX).map(|t| t.gpa), Ok(0x2_0000));
    // The same tables under 4-level paging: b is not canonical there.
    let four = PagingState {
        cr4: st.cr4 & !CR4_LA57,
        ..st
    };
    assert_eq!(four.mode(), PagingMode::FourLevel);
    assert!(translate(&mem, &four, b, RWX).is_err());
}

#[test]
fn cr3_low_and_high_bits_are_not_address_bits() {
    let s = Setup::new(PagingMode::FourLevel, PageSize::Size4K, P | RW, P | RW);
    for extra in [
        0x123, /* PCID */
        0x18,  /* PWT|PCD */
        1 << 63,
        (1 << 61) | (1 << 62), /* LAM */
    ] {
        let st = PagingState {
            cr3: s.state.cr3 | extra,
            ..s.state
        };
        assert_eq!(
            translate(&s.mem, &st, s.gva, RWX).map(|t| t.gpa),
            Ok(s.gpa),
            "{extra:#x}"
        );
    }
    // PAE: CR3 bits 4:0 are ignored, bits 31:5 locate the PDPT.
    let s = Setup::new(PagingMode::Pae, PageSize::Size4K, P | RW, P | RW);
    let st = PagingState {
        cr3: s.state.cr3 | 0x18,
        ..s.state
    };
    assert_eq!(translate(&s.mem, &st, s.gva, RWX).map(|t| t.gpa), Ok(s.gpa));
}
