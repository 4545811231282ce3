//! The local APIC registers (`WHvX64RegisterApic*`) on KVM's in-kernel
//! LAPIC: which register each name is, its value format, which writes
//! Windows refuses, and [`LapicCache`], the register page of one VP
//! (`kvm_lapic_state`, 1 KiB) fetched with one `KVM_GET_LAPIC` per batch and
//! written back with at most one `KVM_SET_LAPIC` before the next run. Also
//! the VM settings that make a new VP's LAPIC start as Windows' does
//! ([`configure_vm`]).
//!
//! # Value formats (all through `Reg64`)
//! The names are `0x3000` plus the x2APIC register number (`0x800 + n` is
//! the x2APIC MSR, `n << 4` the xAPIC page offset), and the values are the
//! x2APIC MSR values: the Hyper-V hypervisor behind WHP exposes its APIC as
//! x2APIC MSRs (TLFS `HV_REGISTER_NAME` `HvX64RegisterApic*` =
//! `0x0008_4800 + n` in openvmm's hvdef).
//! * `ApicId`: the APIC ID itself, not the xAPIC register's `ID << 24`
//!   (openvmm's virt_whp writes `WHvX64RegisterApicId` = the VP's APIC ID on
//!   an xAPIC partition). KVM's page holds `ID << 24` in both modes unless
//!   the VM enabled `KVM_CAP_X2APIC_API` (then x2APIC mode holds the 32-bit
//!   ID); [`Format::x2apic_api`] says which.
//! * `ApicIcr`: the 64-bit x2APIC ICR, `ICR high << 32 | ICR low`: in xAPIC
//!   mode the destination is in bits 63:56 (the xAPIC ICR-high register as
//!   is), in x2APIC mode bits 63:32 (TLFS `HV_X64_MSR_ICR`: "ICR high and
//!   ICR low are read from or written into the corresponding APIC ICR high
//!   and low registers"). KVM's page splits it the same way in both modes.
//! * `ApicIsr0–7`, `ApicTmr0–7`, `ApicIrr0–7`: 32 vectors each, `Isr0` =
//!   vectors 0–31, as the x2APIC MSRs `0x810–0x827`.
//! * Everything else: the 32-bit register, zero-extended.
//!
//! # Writes (TLFS `HvCallSetVpRegisters`)
//! "This call cannot be used to modify the value of a read-only register",
//! reserved bits must be zero, and "side-effects of modifying a register
//! are not performed". So:
//! * Read-only (x2APIC attributes, Intel SDM table "Local APIC Register
//!   Address Map Supported by x2APIC"): `ApicVersion`, `ApicPpr`, ISR, TMR,
//!   IRR, `ApicCurrentCount`, and `ApicId`/`ApicLdr` while the APIC is in
//!   x2APIC mode (writable in xAPIC mode, as openvmm relies on). Writing
//!   the value the register holds is accepted (a saved register list can
//!   be written back whole); any other value answers `E_INVALIDARG`.
//! * Write-only `ApicEoi` and `ApicSelfIpi` hold no state: they read as 0,
//!   and a write (reserved bits checked) is accepted without its side
//!   effect — no EOI is performed, no IPI is sent. Likewise a write to
//!   `ApicIcr` sends no IPI and one to `ApicInitCount` does not restart the
//!   timer: they set the register.
//! * Reserved bits (KVM's and the SDM's masks) answer `E_INVALIDARG`.
//!
//! `KVM_SET_LAPIC` restarts the APIC timer from the current count read by
//! the `KVM_GET_LAPIC` of the same batch: the time between the two is not
//! counted.

use kvm_bindings::{kvm_enable_cap, kvm_lapic_state};
use kvm_ioctls::{VcpuFd, VmFd};
use winhv_defs::*;

use crate::{Error, Result};

/// `KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST`, a recent flag of
/// `KVM_CAP_X2APIC_API` (not in kvm-bindings 0.14): the LAPIC neither
/// offers EOI-broadcast suppression (version bit 24) nor honours it (SVR
/// bit 12). Older kernels do not list it in the capability's answer.
const KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST: u64 = 1 << 3;

/// Makes the VM's in-kernel LAPICs start as Windows' do. Call on a new VM
/// with the split irqchip, before its first vCPU.
///
/// After VP creation a WHP local APIC (xAPIC or x2APIC emulation mode)
/// holds the architectural reset state with every LVT masked: ID = the VP
/// index, version 0x14 with 6 LVT entries (0x0005_0014), LDR 0, DFR all
/// ones, SVR 0xff (software-disabled, so a fixed IPI sent before the guest
/// enables it is not accepted), TPR 0, LVT timer, thermal, perfmon,
/// LINT0, LINT1 and error 0x1_0000, in xAPIC mode (IA32_APIC_BASE
/// 0xfee0_0900 on the BSP, 0xfee0_0800 on the others). Source: openvmm's
/// reset state of the APIC, which its WHP backend sets
/// (`vmm_core/virt/src/x86/vp.rs`, `Apic::at_reset`); Microsoft documents
/// none. KVM's LAPIC reset state is the same but for two things fixed
/// here:
/// * the BSP's LINT0 is 0x700 (ExtINT, unmasked) under
///   `KVM_X86_QUIRK_LINT0_REENABLED`, which is turned off, so it is masked;
/// * with x2APIC in CPUID and no in-kernel IOAPIC, the version register
///   offers EOI-broadcast suppression (bit 24): turned off where KVM can
///   (`KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST`), otherwise the version
///   reads 0x0105_0014 in such partitions.
pub(crate) fn configure_vm(vm: &VmFd) -> Result<()> {
    let quirk = u64::from(kvm_bindings::KVM_X86_QUIRK_LINT0_REENABLED);
    let mut cap = kvm_enable_cap {
        cap: kvm_bindings::KVM_CAP_DISABLE_QUIRKS2,
        ..Default::default()
    };
    if (vm.check_extension_raw(u64::from(kvm_bindings::KVM_CAP_DISABLE_QUIRKS2)) as u64) & quirk
        == 0
    {
        // The first interface takes any quirk mask (Linux 4.2 on).
        cap.cap = kvm_bindings::KVM_CAP_DISABLE_QUIRKS;
    }
    cap.args[0] = quirk;
    vm.enable_cap(&cap)
        .map_err(|e| Error::from_errno("KVM_CAP_DISABLE_QUIRKS (LINT0)", e.errno()))?;
    let x2apic_api = vm.check_extension_raw(u64::from(kvm_bindings::KVM_CAP_X2APIC_API)) as u64;
    if x2apic_api & KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST != 0 {
        let mut cap = kvm_enable_cap {
            cap: kvm_bindings::KVM_CAP_X2APIC_API,
            ..Default::default()
        };
        cap.args[0] = KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST;
        vm.enable_cap(&cap)
            .map_err(|e| Error::from_errno("KVM_CAP_X2APIC_API", e.errno()))?;
    }
    Ok(())
}

/// IA32_APIC_BASE.EXTD: the APIC is in x2APIC mode.
pub(crate) const APIC_BASE_EXTD: u64 = 1 << 10;

/// How the VM's KVM lays out the register page and what mode the APIC is
/// in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Format {
    /// The APIC is in x2APIC mode (IA32_APIC_BASE.EXTD).
    pub x2apic: bool,
    /// The VM enabled `KVM_CAP_X2APIC_API`: in x2APIC mode the page's ID
    /// register holds the 32-bit ID rather than `ID << 24`.
    pub x2apic_api: bool,
}

impl Format {
    /// The format for a VP whose IA32_APIC_BASE is `apic_base` on a VM
    /// without `KVM_CAP_X2APIC_API` ([`LapicCache::format`] knows the VM).
    pub(crate) fn for_apic_base(apic_base: u64) -> Self {
        Self {
            x2apic: apic_base & APIC_BASE_EXTD != 0,
            x2apic_api: false,
        }
    }
}

/// An APIC register by its x2APIC register number (`name - 0x3000`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApicReg(u8);

const ID: u8 = 0x02;
const VERSION: u8 = 0x03;
const TPR: u8 = 0x08;
const PPR: u8 = 0x0a;
const EOI: u8 = 0x0b;
const LDR: u8 = 0x0d;
const SPURIOUS: u8 = 0x0f;
const ISR0: u8 = 0x10;
const IRR7: u8 = 0x27;
const ESR: u8 = 0x28;
const ICR: u8 = 0x30;
const ICR_HIGH: u8 = 0x31;
const LVT_TIMER: u8 = 0x32;
const LVT_THERMAL: u8 = 0x33;
const LVT_PERFMON: u8 = 0x34;
const LVT_LINT0: u8 = 0x35;
const LVT_LINT1: u8 = 0x36;
const LVT_ERROR: u8 = 0x37;
const INIT_COUNT: u8 = 0x38;
const CURRENT_COUNT: u8 = 0x39;
const DIVIDE: u8 = 0x3e;
const SELF_IPI: u8 = 0x3f;

/// LVT bits KVM keeps (vector, delivery status, mask; plus per entry the
/// delivery mode, polarity, remote IRR, trigger mode, timer mode).
const LVT_BASE: u64 = 0x1_10ff;
const LVT_TIMER_MASK: u64 = LVT_BASE | 0x6_0000;
const LVT_MODE_MASK: u64 = LVT_BASE | 0x700;
const LVT_LINT_MASK: u64 = LVT_MODE_MASK | 0xe000;
/// ICR low: vector, delivery mode, destination mode, delivery status,
/// level, trigger mode, destination shorthand.
const ICR_LOW_MASK: u64 = 0x000c_dfff;

/// What a write to a register may do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Access {
    /// Read/write; the bits a write may set.
    ReadWrite(u64),
    /// Read-only: only the current value may be written.
    ReadOnly,
    /// Write-only with no state: reads 0; the bits a write may set.
    WriteOnly(u64),
}

impl ApicReg {
    /// The APIC register behind a WHP name, or `None` for any other name
    /// (including numbers inside the APIC range that WHP does not define).
    pub(crate) fn from_name(name: WHV_REGISTER_NAME) -> Option<Self> {
        let n = name.0.checked_sub(0x3000)?;
        let n = u8::try_from(n).ok()?;
        match n {
            ID | VERSION | TPR | PPR | EOI | LDR | SPURIOUS | ESR | ICR => Some(Self(n)),
            ISR0..=IRR7 => Some(Self(n)),
            LVT_TIMER..=CURRENT_COUNT | DIVIDE | SELF_IPI => Some(Self(n)),
            _ => None,
        }
    }

    /// The WHP name of this register.
    pub(crate) fn name(self) -> WHV_REGISTER_NAME {
        WHV_REGISTER_NAME(0x3000 + i32::from(self.0))
    }

    /// The TPR.
    pub(crate) const TPR: Self = Self(TPR);

    fn access(self, format: Format) -> Access {
        use Access::*;
        match self.0 {
            ID if format.x2apic => ReadOnly,
            ID => ReadWrite(0xff),
            LDR if format.x2apic => ReadOnly,
            LDR => ReadWrite(0xff00_0000),
            TPR => ReadWrite(0xff),
            SPURIOUS => ReadWrite(0x13ff),
            ESR => ReadWrite(0xef),
            ICR if format.x2apic => ReadWrite(0xffff_ffff_0000_0000 | ICR_LOW_MASK),
            ICR => ReadWrite(0xff00_0000_0000_0000 | ICR_LOW_MASK),
            LVT_TIMER => ReadWrite(LVT_TIMER_MASK),
            LVT_THERMAL | LVT_PERFMON => ReadWrite(LVT_MODE_MASK),
            LVT_LINT0 | LVT_LINT1 => ReadWrite(LVT_LINT_MASK),
            LVT_ERROR => ReadWrite(LVT_BASE),
            INIT_COUNT => ReadWrite(0xffff_ffff),
            DIVIDE => ReadWrite(0xb),
            EOI => WriteOnly(0xffff_ffff),
            SELF_IPI => WriteOnly(0xff),
            // Version, PPR, ISR, TMR, IRR, current count.
            _ => ReadOnly,
        }
    }
}

/// The 32-bit register at x2APIC number `n` (page offset `n << 4`).
fn dword(page: &kvm_lapic_state, n: u8) -> u32 {
    let at = usize::from(n) << 4;
    let b = |i: usize| page.regs[at + i] as u8;
    u32::from_le_bytes([b(0), b(1), b(2), b(3)])
}

fn set_dword(page: &mut kvm_lapic_state, n: u8, value: u32) {
    let at = usize::from(n) << 4;
    for (i, byte) in value.to_le_bytes().into_iter().enumerate() {
        page.regs[at + i] = byte as std::os::raw::c_char;
    }
}

/// The value of `reg` in WHP's format (see the module documentation).
pub(crate) fn read(page: &kvm_lapic_state, reg: ApicReg, format: Format) -> u64 {
    match reg.0 {
        ID if format.x2apic && format.x2apic_api => u64::from(dword(page, ID)),
        ID => u64::from(dword(page, ID) >> 24),
        ICR => u64::from(dword(page, ICR_HIGH)) << 32 | u64::from(dword(page, ICR)),
        EOI | SELF_IPI => 0,
        n => u64::from(dword(page, n)),
    }
}

/// Stores `value` into `reg` of `page`, or answers `E_INVALIDARG` for a
/// write Windows refuses (see the module documentation); `page` is left as
/// it was on an error.
pub(crate) fn write(
    page: &mut kvm_lapic_state,
    reg: ApicReg,
    value: u64,
    format: Format,
) -> Result<()> {
    match reg.access(format) {
        Access::ReadOnly => {
            if value == read(page, reg, format) {
                return Ok(());
            }
            let mode = if format.x2apic { " in x2APIC mode" } else { "" };
            Err(Error::with(
                E_INVALIDARG,
                format!("{:?} is read-only{mode}", reg.name()),
            ))
        }
        Access::WriteOnly(mask) | Access::ReadWrite(mask) if value & !mask != 0 => {
            Err(Error::with(
                E_INVALIDARG,
                format!(
                    "{:?} = {value:#x}: reserved bits {:#x} set",
                    reg.name(),
                    value & !mask
                ),
            ))
        }
        // No state and, as HvCallSetVpRegisters says, no side effect.
        Access::WriteOnly(_) => Ok(()),
        Access::ReadWrite(_) => {
            match reg.0 {
                ID if format.x2apic_api && format.x2apic => set_dword(page, ID, value as u32),
                ID => {
                    let low = dword(page, ID) & 0x00ff_ffff;
                    set_dword(page, ID, (value as u32) << 24 | low);
                }
                ICR => {
                    set_dword(page, ICR, value as u32);
                    set_dword(page, ICR_HIGH, (value >> 32) as u32);
                }
                n => set_dword(page, n, value as u32),
            }
            Ok(())
        }
    }
}

/// The TPR of `page`.
pub(crate) fn tpr(page: &kvm_lapic_state) -> u8 {
    dword(page, TPR) as u8
}

/// Sets the TPR of `page` (as a CR8 write does, with `cr8 << 4`).
pub(crate) fn set_tpr(page: &mut kvm_lapic_state, tpr: u8) {
    set_dword(page, TPR, u32::from(tpr));
}

/// The LAPIC part of a VP's register cache: the register page fetched
/// since the last run, whether it changed, and whether KVM has an
/// in-kernel LAPIC for the VP at all (learnt from the first
/// `KVM_GET_LAPIC`: without one, every APIC name answers
/// `WHV_E_INVALID_VP_REGISTER_NAME`).
#[derive(Clone, Default)]
pub(crate) struct LapicCache {
    page: Option<kvm_lapic_state>,
    dirty: bool,
    absent: bool,
    /// `KVM_GET_LAPIC` calls made.
    pub(crate) gets: u32,
    /// `KVM_SET_LAPIC` calls made.
    pub(crate) sets: u32,
    /// The VM enabled `KVM_CAP_X2APIC_API` (32-bit IDs): partitions with
    /// LAPIC emulation do where KVM has it (`crate::interrupts`).
    pub(crate) x2apic_api: bool,
}

impl std::fmt::Debug for LapicCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LapicCache")
            .field("loaded", &self.page.is_some())
            .field("dirty", &self.dirty)
            .field("absent", &self.absent)
            .finish()
    }
}

fn no_lapic() -> Error {
    Error::new(
        WHV_E_INVALID_VP_REGISTER_NAME,
        "APIC registers need the in-kernel LAPIC (LocalApicEmulationMode xApic or x2Apic)",
    )
}

impl LapicCache {
    /// The page format for a VP whose IA32_APIC_BASE is `apic_base`.
    pub(crate) fn format(&self, apic_base: u64) -> Format {
        Format {
            x2apic_api: self.x2apic_api,
            ..Format::for_apic_base(apic_base)
        }
    }

    /// Whether KVM said the VP has no in-kernel LAPIC.
    pub(crate) fn is_absent(&self) -> bool {
        self.absent
    }

    /// The page, if fetched since the last run.
    pub(crate) fn page(&self) -> Option<&kvm_lapic_state> {
        self.page.as_ref()
    }

    /// Whether a changed page waits for `KVM_SET_LAPIC`.
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Fetches the page with one `KVM_GET_LAPIC` unless it is cached.
    /// `WHV_E_INVALID_VP_REGISTER_NAME` when the VP has no in-kernel LAPIC
    /// (KVM answers EINVAL or ENXIO).
    pub(crate) fn load(&mut self, vcpu: &VcpuFd) -> Result<&mut kvm_lapic_state> {
        if self.absent {
            return Err(no_lapic());
        }
        if self.page.is_none() {
            self.gets += 1;
            match vcpu.get_lapic() {
                Ok(page) => self.page = Some(page),
                Err(e) if e.errno() == libc::EINVAL || e.errno() == libc::ENXIO => {
                    self.absent = true;
                    return Err(no_lapic());
                }
                Err(e) => return Err(Error::from_errno("KVM_GET_LAPIC", e.errno())),
            }
        }
        self.page
            .as_mut()
            .ok_or_else(|| Error::new(E_UNEXPECTED, "LAPIC page not loaded"))
    }

    /// Replaces the cached page; marks it for write-back if it changed.
    pub(crate) fn update(&mut self, page: kvm_lapic_state) {
        if let Some(old) = self.page.as_mut() {
            if old.regs != page.regs {
                *old = page;
                self.dirty = true;
            }
        }
    }

    /// One `KVM_SET_LAPIC` if the page changed, for a VP whose
    /// IA32_APIC_BASE is now `apic_base`. If KVM refuses it the page is
    /// dropped (the VP keeps its previous state).
    pub(crate) fn write_back(&mut self, vcpu: &VcpuFd, apic_base: u64) -> Result<()> {
        let x2apic_api = self.x2apic_api;
        let (true, Some(page)) = (self.dirty, self.page.as_mut()) else {
            return Ok(());
        };
        if x2apic_api {
            // The page may have been fetched in the other mode (the VMM
            // switched IA32_APIC_BASE.EXTD since): KVM takes the ID as the
            // 32-bit x2APIC ID in x2APIC mode, `ID << 24` in xAPIC mode.
            // A small ID tells the forms apart (no VP index reaches 2^24).
            let id = dword(page, ID);
            if apic_base & APIC_BASE_EXTD != 0 && id & 0x00ff_ffff == 0 {
                set_dword(page, ID, id >> 24);
            } else if apic_base & APIC_BASE_EXTD == 0 && id & 0x00ff_ffff != 0 {
                set_dword(page, ID, id << 24);
            }
        }
        let page = &*page;
        self.sets += 1;
        self.dirty = false;
        let r = vcpu
            .set_lapic(page)
            .map_err(|e| Error::from_errno("KVM_SET_LAPIC", e.errno()));
        if r.is_err() {
            self.page = None;
        }
        r
    }

    /// Forgets the page (stale after a run); keeps whether KVM has one.
    pub(crate) fn drop_value(&mut self) {
        self.page = None;
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XAPIC: Format = Format {
        x2apic: false,
        x2apic_api: false,
    };
    const X2APIC: Format = Format {
        x2apic: true,
        x2apic_api: false,
    };
    const X2APIC_API: Format = Format {
        x2apic: true,
        x2apic_api: true,
    };

    fn page_with(pairs: &[(u8, u32)]) -> kvm_lapic_state {
        let mut p = kvm_lapic_state::default();
        for &(n, v) in pairs {
            set_dword(&mut p, n, v);
        }
        p
    }

    fn reg(name: WHV_REGISTER_NAME) -> ApicReg {
        ApicReg::from_name(name).expect("an APIC name")
    }

    #[test]
    fn every_whp_apic_name_maps_and_nothing_else() {
        let names = [
            (WHvX64RegisterApicId, 0x20),
            (WHvX64RegisterApicVersion, 0x30),
            (WHvX64RegisterApicTpr, 0x80),
            (WHvX64RegisterApicPpr, 0xa0),
            (WHvX64RegisterApicEoi, 0xb0),
            (WHvX64RegisterApicLdr, 0xd0),
            (WHvX64RegisterApicSpurious, 0xf0),
            (WHvX64RegisterApicIsr0, 0x100),
            (WHvX64RegisterApicIsr7, 0x170),
            (WHvX64RegisterApicTmr0, 0x180),
            (WHvX64RegisterApicTmr7, 0x1f0),
            (WHvX64RegisterApicIrr0, 0x200),
            (WHvX64RegisterApicIrr7, 0x270),
            (WHvX64RegisterApicEse, 0x280),
            (WHvX64RegisterApicIcr, 0x300),
            (WHvX64RegisterApicLvtTimer, 0x320),
            (WHvX64RegisterApicLvtThermal, 0x330),
            (WHvX64RegisterApicLvtPerfmon, 0x340),
            (WHvX64RegisterApicLvtLint0, 0x350),
            (WHvX64RegisterApicLvtLint1, 0x360),
            (WHvX64RegisterApicLvtError, 0x370),
            (WHvX64RegisterApicInitCount, 0x380),
            (WHvX64RegisterApicCurrentCount, 0x390),
            (WHvX64RegisterApicDivide, 0x3e0),
            (WHvX64RegisterApicSelfIpi, 0x3f0),
        ];
        for (name, offset) in names {
            let r = reg(name);
            assert_eq!(usize::from(r.0) << 4, offset, "{name:?}");
            assert_eq!(r.name(), name);
        }
        // 0x3000 + n for n the registers WHP leaves out (APR, RRD, DFR,
        // LVT CMCI, ICR high), and names around the range.
        for n in [
            0x3000, 0x3001, 0x3009, 0x300c, 0x300e, 0x302f, 0x3031, 0x303a, 0x3040,
        ] {
            assert_eq!(ApicReg::from_name(WHV_REGISTER_NAME(n)), None, "{n:#x}");
        }
        assert_eq!(ApicReg::from_name(WHvX64RegisterApicBase), None);
        assert_eq!(ApicReg::from_name(WHvRegisterSint0), None);
    }

    #[test]
    fn id_is_the_id_not_the_xapic_register() {
        let p = page_with(&[(ID, 0x0300_0000)]);
        assert_eq!(read(&p, reg(WHvX64RegisterApicId), XAPIC), 3);
        assert_eq!(read(&p, reg(WHvX64RegisterApicId), X2APIC), 3);
        let p = page_with(&[(ID, 0x1234)]);
        assert_eq!(read(&p, reg(WHvX64RegisterApicId), X2APIC_API), 0x1234);

        let mut p = page_with(&[(ID, 0x0100_0000)]);
        write(&mut p, reg(WHvX64RegisterApicId), 0x7f, XAPIC).unwrap();
        assert_eq!(dword(&p, ID), 0x7f00_0000);
        let e = write(&mut p, reg(WHvX64RegisterApicId), 0x100, XAPIC).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG, "xAPIC IDs have 8 bits");
    }

    #[test]
    fn id_and_ldr_are_read_only_in_x2apic_mode() {
        let mut p = page_with(&[(ID, 0x0200_0000), (LDR, 0x4)]);
        let before = p;
        for (name, same) in [(WHvX64RegisterApicId, 2), (WHvX64RegisterApicLdr, 4)] {
            write(&mut p, reg(name), same, X2APIC).expect("the same value");
            let e = write(&mut p, reg(name), same + 1, X2APIC).unwrap_err();
            assert_eq!(e.hresult, E_INVALIDARG, "{name:?}");
        }
        assert_eq!(p.regs, before.regs);
        // The xAPIC LDR: logical ID in bits 31:24, the rest reserved.
        write(&mut p, reg(WHvX64RegisterApicLdr), 0x0800_0000, XAPIC).unwrap();
        assert_eq!(dword(&p, LDR), 0x0800_0000);
        let e = write(&mut p, reg(WHvX64RegisterApicLdr), 0x0800_0001, XAPIC).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG);
    }

    #[test]
    fn icr_is_one_64_bit_register_over_two_dwords() {
        let p = page_with(&[(ICR, 0x0004_40fe), (ICR_HIGH, 0x0300_0000)]);
        assert_eq!(
            read(&p, reg(WHvX64RegisterApicIcr), XAPIC),
            0x0300_0000_0004_40fe
        );
        let mut p = kvm_lapic_state::default();
        write(
            &mut p,
            reg(WHvX64RegisterApicIcr),
            0x0000_0105_0000_4031,
            X2APIC,
        )
        .unwrap();
        assert_eq!((dword(&p, ICR), dword(&p, ICR_HIGH)), (0x4031, 0x105));
        // An x2APIC destination does not fit the xAPIC ICR.
        let e = write(
            &mut p,
            reg(WHvX64RegisterApicIcr),
            0x0000_0105_0000_4031,
            XAPIC,
        )
        .unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG);
        // Reserved ICR-low bits (13, 16–17, 20–31).
        for bit in [13, 16, 17, 20, 31] {
            let e = write(&mut p, reg(WHvX64RegisterApicIcr), 1 << bit, X2APIC).unwrap_err();
            assert_eq!(e.hresult, E_INVALIDARG, "bit {bit}");
        }
    }

    #[test]
    fn vector_bitmaps_are_32_bit_chunks_and_read_only() {
        let mut p = page_with(&[(ISR0 + 1, 0x8000_0001), (0x18 + 7, 0x4000_0000), (IRR7, 7)]);
        assert_eq!(read(&p, reg(WHvX64RegisterApicIsr1), XAPIC), 0x8000_0001);
        assert_eq!(read(&p, reg(WHvX64RegisterApicTmr7), XAPIC), 0x4000_0000);
        assert_eq!(read(&p, reg(WHvX64RegisterApicIrr7), XAPIC), 7);
        assert_eq!(read(&p, reg(WHvX64RegisterApicIrr0), XAPIC), 0);
        for name in [
            WHvX64RegisterApicIsr1,
            WHvX64RegisterApicTmr0,
            WHvX64RegisterApicIrr7,
            WHvX64RegisterApicVersion,
            WHvX64RegisterApicPpr,
            WHvX64RegisterApicCurrentCount,
        ] {
            let same = read(&p, reg(name), XAPIC);
            write(&mut p, reg(name), same, XAPIC).expect("the same value");
            let e = write(&mut p, reg(name), same ^ 0x20, XAPIC).unwrap_err();
            assert_eq!(e.hresult, E_INVALIDARG, "{name:?}");
        }
    }

    #[test]
    fn write_only_registers_hold_nothing() {
        let mut p = kvm_lapic_state::default();
        for name in [WHvX64RegisterApicEoi, WHvX64RegisterApicSelfIpi] {
            write(&mut p, reg(name), 0x31, XAPIC).unwrap();
            assert_eq!(read(&p, reg(name), XAPIC), 0, "{name:?}");
        }
        assert!(p.regs.iter().all(|&b| b == 0), "no side effect on the page");
        let e = write(&mut p, reg(WHvX64RegisterApicSelfIpi), 0x100, XAPIC).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG);
        let e = write(&mut p, reg(WHvX64RegisterApicEoi), 1 << 32, XAPIC).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG);
    }

    #[test]
    fn read_write_registers_round_trip_and_check_reserved_bits() {
        let cases = [
            (WHvX64RegisterApicTpr, 0x25, 0x100),
            (WHvX64RegisterApicSpurious, 0x11ff, 0x400),
            (WHvX64RegisterApicEse, 0x40, 0x100),
            (WHvX64RegisterApicLvtTimer, 0x2_00ef, 0x8_0000),
            (WHvX64RegisterApicLvtThermal, 0x1_0400, 0x2000),
            (WHvX64RegisterApicLvtPerfmon, 0x4fe, 0x8000),
            (WHvX64RegisterApicLvtLint0, 0x1_a700, 0x2_0000),
            (WHvX64RegisterApicLvtLint1, 0x400, 0x100_0000),
            (WHvX64RegisterApicLvtError, 0x1_00fd, 0x700),
            (WHvX64RegisterApicInitCount, 0xffff_fffe, 1 << 32),
            (WHvX64RegisterApicDivide, 0xb, 0x4),
        ];
        for (name, good, bad) in cases {
            let mut p = kvm_lapic_state::default();
            write(&mut p, reg(name), good, XAPIC).unwrap();
            assert_eq!(read(&p, reg(name), XAPIC), good, "{name:?}");
            let e = write(&mut p, reg(name), good | bad, XAPIC).unwrap_err();
            assert_eq!(e.hresult, E_INVALIDARG, "{name:?} {bad:#x}");
            assert_eq!(read(&p, reg(name), XAPIC), good, "{name:?} unchanged");
        }
    }

    #[test]
    fn init_count_write_leaves_current_count() {
        let mut p = page_with(&[(CURRENT_COUNT, 77)]);
        write(&mut p, reg(WHvX64RegisterApicInitCount), 1000, XAPIC).unwrap();
        assert_eq!(read(&p, reg(WHvX64RegisterApicCurrentCount), XAPIC), 77);
    }

    #[test]
    fn tpr_helpers_use_the_tpr_dword() {
        let mut p = kvm_lapic_state::default();
        set_tpr(&mut p, 0x30);
        assert_eq!(read(&p, ApicReg::TPR, XAPIC), 0x30);
        assert_eq!(tpr(&p), 0x30);
    }

    #[test]
    fn format_follows_extd() {
        assert!(!Format::for_apic_base(0xfee0_0900).x2apic);
        assert!(Format::for_apic_base(0xfee0_0d00).x2apic);
    }

    /// A vCPU with (`lapic`) or without the in-kernel LAPIC, or `None`
    /// without /dev/kvm or split irqchip.
    fn vcpu(lapic: bool) -> Option<(kvm_ioctls::VmFd, VcpuFd)> {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return None;
        }
        let kvm = kvm_ioctls::Kvm::new().expect("open /dev/kvm");
        let vm = kvm.create_vm().expect("KVM_CREATE_VM");
        if lapic {
            if !kvm.check_extension(kvm_ioctls::Cap::SplitIrqchip) {
                println!("SKIPPED: no split irqchip");
                return None;
            }
            let cap = kvm_bindings::kvm_enable_cap {
                cap: kvm_bindings::KVM_CAP_SPLIT_IRQCHIP,
                ..Default::default()
            };
            vm.enable_cap(&cap).expect("KVM_CAP_SPLIT_IRQCHIP");
        }
        let vcpu = vm.create_vcpu(0).expect("KVM_CREATE_VCPU");
        Some((vm, vcpu))
    }

    #[test]
    fn without_an_in_kernel_lapic_the_names_are_unbacked_and_kvm_asked_once() {
        let Some((_vm, vcpu)) = vcpu(false) else {
            return;
        };
        let mut c = LapicCache::default();
        for _ in 0..2 {
            let e = c.load(&vcpu).unwrap_err();
            assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME);
        }
        assert!(c.is_absent());
        assert_eq!(c.gets, 1);
    }

    #[test]
    fn cache_fetches_once_writes_once_and_kvm_keeps_the_value() {
        let Some((_vm, vcpu)) = vcpu(true) else {
            return;
        };
        let mut c = LapicCache::default();
        let page = *c.load(&vcpu).unwrap();
        let _ = c.load(&vcpu).unwrap();
        assert_eq!(c.gets, 1, "cached until dropped");
        // KVM's reset state: version 0x14 with at least 5 more LVTs, LVTs
        // masked.
        let version = read(&page, reg(WHvX64RegisterApicVersion), XAPIC);
        assert_eq!(version & 0xff, 0x14, "{version:#x}");
        assert!((version >> 16) & 0xff >= 5, "{version:#x}");
        c.write_back(&vcpu, 0xfee0_0900).unwrap();
        assert_eq!(c.sets, 0, "nothing changed, nothing written");

        let mut new = page;
        write(&mut new, reg(WHvX64RegisterApicLvtLint0), 0x700, XAPIC).unwrap();
        write(&mut new, reg(WHvX64RegisterApicTpr), 0x25, XAPIC).unwrap();
        c.update(new);
        assert!(c.is_dirty());
        c.write_back(&vcpu, 0xfee0_0900).unwrap();
        assert_eq!(c.sets, 1);
        c.drop_value();
        let back = *c.load(&vcpu).unwrap();
        assert_eq!(c.gets, 2);
        assert_eq!(read(&back, reg(WHvX64RegisterApicLvtLint0), XAPIC), 0x700);
        assert_eq!(read(&back, reg(WHvX64RegisterApicTpr), XAPIC), 0x25);
        // KVM recomputed the PPR from the TPR (no interrupt in service).
        assert_eq!(read(&back, reg(WHvX64RegisterApicPpr), XAPIC), 0x25);
    }

    #[test]
    fn the_register_cache_gets_once_and_sets_once_per_run() {
        use super::super::value::{from_u64, u64_of};
        let Some((_vm, vcpu)) = vcpu(true) else {
            return;
        };
        let mut vcpu = crate::vcpu::Vcpu::for_test(vcpu);
        let mut regs = crate::registers::RegisterState::new();
        let names: Vec<_> = (0x3000..0x3040)
            .map(WHV_REGISTER_NAME)
            .filter(|&n| ApicReg::from_name(n).is_some())
            .collect();
        assert_eq!(names.len(), 43);
        let mut values = vec![WHV_REGISTER_VALUE::default(); names.len()];
        regs.get(&mut vcpu, &names, &mut values).unwrap();
        assert_eq!(regs.lapic_ioctls(), (1, 0), "one KVM_GET_LAPIC for all");
        regs.set(&mut vcpu, &[WHvX64RegisterApicLvtError], &[from_u64(0xfe)])
            .unwrap();
        regs.set(&mut vcpu, &[WHvX64RegisterApicTpr], &[from_u64(0x21)])
            .unwrap();
        let mut v = [WHV_REGISTER_VALUE::default(); 3];
        let names = [
            WHvX64RegisterApicLvtError,
            WHvX64RegisterApicTpr,
            WHvX64RegisterCr8,
        ];
        regs.get(&mut vcpu, &names, &mut v).unwrap();
        assert_eq!(v.map(|x| u64_of(&x)), [0xfe, 0x21, 2]);
        assert_eq!(
            regs.lapic_ioctls(),
            (1, 0),
            "nothing written before the run"
        );
        regs.before_run(&mut vcpu).unwrap();
        assert_eq!(regs.lapic_ioctls(), (1, 1), "one KVM_SET_LAPIC for both");
        regs.before_run(&mut vcpu).unwrap();
        assert_eq!(regs.lapic_ioctls(), (1, 1), "nothing left to write");
        let page = vcpu.fd().get_lapic().unwrap();
        assert_eq!(read(&page, reg(WHvX64RegisterApicLvtError), XAPIC), 0xfe);
        assert_eq!(tpr(&page), 0x21);
    }
}
