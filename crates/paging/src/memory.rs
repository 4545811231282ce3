//! [`GuestPhysMemory`]: how the walker reads paging structures and sets their
//! Accessed/Dirty bits, and [`MemError`]: why such an access failed.

use core::fmt;

use crate::TranslateResultCode;

/// Why a guest-physical access to a paging structure failed. Each reason is
/// one of the GPA access failures of `WHV_TRANSLATE_GVA_RESULT_CODE`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MemError {
    /// No memory is mapped at the address.
    Unmapped,
    /// Memory is mapped there but not readable.
    NoReadAccess,
    /// Memory is mapped there but not writable (an Accessed/Dirty update).
    NoWriteAccess,
}

impl MemError {
    /// The translation result code this failure produces.
    pub const fn result_code(self) -> TranslateResultCode {
        match self {
            MemError::Unmapped => TranslateResultCode::GpaUnmapped,
            MemError::NoReadAccess => TranslateResultCode::GpaNoReadAccess,
            MemError::NoWriteAccess => TranslateResultCode::GpaNoWriteAccess,
        }
    }
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemError::Unmapped => "guest physical address unmapped",
            MemError::NoReadAccess => "guest physical address not readable",
            MemError::NoWriteAccess => "guest physical address not writable",
        })
    }
}

impl std::error::Error for MemError {}

/// Guest physical memory as the page walker sees it. All values are
/// little-endian; addresses the walker passes are naturally aligned (4 bytes
/// for 32-bit paging entries, 8 for the others).
///
/// The methods take `&self`: a VP may run while the walk happens, so an
/// implementation over live guest memory uses atomic accesses, and the
/// compare-exchange methods must be atomic with respect to the guest (the
/// processor's own A/D updates are locked operations). An implementation over
/// a snapshot (a saved state) can fail the compare-exchange methods with
/// [`MemError::NoWriteAccess`].
pub trait GuestPhysMemory {
    /// Reads the 32-bit value at `gpa`.
    fn read_u32(&self, gpa: u64) -> Result<u32, MemError>;

    /// Reads the 64-bit value at `gpa`.
    fn read_u64(&self, gpa: u64) -> Result<u64, MemError>;

    /// If the 32-bit value at `gpa` is `current`, replaces it with `new` and
    /// returns `Ok(Ok(()))`; otherwise leaves it and returns `Ok(Err(actual))`.
    fn compare_exchange_u32(
        &self,
        gpa: u64,
        current: u32,
        new: u32,
    ) -> Result<Result<(), u32>, MemError>;

    /// If the 64-bit value at `gpa` is `current`, replaces it with `new` and
    /// returns `Ok(Ok(()))`; otherwise leaves it and returns `Ok(Err(actual))`.
    fn compare_exchange_u64(
        &self,
        gpa: u64,
        current: u64,
        new: u64,
    ) -> Result<Result<(), u64>, MemError>;
}

impl<T: GuestPhysMemory + ?Sized> GuestPhysMemory for &T {
    fn read_u32(&self, gpa: u64) -> Result<u32, MemError> {
        (**self).read_u32(gpa)
    }
    fn read_u64(&self, gpa: u64) -> Result<u64, MemError> {
        (**self).read_u64(gpa)
    }
    fn compare_exchange_u32(
        &self,
        gpa: u64,
        current: u32,
        new: u32,
    ) -> Result<Result<(), u32>, MemError> {
        (**self).compare_exchange_u32(gpa, current, new)
    }
    fn compare_exchange_u64(
        &self,
        gpa: u64,
        current: u64,
        new: u64,
    ) -> Result<Result<(), u64>, MemError> {
        (**self).compare_exchange_u64(gpa, current, new)
    }
}
