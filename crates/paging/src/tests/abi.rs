//! The result codes and flags against the ABI oracle, windows-sys.

use windows_sys::Win32::System::Hypervisor as w;

use crate::{TranslateFlags, TranslateResultCode};

#[test]
fn result_codes_match_windows() {
    let table = [
        (
            TranslateResultCode::Success,
            w::WHvTranslateGvaResultSuccess,
        ),
        (
            TranslateResultCode::PageNotPresent,
            w::WHvTranslateGvaResultPageNotPresent,
        ),
        (
            TranslateResultCode::PrivilegeViolation,
            w::WHvTranslateGvaResultPrivilegeViolation,
        ),
        (
            TranslateResultCode::InvalidPageTableFlags,
            w::WHvTranslateGvaResultInvalidPageTableFlags,
        ),
        (
            TranslateResultCode::GpaUnmapped,
            w::WHvTranslateGvaResultGpaUnmapped,
        ),
        (
            TranslateResultCode::GpaNoReadAccess,
            w::WHvTranslateGvaResultGpaNoReadAccess,
        ),
        (
            TranslateResultCode::GpaNoWriteAccess,
            w::WHvTranslateGvaResultGpaNoWriteAccess,
        ),
        (
            TranslateResultCode::GpaIllegalOverlayAccess,
            w::WHvTranslateGvaResultGpaIllegalOverlayAccess,
        ),
        (
            TranslateResultCode::Intercept,
            w::WHvTranslateGvaResultIntercept,
        ),
    ];
    assert_eq!(table.len(), TranslateResultCode::ALL.len());
    for (ours, theirs) in table {
        assert_eq!(ours.code(), theirs, "{ours:?}");
        assert_eq!(TranslateResultCode::from_code(theirs), Some(ours));
    }
    assert_eq!(TranslateResultCode::from_code(9), None);
    assert_eq!(TranslateResultCode::from_code(-1), None);
}

#[test]
fn flags_match_windows() {
    let table = [
        (TranslateFlags::NONE, w::WHvTranslateGvaFlagNone),
        (
            TranslateFlags::VALIDATE_READ,
            w::WHvTranslateGvaFlagValidateRead,
        ),
        (
            TranslateFlags::VALIDATE_WRITE,
            w::WHvTranslateGvaFlagValidateWrite,
        ),
        (
            TranslateFlags::VALIDATE_EXECUTE,
            w::WHvTranslateGvaFlagValidateExecute,
        ),
        (
            TranslateFlags::PRIVILEGE_EXEMPT,
            w::WHvTranslateGvaFlagPrivilegeExempt,
        ),
        (
            TranslateFlags::SET_PAGE_TABLE_BITS,
            w::WHvTranslateGvaFlagSetPageTableBits,
        ),
        (
            TranslateFlags::ENFORCE_SMAP,
            w::WHvTranslateGvaFlagEnforceSmap,
        ),
        (
            TranslateFlags::OVERRIDE_SMAP,
            w::WHvTranslateGvaFlagOverrideSmap,
        ),
    ];
    let mut all = 0;
    for (ours, theirs) in table {
        assert_eq!(ours.bits() as i32, theirs, "{ours:?}");
        all |= theirs;
    }
    assert_eq!(TranslateFlags::ALL.bits() as i32, all);
}

#[test]
fn unknown_flag_bits_are_refused_or_dropped() {
    assert_eq!(TranslateFlags::from_bits(0x31f), Some(TranslateFlags::ALL));
    assert_eq!(TranslateFlags::from_bits(0x20), None);
    assert_eq!(TranslateFlags::from_bits(0x8000_0001), None);
    assert_eq!(
        TranslateFlags::from_bits_truncate(0x8000_0021),
        TranslateFlags::VALIDATE_READ
    );
    assert_eq!(
        format!(
            "{:?}",
            TranslateFlags::VALIDATE_READ | TranslateFlags::OVERRIDE_SMAP
        ),
        "TranslateFlags(VALIDATE_READ | OVERRIDE_SMAP)"
    );
}

#[test]
fn conversions_to_and_from_winhv_defs() {
    use winhv_defs::{
        WHV_TRANSLATE_GVA_FLAGS, WHV_TRANSLATE_GVA_RESULT, WHV_TRANSLATE_GVA_RESULT_CODE,
        WHvTranslateGvaFlagEnforceSmap, WHvTranslateGvaFlagValidateWrite,
        WHvTranslateGvaResultGpaUnmapped,
    };
    for code in TranslateResultCode::ALL {
        let whv = WHV_TRANSLATE_GVA_RESULT_CODE::from(code);
        assert_eq!(whv.0, code.code());
        assert_eq!(TranslateResultCode::try_from(whv), Ok(code));
    }
    assert_eq!(
        WHV_TRANSLATE_GVA_RESULT_CODE::from(TranslateResultCode::GpaUnmapped),
        WHvTranslateGvaResultGpaUnmapped
    );
    assert_eq!(
        TranslateResultCode::try_from(WHV_TRANSLATE_GVA_RESULT_CODE(42)),
        Err(42)
    );
    let r = WHV_TRANSLATE_GVA_RESULT::from(TranslateResultCode::PrivilegeViolation);
    assert_eq!((r.ResultCode.0, r.Reserved), (2, 0));

    let whv = WHV_TRANSLATE_GVA_FLAGS(
        WHvTranslateGvaFlagValidateWrite.0 | WHvTranslateGvaFlagEnforceSmap.0,
    );
    let ours = TranslateFlags::try_from(whv).unwrap();
    assert_eq!(
        ours,
        TranslateFlags::VALIDATE_WRITE | TranslateFlags::ENFORCE_SMAP
    );
    assert_eq!(WHV_TRANSLATE_GVA_FLAGS::from(ours), whv);
    assert_eq!(
        TranslateFlags::try_from(WHV_TRANSLATE_GVA_FLAGS(0x21)),
        Err(0x20)
    );
}
