//! What the page walker needs from a VP's CPUID table ([`PagingFacts`]):
//! the guest's MAXPHYADDR and whether it has 1 GiB pages. Both decide which
//! paging-structure bits are reserved, so WHvTranslateGva must use the
//! values the VP's CPUID table (the one given to `KVM_SET_CPUID2`) holds,
//! not the walker's defaults (52 bits, 1 GiB pages) nor the host's.
//!
//! The rules are KVM's, so that a translation fails exactly where the
//! guest's own access would fault: MAXPHYADDR is CPUID 0x8000_0008
//! EAX[7:0] when the maximum extended leaf (0x8000_0000 EAX) reaches
//! 0x8000_0008, else 36 (`cpuid_query_maxphyaddr`); 1 GiB pages are CPUID
//! 0x8000_0001 EDX[26] (Page1GB).

use kvm_bindings::kvm_cpuid_entry2;
use winhv_paging::PagingState;

use crate::cpu_features::{Reg, lookup, reg_of};

/// The maximum extended leaf.
const EXT_MAX: u32 = 0x8000_0000;
/// Extended features (Page1GB in EDX).
const EXT_FEATURES: u32 = 0x8000_0001;
/// Address sizes (MAXPHYADDR in EAX[7:0]).
const ADDRESS_SIZES: u32 = 0x8000_0008;
/// CPUID 0x8000_0001 EDX: Page1GB.
const PAGE_1GB: u32 = 1 << 26;
/// KVM's MAXPHYADDR when the table has no address-size leaf.
const DEFAULT_MAXPHYADDR: u8 = 36;

/// The page walker's CPUID-derived inputs for one VP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PagingFacts {
    /// MAXPHYADDR: physical-address bits at or above it are reserved.
    pub(crate) max_phys_addr_bits: u8,
    /// Page1GB: without it, PS in a long-mode PDPTE is reserved.
    pub(crate) gb_pages: bool,
}

impl Default for PagingFacts {
    /// The walker's own defaults (52 bits, 1 GiB pages): what a VP without
    /// a known CPUID table is assumed to have.
    fn default() -> Self {
        let s = PagingState::default();
        Self {
            max_phys_addr_bits: s.max_phys_addr_bits,
            gb_pages: s.gb_pages,
        }
    }
}

impl PagingFacts {
    /// The facts of the CPUID table `cpuid` (a VP's `KVM_SET_CPUID2` table).
    pub(crate) fn from_cpuid(cpuid: &[kvm_cpuid_entry2]) -> Self {
        let max_ext = reg_of(cpuid, EXT_MAX, 0, Reg::Eax);
        let max_phys_addr_bits = match lookup(cpuid, ADDRESS_SIZES, 0) {
            Some(e) if max_ext >= ADDRESS_SIZES => (e.eax & 0xff) as u8,
            _ => DEFAULT_MAXPHYADDR,
        };
        Self {
            max_phys_addr_bits,
            gb_pages: reg_of(cpuid, EXT_FEATURES, 0, Reg::Edx) & PAGE_1GB != 0,
        }
    }

    /// Puts the facts into the walker's `state`.
    pub(crate) fn apply(&self, state: &mut PagingState) {
        state.max_phys_addr_bits = self.max_phys_addr_bits;
        state.gb_pages = self.gb_pages;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(function: u32, eax: u32, edx: u32) -> kvm_cpuid_entry2 {
        kvm_cpuid_entry2 {
            function,
            eax,
            edx,
            ..Default::default()
        }
    }

    #[test]
    fn reads_maxphyaddr_and_page1gb() {
        let t = [
            entry(EXT_MAX, 0x8000_0008, 0),
            entry(EXT_FEATURES, 0, PAGE_1GB),
            entry(ADDRESS_SIZES, 0x3027, 0),
        ];
        let f = PagingFacts::from_cpuid(&t);
        assert_eq!(
            f,
            PagingFacts {
                max_phys_addr_bits: 0x27,
                gb_pages: true
            }
        );
        let mut s = PagingState::default();
        f.apply(&mut s);
        assert_eq!((s.max_phys_addr_bits, s.gb_pages), (39, true));
    }

    #[test]
    fn page1gb_absent_or_cleared() {
        let t = [
            entry(EXT_MAX, 0x8000_0008, 0),
            entry(EXT_FEATURES, 0, !PAGE_1GB),
            entry(ADDRESS_SIZES, 48, 0),
        ];
        let f = PagingFacts::from_cpuid(&t);
        assert_eq!((f.max_phys_addr_bits, f.gb_pages), (48, false));
        let f = PagingFacts::from_cpuid(&t[2..]);
        assert!(!f.gb_pages, "no 0x8000_0001 leaf: no 1 GiB pages");
        let mut s = PagingState::default();
        f.apply(&mut s);
        assert!(!s.gb_pages);
    }

    #[test]
    fn maxphyaddr_is_36_without_the_address_size_leaf() {
        // The leaf is present but beyond the maximum extended leaf.
        let t = [entry(EXT_MAX, 0x8000_0001, 0), entry(ADDRESS_SIZES, 46, 0)];
        assert_eq!(PagingFacts::from_cpuid(&t).max_phys_addr_bits, 36);
        // No extended leaves at all.
        assert_eq!(PagingFacts::from_cpuid(&[]).max_phys_addr_bits, 36);
        assert_eq!(
            PagingFacts::from_cpuid(&[]),
            PagingFacts {
                max_phys_addr_bits: 36,
                gb_pages: false
            }
        );
    }

    #[test]
    fn default_is_the_walkers_default() {
        let d = PagingFacts::default();
        assert_eq!((d.max_phys_addr_bits, d.gb_pages), (52, true));
    }
}
