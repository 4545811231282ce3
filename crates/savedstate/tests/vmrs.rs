//! Hyper-V `.vmrs` saved states, written with the crate's writer (laid out
//! as openvmm's FORMAT.md says Windows reads them) and read back: every
//! register chunk, VTLs, the guest OS id, memory through the guest's page
//! tables, the raw saved memory; then the same files made wrong in every
//! way the issue names — truncated, bad checksums, cyclic and overlapping
//! tables, absurd sizes, missing keys — each an error with its HRESULT,
//! never a panic.

mod support;

use support::build::*;
use support::edit;
use winhv_defs::*;
use winhv_savedstate::vmrs::hvs::{self, object_type};
use winhv_savedstate::vmrs::write::HvsWriter;
use winhv_savedstate::{Format, Gva, SavedState};

fn open(bytes: Vec<u8>) -> SavedState {
    SavedState::from_bytes(bytes).expect("open the .vmrs")
}

fn error(bytes: Vec<u8>) -> winhv_savedstate::Error {
    SavedState::from_bytes(bytes).expect_err("a bad file must not load")
}

#[test]
fn registers_of_every_chunk_read_back() {
    let s = open(vmrs(3, false, 0));
    assert_eq!(s.format(), Format::Vmrs { vm_version: 0x0A00 });
    assert_eq!(s.vp_count(), 3);
    for vp in 0..3 {
        let want = registers(vp, 0);
        let got = s.registers(vp).unwrap();
        for id in 0..X64_RegisterMax.0 {
            let id = REGISTER_ID(id);
            assert_eq!(got.raw(id), want.raw(id), "VP {vp} {id:?}");
        }
        assert_eq!(s.paging_mode(vp).unwrap(), Paging_Long);
        assert_eq!(s.architecture(vp).unwrap(), Arch_x64);
        assert!(s.in_kernel_space(vp).unwrap());
        assert_eq!(s.vp(vp).unwrap().index, vp);
    }
    // By WHV_REGISTER_NAME too.
    let r = s.registers(1).unwrap();
    assert_eq!(
        r.whv_halves(WHvX64RegisterRip).unwrap().0,
        registers(1, 0).u64(X64_RegisterRip).unwrap()
    );
    assert_eq!(
        r.whv_halves(WHvX64RegisterIdtr).unwrap(),
        (0xfff << 48, 0xffff_8000_0000_9000)
    );
    // XMM15 of VP 1 is (VP 1's tag << 64) | 15.
    assert_eq!(r.whv_halves(WHvX64RegisterXmm15).unwrap(), (15, 1 << 56));
    assert_eq!(
        s.register(3, X64_RegisterRax).err().unwrap().hresult,
        E_INVALIDARG
    );
    assert!(!s.nested_enabled());
    assert_eq!(
        s.force_nested_host_mode(0, true).unwrap_err().hresult,
        VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED
    );
}

#[test]
fn memory_reads_through_the_guests_page_tables() {
    let s = open(vmrs(1, false, 0));
    assert_eq!(
        s.translate(0, DATA_VA + 5).unwrap(),
        Gva::Mapped(DATA_GPA + 5)
    );
    assert_eq!(s.translate(0, 0x1234).unwrap(), Gva::Mapped(0x1234));
    assert_eq!(
        s.translate(0, DATA_VA + 0x1000).unwrap(),
        Gva::Unmapped { region_size: 4096 }
    );
    let mut buf = [0u8; 16];
    assert_eq!(s.read_virtual(0, DATA_VA, &mut buf).unwrap(), 16);
    assert_eq!(&buf, DATA);
    // High memory: page n holds n; a read stops at the end of saved memory.
    let mut page = vec![0u8; 0x2000];
    assert_eq!(
        s.read_physical(HIGH_GPA + 0xf_f000, &mut page).unwrap(),
        0x1000
    );
    assert!(page[..0x1000].iter().all(|&b| b == 0xff));
    assert_eq!(
        s.read_physical(LOW_SIZE as u64, &mut page)
            .unwrap_err()
            .hresult,
        VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND
    );
    let chunks = s.memory().chunks();
    assert_eq!(chunks.len(), 2);
    assert_eq!(
        (chunks[0].GuestPhysicalStartPageIndex, chunks[0].PageCount),
        (0, 512)
    );
    assert_eq!(
        (chunks[1].GuestPhysicalStartPageIndex, chunks[1].PageCount),
        (HIGH_GPA / 4096, 256)
    );
}

#[test]
fn raw_saved_memory_is_the_ram_blocks_end_to_end() {
    let s = open(vmrs(1, false, 0));
    // Two 1 MiB blocks of low memory, one of high.
    assert_eq!(s.memory().raw_size(), 3 << 20);
    assert_eq!(s.memory().raw_offset(DATA_GPA).unwrap(), DATA_GPA);
    assert_eq!(
        s.memory().raw_offset(HIGH_GPA + 0x3004).unwrap(),
        (2 << 20) + 0x3004
    );
    let mut buf = [0u8; 16];
    assert_eq!(s.read_raw(DATA_GPA, &mut buf).unwrap(), 16);
    assert_eq!(&buf, DATA);
    assert_eq!(s.read_raw((3 << 20) - 8, &mut buf).unwrap(), 8);
    assert_eq!(s.read_raw(3 << 20, &mut buf).unwrap(), 0);
    assert!(s.memory().raw_offset(LOW_SIZE as u64).is_err());
}

#[test]
fn vtls_and_the_guest_os_id() {
    let os_id = 0x8100_0001_0005_0000;
    let s = open(vmrs(2, true, os_id));
    assert_eq!(s.enabled_vtls(), 0b11);
    assert_eq!(s.vp_enabled_vtls(0).unwrap(), 0b11);
    assert_eq!(s.vp_enabled_vtls(1).unwrap(), 0b01);
    assert_eq!(s.guest_os_info(0).unwrap(), os_id);
    assert_eq!(s.guest_os_info(1).unwrap(), os_id);
    assert_eq!(
        s.guest_os_info(2).unwrap_err().hresult,
        VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED
    );
    assert_eq!(s.active_vtl(0).unwrap(), 0);
    let rip = |s: &SavedState| s.registers(0).unwrap().u64(X64_RegisterRip).unwrap();
    assert_eq!(rip(&s), registers(0, 0).u64(X64_RegisterRip).unwrap());
    s.force_active_vtl(0, 1).unwrap();
    assert_eq!(s.active_vtl(0).unwrap(), 1);
    assert!(s.active_vtl_enabled(0).unwrap());
    assert_eq!(rip(&s), registers(0, 1).u64(X64_RegisterRip).unwrap());
    s.force_active_vtl(0, 2).unwrap();
    assert!(!s.active_vtl_enabled(0).unwrap());
    assert_eq!(
        s.registers(0).unwrap_err().hresult,
        VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED
    );
    assert_eq!(s.force_active_vtl(0, 16).unwrap_err().hresult, E_INVALIDARG);
}

#[test]
fn a_file_on_disk_is_opened_in_place() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("saved-{}.vmrs", std::process::id()));
    std::fs::write(&path, vmrs(1, false, 0)).unwrap();
    let s = SavedState::open(&path).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.read_physical(DATA_GPA, &mut buf).unwrap(), 16);
    assert_eq!(&buf, DATA);
    drop(s);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        SavedState::open(&path).unwrap_err().hresult,
        HRESULT_ERROR_FILE_NOT_FOUND
    );
}

#[test]
fn truncated_files_are_errors() {
    let f = vmrs(1, false, 0);
    for len in [
        0,
        1,
        45,
        4096,
        4142,
        8192,
        8199,
        8300,
        12288,
        20000,
        f.len() / 2,
        f.len() - 1,
    ] {
        let e = error(f[..len].to_vec());
        assert!(
            e.hresult == HRESULT_ERROR_FILE_CORRUPT || e.hresult == HRESULT_ERROR_BAD_FORMAT,
            "{len}: {e}"
        );
    }
}

#[test]
fn bad_checksums_are_corrupt_unless_the_other_header_copy_is_good() {
    let f = vmrs(1, false, 0);
    // One header copy damaged: the other one is used.
    let mut g = f.clone();
    g[12] ^= 1;
    open(g);
    // Both damaged.
    let mut g = f.clone();
    g[12] ^= 1;
    g[4096 + 12] ^= 1;
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
    // An object table entry.
    let mut g = f.clone();
    let e = edit::object_entries(&g)[0];
    g[e + 7] ^= 0x10;
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
    // A key table header, a key entry's value.
    let mut g = f.clone();
    let k = edit::key(&g, "VmVersion");
    g[k.table + 4] ^= 1;
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
    let mut g = f.clone();
    g[k.data] ^= 1;
    assert!(error(g).context.contains("checksum"));
    // The replay log header.
    let mut g = f;
    let r = edit::replay_log(&g);
    g[r + 16] ^= 1;
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
}

#[test]
fn equal_header_sequences_are_corrupt() {
    let mut f = vmrs(1, false, 0);
    let sequence = [f[8], f[9]];
    f[4096 + 8..4096 + 10].copy_from_slice(&sequence);
    edit::fix_headers(&mut f);
    assert!(error(f).context.contains("same sequence"));
}

#[test]
fn a_cyclic_object_table_chain_is_corrupt() {
    let mut f = vmrs(1, false, 0);
    let last = *edit::object_entries(&f).last().unwrap();
    f[last] = object_type::OBJECT_TABLE;
    edit::set_u64(&mut f, last + 5, 8192);
    edit::fix_object(&mut f, last);
    assert!(error(f).context.contains("chain back"));
}

#[test]
fn overlapping_objects_are_corrupt() {
    let f = vmrs(1, false, 0);
    let entries = edit::object_entries(&f);
    // Move the first key table into the middle of the first file object.
    let kt = *entries
        .iter()
        .find(|&&e| edit::object(&f, e).0 == object_type::KEY_TABLE)
        .unwrap();
    let fo = *entries
        .iter()
        .find(|&&e| edit::object(&f, e).0 == object_type::FILE_OBJECT)
        .unwrap();
    let mut g = f.clone();
    edit::set_u64(&mut g, kt + 5, edit::object(&f, fo).1 + 100);
    edit::fix_object(&mut g, kt);
    let e = error(g);
    assert!(e.context.contains("overlap"), "{e}");
    // Or inside the headers.
    let mut g = f;
    edit::set_u64(&mut g, fo + 5, 100);
    edit::fix_object(&mut g, fo);
    assert!(error(g).context.contains("overlap"));
}

#[test]
fn key_parent_cycles_and_dangling_parents_are_corrupt() {
    let f = vmrs(1, false, 0);
    let node = edit::key(&f, "savedstate");
    assert_eq!(node.kind, hvs::key_type::NODE);
    let child = edit::key(&f, "savedVM");
    // savedstate's parent becomes savedVM, whose parent is savedstate.
    let mut g = f.clone();
    let table_index = u16::from_le_bytes([g[child.table + 2], g[child.table + 3]]);
    edit::set_parent(&mut g, &node, table_index, (child.at - child.table) as u32);
    assert!(error(g).context.contains("cycle"));
    // A node that is its own parent.
    let mut g = f.clone();
    edit::set_parent(&mut g, &node, table_index, (node.at - node.table) as u32);
    assert!(error(g).context.contains("cycle"));
    // A parent that is no node.
    let mut g = f;
    edit::set_parent(&mut g, &child, table_index, 12345);
    assert!(error(g).context.contains("no parent node"));
}

#[test]
fn absurd_sizes_are_errors() {
    let f = vmrs(1, false, 0);
    // A memory block of 2^40 pages: its data blocks do not exist.
    let mut g = f.clone();
    let meta = edit::key(&g, "RamMemoryBlock0");
    edit::set_u64(&mut g, meta.data + 4 + 8, 1 << 40);
    edit::fix_key(&mut g, &meta);
    let e = error(g);
    assert!(e.context.contains("RamBlock"), "page count: {e}");
    // Pages whose GPA overflows.
    let mut g = f.clone();
    edit::set_u64(&mut g, meta.data + 4 + 24, u64::MAX - 3);
    edit::fix_key(&mut g, &meta);
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
    // A file object of 4 GiB - 1 in a 3 MiB file.
    let mut g = f.clone();
    let ps = edit::key(&g, "partition_state");
    edit::set_u32(&mut g, ps.data, u32::MAX);
    edit::fix_key(&mut g, &ps);
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
    // An object table claiming 2^32 - 1 entries.
    let mut g = f.clone();
    edit::set_u32(&mut g, 8192 + 4, u32::MAX);
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
    // A key entry larger than its table, and one of size 0.
    for size in [u32::MAX, 0] {
        let mut g = f.clone();
        let k = edit::key(&g, "VmVersion");
        edit::set_u32(&mut g, k.at + 2, size);
        assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT, "{size}");
    }
    // A partition state whose total size passes its blob.
    let mut g = f;
    let (_, off) = partition_blob(&g);
    edit::set_u64(&mut g, off + 16, u64::MAX);
    assert_eq!(error(g).hresult, HRESULT_ERROR_FILE_CORRUPT);
}

/// The partition state's (length, file offset).
fn partition_blob(f: &[u8]) -> (u32, usize) {
    let ps = edit::key(f, "partition_state");
    let len = u32::from_le_bytes(f[ps.data..ps.data + 4].try_into().unwrap());
    let off = u64::from_le_bytes(f[ps.data + 4..ps.data + 12].try_into().unwrap());
    (len, off as usize)
}

#[test]
fn missing_keys_answer_the_dump_providers_codes() {
    let base = |w: &mut HvsWriter<std::io::Cursor<Vec<u8>>>| {
        w.int("/savedstate/VmVersion", 0x0A00).unwrap();
    };
    let finish = |w: HvsWriter<std::io::Cursor<Vec<u8>>>| w.finish().unwrap().into_inner();
    // A HyperVStorage file without saved-state keys (say, a .vmcx).
    let mut w = HvsWriter::new(std::io::Cursor::new(Vec::new()));
    w.string("/configuration/properties/name", "vm").unwrap();
    assert_eq!(
        error(finish(w)).hresult,
        VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND
    );
    let mut w = HvsWriter::new(std::io::Cursor::new(Vec::new()));
    base(&mut w);
    assert_eq!(
        error(finish(w)).hresult,
        VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND
    );
    let mut w = HvsWriter::new(std::io::Cursor::new(Vec::new()));
    base(&mut w);
    w.array(
        "/savedstate/savedVM/partition_state",
        &partition_state(1, false, 0),
    )
    .unwrap();
    assert_eq!(
        error(finish(w)).hresult,
        VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND
    );
    // A partition state with no VP.
    let mut w = HvsWriter::new(std::io::Cursor::new(Vec::new()));
    base(&mut w);
    w.array(
        "/savedstate/savedVM/partition_state",
        &partition_state(0, false, 0),
    )
    .unwrap();
    assert_eq!(
        error(finish(w)).hresult,
        VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE
    );
}

#[test]
fn old_versions_and_pending_replay_logs_are_not_supported() {
    let f = vmrs(1, false, 0);
    let mut g = f.clone();
    let v = edit::key(&g, "VmVersion");
    edit::set_u64(&mut g, v.data, 0x0500);
    edit::fix_key(&mut g, &v);
    assert_eq!(error(g).hresult, HRESULT_ERROR_NOT_SUPPORTED);
    let mut g = f;
    let r = edit::replay_log(&g);
    edit::set_u32(&mut g, r + 8, 1);
    let sum = hvs::checksum(&g[r..r + hvs::REPLAY_LOG_HEADER_SIZE], 4, &[]);
    edit::set_u32(&mut g, r + 4, sum);
    assert!(error(g).context.contains("replay"));
}

#[test]
fn compressed_ram_blocks_read_like_stored_ones() {
    let plain = open(vmrs(1, false, 0));
    let packed_bytes = vmrs_with(1, false, 0, true);
    assert!(packed_bytes.len() < 1 << 20, "3 MiB of RAM compress");
    let packed = open(packed_bytes);
    assert_eq!(
        packed.translate(0, DATA_VA + 5).unwrap(),
        Gva::Mapped(DATA_GPA + 5)
    );
    let mut buf = [0u8; 16];
    assert_eq!(packed.read_virtual(0, DATA_VA, &mut buf).unwrap(), 16);
    assert_eq!(&buf, DATA);
    // Every byte of the physical and the raw views, across blocks.
    let (mut a, mut b) = (vec![0u8; LOW_SIZE], vec![0u8; LOW_SIZE]);
    assert_eq!(plain.read_physical(0, &mut a).unwrap(), LOW_SIZE);
    assert_eq!(packed.read_physical(0, &mut b).unwrap(), LOW_SIZE);
    assert!(a == b);
    let n = plain.memory().raw_size() as usize;
    assert_eq!(packed.memory().raw_size() as usize, n);
    let (mut a, mut b) = (vec![0u8; n], vec![1u8; n]);
    assert_eq!(plain.read_raw(0, &mut a).unwrap(), n);
    assert_eq!(packed.read_raw(0, &mut b).unwrap(), n);
    assert!(a == b);
    assert_eq!(
        packed
            .read_physical(HIGH_GPA + 0xf_f000, &mut a[..0x2000])
            .unwrap(),
        0x1000
    );
    assert!(a[..0x1000].iter().all(|&b| b == 0xff));
    // The small sample's one block decodes too.
    let s = open(small_vmrs());
    assert_eq!(s.vp_count(), 2);
    let mut page = [0u8; 8];
    assert_eq!(s.read_physical(0xf_fff8, &mut page).unwrap(), 8);
    assert_eq!(page, [((0xf_fff8u32 / 512) % 5) as u8; 8]);
}

#[test]
fn memory_fixes_are_seen_by_reads_and_translations_whole_or_not_at_all() {
    for compress in [false, true] {
        let s = open(vmrs_with(1, false, 0, compress));
        s.apply_memory_fix(0, DATA_VA + 6, b"STATE").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.read_virtual(0, DATA_VA, &mut buf).unwrap(), 16);
        assert_eq!(&buf, b"saved-STATE data");
        assert_eq!(s.read_physical(DATA_GPA, &mut buf).unwrap(), 16);
        assert_eq!(&buf, b"saved-STATE data");
        // Across into an unmapped page: nothing applies.
        assert_eq!(
            s.apply_memory_fix(0, DATA_VA + 0xffe, b"xyz")
                .unwrap_err()
                .hresult,
            VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED
        );
        let mut two = [0u8; 2];
        s.read_physical(DATA_GPA + 0xffe, &mut two).unwrap();
        assert_ne!(&two, b"xy");
        assert_eq!(
            s.apply_memory_fix(5, DATA_VA, b"x").unwrap_err().hresult,
            E_INVALIDARG
        );
        // A fix of a page table entry changes translations: DATA_VA's PTE
        // (PT 0x6000, entry 3, identity-mapped) pointed elsewhere, cleared.
        assert_eq!(s.translate(0, DATA_VA).unwrap(), Gva::Mapped(DATA_GPA));
        s.apply_memory_fix(0, 0x6018, &(0x8000u64 | 3).to_le_bytes())
            .unwrap();
        assert_eq!(s.translate(0, DATA_VA + 1).unwrap(), Gva::Mapped(0x8001));
        s.apply_memory_fix(0, 0x6018, &0u64.to_le_bytes()).unwrap();
        assert_eq!(
            s.translate(0, DATA_VA).unwrap(),
            Gva::Unmapped { region_size: 4096 }
        );
    }
}
