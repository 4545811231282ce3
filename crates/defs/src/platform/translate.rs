//! `WHvTranslateGva`: what to check while walking the guest's page tables,
//! and how the walk ended.

open_enum! {
    /// What `WHvTranslateGva` checks and does while walking. Flags: combine
    /// with `|`.
    pub enum WHV_TRANSLATE_GVA_FLAGS: i32 {
        WHvTranslateGvaFlagNone = 0x0000_0000,
        WHvTranslateGvaFlagValidateRead = 0x0000_0001,
        WHvTranslateGvaFlagValidateWrite = 0x0000_0002,
        WHvTranslateGvaFlagValidateExecute = 0x0000_0004,
        WHvTranslateGvaFlagPrivilegeExempt = 0x0000_0008,
        WHvTranslateGvaFlagSetPageTableBits = 0x0000_0010,
        WHvTranslateGvaFlagEnforceSmap = 0x0000_0100,
        WHvTranslateGvaFlagOverrideSmap = 0x0000_0200,
    }
}

flag_ops!(WHV_TRANSLATE_GVA_FLAGS);

open_enum! {
    /// How a `WHvTranslateGva` walk ended.
    pub enum WHV_TRANSLATE_GVA_RESULT_CODE: i32 {
        WHvTranslateGvaResultSuccess = 0,
        WHvTranslateGvaResultPageNotPresent = 1,
        WHvTranslateGvaResultPrivilegeViolation = 2,
        WHvTranslateGvaResultInvalidPageTableFlags = 3,
        WHvTranslateGvaResultGpaUnmapped = 4,
        WHvTranslateGvaResultGpaNoReadAccess = 5,
        WHvTranslateGvaResultGpaNoWriteAccess = 6,
        WHvTranslateGvaResultGpaIllegalOverlayAccess = 7,
        WHvTranslateGvaResultIntercept = 8,
    }
}

/// The result of `WHvTranslateGva`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_TRANSLATE_GVA_RESULT {
    /// How the walk ended.
    pub ResultCode: WHV_TRANSLATE_GVA_RESULT_CODE,
    /// Reserved, zero.
    pub Reserved: u32,
}
