//! CPU modes and the faults of segmentation, canonical addresses,
//! alignment checking, paging and instruction fetch.

mod common;
use common::*;
use winhv_defs::*;

#[test]
fn real_mode_addressing_without_translation() {
    let mut vp = Vp::real();
    vp.seg[3] = real_seg(0x1000, false);
    vp.gpr[RBX] = 0x20;
    vp.gpr[RSI] = 0x3;
    vp.gpr[RAX] = 0x1234;
    assert_eq!(mmio(&mut vp, &[0x89, 0x00]), OK); // mov [bx+si], ax
    assert_eq!(vp.peek_u64(0x10023, 2), 0x1234);
    assert_eq!(vp.translate_calls, 0, "no paging in real mode");
    // 16-bit address wrap: [bx+si] with bx = 0xffff, si = 2 → offset 1
    let mut vp = Vp::real();
    vp.gpr[RBX] = 0xffff;
    vp.gpr[RSI] = 2;
    vp.gpr[RAX] = 0x77;
    assert_eq!(mmio(&mut vp, &[0x88, 0x00]), OK);
    assert_eq!(vp.peek(1, 1), vec![0x77]);
}

#[test]
fn real_mode_limit_fault_has_no_error_code() {
    let mut vp = Vp::real();
    assert_eq!(mmio(&mut vp, &[0x8b, 0x06, 0xff, 0xff]), OK); // mov ax, [0xffff]
    assert_eq!(pending(&vp), Some((13, None)));
    assert_eq!(vp.rip, 0x1000);
    assert!(vp.mem_log.is_empty());
}

#[test]
fn protected_16_limit_and_stack_faults() {
    let mut vp = Vp::prot16();
    vp.seg[3].Limit = 0x0fff;
    vp.gpr[RBX] = 0x0ffe;
    assert_eq!(mmio(&mut vp, &[0x89, 0x07]), OK); // mov [bx], ax: 0xffe..0xfff fits
    assert_eq!(pending(&vp), None);
    let mut vp = Vp::prot16();
    vp.seg[3].Limit = 0x0fff;
    vp.gpr[RBX] = 0x0fff;
    assert_eq!(mmio(&mut vp, &[0x89, 0x07]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    // mov [bp], ax is SS-relative: #SS(0)
    let mut vp = Vp::prot16();
    vp.seg[2].Limit = 0x00ff;
    vp.gpr[RBP] = 0x0100;
    assert_eq!(mmio(&mut vp, &[0x89, 0x46, 0x00]), OK);
    assert_eq!(pending(&vp), Some((12, Some(0))));
}

#[test]
fn protected_32_bases_types_and_expand_down() {
    let mut vp = Vp::prot32();
    vp.seg[3].Base = 0x100;
    vp.gpr[RBX] = MMIO - 0x100;
    vp.gpr[RAX] = 0xdead_beef;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(vp.peek_u64(MMIO, 4), 0xdead_beef);

    // read-only data segment: write faults
    let mut vp = Vp::prot32();
    vp.seg[3].set_segment_type(1);
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    // ... reading it is fine
    let mut vp = Vp::prot32();
    vp.seg[3].set_segment_type(1);
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x03]), OK);
    assert_eq!(pending(&vp), None);

    // expand-down, limit 0xfff, big: valid offsets 0x1000..=0xffffffff
    for (off, ok) in [
        (0x800u64, false),
        (0xffe, false),
        (0x1000, true),
        (0xffff_fffc, true),
        (0xffff_fffd, false),
    ] {
        let mut vp = Vp::prot32();
        vp.seg[3].set_segment_type(7);
        vp.seg[3].Limit = 0xfff;
        vp.seg[3].Base = 0;
        vp.gpr[RBX] = off;
        let st = mmio(&mut vp, &[0x8b, 0x03]);
        // in-limit offsets past guest memory fail in the memory callback
        if ok {
            assert_ne!(pending(&vp), Some((13, Some(0))), "off {off:#x}");
            assert!(st == OK || st == MEM_FAILED, "off {off:#x}: {st:#x}");
        } else {
            assert_eq!(st, OK);
            assert_eq!(pending(&vp), Some((13, Some(0))), "off {off:#x}");
        }
    }

    // unusable (not present) DS
    let mut vp = Vp::prot32();
    vp.seg[3].set_present(0);
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x03]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
}

#[test]
fn long_mode_canonical_checks_and_fs_base() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = 0x0000_8000_0000_0000;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x03]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    // the last byte non-canonical
    let mut vp = Vp::long();
    vp.gpr[RBX] = 0x0000_7fff_ffff_fffe;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x03]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    // rbp-based: #SS
    let mut vp = Vp::long();
    vp.gpr[RBP] = 0x1234_0000_0000_0000;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x45, 0x00]), OK);
    assert_eq!(pending(&vp), Some((12, Some(0))));
    // DS base ignored, FS base used
    let mut vp = Vp::long();
    vp.seg[3].Base = 0x5000;
    vp.seg[4].Base = MMIO;
    vp.gpr[RBX] = 0x10;
    vp.gpr[RAX] = 0x66;
    assert_eq!(mmio(&mut vp, &[0x64, 0x88, 0x03]), OK); // mov fs:[rbx], al
    assert_eq!(vp.peek(MMIO + 0x10, 1), vec![0x66]);
    assert_eq!(mmio(&mut vp, &[0x88, 0x03]), OK); // mov [rbx], al
    assert_eq!(vp.peek(0x10, 1), vec![0x66], "DS base ignored");
}

#[test]
fn compatibility_mode_is_32_bit() {
    let mut vp = Vp::compat();
    vp.gpr[RBX] = 0xffff_ffff_0000_0000 | MMIO;
    vp.gpr[RAX] = 0x1_2345_6789;
    // 89 03 in 32-bit code: mov [ebx], eax (in 64-bit code it would use rbx)
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(vp.peek_u64(MMIO, 8), 0x2345_6789);
    // 0x48 is DEC EAX in 32-bit code, not REX.W: not emulated
    let mut vp = Vp::compat();
    assert_eq!(mmio(&mut vp, &[0x48, 0x89, 0x03]), INTERNAL);
}

#[test]
fn virtual_8086_mode_uses_real_mode_segments_with_paging() {
    let mut vp = Vp::prot32();
    vp.rflags = 2 | (1 << 17);
    vp.cpl = 3;
    vp.seg = [real_seg(0, false); 6];
    vp.seg[1] = real_seg(0, true);
    vp.seg[3] = real_seg(0x2000, false);
    vp.gpr[RBX] = 0x10;
    vp.gpr[RAX] = 0x99;
    assert_eq!(mmio(&mut vp, &[0x88, 0x07]), OK); // mov [bx], al
    assert_eq!(vp.peek(0x20010, 1), vec![0x99]);
    assert!(vp.translate_calls > 0, "paging applies in v8086 mode");
}

#[test]
fn alignment_check_at_cpl3() {
    let mut vp = Vp::long();
    vp.cpl = 3;
    vp.cr0 |= 1 << 18;
    vp.rflags = 2 | (1 << 18);
    vp.gpr[RBX] = MMIO + 2;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x03]), OK);
    assert_eq!(pending(&vp), Some((17, Some(0))));
    // aligned: fine
    let mut vp = Vp::long();
    vp.cpl = 3;
    vp.cr0 |= 1 << 18;
    vp.rflags = 2 | (1 << 18);
    vp.gpr[RBX] = MMIO + 4;
    assert_eq!(mmio(&mut vp, &[0x8b, 0x03]), OK);
    assert_eq!(pending(&vp), None);
}

#[test]
fn page_faults_carry_the_cpu_error_code() {
    for (code, cpl, write, expect) in [
        (WHvTranslateGvaResultPageNotPresent, 0u8, false, 0u32),
        (WHvTranslateGvaResultPageNotPresent, 3, true, 2 | 4),
        (WHvTranslateGvaResultPrivilegeViolation, 3, true, 1 | 2 | 4),
        (WHvTranslateGvaResultInvalidPageTableFlags, 0, false, 1 | 8),
    ] {
        let mut vp = Vp::long();
        vp.cpl = cpl;
        vp.bad_pages.insert(0x40_0000, code);
        vp.gpr[RBX] = 0x40_0010;
        let insn: &[u8] = if write { &[0x89, 0x03] } else { &[0x8b, 0x03] };
        assert_eq!(mmio(&mut vp, insn), OK);
        assert_eq!(pending(&vp), Some((14, Some(expect))), "{code:?}");
        assert_eq!(vp.cr2, 0x40_0010);
        assert_eq!(vp.rip, 0x1000);
        assert!(vp.mem_log.is_empty(), "nothing accessed");
    }
}

#[test]
fn split_write_faulting_on_second_page_touches_nothing() {
    let mut vp = Vp::long();
    vp.bad_pages
        .insert(0x7000, WHvTranslateGvaResultPageNotPresent);
    vp.gpr[RBX] = 0x6ffe;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(pending(&vp), Some((14, Some(2))));
    assert_eq!(vp.cr2, 0x7000, "CR2 is the first faulting byte");
    assert!(vp.mem_log.is_empty());
}

#[test]
fn instruction_bytes_are_fetched_when_the_exit_has_too_few() {
    let code = [0x48, 0xc7, 0x03, 0x78, 0x56, 0x34, 0x12]; // mov qword [rbx], 0x12345678
    // none given
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.place_code(&code);
    assert_eq!(mmio_given(&mut vp, &code, 0), OK);
    assert_eq!(vp.peek_u64(MMIO, 8), 0x1234_5678);
    assert_eq!(vp.rip, 0x1007);

    // crossing a page: the second page maps elsewhere
    let mut vp = Vp::long();
    let mut pages = std::collections::HashMap::new();
    pages.insert(0x1000, 0x1000);
    pages.insert(0x2000, 0x9000);
    pages.insert(MMIO, MMIO);
    vp.pages = Some(pages);
    vp.rip = 0x1ffd;
    vp.poke(0x1ffd, &code[..3]);
    vp.poke(0x9000, &code[3..]);
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio_given(&mut vp, &code, 3), OK);
    assert_eq!(vp.peek_u64(MMIO, 8), 0x1234_5678);
    assert_eq!(vp.rip, 0x2004);

    // the second page not present: #PF for the fetch (I/D with NXE)
    let mut vp = Vp::long();
    vp.efer |= 1 << 11;
    vp.bad_pages
        .insert(0x2000, WHvTranslateGvaResultPageNotPresent);
    vp.rip = 0x1ffd;
    vp.poke(0x1ffd, &code[..3]);
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio_given(&mut vp, &code, 3), OK);
    assert_eq!(pending(&vp), Some((14, Some(0x10))));
    assert_eq!(vp.cr2, 0x2000);
    assert_eq!(vp.rip, 0x1ffd);
    assert!(vp.mem_log.iter().all(|r| !r.write), "no data access");
}

#[test]
fn sixteen_bit_ip_wraps() {
    let mut vp = Vp::real();
    vp.rip = 0xfffe;
    vp.gpr[RBX] = 0x100;
    vp.seg[1] = real_seg(0x1000, true);
    // 88 07 at CS:0xfffe: mov [bx], al; next IP wraps to 0
    assert_eq!(mmio(&mut vp, &[0x88, 0x07]), OK);
    assert_eq!(vp.rip, 0);
}

#[test]
fn single_step_traps_after_the_instruction_and_each_rep_iteration() {
    let tf = 1 << 8;
    let mut vp = Vp::long();
    vp.rflags = 2 | tf;
    vp.gpr[RBX] = MMIO;
    vp.gpr[RAX] = 7;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(vp.peek_u64(MMIO, 4), 7);
    assert_eq!(vp.rip, 0x1002);
    assert_eq!(pending(&vp), Some((1, None)));
    assert_eq!(vp.dr6, 0xffff_4ff0, "DR6.BS set");

    let mut vp = Vp::long();
    vp.rflags = 2 | tf;
    vp.gpr[RSI] = MMIO;
    vp.gpr[RDI] = 0x5000;
    vp.gpr[RCX] = 3;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xa4]), OK);
    assert_eq!(
        (vp.gpr[RCX], vp.rip),
        (2, 0x1000),
        "one iteration, then the trap"
    );
    assert_eq!(pending(&vp), Some((1, None)));

    // no trap without TF
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(pending(&vp), None);
    assert_eq!(vp.dr6, 0xffff_0ff0);
}
