//! The safe [`Partition`]: a set-up WHP partition that owns the guest
//! memory mapped into it ([`GuestMemory`] handles, kept until their range
//! is unmapped or the partition is dropped), hands out
//! [`VirtualProcessor`] handles, and takes typed properties and
//! interrupts. The WHP-shaped [`crate::Partition`] underneath stays
//! reachable through [`Partition::raw`].

use std::sync::Mutex;

use winhv_defs::*;

use super::memory::GuestMemory;
use super::property::Property;
use super::vp::VirtualProcessor;
use crate::error::{Error, Result};

/// One mapping's keep-alive: the memory behind `gpa..gpa+size` (a
/// [`GuestMemory`], or a vm-memory region's mapping).
pub(super) struct Mapped {
    pub(super) gpa: u64,
    pub(super) size: u64,
    pub(super) _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// A set-up partition (see [`super::PartitionBuilder`]). Dropping it is
/// WHvDeletePartition, then the release of the guest memory it held.
/// `Send + Sync`: VPs run on different threads at once.
///
/// ```
/// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
/// use winhv::safe::{Exit, GuestMemory, PartitionBuilder};
/// use winhv::defs::*;
/// let partition = PartitionBuilder::new().processor_count(1).build()?;
/// let mem = GuestMemory::new(0x1000)?;
/// mem.write(0xff0, &[0xf4])?;                      // HLT at the reset vector
/// partition.map(&mem, 0xffff_f000, WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute)?;
/// drop(mem);                                       // the partition keeps it alive
/// let mut vp = partition.create_vp(0)?;
/// assert!(matches!(vp.run()?, Exit::Halt));
/// # Ok::<(), winhv::Error>(())
/// ```
pub struct Partition {
    // Declared first: the KVM VM goes before the memory it maps.
    raw: crate::Partition,
    pub(super) mapped: Mutex<Vec<Mapped>>,
}

impl std::fmt::Debug for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partition").finish_non_exhaustive()
    }
}

impl Partition {
    pub(crate) fn from_raw(raw: crate::Partition) -> Self {
        Self {
            raw,
            mapped: Mutex::new(Vec::new()),
        }
    }

    /// The WHP-shaped partition underneath, for what the safe API does not
    /// cover (counters, XSAVE state, interrupt-controller state, …).
    pub fn raw(&self) -> &crate::Partition {
        &self.raw
    }

    /// WHvCreateVirtualProcessor for VP `index`, returning its handle.
    pub fn create_vp(&self, index: u32) -> Result<VirtualProcessor<'_>> {
        self.raw.create_vp(index)?;
        self.vp(index)
    }

    /// A handle to VP `index`, which must exist (`WHV_E_VP_DOES_NOT_EXIST`).
    pub fn vp(&self, index: u32) -> Result<VirtualProcessor<'_>> {
        Ok(VirtualProcessor::new(&self.raw, self.raw.vp_ref(index)?))
    }

    /// A cancel handle for VP `index` (which must exist), without a VP
    /// handle: what a supervisor thread holds for every VP.
    pub fn cancel_handle(&self, index: u32) -> Result<super::CancelHandle> {
        Ok(self.vp(index)?.cancel_handle())
    }

    /// WHvDeleteVirtualProcessor. Handles to the VP answer
    /// `WHV_E_VP_DOES_NOT_EXIST` afterwards; a run in progress ends with
    /// [`super::Exit::Canceled`].
    pub fn delete_vp(&self, index: u32) -> Result<()> {
        self.raw.delete_vp(index)
    }

    /// Maps all of `memory` at `gpa` with `flags` access (WHvMapGpaRange).
    /// The partition keeps `memory` alive until the range is unmapped.
    pub fn map(
        &self,
        memory: &GuestMemory,
        gpa: u64,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        self.map_range(memory, 0, gpa, memory.len() as u64, flags)
    }

    /// Maps `size` bytes of `memory` from `offset` at `gpa` (all
    /// page-aligned; `E_INVALIDARG` for a range outside `memory`).
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::safe::{GuestMemory, PartitionBuilder};
    /// use winhv::defs::*;
    /// let partition = PartitionBuilder::new().processor_count(1).build()?;
    /// let ram = GuestMemory::new(0x4000)?;
    /// let rw = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite;
    /// partition.map_range(&ram, 0x1000, 0x10_0000, 0x2000, rw)?;
    /// partition.write(0x10_0000, b"hi")?;
    /// let mut b = [0; 2];
    /// ram.read(0x1000, &mut b)?;
    /// assert_eq!(&b, b"hi");
    /// assert!(partition.map_range(&ram, 0x3000, 0, 0x2000, rw).is_err()); // past its end
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn map_range(
        &self,
        memory: &GuestMemory,
        offset: u64,
        gpa: u64,
        size: u64,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        if offset
            .checked_add(size)
            .is_none_or(|end| end > memory.len() as u64)
        {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "{size:#x} bytes at offset {offset:#x} of guest memory of {:#x} bytes",
                    memory.len()
                ),
            ));
        }
        let mut mapped = self.mapped.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: `offset..offset+size` lies inside `memory`'s mapping
        // (checked above), and a clone of `memory` is kept in `mapped`
        // until the range is unmapped or the partition (its KVM VM first)
        // is dropped, so the host memory outlives its use by the guest.
        unsafe {
            self.raw
                .map_gpa_range(memory.host_address(offset as usize), gpa, size, flags)?
        };
        mapped.push(Mapped {
            gpa,
            size,
            _keep: Box::new(memory.clone()),
        });
        Ok(())
    }

    /// WHvUnmapGpaRange. Guest memory no longer mapped anywhere is
    /// released by the partition (other handles keep it).
    pub fn unmap(&self, gpa: u64, size: u64) -> Result<()> {
        let mut mapped = self.mapped.lock().unwrap_or_else(|p| p.into_inner());
        self.raw.unmap_gpa_range(gpa, size)?;
        // Keep what still has a page mapped: only mappings wholly inside
        // the unmapped range go (a partly unmapped one stays, conservatively).
        let end = gpa.saturating_add(size);
        mapped.retain(|m| !(m.gpa >= gpa && m.gpa.saturating_add(m.size) <= end));
        Ok(())
    }

    /// WHvReadGpaRange: copies guest memory at `gpa` into `buffer`.
    pub fn read(&self, gpa: u64, buffer: &mut [u8]) -> Result<()> {
        self.raw.read_gpa_range(gpa, buffer)
    }

    /// WHvWriteGpaRange: copies `data` into guest memory at `gpa`.
    pub fn write(&self, gpa: u64, data: &[u8]) -> Result<()> {
        self.raw.write_gpa_range(gpa, data)
    }

    /// WHvQueryGpaRangeDirtyBitmap: the pages of `gpa..gpa+size` (mapped
    /// with `WHvMapGpaRangeFlagTrackDirtyPages`) the guest wrote since the
    /// last query, as guest-physical page addresses, and clears them.
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::safe::{GuestMemory, PartitionBuilder};
    /// use winhv::defs::*;
    /// let partition = PartitionBuilder::new().processor_count(1).build()?;
    /// let ram = GuestMemory::new(0x4000)?;
    /// let flags = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagTrackDirtyPages;
    /// partition.map(&ram, 0x10_0000, flags)?;
    /// assert!(partition.dirty_pages(0x10_0000, 0x4000)?.is_empty());
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn dirty_pages(&self, gpa: u64, size: u64) -> Result<Vec<u64>> {
        let pages = size.div_ceil(0x1000);
        let words = usize::try_from(pages.div_ceil(64))
            .map_err(|_| Error::new(E_INVALIDARG, "a range too large for a bitmap"))?;
        let mut bitmap = vec![0u64; words];
        self.raw
            .query_gpa_range_dirty_bitmap(gpa, size, Some(&mut bitmap))?;
        Ok(bitmap
            .iter()
            .enumerate()
            .flat_map(|(w, &bits)| {
                (0..64)
                    .filter(move |b| bits & (1 << b) != 0)
                    .map(move |b| gpa + (w as u64 * 64 + b) * 0x1000)
            })
            .collect())
    }

    /// WHvSuspendPartitionTime (see [`crate::Partition::suspend_time`]).
    pub fn suspend_time(&self) -> Result<()> {
        self.raw.suspend_time()
    }

    /// WHvResumePartitionTime.
    pub fn resume_time(&self) -> Result<()> {
        self.raw.resume_time()
    }

    /// WHvSetPartitionProperty with a typed value. After setup only the
    /// exit properties may change (`E_INVALIDARG` for the others).
    pub fn set_property(&self, property: &Property) -> Result<()> {
        self.raw.set_property(property.code(), &property.to_bytes())
    }

    /// WHvGetPartitionProperty, typed: property `code` as a [`Property`].
    /// The platform's answers stand (`WHV_E_UNKNOWN_PROPERTY` for what this
    /// host does not have, `ERROR_NOT_SUPPORTED` for the lists Windows
    /// does not return).
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::safe::{PartitionBuilder, Property};
    /// use winhv::defs::*;
    /// let partition = PartitionBuilder::new().processor_count(2).build()?;
    /// assert_eq!(
    ///     partition.property(WHvPartitionPropertyCodeProcessorCount)?,
    ///     Property::ProcessorCount(2)
    /// );
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn property(&self, code: WHV_PARTITION_PROPERTY_CODE) -> Result<Property> {
        let size = self.raw.property_size(code)? as usize;
        let mut buffer = vec![0; size];
        let n = self.raw.get_property(code, &mut buffer)? as usize;
        Property::from_bytes(code, &buffer[..n.min(size)]).ok_or_else(|| {
            Error::with(
                E_UNEXPECTED,
                format!("{code:?}: {n} bytes do not make the property"),
            )
        })
    }

    /// The partition's processor count.
    pub fn processor_count(&self) -> Result<u32> {
        let mut b = [0; 4];
        self.raw
            .get_property(WHvPartitionPropertyCodeProcessorCount, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// The partition's LAPIC emulation mode.
    pub fn local_apic_emulation(&self) -> Result<WHV_X64_LOCAL_APIC_EMULATION_MODE> {
        let mut b = [0; 4];
        self.raw
            .get_property(WHvPartitionPropertyCodeLocalApicEmulationMode, &mut b)?;
        Ok(WHV_X64_LOCAL_APIC_EMULATION_MODE(i32::from_le_bytes(b)))
    }

    /// The partition's extended VM exits.
    pub fn extended_vm_exits(&self) -> Result<WHV_EXTENDED_VM_EXITS> {
        let mut b = [0; 8];
        self.raw
            .get_property(WHvPartitionPropertyCodeExtendedVmExits, &mut b)?;
        Ok(WHV_EXTENDED_VM_EXITS {
            AsUINT64: u64::from_le_bytes(b),
        })
    }

    /// WHvRequestInterrupt (needs LAPIC emulation).
    ///
    /// ```no_run
    /// # let partition = winhv::safe::PartitionBuilder::new().processor_count(1).build()?;
    /// use winhv::safe::Interrupt;
    /// partition.request_interrupt(Interrupt::fixed(0, 0x30))?;
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn request_interrupt(&self, interrupt: Interrupt) -> Result<()> {
        self.raw.request_interrupt(&interrupt.control()?)
    }

    /// WHvResetPartition: every VP back to its state right after creation.
    pub fn reset(&self) -> Result<()> {
        self.raw.reset()
    }
}

/// An interrupt for [`Partition::request_interrupt`]: the APIC's delivery
/// mode, destination and vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupt {
    /// The delivery mode (Fixed, LowestPriority, NMI, INIT, SIPI,
    /// LocalInt1).
    pub kind: WHV_INTERRUPT_TYPE,
    /// A logical destination (else physical: an APIC ID).
    pub logical: bool,
    /// Level-triggered (else edge).
    pub level: bool,
    /// The destination APIC ID or logical mask.
    pub destination: u32,
    /// The vector (for SIPI: the start page).
    pub vector: u32,
}

impl Interrupt {
    /// A fixed, edge-triggered interrupt `vector` for APIC ID `apic_id`.
    pub fn fixed(apic_id: u32, vector: u8) -> Self {
        Self {
            kind: WHvX64InterruptTypeFixed,
            logical: false,
            level: false,
            destination: apic_id,
            vector: u32::from(vector),
        }
    }

    /// INIT for APIC ID `apic_id` (an AP waits for SIPI after it).
    pub fn init(apic_id: u32) -> Self {
        Self {
            kind: WHvX64InterruptTypeInit,
            vector: 0,
            ..Self::fixed(apic_id, 0)
        }
    }

    /// Start-up IPI for APIC ID `apic_id`: the AP starts in real mode at
    /// `page << 12` (CS = `page << 8`, IP = 0).
    pub fn sipi(apic_id: u32, page: u8) -> Self {
        Self {
            kind: WHvX64InterruptTypeSipi,
            ..Self::fixed(apic_id, page)
        }
    }

    /// An NMI for APIC ID `apic_id`.
    pub fn nmi(apic_id: u32) -> Self {
        Self {
            kind: WHvX64InterruptTypeNmi,
            vector: 0,
            ..Self::fixed(apic_id, 0)
        }
    }

    /// The `WHV_INTERRUPT_CONTROL` for it; `E_INVALIDARG` for a kind
    /// that does not fit its 8 bits (the platform checks the rest).
    pub fn control(&self) -> Result<WHV_INTERRUPT_CONTROL> {
        let kind = u8::try_from(self.kind.0)
            .map_err(|_| Error::with(E_INVALIDARG, format!("interrupt type {:?}", self.kind)))?;
        let mut c = WHV_INTERRUPT_CONTROL {
            Destination: self.destination,
            Vector: self.vector,
            ..Default::default()
        };
        c.set_type(u64::from(kind));
        c.set_destination_mode(u64::from(self.logical));
        c.set_trigger_mode(u64::from(self.level));
        Ok(c)
    }
}
