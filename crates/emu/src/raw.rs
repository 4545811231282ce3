//! The C boundary: a caller's `WHV_EMULATOR_CALLBACKS` table and context
//! pointer as a [`Callbacks`] implementation. All unsafe code calling the
//! caller's function pointers lives here.

use crate::callbacks::Callbacks;
use core::ffi::c_void;
use winhv_defs::*;

/// A `WHV_EMULATOR_CALLBACKS` table checked the way
/// `WHvEmulatorCreateEmulator` checks it: `Size` is
/// `size_of::<WHV_EMULATOR_CALLBACKS>()` and every callback is present.
#[derive(Copy, Clone, Debug)]
pub struct ValidatedCallbacks {
    io: unsafe extern "C" fn(*mut c_void, *mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT,
    memory: unsafe extern "C" fn(*mut c_void, *mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT,
    get: unsafe extern "C" fn(
        *mut c_void,
        *const WHV_REGISTER_NAME,
        u32,
        *mut WHV_REGISTER_VALUE,
    ) -> HRESULT,
    set: unsafe extern "C" fn(
        *mut c_void,
        *const WHV_REGISTER_NAME,
        u32,
        *const WHV_REGISTER_VALUE,
    ) -> HRESULT,
    translate: unsafe extern "C" fn(
        *mut c_void,
        WHV_GUEST_VIRTUAL_ADDRESS,
        WHV_TRANSLATE_GVA_FLAGS,
        *mut WHV_TRANSLATE_GVA_RESULT_CODE,
        *mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT,
}

impl ValidatedCallbacks {
    /// Checks `table`; `E_INVALIDARG` if its size is wrong or a callback is
    /// missing.
    pub fn new(table: &WHV_EMULATOR_CALLBACKS) -> Result<Self, HRESULT> {
        if table.Size as usize != core::mem::size_of::<WHV_EMULATOR_CALLBACKS>() {
            return Err(E_INVALIDARG);
        }
        Ok(Self {
            io: table.WHvEmulatorIoPortCallback.ok_or(E_INVALIDARG)?,
            memory: table.WHvEmulatorMemoryCallback.ok_or(E_INVALIDARG)?,
            get: table
                .WHvEmulatorGetVirtualProcessorRegisters
                .ok_or(E_INVALIDARG)?,
            set: table
                .WHvEmulatorSetVirtualProcessorRegisters
                .ok_or(E_INVALIDARG)?,
            translate: table.WHvEmulatorTranslateGvaPage.ok_or(E_INVALIDARG)?,
        })
    }
}

/// A validated callback table bound to the caller's context pointer for one
/// `WHvEmulatorTry*Emulation` call.
#[derive(Debug)]
pub struct RawCallbacks {
    table: ValidatedCallbacks,
    context: *mut c_void,
}

impl RawCallbacks {
    /// Binds `table` to `context`.
    ///
    /// # Safety
    ///
    /// Every function in `table` must be safe to call with `context` and
    /// with pointers to valid, properly sized buffers, for as long as the
    /// returned value lives (the contract `WHV_EMULATOR_CALLBACKS` states).
    pub unsafe fn new(table: ValidatedCallbacks, context: *mut c_void) -> Self {
        Self { table, context }
    }
}

impl Callbacks for RawCallbacks {
    fn io_port(&mut self, access: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        // SAFETY: `new`'s contract; `access` is a valid exclusive pointer.
        unsafe { (self.table.io)(self.context, access) }
    }

    fn memory(&mut self, access: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
        // SAFETY: `new`'s contract; `access` is a valid exclusive pointer.
        unsafe { (self.table.memory)(self.context, access) }
    }

    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT {
        if names.len() != values.len() {
            return E_INVALIDARG;
        }
        let Ok(count) = u32::try_from(names.len()) else {
            return E_INVALIDARG;
        };
        // SAFETY: `new`'s contract; both buffers hold `count` elements.
        unsafe { (self.table.get)(self.context, names.as_ptr(), count, values.as_mut_ptr()) }
    }

    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT {
        if names.len() != values.len() {
            return E_INVALIDARG;
        }
        let Ok(count) = u32::try_from(names.len()) else {
            return E_INVALIDARG;
        };
        // SAFETY: `new`'s contract; both buffers hold `count` elements.
        unsafe { (self.table.set)(self.context, names.as_ptr(), count, values.as_ptr()) }
    }

    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        // SAFETY: `new`'s contract; `result` and `gpa` are valid exclusive
        // pointers.
        unsafe { (self.table.translate)(self.context, gva, flags, result, gpa) }
    }
}
