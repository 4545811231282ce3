//! [`PagingState`]: the processor state a translation depends on, and
//! [`PagingMode`]: which of the x86 paging modes that state selects.

use crate::regs::{CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA};

/// The x86 paging modes (Intel SDM vol. 3, 4.1.1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PagingMode {
    /// CR0.PG=0: real mode or protected mode without paging; the GPA is the
    /// address truncated to 32 bits.
    Disabled,
    /// 32-bit paging: two levels of 4-byte entries, 4 KiB pages and, with
    /// CR4.PSE, 4 MiB pages (PSE-36 high address bits).
    Bits32,
    /// PAE paging: a 4-entry PDPT, then two levels of 8-byte entries; 4 KiB
    /// and 2 MiB pages.
    Pae,
    /// 4-level long-mode paging: 48-bit canonical addresses; 4 KiB, 2 MiB
    /// and 1 GiB pages.
    FourLevel,
    /// 5-level long-mode paging (CR4.LA57): 57-bit canonical addresses.
    FiveLevel,
}

impl PagingMode {
    /// The number of levels walked, top level included (0 when disabled;
    /// 3 for PAE, the PDPT counting as level 3).
    pub const fn levels(self) -> u8 {
        match self {
            PagingMode::Disabled => 0,
            PagingMode::Bits32 => 2,
            PagingMode::Pae => 3,
            PagingMode::FourLevel => 4,
            PagingMode::FiveLevel => 5,
        }
    }

    /// Whether this is a long-mode (IA-32e) paging mode.
    pub const fn is_long(self) -> bool {
        matches!(self, PagingMode::FourLevel | PagingMode::FiveLevel)
    }

    /// Whether entries are 8 bytes wide (and have an execute-disable bit).
    pub(crate) const fn wide_entries(self) -> bool {
        matches!(
            self,
            PagingMode::Pae | PagingMode::FourLevel | PagingMode::FiveLevel
        )
    }
}

/// The register state of a virtual processor that decides a translation.
/// Fields hold raw register values; [`regs`](crate::regs) names their bits.
///
/// Which bits are read: CR0.PG and WP; CR3 (the root table); CR4.PSE, PAE,
/// LA57, SMEP, SMAP, PKE, PKS; EFER.LMA and NXE; RFLAGS.AC. The mode comes
/// from CR0.PG, EFER.LMA, CR4.PAE and CR4.LA57 as on the processor
/// ([`PagingState::mode`]): long mode when PG and LMA are set (CR4.PAE is not
/// re-checked, the processor cannot be in long mode without it).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PagingState {
    /// CR0.
    pub cr0: u64,
    /// CR3. In long mode the low 12 bits (PCID or PWT/PCD) and the bits at or
    /// above MAXPHYADDR (LAM, no-flush) are ignored; in PAE mode bits 31:5
    /// locate the PDPT; in 32-bit paging bits 31:12 locate the page directory.
    pub cr3: u64,
    /// CR4.
    pub cr4: u64,
    /// IA32_EFER.
    pub efer: u64,
    /// RFLAGS (only AC is read, for SMAP).
    pub rflags: u64,
    /// The current privilege level, 0..=3 (SS.DPL, which equals CS.DPL
    /// outside real mode). Values above 3 are treated as 3.
    pub cpl: u8,
    /// PKRU, read when CR4.PKE is set in long mode.
    pub pkru: u32,
    /// IA32_PKRS, read when CR4.PKS is set in long mode.
    pub pkrs: u32,
    /// MAXPHYADDR, the guest's physical-address width (CPUID 0x80000008
    /// EAX bits 7:0); clamped to 32..=52. Entry bits at or above it are reserved.
    pub max_phys_addr_bits: u8,
    /// The PAE PDPTEs as the processor loaded them when CR3 was written
    /// (KVM reports them in `kvm_sregs2.pdptrs`). `None` reads them from
    /// guest memory at CR3 instead. Only used in PAE mode.
    pub pae_pdptes: Option<[u64; 4]>,
    /// Whether the guest's CPU has 1 GiB pages (CPUID 0x8000_0001
    /// EDX[26], Page1GB). Without them, PS in a long-mode PDPTE is a
    /// reserved bit. Defaults to true.
    pub gb_pages: bool,
}

impl Default for PagingState {
    /// Everything zero (paging off, CPL 0), MAXPHYADDR 52, 1 GiB pages.
    fn default() -> Self {
        Self {
            cr0: 0,
            cr3: 0,
            cr4: 0,
            efer: 0,
            rflags: 0,
            cpl: 0,
            pkru: 0,
            pkrs: 0,
            max_phys_addr_bits: 52,
            pae_pdptes: None,
            gb_pages: true,
        }
    }
}

impl PagingState {
    /// A state from the four registers that choose the paging mode; the other
    /// fields take their [`Default`] values.
    ///
    /// ```
    /// use winhv_paging::{regs::*, PagingMode, PagingState};
    /// let s = PagingState::new(CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA);
    /// assert_eq!(s.mode(), PagingMode::FourLevel);
    /// ```
    pub const fn new(cr0: u64, cr3: u64, cr4: u64, efer: u64) -> Self {
        Self {
            cr0,
            cr3,
            cr4,
            efer,
            rflags: 0,
            cpl: 0,
            pkru: 0,
            pkrs: 0,
            max_phys_addr_bits: 52,
            pae_pdptes: None,
            gb_pages: true,
        }
    }

    /// The paging mode these registers select.
    pub const fn mode(&self) -> PagingMode {
        if self.cr0 & CR0_PG == 0 {
            PagingMode::Disabled
        } else if self.efer & EFER_LMA != 0 {
            if self.cr4 & CR4_LA57 != 0 {
                PagingMode::FiveLevel
            } else {
                PagingMode::FourLevel
            }
        } else if self.cr4 & CR4_PAE != 0 {
            PagingMode::Pae
        } else {
            PagingMode::Bits32
        }
    }

    /// MAXPHYADDR clamped to 32..=52.
    pub(crate) const fn maxphy(&self) -> u32 {
        let m = self.max_phys_addr_bits as u32;
        if m < 32 {
            32
        } else if m > 52 {
            52
        } else {
            m
        }
    }

    /// Whether the CPL is 3 (user mode).
    pub(crate) const fn user_mode(&self) -> bool {
        self.cpl >= 3
    }
}
