//! WHvTranslateGva over winhv-paging, and reading guest memory by virtual
//! address (the instruction bytes of an exit).
//!
//! The walker reads the guest's page tables through the partition's GPA map
//! ([`MappedMemory`]); the exit path reads code through `code`, which
//! remembers its walks per VP. The walker's inputs come from the VP's CR0/CR3/CR4/EFER/RFLAGS
//! and CPL (SS.DPL) as KVM holds them in kvm_run's synced sregs/regs, and
//! from its CPUID table (MAXPHYADDR, Page1GB: [`PagingFacts`]).
//! Accessed/Dirty updates use `memory`'s fault-tolerant compare-exchange:
//! host memory the caller made read-only answers GpaNoWriteAccess.

use kvm_bindings::{kvm_regs, kvm_sregs};
use winhv_paging::{
    GuestPhysMemory, MemError, PagingState, TranslateError, TranslateFlags, Translation,
};

use crate::cpuid_facts::PagingFacts;
use crate::memory::{self, FLAG_READ, FLAG_WRITE, GpaMap};

mod code;

pub(crate) use code::{CodeCache, read_code};

/// The partition's mapped guest memory as the page walker sees it.
pub(crate) struct MappedMemory<'a>(pub(crate) &'a GpaMap);

impl MappedMemory<'_> {
    /// The host address of `len` bytes at `gpa`, checking `need` access
    /// flags; the bytes must not cross a range boundary.
    fn host(&self, gpa: u64, len: u64, need: u32) -> Result<u64, MemError> {
        let (host, flags, avail) = self.0.lookup(gpa).ok_or(MemError::Unmapped)?;
        if flags & FLAG_READ == 0 {
            return Err(MemError::NoReadAccess);
        }
        if need & FLAG_WRITE != 0 && flags & FLAG_WRITE == 0 {
            return Err(MemError::NoWriteAccess);
        }
        if avail < len {
            return Err(MemError::Unmapped);
        }
        Ok(host)
    }

    fn read<const N: usize>(&self, gpa: u64) -> Result<[u8; N], MemError> {
        let mut buf = [0u8; N];
        self.0
            .read(gpa, &mut buf)
            .map_err(|_| MemError::NoReadAccess)?;
        Ok(buf)
    }
}

impl GuestPhysMemory for MappedMemory<'_> {
    fn read_u32(&self, gpa: u64) -> Result<u32, MemError> {
        self.host(gpa, 4, FLAG_READ)?;
        self.read::<4>(gpa).map(u32::from_le_bytes)
    }

    fn read_u64(&self, gpa: u64) -> Result<u64, MemError> {
        self.host(gpa, 8, FLAG_READ)?;
        self.read::<8>(gpa).map(u64::from_le_bytes)
    }

    fn compare_exchange_u32(
        &self,
        gpa: u64,
        current: u32,
        new: u32,
    ) -> Result<Result<(), u32>, MemError> {
        let host = self.host(gpa, 4, FLAG_READ | FLAG_WRITE)?;
        // The caller may have made the memory read-only (or inaccessible)
        // behind our back: the exchange is fault-tolerant, not pre-checked.
        memory::compare_exchange_u32(host, current, new).map_err(|_| MemError::NoWriteAccess)
    }

    fn compare_exchange_u64(
        &self,
        gpa: u64,
        current: u64,
        new: u64,
    ) -> Result<Result<(), u64>, MemError> {
        let host = self.host(gpa, 8, FLAG_READ | FLAG_WRITE)?;
        memory::compare_exchange_u64(host, current, new).map_err(|_| MemError::NoWriteAccess)
    }
}

/// The walker's inputs from a VP's registers and CPUID table (`facts`).
pub(crate) fn paging_state(regs: &kvm_regs, sregs: &kvm_sregs, facts: PagingFacts) -> PagingState {
    let mut state = PagingState {
        cr0: sregs.cr0,
        cr3: sregs.cr3,
        cr4: sregs.cr4,
        efer: sregs.efer,
        rflags: regs.rflags,
        cpl: cpl(sregs),
        ..PagingState::default()
    };
    facts.apply(&mut state);
    state
}

/// The current privilege level: 0 in real mode, 3 in virtual-8086 mode,
/// SS.DPL otherwise.
pub(crate) fn cpl(sregs: &kvm_sregs) -> u8 {
    if sregs.cr0 & 1 == 0 {
        0
    } else {
        sregs.ss.dpl & 3
    }
}

/// Translates `gva` for the VP whose registers and CPUID facts are given.
pub(crate) fn translate(
    map: &GpaMap,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    facts: PagingFacts,
    gva: u64,
    flags: TranslateFlags,
) -> Result<Translation, TranslateError> {
    let state = paging_state(regs, sregs, facts);
    winhv_paging::translate(&MappedMemory(map), &state, gva, flags)
}

/// The linear address of CS:RIP (the CS base is ignored in 64-bit mode,
/// RIP is truncated to 32 bits outside it).
pub(crate) fn code_address(sregs: &kvm_sregs, rip: u64) -> u64 {
    if sregs.efer & (1 << 10) != 0 && sregs.cs.l != 0 {
        rip
    } else {
        sregs.cs.base.wrapping_add(rip & 0xffff_ffff) & 0xffff_ffff
    }
}
