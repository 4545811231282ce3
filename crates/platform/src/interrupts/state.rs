//! The buffer of WHvGet/SetVirtualProcessorInterruptControllerState(2):
//! the local APIC as the xAPIC register page, converted to and from KVM's
//! `kvm_lapic_state` ([`to_blob`], [`from_blob`]).
//!
//! The format, as Windows callers use it (Microsoft documents only the
//! size protocol: a buffer too small answers `WHV_E_INSUFFICIENT_BUFFER`
//! with the size needed in `WrittenSize`):
//! * [`STATE_SIZE`] = 4096 bytes. QEMU's `whpx-apic.c` passes a 4 KiB
//!   `struct whpx_lapic_state { struct { uint32_t data; uint32_t
//!   padding[3]; } fields[256]; }` to the "2" functions; openvmm's
//!   `whp::Processor::get_apic` passes 4 KiB too, "Only the first 1024
//!   bytes are used but the API requires a full page".
//! * Register `n` (x2APIC register number = xAPIC offset >> 4) is the
//!   little-endian dword at byte `n * 16`, the next 12 bytes zero; bytes
//!   1024–4095 are zero. QEMU reads ID (0x2) `>> 24`, TPR (0x8), APR (0x9),
//!   LDR (0xd) `>> 24`, DFR (0xe) `>> 28`, SVR (0xf), ISR/TMR/IRR
//!   (0x10–0x27), ESR (0x28), ICR (0x30, 0x31), the LVTs (0x32–0x37), the
//!   initial count (0x38) and the divide configuration (0x3e) there.
//! * In x2APIC mode the ID register holds the 32-bit x2APIC ID (openvmm's
//!   `vp::Apic::at_reset`: `id = apic_id` with x2APIC, `apic_id << 24`
//!   without) and the LDR the derived logical ID.
//! * IRR bit 2 (vector 2, not a valid interrupt vector) is the VP's pending
//!   NMI: openvmm's `ApicRegisters::hv_apic_nmi_pending`, "the
//!   non-architectural Hyper-V NMI pending bit in the APIC page". KVM keeps
//!   it in `kvm_vcpu_events.nmi.pending`; the conversion moves it.
//! * The deprecated functions without "2" use the same buffer here: a
//!   Windows VMM's LAPIC dump through WHvGetVirtualProcessorInterrupt-
//!   ControllerState reads TPR at 0x80, SVR at 0xF0, ISR at 0x100, IRR at
//!   0x200, the LVT timer at 0x320 from a 4 KiB buffer (README: a choice).
//!
//! The APIC base (and so the mode the page is read in) is not part of the
//! buffer: callers set `WHvX64RegisterApicBase` first (QEMU's
//! `whpx_apic_put`, openvmm's `restore_apic` both do).

use kvm_bindings::kvm_lapic_state;
use winhv_defs::E_INVALIDARG;

use super::routing::{self, dword};
use crate::registers::LapicSnapshot;
use crate::{Error, Result};

/// The size of an interrupt-controller state buffer.
pub const STATE_SIZE: u32 = 4096;

/// Registers in the page (KVM's `KVM_APIC_REG_SIZE` / 16).
const REGISTERS: usize = 64;
const ID: usize = 0x02;
const EOI: usize = 0x0b;
const LDR: usize = 0x0d;
const IRR0: usize = 0x20;
const SELF_IPI: usize = 0x3f;
/// The NMI-pending bit in IRR0.
const NMI_PENDING: u32 = 1 << 2;

fn set_dword(page: &mut kvm_lapic_state, n: usize, value: u32) {
    let at = n << 4;
    for (i, byte) in value.to_le_bytes().into_iter().enumerate() {
        page.regs[at + i] = byte as std::os::raw::c_char;
    }
}

/// Writes the buffer for `snapshot` of VP `vp_index` into `out` (at least
/// [`STATE_SIZE`] bytes).
pub(crate) fn to_blob(snapshot: &LapicSnapshot, vp_index: u32, out: &mut [u8]) {
    let out = &mut out[..STATE_SIZE as usize];
    out.fill(0);
    for n in 0..REGISTERS {
        let value = match n {
            // In x2APIC mode the ID is the VP index (KVM's x2APIC ID is the
            // vCPU id) and the LDR follows from it: so even while KVM's page
            // is in another format (`ID << 24` without 32-bit IDs) or still
            // in xAPIC mode (a switch the VMM made waits for the next run).
            ID if snapshot.x2apic() => vp_index,
            LDR if snapshot.x2apic() => routing::x2apic_ldr(vp_index),
            // Write-only: nothing to read.
            EOI | SELF_IPI => 0,
            IRR0 if snapshot.nmi_pending => dword(&snapshot.page, n) | NMI_PENDING,
            _ => dword(&snapshot.page, n),
        };
        out[n * 16..n * 16 + 4].copy_from_slice(&value.to_le_bytes());
    }
}

/// The KVM page and pending NMI that `blob` (at least [`STATE_SIZE`] bytes)
/// describes for VP `vp_index`, whose APIC is as `current` says (its mode
/// decides how the ID reads). In x2APIC mode the ID is the VP's and cannot
/// change: another one answers `E_INVALIDARG`, as a write of the read-only
/// ApicId register does.
pub(crate) fn from_blob(
    blob: &[u8],
    current: &LapicSnapshot,
    vp_index: u32,
) -> Result<(kvm_lapic_state, bool)> {
    let reg = |n: usize| {
        let at = n * 16;
        u32::from_le_bytes([blob[at], blob[at + 1], blob[at + 2], blob[at + 3]])
    };
    let mut page = kvm_lapic_state::default();
    let mut nmi_pending = false;
    for n in 0..REGISTERS {
        let mut value = reg(n);
        match n {
            ID if current.x2apic() => {
                if value != vp_index {
                    return Err(Error::with(
                        E_INVALIDARG,
                        format!(
                            "x2APIC ID {value} in the state: VP {vp_index}'s x2APIC ID is \
                             {vp_index} and read-only"
                        ),
                    ));
                }
                if !current.x2apic_api {
                    value <<= 24;
                }
            }
            EOI | SELF_IPI => value = 0,
            IRR0 => {
                nmi_pending = value & NMI_PENDING != 0;
                value &= !NMI_PENDING;
            }
            _ => {}
        }
        set_dword(&mut page, n, value);
    }
    Ok((page, nmi_pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(x2apic: bool, x2apic_api: bool, nmi: bool) -> LapicSnapshot {
        let mut page = kvm_lapic_state::default();
        for n in 0..REGISTERS {
            set_dword(&mut page, n, 0x0100_0000 * n as u32 + n as u32);
        }
        // Bytes past each dword are not part of the buffer.
        page.regs[0x304] = 0x55;
        LapicSnapshot {
            page,
            apic_base: 0xfee0_0900 | if x2apic { 1 << 10 } else { 0 },
            nmi_pending: nmi,
            x2apic_api,
        }
    }

    fn blob_reg(blob: &[u8], n: usize) -> u32 {
        u32::from_le_bytes(blob[n * 16..n * 16 + 4].try_into().unwrap())
    }

    #[test]
    fn the_blob_is_the_register_page_with_padding_zeroed() {
        let s = snapshot(false, true, false);
        let mut blob = vec![0xaa; STATE_SIZE as usize + 8];
        to_blob(&s, 3, &mut blob);
        for n in 0..REGISTERS {
            let want = match n {
                EOI | SELF_IPI => 0,
                _ => dword(&s.page, n),
            };
            assert_eq!(blob_reg(&blob, n), want, "register {n:#x}");
            assert!(blob[n * 16 + 4..n * 16 + 16].iter().all(|&b| b == 0));
        }
        assert!(blob[1024..4096].iter().all(|&b| b == 0));
        assert_eq!(&blob[4096..], &[0xaa; 8], "nothing past the state");
    }

    #[test]
    fn nmi_pending_is_irr_bit_2_both_ways() {
        let s = snapshot(false, true, true);
        let mut blob = vec![0; STATE_SIZE as usize];
        to_blob(&s, 0, &mut blob);
        assert_eq!(blob_reg(&blob, IRR0), dword(&s.page, IRR0) | NMI_PENDING);
        let (page, nmi) = from_blob(&blob, &s, 0).unwrap();
        assert!(nmi);
        assert_eq!(dword(&page, IRR0), dword(&s.page, IRR0) & !NMI_PENDING);
        let s = snapshot(false, true, false);
        to_blob(&s, 0, &mut blob);
        let (_, nmi) = from_blob(&blob, &s, 0).unwrap();
        assert!(!nmi);
    }

    #[test]
    fn round_trip_keeps_every_register_but_the_write_only_ones() {
        for (x2apic, api) in [(false, false), (false, true), (true, true), (true, false)] {
            let mut s = snapshot(x2apic, api, false);
            if x2apic {
                set_dword(&mut s.page, ID, if api { 5 } else { 5 << 24 });
            }
            let mut blob = vec![0; STATE_SIZE as usize];
            to_blob(&s, 5, &mut blob);
            if x2apic {
                assert_eq!(blob_reg(&blob, ID), 5, "the 32-bit x2APIC ID");
            }
            let (page, _) = from_blob(&blob, &s, 5).unwrap();
            for n in 0..REGISTERS {
                let want = match n {
                    EOI | SELF_IPI => 0,
                    IRR0 => dword(&s.page, n) & !NMI_PENDING,
                    LDR if x2apic => routing::x2apic_ldr(5),
                    _ => dword(&s.page, n),
                };
                assert_eq!(dword(&page, n), want, "register {n:#x} ({x2apic}, {api})");
            }
        }
    }

    #[test]
    fn an_x2apic_id_of_another_vp_is_refused() {
        let s = snapshot(true, true, false);
        let mut blob = vec![0; STATE_SIZE as usize];
        to_blob(&s, 2, &mut blob);
        let e = from_blob(&blob, &s, 3).unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG);
        // In xAPIC mode the ID is the caller's to choose.
        let s = snapshot(false, true, false);
        to_blob(&s, 2, &mut blob);
        from_blob(&blob, &s, 3).unwrap();
    }
}
