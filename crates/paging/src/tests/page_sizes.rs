//! Successful translations: every page size of every mode lands on the right
//! GPA, reports its size and leaf, and the offset is carried through.

use super::{PAGED, RWX, Setup, sizes};
use crate::entry::{P, RW, US};
use crate::testing::FakeMemory;
use crate::{PageSize, PagingMode, PagingState, TranslateFlags, translate};

#[test]
fn every_mode_and_page_size_translates() {
    for mode in PAGED {
        for &size in sizes(mode) {
            let s = Setup::new(mode, size, P | RW | US, P | RW | US);
            for offset in [0, 1, 0xfff, size.bytes() / 2 + 8, size.bytes() - 1] {
                let t = s
                    .translate(offset, RWX)
                    .unwrap_or_else(|e| panic!("{mode:?} {size:?} +{offset:#x}: {e}"));
                assert_eq!(t.gpa, s.gpa + offset, "{mode:?} {size:?} +{offset:#x}");
                assert_eq!(t.page_size, Some(size));
                assert_eq!(t.page_base(), s.gpa);
                assert_eq!(t.mode, mode);
                assert_eq!(t.leaf_entry_gpa, Some(s.mapping.leaf()));
                assert!(t.writable && t.user && t.executable, "{mode:?} {size:?}");
            }
            // The next page is not mapped (in 32-bit mode 0xc0c00000 + 4M is
            // in another PDE; elsewhere the neighbouring leaf is empty).
            let next = s.translate(size.bytes(), TranslateFlags::NONE);
            assert!(
                next.is_err(),
                "{mode:?} {size:?}: neighbour mapped: {next:?}"
            );
        }
    }
}

#[test]
fn pse36_high_bits_respect_maxphyaddr() {
    let s = Setup::new(PagingMode::Bits32, PageSize::Size4M, P | RW, P | RW);
    assert!(s.gpa > u64::from(u32::MAX));
    // MAXPHYADDR 36: PDE bits 20:17 (PA 39:36) reserved; our GPA has PA bit 36.
    let narrow = PagingState {
        max_phys_addr_bits: 36,
        ..s.state
    };
    let err = translate(&s.mem, &narrow, s.gva, TranslateFlags::NONE).unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(crate::TranslateResultCode::InvalidPageTableFlags)
    );
    // MAXPHYADDR 40 holds it.
    let wide = PagingState {
        max_phys_addr_bits: 40,
        ..s.state
    };
    assert_eq!(
        translate(&s.mem, &wide, s.gva, TranslateFlags::NONE)
            .unwrap()
            .gpa,
        s.gpa
    );
}

#[test]
fn without_cr4_pse_a_32bit_pde_ps_bit_is_ignored() {
    let mem = FakeMemory::new();
    // PDE 0 points at a page table at 0x40_0000 and has PS set: with PSE
    // off it must still be used as a table pointer.
    mem.write_u32(0x1000, 0x40_0000 | 0x80 | (P | RW) as u32);
    mem.write_u32(0x40_0000 + 4 * 3, 0x9000 | (P | RW) as u32);
    let mut st = super::state(PagingMode::Bits32, 0x1000);
    st.cr4 = 0;
    let t = translate(&mem, &st, 0x3abc, TranslateFlags::VALIDATE_READ).unwrap();
    assert_eq!((t.gpa, t.page_size), (0x9abc, Some(PageSize::Size4K)));
    // With PSE on, the same PDE is a 4 MiB page at 0x40_0000.
    st.cr4 = crate::regs::CR4_PSE;
    let t = translate(&mem, &st, 0x3abc, TranslateFlags::VALIDATE_READ).unwrap();
    assert_eq!((t.gpa, t.page_size), (0x40_3abc, Some(PageSize::Size4M)));
}

#[test]
fn pae_uses_the_cached_pdptes_when_given() {
    let s = Setup::new(PagingMode::Pae, PageSize::Size4K, P | RW, P | RW);
    let pdpte_gpa = s.mapping.entry(3);
    let pdpte = s.mem.peek_u64(pdpte_gpa).unwrap();
    let index = ((s.gva >> 30) & 3) as usize;
    let mut pdptes = [0u64; 4];
    pdptes[index] = pdpte;
    // Memory now says not present, but the processor's cached PDPTEs rule.
    s.mem.write_u64(pdpte_gpa, 0);
    let cached = PagingState {
        pae_pdptes: Some(pdptes),
        ..s.state
    };
    assert_eq!(translate(&s.mem, &cached, s.gva, RWX).unwrap().gpa, s.gpa);
    assert!(translate(&s.mem, &s.state, s.gva, RWX).is_err());
    // And a not-present cached PDPTE fails even if memory has one.
    s.mem.write_u64(pdpte_gpa, pdpte);
    let empty = PagingState {
        pae_pdptes: Some([0; 4]),
        ..s.state
    };
    let err = translate(&s.mem, &empty, s.gva, RWX).unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(crate::TranslateResultCode::PageNotPresent)
    );
}

#[test]
fn long_mode_reaches_52_bit_gpas_and_maxphyaddr_cuts_them() {
    for mode in [
        PagingMode::Pae,
        PagingMode::FourLevel,
        PagingMode::FiveLevel,
    ] {
        let mem = FakeMemory::new();
        let mut pt = crate::testing::PageTables::new(&mem, mode, super::TABLES);
        let gpa = 0xf_ffff_ffe0_0000;
        pt.map(0x20_0000, gpa, PageSize::Size2M, P | RW, P | RW);
        let st = super::state(mode, pt.cr3());
        assert_eq!(
            translate(&mem, &st, 0x20_0123, RWX).unwrap().gpa,
            gpa | 0x123,
            "{mode:?}"
        );
        let narrow = PagingState {
            max_phys_addr_bits: 48,
            ..st
        };
        assert!(
            translate(&mem, &narrow, 0x20_0123, RWX).is_err(),
            "{mode:?}"
        );
    }
}
