//! The C boundary of every export: `Ok(())` → `S_OK`, `Err(hr)` → `hr`, a
//! panic → `E_UNEXPECTED` (caught, never unwound into C).

use std::panic::{AssertUnwindSafe, catch_unwind};

use winhv_defs::{E_UNEXPECTED, HRESULT, S_OK};

/// What an export body returns: success, or the HRESULT to hand back.
pub(crate) type Outcome = Result<(), HRESULT>;

/// Runs `body`, turning its outcome (or a panic) into the export's HRESULT.
pub(crate) fn guard(body: impl FnOnce() -> Outcome) -> HRESULT {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => S_OK,
        Ok(Err(hr)) => hr,
        Err(_) => E_UNEXPECTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use winhv_defs::E_INVALIDARG;

    #[test]
    fn ok_err_and_panic() {
        assert_eq!(guard(|| Ok(())), S_OK);
        assert_eq!(guard(|| Err(E_INVALIDARG)), E_INVALIDARG);
        assert_eq!(guard(|| panic!("bug")), E_UNEXPECTED);
    }
}
