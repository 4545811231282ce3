//! Checking and converting C arguments: pointers to references and slices.
//! Shared by the C libraries; each library's own `args` module re-exports
//! these and adds what only it needs.
//!
//! A required pointer that is NULL answers `E_INVALIDARG`, as Windows'
//! WHv* functions answer invalid parameters (`HRESULT_FROM_WIN32(
//! ERROR_INVALID_PARAMETER)`, the same value). A NULL buffer with a zero
//! size is an empty slice: the core then decides (usually
//! `WHV_E_INSUFFICIENT_BUFFER`). `WHV_REGISTER_VALUE` arrays must be
//! 16-byte aligned as the type is in C; Windows' own code reads them with
//! aligned SSE moves and faults on a misaligned array (an access violation
//! in `WHvApi::Hypercall::SetVpRegisters`), so we refuse one with
//! `E_INVALIDARG` instead of crashing. Other pointers need only their C
//! type's alignment, which a C caller cannot violate without a cast; they
//! are checked too, never assumed.

use winhv_defs::{E_INVALIDARG, HRESULT};

/// `ptr` as an exclusive reference, or `E_INVALIDARG` when NULL or
/// misaligned.
///
/// # Safety
/// A non-NULL `ptr` must point to writable memory for a `T` for `'a`, not
/// aliased meanwhile.
pub unsafe fn output<'a, T>(ptr: *mut T) -> Result<&'a mut T, HRESULT> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(E_INVALIDARG);
    }
    // SAFETY: non-NULL and aligned; validity is the caller's contract.
    Ok(unsafe { &mut *ptr })
}

/// An optional output (`_Out_opt_`): `None` for NULL.
///
/// # Safety
/// As [`output`].
pub unsafe fn optional_output<'a, T>(ptr: *mut T) -> Result<Option<&'a mut T>, HRESULT> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded.
    unsafe { output(ptr) }.map(Some)
}

/// `count` elements at `ptr`; NULL is allowed only for zero elements.
///
/// # Safety
/// A non-NULL `ptr` must point to `count` valid elements for `'a`.
pub unsafe fn slice<'a, T>(ptr: *const T, count: usize) -> Result<&'a [T], HRESULT> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null()
        || !ptr.is_aligned()
        || count
            .checked_mul(size_of::<T>())
            .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(E_INVALIDARG);
    }
    // SAFETY: non-NULL, aligned, size in range; validity is the caller's
    // contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// `count` writable elements at `ptr`; NULL is allowed only for zero.
///
/// # Safety
/// A non-NULL `ptr` must point to `count` writable elements for `'a`, not
/// aliased meanwhile.
pub unsafe fn slice_mut<'a, T>(ptr: *mut T, count: usize) -> Result<&'a mut [T], HRESULT> {
    if count == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null()
        || !ptr.is_aligned()
        || count
            .checked_mul(size_of::<T>())
            .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(E_INVALIDARG);
    }
    // SAFETY: non-NULL, aligned, size in range; validity is the caller's
    // contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, count) })
}

/// `size` bytes at `ptr` (an untyped `const VOID*` buffer).
///
/// # Safety
/// As [`slice()`].
pub unsafe fn bytes<'a>(ptr: *const core::ffi::c_void, size: u32) -> Result<&'a [u8], HRESULT> {
    // SAFETY: forwarded.
    unsafe { slice(ptr.cast::<u8>(), size as usize) }
}

/// `size` writable bytes at `ptr` (an untyped `VOID*` buffer).
///
/// # Safety
/// As [`slice_mut`].
pub unsafe fn bytes_mut<'a>(
    ptr: *mut core::ffi::c_void,
    size: u32,
) -> Result<&'a mut [u8], HRESULT> {
    // SAFETY: forwarded.
    unsafe { slice_mut(ptr.cast::<u8>(), size as usize) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use winhv_defs::WHV_REGISTER_VALUE;

    #[test]
    #[allow(
        clippy::multiple_unsafe_ops_per_block,
        reason = "one contract covers the whole test"
    )]
    fn null_and_misaligned_are_refused() {
        let values = [WHV_REGISTER_VALUE::default(); 2];
        let base = values.as_ptr();
        // SAFETY: base points to two values; the misaligned pointer is
        // never dereferenced (refused first).
        unsafe {
            assert!(slice(base, 2).is_ok());
            let misaligned = base.cast::<u8>().add(8).cast::<WHV_REGISTER_VALUE>();
            assert_eq!(slice(misaligned, 1).err(), Some(E_INVALIDARG));
            assert_eq!(
                slice::<WHV_REGISTER_VALUE>(std::ptr::null(), 1).err(),
                Some(E_INVALIDARG)
            );
            assert_eq!(
                slice::<WHV_REGISTER_VALUE>(std::ptr::null(), 0)
                    .unwrap()
                    .len(),
                0
            );
            assert_eq!(
                output::<u32>(std::ptr::null_mut()).unwrap_err(),
                E_INVALIDARG
            );
            assert!(
                optional_output::<u32>(std::ptr::null_mut())
                    .unwrap()
                    .is_none()
            );
        }
    }
}
