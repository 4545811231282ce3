//! The remembered code-page walks against real guest memory mapped through
//! KVM: reuse, and every change that must not be missed (page-table edits
//! without a CR3 reload, unmapped or inaccessible pages, a GPA map change).

use kvm_bindings::{kvm_regs, kvm_sregs};
use kvm_ioctls::{Kvm, VmFd};

use super::{CodeCache, read_code};
use crate::host_memory::HostMemory;
use crate::memory::{FLAG_EXECUTE, FLAG_READ, FLAG_WRITE, GpaMap};

const MEM: usize = 0x10000;
const PML4: u64 = 0x1000;
const PDPT: u64 = 0x2000;
const PD: u64 = 0x3000;
const PT: u64 = 0x4000;
/// Linear address of the first of the two code pages.
const CODE: u64 = 0x40_0000;
const PRESENT_RW: u64 = 0x3;

struct Setup {
    vm: VmFd,
    host: HostMemory,
    map: GpaMap,
    regs: kvm_regs,
    sregs: kvm_sregs,
}

fn put(host: &HostMemory, gpa: u64, value: u64) {
    host.write(gpa as usize, &value.to_le_bytes())
        .expect("inside memory");
}

/// 64 KiB at GPA 0 with 4-level tables mapping CODE → GPA 0x8000 and
/// CODE+4K → GPA 0x9000; page 0x8000+i*0x1000 holds bytes `0x80+i*0x10+k`.
fn setup() -> Option<Setup> {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return None;
    }
    let vm = Kvm::new().expect("open /dev/kvm").create_vm().expect("VM");
    let host = HostMemory::new(MEM).expect("mmap");
    put(&host, PML4, PDPT | PRESENT_RW);
    put(&host, PDPT, PD | PRESENT_RW);
    put(&host, PD + 2 * 8, PT | PRESENT_RW);
    put(&host, PT, 0x8000 | PRESENT_RW);
    put(&host, PT + 8, 0x9000 | PRESENT_RW);
    for page in 0..4u64 {
        let bytes: Vec<u8> = (0..0x1000u64)
            .map(|k| (0x80 + page * 0x10 + k % 16) as u8)
            .collect();
        host.write((0x8000 + page * 0x1000) as usize, &bytes)
            .expect("inside memory");
    }
    let mut map = GpaMap::default();
    // SAFETY: `host` outlives `map` and the VM in every test (dropped last).
    unsafe {
        map.map(
            &vm,
            host.as_ptr() as u64,
            0,
            MEM as u64,
            FLAG_READ | FLAG_WRITE | FLAG_EXECUTE,
        )
    }
    .expect("map");
    let mut sregs = kvm_sregs {
        cr0: 0x8000_0011,
        cr3: PML4,
        cr4: 0x20,
        efer: 0x500,
        ..Default::default()
    };
    sregs.cs.l = 1;
    Some(Setup {
        vm,
        host,
        map,
        regs: kvm_regs::default(),
        sregs,
    })
}

fn read(s: &Setup, cache: &mut CodeCache, gva: u64) -> ([u8; 16], (usize, usize)) {
    let mut buf = [0u8; 16];
    let span = read_code(&s.map, cache, &s.regs, &s.sregs, gva, &mut buf);
    (buf, span)
}

/// 8 bytes of page `a` (offsets 0xff8..) then 8 of page `b` (0..8).
fn expected(a: u8, b: u8) -> [u8; 16] {
    let mut e = [0u8; 16];
    for k in 0..8 {
        e[k] = 0x80 + a * 0x10 + 8 + k as u8;
        e[8 + k] = 0x80 + b * 0x10 + k as u8;
    }
    e
}

#[test]
fn a_second_read_reuses_the_walks_and_sees_the_same_bytes() {
    let Some(s) = setup() else { return };
    let mut cache = CodeCache::default();
    let (first, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!(span, (0, 16));
    assert_eq!(first, expected(0, 1));
    assert_eq!(cache.fresh_walks, 2);
    let (again, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!((again, span), (first, (0, 16)));
    assert_eq!(cache.fresh_walks, 2, "both pages were remembered");
    // A changed register is a different key.
    let mut other = CodeCache::default();
    std::mem::swap(&mut other, &mut cache);
    let s2 = Setup {
        sregs: kvm_sregs {
            cr4: s.sregs.cr4 | 0x80,
            ..s.sregs
        },
        ..s
    };
    let (bytes, _) = read(&s2, &mut other, CODE + 0xff8);
    assert_eq!(bytes, first);
    assert_eq!(other.fresh_walks, 4);
}

#[test]
fn a_page_table_edit_without_cr3_reload_is_seen() {
    let Some(s) = setup() else { return };
    let mut cache = CodeCache::default();
    read(&s, &mut cache, CODE + 0xff8);
    // Point the second linear page at GPA 0xa000.
    put(&s.host, PT + 8, 0xa000 | PRESENT_RW);
    let (bytes, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!(span, (0, 16));
    assert_eq!(bytes, expected(0, 2));
    // Not present: only the first page's bytes can be read.
    put(&s.host, PT + 8, 0);
    let (bytes, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!(span, (0, 8));
    assert_eq!(bytes[..8], expected(0, 0)[..8]);
    // And an edit of a higher level (the PD entry) too.
    put(&s.host, PT + 8, 0x9000 | PRESENT_RW);
    read(&s, &mut cache, CODE + 0xff8);
    put(&s.host, PD + 2 * 8, 0);
    let (_, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!(span, (0, 0));
}

#[test]
fn an_inaccessible_host_page_is_left_out_and_then_read_again() {
    let Some(s) = setup() else { return };
    let mut cache = CodeCache::default();
    read(&s, &mut cache, CODE + 0xff8);
    let page = s.host.as_ptr().wrapping_add(0x8000);
    // SAFETY: changes the protection of one page of our own mapping, which
    // nothing else in this test touches directly while it is PROT_NONE.
    let r = unsafe { libc::mprotect(page.cast(), 0x1000, libc::PROT_NONE) };
    assert_eq!(r, 0);
    let (bytes, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!(span, (8, 16));
    assert_eq!(bytes[8..], expected(0, 1)[8..]);
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    // SAFETY: as above, back to read/write.
    let r = unsafe { libc::mprotect(page.cast(), 0x1000, rw) };
    assert_eq!(r, 0);
    let (bytes, span) = read(&s, &mut cache, CODE + 0xff8);
    assert_eq!((bytes, span), (expected(0, 1), (0, 16)));
}

#[test]
fn a_gpa_map_change_forgets_the_walks() {
    let Some(mut s) = setup() else { return };
    let mut cache = CodeCache::default();
    read(&s, &mut cache, CODE);
    let walks = cache.fresh_walks;
    // Move the code page's GPA to other host memory with the same tables.
    let other = HostMemory::new(0x1000).expect("mmap");
    other.write(0, &[0x55; 0x1000]).expect("inside");
    s.map.unmap(&s.vm, 0x8000, 0x1000).expect("unmap");
    // SAFETY: `other` outlives the map (dropped after it at the end).
    unsafe {
        s.map
            .map(&s.vm, other.as_ptr() as u64, 0x8000, 0x1000, FLAG_READ)
    }
    .expect("map");
    let (bytes, span) = read(&s, &mut cache, CODE);
    assert_eq!((bytes, span), ([0x55; 16], (0, 16)));
    assert!(cache.fresh_walks > walks);
    drop(s);
    drop(other);
}
