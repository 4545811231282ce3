//! The C boundary of every export: [`guard`] from `winhv-capi-support`
//! (`Ok(())` → `S_OK`, `Err(hr)` → `hr`, a panic → `E_UNEXPECTED`, never
//! unwound into C) and the HRESULT of a failed reader call.

use winhv_defs::HRESULT;

pub(crate) use winhv_capi_support::boundary::{Outcome, guard};

/// The HRESULT of a failed reader call (the reader already chose the one
/// Windows returns).
pub(crate) fn hr(e: winhv_savedstate::Error) -> HRESULT {
    e.hresult
}
