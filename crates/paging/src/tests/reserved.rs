//! Reserved bits at each level of each mode: InvalidPageTableFlags with the
//! level reported and P|RSVD in the error code; and bits that look reserved
//! but are not.

use super::{Setup, TABLES};
use crate::entry::{P, PS, RW, US, XD};
use crate::regs::EFER_NXE;
use crate::testing::{FakeMemory, PageTables};
use crate::{
    FaultKind, PageFaultErrorCode, PageSize, PagingMode, PagingState, TranslateError,
    TranslateFlags, TranslateResultCode, translate,
};

struct Case {
    mode: PagingMode,
    size: PageSize,
    level: u8,
    bit: u64,
    maxphy: u8,
    nxe: bool,
    reserved: bool,
}

const fn case(
    mode: PagingMode,
    size: PageSize,
    level: u8,
    bit: u32,
    maxphy: u8,
    nxe: bool,
    reserved: bool,
) -> Case {
    Case {
        mode,
        size,
        level,
        bit: 1 << bit,
        maxphy,
        nxe,
        reserved,
    }
}

use PageSize::*;
use PagingMode::*;

const CASES: &[Case] = &[
    // 32-bit paging: PTEs and table PDEs have no reserved bits.
    case(Bits32, Size4K, 1, 7, 52, false, false),
    case(Bits32, Size4K, 1, 11, 52, false, false),
    case(Bits32, Size4K, 2, 6, 52, false, false),
    // 4 MiB PDE: bit 21 always, PSE-36 bits at or above MAXPHYADDR.
    case(Bits32, Size4M, 2, 21, 52, false, true),
    // (The test GPA 0x12_3440_0000 sets PDE bits 14 and 17: PA bits 33, 36.)
    case(Bits32, Size4M, 2, 18, 37, false, true),
    case(Bits32, Size4M, 2, 16, 37, false, false),
    case(Bits32, Size4M, 2, 20, 40, false, false),
    // PAE: PDPTE bits 2:1, 8:5, 63:M; XD without NXE; PS-page bits 20:13.
    case(Pae, Size4K, 3, 1, 52, true, true),
    case(Pae, Size4K, 3, 2, 52, true, true),
    case(Pae, Size4K, 3, 5, 52, true, true),
    case(Pae, Size4K, 3, 8, 52, true, true),
    case(Pae, Size4K, 3, 63, 52, true, true),
    case(Pae, Size4K, 3, 40, 40, true, true),
    case(Pae, Size4K, 3, 9, 52, true, false),
    case(Pae, Size4K, 2, 62, 52, true, true),
    case(Pae, Size4K, 2, 63, 52, false, true),
    case(Pae, Size4K, 2, 63, 52, true, false),
    case(Pae, Size4K, 1, 45, 40, true, true),
    case(Pae, Size4K, 1, 63, 52, false, true),
    case(Pae, Size4K, 1, 52, 52, true, true),
    case(Pae, Size2M, 2, 13, 52, true, true),
    case(Pae, Size2M, 2, 20, 52, true, true),
    case(Pae, Size2M, 2, 12, 52, true, false), // PAT
    // 4-level: bits 51:M; XD without NXE; PS in the PML4E; 1 GiB bits 29:13,
    // 2 MiB bits 20:13. Bits 62:52 are ignored.
    case(FourLevel, Size4K, 4, 7, 52, true, true),
    case(FourLevel, Size4K, 4, 50, 46, true, true),
    case(FourLevel, Size4K, 4, 63, 52, false, true),
    case(FourLevel, Size4K, 4, 55, 46, true, false),
    case(FourLevel, Size4K, 3, 46, 46, true, true),
    case(FourLevel, Size4K, 3, 63, 52, false, true),
    case(FourLevel, Size4K, 2, 51, 48, true, true),
    case(FourLevel, Size4K, 1, 47, 46, true, true),
    case(FourLevel, Size4K, 1, 63, 52, false, true),
    case(FourLevel, Size4K, 1, 62, 52, true, false),
    case(FourLevel, Size4K, 1, 7, 52, true, false), // PAT in a PTE
    case(FourLevel, Size1G, 3, 13, 52, true, true),
    case(FourLevel, Size1G, 3, 29, 52, true, true),
    case(FourLevel, Size1G, 3, 12, 52, true, false), // PAT
    case(FourLevel, Size2M, 2, 13, 52, true, true),
    case(FourLevel, Size2M, 2, 20, 52, true, true),
    case(FourLevel, Size2M, 2, 63, 52, false, true),
    // 5-level: the PML5E and PML4E both reserve PS.
    case(FiveLevel, Size4K, 5, 7, 52, true, true),
    case(FiveLevel, Size4K, 5, 49, 48, true, true),
    case(FiveLevel, Size4K, 5, 63, 52, false, true),
    case(FiveLevel, Size4K, 4, 7, 52, true, true),
    case(FiveLevel, Size1G, 3, 17, 52, true, true),
    case(FiveLevel, Size4K, 1, 51, 40, true, true),
];

#[test]
fn reserved_bits_at_each_level() {
    for c in CASES {
        let s = Setup::new(c.mode, c.size, P | RW | US, P | RW | US);
        let entry_gpa = s.mapping.entry(c.level);
        s.tables().set_bits(entry_gpa, c.bit);
        let mut state = PagingState {
            max_phys_addr_bits: c.maxphy,
            ..s.state
        };
        if !c.nxe {
            state.efer &= !EFER_NXE;
        }
        let what = format!(
            "{:?} {:?} level {} bit {:#x} M={} nxe={}",
            c.mode, c.size, c.level, c.bit, c.maxphy, c.nxe
        );
        let result = translate(&s.mem, &state, s.gva, TranslateFlags::VALIDATE_READ);
        if c.reserved {
            let Err(TranslateError::Fault(f)) = result else {
                panic!("{what}: {result:?}")
            };
            assert_eq!(
                f.kind,
                FaultKind::ReservedBits {
                    level: c.level,
                    entry_gpa
                },
                "{what}"
            );
            assert_eq!(
                f.code(),
                TranslateResultCode::InvalidPageTableFlags,
                "{what}"
            );
            assert_eq!(
                f.error_code,
                PageFaultErrorCode(PageFaultErrorCode::PRESENT | PageFaultErrorCode::RESERVED),
                "{what}"
            );
        } else {
            assert!(result.is_ok(), "{what}: {result:?}");
        }
        // The same entry without the bit translates: the bit was the cause.
        s.tables().clear_bits(entry_gpa, c.bit);
        assert!(
            translate(&s.mem, &state, s.gva, TranslateFlags::VALIDATE_READ).is_ok(),
            "{what} (clean)"
        );
    }
}

#[test]
fn reserved_bits_of_a_not_present_entry_do_not_count() {
    let s = Setup::new(FourLevel, Size4K, P | RW, P | RW);
    s.tables()
        .write_entry(s.mapping.leaf(), PS | (1 << 51) | XD);
    let err = s.translate(0, TranslateFlags::VALIDATE_READ).unwrap_err();
    assert_eq!(err.result_code(), Some(TranslateResultCode::PageNotPresent));
}

#[test]
fn reserved_bits_win_over_a_privilege_violation_higher_up() {
    // PML4E is supervisor-only (a user read would be a privilege violation),
    // and the PTE has a reserved bit: the walk reports the reserved bit.
    let s = Setup::new(FourLevel, Size4K, P | RW | US, P | RW);
    s.tables().set_bits(s.mapping.leaf(), 1 << 51);
    let state = PagingState {
        cpl: 3,
        max_phys_addr_bits: 46,
        ..s.state
    };
    let err = translate(&s.mem, &state, s.gva, TranslateFlags::VALIDATE_READ).unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(TranslateResultCode::InvalidPageTableFlags)
    );
}

#[test]
fn the_xd_bit_without_nxe_is_reserved_but_with_nxe_only_blocks_fetches() {
    let mem = FakeMemory::new();
    let mut pt = PageTables::new(&mem, FourLevel, TABLES);
    pt.map(0x40_0000, 0x80_0000, Size2M, P | RW | XD, P | RW);
    let with_nxe = super::state(FourLevel, pt.cr3());
    assert!(translate(&mem, &with_nxe, 0x40_0000, TranslateFlags::VALIDATE_READ).is_ok());
    let exec = translate(&mem, &with_nxe, 0x40_0000, TranslateFlags::VALIDATE_EXECUTE).unwrap_err();
    assert_eq!(
        exec.result_code(),
        Some(TranslateResultCode::PrivilegeViolation)
    );
    let without = PagingState {
        efer: with_nxe.efer & !EFER_NXE,
        ..with_nxe
    };
    let err = translate(&mem, &without, 0x40_0000, TranslateFlags::VALIDATE_READ).unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(TranslateResultCode::InvalidPageTableFlags)
    );
}
