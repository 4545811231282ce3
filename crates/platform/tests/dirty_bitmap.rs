//! WHvQueryGpaRangeDirtyBitmap's Windows semantics, as a VMM copying a
//! running guest's memory relies on them (tests/memory.rs has the basic
//! report-and-clear): reading clears; a query without a bitmap (Windows'
//! NULL with size 0) clears without reporting; a page written again after
//! a query is reported again; a query spanning two tracked ranges reports
//! both; unmapping part of a tracked range keeps the rest's pending bits.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, kvm_available, rwx};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const EXTRA: u64 = 0x40_0000;
const PAGES: u64 = 8;
const DONE_PORT: u16 = 0x99;

/// A guest that, on each run, writes pages 1, 3 (first range) and 5
/// (second range), then reports on DONE_PORT; page 6 only on the second
/// round.
fn guest() -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, EXTRA)?;
        for page in [1u32, 3, 5] {
            a.mov(byte_ptr(rdi + 0x1000 * page), 1)?;
        }
        a.out(u32::from(DONE_PORT), al)?;
        for page in [1u32, 3, 5, 6] {
            a.mov(byte_ptr(rdi + 0x1000 * page), 2)?;
        }
        a.out(u32::from(DONE_PORT), al)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    TestVm::new(&g, &regs)
}

fn run_round(vm: &TestVm) {
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    vm.skip(&x);
}

fn query(vm: &TestVm, gpa: u64, pages: u64) -> u64 {
    let mut bits = [0u64; 1];
    vm.p.query_gpa_range_dirty_bitmap(gpa, pages * 0x1000, Some(&mut bits))
        .unwrap();
    bits[0]
}

#[test]
fn queries_clear_and_a_null_bitmap_clears_without_reporting() {
    if !kvm_available() {
        return;
    }
    let first = HostMem::rw(0x4000);
    let second = HostMem::rw(0x4000);
    let vm = guest();
    let tracked = rwx() | WHvMapGpaRangeFlagTrackDirtyPages;
    // Two tracked ranges side by side, from two allocations.
    // SAFETY: the memory is declared before `vm`, so it outlives the partition.
    unsafe { vm.p.map_gpa_range(first.ptr.cast(), EXTRA, 0x4000, tracked) }.unwrap();
    // SAFETY: as above.
    unsafe {
        vm.p.map_gpa_range(second.ptr.cast(), EXTRA + 0x4000, 0x4000, tracked)
    }
    .unwrap();
    assert_eq!(query(&vm, EXTRA, PAGES), 0, "clean after mapping");

    run_round(&vm);
    // NULL bitmap: cleared, nothing reported.
    vm.p.query_gpa_range_dirty_bitmap(EXTRA, PAGES * 0x1000, None)
        .unwrap();
    assert_eq!(query(&vm, EXTRA, PAGES), 0, "cleared by the NULL query");

    run_round(&vm);
    // One query over both ranges; pages written again are reported again.
    assert_eq!(query(&vm, EXTRA, PAGES), 0b110_1010);
    assert_eq!(query(&vm, EXTRA, PAGES), 0, "reading cleared them");
}

#[test]
fn unmapping_part_of_a_tracked_range_keeps_the_rest_pending() {
    if !kvm_available() {
        return;
    }
    let mem = HostMem::rw(PAGES as usize * 0x1000);
    let vm = guest();
    let tracked = rwx() | WHvMapGpaRangeFlagTrackDirtyPages;
    // SAFETY: `mem` is declared before `vm`, so it outlives the partition.
    unsafe {
        vm.p.map_gpa_range(mem.ptr.cast(), EXTRA, PAGES * 0x1000, tracked)
    }
    .unwrap();
    run_round(&vm);
    // Page 3 written; the range is split around page 2, whose slot goes.
    vm.p.unmap_gpa_range(EXTRA + 0x2000, 0x1000).unwrap();
    assert_eq!(query(&vm, EXTRA, 2), 0b10, "page 1, before the hole");
    assert_eq!(
        query(&vm, EXTRA + 0x3000, 5),
        0b101,
        "pages 3 and 5, after it"
    );
    let e =
        vm.p.query_gpa_range_dirty_bitmap(EXTRA, PAGES * 0x1000, None)
            .unwrap_err();
    assert_eq!(
        e.hresult, WHV_E_GPA_RANGE_NOT_FOUND,
        "the hole is not tracked"
    );
}
