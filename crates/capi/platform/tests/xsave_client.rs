//! WHvGetVirtualProcessorXsaveState / WHvSetVirtualProcessorXsaveState
//! called as a Windows program calls them, declared through windows-sys
//! only (see `windows_sys_client.rs` for how that links on Linux): a caller
//! that gates on `WHvCapabilityCodeFeatures.Xsave` asks with no buffer,
//! gets WHV_E_INSUFFICIENT_BUFFER and the size in `BytesWritten`, reads the
//! compacted area, changes XMM0 in it, writes it back, and reads XMM0 as a
//! register.
#![allow(unsafe_code, reason = "calling the C API is unsafe by nature")]
#![allow(
    clippy::multiple_unsafe_ops_per_block,
    reason = "test code: each block's SAFETY comment covers its calls together"
)]

use windows_sys::Win32::System::Hypervisor::*;
use windows_sys::core::HRESULT;

#[link(name = "WinHvPlatform")]
unsafe extern "C" {}

const E_INVALIDARG: HRESULT = 0x8007_0057_u32 as HRESULT;
const E_HANDLE: HRESULT = 0x8007_0006_u32 as HRESULT;
const WHV_E_INSUFFICIENT_BUFFER: HRESULT = 0x8037_0301_u32 as HRESULT;

/// Register values at C's alignment (windows-sys under-aligns the type).
#[repr(C, align(16))]
struct Values<const N: usize>([WHV_REGISTER_VALUE; N]);

fn check(what: &str, hr: HRESULT) {
    assert!(hr >= 0, "{what} failed: {:#010x}", hr as u32);
}

#[test]
fn a_windows_caller_reads_and_writes_the_xsave_state() {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    // SAFETY: every pointer passed below is to a live local of the right
    // type and size.
    unsafe {
        let mut features = WHV_CAPABILITY_FEATURES { AsUINT64: 0 };
        let mut n = 0u32;
        check(
            "WHvGetCapability",
            WHvGetCapability(
                WHvCapabilityCodeFeatures,
                (&raw mut features).cast(),
                8,
                &mut n,
            ),
        );
        assert_ne!(
            features.AsUINT64 & 4,
            0,
            "Features.Xsave: KVM_GET/SET_XSAVE exist on every x86-64 KVM"
        );

        let mut p: WHV_PARTITION_HANDLE = 0;
        check("WHvCreatePartition", WHvCreatePartition(&mut p));
        let one = 1u32;
        check(
            "ProcessorCount",
            WHvSetPartitionProperty(
                p,
                WHvPartitionPropertyCodeProcessorCount,
                (&raw const one).cast(),
                4,
            ),
        );
        check("WHvSetupPartition", WHvSetupPartition(p));
        check(
            "WHvCreateVirtualProcessor",
            WHvCreateVirtualProcessor(p, 0, 0),
        );

        // Ask for the size, as openvmm's whp crate does.
        let mut size = 0u32;
        assert_eq!(
            WHvGetVirtualProcessorXsaveState(p, 0, std::ptr::null_mut(), 0, &mut size),
            WHV_E_INSUFFICIENT_BUFFER
        );
        assert!(size >= 576, "legacy region + header at least: {size}");
        let mut state = vec![0u8; size as usize];
        let mut short = 0u32;
        assert_eq!(
            WHvGetVirtualProcessorXsaveState(p, 0, state.as_mut_ptr().cast(), size - 1, &mut short),
            WHV_E_INSUFFICIENT_BUFFER
        );
        assert_eq!(short, size, "the size needed, again");
        assert_eq!(
            WHvGetVirtualProcessorXsaveState(
                p,
                0,
                state.as_mut_ptr().cast(),
                size,
                std::ptr::null_mut()
            ),
            E_INVALIDARG,
            "BytesWritten is required"
        );
        let mut written = 0u32;
        check(
            "WHvGetVirtualProcessorXsaveState",
            WHvGetVirtualProcessorXsaveState(p, 0, state.as_mut_ptr().cast(), size, &mut written),
        );
        assert_eq!(written, size);
        let xcomp_bv = u64::from_le_bytes(state[520..528].try_into().unwrap());
        assert_ne!(xcomp_bv & 1 << 63, 0, "the compacted form");

        // XMM0 through the blob, read back as a register.
        let want = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100_u128;
        state[160..176].copy_from_slice(&want.to_le_bytes());
        state[512] |= 2; // XSTATE_BV.SSE
        check(
            "WHvSetVirtualProcessorXsaveState",
            WHvSetVirtualProcessorXsaveState(p, 0, state.as_ptr().cast(), size),
        );
        let names = [WHvX64RegisterXmm0];
        let mut values = Values([WHV_REGISTER_VALUE { Reg64: 0 }; 1]);
        check(
            "WHvGetVirtualProcessorRegisters",
            WHvGetVirtualProcessorRegisters(p, 0, names.as_ptr(), 1, values.0.as_mut_ptr()),
        );
        let x = values.0[0].Reg128.Anonymous;
        assert_eq!(u128::from(x.Low64) | u128::from(x.High64) << 64, want);

        // A short area, and a stale handle.
        assert_eq!(
            WHvSetVirtualProcessorXsaveState(p, 0, state.as_ptr().cast(), 100),
            WHV_E_INSUFFICIENT_BUFFER
        );
        check("WHvDeletePartition", WHvDeletePartition(p));
        assert_eq!(
            WHvGetVirtualProcessorXsaveState(p, 0, state.as_mut_ptr().cast(), size, &mut written),
            E_HANDLE
        );
        assert_eq!(
            WHvSetVirtualProcessorXsaveState(p, 0, state.as_ptr().cast(), size),
            E_HANDLE
        );
    }
}
