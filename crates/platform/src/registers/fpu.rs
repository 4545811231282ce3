//! The x87/MMX/SSE registers of WHP (`FpMmx0–7`, `Xmm0–15`,
//! `FpControlStatus`, `XmmControlStatus`) over the VP's XSAVE image
//! (`KVM_GET/SET_XSAVE`). Not over `KVM_GET/SET_FPU`: that pair writes the
//! legacy area without marking x87/SSE state in use in the XSAVE header, so
//! on an XSAVE host a value written before the VP's first run is lost (the
//! processor restores an "init" component as zeros) — measured here.
//!
//! Layouts (all little-endian, as 128-bit values):
//! * `WHV_X64_FP_REGISTER`: the 80-bit x87 value (64-bit mantissa, 15-bit
//!   biased exponent, sign) in the low 10 bytes, 6 reserved bytes — the
//!   FXSAVE slot exactly; slot *i* is ST(*i*)/MM*i*.
//! * `WHV_X64_FP_CONTROL_STATUS_REGISTER`: FCW (bytes 0–1), FSW (2–3), the
//!   abridged tag byte of FXSAVE (4), reserved (5), last opcode (6–7), last
//!   instruction pointer as 64 bits (8–15; in 32-bit form EIP then CS) —
//!   FXSAVE bytes 0–15 with byte 5 zero.
//! * `WHV_X64_XMM_CONTROL_STATUS_REGISTER`: last data pointer (0–7), MXCSR
//!   (8–11), MXCSR_MASK (12–15) — FXSAVE bytes 16–31.
//!
//! MXCSR_MASK is a property of the processor, the same for host and guest
//! on KVM: we answer the host's (one FXSAVE in this process) and ignore it
//! on writes, as the processor does.

use std::sync::OnceLock;

use kvm_bindings::kvm_xsave;
use winhv_defs::E_INVALIDARG;

use crate::{Error, Result};

/// The 80 bits of an x87 register that are architectural.
const FP_REGISTER_MASK: u128 = (1u128 << 80) - 1;
const FP_CONTROL_STATUS: usize = 0;
const XMM_CONTROL_STATUS: usize = 16;
const MXCSR: usize = 24;
const ST0: usize = 32;
const XMM0: usize = 160;
const XSTATE_BV: usize = 512;
/// XSTATE_BV bits of the x87 and SSE components.
const XFEATURE_X87: u128 = 1;
const XFEATURE_SSE: u128 = 2;

/// The size of `kvm_xsave`: the standard-form XSAVE image KVM hands out.
pub(crate) const XSAVE_IMAGE_SIZE: usize = 4096;

/// A VP's XSAVE image as `KVM_GET_XSAVE` returns it: the FXSAVE legacy
/// area, the XSAVE header, the extended components (kept as they are).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct XsaveArea(Box<[u32; 1024]>);

impl std::fmt::Debug for XsaveArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "XsaveArea {{ xstate_bv: {:#x} }}",
            self.bytes(XSTATE_BV, 8)
        )
    }
}

impl XsaveArea {
    /// A zeroed image (tests).
    #[cfg(test)]
    pub(crate) fn zeroed() -> Self {
        Self(Box::new([0; 1024]))
    }

    /// Copies KVM's image.
    pub(crate) fn from_kvm(x: &kvm_xsave) -> Self {
        Self(Box::new(x.region))
    }

    /// The image for `KVM_SET_XSAVE`.
    pub(crate) fn to_kvm(&self) -> kvm_xsave {
        kvm_xsave {
            region: *self.0,
            ..Default::default()
        }
    }

    /// The image as bytes (KVM's standard XSAVE layout, 4 KiB).
    pub(crate) fn to_bytes(&self) -> [u8; XSAVE_IMAGE_SIZE] {
        let mut out = [0u8; XSAVE_IMAGE_SIZE];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.0.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// An image from bytes in KVM's standard XSAVE layout.
    pub(crate) fn from_bytes(bytes: &[u8; XSAVE_IMAGE_SIZE]) -> Self {
        let mut words = Box::new([0u32; 1024]);
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(4)) {
            *word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Self(words)
    }

    /// `n` (≤ 16) bytes at `offset`, little-endian.
    fn bytes(&self, offset: usize, n: usize) -> u128 {
        (0..n).rev().fold(0u128, |acc, i| {
            let b = offset + i;
            acc << 8 | u128::from((self.0[b / 4] >> (8 * (b % 4))) as u8)
        })
    }

    /// Stores the low `n` (≤ 16) bytes of `v` at `offset`, little-endian.
    fn set_bytes(&mut self, offset: usize, n: usize, v: u128) {
        for i in 0..n {
            let b = offset + i;
            let shift = 8 * (b % 4);
            let byte = (v >> (8 * i)) as u8;
            self.0[b / 4] = (self.0[b / 4] & !(0xff << shift)) | u32::from(byte) << shift;
        }
    }

    /// Marks components in use so that KVM (XRSTOR) loads them.
    fn mark(&mut self, features: u128) {
        let bv = self.bytes(XSTATE_BV, 8) | features;
        self.set_bytes(XSTATE_BV, 8, bv);
    }

    /// ST(i)/MMi as WHP's 128-bit `WHV_X64_FP_REGISTER`.
    pub(crate) fn fp_mmx(&self, i: u8) -> u128 {
        self.bytes(ST0 + 16 * usize::from(i & 7), 16) & FP_REGISTER_MASK
    }

    /// Stores ST(i)/MMi; the 48 reserved bits are dropped.
    pub(crate) fn set_fp_mmx(&mut self, i: u8, v: u128) {
        self.set_bytes(ST0 + 16 * usize::from(i & 7), 16, v & FP_REGISTER_MASK);
        self.mark(XFEATURE_X87);
    }

    /// XMMi.
    pub(crate) fn xmm(&self, i: u8) -> u128 {
        self.bytes(XMM0 + 16 * usize::from(i & 15), 16)
    }

    /// Stores XMMi.
    pub(crate) fn set_xmm(&mut self, i: u8, v: u128) {
        self.set_bytes(XMM0 + 16 * usize::from(i & 15), 16, v);
        self.mark(XFEATURE_SSE);
    }

    /// `WHV_X64_FP_CONTROL_STATUS_REGISTER`.
    pub(crate) fn fp_control_status(&self) -> u128 {
        self.bytes(FP_CONTROL_STATUS, 16) & !(0xff << 40)
    }

    /// Stores `WHV_X64_FP_CONTROL_STATUS_REGISTER` (the reserved byte is
    /// ignored).
    pub(crate) fn set_fp_control_status(&mut self, v: u128) {
        let reserved = self.bytes(FP_CONTROL_STATUS + 5, 1);
        self.set_bytes(FP_CONTROL_STATUS, 16, (v & !(0xff << 40)) | reserved << 40);
        self.mark(XFEATURE_X87);
    }

    /// `WHV_X64_XMM_CONTROL_STATUS_REGISTER` (MXCSR_MASK: the processor's).
    pub(crate) fn xmm_control_status(&self) -> u128 {
        self.bytes(XMM_CONTROL_STATUS, 12) | u128::from(mxcsr_mask()) << 96
    }

    /// Stores `WHV_X64_XMM_CONTROL_STATUS_REGISTER`. An MXCSR with a bit the
    /// processor does not implement is refused (the processor faults on
    /// it); the mask field is read-only and ignored.
    pub(crate) fn set_xmm_control_status(&mut self, v: u128) -> Result<()> {
        let mxcsr = (v >> 64) as u32;
        if mxcsr & !mxcsr_mask() != 0 {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "MXCSR {mxcsr:#x} sets bits outside MXCSR_MASK {:#x}",
                    mxcsr_mask()
                ),
            ));
        }
        self.set_bytes(XMM_CONTROL_STATUS, 8, v);
        self.set_bytes(MXCSR, 4, u128::from(mxcsr));
        self.mark(XFEATURE_X87 | XFEATURE_SSE);
        Ok(())
    }
}

/// The processor's MXCSR_MASK (FXSAVE bytes 28–31; 0 there means the
/// architectural default 0xffbf).
pub(crate) fn mxcsr_mask() -> u32 {
    static MASK: OnceLock<u32> = OnceLock::new();
    *MASK.get_or_init(|| {
        #[repr(C, align(16))]
        struct FxsaveArea([u8; 512]);
        let mut area = FxsaveArea([0; 512]);
        // SAFETY: FXSAVE64 writes exactly 512 bytes to a 16-byte aligned
        // buffer, which `area` is; FXSR is part of the x86_64 baseline.
        unsafe { core::arch::x86_64::_fxsave64(area.0.as_mut_ptr()) };
        let mask = u32::from_le_bytes([area.0[28], area.0[29], area.0[30], area.0[31]]);
        if mask == 0 { 0xffbf } else { mask }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_status_layout() {
        let mut x = XsaveArea::zeroed();
        let v = 0x1122_3344_5566_7788_u128 << 64 | 0x0123_0045_037f_u128 | 0x9876_u128 << 48;
        x.set_fp_control_status(v | 0xff << 40);
        assert_eq!(x.bytes(0, 2), 0x037f);
        assert_eq!(x.bytes(2, 2), 0x0045);
        assert_eq!(x.bytes(4, 1), 0x23);
        assert_eq!(x.bytes(6, 2), 0x9876);
        assert_eq!(x.bytes(8, 8), 0x1122_3344_5566_7788);
        // The reserved byte reads back as zero; x87 state is marked in use.
        assert_eq!(x.fp_control_status(), v & !(0xff_u128 << 40));
        assert_eq!(x.bytes(XSTATE_BV, 8), 1);
    }

    #[test]
    fn xmm_control_status_layout_and_mxcsr_check() {
        let mut x = XsaveArea::zeroed();
        let v = 0x1f80_u128 << 64 | 0xdead_beef_u128;
        x.set_xmm_control_status(v).unwrap();
        assert_eq!((x.bytes(MXCSR, 4), x.bytes(16, 8)), (0x1f80, 0xdead_beef));
        assert_eq!(x.xmm_control_status(), v | u128::from(mxcsr_mask()) << 96);
        // Bit 31 of MXCSR is reserved on every processor.
        let bad = 0x8000_1f80_u128 << 64;
        assert_eq!(
            x.set_xmm_control_status(bad).unwrap_err().hresult,
            E_INVALIDARG
        );
        assert_eq!(x.bytes(MXCSR, 4), 0x1f80);
    }

    #[test]
    fn registers_sit_in_their_fxsave_slots() {
        let mut x = XsaveArea::zeroed();
        x.set_fp_mmx(3, u128::MAX);
        assert_eq!(x.fp_mmx(3), FP_REGISTER_MASK);
        assert_eq!(x.bytes(ST0 + 48, 10), FP_REGISTER_MASK);
        assert_eq!(x.bytes(ST0 + 58, 6), 0);
        x.set_xmm(15, u128::MAX - 1);
        assert_eq!(x.xmm(15), u128::MAX - 1);
        assert_eq!(x.bytes(XMM0 + 15 * 16, 16), u128::MAX - 1);
        assert_eq!(x.bytes(XSTATE_BV, 8), 3);
        assert_eq!(x.to_kvm().region[(XMM0 + 15 * 16) / 4], 0xffff_fffe);
    }
}
