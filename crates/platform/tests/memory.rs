//! The GPA map: map/unmap (partial unmaps split ranges), refused requests,
//! read-only ranges, dirty-page tracking, memory reserved without access
//! and made accessible later, WHvRead/WriteGpaRange.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, kvm_available, partition, rwx};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const EXTRA: u64 = 0x40_0000;

fn hresult(r: winhv::Result<()>) -> HRESULT {
    r.expect_err("the call should fail").hresult
}

#[test]
fn map_requests_refused_as_windows_does() {
    if !kvm_available() {
        return;
    }
    // The memory first: it is dropped after the partition.
    let mem = HostMem::rw(0x4000);
    let p = partition(1);
    let host = mem.ptr;
    let map = |src: *mut u8, gpa: u64, size: u64, flags| {
        // SAFETY: `src` lies in `mem`, which outlives the partition.
        unsafe { p.map_gpa_range(src.cast(), gpa, size, flags) }
    };
    assert_eq!(
        hresult(map(host, 0x1001, 0x1000, rwx())),
        E_INVALIDARG,
        "unaligned GPA"
    );
    assert_eq!(
        hresult(map(host, 0x1000, 0x800, rwx())),
        E_INVALIDARG,
        "unaligned size"
    );
    assert_eq!(hresult(map(host, 0x1000, 0, rwx())), E_INVALIDARG, "empty");
    let odd = host.wrapping_add(8);
    assert_eq!(
        hresult(map(odd, 0x1000, 0x1000, rwx())),
        E_INVALIDARG,
        "unaligned source"
    );
    let write_only = WHvMapGpaRangeFlagWrite;
    assert_eq!(
        hresult(map(host, 0x1000, 0x1000, write_only)),
        E_INVALIDARG,
        "write without read"
    );
    map(host, 0x10000, 0x4000, rwx()).unwrap();
    assert_eq!(
        hresult(map(host, 0x12000, 0x1000, rwx())),
        E_INVALIDARG,
        "overlap inside"
    );
    assert_eq!(
        hresult(map(host, 0xf000, 0x2000, rwx())),
        E_INVALIDARG,
        "overlap at the start"
    );
    assert_eq!(
        hresult(map(host, 0x13000, 0x2000, rwx())),
        E_INVALIDARG,
        "overlap at the end"
    );
    // Adjacent is fine.
    map(host, 0x14000, 0x1000, rwx()).unwrap();
    assert_eq!(
        hresult(p.unmap_gpa_range(0x20000, 0x1000)),
        WHV_E_GPA_RANGE_NOT_FOUND
    );
    assert_eq!(hresult(p.unmap_gpa_range(0x10800, 0x1000)), E_INVALIDARG);
    // Partial unmap, then the hole can be mapped again.
    p.unmap_gpa_range(0x11000, 0x1000).unwrap();
    map(host, 0x11000, 0x1000, rwx()).unwrap();
    let mut b = [0u8; 4];
    assert_eq!(
        hresult(p.read_gpa_range(0x30000, &mut b)),
        WHV_E_GPA_RANGE_NOT_FOUND
    );
}

#[test]
fn read_write_gpa_range_through_the_mapping() {
    if !kvm_available() {
        return;
    }
    let mem = HostMem::rw(0x3000);
    let p = partition(1);
    // SAFETY: `mem` outlives the partition (declared before it).
    unsafe {
        p.map_gpa_range(mem.ptr.cast(), 0x10000, 0x3000, rwx())
            .unwrap()
    };
    p.write_gpa_range(0x10ffe, &[1, 2, 3, 4]).unwrap();
    assert_eq!(&mem.bytes()[0xffe..0x1002], &[1, 2, 3, 4]);
    let mut b = [0u8; 4];
    p.read_gpa_range(0x10ffe, &mut b).unwrap();
    assert_eq!(b, [1, 2, 3, 4]);
    // Past the end of the mapping.
    assert_eq!(
        hresult(p.read_gpa_range(0x12ffe, &mut b)),
        WHV_E_GPA_RANGE_NOT_FOUND
    );
    // An inaccessible host page is an error, not a crash.
    mem.protect(0x1000, 0x1000, libc::PROT_NONE);
    assert!(p.read_gpa_range(0x11000, &mut b).is_err());
    mem.protect(0x1000, 0x1000, libc::PROT_READ | libc::PROT_WRITE);
    p.unmap_gpa_range(0x10000, 0x3000).unwrap();
}

/// A guest that reads one byte from each of 4 pages at EXTRA, into
/// BL, CL, DL, SIL, then halts; and writes one byte to the first page.
fn reader() -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, EXTRA)?;
        a.mov(bl, byte_ptr(rdi))?;
        a.mov(cl, byte_ptr(rdi + 0x1000))?;
        a.mov(dl, byte_ptr(rdi + 0x2000))?;
        a.mov(sil, byte_ptr(rdi + 0x3000))?;
        a.mov(byte_ptr(rdi + 0x10), 0x99)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    (g, regs)
}

fn extra_memory() -> HostMem {
    let m = HostMem::rw(0x4000);
    for i in 0..4 {
        m.write(i * 0x1000, &[0xa0 + i as u8]);
    }
    m
}

#[test]
fn partial_unmap_keeps_the_rest_in_place() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = reader();
    let extra = extra_memory();
    let vm = TestVm::new(&g, &regs);
    // SAFETY: `extra` is declared before `vm`, so it outlives the partition.
    unsafe {
        vm.p.map_gpa_range(extra.ptr.cast(), EXTRA, 0x4000, rwx())
            .unwrap()
    };
    vm.p.unmap_gpa_range(EXTRA + 0x1000, 0x1000).unwrap();
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess);
    // SAFETY: MemoryAccess is live.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, EXTRA + 0x1000);
    assert_eq!(m.AccessInfo.gpa_unmapped(), 1);
    assert_eq!(m.AccessInfo.access_type(), 0);
    assert_eq!(
        vm.reg(WHvX64RegisterRbx) & 0xff,
        0xa0,
        "page 0 read before the hole"
    );
    vm.set_reg(WHvX64RegisterRcx, 0x55);
    vm.skip(&x);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(
        vm.reg(WHvX64RegisterRcx) & 0xff,
        0x55,
        "the VMM's value for the hole"
    );
    assert_eq!(
        vm.reg(WHvX64RegisterRdx) & 0xff,
        0xa2,
        "page 2 still maps its own host page"
    );
    assert_eq!(vm.reg(WHvX64RegisterRsi) & 0xff, 0xa3, "page 3 too");
    assert_eq!(extra.bytes()[0x10], 0x99, "the store reached page 0");
}

#[test]
fn read_only_range_gives_write_exits() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = reader();
    let extra = extra_memory();
    let vm = TestVm::new(&g, &regs);
    let ro = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute;
    // SAFETY: `extra` is declared before `vm`, so it outlives the partition.
    unsafe {
        vm.p.map_gpa_range(extra.ptr.cast(), EXTRA, 0x4000, ro)
            .unwrap()
    };
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess, "the store");
    // SAFETY: MemoryAccess is live.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, EXTRA + 0x10);
    assert_eq!(m.AccessInfo.access_type(), 1, "a write");
    assert_eq!(
        m.AccessInfo.gpa_unmapped(),
        0,
        "the GPA is mapped, read-only"
    );
    assert_eq!(&m.InstructionBytes[..4], &[0xc6, 0x47, 0x10, 0x99]);
    assert_eq!(vm.reg(WHvX64RegisterRbx) & 0xff, 0xa0);
    assert_eq!(vm.reg(WHvX64RegisterRcx) & 0xff, 0xa1);
    assert_eq!(vm.reg(WHvX64RegisterRdx) & 0xff, 0xa2);
    assert_eq!(vm.reg(WHvX64RegisterRsi) & 0xff, 0xa3);
    assert_eq!(extra.bytes()[0x10], 0, "memory unchanged");
    vm.skip(&x);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
}

#[test]
fn dirty_bitmap_reports_and_clears() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, EXTRA)?;
        a.mov(byte_ptr(rdi + 0x1008), 1)?;
        a.mov(byte_ptr(rdi + 0x3000), 1)?;
        a.hlt()?;
        a.mov(byte_ptr(rdi + 0x2000), 1)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let extra = HostMem::rw(0x4000);
    let vm = TestVm::new(&g, &regs);
    // SAFETY: `extra` is declared before `vm`, so it outlives the partition.
    unsafe {
        vm.p.map_gpa_range(
            extra.ptr.cast(),
            EXTRA,
            0x4000,
            rwx() | WHvMapGpaRangeFlagTrackDirtyPages,
        )
        .unwrap()
    };
    let mut bits = [0u64; 1];
    vm.p.query_gpa_range_dirty_bitmap(EXTRA, 0x4000, Some(&mut bits))
        .unwrap();
    assert_eq!(bits[0], 0, "clean after mapping");
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    vm.p.query_gpa_range_dirty_bitmap(EXTRA, 0x4000, Some(&mut bits))
        .unwrap();
    assert_eq!(bits[0], 0b1010);
    vm.p.query_gpa_range_dirty_bitmap(EXTRA, 0x4000, Some(&mut bits))
        .unwrap();
    assert_eq!(bits[0], 0, "a query clears");
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    // A query of part of the range leaves the rest's bits for later.
    vm.p.query_gpa_range_dirty_bitmap(EXTRA, 0x2000, Some(&mut bits))
        .unwrap();
    assert_eq!(bits[0], 0);
    vm.p.query_gpa_range_dirty_bitmap(EXTRA + 0x2000, 0x2000, Some(&mut bits))
        .unwrap();
    assert_eq!(bits[0], 0b01);
    // Untracked or unmapped ranges are refused.
    assert_eq!(
        vm.p.query_gpa_range_dirty_bitmap(0, 0x1000, Some(&mut bits))
            .unwrap_err()
            .hresult,
        WHV_E_GPA_RANGE_NOT_FOUND
    );
    assert_eq!(
        vm.p.query_gpa_range_dirty_bitmap(EXTRA, 0x5000, Some(&mut bits))
            .unwrap_err()
            .hresult,
        WHV_E_GPA_RANGE_NOT_FOUND
    );
}

/// Memory reserved without access maps fine; a guest touch gives a
/// MemoryAccess exit; after mprotect, running again (RIP unchanged)
/// completes the access with the real memory.
fn prot_none_then_mprotect(user: bool) {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, EXTRA)?;
        a.mov(bl, byte_ptr(rdi + 0x1000))?;
        a.mov(byte_ptr(rdi + 0x2000), 0x42)?;
        a.hlt()
    })
    .unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    let extra = HostMem::new(0x4000, libc::PROT_NONE);
    let vm = TestVm::new(&g, &regs);
    // SAFETY: `extra` is declared before `vm`, so it outlives the partition.
    unsafe {
        vm.p.map_gpa_range(extra.ptr.cast(), EXTRA, 0x4000, rwx())
            .unwrap()
    };
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonMemoryAccess,
        "read of an inaccessible page"
    );
    // SAFETY: MemoryAccess is live.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, EXTRA + 0x1000);
    assert_eq!(m.AccessInfo.access_type(), 0);
    extra.protect(0x1000, 0x1000, libc::PROT_READ | libc::PROT_WRITE);
    extra.write(0x1000, &[0x77]);
    let x = vm.run();
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonMemoryAccess,
        "write of an inaccessible page"
    );
    // SAFETY: MemoryAccess is live.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, EXTRA + 0x2000);
    assert_eq!(m.AccessInfo.access_type(), 1);
    assert_eq!(
        vm.reg(WHvX64RegisterRbx) & 0xff,
        0x77,
        "the read ran again on the real memory"
    );
    extra.protect(0x2000, 0x1000, libc::PROT_READ | libc::PROT_WRITE);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(
        extra.bytes()[0x2000],
        0x42,
        "the write ran again on the real memory"
    );
}

#[test]
fn prot_none_then_mprotect_cpl0() {
    prot_none_then_mprotect(false);
}

#[test]
fn prot_none_then_mprotect_cpl3() {
    prot_none_then_mprotect(true);
}

/// Code in memory reserved without access: an execute MemoryAccess exit,
/// then, once accessible, the code runs.
#[test]
fn prot_none_code_page() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rax, EXTRA)?;
        a.jmp(rax)
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    let extra = HostMem::new(0x1000, libc::PROT_NONE);
    let vm = TestVm::new(&g, &regs);
    // SAFETY: `extra` is declared before `vm`, so it outlives the partition.
    unsafe {
        vm.p.map_gpa_range(extra.ptr.cast(), EXTRA, 0x1000, rwx())
            .unwrap()
    };
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess);
    assert_eq!(x.VpContext.Rip, EXTRA);
    // SAFETY: MemoryAccess is live.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, EXTRA);
    assert_eq!(m.AccessInfo.access_type(), 2, "an execute access");
    assert_eq!(m.InstructionByteCount, 0, "nothing could be fetched");
    extra.protect(0, 0x1000, libc::PROT_READ | libc::PROT_WRITE);
    extra.write(0, &[0x90, 0xf4]);
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
}
