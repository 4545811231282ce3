//! SSE arithmetic, logic, conversions, shuffles and partial moves with a
//! memory source (or destination): ADDPS xmm, [mmio] and the rest of the
//! SSE–SSE4.2 and AES-NI sets whose results fit XMM registers, GPRs or
//! RFLAGS, plus LDMXCSR/STMXCSR. The arithmetic runs on the host processor
//! ([`super::host_sse`]) under the guest's MXCSR, so results, rounding,
//! DAZ/FTZ and the exception flags are the processor's own.
//!
//! As the CPU: CR0.EM or a clear CR4.OSFXSR raises `#UD`, CR0.TS `#NM`
//! (CR0, CR4 and MXCSR come through the get-registers callback, in one
//! call); a 16-byte operand must be 16-byte aligned (`#GP(0)`, unless
//! AMD's MXCSR.MM is set); an unmasked SIMD exception leaves the
//! destination unchanged, sets its MXCSR flags — the pre-computation ones
//! (IE, DE, ZE) alone when one of them is unmasked — and raises `#XM`
//! (`#UD` when CR4.OSXMMEXCPT is clear). A set the host lacks raises
//! `#UD`, as the guest's processor (the host) would have.
//!
//! Not emulated (`InternalEmulationFailure`): VEX and EVEX forms (VEX.128
//! zeroes bits 128.. of the destination YMM register, which the callbacks'
//! register set cannot express), MMX forms, DPPS/DPPD, MPSADBW,
//! PCLMULQDQ, AESKEYGENASSIST, PCMPxSTRx, MASKMOVDQU.

use super::host_sse::{self, Set};
use crate::callbacks::Callbacks;
use crate::cpu::Cpu;
use crate::host::{Feature, has};
use crate::regval;
use crate::segment::Access;
use crate::status::{Step, Stop, vector};
use iced_x86::{EncodingKind, Instruction, Mnemonic, OpKind};
use winhv_defs::*;

/// CR0.EM, CR0.TS; CR4.OSFXSR, CR4.OSXMMEXCPT.
const CR0_EM: u64 = 1 << 2;
const CR0_TS: u64 = 1 << 3;
const CR4_OSFXSR: u64 = 1 << 9;
const CR4_OSXMMEXCPT: u64 = 1 << 10;
/// MXCSR.MM (AMD misaligned SSE mode).
const MXCSR_MM: u32 = 1 << 17;

/// The SSE state an instruction needs: CR4 (for the exception kind) and
/// the XmmControlStatus register (MXCSR and the last x87 data pointer).
struct SseState {
    cr4: u64,
    xcs: u128,
}

impl SseState {
    fn mxcsr(&self) -> u32 {
        (self.xcs >> 64) as u32
    }
}

/// Whether `instr` is one of this module's.
pub(crate) fn handles(m: Mnemonic) -> bool {
    use Mnemonic::*;
    host_sse::feature(m).is_some()
        || matches!(
            m,
            Cmpps
                | Cmpss
                | Cmppd
                | Cmpsd
                | Roundps
                | Roundss
                | Roundpd
                | Roundsd
                | Blendvps
                | Blendvpd
                | Pblendvb
                | Comiss
                | Ucomiss
                | Comisd
                | Ucomisd
                | Ptest
                | Cvtss2si
                | Cvttss2si
                | Cvtsd2si
                | Cvttsd2si
                | Cvtsi2ss
                | Cvtsi2sd
                | Shufps
                | Shufpd
                | Pshufd
                | Pshuflw
                | Pshufhw
                | Palignr
                | Blendps
                | Blendpd
                | Pblendw
                | Insertps
                | Pinsrb
                | Pinsrw
                | Pinsrd
                | Pinsrq
                | Pextrb
                | Pextrw
                | Pextrd
                | Pextrq
                | Extractps
                | Movhps
                | Movlps
                | Movhpd
                | Movlpd
                | Lddqu
                | Ldmxcsr
                | Stmxcsr
        )
}

/// The host feature an instruction needs beyond SSE2.
fn needed(m: Mnemonic) -> Option<Feature> {
    use Mnemonic::*;
    match host_sse::feature(m) {
        Some(Set::Sse3) => return Some(Feature::Sse3),
        Some(Set::Ssse3) => return Some(Feature::Ssse3),
        Some(Set::Sse41) => return Some(Feature::Sse41),
        Some(Set::Sse42) => return Some(Feature::Sse42),
        Some(Set::Aes) => return Some(Feature::Aes),
        Some(Set::Sse2) => return None,
        None => {}
    }
    match m {
        Lddqu => Some(Feature::Sse3),
        Palignr => Some(Feature::Ssse3),
        Roundps | Roundss | Roundpd | Roundsd | Blendvps | Blendvpd | Pblendvb | Ptest
        | Blendps | Blendpd | Pblendw | Insertps | Pinsrb | Pinsrd | Pinsrq | Pextrb | Pextrd
        | Pextrq | Extractps => Some(Feature::Sse41),
        _ => None,
    }
}

/// Runs one of this module's instructions.
pub(crate) fn execute<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
) -> Step<()> {
    use Mnemonic::*;
    if instr.encoding() != EncodingKind::Legacy
        || (0..instr.op_count())
            .any(|i| instr.op_kind(i) == OpKind::Register && instr.op_register(i).is_mm())
    {
        return Err(Stop::UNSUPPORTED);
    }
    if needed(instr.mnemonic()).is_some_and(|f| !has(f)) {
        return Err(Stop::ud());
    }
    let st = sse_state(cpu)?;
    let m = instr.mnemonic();
    match m {
        Ldmxcsr | Stmxcsr => return mxcsr_move(cpu, instr, &st),
        Pextrb | Pextrw | Pextrd | Pextrq | Extractps => return extract(cpu, instr),
        Movhps | Movlps | Movhpd | Movlpd | Lddqu => return partial_move(cpu, instr),
        _ => {}
    }
    if instr.op_kind(0) != OpKind::Register {
        return Err(Stop::UNSUPPORTED);
    }
    let dst = instr.op_register(0);
    let mut csr = host_sse::masked(sanitize(st.mxcsr()));
    if dst.is_gpr() {
        // CVT(T)SS2SI / CVT(T)SD2SI r, xmm/m.
        let s = source(cpu, instr, 1, &st)?;
        let v = host_sse::to_int(m, &s, dst.size() == 8, &mut csr).ok_or(Stop::UNSUPPORTED)?;
        flags_then(cpu, &st, csr)?;
        return cpu.write_reg(dst, v);
    }
    if !dst.is_xmm() {
        return Err(Stop::UNSUPPORTED);
    }
    let n = dst.number();
    if matches!(m, Comiss | Ucomiss | Comisd | Ucomisd | Ptest) {
        let a = cpu.xmm(n)?;
        let b = source(cpu, instr, 1, &st)?;
        let f = host_sse::compare(m, &a, &b, &mut csr).ok_or(Stop::UNSUPPORTED)?;
        flags_then(cpu, &st, csr)?;
        cpu.rflags = crate::flags::merge(cpu.rflags, f, crate::flags::ARITH);
        return Ok(());
    }
    let mut d = cpu.xmm(n)?;
    match m {
        Cvtsi2ss | Cvtsi2sd => {
            let size = cpu.op_size(instr, 1);
            let v = cpu.src(instr, 1, size)?;
            host_sse::from_int(m, &mut d, v, size == 8, &mut csr).ok_or(Stop::UNSUPPORTED)?;
        }
        Pinsrb | Pinsrw | Pinsrd | Pinsrq => {
            let size = match m {
                Pinsrb => 1,
                Pinsrw => 2,
                Pinsrd => 4,
                _ => 8,
            };
            let v = cpu.src(instr, 1, size)?;
            let lanes = 16 / size;
            let at = (instr.immediate(2) as usize % lanes) * size * 8;
            let mask = (u128::MAX >> (128 - size * 8)) << at;
            d = (d & !mask) | ((u128::from(v) << at) & mask);
        }
        Blendvps | Blendvpd | Pblendvb => {
            let s = source(cpu, instr, 1, &st)?;
            let mask = cpu.xmm(0)?;
            host_sse::blendv(m, &mut d, &s, &mask).ok_or(Stop::UNSUPPORTED)?;
        }
        _ if instr.op_count() == 3 && instr.op_kind(2) == OpKind::Immediate8 => {
            let s = source(cpu, instr, 1, &st)?;
            let imm = instr.immediate(2) as u8;
            if host_sse::binary_imm(m, imm, &mut d, &s, &mut csr).is_none() {
                d = shuffle(m, d, s, imm).ok_or(Stop::UNSUPPORTED)?;
            }
        }
        _ => {
            let s = source(cpu, instr, 1, &st)?;
            host_sse::binary(m, &mut d, &s, &mut csr).ok_or(Stop::UNSUPPORTED)?;
        }
    }
    flags_then(cpu, &st, csr)?;
    cpu.set_xmm(n, d);
    Ok(())
}

/// MXCSR bits the host can load: the guest's processor (the host)
/// refuses others, so they cannot be the guest's — but a VMM can hand any
/// value to the callbacks.
fn sanitize(csr: u32) -> u32 {
    csr & host_mxcsr_mask()
}

/// The host's MXCSR_MASK (FXSAVE bytes 28..32; 0 means 0xffbf).
fn host_mxcsr_mask() -> u32 {
    static MASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MASK.get_or_init(|| {
        #[repr(C, align(16))]
        struct Area([u8; 512]);
        let mut area = Area([0; 512]);
        // SAFETY: FXSAVE writes exactly 512 bytes at a 16-byte aligned
        // address, which `area` is; it changes no register.
        unsafe {
            core::arch::asm!(
                "fxsave [{a}]",
                a = in(reg) area.0.as_mut_ptr(),
                options(nostack),
            )
        };
        let m = u32::from_le_bytes([area.0[28], area.0[29], area.0[30], area.0[31]]);
        if m == 0 { 0xffbf } else { m & 0xffff }
    })
}

/// CR0/CR4 checks and the SSE control state, in one get-registers call.
fn sse_state<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>) -> Step<SseState> {
    let names = [
        WHvX64RegisterCr0,
        WHvX64RegisterCr4,
        WHvX64RegisterXmmControlStatus,
    ];
    let mut v = [WHV_REGISTER_VALUE::default(); 3];
    cpu.get_many(&names, &mut v)?;
    let (cr0, cr4) = (regval::reg64(&v[0]), regval::reg64(&v[1]));
    if cr0 & CR0_EM != 0 || cr4 & CR4_OSFXSR == 0 {
        return Err(Stop::ud());
    }
    if cr0 & CR0_TS != 0 {
        return Err(Stop::fault(vector::NM));
    }
    Ok(SseState {
        cr4,
        xcs: regval::reg128(&v[2]),
    })
}

/// Reads source operand `op` (an XMM register, or memory of the
/// instruction's memory size, zero-extended), checking a 16-byte
/// operand's alignment.
fn source<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    op: u32,
    st: &SseState,
) -> Step<u128> {
    match instr.op_kind(op) {
        OpKind::Register if instr.op_register(op).is_xmm() => {
            cpu.xmm(instr.op_register(op).number())
        }
        OpKind::Memory => {
            let size = instr.memory_size().size();
            if !(1..=16).contains(&size) {
                return Err(Stop::UNSUPPORTED);
            }
            let (seg, off) = cpu.mem_offset(instr, op)?;
            if size == 16 && st.mxcsr() & MXCSR_MM == 0 {
                let la = cpu.linear(seg, off, size, Access::Read)?;
                if la % 16 != 0 {
                    return Err(Stop::gp0());
                }
            }
            let span = cpu.resolve(seg, off, size, Access::Read)?;
            let mut b = [0u8; 16];
            cpu.read_span(&span, &mut b[..size])?;
            Ok(u128::from_le_bytes(b))
        }
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// After the host ran the operation with MXCSR `csr` (masked): raises the
/// SIMD exception an unmasked flag asks for, or records the new flags.
fn flags_then<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, st: &SseState, csr: u32) -> Step<()> {
    let guest = st.mxcsr();
    let raised = csr & 0x3f;
    let unmasked = raised & !(guest >> 7) & 0x3f;
    // IE, DE, ZE are detected before the computation.
    let pre = 0x1 | 0x2 | 0x4;
    let set = if unmasked & pre != 0 {
        raised & pre
    } else {
        raised
    };
    if set & !guest != 0 {
        let xcs = (st.xcs & !(0xffff_ffffu128 << 64)) | (u128::from(guest | set) << 64);
        cpu.stage_kept(WHvX64RegisterXmmControlStatus, regval::from128(xcs))?;
    }
    if unmasked != 0 {
        return Err(Stop::fault(if st.cr4 & CR4_OSXMMEXCPT != 0 {
            vector::XM
        } else {
            vector::UD
        }));
    }
    Ok(())
}

/// The shuffles, blends and inserts with an immediate, in software.
fn shuffle(m: Mnemonic, d: u128, s: u128, imm: u8) -> Option<u128> {
    use Mnemonic::*;
    let lane32 = |v: u128, i: u8| (v >> (32 * u32::from(i & 3))) as u32;
    let lane64 = |v: u128, i: u8| (v >> (64 * u32::from(i & 1))) as u64;
    let from32 = |l: [u32; 4]| {
        l.iter()
            .enumerate()
            .fold(0u128, |a, (i, &x)| a | (u128::from(x) << (32 * i)))
    };
    let word = |v: u128, i: usize| ((v >> (16 * i)) & 0xffff) as u16;
    Some(match m {
        Shufps => from32([
            lane32(d, imm),
            lane32(d, imm >> 2),
            lane32(s, imm >> 4),
            lane32(s, imm >> 6),
        ]),
        Shufpd => u128::from(lane64(d, imm)) | (u128::from(lane64(s, imm >> 1)) << 64),
        Pshufd => from32([
            lane32(s, imm),
            lane32(s, imm >> 2),
            lane32(s, imm >> 4),
            lane32(s, imm >> 6),
        ]),
        Pshuflw | Pshufhw => {
            let base = if m == Pshuflw { 0 } else { 4 };
            let mut r = s;
            for i in 0..4usize {
                let w = word(s, base + ((imm >> (2 * i)) & 3) as usize);
                let at = 16 * (base + i);
                r = (r & !(0xffffu128 << at)) | (u128::from(w) << at);
            }
            r
        }
        Palignr => {
            // (d:s) >> imm bytes, low 128 bits.
            let n = u32::from(imm) * 8;
            match n {
                0 => s,
                1..=127 => (s >> n) | (d << (128 - n)),
                128 => d,
                129..=255 => d >> (n - 128),
                _ => 0,
            }
        }
        Blendps | Blendpd | Pblendw => {
            let (lanes, bits) = match m {
                Blendps => (4, 32),
                Blendpd => (2, 64),
                _ => (8, 16),
            };
            let mut r = d;
            for i in 0..lanes {
                if (imm >> i) & 1 != 0 {
                    let mask = (u128::MAX >> (128 - bits)) << (bits * i);
                    r = (r & !mask) | (s & mask);
                }
            }
            r
        }
        Insertps => {
            // The memory form inserts its 32 bits (count_s is ignored).
            let e = s as u32;
            let to = u32::from((imm >> 4) & 3);
            let mut r = (d & !(0xffff_ffffu128 << (32 * to))) | (u128::from(e) << (32 * to));
            for i in 0..4 {
                if (imm >> i) & 1 != 0 {
                    r &= !(0xffff_ffffu128 << (32 * i));
                }
            }
            r
        }
        _ => return None,
    })
}

/// PEXTRB/W/D/Q and EXTRACTPS to memory (or a GPR).
fn extract<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    use Mnemonic::*;
    let size = match instr.mnemonic() {
        Pextrb => 1,
        Pextrw => 2,
        Pextrd | Extractps => 4,
        _ => 8,
    };
    if instr.op_kind(1) != OpKind::Register || !instr.op_register(1).is_xmm() {
        return Err(Stop::UNSUPPORTED);
    }
    let v = cpu.xmm(instr.op_register(1).number())?;
    let lanes = 16 / size;
    let at = (instr.immediate(2) as usize % lanes) * size * 8;
    let e = ((v >> at) as u64) & crate::flags::mask(size);
    match instr.op_kind(0) {
        OpKind::Memory => {
            let (seg, off) = cpu.mem_offset(instr, 0)?;
            cpu.write_mem(seg, off, size, e)
        }
        // A GPR destination zero-extends.
        OpKind::Register => cpu.write_reg(instr.op_register(0), e),
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// MOVHPS/MOVLPS/MOVHPD/MOVLPD (one half of an XMM register from or to
/// m64) and LDDQU (an unaligned 16-byte load).
fn partial_move<C: Callbacks + ?Sized>(cpu: &mut Cpu<'_, C>, instr: &Instruction) -> Step<()> {
    use Mnemonic::*;
    let high = matches!(instr.mnemonic(), Movhps | Movhpd);
    match (instr.op_kind(0), instr.op_kind(1)) {
        (OpKind::Register, OpKind::Memory) if instr.op_register(0).is_xmm() => {
            let n = instr.op_register(0).number();
            let (seg, off) = cpu.mem_offset(instr, 1)?;
            if instr.mnemonic() == Lddqu {
                let span = cpu.resolve(seg, off, 16, Access::Read)?;
                let mut b = [0u8; 16];
                cpu.read_span(&span, &mut b)?;
                cpu.set_xmm(n, u128::from_le_bytes(b));
                return Ok(());
            }
            let old = cpu.xmm(n)?;
            let v = u128::from(cpu.read_mem(seg, off, 8)?);
            let new = if high {
                (old & u128::from(u64::MAX)) | (v << 64)
            } else {
                (old & !u128::from(u64::MAX)) | v
            };
            cpu.set_xmm(n, new);
            Ok(())
        }
        (OpKind::Memory, OpKind::Register) if instr.op_register(1).is_xmm() => {
            let v = cpu.xmm(instr.op_register(1).number())?;
            let half = if high { (v >> 64) as u64 } else { v as u64 };
            let (seg, off) = cpu.mem_offset(instr, 0)?;
            cpu.write_mem(seg, off, 8, half)
        }
        _ => Err(Stop::UNSUPPORTED),
    }
}

/// LDMXCSR m32 (`#GP(0)` for bits outside MXCSR_MASK) and STMXCSR m32.
fn mxcsr_move<C: Callbacks + ?Sized>(
    cpu: &mut Cpu<'_, C>,
    instr: &Instruction,
    st: &SseState,
) -> Step<()> {
    let (seg, off) = cpu.mem_offset(instr, 0)?;
    if instr.mnemonic() == Mnemonic::Stmxcsr {
        return cpu.write_mem(seg, off, 4, u64::from(st.mxcsr()));
    }
    let v = cpu.read_mem(seg, off, 4)? as u32;
    let mask = (st.xcs >> 96) as u32;
    let allowed = if mask == 0 { 0xffbf } else { mask };
    if v & !allowed != 0 {
        return Err(Stop::gp0());
    }
    let xcs = (st.xcs & !(0xffff_ffffu128 << 64)) | (u128::from(v) << 64);
    cpu.stage(WHvX64RegisterXmmControlStatus, regval::from128(xcs))
}
