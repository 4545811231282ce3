//! winhvemulation.dll's four exports over `winhv_emu::Emulator`.
//!
//! An emulator handle holds the validated callback table and an
//! [`Emulator`]. The emulator is used under a lock; a second thread using
//! the same handle at the same moment (or a callback re-entering it) gets a
//! fresh emulator for that call rather than blocking — `Emulator` keeps no
//! state between instructions, so both answer alike.
//!
//! Order of checks, as in libWinHvPlatform: the arguments first (NULL or
//! misaligned pointers, then a malformed exit context:
//! `Emulator::check_io_context`/`check_mmio_context`), then the handle.
//! An I/O context whose access info is zeroed is not malformed: the
//! emulator decodes the instruction, as Windows' does.

use core::ffi::c_void;
use std::sync::Mutex;

use winhv_defs::{
    E_INVALIDARG, HRESULT, WHV_EMULATOR_CALLBACKS, WHV_EMULATOR_HANDLE, WHV_EMULATOR_STATUS,
    WHV_MEMORY_ACCESS_CONTEXT, WHV_VP_EXIT_CONTEXT, WHV_X64_IO_PORT_ACCESS_CONTEXT,
};
use winhv_emu::{Emulator, RawCallbacks, ValidatedCallbacks};

use crate::boundary::{Outcome, guard};
use winhv_capi_support::handles::Table;

/// What a `WHV_EMULATOR_HANDLE` names.
struct Instance {
    callbacks: ValidatedCallbacks,
    emulator: Mutex<Emulator>,
}

/// The process's emulators (tag "WE").
static EMULATORS: Table<Instance, 0x5745> = Table::new();

/// `ptr` as a reference, or `E_INVALIDARG` when NULL or misaligned.
///
/// # Safety
/// A non-NULL `ptr` must point to a valid `T` for `'a`.
unsafe fn input<'a, T>(ptr: *const T) -> Result<&'a T, HRESULT> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(E_INVALIDARG);
    }
    // SAFETY: non-NULL and aligned; validity is the caller's contract.
    Ok(unsafe { &*ptr })
}

/// `ptr` as an exclusive reference, or `E_INVALIDARG` when NULL or
/// misaligned.
///
/// # Safety
/// A non-NULL `ptr` must point to a writable `T` for `'a`.
unsafe fn output<'a, T>(ptr: *mut T) -> Result<&'a mut T, HRESULT> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(E_INVALIDARG);
    }
    // SAFETY: non-NULL and aligned; validity is the caller's contract.
    Ok(unsafe { &mut *ptr })
}

/// Creates an emulator that reaches the guest through `Callbacks`. The
/// table's `Size` must be `sizeof(WHV_EMULATOR_CALLBACKS)` and every
/// callback present (`E_INVALIDARG` otherwise).
///
/// # Safety
/// `Callbacks` must point to a readable table whose functions follow the
/// `WHV_EMULATOR_CALLBACKS` contract; `Emulator` to a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvEmulatorCreateEmulator(
    Callbacks: *const WHV_EMULATOR_CALLBACKS,
    Emulator: *mut WHV_EMULATOR_HANDLE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let table = unsafe { input(Callbacks)? };
        // SAFETY: the caller's contract above.
        let out = unsafe { output(Emulator)? };
        let callbacks = ValidatedCallbacks::new(table)?;
        let handle = EMULATORS.insert(Instance {
            callbacks,
            emulator: Mutex::new(Emulator::new()),
        })?;
        *out = handle as usize as WHV_EMULATOR_HANDLE;
        Ok(())
    })
}

/// Destroys an emulator; its handle is refused (`E_HANDLE`) from then on.
#[unsafe(no_mangle)]
pub extern "C" fn WHvEmulatorDestroyEmulator(Emulator: WHV_EMULATOR_HANDLE) -> HRESULT {
    guard(|| EMULATORS.remove(Emulator as usize as u64).map(drop))
}

/// Runs `f` with the handle's emulator bound to `context`, writing its
/// status (the arguments were checked).
fn with_emulator(
    handle: WHV_EMULATOR_HANDLE,
    context: *mut c_void,
    status: &mut WHV_EMULATOR_STATUS,
    f: impl FnOnce(&mut Emulator, &mut RawCallbacks) -> Result<WHV_EMULATOR_STATUS, HRESULT>,
) -> Outcome {
    let instance = EMULATORS.get(handle as usize as u64)?;
    // SAFETY: the callbacks were given with this contract at creation, and
    // `context` is the caller's, passed back to them unchanged.
    let mut callbacks = unsafe { RawCallbacks::new(instance.callbacks, context) };
    let result = match instance.emulator.try_lock() {
        Ok(mut emu) => f(&mut emu, &mut callbacks),
        Err(_) => f(&mut Emulator::new(), &mut callbacks),
    };
    *status = result?;
    Ok(())
}

/// Emulates the instruction behind an I/O-port exit through the emulator's
/// callbacks (`Context` is handed to each of them).
///
/// # Safety
/// `VpContext` and `IoInstructionContext` must point to readable exit
/// contexts, `EmulatorReturnStatus` to a writable status; the callbacks
/// must accept `Context`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvEmulatorTryIoEmulation(
    Emulator: WHV_EMULATOR_HANDLE,
    Context: *mut c_void,
    VpContext: *const WHV_VP_EXIT_CONTEXT,
    IoInstructionContext: *const WHV_X64_IO_PORT_ACCESS_CONTEXT,
    EmulatorReturnStatus: *mut WHV_EMULATOR_STATUS,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let vp = unsafe { input(VpContext)? };
        // SAFETY: the caller's contract above.
        let io = unsafe { input(IoInstructionContext)? };
        // SAFETY: the caller's contract above.
        let status = unsafe { output(EmulatorReturnStatus)? };
        Emulator::check_io_context(io)?;
        with_emulator(Emulator, Context, status, |emu, cb| {
            emu.try_io_emulation(cb, vp, io)
        })
    })
}

/// Emulates the instruction behind a memory-access (MMIO) exit through the
/// emulator's callbacks.
///
/// # Safety
/// As [`WHvEmulatorTryIoEmulation`], with `MmioInstructionContext`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvEmulatorTryMmioEmulation(
    Emulator: WHV_EMULATOR_HANDLE,
    Context: *mut c_void,
    VpContext: *const WHV_VP_EXIT_CONTEXT,
    MmioInstructionContext: *const WHV_MEMORY_ACCESS_CONTEXT,
    EmulatorReturnStatus: *mut WHV_EMULATOR_STATUS,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let vp = unsafe { input(VpContext)? };
        // SAFETY: the caller's contract above.
        let mmio = unsafe { input(MmioInstructionContext)? };
        // SAFETY: the caller's contract above.
        let status = unsafe { output(EmulatorReturnStatus)? };
        Emulator::check_mmio_context(mmio)?;
        with_emulator(Emulator, Context, status, |emu, cb| {
            emu.try_mmio_emulation(cb, vp, mmio)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use winhv_defs::{
        E_HANDLE, S_OK, WHV_EMULATOR_IO_ACCESS_INFO, WHV_EMULATOR_MEMORY_ACCESS_INFO,
        WHV_GUEST_PHYSICAL_ADDRESS, WHV_GUEST_VIRTUAL_ADDRESS, WHV_REGISTER_NAME,
        WHV_REGISTER_VALUE, WHV_TRANSLATE_GVA_FLAGS, WHV_TRANSLATE_GVA_RESULT_CODE,
    };

    unsafe extern "C" fn io(_: *mut c_void, _: *mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        S_OK
    }
    unsafe extern "C" fn memory(
        _: *mut c_void,
        _: *mut WHV_EMULATOR_MEMORY_ACCESS_INFO,
    ) -> HRESULT {
        S_OK
    }
    unsafe extern "C" fn get(
        _: *mut c_void,
        _: *const WHV_REGISTER_NAME,
        _: u32,
        _: *mut WHV_REGISTER_VALUE,
    ) -> HRESULT {
        S_OK
    }
    unsafe extern "C" fn set(
        _: *mut c_void,
        _: *const WHV_REGISTER_NAME,
        _: u32,
        _: *const WHV_REGISTER_VALUE,
    ) -> HRESULT {
        S_OK
    }
    unsafe extern "C" fn translate(
        _: *mut c_void,
        _: WHV_GUEST_VIRTUAL_ADDRESS,
        _: WHV_TRANSLATE_GVA_FLAGS,
        _: *mut WHV_TRANSLATE_GVA_RESULT_CODE,
        _: *mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        S_OK
    }

    fn create() -> WHV_EMULATOR_HANDLE {
        let callbacks = WHV_EMULATOR_CALLBACKS {
            Size: size_of::<WHV_EMULATOR_CALLBACKS>() as u32,
            Reserved: 0,
            WHvEmulatorIoPortCallback: Some(io),
            WHvEmulatorMemoryCallback: Some(memory),
            WHvEmulatorGetVirtualProcessorRegisters: Some(get),
            WHvEmulatorSetVirtualProcessorRegisters: Some(set),
            WHvEmulatorTranslateGvaPage: Some(translate),
        };
        let mut handle: WHV_EMULATOR_HANDLE = std::ptr::null_mut();
        // SAFETY: a complete callback table and a writable handle.
        let hr = unsafe { WHvEmulatorCreateEmulator(&callbacks, &mut handle) };
        assert_eq!(hr, S_OK);
        assert!(!handle.is_null() && handle as isize != -1);
        handle
    }

    /// A stale `WHvEmulatorDestroyEmulator` after 2^24 emulators were
    /// created and destroyed (where the old 24-bit generations wrapped)
    /// answers `E_HANDLE` and leaves the emulator created since alone.
    #[test]
    fn a_stale_destroy_after_heavy_churn_leaves_another_owners_emulator() {
        let mine = create();
        assert_eq!(WHvEmulatorDestroyEmulator(mine), S_OK);
        EMULATORS.advance_for_test((1 << 24) - 1);
        let theirs = create();
        assert_ne!(theirs, mine);
        assert_eq!(WHvEmulatorDestroyEmulator(mine), E_HANDLE);
        assert!(EMULATORS.get(theirs as usize as u64).is_ok());
        assert_eq!(WHvEmulatorDestroyEmulator(theirs), S_OK);
    }
}
