//! `ScanMemoryForDosImages` on a saved state whose guest memory holds PE
//! images: found from the high address down, with base, SizeOfImage,
//! timestamp and the CodeView PDB path; standalone addresses first; a
//! callback answering true ends the scan; unmapped regions and the
//! non-canonical hole are skipped whole, so scanning all 2^64 bytes is
//! quick; malformed headers are not images.

mod support;

use std::io::Cursor;

use support::build::*;
use winhv_savedstate::vmrs::write::{MemoryRange, write_vmrs};
use winhv_savedstate::{DosImage, SavedState};

fn state() -> SavedState {
    // low_memory() has an image at IMAGE_VA (0x40000).
    let mut low = low_memory();
    pe(&mut low, 0x8_0000, 0x5f00_0002, 0x3000, None);
    // Not images: an MZ with no PE header, a PE with a bad magic.
    low[0x6_0000..0x6_0002].copy_from_slice(b"MZ");
    pe(&mut low, 0x9_0000, 1, 0x1000, None);
    low[0x9_0098] = 0x77;
    let ps = partition_state(1, false, 0);
    let f = write_vmrs(
        Cursor::new(Vec::new()),
        &ps,
        &[MemoryRange {
            gpa: 0,
            bytes: &low,
        }],
    )
    .unwrap()
    .into_inner();
    SavedState::from_bytes(f).unwrap()
}

fn scan(
    s: &SavedState,
    start: u64,
    end: u64,
    standalone: &[u64],
    stop_after: usize,
) -> Vec<DosImage> {
    let mut found = Vec::new();
    s.scan_dos_images(0, start, end, standalone, |img| {
        found.push(img.clone());
        found.len() == stop_after
    })
    .unwrap();
    found
}

#[test]
fn images_are_found_from_the_top_down_with_their_pdb_names() {
    let s = state();
    let found = scan(&s, 0x1f_f000, 0, &[], usize::MAX);
    let bases: Vec<u64> = found.iter().map(|i| i.base).collect();
    assert_eq!(bases, [0x8_0000, 0x4_0000]);
    assert_eq!(
        found[1],
        DosImage {
            base: IMAGE_VA,
            size: IMAGE_SIZE,
            timestamp: IMAGE_TIMESTAMP,
            pdb_name: IMAGE_PDB.into(),
        }
    );
    assert_eq!(found[0].pdb_name, "");
    assert_eq!(found[0].size, 0x3000);
    // The range's ends are inclusive.
    assert_eq!(scan(&s, 0x8_0000, 0x4_0000, &[], usize::MAX).len(), 2);
    assert_eq!(scan(&s, 0x7_f000, 0x4_1000, &[], usize::MAX).len(), 0);
}

#[test]
fn standalone_addresses_come_first_and_true_stops_the_scan() {
    let s = state();
    let found = scan(&s, 0x1f_f000, 0, &[0x4_0000, 0x6_0000, 0xdead_0000], 1);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].base, 0x4_0000);
    let found = scan(&s, 0x1f_f000, 0, &[0x4_0000], 2);
    assert_eq!(
        found.iter().map(|i| i.base).collect::<Vec<_>>(),
        [0x4_0000, 0x8_0000]
    );
}

#[test]
fn the_whole_address_space_is_scanned_by_skipping_what_is_not_mapped() {
    let s = state();
    let found = scan(&s, u64::MAX, 0, &[], usize::MAX);
    assert_eq!(
        found.iter().map(|i| i.base).collect::<Vec<_>>(),
        [0x8_0000, 0x4_0000]
    );
    let err = s.scan_dos_images(0, 0, 0x1000, &[], |_| false).unwrap_err();
    assert_eq!(err.hresult, winhv_defs::E_INVALIDARG);
    assert!(s.scan_dos_images(5, 0x1000, 0, &[], |_| false).is_err());
}
