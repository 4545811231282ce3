//! Control transfers with memory: CALL/JMP through MMIO, CALL and RET
//! with an MMIO stack, ENTER/LEAVE, far CALL/JMP/RET and IRET with the
//! descriptor read from the mock's GDT — each checked for the registers,
//! the stack bytes and the fault the CPU gives, as a VMM's callbacks see
//! them.

mod common;
use common::*;
use iced_x86::code_asm::{self as x, CodeAssembler, IcedError};

fn asm(bits: u32, f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(bits).unwrap();
    f(&mut a).unwrap();
    a.assemble(0x1000).unwrap()
}

/// A code/data descriptor.
fn desc(base: u32, limit: u32, ty: u8, dpl: u8, present: bool, l: bool, db: bool) -> u64 {
    let g = limit > 0xfffff;
    let lim = if g { limit >> 12 } else { limit };
    let b = u64::from(base);
    (u64::from(lim) & 0xffff)
        | ((b & 0xff_ffff) << 16)
        | (u64::from(ty) << 40)
        | (1 << 44)
        | (u64::from(dpl) << 45)
        | (u64::from(present) << 47)
        | ((u64::from(lim) >> 16 & 0xf) << 48)
        | (u64::from(l) << 53)
        | (u64::from(db) << 54)
        | (u64::from(g) << 55)
        | ((b >> 24) << 56)
}

const GDT: u64 = 0x8000;

/// Writes a GDT with: 1 = 32-bit code DPL0, 2 = data DPL0, 3 = 64-bit
/// code DPL0, 4 = not-present code, 5 = data DPL3, 6 = 64-bit code DPL3,
/// 7 = 16-bit code with base 0x10000 limit 0xffff, 8 = read-only data.
fn gdt(vp: &mut Vp) {
    let entries = [
        0,
        desc(0, 0xffff_ffff, 0xa, 0, true, false, true),
        desc(0, 0xffff_ffff, 0x2, 0, true, false, true),
        desc(0, 0xffff_ffff, 0xa, 0, true, true, false),
        desc(0, 0xffff_ffff, 0xa, 0, false, false, true),
        desc(0, 0xffff_ffff, 0x2, 3, true, false, true),
        desc(0, 0xffff_ffff, 0xa, 3, true, true, false),
        desc(0x1_0000, 0xffff, 0xb, 0, true, false, false),
        desc(0x2_0000, 0xffff, 0x0, 0, true, false, true),
    ];
    for (i, d) in entries.iter().enumerate() {
        vp.poke(GDT + 8 * i as u64, &d.to_le_bytes());
    }
    vp.gdtr = (GDT, (entries.len() * 8 - 1) as u16);
}

#[test]
fn call_through_mmio_pushes_onto_ram_and_jumps() {
    let code = asm(64, |a| a.call(x::qword_ptr(x::rbx)));
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RSP] = 0x9000;
    vp.poke(MMIO, &0x4321u64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!((vp.rip, vp.gpr[RSP]), (0x4321, 0x8ff8));
    assert_eq!(vp.peek_u64(0x8ff8, 8), 0x1000 + code.len() as u64);
    // One read of the operand, one write of the return address.
    assert_eq!(vp.mem_log.len(), 2);
    assert_eq!(vp.set_log, vec![vec![RSP as i32, 0x10]]);
}

#[test]
fn call_and_ret_with_an_mmio_stack() {
    let call = asm(64, |a| {
        let mut l = a.create_label();
        a.call(l)?;
        a.nop()?;
        a.set_label(&mut l)?;
        a.nop()
    });
    let mut vp = Vp::long();
    vp.gpr[RSP] = MMIO + 0x800;
    assert_eq!(mmio(&mut vp, &call), OK);
    assert_eq!((vp.rip, vp.gpr[RSP]), (0x1006, MMIO + 0x7f8));
    assert_eq!(vp.peek_u64(MMIO + 0x7f8, 8), 0x1005);

    let ret = asm(64, |a| a.ret_1(0x10));
    let mut vp = Vp::long();
    vp.gpr[RSP] = MMIO + 0x7f8;
    vp.poke(MMIO + 0x7f8, &0x2345u64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &ret), OK);
    assert_eq!((vp.rip, vp.gpr[RSP]), (0x2345, MMIO + 0x810));
}

#[test]
fn near_branches_check_the_target_as_the_cpu_does() {
    // 64-bit: a non-canonical target is #GP(0), nothing pushed.
    let code = asm(64, |a| a.call(x::qword_ptr(x::rbx)));
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RSP] = 0x9000;
    vp.poke(MMIO, &0x8000_0000_0000u64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    assert_eq!((vp.rip, vp.gpr[RSP]), (0x1000, 0x9000));
    assert!(vp.mem_log.iter().all(|r| !r.write));

    // 32-bit: beyond CS.limit is #GP(0).
    let code = asm(32, |a| a.jmp(x::dword_ptr(x::ebx)));
    let mut vp = Vp::prot32();
    vp.seg[1].Limit = 0x7fff;
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &0x8000u32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    let mut vp = Vp::prot32();
    vp.seg[1].Limit = 0x7fff;
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &0x7fffu32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!((pending(&vp), vp.rip), (None, 0x7fff));
}

#[test]
fn sixteen_bit_calls_push_two_bytes_and_wrap_sp() {
    let code = asm(16, |a| a.call(x::word_ptr(x::bx)));
    let mut vp = Vp::real();
    vp.seg[2] = real_seg(0x1000, false); // SS base 0x10000
    vp.gpr[RSP] = 0xdead_0000; // SP = 0: the push wraps to 0xfffe
    vp.gpr[RBX] = 0x3000;
    vp.poke(0x3000, &0x1234u16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!((vp.rip, vp.gpr[RSP]), (0x1234, 0xdead_fffe));
    assert_eq!(vp.peek_u64(0x1fffe, 2), 0x1002);
}

#[test]
fn enter_copies_frame_pointers_and_leave_undoes_it() {
    // enter 0x20, 3 with the old frame in MMIO.
    let code = asm(64, |a| a.enter(0x20u32, 3u32));
    let mut vp = Vp::long();
    vp.gpr[RSP] = 0x9000;
    vp.gpr[RBP] = MMIO + 0x100;
    vp.poke(MMIO + 0xf8, &0xaaaau64.to_le_bytes());
    vp.poke(MMIO + 0xf0, &0xbbbbu64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    let frame = 0x9000 - 8;
    assert_eq!(vp.gpr[RBP], frame);
    assert_eq!(vp.gpr[RSP], 0x9000 - 8 * 4 - 0x20);
    assert_eq!(vp.peek_u64(0x8ff8, 8), MMIO + 0x100, "old RBP");
    assert_eq!(vp.peek_u64(0x8ff0, 8), 0xaaaa);
    assert_eq!(vp.peek_u64(0x8fe8, 8), 0xbbbb);
    assert_eq!(vp.peek_u64(0x8fe0, 8), frame, "the new frame pointer");

    let code = asm(64, |a| a.leave());
    let mut vp = Vp::long();
    vp.gpr[RBP] = MMIO + 0x40;
    vp.gpr[RSP] = 0x1234;
    vp.poke(MMIO + 0x40, &0x7777u64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!((vp.gpr[RBP], vp.gpr[RSP]), (0x7777, MMIO + 0x48));
}

#[test]
fn far_transfers_in_real_mode() {
    // call far [bx] (m16:16): pushes CS then IP, loads CS:IP.
    let code = asm(16, |a| a.call(x::dword_ptr(x::bx)));
    let mut vp = Vp::real();
    vp.seg[1] = real_seg(0x0100, true);
    vp.rip = 0x10;
    vp.gpr[RSP] = 0x8000;
    vp.gpr[RBX] = 0x3000;
    vp.poke(0x3000, &[0x34, 0x12, 0x00, 0x20]); // 2000:1234
    vp.place_code(&code);
    assert_eq!(mmio_given(&mut vp, &code, code.len()), OK);
    assert_eq!(
        (vp.seg[1].Selector, vp.seg[1].Base, vp.rip),
        (0x2000, 0x20000, 0x1234)
    );
    assert_eq!(vp.gpr[RSP], 0x7ffc);
    assert_eq!(vp.peek_u64(0x7ffc, 4), (0x0100 << 16) | 0x12);

    // retf from an MMIO stack (SS base at MMIO).
    let code = asm(16, |a| a.retf());
    let mut vp = Vp::real();
    vp.seg[2].Base = MMIO;
    vp.gpr[RSP] = 0x10;
    vp.poke(MMIO + 0x10, &[0x78, 0x56, 0x00, 0x30]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(
        (vp.seg[1].Selector, vp.seg[1].Base, vp.rip, vp.gpr[RSP]),
        (0x3000, 0x30000, 0x5678, 0x14)
    );
}

#[test]
fn far_call_in_protected_mode_loads_cs_from_the_gdt() {
    let code = asm(32, |a| a.call(x::fword_ptr(x::ebx)));
    let mut vp = Vp::prot32();
    gdt(&mut vp);
    vp.gpr[RSP] = 0x9000;
    vp.gpr[RBX] = MMIO;
    vp.seg[1].Selector = 0x08;
    vp.poke(MMIO, &[0x00, 0x40, 0x00, 0x00, 0x38, 0x00]); // 0038:00004000
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), None);
    assert_eq!(
        (vp.seg[1].Selector, vp.seg[1].Base, vp.seg[1].Limit),
        (0x38, 0x10000, 0xffff)
    );
    assert_eq!(vp.seg[1].default_bit(), 0, "a 16-bit code segment");
    assert_eq!(vp.rip, 0x4000);
    assert_eq!(vp.peek_u64(0x8ffc, 4), 0x08, "old CS");
    assert_eq!(vp.peek_u64(0x8ff8, 4), 0x1000 + code.len() as u64);
    // The descriptor's accessed bit is set in the table.
    assert_eq!(vp.peek(GDT + 7 * 8 + 5, 1)[0] & 1, 1);

    // The faults: null, a data segment, not present, outside the GDT.
    for (sel, want) in [
        (0x00u16, (13, Some(0))),
        (0x10, (13, Some(0x10))),
        (0x20, (11, Some(0x20))),
        (0x48, (13, Some(0x48))),
        (0x0c, (13, Some(0x0c))), // TI=1: no LDT
    ] {
        let mut vp = Vp::prot32();
        gdt(&mut vp);
        vp.gpr[RSP] = 0x9000;
        vp.gpr[RBX] = MMIO;
        vp.poke(MMIO + 4, &sel.to_le_bytes());
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(pending(&vp), Some(want), "selector {sel:#x}");
        assert_eq!((vp.rip, vp.gpr[RSP]), (0x1000, 0x9000));
        assert_eq!(vp.peek_u64(0x8ff8, 8), 0, "nothing pushed");
    }
}

#[test]
fn iretq_to_user_mode_from_an_mmio_frame() {
    let code = asm(64, |a| a.iretq());
    let mut vp = Vp::long();
    gdt(&mut vp);
    vp.seg[1].Selector = 0x18;
    vp.gpr[RSP] = MMIO + 0x100;
    vp.rflags = 2;
    let frame = [0x5000u64, 0x33, 0x202 | 0x3000 | CF, 0x7ff0, 0x2b];
    for (i, v) in frame.iter().enumerate() {
        vp.poke(MMIO + 0x100 + 8 * i as u64, &v.to_le_bytes());
    }
    vp.seg[3].Selector = 0x10;
    vp.seg[3].set_descriptor_privilege_level(0);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), None);
    assert_eq!(vp.rip, 0x5000);
    assert_eq!(
        (vp.seg[1].Selector, vp.seg[1].descriptor_privilege_level()),
        (0x33, 3)
    );
    assert_eq!(
        (vp.seg[2].Selector, vp.seg[2].descriptor_privilege_level()),
        (0x2b, 3)
    );
    assert_eq!(vp.gpr[RSP], 0x7ff0);
    assert_eq!(vp.rflags, 0x202 | 0x3000 | CF, "IOPL loaded at CPL 0");
    assert_eq!(vp.seg[3].Selector, 0, "DS (DPL 0) nulled for CPL 3");
}

#[test]
fn iret_in_real_mode_pops_ip_cs_flags() {
    let code = asm(16, |a| a.iret());
    let mut vp = Vp::real();
    vp.gpr[RSP] = 0x100;
    vp.seg[2].Base = MMIO;
    vp.poke(MMIO + 0x100, &[0x00, 0x05, 0x00, 0x40, 0xd5, 0x08]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(
        (vp.rip, vp.seg[1].Selector, vp.seg[1].Base),
        (0x500, 0x4000, 0x40000)
    );
    assert_eq!(vp.rflags, 0x8d5 | 2);
    assert_eq!(vp.gpr[RSP], 0x106);
}

#[test]
fn segment_loads_check_the_descriptor() {
    // mov ds, [ebx] in 32-bit protected mode at CPL 0 and CPL 3.
    let code = asm(32, |a| a.mov(x::ds, x::word_ptr(x::ebx)));
    type Case = (u8, u16, Option<(u8, Option<u32>)>);
    let cases: [Case; 7] = [
        (0, 0x10, None),
        (0, 0x00, None),                   // null: loads an unusable DS
        (3, 0x10, Some((13, Some(0x10)))), // DPL 0 data at CPL 3
        (3, 0x2b, None),
        (0, 0x08, None),                   // readable code
        (0, 0x20, Some((13, Some(0x20)))), // execute-only code (type 0xa is readable: see below)
        (0, 0x50, Some((13, Some(0x50)))), // beyond the GDT
    ];
    for (cpl, sel, want) in cases {
        let mut vp = Vp::prot32();
        gdt(&mut vp);
        // Entry 4 execute-only (type 8), not present.
        vp.poke(
            GDT + 4 * 8,
            &desc(0, 0xffff_ffff, 0x8, 0, false, false, true).to_le_bytes(),
        );
        vp.cpl = cpl;
        vp.gpr[RBX] = MMIO;
        vp.poke(MMIO, &sel.to_le_bytes());
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(pending(&vp), want, "cpl {cpl} selector {sel:#x}");
        if want.is_none() {
            assert_eq!(vp.seg[3].Selector, sel);
            assert_eq!(vp.rip, 0x1000 + code.len() as u64);
        }
    }
    // Not present data: #NP(sel).
    let mut vp = Vp::prot32();
    gdt(&mut vp);
    vp.poke(
        GDT + 2 * 8,
        &desc(0, 0xffff_ffff, 0x2, 0, false, false, true).to_le_bytes(),
    );
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &0x10u16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((11, Some(0x10))));
}

#[test]
fn loading_ss_sets_the_interrupt_shadow() {
    // lss esp, [ebx] then pop ss, in 32-bit protected mode.
    let code = asm(32, |a| a.lss(x::esp, x::fword_ptr(x::ebx)));
    let mut vp = Vp::prot32();
    gdt(&mut vp);
    vp.gpr[RBX] = MMIO;
    vp.poke(MMIO, &[0x00, 0x70, 0x00, 0x00, 0x10, 0x00]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!((vp.gpr[RSP], vp.seg[2].Selector), (0x7000, 0x10));
    assert_eq!(vp.interrupt_state & 1, 1);

    // SS needs a writable data segment at RPL = DPL = CPL.
    for (sel, want) in [(0x08u16, 0x08u32), (0x40, 0x40), (0x2b, 0x28), (0x13, 0x10)] {
        let mut vp = Vp::prot32();
        gdt(&mut vp);
        vp.gpr[RBX] = MMIO;
        vp.poke(MMIO, &[0x00, 0x70, 0x00, 0x00]);
        vp.poke(MMIO + 4, &sel.to_le_bytes());
        assert_eq!(mmio(&mut vp, &code), OK);
        assert_eq!(pending(&vp), Some((13, Some(want))), "selector {sel:#x}");
        assert_eq!(vp.interrupt_state, 0);
    }
    // Null SS outside 64-bit mode: #GP(0).
    let code = asm(32, |a| a.pop(x::ss));
    let mut vp = Vp::prot32();
    gdt(&mut vp);
    vp.gpr[RSP] = MMIO + 0x10;
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
}

#[test]
fn push_and_pop_of_segment_registers() {
    let code = asm(64, |a| a.push(x::fs));
    let mut vp = Vp::long();
    vp.seg[4].Selector = 0x2b;
    vp.gpr[RSP] = MMIO + 0x100;
    vp.poke(MMIO + 0xf8, &[0xff; 8]);
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!(vp.peek_u64(MMIO + 0xf8, 8), 0x2b, "zero-extended");
    assert_eq!(vp.gpr[RSP], MMIO + 0xf8);

    let code = asm(64, |a| a.pop(x::gs));
    let mut vp = Vp::long();
    gdt(&mut vp);
    vp.gpr[RSP] = MMIO + 0xf8;
    vp.poke(MMIO + 0xf8, &0x2bu64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &code), OK);
    assert_eq!((vp.seg[5].Selector, vp.gpr[RSP]), (0x2b, MMIO + 0x100));
}
