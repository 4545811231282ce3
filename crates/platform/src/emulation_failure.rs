//! MMIO accesses KVM's own instruction emulator cannot perform (MOVD/MOVQ,
//! VEX moves, SSE arithmetic, x87 loads and stores, ENTER with a nesting
//! level, IRET on this kernel; for the stack instructions the stack is the
//! memory, `decode::stack_access`): `KVM_RUN` ends with `KVM_EXIT_INTERNAL_ERROR`
//! (suberror `KVM_INTERNAL_ERROR_EMULATION`) before the instruction did
//! anything. Windows intercepts such an access like any other MMIO access
//! and lets the VMM emulate it; this module finds, from the instruction at
//! RIP, whether the failure was such an access and where it went, so the
//! exit path can present a `WHvRunVpExitReasonMemoryAccess` exit. Nothing
//! is pending in KVM: the VMM's emulation and RIP advance are all that
//! happens, and the instruction runs (and fails) again if RIP is left.

use iced_x86::{Instruction, Mnemonic, OpKind};
use kvm_bindings::{kvm_enable_cap, kvm_regs, kvm_sregs};
use kvm_ioctls::VmFd;

use crate::cpuid_facts::PagingFacts;
use crate::error::{Error, Result};
use crate::memory::{FLAG_READ, FLAG_WRITE, GpaMap};
use crate::vcpu::RunArea;

/// `KVM_CAP_EXIT_ON_EMULATION_FAILURE`: without it KVM injects #UD into the
/// guest for an instruction it cannot emulate (and, at CPL0, also exits),
/// so the access could never be presented as it happened. Enabled when the
/// kernel has it; without it the failures are reported as today.
pub(crate) fn enable(kvm: &kvm_ioctls::Kvm, fd: &VmFd) -> Result<()> {
    let cap = kvm_bindings::KVM_CAP_EXIT_ON_EMULATION_FAILURE;
    if kvm.check_extension_raw(u64::from(cap)) <= 0 {
        return Ok(());
    }
    let mut enable = kvm_enable_cap {
        cap,
        ..Default::default()
    };
    enable.args[0] = 1;
    fd.enable_cap(&enable)
        .map_err(|e| Error::from_errno("KVM_CAP_EXIT_ON_EMULATION_FAILURE", e.errno()))
}

/// Whether the last exit in `area` is a `KVM_EXIT_INTERNAL_ERROR` for an
/// emulation failure (the instruction did not execute).
pub(crate) fn is_emulation_failure(area: &RunArea) -> bool {
    area.internal()
        .is_some_and(|i| i.suberror == kvm_bindings::KVM_INTERNAL_ERROR_EMULATION)
}

/// The MMIO access of a failed instruction, as Windows reports it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MmioAccess {
    /// Where the memory operand starts.
    pub(crate) gpa: u64,
    /// Its linear address.
    pub(crate) gva: u64,
    /// A store (the memory operand is the destination).
    pub(crate) write: bool,
}

/// The access instruction `i` (at the exit's RIP, not executed) makes to
/// memory that is not RAM — an unmapped GPA, or a write to a mapping
/// without write access —, or `None` when its memory operand is RAM (or it
/// has none, or the address does not translate): then the failure is not
/// an MMIO access and is reported as it is.
///
/// An operand that crosses a page is checked page by page; the access
/// reported is the first part that is not RAM, with its own linear address
/// (so `Gva` and `Gpa` are in pages that map to each other, as an
/// emulator that trusts the exit's translation needs).
pub(crate) fn mmio_access(
    i: &Instruction,
    map: &GpaMap,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    facts: PagingFacts,
) -> Option<MmioAccess> {
    let (start, bytes, write) = match crate::decode::stack_access(i, regs, sregs) {
        // ENTER, IRET, …: the stack is the memory.
        Some(stack) => stack,
        None => {
            let write = i.op_count() > 0
                && i.op0_kind() == OpKind::Memory
                && !matches!(
                    i.mnemonic(),
                    Mnemonic::Cmp | Mnemonic::Test | Mnemonic::Ptest | Mnemonic::Vptest
                );
            let start = crate::decode::memory_address(i, regs, sregs)?;
            (start, i.memory_size().size().max(1) as u64, write)
        }
    };
    let last = start.wrapping_add(bytes - 1);
    let second = last & !0xfff;
    let parts = if second != start & !0xfff {
        [Some(start), Some(second)]
    } else {
        [Some(start), None]
    };
    for gva in parts.into_iter().flatten() {
        let gpa = crate::translate::translate(
            map,
            regs,
            sregs,
            facts,
            gva,
            winhv_paging::TranslateFlags::PRIVILEGE_EXEMPT,
        )
        .ok()?
        .gpa;
        let ram = match map.lookup(gpa) {
            None => false,
            Some((_, flags, _)) => {
                let need = if write {
                    FLAG_READ | FLAG_WRITE
                } else {
                    FLAG_READ
                };
                flags & need == need
            }
        };
        if !ram {
            return Some(MmioAccess { gpa, gva, write });
        }
    }
    None
}
