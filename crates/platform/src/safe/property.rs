//! [`Property`]: every partition property as a typed value, encoded into
//! the `WHV_PARTITION_PROPERTY` bytes WHvSetPartitionProperty takes. The
//! platform's property store (`crate::property`) checks each one exactly
//! as it checks a C caller's buffer, so a typed value the host cannot
//! honour answers the same HRESULT. [`Property::from_bytes`] reads a value
//! back.
#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

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
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Little-endian readers over a property buffer; `None` when it is short.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn bool(&mut self) -> Option<bool> {
        self.u32().map(|v| v != 0)
    }
    fn output(&mut self) -> Option<WHV_CPUID_OUTPUT> {
        Some(WHV_CPUID_OUTPUT {
            Eax: self.u32()?,
            Ebx: self.u32()?,
            Ecx: self.u32()?,
            Edx: self.u32()?,
        })
    }
    /// Elements of `size` bytes while whole ones remain.
    fn list<T>(
        &mut self,
        size: usize,
        mut one: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut v = Vec::with_capacity(self.0.len() / size);
        while self.0.len() >= size {
            v.push(one(self)?);
        }
        Some(v)
    }
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

    /// The property `code` from WHvGetPartitionProperty's buffer: the
    /// inverse of [`Self::to_bytes`]. `None` for an unknown code or a
    /// buffer shorter than the property.
    ///
    /// ```
    /// use winhv::safe::Property;
    /// use winhv::defs::*;
    /// let p = Property::ProcessorCount(3);
    /// assert_eq!(Property::from_bytes(p.code(), &p.to_bytes()), Some(p));
    /// assert_eq!(Property::from_bytes(WHvPartitionPropertyCodeProcessorCount, &[1]), None);
    /// ```
    pub fn from_bytes(code: WHV_PARTITION_PROPERTY_CODE, bytes: &[u8]) -> Option<Property> {
        let mut r = Reader(bytes);
        Some(match code {
            WHvPartitionPropertyCodeProcessorCount => Property::ProcessorCount(r.u32()?),
            WHvPartitionPropertyCodeCpuReserve => Property::CpuReserve(r.u32()?),
            WHvPartitionPropertyCodeCpuCap => Property::CpuCap(r.u32()?),
            WHvPartitionPropertyCodeCpuWeight => Property::CpuWeight(r.u32()?),
            WHvPartitionPropertyCodeProcessorFrequencyCap => {
                Property::ProcessorFrequencyCap(r.u32()?)
            }
            WHvPartitionPropertyCodeLocalApicEmulationMode => {
                Property::LocalApicEmulation(WHV_X64_LOCAL_APIC_EMULATION_MODE(r.i32()?))
            }
            WHvPartitionPropertyCodeUnimplementedMsrAction => {
                Property::UnimplementedMsrAction(WHV_MSR_ACTION(r.i32()?))
            }
            WHvPartitionPropertyCodeExtendedVmExits => {
                Property::ExtendedVmExits(WHV_EXTENDED_VM_EXITS { AsUINT64: r.u64()? })
            }
            WHvPartitionPropertyCodeX64MsrExitBitmap => {
                Property::X64MsrExitBitmap(WHV_X64_MSR_EXIT_BITMAP { AsUINT64: r.u64()? })
            }
            WHvPartitionPropertyCodeProcessorFeatures => {
                Property::ProcessorFeatures(WHV_PROCESSOR_FEATURES { AsUINT64: r.u64()? })
            }
            WHvPartitionPropertyCodeProcessorXsaveFeatures => {
                Property::ProcessorXsaveFeatures(WHV_PROCESSOR_XSAVE_FEATURES {
                    AsUINT64: r.u64()?,
                })
            }
            WHvPartitionPropertyCodeProcessorPerfmonFeatures => {
                Property::ProcessorPerfmonFeatures(WHV_PROCESSOR_PERFMON_FEATURES {
                    AsUINT64: r.u64()?,
                })
            }
            WHvPartitionPropertyCodeExceptionExitBitmap => Property::ExceptionExitBitmap(r.u64()?),
            WHvPartitionPropertyCodeProcessorClockFrequency => {
                Property::ProcessorClockFrequency(r.u64()?)
            }
            WHvPartitionPropertyCodeInterruptClockFrequency => {
                Property::InterruptClockFrequency(r.u64()?)
            }
            WHvPartitionPropertyCodeCpuGroupId => Property::CpuGroupId(r.u64()?),
            WHvPartitionPropertyCodeReferenceTime => Property::ReferenceTime(r.u64()?),
            WHvPartitionPropertyCodeProcessorFeaturesBanks => {
                let _count_and_reserved = r.u64()?;
                Property::ProcessorFeaturesBanks(
                    WHV_PROCESSOR_FEATURES { AsUINT64: r.u64()? },
                    WHV_PROCESSOR_FEATURES1 { AsUINT64: r.u64()? },
                )
            }
            WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks => {
                let _count_and_reserved = r.u64()?;
                Property::SyntheticProcessorFeatures(WHV_SYNTHETIC_PROCESSOR_FEATURES {
                    AsUINT64: r.u64()?,
                })
            }
            WHvPartitionPropertyCodeProcessorClFlushSize => Property::ProcessorClFlushSize(r.u8()?),
            WHvPartitionPropertyCodePrimaryNumaNode => Property::PrimaryNumaNode(r.u16()?),
            WHvPartitionPropertyCodeSeparateSecurityDomain => {
                Property::SeparateSecurityDomain(r.bool()?)
            }
            WHvPartitionPropertyCodeNestedVirtualization => {
                Property::NestedVirtualization(r.bool()?)
            }
            WHvPartitionPropertyCodeAllowDeviceAssignment => {
                Property::AllowDeviceAssignment(r.bool()?)
            }
            WHvPartitionPropertyCodeDisableSmt => Property::DisableSmt(r.bool()?),
            WHvPartitionPropertyCodeApicRemoteReadSupport => Property::ApicRemoteRead(r.bool()?),
            WHvPartitionPropertyCodeCpuidExitList => {
                Property::CpuidExitList(r.list(4, Reader::u32)?)
            }
            WHvPartitionPropertyCodeCpuidResultList => Property::CpuidResults(r.list(32, |r| {
                Some(WHV_X64_CPUID_RESULT {
                    Function: r.u32()?,
                    Reserved: [r.u32()?, r.u32()?, r.u32()?],
                    Eax: r.u32()?,
                    Ebx: r.u32()?,
                    Ecx: r.u32()?,
                    Edx: r.u32()?,
                })
            })?),
            WHvPartitionPropertyCodeCpuidResultList2 => {
                Property::CpuidResults2(r.list(48, |r| {
                    Some(WHV_X64_CPUID_RESULT2 {
                        Function: r.u32()?,
                        Index: r.u32()?,
                        VpIndex: r.u32()?,
                        Flags: WHV_X64_CPUID_RESULT2_FLAGS(r.i32()?),
                        Output: r.output()?,
                        Mask: r.output()?,
                    })
                })?)
            }
            WHvPartitionPropertyCodeMsrActionList => Property::MsrActions(r.list(8, |r| {
                Some(WHV_MSR_ACTION_ENTRY {
                    Index: r.u32()?,
                    ReadAction: r.u8()?,
                    WriteAction: r.u8()?,
                    Reserved: r.u16()?,
                })
            })?),
            _ => return None,
        })
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

    /// Every property reads back from its bytes as it was.
    #[test]
    fn from_bytes_inverts_to_bytes() {
        let mut exits = WHV_EXTENDED_VM_EXITS::default();
        exits.set_x64_msr_exit(1);
        let all = [
            Property::ProcessorCount(7),
            Property::LocalApicEmulation(WHvX64LocalApicEmulationModeX2Apic),
            Property::ExtendedVmExits(exits),
            Property::ExceptionExitBitmap(1 << 3),
            Property::X64MsrExitBitmap(WHV_X64_MSR_EXIT_BITMAP { AsUINT64: 5 }),
            Property::CpuidExitList(vec![1, 0x4000_0000]),
            Property::CpuidResults(vec![WHV_X64_CPUID_RESULT {
                Function: 1,
                Eax: 2,
                Edx: 3,
                ..Default::default()
            }]),
            Property::CpuidResults2(vec![WHV_X64_CPUID_RESULT2 {
                Function: 7,
                Index: 1,
                Flags: WHvX64CpuidResult2FlagSubleafSpecific,
                ..Default::default()
            }]),
            Property::MsrActions(vec![WHV_MSR_ACTION_ENTRY {
                Index: 0x1b,
                ReadAction: 2,
                WriteAction: 1,
                Reserved: 0,
            }]),
            Property::UnimplementedMsrAction(WHvMsrActionExit),
            Property::ProcessorFeatures(WHV_PROCESSOR_FEATURES { AsUINT64: 9 }),
            Property::ProcessorFeaturesBanks(
                WHV_PROCESSOR_FEATURES { AsUINT64: 10 },
                WHV_PROCESSOR_FEATURES1 { AsUINT64: 11 },
            ),
            Property::ProcessorXsaveFeatures(WHV_PROCESSOR_XSAVE_FEATURES { AsUINT64: 12 }),
            Property::ProcessorPerfmonFeatures(WHV_PROCESSOR_PERFMON_FEATURES { AsUINT64: 13 }),
            Property::SyntheticProcessorFeatures(WHV_SYNTHETIC_PROCESSOR_FEATURES { AsUINT64: 14 }),
            Property::ProcessorClFlushSize(8),
            Property::ProcessorClockFrequency(2_000_000_000),
            Property::InterruptClockFrequency(1_000_000_000),
            Property::SeparateSecurityDomain(true),
            Property::NestedVirtualization(false),
            Property::AllowDeviceAssignment(true),
            Property::DisableSmt(true),
            Property::ApicRemoteRead(false),
            Property::PrimaryNumaNode(3),
            Property::CpuReserve(1),
            Property::CpuCap(2),
            Property::CpuWeight(3),
            Property::CpuGroupId(4),
            Property::ProcessorFrequencyCap(5),
            Property::ReferenceTime(6),
        ];
        for p in all {
            let bytes = p.to_bytes();
            assert_eq!(Property::from_bytes(p.code(), &bytes).as_ref(), Some(&p));
            if !matches!(
                p,
                Property::CpuidExitList(_)
                    | Property::CpuidResults(_)
                    | Property::CpuidResults2(_)
                    | Property::MsrActions(_)
            ) {
                assert_eq!(
                    Property::from_bytes(p.code(), &bytes[..bytes.len() - 1]),
                    None,
                    "short: {p:?}"
                );
            }
        }
        assert_eq!(
            Property::from_bytes(WHV_PARTITION_PROPERTY_CODE(0x7777), &[0; 64]),
            None
        );
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
