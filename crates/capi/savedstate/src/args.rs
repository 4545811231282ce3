//! Checking and converting C arguments: pointers to references and slices,
//! wide strings to paths.
//!
//! A required pointer that is NULL or misaligned answers `E_INVALIDARG`
//! (`HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`, the same value), as in
//! the platform library. A NULL buffer with a zero size is an empty slice.
//! Wide strings are UTF-16 (`WCHAR` is 16 bits, as on Windows), read up to
//! their NUL and at most [`MAX_PATH_UNITS`] units; one that is longer, or
//! is not valid UTF-16, is `E_INVALIDARG`.

use std::path::PathBuf;

use winhv_defs::{E_INVALIDARG, HRESULT, PCWSTR};

/// The longest wide path read (Windows' long-path limit, 32767 units).
pub(crate) const MAX_PATH_UNITS: usize = 32767;

pub(crate) use winhv_capi_support::args::{bytes_mut, optional_output, output, slice, slice_mut};

/// The path a NUL-terminated UTF-16 string names.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string of `WCHAR`s (or
/// to at least [`MAX_PATH_UNITS`] readable ones).
pub(crate) unsafe fn wide_path(ptr: PCWSTR) -> Result<PathBuf, HRESULT> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(E_INVALIDARG);
    }
    let mut units = Vec::new();
    for i in 0..=MAX_PATH_UNITS {
        // SAFETY: the string is readable up to its NUL (the contract), and
        // we stop at the NUL, so `ptr + i` is inside it.
        let at = unsafe { ptr.add(i) };
        // SAFETY: as above; aligned because `ptr` is.
        let unit = unsafe { at.read() };
        if unit == 0 {
            let text = String::from_utf16(&units).map_err(|_| E_INVALIDARG)?;
            if text.is_empty() {
                return Err(E_INVALIDARG);
            }
            return Ok(PathBuf::from(text));
        }
        units.push(unit);
    }
    Err(E_INVALIDARG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_paths() {
        let p: Vec<u16> = "/tmp/ä.vmrs\0".encode_utf16().collect();
        // SAFETY: a NUL-terminated string.
        let good = unsafe { wide_path(p.as_ptr()) };
        assert_eq!(good.unwrap(), PathBuf::from("/tmp/ä.vmrs"));
        let bad = [0xd800u16, 0];
        // SAFETY: a NUL-terminated string.
        let unpaired = unsafe { wide_path(bad.as_ptr()) };
        assert_eq!(unpaired.unwrap_err(), E_INVALIDARG);
        // SAFETY: NULL is refused before any read.
        let null = unsafe { wide_path(std::ptr::null()) };
        assert_eq!(null.unwrap_err(), E_INVALIDARG);
        let empty = [0u16];
        // SAFETY: a NUL-terminated string.
        let nothing = unsafe { wide_path(empty.as_ptr()) };
        assert_eq!(nothing.unwrap_err(), E_INVALIDARG);
    }
}
