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
//!   VMM's registers (snapshot of kvm_run's sync area) are put back.
//!
//! Retired writes need nothing here: the exit path has already moved RIP
//! back to the instruction, and KVM has nothing left to complete.

use kvm_bindings::kvm_run;
use kvm_ioctls::{VcpuExit, VcpuFd};

use crate::cancel::CancelState;
use crate::decode::gpr;
use crate::error::{Error, Result};

/// What KVM will complete on the next `KVM_RUN`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Completion {
    /// Nothing pending.
    #[default]
    None,
    /// A port or MMIO read of `size` bytes by the instruction at `rip`
    /// (`len` bytes long). `dest` is the destination general register and
    /// its bit offset for a plain load.
    Read {
        rip: u64,
        len: u8,
        size: u8,
        mmio: bool,
        dest: Option<(usize, u32)>,
    },
    /// An RDMSR (`read`) or WRMSR: KVM will write EDX:EAX from `kvm_run`
    /// and skip the instruction.
    Msr { read: bool },
    /// Something KVM completes that only a flush can undo (a write exit that
    /// did not retire: KVM would skip the instruction).
    Flush,
}

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
    /// A debug exception (#DB, #BP) under `KVM_SET_GUEST_DEBUG`.
    Debug { exception: u32 },
    /// The guest can take an interrupt (`request_interrupt_window`).
    InterruptWindow,
    /// RDMSR of `index` (user-space MSR exit for `reason`,
    /// `KVM_MSR_EXIT_REASON_*`).
    RdMsr { index: u32, reason: u32 },
    /// WRMSR of `index` with `data`.
    WrMsr { index: u32, reason: u32 },
    /// The host side of guest memory was inaccessible (`EFAULT`), at `gpa`
    /// when KVM said so.
    MemoryFault { gpa: Option<u64> },
    /// Any other KVM exit reason.
    Other { reason: u32 },
}

/// Runs the VP until an exit worth reporting; `completion` is the pending
/// completion of the previous exit, consumed here.
pub(crate) fn run(
    vcpu: &mut VcpuFd,
    cancel: &CancelState,
    completion: &mut Completion,
) -> Result<KvmExit> {
    let pending = std::mem::take(completion);
    // True when KVM still has the completion to do on its next KVM_RUN.
    let mut kvm_pending = prepare_completion(vcpu, cancel, pending)?;
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
        kvm_pending = false;
        let result = vcpu.run().map(copy_exit);
        cancel.leave();
        match result {
            Ok(Some(exit)) => return Ok(refine(vcpu.get_kvm_run(), exit)),
            Ok(None) => {
                // The rest of a multi-part exit (an exit kind KVM expects us
                // to finish silently): complete it.
                continue;
            }
            Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
                if cancel.consume() {
                    return Ok(KvmExit::Canceled);
                }
            }
            Err(e) if e.errno() == libc::EFAULT => return Ok(KvmExit::MemoryFault { gpa: None }),
            Err(e) if e.errno() == libc::EINVAL => return Ok(KvmExit::InvalidState),
            Err(e) => return Err(Error::from_errno("KVM_RUN", e.errno())),
        }
    }
}

/// The owned form of a KVM exit; `None` for exits handled silently.
fn copy_exit(exit: VcpuExit<'_>) -> Option<KvmExit> {
    Some(match exit {
        VcpuExit::IoIn(port, data) => KvmExit::IoIn {
            port,
            size: data.len().min(4) as u8,
            count: 1,
        },
        VcpuExit::IoOut(port, data) => {
            let mut first = [0u8; 4];
            let n = data.len().min(4);
            first[..n].copy_from_slice(&data[..n]);
            KvmExit::IoOut {
                port,
                size: n as u8,
                count: 1,
                data: u32::from_le_bytes(first),
            }
        }
        VcpuExit::MmioRead(gpa, data) => KvmExit::MmioRead {
            gpa,
            size: data.len() as u8,
        },
        VcpuExit::MmioWrite(gpa, data) => {
            let mut v = [0u8; 8];
            let n = data.len().min(8);
            v[..n].copy_from_slice(&data[..n]);
            KvmExit::MmioWrite {
                gpa,
                size: n as u8,
                data: u64::from_le_bytes(v),
            }
        }
        VcpuExit::Hlt => KvmExit::Hlt,
        VcpuExit::Shutdown => KvmExit::Shutdown,
        VcpuExit::FailEntry(..) => KvmExit::FailEntry,
        VcpuExit::InternalError => KvmExit::InternalError,
        VcpuExit::Debug(d) => KvmExit::Debug {
            exception: d.exception,
        },
        VcpuExit::IrqWindowOpen => KvmExit::InterruptWindow,
        VcpuExit::X86Rdmsr(m) => KvmExit::RdMsr {
            index: m.index,
            reason: m.reason.bits(),
        },
        VcpuExit::X86Wrmsr(m) => KvmExit::WrMsr {
            index: m.index,
            reason: m.reason.bits(),
        },
        VcpuExit::MemoryFault { gpa, .. } => KvmExit::MemoryFault { gpa: Some(gpa) },
        VcpuExit::Intr => return None,
        VcpuExit::Unsupported(reason) => KvmExit::Other { reason },
        _ => KvmExit::Other { reason: 0 },
    })
}

/// Fixes the counts of an I/O exit from `kvm_run` (kvm-ioctls gives the data
/// of all elements as one slice).
fn refine(run: &kvm_run, exit: KvmExit) -> KvmExit {
    match exit {
        KvmExit::IoIn { port, .. } | KvmExit::IoOut { port, .. } => {
            // SAFETY: the exit reason is KVM_EXIT_IO, so `io` is the union's
            // live member.
            let io = unsafe { run.__bindgen_anon_1.io };
            match exit {
                KvmExit::IoIn { .. } => KvmExit::IoIn {
                    port,
                    size: io.size,
                    count: io.count,
                },
                KvmExit::IoOut { data, .. } => KvmExit::IoOut {
                    port,
                    size: io.size,
                    count: io.count,
                    data,
                },
                other => other,
            }
        }
        other => other,
    }
}

/// Reconciles KVM's pending completion with the VMM's registers (see the
/// module documentation). Registers are read from kvm_run's sync area,
/// which the register cache has already brought up to date.
fn prepare_completion(
    vcpu: &mut VcpuFd,
    cancel: &CancelState,
    completion: Completion,
) -> Result<bool> {
    // kvm_regs only (sync_regs() would copy the whole 2 KiB sync area).
    let regs = vcpu.sync_regs_mut().regs;
    match completion {
        Completion::None => Ok(false),
        Completion::Read {
            rip,
            len,
            size,
            mmio,
            dest: Some((index, shift)),
        } if regs.rip == rip.wrapping_add(u64::from(len)) => {
            let value = gpr(&regs, index) >> shift;
            let bytes = value.to_le_bytes();
            let n = usize::from(size).min(8);
            let run = vcpu.get_kvm_run();
            if mmio {
                // SAFETY: the last exit was KVM_EXIT_MMIO, so `mmio` is the
                // union's live member until the next KVM_RUN.
                let m = unsafe { &mut run.__bindgen_anon_1.mmio };
                m.data[..n].copy_from_slice(&bytes[..n]);
            } else {
                // SAFETY: the last exit was KVM_EXIT_IO, so `io` is the
                // union's live member.
                let io = unsafe { run.__bindgen_anon_1.io };
                let base = (run as *mut kvm_run)
                    .cast::<u8>()
                    .wrapping_add(io.data_offset as usize);
                // SAFETY: KVM keeps room for count * size bytes of data at
                // `data_offset` inside the kvm_run mapping; we write at most
                // one element.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), base, n.min(usize::from(io.size)))
                };
            }
            Ok(true)
        }
        Completion::Read { .. } | Completion::Msr { .. } | Completion::Flush => {
            if let Completion::Msr { .. } = completion {
                let run = vcpu.get_kvm_run();
                // SAFETY: the last exit was an MSR exit, so `msr` is live.
                let msr = unsafe { &mut run.__bindgen_anon_1.msr };
                msr.error = 0;
                if let Completion::Msr { read: true, .. } = completion {
                    msr.data = (regs.rdx << 32) | (regs.rax & 0xffff_ffff);
                }
            }
            flush(vcpu, cancel).map(|()| false)
        }
    }
}

/// Lets KVM finish its pending completion without running the guest, then
/// restores the general registers, RIP and RFLAGS the VMM had set (a
/// completion of a load or an MSR access touches nothing else).
fn flush(vcpu: &mut VcpuFd, cancel: &CancelState) -> Result<()> {
    let saved = vcpu.sync_regs_mut().regs;
    cancel.set_immediate_exit();
    let result = vcpu.run().map(|_| ());
    cancel.clear_immediate_exit();
    match result {
        Ok(()) => {}
        Err(e) if e.errno() == libc::EINTR => {}
        Err(e) => {
            return Err(Error::from_errno(
                "KVM_RUN (completing the previous exit)",
                e.errno(),
            ));
        }
    }
    vcpu.sync_regs_mut().regs = saved;
    vcpu.set_sync_dirty_reg(kvm_ioctls::SyncReg::Register);
    Ok(())
}
