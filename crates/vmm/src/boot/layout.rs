//! Where things go in guest-physical memory: the RAM regions for a memory
//! size (below the 3 GiB PCI/APIC hole and above 4 GiB), the e820 map that
//! describes them to the guest, and the fixed addresses the loaders use.

/// The GDT both loaders write (selectors in [`super::entry`]).
pub const GDT: u64 = 0x500;
/// Top of the multiboot entry stack (grows down towards the GDT).
pub const MULTIBOOT_STACK_TOP: u64 = 0x1000;
/// The multiboot information area: mbi, memory map, modules, strings.
pub const MULTIBOOT_INFO: u64 = 0x1000;
/// End of that area (exclusive).
pub const MULTIBOOT_INFO_END: u64 = 0x8000;
/// Linux's zero page (struct boot_params).
pub const ZERO_PAGE: u64 = 0x7000;
/// Linux's entry stack top (the boot protocol leaves it open).
pub const LINUX_STACK_TOP: u64 = 0x8ff0;
/// The identity page tables for Linux's 64-bit entry: PML4, PDPT, 4 PDs.
pub const PAGE_TABLES: u64 = 0x9000;
/// Linux's command line.
pub const CMDLINE: u64 = 0x2_0000;
/// The longest command line we place (the zero page's limit is the kernel's).
pub const CMDLINE_MAX: usize = 0xffff;
/// Start of the EBDA/BIOS area that the memory map reserves.
pub const EBDA_START: u64 = 0x9_fc00;
/// Start of high memory (1 MiB): kernels load at or above it.
pub const HIGH_MEMORY: u64 = 0x10_0000;
/// RAM stops here below 4 GiB; the rest of it starts at 4 GiB.
pub const LOW_RAM_END_MAX: u64 = 0xc000_0000;
/// 4 GiB.
pub const FOUR_GIB: u64 = 1 << 32;
/// The smallest `--memory`.
pub const MIN_MEMORY: u64 = 4 << 20;
/// The largest `--memory` (1 TiB: the guest's memory is mapped lazily, but
/// past that the number is more likely a typo than a wish).
pub const MAX_MEMORY: u64 = 1 << 40;

/// e820 type of usable RAM.
pub const E820_RAM: u32 = 1;
/// e820 type of reserved memory.
pub const E820_RESERVED: u32 = 2;

/// One guest RAM region: guest-physical start and size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Guest-physical start.
    pub start: u64,
    /// Size in bytes.
    pub size: u64,
}

impl Region {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// The guest's RAM for a memory size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RamLayout {
    size: u64,
}

impl RamLayout {
    /// `size` bytes of RAM (rounded up to a page), or why not.
    pub fn new(size: u64) -> Result<Self, String> {
        if !(MIN_MEMORY..=MAX_MEMORY).contains(&size) {
            return Err(format!(
                "memory size {size:#x} is outside {} MiB ..= {} GiB",
                MIN_MEMORY >> 20,
                MAX_MEMORY >> 30
            ));
        }
        Ok(Self {
            size: size.div_ceil(0x1000) * 0x1000,
        })
    }

    /// The total size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// End of RAM below 4 GiB (exclusive).
    pub fn low_end(&self) -> u64 {
        self.size.min(LOW_RAM_END_MAX)
    }

    /// The RAM regions: one from 0, and one from 4 GiB for what does not
    /// fit below the hole.
    pub fn regions(&self) -> Vec<Region> {
        let mut regions = vec![Region {
            start: 0,
            size: self.low_end(),
        }];
        if self.size > LOW_RAM_END_MAX {
            regions.push(Region {
                start: FOUR_GIB,
                size: self.size - LOW_RAM_END_MAX,
            });
        }
        regions
    }

    /// The memory map given to the guest: (start, size, e820 type).
    pub fn e820(&self) -> Vec<(u64, u64, u32)> {
        let mut map = vec![
            (0, EBDA_START, E820_RAM),
            (EBDA_START, HIGH_MEMORY - EBDA_START, E820_RESERVED),
            (HIGH_MEMORY, self.low_end() - HIGH_MEMORY, E820_RAM),
        ];
        if self.size > LOW_RAM_END_MAX {
            map.push((FOUR_GIB, self.size - LOW_RAM_END_MAX, E820_RAM));
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_memory_is_one_region() {
        let ram = RamLayout::new(64 << 20).unwrap();
        assert_eq!(
            ram.regions(),
            [Region {
                start: 0,
                size: 64 << 20
            }]
        );
        assert_eq!(
            ram.e820().last(),
            Some(&(HIGH_MEMORY, (63 << 20), E820_RAM))
        );
    }

    #[test]
    fn large_memory_skips_the_hole() {
        let ram = RamLayout::new(5 << 30).unwrap();
        assert_eq!(
            ram.regions()[1],
            Region {
                start: FOUR_GIB,
                size: 2 << 30
            }
        );
        assert_eq!(ram.e820().len(), 4);
    }

    #[test]
    fn absurd_sizes_are_refused() {
        assert!(RamLayout::new(1 << 20).is_err());
        assert!(RamLayout::new(u64::MAX).is_err());
        assert_eq!(
            RamLayout::new((8 << 20) + 1).unwrap().size(),
            (8 << 20) + 0x1000
        );
    }
}
