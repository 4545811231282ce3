//! Checking and converting C arguments: the shared checks of
//! `winhv-capi-support` (NULL and misalignment answer `E_INVALIDARG`;
//! `WHV_REGISTER_VALUE` arrays must be 16-byte aligned, since Windows' own
//! code reads them with aligned SSE moves and faults on a misaligned
//! array — we refuse one instead of crashing).

pub(crate) use winhv_capi_support::args::{
    bytes, bytes_mut, optional_output, output, slice, slice_mut,
};
