//! What the guest's hypercall page (HV_X64_MSR_HYPERCALL) holds: no
//! hypercall is implemented here yet, so the page's code answers every
//! call `HV_STATUS_INVALID_HYPERCALL_CODE` (2) the way a hypercall
//! returns — RAX in 64-bit mode, EDX:EAX in 32-bit mode — and returns to
//! the caller, touching no other register. The capability answers no
//! HypercallExit, and the partition's CPUID no hypercall privilege.

/// The page (its code; the rest of the 4 KiB is left as it is) for a
/// guest running 64-bit code (`long_mode`) or 32-bit code.
pub(crate) fn page(long_mode: bool) -> Vec<u8> {
    const STATUS: u8 = 2;
    if long_mode {
        // mov eax, 2 (zero-extends RAX); ret
        vec![0xb8, STATUS, 0, 0, 0, 0xc3]
    } else {
        // xor edx, edx; mov eax, 2; ret
        vec![0x31, 0xd2, 0xb8, STATUS, 0, 0, 0, 0xc3]
    }
}
