//! Conversions between this crate's types and the `winhv-defs` ABI types
//! WHvTranslateGva and the emulator's TranslateGvaPage callback carry.

use winhv_defs::{
    WHV_TRANSLATE_GVA_FLAGS, WHV_TRANSLATE_GVA_RESULT, WHV_TRANSLATE_GVA_RESULT_CODE,
};

use crate::{TranslateFlags, TranslateResultCode};

impl From<TranslateResultCode> for WHV_TRANSLATE_GVA_RESULT_CODE {
    fn from(code: TranslateResultCode) -> Self {
        WHV_TRANSLATE_GVA_RESULT_CODE(code.code())
    }
}

impl From<TranslateResultCode> for WHV_TRANSLATE_GVA_RESULT {
    fn from(code: TranslateResultCode) -> Self {
        WHV_TRANSLATE_GVA_RESULT {
            ResultCode: code.into(),
            Reserved: 0,
        }
    }
}

impl TryFrom<WHV_TRANSLATE_GVA_RESULT_CODE> for TranslateResultCode {
    /// The number, which Windows does not define.
    type Error = i32;
    fn try_from(code: WHV_TRANSLATE_GVA_RESULT_CODE) -> Result<Self, i32> {
        TranslateResultCode::from_code(code.0).ok_or(code.0)
    }
}

impl From<TranslateFlags> for WHV_TRANSLATE_GVA_FLAGS {
    fn from(flags: TranslateFlags) -> Self {
        WHV_TRANSLATE_GVA_FLAGS(flags.bits() as i32)
    }
}

impl TryFrom<WHV_TRANSLATE_GVA_FLAGS> for TranslateFlags {
    /// The undefined bits that were set.
    type Error = u32;
    fn try_from(flags: WHV_TRANSLATE_GVA_FLAGS) -> Result<Self, u32> {
        let bits = flags.0 as u32;
        TranslateFlags::from_bits(bits).ok_or(bits & !TranslateFlags::ALL.bits())
    }
}
