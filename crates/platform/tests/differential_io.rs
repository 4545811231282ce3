//! Exactly-once port I/O through the winhv public API and winhv-emu: IN
//! and OUT (imm8 and DX ports, 8/16/32 bits) and INS/OUTS (with and
//! without REP, counts 0–4, DF clear and set), each emulated by the VMM
//! loop on its IoPortAccess exits, must leave exactly the architectural
//! result: the port stream consumed once, RAX/memory/RCX/RSI/RDI as the
//! instruction defines them. At CPL3 (the TSS I/O bitmap allows the
//! ports); the CPL0 pass needs hardware virtualization.
#![allow(unsafe_code, reason = "the shared test helpers map guest memory")]

mod differential;

use differential::vmm::{RamDevice, run_to_halt};
use differential::{TestVm, is_pvm, kvm_available, set_registers};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

/// RAM the string forms read and write (identity-mapped).
const BUF: u64 = 0x10_2000;
/// BUF's length (two pages).
const BUF_LEN: usize = 0x2000;
/// The usual start of RSI/RDI in BUF.
const MID: u64 = 0x800;
const PORT: u16 = 0x80;
const DF: u64 = 1 << 10;

/// One I/O form.
#[derive(Clone, Copy, Debug)]
enum Form {
    In { size: u64, via_dx: bool },
    Out { size: u64, via_dx: bool },
    Ins { size: u64, rep: bool },
    Outs { size: u64, rep: bool },
}

/// One case: the form, RCX, DF, and where in BUF RSI/RDI start.
type IoCase = (Form, u64, bool, u64);

fn forms() -> Vec<IoCase> {
    let mut v = Vec::new();
    for size in [1, 2, 4] {
        for via_dx in [false, true] {
            v.push((Form::In { size, via_dx }, 0, false, MID));
            v.push((Form::Out { size, via_dx }, 0, false, MID));
        }
        for rep in [false, true] {
            for count in 0..=4 {
                for down in [false, true] {
                    v.push((Form::Ins { size, rep }, count, down, MID));
                    v.push((Form::Outs { size, rep }, count, down, MID));
                }
            }
        }
        // Long REPs across a page boundary, up and down: KVM reads ahead
        // only up to the page's end (start, with DF set), so its exits
        // and its pending elements differ from the short ones'.
        for (down, start) in [(false, 0x1000 - 3), (true, 0x1000 + 2)] {
            v.push((Form::Ins { size, rep: true }, 40, down, start));
            v.push((Form::Outs { size, rep: true }, 40, down, start));
        }
    }
    v
}

fn assemble(a: &mut CodeAssembler, form: Form) -> Result<(), IcedError> {
    match form {
        Form::In { size, via_dx: true } => match size {
            1 => a.in_(al, dx),
            2 => a.in_(ax, dx),
            _ => a.in_(eax, dx),
        },
        Form::In {
            size,
            via_dx: false,
        } => match size {
            1 => a.in_(al, u32::from(PORT)),
            2 => a.in_(ax, u32::from(PORT)),
            _ => a.in_(eax, u32::from(PORT)),
        },
        Form::Out { size, via_dx: true } => match size {
            1 => a.out(dx, al),
            2 => a.out(dx, ax),
            _ => a.out(dx, eax),
        },
        Form::Out {
            size,
            via_dx: false,
        } => match size {
            1 => a.out(u32::from(PORT), al),
            2 => a.out(u32::from(PORT), ax),
            _ => a.out(u32::from(PORT), eax),
        },
        Form::Ins { size, rep } => {
            if rep {
                let _ = a.rep();
            }
            match size {
                1 => a.insb(),
                2 => a.insw(),
                _ => a.insd(),
            }
        }
        Form::Outs { size, rep } => {
            if rep {
                let _ = a.rep();
            }
            match size {
                1 => a.outsb(),
                2 => a.outsw(),
                _ => a.outsd(),
            }
        }
    }
}

/// What the CPU defines: (RAX, RCX, RSI, RDI, bytes written to the port,
/// BUF's final contents).
#[allow(clippy::too_many_arguments, reason = "the parts of a case")]
fn expected(
    form: Form,
    count: u64,
    down: bool,
    start: u64,
    rax0: u64,
    stream: &[u8],
    buf: &[u8],
) -> (u64, u64, u64, u64, Vec<u8>, Vec<u8>) {
    let mid = BUF + start;
    let mut mem = buf.to_vec();
    let mut out = Vec::new();
    let (mut src, mut dst, mut cnt, mut acc) = (mid, mid, count, rax0);
    let lowmask = |size: u64| {
        if size == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * size)) - 1
        }
    };
    let value = |bytes: &[u8]| {
        let mut b = [0u8; 8];
        b[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(b)
    };
    match form {
        Form::In { size, .. } => {
            let v = value(&stream[..size as usize]);
            acc = if size == 4 {
                v
            } else {
                (acc & !lowmask(size)) | v
            };
        }
        Form::Out { size, .. } => out.extend_from_slice(&acc.to_le_bytes()[..size as usize]),
        Form::Ins { size, rep } | Form::Outs { size, rep } => {
            let n = if rep { count } else { 1 };
            let step = if down { size.wrapping_neg() } else { size };
            let mut taken = 0usize;
            for _ in 0..n {
                if let Form::Ins { .. } = form {
                    let at = (dst - BUF) as usize;
                    mem[at..at + size as usize]
                        .copy_from_slice(&stream[taken..taken + size as usize]);
                    taken += size as usize;
                    dst = dst.wrapping_add(step);
                } else {
                    let at = (src - BUF) as usize;
                    out.extend_from_slice(&mem[at..at + size as usize]);
                    src = src.wrapping_add(step);
                }
            }
            if rep {
                cnt = 0;
            }
        }
    }
    (acc, cnt, src, dst, out, mem)
}

fn io(user: bool) {
    if !kvm_available() {
        return;
    }
    if !user && is_pvm() {
        println!("SKIPPED: needs hardware virtualization");
        return;
    }
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    let exception_port = g.layout().exception_port;
    g.assemble_at(64, entry, |a| a.hlt()).unwrap();
    let regs = if user {
        g.long64_user(entry).unwrap()
    } else {
        g.long64(entry).unwrap()
    };
    let mut vm = TestVm::new(&g, &regs);
    let mut failures = Vec::new();
    let mut exits = 0;
    let all = forms();
    // `WINHV_DIFF_CASE=n,…` (decimal indices) runs only those cases.
    let only: Option<Vec<usize>> = std::env::var("WINHV_DIFF_CASE")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    for (n, &(form, count, down, start)) in all.iter().enumerate() {
        if only.as_ref().is_some_and(|o| !o.contains(&n)) {
            continue;
        }
        if std::env::var_os("WINHV_DIFF_TRACE").is_some() {
            println!("case {n}: {form:?} count {count} df {down} start {start:#x}");
        }
        let mut a = CodeAssembler::new(64).unwrap();
        assemble(&mut a, form).unwrap();
        a.hlt().unwrap();
        let code = a.assemble(entry).unwrap();
        let stream: Vec<u8> = (0..256).map(|i| (n * 37 + i * 11 + 5) as u8).collect();
        let buf: Vec<u8> = (0..BUF_LEN).map(|i| (i * 7 + i / 251 + n) as u8).collect();
        vm.p.write_gpa_range(entry, &code).unwrap();
        vm.p.write_gpa_range(BUF, &buf).unwrap();
        let mut r = regs;
        r.rax = 0x1122_3344_5566_7788 ^ n as u64;
        r.rcx = count;
        r.rdx = u64::from(PORT) | 0xabcd_0000;
        r.rsi = BUF + start;
        r.rdi = BUF + start;
        if down {
            r.rflags |= DF;
        }
        set_registers(&vm.p, 0, &r);
        let mut dev = RamDevice {
            port_in: stream.iter().copied().collect(),
            ..Default::default()
        };
        let outcome = run_to_halt(&vm.p, &mut dev, exception_port, 64);
        let want = expected(form, count, down, start, r.rax, &stream, &buf);
        let got = outcome.as_ref().map(|o| {
            exits += o.io_exits;
            let mut mem = vec![0; BUF_LEN];
            vm.p.read_gpa_range(BUF, &mut mem).unwrap();
            // At CPL3 the run ends in the #GP handler: the GPRs it leaves
            // are the snippet's (it restores them before HLT).
            (
                vm.reg(WHvX64RegisterRax),
                vm.reg(WHvX64RegisterRcx),
                vm.reg(WHvX64RegisterRsi),
                vm.reg(WHvX64RegisterRdi),
                dev.port_out.clone(),
                mem,
                o.exceptions.clone(),
            )
        });
        let ok = got.as_ref().is_ok_and(|g| {
            (g.0, g.1, g.2, g.3, &g.4, &g.5) == (want.0, want.1, want.2, want.3, &want.4, &want.5)
                && g.6.is_empty()
        });
        if ok {
            continue;
        }
        // A failed case may leave a completion pending in KVM: the next
        // case gets a fresh partition.
        vm = TestVm::new(&g, &regs);
        let show = match &got {
            Ok(g) => format!(
                "rax {:#x} rcx {} rsi {:#x} rdi {:#x} out {:02x?} exceptions {:x?}",
                g.0, g.1, g.2, g.3, g.4, g.6
            ),
            Err(e) => e.to_string(),
        };
        failures.push(format!(
            "case {n}: {form:?} count {count} df {down} start {start:#x} — bytes {:02x?}\n  want rax {:#x} rcx {} rsi {:#x} rdi {:#x} out {:02x?}\n  got  {show}",
            &code[..code.len() - 1],
            want.0,
            want.1,
            want.2,
            want.3,
            want.4
        ));
    }
    println!(
        "port I/O cpl{}: {} cases, {exits} I/O exits, {} failures",
        if user { 3 } else { 0 },
        all.len(),
        failures.len()
    );
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} port I/O cases differ",
        failures.len()
    );
}

#[test]
fn port_io() {
    io(true);
}

#[test]
fn port_io_cpl0() {
    io(false);
}
