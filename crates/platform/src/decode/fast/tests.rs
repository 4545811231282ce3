//! The fast match against the general path: for every plain form, in
//! 16-, 32- and 64-bit code, with registers that change between the exit
//! that cached the instruction and the one matched, a hit gives exactly
//! what `undo_retired` finds without a cache (length, REP, written
//! operand, registers), and the plain forms do hit.

use iced_x86::{Mnemonic, OpKind};
use kvm_bindings::{kvm_regs, kvm_sregs};

use crate::decode::testing::{long_mode, protected32, real_mode, window};
use crate::decode::{
    Access, RetiredCache, bitness, decode, memory_address, register_value, undo_retired,
    written_address,
};

/// A small deterministic generator of register values.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 ^ (self.0 >> 29)
    }
}

fn scramble(regs: &mut kvm_regs, sregs: &mut kvm_sregs, g: &mut Lcg) {
    for r in [
        &mut regs.rax,
        &mut regs.rbx,
        &mut regs.rcx,
        &mut regs.rdx,
        &mut regs.rsi,
        &mut regs.rdi,
        &mut regs.rbp,
        &mut regs.r11,
    ] {
        *r = g.next();
    }
    sregs.fs.base = g.next();
    sregs.es.base = g.next() & 0xffff0;
    sregs.ds.base = g.next() & 0xffff0;
}

/// The access instruction `code` (ending at RIP) made with these
/// registers, as KVM would report it, and the GPA for a store.
fn access_of(code: &[u8], regs: &kvm_regs, sregs: &kvm_sregs) -> (Access, Option<u64>) {
    let b = bitness(regs, sregs);
    let i = decode(code, b, regs.rip - code.len() as u64).expect("decodes");
    let value = |r| register_value(regs, sregs, b, r).expect("a register");
    if i.mnemonic() == Mnemonic::Out {
        let port = match i.op0_kind() {
            OpKind::Immediate8 => u16::from(i.immediate8()),
            _ => regs.rdx as u16,
        };
        let src = i.op1_register();
        let access = Access::PortOut {
            port,
            size: src.size() as u8,
            data: value(src) as u32,
        };
        return (access, None);
    }
    let size = i.memory_size().size().min(8) as u8;
    let data = match i.op1_kind() {
        OpKind::Register => value(i.op1_register()),
        _ => i.immediate(1),
    };
    let at = memory_address(&i, regs, sregs).expect("an address");
    (
        Access::MemWrite { size, data },
        Some(0x7000_0000 | (at & 0xfff)),
    )
}

/// Checks one form: `plain` says whether it has a fast check.
fn check(code: &[u8], mode: fn() -> (kvm_regs, kvm_sregs), plain: bool) {
    let before = window(code);
    let at = [0x90u8; 16];
    let mut g = Lcg(code.iter().fold(7, |a, &b| a * 31 + u64::from(b)));
    let (mut regs, mut sregs) = mode();
    scramble(&mut regs, &mut sregs, &mut g);
    let (access, gpa) = access_of(code, &regs, &sregs);
    let mut cache = RetiredCache::default();
    assert!(
        undo_retired(&mut cache, &before, &at, &regs, &sregs, access, gpa).is_some(),
        "{code:02x?}: the general path finds it"
    );
    for round in 0..40 {
        // The next exit of the loop: other registers, maybe another access.
        scramble(&mut regs, &mut sregs, &mut g);
        let (mut access, mut gpa) = access_of(code, &regs, &sregs);
        match round % 4 {
            1 => match &mut access {
                Access::PortOut { data, .. } => *data ^= 1,
                Access::MemWrite { data, .. } => *data ^= 1 << 3,
            },
            2 => gpa = gpa.map(|g| g ^ 8),
            3 => {
                if let Access::PortOut { port, .. } = &mut access {
                    *port ^= 1;
                }
            }
            _ => {}
        }
        let general = undo_retired(
            &mut RetiredCache::default(),
            &before,
            &at,
            &regs,
            &sregs,
            access,
            gpa,
        );
        let fast = cache.fast_match(&before, &at, &regs, &sregs, access, gpa);
        if round % 4 == 0 {
            assert_eq!(fast.is_some(), plain, "{code:02x?}: fast check");
        }
        let Some(h) = fast else { continue };
        let r = general.unwrap_or_else(|| panic!("{code:02x?}: fast hit, general miss"));
        let mut expect = regs;
        expect.rip -= r.len as u64;
        assert_eq!(r.regs, expect, "{code:02x?}");
        assert_eq!(usize::from(h.len), r.len, "{code:02x?}");
        assert_eq!(h.rep, r.insn.has_rep_prefix(), "{code:02x?}");
        let operand = written_address(&r.insn, &r.regs, &sregs)
            .filter(|_| r.insn.memory_size().size() > 0)
            .filter(|_| gpa.is_some())
            .map(|a| (a, r.insn.memory_size().size()));
        assert_eq!(h.operand, operand, "{code:02x?}");
    }
}

#[test]
fn long_mode_plain_forms_match_as_the_general_path() {
    let plain: &[&[u8]] = &[
        &[0xee],                                                 // out dx, al
        &[0xe6, 0x80],                                           // out 0x80, al
        &[0x66, 0xef],                                           // out dx, ax
        &[0xef],                                                 // out dx, eax
        &[0xf3, 0xee],                                           // rep out dx, al
        &[0x89, 0x07],                                           // mov [rdi], eax
        &[0x48, 0x89, 0x07],                                     // mov [rdi], rax
        &[0x88, 0x27],                                           // mov [rdi], ah
        &[0x66, 0x89, 0x07],                                     // mov [rdi], ax
        &[0x41, 0xc6, 0x43, 0x58, 0x82],                         // mov byte [r11+0x58], 0x82
        &[0xc7, 0x04, 0x8b, 0x44, 0x33, 0x22, 0x11],             // mov dword [rbx+rcx*4], imm
        &[0x89, 0x05, 0x10, 0x00, 0x00, 0x00],                   // mov [rip+0x10], eax
        &[0x64, 0x89, 0x07],                                     // mov fs:[rdi], eax
        &[0x67, 0x89, 0x07],                                     // mov [edi], eax
        &[0x0f, 0xc3, 0x07],                                     // movnti [rdi], eax
        &[0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff],             // mov qword [rdi], -1
        &[0x89, 0x44, 0x4d, 0xf0],                               // mov [rbp+rcx*2-0x10], eax
        &[0xa3, 0x00, 0x10, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00], // mov [moffs64], eax
    ];
    for code in plain {
        check(code, long_mode, true);
    }
    // Not plain forms: no fast check (the general path handles them).
    check(&[0x8c, 0x07], long_mode, false); // mov [rdi], es
}

#[test]
fn legacy_mode_plain_forms_match_as_the_general_path() {
    for code in [
        &[0x89, 0x07][..],               // mov [edi], eax
        &[0x66, 0x89, 0x07],             // mov [edi], ax
        &[0x67, 0x89, 0x07],             // mov [bx], eax
        &[0xa3, 0x00, 0x10, 0x00, 0x40], // mov [moffs32], eax
        &[0xee],
        &[0xe7, 0x70], // out 0x70, eax
    ] {
        check(code, protected32, true);
    }
    for code in [
        &[0x89, 0x07][..],   // mov [bx], ax
        &[0x26, 0x89, 0x05], // mov es:[di], ax
        &[0x66, 0x89, 0x07], // mov [bx], eax
        &[0x67, 0x89, 0x07], // mov [edi], ax
        &[0xee],
    ] {
        check(code, real_mode, true);
    }
}
