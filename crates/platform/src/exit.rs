//! Translating a KVM exit into the `WHV_RUN_VP_EXIT_CONTEXT` Windows fills:
//! the VP context every exit carries and each reason's payload.
//!
//! I/O-port and MMIO exits are presented as Windows intercepts them, before
//! the instruction: RIP at its first byte, its length and bytes, the
//! registers as they were before it. KVM reports reads before they retire
//! (RIP already right; [`Completion`] tells the next run how to reconcile
//! KVM's completion with the VMM), and — on kernels where the start-up probe
//! saw it — writes after they retired: the instruction is found by
//! [`decode::match_retired`] and RIP is moved back to it in kvm_run's sync
//! area, so the VMM's own RIP advance is the only one.
//!
//! Everything here reads kvm_run's synced registers: no ioctl, no
//! allocation, no lock but the GPA map's read lock for instruction bytes.

use kvm_bindings::{kvm_regs, kvm_sregs, kvm_vcpu_events};
use kvm_ioctls::{SyncReg, VcpuFd};
use winhv_defs::*;

use crate::decode::{self, Access};
use crate::error::{Error, Result};
use crate::kvm::KvmCaps;
use crate::memory::GpaMap;
use crate::registers::{RegisterState, segment_from_kvm};
use crate::run::{Completion, KvmExit};
use crate::translate::{code_address, cpl, read_linear};

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

/// Up to 16 instruction bytes at CS:`rip`, and how many could be read.
fn instruction_bytes(map: &GpaMap, regs: &kvm_regs, sregs: &kvm_sregs, rip: u64) -> ([u8; 16], u8) {
    let mut bytes = [0u8; 16];
    let n = read_linear(map, regs, sregs, code_address(sregs, rip), &mut bytes);
    (bytes, n as u8)
}

/// The up to 15 bytes that end at CS:`rip` (right-aligned in the result)
/// and how many could be read.
fn bytes_before(map: &GpaMap, regs: &kvm_regs, sregs: &kvm_sregs, rip: u64) -> ([u8; 15], usize) {
    let mut buf = [0u8; 15];
    let end = code_address(sregs, rip);
    // Bytes in RIP's page first; then, if they can be read, the previous
    // page's.
    let in_page = ((end & 0xfff) as usize).min(15);
    let got = read_linear(
        map,
        regs,
        sregs,
        end.wrapping_sub(in_page as u64),
        &mut buf[15 - in_page..],
    );
    if got < in_page {
        return (buf, 0);
    }
    let rest = 15 - in_page;
    if rest > 0 {
        let start = end.wrapping_sub(15);
        let mut prev = [0u8; 15];
        if read_linear(map, regs, sregs, start, &mut prev[..rest]) == rest {
            buf[..rest].copy_from_slice(&prev[..rest]);
            return (buf, 15);
        }
    }
    (buf, in_page)
}

/// What the exit path needs besides the VP's KVM objects.
pub(crate) struct ExitInputs<'a> {
    pub(crate) map: &'a GpaMap,
    pub(crate) caps: &'a KvmCaps,
}

/// Fills `ctx` for `exit`; may move RIP back to a retired instruction and
/// records in `completion` what the next run must reconcile.
pub(crate) fn translate_exit(
    vcpu: &mut VcpuFd,
    regstate: &mut RegisterState,
    inputs: &ExitInputs<'_>,
    exit: KvmExit,
    completion: &mut Completion,
) -> Result<WHV_RUN_VP_EXIT_CONTEXT> {
    let sync = vcpu.sync_regs_mut();
    let mut regs = sync.regs;
    let sregs = sync.sregs;
    let events = sync.events;
    let mut ctx = WHV_RUN_VP_EXIT_CONTEXT::default();
    *completion = Completion::None;

    match exit {
        KvmExit::Canceled => {
            ctx.ExitReason = WHvRunVpExitReasonCanceled;
            ctx.Anonymous.CancelReason = WHV_RUN_VP_CANCELED_CONTEXT {
                CancelReason: WHvRunVpCancelReasonUser,
            };
        }
        KvmExit::IoIn { port, size, count } => {
            let (bytes, n) = instruction_bytes(inputs.map, &regs, &sregs, regs.rip);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(&regs, &sregs),
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
            };
            ctx.ExitReason = WHvRunVpExitReasonX64IoPortAccess;
            ctx.Anonymous.IoPortAccess =
                io_context(&regs, &sregs, port, size, false, string, rep, bytes, n);
            ctx.VpContext = vp_context(&regs, &sregs, &events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(ctx);
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
            if inputs.caps.pio_out_retired {
                let (before, avail) = bytes_before(inputs.map, &regs, &sregs, regs.rip);
                let access = Access::PortOut { port, size, data };
                if let Some((i, l)) =
                    decode::match_retired(&before[15 - avail..], &regs, &sregs, regs.rip, access)
                {
                    len = l as u8;
                    string = i.is_string_instruction();
                    rep = i.has_rep_prefix();
                    rewind(vcpu, &mut regs, l as u64);
                }
            } else {
                *completion = Completion::Flush;
            }
            let (bytes, n) = instruction_bytes(inputs.map, &regs, &sregs, regs.rip);
            if len == 0 {
                if let Some(i) = decode::decode(
                    &bytes[..usize::from(n)],
                    decode::bitness(&regs, &sregs),
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
                io_context(&regs, &sregs, port, size, true, string, rep, bytes, n);
            ctx.VpContext = vp_context(&regs, &sregs, &events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(ctx);
        }
        KvmExit::MmioRead { gpa, size } => {
            let (bytes, n) = instruction_bytes(inputs.map, &regs, &sregs, regs.rip);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(&regs, &sregs),
                regs.rip,
            );
            let len = insn.map_or(0, |i| i.len() as u8);
            let gva = insn.and_then(|i| decode::memory_address(&i, &regs, &sregs));
            *completion = Completion::Read {
                rip: regs.rip,
                len,
                size,
                mmio: true,
                dest: insn.and_then(|i| decode::load_destination(&i)),
            };
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess =
                memory_context(inputs.map, gpa, gva, WHvMemoryAccessRead, bytes, n);
            ctx.VpContext = vp_context(&regs, &sregs, &events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(ctx);
        }
        KvmExit::MmioWrite { gpa, size, data } => {
            let mut len = 0;
            let mut gva = None;
            if inputs.caps.mmio_write_retired {
                let (before, avail) = bytes_before(inputs.map, &regs, &sregs, regs.rip);
                let access = Access::MemWrite { size, data };
                let found =
                    decode::match_retired(&before[15 - avail..], &regs, &sregs, regs.rip, access)
                        .filter(|(i, _)| {
                            decode::memory_address(i, &regs, &sregs)
                                .is_some_and(|a| a & 0xfff == gpa & 0xfff)
                        });
                if let Some((i, l)) = found {
                    len = l as u8;
                    gva = decode::memory_address(&i, &regs, &sregs);
                    rewind(vcpu, &mut regs, l as u64);
                }
            } else {
                *completion = Completion::Flush;
            }
            let (bytes, n) = instruction_bytes(inputs.map, &regs, &sregs, regs.rip);
            if !inputs.caps.mmio_write_retired {
                let insn = decode::decode(
                    &bytes[..usize::from(n)],
                    decode::bitness(&regs, &sregs),
                    regs.rip,
                );
                len = insn.map_or(0, |i| i.len() as u8);
                gva = insn.and_then(|i| decode::memory_address(&i, &regs, &sregs));
            }
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess =
                memory_context(inputs.map, gpa, gva, WHvMemoryAccessWrite, bytes, n);
            ctx.VpContext = vp_context(&regs, &sregs, &events);
            ctx.VpContext.set_instruction_length(len);
            return Ok(ctx);
        }
        KvmExit::MemoryFault { gpa } => {
            let (bytes, n) = instruction_bytes(inputs.map, &regs, &sregs, regs.rip);
            let insn = decode::decode(
                &bytes[..usize::from(n)],
                decode::bitness(&regs, &sregs),
                regs.rip,
            );
            let translate = |va| {
                crate::translate::translate(
                    inputs.map,
                    &regs,
                    &sregs,
                    va,
                    winhv_paging::TranslateFlags::PRIVILEGE_EXEMPT,
                )
                .map(|t| t.gpa)
                .ok()
            };
            let (gva, kind) = match insn {
                // The instruction itself cannot be fetched: an execute access.
                None => (
                    Some(code_address(&sregs, regs.rip).wrapping_add(u64::from(n))),
                    WHvMemoryAccessExecute,
                ),
                Some(i) => {
                    let write = i.op_count() > 0
                        && i.op0_kind() == iced_x86::OpKind::Memory
                        && !matches!(
                            i.mnemonic(),
                            iced_x86::Mnemonic::Cmp | iced_x86::Mnemonic::Test
                        );
                    let kind = if write {
                        WHvMemoryAccessWrite
                    } else {
                        WHvMemoryAccessRead
                    };
                    (decode::memory_address(&i, &regs, &sregs), kind)
                }
            };
            let gpa = gpa.or_else(|| gva.and_then(translate)).ok_or(Error::new(
                E_FAIL,
                "KVM_RUN: EFAULT at an address that does not translate",
            ))?;
            ctx.ExitReason = WHvRunVpExitReasonMemoryAccess;
            ctx.Anonymous.MemoryAccess = memory_context(inputs.map, gpa, gva, kind, bytes, n);
            ctx.VpContext = vp_context(&regs, &sregs, &events);
            ctx.VpContext
                .set_instruction_length(insn.map_or(0, |i| i.len() as u8));
            return Ok(ctx);
        }
        KvmExit::Hlt => ctx.ExitReason = WHvRunVpExitReasonX64Halt,
        KvmExit::Shutdown | KvmExit::InternalError => {
            ctx.ExitReason = WHvRunVpExitReasonUnrecoverableException;
        }
        KvmExit::FailEntry | KvmExit::InvalidState => {
            ctx.ExitReason = WHvRunVpExitReasonInvalidVpRegisterValue;
        }
        KvmExit::Debug { exception } => {
            let (bytes, n) = instruction_bytes(inputs.map, &regs, &sregs, regs.rip);
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
        KvmExit::InterruptWindow => {
            // Windows reports the notification once and clears its bit.
            let v = regstate.deliverability_notifications();
            regstate.set_deliverability_notifications(v & !2);
            vcpu.get_kvm_run().request_interrupt_window = 0;
            ctx.ExitReason = WHvRunVpExitReasonX64InterruptWindow;
            ctx.Anonymous.InterruptWindow = WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT {
                DeliverableType: WHvX64PendingInterrupt,
            };
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
            ctx.VpContext = vp_context(&regs, &sregs, &events);
            ctx.VpContext.set_instruction_length(2);
            return Ok(ctx);
        }
        KvmExit::Other { reason } => {
            return Err(Error::with(
                E_FAIL,
                format!("KVM_RUN: unexpected exit reason {reason}"),
            ));
        }
    }
    ctx.VpContext = vp_context(&regs, &sregs, &events);
    Ok(ctx)
}

/// Moves RIP back by `len` in kvm_run's sync area (KVM loads it on entry).
fn rewind(vcpu: &mut VcpuFd, regs: &mut kvm_regs, len: u64) {
    regs.rip = regs.rip.wrapping_sub(len);
    vcpu.sync_regs_mut().regs.rip = regs.rip;
    vcpu.set_sync_dirty_reg(SyncReg::Register);
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
