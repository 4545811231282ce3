//! The GPA map against KVM's memory-slot limit (KVM_CAP_NR_MEMSLOTS,
//! 32,764 on x86): a map or unmap that finds no slot answers
//! `HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)` and changes nothing, and
//! pages mapped one by one from one allocation share slots, so a
//! page-granular mapper is limited by how fragmented its map is, not by how
//! many calls it made. The guest itself reads the memory after each step
//! (KVM's view), as does WHvReadGpaRange (winhv's).
//!
//! These tests make tens of thousands of KVM slot changes (each a system
//! call of 20–80 µs on our machines): several seconds each.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, kvm_available, rwx};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const PAGE: u64 = 0x1000;
/// Where the tests map their pages (identity-mapped by the guest).
const AREA: u64 = 0x4000_0000;
/// What the first qword of a marked page holds: its index plus this.
const MAGIC: u64 = 0x5a5a_0000;
/// Every MARK_STRIDE-th page is marked (and checked by the guest).
const MARK_STRIDE: u64 = 14;

fn hresult(r: winhv::Result<()>) -> HRESULT {
    r.expect_err("the call should fail").hresult
}

/// KVM's slot limit on this host, as the map will meet it.
fn slot_limit() -> u64 {
    kvm_ioctls::Kvm::new()
        .expect("open /dev/kvm")
        .get_nr_memslots() as u64
}

/// A guest with two entry points, its registers as arguments:
/// * `probe`: reads the qword at RSI into RAX, then halts;
/// * `sweep`: checks RCX qwords, one every MARK_STRIDE pages from RSI,
///   expecting RDX, RDX + MARK_STRIDE, …; halts with RBX = 1 when all
///   match, RBX = 2 (RSI at the first mismatch) otherwise.
struct Reader {
    vm: TestVm,
    probe: u64,
    sweep: u64,
}

impl Reader {
    fn new() -> Reader {
        let mut g = Guest::new(0, 1 << 21).unwrap();
        let probe = g.layout().code;
        let sweep = probe + 0x100;
        g.assemble_at(64, probe, |a| {
            a.mov(rax, qword_ptr(rsi))?;
            a.hlt()
        })
        .unwrap();
        g.assemble_at(64, sweep, |a| {
            let mut top = a.create_label();
            let mut bad = a.create_label();
            a.set_label(&mut top)?;
            a.mov(rax, qword_ptr(rsi))?;
            a.cmp(rax, rdx)?;
            a.jne(bad)?;
            a.add(rsi, (MARK_STRIDE * PAGE) as i32)?;
            a.add(rdx, MARK_STRIDE as i32)?;
            a.dec(rcx)?;
            a.jnz(top)?;
            a.mov(rbx, 1u64)?;
            a.hlt()?;
            a.set_label(&mut bad)?;
            a.mov(rbx, 2u64)?;
            a.hlt()
        })
        .unwrap();
        let regs = g.long64(probe).unwrap();
        Reader {
            vm: TestVm::new(&g, &regs),
            probe,
            sweep,
        }
    }

    /// What the guest reads at `gpa`: the qword, or the GPA of the
    /// memory-access exit it got instead.
    fn read(&self, gpa: u64) -> Result<u64, u64> {
        self.vm.set_reg(WHvX64RegisterRip, self.probe);
        self.vm.set_reg(WHvX64RegisterRsi, gpa);
        let x = self.vm.run();
        if x.ExitReason == WHvRunVpExitReasonMemoryAccess {
            // SAFETY: MemoryAccess is live.
            let m = unsafe { x.Anonymous.MemoryAccess };
            assert_eq!(m.AccessInfo.gpa_unmapped(), 1, "an unmapped GPA");
            return Err(m.Gpa);
        }
        assert_eq!(x.ExitReason, WHvRunVpExitReasonX64Halt);
        Ok(self.vm.reg(WHvX64RegisterRax))
    }

    /// The guest checks every marked page of `pages` pages at AREA.
    fn sweep(&self, pages: u64) {
        self.vm.set_reg(WHvX64RegisterRip, self.sweep);
        self.vm.set_reg(WHvX64RegisterRsi, AREA);
        self.vm.set_reg(WHvX64RegisterRdx, MAGIC);
        self.vm
            .set_reg(WHvX64RegisterRcx, pages.div_ceil(MARK_STRIDE));
        let x = self.vm.run();
        assert_eq!(
            x.ExitReason, WHvRunVpExitReasonX64Halt,
            "the sweep ends in HLT"
        );
        assert_eq!(
            self.vm.reg(WHvX64RegisterRbx),
            1,
            "the guest read a wrong value at {:#x}",
            self.vm.reg(WHvX64RegisterRsi)
        );
    }

    /// What WHvReadGpaRange reads at `gpa`.
    fn read_gpa(&self, gpa: u64) -> winhv::Result<u64> {
        let mut b = [0u8; 8];
        self.vm.p.read_gpa_range(gpa, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

/// `pages` pages of memory, the marked ones marked.
fn marked_memory(pages: u64) -> HostMem {
    let m = HostMem::rw((pages * PAGE) as usize);
    for i in (0..pages).step_by(MARK_STRIDE as usize) {
        m.write((i * PAGE) as usize, &(MAGIC + i).to_le_bytes());
    }
    m
}

/// #18.3: with every slot in use, unmapping the middle page of a 3-page
/// range, or mapping another page over it, answers the resource HRESULT
/// and leaves all three pages mapped as they were — for WHvReadGpaRange
/// and for the guest. Once a slot is free, the unmap works.
#[test]
fn a_change_that_finds_no_slot_changes_nothing() {
    if !kvm_available() {
        return;
    }
    let limit = slot_limit();
    let three = HostMem::rw(0x3000);
    for i in 0..3u64 {
        three.write((i * PAGE) as usize, &(0x1111 * (i + 1)).to_le_bytes());
    }
    let other = HostMem::rw(0x1000);
    // Filler pages, mapped two pages apart: no two can share a slot.
    let filler = HostMem::rw((limit * PAGE) as usize);
    let r = Reader::new();
    let p = &r.vm.p;
    // SAFETY: every buffer is declared before `r`, so it outlives the
    // partition.
    unsafe { p.map_gpa_range(three.ptr.cast(), AREA, 0x3000, rwx()) }.unwrap();
    let base = AREA + 0x100_0000;
    let mut mapped = 0;
    let full = loop {
        assert!(mapped < limit, "more ranges than KVM has slots");
        let src = filler.ptr.wrapping_add((mapped * PAGE) as usize);
        // SAFETY: as above.
        match unsafe { p.map_gpa_range(src.cast(), base + mapped * 2 * PAGE, PAGE, rwx()) } {
            Ok(()) => mapped += 1,
            Err(e) => break e,
        }
    };
    let unchanged = || {
        for i in 0..3u64 {
            let want = 0x1111 * (i + 1);
            assert_eq!(r.read_gpa(AREA + i * PAGE).unwrap(), want, "page {i}");
            assert_eq!(r.read(AREA + i * PAGE), Ok(want), "the guest, page {i}");
        }
    };
    unchanged();
    let unmap = p.unmap_gpa_range(AREA + PAGE, PAGE);
    unchanged();
    assert_eq!(hresult(unmap), HRESULT_ERROR_NO_SYSTEM_RESOURCES);
    assert_eq!(full.hresult, HRESULT_ERROR_NO_SYSTEM_RESOURCES, "{full}");
    assert_eq!(
        mapped + 2,
        limit,
        "every slot is used: the guest's memory, the 3 pages, the fillers"
    );
    // SAFETY: as above.
    let replace = unsafe { p.map_gpa_range(other.ptr.cast(), AREA + PAGE, PAGE, rwx()) };
    assert_eq!(hresult(replace), HRESULT_ERROR_NO_SYSTEM_RESOURCES);
    unchanged();
    // One slot free: the unmap fits.
    p.unmap_gpa_range(base, PAGE).unwrap();
    p.unmap_gpa_range(AREA + PAGE, PAGE).unwrap();
    assert_eq!(r.read(AREA + PAGE), Err(AREA + PAGE));
    assert_eq!(r.read(AREA), Ok(0x1111));
    assert_eq!(r.read(AREA + 2 * PAGE), Ok(0x3333));
    assert_eq!(
        r.read_gpa(AREA + PAGE).unwrap_err().hresult,
        WHV_E_GPA_RANGE_NOT_FOUND
    );
}

/// #18.4: 64 Ki+ pages (twice the slot limit), mapped one by one from one
/// allocation at consecutive GPAs, all map; then unmapping every other page
/// works until the slots run out, which answers the resource HRESULT and
/// changes nothing; filling a hole back in still fits. The guest reads the
/// right memory throughout.
#[test]
fn pages_mapped_one_by_one_share_slots() {
    if !kvm_available() {
        return;
    }
    let limit = slot_limit();
    let pages = (2 * limit + 128).max(64 * 1024 + 128);
    let mem = marked_memory(pages);
    let r = Reader::new();
    let p = &r.vm.p;
    let page = |i: u64| AREA + i * PAGE;
    for i in 0..pages {
        let src = mem.ptr.wrapping_add((i * PAGE) as usize);
        // SAFETY: `mem` is declared before `r`, so it outlives the
        // partition.
        let done = unsafe { p.map_gpa_range(src.cast(), page(i), PAGE, rwx()) };
        assert!(done.is_ok(), "page {i}: {done:?}");
    }
    r.sweep(pages);
    for i in (0..pages).step_by(MARK_STRIDE as usize) {
        assert_eq!(r.read_gpa(page(i)).unwrap(), MAGIC + i, "page {i}");
    }
    assert_eq!(r.read(page(pages - 1)), Ok(0), "the last page");
    // Unmap every other page until no slot is left.
    let mut refused = None;
    for i in (1..pages).step_by(2) {
        if let Err(e) = p.unmap_gpa_range(page(i), PAGE) {
            refused = Some((i, e));
            break;
        }
    }
    let Some((hole, e)) = refused else {
        panic!("{pages} pages unmapped every other one fit in {limit} slots");
    };
    assert_eq!(e.hresult, HRESULT_ERROR_NO_SYSTEM_RESOURCES, "{e}");
    assert!(
        hole > limit,
        "refused at page {hole}: about {limit} single-page ranges should fit"
    );
    // Nothing changed: the refused page and the rest are still mapped, the
    // holes still holes.
    mem.write((hole * PAGE) as usize, &0x77u64.to_le_bytes());
    assert_eq!(r.read(page(hole)), Ok(0x77), "the refused page");
    assert_eq!(r.read_gpa(page(hole)).unwrap(), 0x77);
    assert_eq!(r.read(page(hole + 1)), Ok(0), "the page after it");
    assert_eq!(r.read(page(hole - 2)), Err(page(hole - 2)), "the last hole");
    assert_eq!(r.read(page(1)), Err(page(1)), "the first hole");
    assert_eq!(
        r.read_gpa(page(1)).unwrap_err().hresult,
        WHV_E_GPA_RANGE_NOT_FOUND
    );
    r.sweep(pages);
    // Filling a hole back in fits even now: it joins its neighbours.
    let src = mem.ptr.wrapping_add(PAGE as usize);
    // SAFETY: as above.
    unsafe { p.map_gpa_range(src.cast(), page(1), PAGE, rwx()) }.unwrap();
    mem.write(PAGE as usize, &0x99u64.to_le_bytes());
    assert_eq!(r.read(page(1)), Ok(0x99));
    assert_eq!(r.read(page(0)), Ok(MAGIC));
    assert_eq!(r.read(page(2)), Ok(0));
    // And the refused unmap now fits.
    p.unmap_gpa_range(page(hole), PAGE).unwrap();
    assert_eq!(r.read(page(hole)), Err(page(hole)));
    r.sweep(pages);
}
