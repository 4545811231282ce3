//! The case generator of the differential tests: seeded, reproducible
//! guest snippets — one instruction with a memory operand in the data
//! window (the emulator's instruction list × operand sizes × addressing
//! modes × prefixes × REP counts × DF; for the "stack" family, PUSH, POP
//! and CALL — relative, through a register, through memory, RIP-relative
//! — with RSP in the data window) — and their initial registers.

use iced_x86::code_asm::*;
use iced_x86::{Decoder, DecoderOptions};

/// The data window's guest-virtual address (two pages): mapped to RAM for
/// the reference run, left to an unmapped GPA (MMIO) for the emulated run.
pub const DATA: u64 = 0x4000_0000;
/// Its size.
pub const DATA_LEN: usize = 0x2000;
/// RAM that is RAM in both runs (the other side of a string move or
/// compare), identity-mapped.
pub const SCRATCH: u64 = 0x10_2000;
/// Its size.
pub const SCRATCH_LEN: usize = 0x2000;

/// The arithmetic flags and DF: what the comparison looks at.
pub const FLAGS: u64 = 0x8d5 | 0x400;

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A register value: often small, sign boundaries, or random.
    pub fn value(&mut self) -> u64 {
        match self.below(6) {
            0 => self.below(4),
            1 => self.pick(&[
                0x7f,
                0x80,
                0xff,
                0x7fff,
                0x8000,
                0xffff,
                0x7fff_ffff,
                0x8000_0000,
            ]),
            2 => u64::MAX - self.below(3),
            3 => 1u64 << self.below(64),
            _ => self.next(),
        }
    }
}

/// One generated case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's seed (regenerates it).
    pub seed: u64,
    /// The instruction, in words.
    pub text: String,
    /// The snippet: the instruction under test, then the tail.
    pub code: Vec<u8>,
    /// Length of the instruction under test.
    pub len: usize,
    /// RAX..R15 (RSP ignored), RFLAGS, XMM0..3.
    pub gpr: [u64; 16],
    pub rflags: u64,
    pub xmm: [u128; 4],
    /// Initial contents of the data window and the scratch area.
    pub data: Vec<u8>,
    pub scratch: Vec<u8>,
    /// RFLAGS bits the instruction leaves undefined.
    pub undefined: u64,
}

const R64: [AsmRegister64; 16] = [
    rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15,
];
const R32: [AsmRegister32; 16] = [
    eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d,
];
const R16: [AsmRegister16; 16] = [
    ax, cx, dx, bx, sp, bp, si, di, r8w, r9w, r10w, r11w, r12w, r13w, r14w, r15w,
];
const R8: [AsmRegister8; 16] = [
    al, cl, dl, bl, spl, bpl, sil, dil, r8b, r9b, r10b, r11b, r12b, r13b, r14b, r15b,
];
const H8: [AsmRegister8; 4] = [ah, ch, dh, bh];
const XMM: [AsmRegisterXmm; 4] = [xmm0, xmm1, xmm2, xmm3];

/// Registers a snippet may use as data (not RSP, not R15 — the tail's).
const DATA_REGS: [usize; 14] = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
/// Registers usable as a base or index.
const ADDR_REGS: [usize; 13] = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13];

/// The instruction families, named for the filter `WINHV_DIFF_ONLY`.
pub const FAMILIES: &[&str] = &[
    "mov-store",
    "mov-load",
    "movx",
    "alu",
    "unary",
    "exchange",
    "bit",
    "shift",
    "setcc",
    "cmov",
    "movbe",
    "movnti",
    "push-pop",
    "sse",
    "string",
    "stack",
    "muldiv",
    "shiftd",
    "scan",
    "bmi",
    "branch",
    "segment",
    "simd",
    "x87",
];

/// The "branch" forms generated (indexes into its names): ret, ret imm16,
/// leave, enter (levels 0..3), call [mmio] onto an MMIO stack and onto a
/// RAM stack, jmp [mmio], iretq, retfq, retfd. Not yet: a far call onto an
/// MMIO stack (10): KVM reports only its return-address push (at RSP
/// after both pushes, RIP and CS already at the target) and drops the CS
/// push, so the exit path cannot present the call (see README, run.rs).
pub const BRANCH_FORMS: &[u64] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/// The "segment" forms generated: MOV Sreg, POP Sreg, PUSH Sreg onto an
/// MMIO stack, LFS/LGS.
pub const SEGMENT_FORMS: &[u64] = &[0, 1, 2, 3];

/// The "x87" forms generated: 0..40 (FNSTCW to MMIO, 39, is a store
/// KVM's own emulator performs, presented at the instruction by
/// `decode::undo_retired`).
pub const X87_FORMS: u64 = 40;

/// What the generator chose for the memory operand.
struct Mem {
    op: AsmMemoryOperand,
    /// Extra register values the address needs: (register, value).
    regs: Vec<(usize, u64)>,
    /// The operand's offset in the data window.
    offset: u64,
}

/// A memory operand at `offset` in the data window, with a random
/// addressing form (base, base+disp, base+index*scale+disp, addr32,
/// segment override).
fn mem(rng: &mut Rng, offset: u64, text: &mut String) -> Mem {
    let target = DATA + offset;
    let base = rng.pick(&ADDR_REGS);
    let disp: i32 = match rng.below(3) {
        0 => 0,
        1 => rng.below(256) as i32 - 128,
        _ => rng.below(0x1000) as i32 - 0x800,
    };
    let addr32 = rng.chance(15);
    let mut regs = Vec::new();
    let index = (rng.chance(40))
        .then(|| {
            let i = rng.pick(&ADDR_REGS);
            (i != base).then_some(i)
        })
        .flatten();
    let mut op: AsmMemoryOperand;
    let mut rest = target.wrapping_sub(disp as i64 as u64);
    if let Some(i) = index {
        let scale = rng.pick(&[1u32, 2, 4, 8]);
        let v = rng.below(16);
        rest = rest.wrapping_sub(v * u64::from(scale));
        regs.push((i, v));
        op = if addr32 {
            R32[base] + R32[i] * scale + disp
        } else {
            R64[base] + R64[i] * scale + disp
        };
        text.push_str(&format!("[r{base}+r{i}*{scale}{disp:+}]"));
    } else {
        op = if addr32 {
            R32[base] + disp
        } else {
            R64[base] + disp
        };
        text.push_str(&format!("[r{base}{disp:+}]"));
    }
    if addr32 {
        text.push_str(" a32");
        // Upper bits the CPU ignores with 0x67.
        rest |= rng.below(2) << 40;
    }
    regs.insert(0, (base, rest));
    if rng.chance(15) {
        op = match rng.below(3) {
            0 => op.ds(),
            1 => op.ss(),
            _ => op.es(),
        };
        text.push_str(" seg");
    }
    Mem { op, regs, offset }
}

/// An operand offset for `size` bytes: anywhere, near the page boundary
/// (crossing it), or aligned.
fn offset(rng: &mut Rng, size: u64, align: bool) -> u64 {
    let o = match rng.below(5) {
        0 => 0x1000 - rng.below(size.max(2)),
        _ => 0x100 + rng.below(0x1c00),
    };
    if align { o & !(size.max(1) - 1) } else { o }
}

/// A data register other than those in `used`.
fn data_reg(rng: &mut Rng, used: &[(usize, u64)]) -> usize {
    loop {
        let r = rng.pick(&DATA_REGS);
        if !used.iter().any(|(u, _)| *u == r) {
            return r;
        }
    }
}

macro_rules! sized_m {
    ($a:expr, $op:ident, $m:expr, $size:expr $(, $x:expr)?) => {
        match $size {
            1 => $a.$op(byte_ptr($m) $(, $x)?),
            2 => $a.$op(word_ptr($m) $(, $x)?),
            4 => $a.$op(dword_ptr($m) $(, $x)?),
            _ => $a.$op(qword_ptr($m) $(, $x)?),
        }
    };
}

macro_rules! sized_m_r {
    ($a:expr, $op:ident, $m:expr, $size:expr, $r:expr, $high:expr) => {
        match $size {
            1 if $high => $a.$op(byte_ptr($m), H8[$r & 3]),
            1 => $a.$op(byte_ptr($m), R8[$r]),
            2 => $a.$op(word_ptr($m), R16[$r]),
            4 => $a.$op(dword_ptr($m), R32[$r]),
            _ => $a.$op(qword_ptr($m), R64[$r]),
        }
    };
}

macro_rules! sized_r_m {
    ($a:expr, $op:ident, $m:expr, $size:expr, $r:expr, $high:expr) => {
        match $size {
            1 if $high => $a.$op(H8[$r & 3], byte_ptr($m)),
            1 => $a.$op(R8[$r], byte_ptr($m)),
            2 => $a.$op(R16[$r], word_ptr($m)),
            4 => $a.$op(R32[$r], dword_ptr($m)),
            _ => $a.$op(R64[$r], qword_ptr($m)),
        }
    };
}

/// Generates case `seed` of `family` (None if the random choice did not
/// assemble, e.g. AH with a REX prefix; the caller moves on).
pub fn generate(family: &str, seed: u64, entry: u64) -> Option<Case> {
    let mut rng = Rng::new(seed ^ 0x5eed_0000_0000_0000);
    let mut gpr = [0u64; 16];
    for g in gpr.iter_mut() {
        *g = rng.value();
    }
    let mut rflags = 0x202;
    for bit in [0u64, 2, 4, 6, 7, 11] {
        if rng.chance(50) {
            rflags |= 1 << bit;
        }
    }
    let xmm = [(); 4].map(|_| u128::from(rng.next()) << 64 | u128::from(rng.next()));
    let mut data: Vec<u8> = (0..DATA_LEN).map(|_| rng.next() as u8).collect();
    let mut scratch: Vec<u8> = (0..SCRATCH_LEN).map(|_| rng.next() as u8).collect();
    let mut a = CodeAssembler::new(64).ok()?;
    let mut text = String::new();
    let size = rng.pick(&[1u64, 2, 4, 8]);
    let mut count = 0u32;
    let mut regs: Vec<(usize, u64)> = Vec::new();
    let result: Result<(), IcedError> = match family {
        "mov-store" | "alu" | "exchange" | "unary" | "shift" | "setcc" | "movnti" => {
            let size = match family {
                "setcc" => 1,
                "movnti" => rng.pick(&[4, 8]),
                _ => size,
            };
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let r = data_reg(&mut rng, &regs);
            let high = size == 1 && r < 4 && rng.chance(25);
            let lock = rng.chance(20);
            let imm = rng.value() as i32;
            let imm = match size {
                1 => imm as i8 as i32,
                2 => imm as i16 as i32,
                _ => imm,
            };
            let op = m.op;
            let _ = m.offset;
            match family {
                "mov-store" => {
                    text.insert_str(0, &format!("mov{size} "));
                    if rng.chance(50) {
                        sized_m_r!(a, mov, op, size, r, high)
                    } else {
                        sized_m!(a, mov, op, size, imm)
                    }
                }
                "movnti" => {
                    text.insert_str(0, &format!("movnti{size} "));
                    if size == 4 {
                        a.movnti(dword_ptr(op), R32[r])
                    } else {
                        a.movnti(qword_ptr(op), R64[r])
                    }
                }
                "setcc" => {
                    let cc = rng.below(6);
                    text.insert_str(0, &format!("set{cc} "));
                    let m = byte_ptr(op);
                    match cc {
                        0 => a.sete(m),
                        1 => a.setb(m),
                        2 => a.setl(m),
                        3 => a.sets(m),
                        4 => a.seto(m),
                        _ => a.setp(m),
                    }
                }
                "unary" => {
                    let k = rng.below(4);
                    text.insert_str(0, &format!("unary{k}.{size} "));
                    if lock {
                        let _ = a.lock();
                    }
                    match k {
                        0 => sized_m!(a, not, op, size),
                        1 => sized_m!(a, neg, op, size),
                        2 => sized_m!(a, inc, op, size),
                        _ => sized_m!(a, dec, op, size),
                    }
                }
                "exchange" => {
                    let k = rng.below(3);
                    text.insert_str(0, &format!("xchg{k}.{size} "));
                    if k == 2 && r != 0 && !regs.iter().any(|(u, _)| *u == 0) && rng.chance(50) {
                        // cmpxchg: make RAX equal to the memory half the time.
                        let o = m.offset as usize;
                        let n = size as usize;
                        let mut v = [0u8; 8];
                        v[..n].copy_from_slice(&data[o..o + n]);
                        let keep = if n == 8 {
                            0
                        } else {
                            gpr[0] & !((1u64 << (8 * n)) - 1)
                        };
                        regs.push((0, u64::from_le_bytes(v) | keep));
                    }
                    if lock && k != 0 {
                        let _ = a.lock();
                    }
                    match k {
                        0 => sized_m_r!(a, xchg, op, size, r, high),
                        1 => sized_m_r!(a, xadd, op, size, r, high),
                        _ => sized_m_r!(a, cmpxchg, op, size, r, high),
                    }
                }
                "shift" => {
                    let k = rng.below(7);
                    let form = rng.below(3);
                    count = match form {
                        0 => 1,
                        1 => rng.pick(&[0u32, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 200]),
                        _ => (gpr[1] & 0xff) as u32,
                    };
                    text.insert_str(0, &format!("shift{k}.{form}.{size} n={count} "));
                    macro_rules! sh {
                        ($op:ident) => {
                            match form {
                                0 => sized_m!(a, $op, op, size, 1),
                                1 => sized_m!(a, $op, op, size, count as i32),
                                _ => sized_m!(a, $op, op, size, cl),
                            }
                        };
                    }
                    if form == 2 && regs.iter().any(|(r, _)| *r == 1) {
                        return None;
                    }
                    match k {
                        0 => sh!(shl),
                        1 => sh!(shr),
                        2 => sh!(sar),
                        3 => sh!(rol),
                        4 => sh!(ror),
                        5 => sh!(rcl),
                        _ => sh!(rcr),
                    }
                }
                _ => {
                    // alu
                    let k = rng.below(9);
                    let form = rng.below(3);
                    text.insert_str(0, &format!("alu{k}.{form}.{size} "));
                    if lock && form != 1 && k != 7 && k != 8 {
                        let _ = a.lock();
                    }
                    macro_rules! alu {
                        ($op:ident) => {
                            match form {
                                0 => sized_m_r!(a, $op, op, size, r, high),
                                1 => sized_r_m!(a, $op, op, size, r, high),
                                _ => sized_m!(a, $op, op, size, imm),
                            }
                        };
                    }
                    match k {
                        0 => alu!(add),
                        1 => alu!(or),
                        2 => alu!(adc),
                        3 => alu!(sbb),
                        4 => alu!(and),
                        5 => alu!(sub),
                        6 => alu!(xor),
                        7 => alu!(cmp),
                        _ => match form {
                            1 | 0 => sized_m_r!(a, test, op, size, r, high),
                            _ => sized_m!(a, test, op, size, imm),
                        },
                    }
                }
            }
        }
        "mov-load" | "movx" | "cmov" | "movbe" | "bit" => {
            let size = match family {
                "movx" => rng.pick(&[1, 2, 4]),
                "cmov" | "movbe" | "bit" => rng.pick(&[2, 4, 8]),
                _ => size,
            };
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let r = data_reg(&mut rng, &regs);
            let high = size == 1 && r < 4 && rng.chance(25);
            let op = m.op;
            match family {
                "mov-load" => {
                    text.insert_str(0, &format!("load{size} "));
                    sized_r_m!(a, mov, op, size, r, high)
                }
                "movx" => {
                    let to64 = rng.chance(50);
                    let signed = rng.chance(50);
                    text.insert_str(0, &format!("movx{size} s={signed} q={to64} "));
                    match (size, signed, to64) {
                        (1, false, false) => a.movzx(R32[r], byte_ptr(op)),
                        (1, false, true) => a.movzx(R64[r], byte_ptr(op)),
                        (1, true, false) => a.movsx(R32[r], byte_ptr(op)),
                        (1, true, true) => a.movsx(R64[r], byte_ptr(op)),
                        (2, false, false) => a.movzx(R32[r], word_ptr(op)),
                        (2, false, true) => a.movzx(R64[r], word_ptr(op)),
                        (2, true, false) => a.movsx(R32[r], word_ptr(op)),
                        (2, true, true) => a.movsx(R64[r], word_ptr(op)),
                        _ => a.movsxd(R64[r], dword_ptr(op)),
                    }
                }
                "cmov" => {
                    let cc = rng.below(4);
                    text.insert_str(0, &format!("cmov{cc}.{size} "));
                    macro_rules! cm {
                        ($op:ident) => {
                            match size {
                                2 => a.$op(R16[r], word_ptr(op)),
                                4 => a.$op(R32[r], dword_ptr(op)),
                                _ => a.$op(R64[r], qword_ptr(op)),
                            }
                        };
                    }
                    match cc {
                        0 => cm!(cmove),
                        1 => cm!(cmovb),
                        2 => cm!(cmovl),
                        _ => cm!(cmovs),
                    }
                }
                "movbe" => {
                    let store = rng.chance(50);
                    text.insert_str(0, &format!("movbe{size} st={store} "));
                    match (size, store) {
                        (2, false) => a.movbe(R16[r], word_ptr(op)),
                        (4, false) => a.movbe(R32[r], dword_ptr(op)),
                        (_, false) => a.movbe(R64[r], qword_ptr(op)),
                        (2, true) => a.movbe(word_ptr(op), R16[r]),
                        (4, true) => a.movbe(dword_ptr(op), R32[r]),
                        (_, true) => a.movbe(qword_ptr(op), R64[r]),
                    }
                }
                _ => {
                    let k = rng.below(4);
                    let by_reg = rng.chance(50);
                    let bit = rng.below(256) as i32;
                    text.insert_str(0, &format!("bit{k}.{size} reg={by_reg} "));
                    if by_reg {
                        // A register bit offset moves the access: keep it
                        // within ±32 bytes of the operand.
                        gpr[r] = rng.below(512).wrapping_sub(256);
                        regs.push((r, gpr[r]));
                    }
                    if rng.chance(20) && k != 0 {
                        let _ = a.lock();
                    }
                    macro_rules! bt {
                        ($op:ident) => {
                            match (size, by_reg) {
                                (2, false) => a.$op(word_ptr(op), bit),
                                (4, false) => a.$op(dword_ptr(op), bit),
                                (_, false) => a.$op(qword_ptr(op), bit),
                                (2, true) => a.$op(word_ptr(op), R16[r]),
                                (4, true) => a.$op(dword_ptr(op), R32[r]),
                                (_, true) => a.$op(qword_ptr(op), R64[r]),
                            }
                        };
                    }
                    match k {
                        0 => bt!(bt),
                        1 => bt!(bts),
                        2 => bt!(btr),
                        _ => bt!(btc),
                    }
                }
            }
        }
        "push-pop" => {
            let size = rng.pick(&[2u64, 8]);
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let pop = rng.chance(50);
            text.insert_str(0, &format!("{}{size} ", if pop { "pop" } else { "push" }));
            match (size, pop) {
                (2, false) => a.push(word_ptr(m.op)),
                (_, false) => a.push(qword_ptr(m.op)),
                (2, true) => a.pop(word_ptr(m.op)),
                (_, true) => a.pop(qword_ptr(m.op)),
            }
        }
        "sse" => {
            let k = rng.below(8);
            let size = match k {
                0 | 1 => 4,
                2 | 3 => 8,
                _ => 16,
            };
            let aligned = matches!(k, 6 | 7);
            let off = offset(&mut rng, size, aligned);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let x = XMM[rng.below(4) as usize];
            let op = m.op;
            text.insert_str(0, &format!("sse{k} "));
            match (k, rng.chance(50)) {
                (0, _) => a.movd(x, dword_ptr(op)),
                (1, _) => a.movd(dword_ptr(op), x),
                (2, _) => a.movq(x, qword_ptr(op)),
                (3, _) => a.movq(qword_ptr(op), x),
                (4, true) => a.movdqu(x, xmmword_ptr(op)),
                (4, false) => a.movups(x, xmmword_ptr(op)),
                (5, true) => a.movdqu(xmmword_ptr(op), x),
                (5, false) => a.vmovdqu(xmmword_ptr(op), x),
                (6, true) => a.movdqa(x, xmmword_ptr(op)),
                (6, false) => a.movaps(x, xmmword_ptr(op)),
                (_, true) => a.movdqa(xmmword_ptr(op), x),
                (_, false) => a.movaps(xmmword_ptr(op), x),
            }
        }
        "string" => return string_case(rng, seed, gpr, rflags, xmm, data, scratch, entry),
        "muldiv" => {
            // mul, imul, div, idiv r/m; imul r, r/m; imul r, r/m, imm.
            let k = rng.below(6);
            let size = if k >= 4 {
                rng.pick(&[2u64, 4, 8])
            } else {
                size
            };
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let r = data_reg(&mut rng, &regs);
            let free = |x: usize| !regs.iter().any(|(u, _)| *u == x);
            // Dividends whose quotients mostly fit: a small or
            // sign-extending high half.
            if (k == 2 || k == 3) && free(2) && free(0) && rng.chance(70) {
                let hi = if k == 3 && gpr[0] >> (size * 8 - 1) & 1 == 1 {
                    u64::MAX
                } else {
                    0
                };
                if size == 1 {
                    gpr[0] = (gpr[0] & !0xff00) | (hi & 0xff00);
                } else {
                    regs.push((2, hi));
                }
            }
            let imm = rng.value() as i32;
            text.insert_str(0, &format!("muldiv{k}.{size} "));
            let op = m.op;
            match k {
                0 => sized_m!(a, mul, op, size),
                1 => sized_m!(a, imul, op, size),
                2 => sized_m!(a, div, op, size),
                3 => sized_m!(a, idiv, op, size),
                4 => match size {
                    2 => a.imul_2(R16[r], word_ptr(op)),
                    4 => a.imul_2(R32[r], dword_ptr(op)),
                    _ => a.imul_2(R64[r], qword_ptr(op)),
                },
                _ => match size {
                    2 => a.imul_3(R16[r], word_ptr(op), imm as i16 as i32),
                    4 => a.imul_3(R32[r], dword_ptr(op), imm),
                    _ => a.imul_3(R64[r], qword_ptr(op), imm),
                },
            }
        }
        "shiftd" => {
            let size = rng.pick(&[2u64, 4, 8]);
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let r = data_reg(&mut rng, &regs);
            let left = rng.chance(50);
            let by_cl = rng.chance(50);
            // A 16-bit operand shifted by more than 16 is undefined
            // (result too): not generated.
            let max = if size == 2 { 17 } else { 64 };
            count = rng.below(max) as u32;
            if by_cl {
                if regs.iter().any(|(u, _)| *u == 1) || r == 1 {
                    return None;
                }
                // CL's bits above the count mask are ignored.
                let ignored = if size == 8 { 0 } else { rng.below(8) << 5 };
                let c = u64::from(count) | ignored;
                count = c as u32;
                regs.push((1, (gpr[1] & !0xff) | c));
            }
            text.insert_str(
                0,
                &format!(
                    "shiftd{}.{size} n={count} cl={by_cl} ",
                    if left { "l" } else { "r" }
                ),
            );
            let op = m.op;
            macro_rules! sd {
                ($op:ident) => {
                    match (size, by_cl) {
                        (2, true) => a.$op(word_ptr(op), R16[r], cl),
                        (4, true) => a.$op(dword_ptr(op), R32[r], cl),
                        (_, true) => a.$op(qword_ptr(op), R64[r], cl),
                        (2, false) => a.$op(word_ptr(op), R16[r], count),
                        (4, false) => a.$op(dword_ptr(op), R32[r], count),
                        (_, false) => a.$op(qword_ptr(op), R64[r], count),
                    }
                };
            }
            if left { sd!(shld) } else { sd!(shrd) }
        }
        "scan" => {
            let size = rng.pick(&[2u64, 4, 8]);
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let r = data_reg(&mut rng, &regs);
            // A zero source a quarter of the time; else few bits.
            let o = m.offset as usize;
            if rng.chance(25) {
                data[o..o + size as usize].fill(0);
            } else if rng.chance(30) {
                let bit = rng.below(size * 8);
                let v = (1u64 << bit).to_le_bytes();
                data[o..o + size as usize].copy_from_slice(&v[..size as usize]);
            }
            let k = rng.below(5);
            text.insert_str(0, &format!("scan{k}.{size} "));
            let op = m.op;
            macro_rules! sc {
                ($op:ident) => {
                    match size {
                        2 => a.$op(R16[r], word_ptr(op)),
                        4 => a.$op(R32[r], dword_ptr(op)),
                        _ => a.$op(R64[r], qword_ptr(op)),
                    }
                };
            }
            match k {
                0 => sc!(bsf),
                1 => sc!(bsr),
                2 => sc!(tzcnt),
                3 => sc!(lzcnt),
                _ => sc!(popcnt),
            }
        }
        "bmi" => {
            let k = rng.below(16);
            let size: u64 = match k {
                15 => rng.pick(&[1, 2, 4, 8]),
                _ => rng.pick(&[4, 8]),
            };
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let d = data_reg(&mut rng, &regs);
            regs.push((d, gpr[d]));
            let s2 = data_reg(&mut rng, &regs);
            // BEXTR/BZHI controls in range half the time.
            if matches!(k, 1 | 5) && rng.chance(50) {
                gpr[s2] = rng.below(0x4848);
            }
            regs.pop();
            let imm = rng.below(256) as u32;
            text.insert_str(0, &format!("bmi{k}.{size} "));
            let op = m.op;
            let q = size == 8;
            macro_rules! last {
                ($op:ident) => {
                    if q {
                        a.$op(R64[d], R64[s2], qword_ptr(op))
                    } else {
                        a.$op(R32[d], R32[s2], dword_ptr(op))
                    }
                };
            }
            macro_rules! mid {
                ($op:ident) => {
                    if q {
                        a.$op(R64[d], qword_ptr(op), R64[s2])
                    } else {
                        a.$op(R32[d], dword_ptr(op), R32[s2])
                    }
                };
            }
            macro_rules! two {
                ($op:ident) => {
                    if q {
                        a.$op(R64[d], qword_ptr(op))
                    } else {
                        a.$op(R32[d], dword_ptr(op))
                    }
                };
            }
            match k {
                0 => last!(andn),
                1 => mid!(bextr),
                2 => two!(blsi),
                3 => two!(blsmsk),
                4 => two!(blsr),
                5 => mid!(bzhi),
                6 => last!(pdep),
                7 => last!(pext),
                8 => mid!(sarx),
                9 => mid!(shlx),
                10 => mid!(shrx),
                11 => {
                    if q {
                        a.rorx(R64[d], qword_ptr(op), imm)
                    } else {
                        a.rorx(R32[d], dword_ptr(op), imm)
                    }
                }
                12 => {
                    if regs.iter().any(|(u, _)| *u == 2) {
                        return None;
                    }
                    last!(mulx)
                }
                13 => two!(adcx),
                14 => two!(adox),
                _ => match size {
                    1 if q => a.crc32(R64[d], byte_ptr(op)),
                    1 => a.crc32(R32[d], byte_ptr(op)),
                    2 => a.crc32(R32[d], word_ptr(op)),
                    4 => a.crc32(R32[d], dword_ptr(op)),
                    _ => a.crc32(R64[d], qword_ptr(op)),
                },
            }
        }
        "branch" => {
            // RSP (or RBP, or the operand) in the data window for one
            // control transfer that lands on `next`: R13 keeps the real
            // stack, R14 gets RSP after the instruction.
            let k = rng.pick(BRANCH_FORMS);
            let names = [
                "ret",
                "ret-imm",
                "leave",
                "enter",
                "call-mmio",
                "call-mmio-ram-stack",
                "jmp-mmio",
                "iretq",
                "retfq",
                "retfd",
                "call-far-d",
            ];
            let slot = match rng.below(4) {
                0 => 0x1000 - 8 * rng.below(3), // frames across the page start
                _ => (0x400 + rng.below(0x1800)) & !7,
            };
            // A second place in the window (an operand, an old frame), in
            // the other half.
            let other = if slot < 0x1000 { 0x1400 } else { 0x400 } + (rng.below(0x400) & !7);
            let level = rng.below(4);
            let alloc = rng.below(0x40) as u32 * 8;
            let ram_stack = SCRATCH + 0x1000;
            text = format!(
                "branch {} rsp=data+{slot:#x} other=data+{other:#x} level={level} alloc={alloc:#x}",
                names[k as usize]
            );
            let stack_at = if k == 5 { ram_stack } else { DATA + slot };
            let emit = |a: &mut CodeAssembler| -> Result<(), IcedError> {
                if k == 2 || k == 3 {
                    a.mov(rbp, DATA + other)?;
                }
                a.mov(r13, rsp)?;
                a.mov(rsp, stack_at)?;
                match k {
                    0 => a.ret(),
                    1 => a.ret_1(0x18),
                    2 => a.leave(),
                    3 => a.enter(alloc, level as u32),
                    4 | 5 => a.call(qword_ptr(DATA + other)),
                    6 => a.jmp(qword_ptr(DATA + other)),
                    7 => a.iretq(),
                    8 => a.db(&[0x48, 0xcb]),
                    9 => a.retf(),
                    _ => a.call(fword_ptr(SCRATCH + 0x800)),
                }
            };
            let next = (|| -> Result<u64, IcedError> {
                let mut head = CodeAssembler::new(64)?;
                emit(&mut head)?;
                Ok(entry + head.assemble(entry)?.len() as u64)
            })()
            .ok()?;
            let put = |data: &mut Vec<u8>, at: u64, bytes: &[u8]| {
                let at = at as usize;
                data[at..at + bytes.len()].copy_from_slice(bytes);
            };
            let mut flags = 0x202u64;
            for bit in [0u64, 2, 4, 6, 7, 10, 11] {
                if rng.chance(50) {
                    flags |= 1 << bit;
                }
            }
            match k {
                0 | 1 => put(&mut data, slot, &next.to_le_bytes()),
                2 => {}
                4..=6 => put(&mut data, other, &next.to_le_bytes()),
                7 => {
                    let rsp_after = DATA + slot + 40;
                    for (i, v) in [next, 0x33, flags, rsp_after, 0x2b].iter().enumerate() {
                        put(&mut data, slot + 8 * i as u64, &v.to_le_bytes());
                    }
                }
                8 => {
                    put(&mut data, slot, &next.to_le_bytes());
                    put(&mut data, slot + 8, &0x33u64.to_le_bytes());
                }
                9 => {
                    put(&mut data, slot, &(next as u32).to_le_bytes());
                    put(&mut data, slot + 4, &0x33u32.to_le_bytes());
                }
                10 => {
                    let mut p = (next as u32).to_le_bytes().to_vec();
                    p.extend_from_slice(&0x33u16.to_le_bytes());
                    let at = 0x800usize;
                    scratch[at..at + 6].copy_from_slice(&p);
                }
                _ => {}
            }
            (|| {
                emit(&mut a)?;
                a.mov(r14, rsp)?;
                a.mov(rsp, r13)?;
                Ok(())
            })()
        }
        "segment" => {
            // A selector into FS/GS/DS/ES from MMIO (MOV, POP, LFS/LGS),
            // or PUSH of FS/GS onto an MMIO stack; R12W reads the register
            // back. Selectors both the guest's GDT and the host's (PVM runs
            // CPL3 loads natively) hold alike.
            let k = rng.pick(SEGMENT_FORMS);
            let sel: u16 = rng.pick(&[
                0, 1, 2, 3, 0x2b, 0x28, 0x29, 0x2a, 0x18, 0x1b, 0x10, 0x13, 0x33, 0x23, 0x08, 0x40,
                0x04, 0x07, 0x2f,
            ]);
            let which = rng.below(4) as usize;
            let sregs = [fs, gs, ds, es];
            let sreg = sregs[if k >= 1 { which % 2 } else { which }];
            let off = (0x400 + rng.below(0x1800)) & !7;
            text = format!("segment k={k} sel={sel:#x} reg={which} off={off:#x}");
            let put = |data: &mut Vec<u8>, at: u64, bytes: &[u8]| {
                let at = at as usize;
                data[at..at + bytes.len()].copy_from_slice(bytes);
            };
            match k {
                0 => put(&mut data, off, &sel.to_le_bytes()),
                1 => put(&mut data, off, &u64::from(sel).to_le_bytes()),
                3 => {
                    put(&mut data, off, &0x1234_5678u32.to_le_bytes());
                    put(&mut data, off + 4, &sel.to_le_bytes());
                }
                _ => {}
            }
            let r = rng.pick(&[0usize, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
            (|| {
                a.mov(r13, rsp)?;
                match k {
                    0 => a.mov(sreg, word_ptr(DATA + off))?,
                    1 => {
                        a.mov(rsp, DATA + off)?;
                        if which % 2 == 0 {
                            a.pop(fs)?
                        } else {
                            a.pop(gs)?
                        }
                    }
                    2 => {
                        // The register as the VMM set it (PVM does not
                        // report selectors CPL3 code loads natively).
                        let _ = r;
                        a.mov(rsp, DATA + off + 8)?;
                        if which % 2 == 0 {
                            a.push(fs)?
                        } else {
                            a.push(gs)?
                        }
                    }
                    _ => {
                        if which % 2 == 0 {
                            a.lfs(R32[r], fword_ptr(DATA + off))?
                        } else {
                            a.lgs(R32[r], fword_ptr(DATA + off))?
                        }
                    }
                }
                a.mov(r14, rsp)?;
                a.mov(rsp, r13)?;
                a.mov(r12w, sreg)?;
                Ok(())
            })()
        }
        "simd" => {
            // An SSE..SSE4.2/AES instruction with its source in MMIO; the
            // tail stores MXCSR (its flags) into the scratch area.
            let k = rng.below(44);
            let x = XMM[rng.below(4) as usize];
            let size: u64 = match k {
                1 | 3 | 39 | 40 | 41 => 8,
                2 | 38 | 42 | 43 => 4,
                33 | 34 => 2,
                24 => 8,
                _ => 16,
            };
            let off = offset(&mut rng, size, size == 16);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let r = data_reg(&mut rng, &regs);
            let imm = rng.below(256) as u32;
            let op = m.op;
            text.insert_str(0, &format!("simd{k} imm={imm} "));
            let x128 = xmmword_ptr(op);
            let done = match k {
                0 => a.addps(x, x128),
                1 => a.addsd(x, qword_ptr(op)),
                2 => a.divss(x, dword_ptr(op)),
                3 => a.mulsd(x, qword_ptr(op)),
                4 => a.mulpd(x, x128),
                5 => a.sqrtps(x, x128),
                6 => a.minps(x, x128),
                7 => a.maxpd(x, x128),
                8 => a.andnps(x, x128),
                9 => a.cvtps2dq(x, x128),
                10 => a.cvttpd2dq(x, x128),
                11 => a.cvtdq2ps(x, x128),
                12 => a.paddb(x, x128),
                13 => a.psubsw(x, x128),
                14 => a.pmaddwd(x, x128),
                15 => a.pcmpgtd(x, x128),
                16 => a.packuswb(x, x128),
                17 => a.punpckhbw(x, x128),
                18 => a.psllw(x, x128),
                19 => a.pshufb(x, x128),
                20 => a.phaddw(x, x128),
                21 => a.pmulld(x, x128),
                22 => a.pminud(x, x128),
                23 => a.pcmpgtq(x, x128),
                24 => a.pmovzxbw(x, qword_ptr(op)),
                25 => a.haddps(x, x128),
                26 => a.cmpps(x, x128, imm & 7),
                27 => a.roundps(x, x128, imm & 15),
                28 => a.shufps(x, x128, imm),
                29 => a.pshufd(x, x128, imm),
                30 => a.palignr(x, x128, imm & 31),
                31 => a.blendps(x, x128, imm & 15),
                32 => a.aesenc(x, x128),
                33 => a.pinsrw(x, word_ptr(op), imm & 7),
                34 => a.pextrw(word_ptr(op), x, imm & 7),
                35 => a.ptest(x, x128),
                36 => a.pavgb(x, x128),
                37 => a.pmuludq(x, x128),
                38 => a.comiss(x, dword_ptr(op)),
                39 => a.cvtsd2si(R64[r], qword_ptr(op)),
                40 => a.movhps(x, qword_ptr(op)),
                41 => a.movlpd(qword_ptr(op), x),
                42 => a.cvtsi2sd(x, dword_ptr(op)),
                _ => a.ucomiss(x, dword_ptr(op)),
            };
            done.and_then(|()| a.stmxcsr(dword_ptr(SCRATCH + 0x1ff0)))
        }
        "x87" => {
            // FNINIT, a control word and two values from the scratch area
            // (RAM in both runs), the instruction under test with its
            // operand in MMIO, then FSW, FCW and the whole stack stored to
            // the scratch area (FSTP of every register; a pending unmasked
            // exception makes the first FSTP take #MF in both runs).
            let k = rng.below(X87_FORMS);
            let size: u64 = match k {
                0 | 3 | 5 | 9 | 12 | 14 | 17 | 21..=26 | 31 | 33 | 35 | 37 => 4,
                1 | 4 | 6 | 10 | 15 | 18 | 27..=30 | 32 | 34 => 8,
                2 | 7 | 19 | 20 => 10,
                _ => 2,
            };
            let off = offset(&mut rng, size, false);
            let m = mem(&mut rng, off, &mut text);
            regs.extend(m.regs.iter().copied());
            let op = m.op;
            let rc = rng.below(4);
            let pc = rng.pick(&[0u64, 2, 3]);
            let unmask = if rng.chance(20) { rng.below(0x40) } else { 0 };
            let cw = (0x7f & !unmask) | (pc << 8) | (rc << 10);
            scratch[0x1800..0x1802].copy_from_slice(&(cw as u16).to_le_bytes());
            // Integers of every size fit: small values half the time.
            if rng.chance(50) && matches!(k, 8..=18 | 36..=39) {
                let v = (rng.below(2000) as i64 - 1000) as u64;
                let o = m.offset as usize;
                data[o..o + size as usize].copy_from_slice(&v.to_le_bytes()[..size as usize]);
            }
            text.insert_str(0, &format!("x87 k={k} cw={cw:#x} "));
            (|| {
                a.fninit()?;
                a.fld(qword_ptr(SCRATCH + 0x1808))?;
                a.fld(qword_ptr(SCRATCH + 0x1810))?;
                a.fldcw(word_ptr(SCRATCH + 0x1800))?;
                match k {
                    0 => a.fld(dword_ptr(op))?,
                    1 => a.fld(qword_ptr(op))?,
                    2 => a.fld(tword_ptr(op))?,
                    3 => a.fst(dword_ptr(op))?,
                    4 => a.fst(qword_ptr(op))?,
                    5 => a.fstp(dword_ptr(op))?,
                    6 => a.fstp(qword_ptr(op))?,
                    7 => a.fstp(tword_ptr(op))?,
                    8 => a.fild(word_ptr(op))?,
                    9 => a.fild(dword_ptr(op))?,
                    10 => a.fild(qword_ptr(op))?,
                    11 => a.fist(word_ptr(op))?,
                    12 => a.fist(dword_ptr(op))?,
                    13 => a.fistp(word_ptr(op))?,
                    14 => a.fistp(dword_ptr(op))?,
                    15 => a.fistp(qword_ptr(op))?,
                    16 => a.fisttp(word_ptr(op))?,
                    17 => a.fisttp(dword_ptr(op))?,
                    18 => a.fisttp(qword_ptr(op))?,
                    19 => a.fbld(tword_ptr(op))?,
                    20 => a.fbstp(tword_ptr(op))?,
                    21 => a.fadd(dword_ptr(op))?,
                    22 => a.fmul(dword_ptr(op))?,
                    23 => a.fsub(dword_ptr(op))?,
                    24 => a.fsubr(dword_ptr(op))?,
                    25 => a.fdiv(dword_ptr(op))?,
                    26 => a.fdivr(dword_ptr(op))?,
                    27 => a.fadd(qword_ptr(op))?,
                    28 => a.fdiv(qword_ptr(op))?,
                    29 => a.fcom(qword_ptr(op))?,
                    30 => a.fcomp(qword_ptr(op))?,
                    31 => a.fcom(dword_ptr(op))?,
                    32 => a.fsubr(qword_ptr(op))?,
                    33 => a.fiadd(dword_ptr(op))?,
                    34 => a.fmul(qword_ptr(op))?,
                    35 => a.fimul(dword_ptr(op))?,
                    36 => a.fidiv(word_ptr(op))?,
                    37 => a.ficomp(dword_ptr(op))?,
                    38 => a.fldcw(word_ptr(op))?,
                    _ => a.fnstcw(word_ptr(op))?,
                }
                a.fnstsw(word_ptr(SCRATCH + 0x1820))?;
                a.fnstcw(word_ptr(SCRATCH + 0x1822))?;
                for i in 0..8u64 {
                    a.fstp(tword_ptr(SCRATCH + 0x1830 + 10 * i))?;
                }
                Ok(())
            })()
        }
        "stack" => {
            // RSP in the data window for one instruction: R13 keeps the
            // real stack, R14 gets RSP after the instruction.
            let size = rng.pick(&[2u64, 8]);
            let slot = match rng.below(4) {
                0 => 0x1000 + rng.below(8), // at or just across a page start
                _ => (0x100 + rng.below(0x1c00)) & !7,
            };
            let k = rng.below(if size == 8 { 7 } else { 3 });
            let names = [
                "push-reg", "push-imm", "pop-reg", "call-rel", "call-reg", "call-mem", "call-rip",
            ];
            text = format!("stack {}{size} rsp=data+{slot:#x}", names[k as usize]);
            let r = rng.pick(&[0usize, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
            let imm = rng.value() as i32;
            let mut next = a.create_label();
            let mut table = a.create_label();
            let mut over = a.create_label();
            // call-mem: the target in the scratch area at R64[r];
            // call-rip: in a qword after the code, RIP-relative.
            let cell = SCRATCH + (rng.below(SCRATCH_LEN as u64 - 8) & !7);
            (|| {
                // `next` follows mov r13,rsp; mov rsp,imm; ff 15 disp32.
                let mut head = CodeAssembler::new(64)?;
                head.mov(r13, rsp)?;
                head.mov(rsp, DATA + slot)?;
                let target = entry + head.assemble(entry)?.len() as u64 + 6;
                if k == 4 || k == 5 {
                    a.lea(R64[r], ptr(next))?;
                }
                if k == 5 {
                    a.mov(qword_ptr(cell), R64[r])?;
                    a.mov(R64[r], cell)?;
                }
                a.mov(r13, rsp)?;
                a.mov(rsp, DATA + slot)?;
                match (k, size) {
                    (0, 2) => a.push(R16[r])?,
                    (0, _) => a.push(R64[r])?,
                    (1, 2) => a.db(&[0x66, 0x68, imm as u8, (imm >> 8) as u8])?,
                    (1, _) => a.push(imm)?,
                    (2, 2) => a.pop(R16[r])?,
                    (2, _) => a.pop(R64[r])?,
                    (3, _) => a.call(next)?,
                    (4, _) => a.call(R64[r])?,
                    (5, _) => a.call(qword_ptr(R64[r]))?,
                    _ => a.call(qword_ptr(table))?,
                }
                a.set_label(&mut next)?;
                a.mov(r14, rsp)?;
                a.mov(rsp, r13)?;
                if k == 6 {
                    a.jmp(over)?;
                    a.set_label(&mut table)?;
                    a.dq(&[target])?;
                    a.set_label(&mut over)?;
                }
                Ok(())
            })()
        }
        _ => return None,
    };
    result.ok()?;
    for (r, v) in &regs {
        gpr[*r] = *v;
    }
    finish(a, seed, text, gpr, rflags, xmm, data, scratch, entry, count)
}

#[allow(clippy::too_many_arguments, reason = "the parts of a case")]
fn string_case(
    mut rng: Rng,
    seed: u64,
    mut gpr: [u64; 16],
    mut rflags: u64,
    xmm: [u128; 4],
    data: Vec<u8>,
    scratch: Vec<u8>,
    entry: u64,
) -> Option<Case> {
    let mut a = CodeAssembler::new(64).ok()?;
    let k = rng.below(5);
    let size = rng.pick(&[1u64, 2, 4, 8]);
    let rep = rng.below(3); // none, rep/repe, repne
    let df = rng.chance(40);
    if df {
        rflags |= 0x400;
    }
    let n = rng.below(5);
    if rep != 0 {
        gpr[1] = n;
    }
    let mmio_src = rng.chance(50);
    let mid = |rng: &mut Rng| 0x800 + rng.below(0x800);
    let data_at = DATA + mid(&mut rng);
    let ram_at = SCRATCH + mid(&mut rng);
    // RSI and RDI: movs/cmps use both, stos/scas RDI, lods RSI.
    let (src, dst) = if mmio_src {
        (data_at, ram_at)
    } else {
        (ram_at, data_at)
    };
    let (rsi_v, rdi_v) = match k {
        0 | 3 => (src, dst),
        1 | 4 => (gpr[6], data_at),
        _ => (data_at, gpr[7]),
    };
    gpr[6] = rsi_v;
    gpr[7] = rdi_v;
    let names = ["movs", "stos", "lods", "cmps", "scas"];
    let text = format!(
        "{}{} rep={rep} n={n} df={df} mmio_src={mmio_src}",
        names[k as usize], size
    );
    match rep {
        1 if k >= 3 => {
            let _ = a.repe();
        }
        1 => {
            let _ = a.rep();
        }
        2 if k >= 3 => {
            let _ = a.repne();
        }
        _ => {}
    }
    macro_rules! s {
        ($b:ident, $w:ident, $d:ident, $q:ident) => {
            match size {
                1 => a.$b(),
                2 => a.$w(),
                4 => a.$d(),
                _ => a.$q(),
            }
        };
    }
    let r = match k {
        0 => s!(movsb, movsw, movsd, movsq),
        1 => s!(stosb, stosw, stosd, stosq),
        2 => s!(lodsb, lodsw, lodsd, lodsq),
        3 => s!(cmpsb, cmpsw, cmpsd, cmpsq),
        _ => s!(scasb, scasw, scasd, scasq),
    };
    r.ok()?;
    finish(a, seed, text, gpr, rflags, xmm, data, scratch, entry, 0)
}

#[allow(clippy::too_many_arguments, reason = "the parts of a case")]
fn finish(
    mut a: CodeAssembler,
    seed: u64,
    text: String,
    gpr: [u64; 16],
    rflags: u64,
    xmm: [u128; 4],
    data: Vec<u8>,
    scratch: Vec<u8>,
    entry: u64,
    count: u32,
) -> Option<Case> {
    // The tail: RFLAGS into R15, then a clean RFLAGS and HLT (at CPL3 a
    // #GP that the guest's handler turns into a plain HLT exit).
    a.pushfq().ok()?;
    a.pop(r15).ok()?;
    a.push(0x202).ok()?;
    a.popfq().ok()?;
    a.hlt().ok()?;
    let code = a.assemble(entry).ok()?;
    let instr = Decoder::with_ip(64, &code, entry, DecoderOptions::NONE).decode();
    let undefined = winhv_emu::undefined_flags(&instr, count);
    Some(Case {
        seed,
        text,
        len: instr.len(),
        code,
        gpr,
        rflags,
        xmm,
        data,
        scratch,
        undefined,
    })
}
