//! Not-present entries at every level of every mode: PageNotPresent, the
//! level and entry reported, and a #PF error code with P clear.

use super::{PAGED, Setup, sizes};
use crate::entry::{P, RW, US};
use crate::{
    Exception, FaultKind, PageFaultErrorCode, TranslateError, TranslateFlags, TranslateResultCode,
};

#[test]
fn a_clear_present_bit_at_each_level_is_page_not_present() {
    for mode in PAGED {
        for &size in sizes(mode) {
            let s = Setup::new(mode, size, P | RW | US, P | RW | US);
            let pt = s.tables();
            for &(level, entry_gpa) in &s.mapping.entries {
                pt.clear_bits(entry_gpa, P);
                let err = s
                    .translate(0x10, TranslateFlags::VALIDATE_READ)
                    .unwrap_err();
                let TranslateError::Fault(f) = err else {
                    panic!("{err:?}")
                };
                assert_eq!(
                    f.kind,
                    FaultKind::NotPresent { level, entry_gpa },
                    "{mode:?} {size:?}"
                );
                assert_eq!(f.code(), TranslateResultCode::PageNotPresent);
                assert_eq!(f.gva, s.gva + 0x10);
                assert!(!f.error_code.has(PageFaultErrorCode::PRESENT));
                pt.set_bits(entry_gpa, P);
                assert!(s.translate(0x10, TranslateFlags::VALIDATE_READ).is_ok());
            }
        }
    }
}

#[test]
fn not_present_error_code_describes_the_access() {
    let s = Setup::new(
        crate::PagingMode::FourLevel,
        crate::PageSize::Size4K,
        P | RW | US,
        P | RW | US,
    );
    s.tables().clear_bits(s.mapping.leaf(), P);
    let cases = [
        (0, TranslateFlags::VALIDATE_READ, 0),
        (3, TranslateFlags::VALIDATE_READ, PageFaultErrorCode::USER),
        (0, TranslateFlags::VALIDATE_WRITE, PageFaultErrorCode::WRITE),
        (
            3,
            TranslateFlags::VALIDATE_WRITE,
            PageFaultErrorCode::WRITE | PageFaultErrorCode::USER,
        ),
        // EFER.NXE is set in these states: fetches report I.
        (
            0,
            TranslateFlags::VALIDATE_EXECUTE,
            PageFaultErrorCode::FETCH,
        ),
        // Privilege-exempt accesses are not user accesses.
        (
            3,
            TranslateFlags::VALIDATE_READ | TranslateFlags::PRIVILEGE_EXEMPT,
            0,
        ),
    ];
    for (cpl, flags, want) in cases {
        let state = crate::PagingState { cpl, ..s.state };
        let err = crate::translate(&s.mem, &state, s.gva + 8, flags).unwrap_err();
        let TranslateError::Fault(f) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            f.error_code,
            PageFaultErrorCode(want),
            "cpl {cpl} {flags:?}"
        );
        assert_eq!(
            f.exception(),
            Some(Exception::PageFault {
                error_code: PageFaultErrorCode(want),
                cr2: s.gva + 8
            })
        );
    }
}
