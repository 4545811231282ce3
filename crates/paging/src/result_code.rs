//! [`TranslateResultCode`]: the outcome of a translation with the values of
//! `WHV_TRANSLATE_GVA_RESULT_CODE`.

/// The result of a translation, value for value `WHV_TRANSLATE_GVA_RESULT_CODE`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum TranslateResultCode {
    /// `WHvTranslateGvaResultSuccess`.
    Success = 0,
    /// `WHvTranslateGvaResultPageNotPresent`: an entry on the walk is not
    /// present (also reported for a non-canonical address, as Hyper-V
    /// documents: "the GVA is beyond the range permitted for the paging mode").
    PageNotPresent = 1,
    /// `WHvTranslateGvaResultPrivilegeViolation`: the access is not allowed
    /// (U/S, R/W with CR0.WP, execute-disable, SMEP, SMAP, protection keys).
    PrivilegeViolation = 2,
    /// `WHvTranslateGvaResultInvalidPageTableFlags`: a reserved bit is set in
    /// an entry on the walk.
    InvalidPageTableFlags = 3,
    /// `WHvTranslateGvaResultGpaUnmapped`: a paging structure lies in
    /// unmapped guest-physical memory.
    GpaUnmapped = 4,
    /// `WHvTranslateGvaResultGpaNoReadAccess`: a paging structure lies in
    /// memory mapped without read access.
    GpaNoReadAccess = 5,
    /// `WHvTranslateGvaResultGpaNoWriteAccess`: an Accessed/Dirty update hit
    /// memory mapped without write access.
    GpaNoWriteAccess = 6,
    /// `WHvTranslateGvaResultGpaIllegalOverlayAccess` (never produced by this
    /// walker: it knows no overlay pages).
    GpaIllegalOverlayAccess = 7,
    /// `WHvTranslateGvaResultIntercept` (never produced by this walker: it
    /// knows no higher VTL or nested hypervisor).
    Intercept = 8,
}

impl TranslateResultCode {
    /// Every code, in numeric order.
    pub const ALL: [Self; 9] = [
        Self::Success,
        Self::PageNotPresent,
        Self::PrivilegeViolation,
        Self::InvalidPageTableFlags,
        Self::GpaUnmapped,
        Self::GpaNoReadAccess,
        Self::GpaNoWriteAccess,
        Self::GpaIllegalOverlayAccess,
        Self::Intercept,
    ];

    /// The numeric `WHV_TRANSLATE_GVA_RESULT_CODE`.
    ///
    /// ```
    /// use winhv_paging::TranslateResultCode;
    /// assert_eq!(TranslateResultCode::PrivilegeViolation.code(), 2);
    /// ```
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The code for a numeric `WHV_TRANSLATE_GVA_RESULT_CODE`, `None` for a
    /// number Windows does not define.
    pub const fn from_code(code: i32) -> Option<Self> {
        if code >= 0 && (code as usize) < Self::ALL.len() {
            Some(Self::ALL[code as usize])
        } else {
            None
        }
    }
}
