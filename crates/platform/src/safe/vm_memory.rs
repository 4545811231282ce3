//! rust-vmm's guest memory on a safe [`Partition`]: the mmap'd regions of
//! a `vm_memory::GuestMemoryMmap` (what linux-loader and other rust-vmm
//! crates write into) mapped at their guest addresses without `unsafe`.
//! The partition keeps each region's mapping (its `Arc<MmapRegion>`) alive
//! until the range is unmapped or the partition is dropped.

use vm_memory::bitmap::Bitmap;
use vm_memory::{GuestMemoryBackend, GuestMemoryRegion, GuestRegionMmap};
use winhv_defs::*;

use super::partition::{Mapped, Partition};
use crate::error::{Error, Result};

impl Partition {
    /// Maps one vm-memory region at its guest address with `flags`
    /// access. The region must own its mapping (`MmapRegion::owned`: not
    /// one built from a raw pointer, whose lifetime nobody tracks) —
    /// `E_INVALIDARG` otherwise; and be page-aligned, as any mapping.
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
    /// use winhv::defs::*;
    /// use winhv::safe::{Exit, PartitionBuilder};
    /// let ram = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0xffff_0000), 0x1_0000)]).unwrap();
    /// ram.write_slice(&[0xf4], GuestAddress(0xffff_fff0)).unwrap(); // HLT at the reset vector
    /// let partition = PartitionBuilder::new().processor_count(1).build()?;
    /// partition.map_vm_memory(&ram, WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute)?;
    /// drop(ram); // the partition keeps the regions mapped
    /// assert!(matches!(partition.create_vp(0)?.run()?, Exit::Halt));
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn map_vm_region<B: Bitmap + Send + Sync + 'static>(
        &self,
        region: &GuestRegionMmap<B>,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        if !region.owned() {
            return Err(Error::new(
                E_INVALIDARG,
                "a vm-memory region built on a raw pointer: its mapping is not owned",
            ));
        }
        let gpa = region.start_addr().0;
        let size = region.len();
        let mapping = region.get_mmap();
        let mut mapped = self.mapped.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: `mapping` owns the host mapping at `as_ptr()` of `size`
        // bytes (checked: `owned`) and unmaps it only when its last `Arc`
        // goes; a clone is kept in `mapped` until the range is unmapped or
        // the partition (its KVM VM first) is dropped.
        unsafe {
            self.raw()
                .map_gpa_range(mapping.as_ptr().cast(), gpa, size, flags)?
        };
        mapped.push(Mapped {
            gpa,
            size,
            _keep: Box::new(mapping),
        });
        Ok(())
    }

    /// Maps every region of `memory` at its guest address with `flags`,
    /// all or nothing (a refused region unmaps those mapped before it).
    pub fn map_vm_memory<B: Bitmap + Send + Sync + 'static>(
        &self,
        memory: &vm_memory::GuestMemoryMmap<B>,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        let mut done: Vec<(u64, u64)> = Vec::new();
        for region in memory.iter() {
            if let Err(e) = self.map_vm_region(region, flags) {
                for (gpa, size) in done {
                    // Best effort: these were mapped a moment ago.
                    let _ = self.unmap(gpa, size);
                }
                return Err(e);
            }
            done.push((region.start_addr().0, region.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use vm_memory::mmap::MmapRegion;
    use vm_memory::{GuestAddress, GuestMemoryMmap};

    use super::*;
    use crate::host_memory::HostMemory;
    use crate::safe::PartitionBuilder;

    fn rw() -> WHV_MAP_GPA_RANGE_FLAGS {
        WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite
    }

    /// A region on a raw pointer is refused (nobody keeps it mapped);
    /// an unaligned guest address fails and rolls back what was mapped.
    #[test]
    fn unowned_and_unaligned_regions_are_refused() {
        if !crate::hypervisor_present() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        let p = PartitionBuilder::new().processor_count(1).build().unwrap();
        let host = HostMemory::new(0x1000).unwrap();
        // SAFETY: `host` is a live mapping of 0x1000 bytes, kept until the
        // end of the test; the region is refused before any use.
        let raw = unsafe {
            MmapRegion::<()>::build_raw(
                host.as_ptr(),
                0x1000,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            )
        }
        .unwrap();
        let region = GuestRegionMmap::new(raw, GuestAddress(0)).unwrap();
        assert_eq!(
            p.map_vm_region(&region, rw()).unwrap_err().hresult,
            E_INVALIDARG
        );

        let mem = GuestMemoryMmap::<()>::from_ranges(&[
            (GuestAddress(0), 0x1000),
            (GuestAddress(0x10_0800), 0x1000),
        ])
        .unwrap();
        assert!(
            p.map_vm_memory(&mem, rw()).is_err(),
            "unaligned second region"
        );
        assert_eq!(
            p.read(0, &mut [0]).unwrap_err().hresult,
            WHV_E_GPA_RANGE_NOT_FOUND,
            "the first region was unmapped again"
        );
        assert!(
            p.mapped.lock().unwrap().is_empty(),
            "and its mapping released"
        );
    }
}
