//! Guest physical memory: addresses, `WHvMapGpaRange` flags, the ranges and
//! advice of `WHvAdviseGpaRange`, the cache types of `WHvReadGpaRange` /
//! `WHvWriteGpaRange`, and the access type a memory exit reports.

/// A guest physical address.
pub type WHV_GUEST_PHYSICAL_ADDRESS = u64;
/// A guest virtual address.
pub type WHV_GUEST_VIRTUAL_ADDRESS = u64;

open_enum! {
    /// The access a `WHvMapGpaRange` mapping grants, and whether its dirty pages
    /// are tracked. Flags: combine with `|`.
    pub enum WHV_MAP_GPA_RANGE_FLAGS: i32 {
        WHvMapGpaRangeFlagNone = 0x0000_0000,
        WHvMapGpaRangeFlagRead = 0x0000_0001,
        WHvMapGpaRangeFlagWrite = 0x0000_0002,
        WHvMapGpaRangeFlagExecute = 0x0000_0004,
        WHvMapGpaRangeFlagTrackDirtyPages = 0x0000_0008,
    }
}

flag_ops!(WHV_MAP_GPA_RANGE_FLAGS);

open_enum! {
    /// The kind of guest access behind a memory exit or a populate request.
    pub enum WHV_MEMORY_ACCESS_TYPE: i32 {
        WHvMemoryAccessRead = 0,
        WHvMemoryAccessWrite = 1,
        WHvMemoryAccessExecute = 2,
    }
}

/// A range of guest physical memory (`WHvAdviseGpaRange`,
/// `WHvReadVpciDeviceRegister`'s callers, …).
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_MEMORY_RANGE_ENTRY {
    /// The first guest physical address of the range.
    pub GuestAddress: u64,
    /// The range's length in bytes.
    pub SizeInBytes: u64,
}

/// How `WHvAdviseGpaRangeCodePopulate` populates a range; also the
/// capability `WHvCapabilityCodeGpaRangePopulateFlags`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS {
    /// The whole value; the accessors below read and write its fields.
    pub AsUINT32: u32,
}

bitfield! {
    WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS . AsUINT32 : u32 {
        /// `Prefetch`: bit 0.
        prefetch / set_prefetch : 0, 1;
        /// `AvoidHardFaults`: bit 1.
        avoid_hard_faults / set_avoid_hard_faults : 1, 1;
    }
}

/// The parameters of `WHvAdviseGpaRangeCodePopulate`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_ADVISE_GPA_RANGE_POPULATE {
    /// How to populate.
    pub Flags: WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS,
    /// The access to populate for.
    pub AccessType: WHV_MEMORY_ACCESS_TYPE,
}

open_enum! {
    /// The advice `WHvAdviseGpaRange` gives about a guest physical range.
    pub enum WHV_ADVISE_GPA_RANGE_CODE: i32 {
        WHvAdviseGpaRangeCodePopulate = 0x0000_0000,
        WHvAdviseGpaRangeCodePin = 0x0000_0001,
        WHvAdviseGpaRangeCodeUnpin = 0x0000_0002,
    }
}

/// The parameters of `WHvAdviseGpaRange`, by [`WHV_ADVISE_GPA_RANGE_CODE`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_ADVISE_GPA_RANGE {
    /// For `WHvAdviseGpaRangeCodePopulate`.
    pub Populate: WHV_ADVISE_GPA_RANGE_POPULATE,
}

impl Default for WHV_ADVISE_GPA_RANGE {
    /// All bytes zero.
    fn default() -> Self {
        Self {
            Populate: WHV_ADVISE_GPA_RANGE_POPULATE::default(),
        }
    }
}

open_enum! {
    /// A memory type for `WHvReadGpaRange` / `WHvWriteGpaRange` accesses
    /// (`WHvCacheTypeWriteProtected` exists in the x64 header only; `windows-sys`
    /// omits it).
    pub enum WHV_CACHE_TYPE: i32 {
        WHvCacheTypeUncached = 0,
        WHvCacheTypeWriteCombining = 1,
        WHvCacheTypeWriteThrough = 4,
        WHvCacheTypeWriteProtected = 5,
        WHvCacheTypeWriteBack = 6,
    }
}

/// The controls of `WHvReadGpaRange` / `WHvWriteGpaRange`.
#[repr(C)]
#[derive(Copy, Clone)]
pub union WHV_ACCESS_GPA_CONTROLS {
    /// The whole value.
    pub AsUINT64: u64,
    /// The fields.
    pub Anonymous: WHV_ACCESS_GPA_CONTROLS_0,
}

impl Default for WHV_ACCESS_GPA_CONTROLS {
    /// All bytes zero.
    fn default() -> Self {
        Self { AsUINT64: 0 }
    }
}

/// The fields of [`WHV_ACCESS_GPA_CONTROLS`].
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_ACCESS_GPA_CONTROLS_0 {
    /// The memory type of the access.
    pub CacheType: WHV_CACHE_TYPE,
    /// Reserved, zero.
    pub Reserved: u32,
}

/// The most bytes one `WHvReadGpaRange` / `WHvWriteGpaRange` call moves.
pub const WHV_READ_WRITE_GPA_RANGE_MAX_SIZE: u32 = 16;
