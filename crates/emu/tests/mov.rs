//! MOV forms with a memory operand, in 64-bit mode, against an MMIO window.
#![allow(
    clippy::field_reassign_with_default,
    reason = "exit contexts are built field by field"
)]

mod common;
use common::*;

struct Case {
    name: &'static str,
    code: &'static [u8],
    /// RAX before.
    rax: u64,
    /// MMIO bytes at +0x100 before (8 bytes, little-endian).
    init: u64,
    /// (offset in MMIO, size, value) after.
    mem: Option<(u64, usize, u64)>,
    /// RAX after.
    rax_after: Option<u64>,
}

const A: u64 = 0x1122_3344_5566_7788;

fn cases() -> Vec<Case> {
    let c = |name, code, rax, init, mem, rax_after| Case {
        name,
        code,
        rax,
        init,
        mem,
        rax_after,
    };
    vec![
        c(
            "mov [rbx],eax",
            &[0x89, 0x03],
            A,
            0,
            Some((0x100, 8, 0x5566_7788)),
            Some(A),
        ),
        c(
            "mov [rbx],rax",
            &[0x48, 0x89, 0x03],
            A,
            0,
            Some((0x100, 8, A)),
            None,
        ),
        c(
            "mov [rbx],ax",
            &[0x66, 0x89, 0x03],
            A,
            !0,
            Some((0x100, 8, 0xffff_ffff_ffff_7788)),
            None,
        ),
        c(
            "mov [rbx],ah",
            &[0x88, 0x23],
            A,
            0,
            Some((0x100, 8, 0x77)),
            None,
        ),
        c(
            "mov eax,[rbx]",
            &[0x8b, 0x03],
            !0,
            0xaaaa_bbbb_dead_beef,
            None,
            Some(0xdead_beef),
        ),
        c(
            "mov ax,[rbx]",
            &[0x66, 0x8b, 0x03],
            !0,
            0x1234,
            None,
            Some(0xffff_ffff_ffff_1234),
        ),
        c(
            "mov ah,[rbx]",
            &[0x8a, 0x23],
            A,
            0x99,
            None,
            Some(0x1122_3344_5566_9988),
        ),
        c("mov rax,[rbx]", &[0x48, 0x8b, 0x03], 0, A, None, Some(A)),
        c(
            "mov byte [rbx],imm",
            &[0xc6, 0x03, 0x5a],
            0,
            !0,
            Some((0x100, 2, 0xff5a)),
            None,
        ),
        c(
            "mov qword [rbx],-1",
            &[0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff],
            0,
            0,
            Some((0x100, 8, !0)),
            None,
        ),
        c(
            "mov word [rbx],imm16",
            &[0x66, 0xc7, 0x03, 0x34, 0x12],
            0,
            0,
            Some((0x100, 8, 0x1234)),
            None,
        ),
        c(
            "mov rax,moffs64",
            &[0x48, 0xa1, 0x00, 0x01, 0x00, 0x10, 0, 0, 0, 0],
            0,
            A,
            None,
            Some(A),
        ),
        c(
            "mov moffs64,al",
            &[0xa2, 0x08, 0x01, 0x00, 0x10, 0, 0, 0, 0],
            0x42,
            0,
            Some((0x108, 1, 0x42)),
            None,
        ),
        c(
            "movzx eax,byte",
            &[0x0f, 0xb6, 0x03],
            !0,
            0x80,
            None,
            Some(0x80),
        ),
        c(
            "movzx eax,word",
            &[0x0f, 0xb7, 0x03],
            !0,
            0x8001,
            None,
            Some(0x8001),
        ),
        c(
            "movsx rax,byte",
            &[0x48, 0x0f, 0xbe, 0x03],
            0,
            0x80,
            None,
            Some(0xffff_ffff_ffff_ff80),
        ),
        c(
            "movsx eax,word",
            &[0x0f, 0xbf, 0x03],
            0,
            0x8000,
            None,
            Some(0xffff_8000),
        ),
        c(
            "movsx ax,byte",
            &[0x66, 0x0f, 0xbe, 0x03],
            A,
            0xfe,
            None,
            Some(0x1122_3344_5566_fffe),
        ),
        c(
            "movsxd rax,dword",
            &[0x48, 0x63, 0x03],
            0,
            0x8000_0000,
            None,
            Some(0xffff_ffff_8000_0000),
        ),
        c(
            "movbe eax,[rbx]",
            &[0x0f, 0x38, 0xf0, 0x03],
            0,
            0x1122_3344,
            None,
            Some(0x4433_2211),
        ),
        c(
            "movbe [rbx],rax",
            &[0x48, 0x0f, 0x38, 0xf1, 0x03],
            A,
            0,
            Some((0x100, 8, 0x8877_6655_4433_2211)),
            None,
        ),
        c(
            "movbe [rbx],ax",
            &[0x66, 0x0f, 0x38, 0xf1, 0x03],
            A,
            0,
            Some((0x100, 8, 0x8877)),
            None,
        ),
        c(
            "movnti [rbx],eax",
            &[0x0f, 0xc3, 0x03],
            A,
            !0,
            Some((0x100, 8, 0xffff_ffff_5566_7788)),
            None,
        ),
        c(
            "mov [rbx],ds",
            &[0x8c, 0x1b],
            0,
            !0,
            Some((0x100, 8, 0xffff_ffff_ffff_0010)),
            None,
        ),
        c(
            "mov [rbx+rcx*4+0x10],eax",
            &[0x89, 0x44, 0x8b, 0x10],
            7,
            0,
            Some((0x100 + 0x10 + 4 * 3, 4, 7)),
            None,
        ),
        c(
            "mov [rip+disp],eax",
            &[0x89, 0x05, 0xfa, 0xf1, 0xff, 0x0f],
            9,
            0,
            Some((0x200, 4, 9)),
            None,
        ),
        c(
            "mov [ebx],eax (a32)",
            &[0x67, 0x89, 0x03],
            5,
            0,
            Some((0x100, 4, 5)),
            None,
        ),
    ]
}

#[test]
fn mov_forms_64() {
    for case in cases() {
        let mut vp = Vp::long();
        vp.gpr[RAX] = case.rax;
        vp.gpr[RBX] = MMIO + 0x100;
        vp.gpr[RCX] = 3;
        if case.name.contains("(a32)") {
            vp.gpr[RBX] |= 0xffff_ffff_0000_0000;
        }
        vp.rflags = 0x2 | CF | ZF;
        vp.poke(MMIO + 0x100, &case.init.to_le_bytes());
        let st = mmio(&mut vp, case.code);
        assert_eq!(st, OK, "{}: status", case.name);
        assert_eq!(
            vp.rip,
            0x1000 + case.code.len() as u64,
            "{}: rip",
            case.name
        );
        assert_eq!(vp.rflags, 0x2 | CF | ZF, "{}: flags untouched", case.name);
        if let Some((off, size, v)) = case.mem {
            assert_eq!(vp.peek_u64(MMIO + off, size), v, "{}: memory", case.name);
        }
        if let Some(r) = case.rax_after {
            assert_eq!(vp.gpr[RAX], r, "{}: rax", case.name);
        }
        assert_eq!(vp.set_calls, 1, "{}: one set call", case.name);
        assert_eq!(vp.pending, 0, "{}: no fault", case.name);
    }
}

#[test]
fn each_access_is_made_once_with_its_size() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x100;
    vp.gpr[RAX] = A;
    assert_eq!(mmio(&mut vp, &[0x48, 0x89, 0x03]), OK);
    // Code came from the context: the only memory access is the store.
    assert_eq!(
        vp.mem_log,
        vec![Rec {
            addr: MMIO + 0x100,
            size: 8,
            write: true,
            data: A
        }]
    );
}

#[test]
fn page_crossing_access_is_split_at_the_boundary() {
    let mut vp = Vp::long();
    let mut pages = std::collections::HashMap::new();
    pages.insert(0x1000, 0x1000); // code
    pages.insert(0x7000_0000, MMIO + 0x1000);
    pages.insert(0x7000_1000, MMIO); // second page maps lower
    vp.pages = Some(pages);
    vp.gpr[RBX] = 0x7000_0ffe;
    vp.gpr[RAX] = 0xaabb_ccdd;
    assert_eq!(mmio(&mut vp, &[0x89, 0x03]), OK);
    assert_eq!(vp.peek(MMIO + 0x1ffe, 2), vec![0xdd, 0xcc]);
    assert_eq!(vp.peek(MMIO, 2), vec![0xbb, 0xaa]);
    let sizes: Vec<(u64, u8)> = vp.mem_log.iter().map(|r| (r.addr, r.size)).collect();
    assert_eq!(sizes, vec![(MMIO + 0x1ffe, 2), (MMIO, 2)]);
}

#[test]
fn split_is_one_access_per_page_as_windows_documents() {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0xffd; // 8 bytes: 3 in the first page, 5 in the next
    vp.gpr[RAX] = 0x0807_0605_0403_0201;
    assert_eq!(mmio(&mut vp, &[0x48, 0x89, 0x03]), OK);
    let sizes: Vec<u8> = vp.mem_log.iter().map(|r| r.size).collect();
    assert_eq!(sizes, vec![3, 5]);
    assert_eq!(vp.peek_u64(MMIO + 0xffd, 8), 0x0807_0605_0403_0201);
}

#[test]
fn the_exits_own_translation_is_used_for_its_page() {
    use winhv_defs::*;
    let mut vp = Vp::long();
    let mut pages = std::collections::HashMap::new();
    pages.insert(0x1000, 0x1000);
    vp.pages = Some(pages); // the data page is not in the table...
    vp.gpr[RBX] = 0x7777_0010;
    vp.gpr[RAX] = 0x55;
    let code = [0x88, 0x03]; // mov [rbx], al
    vp.place_code(&code);
    let mut ctx = WHV_MEMORY_ACCESS_CONTEXT::default();
    ctx.InstructionByteCount = 2;
    ctx.InstructionBytes[..2].copy_from_slice(&code);
    ctx.AccessInfo.set_gva_valid(1);
    ctx.AccessInfo.set_gpa_unmapped(1);
    ctx.AccessInfo
        .set_access_type(WHvMemoryAccessWrite.0 as u32);
    ctx.Gva = 0x7777_0010;
    ctx.Gpa = MMIO + 0x10; // ...but the exit says where it went
    let vpc = vp.vp_context();
    let st = winhv_emu::Emulator::new()
        .try_mmio_emulation(&mut vp, &vpc, &ctx)
        .unwrap();
    assert_eq!(st.AsUINT32, OK);
    assert_eq!(vp.peek(MMIO + 0x10, 1), vec![0x55]);
    assert_eq!(vp.translate_calls, 0);
}

#[test]
fn cmov_reads_memory_either_way() {
    for (flags, taken) in [(ZF, true), (0, false)] {
        let mut vp = Vp::long();
        vp.gpr[RBX] = MMIO;
        vp.gpr[RAX] = 0xffff_ffff_1111_1111;
        vp.rflags = 2 | flags;
        vp.poke(MMIO, &0x2222_2222u32.to_le_bytes());
        assert_eq!(mmio(&mut vp, &[0x0f, 0x44, 0x03]), OK); // cmove eax, [rbx]
        assert_eq!(vp.mem_log.len(), 1, "one read");
        let want = if taken { 0x2222_2222 } else { 0x1111_1111 };
        assert_eq!(vp.gpr[RAX], want, "zero-extended either way");
    }
}

#[test]
fn a_read_exit_does_not_vouch_for_a_write() {
    use winhv_defs::*;
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO + 0x10;
    vp.gpr[RAX] = 0x55;
    let code = [0x00, 0x03]; // add [rbx], al: read-modify-write
    vp.place_code(&code);
    let mut ctx = WHV_MEMORY_ACCESS_CONTEXT::default();
    ctx.InstructionByteCount = 2;
    ctx.InstructionBytes[..2].copy_from_slice(&code);
    ctx.AccessInfo.set_gva_valid(1);
    ctx.AccessInfo.set_access_type(WHvMemoryAccessRead.0 as u32);
    ctx.Gva = MMIO + 0x10;
    ctx.Gpa = MMIO + 0x10;
    let vpc = vp.vp_context();
    let st = winhv_emu::Emulator::new()
        .try_mmio_emulation(&mut vp, &vpc, &ctx)
        .unwrap();
    assert_eq!(st.AsUINT32, OK);
    assert_eq!(vp.translate_calls, 1, "the write needs its own walk");
}
