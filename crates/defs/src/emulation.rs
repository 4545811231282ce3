//! winhvemulation.dll (`WinHvEmulation.h`): the instruction emulator's
//! handle, its status bitfield, the I/O-port and memory accesses it asks the
//! caller to perform, and the five callbacks through which it reaches the
//! caller (port I/O, memory, get/set registers, GVA translation).
//!
//! The header declares the callbacks `CALLBACK` (the Windows x64 convention);
//! on Linux our C ABI is the platform's C convention, hence `extern "C"`.

use crate::hresult::HRESULT;
use crate::platform::{
    WHV_GUEST_PHYSICAL_ADDRESS, WHV_GUEST_VIRTUAL_ADDRESS, WHV_REGISTER_NAME, WHV_REGISTER_VALUE,
    WHV_TRANSLATE_GVA_FLAGS, WHV_TRANSLATE_GVA_RESULT_CODE,
};
use core::ffi::c_void;

/// An emulator instance, from `WHvEmulatorCreateEmulator`.
pub type WHV_EMULATOR_HANDLE = *mut c_void;

/// `WHV_EMULATOR_STATUS`: how `WHvEmulatorTry{Io,Mmio}Emulation` went. The
/// header's anonymous bitfield struct is flattened into `AsUINT32`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WHV_EMULATOR_STATUS {
    /// The whole value, bit by bit below.
    pub AsUINT32: u32,
}

bitfield! {
    WHV_EMULATOR_STATUS . AsUINT32 : u32 {
        /// `EmulationSuccessful`, bit 0.
        emulation_successful / set_emulation_successful : 0, 1;
        /// `InternalEmulationFailure`, bit 1.
        internal_emulation_failure / set_internal_emulation_failure : 1, 1;
        /// `IoPortCallbackFailed`, bit 2.
        io_port_callback_failed / set_io_port_callback_failed : 2, 1;
        /// `MemoryCallbackFailed`, bit 3.
        memory_callback_failed / set_memory_callback_failed : 3, 1;
        /// `TranslateGvaPageCallbackFailed`, bit 4.
        translate_gva_page_callback_failed / set_translate_gva_page_callback_failed : 4, 1;
        /// `TranslateGvaPageCallbackGpaIsNotAligned`, bit 5.
        translate_gva_page_callback_gpa_is_not_aligned / set_translate_gva_page_callback_gpa_is_not_aligned : 5, 1;
        /// `GetVirtualProcessorRegistersCallbackFailed`, bit 6.
        get_virtual_processor_registers_callback_failed / set_get_virtual_processor_registers_callback_failed : 6, 1;
        /// `SetVirtualProcessorRegistersCallbackFailed`, bit 7.
        set_virtual_processor_registers_callback_failed / set_set_virtual_processor_registers_callback_failed : 7, 1;
        /// `InterruptCausedIntercept`, bit 8.
        interrupt_caused_intercept / set_interrupt_caused_intercept : 8, 1;
        /// `GuestCannotBeFaulted`, bit 9.
        guest_cannot_be_faulted / set_guest_cannot_be_faulted : 9, 1;
        /// `Reserved`, bits 10..32.
        reserved / set_reserved : 10, 22;
    }
}

/// `WHV_EMULATOR_MEMORY_ACCESS_INFO`: a guest-physical access the emulator
/// asks the memory callback to perform.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WHV_EMULATOR_MEMORY_ACCESS_INFO {
    /// The guest physical address.
    pub GpaAddress: WHV_GUEST_PHYSICAL_ADDRESS,
    /// 0 for a read, 1 for a write.
    pub Direction: u8,
    /// The access size in bytes: 1, 2, 4 or 8.
    pub AccessSize: u8,
    /// The data, little-endian, `AccessSize` bytes of it valid.
    pub Data: [u8; 8],
}

/// `WHV_EMULATOR_IO_ACCESS_INFO`: a port access the emulator asks the I/O
/// callback to perform.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WHV_EMULATOR_IO_ACCESS_INFO {
    /// 0 for `in`, 1 for `out`.
    pub Direction: u8,
    /// The port.
    pub Port: u16,
    /// The access size in bytes: 1, 2 or 4.
    pub AccessSize: u16,
    /// The data, `AccessSize` bytes of it valid.
    pub Data: u32,
}

/// Performs a port access for the emulator; for a read, fills `Data`.
pub type WHV_EMULATOR_IO_PORT_CALLBACK = Option<
    unsafe extern "C" fn(
        Context: *mut c_void,
        IoAccess: *mut WHV_EMULATOR_IO_ACCESS_INFO,
    ) -> HRESULT,
>;

/// Performs a guest-physical memory access for the emulator; for a read,
/// fills `Data`.
pub type WHV_EMULATOR_MEMORY_CALLBACK = Option<
    unsafe extern "C" fn(
        Context: *mut c_void,
        MemoryAccess: *mut WHV_EMULATOR_MEMORY_ACCESS_INFO,
    ) -> HRESULT,
>;

/// Reads `RegisterCount` registers of the virtual processor being emulated.
pub type WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK = Option<
    unsafe extern "C" fn(
        Context: *mut c_void,
        RegisterNames: *const WHV_REGISTER_NAME,
        RegisterCount: u32,
        RegisterValues: *mut WHV_REGISTER_VALUE,
    ) -> HRESULT,
>;

/// Writes `RegisterCount` registers of the virtual processor being emulated.
pub type WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK = Option<
    unsafe extern "C" fn(
        Context: *mut c_void,
        RegisterNames: *const WHV_REGISTER_NAME,
        RegisterCount: u32,
        RegisterValues: *const WHV_REGISTER_VALUE,
    ) -> HRESULT,
>;

/// Translates the page of guest virtual address `Gva` (as `WHvTranslateGva`
/// does) and returns the walk's result and the guest physical address.
pub type WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK = Option<
    unsafe extern "C" fn(
        Context: *mut c_void,
        Gva: WHV_GUEST_VIRTUAL_ADDRESS,
        TranslateFlags: WHV_TRANSLATE_GVA_FLAGS,
        TranslationResult: *mut WHV_TRANSLATE_GVA_RESULT_CODE,
        Gpa: *mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT,
>;

/// `WHV_EMULATOR_CALLBACKS`: what `WHvEmulatorCreateEmulator` is given.
/// `Size` must be `size_of::<WHV_EMULATOR_CALLBACKS>()` (48) and every
/// callback present.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct WHV_EMULATOR_CALLBACKS {
    /// The size of this structure in bytes.
    pub Size: u32,
    /// Reserved, zero.
    pub Reserved: u32,
    /// See [`WHV_EMULATOR_IO_PORT_CALLBACK`].
    pub WHvEmulatorIoPortCallback: WHV_EMULATOR_IO_PORT_CALLBACK,
    /// See [`WHV_EMULATOR_MEMORY_CALLBACK`].
    pub WHvEmulatorMemoryCallback: WHV_EMULATOR_MEMORY_CALLBACK,
    /// See [`WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK`].
    pub WHvEmulatorGetVirtualProcessorRegisters:
        WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK,
    /// See [`WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK`].
    pub WHvEmulatorSetVirtualProcessorRegisters:
        WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK,
    /// See [`WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK`].
    pub WHvEmulatorTranslateGvaPage: WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK,
}
