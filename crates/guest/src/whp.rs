//! The bridge to the WHP register model (feature `whp`): a guest's initial
//! [`Registers`] as the `WHV_REGISTER_NAME`/`WHV_REGISTER_VALUE` pairs that
//! `WHvSetVirtualProcessorRegisters` takes. Used by the `winhv` command, the
//! platform's tests and the benchmarks, so that every WHP caller loads a
//! guest the same way.

use winhv_defs::*;

use crate::registers::Registers;
use crate::segment::{Segment, TableRegister};

// Every value starts from `default()` (all 16 bytes zero) so that no byte
// of the union is left uninitialised, whichever member the platform reads.

fn r64(v: u64) -> WHV_REGISTER_VALUE {
    let mut value = WHV_REGISTER_VALUE::default();
    value.Reg64 = v;
    value
}

fn segment(s: &Segment) -> WHV_REGISTER_VALUE {
    let mut value = WHV_REGISTER_VALUE::default();
    value.Segment = WHV_X64_SEGMENT_REGISTER {
        Base: s.base,
        Limit: s.limit,
        Selector: s.selector,
        Attributes: s.attributes,
    };
    value
}

fn table(t: &TableRegister) -> WHV_REGISTER_VALUE {
    let mut value = WHV_REGISTER_VALUE::default();
    value.Table = WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: t.limit,
        Base: t.base,
    };
    value
}

/// The names and values that load `r` into a WHP virtual processor, in an
/// order WHvSetVirtualProcessorRegisters accepts (control registers and
/// EFER before the segments that depend on them).
///
/// ```
/// let (names, values) = winhv_guest::whp::registers(&winhv_guest::Registers::default());
/// assert_eq!(names.len(), values.len());
/// ```
pub fn registers(r: &Registers) -> (Vec<WHV_REGISTER_NAME>, Vec<WHV_REGISTER_VALUE>) {
    let pairs = [
        (WHvX64RegisterCr0, r64(r.cr0)),
        (WHvX64RegisterCr3, r64(r.cr3)),
        (WHvX64RegisterCr4, r64(r.cr4)),
        (WHvX64RegisterEfer, r64(r.efer)),
        (WHvX64RegisterCr2, r64(r.cr2)),
        (WHvX64RegisterCs, segment(&r.cs)),
        (WHvX64RegisterDs, segment(&r.ds)),
        (WHvX64RegisterEs, segment(&r.es)),
        (WHvX64RegisterFs, segment(&r.fs)),
        (WHvX64RegisterGs, segment(&r.gs)),
        (WHvX64RegisterSs, segment(&r.ss)),
        (WHvX64RegisterTr, segment(&r.tr)),
        (WHvX64RegisterLdtr, segment(&r.ldtr)),
        (WHvX64RegisterGdtr, table(&r.gdtr)),
        (WHvX64RegisterIdtr, table(&r.idtr)),
        (WHvX64RegisterRax, r64(r.rax)),
        (WHvX64RegisterRcx, r64(r.rcx)),
        (WHvX64RegisterRdx, r64(r.rdx)),
        (WHvX64RegisterRbx, r64(r.rbx)),
        (WHvX64RegisterRsp, r64(r.rsp)),
        (WHvX64RegisterRbp, r64(r.rbp)),
        (WHvX64RegisterRsi, r64(r.rsi)),
        (WHvX64RegisterRdi, r64(r.rdi)),
        (WHvX64RegisterR8, r64(r.r8)),
        (WHvX64RegisterR9, r64(r.r9)),
        (WHvX64RegisterR10, r64(r.r10)),
        (WHvX64RegisterR11, r64(r.r11)),
        (WHvX64RegisterR12, r64(r.r12)),
        (WHvX64RegisterR13, r64(r.r13)),
        (WHvX64RegisterR14, r64(r.r14)),
        (WHvX64RegisterR15, r64(r.r15)),
        (WHvX64RegisterRip, r64(r.rip)),
        (WHvX64RegisterRflags, r64(r.rflags)),
    ];
    pairs.into_iter().unzip()
}
