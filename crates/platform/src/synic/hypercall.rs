//! Hypercalls: what the guest's hypercall page (HV_X64_MSR_HYPERCALL)
//! holds, and how a call through it reaches the VMM.
//!
//! KVM handles VMCALL/VMMCALL in the kernel (its own hypercall ABI, which
//! writes RAX), so the page does not use it: it holds `out 0x99, al; ret`.
//! KVM hands the OUT to user space, where an OUT of AL to port 0x99 whose
//! instruction is the first byte of the hypercall page (its GPA, found by
//! a page walk) is the hypercall; any other access to port 0x99 is an
//! ordinary port write. With ExtendedVmExits.HypercallExit the run ends
//! with a `WHvRunVpExitReasonHypercall` exit presented as Windows does: RIP
//! at the call instruction, InstructionLength 2 (the VMM adds it to RIP
//! and lands on the `ret`), the registers of the calling convention and
//! XMM0–5 in `WHV_HYPERCALL_CONTEXT`, the result in the RAX the VMM sets.
//! Without it, the platform answers `HV_STATUS_INVALID_HYPERCALL_CODE` (2)
//! itself, in RAX (EDX:EAX outside 64-bit mode), as a hypervisor that
//! implements no hypercall does. Nothing is clobbered: OUT writes no
//! register. A VMCALL the guest issues elsewhere stays KVM's.

use kvm_bindings::kvm_regs;
use winhv_defs::*;

/// The port of the page's OUT.
pub(crate) const PORT: u16 = 0x99;
/// The OUT's length (the InstructionLength of the exit).
pub(crate) const CALL_LENGTH: u8 = 2;
/// What a hypercall answers when the VMM does not take hypercall exits.
pub(crate) const HV_STATUS_INVALID_HYPERCALL_CODE: u64 = 2;

/// The page's code (the rest of the 4 KiB is left as it is).
pub(crate) fn page() -> [u8; 3] {
    // out 0x99, al; ret
    [0xe6, PORT as u8, 0xc3]
}

/// The exit's payload for a call made with `regs` and XMM0–5 `xmm`.
pub(crate) fn context(regs: &kvm_regs, xmm: [WHV_UINT128; 6]) -> WHV_HYPERCALL_CONTEXT {
    WHV_HYPERCALL_CONTEXT {
        Rax: regs.rax,
        Rbx: regs.rbx,
        Rcx: regs.rcx,
        Rdx: regs.rdx,
        R8: regs.r8,
        Rsi: regs.rsi,
        Rdi: regs.rdi,
        XmmRegisters: xmm,
        ..Default::default()
    }
}
