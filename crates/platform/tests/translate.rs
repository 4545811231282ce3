//! WHvTranslateGva through a guest's real page tables (built by
//! winhv-guest, read through the partition's GPA map), at CPL0 and CPL3.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{TestVm, kvm_available};
use winhv::defs::*;
use winhv_guest::{Guest, pte};

const KERNEL_PAGE: u64 = 0x10_0000_0000;
const USER_RO_PAGE: u64 = 0x10_0000_1000;

fn guest(user: bool) -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.write(entry, &[0xf4]).unwrap();
    g.map_4k(KERNEL_PAGE, 0x5000, pte::PRESENT | pte::WRITABLE)
        .unwrap();
    g.map_4k(USER_RO_PAGE, 0x6000, pte::PRESENT | pte::USER)
        .unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    TestVm::new(&g, &regs)
}

fn tr(
    vm: &TestVm,
    gva: u64,
    flags: WHV_TRANSLATE_GVA_FLAGS,
) -> (WHV_TRANSLATE_GVA_RESULT_CODE, u64) {
    let (r, gpa) = vm.p.translate_gva(0, gva, flags).unwrap();
    (r.ResultCode, gpa)
}

#[test]
fn translate_at_cpl0() {
    if !kvm_available() {
        return;
    }
    let vm = guest(false);
    let rw = WHvTranslateGvaFlagValidateRead | WHvTranslateGvaFlagValidateWrite;
    assert_eq!(
        tr(&vm, 0x1234, rw),
        (WHvTranslateGvaResultSuccess, 0x1234),
        "identity map"
    );
    assert_eq!(
        tr(&vm, KERNEL_PAGE + 0x123, rw),
        (WHvTranslateGvaResultSuccess, 0x5123)
    );
    assert_eq!(
        tr(&vm, USER_RO_PAGE + 8, WHvTranslateGvaFlagValidateRead),
        (WHvTranslateGvaResultSuccess, 0x6008)
    );
    // CR0.WP is set: a supervisor write to a read-only page is refused.
    assert_eq!(
        tr(&vm, USER_RO_PAGE, WHvTranslateGvaFlagValidateWrite).0,
        WHvTranslateGvaResultPrivilegeViolation
    );
    assert_eq!(
        tr(&vm, 0x20_0000_0000, WHvTranslateGvaFlagValidateRead).0,
        WHvTranslateGvaResultPageNotPresent
    );
    // Also after a run (registers then come from kvm_run).
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(
        tr(&vm, KERNEL_PAGE + 0x10, rw),
        (WHvTranslateGvaResultSuccess, 0x5010)
    );
    // Page tables in unmapped memory.
    vm.set_reg(WHvX64RegisterCr3, 0x4000_0000);
    assert_eq!(
        tr(&vm, KERNEL_PAGE, WHvTranslateGvaFlagValidateRead).0,
        WHvTranslateGvaResultGpaUnmapped
    );
    // Unknown flag bits.
    assert_eq!(
        vm.p.translate_gva(0, 0, WHV_TRANSLATE_GVA_FLAGS(0x8000))
            .unwrap_err()
            .hresult,
        E_INVALIDARG
    );
    assert_eq!(
        vm.p.translate_gva(7, 0, WHvTranslateGvaFlagNone)
            .unwrap_err()
            .hresult,
        WHV_E_VP_DOES_NOT_EXIST
    );
}

#[test]
fn translate_at_cpl3() {
    if !kvm_available() {
        return;
    }
    let vm = guest(true);
    let read = WHvTranslateGvaFlagValidateRead;
    assert_eq!(
        tr(&vm, KERNEL_PAGE, read).0,
        WHvTranslateGvaResultPrivilegeViolation,
        "supervisor page"
    );
    assert_eq!(
        tr(&vm, KERNEL_PAGE, read | WHvTranslateGvaFlagPrivilegeExempt),
        (WHvTranslateGvaResultSuccess, 0x5000)
    );
    assert_eq!(
        tr(&vm, USER_RO_PAGE, read),
        (WHvTranslateGvaResultSuccess, 0x6000)
    );
    assert_eq!(
        tr(&vm, USER_RO_PAGE, WHvTranslateGvaFlagValidateWrite).0,
        WHvTranslateGvaResultPrivilegeViolation
    );
}

#[test]
fn set_page_table_bits_marks_accessed() {
    if !kvm_available() {
        return;
    }
    let vm = guest(false);
    // Find the leaf PTE: walk by hand from CR3 through the GPA map.
    let read64 = |gpa: u64| {
        let mut b = [0u8; 8];
        vm.p.read_gpa_range(gpa, &mut b).unwrap();
        u64::from_le_bytes(b)
    };
    let mask = 0x000f_ffff_ffff_f000;
    let mut table = vm.reg(WHvX64RegisterCr3) & mask;
    let mut leaf = 0;
    for level in (0..4).rev() {
        let index = (KERNEL_PAGE >> (12 + 9 * level)) & 0x1ff;
        leaf = table + index * 8;
        table = read64(leaf) & mask;
    }
    assert_eq!(read64(leaf) & pte::ACCESSED, 0, "not accessed yet");
    let flags = WHvTranslateGvaFlagValidateRead | WHvTranslateGvaFlagSetPageTableBits;
    assert_eq!(tr(&vm, KERNEL_PAGE, flags).0, WHvTranslateGvaResultSuccess);
    assert_ne!(read64(leaf) & pte::ACCESSED, 0, "the walk set A");
}
