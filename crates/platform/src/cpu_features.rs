//! The bridge between CPUID and WHP's processor feature words: which CPUID
//! bit each bit of `WHV_PROCESSOR_FEATURES` (bank 0), `WHV_PROCESSOR_FEATURES1`
//! (bank 1), `WHV_PROCESSOR_XSAVE_FEATURES` and
//! `WHV_PROCESSOR_PERFMON_FEATURES` stands for, read from KVM's supported
//! CPUID (the capability answers) and written back into a CPUID table when a
//! partition turns features off (the table handed to `KVM_SET_CPUID2`).
//!
//! One table, [`FEATURES`], serves both directions, so what the capability
//! reports and what a partition can take away are the same bits. A feature
//! with no CPUID source (Npiep1, the nested-VMX bits, the reserved bits) is
//! never reported. The few bank-0 bits that come from the
//! `IA32_ARCH_CAPABILITIES` MSR rather than CPUID are in
//! [`ARCH_CAPABILITIES_BITS`].

use kvm_bindings::kvm_cpuid_entry2;

/// A CPUID output register.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    Eax,
    Ebx,
    Ecx,
    Edx,
}

/// One bit of CPUID output: leaf, subleaf, register, bit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct CpuidBit {
    pub leaf: u32,
    pub subleaf: u32,
    pub reg: Reg,
    pub bit: u8,
}

/// Which WHP feature word a feature bit lives in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Word {
    /// `WHV_PROCESSOR_FEATURES` (ProcessorFeaturesBanks bank 0).
    Bank0,
    /// `WHV_PROCESSOR_FEATURES1` (ProcessorFeaturesBanks bank 1).
    Bank1,
    /// `WHV_PROCESSOR_XSAVE_FEATURES`.
    Xsave,
    /// `WHV_PROCESSOR_PERFMON_FEATURES`.
    Perfmon,
}

/// A WHP feature bit and the CPUID bits that enumerate it. With several
/// sources (Intel's and AMD's place for the same feature) the feature is
/// present when any source is set, and turning it off clears them all.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Feature {
    /// The header's field name.
    #[allow(dead_code, reason = "names the bit in Debug output and test failures")]
    pub name: &'static str,
    /// The word the bit lives in.
    pub word: Word,
    /// The bit in that word.
    pub bit: u8,
    /// Where CPUID enumerates it.
    pub sources: &'static [CpuidBit],
}

const fn c(leaf: u32, subleaf: u32, reg: Reg, bit: u8) -> CpuidBit {
    CpuidBit {
        leaf,
        subleaf,
        reg,
        bit,
    }
}

const X1: u32 = 0x8000_0001;
const X7: u32 = 0x8000_0007;
const X8: u32 = 0x8000_0008;
const X22: u32 = 0x8000_0022;
use Reg::{Eax, Ebx, Ecx, Edx};

macro_rules! features {
    ($( $word:ident $bit:literal $name:literal => [$($src:expr),* $(,)?] ; )*) => {
        /// Every WHP processor feature bit with a CPUID source. Leaves and
        /// bits follow the Intel SDM and the AMD APM (and the comments of
        /// Microsoft's `WHvGetCapability` page where it gives them).
        pub(crate) const FEATURES: &[Feature] = &[
            $( Feature { name: $name, word: Word::$word, bit: $bit, sources: &[$($src),*] }, )*
        ];
    };
}

features! {
    Bank0 0 "Sse3Support" => [c(1, 0, Ecx, 0)];
    Bank0 1 "LahfSahfSupport" => [c(X1, 0, Ecx, 0)];
    Bank0 2 "Ssse3Support" => [c(1, 0, Ecx, 9)];
    Bank0 3 "Sse4_1Support" => [c(1, 0, Ecx, 19)];
    Bank0 4 "Sse4_2Support" => [c(1, 0, Ecx, 20)];
    Bank0 5 "Sse4aSupport" => [c(X1, 0, Ecx, 6)];
    Bank0 6 "XopSupport" => [c(X1, 0, Ecx, 11)];
    Bank0 7 "PopCntSupport" => [c(1, 0, Ecx, 23)];
    Bank0 8 "Cmpxchg16bSupport" => [c(1, 0, Ecx, 13)];
    Bank0 9 "Altmovcr8Support" => [c(X1, 0, Ecx, 4)];
    Bank0 10 "LzcntSupport" => [c(X1, 0, Ecx, 5)];
    Bank0 11 "MisAlignSseSupport" => [c(X1, 0, Ecx, 7)];
    Bank0 12 "MmxExtSupport" => [c(X1, 0, Edx, 22)];
    Bank0 13 "Amd3DNowSupport" => [c(X1, 0, Edx, 31)];
    Bank0 14 "ExtendedAmd3DNowSupport" => [c(X1, 0, Edx, 30)];
    Bank0 15 "Page1GbSupport" => [c(X1, 0, Edx, 26)];
    Bank0 16 "AesSupport" => [c(1, 0, Ecx, 25)];
    Bank0 17 "PclmulqdqSupport" => [c(1, 0, Ecx, 1)];
    Bank0 18 "PcidSupport" => [c(1, 0, Ecx, 17)];
    Bank0 19 "Fma4Support" => [c(X1, 0, Ecx, 16)];
    Bank0 20 "F16CSupport" => [c(1, 0, Ecx, 29)];
    Bank0 21 "RdRandSupport" => [c(1, 0, Ecx, 30)];
    Bank0 22 "RdWrFsGsSupport" => [c(7, 0, Ebx, 0)];
    Bank0 23 "SmepSupport" => [c(7, 0, Ebx, 7)];
    Bank0 24 "EnhancedFastStringSupport" => [c(7, 0, Ebx, 9)];
    Bank0 25 "Bmi1Support" => [c(7, 0, Ebx, 3)];
    Bank0 26 "Bmi2Support" => [c(7, 0, Ebx, 8)];
    Bank0 29 "MovbeSupport" => [c(1, 0, Ecx, 22)];
    Bank0 31 "DepX87FPUSaveSupport" => [c(7, 0, Ebx, 13)];
    Bank0 32 "RdSeedSupport" => [c(7, 0, Ebx, 18)];
    Bank0 33 "AdxSupport" => [c(7, 0, Ebx, 19)];
    Bank0 34 "IntelPrefetchSupport" => [c(X1, 0, Ecx, 8)];
    Bank0 35 "SmapSupport" => [c(7, 0, Ebx, 20)];
    Bank0 36 "HleSupport" => [c(7, 0, Ebx, 4)];
    Bank0 37 "RtmSupport" => [c(7, 0, Ebx, 11)];
    Bank0 38 "RdtscpSupport" => [c(X1, 0, Edx, 27)];
    Bank0 39 "ClflushoptSupport" => [c(7, 0, Ebx, 23)];
    Bank0 40 "ClwbSupport" => [c(7, 0, Ebx, 24)];
    Bank0 41 "ShaSupport" => [c(7, 0, Ebx, 29)];
    Bank0 42 "X87PointersSavedSupport" => [c(X8, 0, Ebx, 2)];
    Bank0 43 "InvpcidSupport" => [c(7, 0, Ebx, 10)];
    Bank0 44 "IbrsSupport" => [c(7, 0, Edx, 26), c(X8, 0, Ebx, 14)];
    Bank0 45 "StibpSupport" => [c(7, 0, Edx, 27), c(X8, 0, Ebx, 15)];
    Bank0 46 "IbpbSupport" => [c(7, 0, Edx, 26), c(X8, 0, Ebx, 12)];
    Bank0 48 "SsbdSupport" => [c(7, 0, Edx, 31), c(X8, 0, Ebx, 24)];
    Bank0 49 "FastShortRepMovSupport" => [c(7, 0, Edx, 4)];
    Bank0 54 "SsbNo" => [c(X8, 0, Ebx, 26)];
    Bank0 57 "RdPidSupport" => [c(7, 0, Ecx, 22)];
    Bank0 58 "UmipSupport" => [c(7, 0, Ecx, 2)];
    Bank0 60 "MdClearSupport" => [c(7, 0, Edx, 10)];
    Bank1 0 "ACountMCountSupport" => [c(6, 0, Ecx, 0)];
    Bank1 1 "TscInvariantSupport" => [c(X7, 0, Edx, 8)];
    Bank1 2 "ClZeroSupport" => [c(X8, 0, Ebx, 0)];
    Bank1 3 "RdpruSupport" => [c(X8, 0, Ebx, 4)];
    Bank1 7 "PsfdSupport" => [c(7, 2, Edx, 0), c(X8, 0, Ebx, 28)];
    Bank1 8 "CetSsSupport" => [c(7, 0, Ecx, 7)];
    Bank1 9 "CetIbtSupport" => [c(7, 0, Edx, 20)];
    Bank1 12 "UmwaitTpauseSupport" => [c(7, 0, Ecx, 5)];
    Bank1 13 "MovdiriSupport" => [c(7, 0, Ecx, 27)];
    Bank1 14 "Movdir64bSupport" => [c(7, 0, Ecx, 28)];
    Bank1 15 "CldemoteSupport" => [c(7, 0, Ecx, 25)];
    Bank1 16 "SerializeSupport" => [c(7, 0, Edx, 14)];
    Bank1 17 "TscDeadlineTmrSupport" => [c(1, 0, Ecx, 24)];
    Bank1 18 "TscAdjustSupport" => [c(7, 0, Ebx, 1)];
    Bank1 19 "FZLRepMovsb" => [c(7, 1, Eax, 10)];
    Bank1 20 "FSRepStosb" => [c(7, 1, Eax, 11)];
    Bank1 21 "FSRepCmpsb" => [c(7, 1, Eax, 12)];
    Xsave 0 "XsaveSupport" => [c(1, 0, Ecx, 26)];
    Xsave 1 "XsaveoptSupport" => [c(0xd, 1, Eax, 0)];
    Xsave 2 "AvxSupport" => [c(1, 0, Ecx, 28)];
    Xsave 3 "Avx2Support" => [c(7, 0, Ebx, 5)];
    Xsave 4 "FmaSupport" => [c(1, 0, Ecx, 12)];
    Xsave 5 "MpxSupport" => [c(7, 0, Ebx, 14)];
    Xsave 6 "Avx512Support" => [c(7, 0, Ebx, 16)];
    Xsave 7 "Avx512DQSupport" => [c(7, 0, Ebx, 17)];
    Xsave 8 "Avx512CDSupport" => [c(7, 0, Ebx, 28)];
    Xsave 9 "Avx512BWSupport" => [c(7, 0, Ebx, 30)];
    Xsave 10 "Avx512VLSupport" => [c(7, 0, Ebx, 31)];
    Xsave 11 "XsaveCompSupport" => [c(0xd, 1, Eax, 1)];
    Xsave 12 "XsaveSupervisorSupport" => [c(0xd, 1, Eax, 3)];
    Xsave 13 "Xcr1Support" => [c(0xd, 1, Eax, 2)];
    Xsave 14 "Avx512BitalgSupport" => [c(7, 0, Ecx, 12)];
    Xsave 15 "Avx512IfmaSupport" => [c(7, 0, Ebx, 21)];
    Xsave 16 "Avx512VBmiSupport" => [c(7, 0, Ecx, 1)];
    Xsave 17 "Avx512VBmi2Support" => [c(7, 0, Ecx, 6)];
    Xsave 18 "Avx512VnniSupport" => [c(7, 0, Ecx, 11)];
    Xsave 19 "GfniSupport" => [c(7, 0, Ecx, 8)];
    Xsave 20 "VaesSupport" => [c(7, 0, Ecx, 9)];
    Xsave 21 "Avx512VPopcntdqSupport" => [c(7, 0, Ecx, 14)];
    Xsave 22 "VpclmulqdqSupport" => [c(7, 0, Ecx, 10)];
    Xsave 23 "Avx512Bf16Support" => [c(7, 1, Eax, 5)];
    Xsave 24 "Avx512Vp2IntersectSupport" => [c(7, 0, Edx, 8)];
    Xsave 25 "Avx512Fp16Support" => [c(7, 0, Edx, 23)];
    Xsave 26 "XfdSupport" => [c(0xd, 1, Eax, 4)];
    Xsave 27 "AmxTileSupport" => [c(7, 0, Edx, 24)];
    Xsave 28 "AmxBf16Support" => [c(7, 0, Edx, 22)];
    Xsave 29 "AmxInt8Support" => [c(7, 0, Edx, 25)];
    Xsave 30 "AvxVnniSupport" => [c(7, 1, Eax, 4)];
    Perfmon 1 "LbrSupport" => [c(7, 0, Edx, 19), c(X22, 0, Eax, 1)];
}

/// Bank-0 bits that mirror `IA32_ARCH_CAPABILITIES` (MSR 0x10a) rather than
/// CPUID: (bank-0 bit, MSR bit). KVM reports the MSR's value as a feature
/// MSR (`KVM_GET_MSRS` on `/dev/kvm`). `RsbANo` (bit 55) has no agreed MSR
/// meaning and is never reported.
pub(crate) const ARCH_CAPABILITIES_BITS: &[(u8, u8)] = &[
    (51, 0), // RdclNo ← RDCL_NO
    (52, 1), // IbrsAllSupport ← IBRS_ALL
    (54, 4), // SsbNo ← SSB_NO
    (59, 5), // MdsNoSupport ← MDS_NO
    (62, 7), // TsxCtrlSupport ← TSX_CTRL
    (61, 8), // TaaNoSupport ← TAA_NO
];

/// `IA32_ARCH_CAPABILITIES`.
pub(crate) const MSR_IA32_ARCH_CAPABILITIES: u32 = 0x10a;

/// `WHV_PROCESSOR_PERFMON_FEATURES.PmuSupport`.
pub(crate) const PERFMON_PMU: u64 = 1 << 0;

/// The four WHP feature words a CPUID table describes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureWords {
    /// `WHV_PROCESSOR_FEATURES` (bank 0).
    pub bank0: u64,
    /// `WHV_PROCESSOR_FEATURES1` (bank 1).
    pub bank1: u64,
    /// `WHV_PROCESSOR_XSAVE_FEATURES`.
    pub xsave: u64,
    /// `WHV_PROCESSOR_PERFMON_FEATURES`.
    pub perfmon: u64,
}

impl FeatureWords {
    /// The word `w`.
    pub(crate) fn word(&self, w: Word) -> u64 {
        match w {
            Word::Bank0 => self.bank0,
            Word::Bank1 => self.bank1,
            Word::Xsave => self.xsave,
            Word::Perfmon => self.perfmon,
        }
    }
}

/// The bits of each word that mean something in the header (the rest are
/// reserved and must be zero in a property).
pub(crate) const DEFINED_BANK0: u64 =
    !((1 << 27) | (1 << 28) | (1 << 47) | (1 << 50) | (1 << 53) | (1 << 56) | (1 << 63));
/// Defined bits of `WHV_PROCESSOR_FEATURES1` (0..=21 except 4, 5, 11).
pub(crate) const DEFINED_BANK1: u64 = ((1 << 22) - 1) & !((1 << 4) | (1 << 5) | (1 << 11));
/// Defined bits of `WHV_PROCESSOR_XSAVE_FEATURES` (0..=30).
pub(crate) const DEFINED_XSAVE: u64 = (1 << 31) - 1;
/// Defined bits of `WHV_PROCESSOR_PERFMON_FEATURES` (PmuSupport, LbrSupport).
pub(crate) const DEFINED_PERFMON: u64 = 0b11;

/// The entry for `leaf`/`subleaf`: an entry whose index is significant
/// must match `subleaf`; one whose index is not applies to every subleaf.
pub(crate) fn lookup(
    cpuid: &[kvm_cpuid_entry2],
    leaf: u32,
    subleaf: u32,
) -> Option<&kvm_cpuid_entry2> {
    cpuid.iter().find(|e| {
        e.function == leaf
            && (e.index == subleaf || e.flags & kvm_bindings::KVM_CPUID_FLAG_SIGNIFCANT_INDEX == 0)
    })
}

/// The value of one register of one leaf, 0 when the table lacks the leaf.
pub(crate) fn reg_of(cpuid: &[kvm_cpuid_entry2], leaf: u32, subleaf: u32, reg: Reg) -> u32 {
    lookup(cpuid, leaf, subleaf).map_or(0, |e| read_reg(e, reg))
}

pub(crate) fn read_reg(e: &kvm_cpuid_entry2, reg: Reg) -> u32 {
    match reg {
        Reg::Eax => e.eax,
        Reg::Ebx => e.ebx,
        Reg::Ecx => e.ecx,
        Reg::Edx => e.edx,
    }
}

pub(crate) fn reg_mut(e: &mut kvm_cpuid_entry2, reg: Reg) -> &mut u32 {
    match reg {
        Reg::Eax => &mut e.eax,
        Reg::Ebx => &mut e.ebx,
        Reg::Ecx => &mut e.ecx,
        Reg::Edx => &mut e.edx,
    }
}

/// Whether one CPUID bit is set in the table. A leaf above the table's
/// maximum basic or extended leaf reads as absent.
pub(crate) fn has_bit(cpuid: &[kvm_cpuid_entry2], b: CpuidBit) -> bool {
    reg_of(cpuid, b.leaf, b.subleaf, b.reg) & (1 << b.bit) != 0
}

/// True when the table describes a PMU: Intel's architectural PMU version
/// (leaf 0xA EAX[7:0]) or AMD's core performance counter extensions
/// (0x8000_0001 ECX[23]) or PerfMonV2 (0x8000_0022 EAX[0]).
fn has_pmu(cpuid: &[kvm_cpuid_entry2]) -> bool {
    reg_of(cpuid, 0xa, 0, Reg::Eax) & 0xff != 0
        || reg_of(cpuid, X1, 0, Reg::Ecx) & (1 << 23) != 0
        || reg_of(cpuid, X22, 0, Reg::Eax) & 1 != 0
}

/// The WHP feature words a CPUID table (KVM's supported CPUID) describes.
/// `arch_capabilities` is the `IA32_ARCH_CAPABILITIES` value KVM offers, if
/// it offers the MSR at all.
pub fn features_from_cpuid(
    cpuid: &[kvm_cpuid_entry2],
    arch_capabilities: Option<u64>,
) -> FeatureWords {
    let mut w = FeatureWords::default();
    for f in FEATURES {
        if f.sources.iter().any(|&s| has_bit(cpuid, s)) {
            let word = match f.word {
                Word::Bank0 => &mut w.bank0,
                Word::Bank1 => &mut w.bank1,
                Word::Xsave => &mut w.xsave,
                Word::Perfmon => &mut w.perfmon,
            };
            *word |= 1 << f.bit;
        }
    }
    if has_pmu(cpuid) {
        w.perfmon |= PERFMON_PMU;
    }
    // The MSR is only visible to a guest whose CPUID says it exists
    // (7.0 EDX[29]).
    if let Some(msr) = arch_capabilities.filter(|_| has_bit(cpuid, c(7, 0, Edx, 29))) {
        for &(bank_bit, msr_bit) in ARCH_CAPABILITIES_BITS {
            if msr & (1 << msr_bit) != 0 {
                w.bank0 |= 1 << bank_bit;
            }
        }
    }
    w
}

/// The `IA32_ARCH_CAPABILITIES` value for a partition whose bank 0 is
/// `bank0`, from the host's `msr`: each bit a feature mirrors is cleared
/// when the partition turned the feature off.
pub fn arch_capabilities_for(msr: u64, bank0: u64) -> u64 {
    ARCH_CAPABILITIES_BITS
        .iter()
        .filter(|&&(bank_bit, _)| bank0 & (1 << bank_bit) == 0)
        .fold(msr, |m, &(_, msr_bit)| m & !(1 << msr_bit))
}

fn clear_bit(cpuid: &mut [kvm_cpuid_entry2], b: CpuidBit) {
    for e in cpuid.iter_mut() {
        if e.function == b.leaf
            && (e.index == b.subleaf
                || e.flags & kvm_bindings::KVM_CPUID_FLAG_SIGNIFCANT_INDEX == 0)
        {
            *reg_mut(e, b.reg) &= !(1 << b.bit);
        }
    }
}

fn clear_leaf(cpuid: &mut [kvm_cpuid_entry2], leaf: u32) {
    for e in cpuid.iter_mut().filter(|e| e.function == leaf) {
        e.eax = 0;
        e.ebx = 0;
        e.ecx = 0;
        e.edx = 0;
    }
}

/// Clears from `cpuid` every CPUID bit of a feature that `offered` has and
/// `keep` lacks (a partition turned it off), and the state that depends on
/// it: the XCR0/XSS components of leaf 0xD for XSAVE features, leaf 0xA for
/// the PMU. Bits the table does not map, and features `offered` lacks (so
/// the table cannot hold them), are left alone: this only ever clears.
pub fn restrict_cpuid(cpuid: &mut [kvm_cpuid_entry2], offered: &FeatureWords, keep: &FeatureWords) {
    for f in FEATURES {
        let mask = 1u64 << f.bit;
        if offered.word(f.word) & mask != 0 && keep.word(f.word) & mask == 0 {
            for &s in f.sources {
                clear_bit(cpuid, s);
            }
        }
    }
    if offered.perfmon & PERFMON_PMU != 0 && keep.perfmon & PERFMON_PMU == 0 {
        clear_leaf(cpuid, 0xa);
        clear_leaf(cpuid, X22);
        clear_bit(cpuid, c(X1, 0, Ecx, 23));
    }
    restrict_xsave_components(cpuid, offered, keep);
}

/// XCR0 component bits and the XSAVE feature that owns them.
const XCR0_OWNERS: &[(u8, &[u32])] = &[
    (2, &[2]),       // AVX: YMM_Hi128
    (5, &[3, 4]),    // MPX: BNDREGS, BNDCSR
    (6, &[5, 6, 7]), // AVX512F: opmask, ZMM_Hi256, Hi16_ZMM
    (27, &[17, 18]), // AMX-TILE: XTILECFG, XTILEDATA
];

fn restrict_xsave_components(
    cpuid: &mut [kvm_cpuid_entry2],
    offered: &FeatureWords,
    keep: &FeatureWords,
) {
    let turned_off = offered.xsave & !keep.xsave;
    if turned_off == 0 {
        return;
    }
    if turned_off & 1 != 0 {
        // No XSAVE at all: leaf 0xD describes nothing.
        clear_leaf(cpuid, 0xd);
        return;
    }
    let mut drop_components = 0u64;
    for &(feature_bit, components) in XCR0_OWNERS {
        if turned_off & (1 << feature_bit) != 0 {
            for &comp in components {
                drop_components |= 1 << comp;
            }
        }
    }
    if turned_off & (1 << 12) != 0 {
        // No XSAVES: no supervisor components (IA32_XSS, 0xD.1 ECX/EDX).
        for e in cpuid
            .iter_mut()
            .filter(|e| e.function == 0xd && e.index == 1)
        {
            e.ecx = 0;
            e.edx = 0;
        }
    }
    if drop_components == 0 {
        return;
    }
    for e in cpuid.iter_mut().filter(|e| e.function == 0xd) {
        if e.index == 0 {
            e.eax &= !(drop_components as u32);
            e.edx &= !((drop_components >> 32) as u32);
        } else if e.index >= 2 && e.index < 64 && drop_components & (1 << e.index) != 0 {
            e.eax = 0;
            e.ebx = 0;
            e.ecx = 0;
            e.edx = 0;
        }
    }
}

/// The processor vendor from CPUID leaf 0, as a `WHV_PROCESSOR_VENDOR`
/// value: 0 AMD, 1 Intel, 2 Hygon. Other vendors (Zhaoxin/Centaur, whose
/// virtualization is Intel's VMX) answer Intel.
pub fn vendor_from_cpuid(cpuid: &[kvm_cpuid_entry2]) -> i32 {
    let mut id = [0u8; 12];
    id[0..4].copy_from_slice(&reg_of(cpuid, 0, 0, Reg::Ebx).to_le_bytes());
    id[4..8].copy_from_slice(&reg_of(cpuid, 0, 0, Reg::Edx).to_le_bytes());
    id[8..12].copy_from_slice(&reg_of(cpuid, 0, 0, Reg::Ecx).to_le_bytes());
    match &id {
        b"AuthenticAMD" => 0,
        b"HygonGenuine" => 2,
        _ => 1,
    }
}

/// CLFLUSH line size from CPUID.1:EBX[15:8], in 8-byte units as CPUID
/// states it (8 means 64 bytes).
pub fn clflush_size_from_cpuid(cpuid: &[kvm_cpuid_entry2]) -> u8 {
    (reg_of(cpuid, 1, 0, Reg::Ebx) >> 8) as u8
}

/// The TSC frequency in Hz that CPUID states, if it states one: leaf 0x15
/// (crystal clock × ratio) or else leaf 0x16's base frequency in MHz.
pub fn tsc_hz_from_cpuid(cpuid: &[kvm_cpuid_entry2]) -> Option<u64> {
    let max = reg_of(cpuid, 0, 0, Reg::Eax);
    if max >= 0x15 {
        if let Some(e) = lookup(cpuid, 0x15, 0).filter(|e| e.eax != 0 && e.ebx != 0 && e.ecx != 0) {
            return Some(u64::from(e.ecx) * u64::from(e.ebx) / u64::from(e.eax));
        }
    }
    if max >= 0x16 {
        let mhz = reg_of(cpuid, 0x16, 0, Reg::Eax) & 0xffff;
        if mhz != 0 {
            return Some(u64::from(mhz) * 1_000_000);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(function: u32, index: u32, regs: [u32; 4]) -> kvm_cpuid_entry2 {
        kvm_cpuid_entry2 {
            function,
            index,
            flags: if function == 7 || function == 0xd {
                kvm_bindings::KVM_CPUID_FLAG_SIGNIFCANT_INDEX
            } else {
                0
            },
            eax: regs[0],
            ebx: regs[1],
            ecx: regs[2],
            edx: regs[3],
            ..Default::default()
        }
    }

    #[test]
    fn every_feature_is_one_distinct_defined_bit() {
        let mut seen = Vec::new();
        for f in FEATURES {
            assert!(f.bit < 64, "{}", f.name);
            assert!(!seen.contains(&(f.word, f.bit)), "{} repeats a bit", f.name);
            seen.push((f.word, f.bit));
            let defined = match f.word {
                Word::Bank0 => DEFINED_BANK0,
                Word::Bank1 => DEFINED_BANK1,
                Word::Xsave => DEFINED_XSAVE,
                Word::Perfmon => DEFINED_PERFMON,
            };
            assert_ne!(defined & (1 << f.bit), 0, "{} is on a reserved bit", f.name);
            assert!(!f.sources.is_empty());
        }
        for &(bank_bit, _) in ARCH_CAPABILITIES_BITS {
            assert!(
                !seen.contains(&(Word::Bank0, bank_bit)) || bank_bit == 54,
                "bank0 bit {bank_bit}"
            );
        }
    }

    #[test]
    fn synthetic_table_maps_to_the_expected_bits() {
        // SSE3 (1.ECX[0]), AVX (1.ECX[28]), XSAVE (1.ECX[26]), SMEP (7.0.EBX[7]),
        // FZLRepMovsb (7.1.EAX[10]), RDTSCP (0x8000_0001.EDX[27]).
        let cpuid = [
            entry(0, 0, [0xd, 0x756e_6547, 0x6c65_746e, 0x4965_6e69]),
            entry(1, 0, [0, 0x0000_0800, (1 << 0) | (1 << 26) | (1 << 28), 0]),
            entry(7, 0, [1, 1 << 7, 0, 0]),
            entry(7, 1, [1 << 10, 0, 0, 0]),
            entry(X1, 0, [0, 0, 0, 1 << 27]),
        ];
        let w = features_from_cpuid(&cpuid, None);
        assert_eq!(w.bank0, (1 << 0) | (1 << 23) | (1 << 38));
        assert_eq!(w.bank1, 1 << 19);
        assert_eq!(w.xsave, (1 << 0) | (1 << 2));
        assert_eq!(w.perfmon, 0);
        assert_eq!(vendor_from_cpuid(&cpuid), 1);
        assert_eq!(clflush_size_from_cpuid(&cpuid), 8);
    }

    #[test]
    fn arch_capabilities_need_the_cpuid_bit() {
        let without = [entry(7, 0, [0, 0, 0, 0])];
        let with = [entry(7, 0, [0, 0, 0, 1 << 29])];
        // RDCL_NO | MDS_NO | TAA_NO
        let msr = 1 | (1 << 5) | (1 << 8);
        assert_eq!(features_from_cpuid(&without, Some(msr)).bank0, 0);
        assert_eq!(
            features_from_cpuid(&with, Some(msr)).bank0,
            (1 << 51) | (1 << 59) | (1 << 61)
        );
        assert_eq!(arch_capabilities_for(msr, 1 << 51), 1);
    }

    #[test]
    fn restrict_clears_only_what_was_turned_off() {
        let mut cpuid = vec![
            entry(1, 0, [0, 0, (1 << 0) | (1 << 9) | (1 << 26) | (1 << 28), 0]),
            entry(7, 0, [0, (1 << 16) | (1 << 17), 0, 1 << 26]),
            entry(0xd, 0, [0xe7, 0, 0, 0]),
            entry(0xd, 5, [0x40, 0x340, 0, 0]),
            entry(0xa, 0, [0x0403_0302, 0, 0, 0]),
        ];
        let offered = features_from_cpuid(&cpuid, None);
        let mut keep = offered;
        keep.bank0 &= !(1 << 2); // SSSE3
        keep.xsave &= !(1 << 6); // AVX512F
        keep.perfmon &= !PERFMON_PMU;
        restrict_cpuid(&mut cpuid, &offered, &keep);
        assert_eq!(cpuid[0].ecx, (1 << 0) | (1 << 26) | (1 << 28));
        assert_eq!(cpuid[1].ebx, 1 << 17, "AVX512DQ stays, AVX512F goes");
        assert_eq!(cpuid[1].edx, 1 << 26, "IBRS untouched");
        assert_eq!(cpuid[2].eax, 0x07, "opmask/ZMM components dropped");
        assert_eq!(cpuid[3].eax, 0, "component 5 subleaf zeroed");
        assert_eq!(cpuid[4].eax, 0, "leaf 0xA zeroed");
        assert_eq!(features_from_cpuid(&cpuid, None), keep);
    }

    #[test]
    fn tsc_frequency_from_leaf_15_or_16() {
        let l15 = [
            entry(0, 0, [0x16, 0, 0, 0]),
            entry(0x15, 0, [2, 200, 24_000_000, 0]),
        ];
        assert_eq!(tsc_hz_from_cpuid(&l15), Some(2_400_000_000));
        let l16 = [
            entry(0, 0, [0x16, 0, 0, 0]),
            entry(0x16, 0, [2600, 0, 0, 0]),
        ];
        assert_eq!(tsc_hz_from_cpuid(&l16), Some(2_600_000_000));
        assert_eq!(tsc_hz_from_cpuid(&[entry(0, 0, [0xd, 0, 0, 0])]), None);
    }
}
