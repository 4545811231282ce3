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
/// * `get_registers`: once per emulation, after the instruction bytes are
///   known (fetched through `translate_gva_page` and `memory` when the
///   exit gave too few), with exactly the registers the instruction reads:
///   the GPRs of its operands and addresses and those it uses implicitly
///   (RSP for the stack, RCX for REP, RAX:RDX for MUL/DIV, …), the XMM
///   registers it reads, and — outside 64-bit mode — the segment
///   registers it addresses through (in 64-bit mode FS or GS for their
///   base). A register the instruction reads only on some path (a
///   descriptor table, CR0/CR4, the x87 state, EFER for a fetch fault's
///   error code, DR6 for a single-step trap) comes in a further call when
///   that path is taken. RIP, RFLAGS, CS, CPL and the mode come from the
///   exit's `WHV_VP_EXIT_CONTEXT`; a non-string I/O exit reads nothing
///   (the exit context carries RAX). Our choice: Windows' call pattern is
///   not documented, and one batch of what the instruction needs costs a
///   VMM the least.
/// * `set_registers`: at most once, with what the instruction changed: the
///   GPRs, XMMs and segment registers it wrote, any other state it changed
///   (descriptor-table registers, the x87 registers,
///   `WHvRegisterInterruptState` after a load of SS), `Rip`, and `Rflags`
///   when it changed; when the instruction faults, also
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
