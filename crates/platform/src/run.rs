//! The `KVM_RUN` loop of one VP: cancellation, and KVM's completion of the
//! previous exit reconciled with what the VMM did, WHP-style.
//!
//! After a Windows-style exit the VMM emulates the access, sets registers
//! and advances RIP itself. KVM instead completes reads (IN, MMIO loads) and
//! MSR accesses on the next `KVM_RUN`, from data left in `kvm_run`, and
//! advances RIP itself. [`Completion`] remembers what KVM will complete; before
//! the next run:
//!
//! * a plain load whose RIP the VMM advanced past the instruction: the VMM's
//!   destination register value is copied into `kvm_run`'s data, so KVM's
//!   completion writes exactly what the VMM wrote (no extra ioctl);
//! * anything else (the VMM left RIP at the instruction — Windows then runs
//!   it again —, moved it elsewhere, or the instruction is not a plain load;
//!   MSR accesses): a *flush*: `KVM_RUN` with `immediate_exit`, which makes
//!   KVM complete and return `EINTR` without running the guest, then the
//!   VMM's registers (snapshot of kvm_run's sync area) are put back. The
//!   flush answers every further exit KVM's completion makes without
//!   running the guest (the second part of a split access, the write half
//!   of a read-modify-write); it keeps the FPU/SSE state when completing
//!   the instruction can write it (an SSE load writes an XMM register;
//!   `decode::writes_fpu`, or an instruction not known); it completes
//!   an MMIO read that is not a plain load with the registers as they were
//!   at the exit, so that KVM does what the instruction did (a CALL
//!   [mmio] pushes its return address where the VMM's emulator pushed it;
//!   a LEAVE pops through its own RBP, not a faulting one) — a REP
//!   LODS/SCAS/CMPS as a last iteration (RCX = 1) —; and it puts the
//!   VMM's event state back, dropping an exception KVM's completion
//!   queued and keeping one the VMM injected.
//! * a read whose destination is memory (INS, MOVS from MMIO, PUSH
//!   [mmio]; [`Completion::ReadToMemory`]): the data KVM holds is first
//!   replaced by what guest memory holds at the places KVM will store it
//!   (a second fragment of an element crossing a page too), and the flush
//!   runs with the exit's registers, RCX = the elements KVM holds and RDI
//!   = the exit's RDI, so KVM stores every element it holds (or it would
//!   exit again for them) and changes nothing.
//! * An MMIO exit that is the first part of an access KVM splits (an
//!   operand crossing a page, a 16-byte SSE access: [`first_fragment`],
//!   decided by the exit path from the instruction) is flushed whatever
//!   the completion, so that KVM's second part never reaches the VMM as
//!   an exit of its own.
//!
//! Retired writes need nothing else here: the exit path has put RIP and the
//! registers the instruction changed back as they were before it
//! (`decode::undo_retired`), and KVM has nothing left to complete.
//!
//! # How KVM completes, measured on this kernel (PVM, CPL3 and CPL0 alike)
//!
//! `tests/differential_kvm.rs` asserts each row with raw KVM
//! (`WINHV_MEASURE=1` prints the traces). "Skip" is what a Windows VMM
//! does between the exit and the next run: RIP past the instruction, its
//! own register values.
//!
//! | access | exits | registers at the exit | next `KVM_RUN` | after a skip |
//! | --- | --- | --- | --- | --- |
//! | `in` | 1, pending | before it | stores `kvm_run` data in AL/AX/EAX, RIP += len | keeps the VMM's RIP and RAX (no double advance) |
//! | `out` | 1, retired | RIP past it | nothing left | — |
//! | `rep insb`, RCX = n | 1 exit of `count` = n (≤ the rest of RDI's page, ≤ 1 KiB), pending | before the first iteration | stores all n elements at RDI, RCX = 0, RDI += n, RIP += len | KVM keeps exiting with the same count at the VMM's RIP, RDI unchanged: the completion must be flushed, with RCX = count |
//! | `std; rep insb`, RCX = n | 1 exit of `count` = min(n, RDI's page offset), pending | before the first iteration | stores element k at RDI − k, one iteration each (the first at the RDI decoded at the exit, the next ones at the register's RDI); exits again if RCX is not 0 by then | as without DF |
//! | `rep outsb`, RCX = n, DF clear or set | n exits of count 1, each retired | RCX/RSI after the iteration; RIP stays on the instruction until the last | continues the next iteration | the VMM's RIP/RCX win, nothing else is sent |
//! | MMIO load (`mov`, `movzx`, …) | 1, pending | before it | writes the destination, RIP += len | keeps the VMM's RIP and registers |
//! | MMIO load crossing a page | 2 (one per page), the second only after the first completes | before it | second exit, then completes | the second exit comes anyway: flushed |
//! | MMIO store (`mov`, `setcc`, `movnti`, SSE) | 1, retired (2 when it crosses a page; 2 × 8 bytes for a 16-byte SSE store) | RIP past it | the second part, if any | — |
//! | `rep stosb` to MMIO, RCX = n | n exits, each retired | RCX/RDI after the iteration; RIP on the instruction until the last | next iteration | the VMM's RIP/RCX win |
//! | `rep movsb` MMIO → RAM | n read exits, pending | before the iteration | stores the byte at RDI, next iteration | the VMM's RSI/RDI/RCX win; with RCX = 0 nothing is stored, with RCX ≠ 0 (or no REP) KVM stores its byte at the exit's RDI |
//! | `rep lods`/`scas`/`cmps` from MMIO | n read exits, pending | before the iteration | next iteration | with RCX = 0 KVM's next entry goes wrong (a bogus exception is delivered); with RCX = 1 it ends cleanly |
//! | `rep movsb` RAM → MMIO | n write exits, retired | after the iteration | next iteration | the VMM's registers win |
//! | `add [mmio], r` (any read-modify-write), `xchg` | read exit (pending, registers before), then on the next run a write exit (retired: RIP past, flags/registers updated) | before it | the write exit | the write exit still comes, with KVM's data from the cached operands, RIP set by KVM to the instruction's end, registers the VMM's: flushed |
//! | `push r` onto an MMIO stack | 1 write exit, retired: RSP decremented, RIP past | after it | nothing left | — |
//! | `call` onto an MMIO stack | 1 write exit of the return address (2 when the slot crosses a page), retired: RSP decremented, RIP at the target | after it | nothing left | — |
//! | `push [mmio]` | 1 read exit, pending | before it | stores on the stack, RSP -= 8, RIP += len | — |
//! | `movbe [mmio], r` | none: KVM's emulator injects #UD (loads work) | — | — | — |
//! | `movq`/`movd` with MMIO, VEX moves | none: `KVM_EXIT_INTERNAL_ERROR` (emulation failure, instruction not executed); presented as a MemoryAccess exit (`emulation_failure`) | before it | runs the instruction again (fails again) | nothing pending: the VMM's emulation is all |
//!
//! # What is exactly-once (checked by `tests/differential_mmio.rs` and `tests/differential_io.rs`)
//!
//! Exactly-once with the VMM's data and registers, or run again when the
//! VMM leaves RIP: IN/OUT (imm8/DX, 8/16/32); INS/OUTS with and without
//! REP, DF clear or set, across a page; MOV/MOVZX/MOVSX/MOVSXD/CMOVcc
//! loads, MOV/MOVNTI/SETcc stores, including accesses that cross a page;
//! every read-modify-write (ALU, NOT/NEG/INC/DEC, BT*, shifts and rotates,
//! XCHG, XADD, CMPXCHG; LOCK or not): one exit for the whole instruction,
//! at its read, the write half dropped by the flush; MOVBE loads; SSE
//! loads and stores that KVM's emulator performs
//! (MOVDQU/MOVDQA/MOVUPS/MOVAPS), and those it cannot (MOVD/MOVQ,
//! VEX moves: an emulation failure, presented by `emulation_failure`),
//! also half in RAM and half in MMIO; PUSH from MMIO, POP to MMIO;
//! MOVS/STOS/LODS/SCAS/CMPS with and without REP, DF clear or set, MMIO
//! source or destination (the VMM's emulator does all iterations on the
//! first exit); PUSH and POP of a register or immediate with an MMIO
//! stack, and CALL onto one — relative, through a register, or through
//! memory (FF /2: `call [rax]`, `call [rip+disp]`, whose target is read
//! again from guest memory and must equal KVM's RIP) — also when the
//! stack slot crosses a page (`decode::undo_retired` and
//! `decode::undo_call` put RIP and RSP back). A CALL through memory whose
//! operand is itself in MMIO exits first for that read, at the call (its
//! completion then pushes what the VMM pushed). Also: JMP through MMIO,
//! RET and RET imm16, RETF and IRET from an MMIO stack, LEAVE, ENTER
//! (level 0 as a retired write undone by `decode::undo_retired`, other
//! levels — and IRET — as emulation failures, `emulation_failure`),
//! PUSH/POP of a segment register, FNSTCW/FNSTSW to MMIO, SSE arithmetic
//! and x87 loads and stores from or to MMIO (emulation failures).
//!
//! Not exactly-once:
//! * A far CALL onto an MMIO stack: KVM reports the CS push (its first
//!   fragment) with RIP and CS already at the target and the return
//!   address still in the second fragment, so the call cannot be found
//!   from the exit; presented at the target with InstructionLength 0.
//!   (Finding it would take a second `KVM_RUN` to fetch the fragment
//!   holding the return address before presenting the exit.)
//! * MOVBE stores to MMIO: KVM's own emulator injects #UD into the guest
//!   on this kernel (PVM), before user space hears of it. (MOVD/MOVQ and
//!   VEX moves, which KVM cannot emulate either, end `KVM_RUN` with an
//!   emulation failure instead, with nothing done: `emulation_failure`
//!   presents them as MemoryAccess exits, exactly-once like the rest.)
//! * A concurrent writer: the neutralised store of a
//!   [`Completion::ReadToMemory`] writes back what guest memory held just
//!   before; another VP writing those bytes between the read and KVM's
//!   store loses its write.

use kvm_bindings::{
    KVM_EXIT_DEBUG, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_HLT, KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_INTR,
    KVM_EXIT_IO, KVM_EXIT_IO_IN, KVM_EXIT_IRQ_WINDOW_OPEN, KVM_EXIT_MMIO, KVM_EXIT_SHUTDOWN,
    KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR, KVM_SYNC_X86_EVENTS, KVM_SYNC_X86_REGS, kvm_regs,
    kvm_sregs,
};

use crate::cancel::{self, CancelState};
use crate::decode::gpr;
use crate::error::{Error, Result};
use crate::vcpu::{RunArea, Vcpu};

/// The most `KVM_RUN`s one flush makes (an instruction's accesses: two
/// fragments each for a read and a write crossing a page).
const FLUSH_ROUNDS: usize = 8;

/// What KVM will complete on the next `KVM_RUN`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Completion {
    /// Nothing pending.
    #[default]
    None,
    /// A port or MMIO read of `size` bytes by the instruction at `rip`
    /// (`len` bytes long). `dest` is the destination general register and
    /// its bit offset for a plain load. `split`: the exit is the first part
    /// of an access KVM splits in two ([`first_fragment`]). `fpu`: KVM's
    /// completion may write an FPU/SSE register (an SSE load, or an
    /// instruction not known).
    Read {
        rip: u64,
        len: u8,
        size: u8,
        mmio: bool,
        dest: Option<(usize, u32)>,
        split: bool,
        fpu: bool,
        /// The registers at the exit (before the instruction), for an MMIO
        /// read that is neither a plain load nor a string instruction:
        /// KVM's completion runs with them, so it does what the
        /// instruction did — a CALL [mmio] pushes its return address
        /// where the VMM's emulator pushed it, a LEAVE pops through the
        /// RBP it had — not something new from the VMM's registers.
        regs: Option<kvm_regs>,
    },
    /// An RDMSR (`read`) or WRMSR: KVM will write EDX:EAX from `kvm_run`
    /// and skip the instruction.
    Msr { read: bool },
    /// Something KVM completes that only a flush can undo (a write exit that
    /// did not retire: KVM would skip the instruction; the first part of a
    /// write KVM splits in two).
    Flush,
    /// A read whose destination is guest memory — MOVS from MMIO (`mmio`)
    /// or INS —: KVM's completion stores the elements it holds in
    /// `kvm_run` at linear address `dest` (ES:RDI at the exit) and, with
    /// `down` (DF set), each next one an element lower. The flush first
    /// fills that data with what the memory holds by then, so the stores
    /// change nothing (the VMM's emulator has done the real ones, or the
    /// instruction runs again), and lets KVM complete exactly the elements
    /// it holds from `rdi`, the exit's RDI. Made by [`Completion::read_to_memory`].
    ReadToMemory {
        mmio: bool,
        dest: u64,
        rdi: u64,
        down: bool,
        /// The registers at the exit, which the flush completes with
        /// (RCX and RDI as above): a PUSH [mmio] then stores at the slot
        /// the instruction pushed to.
        regs: kvm_regs,
    },
}

impl Completion {
    /// The completion of a read exit whose instruction `i` stores the data
    /// in memory (MOVS, INS; see [`Completion::ReadToMemory`]), or `None`
    /// for any other instruction. `regs` and `sregs` are the registers at
    /// the exit.
    pub(crate) fn read_to_memory(
        i: &iced_x86::Instruction,
        regs: &kvm_regs,
        sregs: &kvm_sregs,
        mmio: bool,
    ) -> Option<Completion> {
        const DF: u64 = 1 << 10;
        let dest = crate::decode::string_store_target(i, regs, sregs)?;
        Some(Completion::ReadToMemory {
            mmio,
            dest,
            rdi: regs.rdi,
            down: regs.rflags & DF != 0,
            regs: *regs,
        })
    }
}

/// Reads guest memory at a linear address with the VP's paging registers
/// (`regs`, `sregs` as KVM's sync area holds them); false when the bytes
/// cannot all be read.
pub(crate) type GuestReader<'a> = &'a dyn Fn(&kvm_regs, &kvm_sregs, u64, &mut [u8]) -> bool;

/// A KVM exit, copied out of `kvm_run`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KvmExit {
    /// The run was canceled (WHvCancelRunVirtualProcessor).
    Canceled,
    /// A port read: `count` elements of `size` bytes.
    IoIn { port: u16, size: u8, count: u32 },
    /// A port write: `count` elements of `size` bytes, the first is `data`.
    IoOut {
        port: u16,
        size: u8,
        count: u32,
        data: u32,
    },
    /// An MMIO read of `size` bytes.
    MmioRead { gpa: u64, size: u8 },
    /// An MMIO write of `size` bytes of `data`.
    MmioWrite { gpa: u64, size: u8, data: u64 },
    /// HLT with no interrupt pending (no in-kernel LAPIC).
    Hlt,
    /// Triple fault.
    Shutdown,
    /// The hardware refused to enter the guest.
    FailEntry,
    /// `KVM_RUN` answered `EINVAL`: the VP state is invalid.
    InvalidState,
    /// KVM's emulator or the exit handling failed.
    InternalError,
    /// KVM's emulator could not perform the instruction at RIP, which did
    /// not execute (`KVM_INTERNAL_ERROR_EMULATION`).
    EmulationFailure,
    /// A debug exception (#DB, #BP) under `KVM_SET_GUEST_DEBUG`.
    Debug { exception: u32 },
    /// The guest can take an interrupt (`request_interrupt_window`).
    InterruptWindow,
    /// The guest can take an NMI (found by the run loop: KVM has no NMI
    /// window exit).
    NmiWindow,
    /// An interrupt was requested of the VP (without LAPIC emulation,
    /// `interrupts/no_apic`): the run loop injects it and runs again; never
    /// reported.
    Requested,
    /// RDMSR of `index` (user-space MSR exit for `reason`,
    /// `KVM_MSR_EXIT_REASON_*`).
    RdMsr { index: u32, reason: u32 },
    /// WRMSR of `index` with `data`.
    WrMsr { index: u32, reason: u32 },
    /// The host side of guest memory was inaccessible (`EFAULT`), at `gpa`
    /// when KVM said so.
    MemoryFault { gpa: Option<u64> },
    /// `KVM_RUN` answered `ENOSPC`: PVM's answer for a VM with no memory
    /// slot at all (the first instruction fetch has nowhere to go).
    NoMemory,
    /// Any other KVM exit reason.
    Other { reason: u32 },
}

/// Runs the VP until an exit worth reporting; `completion` is the pending
/// completion of the previous exit, consumed here. `read` gives access to
/// guest memory by linear address for a [`Completion::ReadToMemory`].
pub(crate) fn run(
    vcpu: &mut Vcpu,
    cancel: &CancelState,
    completion: &mut Completion,
    requested: &crate::interrupts::Requested,
    read: GuestReader<'_>,
) -> Result<KvmExit> {
    // Whatever the thread blocks, a kick must end KVM_RUN (cancel.rs).
    cancel::arm_kick(vcpu, false)?;
    let pending = std::mem::take(completion);
    // True when KVM still has the completion to do on its next KVM_RUN.
    let mut kvm_pending = prepare_completion(vcpu, cancel, pending, read)?;
    loop {
        if cancel.enter() {
            cancel.leave();
            if kvm_pending {
                // Not run: the next run prepares the completion again (with
                // the registers the VMM has then).
                *completion = pending;
            }
            return Ok(KvmExit::Canceled);
        }
        if requested.any() {
            // After `running` is published: a request made later kicks.
            cancel.leave();
            if kvm_pending {
                *completion = pending;
            }
            return Ok(KvmExit::Requested);
        }
        kvm_pending = false;
        let result = vcpu.run();
        cancel.leave();
        match result {
            Ok(()) => match exit_of(vcpu.area()) {
                Some(exit) => return Ok(exit),
                // The rest of a multi-part exit (an exit kind KVM expects
                // us to finish silently): complete it.
                None => continue,
            },
            Err(libc::EINTR | libc::EAGAIN) => {
                // A kick the thread blocks is still pending.
                cancel::drain_kicks();
                if cancel.consume() {
                    return Ok(KvmExit::Canceled);
                }
                // Not a cancel: a signal of the program's, maybe one its
                // thread has blocked since KVM's mask was made.
                cancel::arm_kick(vcpu, true)?;
            }
            Err(libc::EFAULT | libc::EHWPOISON) => {
                let gpa = vcpu.area().memory_fault().map(|f| f.gpa);
                return Ok(KvmExit::MemoryFault { gpa });
            }
            Err(libc::EINVAL) => return Ok(KvmExit::InvalidState),
            // KVM on PVM refuses to run a VM without any memory slot.
            Err(libc::ENOSPC) => return Ok(KvmExit::NoMemory),
            Err(errno) => return Err(Error::from_errno("KVM_RUN", errno)),
        }
    }
}

/// The exit `KVM_RUN` just returned, copied out of `kvm_run`; `None` for
/// exits handled silently (`KVM_EXIT_INTR`).
fn exit_of(area: &mut RunArea) -> Option<KvmExit> {
    Some(match area.exit_reason() {
        KVM_EXIT_IO => {
            let io = area.io()?;
            if u32::from(io.direction) == KVM_EXIT_IO_IN {
                KvmExit::IoIn {
                    port: io.port,
                    size: io.size,
                    count: io.count,
                }
            } else {
                let mut first = [0u8; 4];
                let data = area.io_data_mut().unwrap_or_default();
                let n = data.len().min(usize::from(io.size)).min(4);
                first[..n].copy_from_slice(&data[..n]);
                KvmExit::IoOut {
                    port: io.port,
                    size: io.size,
                    count: io.count,
                    data: u32::from_le_bytes(first),
                }
            }
        }
        KVM_EXIT_MMIO => {
            let m = area.mmio_mut()?;
            let n = (m.len as usize).min(m.data.len());
            if m.is_write != 0 {
                let mut v = [0u8; 8];
                v[..n].copy_from_slice(&m.data[..n]);
                KvmExit::MmioWrite {
                    gpa: m.phys_addr,
                    size: n as u8,
                    data: u64::from_le_bytes(v),
                }
            } else {
                KvmExit::MmioRead {
                    gpa: m.phys_addr,
                    size: n as u8,
                }
            }
        }
        KVM_EXIT_HLT => KvmExit::Hlt,
        KVM_EXIT_SHUTDOWN => KvmExit::Shutdown,
        KVM_EXIT_FAIL_ENTRY => KvmExit::FailEntry,
        KVM_EXIT_INTERNAL_ERROR if crate::emulation_failure::is_emulation_failure(area) => {
            KvmExit::EmulationFailure
        }
        KVM_EXIT_INTERNAL_ERROR => KvmExit::InternalError,
        KVM_EXIT_DEBUG => KvmExit::Debug {
            exception: area.debug()?.exception,
        },
        KVM_EXIT_IRQ_WINDOW_OPEN => KvmExit::InterruptWindow,
        KVM_EXIT_X86_RDMSR | KVM_EXIT_X86_WRMSR => {
            let read = area.exit_reason() == KVM_EXIT_X86_RDMSR;
            let m = area.msr_mut()?;
            let (index, reason) = (m.index, m.reason);
            if read {
                KvmExit::RdMsr { index, reason }
            } else {
                KvmExit::WrMsr { index, reason }
            }
        }
        KVM_EXIT_INTR => return None,
        reason => KvmExit::Other { reason },
    })
}

/// Reconciles KVM's pending completion with the VMM's registers (see the
/// module documentation). Registers are read from kvm_run's sync area,
/// which the register cache has already brought up to date.
fn prepare_completion(
    vcpu: &mut Vcpu,
    cancel: &CancelState,
    completion: Completion,
    read: GuestReader<'_>,
) -> Result<bool> {
    if let Completion::None = completion {
        // The usual case after a retired write or a HLT: nothing to read.
        return Ok(false);
    }
    if let Completion::ReadToMemory {
        mmio,
        dest,
        rdi,
        down,
        regs,
    } = completion
    {
        let count = neutralize_store(vcpu, mmio, dest, down, read);
        let replay = Replay {
            rcx: Some(count),
            rdi: Some(rdi),
            regs: Some(regs),
        };
        // An MMIO element that crosses a page comes in two reads: the
        // second, during the flush, is filled from memory as well.
        let refill = (mmio && !down).then_some(Refill { dest, read });
        return flush_with(vcpu, cancel, false, Some(replay), refill).map(|()| false);
    }
    // kvm_regs only (sync_regs() would copy the whole 2 KiB sync area).
    let regs = vcpu.sync().regs;
    // A read into an XMM register: KVM's completion writes the XMM
    // register, which the flush must restore.
    let xmm = matches!(completion, Completion::Read { fpu: true, .. });
    // An MMIO read that is not a plain load (a REP LODS/SCAS/CMPS among
    // them) completes as a last iteration: with the VMM's RCX = 0, KVM's
    // emulator would restart it on the next entry and deliver a bogus
    // exception.
    let replay = match completion {
        Completion::Read {
            mmio: true,
            dest: None,
            regs: Some(regs),
            ..
        } => Some(Replay {
            rcx: None,
            rdi: None,
            regs: Some(regs),
        }),
        Completion::Read {
            mmio: true,
            dest: None,
            ..
        } => Some(Replay::LAST),
        _ => None,
    };
    if let Completion::Read { split: true, .. } = completion {
        // The first part of an access KVM splits in two: KVM has the
        // second part to do, whatever the VMM did.
        return flush(vcpu, cancel, xmm, replay).map(|()| false);
    }
    match completion {
        Completion::None => Ok(false),
        Completion::Read {
            rip,
            len,
            size,
            mmio,
            dest: Some((index, shift)),
            ..
        } if regs.rip == rip.wrapping_add(u64::from(len)) => {
            let value = gpr(&regs, index) >> shift;
            let bytes = value.to_le_bytes();
            let n = usize::from(size).min(8);
            let area = vcpu.area();
            if mmio {
                if let Some(m) = area.mmio_mut() {
                    m.data[..n].copy_from_slice(&bytes[..n]);
                }
            } else if let Some(data) = area.io_data_mut() {
                // The first element: the one a plain IN loads.
                let n = n.min(data.len());
                data[..n].copy_from_slice(&bytes[..n]);
            }
            Ok(true)
        }
        Completion::Read { .. }
        | Completion::Msr { .. }
        | Completion::Flush
        | Completion::ReadToMemory { .. } => {
            if let (Completion::Msr { read }, Some(msr)) = (completion, vcpu.area().msr_mut()) {
                msr.error = 0;
                if read {
                    msr.data = (regs.rdx << 32) | (regs.rax & 0xffff_ffff);
                }
            }
            flush(vcpu, cancel, xmm, replay).map(|()| false)
        }
    }
}

/// Fills the data KVM is about to store from linear address `dest` on
/// (downwards, element by element, when `down`) with the memory's current
/// contents, read through `read`; leaves it when the memory cannot be
/// read. Returns the number of elements KVM holds (1 for MMIO, the I/O
/// exit's count).
///
/// KVM stores the elements in the order they were read: with DF clear all
/// at once from `dest` up, with DF set one per iteration at `dest`,
/// `dest - size`, … (measured: `tests/differential_kvm.rs`).
fn neutralize_store(
    vcpu: &mut Vcpu,
    mmio: bool,
    dest: u64,
    down: bool,
    read: GuestReader<'_>,
) -> u64 {
    let sync = vcpu.sync();
    let (regs, sregs) = (sync.regs, sync.sregs);
    let area = vcpu.area();
    // The exit path made this completion for an MMIO read or an IN: the
    // matching member is live (or, were it not, there is nothing to fill).
    let (size, count) = if mmio {
        match area.mmio_mut() {
            Some(m) => ((m.len as usize).min(m.data.len()), 1),
            None => return 1,
        }
    } else {
        match area.io() {
            Some(io) => (usize::from(io.size), io.count as usize),
            None => return 1,
        }
    };
    let mut buf = [0u8; STORE_MAX];
    let n = size * count;
    if size == 0 || n > buf.len() {
        return count as u64;
    }
    let low = if down {
        dest.wrapping_sub(((count - 1) * size) as u64)
    } else {
        dest
    };
    if !read(&regs, &sregs, low, &mut buf[..n]) {
        return count as u64;
    }
    if down {
        // Element k (the k-th read) goes to dest - k * size.
        let mut ordered = [0u8; STORE_MAX];
        for k in 0..count {
            let from = (count - 1 - k) * size;
            ordered[k * size..(k + 1) * size].copy_from_slice(&buf[from..from + size]);
        }
        buf = ordered;
    }
    if mmio {
        if let Some(m) = area.mmio_mut() {
            m.data[..n].copy_from_slice(&buf[..n]);
        }
    } else if let Some(data) = area.io_data_mut().filter(|d| d.len() == n) {
        data.copy_from_slice(&buf[..n]);
    }
    count as u64
}

/// The most bytes of string input KVM holds for one exit (its PIO
/// read-ahead buffer is 1 KiB; a page is the most it could ever hold).
const STORE_MAX: usize = 4096;

/// Whether an MMIO exit of `size` bytes at `gpa` is the first of two parts
/// of one access, which KVM makes for an operand that crosses a page (one
/// exit per page) and for a 16-byte SSE access (two 8-byte exits): KVM
/// then does the second part on the next `KVM_RUN`, whatever the VMM did.
///
/// `operand` is the instruction's operand (linear address, bytes) when
/// the instruction is known: exactly then. Otherwise a guess that may
/// flush needlessly (one `KVM_RUN` that returns at once), never too
/// little: an exit that ends at a page end, or an 8-byte one that is not
/// a plain load (`plain_load`).
pub(crate) fn first_fragment(
    gpa: u64,
    size: u8,
    operand: Option<(u64, usize)>,
    plain_load: bool,
) -> bool {
    match operand {
        Some((gva, bytes)) if bytes > 0 => usize::from(size) < bytes && gva & 0xfff == gpa & 0xfff,
        _ => (gpa & 0xfff) + u64::from(size) == 0x1000 || (size == 8 && !plain_load),
    }
}

/// Registers a flush sets for KVM's completion of a string read.
#[derive(Debug, Clone, Copy)]
struct Replay {
    /// RCX: the iterations KVM still holds. With the VMM's RCX (0 once
    /// its emulator did them all) KVM's emulator would skip the
    /// instruction without consuming its data and exit again for it.
    rcx: Option<u64>,
    /// RDI: where KVM's next iteration stores (the first uses the address
    /// it decoded at the exit, the following ones RDI).
    rdi: Option<u64>,
    /// All general registers, RIP and RFLAGS (before RCX and RDI are
    /// applied): the exit's.
    regs: Option<kvm_regs>,
}

impl Replay {
    /// One last iteration.
    const LAST: Replay = Replay {
        rcx: Some(1),
        rdi: None,
        regs: None,
    };
}

/// Lets KVM finish its pending completion without running the guest, then
/// restores the general registers, RIP and RFLAGS the VMM had set (a
/// completion of a load or an MSR access touches nothing else).
///
/// With `xmm`, the FPU/SSE state is kept too (KVM_GET_FPU before,
/// KVM_SET_FPU after): a completed SSE load writes an XMM register. With
/// `replay`, KVM completes a string read with those registers.
fn flush(vcpu: &mut Vcpu, cancel: &CancelState, xmm: bool, replay: Option<Replay>) -> Result<()> {
    flush_with(vcpu, cancel, xmm, replay, None)
}

/// Where the data of further MMIO reads during a flush comes from: guest
/// memory at `dest` on, past the first read's bytes (the rest of an
/// element [`neutralize_store`] filled), so KVM stores what is there.
struct Refill<'a> {
    dest: u64,
    read: GuestReader<'a>,
}

/// [`flush`], filling further MMIO reads from `refill`.
fn flush_with(
    vcpu: &mut Vcpu,
    cancel: &CancelState,
    xmm: bool,
    replay: Option<Replay>,
    refill: Option<Refill<'_>>,
) -> Result<()> {
    // The first read's bytes (a ReadToMemory of an MMIO read: the last
    // exit was KVM_EXIT_MMIO).
    let mut consumed = match refill {
        Some(_) => vcpu.area().mmio_mut().map_or(0, |m| u64::from(m.len)),
        None => 0,
    };
    let saved = vcpu.sync().regs;
    // The VMM's event state wins over KVM's completion, which drops an
    // event the VMM injected (an emulator's fault, with RIP left at the
    // instruction) and may queue one of its own (its emulator faulting on
    // registers the VMM changed): put back in the sync area, which KVM
    // loads at the next entry (no ioctl).
    let events = vcpu.sync().events;
    if let Some(r) = replay {
        let regs = &mut vcpu.sync().regs;
        if let Some(all) = r.regs {
            *regs = all;
        }
        if let Some(rcx) = r.rcx {
            regs.rcx = rcx;
        }
        if let Some(rdi) = r.rdi {
            regs.rdi = rdi;
        }
        vcpu.mark_dirty(KVM_SYNC_X86_REGS);
    }
    let fpu = if xmm {
        Some(
            vcpu.fd()
                .get_fpu()
                .map_err(|e| Error::from_errno("KVM_GET_FPU", e.errno()))?,
        )
    } else {
        None
    };
    cancel.set_immediate_exit();
    // A completion can need more user-space round trips without running
    // the guest: the second fragment of an access that crosses a page, the
    // write half of a read-modify-write. Each is answered (the registers
    // are restored below; a write is dropped: the VMM did it) until KVM
    // has nothing left and answers EINTR.
    let mut result = Ok(());
    for _ in 0..FLUSH_ROUNDS {
        match vcpu.run() {
            Ok(()) if vcpu.area().exit_reason() == KVM_EXIT_MMIO => {
                if let Some(r) = refill.as_ref() {
                    let sync = vcpu.sync();
                    let (regs, sregs) = (sync.regs, sync.sregs);
                    if let Some(m) = vcpu.area().mmio_mut() {
                        let n = (m.len as usize).min(m.data.len());
                        let mut buf = [0u8; 8];
                        if m.is_write == 0
                            && (r.read)(&regs, &sregs, r.dest.wrapping_add(consumed), &mut buf[..n])
                        {
                            m.data[..n].copy_from_slice(&buf[..n]);
                        }
                        if m.is_write == 0 {
                            consumed += n as u64;
                        }
                    }
                }
                continue;
            }
            Ok(()) if vcpu.area().exit_reason() == KVM_EXIT_IO => continue,
            Ok(()) => break,
            Err(libc::EINTR) => break,
            Err(errno) => {
                result = Err(errno);
                break;
            }
        }
    }
    cancel.clear_immediate_exit();
    if let Err(errno) = result {
        return Err(Error::from_errno(
            "KVM_RUN (completing the previous exit)",
            errno,
        ));
    }
    vcpu.sync().regs = saved;
    vcpu.sync().events = events;
    vcpu.mark_dirty(KVM_SYNC_X86_REGS | KVM_SYNC_X86_EVENTS);
    if let Some(fpu) = fpu {
        vcpu.fd()
            .set_fpu(&fpu)
            .map_err(|e| Error::from_errno("KVM_SET_FPU", e.errno()))?;
    }
    Ok(())
}

/// Reads `buf.len()` bytes of guest memory at linear address `gva`, page by
/// page through the VP's page tables (`regs`, `sregs`, and `facts` from its
/// CPUID); false when any byte does not translate or is not mapped.
pub(crate) fn read_linear(
    map: &crate::memory::GpaMap,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    facts: crate::cpuid_facts::PagingFacts,
    gva: u64,
    buf: &mut [u8],
) -> bool {
    let mut done = 0;
    while done < buf.len() {
        let at = gva.wrapping_add(done as u64);
        let n = (buf.len() - done).min((0x1000 - (at & 0xfff)) as usize);
        let Ok(t) = crate::translate::translate(
            map,
            regs,
            sregs,
            facts,
            at,
            winhv_paging::TranslateFlags::PRIVILEGE_EXEMPT,
        ) else {
            return false;
        };
        if map.read(t.gpa, &mut buf[done..done + n]).is_err() {
            return false;
        }
        done += n;
    }
    true
}
