//! The GPA map: map/unmap (partial unmaps split ranges, new mappings
//! replace what they overlap), refused requests, read-only ranges,
//! dirty-page tracking, memory reserved without access and made accessible
//! later, WHvRead/WriteGpaRange. The slot limit: `memory_slots.rs`.
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
    // Adjacent is fine (an overlapping mapping replaces what it overlaps:
    // `a_new_mapping_replaces_what_it_overlaps`).
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

/// `pages` pages whose first bytes are `first`, `first + 1`, …
fn marked_memory(pages: usize, first: u8) -> HostMem {
    let m = HostMem::rw(pages * 0x1000);
    for i in 0..pages {
        m.write(i * 0x1000, &[first + i as u8]);
    }
    m
}

/// WHvMapGpaRange "replaces any previous mappings for the specified GPA
/// pages" (Microsoft's documentation): inside a range, over the end of one,
/// across several, and with other access flags. The guest and
/// WHvReadGpaRange see the new mappings and nothing of the old.
#[test]
fn a_new_mapping_replaces_what_it_overlaps() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = reader();
    let a = extra_memory(); // a0 a1 a2 a3
    let b = marked_memory(1, 0xb0);
    let c = marked_memory(4, 0xc0);
    let e = marked_memory(1, 0xe0);
    let vm = TestVm::new(&g, &regs);
    let page = |i: u64| EXTRA + i * 0x1000;
    let map = |mem: &HostMem, at: usize, gpa: u64, pages: u64, flags| {
        let src = mem.ptr.wrapping_add(at * 0x1000);
        // SAFETY: every buffer is declared before `vm`, so it outlives the
        // partition.
        unsafe { vm.p.map_gpa_range(src.cast(), gpa, pages * 0x1000, flags) }
    };
    let firsts = || {
        (0..4)
            .map(|i| {
                let mut byte = [0u8];
                vm.p.read_gpa_range(page(i), &mut byte).expect("mapped");
                byte[0]
            })
            .collect::<Vec<_>>()
    };
    map(&a, 0, page(0), 4, rwx()).unwrap();
    map(&b, 0, page(1), 1, rwx()).expect("inside a range");
    assert_eq!(firsts(), [0xa0, 0xb0, 0xa2, 0xa3]);
    map(&c, 0, page(2), 2, rwx()).expect("the end of a range");
    assert_eq!(firsts(), [0xa0, 0xb0, 0xc0, 0xc1]);
    map(&c, 2, page(1), 2, rwx()).expect("across two ranges");
    assert_eq!(firsts(), [0xa0, 0xc2, 0xc3, 0xc1]);
    let ro = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute;
    map(&e, 0, page(0), 1, ro).expect("with other access");
    assert_eq!(firsts(), [0xe0, 0xc2, 0xc3, 0xc1]);
    // The guest reads the four pages, then stores to page 0, now read-only.
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess, "the store");
    // SAFETY: MemoryAccess is live.
    let m = unsafe { x.Anonymous.MemoryAccess };
    assert_eq!(m.Gpa, EXTRA + 0x10);
    assert_eq!(m.AccessInfo.access_type(), 1, "a write");
    assert_eq!(m.AccessInfo.gpa_unmapped(), 0, "mapped, read-only");
    assert_eq!(vm.reg(WHvX64RegisterRbx) & 0xff, 0xe0);
    assert_eq!(vm.reg(WHvX64RegisterRcx) & 0xff, 0xc2);
    assert_eq!(vm.reg(WHvX64RegisterRdx) & 0xff, 0xc3);
    assert_eq!(vm.reg(WHvX64RegisterRsi) & 0xff, 0xc1);
    vm.skip(&x);
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(e.bytes()[0x10], 0, "the read-only page is unchanged");
    assert_eq!(a.bytes()[0x10], 0, "the replaced page is not reached");
    // One unmap takes everything, whichever mapping it came from.
    vm.p.unmap_gpa_range(page(0), 0x4000).unwrap();
    let mut byte = [0u8];
    for i in 0..4 {
        assert_eq!(
            hresult(vm.p.read_gpa_range(page(i), &mut byte)),
            WHV_E_GPA_RANGE_NOT_FOUND
        );
    }
}

/// Replacing part of a range that tracks dirty pages keeps the bits of the
/// rest; the new mapping starts clean.
#[test]
fn replacing_part_of_a_tracked_range_keeps_the_other_pages_bits() {
    if !kvm_available() {
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, EXTRA)?;
        a.mov(byte_ptr(rdi + 0x1008), 1)?;
        a.mov(byte_ptr(rdi + 0x3000), 1)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    let extra = HostMem::rw(0x4000);
    let other = HostMem::rw(0x1000);
    let vm = TestVm::new(&g, &regs);
    let tracked = rwx() | WHvMapGpaRangeFlagTrackDirtyPages;
    // SAFETY: `extra` and `other` are declared before `vm`, so they outlive
    // the partition.
    unsafe {
        vm.p.map_gpa_range(extra.ptr.cast(), EXTRA, 0x4000, tracked)
            .unwrap()
    };
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    // SAFETY: as above.
    unsafe {
        vm.p.map_gpa_range(other.ptr.cast(), EXTRA + 0x1000, 0x1000, tracked)
            .unwrap()
    };
    let mut bits = [0u64; 1];
    vm.p.query_gpa_range_dirty_bitmap(EXTRA, 0x4000, Some(&mut bits))
        .unwrap();
    assert_eq!(
        bits[0], 0b1000,
        "page 3 was written; page 1 is a new mapping"
    );
}

/// A mapping KVM refuses part way through (the middle of a range replaced
/// by a source address KVM rejects, after the piece before it was already
/// re-created) answers the error and leaves the map as it was: the guest
/// still reads all four pages.
#[test]
fn a_mapping_kvm_refuses_part_way_changes_nothing() {
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
    // A kernel address: page-aligned and not null, so only KVM refuses it.
    let kernel = 0xffff_8000_0000_0000u64 as *mut std::ffi::c_void;
    // SAFETY: KVM refuses the address before anything could access it.
    let refused = unsafe { vm.p.map_gpa_range(kernel, EXTRA + 0x1000, 0x1000, rwx()) };
    assert_eq!(hresult(refused), E_INVALIDARG);
    let mut b = [0u8];
    for i in 0..4u64 {
        vm.p.read_gpa_range(EXTRA + i * 0x1000, &mut b).unwrap();
        assert_eq!(b[0], 0xa0 + i as u8, "page {i}");
    }
    assert_eq!(vm.run().ExitReason, WHvRunVpExitReasonX64Halt);
    assert_eq!(vm.reg(WHvX64RegisterRbx) & 0xff, 0xa0);
    assert_eq!(vm.reg(WHvX64RegisterRcx) & 0xff, 0xa1);
    assert_eq!(vm.reg(WHvX64RegisterRdx) & 0xff, 0xa2);
    assert_eq!(vm.reg(WHvX64RegisterRsi) & 0xff, 0xa3);
    assert_eq!(extra.bytes()[0x10], 0x99, "the store reached page 0");
}
