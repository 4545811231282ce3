//! [`Translation`]: a successful translation — the GPA, the page that maps
//! it, and the rights the walk found.

use crate::PagingMode;

/// The size of the page a translation went through.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PageSize {
    /// 4 KiB (a PTE).
    Size4K,
    /// 2 MiB (a PAE or long-mode PDE with PS).
    Size2M,
    /// 4 MiB (a 32-bit PDE with PS and CR4.PSE).
    Size4M,
    /// 1 GiB (a long-mode PDPTE with PS).
    Size1G,
}

impl PageSize {
    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        match self {
            PageSize::Size4K => 1 << 12,
            PageSize::Size2M => 1 << 21,
            PageSize::Size4M => 1 << 22,
            PageSize::Size1G => 1 << 30,
        }
    }
}

/// A successful translation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Translation {
    /// The guest-physical address: the page's base plus the offset of the
    /// address in the page.
    pub gpa: u64,
    /// The page that maps the address; `None` when paging is off.
    pub page_size: Option<PageSize>,
    /// The paging mode used.
    pub mode: PagingMode,
    /// R/W was set at every level (writes allowed by the tables; CR0.WP
    /// decides whether supervisor writes need it).
    pub writable: bool,
    /// U/S was set at every level: a user-mode address.
    pub user: bool,
    /// No level had execute-disable in effect (EFER.NXE and XD).
    pub executable: bool,
    /// The leaf entry as read (before any A/D update); 0 when paging is off.
    pub leaf_entry: u64,
    /// The leaf entry's guest-physical address; `None` when paging is off.
    pub leaf_entry_gpa: Option<u64>,
}

impl Translation {
    /// The guest-physical base of the page that maps the address.
    pub const fn page_base(&self) -> u64 {
        match self.page_size {
            Some(size) => self.gpa & !(size.bytes() - 1),
            None => self.gpa & !0xfff,
        }
    }
}
