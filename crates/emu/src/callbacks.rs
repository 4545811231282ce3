//! The [`Callbacks`] trait: the emulator's only way to reach the world, the
//! Rust mirror of `WHV_EMULATOR_CALLBACKS`.

use winhv_defs::{
    HRESULT, WHV_EMULATOR_IO_ACCESS_INFO, WHV_EMULATOR_MEMORY_ACCESS_INFO,
    WHV_GUEST_PHYSICAL_ADDRESS, WHV_GUEST_VIRTUAL_ADDRESS, WHV_REGISTER_NAME, WHV_REGISTER_VALUE,
    WHV_TRANSLATE_GVA_FLAGS, WHV_TRANSLATE_GVA_RESULT_CODE,
};

/// What the emulator asks of its caller, one method per
/// `WHV_EMULATOR_CALLBACKS` member. A failing `HRESULT` from any method ends
/// the emulation with the matching `WHV_EMULATOR_STATUS` bit
/// (`IoPortCallbackFailed`, `MemoryCallbackFailed`, …) and no register
/// update.
///
/// A platform implements it on top of a virtual processor: memory accesses
/// go to the device model (or guest RAM), registers to the VP, translation
/// to `WHvTranslateGva`.
///
/// The registers the emulator asks for:
/// * `get_registers`: once per emulation, `Rax`..`R15`, `Es`, `Ss`, `Ds`,
///   `Fs`, `Gs` and `Efer` (not for a non-string I/O exit, whose registers
///   the exit context carries); `Xmm0`..`Xmm15` one at a time when an SSE
///   move needs one; `Dr6` when RFLAGS.TF is set. RIP, RFLAGS, CS, CPL
///   and the mode come from the exit's `WHV_VP_EXIT_CONTEXT`.
/// * `set_registers`: at most once, the GPRs and XMMs the instruction
///   changed, `Rip` and `Rflags`; when the instruction faults, also
///   `WHvRegisterPendingInterruption` (an exception with its vector and
///   error code) and, for `#PF`, `Cr2`; for the single-step `#DB` after
///   an instruction run with RFLAGS.TF, `Dr6` (BS set).
/// * `translate_gva_page`: not in real mode (no paging), nor for the page
///   a memory exit with `GvaValid` already translated.
pub trait Callbacks {
    /// `WHvEmulatorIoPortCallback`: performs one port access of
    /// `AccessSize` (1, 2 or 4) bytes; for a read (`Direction` 0) fills
    /// `Data`.
    fn io_port(&mut self, access: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT;

    /// `WHvEmulatorMemoryCallback`: performs one guest-physical access of
    /// `AccessSize` (1 to 8) bytes, never crossing a page; for a read
    /// (`Direction` 0) fills `Data`. An operand that crosses a page comes
    /// as one access per page (an 8-byte store at 0xffe: 2 bytes, then 6),
    /// as Microsoft documents for its emulator; a 16-byte operand as two
    /// 8-byte halves.
    fn memory(&mut self, access: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT;

    /// `WHvEmulatorGetVirtualProcessorRegisters`: reads `names.len()`
    /// registers into `values` (same length).
    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT;

    /// `WHvEmulatorSetVirtualProcessorRegisters`: writes the registers.
    /// Called at most once per emulation, right before a successful return
    /// (also to inject a fault the instruction raised).
    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT;

    /// `WHvEmulatorTranslateGvaPage`: translates the page holding `gva`
    /// (passed page-aligned) as `WHvTranslateGva` would, writing the walk's
    /// result and the page-aligned guest physical address.
    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT;
}
