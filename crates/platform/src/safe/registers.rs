//! Typed registers for the safe API: [`Register`] (every register whose
//! value is one 64-bit number), [`SegmentRegister`] with [`Segment`],
//! [`TableRegister`] with [`Table`], [`Xmm`] with `u128`, and the
//! [`RegisterKind`] trait that ties each name to its value type, so that
//! `vp.get(Register::Rip)` is a `u64` and `vp.get(SegmentRegister::Cs)` a
//! [`Segment`] — the `WHV_REGISTER_VALUE` union never reaches the caller.

use winhv_defs::*;

/// A register name and the Rust type of its value.
pub trait RegisterKind: Copy {
    /// The value's type.
    type Value: Copy + Default;
    /// The `WHV_REGISTER_NAME` behind this register.
    fn name(self) -> WHV_REGISTER_NAME;
    /// The value out of the union the platform filled for [`Self::name`].
    fn decode(value: &WHV_REGISTER_VALUE) -> Self::Value;
    /// The union for [`Self::name`] holding `value` (unused bytes zero).
    fn encode(value: Self::Value) -> WHV_REGISTER_VALUE;

    /// Whether the value is a plain `u64` ([`Register`]): batches of them
    /// skip the 16-byte union (an implementation detail).
    #[doc(hidden)]
    const PLAIN_U64: bool = false;

    /// The value from a plain `u64` (only called when [`Self::PLAIN_U64`]).
    #[doc(hidden)]
    #[inline]
    fn from_u64(value: u64) -> Self::Value {
        Self::decode(&Register::encode(value))
    }

    /// The value as a plain `u64` (only called when [`Self::PLAIN_U64`]).
    #[doc(hidden)]
    #[inline]
    fn to_u64(value: Self::Value) -> u64 {
        Register::decode(&Self::encode(value))
    }
}

macro_rules! registers64 {
    ($( $(#[$doc:meta])* $variant:ident = $name:ident, )*) => {
        /// A register whose value is one 64-bit number: the GPRs, RIP,
        /// RFLAGS, the control and debug registers, XCR0 and the MSRs WHP
        /// names. Its value type is `u64` (a 32-bit MSR such as TSC_AUX
        /// reads zero-extended).
        ///
        /// ```
        /// use winhv::safe::{Register, RegisterKind};
        /// assert_eq!(Register::Rip.name(), winhv::defs::WHvX64RegisterRip);
        /// ```
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Register {
            $( $(#[$doc])* $variant, )*
        }

        impl Register {
            /// Every register of this enum, in declaration order.
            pub const ALL: &'static [Register] = &[$(Register::$variant,)*];
        }

        impl Register {
            /// The 16 general registers in encoding order (RAX, RCX, RDX,
            /// RBX, RSP, RBP, RSI, RDI, R8–R15): `vp.get_many(Register::GPRS)`.
            pub const GPRS: [Register; 16] = [
                Register::Rax,
                Register::Rcx,
                Register::Rdx,
                Register::Rbx,
                Register::Rsp,
                Register::Rbp,
                Register::Rsi,
                Register::Rdi,
                Register::R8,
                Register::R9,
                Register::R10,
                Register::R11,
                Register::R12,
                Register::R13,
                Register::R14,
                Register::R15,
            ];
        }

        /// The WHP name of each [`Register`], by discriminant (a table, so
        /// that a batch's names cost a load each).
        const NAMES: &[WHV_REGISTER_NAME] = &[$($name,)*];

        impl RegisterKind for Register {
            type Value = u64;
            const PLAIN_U64: bool = true;
            #[inline]
            fn from_u64(value: u64) -> u64 {
                value
            }
            #[inline]
            fn to_u64(value: u64) -> u64 {
                value
            }
            #[inline]
            fn name(self) -> WHV_REGISTER_NAME {
                // Discriminants are 0.. in declaration order, as NAMES.
                NAMES.get(self as usize).copied().unwrap_or(WHV_REGISTER_NAME(-1))
            }
            #[inline]
            fn decode(value: &WHV_REGISTER_VALUE) -> u64 {
                // SAFETY: every member of the union is plain integers, and
                // values come from `WHV_REGISTER_VALUE::default()` (all 16
                // bytes initialised) before the platform fills them.
                unsafe { value.Reg64 }
            }
            #[inline]
            fn encode(value: u64) -> WHV_REGISTER_VALUE {
                let mut v = WHV_REGISTER_VALUE::default();
                v.Reg64 = value;
                v
            }
        }
    };
}

registers64! {
    /// RAX.
    Rax = WHvX64RegisterRax,
    /// RCX.
    Rcx = WHvX64RegisterRcx,
    /// RDX.
    Rdx = WHvX64RegisterRdx,
    /// RBX.
    Rbx = WHvX64RegisterRbx,
    /// RSP.
    Rsp = WHvX64RegisterRsp,
    /// RBP.
    Rbp = WHvX64RegisterRbp,
    /// RSI.
    Rsi = WHvX64RegisterRsi,
    /// RDI.
    Rdi = WHvX64RegisterRdi,
    /// R8.
    R8 = WHvX64RegisterR8,
    /// R9.
    R9 = WHvX64RegisterR9,
    /// R10.
    R10 = WHvX64RegisterR10,
    /// R11.
    R11 = WHvX64RegisterR11,
    /// R12.
    R12 = WHvX64RegisterR12,
    /// R13.
    R13 = WHvX64RegisterR13,
    /// R14.
    R14 = WHvX64RegisterR14,
    /// R15.
    R15 = WHvX64RegisterR15,
    /// RIP.
    Rip = WHvX64RegisterRip,
    /// RFLAGS.
    Rflags = WHvX64RegisterRflags,
    /// CR0.
    Cr0 = WHvX64RegisterCr0,
    /// CR2.
    Cr2 = WHvX64RegisterCr2,
    /// CR3.
    Cr3 = WHvX64RegisterCr3,
    /// CR4.
    Cr4 = WHvX64RegisterCr4,
    /// CR8 (the task priority).
    Cr8 = WHvX64RegisterCr8,
    /// DR0.
    Dr0 = WHvX64RegisterDr0,
    /// DR1.
    Dr1 = WHvX64RegisterDr1,
    /// DR2.
    Dr2 = WHvX64RegisterDr2,
    /// DR3.
    Dr3 = WHvX64RegisterDr3,
    /// DR6.
    Dr6 = WHvX64RegisterDr6,
    /// DR7.
    Dr7 = WHvX64RegisterDr7,
    /// XCR0.
    Xcr0 = WHvX64RegisterXCr0,
    /// The time-stamp counter.
    Tsc = WHvX64RegisterTsc,
    /// IA32_EFER.
    Efer = WHvX64RegisterEfer,
    /// IA32_KERNEL_GS_BASE.
    KernelGsBase = WHvX64RegisterKernelGsBase,
    /// IA32_APIC_BASE.
    ApicBase = WHvX64RegisterApicBase,
    /// IA32_PAT.
    Pat = WHvX64RegisterPat,
    /// IA32_SYSENTER_CS.
    SysenterCs = WHvX64RegisterSysenterCs,
    /// IA32_SYSENTER_EIP.
    SysenterEip = WHvX64RegisterSysenterEip,
    /// IA32_SYSENTER_ESP.
    SysenterEsp = WHvX64RegisterSysenterEsp,
    /// IA32_STAR.
    Star = WHvX64RegisterStar,
    /// IA32_LSTAR.
    Lstar = WHvX64RegisterLstar,
    /// IA32_CSTAR.
    Cstar = WHvX64RegisterCstar,
    /// IA32_FMASK.
    Sfmask = WHvX64RegisterSfmask,
    /// The VP's initial APIC ID.
    InitialApicId = WHvX64RegisterInitialApicId,
    /// IA32_MTRRCAP.
    MtrrCap = WHvX64RegisterMsrMtrrCap,
    /// IA32_MTRR_DEF_TYPE.
    MtrrDefType = WHvX64RegisterMsrMtrrDefType,
    /// IA32_TSC_AUX.
    TscAux = WHvX64RegisterTscAux,
    /// IA32_SPEC_CTRL.
    SpecCtrl = WHvX64RegisterSpecCtrl,
    /// IA32_TSC_DEADLINE.
    TscDeadline = WHvX64RegisterTscDeadline,
    /// IA32_TSC_ADJUST.
    TscAdjust = WHvX64RegisterTscAdjust,
    /// IA32_XSS.
    Xss = WHvX64RegisterXss,
    /// The local APIC's ID register (LAPIC emulation).
    ApicId = WHvX64RegisterApicId,
    /// The local APIC's version register (LAPIC emulation).
    ApicVersion = WHvX64RegisterApicVersion,
    /// The local APIC's task-priority register (LAPIC emulation).
    ApicTpr = WHvX64RegisterApicTpr,
    /// The local APIC's spurious-interrupt vector register (LAPIC emulation).
    ApicSpurious = WHvX64RegisterApicSpurious,
    /// The local APIC's interrupt command register (LAPIC emulation).
    ApicIcr = WHvX64RegisterApicIcr,
    /// The local APIC's timer LVT (LAPIC emulation).
    ApicLvtTimer = WHvX64RegisterApicLvtTimer,
    /// The local APIC timer's initial count (LAPIC emulation).
    ApicInitCount = WHvX64RegisterApicInitCount,
    /// The local APIC timer's current count (LAPIC emulation).
    ApicCurrentCount = WHvX64RegisterApicCurrentCount,
    /// The local APIC timer's divide configuration (LAPIC emulation).
    ApicDivide = WHvX64RegisterApicDivide,
    /// `WHvRegisterPendingInterruption` as its 64 bits (an exception or
    /// interrupt to inject at the next run; see
    /// `WHV_X64_PENDING_INTERRUPTION_REGISTER`'s accessors).
    PendingInterruption = WHvRegisterPendingInterruption,
    /// `WHvRegisterInterruptState` as its 64 bits (interrupt shadow, NMI
    /// masked).
    InterruptState = WHvRegisterInterruptState,
    /// `WHvX64RegisterDeliverabilityNotifications` as its 64 bits (ask
    /// for an interrupt-window exit).
    DeliverabilityNotifications = WHvX64RegisterDeliverabilityNotifications,
}

/// A segment register (or LDTR, TR); its value is a [`Segment`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SegmentRegister {
    /// ES.
    Es,
    /// CS.
    Cs,
    /// SS.
    Ss,
    /// DS.
    Ds,
    /// FS.
    Fs,
    /// GS.
    Gs,
    /// LDTR.
    Ldtr,
    /// TR.
    Tr,
}

/// A segment register's value: what the processor caches from the
/// descriptor (`WHV_X64_SEGMENT_REGISTER`).
///
/// ```
/// use winhv::safe::Segment;
/// let cs = Segment::code64(0x8);
/// assert!(cs.long() && cs.present() && !cs.default_big());
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The base address.
    pub base: u64,
    /// The limit in bytes (already scaled by the granularity).
    pub limit: u32,
    /// The selector.
    pub selector: u16,
    /// The attribute bits: type (0..4), S (4), DPL (5..7), P (7), AVL
    /// (12), L (13), D/B (14), G (15).
    pub attributes: u16,
}

impl Segment {
    /// A flat 64-bit code segment (type 0xb, S, P, L, G) at `selector`.
    pub fn code64(selector: u16) -> Self {
        Self {
            base: 0,
            limit: 0xffff_ffff,
            selector,
            attributes: 0xa09b,
        }
    }

    /// A flat writable data segment (type 3, S, P, D/B, G) at `selector`.
    pub fn data32(selector: u16) -> Self {
        Self {
            base: 0,
            limit: 0xffff_ffff,
            selector,
            attributes: 0xc093,
        }
    }

    /// The descriptor type (bits 0..4).
    pub fn segment_type(&self) -> u8 {
        (self.attributes & 0xf) as u8
    }

    /// The descriptor privilege level.
    pub fn dpl(&self) -> u8 {
        ((self.attributes >> 5) & 3) as u8
    }

    /// The present bit.
    pub fn present(&self) -> bool {
        self.attributes & 0x80 != 0
    }

    /// The L bit (64-bit code).
    pub fn long(&self) -> bool {
        self.attributes & 0x2000 != 0
    }

    /// The D/B bit (32-bit default operand size).
    pub fn default_big(&self) -> bool {
        self.attributes & 0x4000 != 0
    }
}

impl From<WHV_X64_SEGMENT_REGISTER> for Segment {
    fn from(s: WHV_X64_SEGMENT_REGISTER) -> Self {
        Self {
            base: s.Base,
            limit: s.Limit,
            selector: s.Selector,
            attributes: s.Attributes,
        }
    }
}

impl From<Segment> for WHV_X64_SEGMENT_REGISTER {
    fn from(s: Segment) -> Self {
        Self {
            Base: s.base,
            Limit: s.limit,
            Selector: s.selector,
            Attributes: s.attributes,
        }
    }
}

impl RegisterKind for SegmentRegister {
    type Value = Segment;
    #[inline]
    fn name(self) -> WHV_REGISTER_NAME {
        match self {
            SegmentRegister::Es => WHvX64RegisterEs,
            SegmentRegister::Cs => WHvX64RegisterCs,
            SegmentRegister::Ss => WHvX64RegisterSs,
            SegmentRegister::Ds => WHvX64RegisterDs,
            SegmentRegister::Fs => WHvX64RegisterFs,
            SegmentRegister::Gs => WHvX64RegisterGs,
            SegmentRegister::Ldtr => WHvX64RegisterLdtr,
            SegmentRegister::Tr => WHvX64RegisterTr,
        }
    }
    #[inline]
    fn decode(value: &WHV_REGISTER_VALUE) -> Segment {
        // SAFETY: plain integers, all 16 bytes initialised (see `Register`).
        Segment::from(unsafe { value.Segment })
    }
    #[inline]
    fn encode(value: Segment) -> WHV_REGISTER_VALUE {
        let mut v = WHV_REGISTER_VALUE::default();
        v.Segment = value.into();
        v
    }
}

/// A descriptor-table register; its value is a [`Table`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TableRegister {
    /// IDTR.
    Idtr,
    /// GDTR.
    Gdtr,
}

/// A descriptor-table register's value.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Table {
    /// The table's linear base address.
    pub base: u64,
    /// The table's limit (its size in bytes, minus one).
    pub limit: u16,
}

impl RegisterKind for TableRegister {
    type Value = Table;
    #[inline]
    fn name(self) -> WHV_REGISTER_NAME {
        match self {
            TableRegister::Idtr => WHvX64RegisterIdtr,
            TableRegister::Gdtr => WHvX64RegisterGdtr,
        }
    }
    #[inline]
    fn decode(value: &WHV_REGISTER_VALUE) -> Table {
        // SAFETY: plain integers, all 16 bytes initialised (see `Register`).
        let t = unsafe { value.Table };
        Table {
            base: t.Base,
            limit: t.Limit,
        }
    }
    #[inline]
    fn encode(value: Table) -> WHV_REGISTER_VALUE {
        let mut v = WHV_REGISTER_VALUE::default();
        v.Table = WHV_X64_TABLE_REGISTER {
            Pad: [0; 3],
            Limit: value.limit,
            Base: value.base,
        };
        v
    }
}

/// An XMM register (XMM0..XMM15); its value is a `u128`.
///
/// ```
/// assert!(winhv::safe::Xmm::new(15).is_some());
/// assert!(winhv::safe::Xmm::new(16).is_none());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Xmm(u8);

impl Xmm {
    /// XMM`n`, for `n` below 16.
    pub fn new(n: u8) -> Option<Self> {
        (n < 16).then_some(Self(n))
    }
}

impl RegisterKind for Xmm {
    type Value = u128;
    #[inline]
    fn name(self) -> WHV_REGISTER_NAME {
        WHV_REGISTER_NAME(WHvX64RegisterXmm0.0 + i32::from(self.0))
    }
    #[inline]
    fn decode(value: &WHV_REGISTER_VALUE) -> u128 {
        // SAFETY: plain integers, all 16 bytes initialised (see `Register`).
        let v = unsafe { value.Reg128.Anonymous };
        u128::from(v.Low64) | (u128::from(v.High64) << 64)
    }
    #[inline]
    fn encode(value: u128) -> WHV_REGISTER_VALUE {
        let mut v = WHV_REGISTER_VALUE::default();
        v.Reg128 = WHV_UINT128 {
            Anonymous: WHV_UINT128_0 {
                Low64: value as u64,
                High64: (value >> 64) as u64,
            },
        };
        v
    }
}

/// One register of any kind with its value, for a mixed batch
/// ([`super::VirtualProcessor::set_values`]: a VP's entry state in one
/// call, all or none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterValue {
    /// A 64-bit register.
    U64(Register, u64),
    /// A segment register.
    Segment(SegmentRegister, Segment),
    /// A descriptor-table register.
    Table(TableRegister, Table),
    /// An XMM register.
    Xmm(Xmm, u128),
}

impl RegisterValue {
    /// The WHP name and union of this value.
    pub fn to_whp(self) -> (WHV_REGISTER_NAME, WHV_REGISTER_VALUE) {
        match self {
            RegisterValue::U64(r, v) => (r.name(), Register::encode(v)),
            RegisterValue::Segment(r, v) => (r.name(), SegmentRegister::encode(v)),
            RegisterValue::Table(r, v) => (r.name(), TableRegister::encode(v)),
            RegisterValue::Xmm(r, v) => (r.name(), Xmm::encode(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each variant names its own WHP register (the table is in step with
    /// the enum): the WHP constant's name ends with the variant's.
    #[test]
    fn every_register_names_its_whp_register() {
        let mut seen = std::collections::HashSet::new();
        for r in Register::ALL {
            let whp = format!("{:?}", r.name()).to_lowercase();
            let ours = format!("{r:?}").to_lowercase();
            assert!(whp.ends_with(&ours), "{r:?} is {whp}");
            assert!(seen.insert(r.name()), "{r:?} twice");
        }
    }

    #[test]
    fn values_round_trip_through_the_union() {
        let s = Segment::data32(0x10);
        assert_eq!(SegmentRegister::decode(&SegmentRegister::encode(s)), s);
        let t = Table { base: 1, limit: 2 };
        assert_eq!(TableRegister::decode(&TableRegister::encode(t)), t);
        assert_eq!(Xmm::decode(&Xmm::encode(u128::MAX - 5)), u128::MAX - 5);
        assert_eq!(Register::decode(&Register::encode(7)), 7);
    }
}
