//! The exports whose feature the reader does not offer yet: symbols (PDB,
//! ELF/DWARF, kallsyms), global variables and types, call stacks, the
//! legacy `.bin` + `.vsv` pair, and
//! locating a VM's files through Hyper-V's WMI service (absent on Linux).
//! Each checks its dump handle, if it takes one (`E_HANDLE` for a bad
//! one), and answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`; no other
//! argument is read or written. [`UNSUPPORTED`] lists them; when the
//! reader grows a feature, its functions move out of this file.
//! `GetSavedStateSymbolProviderHandle` returns a HANDLE, not an HRESULT:
//! with no symbol provider there is none to return, so it returns NULL.

use core::ffi::c_void;

use winhv_defs::*;

use crate::boundary::{Outcome, guard};
use crate::handles::dump;

/// The first argument of an unsupported export: a dump handle is checked,
/// a path is not.
trait Target {
    fn check(&self) -> Outcome;
}

impl Target for VM_SAVED_STATE_DUMP_HANDLE {
    fn check(&self) -> Outcome {
        dump(*self).map(drop)
    }
}

impl Target for PCWSTR {
    fn check(&self) -> Outcome {
        Ok(())
    }
}

macro_rules! unsupported {
    ($( $(#[$m:meta])* fn $name:ident($first:ident: $first_ty:ty $(, $arg:ident: $ty:ty)* $(,)?); )*) => {
        $(
            $(#[$m])*
            ///
            /// Not supported yet: answers
            /// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` after checking the
            /// dump handle.
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($first: $first_ty $(, $arg: $ty)*) -> HRESULT {
                $( let _ = $arg; )*
                guard(|| {
                    $first.check()?;
                    Err(HRESULT_ERROR_NOT_SUPPORTED)
                })
            }
        )*

        /// Every export that answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`,
        /// and `GetSavedStateSymbolProviderHandle`.
        pub const UNSUPPORTED: &[&str] = &[$(stringify!($name),)* "GetSavedStateSymbolProviderHandle"];
    };
}

unsupported! {
    /// `LoadSavedStateFiles`: loads a legacy `.bin` (memory) and `.vsv`
    /// (state) pair; the `.bin` layout is not publicly documented.
    fn LoadSavedStateFiles(
        BinFile: PCWSTR,
        VsvFile: PCWSTR,
        VmSavedStateDumpHandle: *mut VM_SAVED_STATE_DUMP_HANDLE,
    );
    /// `LocateSavedStateFiles`: finds a VM's saved-state files through
    /// Hyper-V's WMI namespace, which Linux does not have.
    fn LocateSavedStateFiles(
        VmName: PCWSTR,
        SnapshotName: PCWSTR,
        BinPath: *mut PWSTR,
        VsvPath: *mut PWSTR,
        VmrsPath: *mut PWSTR,
    );
    /// `LoadSavedStateSymbolProvider`: loads the guest's symbols.
    fn LoadSavedStateSymbolProvider(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        UserSymbols: PCWSTR,
        Force: BOOL,
    );
    /// `ReleaseSavedStateSymbolProvider`: releases the symbol provider.
    fn ReleaseSavedStateSymbolProvider(VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE);
    /// `SetSavedStateSymbolProviderDebugInfoCallback`: the symbol
    /// provider's diagnostics callback.
    fn SetSavedStateSymbolProviderDebugInfoCallback(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        Callback: GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK,
    );
    /// `LoadSavedStateModuleSymbols`: loads one module's symbols.
    fn LoadSavedStateModuleSymbols(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        ImageName: PCSTR,
        ModuleName: PCSTR,
        BaseAddress: u64,
        SizeOfBase: u32,
    );
    /// `LoadSavedStateModuleSymbolsEx`: loads one module's symbols, by
    /// image timestamp.
    fn LoadSavedStateModuleSymbolsEx(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        ImageName: PCSTR,
        ImageTimestamp: u32,
        ModuleName: PCSTR,
        BaseAddress: u64,
        SizeOfBase: u32,
    );
    /// `GetSavedStateSymbolTypeSize`: a type's size.
    fn GetSavedStateSymbolTypeSize(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        VpId: u32,
        TypeName: PCSTR,
        Size: *mut u32,
    );
    /// `GetSavedStateSymbolFieldInfo`: a type's fields as JSON.
    fn GetSavedStateSymbolFieldInfo(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        VpId: u32,
        TypeName: PCSTR,
        TypeFieldInfoMap: *mut PWSTR,
    );
    /// `FindSavedStateSymbolFieldInType`: a field's offset in a type.
    fn FindSavedStateSymbolFieldInType(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        VpId: u32,
        TypeName: PCSTR,
        FieldName: PCWSTR,
        Offset: *mut u32,
        Found: *mut BOOL,
    );
    /// `ResolveSavedStateGlobalVariableAddress`: a global's address.
    fn ResolveSavedStateGlobalVariableAddress(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        VpId: u32,
        GlobalName: PCSTR,
        VirtualAddress: *mut u64,
        Size: *mut u32,
    );
    /// `ReadSavedStateGlobalVariable`: a global's value.
    fn ReadSavedStateGlobalVariable(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        VpId: u32,
        GlobalName: PCSTR,
        Buffer: *mut c_void,
        BufferSize: u32,
    );
    /// `CallStackUnwind`: a VP's call stack as text.
    fn CallStackUnwind(
        VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
        VpId: u32,
        ImageInfo: *const MODULE_INFO,
        ImageInfoCount: u32,
        FrameCount: u32,
        CallStack: *mut PWSTR,
    );
}

/// `GetSavedStateSymbolProviderHandle`: the symbol provider's handle. No
/// symbol provider exists yet, so this returns NULL for every dump handle.
#[unsafe(no_mangle)]
pub extern "C" fn GetSavedStateSymbolProviderHandle(
    VmSavedStateDumpHandle: VM_SAVED_STATE_DUMP_HANDLE,
) -> HANDLE {
    let _ = VmSavedStateDumpHandle;
    core::ptr::null_mut()
}
