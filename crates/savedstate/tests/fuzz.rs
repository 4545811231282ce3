//! A seeded fuzzer over both inputs: valid `.vmrs` files and ELF cores are
//! mutated (bit flips, interesting values written over fields, truncation,
//! copied ranges) and loaded; half of the `.vmrs` mutants get every
//! checksum recomputed so the mutation reaches the structures behind the
//! CRCs. A mutant must load or fail with an error — never panic, never
//! loop — and a loaded one must answer every query (registers, paging,
//! translations, physical, virtual and raw reads) the same way. The seeds
//! are fixed, so a failure reproduces; the iteration counts keep the test
//! a few seconds long in debug builds.

mod support;

use support::build::*;
use support::edit;
use winhv_defs::REGISTER_ID;
use winhv_savedstate::SavedState;

/// xorshift64*: deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that make parsers go wrong.
const INTERESTING: [u64; 12] = [
    0,
    1,
    2,
    0x7f,
    0xff,
    0x1000,
    0x2000,
    0x10_0000,
    0x7fff_ffff,
    0xffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// Mutates `f`, preferring the byte ranges in `hot` (the structures).
fn mutate(rng: &mut Rng, f: &mut Vec<u8>, hot: &[(usize, usize)]) {
    let pick = |rng: &mut Rng, len: usize| -> usize {
        if !hot.is_empty() && rng.below(8) != 0 {
            let (a, b) = hot[rng.below(hot.len())];
            (a + rng.below(b.saturating_sub(a))).min(len.saturating_sub(1))
        } else {
            rng.below(len)
        }
    };
    for _ in 0..1 + rng.below(4) {
        if f.is_empty() {
            return;
        }
        let at = pick(rng, f.len());
        match rng.below(6) {
            0 => f[at] ^= 1 << rng.below(8),
            1 => f[at] = rng.next() as u8,
            2 | 3 => {
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let v = if rng.below(3) == 0 {
                    v.wrapping_add(f.len() as u64)
                } else {
                    v
                };
                let width = [2usize, 4, 8][rng.below(3)];
                let end = (at + width).min(f.len());
                let bytes = v.to_le_bytes();
                f[at..end].copy_from_slice(&bytes[..end - at]);
            }
            4 => {
                let len = f.len();
                f.truncate(rng.below(len));
            }
            _ => {
                let from = pick(rng, f.len());
                let n = rng.below(64).min(f.len() - from).min(f.len() - at);
                let chunk = f[from..from + n].to_vec();
                f[at..at + n].copy_from_slice(&chunk);
            }
        }
    }
}

/// Asks a loaded state everything the dump provider answers.
fn exercise(s: &SavedState) {
    let mut buf = vec![0u8; 0x2100];
    for vp in 0..s.vp_count().min(8) + 1 {
        for id in -1..67 {
            let _ = s.register(vp, REGISTER_ID(id));
        }
        let _ = s.paging_mode(vp);
        let _ = s.architecture(vp);
        let _ = s.in_kernel_space(vp);
        let _ = s.vp_enabled_vtls(vp);
        for gva in [
            0,
            0x1000,
            DATA_VA,
            0xffff_ffff_ffff_f000,
            0x8000_0000_0000,
            0xc000_0000,
        ] {
            let _ = s.translate(vp, gva);
            let _ = s.read_virtual(vp, gva.wrapping_sub(0x10), &mut buf);
        }
        let _ = s.scan_dos_images(vp, 0x4_8000, 0x3_8000, &[0, IMAGE_VA], |_| false);
        let _ = s.force_paging_mode(vp, winhv_defs::Paging_Pae);
        let _ = s.translate(vp, DATA_VA);
    }
    for c in s.memory().chunks().iter().take(16) {
        let gpa = c.GuestPhysicalStartPageIndex.wrapping_mul(4096);
        let _ = s.read_physical(gpa, &mut buf);
        let end = gpa.wrapping_add(c.PageCount.wrapping_mul(4096));
        let _ = s.read_physical(end.wrapping_sub(0x10), &mut buf);
        let _ = s.memory().raw_offset(gpa);
    }
    let raw = s.memory().raw_size();
    for at in [0, raw / 2, raw.wrapping_sub(5), raw, u64::MAX - 3] {
        let _ = s.read_raw(at, &mut buf);
    }
    let _ = s.guest_os_info(0);
    let _ = s.enabled_vtls();
}

/// `WINHV_FUZZ_SCALE=n` runs n times the iterations (with other seeds
/// for n > 1), for a longer search than the suite's.
fn scale() -> usize {
    std::env::var("WINHV_FUZZ_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn run(seed: &[u8], hot: &[(usize, usize)], iterations: usize, rng_seed: u64, fix: bool) -> usize {
    let scale = scale();
    let iterations = iterations * scale;
    let mut rng = Rng(rng_seed ^ ((scale as u64 - 1) << 32));
    let mut loaded = 0;
    for _ in 0..iterations {
        let mut f = seed.to_vec();
        mutate(&mut rng, &mut f, hot);
        if fix && rng.below(2) == 0 {
            edit::fix_all(&mut f);
        }
        if let Ok(s) = SavedState::from_bytes(f) {
            exercise(&s);
            loaded += 1;
        }
    }
    loaded
}

/// The structure ranges of a `.vmrs`: headers, first object table, the
/// key tables and the replay log (the file objects hold only data).
fn vmrs_hot(f: &[u8]) -> Vec<(usize, usize)> {
    let mut hot = vec![(0, 46), (4096, 4096 + 46), (8192, 8192 + 8 + 18 * 32)];
    for e in edit::object_entries(f) {
        let (kind, offset, size) = edit::object(f, e);
        if kind == winhv_savedstate::vmrs::hvs::object_type::KEY_TABLE {
            hot.push((offset as usize, offset as usize + size as usize));
        }
    }
    let r = edit::replay_log(f);
    hot.push((r, r + 34));
    hot
}

#[test]
fn mutated_small_vmrs_files_never_panic() {
    let seed = small_vmrs();
    SavedState::from_bytes(seed.clone()).expect("the seed loads");
    let hot = vmrs_hot(&seed);
    let loaded = run(&seed, &hot, 10_000, 0x5eed_0001, true);
    println!("{loaded} mutants loaded");
}

#[test]
fn mutated_vmrs_files_with_memory_never_panic() {
    let seed = vmrs(2, true, 0x8100_0000_0000_0001);
    SavedState::from_bytes(seed.clone()).expect("the seed loads");
    let mut hot = vmrs_hot(&seed);
    // The partition state blob (registers, VTLs) is structure too.
    let ps = edit::key(&seed, "partition_state");
    let off = u64::from_le_bytes(seed[ps.data + 4..ps.data + 12].try_into().unwrap()) as usize;
    hot.push((off, off + 0x1400));
    let loaded = run(&seed, &hot, 600, 0x5eed_0002, true);
    println!("{loaded} mutants loaded");
}

#[test]
fn mutated_elf_cores_never_panic() {
    let low = low_memory();
    let seed = elf_core(
        2,
        &[
            (0, &low[..0x8000]),
            (DATA_GPA, &low[DATA_GPA as usize..][..0x1000]),
        ],
    );
    let s = SavedState::from_bytes(seed.clone()).expect("the seed loads");
    assert_eq!(s.vp_count(), 2);
    let hot = [(0, 64 + 56 * 3 + 2 * (12 + 8 + 336) + 2 * (12 + 8 + 440))];
    let loaded = run(&seed, &hot, 10_000, 0x5eed_0003, false);
    println!("{loaded} mutants loaded");
}

#[test]
fn random_bytes_and_prefixes_of_valid_files_never_panic() {
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..500 {
        let n = rng.below(20000);
        let f: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        assert!(SavedState::from_bytes(f).is_err());
    }
    let low = low_memory();
    for seed in [small_vmrs(), elf_core(1, &[(0, &low[..0x4000])])] {
        for len in (0..seed.len()).step_by(97) {
            let _ = SavedState::from_bytes(seed[..len].to_vec()).map(|s| exercise(&s));
        }
    }
}
