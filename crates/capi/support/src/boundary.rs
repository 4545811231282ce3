//! The C boundary of every export: the HRESULT an export returns, built
//! from a Rust result, with no panic crossing into C.
//!
//! Each export body runs inside [`guard`]: `Ok(())` becomes `S_OK`, an
//! `Err(hresult)` is returned as is, and a panic (a bug in this library or
//! in the code behind it) is caught and answered `E_UNEXPECTED`, Windows' code for a
//! catastrophic internal failure. Built with `panic = "abort"` the process
//! would abort instead; the default profile unwinds.

use std::panic::{AssertUnwindSafe, catch_unwind};

use winhv_defs::{E_UNEXPECTED, HRESULT, S_OK};

/// What an export body returns: success, or the HRESULT to hand back.
pub type Outcome = Result<(), HRESULT>;

/// Runs `body`, turning its outcome (or a panic) into the export's HRESULT.
pub fn guard(body: impl FnOnce() -> Outcome) -> HRESULT {
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
