//! The exports about virtual processors: count, architecture, registers,
//! paging mode, privilege, VTLs, nesting, and the guest OS identity.
//! Arguments are checked before the handle; a `VpId` past the last VP is
//! `E_INVALIDARG` (see `winhv_savedstate::SavedState::vp`).

use winhv_defs::*;

use crate::args;
use crate::boundary::{Outcome, guard, hr};
use crate::handles::dump;

/// Writes `value` to the `_Out_` pointer `ptr` once the handle checks out.
///
/// # Safety
/// `ptr` must be NULL or a writable, aligned `T`.
unsafe fn answer<T>(
    handle: VM_SAVED_STATE_DUMP_HANDLE,
    ptr: *mut T,
    f: impl FnOnce(&winhv_savedstate::SavedState) -> winhv_savedstate::Result<T>,
) -> HRESULT {
    guard(|| {
        // SAFETY: forwarded from the export's contract.
        let out = unsafe { args::output(ptr)? };
        let state = dump(handle)?;
        *out = f(&state).map_err(hr)?;
        Ok(())
    })
}

fn act(
    handle: VM_SAVED_STATE_DUMP_HANDLE,
    f: impl FnOnce(&winhv_savedstate::SavedState) -> winhv_savedstate::Result<()>,
) -> HRESULT {
    guard(|| -> Outcome { f(&*dump(handle)?).map_err(hr) })
}

fn bool(b: bool) -> BOOL {
    if b { TRUE } else { FALSE }
}

/// Writes how many VPs the saved state has.
///
/// # Safety
/// `VpCount` must be NULL or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetVpCount(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpCount: *mut u32,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe { answer(VmSavedStateDumpHandle, VpCount, |s| Ok(s.vp_count())) }
}

/// Writes the architecture VP `VpId` ran (x64 in 64-bit mode, x86
/// otherwise), or the one forced.
///
/// # Safety
/// `Architecture` must be NULL or a writable `VIRTUAL_PROCESSOR_ARCH`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetArchitecture(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    Architecture: *mut VIRTUAL_PROCESSOR_ARCH,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, Architecture, |s| {
            s.architecture(VpId)
        })
    }
}

/// Forces the architecture `GetArchitecture` reports for VP `VpId`
/// (`Arch_x86` or `Arch_x64`; others are `E_INVALIDARG`).
#[unsafe(no_mangle)]
pub extern "C" fn ForceArchitecture(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    Architecture: VIRTUAL_PROCESSOR_ARCH,
) -> HRESULT {
    act(VmSavedStateDumpHandle, |s| {
        s.force_architecture(VpId, Architecture)
    })
}

/// Writes register `RegisterId` (a `REGISTER_ID`) of VP `VpId`: the whole
/// 16-byte union, its member chosen by the register. A register the saved
/// state does not hold answers `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`; an
/// id that is not an x64 register `E_INVALIDARG`.
///
/// # Safety
/// `RegisterValue` must be NULL or a writable `VIRTUAL_PROCESSOR_REGISTER`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetRegisterValue(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    RegisterId: u32,
    RegisterValue: *mut VIRTUAL_PROCESSOR_REGISTER,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, RegisterValue, |s| {
            s.register(VpId, REGISTER_ID(RegisterId as i32))
        })
    }
}

/// Writes the paging mode of VP `VpId` (or the one forced). 5-level
/// paging is reported as `Paging_Long`.
///
/// # Safety
/// `PagingMode` must be NULL or a writable `PAGING_MODE`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetPagingMode(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    PagingMode: *mut PAGING_MODE,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe { answer(VmSavedStateDumpHandle, PagingMode, |s| s.paging_mode(VpId)) }
}

/// Makes translations on VP `VpId` use `PagingMode` (an x86 mode; others
/// are `E_INVALIDARG`).
#[unsafe(no_mangle)]
pub extern "C" fn ForcePagingMode(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    PagingMode: PAGING_MODE,
) -> HRESULT {
    act(VmSavedStateDumpHandle, |s| {
        s.force_paging_mode(VpId, PagingMode)
    })
}

/// Writes whether VP `VpId` was in kernel space (CPL below 3).
///
/// # Safety
/// `InKernelSpace` must be NULL or a writable `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InKernelSpace(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    InKernelSpace: *mut BOOL,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, InKernelSpace, |s| {
            s.in_kernel_space(VpId).map(bool)
        })
    }
}

/// Writes the VTL VP `VpId` is read in (its lowest, or the one forced).
///
/// # Safety
/// `VirtualTrustLevel` must be NULL or a writable `UINT8`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetActiveVirtualTrustLevel(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    VirtualTrustLevel: *mut u8,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, VirtualTrustLevel, |s| {
            s.active_vtl(VpId)
        })
    }
}

/// Makes VP `VpId` read its state from `VirtualTrustLevel` (0 to 15); a
/// VTL it has no state for can be forced, its reads then answer
/// `VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED`.
#[unsafe(no_mangle)]
pub extern "C" fn ForceActiveVirtualTrustLevel(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    VirtualTrustLevel: u8,
) -> HRESULT {
    act(VmSavedStateDumpHandle, |s| {
        s.force_active_vtl(VpId, VirtualTrustLevel)
    })
}

/// Writes the bitmap of VTLs VP `VpId` has state for (bit n: VTL n).
///
/// # Safety
/// `VirtualTrustLevels` must be NULL or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetEnabledVirtualTrustLevels(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    VirtualTrustLevels: *mut u32,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, VirtualTrustLevels, |s| {
            s.vp_enabled_vtls(VpId)
        })
    }
}

/// Writes the bitmap of VTLs any VP of the partition has state for.
///
/// # Safety
/// `VirtualTrustLevels` must be NULL or a writable `UINT32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetGuestEnabledVirtualTrustLevels(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VirtualTrustLevels: *mut u32,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, VirtualTrustLevels, |s| {
            Ok(s.enabled_vtls())
        })
    }
}

/// Writes whether VP `VpId`'s active VTL has state (FALSE only after a
/// VTL it lacks was forced).
///
/// # Safety
/// `ActiveVirtualTrustLevelEnabled` must be NULL or a writable `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn IsActiveVirtualTrustLevelEnabled(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    ActiveVirtualTrustLevelEnabled: *mut BOOL,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(
            VmSavedStateDumpHandle,
            ActiveVirtualTrustLevelEnabled,
            |s| s.active_vtl_enabled(VpId).map(bool),
        )
    }
}

/// Writes whether nested virtualization state was saved.
///
/// # Safety
/// `Enabled` must be NULL or a writable `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn IsNestedVirtualizationEnabled(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    Enabled: *mut BOOL,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, Enabled, |s| {
            Ok(bool(s.nested_enabled()))
        })
    }
}

/// Writes whether VP `VpId` was in nested guest mode (never, for the
/// inputs read today).
///
/// # Safety
/// `Enabled` must be NULL or a writable `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetNestedVirtualizationMode(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    Enabled: *mut BOOL,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, Enabled, |s| {
            s.nested_mode(VpId).map(bool)
        })
    }
}

/// Forces nested host mode on VP `VpId`: without saved nested state this
/// answers `VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED`
/// (and leaves `OldMode` alone).
///
/// # Safety
/// `OldMode` must be NULL or a writable `BOOL`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ForceNestedHostMode(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VpId: u32,
    HostMode: BOOL,
    OldMode: *mut BOOL,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let old = unsafe { args::optional_output(OldMode)? };
        let state = dump(VmSavedStateDumpHandle)?;
        let was = state
            .force_nested_host_mode(VpId, HostMode != FALSE)
            .map_err(hr)?;
        if let Some(old) = old {
            *old = bool(was);
        }
        Ok(())
    })
}

/// Writes the guest OS identity (`GUEST_OS_INFO`, the Hyper-V guest OS ID
/// MSR; 0 when the input has none, as for QEMU cores) for
/// `VirtualTrustLevel`.
///
/// # Safety
/// `GuestOsInfo` must be NULL or a writable `GUEST_OS_INFO`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetGuestOsInfo(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
    VirtualTrustLevel: u8,
    GuestOsInfo: *mut GUEST_OS_INFO,
) -> HRESULT {
    // SAFETY: the caller's contract above.
    unsafe {
        answer(VmSavedStateDumpHandle, GuestOsInfo, |s| {
            s.guest_os_info(VirtualTrustLevel)
                .map(|v| GUEST_OS_INFO { AsUINT64: v })
        })
    }
}
