//! The run loop's side of `crate::synic`: a guest access to a synthetic
//! MSR answered in `kvm_run` (no exit to the VMM), and an OUT to the
//! hypercall port recognised as a call through the hypercall page.

use kvm_bindings::KVM_SYNC_X86_REGS;
use winhv_defs::*;

use super::VpState;
use crate::error::Result;
use crate::kvm::KvmCaps;
use crate::memory::GpaMap;
use crate::run::Completion;
use crate::synic::{MsrEnv, MsrOutcome, VpSynic};

/// Answers a guest access to a synthetic MSR `index` (the exit KVM just
/// made) in `kvm_run`, for KVM to complete on the next run; the SINTs an
/// EOM made deliverable (0 for every other access).
pub(super) fn synthetic_msr(s: &mut VpState, synic: &VpSynic, index: u32, map: &GpaMap) -> u16 {
    let write = s.vcpu.area().exit_reason() == kvm_bindings::KVM_EXIT_X86_WRMSR;
    let data = s.vcpu.area().msr_mut().map_or(0, |m| m.data);
    let (vcpu, regs) = (&mut s.vcpu, &mut s.regs);
    let mut tsc = || {
        let mut v = [WHV_REGISTER_VALUE::default()];
        regs.get(vcpu, &[WHvX64RegisterTsc], &mut v).ok()?;
        // SAFETY: the TSC is returned through Reg64.
        Some(unsafe { v[0].Reg64 })
    };
    let mut env = MsrEnv { map, tsc: &mut tsc };
    let outcome = synic.msr(index, write.then_some(data), &mut env);
    if let Some(m) = s.vcpu.area().msr_mut() {
        m.error = u8::from(outcome == MsrOutcome::Fault);
        if let MsrOutcome::Read(v) = outcome {
            m.data = v;
        }
    }
    match outcome {
        MsrOutcome::Deliverable(sints) => sints,
        _ => 0,
    }
}

/// What an OUT to the hypercall port was.
pub(super) enum Hypercall {
    /// Not the hypercall page's OUT: an ordinary port write.
    NotOne,
    /// A hypercall the platform answered (no HypercallExit).
    Answered,
    /// A hypercall for the VMM; the registers are as Windows presents it.
    Exit(WHV_HYPERCALL_CONTEXT),
}

/// Whether the OUT KVM just reported is a call through the hypercall page
/// (`synic/hypercall.rs`), and if so answers it or prepares its exit: RIP
/// back at the OUT (or, where KVM reports OUT before it retires, KVM's
/// skip replaced by the VMM's RIP through a flush).
pub(super) fn hypercall(
    s: &mut VpState,
    synic: &VpSynic,
    map: &GpaMap,
    caps: &KvmCaps,
) -> Result<Hypercall> {
    let Some(page) = synic.hypercall_page() else {
        return Ok(Hypercall::NotOne);
    };
    let sync = s.vcpu.sync();
    let (regs, sregs) = (sync.regs, sync.sregs);
    let len = u64::from(crate::synic::HYPERCALL_LENGTH);
    let at = if caps.pio_out_retired {
        regs.rip.wrapping_sub(len)
    } else {
        regs.rip
    };
    let linear = crate::translate::code_address(&sregs, at);
    let facts = s.code.facts();
    let flags = winhv_paging::TranslateFlags::NONE;
    match crate::translate::translate(map, &regs, &sregs, facts, linear, flags) {
        Ok(t) if t.gpa == page => {}
        _ => return Ok(Hypercall::NotOne),
    }
    if !synic.hypercall_exit() {
        let r = &mut s.vcpu.sync().regs;
        r.rax = crate::synic::HV_STATUS_INVALID_HYPERCALL_CODE;
        if !(sregs.efer & (1 << 10) != 0 && sregs.cs.l != 0) {
            r.rdx = 0;
        }
        s.vcpu.mark_dirty(KVM_SYNC_X86_REGS);
        return Ok(Hypercall::Answered);
    }
    let names = [
        WHvX64RegisterXmm0,
        WHvX64RegisterXmm1,
        WHvX64RegisterXmm2,
        WHvX64RegisterXmm3,
        WHvX64RegisterXmm4,
        WHvX64RegisterXmm5,
    ];
    let mut v = [WHV_REGISTER_VALUE::default(); 6];
    s.regs.get(&mut s.vcpu, &names, &mut v)?;
    // SAFETY: XMM registers are returned through Reg128.
    let xmm = v.map(|v| unsafe { v.Reg128 });
    if caps.pio_out_retired {
        s.vcpu.sync().regs.rip = at;
        s.vcpu.mark_dirty(KVM_SYNC_X86_REGS);
    } else {
        // KVM skips the OUT on the next entry: the flush puts the VMM's
        // RIP back instead.
        s.completion = Completion::Flush;
    }
    Ok(Hypercall::Exit(crate::synic::hypercall_context(&regs, xmm)))
}
