//! The C boundary of every export: [`guard`] from `winhv-capi-support`
//! (`Ok(())` → `S_OK`, `Err(hr)` → `hr`, a panic → `E_UNEXPECTED`, never
//! unwound into C).

pub(crate) use winhv_capi_support::boundary::{Outcome, guard};
