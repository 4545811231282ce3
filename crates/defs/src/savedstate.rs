//! vmsavedstatedumpprovider.dll (`vmsavedstatedumpprovider.h`,
//! `vmsavedstatedumpdefs.h`): the types of the saved-state reader — the dump
//! handle, register identifiers and values, paging modes, architectures,
//! physical-memory chunks, guest OS identity, and the image/symbol callback
//! types.
//!
//! Not here, on purpose: `HVSOCKET_*`, `HV_GUID_*`, `HV_PROTOCOL_RAW` and
//! `SOCKADDR_HV` (`hvsocket.h`, Hyper-V sockets) and `VM_GENCOUNTER*`,
//! `GUID_DEVINTERFACE_VM_GENCOUNTER`, `IOCTL_VMGENCOUNTER_READ`
//! (`vmgenerationcounter.h`, a guest driver interface). `windows-sys` files
//! them in the same `Hypervisor` module, but neither belongs to the four
//! libraries this crate describes.

use crate::base::{BOOL, PCSTR};
use core::ffi::c_void;

/// The handle `LoadSavedStateFile(s)` returns and every other function of
/// the library takes.
pub type VM_SAVED_STATE_DUMP_HANDLE = *mut c_void;

/// A guest virtual address.
pub type GUEST_VIRTUAL_ADDRESS = u64;

/// A guest physical address.
pub type GUEST_PHYSICAL_ADDRESS = u64;

open_enum! {
    /// `PAGING_MODE`: the paging mode a virtual processor was in.
    pub enum PAGING_MODE: i32 {
        /// No valid mode.
        Paging_Invalid = 0,
        /// Paging disabled.
        Paging_NonPaged = 1,
        /// 32-bit paging.
        Paging_32Bit = 2,
        /// PAE paging.
        Paging_Pae = 3,
        /// 4-level long-mode paging.
        Paging_Long = 4,
        /// Armv8 translation tables.
        Paging_Armv8 = 5,
    }
}

open_enum! {
    /// `VIRTUAL_PROCESSOR_ARCH`: the architecture a virtual processor ran.
    pub enum VIRTUAL_PROCESSOR_ARCH: i32 {
        /// Unknown.
        Arch_Unknown = 0,
        /// 32-bit x86.
        Arch_x86 = 1,
        /// x86-64.
        Arch_x64 = 2,
        /// Armv8 (AArch64).
        Arch_Armv8 = 3,
    }
}

open_enum! {
    /// `VIRTUAL_PROCESSOR_VENDOR`: the vendor of the processor the saved VM ran on.
    pub enum VIRTUAL_PROCESSOR_VENDOR: i32 {
        /// Unknown.
        ProcessorVendor_Unknown = 0,
        /// AMD.
        ProcessorVendor_Amd = 1,
        /// Intel.
        ProcessorVendor_Intel = 2,
        /// Hygon.
        ProcessorVendor_Hygon = 3,
        /// Arm.
        ProcessorVendor_Arm = 4,
    }
}

open_enum! {
    /// `REGISTER_ID`: the register `GetRegisterValue` reads (x64 and Arm64
    /// names share one numbering).
    pub enum REGISTER_ID: i32 {
        X64_RegisterRax = 0,
        X64_RegisterRcx = 1,
        X64_RegisterRdx = 2,
        X64_RegisterRbx = 3,
        X64_RegisterRsp = 4,
        X64_RegisterRbp = 5,
        X64_RegisterRsi = 6,
        X64_RegisterRdi = 7,
        X64_RegisterR8 = 8,
        X64_RegisterR9 = 9,
        X64_RegisterR10 = 10,
        X64_RegisterR11 = 11,
        X64_RegisterR12 = 12,
        X64_RegisterR13 = 13,
        X64_RegisterR14 = 14,
        X64_RegisterR15 = 15,
        X64_RegisterRip = 16,
        X64_RegisterRFlags = 17,
        X64_RegisterXmm0 = 18,
        X64_RegisterXmm1 = 19,
        X64_RegisterXmm2 = 20,
        X64_RegisterXmm3 = 21,
        X64_RegisterXmm4 = 22,
        X64_RegisterXmm5 = 23,
        X64_RegisterXmm6 = 24,
        X64_RegisterXmm7 = 25,
        X64_RegisterXmm8 = 26,
        X64_RegisterXmm9 = 27,
        X64_RegisterXmm10 = 28,
        X64_RegisterXmm11 = 29,
        X64_RegisterXmm12 = 30,
        X64_RegisterXmm13 = 31,
        X64_RegisterXmm14 = 32,
        X64_RegisterXmm15 = 33,
        X64_RegisterFpMmx0 = 34,
        X64_RegisterFpMmx1 = 35,
        X64_RegisterFpMmx2 = 36,
        X64_RegisterFpMmx3 = 37,
        X64_RegisterFpMmx4 = 38,
        X64_RegisterFpMmx5 = 39,
        X64_RegisterFpMmx6 = 40,
        X64_RegisterFpMmx7 = 41,
        X64_RegisterFpControlStatus = 42,
        X64_RegisterXmmControlStatus = 43,
        X64_RegisterCr0 = 44,
        X64_RegisterCr2 = 45,
        X64_RegisterCr3 = 46,
        X64_RegisterCr4 = 47,
        X64_RegisterCr8 = 48,
        X64_RegisterEfer = 49,
        X64_RegisterDr0 = 50,
        X64_RegisterDr1 = 51,
        X64_RegisterDr2 = 52,
        X64_RegisterDr3 = 53,
        X64_RegisterDr6 = 54,
        X64_RegisterDr7 = 55,
        X64_RegisterEs = 56,
        X64_RegisterCs = 57,
        X64_RegisterSs = 58,
        X64_RegisterDs = 59,
        X64_RegisterFs = 60,
        X64_RegisterGs = 61,
        X64_RegisterLdtr = 62,
        X64_RegisterTr = 63,
        X64_RegisterIdtr = 64,
        X64_RegisterGdtr = 65,
        X64_RegisterMax = 66,
        ARM64_RegisterX0 = 67,
        ARM64_RegisterX1 = 68,
        ARM64_RegisterX2 = 69,
        ARM64_RegisterX3 = 70,
        ARM64_RegisterX4 = 71,
        ARM64_RegisterX5 = 72,
        ARM64_RegisterX6 = 73,
        ARM64_RegisterX7 = 74,
        ARM64_RegisterX8 = 75,
        ARM64_RegisterX9 = 76,
        ARM64_RegisterX10 = 77,
        ARM64_RegisterX11 = 78,
        ARM64_RegisterX12 = 79,
        ARM64_RegisterX13 = 80,
        ARM64_RegisterX14 = 81,
        ARM64_RegisterX15 = 82,
        ARM64_RegisterX16 = 83,
        ARM64_RegisterX17 = 84,
        ARM64_RegisterX18 = 85,
        ARM64_RegisterX19 = 86,
        ARM64_RegisterX20 = 87,
        ARM64_RegisterX21 = 88,
        ARM64_RegisterX22 = 89,
        ARM64_RegisterX23 = 90,
        ARM64_RegisterX24 = 91,
        ARM64_RegisterX25 = 92,
        ARM64_RegisterX26 = 93,
        ARM64_RegisterX27 = 94,
        ARM64_RegisterX28 = 95,
        ARM64_RegisterXFp = 96,
        ARM64_RegisterXLr = 97,
        ARM64_RegisterPc = 98,
        ARM64_RegisterSpEl0 = 99,
        ARM64_RegisterSpEl1 = 100,
        ARM64_RegisterCpsr = 101,
        ARM64_RegisterQ0 = 102,
        ARM64_RegisterQ1 = 103,
        ARM64_RegisterQ2 = 104,
        ARM64_RegisterQ3 = 105,
        ARM64_RegisterQ4 = 106,
        ARM64_RegisterQ5 = 107,
        ARM64_RegisterQ6 = 108,
        ARM64_RegisterQ7 = 109,
        ARM64_RegisterQ8 = 110,
        ARM64_RegisterQ9 = 111,
        ARM64_RegisterQ10 = 112,
        ARM64_RegisterQ11 = 113,
        ARM64_RegisterQ12 = 114,
        ARM64_RegisterQ13 = 115,
        ARM64_RegisterQ14 = 116,
        ARM64_RegisterQ15 = 117,
        ARM64_RegisterQ16 = 118,
        ARM64_RegisterQ17 = 119,
        ARM64_RegisterQ18 = 120,
        ARM64_RegisterQ19 = 121,
        ARM64_RegisterQ20 = 122,
        ARM64_RegisterQ21 = 123,
        ARM64_RegisterQ22 = 124,
        ARM64_RegisterQ23 = 125,
        ARM64_RegisterQ24 = 126,
        ARM64_RegisterQ25 = 127,
        ARM64_RegisterQ26 = 128,
        ARM64_RegisterQ27 = 129,
        ARM64_RegisterQ28 = 130,
        ARM64_RegisterQ29 = 131,
        ARM64_RegisterQ30 = 132,
        ARM64_RegisterQ31 = 133,
        ARM64_RegisterFpStatus = 134,
        ARM64_RegisterFpControl = 135,
        ARM64_RegisterEsrEl1 = 136,
        ARM64_RegisterSpsrEl1 = 137,
        ARM64_RegisterFarEl1 = 138,
        ARM64_RegisterParEl1 = 139,
        ARM64_RegisterElrEl1 = 140,
        ARM64_RegisterTtbr0El1 = 141,
        ARM64_RegisterTtbr1El1 = 142,
        ARM64_RegisterVbarEl1 = 143,
        ARM64_RegisterSctlrEl1 = 144,
        ARM64_RegisterActlrEl1 = 145,
        ARM64_RegisterTcrEl1 = 146,
        ARM64_RegisterMairEl1 = 147,
        ARM64_RegisterAmairEl1 = 148,
        ARM64_RegisterTpidrEl0 = 149,
        ARM64_RegisterTpidrroEl0 = 150,
        ARM64_RegisterTpidrEl1 = 151,
        ARM64_RegisterContextIdrEl1 = 152,
        ARM64_RegisterCpacrEl1 = 153,
        ARM64_RegisterCsselrEl1 = 154,
        ARM64_RegisterCntkctlEl1 = 155,
        ARM64_RegisterCntvCvalEl0 = 156,
        ARM64_RegisterCntvCtlEl0 = 157,
        ARM64_RegisterMax = 158,
    }
}

/// `VIRTUAL_PROCESSOR_REGISTER`: a register value as `GetRegisterValue`
/// returns it; which member is valid follows from the [`REGISTER_ID`].
#[repr(C)]
#[derive(Copy, Clone)]
pub union VIRTUAL_PROCESSOR_REGISTER {
    /// A 64-bit register.
    pub Reg64: u64,
    /// A 32-bit register.
    pub Reg32: u32,
    /// A 16-bit register.
    pub Reg16: u16,
    /// An 8-bit register.
    pub Reg8: u8,
    /// A 128-bit register (XMM, Q).
    pub Reg128: VIRTUAL_PROCESSOR_REGISTER_0,
    /// The structured x64 registers.
    pub X64: VIRTUAL_PROCESSOR_REGISTER_1,
}

impl Default for VIRTUAL_PROCESSOR_REGISTER {
    fn default() -> Self {
        Self {
            Reg128: VIRTUAL_PROCESSOR_REGISTER_0::default(),
        }
    }
}

/// `VIRTUAL_PROCESSOR_REGISTER.Reg128`: a 128-bit value.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VIRTUAL_PROCESSOR_REGISTER_0 {
    /// Bits 0..64.
    pub Low64: u64,
    /// Bits 64..128.
    pub High64: u64,
}

/// `VIRTUAL_PROCESSOR_REGISTER.X64`: the structured x64 registers.
#[repr(C)]
#[derive(Copy, Clone)]
pub union VIRTUAL_PROCESSOR_REGISTER_1 {
    /// A segment register (CS, DS, …, TR, LDTR).
    pub Segment: VIRTUAL_PROCESSOR_REGISTER_1_0,
    /// A descriptor-table register (GDTR, IDTR).
    pub Table: VIRTUAL_PROCESSOR_REGISTER_1_1,
    /// The x87 control/status register.
    pub FpControlStatus: VIRTUAL_PROCESSOR_REGISTER_1_2,
    /// The XMM control/status register.
    pub XmmControlStatus: VIRTUAL_PROCESSOR_REGISTER_1_3,
}

impl Default for VIRTUAL_PROCESSOR_REGISTER_1 {
    fn default() -> Self {
        Self {
            Segment: <VIRTUAL_PROCESSOR_REGISTER_1_0 as Default>::default(),
        }
    }
}

/// `VIRTUAL_PROCESSOR_REGISTER.X64.Segment`. The header's anonymous union of
/// `Attributes` and its bitfield is flattened into `Attributes`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VIRTUAL_PROCESSOR_REGISTER_1_0 {
    /// The segment base.
    pub Base: u64,
    /// The segment limit.
    pub Limit: u32,
    /// The selector.
    pub Selector: u16,
    /// The attributes, bit by bit below.
    pub Attributes: u16,
}

bitfield! {
    VIRTUAL_PROCESSOR_REGISTER_1_0 . Attributes : u16 {
        /// `SegmentType`, bits 0..4.
        segment_type / set_segment_type : 0, 4;
        /// `NonSystemSegment`, bit 4.
        non_system_segment / set_non_system_segment : 4, 1;
        /// `DescriptorPrivilegeLevel`, bits 5..7.
        descriptor_privilege_level / set_descriptor_privilege_level : 5, 2;
        /// `Present`, bit 7.
        present / set_present : 7, 1;
        /// `Reserved`, bits 8..12.
        reserved / set_reserved : 8, 4;
        /// `Available`, bit 12.
        available / set_available : 12, 1;
        /// `Long`, bit 13.
        long / set_long : 13, 1;
        /// `Default`, bit 14.
        default / set_default : 14, 1;
        /// `Granularity`, bit 15.
        granularity / set_granularity : 15, 1;
    }
}

/// `VIRTUAL_PROCESSOR_REGISTER.X64.Table`: GDTR or IDTR.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VIRTUAL_PROCESSOR_REGISTER_1_1 {
    /// The table limit.
    pub Limit: u16,
    /// The table base (at offset 8: the header does not pack it).
    pub Base: u64,
}

/// `VIRTUAL_PROCESSOR_REGISTER.X64.FpControlStatus`.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct VIRTUAL_PROCESSOR_REGISTER_1_2 {
    /// FCW.
    pub FpControl: u16,
    /// FSW.
    pub FpStatus: u16,
    /// The abridged tag word.
    pub FpTag: u8,
    /// Reserved.
    pub Reserved: u8,
    /// The last x87 opcode.
    pub LastFpOp: u16,
    /// The last x87 instruction pointer.
    pub Anonymous: VIRTUAL_PROCESSOR_REGISTER_1_2_0,
}

/// The last x87 instruction pointer: 64-bit, or 32-bit offset and selector.
#[repr(C)]
#[derive(Copy, Clone)]
pub union VIRTUAL_PROCESSOR_REGISTER_1_2_0 {
    /// The 64-bit instruction pointer.
    pub LastFpRip: u64,
    /// The 32-bit offset and code selector.
    pub Anonymous: VIRTUAL_PROCESSOR_REGISTER_1_2_0_0,
}

impl Default for VIRTUAL_PROCESSOR_REGISTER_1_2_0 {
    fn default() -> Self {
        Self { LastFpRip: 0 }
    }
}

/// The 32-bit form of the last x87 instruction pointer.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VIRTUAL_PROCESSOR_REGISTER_1_2_0_0 {
    /// The offset.
    pub LastFpEip: u32,
    /// The code selector.
    pub LastFpCs: u16,
}

/// `VIRTUAL_PROCESSOR_REGISTER.X64.XmmControlStatus`.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct VIRTUAL_PROCESSOR_REGISTER_1_3 {
    /// The last x87 data pointer.
    pub Anonymous: VIRTUAL_PROCESSOR_REGISTER_1_3_0,
    /// MXCSR.
    pub XmmStatusControl: u32,
    /// MXCSR_MASK.
    pub XmmStatusControlMask: u32,
}

/// The last x87 data pointer: 64-bit, or 32-bit offset and selector.
#[repr(C)]
#[derive(Copy, Clone)]
pub union VIRTUAL_PROCESSOR_REGISTER_1_3_0 {
    /// The 64-bit data pointer.
    pub LastFpRdp: u64,
    /// The 32-bit offset and data selector.
    pub Anonymous: VIRTUAL_PROCESSOR_REGISTER_1_3_0_0,
}

impl Default for VIRTUAL_PROCESSOR_REGISTER_1_3_0 {
    fn default() -> Self {
        Self { LastFpRdp: 0 }
    }
}

/// The 32-bit form of the last x87 data pointer.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VIRTUAL_PROCESSOR_REGISTER_1_3_0_0 {
    /// The offset.
    pub LastFpDp: u32,
    /// The data selector.
    pub LastFpDs: u16,
}

/// `GPA_MEMORY_CHUNK`: a run of guest physical pages present in the saved
/// state, as `GetGuestPhysicalMemoryChunks` lists them.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GPA_MEMORY_CHUNK {
    /// The first page's index (GPA / page size).
    pub GuestPhysicalStartPageIndex: u64,
    /// The number of pages.
    pub PageCount: u64,
}

open_enum! {
    /// `GUEST_OS_VENDOR`: `GUEST_OS_INFO.ClosedSource.VendorId`.
    pub enum GUEST_OS_VENDOR: i32 {
        /// Undefined.
        GuestOsVendorUndefined = 0,
        /// Microsoft.
        GuestOsVendorMicrosoft = 1,
        /// HPE.
        GuestOsVendorHPE = 2,
        /// LANCOM.
        GuestOsVendorLANCOM = 0x200,
    }
}

open_enum! {
    /// `GUEST_OS_MICROSOFT_IDS`: `GUEST_OS_INFO.ClosedSource.OsId` for Microsoft.
    pub enum GUEST_OS_MICROSOFT_IDS: i32 {
        /// Undefined.
        GuestOsMicrosoftUndefined = 0,
        /// MS-DOS.
        GuestOsMicrosoftMSDOS = 1,
        /// Windows 3.x.
        GuestOsMicrosoftWindows3x = 2,
        /// Windows 9x.
        GuestOsMicrosoftWindows9x = 3,
        /// Windows NT.
        GuestOsMicrosoftWindowsNT = 4,
        /// Windows CE.
        GuestOsMicrosoftWindowsCE = 5,
    }
}

open_enum! {
    /// `GUEST_OS_OPENSOURCE_IDS`: `GUEST_OS_INFO.OpenSource.OsId`.
    pub enum GUEST_OS_OPENSOURCE_IDS: i32 {
        /// Undefined.
        GuestOsOpenSourceUndefined = 0,
        /// Linux.
        GuestOsOpenSourceLinux = 1,
        /// FreeBSD.
        GuestOsOpenSourceFreeBSD = 2,
        /// Xen.
        GuestOsOpenSourceXen = 3,
        /// Illumos.
        GuestOsOpenSourceIllumos = 4,
    }
}

/// `GUEST_OS_INFO`: the guest OS identity (the Hyper-V guest OS ID MSR) as
/// `GetGuestOsInfo` returns it. Bit 63 (`OpenSource.IsOpenSource`) says
/// which view applies.
#[repr(C)]
#[derive(Copy, Clone)]
pub union GUEST_OS_INFO {
    /// The whole value.
    pub AsUINT64: u64,
    /// The view for closed-source (vendor) operating systems.
    pub ClosedSource: GUEST_OS_INFO_0,
    /// The view for open-source operating systems.
    pub OpenSource: GUEST_OS_INFO_1,
}

impl Default for GUEST_OS_INFO {
    fn default() -> Self {
        Self { AsUINT64: 0 }
    }
}

/// `GUEST_OS_INFO.ClosedSource`: a bitfield over the whole 64-bit value.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GUEST_OS_INFO_0 {
    /// The whole value, bit by bit below.
    pub AsUINT64: u64,
}

bitfield! {
    GUEST_OS_INFO_0 . AsUINT64 : u64 {
        /// `BuildNumber`, bits 0..16.
        build_number / set_build_number : 0, 16;
        /// `ServiceVersion`, bits 16..24.
        service_version / set_service_version : 16, 8;
        /// `MinorVersion`, bits 24..32.
        minor_version / set_minor_version : 24, 8;
        /// `MajorVersion`, bits 32..40.
        major_version / set_major_version : 32, 8;
        /// `OsId` ([`GUEST_OS_MICROSOFT_IDS`] for Microsoft), bits 40..48.
        os_id / set_os_id : 40, 8;
        /// `VendorId` ([`GUEST_OS_VENDOR`]), bits 48..64.
        vendor_id / set_vendor_id : 48, 16;
    }
}

/// `GUEST_OS_INFO.OpenSource`: a bitfield over the whole 64-bit value.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GUEST_OS_INFO_1 {
    /// The whole value, bit by bit below.
    pub AsUINT64: u64,
}

bitfield! {
    GUEST_OS_INFO_1 . AsUINT64 : u64 {
        /// `VendorSpecific1`, bits 0..16.
        vendor_specific1 / set_vendor_specific1 : 0, 16;
        /// `Version`, bits 16..48.
        version / set_version : 16, 32;
        /// `VendorSpecific2`, bits 48..56.
        vendor_specific2 / set_vendor_specific2 : 48, 8;
        /// `OsId` ([`GUEST_OS_OPENSOURCE_IDS`]), bits 56..63.
        os_id / set_os_id : 56, 7;
        /// `IsOpenSource`, bit 63.
        is_open_source / set_is_open_source : 63, 1;
    }
}

/// `DOS_IMAGE_INFO`: a PE image found in guest memory by
/// `ScanMemoryForDosImages`.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct DOS_IMAGE_INFO {
    /// The PDB name from the image's debug directory (NUL-terminated).
    pub PdbName: PCSTR,
    /// The guest virtual address the image is loaded at.
    pub ImageBaseAddress: u64,
    /// `SizeOfImage`.
    pub ImageSize: u32,
    /// The image's link timestamp.
    pub Timestamp: u32,
}

impl Default for DOS_IMAGE_INFO {
    fn default() -> Self {
        Self {
            PdbName: core::ptr::null(),
            ImageBaseAddress: 0,
            ImageSize: 0,
            Timestamp: 0,
        }
    }
}

/// `MODULE_INFO`: an image and the process it belongs to, for `CallStackUnwind`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct MODULE_INFO {
    /// The process image name (NUL-terminated).
    pub ProcessImageName: PCSTR,
    /// The image.
    pub Image: DOS_IMAGE_INFO,
}

/// Called by `ScanMemoryForDosImages` for each image found; `TRUE` ends
/// the scan ("If the callback returns true, then this function returns",
/// Microsoft's header), `FALSE` goes on.
pub type FOUND_IMAGE_CALLBACK =
    Option<unsafe extern "C" fn(Context: *mut c_void, ImageInfo: *const DOS_IMAGE_INFO) -> BOOL>;

/// Receives the symbol provider's diagnostic messages (NUL-terminated).
pub type GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK =
    Option<unsafe extern "C" fn(InfoMessage: PCSTR)>;
