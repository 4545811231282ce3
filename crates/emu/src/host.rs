//! The processor features the emulator follows: the host's, as the
//! processor that ran the guest's instruction up to its memory access.
//!
//! WHV_EMULATOR_CALLBACKS has no way to ask for the guest's CPUID, and it
//! does not need one for these: CPUID bits do not switch BMI1, BMI2, ADX,
//! LZCNT, POPCNT or CRC32 off, so a guest runs them as the host processor
//! does whatever its CPUID says (an F3 0F BC is TZCNT on a host with BMI1,
//! BSF on one without). The emulator decides the same way: an instruction
//! the host lacks raises `#UD`, as it would have on the host; TZCNT and
//! LZCNT run as BSF and BSR where the host lacks them.

/// A feature the emulator asks about.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Feature {
    /// BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR, TZCNT).
    Bmi1,
    /// BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX).
    Bmi2,
    /// ADX (ADCX, ADOX).
    Adx,
    /// LZCNT (ABM on AMD).
    Lzcnt,
    /// POPCNT.
    Popcnt,
    /// SSE4.2 (CRC32, PCMPxSTRx, PCMPGTQ).
    Sse42,
    /// SSE4.1.
    Sse41,
    /// SSSE3.
    Ssse3,
    /// SSE3.
    Sse3,
    /// AES-NI.
    Aes,
}

/// Whether the host processor has `f` (std caches the CPUID answers).
pub(crate) fn has(f: Feature) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match f {
            Feature::Bmi1 => std::is_x86_feature_detected!("bmi1"),
            Feature::Bmi2 => std::is_x86_feature_detected!("bmi2"),
            Feature::Adx => std::is_x86_feature_detected!("adx"),
            Feature::Lzcnt => std::is_x86_feature_detected!("lzcnt"),
            Feature::Popcnt => std::is_x86_feature_detected!("popcnt"),
            Feature::Sse42 => std::is_x86_feature_detected!("sse4.2"),
            Feature::Sse41 => std::is_x86_feature_detected!("sse4.1"),
            Feature::Ssse3 => std::is_x86_feature_detected!("ssse3"),
            Feature::Sse3 => std::is_x86_feature_detected!("sse3"),
            Feature::Aes => std::is_x86_feature_detected!("aes"),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = f;
        false
    }
}
