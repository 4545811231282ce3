//! x87 instructions with a memory operand: FLD/FST/FSTP (m32, m64, m80),
//! FILD/FIST/FISTP/FISTTP (m16, m32, m64), FBLD/FBSTP, the arithmetic and
//! compares with a memory source (FADD FMUL FSUB FSUBR FDIV FDIVR FCOM
//! FCOMP on m32/m64, FIADD … FICOMP on m16/m32), FLDCW, FNSTCW, FNSTSW,
//! FLDENV and FNSTENV.
//!
//! The x87 state travels through the register callbacks: `FpMmx0..7`
//! (ST(0)..ST(7), in stack order), `FpControlStatus` and
//! `XmmControlStatus` — together the legacy FXSAVE area, which is how the
//! data instructions run: on the host processor, between an `fxrstor64`
//! of that area (the host's own MXCSR and XMM registers kept) and an
//! `fxsave64`, the host's x87 state saved before and restored after in the
//! same `asm!` block, with the memory operand in a local buffer (read from
//! the guest before, written to it after). The results — rounding,
//! precision control, the stack, tags, exception flags and masked
//! responses — are the processor's. The environment instructions and the
//! control/status word moves are done in software.
//!
//! As the CPU: CR0.EM or CR0.TS raises `#NM`; a waiting instruction with
//! an unmasked exception pending (FSW.ES) raises `#MF` before it runs
//! (also with CR0.NE clear, where the CPU would signal FERR# instead:
//! our choice, there is no FERR# to give); a store whose unmasked
//! invalid-operation, denormal, divide-by-zero, overflow or underflow
//! exception fires writes no memory (the exception itself is taken at the
//! guest's next waiting x87 instruction, ES being set). The last
//! instruction and data pointers and the opcode (FIP, FCS, FDP, FDS,
//! FOP) are set for the data instructions, as processors that keep them
//! always do (recent Intel ones keep FDP only on exceptions; AMD ones save
//! them only with an exception pending).

use crate::callbacks::Callbacks;
use crate::cpu::{Cpu, Mode};
use crate::exec::seg_index;
use crate::regval;
use crate::segment::Access;
use crate::status::{Step, Stop, vector};
use core::arch::asm;
use iced_x86::{Code, Instruction, Mnemonic};
use winhv_defs::*;

/// CR0.EM, CR0.TS.
const CR0_EM: u64 = 1 << 2;
const CR0_TS: u64 = 1 << 3;
/// FSW.ES.
const FSW_ES: u16 = 1 << 7;
/// FSW.B.
const FSW_B: u16 = 1 << 15;

/// A 512-byte FXSAVE image, 16-byte aligned.
#[repr(C, align(16))]
struct Image([u8; 512]);

impl Image {
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.0[at], self.0[at + 1]])
    }
    fn set_u16(&mut self, at: usize, v: u16) {
        self.0[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn u128(&self, at: usize) -> u128 {
        u128::from_le_bytes(self.0[at..at + 16].try_into().unwrap_or_default())
    }
    fn set_u128(&mut self, at: usize, v: u128) {
        self.0[at..at + 16].copy_from_slice(&v.to_le_bytes());
    }
}

/// The guest's x87 state: FpMmx0..7, FpControlStatus, XmmControlStatus
/// (FXSAVE bytes 32..160, 0..16, 16..32).
struct State {
    st: [u128; 8],
    fcs: u128,
    xcs: u128,
}

impl State {
    fn fcw(&self) -> u16 {
        self.fcs as u16
    }
    fn fsw(&self) -> u16 {
        (self.fcs >> 16) as u16
    }
    fn ftw(&self) -> u8 {
        (self.fcs >> 32) as u8
    }
}

/// The register names of the state, in [`State`] order.
const NAMES: [WHV_REGISTER_NAME; 11] = [
    WHvX64RegisterFpMmx0,
    WHvX64RegisterFpMmx1,
    WHvX64RegisterFpMmx2,
    WHvX64RegisterFpMmx3,
    WHvX64RegisterFpMmx4,
    WHvX64RegisterFpMmx5,
    WHvX64RegisterFpMmx6,
    WHvX64RegisterFpMmx7,
    WHvX64RegisterFpControlStatus,
    WHvX64RegisterXmmControlStatus,
    WHvX64RegisterCr0,
];

/// Whether `m` is one of this module's instructions.
pub(crate) fn handles(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Fld | Fst
            | Fstp
            | Fild
            | Fist
            | Fistp
            | Fisttp
            | Fbld
            | Fbstp
            | Fadd
            | Fmul
            | Fsub
            | Fsubr
            | Fdiv
            | Fdivr
            | Fcom
            | Fcomp
            | Fiadd
            | Fimul
            | Fisub
            | Fisubr
            | Fidiv
            | Fidivr
            | Ficom
            | Ficomp
            | Fldcw
            | Fnstcw
            | Fnstsw
            | Fldenv
            | Fnstenv
    )
}

/// Runs one of this module's instructions.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    use Mnemonic::*;
    if instr.op_count() != 1 || instr.op0_kind() != iced_x86::OpKind::Memory {
        return Err(Stop::UNSUPPORTED);
    }
    let mut v = [WHV_REGISTER_VALUE::default(); NAMES.len()];
    cpu.get_many(&NAMES, &mut v)?;
    let cr0 = regval::reg64(&v[10]);
    if cr0 & (CR0_EM | CR0_TS) != 0 {
        return Err(Stop::fault(vector::NM));
    }
    let mut s = State {
        st: [0; 8],
        fcs: regval::reg128(&v[8]),
        xcs: regval::reg128(&v[9]),
    };
    for (i, r) in s.st.iter_mut().enumerate() {
        *r = regval::reg128(&v[i]);
    }
    let m = instr.mnemonic();
    let waiting = !matches!(m, Fnstcw | Fnstsw | Fnstenv);
    // Pending: ES, or an exception flag its mask does not mask (the
    // processor derives ES from them; a VMM can hand over either alone).
    let pending = s.fsw() & FSW_ES != 0 || s.fsw() & !s.fcw() & 0x3f != 0;
    if waiting && pending {
        return Err(Stop::fault(vector::MF));
    }
    let (seg, off) = cpu.mem_offset(instr, 0)?;
    let before = (s.st, s.fcs, s.xcs);
    match m {
        Fldcw => {
            let cw = cpu.read_mem(seg, off, 2)? as u16;
            set_fcw(&mut s, cw);
        }
        Fnstcw => cpu.write_mem(seg, off, 2, u64::from(s.fcw()))?,
        Fnstsw => cpu.write_mem(seg, off, 2, u64::from(s.fsw()))?,
        Fldenv => load_env(cpu, instr, seg, off, &mut s)?,
        Fnstenv => store_env(cpu, instr, seg, off, &mut s)?,
        _ => data(cpu, instr, seg, off, &mut s)?,
    }
    // Only what changed goes back.
    for ((name, new), old) in NAMES.iter().zip(s.st).zip(before.0) {
        if new != old {
            cpu.stage(*name, regval::from128(new))?;
        }
    }
    if s.fcs != before.1 {
        cpu.stage(NAMES[8], regval::from128(s.fcs))?;
    }
    if s.xcs != before.2 {
        cpu.stage(NAMES[9], regval::from128(s.xcs))?;
    }
    Ok(())
}

/// FLDCW: a newly unmasked pending exception sets ES (and B).
fn set_fcw(s: &mut State, cw: u16) {
    let mut sw = s.fsw();
    if sw & !cw & 0x3f != 0 {
        sw |= FSW_ES | FSW_B;
    } else {
        sw &= !(FSW_ES | FSW_B);
    }
    s.fcs = (s.fcs & !0xffff_ffff) | u128::from(cw) | (u128::from(sw) << 16);
}

/// The memory operand's size and the host instruction for a data
/// instruction.
fn form(code: Code) -> Option<(usize, u8)> {
    use Code::*;
    // (size, index into `run`'s table)
    Some(match code {
        Fld_m32fp => (4, 0),
        Fld_m64fp => (8, 1),
        Fld_m80fp => (10, 2),
        Fst_m32fp => (4, 3),
        Fst_m64fp => (8, 4),
        Fstp_m32fp => (4, 5),
        Fstp_m64fp => (8, 6),
        Fstp_m80fp => (10, 7),
        Fild_m16int => (2, 8),
        Fild_m32int => (4, 9),
        Fild_m64int => (8, 10),
        Fist_m16int => (2, 11),
        Fist_m32int => (4, 12),
        Fistp_m16int => (2, 13),
        Fistp_m32int => (4, 14),
        Fistp_m64int => (8, 15),
        Fisttp_m16int => (2, 16),
        Fisttp_m32int => (4, 17),
        Fisttp_m64int => (8, 18),
        Fbld_m80bcd => (10, 19),
        Fbstp_m80bcd => (10, 20),
        Fadd_m32fp => (4, 21),
        Fadd_m64fp => (8, 22),
        Fmul_m32fp => (4, 23),
        Fmul_m64fp => (8, 24),
        Fsub_m32fp => (4, 25),
        Fsub_m64fp => (8, 26),
        Fsubr_m32fp => (4, 27),
        Fsubr_m64fp => (8, 28),
        Fdiv_m32fp => (4, 29),
        Fdiv_m64fp => (8, 30),
        Fdivr_m32fp => (4, 31),
        Fdivr_m64fp => (8, 32),
        Fcom_m32fp => (4, 33),
        Fcom_m64fp => (8, 34),
        Fcomp_m32fp => (4, 35),
        Fcomp_m64fp => (8, 36),
        Fiadd_m16int => (2, 37),
        Fiadd_m32int => (4, 38),
        Fimul_m16int => (2, 39),
        Fimul_m32int => (4, 40),
        Fisub_m16int => (2, 41),
        Fisub_m32int => (4, 42),
        Fisubr_m16int => (2, 43),
        Fisubr_m32int => (4, 44),
        Fidiv_m16int => (2, 45),
        Fidiv_m32int => (4, 46),
        Fidivr_m16int => (2, 47),
        Fidivr_m32int => (4, 48),
        Ficom_m16int => (2, 49),
        Ficom_m32int => (4, 50),
        Ficomp_m16int => (2, 51),
        Ficomp_m32int => (4, 52),
        _ => return None,
    })
}

/// Whether form `k` stores to memory (else it reads).
fn stores(k: u8) -> bool {
    matches!(k, 3..=7 | 11..=18 | 20)
}

/// Runs form `k` on the host with the x87 state of `img` and the memory
/// operand in `buf`.
fn run(k: u8, img: &mut Image, buf: &mut [u8; 16]) -> Option<()> {
    let mut host = Image([0; 512]);
    macro_rules! host {
        ($ins:literal) => {{
            // SAFETY: both images are 512 bytes, 16-byte aligned; `buf`
            // holds the largest operand (10 bytes). The host's FPU/SSE
            // state is saved first and restored last; `img` carries the
            // host's MXCSR (no reserved bits) and an x87 state without a
            // pending exception (no unmasked flag: checked before), so the
            // waiting instruction does not fault; an exception it raises
            // stays pending (FXSAVE and FXRSTOR do not wait).
            unsafe {
                asm!(
                    "fxsave64 [{h}]",
                    "fxrstor64 [{g}]",
                    concat!($ins, " [{b}]"),
                    "fxsave64 [{g}]",
                    "fxrstor64 [{h}]",
                    h = in(reg) host.0.as_mut_ptr(),
                    g = in(reg) img.0.as_mut_ptr(),
                    b = in(reg) buf.as_mut_ptr(),
                    options(nostack),
                )
            }
        }};
    }
    match k {
        0 => host!("fld dword ptr"),
        1 => host!("fld qword ptr"),
        2 => host!("fld tbyte ptr"),
        3 => host!("fst dword ptr"),
        4 => host!("fst qword ptr"),
        5 => host!("fstp dword ptr"),
        6 => host!("fstp qword ptr"),
        7 => host!("fstp tbyte ptr"),
        8 => host!("fild word ptr"),
        9 => host!("fild dword ptr"),
        10 => host!("fild qword ptr"),
        11 => host!("fist word ptr"),
        12 => host!("fist dword ptr"),
        13 => host!("fistp word ptr"),
        14 => host!("fistp dword ptr"),
        15 => host!("fistp qword ptr"),
        16 => host!("fisttp word ptr"),
        17 => host!("fisttp dword ptr"),
        18 => host!("fisttp qword ptr"),
        19 => host!("fbld tbyte ptr"),
        20 => host!("fbstp tbyte ptr"),
        21 => host!("fadd dword ptr"),
        22 => host!("fadd qword ptr"),
        23 => host!("fmul dword ptr"),
        24 => host!("fmul qword ptr"),
        25 => host!("fsub dword ptr"),
        26 => host!("fsub qword ptr"),
        27 => host!("fsubr dword ptr"),
        28 => host!("fsubr qword ptr"),
        29 => host!("fdiv dword ptr"),
        30 => host!("fdiv qword ptr"),
        31 => host!("fdivr dword ptr"),
        32 => host!("fdivr qword ptr"),
        33 => host!("fcom dword ptr"),
        34 => host!("fcom qword ptr"),
        35 => host!("fcomp dword ptr"),
        36 => host!("fcomp qword ptr"),
        37 => host!("fiadd word ptr"),
        38 => host!("fiadd dword ptr"),
        39 => host!("fimul word ptr"),
        40 => host!("fimul dword ptr"),
        41 => host!("fisub word ptr"),
        42 => host!("fisub dword ptr"),
        43 => host!("fisubr word ptr"),
        44 => host!("fisubr dword ptr"),
        45 => host!("fidiv word ptr"),
        46 => host!("fidiv dword ptr"),
        47 => host!("fidivr word ptr"),
        48 => host!("fidivr dword ptr"),
        49 => host!("ficom word ptr"),
        50 => host!("ficom dword ptr"),
        51 => host!("ficomp word ptr"),
        52 => host!("ficomp dword ptr"),
        _ => return None,
    }
    Some(())
}

/// The host's FXSAVE image (for its MXCSR and XMM registers).
fn host_image() -> Image {
    let mut img = Image([0; 512]);
    // SAFETY: FXSAVE64 writes 512 bytes at a 16-byte aligned address, which
    // `img` is; it changes no register.
    unsafe { asm!("fxsave64 [{a}]", a = in(reg) img.0.as_mut_ptr(), options(nostack)) };
    img
}

/// A data instruction on the host: the operand read before (loads), the
/// result written after (stores, unless an unmasked exception other than
/// precision fired), FIP/FCS/FOP/FDP/FDS set.
fn data<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    seg: usize,
    off: u64,
    s: &mut State,
) -> Step<()> {
    let (size, k) = form(instr.code()).ok_or(Stop::UNSUPPORTED)?;
    if (16..=18).contains(&k) && !crate::host::has(crate::host::Feature::Sse3) {
        return Err(Stop::ud()); // FISTTP is SSE3's
    }
    let store = stores(k);
    let access = if store { Access::Write } else { Access::Read };
    let span = cpu.resolve(seg, off, size, access)?;
    let mut buf = [0u8; 16];
    if !store {
        cpu.read_span(&span, &mut buf[..size])?;
    }
    let mut img = host_image();
    img.0[..16].copy_from_slice(&s.fcs.to_le_bytes());
    // Bytes 16..24: FDP; MXCSR and MXCSR_MASK stay the host's.
    img.0[16..24].copy_from_slice(&s.xcs.to_le_bytes()[..8]);
    for (i, v) in s.st.iter().enumerate() {
        img.set_u128(32 + 16 * i, *v);
    }
    run(k, &mut img, &mut buf).ok_or(Stop::UNSUPPORTED)?;
    let fsw = img.u16(2);
    let fcw = img.u16(0);
    // An unmasked IE, DE, ZE, OE or UE: the store does not happen.
    let blocked = fsw & !fcw & 0x1f != 0;
    if store && !blocked {
        cpu.write_span(&span, &buf[..size])?;
    }
    // The last instruction, opcode and data pointers.
    let (fop, fip, fdp) = pointers(cpu, instr, seg, off)?;
    img.set_u16(6, fop);
    img.0[8..16].copy_from_slice(&fip.to_le_bytes());
    img.0[16..24].copy_from_slice(&fdp.to_le_bytes());
    s.fcs = img.u128(0);
    s.xcs = (s.xcs & !u128::from(u64::MAX)) | u128::from(fdp);
    for (i, v) in s.st.iter_mut().enumerate() {
        // The 80 architectural bits; the rest reads as zero.
        *v = img.u128(32 + 16 * i) & ((1u128 << 80) - 1);
    }
    Ok(())
}

/// FOP, FIP (RIP, or EIP with CS above it) and FDP (the operand's offset,
/// or it with the segment's selector above it) for a data instruction.
fn pointers<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    seg: usize,
    off: u64,
) -> Step<(u16, u64, u64)> {
    let (op, modrm) = cpu.x87_opcode().ok_or(Stop::UNSUPPORTED)?;
    let fop = (u16::from(op & 7) << 8) | u16::from(modrm);
    if cpu.long64() {
        return Ok((fop, cpu.rip, off));
    }
    let cs = u64::from(cpu.cached_segment(crate::cpu::CS).Selector);
    let ds = u64::from(cpu.segment(seg_index(instr.memory_segment())?)?.Selector);
    let _ = seg;
    Ok((
        fop,
        (cpu.rip & 0xffff_ffff) | (cs << 32),
        (off & 0xffff_ffff) | (ds << 32),
    ))
}

/// The full two-bit tag of physical register `i` from the abridged tag and
/// the register's contents.
fn full_tag(s: &State, i: usize) -> u16 {
    if s.ftw() & (1 << i) == 0 {
        return 3;
    }
    let top = usize::from((s.fsw() >> 11) & 7);
    let v = s.st[(i + 8 - top) & 7];
    let mantissa = v as u64;
    let exp = ((v >> 64) & 0x7fff) as u16;
    match exp {
        0x7fff => 2,
        0 if mantissa == 0 => 1,
        0 => 2,
        _ if mantissa >> 63 == 0 => 2,
        _ => 0,
    }
}

/// The environment's layout: 28 bytes (32-bit operand size) or 14, the
/// real-mode form outside protected mode.
fn env_layout<C: Callbacks + ?Sized>(cpu: &Cpu<'_, C>, instr: &Instruction) -> (usize, bool) {
    let wide = instr.memory_size().size() >= 28;
    let real = matches!(cpu.mode, Mode::Real | Mode::Virtual8086);
    (if wide { 28 } else { 14 }, real)
}

/// FNSTENV: the environment stored, then every exception masked.
fn store_env<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    seg: usize,
    off: u64,
    s: &mut State,
) -> Step<()> {
    let (n, real) = env_layout(cpu, instr);
    let ftw = (0..8).fold(0u16, |t, i| t | (full_tag(s, i) << (2 * i)));
    let fip = (s.fcs >> 64) as u64;
    let fop = ((s.fcs >> 48) as u16) & 0x7ff;
    let fdp = s.xcs as u64;
    let mut words = [0u32; 7];
    words[0] = u32::from(s.fcw());
    words[1] = u32::from(s.fsw());
    words[2] = u32::from(ftw);
    if real {
        words[3] = fip as u32 & 0xffff;
        words[4] = ((fip as u32 >> 4) & 0xffff_f000) | u32::from(fop);
        words[5] = fdp as u32 & 0xffff;
        words[6] = (fdp as u32 >> 4) & 0xffff_f000;
    } else {
        words[3] = fip as u32;
        words[4] = ((fip >> 32) as u32 & 0xffff) | (u32::from(fop) << 16);
        words[5] = fdp as u32;
        words[6] = (fdp >> 32) as u32 & 0xffff;
    }
    let mut b = [0u8; 28];
    let unit = n / 7;
    for (i, w) in words.iter().enumerate() {
        b[i * unit..i * unit + unit].copy_from_slice(&w.to_le_bytes()[..unit]);
    }
    let span = cpu.resolve(seg, off, n, Access::Write)?;
    cpu.write_span(&span, &b[..n])?;
    set_fcw(s, s.fcw() | 0x3f);
    Ok(())
}

/// FLDENV: control, status and tag words and the pointers loaded.
fn load_env<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    seg: usize,
    off: u64,
    s: &mut State,
) -> Step<()> {
    let (n, real) = env_layout(cpu, instr);
    let span = cpu.resolve(seg, off, n, Access::Read)?;
    let mut b = [0u8; 28];
    cpu.read_span(&span, &mut b[..n])?;
    let unit = n / 7;
    let w = |i: usize| {
        let mut x = [0u8; 4];
        x[..unit].copy_from_slice(&b[i * unit..i * unit + unit]);
        u32::from_le_bytes(x)
    };
    let (fcw, fsw, ftw) = (w(0) as u16, w(1) as u16, w(2) as u16);
    let (fip, fop, fdp) = if real {
        (
            u64::from((w(3) & 0xffff) | ((w(4) & 0xffff_f000) << 4)),
            (w(4) & 0x7ff) as u16,
            u64::from((w(5) & 0xffff) | ((w(6) & 0xffff_f000) << 4)),
        )
    } else {
        (
            u64::from(w(3)) | (u64::from(w(4) & 0xffff) << 32),
            ((w(4) >> 16) & 0x7ff) as u16,
            u64::from(w(5)) | (u64::from(w(6) & 0xffff) << 32),
        )
    };
    let abridged = (0..8).fold(0u8, |t, i| t | (u8::from((ftw >> (2 * i)) & 3 != 3) << i));
    s.fcs = u128::from(fcw)
        | (u128::from(fsw) << 16)
        | (u128::from(abridged) << 32)
        | (u128::from(fop) << 48)
        | (u128::from(fip) << 64);
    s.xcs = (s.xcs & !u128::from(u64::MAX)) | u128::from(fdp);
    Ok(())
}
