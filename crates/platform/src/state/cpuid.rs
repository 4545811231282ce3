//! WHvGetVirtualProcessorCpuidOutput: the CPUID result VP's guest would
//! observe for a leaf and subleaf ([`output`]).
//!
//! Microsoft: the result "reflects the virtual processor's current
//! extended-state configuration and any CPUID result overrides registered
//! for the partition through WHvPartitionPropertyCodeCpuidResultList", so
//! it is "the values the guest actually sees" (`WHvGetVirtualProcessorCpuidOutput`).
//! On KVM the guest sees its VP's CPUID table (the one given to
//! `KVM_SET_CPUID2`, with the partition's overrides and the VP's APIC IDs
//! already in it) through KVM's CPUID emulation (`kvm_cpuid` in KVM's
//! `cpuid.c`), so this repeats that emulation over the table:
//!
//! * The entry is the one for the leaf and, where the entry says the index
//!   matters (`KVM_CPUID_FLAG_SIGNIFCANT_INDEX`), the subleaf.
//! * A leaf the table lacks: with Intel's semantics (any vendor but AMD
//!   and Hygon), a leaf above its range's maximum (basic, hypervisor
//!   0x4000_0000.., extended 0x8000_0000.., 0xc000_0000..) answers the
//!   highest basic leaf, with the subleaf asked; anything else answers
//!   zeros. For leaves 0xb and 0x1f a missing subleaf still answers ECX =
//!   the subleaf and EDX = the x2APIC ID, as the processor does.
//! * Dynamic bits, from the VP's registers as the register cache has them
//!   (values the VMM set and KVM has not loaded yet included), as KVM
//!   updates them (`kvm_update_cpuid_runtime`): leaf 1 ECX.OSXSAVE =
//!   CR4.OSXSAVE and EDX.APIC = IA32_APIC_BASE.EN; leaf 7.0 ECX.OSPKE =
//!   CR4.PKE, and EBX.HLE and RTM clear when IA32_TSX_CTRL.CPUID_CLEAR is
//!   set; leaf 0xd.0 EBX = the XSAVE area size for the current XCR0, leaf
//!   0xd.1 EBX (with XSAVES or XSAVEC) = the compacted size for XCR0 |
//!   IA32_XSS.
//! * Static per VP, already in the table: the initial APIC ID (leaf 1
//!   EBX[31:24]), the x2APIC ID (leaves 0xb, 0x1f EDX), AMD's 0x8000_001e
//!   EAX.
//!
//! Not modelled: the MWAIT bit that KVM ties to IA32_MISC_ENABLE only when
//! the VM disables its MISC_ENABLE_NO_MWAIT quirk (winhv does not). On PVM
//! CPUID at CPL3 is not intercepted and returns the host's values
//! (docs/pvm.md): this function answers what CPL0 code (and code on
//! hardware virtualization) sees.

use kvm_bindings::{KVM_CPUID_FLAG_SIGNIFCANT_INDEX, kvm_cpuid_entry2};
use winhv_defs::WHV_CPUID_OUTPUT;

/// The VP's registers the dynamic bits depend on.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Dynamic {
    pub cr4: u64,
    pub apic_base: u64,
    /// XCR0 (`None` without XSAVE: then x87 | SSE).
    pub xcr0: Option<u64>,
    /// IA32_XSS (0 where the VP has none).
    pub xss: u64,
    /// IA32_TSX_CTRL (0 where the VP has none).
    pub tsx_ctrl: u64,
}

const CR4_OSXSAVE: u64 = 1 << 18;
const CR4_PKE: u64 = 1 << 22;
const APIC_BASE_ENABLE: u64 = 1 << 11;
const TSX_CTRL_CPUID_CLEAR: u64 = 1 << 1;
/// Leaf 1 ECX.OSXSAVE, EDX.APIC; leaf 7 ECX.OSPKE, EBX.HLE and RTM; leaf
/// 0xd.1 EAX.XSAVEC and XSAVES.
const OSXSAVE: u32 = 1 << 27;
const APIC: u32 = 1 << 9;
const OSPKE: u32 = 1 << 4;
const HLE: u32 = 1 << 4;
const RTM: u32 = 1 << 11;
const XSAVEC: u32 = 1 << 1;
const XSAVES: u32 = 1 << 3;
/// The legacy region and the XSAVE header.
const XSAVE_BASE: u32 = 512 + 64;

fn find(table: &[kvm_cpuid_entry2], leaf: u32, subleaf: u32) -> Option<&kvm_cpuid_entry2> {
    table.iter().find(|e| {
        e.function == leaf && (e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX == 0 || e.index == subleaf)
    })
}

/// Whether the table's vendor (leaf 0) asks for AMD's CPUID semantics.
fn amd_semantics(table: &[kvm_cpuid_entry2]) -> bool {
    find(table, 0, 0).is_some_and(|e| {
        let vendor = [e.ebx, e.edx, e.ecx];
        let amd = [0x6874_7541, 0x6974_6e65, 0x444d_4163]; // "AuthenticAMD"
        let hygon = [0x6f67_7948, 0x656e_6975, 0x6e65_476e]; // "HygonGenuine"
        vendor == amd || vendor == hygon
    })
}

/// The entry KVM answers `leaf`.`subleaf` with, if any (see the module
/// documentation), and the leaf it belongs to.
fn effective(
    table: &[kvm_cpuid_entry2],
    leaf: u32,
    subleaf: u32,
) -> Option<(u32, &kvm_cpuid_entry2)> {
    if let Some(e) = find(table, leaf, subleaf) {
        return Some((leaf, e));
    }
    if amd_semantics(table) {
        return None;
    }
    let basic = find(table, 0, 0)?;
    let class = match leaf {
        0x4000_0000..=0x4fff_ffff => find(table, leaf & 0xffff_ff00, 0),
        0xc000_0000.. => find(table, 0xc000_0000, 0),
        _ => find(table, leaf & 0x8000_0000, 0),
    };
    if class.is_some_and(|c| leaf <= c.eax) {
        return None;
    }
    let max = basic.eax;
    find(table, max, subleaf).map(|e| (max, e))
}

/// The XSAVE area size for `features`, standard (offsets from leaf 0xd.i
/// EBX) or compacted (each component packed after the header, 64-byte
/// aligned where leaf 0xd.i ECX[1] says).
fn xsave_size(table: &[kvm_cpuid_entry2], features: u64, compacted: bool) -> u32 {
    let mut size = XSAVE_BASE;
    for i in 2..63 {
        if features & (1 << i) == 0 {
            continue;
        }
        let Some(c) = find(table, 0xd, i) else {
            continue;
        };
        if compacted {
            if c.ecx & 2 != 0 {
                size = size.next_multiple_of(64);
            }
            size += c.eax;
        } else {
            size = size.max(c.ebx + c.eax);
        }
    }
    size
}

/// WHvGetVirtualProcessorCpuidOutput over the VP's CPUID `table` with its
/// registers `d`.
pub(crate) fn output(
    table: &[kvm_cpuid_entry2],
    leaf: u32,
    subleaf: u32,
    d: &Dynamic,
) -> WHV_CPUID_OUTPUT {
    let Some((function, e)) = effective(table, leaf, subleaf) else {
        let mut out = WHV_CPUID_OUTPUT::default();
        if matches!(leaf, 0xb | 0x1f)
            && let Some(any) = find(table, leaf, 1)
        {
            out.Ecx = subleaf & 0xff;
            out.Edx = any.edx;
        }
        return out;
    };
    let mut out = WHV_CPUID_OUTPUT {
        Eax: e.eax,
        Ebx: e.ebx,
        Ecx: e.ecx,
        Edx: e.edx,
    };
    let set = |reg: &mut u32, bit: u32, on: bool| {
        if on {
            *reg |= bit;
        } else {
            *reg &= !bit;
        }
    };
    let xcr0 = d.xcr0.unwrap_or(3);
    // KVM updates the entries themselves, so the bits follow the entry
    // answered, an out-of-range leaf's included.
    match (e.function, e.index) {
        (1, _) => {
            // KVM sets both whether or not the table offers them (OSXSAVE
            // can only be set in CR4 where XSAVE is).
            set(&mut out.Ecx, OSXSAVE, d.cr4 & CR4_OSXSAVE != 0);
            set(&mut out.Edx, APIC, d.apic_base & APIC_BASE_ENABLE != 0);
        }
        (7, 0) => {
            set(&mut out.Ecx, OSPKE, d.cr4 & CR4_PKE != 0);
            if function == 7 && d.tsx_ctrl & TSX_CTRL_CPUID_CLEAR != 0 {
                out.Ebx &= !(HLE | RTM);
            }
        }
        (0xd, 0) => out.Ebx = xsave_size(table, xcr0, false),
        (0xd, 1) if e.eax & (XSAVEC | XSAVES) != 0 => {
            out.Ebx = xsave_size(table, xcr0 | d.xss, true);
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(function: u32, index: u32, regs: [u32; 4], indexed: bool) -> kvm_cpuid_entry2 {
        kvm_cpuid_entry2 {
            function,
            index,
            flags: if indexed {
                KVM_CPUID_FLAG_SIGNIFCANT_INDEX
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

    /// An Intel-flavoured table: max basic leaf 0xd, extended 0x8000_0001.
    fn table() -> Vec<kvm_cpuid_entry2> {
        vec![
            entry(0, 0, [0xd, 0x756e_6547, 0x6c65_746e, 0x4965_6e69], false),
            entry(
                1,
                0,
                [0x806c1, 0x0300_0800, 1 << 26 | 1 << 28, 1 << 9],
                false,
            ),
            entry(7, 0, [0, HLE | RTM, 0, 0], true),
            entry(0xb, 0, [1, 1, 0x100, 3], true),
            entry(0xb, 1, [4, 2, 0x201, 3], true),
            entry(0xd, 0, [7, 0, 0x340, 0], true),
            entry(0xd, 1, [XSAVEC, 0, 0, 0], true),
            entry(0xd, 2, [256, 576, 0, 0], true),
            entry(0x8000_0000, 0, [0x8000_0001, 0, 0, 0], false),
            entry(0x8000_0001, 0, [0, 0, 1, 1 << 29], false),
        ]
    }

    fn regs(o: WHV_CPUID_OUTPUT) -> [u32; 4] {
        [o.Eax, o.Ebx, o.Ecx, o.Edx]
    }

    #[test]
    fn dynamic_bits_follow_the_registers() {
        let t = table();
        let off = Dynamic::default();
        let on = Dynamic {
            cr4: CR4_OSXSAVE | CR4_PKE,
            apic_base: 0xfee0_0900,
            xcr0: Some(7),
            xss: 0,
            tsx_ctrl: TSX_CTRL_CPUID_CLEAR,
        };
        let l1 = output(&t, 1, 0, &off);
        assert_eq!((l1.Ecx & OSXSAVE, l1.Edx & APIC), (0, 0));
        let l1 = output(&t, 1, 0, &on);
        assert_eq!((l1.Ecx & OSXSAVE, l1.Edx & APIC), (OSXSAVE, APIC));
        assert_eq!(output(&t, 7, 0, &off).Ebx, HLE | RTM);
        assert_eq!(output(&t, 7, 0, &on).Ebx, 0, "TSX_CTRL.CPUID_CLEAR");
        assert_eq!(output(&t, 7, 0, &on).Ecx, OSPKE);
        assert_eq!(output(&t, 0xd, 0, &off).Ebx, 576, "x87 | SSE");
        assert_eq!(output(&t, 0xd, 0, &on).Ebx, 832, "AVX at 576 + 256");
        assert_eq!(output(&t, 0xd, 1, &on).Ebx, 832, "compacted");
    }

    #[test]
    fn missing_leaves_follow_kvms_intel_semantics() {
        let t = table();
        let d = Dynamic::default();
        // Above the basic range: the highest basic leaf (0xd), subleaf kept.
        assert_eq!(regs(output(&t, 0x20, 2, &d)), [256, 576, 0, 0]);
        assert_eq!(regs(output(&t, 0x8000_0005, 0, &d)), [7, 576, 0x340, 0]);
        // In range but missing: zeros.
        assert_eq!(regs(output(&t, 5, 0, &d)), [0; 4]);
        assert_eq!(regs(output(&t, 0xd, 9, &d)), [0; 4]);
        // An unindexed leaf ignores the subleaf.
        assert_eq!(output(&t, 0x8000_0001, 7, &d).Edx, 1 << 29);
        // 0xb: a missing subleaf still has ECX = subleaf and the x2APIC ID.
        assert_eq!(regs(output(&t, 0xb, 5, &d)), [0, 0, 5, 3]);
        // AMD: every missing leaf is zeros.
        let mut amd = t.clone();
        amd[0] = entry(0, 0, [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65], false);
        assert_eq!(regs(output(&amd, 0x20, 2, &d)), [0; 4]);
    }
}
