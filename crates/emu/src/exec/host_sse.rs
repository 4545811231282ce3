//! SSE operations run on the host processor, the exact arithmetic the
//! guest's processor would do: each runs the register form of the
//! instruction (`addps xmm0, xmm1`: the same result as the memory form,
//! whose operand the caller read into the second register) between an
//! `ldmxcsr` of the guest's MXCSR — every exception masked, its flags
//! cleared, so the host never takes a SIMD exception — and an `stmxcsr`
//! that gives the flags the operation raised; the host's MXCSR is saved
//! and restored within the same `asm!` block.
//!
//! The inline assembly is the only unsafe code here: it reads and writes
//! the caller's buffers through pointers and clobbers XMM0..XMM2 (declared).

use core::arch::asm;
use iced_x86::Mnemonic;

/// MXCSR with every exception masked (bits 7..13) and no flags (0..6).
pub(crate) fn masked(csr: u32) -> u32 {
    (csr | 0x1f80) & !0x3f
}

/// `ins xmm0, xmm1` with xmm0 = `*d`, xmm1 = `s`, MXCSR = `*csr`; writes
/// xmm0 back to `*d` and MXCSR back to `*csr`.
macro_rules! op2 {
    ($ins:literal, $d:expr, $s:expr, $csr:expr) => {{
        let d: &mut u128 = $d;
        let s: &u128 = $s;
        let c: &mut u32 = $csr;
        let mut host = 0u32;
        // SAFETY: the pointers are to live locals of the right sizes
        // (16-byte XMM images, 4-byte MXCSR images, unaligned accesses);
        // XMM0/XMM1 are declared clobbered; the host's MXCSR is saved first
        // and restored last, and the guest's value has every exception
        // masked, so no SIMD exception can be raised.
        unsafe {
            asm!(
                "stmxcsr dword ptr [{h}]",
                "ldmxcsr dword ptr [{c}]",
                "movdqu xmm0, xmmword ptr [{d}]",
                "movdqu xmm1, xmmword ptr [{s}]",
                concat!($ins, " xmm0, xmm1"),
                "movdqu xmmword ptr [{d}], xmm0",
                "stmxcsr dword ptr [{c}]",
                "ldmxcsr dword ptr [{h}]",
                d = in(reg) d as *mut u128,
                s = in(reg) s as *const u128,
                c = in(reg) c as *mut u32,
                h = in(reg) &mut host as *mut u32,
                out("xmm0") _,
                out("xmm1") _,
                options(nostack),
            )
        }
    }};
}

/// `ins xmm0, xmm1, imm` (a compile-time immediate).
macro_rules! op2i {
    ($ins:literal, $imm:expr, $d:expr, $s:expr, $csr:expr) => {{
        let d: &mut u128 = $d;
        let s: &u128 = $s;
        let c: &mut u32 = $csr;
        let mut host = 0u32;
        // SAFETY: as for `op2!`.
        unsafe {
            asm!(
                "stmxcsr dword ptr [{h}]",
                "ldmxcsr dword ptr [{c}]",
                "movdqu xmm0, xmmword ptr [{d}]",
                "movdqu xmm1, xmmword ptr [{s}]",
                concat!($ins, " xmm0, xmm1, {imm}"),
                "movdqu xmmword ptr [{d}], xmm0",
                "stmxcsr dword ptr [{c}]",
                "ldmxcsr dword ptr [{h}]",
                d = in(reg) d as *mut u128,
                s = in(reg) s as *const u128,
                c = in(reg) c as *mut u32,
                h = in(reg) &mut host as *mut u32,
                imm = const $imm,
                out("xmm0") _,
                out("xmm1") _,
                options(nostack),
            )
        }
    }};
}

/// The instructions [`binary`] runs, with the feature each needs.
macro_rules! table {
    ($($feature:ident: $($m:ident => $ins:literal),* ;)*) => {
        /// Runs two-operand SSE instruction `m` (xmm, xmm/mem): `d` is the
        /// destination register's value, `s` the source; `csr` the MXCSR
        /// (masked). `None` when `m` is not in the table.
        pub(crate) fn binary(m: Mnemonic, d: &mut u128, s: &u128, csr: &mut u32) -> Option<()> {
            match m {
                $($(Mnemonic::$m => op2!($ins, d, s, csr),)*)*
                _ => return None,
            }
            Some(())
        }

        /// The feature set instruction `m` of [`binary`] belongs to.
        pub(crate) fn feature(m: Mnemonic) -> Option<Set> {
            match m {
                $($(Mnemonic::$m => Some(Set::$feature),)*)*
                _ => None,
            }
        }
    };
}

/// The instruction sets of this module's instructions.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Set {
    /// SSE and SSE2 (always present on x86-64).
    Sse2,
    /// SSE3.
    Sse3,
    /// SSSE3.
    Ssse3,
    /// SSE4.1.
    Sse41,
    /// SSE4.2.
    Sse42,
    /// AES-NI.
    Aes,
}

table! {
    Sse2:
        Addps => "addps", Addss => "addss", Subps => "subps", Subss => "subss",
        Mulps => "mulps", Mulss => "mulss", Divps => "divps", Divss => "divss",
        Minps => "minps", Minss => "minss", Maxps => "maxps", Maxss => "maxss",
        Sqrtps => "sqrtps", Sqrtss => "sqrtss", Rcpps => "rcpps", Rcpss => "rcpss",
        Rsqrtps => "rsqrtps", Rsqrtss => "rsqrtss", Andps => "andps", Andnps => "andnps",
        Orps => "orps", Xorps => "xorps", Unpcklps => "unpcklps", Unpckhps => "unpckhps",
        Addpd => "addpd", Addsd => "addsd", Subpd => "subpd", Subsd => "subsd",
        Mulpd => "mulpd", Mulsd => "mulsd", Divpd => "divpd", Divsd => "divsd",
        Minpd => "minpd", Minsd => "minsd", Maxpd => "maxpd", Maxsd => "maxsd",
        Sqrtpd => "sqrtpd", Sqrtsd => "sqrtsd", Andpd => "andpd", Andnpd => "andnpd",
        Orpd => "orpd", Xorpd => "xorpd", Unpcklpd => "unpcklpd", Unpckhpd => "unpckhpd",
        Cvtps2pd => "cvtps2pd", Cvtpd2ps => "cvtpd2ps", Cvtss2sd => "cvtss2sd",
        Cvtsd2ss => "cvtsd2ss", Cvtdq2ps => "cvtdq2ps", Cvtps2dq => "cvtps2dq",
        Cvttps2dq => "cvttps2dq", Cvtdq2pd => "cvtdq2pd", Cvtpd2dq => "cvtpd2dq",
        Cvttpd2dq => "cvttpd2dq",
        Paddb => "paddb", Paddw => "paddw", Paddd => "paddd", Paddq => "paddq",
        Psubb => "psubb", Psubw => "psubw", Psubd => "psubd", Psubq => "psubq",
        Paddsb => "paddsb", Paddsw => "paddsw", Paddusb => "paddusb", Paddusw => "paddusw",
        Psubsb => "psubsb", Psubsw => "psubsw", Psubusb => "psubusb", Psubusw => "psubusw",
        Pmullw => "pmullw", Pmulhw => "pmulhw", Pmulhuw => "pmulhuw", Pmuludq => "pmuludq",
        Pmaddwd => "pmaddwd", Pavgb => "pavgb", Pavgw => "pavgw", Pminub => "pminub",
        Pmaxub => "pmaxub", Pminsw => "pminsw", Pmaxsw => "pmaxsw", Psadbw => "psadbw",
        Pand => "pand", Pandn => "pandn", Por => "por", Pxor => "pxor",
        Pcmpeqb => "pcmpeqb", Pcmpeqw => "pcmpeqw", Pcmpeqd => "pcmpeqd",
        Pcmpgtb => "pcmpgtb", Pcmpgtw => "pcmpgtw", Pcmpgtd => "pcmpgtd",
        Packsswb => "packsswb", Packssdw => "packssdw", Packuswb => "packuswb",
        Punpcklbw => "punpcklbw", Punpcklwd => "punpcklwd", Punpckldq => "punpckldq",
        Punpcklqdq => "punpcklqdq", Punpckhbw => "punpckhbw", Punpckhwd => "punpckhwd",
        Punpckhdq => "punpckhdq", Punpckhqdq => "punpckhqdq",
        Psllw => "psllw", Pslld => "pslld", Psllq => "psllq", Psrlw => "psrlw",
        Psrld => "psrld", Psrlq => "psrlq", Psraw => "psraw", Psrad => "psrad";
    Sse3:
        Addsubps => "addsubps", Addsubpd => "addsubpd", Haddps => "haddps",
        Haddpd => "haddpd", Hsubps => "hsubps", Hsubpd => "hsubpd",
        Movsldup => "movsldup", Movshdup => "movshdup", Movddup => "movddup";
    Ssse3:
        Pshufb => "pshufb", Phaddw => "phaddw", Phaddd => "phaddd", Phaddsw => "phaddsw",
        Phsubw => "phsubw", Phsubd => "phsubd", Phsubsw => "phsubsw",
        Pmaddubsw => "pmaddubsw", Pmulhrsw => "pmulhrsw", Psignb => "psignb",
        Psignw => "psignw", Psignd => "psignd", Pabsb => "pabsb", Pabsw => "pabsw",
        Pabsd => "pabsd";
    Sse41:
        Pmulld => "pmulld", Pmuldq => "pmuldq", Pminsb => "pminsb", Pminsd => "pminsd",
        Pminuw => "pminuw", Pminud => "pminud", Pmaxsb => "pmaxsb", Pmaxsd => "pmaxsd",
        Pmaxuw => "pmaxuw", Pmaxud => "pmaxud", Pcmpeqq => "pcmpeqq",
        Packusdw => "packusdw", Phminposuw => "phminposuw",
        Pmovsxbw => "pmovsxbw", Pmovsxbd => "pmovsxbd", Pmovsxbq => "pmovsxbq",
        Pmovsxwd => "pmovsxwd", Pmovsxwq => "pmovsxwq", Pmovsxdq => "pmovsxdq",
        Pmovzxbw => "pmovzxbw", Pmovzxbd => "pmovzxbd", Pmovzxbq => "pmovzxbq",
        Pmovzxwd => "pmovzxwd", Pmovzxwq => "pmovzxwq", Pmovzxdq => "pmovzxdq";
    Sse42:
        Pcmpgtq => "pcmpgtq";
    Aes:
        Aesenc => "aesenc", Aesenclast => "aesenclast", Aesdec => "aesdec",
        Aesdeclast => "aesdeclast", Aesimc => "aesimc";
}

/// Expands `$body` once per immediate value in `$($n)*` as match arms.
macro_rules! by_imm {
    ($imm:expr, $ins:literal, $d:expr, $s:expr, $csr:expr, [$($n:literal)*]) => {
        match $imm {
            $($n => op2i!($ins, $n, $d, $s, $csr),)*
            _ => return None,
        }
    };
}

/// CMPPS/CMPSS/CMPPD/CMPSD with predicate `imm & 7`, ROUNDPS/SS/PD/SD
/// with control `imm & 15`. `None` for another instruction.
pub(crate) fn binary_imm(
    m: Mnemonic,
    imm: u8,
    d: &mut u128,
    s: &u128,
    csr: &mut u32,
) -> Option<()> {
    let p = imm & 7;
    let r = imm & 15;
    match m {
        Mnemonic::Cmpps => by_imm!(p, "cmpps", d, s, csr, [0 1 2 3 4 5 6 7]),
        Mnemonic::Cmpss => by_imm!(p, "cmpss", d, s, csr, [0 1 2 3 4 5 6 7]),
        Mnemonic::Cmppd => by_imm!(p, "cmppd", d, s, csr, [0 1 2 3 4 5 6 7]),
        Mnemonic::Cmpsd => by_imm!(p, "cmpsd", d, s, csr, [0 1 2 3 4 5 6 7]),
        Mnemonic::Roundps => {
            by_imm!(r, "roundps", d, s, csr, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15])
        }
        Mnemonic::Roundss => {
            by_imm!(r, "roundss", d, s, csr, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15])
        }
        Mnemonic::Roundpd => {
            by_imm!(r, "roundpd", d, s, csr, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15])
        }
        Mnemonic::Roundsd => {
            by_imm!(r, "roundsd", d, s, csr, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15])
        }
        _ => return None,
    }
    Some(())
}

/// BLENDVPS/BLENDVPD/PBLENDVB xmm, xmm/mem, <XMM0>: `mask` is XMM0.
pub(crate) fn blendv(m: Mnemonic, d: &mut u128, s: &u128, mask: &u128) -> Option<()> {
    macro_rules! bv {
        ($ins:literal) => {{
            // SAFETY: the pointers are to live 16-byte locals; XMM0..XMM2
            // are declared clobbered; no MXCSR-dependent arithmetic.
            unsafe {
                asm!(
                    "movdqu xmm0, xmmword ptr [{m}]",
                    "movdqu xmm1, xmmword ptr [{d}]",
                    "movdqu xmm2, xmmword ptr [{s}]",
                    concat!($ins, " xmm1, xmm2, xmm0"),
                    "movdqu xmmword ptr [{d}], xmm1",
                    m = in(reg) mask as *const u128,
                    d = in(reg) d as *mut u128,
                    s = in(reg) s as *const u128,
                    out("xmm0") _,
                    out("xmm1") _,
                    out("xmm2") _,
                    options(nostack),
                )
            }
        }};
    }
    match m {
        Mnemonic::Blendvps => bv!("blendvps"),
        Mnemonic::Blendvpd => bv!("blendvpd"),
        Mnemonic::Pblendvb => bv!("pblendvb"),
        _ => return None,
    }
    Some(())
}

/// COMISS/UCOMISS/COMISD/UCOMISD/PTEST of `a` with `b`: the RFLAGS they
/// produce (ZF, PF, CF; the others cleared) and the MXCSR flags.
pub(crate) fn compare(m: Mnemonic, a: &u128, b: &u128, csr: &mut u32) -> Option<u64> {
    let mut flags: u64;
    macro_rules! cmp {
        ($ins:literal) => {{
            let mut host = 0u32;
            // SAFETY: as for `op2!`; the flags are read with pushfq/pop
            // (the asm uses the stack, so no `nostack`).
            unsafe {
                asm!(
                    "stmxcsr dword ptr [{h}]",
                    "ldmxcsr dword ptr [{c}]",
                    "movdqu xmm0, xmmword ptr [{a}]",
                    "movdqu xmm1, xmmword ptr [{b}]",
                    concat!($ins, " xmm0, xmm1"),
                    "pushfq",
                    "pop {f}",
                    "stmxcsr dword ptr [{c}]",
                    "ldmxcsr dword ptr [{h}]",
                    a = in(reg) a as *const u128,
                    b = in(reg) b as *const u128,
                    c = in(reg) csr as *mut u32,
                    h = in(reg) &mut host as *mut u32,
                    f = out(reg) flags,
                    out("xmm0") _,
                    out("xmm1") _,
                )
            }
        }};
    }
    match m {
        Mnemonic::Comiss => cmp!("comiss"),
        Mnemonic::Ucomiss => cmp!("ucomiss"),
        Mnemonic::Comisd => cmp!("comisd"),
        Mnemonic::Ucomisd => cmp!("ucomisd"),
        Mnemonic::Ptest => cmp!("ptest"),
        _ => return None,
    }
    Some(flags & 0x8d5)
}

/// CVTSS2SI/CVTTSS2SI/CVTSD2SI/CVTTSD2SI of the low lane of `s` into a
/// 32- or 64-bit integer (`wide`).
pub(crate) fn to_int(m: Mnemonic, s: &u128, wide: bool, csr: &mut u32) -> Option<u64> {
    let mut r: u64;
    macro_rules! cv {
        ($ins:literal, $reg:literal) => {{
            let mut host = 0u32;
            // SAFETY: as for `op2!`.
            unsafe {
                asm!(
                    "stmxcsr dword ptr [{h}]",
                    "ldmxcsr dword ptr [{c}]",
                    "movdqu xmm1, xmmword ptr [{s}]",
                    concat!($ins, " ", $reg, ", xmm1"),
                    "stmxcsr dword ptr [{c}]",
                    "ldmxcsr dword ptr [{h}]",
                    s = in(reg) s as *const u128,
                    c = in(reg) csr as *mut u32,
                    h = in(reg) &mut host as *mut u32,
                    r = out(reg) r,
                    out("xmm1") _,
                    options(nostack),
                )
            }
        }};
    }
    match (m, wide) {
        (Mnemonic::Cvtss2si, true) => cv!("cvtss2si", "{r}"),
        (Mnemonic::Cvtss2si, false) => cv!("cvtss2si", "{r:e}"),
        (Mnemonic::Cvttss2si, true) => cv!("cvttss2si", "{r}"),
        (Mnemonic::Cvttss2si, false) => cv!("cvttss2si", "{r:e}"),
        (Mnemonic::Cvtsd2si, true) => cv!("cvtsd2si", "{r}"),
        (Mnemonic::Cvtsd2si, false) => cv!("cvtsd2si", "{r:e}"),
        (Mnemonic::Cvttsd2si, true) => cv!("cvttsd2si", "{r}"),
        (Mnemonic::Cvttsd2si, false) => cv!("cvttsd2si", "{r:e}"),
        _ => return None,
    }
    Some(if wide { r } else { r & 0xffff_ffff })
}

/// CVTSI2SS/CVTSI2SD of a 32- or 64-bit integer (`wide`) into the low
/// lane of `d`.
pub(crate) fn from_int(m: Mnemonic, d: &mut u128, v: u64, wide: bool, csr: &mut u32) -> Option<()> {
    macro_rules! cv {
        ($ins:literal, $reg:literal) => {{
            let mut host = 0u32;
            // SAFETY: as for `op2!`.
            unsafe {
                asm!(
                    "stmxcsr dword ptr [{h}]",
                    "ldmxcsr dword ptr [{c}]",
                    "movdqu xmm0, xmmword ptr [{d}]",
                    concat!($ins, " xmm0, ", $reg),
                    "movdqu xmmword ptr [{d}], xmm0",
                    "stmxcsr dword ptr [{c}]",
                    "ldmxcsr dword ptr [{h}]",
                    d = in(reg) d as *mut u128,
                    c = in(reg) csr as *mut u32,
                    h = in(reg) &mut host as *mut u32,
                    v = in(reg) v,
                    out("xmm0") _,
                    options(nostack),
                )
            }
        }};
    }
    match (m, wide) {
        (Mnemonic::Cvtsi2ss, true) => cv!("cvtsi2ss", "{v}"),
        (Mnemonic::Cvtsi2ss, false) => cv!("cvtsi2ss", "{v:e}"),
        (Mnemonic::Cvtsi2sd, true) => cv!("cvtsi2sd", "{v}"),
        (Mnemonic::Cvtsi2sd, false) => cv!("cvtsi2sd", "{v:e}"),
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_arithmetic_and_flags() {
        let one = 0x3f80_0000u128;
        let two = 0x4000_0000u128;
        let mut d = one | (one << 32);
        let mut c = masked(0x1f80);
        binary(Mnemonic::Addps, &mut d, &(two | (two << 32)), &mut c).unwrap();
        assert_eq!(d, 0x4040_0000 | (0x4040_0000 << 32), "3.0, 3.0");
        assert_eq!(c & 0x3f, 0);
        // 1/0: divide-by-zero flag (masked).
        let mut d = one;
        let mut c = masked(0x1f80);
        binary(Mnemonic::Divss, &mut d, &0, &mut c).unwrap();
        assert_eq!(d, 0x7f80_0000, "+inf");
        assert_eq!(c & 0x3f, 0x4, "ZE");
        // The host's MXCSR is untouched.
        let mut c = masked(0x6000); // round toward zero
        let mut d = one;
        binary(Mnemonic::Divss, &mut d, &0x4040_0000, &mut c).unwrap(); // 1/3
        assert_eq!(d, 0x3eaa_aaaa, "truncated");
        let f = compare(Mnemonic::Ucomiss, &one, &two, &mut masked(0x1f80)).unwrap();
        assert_eq!(f, 1, "CF: 1 < 2");
    }
}
