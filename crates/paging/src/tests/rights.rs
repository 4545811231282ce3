//! Access rights (SDM vol. 3, 4.6), table-driven: U/S and R/W combined over
//! all levels, CR0.WP, execute-disable, SMEP, SMAP with RFLAGS.AC and the
//! EnforceSmap/OverrideSmap flags, protection keys, PrivilegeExempt — in
//! every paging mode where the feature exists.

use super::Setup;
use crate::entry::{P, PK_SHIFT, RW, US, XD};
use crate::regs::*;
use crate::{
    FaultKind, PageFaultErrorCode, PageSize, PagingMode, PagingState, TranslateError,
    TranslateFlags, TranslateResultCode, Violation, translate,
};

const R: TranslateFlags = TranslateFlags::VALIDATE_READ;
const W: TranslateFlags = TranslateFlags::VALIDATE_WRITE;
const X: TranslateFlags = TranslateFlags::VALIDATE_EXECUTE;
const EXEMPT: TranslateFlags = TranslateFlags::PRIVILEGE_EXEMPT;
const ENFORCE: TranslateFlags = TranslateFlags::ENFORCE_SMAP;
const OVERRIDE: TranslateFlags = TranslateFlags::OVERRIDE_SMAP;
const NONE: TranslateFlags = TranslateFlags::NONE;

#[derive(Copy, Clone)]
struct Case {
    name: &'static str,
    mode: PagingMode,
    leaf: u64,
    /// Flags of every non-leaf entry.
    table: u64,
    cpl: u8,
    wp: bool,
    cr4: u64,
    ac: bool,
    pkru: u32,
    pkrs: u32,
    flags: TranslateFlags,
    want: Result<(), Violation>,
    /// Also run with the mode's large page (whose walk has fewer tables).
    large_too: bool,
}

const BASE: Case = Case {
    name: "",
    mode: PagingMode::FourLevel,
    leaf: P | RW | US,
    table: P | RW | US,
    cpl: 0,
    wp: true,
    cr4: 0,
    ac: false,
    pkru: 0,
    pkrs: 0,
    flags: R,
    want: Ok(()),
    large_too: true,
};

const fn f(a: TranslateFlags, b: TranslateFlags) -> TranslateFlags {
    a.union(b)
}

use Violation::*;

const CASES: &[Case] = &[
    // U/S.
    Case {
        name: "user reads user page",
        cpl: 3,
        ..BASE
    },
    Case {
        name: "user reads supervisor leaf",
        cpl: 3,
        leaf: P | RW,
        want: Err(UserAccessToSupervisor),
        ..BASE
    },
    Case {
        name: "user reads via supervisor table",
        cpl: 3,
        table: P | RW,
        want: Err(UserAccessToSupervisor),
        ..BASE
    },
    Case {
        name: "user fetches supervisor page",
        cpl: 3,
        leaf: P | RW,
        flags: X,
        want: Err(UserAccessToSupervisor),
        ..BASE
    },
    Case {
        name: "supervisor reads supervisor page",
        leaf: P,
        table: P,
        ..BASE
    },
    Case {
        name: "cpl 1 is supervisor",
        cpl: 1,
        leaf: P | RW,
        table: P | RW,
        ..BASE
    },
    Case {
        name: "no validation: user on supervisor page",
        cpl: 3,
        leaf: P,
        table: P,
        flags: NONE,
        ..BASE
    },
    // R/W and CR0.WP.
    Case {
        name: "user writes RW page",
        cpl: 3,
        flags: W,
        ..BASE
    },
    Case {
        name: "user writes RO leaf",
        cpl: 3,
        leaf: P | US,
        flags: W,
        want: Err(WriteToReadOnly),
        ..BASE
    },
    Case {
        name: "user writes via RO table",
        cpl: 3,
        table: P | US,
        flags: W,
        want: Err(WriteToReadOnly),
        ..BASE
    },
    Case {
        name: "user writes RO, WP=0",
        cpl: 3,
        leaf: P | US,
        wp: false,
        flags: W,
        want: Err(WriteToReadOnly),
        ..BASE
    },
    Case {
        name: "supervisor writes RO, WP=1",
        leaf: P,
        flags: W,
        want: Err(WriteToReadOnly),
        ..BASE
    },
    Case {
        name: "supervisor writes via RO table, WP=1",
        table: P | US,
        flags: W,
        want: Err(WriteToReadOnly),
        ..BASE
    },
    Case {
        name: "supervisor writes RO, WP=0",
        leaf: P,
        table: P,
        wp: false,
        flags: W,
        ..BASE
    },
    Case {
        name: "supervisor writes RO user page, WP=0",
        leaf: P | US,
        wp: false,
        flags: W,
        ..BASE
    },
    Case {
        name: "supervisor reads RO",
        leaf: P,
        table: P,
        ..BASE
    },
    Case {
        name: "read+write of RO fails",
        leaf: P | US,
        flags: f(R, W),
        want: Err(WriteToReadOnly),
        ..BASE
    },
    // Execute-disable.
    Case {
        name: "fetch XD leaf",
        leaf: P | RW | XD,
        flags: X,
        want: Err(ExecuteDisabled),
        ..BASE
    },
    Case {
        name: "fetch via XD table",
        table: P | RW | US | XD,
        flags: X,
        want: Err(ExecuteDisabled),
        ..BASE
    },
    Case {
        name: "user fetch XD leaf",
        cpl: 3,
        leaf: P | US | XD,
        flags: X,
        want: Err(ExecuteDisabled),
        ..BASE
    },
    Case {
        name: "read XD page",
        leaf: P | XD,
        ..BASE
    },
    Case {
        name: "PAE fetch XD leaf",
        mode: PagingMode::Pae,
        leaf: P | XD,
        flags: X,
        want: Err(ExecuteDisabled),
        ..BASE
    },
    Case {
        name: "PAE fetch via XD PDE",
        mode: PagingMode::Pae,
        table: P | RW | XD,
        flags: X,
        want: Err(ExecuteDisabled),
        large_too: false,
        ..BASE
    },
    Case {
        name: "5-level fetch via XD PML5E",
        mode: PagingMode::FiveLevel,
        table: P | RW | XD,
        flags: X,
        want: Err(ExecuteDisabled),
        ..BASE
    },
    // SMEP.
    Case {
        name: "SMEP: supervisor fetch user page",
        cr4: CR4_SMEP,
        flags: X,
        want: Err(Smep),
        ..BASE
    },
    Case {
        name: "SMEP: supervisor fetch, U clear above",
        cr4: CR4_SMEP,
        table: P | RW,
        flags: X,
        ..BASE
    },
    Case {
        name: "SMEP: user fetch user page",
        cr4: CR4_SMEP,
        cpl: 3,
        flags: X,
        ..BASE
    },
    Case {
        name: "SMEP: supervisor read user page",
        cr4: CR4_SMEP,
        ..BASE
    },
    Case {
        name: "SMEP off: supervisor fetch user page",
        flags: X,
        ..BASE
    },
    Case {
        name: "SMEP in 32-bit paging",
        mode: PagingMode::Bits32,
        cr4: CR4_SMEP | CR4_PSE,
        flags: X,
        want: Err(Smep),
        ..BASE
    },
    Case {
        name: "SMEP in PAE",
        mode: PagingMode::Pae,
        cr4: CR4_SMEP | CR4_PAE,
        flags: X,
        want: Err(Smep),
        ..BASE
    },
    Case {
        name: "SMEP, exempt",
        cr4: CR4_SMEP,
        flags: f(X, EXEMPT),
        ..BASE
    },
    // SMAP.
    Case {
        name: "SMAP: supervisor read user page, AC=0",
        cr4: CR4_SMAP,
        want: Err(Smap),
        ..BASE
    },
    Case {
        name: "SMAP: supervisor write user page, AC=0",
        cr4: CR4_SMAP,
        flags: W,
        want: Err(Smap),
        ..BASE
    },
    Case {
        name: "SMAP: supervisor read user page, AC=1",
        cr4: CR4_SMAP,
        ac: true,
        ..BASE
    },
    Case {
        name: "SMAP: AC=1 but EnforceSmap",
        cr4: CR4_SMAP,
        ac: true,
        flags: f(R, ENFORCE),
        want: Err(Smap),
        ..BASE
    },
    Case {
        name: "SMAP: AC=0 but OverrideSmap",
        cr4: CR4_SMAP,
        flags: f(R, OVERRIDE),
        ..BASE
    },
    Case {
        name: "SMAP: Override wins over Enforce",
        cr4: CR4_SMAP,
        flags: f(f(R, OVERRIDE), ENFORCE),
        ..BASE
    },
    Case {
        name: "SMAP: U clear above",
        cr4: CR4_SMAP,
        table: P | RW,
        ..BASE
    },
    Case {
        name: "SMAP: user read user page",
        cr4: CR4_SMAP,
        cpl: 3,
        ..BASE
    },
    Case {
        name: "SMAP: supervisor fetch user page",
        cr4: CR4_SMAP,
        flags: X,
        ..BASE
    },
    Case {
        name: "SMAP off, EnforceSmap",
        flags: f(R, ENFORCE),
        ..BASE
    },
    Case {
        name: "SMAP, exempt",
        cr4: CR4_SMAP,
        flags: f(R, EXEMPT),
        ..BASE
    },
    Case {
        name: "SMAP in 32-bit paging",
        mode: PagingMode::Bits32,
        cr4: CR4_SMAP | CR4_PSE,
        want: Err(Smap),
        ..BASE
    },
    Case {
        name: "SMAP in PAE, AC=1",
        mode: PagingMode::Pae,
        cr4: CR4_SMAP | CR4_PAE,
        ac: true,
        ..BASE
    },
    // PrivilegeExempt.
    Case {
        name: "exempt: cpl 3 reads supervisor page",
        cpl: 3,
        leaf: P | RW,
        table: P | RW,
        flags: f(R, EXEMPT),
        ..BASE
    },
    Case {
        name: "exempt: write RO, WP=1",
        cpl: 3,
        leaf: P | US,
        flags: f(W, EXEMPT),
        want: Err(WriteToReadOnly),
        ..BASE
    },
    Case {
        name: "exempt: write RO, WP=0",
        cpl: 3,
        leaf: P | US,
        wp: false,
        flags: f(W, EXEMPT),
        ..BASE
    },
    Case {
        name: "exempt: fetch XD still fails",
        leaf: P | XD,
        flags: f(X, EXEMPT),
        want: Err(ExecuteDisabled),
        ..BASE
    },
    // Protection keys (long mode only): key 5 in the leaf.
    Case {
        name: "PKE: AD blocks user read",
        cpl: 3,
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 10,
        want: Err(ProtectionKey),
        ..BASE
    },
    Case {
        name: "PKE: AD blocks supervisor read of user page",
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 10,
        want: Err(ProtectionKey),
        ..BASE
    },
    Case {
        name: "PKE: AD of another key",
        cpl: 3,
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 8,
        ..BASE
    },
    Case {
        name: "PKE: AD does not block fetch",
        cpl: 3,
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 10,
        flags: X,
        ..BASE
    },
    Case {
        name: "PKE: WD allows user read",
        cpl: 3,
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 11,
        ..BASE
    },
    Case {
        name: "PKE: WD blocks user write",
        cpl: 3,
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 11,
        flags: W,
        want: Err(ProtectionKey),
        ..BASE
    },
    Case {
        name: "PKE: WD blocks supervisor write, WP=1",
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 11,
        flags: W,
        want: Err(ProtectionKey),
        ..BASE
    },
    Case {
        name: "PKE: WD allows supervisor write, WP=0",
        cr4: CR4_PKE,
        wp: false,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: 1 << 11,
        flags: W,
        ..BASE
    },
    Case {
        name: "PKE off: PKRU ignored",
        cpl: 3,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: !0,
        ..BASE
    },
    Case {
        name: "PKE: supervisor page ignores PKRU",
        cr4: CR4_PKE,
        leaf: P | RW | (5 << PK_SHIFT),
        pkru: !0,
        ..BASE
    },
    Case {
        name: "PKS: AD blocks supervisor page",
        cr4: CR4_PKS,
        leaf: P | RW | (2 << PK_SHIFT),
        pkrs: 1 << 4,
        want: Err(ProtectionKey),
        ..BASE
    },
    Case {
        name: "PKS: user page ignores PKRS",
        cr4: CR4_PKS,
        leaf: P | RW | US | (2 << PK_SHIFT),
        pkrs: !0,
        ..BASE
    },
    Case {
        name: "PKE: exempt",
        cpl: 3,
        cr4: CR4_PKE,
        leaf: P | RW | US | (5 << PK_SHIFT),
        pkru: !0,
        flags: f(W, EXEMPT),
        ..BASE
    },
    // 32-bit paging combines U/S and R/W across its two levels too.
    Case {
        name: "32-bit: user reads via supervisor PDE",
        mode: PagingMode::Bits32,
        cpl: 3,
        table: P | RW,
        want: Err(UserAccessToSupervisor),
        large_too: false,
        ..BASE
    },
    Case {
        name: "32-bit: user writes via RO PDE",
        mode: PagingMode::Bits32,
        cpl: 3,
        table: P | US,
        flags: W,
        want: Err(WriteToReadOnly),
        large_too: false,
        ..BASE
    },
    Case {
        name: "32-bit: fetch always allowed (no XD)",
        mode: PagingMode::Bits32,
        cpl: 3,
        flags: X,
        ..BASE
    },
];

fn state_for(c: &Case, base: PagingState) -> PagingState {
    let mut s = base;
    s.cpl = c.cpl;
    if !c.wp {
        s.cr0 &= !CR0_WP;
    }
    s.cr4 |= c.cr4;
    if c.ac {
        s.rflags |= RFLAGS_AC;
    }
    s.pkru = c.pkru;
    s.pkrs = c.pkrs;
    s
}

#[test]
fn access_rights_table() {
    for c in CASES {
        let large = super::sizes(c.mode)[1];
        let sizes: &[PageSize] = if c.large_too {
            &[PageSize::Size4K, large]
        } else {
            &[PageSize::Size4K]
        };
        for &size in sizes {
            let s = Setup::new(c.mode, size, c.leaf, c.table);
            let state = state_for(c, s.state);
            let got = translate(&s.mem, &state, s.gva + 0x18, c.flags);
            match (c.want, got) {
                (Ok(()), Ok(t)) => assert_eq!(t.gpa, s.gpa + 0x18, "{}", c.name),
                (Err(v), Err(TranslateError::Fault(fault))) => {
                    assert_eq!(fault.kind, FaultKind::Privilege(v), "{} ({size:?})", c.name);
                    assert_eq!(
                        fault.code(),
                        TranslateResultCode::PrivilegeViolation,
                        "{}",
                        c.name
                    );
                    let e = fault.error_code;
                    assert!(e.has(PageFaultErrorCode::PRESENT), "{}", c.name);
                    assert!(!e.has(PageFaultErrorCode::RESERVED), "{}", c.name);
                    assert_eq!(
                        e.has(PageFaultErrorCode::WRITE),
                        c.flags.contains(W),
                        "{}",
                        c.name
                    );
                    let user = c.cpl == 3 && !c.flags.contains(EXEMPT);
                    assert_eq!(e.has(PageFaultErrorCode::USER), user, "{}", c.name);
                    assert_eq!(
                        e.has(PageFaultErrorCode::PROTECTION_KEY),
                        v == ProtectionKey,
                        "{}",
                        c.name
                    );
                }
                (want, got) => panic!("{} ({size:?}): want {want:?}, got {got:?}", c.name),
            }
        }
    }
}

#[test]
fn fetch_bit_is_reported_with_nxe_or_smep_only() {
    // 32-bit paging, no NXE: a user fetch of a supervisor page has no I bit
    // unless SMEP is on.
    let s = Setup::new(PagingMode::Bits32, PageSize::Size4K, P | RW, P | RW);
    for (cr4, want_i) in [(CR4_PSE, false), (CR4_PSE | CR4_SMEP, true)] {
        let state = PagingState {
            cpl: 3,
            cr4,
            ..s.state
        };
        let err = translate(&s.mem, &state, s.gva, X).unwrap_err();
        let TranslateError::Fault(fault) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            fault.error_code.has(PageFaultErrorCode::FETCH),
            want_i,
            "cr4 {cr4:#x}"
        );
    }
}

#[test]
fn translation_reports_combined_rights() {
    let s = Setup::new(
        PagingMode::FourLevel,
        PageSize::Size4K,
        P | RW | US,
        P | US | XD,
    );
    let t = s.translate(0, NONE).unwrap();
    assert!(!t.writable && t.user && !t.executable);
    let s = Setup::new(PagingMode::FourLevel, PageSize::Size4K, P | RW, P | RW | US);
    let t = s.translate(0, NONE).unwrap();
    assert!(t.writable && !t.user && t.executable);
}
