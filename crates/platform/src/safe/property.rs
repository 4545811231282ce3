//! [`Property`]: every partition property as a typed value, encoded into
//! the `WHV_PARTITION_PROPERTY` bytes WHvSetPartitionProperty takes. The
//! platform's property store (`crate::property`) checks each one exactly
//! as it checks a C caller's buffer, so a typed value the host cannot
//! honour answers the same HRESULT.

use winhv_defs::*;

/// A partition property and its value. Set before setup through
/// [`super::PartitionBuilder`]; the exit properties (ExtendedVmExits,
/// ExceptionExitBitmap, X64MsrExitBitmap, CpuidExitList) also later with
/// [`super::Partition::set_property`].
///
/// ```
/// use winhv::safe::Property;
/// use winhv::defs::*;
/// let p = Property::ProcessorCount(2);
/// assert_eq!(p.code(), WHvPartitionPropertyCodeProcessorCount);
/// assert_eq!(p.to_bytes(), 2u32.to_le_bytes());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Property {
    /// `ProcessorCount`: how many VPs the partition has (required).
    ProcessorCount(u32),
    /// `LocalApicEmulationMode`: none, xAPIC or x2APIC.
    LocalApicEmulation(WHV_X64_LOCAL_APIC_EMULATION_MODE),
    /// `ExtendedVmExits`: which extra exits the VMM wants (MSR, CPUID,
    /// exception, …).
    ExtendedVmExits(WHV_EXTENDED_VM_EXITS),
    /// `ExceptionExitBitmap`: bit *n* makes exception vector *n* exit
    /// (with `ExceptionExit` in [`Property::ExtendedVmExits`]).
    ExceptionExitBitmap(u64),
    /// `X64MsrExitBitmap`: which MSR accesses exit.
    X64MsrExitBitmap(WHV_X64_MSR_EXIT_BITMAP),
    /// `CpuidExitList`: leaves that exit (refused on KVM unless empty).
    CpuidExitList(Vec<u32>),
    /// `CpuidResultList`: forced CPUID results.
    CpuidResults(Vec<WHV_X64_CPUID_RESULT>),
    /// `CpuidResultList2`: forced CPUID results with sub-leaf, VP and mask.
    CpuidResults2(Vec<WHV_X64_CPUID_RESULT2>),
    /// `MsrActionList`: what accesses to given MSRs do.
    MsrActions(Vec<WHV_MSR_ACTION_ENTRY>),
    /// `UnimplementedMsrAction`: what an access to an MSR nobody
    /// implements does.
    UnimplementedMsrAction(WHV_MSR_ACTION),
    /// `ProcessorFeatures`: processor feature bank 0 offered to the guest.
    ProcessorFeatures(WHV_PROCESSOR_FEATURES),
    /// `ProcessorFeaturesBanks`: both processor feature banks.
    ProcessorFeaturesBanks(WHV_PROCESSOR_FEATURES, WHV_PROCESSOR_FEATURES1),
    /// `ProcessorXsaveFeatures`.
    ProcessorXsaveFeatures(WHV_PROCESSOR_XSAVE_FEATURES),
    /// `ProcessorPerfmonFeatures`.
    ProcessorPerfmonFeatures(WHV_PROCESSOR_PERFMON_FEATURES),
    /// `SyntheticProcessorFeaturesBanks`: the Hyper-V enlightenments bank.
    SyntheticProcessorFeatures(WHV_SYNTHETIC_PROCESSOR_FEATURES),
    /// `ProcessorClFlushSize`: CLFLUSH line size, in 8-byte units.
    ProcessorClFlushSize(u8),
    /// `ProcessorClockFrequency`, Hz.
    ProcessorClockFrequency(u64),
    /// `InterruptClockFrequency`, Hz.
    InterruptClockFrequency(u64),
    /// `SeparateSecurityDomain`.
    SeparateSecurityDomain(bool),
    /// `NestedVirtualization`.
    NestedVirtualization(bool),
    /// `AllowDeviceAssignment`.
    AllowDeviceAssignment(bool),
    /// `DisableSmt`.
    DisableSmt(bool),
    /// `ApicRemoteReadSupport`.
    ApicRemoteRead(bool),
    /// `PrimaryNumaNode` (not available here: `WHV_E_UNKNOWN_PROPERTY`).
    PrimaryNumaNode(u16),
    /// `CpuReserve` (not available here).
    CpuReserve(u32),
    /// `CpuCap` (not available here).
    CpuCap(u32),
    /// `CpuWeight` (not available here).
    CpuWeight(u32),
    /// `CpuGroupId` (not available here).
    CpuGroupId(u64),
    /// `ProcessorFrequencyCap`, MHz (not available here).
    ProcessorFrequencyCap(u32),
    /// `ReferenceTime`, 100 ns units (not available here).
    ReferenceTime(u64),
}

fn u32s(values: impl IntoIterator<Item = u32>) -> Vec<u8> {
    values.into_iter().flat_map(u32::to_le_bytes).collect()
}

fn cpuid_output(o: &WHV_CPUID_OUTPUT) -> [u32; 4] {
    [o.Eax, o.Ebx, o.Ecx, o.Edx]
}

impl Property {
    /// The `WHV_PARTITION_PROPERTY_CODE` this value is for.
    pub fn code(&self) -> WHV_PARTITION_PROPERTY_CODE {
        match self {
            Property::ProcessorCount(_) => WHvPartitionPropertyCodeProcessorCount,
            Property::LocalApicEmulation(_) => WHvPartitionPropertyCodeLocalApicEmulationMode,
            Property::ExtendedVmExits(_) => WHvPartitionPropertyCodeExtendedVmExits,
            Property::ExceptionExitBitmap(_) => WHvPartitionPropertyCodeExceptionExitBitmap,
            Property::X64MsrExitBitmap(_) => WHvPartitionPropertyCodeX64MsrExitBitmap,
            Property::CpuidExitList(_) => WHvPartitionPropertyCodeCpuidExitList,
            Property::CpuidResults(_) => WHvPartitionPropertyCodeCpuidResultList,
            Property::CpuidResults2(_) => WHvPartitionPropertyCodeCpuidResultList2,
            Property::MsrActions(_) => WHvPartitionPropertyCodeMsrActionList,
            Property::UnimplementedMsrAction(_) => WHvPartitionPropertyCodeUnimplementedMsrAction,
            Property::ProcessorFeatures(_) => WHvPartitionPropertyCodeProcessorFeatures,
            Property::ProcessorFeaturesBanks(..) => WHvPartitionPropertyCodeProcessorFeaturesBanks,
            Property::ProcessorXsaveFeatures(_) => WHvPartitionPropertyCodeProcessorXsaveFeatures,
            Property::ProcessorPerfmonFeatures(_) => {
                WHvPartitionPropertyCodeProcessorPerfmonFeatures
            }
            Property::SyntheticProcessorFeatures(_) => {
                WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks
            }
            Property::ProcessorClFlushSize(_) => WHvPartitionPropertyCodeProcessorClFlushSize,
            Property::ProcessorClockFrequency(_) => WHvPartitionPropertyCodeProcessorClockFrequency,
            Property::InterruptClockFrequency(_) => WHvPartitionPropertyCodeInterruptClockFrequency,
            Property::SeparateSecurityDomain(_) => WHvPartitionPropertyCodeSeparateSecurityDomain,
            Property::NestedVirtualization(_) => WHvPartitionPropertyCodeNestedVirtualization,
            Property::AllowDeviceAssignment(_) => WHvPartitionPropertyCodeAllowDeviceAssignment,
            Property::DisableSmt(_) => WHvPartitionPropertyCodeDisableSmt,
            Property::ApicRemoteRead(_) => WHvPartitionPropertyCodeApicRemoteReadSupport,
            Property::PrimaryNumaNode(_) => WHvPartitionPropertyCodePrimaryNumaNode,
            Property::CpuReserve(_) => WHvPartitionPropertyCodeCpuReserve,
            Property::CpuCap(_) => WHvPartitionPropertyCodeCpuCap,
            Property::CpuWeight(_) => WHvPartitionPropertyCodeCpuWeight,
            Property::CpuGroupId(_) => WHvPartitionPropertyCodeCpuGroupId,
            Property::ProcessorFrequencyCap(_) => WHvPartitionPropertyCodeProcessorFrequencyCap,
            Property::ReferenceTime(_) => WHvPartitionPropertyCodeReferenceTime,
        }
    }

    /// The value as WHvSetPartitionProperty's buffer: the
    /// `WHV_PARTITION_PROPERTY` member's bytes, little-endian (a list: its
    /// elements one after another).
    pub fn to_bytes(&self) -> Vec<u8> {
        let b = |v: bool| u32::from(v).to_le_bytes().to_vec();
        match self {
            Property::ProcessorCount(n)
            | Property::CpuReserve(n)
            | Property::CpuCap(n)
            | Property::CpuWeight(n)
            | Property::ProcessorFrequencyCap(n) => n.to_le_bytes().to_vec(),
            Property::LocalApicEmulation(m) => m.0.to_le_bytes().to_vec(),
            Property::UnimplementedMsrAction(a) => a.0.to_le_bytes().to_vec(),
            Property::ExtendedVmExits(v) => v.AsUINT64.to_le_bytes().to_vec(),
            Property::X64MsrExitBitmap(v) => v.AsUINT64.to_le_bytes().to_vec(),
            Property::ProcessorFeatures(v) => v.AsUINT64.to_le_bytes().to_vec(),
            Property::ProcessorXsaveFeatures(v) => v.AsUINT64.to_le_bytes().to_vec(),
            Property::ProcessorPerfmonFeatures(v) => v.AsUINT64.to_le_bytes().to_vec(),
            Property::ExceptionExitBitmap(n)
            | Property::ProcessorClockFrequency(n)
            | Property::InterruptClockFrequency(n)
            | Property::CpuGroupId(n)
            | Property::ReferenceTime(n) => n.to_le_bytes().to_vec(),
            Property::ProcessorFeaturesBanks(b0, b1) => {
                let mut v = u32s([WHV_PROCESSOR_FEATURES_BANKS_COUNT, 0]);
                v.extend(b0.AsUINT64.to_le_bytes());
                v.extend(b1.AsUINT64.to_le_bytes());
                v
            }
            Property::SyntheticProcessorFeatures(f) => {
                let mut v = u32s([1, 0]);
                v.extend(f.AsUINT64.to_le_bytes());
                v
            }
            Property::ProcessorClFlushSize(n) => vec![*n],
            Property::PrimaryNumaNode(n) => n.to_le_bytes().to_vec(),
            Property::SeparateSecurityDomain(v)
            | Property::NestedVirtualization(v)
            | Property::AllowDeviceAssignment(v)
            | Property::DisableSmt(v)
            | Property::ApicRemoteRead(v) => b(*v),
            Property::CpuidExitList(leaves) => u32s(leaves.iter().copied()),
            Property::CpuidResults(list) => u32s(list.iter().flat_map(|r| {
                [
                    r.Function,
                    r.Reserved[0],
                    r.Reserved[1],
                    r.Reserved[2],
                    r.Eax,
                    r.Ebx,
                    r.Ecx,
                    r.Edx,
                ]
            })),
            Property::CpuidResults2(list) => u32s(list.iter().flat_map(|r| {
                let [a, b, c, d] = cpuid_output(&r.Output);
                let [ma, mb, mc, md] = cpuid_output(&r.Mask);
                [
                    r.Function,
                    r.Index,
                    r.VpIndex,
                    r.Flags.0 as u32,
                    a,
                    b,
                    c,
                    d,
                    ma,
                    mb,
                    mc,
                    md,
                ]
            })),
            Property::MsrActions(list) => list
                .iter()
                .flat_map(|e| {
                    let mut v = e.Index.to_le_bytes().to_vec();
                    v.extend([e.ReadAction, e.WriteAction]);
                    v.extend(e.Reserved.to_le_bytes());
                    v
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each encoding is as long as the platform's store says the property
    /// is (lists: a whole number of elements), so none can be refused for
    /// its size.
    #[test]
    fn encodings_have_the_sizes_of_the_windows_members() {
        let fixed = [
            (Property::ProcessorCount(1), 4),
            (
                Property::LocalApicEmulation(WHvX64LocalApicEmulationModeXApic),
                4,
            ),
            (
                Property::ExtendedVmExits(WHV_EXTENDED_VM_EXITS::default()),
                8,
            ),
            (Property::ExceptionExitBitmap(0), 8),
            (
                Property::X64MsrExitBitmap(WHV_X64_MSR_EXIT_BITMAP::default()),
                8,
            ),
            (Property::UnimplementedMsrAction(WHvMsrActionExit), 4),
            (
                Property::ProcessorFeaturesBanks(
                    WHV_PROCESSOR_FEATURES::default(),
                    WHV_PROCESSOR_FEATURES1::default(),
                ),
                24,
            ),
            (
                Property::SyntheticProcessorFeatures(WHV_SYNTHETIC_PROCESSOR_FEATURES::default()),
                16,
            ),
            (Property::ProcessorClFlushSize(8), 1),
            (Property::DisableSmt(true), 4),
            (Property::PrimaryNumaNode(0), 2),
            (
                Property::CpuidResults(vec![WHV_X64_CPUID_RESULT::default(); 2]),
                64,
            ),
            (
                Property::CpuidResults2(vec![WHV_X64_CPUID_RESULT2::default(); 2]),
                96,
            ),
            (
                Property::MsrActions(vec![WHV_MSR_ACTION_ENTRY::default(); 3]),
                24,
            ),
            (Property::CpuidExitList(vec![1, 2]), 8),
        ];
        let store = crate::property::PartitionProperties::new();
        for (p, len) in fixed {
            let bytes = p.to_bytes();
            assert_eq!(bytes.len(), len, "{p:?}");
            if let Ok(size) = store.size(p.code()) {
                if !matches!(
                    p,
                    Property::CpuidResults(_)
                        | Property::CpuidResults2(_)
                        | Property::MsrActions(_)
                        | Property::CpuidExitList(_)
                ) {
                    assert_eq!(size as usize, len, "{p:?}");
                }
            }
        }
    }

    /// A CPUID result's fields land where Windows' struct has them.
    #[test]
    fn cpuid_result_layout() {
        let r = WHV_X64_CPUID_RESULT2 {
            Function: 1,
            Index: 2,
            VpIndex: 3,
            Flags: WHvX64CpuidResult2FlagVpSpecific,
            Output: WHV_CPUID_OUTPUT {
                Eax: 5,
                Ebx: 6,
                Ecx: 7,
                Edx: 8,
            },
            Mask: WHV_CPUID_OUTPUT {
                Eax: 9,
                Ebx: 10,
                Ecx: 11,
                Edx: 12,
            },
        };
        let bytes = Property::CpuidResults2(vec![r]).to_bytes();
        // SAFETY: a plain repr(C) struct of u32s (no padding) read as bytes.
        let raw = unsafe {
            std::slice::from_raw_parts(
                (&r as *const WHV_X64_CPUID_RESULT2).cast::<u8>(),
                size_of::<WHV_X64_CPUID_RESULT2>(),
            )
        };
        assert_eq!(bytes, raw);
    }
}
