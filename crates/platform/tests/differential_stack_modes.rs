//! Wrapping 16- and 32-bit stacks: PUSH (register, immediate, memory),
//! POP (register, memory) and CALL (relative, register, memory) with SP or
//! ESP where the stack wraps — real mode with SS:SP = 0:0 (WHP's reset
//! state), flat 32-bit protected mode with ESP = 0, a 16-bit stack segment
//! (SS.B = 0, base 0xffff_0000) under 32-bit code, and 32-bit
//! compatibility-mode code at CPL3 with ESP = 0 —, both operand sizes, and
//! bits above the stack-address size set in RSP. Each case runs twice
//! through the winhv public API: the stack page in RAM, then in an MMIO
//! window served by a RAM-like device through winhv-emu (the CALLs by the
//! test VMM, `vmm::emulate_call`).
//!
//! The oracle: at CPL3 (compatibility mode) the CPU itself, which PVM runs
//! natively: the MMIO run must end exactly as the RAM run does. Real-mode
//! and CPL0 code — the 16-bit stack among it — is emulated by the host
//! kernel on PVM, so the CPU is no oracle there: both runs are compared
//! with the state the architecture defines, computed here ([`expected`]:
//! the stack pointer moves within the stack-address size, its other bits
//! kept; the slot is SS base + the new pointer). The CPL3 runs are checked
//! against that state too.
//!
//! Each MMIO exit of a stack access must look as on Windows: RIP at the
//! instruction, its length, RSP as before it, the slot's GVA and GPA; and a
//! VMM that does not emulate the access but runs the VP again gets the same
//! exit again (the instruction runs again; RSP must not creep by 64 KiB per
//! run).
#![allow(unsafe_code, reason = "register values are C unions; test memory")]

mod differential;

use differential::vmm::{RamDevice, VmmCallbacks, emulate_call};
use differential::{HostMem, TestVm, is_pvm, kvm_available, rwx};
use iced_x86::{Decoder, DecoderOptions};
use winhv::defs::*;
use winhv_emu::Emulator;
use winhv_guest::asm::code_asm::*;
use winhv_guest::gdt::selector;
use winhv_guest::segment::{Segment, attr};
use winhv_guest::{Guest, Registers};

/// Where the snippet starts (linear; real mode: CS 0x2000, IP 0).
const CODE: u64 = 0x2_0000;
/// A cell in RAM, beside the code: the source of PUSH [mem], the
/// destination of POP [mem], the target of CALL [mem].
const CELL: u64 = CODE + 0x800;
/// The value the cell holds before a PUSH [mem].
const CELL_VALUE: u32 = 0xc4c3_c2c1;
/// The values of the registers the snippets use.
const EAX: u64 = 0x8765_4321;
const ECX: u64 = 0x0bad_cafe;
const EDI: u64 = 0x1111_2222;
const EBP: u64 = 0x3333_4444;
/// EDX after the fall-through path and after a CALL's target.
const FELL_THROUGH: u64 = 0x600d;
const CALLED: u64 = 0x7a67;
/// The immediates of PUSH imm, by operand size.
const IMM16: u64 = 0xa55a;
const IMM32: u64 = 0x1234_5678;

/// The execution mode and stack of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Real mode, SS = 0: the stack wraps at SS:0.
    Real,
    /// Flat 32-bit protected mode at CPL0, paging off: ESP wraps at 4 GiB.
    Protected32,
    /// 32-bit code at CPL0 with a 16-bit stack segment (SS.B = 0) based
    /// at 0xffff_0000: SP wraps at 64 KiB, ESP's bits 16–31 stay.
    Stack16,
    /// 32-bit compatibility-mode code at CPL3 (long mode, identity paging),
    /// flat SS: ESP wraps at 4 GiB. Native on PVM.
    Compat32User,
    /// 64-bit code at CPL3, RSP = 4 GiB (the stack page just below it):
    /// no wrap, the reference for the inaccessible-stack test.
    Long64User,
}

impl Mode {
    fn bitness(self) -> u32 {
        match self {
            Mode::Real => 16,
            Mode::Long64User => 64,
            _ => 32,
        }
    }

    /// The bits of RSP the stack uses: SS.B's (16 in real mode), all in
    /// 64-bit mode.
    fn stack_mask(self) -> u64 {
        match self {
            Mode::Real | Mode::Stack16 => 0xffff,
            Mode::Long64User => u64::MAX,
            _ => 0xffff_ffff,
        }
    }

    fn ss_base(self) -> u64 {
        if self == Mode::Stack16 {
            0xffff_0000
        } else {
            0
        }
    }

    /// The page the wrapped stack slots are in (GPA = linear address).
    fn stack_page(self) -> u64 {
        if self == Mode::Real {
            0xf000
        } else {
            0xffff_f000
        }
    }

    /// Bits above the stack-address size that RSP carries into a case
    /// (every form must keep them): none, and for a 16-bit stack some in
    /// ESP's upper half too.
    fn high_bits(self) -> &'static [u64] {
        match self {
            Mode::Real => &[0, 0x1234_0000],
            Mode::Stack16 => &[0, 0x5678_0000],
            // Not above the stack-address size: RSP's start, 4 GiB.
            Mode::Long64User => &[1 << 32],
            _ => &[0],
        }
    }

    /// The default operand size (what a CALL pushes).
    fn operand(self) -> u64 {
        u64::from(self.bitness() / 8)
    }

    /// EBX for the cell: an offset from DS (real mode: CS = DS = 0x2000).
    fn cell_offset(self) -> u64 {
        if self == Mode::Real {
            CELL - CODE
        } else {
            CELL
        }
    }

    /// The linear address of snippet offset `ip` as the code's IP reads it.
    fn ip(self, offset: u64) -> u64 {
        if self == Mode::Real {
            offset
        } else {
            CODE + offset
        }
    }
}

/// The instruction under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    PushReg(u64),
    PushImm(u64),
    PushMem(u64),
    PopReg(u64),
    PopMem(u64),
    CallRel,
    CallReg,
    CallMem,
}

impl Form {
    fn all() -> Vec<Form> {
        let mut v = Vec::new();
        for size in [2, 4] {
            v.extend([
                Form::PushReg(size),
                Form::PushImm(size),
                Form::PushMem(size),
                Form::PopReg(size),
                Form::PopMem(size),
            ]);
        }
        v.extend([Form::CallRel, Form::CallReg, Form::CallMem]);
        v
    }

    /// Bytes pushed (positive) or popped (negative).
    fn stack_bytes(self, mode: Mode) -> (u64, bool) {
        match self {
            Form::PushReg(s) | Form::PushImm(s) | Form::PushMem(s) => (s, true),
            Form::PopReg(s) | Form::PopMem(s) => (s, false),
            Form::CallRel | Form::CallReg | Form::CallMem => (mode.operand(), true),
        }
    }

    fn is_call(self) -> bool {
        matches!(self, Form::CallRel | Form::CallReg | Form::CallMem)
    }
}

/// One case: its mode and form, the snippet and where its parts are.
struct Case {
    mode: Mode,
    form: Form,
    code: Vec<u8>,
    /// Length of the instruction under test; offsets of the fall-through
    /// path (the return address) and of the CALL's target.
    len: u64,
    next: u64,
    target: u64,
    /// RSP at the start.
    rsp: u64,
}

/// The snippet: the instruction under test; then `mov edx, FELL_THROUGH;
/// mov edi, esp; hlt`; then the CALL target `mov edx, CALLED; mov edi,
/// esp; hlt`. (EDI keeps ESP: at CPL3 the `hlt` enters the #GP handler,
/// on another stack, before the HLT exit.)
fn case(mode: Mode, form: Form, high: u64) -> Case {
    let bits = mode.bitness();
    let mut a = CodeAssembler::new(bits).unwrap();
    let mut target = a.create_label();
    // In compatibility mode at CPL3, DS is null: the cell is addressed
    // through SS (flat there).
    let m = match mode {
        Mode::Real => ptr(bx),
        Mode::Compat32User => ptr(ebx).ss(),
        Mode::Long64User => ptr(rbx),
        _ => ptr(ebx),
    };
    let imm = |size: u64| -> Vec<u8> {
        let prefix = (size * 8 != u64::from(bits)).then_some(0x66);
        let mut v: Vec<u8> = prefix.into_iter().collect();
        v.push(0x68);
        if size == 2 {
            v.extend_from_slice(&(IMM16 as u16).to_le_bytes());
        } else {
            v.extend_from_slice(&(IMM32 as u32).to_le_bytes());
        }
        v
    };
    let r: Result<(), IcedError> = match form {
        Form::PushReg(2) => a.push(ax),
        Form::PushReg(8) => a.push(rax),
        Form::PushReg(_) => a.push(eax),
        Form::PushImm(s) => a.db(&imm(s)),
        Form::PushMem(2) => a.push(word_ptr(m)),
        Form::PushMem(_) => a.push(dword_ptr(m)),
        Form::PopReg(2) => a.pop(cx),
        Form::PopReg(_) => a.pop(ecx),
        Form::PopMem(2) => a.pop(word_ptr(m)),
        Form::PopMem(_) => a.pop(dword_ptr(m)),
        Form::CallRel => a.call(target),
        Form::CallReg if bits == 16 => a.call(si),
        Form::CallReg => a.call(esi),
        Form::CallMem if bits == 16 => a.call(word_ptr(m)),
        Form::CallMem => a.call(dword_ptr(m)),
    };
    r.unwrap();
    for (n, marker) in [FELL_THROUGH, CALLED].into_iter().enumerate() {
        if n == 1 {
            a.set_label(&mut target).unwrap();
        }
        if bits == 16 {
            a.mov(dx, marker as u32).unwrap();
        } else {
            a.mov(edx, marker as u32).unwrap();
        }
        a.mov(edi, esp).unwrap();
        a.hlt().unwrap();
    }
    let ip0 = mode.ip(0);
    let code = a.assemble(ip0).unwrap();
    // Offsets of the instructions: under test, mov, mov, hlt, target's
    // mov.
    let mut offsets = Vec::new();
    let mut d = Decoder::with_ip(bits, &code, ip0, DecoderOptions::NONE);
    while d.can_decode() {
        offsets.push(d.position() as u64);
        let _ = d.decode();
    }
    let (pushed, push) = form.stack_bytes(mode);
    let stack_ptr = if push {
        0
    } else {
        mode.stack_mask() + 1 - pushed
    };
    Case {
        mode,
        form,
        len: offsets[1],
        next: offsets[1],
        target: offsets[4],
        code,
        rsp: high | stack_ptr,
    }
}

/// What a case ends with: the low 32 bits of RAX, RCX, RDX, RBX, RBP,
/// RSI, RDI (ESP after the instruction) — RSP's slot is 0 —; the stack
/// page; the cell's 4 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    gpr: [u64; 8],
    stack: Vec<u8>,
    cell: [u8; 4],
}

/// The stack page's bytes before a case.
fn stack_pattern() -> Vec<u8> {
    (0..0x1000u32).map(|i| (i * 7 + 3) as u8).collect()
}

/// The initial cell: the target for CALL [mem], else `CELL_VALUE`.
fn initial_cell(c: &Case) -> [u8; 4] {
    if c.form == Form::CallMem {
        (c.mode.ip(c.target) as u32).to_le_bytes()
    } else {
        CELL_VALUE.to_le_bytes()
    }
}

/// The initial general registers RAX..RDI (RSP included).
fn initial_gpr(c: &Case) -> [u64; 8] {
    [
        EAX,
        ECX,
        0,
        c.mode.cell_offset(),
        c.rsp,
        EBP,
        c.mode.ip(c.target),
        EDI,
    ]
}

/// The state the architecture defines after the case (SDM Vol. 1 §6.2.3
/// and the PUSH/POP/CALL pages: the stack-address size is SS.B's, the
/// stack pointer's other bits are kept, the slot is SS base + the new
/// stack pointer).
fn expected(c: &Case) -> State {
    let mode = c.mode;
    let mask = mode.stack_mask();
    let mut gpr = initial_gpr(c);
    let mut stack = stack_pattern();
    let mut cell = initial_cell(c);
    let (n, push) = c.form.stack_bytes(mode);
    let n = n as usize;
    let stack_ptr = c.rsp & mask;
    if push {
        let new_sp = stack_ptr.wrapping_sub(n as u64) & mask;
        let value = match c.form {
            Form::PushReg(_) => EAX,
            Form::PushImm(2) => IMM16,
            Form::PushImm(_) => IMM32,
            Form::PushMem(_) => u64::from(CELL_VALUE),
            _ => mode.ip(c.next),
        };
        let slot = ((mode.ss_base() + new_sp) & 0xffff_ffff) - mode.stack_page();
        stack[slot as usize..][..n].copy_from_slice(&value.to_le_bytes()[..n]);
        gpr[7] = (c.rsp & !mask) | new_sp;
    } else {
        let slot = ((mode.ss_base() + stack_ptr) & 0xffff_ffff) - mode.stack_page();
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(&stack[slot as usize..][..n]);
        let value = u64::from_le_bytes(v);
        match c.form {
            Form::PopReg(2) => gpr[1] = (gpr[1] & !0xffff) | value,
            Form::PopReg(_) => gpr[1] = value,
            _ => cell[..n].copy_from_slice(&v[..n]),
        }
        gpr[7] = (c.rsp & !mask) | (stack_ptr.wrapping_add(n as u64) & mask);
    }
    gpr[2] = if c.form.is_call() {
        CALLED
    } else {
        FELL_THROUGH
    };
    gpr[4] = 0;
    State {
        gpr: gpr.map(|r| r & 0xffff_ffff),
        stack,
        cell,
    }
}

/// The linear address (= GPA) of the slot the case's stack access uses.
fn expected_slot(c: &Case) -> u64 {
    let mask = c.mode.stack_mask();
    let (n, push) = c.form.stack_bytes(c.mode);
    let stack_ptr = if push {
        (c.rsp & mask).wrapping_sub(n) & mask
    } else {
        c.rsp & mask
    };
    (c.mode.ss_base() + stack_ptr) & 0xffff_ffff
}

/// One MMIO exit as the VMM saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    rip: u64,
    len: u8,
    rsp: u64,
    write: bool,
    gva: Option<u64>,
    gpa: u64,
}

/// Where a case's stack page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stack {
    /// Guest RAM.
    Ram,
    /// Nowhere: the RAM-like device answers the MemoryAccess exits.
    Mmio,
    /// Guest RAM whose host memory is inaccessible (PROT_NONE, as memory
    /// reserved but not committed) until the first exit.
    Inaccessible,
}

/// Runs `c` with its stack page in `stack`; returns the final state and
/// the MemoryAccess exits seen. With [`Stack::Mmio`] the first exit is
/// answered by running the VP again without emulating (the instruction must
/// run again and exit the same way); with [`Stack::Inaccessible`] by making
/// the page accessible and running again.
fn run(c: &Case, stack: Stack) -> Result<(State, Vec<Seen>), String> {
    let mmio = stack == Stack::Mmio;
    let mode = c.mode;
    let mut g = Guest::new(0, 1 << 21).unwrap();
    assert_eq!(g.layout().code, CODE);
    g.write(CODE, &c.code).unwrap();
    g.write(CELL, &initial_cell(c)).unwrap();
    let mut regs: Registers = match mode {
        Mode::Real => g.real_mode(CODE).unwrap(),
        Mode::Protected32 => g.protected32(CODE).unwrap(),
        Mode::Stack16 => {
            let mut r = g.protected32(CODE).unwrap();
            r.ss = Segment {
                base: mode.ss_base(),
                limit: 0xffff,
                selector: selector::KERNEL_DATA,
                attributes: attr::TYPE_DATA_RW_ACCESSED | attr::S | attr::P,
            };
            r
        }
        Mode::Compat32User => {
            let mut r = g.long64_user(CODE).unwrap();
            r.cs = Segment::flat_code32(selector::USER_CODE32, 3);
            r
        }
        Mode::Long64User => g.long64_user(CODE).unwrap(),
    };
    let gpr = initial_gpr(c);
    (regs.rax, regs.rcx, regs.rdx, regs.rbx) = (gpr[0], gpr[1], gpr[2], gpr[3]);
    (regs.rsp, regs.rbp, regs.rsi, regs.rdi) = (gpr[4], gpr[5], gpr[6], gpr[7]);
    let page = mode.stack_page();
    if mode == Mode::Real && !mmio {
        g.write(page, &stack_pattern()).unwrap();
    }
    // The stack page: RAM in the image (real mode) or a page of its own at
    // 4 GiB − 4 KiB (declared before the partition, so dropped after it);
    // or nothing (the device answers).
    let high = HostMem::rw(0x1000);
    let vm = TestVm::new(&g, &regs);
    let p = &vm.p;
    if mmio {
        if mode == Mode::Real {
            p.unmap_gpa_range(page, 0x1000).unwrap();
        }
    } else if mode != Mode::Real {
        high.write(0, &stack_pattern());
        // SAFETY: `high` outlives the partition: declared before `vm`, it
        // is dropped after it.
        unsafe { p.map_gpa_range(high.ptr.cast(), page, 0x1000, rwx()) }.unwrap();
    }
    // The host memory behind the stack page, for `Stack::Inaccessible`.
    let (host, offset) = if mode == Mode::Real {
        (&vm.mem, page as usize)
    } else {
        (&high, 0)
    };
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    if stack == Stack::Inaccessible {
        host.protect(offset, 0x1000, libc::PROT_NONE);
    }
    let mut dev = RamDevice {
        base: page,
        bytes: if mmio { stack_pattern() } else { Vec::new() },
        ..Default::default()
    };
    let exception_port = g.layout().exception_port;
    let mut emu = Emulator::new();
    let mut seen = Vec::new();
    let mut halted = false;
    for _ in 0..16 {
        let exit = p.run_vp(0).map_err(|e| format!("run: {e}"))?;
        match exit.ExitReason {
            r if r == WHvRunVpExitReasonX64Halt => {
                halted = true;
                break;
            }
            r if r == WHvRunVpExitReasonMemoryAccess => {
                // SAFETY: the reason says MemoryAccess is the live member.
                let mem = unsafe { exit.Anonymous.MemoryAccess };
                let info = mem.AccessInfo;
                seen.push(Seen {
                    rip: exit.VpContext.Rip,
                    len: exit.VpContext.instruction_length(),
                    rsp: differential::get64(p, 0, WHvX64RegisterRsp),
                    write: info.access_type() == 1,
                    gva: (info.gva_valid() != 0).then_some(mem.Gva),
                    gpa: mem.Gpa,
                });
                match (stack, seen.len()) {
                    // Not emulated: the instruction runs again.
                    (Stack::Mmio, 1) => continue,
                    (Stack::Mmio, _) => {}
                    // Committed: the instruction runs again, on RAM.
                    (Stack::Inaccessible, 1) => {
                        host.protect(offset, 0x1000, rw);
                        continue;
                    }
                    _ => return Err(format!("a MemoryAccess exit {:x?}", seen.last())),
                }
                let mut cb = VmmCallbacks { p, dev: &mut dev };
                let status = emu
                    .try_mmio_emulation(&mut cb, &exit.VpContext, &mem)
                    .map_err(|hr| format!("try_mmio_emulation: {hr:?}"))?;
                if status.emulation_successful() == 0 && !emulate_call(p, &mut dev, &exit, &mem)? {
                    return Err(format!(
                        "emulation failed: status {:#x}, exit {:x?}",
                        status.AsUINT32,
                        seen.last()
                    ));
                }
            }
            r if r == WHvRunVpExitReasonX64IoPortAccess => {
                // SAFETY: the reason says IoPortAccess is the live member.
                let io = unsafe { exit.Anonymous.IoPortAccess };
                let what = if io.PortNumber == exception_port {
                    "exception"
                } else {
                    "port write"
                };
                return Err(format!(
                    "{what} {:#x} at rip {:#x}",
                    io.Rax, exit.VpContext.Rip
                ));
            }
            other => {
                return Err(format!(
                    "unexpected exit {other:?} at rip {:#x}",
                    exit.VpContext.Rip
                ));
            }
        }
    }
    if !halted {
        return Err("no HLT after 16 exits".into());
    }
    let names = [
        WHvX64RegisterRax,
        WHvX64RegisterRcx,
        WHvX64RegisterRdx,
        WHvX64RegisterRbx,
        WHvX64RegisterRsp,
        WHvX64RegisterRbp,
        WHvX64RegisterRsi,
        WHvX64RegisterRdi,
    ];
    let mut v = [WHV_REGISTER_VALUE::default(); 8];
    p.get_vp_registers(0, &names, &mut v).unwrap();
    // SAFETY: GPRs come back through Reg64.
    let mut gpr = v.map(|x| unsafe { x.Reg64 } & 0xffff_ffff);
    gpr[4] = 0;
    let stack = if mmio {
        dev.bytes.clone()
    } else {
        let mut s = vec![0; 0x1000];
        p.read_gpa_range(page, &mut s).unwrap();
        s
    };
    let mut cell = [0u8; 4];
    p.read_gpa_range(CELL, &mut cell).unwrap();
    Ok((State { gpr, stack, cell }, seen))
}

/// The differences between two states, in words.
fn diff(what: &str, a: &State, b: &State) -> String {
    let names = ["eax", "ecx", "edx", "ebx", "-", "ebp", "esi", "esp (edi)"];
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if a.gpr[i] != b.gpr[i] {
            out.push_str(&format!(
                "  {name}: {what} {:#x}, expected {:#x}\n",
                a.gpr[i], b.gpr[i]
            ));
        }
    }
    if let Some(i) = a.stack.iter().zip(&b.stack).position(|(x, y)| x != y) {
        let end = (i + 8).min(a.stack.len());
        out.push_str(&format!(
            "  stack+{i:#x}: {what} {:02x?}, expected {:02x?}\n",
            &a.stack[i..end],
            &b.stack[i..end]
        ));
    }
    if a.cell != b.cell {
        out.push_str(&format!(
            "  cell: {what} {:02x?}, expected {:02x?}\n",
            a.cell, b.cell
        ));
    }
    out
}

/// Checks the MemoryAccess exits of `c` (the stack page in `stack`): at
/// the instruction with RSP before it and the slot's GVA and GPA; for MMIO
/// the first two (the second after a re-run without emulation), for
/// inaccessible memory the only one.
fn check_exits(c: &Case, stack: Stack, seen: &[Seen]) -> String {
    let (_, push) = c.form.stack_bytes(c.mode);
    let slot = expected_slot(c);
    let want = Seen {
        rip: c.mode.ip(0),
        len: c.len as u8,
        rsp: c.rsp,
        write: push,
        gva: Some(slot),
        gpa: slot,
    };
    let mut out = String::new();
    for (n, s) in seen.iter().take(2).enumerate() {
        if *s != want {
            out.push_str(&format!("  exit {n}: {s:x?}\n     want {want:x?}\n"));
        }
    }
    let enough = match stack {
        Stack::Mmio => seen.len() >= 2,
        _ => seen.len() == 1,
    };
    if !enough {
        out.push_str(&format!("  {} MemoryAccess exits\n", seen.len()));
    }
    out
}

/// Runs every form in `mode`, RAM and MMIO, and panics with every
/// difference.
fn mode(mode: Mode) {
    if !kvm_available() {
        return;
    }
    let mut failures = Vec::new();
    let cases: Vec<Case> = Form::all()
        .into_iter()
        .flat_map(|form| mode.high_bits().iter().map(move |&h| case(mode, form, h)))
        .collect();
    for c in &cases {
        let form = c.form;
        let want = expected(c);
        let mut report = String::new();
        let ram = run(c, Stack::Ram);
        let mmio = run(c, Stack::Mmio);
        match &ram {
            Ok((s, seen)) => {
                report.push_str(&diff("ram", s, &want));
                if !seen.is_empty() {
                    report.push_str(&format!("  ram: MMIO exits {seen:x?}\n"));
                }
            }
            Err(e) => report.push_str(&format!("  ram: {e}\n")),
        }
        match &mmio {
            Ok((s, seen)) => {
                report.push_str(&diff("mmio", s, &want));
                report.push_str(&check_exits(c, Stack::Mmio, seen));
            }
            Err(e) => report.push_str(&format!("  mmio: {e}\n")),
        }
        // Where the CPU ran the RAM side natively, it is the oracle.
        if let (Ok((r, _)), Ok((m, _))) = (&ram, &mmio) {
            if matches!(mode, Mode::Compat32User | Mode::Long64User) || !is_pvm() {
                report.push_str(&diff("mmio vs cpu", m, r));
            }
        }
        if !report.is_empty() {
            failures.push(format!(
                "{mode:?} {form:?} rsp {:#x} bytes {:02x?}\n{report}",
                c.rsp,
                &c.code[..c.len as usize]
            ));
        }
    }
    println!(
        "{mode:?}: {} cases, {} failures",
        cases.len(),
        failures.len()
    );
    if !failures.is_empty() {
        for f in &failures {
            println!("{f}");
        }
        panic!(
            "{mode:?}: {} of {} cases differ",
            failures.len(),
            cases.len()
        );
    }
}

#[test]
fn real_mode_stack_wraps_at_ss_0() {
    mode(Mode::Real);
}

#[test]
fn protected_mode_esp_wraps_at_4_gib() {
    mode(Mode::Protected32);
}

#[test]
fn sixteen_bit_stack_segment_wraps_at_64_kib() {
    mode(Mode::Stack16);
}

#[test]
fn compatibility_mode_cpl3_esp_wraps_at_4_gib() {
    mode(Mode::Compat32User);
}

/// A PUSH and a CALL onto a wrapping stack whose page is mapped but
/// inaccessible (reserved, not yet committed): a write MemoryAccess exit at
/// the instruction, RSP as before it, the slot's GVA and GPA; once the page
/// is accessible the instruction runs again and ends as the architecture
/// says. In real mode (emulated by the host kernel on PVM), in
/// compatibility mode at CPL3, and in 64-bit mode at CPL3 (native; KVM's
/// `EFAULT` there).
#[test]
fn stack_in_inaccessible_memory() {
    if !kvm_available() {
        return;
    }
    let mut failures = Vec::new();
    for mode in [Mode::Real, Mode::Compat32User, Mode::Long64User] {
        let wide = if mode == Mode::Long64User { 8 } else { 4 };
        for form in [Form::PushReg(2), Form::PushReg(wide), Form::CallRel] {
            for &high in mode.high_bits() {
                let c = case(mode, form, high);
                let mut report = String::new();
                match run(&c, Stack::Inaccessible) {
                    Ok((s, seen)) => {
                        report.push_str(&diff("ram", &s, &expected(&c)));
                        report.push_str(&check_exits(&c, Stack::Inaccessible, &seen));
                    }
                    Err(e) => report.push_str(&format!("  {e}\n")),
                }
                if !report.is_empty() {
                    failures.push(format!("{mode:?} {form:?} rsp {:#x}\n{report}", c.rsp));
                }
            }
        }
    }
    for f in &failures {
        println!("{f}");
    }
    assert!(failures.is_empty(), "{} cases differ", failures.len());
}
