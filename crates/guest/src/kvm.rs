//! The bridge to raw KVM (feature `kvm`): a guest's initial [`Registers`]
//! as `kvm_regs` and the `kvm_sregs` fields they set — the raw-KVM
//! counterpart of [`crate::whp`], shared by the benchmarks' baseline and the
//! tests that run guests on KVM directly.

use kvm_bindings::{kvm_regs, kvm_segment, kvm_sregs};

use crate::registers::Registers;
use crate::segment::Segment;

/// The general registers, RIP and RFLAGS of `r`, for KVM_SET_REGS.
///
/// ```
/// let r = winhv_guest::Registers { rip: 0x1000, ..Default::default() };
/// assert_eq!(winhv_guest::kvm::regs(&r).rip, 0x1000);
/// ```
pub fn regs(r: &Registers) -> kvm_regs {
    kvm_regs {
        rax: r.rax,
        rbx: r.rbx,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        rsp: r.rsp,
        rbp: r.rbp,
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rip: r.rip,
        rflags: r.rflags,
    }
}

/// A [`Segment`] (WHP attribute layout) as KVM holds it; a segment that is
/// not present is marked unusable.
pub fn segment(s: &Segment) -> kvm_segment {
    kvm_segment {
        base: s.base,
        limit: s.limit,
        selector: s.selector,
        type_: s.segment_type(),
        present: u8::from(s.present()),
        dpl: s.dpl(),
        db: u8::from(s.default_big()),
        s: u8::from(s.is_code_or_data()),
        l: u8::from(s.long()),
        g: u8::from(s.granularity()),
        avl: u8::from(s.avl()),
        unusable: u8::from(!s.present()),
        padding: 0,
    }
}

/// Sets the segments, descriptor tables, control registers and EFER of
/// `sregs` (fetched with KVM_GET_SREGS) from `r`, for KVM_SET_SREGS; the
/// other fields (APIC base, interrupt bitmap) keep KVM's values.
pub fn apply_sregs(r: &Registers, sregs: &mut kvm_sregs) {
    sregs.cs = segment(&r.cs);
    sregs.ds = segment(&r.ds);
    sregs.es = segment(&r.es);
    sregs.fs = segment(&r.fs);
    sregs.gs = segment(&r.gs);
    sregs.ss = segment(&r.ss);
    sregs.tr = segment(&r.tr);
    sregs.ldt = segment(&r.ldtr);
    sregs.gdt.base = r.gdtr.base;
    sregs.gdt.limit = r.gdtr.limit;
    sregs.idt.base = r.idtr.base;
    sregs.idt.limit = r.idtr.limit;
    sregs.cr0 = r.cr0;
    sregs.cr2 = r.cr2;
    sregs.cr3 = r.cr3;
    sregs.cr4 = r.cr4;
    sregs.efer = r.efer;
}
