//! SGDT SIDT SLDT STR SMSW and LGDT LIDT LLDT LTR LMSW with the operand in
//! MMIO: what they store and load through the register callbacks, the
//! descriptors LLDT/LTR read (and the busy bit LTR sets), and the faults
//! (#GP(0) above CPL 0 or with UMIP, #UD outside protected mode).

mod common;
use common::*;
use iced_x86::code_asm::{self as x, CodeAssembler, IcedError};

fn asm(bits: u32, f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(bits).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x1000).unwrap()
}

const GDT: u64 = 0x8000;

/// A 16-byte long-mode system descriptor (or 8 bytes outside long mode).
fn system_desc(base: u64, limit: u32, ty: u8) -> [u64; 2] {
    let lo = u64::from(limit & 0xffff)
        | ((base & 0xff_ffff) << 16)
        | (u64::from(ty) << 40)
        | (1 << 47)
        | (u64::from(limit >> 16 & 0xf) << 48)
        | (((base >> 24) & 0xff) << 56);
    [lo, base >> 32]
}

#[test]
fn sgdt_and_sidt_store_limit_and_base() {
    let code = asm(64, |a| a.sgdt(x::ptr(x::rbx)));
    let mut vp = Vp::long();
    vp.gdtr = (0xffff_8000_1234_5000, 0x7f);
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(vp.peek(MMIO, 10), {
        let mut b = vec![0x7f, 0];
        b.extend_from_slice(&0xffff_8000_1234_5000u64.to_le_bytes());
        b
    });
    let code = asm(32, |a| a.sidt(x::ptr(x::ebx)));
    let mut vp = Vp::prot32();
    vp.idtr = (0x0012_3000, 0xfff);
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO + 6, &[0xee; 4]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(
        vp.peek(MMIO, 10),
        vec![0xff, 0x0f, 0x00, 0x30, 0x12, 0x00, 0xee, 0xee, 0xee, 0xee]
    );
}

#[test]
fn umip_makes_the_stores_fault_above_cpl_0() {
    for code in [
        asm(64, |a| a.sgdt(x::ptr(x::rbx))),
        asm(64, |a| a.sldt(x::word_ptr(x::rbx))),
        asm(64, |a| a.str(x::word_ptr(x::rbx))),
        asm(64, |a| a.smsw(x::word_ptr(x::rbx))),
    ] {
        let mut vp = Vp::long();
        vp.cpl = 3;
        vp.cr4 = 1 << 11;
        vp.gpr[RBX] = MMIO;
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(pending(&vp), Some((13, Some(0))));
        assert!(vp.mem_log.is_empty());
        // Without UMIP they work at CPL 3.
        let mut vp = Vp::long();
        vp.cpl = 3;
        vp.gpr[RBX] = MMIO;
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(pending(&vp), None);
    }
}

#[test]
fn lgdt_and_lidt_load_at_cpl_0_only() {
    let code = asm(32, |a| a.lgdt(x::ptr(x::ebx)));
    let mut vp = Vp::prot32();
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &[0x17, 0x00, 0x00, 0x30, 0x12, 0xab]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(vp.gdtr, (0xab12_3000, 0x17));
    // A 16-bit operand size keeps 24 bits of the base.
    let mut code16 = vec![0x66];
    code16.extend_from_slice(&code);
    let mut vp = Vp::prot32();
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &[0x17, 0x00, 0x00, 0x30, 0x12, 0xab]);
    assert_eq!(mmio(&mut vp, &code16), OK);
    assert_eq!(vp.gdtr, (0x12_3000, 0x17));
    // 64-bit mode reads a 64-bit base; CPL 3 faults.
    let code = asm(64, |a| a.lidt(x::ptr(x::rbx)));
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &[0xff, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(vp.idtr, (0x0807_0605_0403_0201, 0xfff));
    let mut vp = Vp::long();
    vp.cpl = 3;
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    assert_eq!(vp.idtr, (0, 0));
}

#[test]
fn lldt_and_ltr_read_16_byte_descriptors_in_long_mode() {
    let mut vp = Vp::long();
    let ldt = system_desc(0xffff_8000_0000_1000, 0x27, 2);
    let tss = system_desc(0xffff_8000_0000_2000, 0x67, 9);
    vp.poke(GDT + 0x10, &ldt[0].to_le_bytes());
    vp.poke(GDT + 0x18, &ldt[1].to_le_bytes());
    vp.poke(GDT + 0x20, &tss[0].to_le_bytes());
    vp.poke(GDT + 0x28, &tss[1].to_le_bytes());
    vp.gdtr = (GDT, 0x2f);
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &0x10u16.to_le_bytes());
    vp.poke(MMIO + 2, &0x20u16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(64, |a| a.lldt(x::word_ptr(x::rbx)))), OK);
    assert_eq!(
        (vp.ldtr.Selector, vp.ldtr.Base, vp.ldtr.Limit),
        (0x10, 0xffff_8000_0000_1000, 0x27)
    );
    assert_eq!(vp.ldtr.segment_type(), 2);
    vp.rip = 0x1000;
    assert_eq!(
        mmio(&mut vp, &asm(64, |a| a.ltr(x::word_ptr(x::rbx + 2)))),
        OK
    );
    assert_eq!(
        (vp.tr.Selector, vp.tr.Base, vp.tr.segment_type()),
        (0x20, 0xffff_8000_0000_2000, 11)
    );
    assert_eq!(vp.peek(GDT + 0x25, 1)[0] & 0xf, 11, "busy in the GDT");
    // LTR of a busy TSS: #GP(sel); of the LDT descriptor: #GP(sel).
    for sel in [0x20u16, 0x10] {
        vp.rip = 0x1000;
        vp.poke(MMIO + 2, &sel.to_le_bytes());
        assert_eq!(
            mmio(&mut vp, &asm(64, |a| a.ltr(x::word_ptr(x::rbx + 2)))),
            OK
        );
        assert_eq!(pending(&vp), Some((13, Some(u32::from(sel)))));
        vp.pending = 0;
    }
}

#[test]
fn sldt_str_need_protected_mode_and_store_selectors() {
    let mut vp = Vp::real();
    vp.gpr[RBX] = 0x3000;
    assert_eq!(mmio(&mut vp, &[0x0f, 0x00, 0x07]), OK); // sldt [bx]
    assert_eq!(pending(&vp), Some((6, None)));

    let mut vp = Vp::long();
    vp.tr.Selector = 0x40;
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &asm(64, |a| a.str(x::word_ptr(x::rbx)))), OK);
    assert_eq!(vp.peek_u64(MMIO, 2), 0x40);
    assert_eq!(vp.mem_log.len(), 1, "one 2-byte store");
}

#[test]
fn smsw_and_lmsw() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &asm(64, |a| a.smsw(x::word_ptr(x::rbx)))), OK);
    assert_eq!(vp.peek_u64(MMIO, 2), 0x0011);
    // LMSW cannot clear PE; it sets TS.
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &0x0008u16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &asm(64, |a| a.lmsw(x::word_ptr(x::rbx)))), OK);
    assert_eq!(vp.cr0, 0x8000_0019);
}
