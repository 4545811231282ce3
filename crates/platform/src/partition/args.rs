//! The argument checks of the partition's WHv* functions: everything that
//! can be judged from a call's arguments alone, without the partition or
//! the host. Each [`Partition`] method runs its
//! check first and only then looks at the partition's state, and the C
//! exports run the same checks before they even look the handle up, so a
//! call with several things wrong answers the same HRESULT from Rust and
//! from C.
//!
//! The order, Windows' where it was measured and our choice where it is
//! not documented: **arguments** (a NULL or misaligned pointer, a buffer
//! size, reserved flag bits, an unaligned or empty address range, an
//! unknown property code), in the order the parameters are declared; then
//! **the handle** (`E_HANDLE`, C only); then a property's **value**, judged
//! against what the host offers (as Windows' hypervisor judges it, behind
//! the handle); then **the partition's state** (not set up, already set
//! up, a VP that does not exist, a range that is not mapped). Windows answers
//! WHvMapGpaRange with an unaligned source on a partition not yet set up
//! with `E_INVALIDARG`, not `WHV_E_INVALID_PARTITION_CONFIG` (measured,
//! issue #17.3). What can only be judged against the partition comes after
//! the handle even though it is an argument: a VP index (against
//! ProcessorCount and the VPs created), a register name (against the
//! partition's features), a property that may not change after setup.

use std::ffi::c_void;

use winhv_defs::*;

use super::Partition;
use crate::error::{Error, Result};
use crate::memory::{FLAG_EXECUTE, FLAG_READ, FLAG_TRACK_DIRTY, FLAG_WRITE, PAGE_SIZE};
use crate::property::{PartitionProperties, check_buffer};

/// Every `WHV_MAP_GPA_RANGE_FLAGS` bit this platform knows.
const ALL_MAP_FLAGS: u32 = FLAG_READ | FLAG_WRITE | FLAG_EXECUTE | FLAG_TRACK_DIRTY;

fn invalid(what: &'static str) -> Error {
    Error::new(E_INVALIDARG, what)
}

/// A GPA range: page-aligned, not empty, not wrapping. Returns its end.
fn gpa_range(gpa: u64, size: u64) -> Result<u64> {
    if gpa % PAGE_SIZE != 0 {
        return Err(invalid("the guest address must be page-aligned"));
    }
    if size == 0 || size % PAGE_SIZE != 0 {
        return Err(invalid(
            "the size must be a non-zero multiple of the page size",
        ));
    }
    gpa.checked_add(size)
        .ok_or_else(|| invalid("the GPA range wraps around the address space"))
}

impl Partition {
    /// WHvMapGpaRange's argument checks, which need no partition: `source`
    /// non-NULL and page-aligned, `gpa`/`size` page-aligned and non-empty,
    /// neither range wrapping, only known flags, no Write without Read.
    /// Every failure is `E_INVALIDARG` (Microsoft documents it for all of
    /// these on WHvMapGpaRange2). [`Partition::map_gpa_range`] runs it
    /// before looking at the partition.
    ///
    /// ```
    /// use winhv::{Partition, defs::*};
    /// let unaligned = 0x1234 as *const std::ffi::c_void;
    /// let e = Partition::check_map_gpa_range(unaligned, 0, 0x1000, WHvMapGpaRangeFlagRead);
    /// assert_eq!(e.unwrap_err().hresult, E_INVALIDARG);
    /// ```
    pub fn check_map_gpa_range(
        source: *const c_void,
        gpa: u64,
        size: u64,
        flags: WHV_MAP_GPA_RANGE_FLAGS,
    ) -> Result<()> {
        let host = source as u64;
        if host == 0 || host % PAGE_SIZE != 0 {
            return Err(invalid(
                "the source address must be page-aligned and not NULL",
            ));
        }
        gpa_range(gpa, size)?;
        if host.checked_add(size).is_none() {
            return Err(invalid("the source range wraps around the address space"));
        }
        let flags = flags.0 as u32;
        if flags & !ALL_MAP_FLAGS != 0 {
            return Err(invalid("unknown WHV_MAP_GPA_RANGE_FLAGS bits"));
        }
        if flags & FLAG_WRITE != 0 && flags & FLAG_READ == 0 {
            return Err(invalid("write access without read access"));
        }
        Ok(())
    }

    /// WHvUnmapGpaRange's argument checks: `gpa`/`size` page-aligned,
    /// non-empty and not wrapping (`E_INVALIDARG`).
    ///
    /// ```
    /// let e = winhv::Partition::check_unmap_gpa_range(0x1000, 0);
    /// assert_eq!(e.unwrap_err().hresult, winhv::defs::E_INVALIDARG);
    /// ```
    pub fn check_unmap_gpa_range(gpa: u64, size: u64) -> Result<()> {
        gpa_range(gpa, size).map(drop)
    }

    /// WHvQueryGpaRangeDirtyBitmap's argument checks: the range as for
    /// [`Partition::check_unmap_gpa_range`], and a bitmap of
    /// `bitmap_words` 64-bit words (`None`: no bitmap, only clear) holding
    /// one bit per page (`E_INVALIDARG`).
    ///
    /// ```
    /// // 128 pages need two words.
    /// let e = winhv::Partition::check_query_gpa_range_dirty_bitmap(0, 128 * 0x1000, Some(1));
    /// assert_eq!(e.unwrap_err().hresult, winhv::defs::E_INVALIDARG);
    /// ```
    pub fn check_query_gpa_range_dirty_bitmap(
        gpa: u64,
        size: u64,
        bitmap_words: Option<usize>,
    ) -> Result<()> {
        gpa_range(gpa, size)?;
        let pages = size / PAGE_SIZE;
        if bitmap_words.is_some_and(|w| (w as u64) < pages.div_ceil(64)) {
            return Err(invalid("the bitmap is smaller than one bit per page"));
        }
        Ok(())
    }

    /// WHvTranslateGva's argument checks: only known
    /// `WHV_TRANSLATE_GVA_FLAGS` bits (`E_INVALIDARG`).
    ///
    /// ```
    /// use winhv::defs::*;
    /// let e = winhv::Partition::check_translate_gva(WHV_TRANSLATE_GVA_FLAGS(1 << 20));
    /// assert_eq!(e.unwrap_err().hresult, E_INVALIDARG);
    /// ```
    pub fn check_translate_gva(flags: WHV_TRANSLATE_GVA_FLAGS) -> Result<()> {
        translate_flags(flags).map(drop)
    }

    /// WHvCreateVirtualProcessor2's argument checks: every property code
    /// known (`E_INVALIDARG`, as Microsoft documents).
    ///
    /// ```
    /// use winhv::defs::*;
    /// let prop = WHV_VIRTUAL_PROCESSOR_PROPERTY {
    ///     PropertyCode: WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE(0x7777),
    ///     ..Default::default()
    /// };
    /// let e = winhv::Partition::check_vp_properties(&[prop]);
    /// assert_eq!(e.unwrap_err().hresult, E_INVALIDARG);
    /// ```
    pub fn check_vp_properties(properties: &[WHV_VIRTUAL_PROCESSOR_PROPERTY]) -> Result<()> {
        for p in properties {
            if p.PropertyCode != WHvVirtualProcessorPropertyCodeNumaNode {
                return Err(Error::with(
                    E_INVALIDARG,
                    format!("unknown VP property {:?}", p.PropertyCode),
                ));
            }
        }
        Ok(())
    }

    /// WHvSetPartitionProperty's argument checks: the code known
    /// (`WHV_E_UNKNOWN_PROPERTY`) and the buffer large enough
    /// (`WHV_E_INSUFFICIENT_BUFFER`) or a whole list (`E_INVALIDARG`).
    /// [`Partition::set_property`] then checks the value against the host
    /// and, last, whether the property may still change (not after setup:
    /// the partition's state).
    ///
    /// ```
    /// use winhv::defs::*;
    /// let e = winhv::Partition::check_set_property(WHvPartitionPropertyCodeProcessorCount, &[1, 0]);
    /// assert_eq!(e.unwrap_err().hresult, WHV_E_INSUFFICIENT_BUFFER);
    /// ```
    pub fn check_set_property(code: WHV_PARTITION_PROPERTY_CODE, buffer: &[u8]) -> Result<()> {
        check_buffer(code, buffer.len())
    }

    /// WHvGetPartitionProperty's argument checks: the code known and
    /// readable, and for a fixed-size property the buffer large enough. A
    /// list's size is the partition's (how many entries were set), checked
    /// after.
    ///
    /// ```
    /// use winhv::defs::*;
    /// let e = winhv::Partition::check_get_property(WHV_PARTITION_PROPERTY_CODE(0x7777), 8);
    /// assert_eq!(e.unwrap_err().hresult, WHV_E_UNKNOWN_PROPERTY);
    /// ```
    pub fn check_get_property(code: WHV_PARTITION_PROPERTY_CODE, buffer_size: usize) -> Result<()> {
        PartitionProperties::new().check_get(code, buffer_size)
    }
}

/// `flags` as the page walker's, or `E_INVALIDARG` for unknown bits.
pub(super) fn translate_flags(
    flags: WHV_TRANSLATE_GVA_FLAGS,
) -> Result<winhv_paging::TranslateFlags> {
    winhv_paging::TranslateFlags::from_bits(flags.0 as u32)
        .ok_or_else(|| invalid("unknown WHV_TRANSLATE_GVA_FLAGS bits"))
}

/// WHvPostVirtualProcessorSynicMessage's arguments: SINT below 16, a
/// message of 1 to 256 bytes (`E_INVALIDARG`, as Microsoft documents for
/// the size; our reading for the SINT).
pub(crate) fn check_synic_message(sint: u32, size: usize) -> Result<()> {
    if sint >= 16 {
        return Err(invalid("SintIndex must be below 16"));
    }
    if size == 0 || size > WHV_SYNIC_MESSAGE_SIZE as usize {
        return Err(invalid(
            "MessageSizeInBytes must be greater than 0 and at most WHV_SYNIC_MESSAGE_SIZE (256)",
        ));
    }
    Ok(())
}

/// WHvSignalVirtualProcessorSynicEvent's arguments: TargetVtl 0 (Microsoft
/// documents `E_INVALIDARG`), TargetSint below 16 and FlagNumber below
/// 2048, the flags one SINT has in the SIEFP page (`E_INVALIDARG`, our
/// reading).
pub(crate) fn check_synic_event(e: &WHV_SYNIC_EVENT_PARAMETERS) -> Result<()> {
    if e.Reserved != 0 {
        return Err(invalid("TargetVtl must be 0"));
    }
    if e.TargetSint >= 16 {
        return Err(invalid("TargetSint must be below 16"));
    }
    if e.FlagNumber >= 2048 {
        return Err(invalid(
            "FlagNumber must be below 2048 (256 bytes of flags per SINT)",
        ));
    }
    Ok(())
}

impl Partition {
    /// WHvPostVirtualProcessorSynicMessage's argument checks
    /// ([`Partition::post_synic_message`] runs them first).
    pub fn check_post_synic_message(sint: u32, size: usize) -> Result<()> {
        check_synic_message(sint, size)
    }

    /// WHvSignalVirtualProcessorSynicEvent's argument checks
    /// ([`Partition::signal_synic_event`] runs them first).
    pub fn check_signal_synic_event(event: &WHV_SYNIC_EVENT_PARAMETERS) -> Result<()> {
        check_synic_event(event)
    }
}
