//! XCHG, CMPXCHG, CMPXCHG8B/16B, XADD, PUSH/POP with memory, and the
//! SSE/AVX moves.

mod common;
use common::*;

#[test]
fn xchg_and_xadd() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RCX] = 0x1111_2222_3333_4444;
    vp.poke(MMIO, &0xaaaa_bbbb_cccc_ddddu64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0x87, 0x0b]), OK); // xchg [rbx], ecx
    assert_eq!(vp.peek_u64(MMIO, 8), 0xaaaa_bbbb_3333_4444);
    assert_eq!(vp.gpr[RCX], 0xcccc_dddd);

    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RCX] = 0x7f;
    vp.poke(MMIO, &[0x01]);
    assert_eq!(mmio(&mut vp, &[0x0f, 0xc0, 0x0b]), OK); // xadd [rbx], cl
    assert_eq!(vp.peek(MMIO, 1), vec![0x80]);
    assert_eq!(vp.gpr[RCX], 0x01);
    assert_eq!(vp.rflags & (OF | SF | ZF | CF | AF), OF | SF | AF);
}

#[test]
fn cmpxchg_both_outcomes() {
    for equal in [true, false] {
        let mut vp = Vp::long();
        vp.gpr[RBX] = MMIO;
        vp.gpr[RAX] = if equal { 0x55 } else { 0x54 } | 0xffff_ffff_0000_0000;
        vp.gpr[RCX] = 0x99;
        vp.poke(MMIO, &0x55u32.to_le_bytes());
        assert_eq!(mmio(&mut vp, &[0x0f, 0xb1, 0x0b]), OK); // cmpxchg [rbx], ecx
        if equal {
            assert_eq!(vp.peek_u64(MMIO, 4), 0x99);
            assert_eq!(vp.rflags & ZF, ZF);
            assert_eq!(vp.gpr[RAX], 0xffff_ffff_0000_0055, "rax untouched");
        } else {
            assert_eq!(vp.peek_u64(MMIO, 4), 0x55);
            assert!(
                vp.mem_log.iter().any(|r| r.write),
                "the operand is written back unchanged, as the CPU does"
            );
            assert_eq!(vp.rflags & (ZF | CF), CF, "0x54 - 0x55 borrows");
            assert_eq!(vp.gpr[RAX], 0x55, "eax loaded, zero-extended");
        }
    }
}

#[test]
fn cmpxchg8b_and_16b() {
    // cmpxchg8b [rbx], equal
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 8;
    vp.poke(MMIO + 8, &0x1111_1111_2222_2222u64.to_le_bytes());
    vp.gpr[RAX] = 0x2222_2222;
    vp.gpr[RDX] = 0x1111_1111;
    vp.gpr[RCX] = 0xcccc_cccc;
    vp.gpr[RBX] = MMIO + 8;
    assert_eq!(mmio(&mut vp, &[0x0f, 0xc7, 0x0b]), OK);
    assert_eq!(
        vp.peek_u64(MMIO + 8, 8),
        0xcccc_cccc_0000_0000 | ((MMIO + 8) & 0xffff_ffff)
    );
    assert_eq!(vp.rflags & ZF, ZF);

    // cmpxchg16b [rdi], not equal: RDX:RAX loaded
    let mut vp = Vp::long();
    vp.gpr[RDI] = MMIO + 0x10;
    vp.poke(MMIO + 0x10, &0x0123_4567_89ab_cdefu64.to_le_bytes());
    vp.poke(MMIO + 0x18, &0xfedc_ba98_7654_3210u64.to_le_bytes());
    vp.rflags = 2 | ZF;
    assert_eq!(mmio(&mut vp, &[0x48, 0x0f, 0xc7, 0x0f]), OK);
    assert_eq!(vp.gpr[RAX], 0x0123_4567_89ab_cdef);
    assert_eq!(vp.gpr[RDX], 0xfedc_ba98_7654_3210);
    assert_eq!(vp.rflags & ZF, 0);
    // Unequal: the operand is written back unchanged, as the CPU does.
    assert_eq!(vp.peek_u64(MMIO + 0x10, 8), 0x0123_4567_89ab_cdef);
    assert_eq!(vp.peek_u64(MMIO + 0x18, 8), 0xfedc_ba98_7654_3210);
    assert!(
        vp.mem_log.iter().any(|r| r.write),
        "written back when unequal"
    );

    // cmpxchg16b misaligned: #GP(0), nothing touched, RIP kept
    let mut vp = Vp::long();
    vp.gpr[RDI] = MMIO + 0x8;
    assert_eq!(mmio(&mut vp, &[0x48, 0x0f, 0xc7, 0x0f]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    assert_eq!(vp.rip, 0x1000);
    assert!(vp.mem_log.is_empty());
}

#[test]
fn push_and_pop_memory() {
    // push qword [rbx]
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RSP] = 0x8000;
    vp.poke(MMIO, &0x1234_5678_9abc_def0u64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0xff, 0x33]), OK);
    assert_eq!(vp.gpr[RSP], 0x7ff8);
    assert_eq!(vp.peek_u64(0x7ff8, 8), 0x1234_5678_9abc_def0);

    // pop qword [rsp+8]: the address uses RSP after the pop
    let mut vp = Vp::long();
    vp.gpr[RSP] = 0x8000;
    vp.poke(0x8000, &0xfeedu64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0x8f, 0x44, 0x24, 0x08]), OK);
    assert_eq!(vp.gpr[RSP], 0x8008);
    assert_eq!(vp.peek_u64(0x8010, 8), 0xfeed);

    // 32-bit protected mode: push dword [ebx] with a 32-bit stack
    let mut vp = Vp::prot32();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RSP] = 0x9000;
    vp.poke(MMIO, &0xcafe_babeu32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0xff, 0x33]), OK);
    assert_eq!(vp.gpr[RSP], 0x8ffc);
    assert_eq!(vp.peek_u64(0x8ffc, 4), 0xcafe_babe);

    // 16-bit stack: push word [bx] wraps SP within 64 KiB
    let mut vp = Vp::real();
    vp.seg[2] = real_seg(0x1000, false);
    vp.gpr[RBX] = 0x10;
    vp.gpr[RSP] = 0xdead_0000;
    vp.poke(0x10, &0xbeefu16.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0xff, 0x37]), OK);
    assert_eq!(vp.gpr[RSP], 0xdead_fffe);
    assert_eq!(vp.peek_u64(0x1_fffe, 2), 0xbeef);
}

#[test]
fn sse_moves() {
    let x: u128 = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeff;
    // movdqa [rbx], xmm1 (66 0F 7F /r)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x40;
    vp.xmm[1] = x;
    assert_eq!(mmio(&mut vp, &[0x66, 0x0f, 0x7f, 0x0b]), OK);
    assert_eq!(vp.peek(MMIO + 0x40, 16), x.to_le_bytes().to_vec());
    // movdqu xmm2, [rbx] (F3 0F 6F /r)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x41;
    vp.poke(MMIO + 0x41, &x.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0xf3, 0x0f, 0x6f, 0x13]), OK);
    assert_eq!(vp.xmm[2], x);
    // movaps misaligned: #GP(0)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x48;
    assert_eq!(mmio(&mut vp, &[0x0f, 0x28, 0x03]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    assert_eq!(vp.rip, 0x1000);
    // movups [rbx], xmm0 (0F 11)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x3;
    vp.xmm[0] = x;
    assert_eq!(mmio(&mut vp, &[0x0f, 0x11, 0x03]), OK);
    assert_eq!(vp.peek(MMIO + 3, 16), x.to_le_bytes().to_vec());
    // movd xmm3, [rbx] zero-extends (66 0F 6E /r)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[3] = !0;
    vp.poke(MMIO, &0x8765_4321u32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0x66, 0x0f, 0x6e, 0x1b]), OK);
    assert_eq!(vp.xmm[3], 0x8765_4321);
    // movq [rbx], xmm4 (66 0F D6 /r)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[4] = x;
    assert_eq!(mmio(&mut vp, &[0x66, 0x0f, 0xd6, 0x23]), OK);
    assert_eq!(vp.peek_u64(MMIO, 8), x as u64);
    assert_eq!(vp.peek_u64(MMIO + 8, 8), 0, "only 8 bytes");
    // movq xmm5, [rbx] (F3 0F 7E /r)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[5] = !0;
    vp.poke(MMIO, &0x1122u64.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0xf3, 0x0f, 0x7e, 0x2b]), OK);
    assert_eq!(vp.xmm[5], 0x1122);
    // vmovdqu [rbx], xmm6 (VEX.128.F3.0F 7F /r: C5 FA 7F 33)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[6] = x;
    assert_eq!(mmio(&mut vp, &[0xc5, 0xfa, 0x7f, 0x33]), OK);
    assert_eq!(vp.peek(MMIO, 16), x.to_le_bytes().to_vec());
    // vmovdqu xmm6, [rbx] would have to zero YMM6[255:128]: refused.
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    assert_eq!(mmio(&mut vp, &[0xc5, 0xfa, 0x6f, 0x33]), INTERNAL);
    assert_eq!(vp.set_calls, 0);
}

#[test]
fn scalar_and_non_temporal_sse_moves() {
    let x: u128 = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100;
    // movss xmm1, [rbx] (F3 0F 10): zero-extends
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[1] = !0;
    vp.poke(MMIO, &0x3f80_0000u32.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0xf3, 0x0f, 0x10, 0x0b]), OK);
    assert_eq!(vp.xmm[1], 0x3f80_0000);
    // movsd [rbx], xmm2 (F2 0F 11): low 8 bytes
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.xmm[2] = x;
    assert_eq!(mmio(&mut vp, &[0xf2, 0x0f, 0x11, 0x13]), OK);
    assert_eq!(vp.peek_u64(MMIO, 8), x as u64);
    assert_eq!(vp.peek_u64(MMIO + 8, 8), 0);
    // movntdq [rbx], xmm3 (66 0F E7): aligned store; misaligned faults
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x10;
    vp.xmm[3] = x;
    assert_eq!(mmio(&mut vp, &[0x66, 0x0f, 0xe7, 0x1b]), OK);
    assert_eq!(vp.peek(MMIO + 0x10, 16), x.to_le_bytes().to_vec());
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x18;
    assert_eq!(mmio(&mut vp, &[0x66, 0x0f, 0xe7, 0x1b]), OK);
    assert_eq!(pending(&vp), Some((13, Some(0))));
    // movntdqa xmm4, [rbx] (66 0F 38 2A)
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x20;
    vp.poke(MMIO + 0x20, &x.to_le_bytes());
    assert_eq!(mmio(&mut vp, &[0x66, 0x0f, 0x38, 0x2a, 0x23]), OK);
    assert_eq!(vp.xmm[4], x);
}
