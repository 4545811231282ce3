//! VP registers: every WHP register name KVM can back, read and written
//! through a per-VP cache ([`cache::RegisterState`]) that costs at most one
//! KVM call per register class per batch and none at all for general,
//! segment/control and event registers after the first run (they live in
//! kvm_run's sync area).
//!
//! | file | owns |
//! | --- | --- |
//! | `names` | which KVM state backs each name ([`names::Reg`], [`names::Class`]) |
//! | `convert` | segment and descriptor-table registers ↔ `kvm_segment`/`kvm_dtable` |
//! | `fpu` | x87/MMX/SSE registers ↔ the XSAVE image (also the whole image, for `crate::xsave`) |
//! | `events` | pending interruption, interrupt state, pending event ↔ `kvm_vcpu_events` |
//! | `activity` | InternalActivityState ↔ `kvm_mp_state` |
//! | `validate` | the writes Windows refuses, checked before anything is written |
//! | `value` | reading and building `WHV_REGISTER_VALUE` |
//! | `msrs` | the MSR values of the cache, one `KVM_GET/SET_MSRS` per batch |
//! | `apic` | local APIC registers ↔ KVM's LAPIC page, one `KVM_GET/SET_LAPIC` per batch; the LAPIC's state after VP creation |
//! | `batch` | the registers of one call, resolved without allocating |
//! | `counts` | the ioctl counter tests hold the cache to |
//! | `cache` | [`cache::RegisterState`]; `cache/interrupts`: the LAPIC page in and out for `crate::interrupts` |
//!
//! # Names backed
//! RAX–R15, RIP, RFLAGS; ES, CS, SS, DS, FS, GS, LDTR, TR (with
//! attributes), IDTR, GDTR; CR0, CR2, CR3, CR4, CR8, EFER, ApicBase;
//! DR0–DR3, DR6, DR7; XCR0 (where the host has XSAVE); XMM0–15, FpMmx0–7,
//! FpControlStatus, XmmControlStatus; PendingInterruption, InterruptState,
//! PendingEvent (exception events; needs `KVM_CAP_EXCEPTION_PAYLOAD` on the
//! VM), DeliverabilityNotifications, InternalActivityState (KVM's MP state;
//! halted/waiting need the in-kernel LAPIC); and these MSRs when KVM
//! implements them on the VP (learnt from KVM on first use, otherwise
//! `WHV_E_INVALID_VP_REGISTER_NAME`): Tsc, KernelGsBase, Pat,
//! SysenterCs/Eip/Esp, Star, Lstar, Cstar, Sfmask, TscAux, MsrMtrrCap
//! (read-only), MsrMtrrDefType, MsrMtrrPhysBase/Mask0–7 (KVM has eight
//! variable MTRRs: 8–F are unbacked), MsrMtrrFix*, SpecCtrl, TscDeadline,
//! TscAdjust, Xss, TsxCtrl, Xfd, XfdErr — and, where KVM has them (not on
//! this PVM host), UCet, SCet, Pl0–3Ssp, InterruptSspTableAddr,
//! UmwaitControl, Bndcfgs, MCount (MPERF), ACount (APERF).
//!
//! With LocalApicEmulationMode xApic or x2Apic (KVM's in-kernel LAPIC;
//! otherwise `WHV_E_INVALID_VP_REGISTER_NAME`), the local APIC registers in
//! their x2APIC MSR format (module `apic`): ApicId (the ID, not `ID << 24`),
//! ApicLdr (read-only in x2APIC mode, as ApicId), ApicTpr (= CR8 << 4),
//! ApicSpurious, ApicEse, ApicIcr (64-bit: ICR high << 32 | ICR low; a write
//! sends no IPI), ApicLvtTimer/Thermal/Perfmon/Lint0/Lint1/Error,
//! ApicInitCount (a write does not restart the timer), ApicDivide;
//! read-only ApicVersion, ApicPpr, ApicIsr0–7/Tmr0–7/Irr0–7 (32 vectors
//! each), ApicCurrentCount (a write of another value: E_INVALIDARG);
//! write-only ApicEoi and ApicSelfIpi (read 0; a write has no side effect,
//! as `HvCallSetVpRegisters` documents).
//!
//! # Names not backed (`WHV_E_INVALID_VP_REGISTER_NAME`)
//! * Hyper-V synthetic registers (SynIC SINTx/SCONTROL/SVERSION/SIEFP/SIMP/
//!   EOM, Hypercall, GuestOsId, VpAssistPage, ReferenceTsc, VpRuntime)
//!   here; `crate::synic` answers the SynIC ones, Hypercall, GuestOsId,
//!   ReferenceTsc(Sequence) on partitions that enabled them (`crate::vp`
//!   splits a batch); VpAssistPage and VpRuntime are unbacked.
//! * APIC registers on a partition without LAPIC emulation.
//! * VirtualCr0/3/4/8, TscVirtualOffset, InitialApicId, Ssp,
//!   PendingDebugException: no KVM state behind them.
//! * PredCmd: a write-only command MSR with no state to read back.
//!
//! # Semantics
//! * A batch is all or nothing: every name is resolved and every value
//!   checked before anything is written (Windows documents nothing here).
//! * Checks made at set time (E_INVALIDARG): reserved bits of CR0, CR4,
//!   CR8, EFER, DR6, DR7, XCR0, MXCSR, InterruptState, PendingInterruption,
//!   DeliverabilityNotifications; PG without PE, NW without CD; LME+PG
//!   without PAE; canonical KernelGsBase/Lstar/Cstar; PAT memory types;
//!   32-bit TscAux; MsrMtrrCap read-only. Checks that depend on the guest's
//!   CPUID (CR4/XCR0/EFER features, MSR values) are KVM's: a value KVM
//!   refuses fails the write-back before the next run (the run answers
//!   E_INVALIDARG naming the register) and the VP keeps its old value.
//! * EFER.LMA follows LME, CR0.PG and CR4.PAE as on the processor: callers
//!   entering long mode with registers alone need not set it.
//! * Without an in-kernel LAPIC KVM reloads CR8 from `kvm_run.cr8` on every
//!   run; the write-back keeps the two equal.

mod activity;
mod apic;
mod batch;
mod cache;
mod convert;
mod counts;
mod events;
mod fpu;
mod msrs;
mod names;
mod validate;
mod value;

#[cfg(test)]
mod tests;

pub(crate) use apic::configure_vm as configure_lapics;
pub(crate) use cache::{LapicSnapshot, RegisterState};
#[allow(
    unused_imports,
    reason = "the contract with the exit path; not every form is used yet"
)]
pub(crate) use convert::{segment_from_kvm, segment_to_kvm, table_from_kvm, table_to_kvm};
#[allow(
    unused_imports,
    reason = "the debug counter is for tests and benchmarks"
)]
pub(crate) use counts::IoctlCounts;
pub(crate) use fpu::{XSAVE_IMAGE_SIZE, XsaveArea, mxcsr_mask};
pub(crate) use names::msr_index as msr_of_name;
