//! [`PartitionBuilder`]: WHvCreatePartition, typed properties, then
//! WHvSetupPartition, in one expression. Properties are applied in the
//! order given, each checked by the platform as WHvSetPartitionProperty
//! checks it; the first refusal is the build's error.

use winhv_defs::*;

use super::partition::Partition;
use super::property::Property;
use crate::error::{Error, Result};

/// A partition before setup: its properties.
///
/// ```
/// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
/// use winhv::safe::PartitionBuilder;
/// use winhv::defs::*;
/// let partition = PartitionBuilder::new()
///     .processor_count(2)
///     .local_apic_emulation(WHvX64LocalApicEmulationModeXApic)
///     .cpuid_results(&[WHV_X64_CPUID_RESULT { Function: 0x4000_0000, ..Default::default() }])
///     .build();
/// match partition {
///     Ok(p) => assert_eq!(p.processor_count()?, 2),
///     // A host without the split irqchip has no LAPIC emulation.
///     Err(e) => assert_eq!(e.hresult, WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG),
/// }
/// assert!(PartitionBuilder::new().build().is_err()); // no processor count
/// # Ok::<(), winhv::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until build()"]
pub struct PartitionBuilder {
    properties: Vec<Property>,
}

impl PartitionBuilder {
    /// No properties yet (Windows' defaults; ProcessorCount is required).
    pub fn new() -> Self {
        Self::default()
    }

    /// Any property.
    pub fn property(mut self, property: Property) -> Self {
        self.properties.push(property);
        self
    }

    /// `ProcessorCount`.
    pub fn processor_count(self, count: u32) -> Self {
        self.property(Property::ProcessorCount(count))
    }

    /// `LocalApicEmulationMode`.
    pub fn local_apic_emulation(self, mode: WHV_X64_LOCAL_APIC_EMULATION_MODE) -> Self {
        self.property(Property::LocalApicEmulation(mode))
    }

    /// `ExtendedVmExits`.
    pub fn extended_vm_exits(self, exits: WHV_EXTENDED_VM_EXITS) -> Self {
        self.property(Property::ExtendedVmExits(exits))
    }

    /// `ExceptionExitBitmap`.
    pub fn exception_exit_bitmap(self, bitmap: u64) -> Self {
        self.property(Property::ExceptionExitBitmap(bitmap))
    }

    /// `X64MsrExitBitmap`.
    pub fn x64_msr_exit_bitmap(self, bitmap: WHV_X64_MSR_EXIT_BITMAP) -> Self {
        self.property(Property::X64MsrExitBitmap(bitmap))
    }

    /// `CpuidResultList`.
    pub fn cpuid_results(self, results: &[WHV_X64_CPUID_RESULT]) -> Self {
        self.property(Property::CpuidResults(results.to_vec()))
    }

    /// `CpuidResultList2`.
    pub fn cpuid_results2(self, results: &[WHV_X64_CPUID_RESULT2]) -> Self {
        self.property(Property::CpuidResults2(results.to_vec()))
    }

    /// `CpuidExitList`.
    pub fn cpuid_exits(self, leaves: &[u32]) -> Self {
        self.property(Property::CpuidExitList(leaves.to_vec()))
    }

    /// `MsrActionList`.
    pub fn msr_actions(self, actions: &[WHV_MSR_ACTION_ENTRY]) -> Self {
        self.property(Property::MsrActions(actions.to_vec()))
    }

    /// `UnimplementedMsrAction`.
    pub fn unimplemented_msr_action(self, action: WHV_MSR_ACTION) -> Self {
        self.property(Property::UnimplementedMsrAction(action))
    }

    /// `ProcessorFeaturesBanks`: the processor features offered to the
    /// guest (a subset of [`super::Capabilities::processor_features_banks`]).
    pub fn processor_features(
        self,
        bank0: WHV_PROCESSOR_FEATURES,
        bank1: WHV_PROCESSOR_FEATURES1,
    ) -> Self {
        self.property(Property::ProcessorFeaturesBanks(bank0, bank1))
    }

    /// `ProcessorXsaveFeatures`.
    pub fn processor_xsave_features(self, features: WHV_PROCESSOR_XSAVE_FEATURES) -> Self {
        self.property(Property::ProcessorXsaveFeatures(features))
    }

    /// `ProcessorClockFrequency`, Hz.
    pub fn processor_clock_frequency(self, hz: u64) -> Self {
        self.property(Property::ProcessorClockFrequency(hz))
    }

    /// `InterruptClockFrequency`, Hz.
    pub fn interrupt_clock_frequency(self, hz: u64) -> Self {
        self.property(Property::InterruptClockFrequency(hz))
    }

    /// `SyntheticProcessorFeaturesBanks`.
    pub fn synthetic_processor_features(self, features: WHV_SYNTHETIC_PROCESSOR_FEATURES) -> Self {
        self.property(Property::SyntheticProcessorFeatures(features))
    }

    /// The properties so far.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// WHvCreatePartition, each property, WHvSetupPartition. The error
    /// names the property the platform refused.
    pub fn build(self) -> Result<Partition> {
        let raw = crate::Partition::create()?;
        for p in &self.properties {
            raw.set_property(p.code(), &p.to_bytes())
                .map_err(|e| Error::with(e.hresult, format!("{:?}: {}", p.code(), e.context)))?;
        }
        raw.setup()?;
        Ok(Partition::from_raw(raw))
    }
}
