//! WHvGetVirtualProcessorXsaveState / WHvSetVirtualProcessorXsaveState:
//! a VP's XSAVE area in the form Windows hands it out, converted to and from
//! the standard-form image KVM keeps (`KVM_GET/SET_XSAVE`), which lives in
//! the VP's register cache (`registers::RegisterState::xsave_image`) so that
//! state and register accesses always see one copy.
//!
//! # The format (Windows')
//! The buffer is an XSAVE area in the **compacted** form (the form XSAVEC
//! and XSAVES write): the 512-byte legacy (FXSAVE) region, the 64-byte
//! XSAVE header with XCOMP_BV bit 63 set and XCOMP_BV[62:0] naming the
//! components present, then each of those components in order of its bit,
//! packed, starting on a 64-byte boundary where CPUID.(0xD, i):ECX[1] asks
//! for it. Evidence: openvmm's WHP backend (`vmm_core/virt_whp/src/
//! vp_state.rs`) reads the buffer with `Xsave::from_compact` and writes
//! `Xsave::compact()`, whose header is `XCOMP_COMPRESSED | features`
//! (`vmm_core/virt/src/x86/vp.rs`); its KVM backend converts KVM's
//! standard form instead.
//!
//! # Sizes
//! The size is fixed per VP: the compacted size of every component the
//! VP's XSAVE supports (CPUID 0xD.0 EDX:EAX of the VP's CPUID table, with
//! x87 and SSE always). Windows sizes the hypervisor's XSAVE state the same
//! way, per partition (Linux's mshv driver asks the hypervisor for
//! `HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE` and requests
//! `HV_PARTITION_PROPERTY_XSAVE_STATES`, `drivers/hv/mshv_root_main.c`).
//! * Get: a buffer shorter than that answers `WHV_E_INSUFFICIENT_BUFFER`
//!   and writes nothing (the C export reports the size needed in
//!   `BytesWritten`, as Microsoft documents); otherwise exactly that many
//!   bytes are written.
//! * Set (Microsoft documents nothing; our choices, in the README): the
//!   buffer must hold the header and every component its XCOMP_BV names
//!   (shorter: `WHV_E_INSUFFICIENT_BUFFER`); bytes past them are ignored.
//!   What the processor's XRSTOR refuses with #GP is refused with
//!   `E_INVALIDARG`, and nothing changes: XCOMP_BV bit 63 clear (the
//!   standard form), a component the VP does not support, an XSTATE_BV bit
//!   outside XCOMP_BV, non-zero reserved header bytes, an MXCSR bit outside
//!   MXCSR_MASK. A component whose XSTATE_BV bit is clear is in its initial
//!   state, as XRSTOR leaves it, whatever its bytes say; MXCSR is loaded
//!   either way, as XRSTOR loads it.
//!
//! Not carried, because KVM's XSAVE image does not hold them: supervisor
//! components (IA32_XSS; KVM keeps CET state in MSRs) and dynamically
//! enabled ones (AMX tile data, which would need `KVM_GET_XSAVE2` after
//! `ARCH_REQ_XCOMP_GUEST_PERM`, which this process never asks for, so KVM
//! never offers them).

use kvm_bindings::kvm_cpuid_entry2;
use winhv_defs::{E_INVALIDARG, WHV_E_INSUFFICIENT_BUFFER};

use crate::error::{Error, Result};
use crate::registers::{XSAVE_IMAGE_SIZE, XsaveArea, mxcsr_mask};

/// The legacy (FXSAVE) region.
const LEGACY_SIZE: usize = 512;
/// The legacy region's reserved bytes after XMM15, and the bytes 464–511
/// the processor never writes.
const LEGACY_RESERVED: core::ops::Range<usize> = 416..512;
/// FCW, FSW, FTW, FOP, FIP, FDP: the x87 control state (MXCSR follows).
const X87_CONTROL: core::ops::Range<usize> = 0..24;
/// ST0–ST7 and XMM0–XMM15 in the legacy region.
const X87_REGISTERS: core::ops::Range<usize> = 32..160;
const XMM_REGISTERS: core::ops::Range<usize> = 160..416;
/// The x87 control word after FNINIT (and in XSAVE's initial state).
const INIT_FCW: u16 = 0x037f;
/// MXCSR in the legacy region.
const MXCSR: usize = 24;
/// XSTATE_BV bits of the x87 and SSE components.
const XFEATURE_X87: u64 = 1;
const XFEATURE_SSE: u64 = 2;
/// XSTATE_BV, XCOMP_BV and the reserved rest of the 64-byte header.
const XSTATE_BV: usize = 512;
const XCOMP_BV: usize = 520;
const HEADER_RESERVED: core::ops::Range<usize> = 528..576;
/// Where the extended components begin.
const EXTENDED: usize = 576;
/// XCOMP_BV bit 63: the area is in the compacted form.
const COMPACTED: u64 = 1 << 63;
/// x87 and SSE: in the legacy region, present on every XSAVE processor.
const LEGACY_FEATURES: u64 = 0b11;

/// One extended component (CPUID.(0xD, i)): its size, its offset in the
/// standard form, and whether the compacted form aligns it to 64 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Component {
    size: usize,
    standard_offset: usize,
    align64: bool,
}

/// The XSAVE components of one VP and where each lives in both forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct XsaveLayout {
    /// Components the VP supports (XCR0 bits): x87, SSE and the extended
    /// ones KVM's image can hold.
    features: u64,
    components: [Component; 64],
}

impl XsaveLayout {
    /// The layout from a VP's CPUID table (leaf 0xD). Without leaf 0xD the
    /// VP has x87 and SSE only.
    pub(crate) fn from_cpuid(cpuid: &[kvm_cpuid_entry2]) -> Self {
        let leaf = |index: u32| cpuid.iter().find(|e| e.function == 0xd && e.index == index);
        let mut layout = Self {
            features: LEGACY_FEATURES,
            components: [Component::default(); 64],
        };
        let Some(root) = leaf(0) else { return layout };
        let xcr0 = u64::from(root.eax) | u64::from(root.edx) << 32;
        for i in 2..63u32 {
            if xcr0 & (1 << i) == 0 {
                continue;
            }
            let Some(e) = leaf(i) else { continue };
            let c = Component {
                size: e.eax as usize,
                standard_offset: e.ebx as usize,
                align64: e.ecx & 2 != 0,
            };
            // A component KVM's 4 KiB image cannot hold (or one CPUID
            // describes as empty) is not part of the VP's state here.
            if c.size == 0
                || c.standard_offset < EXTENDED
                || c.standard_offset + c.size > XSAVE_IMAGE_SIZE
            {
                continue;
            }
            layout.features |= 1 << i;
            layout.components[i as usize] = c;
        }
        layout
    }

    /// The XCR0 components this VP's XSAVE state holds.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by tests"))]
    pub(crate) fn features(&self) -> u64 {
        self.features
    }

    /// The size of the VP's XSAVE state: the compacted area with every
    /// supported component.
    pub(crate) fn size(&self) -> usize {
        self.compact_end(self.features)
    }

    /// The compacted offset of each extended component in `xcomp`, and the
    /// end of the area, in one walk.
    fn compact_offsets(&self, xcomp: u64) -> impl Iterator<Item = (usize, usize, Component)> + '_ {
        let mut next = EXTENDED;
        (2..63usize).filter_map(move |i| {
            if xcomp & (1 << i) == 0 {
                return None;
            }
            let c = self.components[i];
            if c.align64 {
                next = next.next_multiple_of(64);
            }
            let at = next;
            next += c.size;
            Some((i, at, c))
        })
    }

    /// Where a compacted area with components `xcomp` ends.
    fn compact_end(&self, xcomp: u64) -> usize {
        self.compact_offsets(xcomp)
            .last()
            .map_or(EXTENDED, |(_, at, c)| at + c.size)
    }

    /// Writes the compacted form of `image` to `out` (at least
    /// [`Self::size`] bytes; the caller checked) and returns its size.
    pub(crate) fn to_compact(&self, image: &XsaveArea, out: &mut [u8]) -> usize {
        let size = self.size();
        let Some(out) = out.get_mut(..size) else {
            return 0;
        };
        let std = image.to_bytes();
        out.fill(0);
        out[..LEGACY_SIZE].copy_from_slice(&std[..LEGACY_SIZE]);
        out[LEGACY_RESERVED].fill(0);
        let xstate_bv = read_u64(&std, XSTATE_BV) & self.features;
        out[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&xstate_bv.to_le_bytes());
        out[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(self.features | COMPACTED).to_le_bytes());
        for (i, at, c) in self.compact_offsets(self.features) {
            if xstate_bv & (1 << i) != 0 {
                out[at..at + c.size]
                    .copy_from_slice(&std[c.standard_offset..c.standard_offset + c.size]);
            }
        }
        size
    }

    /// The standard-form image a compacted area `blob` describes, checked
    /// as XRSTOR would check it (see the module documentation).
    pub(crate) fn parse_compact(&self, blob: &[u8]) -> Result<XsaveArea> {
        if blob.len() < EXTENDED {
            return Err(Error::with(
                WHV_E_INSUFFICIENT_BUFFER,
                format!(
                    "an XSAVE area needs at least {EXTENDED} bytes, the buffer has {}",
                    blob.len()
                ),
            ));
        }
        let xstate_bv = read_u64(blob, XSTATE_BV);
        let xcomp_bv = read_u64(blob, XCOMP_BV);
        let invalid = |why: String| Err(Error::with(E_INVALIDARG, why));
        if xcomp_bv & COMPACTED == 0 {
            return invalid(format!(
                "XCOMP_BV {xcomp_bv:#x}: the state must be in the compacted form (bit 63)"
            ));
        }
        let components = xcomp_bv & !COMPACTED;
        if components & !self.features != 0 {
            return invalid(format!(
                "XCOMP_BV {xcomp_bv:#x} names components this VP lacks (it has {:#x})",
                self.features
            ));
        }
        if xstate_bv & !components != 0 {
            return invalid(format!(
                "XSTATE_BV {xstate_bv:#x} has components XCOMP_BV {xcomp_bv:#x} lacks"
            ));
        }
        if blob[HEADER_RESERVED].iter().any(|&b| b != 0) {
            return invalid("the XSAVE header's reserved bytes 16-63 are not zero".into());
        }
        let mxcsr = read_u32(blob, MXCSR);
        if mxcsr & !mxcsr_mask() != 0 {
            return invalid(format!(
                "MXCSR {mxcsr:#x} sets bits outside MXCSR_MASK {:#x}",
                mxcsr_mask()
            ));
        }
        let end = self.compact_end(components);
        if blob.len() < end {
            return Err(Error::with(
                WHV_E_INSUFFICIENT_BUFFER,
                format!(
                    "XCOMP_BV {xcomp_bv:#x} needs {end} bytes, the buffer has {}",
                    blob.len()
                ),
            ));
        }
        let mut std = [0u8; XSAVE_IMAGE_SIZE];
        std[..LEGACY_SIZE].copy_from_slice(&blob[..LEGACY_SIZE]);
        std[LEGACY_RESERVED].fill(0);
        // x87 or SSE state marked initial is written out as its initial
        // values and marked in use: the same state (the SDM lets XINUSE be
        // 1 for a component in its initial configuration), and KVM then
        // loads MXCSR from the buffer as XRSTOR does, which it skips when
        // XSTATE_BV has neither x87, SSE nor AVX.
        if xstate_bv & XFEATURE_X87 == 0 {
            std[X87_CONTROL].fill(0);
            std[..2].copy_from_slice(&INIT_FCW.to_le_bytes());
            std[X87_REGISTERS].fill(0);
        }
        if xstate_bv & XFEATURE_SSE == 0 {
            std[XMM_REGISTERS].fill(0);
        }
        let stored_bv = xstate_bv | LEGACY_FEATURES;
        std[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&stored_bv.to_le_bytes());
        for (i, at, c) in self.compact_offsets(components) {
            if xstate_bv & (1 << i) != 0 {
                std[c.standard_offset..c.standard_offset + c.size]
                    .copy_from_slice(&blob[at..at + c.size]);
            }
        }
        Ok(XsaveArea::from_bytes(&std))
    }
}

fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u32, eax: u32, ebx: u32, ecx: u32, edx: u32) -> kvm_cpuid_entry2 {
        kvm_cpuid_entry2 {
            function: 0xd,
            index,
            eax,
            ebx,
            ecx,
            edx,
            ..Default::default()
        }
    }

    /// An Intel-like CPU with AVX (2), MPX (3, 4: skipped by XCR0 here),
    /// AVX-512 (5, 6, 7) and PKRU (9), PKRU aligned to 64 bytes.
    fn layout() -> XsaveLayout {
        XsaveLayout::from_cpuid(&[
            entry(0, 0x2e7, 0xa88, 0xa88, 0),
            entry(2, 0x100, 0x240, 0, 0),
            entry(5, 0x40, 0x440, 0, 0),
            entry(6, 0x200, 0x480, 0, 0),
            entry(7, 0x400, 0x680, 0, 0),
            entry(9, 0x8, 0xa80, 2, 0),
        ])
    }

    #[test]
    fn sizes_follow_cpuid_leaf_0xd() {
        let l = layout();
        assert_eq!(l.features(), 0x2e7);
        // 576 + 256 (AVX) + 64 + 512 + 1024 (AVX-512) = 2432, then PKRU
        // aligned to 2432 (a multiple of 64) + 8.
        assert_eq!(l.size(), 2440);
        assert_eq!(l.compact_end(0b111), 576 + 256);
        // No leaf 0xD: the legacy region and the header only.
        let bare = XsaveLayout::from_cpuid(&[]);
        assert_eq!((bare.features(), bare.size()), (3, 576));
        // A component beyond KVM's 4 KiB image (AMX tile data) is left out.
        let amx = XsaveLayout::from_cpuid(&[
            entry(0, 0x60007, 0, 0, 0),
            entry(17, 64, 0xac0, 2, 0),
            entry(18, 0x2000, 0xb00, 2, 0),
            entry(2, 0x100, 0x240, 0, 0),
        ]);
        assert_eq!(amx.features(), 0x20007);
    }

    #[test]
    fn compact_round_trip_moves_components() {
        let l = layout();
        let mut std = [0u8; XSAVE_IMAGE_SIZE];
        std[0] = 0x7f; // FCW
        std[1] = 0x03;
        std[MXCSR..MXCSR + 4].copy_from_slice(&0x1f80u32.to_le_bytes());
        std[160] = 0xaa; // XMM0
        std[0x240] = 0xbb; // YMM0_H
        std[0xa80] = 0xcc; // PKRU
        std[0x440] = 0xdd; // opmask: present but not in XSTATE_BV
        std[470] = 0xee; // never written by the processor
        let bv: u64 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 9);
        std[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
        let image = XsaveArea::from_bytes(&std);
        let mut blob = vec![0xffu8; l.size() + 8];
        assert_eq!(l.to_compact(&image, &mut blob), 2440);
        assert_eq!(read_u64(&blob, XSTATE_BV), bv);
        assert_eq!(read_u64(&blob, XCOMP_BV), 0x2e7 | COMPACTED);
        assert_eq!(blob[160], 0xaa);
        assert_eq!(blob[576], 0xbb, "AVX first");
        assert_eq!(blob[2432], 0xcc, "PKRU after AVX-512, aligned");
        assert_eq!(blob[576 + 256], 0, "opmask in its initial state");
        assert_eq!(blob[470], 0);
        assert!(
            blob[2440..].iter().all(|&b| b == 0xff),
            "nothing past the size"
        );
        let back = l.parse_compact(&blob[..2440]).unwrap();
        let b = back.to_bytes();
        assert_eq!(
            (b[160], b[0x240], b[0xa80], b[0x440]),
            (0xaa, 0xbb, 0xcc, 0)
        );
        assert_eq!(read_u64(&b, XCOMP_BV), 0, "KVM's form is the standard one");
    }

    #[test]
    fn initial_x87_and_sse_state_is_written_as_initial_values() {
        let l = layout();
        let mut blob = vec![0u8; l.size()];
        blob[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(COMPACTED | 0x2e7).to_le_bytes());
        blob[0] = 0x34; // FCW, but x87 is in its initial state
        blob[40] = 1; // ST0
        blob[200] = 2; // XMM2, but SSE is in its initial state
        blob[MXCSR..MXCSR + 4].copy_from_slice(&0x9fc0u32.to_le_bytes());
        let b = l.parse_compact(&blob).unwrap().to_bytes();
        assert_eq!(u16::from_le_bytes([b[0], b[1]]), INIT_FCW);
        assert_eq!((b[40], b[200]), (0, 0));
        assert_eq!(read_u32(&b, MXCSR), 0x9fc0, "MXCSR is loaded regardless");
        assert_eq!(read_u64(&b, XSTATE_BV), 3);
    }

    #[test]
    fn a_partial_xcomp_bv_is_accepted_at_its_own_size() {
        let l = layout();
        let mut blob = vec![0u8; 576 + 8];
        blob[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(COMPACTED | 0x203).to_le_bytes());
        blob[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&0x200u64.to_le_bytes());
        blob[576] = 0x55; // PKRU right after the header
        let b = l.parse_compact(&blob).unwrap().to_bytes();
        assert_eq!(b[0xa80], 0x55);
        assert_eq!(
            l.parse_compact(&blob[..580]).unwrap_err().hresult,
            WHV_E_INSUFFICIENT_BUFFER
        );
    }

    #[test]
    fn what_xrstor_refuses_is_refused() {
        let l = layout();
        let good = || {
            let mut b = vec![0u8; l.size()];
            b[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(COMPACTED | 0x2e7).to_le_bytes());
            b
        };
        assert!(l.parse_compact(&good()).is_ok());
        let hr = |b: &[u8]| l.parse_compact(b).unwrap_err().hresult;
        assert_eq!(hr(&good()[..575]), WHV_E_INSUFFICIENT_BUFFER);
        let mut b = good();
        b[XCOMP_BV + 7] = 0; // standard form
        assert_eq!(hr(&b), E_INVALIDARG);
        let mut b = good();
        b[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(COMPACTED | 0x2ef).to_le_bytes());
        assert_eq!(hr(&b), E_INVALIDARG, "MPX is not the VP's");
        let mut b = good();
        b[XCOMP_BV..XCOMP_BV + 8].copy_from_slice(&(COMPACTED | 0x3).to_le_bytes());
        b[XSTATE_BV] = 0x7;
        assert_eq!(hr(&b), E_INVALIDARG, "XSTATE_BV outside XCOMP_BV");
        let mut b = good();
        b[540] = 1;
        assert_eq!(hr(&b), E_INVALIDARG, "reserved header byte");
        let mut b = good();
        b[MXCSR + 3] = 0x80;
        assert_eq!(hr(&b), E_INVALIDARG, "MXCSR bit 31");
    }
}
