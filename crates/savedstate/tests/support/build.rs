//! Saved states built in the tests: `.vmrs` files through the crate's own
//! writer (`winhv_savedstate::vmrs::write`) and ELF cores laid out as QEMU
//! lays them out (`dump/dump.c`, `target/i386/arch_dump.c`), with known
//! registers and a guest memory whose page tables map known addresses.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::Cursor;

use winhv_defs::*;
use winhv_savedstate::vmrs::write::{MemoryRange, PartitionStateWriter, write_vmrs_with};
use winhv_savedstate::{RegisterFile, Segment, Table};

/// CR3 of the sample memory's 4-level tables.
pub const CR3: u64 = 0x1000;
/// A kernel-half address the sample tables map to `DATA_GPA`.
pub const DATA_VA: u64 = 0xffff_8000_0000_3000;
/// Where `DATA_VA` lands.
pub const DATA_GPA: u64 = 0x10_0000;
/// What the sample memory holds at `DATA_GPA`.
pub const DATA: &[u8; 16] = b"saved-state data";
/// The size of the sample's low memory range.
pub const LOW_SIZE: usize = 2 << 20;
/// The GPA of the sample's high memory range (1 MiB).
pub const HIGH_GPA: u64 = 0x1_0000_0000;

/// Where the sample memory holds a PE image (identity-mapped).
pub const IMAGE_VA: u64 = 0x4_0000;
/// Its `SizeOfImage`.
pub const IMAGE_SIZE: u32 = 0x2_0000;
/// Its link timestamp.
pub const IMAGE_TIMESTAMP: u32 = 0x5f00_0001;
/// Its CodeView PDB path.
pub const IMAGE_PDB: &str = "C:\\build\\winhv-test.pdb";

/// Writes a minimal PE32+ image header at `at`: SizeOfImage `size`, link
/// time `timestamp`, and an RSDS record naming `pdb` when given.
pub fn pe(m: &mut [u8], at: usize, timestamp: u32, size: u32, pdb: Option<&str>) {
    let mut put =
        |off: usize, bytes: &[u8]| m[at + off..at + off + bytes.len()].copy_from_slice(bytes);
    put(0, b"MZ");
    put(0x3c, &0x80u32.to_le_bytes());
    put(0x80, b"PE\0\0");
    put(0x84, &0x8664u16.to_le_bytes());
    put(0x88, &timestamp.to_le_bytes());
    let opt = 0x98;
    put(opt, &0x20bu16.to_le_bytes());
    put(opt + 56, &size.to_le_bytes());
    if let Some(pdb) = pdb {
        let debug = opt + 112 + 6 * 8;
        put(debug, &0x200u32.to_le_bytes());
        put(debug + 4, &28u32.to_le_bytes());
        put(0x200 + 12, &2u32.to_le_bytes());
        put(0x200 + 16, &((24 + pdb.len() + 1) as u32).to_le_bytes());
        put(0x200 + 20, &0x300u32.to_le_bytes());
        put(0x300, b"RSDS");
        put(0x300 + 24, pdb.as_bytes());
    }
}

/// 2 MiB of guest memory with 4-level tables at `CR3`: 2 MiB identity
/// page at 0, and `DATA_VA` -> `DATA_GPA` through a 4 KiB page; a PE
/// image at `IMAGE_VA`.
pub fn low_memory() -> Vec<u8> {
    let mut m = vec![0u8; LOW_SIZE];
    let put = |m: &mut [u8], at: u64, v: u64| {
        m[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
    };
    // PML4 0x1000: [0] -> 0x2000, [256] -> 0x4000.
    put(&mut m, 0x1000, 0x2003);
    put(&mut m, 0x1000 + 8 * 256, 0x4003);
    // PDPT 0x2000: [0] -> PD 0x3000; PD[0]: 2 MiB page at 0.
    put(&mut m, 0x2000, 0x3003);
    put(&mut m, 0x3000, 0x83);
    // PDPT 0x4000 -> PD 0x5000 -> PT 0x6000; PT[3] -> DATA_GPA.
    put(&mut m, 0x4000, 0x5003);
    put(&mut m, 0x5000, 0x6003);
    put(&mut m, 0x6000 + 8 * 3, DATA_GPA | 0x3);
    m[DATA_GPA as usize..DATA_GPA as usize + 16].copy_from_slice(DATA);
    pe(
        &mut m,
        IMAGE_VA as usize,
        IMAGE_TIMESTAMP,
        IMAGE_SIZE,
        Some(IMAGE_PDB),
    );
    m
}

/// 1 MiB of high memory: each 4 KiB page filled with its page number.
pub fn high_memory() -> Vec<u8> {
    (0..1 << 20).map(|i: usize| (i >> 12) as u8).collect()
}

/// A long-mode register file whose values encode `vp` and `vtl`.
pub fn registers(vp: u32, vtl: u8) -> RegisterFile {
    let tag = (u64::from(vp) << 8 | u64::from(vtl)) << 48;
    let mut r = RegisterFile::default();
    for i in 0..18 {
        r.set_u64(REGISTER_ID(i), tag | (0x1000 + i as u64));
    }
    r.set_u64(X64_RegisterRFlags, 0x2);
    r.set_u64(X64_RegisterCr0, 0x8005_0033);
    r.set_u64(X64_RegisterCr2, tag | 0xc2);
    r.set_u64(X64_RegisterCr3, CR3);
    r.set_u64(X64_RegisterCr4, 0x20);
    r.set_u64(X64_RegisterCr8, 0xf);
    r.set_u64(X64_RegisterEfer, 0xd01);
    for (i, id) in [
        X64_RegisterDr0,
        X64_RegisterDr1,
        X64_RegisterDr2,
        X64_RegisterDr3,
        X64_RegisterDr6,
        X64_RegisterDr7,
    ]
    .into_iter()
    .enumerate()
    {
        r.set_u64(id, tag | (0xd0 + i as u64));
    }
    for i in 0..16 {
        r.set_u128(
            REGISTER_ID(X64_RegisterXmm0.0 + i),
            u128::from(tag) << 64 | i as u128,
        );
    }
    for i in 0..8 {
        r.set_u128(
            REGISTER_ID(X64_RegisterFpMmx0.0 + i),
            0x4000_8000_0000_0000_0000 + i as u128,
        );
    }
    let mut fcs = [0u8; 16];
    fcs[..2].copy_from_slice(&0x037fu16.to_le_bytes());
    r.set_raw(X64_RegisterFpControlStatus, fcs);
    let mut xcs = [0u8; 16];
    xcs[8..12].copy_from_slice(&0x1f80u32.to_le_bytes());
    xcs[12..16].copy_from_slice(&0xffffu32.to_le_bytes());
    r.set_raw(X64_RegisterXmmControlStatus, xcs);
    let data = Segment {
        base: 0,
        limit: 0xffff_ffff,
        selector: 0x18,
        attributes: 0xc093,
    };
    for id in [
        X64_RegisterEs,
        X64_RegisterSs,
        X64_RegisterDs,
        X64_RegisterFs,
    ] {
        r.set_segment(id, data);
    }
    r.set_segment(
        X64_RegisterGs,
        Segment {
            base: tag | 0x6000,
            ..data
        },
    );
    r.set_segment(
        X64_RegisterCs,
        Segment {
            base: 0,
            limit: 0xffff_ffff,
            selector: 0x10,
            attributes: 0xa09b,
        },
    );
    r.set_segment(
        X64_RegisterTr,
        Segment {
            base: 0x7000,
            limit: 0x67,
            selector: 0x40,
            attributes: 0x8b,
        },
    );
    r.set_segment(X64_RegisterLdtr, Segment::default());
    r.set_table(
        X64_RegisterGdtr,
        Table {
            base: 0xffff_8000_0000_8000,
            limit: 0x57,
        },
    );
    r.set_table(
        X64_RegisterIdtr,
        Table {
            base: 0xffff_8000_0000_9000,
            limit: 0xfff,
        },
    );
    r
}

/// The partition state of `vps` VPs (VTL 0 each, plus VTL 1 on VP 0 when
/// `vtl1`), guest OS id `os_id`.
pub fn partition_state(vps: u32, vtl1: bool, os_id: u64) -> Vec<u8> {
    let mut w = PartitionStateWriter::new(1);
    w.os_id(os_id);
    for vp in 0..vps {
        let mut vtls = vec![(0u8, registers(vp, 0), Some(7))];
        if vtl1 && vp == 0 {
            vtls.push((1, registers(vp, 1), Some(7)));
        }
        w.vp(vp, vtls);
    }
    w.finish()
}

/// A whole `.vmrs`: `vps` VPs, low memory (2 MiB at 0) and high memory
/// (1 MiB at 4 GiB).
pub fn vmrs(vps: u32, vtl1: bool, os_id: u64) -> Vec<u8> {
    vmrs_with(vps, vtl1, os_id, false)
}

/// [`vmrs`], its RAM blocks XPRESS-compressed where `compress`.
pub fn vmrs_with(vps: u32, vtl1: bool, os_id: u64, compress: bool) -> Vec<u8> {
    let low = low_memory();
    let high = high_memory();
    let ranges = [
        MemoryRange {
            gpa: 0,
            bytes: &low,
        },
        MemoryRange {
            gpa: HIGH_GPA,
            bytes: &high,
        },
    ];
    write_vmrs_with(
        Cursor::new(Vec::new()),
        &partition_state(vps, vtl1, os_id),
        &ranges,
        compress,
    )
    .expect("write a .vmrs")
    .into_inner()
}

/// A small `.vmrs` (for fuzzing): two VPs and one RAM block stored
/// XPRESS-compressed (a pattern that shrinks to a few hundred bytes).
pub fn small_vmrs() -> Vec<u8> {
    use winhv_savedstate::vmrs::write::HvsWriter;
    let mut w = HvsWriter::new(Cursor::new(Vec::new()));
    w.int("/savedstate/VmVersion", 0x0A00).unwrap();
    w.int("/configuration/properties/version", 0x0A00).unwrap();
    w.string("/savedstate/type", "Normal").unwrap();
    w.array(
        "/savedstate/savedVM/partition_state",
        &partition_state(2, true, 0x8000_0123_0000_0000),
    )
    .unwrap();
    let mut meta = Vec::new();
    meta.extend_from_slice(&3u32.to_le_bytes());
    meta.extend_from_slice(&0u32.to_le_bytes());
    meta.extend_from_slice(&256u64.to_le_bytes());
    meta.extend_from_slice(&0u64.to_le_bytes());
    meta.extend_from_slice(&0u64.to_le_bytes());
    meta.resize(48, 0);
    w.array("/savedstate/RamMemoryBlock0", &meta).unwrap();
    let block: Vec<u8> = (0..1u32 << 20).map(|i| (i / 512 % 5) as u8).collect();
    w.array(
        "/savedstate/RamBlock0",
        &winhv_savedstate::xpress::compress(&block),
    )
    .unwrap();
    w.finish().unwrap().into_inner()
}

/// An ELF64 core as QEMU writes one for a long-mode guest: a `CORE`
/// `NT_PRSTATUS` and a `QEMU` note per vCPU, and one `PT_LOAD` per range.
pub fn elf_core(vps: u32, ranges: &[(u64, &[u8])]) -> Vec<u8> {
    let phnum = 1 + ranges.len();
    let notes_at = 64 + 56 * phnum;
    let mut notes = Vec::new();
    let note = |out: &mut Vec<u8>, name: &[u8], kind: u32, desc: &[u8]| {
        out.extend_from_slice(&5u32.to_le_bytes());
        out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(desc);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for vp in 0..vps {
        let mut pr = vec![0u8; 336];
        pr[32..36].copy_from_slice(&(vp + 1).to_le_bytes());
        note(&mut notes, b"CORE\0", 1, &pr);
    }
    for vp in 0..vps {
        let r = registers(vp, 0);
        let mut s = Vec::new();
        s.extend_from_slice(&1u32.to_le_bytes());
        s.extend_from_slice(&440u32.to_le_bytes());
        for id in [
            X64_RegisterRax,
            X64_RegisterRbx,
            X64_RegisterRcx,
            X64_RegisterRdx,
            X64_RegisterRsi,
            X64_RegisterRdi,
            X64_RegisterRsp,
            X64_RegisterRbp,
            X64_RegisterR8,
            X64_RegisterR9,
            X64_RegisterR10,
            X64_RegisterR11,
            X64_RegisterR12,
            X64_RegisterR13,
            X64_RegisterR14,
            X64_RegisterR15,
            X64_RegisterRip,
            X64_RegisterRFlags,
        ] {
            s.extend_from_slice(&r.u64(id).unwrap().to_le_bytes());
        }
        for id in [
            X64_RegisterCs,
            X64_RegisterDs,
            X64_RegisterEs,
            X64_RegisterFs,
            X64_RegisterGs,
            X64_RegisterSs,
            X64_RegisterLdtr,
            X64_RegisterTr,
        ] {
            let seg = r.segment(id).unwrap();
            s.extend_from_slice(&u32::from(seg.selector).to_le_bytes());
            s.extend_from_slice(&seg.limit.to_le_bytes());
            s.extend_from_slice(&(u32::from(seg.attributes) << 8).to_le_bytes());
            s.extend_from_slice(&0u32.to_le_bytes());
            s.extend_from_slice(&seg.base.to_le_bytes());
        }
        for id in [X64_RegisterGdtr, X64_RegisterIdtr] {
            let t = r.table(id).unwrap();
            s.extend_from_slice(&0u32.to_le_bytes());
            s.extend_from_slice(&u32::from(t.limit).to_le_bytes());
            s.extend_from_slice(&[0; 8]);
            s.extend_from_slice(&t.base.to_le_bytes());
        }
        // CR0, CR1 (reserved, 0), CR2, CR3, CR4.
        for id in [
            X64_RegisterCr0,
            REGISTER_ID(-1),
            X64_RegisterCr2,
            X64_RegisterCr3,
            X64_RegisterCr4,
        ] {
            s.extend_from_slice(&r.u64(id).unwrap_or(0).to_le_bytes());
        }
        s.extend_from_slice(&0u64.to_le_bytes());
        assert_eq!(s.len(), 440);
        note(&mut notes, b"QEMU\0", 0, &s);
    }
    let mut offset = (notes_at + notes.len()) as u64;
    let mut out = Vec::new();
    // ELF header.
    out.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    out.extend_from_slice(&4u16.to_le_bytes()); // ET_CORE
    out.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&64u16.to_le_bytes());
    out.extend_from_slice(&56u16.to_le_bytes());
    out.extend_from_slice(&(phnum as u16).to_le_bytes());
    out.extend_from_slice(&64u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    let phdr = |out: &mut Vec<u8>, kind: u32, off: u64, paddr: u64, len: u64| {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&paddr.to_le_bytes()); // vaddr = paddr
        out.extend_from_slice(&paddr.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
    };
    phdr(&mut out, 4, notes_at as u64, 0, notes.len() as u64);
    for (gpa, bytes) in ranges {
        phdr(&mut out, 1, offset, *gpa, bytes.len() as u64);
        offset += bytes.len() as u64;
    }
    out.extend_from_slice(&notes);
    for (_, bytes) in ranges {
        out.extend_from_slice(bytes);
    }
    out
}
