//! The safe Rust API's guest memory: owned `GuestMemory` and rust-vmm's
//! `vm_memory::GuestMemoryMmap`, both kept alive by the partition while
//! mapped, read and written by guest and host alike.

mod safe_common;

use safe_common::*;
use winhv::safe::{Exit, GuestMemory, PartitionBuilder};
use winhv_guest::asm::code_asm::*;

/// Guest memory the caller dropped stays mapped (the partition holds it);
/// after an unmap the same address is an unmapped-GPA memory exit.
#[test]
fn guest_memory_lives_while_mapped() {
    if !kvm_available() {
        return;
    }
    let data_at = 0x20_0000u64;
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, data_at)?;
        a.mov(rax, qword_ptr(rdi))?;
        a.add(rax, 1)?;
        a.mov(qword_ptr(rdi), rax)?;
        Ok(())
    });
    let p = load(&g, &regs, 1);
    {
        let data = GuestMemory::new(0x1000).unwrap();
        data.write_u64(0, 41).unwrap();
        p.map(&data, data_at, rwx()).unwrap();
    }
    let mut vp = p.vp(0).unwrap();
    assert!(matches!(
        vp.run().unwrap(),
        Exit::IoPort {
            port: DONE_PORT,
            ..
        }
    ));
    let mut b = [0; 8];
    p.read(data_at, &mut b).unwrap();
    assert_eq!(
        u64::from_le_bytes(b),
        42,
        "the guest wrote the memory we dropped"
    );

    p.unmap(data_at, 0x1000).unwrap();
    let (names, values) = winhv_guest::whp::registers(&regs);
    vp.set_raw(&names, &values).unwrap();
    match vp.run().unwrap() {
        Exit::Mmio {
            gpa,
            gpa_unmapped,
            is_write,
            ..
        } => {
            assert_eq!(gpa, data_at);
            assert!(gpa_unmapped && !is_write);
        }
        other => panic!("{other:?}"),
    }
}

/// rust-vmm guest memory (vm-memory's mmap regions, what linux-loader
/// writes into) maps without `unsafe`; the guest and the host's
/// `vm_memory::Bytes` see the same bytes, and the partition keeps the
/// regions alive after the caller's handle is gone.
#[test]
fn vm_memory_regions_map_and_stay_alive() {
    use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
    if !kvm_available() {
        return;
    }
    let data_at = 0x40_0000u64;
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, data_at)?;
        a.mov(rax, qword_ptr(rdi))?;
        a.not(rax)?;
        a.mov(qword_ptr(rdi + 8), rax)?;
        Ok(())
    });
    let image = g.memory();
    let ram = GuestMemoryMmap::<()>::from_ranges(&[
        (GuestAddress(image.base()), image.size() as usize),
        (GuestAddress(data_at), 0x1000),
    ])
    .unwrap();
    ram.write_slice(image.as_bytes(), GuestAddress(image.base()))
        .unwrap();
    ram.write_obj(0x0f0f_0000_ffff_1234_u64, GuestAddress(data_at))
        .unwrap();
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    p.map_vm_memory(&ram, rwx()).unwrap();
    let shared = ram.clone();
    drop(ram);
    let mut vp = p.create_vp(0).unwrap();
    let (names, values) = winhv_guest::whp::registers(&regs);
    vp.set_raw(&names, &values).unwrap();
    assert!(matches!(
        vp.run().unwrap(),
        Exit::IoPort {
            port: DONE_PORT,
            ..
        }
    ));
    let written: u64 = shared.read_obj(GuestAddress(data_at + 8)).unwrap();
    assert_eq!(written, !0x0f0f_0000_ffff_1234_u64);
    drop(shared);
    let mut b = [0; 8];
    p.read(data_at + 8, &mut b).unwrap();
    assert_eq!(
        u64::from_le_bytes(b),
        !0x0f0f_0000_ffff_1234_u64,
        "still mapped"
    );
}

/// Pages the guest writes are reported dirty once, by address.
#[test]
fn dirty_pages_by_address() {
    if !kvm_available() {
        return;
    }
    let data_at = 0x40_0000u64;
    let (g, regs) = user_guest(|a| {
        a.mov(rdi, data_at + 0x1000)?;
        a.mov(qword_ptr(rdi), rdi)?;
        a.mov(rdi, data_at + 0x3008)?;
        a.mov(qword_ptr(rdi), rdi)?;
        Ok(())
    });
    let p = load(&g, &regs, 1);
    let data = GuestMemory::new(0x4000).unwrap();
    let flags = rwx() | winhv::defs::WHvMapGpaRangeFlagTrackDirtyPages;
    p.map(&data, data_at, flags).unwrap();
    assert!(p.dirty_pages(data_at, 0x4000).unwrap().is_empty());
    let mut vp = p.vp(0).unwrap();
    assert!(matches!(
        vp.run().unwrap(),
        Exit::IoPort {
            port: DONE_PORT,
            ..
        }
    ));
    assert_eq!(
        p.dirty_pages(data_at, 0x4000).unwrap(),
        [data_at + 0x1000, data_at + 0x3000]
    );
    assert!(
        p.dirty_pages(data_at, 0x4000).unwrap().is_empty(),
        "cleared"
    );
    assert!(p.dirty_pages(0, 0x1000).is_err(), "not tracked");
}
