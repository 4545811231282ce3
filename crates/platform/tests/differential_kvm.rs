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
        ("rep insb df", |a| {
            a.mov(rdi, BUF + 2)?;
            a.mov(ecx, 3u32)?;
            a.mov(dx, 0x80u32)?;
            a.std()?;
            a.rep().insb()?;
            a.cld()
        }),
        ("rep outsb df", |a| {
            a.mov(rsi, BUF + 2)?;
            a.mov(ecx, 3u32)?;
            a.mov(dx, 0x80u32)?;
            a.std()?;
            a.rep().outsb()?;
            a.cld()
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
        ("mov eax, [mmio crossing a page]", |a| {
            a.mov(rdi, MMIO + 0xffe)?;
            a.mov(eax, dword_ptr(rdi))
        }),
        ("movdqu [mmio], xmm0", |a| {
            a.mov(rdi, MMIO)?;
            a.movdqu(xmmword_ptr(rdi), xmm0)
        }),
        ("movbe [mmio], eax", |a| {
            a.mov(rdi, MMIO)?;
            a.movbe(dword_ptr(rdi), eax)
        }),
        ("movq [mmio], xmm0", |a| {
            a.mov(rdi, MMIO)?;
            a.movq(qword_ptr(rdi), xmm0)
        }),
        ("in al, dx", |a| {
            a.mov(dx, 0x80u32)?;
            a.in_(al, dx)
        }),
    ]
}

fn exits(steps: &[Step]) -> Vec<RawExit> {
    steps.iter().map(|s| s.exit.clone()).collect()
}

fn skip(r: &mut kvm_regs, len: u64) {
    r.rip += len;
    r.rcx = 0;
    r.rax = 0x99;
}

/// Each row of the table in `src/run.rs`, at CPL3 and CPL0.
#[test]
fn completion_table() {
    let all = snippets();
    let get = |name: &str| all.iter().find(|(n, _)| *n == name).unwrap().1;
    let verbose = std::env::var_os("WINHV_MEASURE").is_some();
    for user in [true, false] {
        if verbose {
            for (name, s) in &all {
                println!("== {name}");
                trace(user, *s, usize::MAX, &none);
                println!("-- skipped at the first exit");
                trace(user, *s, 0, &skip);
            }
        }
        let Some((t, _, _)) = trace(user, get("rep insb"), usize::MAX, &none) else {
            return;
        };
        assert!(
            matches!(
                t[0].exit,
                RawExit::IoIn {
                    size: 1,
                    count: 3,
                    ..
                }
            ),
            "{t:x?}"
        );
        assert_eq!((t[0].rcx, t[0].rdi), (3, BUF), "before the iterations");
        assert_eq!(
            (t[1].exit.clone(), t[1].rcx, t[1].rdi),
            (RawExit::Hlt, 0, BUF + 3)
        );
        let (t, _, _) = trace(user, get("rep insb"), 0, &skip).unwrap();
        assert!(
            matches!(t[1].exit, RawExit::IoIn { count: 3, .. }) && t[1].rdi == BUF,
            "after a skip KVM exits again: {t:x?}"
        );

        // DF set: KVM reads ahead only as many elements as RDI's page
        // offset (2 here, though 3 fit), then stores the k-th element read
        // at RDI - k, one iteration at a time, and exits again for the rest.
        let (t, vm, _) = trace(user, get("rep insb df"), usize::MAX, &none).unwrap();
        assert!(
            matches!(t[0].exit, RawExit::IoIn { count: 2, .. }),
            "{t:x?}"
        );
        assert!(
            matches!(t[1].exit, RawExit::IoIn { count: 1, .. }) && (t[1].rcx, t[1].rdi) == (1, BUF),
            "{t:x?}"
        );
        assert_eq!(
            (t[2].exit.clone(), t[2].rcx, t[2].rdi),
            (RawExit::Hlt, 0, BUF - 1)
        );
        assert_eq!(
            vm.memory(BUF, 3),
            &[0x99, 0x22, 0x11],
            "downwards, in read order"
        );
        // After a skip with RCX = 0 KVM never consumes its elements: it
        // exits again for them at the VMM's RIP.
        let (t, _, _) = trace(user, get("rep insb df"), 0, &skip).unwrap();
        assert!(
            matches!(t[1].exit, RawExit::IoIn { count: 2, .. }) && t[1].rip == t[0].rip + 2,
            "{t:x?}"
        );
        // The flush's replay: RCX = the elements KVM holds (RDI the
        // exit's): KVM stores them and is done.
        let (t, vm, _) = trace(user, get("rep insb df"), 0, &|r, len| {
            r.rip += len;
            r.rcx = 2;
        })
        .unwrap();
        assert_eq!(t[1].exit, RawExit::Hlt, "{t:x?}");
        assert_eq!(vm.memory(BUF, 3), &[0, 0x22, 0x11]);

        let (t, _, _) = trace(user, get("rep outsb df"), usize::MAX, &none).unwrap();
        let outs: Vec<_> = t
            .iter()
            .filter(|s| matches!(&s.exit, RawExit::IoOut { data, .. } if data.len() == 1))
            .map(|s| s.rsi)
            .collect();
        assert_eq!(
            outs,
            [BUF + 1, BUF, BUF - 1],
            "one retired exit per iteration, RSI down"
        );

        let (t, _, _) = trace(user, get("rep outsb"), usize::MAX, &none).unwrap();
        let outs = exits(&t)
            .iter()
            .filter(|e| matches!(e, RawExit::IoOut { data, .. } if data.len() == 1))
            .count();
        assert_eq!(outs, 3, "one exit per iteration: {t:x?}");
        assert_eq!((t[0].rcx, t[0].rsi), (2, BUF + 1), "retired");

        let (t, _, _) = trace(user, get("rep stosb mmio"), usize::MAX, &none).unwrap();
        assert_eq!(
            t[0].exit,
            RawExit::MmioWrite {
                gpa: MMIO,
                data: vec![0x5a]
            }
        );
        assert_eq!((t[0].rcx, t[0].rdi, t[1].rcx), (1, MMIO + 1, 0), "retired");
        assert_eq!(t[0].rip, t[1].rip, "RIP stays on the instruction mid-REP");

        let (t, _, _) = trace(user, get("rep movsb mmio->ram"), usize::MAX, &none).unwrap();
        assert_eq!(t[0].exit, RawExit::MmioRead { gpa: MMIO, size: 1 });
        assert_eq!((t[0].rcx, t[0].rsi, t[0].rdi), (2, MMIO, BUF), "pending");
        let (t, vm, _) = trace(user, get("rep movsb mmio->ram"), 0, &skip).unwrap();
        assert_eq!(t.last().unwrap().exit, RawExit::Hlt);
        assert_eq!(
            vm.memory(BUF, 1),
            &[0],
            "nothing stored after a skip with RCX = 0"
        );
        let (t, vm, _) = trace(user, get("rep movsb mmio->ram"), 0, &|r, len| {
            skip(r, len);
            r.rcx = 1;
        })
        .unwrap();
        assert_eq!(t.last().unwrap().exit, RawExit::Hlt);
        assert_eq!(
            vm.memory(BUF, 1),
            &[0x11],
            "stored at the exit's RDI with RCX = 1"
        );

        let (t, _, _) = trace(user, get("add [mmio], eax"), usize::MAX, &none).unwrap();
        assert_eq!(t[0].exit, RawExit::MmioRead { gpa: MMIO, size: 4 });
        assert!(matches!(t[1].exit, RawExit::MmioWrite { .. }));
        assert_eq!(t[1].rip, t[0].rip + 2, "the write exit is retired");
        let (t, _, _) = trace(user, get("add [mmio], eax"), 0, &skip).unwrap();
        assert!(matches!(t[1].exit, RawExit::MmioWrite { .. }), "{t:x?}");
        assert_eq!(
            (t[1].rip, t[1].rax),
            (t[0].rip + 2, 0x99),
            "KVM's RIP, the VMM's RAX"
        );

        let (t, _, _) = trace(user, get("xchg [mmio], eax"), usize::MAX, &none).unwrap();
        assert!(matches!(t[0].exit, RawExit::MmioRead { .. }));
        assert!(matches!(t[1].exit, RawExit::MmioWrite { .. }));

        let (t, _, _) = trace(user, get("push rax (mmio stack)"), usize::MAX, &none).unwrap();
        assert_eq!(t[0].rsp, MMIO + 0xf8, "retired: RSP already decremented");
        let (t, _, _) = trace(user, get("call (mmio stack)"), usize::MAX, &none).unwrap();
        assert!(matches!(t[0].exit, RawExit::MmioWrite { gpa, .. } if gpa == MMIO + 0xf8));

        let (t, _, _) = trace(user, get("push [mmio]"), usize::MAX, &none).unwrap();
        assert_eq!(t[0].exit, RawExit::MmioRead { gpa: MMIO, size: 8 });

        let (t, _, _) = trace(
            user,
            get("mov eax, [mmio crossing a page]"),
            usize::MAX,
            &none,
        )
        .unwrap();
        assert_eq!(
            t[0].exit,
            RawExit::MmioRead {
                gpa: MMIO + 0xffe,
                size: 2
            }
        );
        assert_eq!(
            t[1].exit,
            RawExit::MmioRead {
                gpa: MMIO + 0x1000,
                size: 2
            }
        );
        assert_eq!(
            t[1].rip, t[0].rip,
            "the second part before the instruction retires"
        );

        let (t, _, _) = trace(user, get("movdqu [mmio], xmm0"), usize::MAX, &none).unwrap();
        assert!(
            matches!(&t[0].exit, RawExit::MmioWrite { gpa, data } if *gpa == MMIO && data.len() == 8),
            "{t:x?}"
        );
        assert!(
            matches!(&t[1].exit, RawExit::MmioWrite { gpa, data } if *gpa == MMIO + 8 && data.len() == 8),
            "{t:x?}"
        );

        // KVM's emulator (here, with the host's supported CPUID) cannot do
        // these on MMIO: #UD for a MOVBE store, an internal error for MOVQ.
        let (t, _, _) = trace(user, get("movbe [mmio], eax"), usize::MAX, &none).unwrap();
        assert_eq!(
            t[0].exit,
            RawExit::IoOut {
                port: 0xee,
                data: vec![6, 0, 0, 0]
            },
            "#UD reported"
        );
        let (t, _, _) = trace(user, get("movq [mmio], xmm0"), usize::MAX, &none).unwrap();
        assert_eq!(t[0].exit, RawExit::Other("InternalError".into()));

        let (t, _, _) = trace(user, get("in al, dx"), 0, &skip).unwrap();
        assert_eq!(
            (t[1].exit.clone(), t[1].rax),
            (RawExit::Hlt, 0x99),
            "the VMM's RAX wins"
        );
    }
}
