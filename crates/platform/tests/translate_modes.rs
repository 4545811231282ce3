//! WHvTranslateGva in every paging mode, through page tables the test
//! builds in guest memory, with the VP put in that mode by registers alone
//! (one HLT run proves KVM accepts the state): paging off (real mode and
//! protected mode), 32-bit paging (4 KiB, 4 MiB with CR4.PSE), PAE (4 KiB,
//! 2 MiB, NX), 4-level long mode (4 KiB, 2 MiB, 1 GiB) and 5-level long
//! mode where KVM offers LA57. For each: every result code KVM can reach,
//! the Accessed/Dirty bits of WHvTranslateGvaFlagSetPageTableBits, and the
//! HRESULTs of bad input.
#![allow(
    unsafe_code,
    reason = "extra guest memory is mmap'd and mapped into the partition"
)]

#[path = "translate_modes/checks.rs"]
mod checks;
mod common;
#[path = "translate_modes/fixture.rs"]
mod fixture;
#[path = "translate_modes/setup.rs"]
mod setup;
#[path = "translate_modes/tables.rs"]
mod tables;

use common::kvm_available;
use fixture::{IMAGE, UNMAPPED_GPA, Vm};
use setup::{FRAMES, HLTS, SUP_RW, paged};
use tables::Mode;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::gdt::selector;
use winhv_guest::segment::Segment;

/// KVM's supported CPUID entry for `leaf`/`index`: (eax, ebx, ecx, edx).
fn cpuid(leaf: u32, index: u32) -> Option<(u32, u32, u32, u32)> {
    winhv::host_capabilities()
        .supported_cpuid()
        .iter()
        .find(|e| e.function == leaf && e.index == index)
        .map(|e| (e.eax, e.ebx, e.ecx, e.edx))
}

/// Whether the mode can be tested here; prints the skip line otherwise.
fn mode_available(mode: Mode) -> bool {
    if !kvm_available() {
        return false;
    }
    if mode == Mode::Long5 && cpuid(7, 0).is_none_or(|(_, _, ecx, _)| ecx & (1 << 16) == 0) {
        println!("SKIPPED: 5-level paging: KVM's supported CPUID does not offer LA57");
        return false;
    }
    true
}

macro_rules! mode_tests {
    ($name:ident, $mode:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn success_per_page_size() {
                if mode_available($mode) {
                    checks::success(&paged($mode));
                }
            }

            #[test]
            fn page_not_present_at_each_level() {
                if mode_available($mode) {
                    checks::not_present(&paged($mode));
                }
            }

            #[test]
            fn invalid_page_table_flags() {
                if mode_available($mode) {
                    checks::reserved(&paged($mode));
                }
            }

            #[test]
            fn gpa_access_failures_at_each_level() {
                if mode_available($mode) {
                    checks::gpa_access(&paged($mode));
                }
            }

            #[test]
            fn privilege_violations() {
                if mode_available($mode) {
                    checks::privilege(&paged($mode));
                }
            }

            #[test]
            fn smep_and_smap() {
                if mode_available($mode) {
                    checks::smep_smap(&paged($mode));
                }
            }

            #[test]
            fn set_page_table_bits() {
                if mode_available($mode) {
                    checks::accessed_dirty(&paged($mode));
                }
            }
        }
    };
}

mode_tests!(bits32, Mode::Bits32);
mode_tests!(pae, Mode::Pae);
mode_tests!(long4, Mode::Long4);
mode_tests!(long5, Mode::Long5);

/// Every combination of the defined flags.
fn all_flag_sets() -> impl Iterator<Item = WHV_TRANSLATE_GVA_FLAGS> {
    let bits = [0x1, 0x2, 0x4, 0x8, 0x10, 0x100, 0x200];
    (0..1u32 << bits.len()).map(move |set| {
        let v = bits
            .iter()
            .enumerate()
            .filter(|(i, _)| set & (1 << i) != 0)
            .fold(0, |acc, (_, b)| acc | b);
        WHV_TRANSLATE_GVA_FLAGS(v)
    })
}

/// With paging off the GPA is the linear address (32 bits), whatever the
/// flags and privilege level, and nothing is read: not even an unmapped
/// GPA fails.
fn paging_off(vm: &Vm, what: &str) {
    let gvas = [
        0,
        0x1234,
        0x2_0000,
        0xf_fff0,
        0x10_fff0,
        0xffff_ffff,
        UNMAPPED_GPA + 5,
    ];
    for flags in all_flag_sets() {
        for gva in gvas {
            assert_eq!(
                vm.tr(gva, flags),
                (WHvTranslateGvaResultSuccess, gva),
                "{what}: {gva:#x} {flags:?}"
            );
        }
    }
    assert_eq!(
        vm.tr(0x1_0000_1234, WHvTranslateGvaFlagValidateRead),
        (WHvTranslateGvaResultSuccess, 0x1234),
        "{what}: a linear address is 32 bits"
    );
}

#[test]
fn paging_off_real_mode() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, IMAGE).unwrap();
    let code = g.layout().code;
    g.write(code, &HLTS).unwrap();
    let regs = g.real_mode(code).unwrap();
    let vm = Vm::new(&g, &regs);
    assert_eq!(vm.run(), Ok(WHvRunVpExitReasonX64Halt), "real mode runs");
    paging_off(&vm, "real mode");
}

#[test]
fn paging_off_protected_mode() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, IMAGE).unwrap();
    let code = g.layout().code;
    g.write(code, &HLTS).unwrap();
    let regs = g.protected32(code).unwrap();
    let vm = Vm::new(&g, &regs);
    assert_eq!(
        vm.run(),
        Ok(WHvRunVpExitReasonX64Halt),
        "protected mode runs"
    );
    paging_off(&vm, "protected mode, CPL0");
    vm.set_segment(
        WHvX64RegisterCs,
        &Segment::flat_code32(selector::USER_CODE32, 3),
    );
    vm.set_segment(
        WHvX64RegisterSs,
        &Segment::flat_data(selector::USER_DATA, 3),
    );
    paging_off(&vm, "protected mode, CPL3");
}

#[test]
fn bad_input() {
    if !kvm_available() {
        return;
    }
    let read = WHvTranslateGvaFlagValidateRead;
    let hr = |r: winhv::Result<(WHV_TRANSLATE_GVA_RESULT, u64)>| {
        r.map(|(r, g)| (r.ResultCode, g)).unwrap_err().hresult
    };

    // Before WHvSetupPartition.
    let p = winhv::Partition::create().unwrap();
    assert_eq!(
        hr(p.translate_gva(0, 0, read)),
        WHV_E_INVALID_PARTITION_CONFIG,
        "before setup"
    );
    drop(p);

    // Set up, no VP yet.
    let p = winhv::Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p.setup().unwrap();
    assert_eq!(
        hr(p.translate_gva(0, 0, read)),
        WHV_E_VP_DOES_NOT_EXIST,
        "no VP created"
    );
    drop(p);

    let s = paged(Mode::Long4);
    let p = &s.vm.vm.p;
    for index in [1, 2, 63, u32::MAX] {
        assert_eq!(
            hr(p.translate_gva(index, SUP_RW, read)),
            WHV_E_VP_DOES_NOT_EXIST,
            "VP {index}"
        );
    }
    // Every bit Windows does not define, alone and with defined ones.
    let defined = 0x31f_u32;
    for bit in (0..32).filter(|b| defined & (1 << b) == 0) {
        let v = (1u32 << bit) as i32;
        for with in [0, 1, 0x1f] {
            let flags = WHV_TRANSLATE_GVA_FLAGS(v | with);
            assert_eq!(
                hr(p.translate_gva(0, SUP_RW, flags)),
                E_INVALIDARG,
                "flags {flags:?}"
            );
        }
    }
    // All defined bits together are accepted (OverrideSmap and EnforceSmap
    // may be combined).
    let all = WHV_TRANSLATE_GVA_FLAGS(defined as i32);
    assert_eq!(
        p.translate_gva(0, SUP_RW + 1, all)
            .map(|(r, g)| (r.ResultCode, g))
            .unwrap(),
        (WHvTranslateGvaResultSuccess, FRAMES + 1)
    );
    // A deleted VP.
    p.delete_vp(0).unwrap();
    assert_eq!(
        hr(p.translate_gva(0, SUP_RW, read)),
        WHV_E_VP_DOES_NOT_EXIST,
        "deleted VP"
    );
}

/// The guest's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]) when below 52.
fn maxphyaddr_below_52() -> Option<u32> {
    let m = cpuid(0x8000_0008, 0)?.0 & 0xff;
    (m < 52).then_some(m)
}

#[test]
fn reserved_bits_above_maxphyaddr() {
    if !kvm_available() {
        return;
    }
    let Some(maxphy) = maxphyaddr_below_52() else {
        println!("SKIPPED: MAXPHYADDR is 52 here: no address bits are reserved");
        return;
    };
    for mode in [Mode::Pae, Mode::Long4] {
        checks::reserved_above_maxphyaddr(&paged(mode), maxphy);
    }
}

#[test]
fn set_page_table_bits_in_read_only_host_memory() {
    if !kvm_available() {
        return;
    }
    const GPA: u64 = 0x80_0000;
    // Declared before the partition, so dropped after it.
    let host = common::HostMem::rw(0x1000);
    let s = paged(Mode::Long4);
    let vm = &s.vm;
    // SAFETY: `host` outlives the partition (see above).
    unsafe {
        vm.vm
            .p
            .map_gpa_range(host.ptr.cast(), GPA, 0x1000, common::rwx())
    }
    .unwrap();
    // Move the probe's page table there, then make the host page read-only
    // (a caller may change its memory's protection at any time).
    let pde = s.sup_rw.entry(2);
    let old = vm.entry(pde, true);
    vm.copy_page(old & Mode::Long4.address_mask(), GPA);
    host.protect(0, 0x1000, libc::PROT_READ);
    vm.set_entry(pde, true, (old & !Mode::Long4.address_mask()) | GPA);
    assert_eq!(
        vm.code(SUP_RW, WHvTranslateGvaFlagValidateRead),
        WHvTranslateGvaResultSuccess
    );
    let flags = WHvTranslateGvaFlagValidateRead | WHvTranslateGvaFlagSetPageTableBits;
    let r = vm.vm.p.translate_gva(0, SUP_RW, flags);
    assert!(
        matches!(&r, Ok((t, _)) if t.ResultCode == WHvTranslateGvaResultGpaNoWriteAccess)
            || r.is_err(),
        "{r:?}"
    );
}

#[test]
fn one_gib_page_without_page1gb() {
    if !kvm_available() {
        return;
    }
    if setup::page_1g_offered() {
        println!("SKIPPED: KVM's supported CPUID offers Page1GB: 1 GiB pages are valid here");
        return;
    }
    let s = paged(Mode::Long4);
    // PML4E 0's PDPT, entry 256: a 1 GiB page at 0x40_0000_0000.
    let pdpt = s.sup_rw.entry(3) & !0xfff;
    s.vm.set_entry(
        pdpt + 256 * 8,
        true,
        setup::HUGE_GPA | tables::P | tables::RW | tables::PS,
    );
    assert_eq!(
        s.vm.code(setup::HUGE, WHvTranslateGvaFlagValidateRead),
        WHvTranslateGvaResultInvalidPageTableFlags
    );
}
