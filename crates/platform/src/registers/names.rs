//! Which KVM state backs each WHP register name: the [`Reg`] a name maps to
//! and the [`Class`] of KVM state (one `KVM_GET_*`/`KVM_SET_*` pair, or
//! kvm_run's sync area) that holds it. A name absent here answers
//! `WHV_E_INVALID_VP_REGISTER_NAME`.

#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

use winhv_defs::*;

use super::apic::ApicReg;

/// A class of KVM state fetched and stored as a whole.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `kvm_regs`: general registers, RIP, RFLAGS (kvm_run sync area).
    Regs,
    /// `kvm_sregs`: segments, tables, control registers, EFER, APIC base
    /// (kvm_run sync area).
    Sregs,
    /// `kvm_vcpu_events`: injected/pending events, interrupt shadow, NMI
    /// masking (kvm_run sync area).
    Events,
    /// The XSAVE image: x87, MMX, SSE state (`KVM_GET/SET_XSAVE`).
    Fpu,
    /// `kvm_xcrs`: XCR0 (`KVM_GET/SET_XCRS`).
    Xcrs,
    /// `kvm_debugregs`: DR0–3, DR6, DR7 (`KVM_GET/SET_DEBUGREGS`).
    DebugRegs,
    /// Model-specific registers (`KVM_GET/SET_MSRS`).
    Msrs,
    /// The activity state (`KVM_GET/SET_MP_STATE`).
    MpState,
    /// The in-kernel LAPIC's register page (`KVM_GET/SET_LAPIC`).
    Lapic,
    /// Held by us, not by KVM (deliverability notifications).
    Local,
}

/// Segment registers in `kvm_sregs` order of our own choosing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Es,
    Cs,
    Ss,
    Ds,
    Fs,
    Gs,
    Ldtr,
    Tr,
}

/// A register's home in KVM's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    /// RAX…R15 in WHP (and x86 encoding) order: RAX, RCX, RDX, RBX, RSP,
    /// RBP, RSI, RDI, R8…R15.
    Gpr(u8),
    Rip,
    Rflags,
    Segment(Seg),
    Gdtr,
    Idtr,
    Cr0,
    Cr2,
    Cr3,
    Cr4,
    Cr8,
    Efer,
    ApicBase,
    /// DR0–DR3 (0–3), DR6 (6), DR7 (7).
    Dr(u8),
    Xcr0,
    /// An MSR by its index.
    Msr(u32),
    /// XMM0–15.
    Xmm(u8),
    /// ST0/MM0–ST7/MM7 in FXSAVE order.
    FpMmx(u8),
    FpControlStatus,
    XmmControlStatus,
    PendingInterruption,
    InterruptState,
    PendingEvent,
    DeliverabilityNotifications,
    /// `WHvRegisterInternalActivityState`.
    InternalActivity,
    /// A local APIC register (`WHvX64RegisterApic*`).
    Apic(ApicReg),
}

impl Reg {
    /// The class of KVM state holding this register.
    pub(crate) fn class(self) -> Class {
        match self {
            Reg::Gpr(_) | Reg::Rip | Reg::Rflags => Class::Regs,
            Reg::Segment(_)
            | Reg::Gdtr
            | Reg::Idtr
            | Reg::Cr0
            | Reg::Cr2
            | Reg::Cr3
            | Reg::Cr4
            | Reg::Cr8
            | Reg::Efer
            | Reg::ApicBase => Class::Sregs,
            Reg::Dr(_) => Class::DebugRegs,
            Reg::Xcr0 => Class::Xcrs,
            Reg::Msr(_) => Class::Msrs,
            Reg::Xmm(_) | Reg::FpMmx(_) | Reg::FpControlStatus | Reg::XmmControlStatus => {
                Class::Fpu
            }
            Reg::PendingInterruption | Reg::InterruptState | Reg::PendingEvent => Class::Events,
            Reg::DeliverabilityNotifications => Class::Local,
            Reg::InternalActivity => Class::MpState,
            Reg::Apic(_) => Class::Lapic,
        }
    }
}

/// The KVM home of a WHP register name, or `None` when KVM cannot back it
/// (see the module `registers` for the list and the reasons).
pub(crate) fn lookup(name: WHV_REGISTER_NAME) -> Option<Reg> {
    let n = name.0;
    // Ranges of consecutive names first.
    if (WHvX64RegisterRax.0..=WHvX64RegisterR15.0).contains(&n) {
        return Some(Reg::Gpr((n - WHvX64RegisterRax.0) as u8));
    }
    if (WHvX64RegisterXmm0.0..=WHvX64RegisterXmm15.0).contains(&n) {
        return Some(Reg::Xmm((n - WHvX64RegisterXmm0.0) as u8));
    }
    if (WHvX64RegisterFpMmx0.0..=WHvX64RegisterFpMmx7.0).contains(&n) {
        return Some(Reg::FpMmx((n - WHvX64RegisterFpMmx0.0) as u8));
    }
    if let Some(index) = msr_index(name) {
        return Some(Reg::Msr(index));
    }
    if let Some(apic) = ApicReg::from_name(name) {
        return Some(Reg::Apic(apic));
    }
    Some(match name {
        WHvX64RegisterRip => Reg::Rip,
        WHvX64RegisterRflags => Reg::Rflags,
        WHvX64RegisterEs => Reg::Segment(Seg::Es),
        WHvX64RegisterCs => Reg::Segment(Seg::Cs),
        WHvX64RegisterSs => Reg::Segment(Seg::Ss),
        WHvX64RegisterDs => Reg::Segment(Seg::Ds),
        WHvX64RegisterFs => Reg::Segment(Seg::Fs),
        WHvX64RegisterGs => Reg::Segment(Seg::Gs),
        WHvX64RegisterLdtr => Reg::Segment(Seg::Ldtr),
        WHvX64RegisterTr => Reg::Segment(Seg::Tr),
        WHvX64RegisterIdtr => Reg::Idtr,
        WHvX64RegisterGdtr => Reg::Gdtr,
        WHvX64RegisterCr0 => Reg::Cr0,
        WHvX64RegisterCr2 => Reg::Cr2,
        WHvX64RegisterCr3 => Reg::Cr3,
        WHvX64RegisterCr4 => Reg::Cr4,
        WHvX64RegisterCr8 => Reg::Cr8,
        WHvX64RegisterEfer => Reg::Efer,
        WHvX64RegisterApicBase => Reg::ApicBase,
        WHvX64RegisterDr0 => Reg::Dr(0),
        WHvX64RegisterDr1 => Reg::Dr(1),
        WHvX64RegisterDr2 => Reg::Dr(2),
        WHvX64RegisterDr3 => Reg::Dr(3),
        WHvX64RegisterDr6 => Reg::Dr(6),
        WHvX64RegisterDr7 => Reg::Dr(7),
        WHvX64RegisterXCr0 => Reg::Xcr0,
        WHvX64RegisterFpControlStatus => Reg::FpControlStatus,
        WHvX64RegisterXmmControlStatus => Reg::XmmControlStatus,
        WHvRegisterPendingInterruption => Reg::PendingInterruption,
        WHvRegisterInterruptState => Reg::InterruptState,
        WHvRegisterPendingEvent => Reg::PendingEvent,
        WHvX64RegisterDeliverabilityNotifications => Reg::DeliverabilityNotifications,
        WHvRegisterInternalActivityState => Reg::InternalActivity,
        _ => return None,
    })
}

/// The MSR behind a WHP register name that is a plain MSR. Whether KVM
/// implements it is learnt from KVM itself on first use (a `KVM_GET_MSRS`
/// that stops short names the MSR KVM lacks).
pub(crate) fn msr_index(name: WHV_REGISTER_NAME) -> Option<u32> {
    let n = name.0;
    if (WHvX64RegisterMsrMtrrPhysBase0.0..=WHvX64RegisterMsrMtrrPhysBaseF.0).contains(&n) {
        return Some(0x200 + 2 * (n - WHvX64RegisterMsrMtrrPhysBase0.0) as u32);
    }
    if (WHvX64RegisterMsrMtrrPhysMask0.0..=WHvX64RegisterMsrMtrrPhysMaskF.0).contains(&n) {
        return Some(0x201 + 2 * (n - WHvX64RegisterMsrMtrrPhysMask0.0) as u32);
    }
    if (WHvX64RegisterMsrMtrrFix4kC0000.0..=WHvX64RegisterMsrMtrrFix4kF8000.0).contains(&n) {
        return Some(0x268 + (n - WHvX64RegisterMsrMtrrFix4kC0000.0) as u32);
    }
    if (WHvX64RegisterPl0Ssp.0..=WHvX64RegisterPl3Ssp.0).contains(&n) {
        return Some(0x6a4 + (n - WHvX64RegisterPl0Ssp.0) as u32);
    }
    Some(match name {
        WHvX64RegisterTsc => 0x10,
        WHvX64RegisterKernelGsBase => 0xc000_0102,
        WHvX64RegisterPat => 0x277,
        WHvX64RegisterSysenterCs => 0x174,
        WHvX64RegisterSysenterEsp => 0x175,
        WHvX64RegisterSysenterEip => 0x176,
        WHvX64RegisterStar => 0xc000_0081,
        WHvX64RegisterLstar => 0xc000_0082,
        WHvX64RegisterCstar => 0xc000_0083,
        WHvX64RegisterSfmask => 0xc000_0084,
        WHvX64RegisterTscAux => 0xc000_0103,
        WHvX64RegisterMsrMtrrCap => 0xfe,
        WHvX64RegisterMsrMtrrDefType => 0x2ff,
        WHvX64RegisterMsrMtrrFix64k00000 => 0x250,
        WHvX64RegisterMsrMtrrFix16k80000 => 0x258,
        WHvX64RegisterMsrMtrrFix16kA0000 => 0x259,
        WHvX64RegisterSpecCtrl => 0x48,
        WHvX64RegisterTscDeadline => 0x6e0,
        WHvX64RegisterTscAdjust => 0x3b,
        WHvX64RegisterXss => 0xda0,
        WHvX64RegisterUCet => 0x6a0,
        WHvX64RegisterSCet => 0x6a2,
        WHvX64RegisterInterruptSspTableAddr => 0x6a8,
        WHvX64RegisterTsxCtrl => 0x122,
        WHvX64RegisterUmwaitControl => 0xe1,
        WHvX64RegisterXfd => 0x1c4,
        WHvX64RegisterXfdErr => 0x1c5,
        WHvX64RegisterBndcfgs => 0xd90,
        WHvX64RegisterMCount => 0xe7,
        WHvX64RegisterACount => 0xe8,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_map_to_the_right_slots() {
        assert_eq!(lookup(WHvX64RegisterRax), Some(Reg::Gpr(0)));
        assert_eq!(lookup(WHvX64RegisterRsp), Some(Reg::Gpr(4)));
        assert_eq!(lookup(WHvX64RegisterR15), Some(Reg::Gpr(15)));
        assert_eq!(lookup(WHvX64RegisterXmm15), Some(Reg::Xmm(15)));
        assert_eq!(lookup(WHvX64RegisterFpMmx7), Some(Reg::FpMmx(7)));
        assert_eq!(msr_index(WHvX64RegisterMsrMtrrPhysBaseF), Some(0x21e));
        assert_eq!(msr_index(WHvX64RegisterMsrMtrrPhysMask3), Some(0x207));
        assert_eq!(msr_index(WHvX64RegisterMsrMtrrFix4kF8000), Some(0x26f));
        assert_eq!(msr_index(WHvX64RegisterPl3Ssp), Some(0x6a7));
    }

    #[test]
    fn synthetic_and_unbacked_names_are_unknown() {
        for name in [
            WHvRegisterSint0,
            WHvRegisterScontrol,
            WHvX64RegisterHypercall,
            WHvRegisterGuestOsId,
            WHvRegisterVpAssistPage,
            WHvX64RegisterVirtualCr0,
            WHvX64RegisterTscVirtualOffset,
            WHvX64RegisterInitialApicId,
            WHvX64RegisterSsp,
            WHvX64RegisterPredCmd,
            WHV_REGISTER_NAME(0x7fff_0000),
        ] {
            assert_eq!(lookup(name), None, "{name:?}");
        }
    }
}
