//! The checks every paged mode gets: exact GPAs per page size, each result
//! code provoked by editing one paging-structure entry (or CR3) at a time
//! through WHvWriteGpaRange and restoring it, privilege rules at CPL0 and
//! CPL3, and the Accessed/Dirty bits of WHvTranslateGvaFlagSetPageTableBits.

use winhv::defs::*;

use crate::fixture::{NO_ACCESS_GPA, PROT_NONE_GPA, RO_GPA, UNMAPPED_GPA};
use crate::setup::*;
use crate::tables::{A, D, Mode, P, PS, Walk, XD};

const READ: WHV_TRANSLATE_GVA_FLAGS = WHvTranslateGvaFlagValidateRead;
const WRITE: WHV_TRANSLATE_GVA_FLAGS = WHvTranslateGvaFlagValidateWrite;
const EXEC: WHV_TRANSLATE_GVA_FLAGS = WHvTranslateGvaFlagValidateExecute;
const EXEMPT: WHV_TRANSLATE_GVA_FLAGS = WHvTranslateGvaFlagPrivilegeExempt;
const SET_BITS: WHV_TRANSLATE_GVA_FLAGS = WHvTranslateGvaFlagSetPageTableBits;

const SUCCESS: WHV_TRANSLATE_GVA_RESULT_CODE = WHvTranslateGvaResultSuccess;
const NOT_PRESENT: WHV_TRANSLATE_GVA_RESULT_CODE = WHvTranslateGvaResultPageNotPresent;
const PRIVILEGE: WHV_TRANSLATE_GVA_RESULT_CODE = WHvTranslateGvaResultPrivilegeViolation;
const INVALID_FLAGS: WHV_TRANSLATE_GVA_RESULT_CODE = WHvTranslateGvaResultInvalidPageTableFlags;

const CR0_WP: u64 = 1 << 16;
const CR4_PSE: u64 = 1 << 4;
const CR4_SMEP: u64 = 1 << 20;
const CR4_SMAP: u64 = 1 << 21;
const EFER_NXE: u64 = 1 << 11;
const RFLAGS_AC: u64 = 1 << 18;

/// Successful translations land on the exact GPA for every page size.
pub fn success(s: &Paged) {
    let vm = &s.vm;
    let m = s.mode;
    let rw = READ | WRITE;
    assert_eq!(
        vm.tr(SUP_RW + 0x123, rw),
        (SUCCESS, FRAMES + 0x123),
        "{m:?} 4K"
    );
    assert_eq!(
        vm.tr(SUP_RW + 0xfff, WHvTranslateGvaFlagNone),
        (SUCCESS, FRAMES + 0xfff),
        "{m:?} 4K, no validation"
    );
    assert_eq!(vm.tr(SUP_RW, EXEC), (SUCCESS, FRAMES), "{m:?} 4K execute");
    assert_eq!(
        vm.tr(USER_RO + 0xff8, READ),
        (SUCCESS, FRAMES + 0x1ff8),
        "{m:?} 4K user"
    );
    assert_eq!(
        vm.tr(0x2_0010, READ),
        (SUCCESS, 0x2_0010),
        "{m:?} identity map"
    );
    let (_, frame, size) = s.large;
    let off = 0x12_3456;
    assert_eq!(
        vm.tr(LARGE + off, rw),
        (SUCCESS, frame + off),
        "{m:?} {size:?}"
    );
    assert_eq!(
        vm.tr(LARGE + size.bytes() - 1, READ),
        (SUCCESS, frame + size.bytes() - 1),
        "{m:?} {size:?} last byte"
    );
    if s.huge.is_some() {
        let off = 0x2345_6789;
        assert_eq!(vm.tr(HUGE + off, rw), (SUCCESS, HUGE_GPA + off), "{m:?} 1G");
    }
    assert_eq!(vm.code(ABSENT, READ), NOT_PRESENT, "{m:?} zero PTE");
    match m {
        // Linear addresses are 32 bits outside long mode.
        Mode::Bits32 | Mode::Pae => {
            assert_eq!(
                vm.tr((1 << 32) | (SUP_RW + 8), READ),
                (SUCCESS, FRAMES + 8),
                "{m:?} truncated GVA"
            );
        }
        // Non-canonical addresses whose low 48 (57) bits would translate.
        Mode::Long4 => {
            for gva in [SUP_RW | 1 << 48, SUP_RW | 0xffff_0000_0000_0000] {
                assert_eq!(vm.code(gva, READ), NOT_PRESENT, "non-canonical {gva:#x}");
            }
            assert_eq!(
                vm.code(0xffff_8000_0000_0000, READ),
                NOT_PRESENT,
                "canonical, PML4E absent"
            );
        }
        Mode::Long5 => {
            for gva in [SUP_RW | 1 << 57, SUP_RW | 0xfe00_0000_0000_0000] {
                assert_eq!(vm.code(gva, READ), NOT_PRESENT, "non-canonical {gva:#x}");
            }
            assert_eq!(
                vm.code(SUP_RW | 1 << 48, READ),
                NOT_PRESENT,
                "canonical with LA57, PML5E 1 absent"
            );
        }
    }
}

/// Edits the entry at `at`, checks `want` for `gva`, restores it and
/// checks that `gva` translates again.
fn with_entry(
    s: &Paged,
    at: u64,
    edit: impl Fn(u64) -> u64,
    gva: u64,
    want: WHV_TRANSLATE_GVA_RESULT_CODE,
    what: &str,
) {
    let vm = &s.vm;
    let old = vm.entry(at, s.wide());
    vm.set_entry(at, s.wide(), edit(old));
    let got = vm.code(gva, READ);
    vm.set_entry(at, s.wide(), old);
    assert_eq!(
        got, want,
        "{:?}: {what} (entry at {at:#x} was {old:#x})",
        s.mode
    );
    assert_eq!(
        vm.code(gva, READ),
        SUCCESS,
        "{:?}: {what}, restored",
        s.mode
    );
}

/// PageNotPresent from each level of each page size's walk.
pub fn not_present(s: &Paged) {
    let mut walks = vec![(SUP_RW, s.sup_rw), (LARGE, s.large.0)];
    walks.extend(s.huge.map(|w| (HUGE, w)));
    for (gva, w) in walks {
        for level in w.levels() {
            let what = format!("P clear at level {level} of {gva:#x}");
            with_entry(s, w.entry(level), |e| e & !P, gva, NOT_PRESENT, &what);
        }
    }
}

/// InvalidPageTableFlags from a reserved bit at each level where the mode
/// has one; and XD without EFER.NXE.
pub fn reserved(s: &Paged) {
    let (probe, large) = (s.sup_rw, s.large.0);
    let bit = |b: u32| move |e: u64| e | 1 << b;
    match s.mode {
        Mode::Bits32 => {
            // Only a 4 MiB PDE has reserved bits (bit 21; 20:13 are PSE-36).
            with_entry(
                s,
                large.entry(2),
                bit(21),
                LARGE,
                INVALID_FLAGS,
                "4M PDE bit 21",
            );
            // Without CR4.PSE, PS is ignored: the 4 MiB PDE points to a page
            // table at its address bits (0x0c00_4000: unmapped).
            let cr4 = s.vm.reg(WHvX64RegisterCr4);
            s.vm.set_reg(WHvX64RegisterCr4, cr4 & !CR4_PSE);
            let no_pse = s.vm.code(LARGE, READ);
            s.vm.set_reg(WHvX64RegisterCr4, cr4);
            assert_eq!(
                no_pse, WHvTranslateGvaResultGpaUnmapped,
                "4M PDE without CR4.PSE"
            );
        }
        Mode::Pae => {
            with_entry(
                s,
                probe.entry(3),
                bit(1),
                SUP_RW,
                INVALID_FLAGS,
                "PDPTE R/W (reserved)",
            );
            with_entry(
                s,
                probe.entry(3),
                bit(5),
                SUP_RW,
                INVALID_FLAGS,
                "PDPTE bit 5 (reserved)",
            );
            with_entry(
                s,
                probe.entry(2),
                bit(62),
                SUP_RW,
                INVALID_FLAGS,
                "PDE bit 62",
            );
            with_entry(
                s,
                probe.entry(1),
                bit(62),
                SUP_RW,
                INVALID_FLAGS,
                "PTE bit 62",
            );
            with_entry(
                s,
                large.entry(2),
                bit(13),
                LARGE,
                INVALID_FLAGS,
                "2M PDE bit 13",
            );
        }
        Mode::Long4 | Mode::Long5 => {
            let top = s.mode.levels();
            for level in 4..=top {
                with_entry(
                    s,
                    probe.entry(level),
                    |e| e | PS,
                    SUP_RW,
                    INVALID_FLAGS,
                    &format!("PS at level {level}"),
                );
            }
            // A PDPTE or PDE turned into a large leaf with a reserved bit.
            with_entry(
                s,
                probe.entry(3),
                |e| e | PS | 1 << 13,
                SUP_RW,
                INVALID_FLAGS,
                "1G PDPTE bit 13",
            );
            with_entry(
                s,
                probe.entry(2),
                |e| e | PS | 1 << 13,
                SUP_RW,
                INVALID_FLAGS,
                "2M PDE bit 13",
            );
            with_entry(
                s,
                large.entry(2),
                bit(20),
                LARGE,
                INVALID_FLAGS,
                "2M PDE bit 20",
            );
            if let Some(h) = s.huge {
                with_entry(
                    s,
                    h.entry(3),
                    bit(29),
                    HUGE,
                    INVALID_FLAGS,
                    "1G PDPTE bit 29",
                );
            }
        }
    }
    // XD is reserved while EFER.NXE is clear (PAE and long mode), at every
    // level that has it.
    if s.nx.is_some() {
        let vm = &s.vm;
        let efer = vm.reg(WHvX64RegisterEfer);
        assert_eq!(vm.code(NX, READ), SUCCESS, "{:?}: XD page readable", s.mode);
        vm.set_reg(WHvX64RegisterEfer, efer & !EFER_NXE);
        let leaf = vm.code(NX, READ);
        with_entry(
            s,
            probe.entry(2),
            |e| e | XD,
            SUP_RW,
            INVALID_FLAGS,
            "PDE XD without NXE",
        );
        if s.mode != Mode::Pae {
            let top = s.mode.levels();
            with_entry(
                s,
                probe.entry(top),
                |e| e | XD,
                SUP_RW,
                INVALID_FLAGS,
                "top-level XD without NXE",
            );
        }
        vm.set_reg(WHvX64RegisterEfer, efer);
        assert_eq!(
            leaf, INVALID_FLAGS,
            "{:?}: XD in the PTE with EFER.NXE clear",
            s.mode
        );
        assert_eq!(vm.code(NX, READ), SUCCESS, "{:?}: NXE restored", s.mode);
    }
}

/// The GPA access failures: each paging structure of the walk (CR3's
/// included) moved, in turn, to an unmapped GPA, to memory mapped without
/// access, to `PROT_NONE` host memory, and to a read-only mapping (read:
/// fine; setting Accessed: GpaNoWriteAccess).
pub fn gpa_access(s: &Paged) {
    let vm = &s.vm;
    let m = s.mode;
    let w = s.sup_rw;
    let wide = s.wide();
    let mask = m.address_mask();
    // (where the pointer to a table lives — `None` for CR3 —, the level of
    // the table it points to).
    let mut pointers: Vec<(Option<u64>, u8)> = vec![(None, m.levels())];
    pointers.extend(
        w.levels()
            .filter(|l| *l > w.leaf)
            .map(|l| (Some(w.entry(l)), l - 1)),
    );
    for (at, table_level) in pointers {
        let old = match at {
            None => vm.reg(WHvX64RegisterCr3),
            Some(at) => vm.entry(at, wide),
        };
        // CR3 and entries alike: the page-aligned address, the rest kept.
        let table = old & mask;
        let keep = old & !mask;
        let point = |to: u64| match at {
            None => vm.set_reg(WHvX64RegisterCr3, to | keep),
            Some(at) => vm.set_entry(at, wide, to | keep),
        };
        let what = |place: &str| format!("{m:?}: level-{table_level} table {place}");
        // The entry the walk reads in the moved table, at its offset.
        let next = w.entry(table_level) & 0xfff;

        point(UNMAPPED_GPA);
        let unmapped = vm.code(SUP_RW, READ);
        vm.copy_page(table, NO_ACCESS_GPA);
        point(NO_ACCESS_GPA);
        let no_access = vm.code(SUP_RW, READ);
        point(PROT_NONE_GPA);
        let prot_none = vm.code(SUP_RW, READ);
        vm.copy_page(table, RO_GPA);
        let copied = vm.entry(RO_GPA + next, wide);
        vm.set_entry(RO_GPA + next, wide, copied & !A);
        point(RO_GPA);
        let ro_read = vm.tr(SUP_RW + 4, READ);
        let ro_set = vm.code(SUP_RW, READ | SET_BITS);
        let ro_after = vm.entry(RO_GPA + next, wide);
        point(table);
        assert_eq!(
            vm.tr(SUP_RW, READ),
            (SUCCESS, FRAMES),
            "{}",
            what("restored")
        );

        assert_eq!(
            unmapped,
            WHvTranslateGvaResultGpaUnmapped,
            "{}",
            what("unmapped")
        );
        assert_eq!(
            no_access,
            WHvTranslateGvaResultGpaNoReadAccess,
            "{}",
            what("mapped without access")
        );
        assert_eq!(
            prot_none,
            WHvTranslateGvaResultGpaNoReadAccess,
            "{}",
            what("in PROT_NONE host memory")
        );
        assert_eq!(
            ro_read,
            (SUCCESS, FRAMES + 4),
            "{}",
            what("read-only, read")
        );
        let pdpt = m == Mode::Pae && table_level == 3;
        if pdpt {
            // PDPTEs have no Accessed bit: nothing is written to the PDPT.
            assert_eq!(ro_set, SUCCESS, "{}", what("read-only PDPT, set A/D"));
        } else {
            assert_eq!(
                ro_set,
                WHvTranslateGvaResultGpaNoWriteAccess,
                "{}",
                what("read-only, set A/D")
            );
        }
        assert_eq!(
            ro_after,
            copied & !A,
            "{}",
            what("read-only entry left alone")
        );
    }
}

/// U/S at CPL3, R/W with and without CR0.WP, XD, PrivilegeExempt.
pub fn privilege(s: &Paged) {
    let vm = &s.vm;
    let m = s.mode;
    let cr0 = vm.reg(WHvX64RegisterCr0);
    assert_ne!(cr0 & CR0_WP, 0, "entry states set CR0.WP");
    // CPL0.
    assert_eq!(
        vm.code(USER_RO, WRITE),
        PRIVILEGE,
        "{m:?}: CPL0 write to read-only, WP=1"
    );
    assert_eq!(
        vm.code(USER_RO, READ),
        SUCCESS,
        "{m:?}: CPL0 read of user page"
    );
    assert_eq!(
        vm.code(USER_RW, READ | WRITE | EXEC),
        SUCCESS,
        "{m:?}: CPL0 on user RW page, no SMEP/SMAP"
    );
    vm.set_reg(WHvX64RegisterCr0, cr0 & !CR0_WP);
    assert_eq!(
        vm.tr(USER_RO, WRITE),
        (SUCCESS, FRAMES + 0x1000),
        "{m:?}: CPL0 write to read-only, WP=0"
    );
    if s.nx.is_some() {
        assert_eq!(vm.code(NX, EXEC), PRIVILEGE, "{m:?}: execute XD page");
        assert_eq!(
            vm.code(NX, EXEC | EXEMPT),
            PRIVILEGE,
            "{m:?}: XD is not a privilege rule"
        );
        assert_eq!(
            vm.tr(NX, READ | WRITE),
            (SUCCESS, FRAMES + 0x3000),
            "{m:?}: XD page data"
        );
    }
    // CPL3 (WP still clear: user writes obey R/W anyway).
    s.set_cpl3(true);
    let user = [
        (SUP_RW, READ, PRIVILEGE, "supervisor page read"),
        (SUP_RW, EXEC, PRIVILEGE, "supervisor page execute"),
        (
            SUP_RW,
            WHvTranslateGvaFlagNone,
            SUCCESS,
            "supervisor page, nothing validated",
        ),
        (
            SUP_RW,
            READ | WRITE | EXEMPT,
            SUCCESS,
            "supervisor page, privilege exempt",
        ),
        (USER_RO, READ | EXEC, SUCCESS, "user read-only page read"),
        (USER_RO, WRITE, PRIVILEGE, "user read-only page write, WP=0"),
        (USER_RW, READ | WRITE | EXEC, SUCCESS, "user RW page"),
        (LARGE, READ, PRIVILEGE, "supervisor large page"),
    ];
    for (gva, flags, want, what) in user {
        assert_eq!(vm.code(gva, flags), want, "{m:?} CPL3: {what}");
    }
    vm.set_reg(WHvX64RegisterCr0, cr0);
    assert_eq!(
        vm.code(USER_RO, WRITE),
        PRIVILEGE,
        "{m:?} CPL3: user write to read-only, WP=1"
    );
    // U/S must be set at every level: clear it in the user page's PDE.
    let at = s.user_ro.entry(2);
    let old = vm.entry(at, s.wide());
    vm.set_entry(at, s.wide(), old & !crate::tables::US);
    let upper = vm.code(USER_RO, READ);
    vm.set_entry(at, s.wide(), old);
    assert_eq!(upper, PRIVILEGE, "{m:?} CPL3: U/S clear in the PDE");
    s.set_cpl3(false);
    assert_eq!(vm.code(SUP_RW, READ), SUCCESS, "{m:?}: back at CPL0");
}

/// SMEP and SMAP at CPL0, when KVM accepts the CR4 bits (a HLT run with
/// them set proves it); otherwise one loud SKIPPED line.
pub fn smep_smap(s: &Paged) {
    let vm = &s.vm;
    let m = s.mode;
    let cr4 = vm.reg(WHvX64RegisterCr4);
    vm.set_reg(WHvX64RegisterCr4, cr4 | CR4_SMEP | CR4_SMAP);
    // The write-back before KVM_RUN is where KVM checks CR4 against the
    // guest's CPUID: a HLT exit proves it accepted, and so does PVM's
    // shutdown of a paged 32-bit/PAE guest (see setup), which comes from
    // the run itself (a refusal is an InvalidVpRegisterValue exit).
    let run = vm.run();
    let pvm_shutdown =
        m.levels() < 4 && is_pvm() && run == Ok(WHvRunVpExitReasonUnrecoverableException);
    if run != Ok(WHvRunVpExitReasonX64Halt) && !pvm_shutdown {
        vm.set_reg(WHvX64RegisterCr4, cr4);
        println!("SKIPPED: {m:?} SMEP/SMAP: KVM refused CR4.SMEP|SMAP (run gave {run:?})");
        return;
    }
    if pvm_shutdown {
        crate::common::set_registers(&vm.vm.p, 0, &s.regs);
        vm.set_reg(WHvX64RegisterCr4, cr4 | CR4_SMEP | CR4_SMAP);
    }
    assert_eq!(
        vm.reg(WHvX64RegisterCr4) & (CR4_SMEP | CR4_SMAP),
        CR4_SMEP | CR4_SMAP
    );
    let rflags = vm.reg(WHvX64RegisterRflags);
    let enforce = WHvTranslateGvaFlagEnforceSmap;
    let overrides = WHvTranslateGvaFlagOverrideSmap;
    let ac0 = [
        (USER_RW, EXEC, PRIVILEGE, "SMEP: fetch from user page"),
        (SUP_RW, EXEC, SUCCESS, "SMEP: fetch from supervisor page"),
        (USER_RW, EXEC | EXEMPT, SUCCESS, "SMEP: privilege exempt"),
        (USER_RW, READ, PRIVILEGE, "SMAP: read user page, AC=0"),
        (USER_RW, WRITE, PRIVILEGE, "SMAP: write user page, AC=0"),
        (USER_RW, READ | overrides, SUCCESS, "SMAP: OverrideSmap"),
        (USER_RW, READ | EXEMPT, SUCCESS, "SMAP: privilege exempt"),
        (SUP_RW, READ | WRITE, SUCCESS, "SMAP: supervisor page"),
    ];
    for (gva, flags, want, what) in ac0 {
        assert_eq!(vm.code(gva, flags), want, "{m:?}: {what}");
    }
    vm.set_reg(WHvX64RegisterRflags, rflags | RFLAGS_AC);
    let ac1 = [
        (USER_RW, READ | WRITE, SUCCESS, "SMAP: AC=1"),
        (
            USER_RW,
            READ | enforce,
            PRIVILEGE,
            "SMAP: EnforceSmap with AC=1",
        ),
        (
            USER_RW,
            READ | enforce | overrides,
            SUCCESS,
            "SMAP: OverrideSmap wins",
        ),
        (USER_RW, EXEC, PRIVILEGE, "SMEP ignores AC"),
    ];
    for (gva, flags, want, what) in ac1 {
        assert_eq!(vm.code(gva, flags), want, "{m:?}: {what}");
    }
    vm.set_reg(WHvX64RegisterRflags, rflags);
    // At CPL3 neither applies.
    s.set_cpl3(true);
    assert_eq!(
        vm.code(USER_RW, READ | WRITE | EXEC),
        SUCCESS,
        "{m:?}: CPL3 under SMEP/SMAP"
    );
    s.set_cpl3(false);
    vm.set_reg(WHvX64RegisterCr4, cr4);
    assert_eq!(
        vm.code(USER_RW, EXEC | READ),
        SUCCESS,
        "{m:?}: SMEP/SMAP off again"
    );
}

fn entries(s: &Paged, w: &Walk) -> Vec<(u8, u64)> {
    w.levels()
        .map(|l| (l, s.vm.entry(w.entry(l), s.wide())))
        .collect()
}

/// SetPageTableBits: Accessed on every entry walked (never on a PAE
/// PDPTE, whose bit 5 is reserved), Dirty on the leaf for a write; a walk
/// without the flag changes nothing.
pub fn accessed_dirty(s: &Paged) {
    let vm = &s.vm;
    let m = s.mode;
    let (gva, w) = s.ad;
    let before = entries(s, &w);
    assert_eq!(before[before.len() - 1].1 & (A | D), 0, "{m:?}: fresh leaf");
    assert_eq!(vm.tr(gva + 0x10, READ | WRITE), (SUCCESS, AD_GPA + 0x10));
    assert_eq!(
        entries(s, &w),
        before,
        "{m:?}: no SetPageTableBits, no change"
    );
    assert_eq!(vm.tr(gva + 0x20, READ | SET_BITS), (SUCCESS, AD_GPA + 0x20));
    let read = entries(s, &w);
    for ((level, b), (_, a)) in before.iter().zip(&read) {
        let pdpte = m == Mode::Pae && *level == 3;
        let want = if pdpte { *b } else { b | A };
        assert_eq!(
            *a, want,
            "{m:?}: level {level} after a read with SetPageTableBits"
        );
    }
    assert_eq!(vm.tr(gva, WRITE | SET_BITS), (SUCCESS, AD_GPA));
    let wrote = entries(s, &w);
    assert_eq!(
        wrote[wrote.len() - 1].1,
        read[read.len() - 1].1 | D,
        "{m:?}: leaf Dirty after a write"
    );
    assert_eq!(
        wrote[..wrote.len() - 1],
        read[..read.len() - 1],
        "{m:?}: Dirty only in the leaf"
    );

    // A large leaf gets Dirty as well.
    let (lw, frame, size) = s.large;
    let leaf_at = lw.entry(lw.leaf);
    let leaf = vm.entry(leaf_at, s.wide());
    vm.set_entry(leaf_at, s.wide(), leaf & !(A | D));
    assert_eq!(
        vm.tr(LARGE + 0x1000, WRITE | SET_BITS),
        (SUCCESS, frame + 0x1000)
    );
    let after = vm.entry(leaf_at, s.wide());
    vm.set_entry(leaf_at, s.wide(), leaf);
    assert_eq!(
        after,
        (leaf & !(A | D)) | A | D,
        "{m:?}: {size:?} leaf A and D"
    );
}

/// Entry bits from MAXPHYADDR up to bit 51 are reserved (Intel SDM vol. 3,
/// 4.4.2 and 4.5.4): setting bit `maxphy` at each level of the 4 KiB
/// probe's walk is InvalidPageTableFlags.
pub fn reserved_above_maxphyaddr(s: &Paged, maxphy: u32) {
    let w = s.sup_rw;
    for level in w.levels() {
        let what = format!("bit {maxphy} (MAXPHYADDR) at level {level}");
        with_entry(
            s,
            w.entry(level),
            |e| e | 1 << maxphy,
            SUP_RW,
            INVALID_FLAGS,
            &what,
        );
    }
}
