//! String instructions (REP/REPE/REPNE, DF, address size, segment
//! override) and port I/O (IN/OUT, INS/OUTS).

mod common;
use common::*;
use winhv_defs::WHvTranslateGvaResultPageNotPresent;

#[test]
fn rep_movsb_forward_from_mmio_to_ram() {
    let mut vp = Vp::long();
    vp.poke(MMIO, b"hello");
    vp.gpr[RSI] = MMIO;
    vp.gpr[RDI] = 0x5000;
    vp.gpr[RCX] = 5;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xa4]), OK);
    assert_eq!(vp.peek(0x5000, 5), b"hello".to_vec());
    assert_eq!(
        (vp.gpr[RSI], vp.gpr[RDI], vp.gpr[RCX]),
        (MMIO + 5, 0x5005, 0)
    );
    assert_eq!(vp.rip, 0x1002);
    let pattern: Vec<bool> = vp.mem_log.iter().map(|r| r.write).collect();
    assert_eq!(
        pattern,
        [false, true].repeat(5),
        "read, write, exactly once each"
    );
}

#[test]
fn rep_movsd_backward_with_df() {
    let mut vp = Vp::long();
    vp.poke(MMIO, &[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
    vp.gpr[RSI] = MMIO + 8;
    vp.gpr[RDI] = 0x5008;
    vp.gpr[RCX] = 3;
    vp.rflags = 2 | DF;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xa5]), OK);
    assert_eq!(
        vp.peek(0x5000, 12),
        vec![1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]
    );
    assert_eq!(vp.gpr[RSI], MMIO - 4);
    assert_eq!(vp.gpr[RDI], 0x4ffc);
    let addrs: Vec<u64> = vp
        .mem_log
        .iter()
        .filter(|r| !r.write)
        .map(|r| r.addr)
        .collect();
    assert_eq!(addrs, vec![MMIO + 8, MMIO + 4, MMIO]);
}

#[test]
fn rep_stosw_with_32bit_address_size() {
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0xbeef;
    vp.gpr[RDI] = 0xffff_ffff_0000_0000 | MMIO;
    vp.gpr[RCX] = 0xffff_ffff_0000_0003;
    assert_eq!(mmio(&mut vp, &[0x67, 0xf3, 0x66, 0xab]), OK);
    assert_eq!(vp.peek(MMIO, 6), vec![0xef, 0xbe, 0xef, 0xbe, 0xef, 0xbe]);
    assert_eq!(vp.gpr[RCX], 0, "ECX written, zero-extended");
    assert_eq!(vp.gpr[RDI], MMIO + 6, "EDI written, zero-extended");
}

#[test]
fn rep_with_zero_count_does_nothing_but_advance() {
    let mut vp = Vp::long();
    vp.gpr[RDI] = MMIO;
    assert_eq!(mmio(&mut vp, &[0xf3, 0x48, 0xab]), OK);
    assert!(vp.mem_log.is_empty());
    assert_eq!(vp.rip, 0x1003);
}

#[test]
fn lodsb_and_scas_and_cmps() {
    let mut vp = Vp::long();
    vp.poke(MMIO, &[0x7e]);
    vp.gpr[RSI] = MMIO;
    vp.gpr[RAX] = 0x1111;
    assert_eq!(mmio(&mut vp, &[0xac]), OK);
    assert_eq!(vp.gpr[RAX], 0x117e);
    assert_eq!(vp.gpr[RSI], MMIO + 1);

    // repe cmpsb: equal for two bytes, different at the third
    let mut vp = Vp::long();
    vp.poke(MMIO, b"abXd");
    vp.poke(0x5000, b"abcd");
    vp.gpr[RSI] = MMIO;
    vp.gpr[RDI] = 0x5000;
    vp.gpr[RCX] = 4;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xa6]), OK);
    assert_eq!(vp.gpr[RCX], 1);
    assert_eq!(vp.gpr[RSI], MMIO + 3);
    // 'X' - 'c' = 0x58 - 0x63: borrow, negative
    assert_eq!(vp.rflags & (ZF | CF | SF), CF | SF);

    // repne scasb: search for 'c'
    let mut vp = Vp::long();
    vp.poke(MMIO, b"abcd");
    vp.gpr[RDI] = MMIO;
    vp.gpr[RCX] = 10;
    vp.gpr[RAX] = u64::from(b'c');
    assert_eq!(mmio(&mut vp, &[0xf2, 0xae]), OK);
    assert_eq!(vp.gpr[RCX], 7);
    assert_eq!(vp.gpr[RDI], MMIO + 3);
    assert_eq!(vp.rflags & ZF, ZF);
}

#[test]
fn real_mode_rep_movsw_uses_segments() {
    let mut vp = Vp::real();
    vp.seg[3] = real_seg(0x1000, false); // DS
    vp.seg[0] = real_seg(0x2000, false); // ES
    vp.poke(0x10000, &[1, 2, 3, 4]);
    vp.gpr[RSI] = 0;
    vp.gpr[RDI] = 0;
    vp.gpr[RCX] = 2;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xa5]), OK);
    assert_eq!(vp.peek(0x20000, 4), vec![1, 2, 3, 4]);
    assert_eq!((vp.gpr[RSI], vp.gpr[RDI], vp.gpr[RCX]), (4, 4, 0));
    assert_eq!(vp.rip, 0x1002);
}

#[test]
fn in_out_fast_path() {
    // in al, dx
    let mut vp = Vp::long();
    vp.gpr[RAX] = 0xffff_ffff_ffff_ffff;
    vp.io_in = vec![0x5a];
    assert_eq!(io(&mut vp, &[0xec], 0x3f8, 1, false, false, false), OK);
    assert_eq!(vp.gpr[RAX], 0xffff_ffff_ffff_ff5a);
    assert_eq!(
        vp.io_log,
        vec![Rec {
            addr: 0x3f8,
            size: 1,
            write: false,
            data: 0x5a
        }]
    );
    assert_eq!(vp.get_calls, 0, "no register fetch needed");
    assert_eq!(vp.rip, 0x1001);

    // in eax, 0x60 zero-extends
    let mut vp = Vp::long();
    vp.gpr[RAX] = !0;
    vp.io_in = vec![0x1234_5678];
    assert_eq!(io(&mut vp, &[0xe5, 0x60], 0x60, 4, false, false, false), OK);
    assert_eq!(vp.gpr[RAX], 0x1234_5678);

    // out dx, ax
    let mut vp = Vp::prot32();
    vp.gpr[RAX] = 0xabcd_1234;
    assert_eq!(io(&mut vp, &[0x66, 0xef], 0xcf8, 2, true, false, false), OK);
    assert_eq!(
        vp.io_log,
        vec![Rec {
            addr: 0xcf8,
            size: 2,
            write: true,
            data: 0x1234
        }]
    );
    assert_eq!(vp.rip, 0x1002);

    // out 0x80, al in real mode
    let mut vp = Vp::real();
    vp.gpr[RAX] = 0x42;
    assert_eq!(io(&mut vp, &[0xe6, 0x80], 0x80, 1, true, false, false), OK);
    assert_eq!(vp.io_log[0].addr, 0x80);
    assert_eq!(vp.io_log[0].data, 0x42);
}

#[test]
fn rep_outsb_with_fs_override_and_rep_insw() {
    let mut vp = Vp::long();
    vp.seg[4].Base = MMIO; // FS
    vp.poke(MMIO + 0x10, &[7, 8]);
    vp.gpr[RSI] = 0x10;
    vp.gpr[RCX] = 2;
    vp.gpr[RDX] = 0x2f8;
    assert_eq!(
        io(&mut vp, &[0x64, 0xf3, 0x6e], 0x2f8, 1, true, true, true),
        OK
    );
    let data: Vec<(u64, u64)> = vp.io_log.iter().map(|r| (r.addr, r.data)).collect();
    assert_eq!(data, vec![(0x2f8, 7), (0x2f8, 8)]);
    assert_eq!((vp.gpr[RSI], vp.gpr[RCX]), (0x12, 0));

    let mut vp = Vp::prot32();
    vp.gpr[RDI] = 0x6000;
    vp.gpr[RCX] = 3;
    vp.gpr[RDX] = 0x1f0;
    vp.io_in = vec![0x1111, 0x2222, 0x3333];
    assert_eq!(
        io(&mut vp, &[0xf3, 0x66, 0x6d], 0x1f0, 2, false, true, true),
        OK
    );
    assert_eq!(vp.peek(0x6000, 6), vec![0x11, 0x11, 0x22, 0x22, 0x33, 0x33]);
    assert_eq!((vp.gpr[RDI], vp.gpr[RCX]), (0x6006, 0));
}

#[test]
fn rep_is_cut_after_the_iteration_cap() {
    let mut vp = Vp::long();
    let extra = 5;
    vp.gpr[RDI] = 0x10_0000;
    vp.gpr[RCX] = winhv_emu::MAX_REP_ITERATIONS + extra;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xaa]), OK);
    assert_eq!(vp.gpr[RCX], extra);
    assert_eq!(vp.rip, 0x1000, "RIP stays on the instruction to resume it");
    assert_eq!(vp.gpr[RDI], 0x10_0000 + winhv_emu::MAX_REP_ITERATIONS);
}

#[test]
fn fault_in_the_middle_of_a_rep_keeps_the_done_iterations() {
    let mut vp = Vp::long();
    vp.bad_pages
        .insert(0x7000, WHvTranslateGvaResultPageNotPresent);
    vp.poke(MMIO, b"abcd");
    vp.gpr[RSI] = MMIO;
    vp.gpr[RDI] = 0x6ffe;
    vp.gpr[RCX] = 4;
    assert_eq!(mmio(&mut vp, &[0xf3, 0xa4]), OK);
    assert_eq!(vp.peek(0x6ffe, 2), b"ab".to_vec());
    assert_eq!(
        (vp.gpr[RSI], vp.gpr[RDI], vp.gpr[RCX]),
        (MMIO + 2, 0x7000, 2)
    );
    assert_eq!(vp.rip, 0x1000);
    assert_eq!(pending(&vp), Some((14, Some(2))), "#PF, write, not present");
    assert_eq!(vp.cr2, 0x7000);
    // The third byte was not read from the device: the retry reads it once.
    assert_eq!(vp.mem_log.iter().filter(|r| !r.write).count(), 2);
}

#[test]
fn simple_io_without_instruction_bytes_uses_the_exit_and_its_length() {
    use winhv_defs::*;
    for (write, size, rax, data_in, rax_after) in [
        (false, 1u32, !0u64, 0x12u32, 0xffff_ffff_ffff_ff12u64),
        (false, 2, !0, 0x1234, 0xffff_ffff_ffff_1234),
        (false, 4, !0, 0x1234_5678, 0x1234_5678),
        (true, 2, 0xaaaa_bbbb, 0, 0xaaaa_bbbb),
    ] {
        let mut vp = Vp::prot32();
        vp.gpr[RAX] = rax;
        vp.io_in = vec![data_in];
        let mut ctx = WHV_X64_IO_PORT_ACCESS_CONTEXT::default();
        ctx.AccessInfo.set_is_write(u32::from(write));
        ctx.AccessInfo.set_access_size(size);
        ctx.PortNumber = 0x71;
        ctx.Rax = rax;
        let mut vpc = vp.vp_context();
        vpc.set_instruction_length(2);
        let st = winhv_emu::Emulator::new()
            .try_io_emulation(&mut vp, &vpc, &ctx)
            .unwrap();
        assert_eq!(st.AsUINT32, OK);
        assert_eq!(vp.rip, 0x1002);
        assert_eq!(vp.gpr[RAX], rax_after);
        assert_eq!(
            (vp.get_calls, vp.translate_calls),
            (0, 0),
            "nothing fetched"
        );
        assert_eq!(vp.io_log.len(), 1);
        assert_eq!(vp.io_log[0].addr, 0x71);
        assert_eq!(u32::from(vp.io_log[0].size), size);
        if write {
            assert_eq!(vp.io_log[0].data, 0xbbbb);
        }
    }
}

#[test]
fn string_instruction_on_a_non_string_io_exit_loads_the_registers() {
    let mut vp = Vp::long();
    vp.gpr[RDX] = 0x3f8;
    vp.gpr[RSI] = 0x5000;
    vp.poke(0x5000, &[0x41]);
    // The exit claimed a plain OUT; the bytes are OUTSB.
    assert_eq!(io(&mut vp, &[0x6e], 0x3f8, 1, true, false, false), OK);
    assert_eq!(
        vp.io_log,
        vec![Rec {
            addr: 0x3f8,
            size: 1,
            write: true,
            data: 0x41
        }]
    );
    assert_eq!(vp.gpr[RSI], 0x5001);
}
