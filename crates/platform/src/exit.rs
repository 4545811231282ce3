//! Translating a KVM exit into the `WHV_RUN_VP_EXIT_CONTEXT` Windows fills:
//! the VP context every exit carries and each reason's payload.
//!
//! I/O-port and MMIO exits are presented as Windows intercepts them, before
//! the instruction: RIP at its first byte, its length and bytes, the
//! registers as they were before it. KVM reports reads before they retire
//! (RIP already right; [`Completion`] tells the next run how to reconcile
//! KVM's completion with the VMM), and — on kernels where the start-up probe
//! saw it — writes after they retired: the instruction is found by
//! [`decode::undo_retired`], and RIP and the registers it changed (RCX,
//! RSI, RDI of a string instruction, RSP of a PUSH or POP) are put back as
//! they were before it in kvm_run's sync area, so the VMM's own RIP advance
//! is the only one. A read whose destination is memory (INS, MOVS from
//! MMIO) gets [`Completion::ReadToMemory`], so KVM's completion stores
//! nothing the VMM did not.
//!
//! An instruction KVM's emulator cannot perform on MMIO (MOVD/MOVQ, VEX
//! moves) ends the run with an emulation failure before it executed; when
//! its memory operand is not RAM it is presented as a MemoryAccess exit too
//! (`emulation_failure`), with nothing pending.
//!
//! An instruction that cannot be fetched because its GPA is not mapped
//! (KVM's emulator fails to fetch it; PVM refuses `KVM_RUN` with `ENOSPC`
//! when nothing at all is mapped) is presented as Windows does: a
//! MemoryAccess exit, AccessType Execute, RIP at the code, the fetch's GPA
//! and GVA, InstructionLength 0 ([`fetch_access`]).
//!
//! Everything here reads kvm_run's synced registers: no ioctl, no
//! allocation, no lock but the GPA map's read lock for instruction bytes.
//! The code around RIP is read once per exit ([`Code`]: the bytes before
//! RIP for a retired write and the instruction bytes, from one window)
//! through the VP's remembered page walks (`translate::code`), with a
//! fault-tolerant direct copy: no system call in the usual case.

use kvm_bindings::{KVM_SYNC_X86_REGS, kvm_regs, kvm_sregs, kvm_sync_regs, kvm_vcpu_events};
use winhv_defs::*;

use crate::decode::{self, Access};
use crate::error::{Error, Result};
use crate::kvm::KvmCaps;
use crate::memory::GpaMap;
use crate::registers::{RegisterState, segment_from_kvm};
use crate::run::{Completion, KvmExit, first_fragment};
use crate::translate::{CodeCache, code_address, cpl, read_code};
use crate::vcpu::Vcpu;

const CR0_PE: u64 = 1;
const CR0_AM: u64 = 1 << 18;
const EFER_LMA: u64 = 1 << 10;

/// The VP context of every exit, from the synced registers.
fn vp_context(regs: &kvm_regs, sregs: &kvm_sregs, events: &kvm_vcpu_events) -> WHV_VP_EXIT_CONTEXT {
    let mut state = WHV_X64_VP_EXECUTION_STATE::default();
    state.set_cpl(u16::from(cpl(sregs)));
    state.set_cr0_pe(u16::from(sregs.cr0 & CR0_PE != 0));
    state.set_cr0_am(u16::from(sregs.cr0 & CR0_AM != 0));
    state.set_efer_lma(u16::from(sregs.efer & EFER_LMA != 0));
    let pending = events.exception.injected != 0
        || events.interrupt.injected != 0
        || events.nmi.injected != 0;
    state.set_interruption_pending(u16::from(pending));
    state.set_interrupt_shadow(u16::from(events.interrupt.shadow != 0));
    let mut ctx = WHV_VP_EXIT_CONTEXT {
        ExecutionState: state,
        Cs: segment_from_kvm(&sregs.cs),
        Rip: regs.rip,
        Rflags: regs.rflags,
        ..Default::default()
    };
    ctx.set_cr8((sregs.cr8 & 0xf) as u8);
    ctx
}

/// Bytes read before CS:RIP for finding a retired instruction.
const BEFORE: usize = 15;
/// Instruction bytes reported at CS:RIP.
const AT: usize = 16;

/// The guest code around CS:RIP, read once per exit: [`BEFORE`] bytes
/// before it when a retired instruction must be found, and [`AT`] bytes
/// at it. Bytes outside `lo..hi` could not be read.
struct Code {
    /// Linear address of `buf[0]`.
    start: u64,
    buf: [u8; BEFORE + AT],
    len: usize,
    lo: usize,
    hi: usize,
}

impl Code {
    fn read(inputs: &mut ExitInputs<'_>, regs: &kvm_regs, sregs: &kvm_sregs, before: bool) -> Self {
        let lin = code_address(sregs, regs.rip);
        let back = if before { BEFORE } else { 0 };
        let start = lin.wrapping_sub(back as u64);
        let mut buf = [0u8; BEFORE + AT];
        let len = back + AT;
        let (lo, hi) = read_code(inputs.map, inputs.code, regs, sregs, start, &mut buf[..len]);
        Self {
            start,
            buf,
            len,
            lo,
            hi,
        }
    }

    /// Up to 16 bytes at linear address `lin` and how many could be read
    /// (up to the first byte that cannot), or `None` when they are not all
    /// inside this window.
    fn at(&self, lin: u64) -> Option<([u8; 16], u8)> {
        let o = lin.wrapping_sub(self.start);
        if o > (self.len - AT) as u64 {
            return None;
        }
        let o = o as usize;
        let n = if self.lo <= o && o < self.hi {
            (self.hi - o).min(AT)
        } else {
            0
        };
        let mut bytes = [0u8; 16];
        bytes[..n].copy_from_slice(&self.buf[o..o + n]);
        Some((bytes, n as u8))
    }

    /// The up to 15 bytes that end at the window's RIP (right-aligned in
    /// the result) and how many could be read: those in RIP's page, and
    /// the previous page's only if all of them can be read. The window
    /// must have been read with `before`.
    fn before(&self) -> ([u8; 15], usize) {
        let mut out = [0u8; 15];
        if self.len < BEFORE + AT {
            return (out, 0);
        }
        let lin = self.start.wrapping_add(BEFORE as u64);
        let in_page = ((lin & 0xfff) as usize).min(BEFORE);
        let readable = |a: usize, b: usize| a >= b || (self.lo <= a && b <= self.hi);
        let split = BEFORE - in_page;
        if !readable(split, BEFORE) {
            return (out, 0);
        }
        out[split..].copy_from_slice(&self.buf[split..BEFORE]);
        if split > 0 && readable(0, split) {
            out[..split].copy_from_slice(&self.buf[..split]);
            return (out, BEFORE);
        }
        (out, in_page)
    }
}

/// Up to 16 instruction bytes at CS:`regs.rip`, and how many could be
/// read: from `code` when it holds them, else read afresh.
fn instruction_bytes(
    inputs: &mut ExitInputs<'_>,
    code: Option<&Code>,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
) -> ([u8; 16], u8) {
    let lin = code_address(sregs, regs.rip);
    if let Some(r) = code.and_then(|c| c.at(lin)) {
        return r;
    }
    let c = Code::read(inputs, regs, sregs, false);
    c.at(lin).unwrap_or(([0; 16], 0))
}

/// What the exit path needs besides the VP's KVM objects.
pub(crate) struct ExitInputs<'a> {
    pub(crate) map: &'a GpaMap,
    pub(crate) caps: &'a KvmCaps,
    /// The VP's remembered code-page walks.
    pub(crate) code: &'a mut CodeCache,
    /// The VP's last instruction found behind a retired write.
    pub(crate) retired: &'a mut decode::RetiredCache,
}

/// Fills `ctx` as a `WHvRunVpExitReasonSynicSintDeliverable` exit for
/// `sints` (`crate::synic`), with the VP's registers as they are now.
pub(crate) fn sint_deliverable(vcpu: &mut Vcpu, sints: u16, ctx: &mut WHV_RUN_VP_EXIT_CONTEXT) {
    let sync = vcpu.sync();
    *ctx = WHV_RUN_VP_EXIT_CONTEXT::default();
    ctx.ExitReason = WHvRunVpExitReasonSynicSintDeliverable;
    ctx.Anonymous.SynicSintDeliverable = WHV_SYNIC_SINT_DELIVERABLE_CONTEXT {
        DeliverableSints: sints,
        ..Default::default()
    };
    ctx.VpContext = vp_context(&sync.regs, &sync.sregs, &sync.events);
}

/// Fills `ctx` as a `WHvRunVpExitReasonHypercall` exit with payload `hc`
/// (`crate::synic`), RIP at the call (as the VP's registers are now).
pub(crate) fn hypercall(
    vcpu: &mut Vcpu,
    hc: &WHV_HYPERCALL_CONTEXT,
    ctx: &mut WHV_RUN_VP_EXIT_CONTEXT,
) {
    let sync = vcpu.sync();
    *ctx = WHV_RUN_VP_EXIT_CONTEXT::default();
    ctx.ExitReason = WHvRunVpExitReasonHypercall;
    ctx.Anonymous.Hypercall = *hc;
    ctx.VpContext = vp_context(&sync.regs, &sync.sregs, &sync.events);
    ctx.VpContext
        .set_instruction_length(crate::synic::HYPERCALL_LENGTH);
}

/// Fills `ctx` for `exit`; may move RIP back to a retired instruction and
/// records in `completion` what the next run must reconcile. On an error
/// `ctx` is left as it was.
pub(crate) fn translate_exit(
    vcpu: &mut Vcpu,
    regstate: &mut RegisterState,
    inputs: ExitInputs<'_>,
    exit: KvmExit,
    completion: &mut Completion,
    ctx: &mut WHV_RUN_VP_EXIT_CONTEXT,
) -> Result<()> {
    *completion = Completion::None;
    // Windows reports a notification once and clears its bit (with an
    // interrupt's, its priority).
    let v = regstate.deliverability_notifications();
    match exit {
        KvmExit::InterruptWindow => {
            regstate.set_deliverability_notifications(v & !0x3e);
            vcpu.area().set_request_interrupt_window(false);
        }
        KvmExit::NmiWindow => regstate.set_deliverability_notifications(v & !1),
        _ => {}
    }
    // The registers are read in place in kvm_run's sync area (no copy);
    // an undone retired write changes them there.
    let moved = translate_in_place(vcpu.sync(), inputs, exit, completion, ctx)?;
    if moved {
        vcpu.mark_dirty(KVM_SYNC_X86_REGS);
    }
    Ok(())
}

/// [`translate_exit`] on the sync area; true when it changed the general
/// registers (a retired write undone), which KVM must then load.
fn translate_in_place(
    sync: &mut kvm_sync_regs,
    mut inputs: ExitInputs<'_>,
    exit: KvmExit,
    completion: &mut Completion,
    ctx: &mut WHV_RUN_VP_EXIT_CONTEXT,
) -> Result<bool> {
    let sregs = &sync.sregs;
    let events = &sync.events;
    let mut regs = &sync.regs;
    let mut moved = false;
    // The context starts zeroed; the exits that can still fail zero it
    // once they cannot (so that an error leaves it as it was).
    if !matches!(
        exit,
        KvmExit::MemoryFault { .. }
            | KvmExit::NoMemory
            | KvmExit::Other { .. }
            | KvmExit::Requested
    ) {
        *ctx = WHV_RUN_VP_EXIT_CONTEXT::default();
    }
    match exit {
        KvmExit::Canceled => {
            ctx.ExitReason = WHvRunVpExitReasonCanceled;
            ctx.Anonymous.CancelReason = WHV_RUN_VP_CANCELED_CONTEXT {
                CancelReason: WHvRunVpCancelReasonUser,
            };
        }
        KvmExit::IoIn { port, size, count } => {
            let (bytes, n) = instruction_bytes(&mut inputs, None, regs, sregs);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(regs, sregs),
                regs.rip,
            );
            let len = insn.map_or(0, |i| i.len() as u8);
            let (string, rep) = insn.map_or((count > 1, false), |i| {
                (i.is_string_instruction(), i.has_rep_prefix())
            });
            *completion = Completion::Read {
                rip: regs.rip,
                len,
                size,
                mmio: false,
                dest: insn
                    .filter(|_| !string)
                    .and_then(|i| decode::load_destination(&i)),
                split: false,
                fpu: false,
                regs: None,
            };
            if let Some(c) = insn.and_then(|i| Completion::read_to_memory(&i, regs, sregs, false)) {
                *completion = c;
            }
            ctx.ExitReason = WHvRunVpExitReasonX64IoPortAccess;
            ctx.Anonymous.IoPortAccess =
                io_context(regs, sregs, port, size, false, string, rep, bytes, n);
            ctx.VpContext = vp_context(regs, sregs, events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(moved);
        }
        KvmExit::IoOut {
            port,
            size,
            data,
            count,
        } => {
            let mut len = 0;
            let mut string = count > 1;
            let mut rep = false;
            let mut code = None;
            if inputs.caps.pio_out_retired {
                let c = code.insert(Code::read(&mut inputs, regs, sregs, true));
                let (before, avail) = c.before();
                let access = Access::PortOut { port, size, data };
                let (at, n) = instruction_bytes(&mut inputs, code.as_ref(), regs, sregs);
                let (before, at) = (&before[15 - avail..], &at[..usize::from(n)]);
                if let Some(h) = inputs
                    .retired
                    .fast_match(before, at, regs, sregs, access, None)
                {
                    // A plain OUT: only RIP moves back.
                    len = h.len;
                    string = false;
                    rep = h.rep;
                    sync.regs.rip = regs.rip.wrapping_sub(u64::from(len));
                    regs = &sync.regs;
                    moved = true;
                } else if let Some(r) =
                    decode::undo_retired(inputs.retired, before, at, regs, sregs, access, None)
                {
                    len = r.len as u8;
                    string = r.insn.is_string_instruction();
                    rep = r.insn.has_rep_prefix();
                    sync.regs = r.regs;
                    regs = &sync.regs;
                    moved = true;
                }
            } else {
                *completion = Completion::Flush;
            }
            let (bytes, n) = instruction_bytes(&mut inputs, code.as_ref(), regs, sregs);
            if len == 0 {
                if let Some(i) = decode::decode(
                    &bytes[..usize::from(n)],
                    decode::bitness(regs, sregs),
                    regs.rip,
                ) {
                    if !inputs.caps.pio_out_retired {
                        len = i.len() as u8;
                        string = i.is_string_instruction();
                        rep = i.has_rep_prefix();
                    }
                }
            }
            ctx.ExitReason = WHvRunVpExitReasonX64IoPortAccess;
            ctx.Anonymous.IoPortAccess =
                io_context(regs, sregs, port, size, true, string, rep, bytes, n);
            ctx.VpContext = vp_context(regs, sregs, events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(moved);
        }
        KvmExit::MmioRead { gpa, size } => {
            let (bytes, n) = instruction_bytes(&mut inputs, None, regs, sregs);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(regs, sregs),
                regs.rip,
            );
            let len = insn.map_or(0, |i| i.len() as u8);
            let gva = insn.and_then(|i| decode::read_address(&i, regs, sregs));
            let dest = insn.and_then(|i| decode::load_destination(&i));
            let operand = insn.and_then(|i| decode::operand(&i, regs, sregs));
            *completion = Completion::Read {
                rip: regs.rip,
                len,
                size,
                mmio: true,
                dest,
                split: first_fragment(gpa, size, operand, dest.is_some()),
                fpu: insn.is_none_or(|i| decode::writes_fpu(&i)),
                regs: insn
                    .filter(|i| dest.is_none() && !i.is_string_instruction())
                    .map(|_| *regs),
            };
            if let Some(c) = insn.and_then(|i| Completion::read_to_memory(&i, regs, sregs, true)) {
                *completion = c;
            }
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess =
                memory_context(inputs.map, gpa, gva, WHvMemoryAccessRead, bytes, n);
            ctx.VpContext = vp_context(regs, sregs, events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(moved);
        }
        KvmExit::MmioWrite { gpa, size, data } => {
            let mut len = 0;
            let mut gva = None;
            let mut code = None;
            let mut operand = None;
            if inputs.caps.mmio_write_retired {
                let c = code.insert(Code::read(&mut inputs, regs, sregs, true));
                let (before, avail) = c.before();
                let access = Access::MemWrite { size, data };
                let (at, n) = instruction_bytes(&mut inputs, code.as_ref(), regs, sregs);
                let (before, at) = (&before[15 - avail..], &at[..usize::from(n)]);
                let fast = inputs
                    .retired
                    .fast_match(before, at, regs, sregs, access, Some(gpa));
                let mut found = None;
                if let Some(h) = fast {
                    // A plain store: only RIP moves back.
                    len = h.len;
                    sync.regs.rip = regs.rip.wrapping_sub(u64::from(len));
                    regs = &sync.regs;
                    moved = true;
                    gva = h.operand.map(|(a, _)| a);
                    operand = h.operand;
                } else {
                    found = decode::undo_retired(
                        inputs.retired,
                        before,
                        at,
                        regs,
                        sregs,
                        access,
                        Some(gpa),
                    );
                }
                if fast.is_none() && found.is_none() {
                    // A CALL onto an MMIO stack: it ends at the return
                    // address it pushed, RIP is already at its target.
                    for ret in decode::call_returns(regs.rip, size, data)
                        .into_iter()
                        .flatten()
                    {
                        let mut at_ret = *regs;
                        at_ret.rip = ret;
                        let c = Code::read(&mut inputs, &at_ret, sregs, true);
                        let (before, avail) = c.before();
                        let before = &before[15 - avail..];
                        // A CALL through memory reads its target again.
                        let (map, cache) = (inputs.map, &mut *inputs.code);
                        let mut read = |lin: u64, buf: &mut [u8]| {
                            read_code(map, cache, regs, sregs, lin, buf) == (0, buf.len())
                        };
                        found = decode::undo_call(before, regs, sregs, access, gpa, ret, &mut read);
                        if found.is_some() {
                            code = Some(c);
                            break;
                        }
                    }
                }
                if let Some(r) = found {
                    len = r.len as u8;
                    sync.regs = r.regs;
                    regs = &sync.regs;
                    moved = true;
                    gva = decode::written_address(&r.insn, regs, sregs);
                    let bytes = r.insn.memory_size().size();
                    operand = gva.filter(|_| bytes > 0).map(|a| (a, bytes));
                }
                if first_fragment(gpa, size, operand, false) {
                    // KVM writes the rest on the next run: the flush drops it.
                    *completion = Completion::Flush;
                }
            } else {
                *completion = Completion::Flush;
            }
            let (bytes, n) = instruction_bytes(&mut inputs, code.as_ref(), regs, sregs);
            if !inputs.caps.mmio_write_retired {
                let insn = decode::decode(
                    &bytes[..usize::from(n)],
                    decode::bitness(regs, sregs),
                    regs.rip,
                );
                len = insn.map_or(0, |i| i.len() as u8);
                gva = insn.and_then(|i| decode::written_address(&i, regs, sregs));
            }
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess =
                memory_context(inputs.map, gpa, gva, WHvMemoryAccessWrite, bytes, n);
            ctx.VpContext = vp_context(regs, sregs, events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(moved);
        }
        KvmExit::MemoryFault { gpa } => {
            let (bytes, n) = instruction_bytes(&mut inputs, None, regs, sregs);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(regs, sregs),
                regs.rip,
            );
            let facts = inputs.code.facts();
            let translate = |va| {
                crate::translate::translate(
                    inputs.map,
                    regs,
                    sregs,
                    facts,
                    va,
                    winhv_paging::TranslateFlags::PRIVILEGE_EXEMPT,
                )
                .map(|t| t.gpa)
                .ok()
            };
            let (gva, kind) = match insn {
                // The instruction itself cannot be fetched: an execute access.
                None => (
                    Some(code_address(sregs, regs.rip).wrapping_add(u64::from(n))),
                    WHvMemoryAccessExecute,
                ),
                Some(i) => match decode::fault_access(&i, regs, sregs) {
                    (gva, true) => (gva, WHvMemoryAccessWrite),
                    (gva, false) => (gva, WHvMemoryAccessRead),
                },
            };
            let gpa = gpa.or_else(|| gva.and_then(translate)).ok_or(Error::new(
                E_FAIL,
                "KVM_RUN: EFAULT at an address that does not translate",
            ))?;
            *ctx = WHV_RUN_VP_EXIT_CONTEXT::default();
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess = memory_context(inputs.map, gpa, gva, kind, bytes, n);
            ctx.VpContext = vp_context(regs, sregs, events);
            ctx.VpContext
                .set_instruction_length(insn.map_or(0, |i| i.len() as u8));
            return Ok(moved);
        }
        KvmExit::EmulationFailure => {
            let (bytes, n) = instruction_bytes(&mut inputs, None, regs, sregs);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(regs, sregs),
                regs.rip,
            );
            let facts = inputs.code.facts();
            let access = insn.and_then(|i| {
                crate::emulation_failure::mmio_access(&i, inputs.map, regs, sregs, facts)
                    .map(|a| (i, a))
            });
            match access {
                Some((i, a)) => {
                    // Nothing is pending in KVM: the instruction did not run.
                    let kind = if a.write {
                        WHvMemoryAccessWrite
                    } else {
                        WHvMemoryAccessRead
                    };
                    ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
                    ctx.Anonymous.MemoryAccess =
                        memory_context(inputs.map, a.gpa, Some(a.gva), kind, bytes, n);
                    ctx.VpContext = vp_context(regs, sregs, events);
                    ctx.VpContext.set_instruction_length(i.len() as u8);
                    return Ok(moved);
                }
                None if insn.is_none() => {
                    // The instruction itself cannot be fetched: KVM's
                    // emulator found no memory at RIP (in every mode and at
                    // every CPL: KVM treats a GPA without a slot as MMIO
                    // and cannot execute from it).
                    let fetch = fetch_access(inputs.map, facts, regs, sregs, n);
                    match fetch {
                        Some((gpa, gva)) => {
                            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
                            ctx.Anonymous.MemoryAccess = memory_context(
                                inputs.map,
                                gpa,
                                Some(gva),
                                WHvMemoryAccessExecute,
                                bytes,
                                n,
                            );
                        }
                        None => ctx.ExitReason = WHvRunVpExitReasonUnrecoverableException,
                    }
                }
                None => ctx.ExitReason = WHvRunVpExitReasonUnrecoverableException,
            }
        }
        KvmExit::NoMemory => {
            // PVM refuses KVM_RUN for a VM with no memory slot at all; on
            // Windows the VP runs and its first fetch is a MemoryAccess
            // exit, which is what the caller gets here too.
            let (bytes, n) = instruction_bytes(&mut inputs, None, regs, sregs);
            let facts = inputs.code.facts();
            let Some((gpa, gva)) = fetch_access(inputs.map, facts, regs, sregs, n) else {
                return Err(Error::new(
                    E_FAIL,
                    "KVM_RUN: no space left on device (ENOSPC)",
                ));
            };
            *ctx = WHV_RUN_VP_EXIT_CONTEXT::default();
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess =
                memory_context(inputs.map, gpa, Some(gva), WHvMemoryAccessExecute, bytes, n);
        }
        KvmExit::Hlt => ctx.ExitReason = WHvRunVpExitReasonX64Halt,
        KvmExit::Shutdown | KvmExit::InternalError => {
            ctx.ExitReason = WHvRunVpExitReasonUnrecoverableException;
        }
        KvmExit::FailEntry | KvmExit::InvalidState => {
            ctx.ExitReason = WHvRunVpExitReasonInvalidVpRegisterValue;
        }
        KvmExit::Debug { exception } => {
            let (bytes, n) = instruction_bytes(&mut inputs, None, regs, sregs);
            let mut info = WHV_VP_EXCEPTION_INFO::default();
            info.set_software_exception(u32::from(exception == 3));
            ctx.ExitReason = WHvRunVpExitReasonException;
            ctx.Anonymous.VpException = WHV_VP_EXCEPTION_CONTEXT {
                InstructionByteCount: n,
                InstructionBytes: bytes,
                ExceptionInfo: info,
                ExceptionType: exception as u8,
                ..Default::default()
            };
        }
        KvmExit::InterruptWindow | KvmExit::NmiWindow => {
            let kind = if let KvmExit::NmiWindow = exit {
                WHvX64PendingNmi
            } else {
                WHvX64PendingInterrupt
            };
            ctx.ExitReason = WHvRunVpExitReasonX64InterruptWindow;
            ctx.Anonymous.InterruptWindow = WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT {
                DeliverableType: kind,
            };
        }
        KvmExit::Requested => {
            return Err(Error::new(
                E_FAIL,
                "an interrupt request is the run loop's, not an exit",
            ));
        }
        KvmExit::RdMsr { index, .. } | KvmExit::WrMsr { index, .. } => {
            let write = matches!(exit, KvmExit::WrMsr { .. });
            let mut info = WHV_X64_MSR_ACCESS_INFO::default();
            info.set_is_write(u32::from(write));
            *completion = Completion::Msr { read: !write };
            ctx.ExitReason = WHvRunVpExitReasonX64MsrAccess;
            ctx.Anonymous.MsrAccess = WHV_X64_MSR_ACCESS_CONTEXT {
                AccessInfo: info,
                MsrNumber: index,
                Rax: regs.rax,
                Rdx: regs.rdx,
            };
            ctx.VpContext = vp_context(regs, sregs, events);
            ctx.VpContext.set_instruction_length(2);
            return Ok(moved);
        }
        KvmExit::Other { reason } => {
            return Err(Error::with(
                E_FAIL,
                format!("KVM_RUN: unexpected exit reason {reason}"),
            ));
        }
    }
    ctx.VpContext = vp_context(regs, sregs, events);
    Ok(moved)
}

#[allow(clippy::too_many_arguments, reason = "one field each of the payload")]
fn io_context(
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    port: u16,
    size: u8,
    write: bool,
    string: bool,
    rep: bool,
    bytes: [u8; 16],
    n: u8,
) -> WHV_X64_IO_PORT_ACCESS_CONTEXT {
    let mut info = WHV_X64_IO_PORT_ACCESS_INFO::default();
    info.set_is_write(u32::from(write));
    info.set_access_size(u32::from(size));
    info.set_string_op(u32::from(string));
    info.set_rep_prefix(u32::from(rep));
    WHV_X64_IO_PORT_ACCESS_CONTEXT {
        InstructionByteCount: n,
        InstructionBytes: bytes,
        AccessInfo: info,
        PortNumber: port,
        Rax: regs.rax,
        Rcx: regs.rcx,
        Rsi: regs.rsi,
        Rdi: regs.rdi,
        Ds: segment_from_kvm(&sregs.ds),
        Es: segment_from_kvm(&sregs.es),
        ..Default::default()
    }
}

/// The GPA and GVA of a failed instruction fetch at CS:RIP from memory
/// that is not mapped, which Windows reports as a MemoryAccess exit with
/// AccessType Execute and no instruction (InstructionLength 0: the only
/// exit VirtualBox's WHP backend lets have a zero length —
/// `src/VBox/VMM/VMMAll/NEMAllNativeTemplate-win.cpp.h` asserts
/// `InstructionLength > 0` unless `AccessType == WHvMemoryAccessExecute`).
/// `n` bytes at RIP could be read (an instruction that crosses into an
/// unmapped page): the fetch that failed is the next byte's. `None` when
/// the bytes at RIP were all there, the address does not translate, or its
/// GPA is mapped after all. (A page walk that reaches an unmapped page
/// table never gets here: KVM shuts the VP down first, README.)
fn fetch_access(
    map: &GpaMap,
    facts: crate::cpuid_facts::PagingFacts,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    n: u8,
) -> Option<(u64, u64)> {
    if usize::from(n) >= AT - 1 {
        // A whole instruction's worth of bytes (15) was there.
        return None;
    }
    let gva = code_address(sregs, regs.rip.wrapping_add(u64::from(n)));
    let walk = crate::translate::translate(
        map,
        regs,
        sregs,
        facts,
        gva,
        winhv_paging::TranslateFlags::PRIVILEGE_EXEMPT,
    );
    match walk {
        Ok(t) if map.lookup(t.gpa).is_none() => Some((t.gpa, gva)),
        _ => None,
    }
}

fn memory_context(
    map: &GpaMap,
    gpa: u64,
    gva: Option<u64>,
    kind: WHV_MEMORY_ACCESS_TYPE,
    bytes: [u8; 16],
    n: u8,
) -> WHV_MEMORY_ACCESS_CONTEXT {
    let mut info = WHV_MEMORY_ACCESS_INFO::default();
    info.set_access_type(kind.0 as u32);
    info.set_gpa_unmapped(u32::from(map.lookup(gpa).is_none()));
    info.set_gva_valid(u32::from(gva.is_some()));
    WHV_MEMORY_ACCESS_CONTEXT {
        InstructionByteCount: n,
        InstructionBytes: bytes,
        AccessInfo: info,
        Gpa: gpa,
        Gva: gva.unwrap_or(0),
        ..Default::default()
    }
}
