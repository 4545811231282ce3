//! [`PciFunction`]: what a PCI function must answer, whatever serves it —
//! an HDV device's callbacks, a vfio-user server, a kernel VFIO device,
//! or Rust code. The platform keeps the header registers it owns
//! ([`crate::Header`]: BARs, command, ROM) and reaches the function for
//! the rest of config space and for the BARs' contents, at BAR-relative
//! offsets. Calls come on the VP threads, several at once when several
//! VPs touch the function, so methods take `&self`: a function keeps its
//! state behind its own lock.
//!
//! The methods cannot fail: a function whose backend fails (a callback's
//! error HRESULT, a dead vfio-user server) reads as all-ones and drops
//! writes, as a PCI function that does not answer does on real hardware.

/// A PCI function behind the platform's router.
pub trait PciFunction: Send + Sync {
    /// The values a sizing probe of BAR0..BAR5 reads back (all-ones
    /// written): 0 for no BAR, a 64-bit BAR's upper half in the next
    /// entry — HDV's GetDetails and VPCI's ProbedBARs.
    fn probed_bars(&self) -> [u32; 6];

    /// The dword of config space at `offset` (dword-aligned, < 4096).
    fn config_read(&self, offset: u16) -> u32;

    /// A guest write of the dword at `offset`: a byte or word access of
    /// the guest arrives as the whole dword with the other bytes as read.
    fn config_write(&self, offset: u16, value: u32);

    /// A guest read of `data.len()` bytes (1, 2, 4 or 8) at `offset` in
    /// BAR `bar`.
    fn bar_read(&self, bar: u8, offset: u64, data: &mut [u8]);

    /// A guest write of `data` at `offset` in BAR `bar`.
    fn bar_write(&self, bar: u8, offset: u64, data: &[u8]);
}
