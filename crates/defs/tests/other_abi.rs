//! ABI checks of the emulation, HDV and saved-state types and of the
//! HRESULTs against `windows-sys` 0.61 (sizes, alignments, field offsets,
//! constant values), bitfield accessors bit by bit against the headers, and
//! the behaviour of `HRESULT` itself.
#![allow(unsafe_code, reason = "reading members of the saved-state unions")]

#[macro_use]
mod common;

use winhv_defs as defs;

/// windows-sys' Hypervisor and Foundation modules under one name, for the
/// macros of `common`.
mod ws {
    pub use windows_sys::Win32::Foundation::*;
    pub use windows_sys::Win32::System::HostComputeSystem::HCS_SYSTEM;
    pub use windows_sys::Win32::System::Hypervisor::*;
    pub use windows_sys::core::GUID;
}

enum_const_value!(
    defs::HDV_DEVICE_TYPE,
    defs::HDV_DEVICE_HOST_FLAGS,
    defs::HDV_PCI_BAR_SELECTOR,
    defs::HDV_DOORBELL_FLAGS,
    defs::HDV_MMIO_MAPPING_FLAGS,
    defs::HDV_PCI_INTERFACE_VERSION,
    defs::PAGING_MODE,
    defs::VIRTUAL_PROCESSOR_ARCH,
    defs::VIRTUAL_PROCESSOR_VENDOR,
    defs::REGISTER_ID,
    defs::GUEST_OS_VENDOR,
    defs::GUEST_OS_MICROSOFT_IDS,
    defs::GUEST_OS_OPENSOURCE_IDS,
);

#[test]
fn base_layout() {
    layout!(GUID {
        data1,
        data2,
        data3,
        data4
    });
}

// ---------------------------------------------------------------- emulation

#[test]
fn emulation_layout() {
    layout!(WHV_EMULATOR_STATUS { AsUINT32 });
    flattened!(WHV_EMULATOR_STATUS_0 => WHV_EMULATOR_STATUS.AsUINT32);
    layout!(WHV_EMULATOR_MEMORY_ACCESS_INFO {
        GpaAddress,
        Direction,
        AccessSize,
        Data
    });
    layout!(WHV_EMULATOR_IO_ACCESS_INFO {
        Direction,
        Port,
        AccessSize,
        Data
    });
    layout!(WHV_EMULATOR_CALLBACKS {
        Size,
        Reserved,
        WHvEmulatorIoPortCallback,
        WHvEmulatorMemoryCallback,
        WHvEmulatorGetVirtualProcessorRegisters,
        WHvEmulatorSetVirtualProcessorRegisters,
        WHvEmulatorTranslateGvaPage
    });
    assert_eq!(size_of::<defs::WHV_EMULATOR_CALLBACKS>(), 48);
    covered!(
        WHV_EMULATOR_IO_PORT_CALLBACK,
        WHV_EMULATOR_MEMORY_CALLBACK,
        WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK,
        WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK,
        WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK,
    );
    // windows-sys has no WHV_EMULATOR_HANDLE; the header's is a VOID*.
    assert_eq!(
        size_of::<defs::WHV_EMULATOR_HANDLE>(),
        size_of::<*mut core::ffi::c_void>()
    );
}

/// One bitfield field: its name in the header, setter, getter, and the bits
/// the header gives it in the whole value.
type Field<T, I> = (&'static str, fn(&mut T, I), fn(&T) -> I, I);

/// Sets each field to all ones on a zero value and checks that exactly the
/// header's bits are set and read back; checks that the table covers every
/// field the type declares and that the fields do not overlap.
macro_rules! check_bits {
    ($ty:ty, $int:ty, $whole:ident, $table:expr) => {{
        let table: &[Field<$ty, $int>] = $table;
        assert_eq!(
            table.len(),
            <$ty>::FIELDS.len(),
            "fields of {}",
            stringify!($ty)
        );
        let mut seen: $int = 0;
        for &(name, set, get, mask) in table {
            let mut v = <$ty as Default>::default();
            set(&mut v, !0);
            assert_eq!(
                v.$whole,
                mask,
                "{}.{} sets exactly its bits",
                stringify!($ty),
                name
            );
            let width = mask.count_ones();
            let ones: $int = if width == <$int>::BITS {
                !0
            } else {
                ((1 as $int) << width) - 1
            };
            assert_eq!(get(&v), ones, "{}.{} reads back", stringify!($ty), name);
            // Clearing it on an all-ones value clears only those bits.
            let mut w = <$ty as Default>::default();
            w.$whole = !0;
            set(&mut w, 0);
            assert_eq!(
                w.$whole,
                !mask,
                "{}.{} clears exactly its bits",
                stringify!($ty),
                name
            );
            assert_eq!(
                seen & mask,
                0,
                "{}.{} overlaps another field",
                stringify!($ty),
                name
            );
            seen |= mask;
        }
        assert_eq!(seen, !0, "{} fields cover every bit", stringify!($ty));
    }};
}

#[test]
fn emulator_status_bits() {
    use defs::WHV_EMULATOR_STATUS as S;
    check_bits!(
        S,
        u32,
        AsUINT32,
        &[
            (
                "EmulationSuccessful",
                S::set_emulation_successful,
                S::emulation_successful,
                1 << 0
            ),
            (
                "InternalEmulationFailure",
                S::set_internal_emulation_failure,
                S::internal_emulation_failure,
                1 << 1
            ),
            (
                "IoPortCallbackFailed",
                S::set_io_port_callback_failed,
                S::io_port_callback_failed,
                1 << 2
            ),
            (
                "MemoryCallbackFailed",
                S::set_memory_callback_failed,
                S::memory_callback_failed,
                1 << 3
            ),
            (
                "TranslateGvaPageCallbackFailed",
                S::set_translate_gva_page_callback_failed,
                S::translate_gva_page_callback_failed,
                1 << 4
            ),
            (
                "TranslateGvaPageCallbackGpaIsNotAligned",
                S::set_translate_gva_page_callback_gpa_is_not_aligned,
                S::translate_gva_page_callback_gpa_is_not_aligned,
                1 << 5
            ),
            (
                "GetVirtualProcessorRegistersCallbackFailed",
                S::set_get_virtual_processor_registers_callback_failed,
                S::get_virtual_processor_registers_callback_failed,
                1 << 6
            ),
            (
                "SetVirtualProcessorRegistersCallbackFailed",
                S::set_set_virtual_processor_registers_callback_failed,
                S::set_virtual_processor_registers_callback_failed,
                1 << 7
            ),
            (
                "InterruptCausedIntercept",
                S::set_interrupt_caused_intercept,
                S::interrupt_caused_intercept,
                1 << 8
            ),
            (
                "GuestCannotBeFaulted",
                S::set_guest_cannot_be_faulted,
                S::guest_cannot_be_faulted,
                1 << 9
            ),
            ("Reserved", S::set_reserved, S::reserved, 0xFFFF_FC00),
        ]
    );
}

// ---------------------------------------------------------------------- HDV

#[test]
fn hdv_layout() {
    layout!(HDV_PCI_PNP_ID {
        VendorID,
        DeviceID,
        RevisionID,
        ProgIf,
        SubClass,
        BaseClass,
        SubVendorID,
        SubSystemID
    });
    layout!(HDV_PCI_DEVICE_INTERFACE {
        Version,
        Initialize,
        Teardown,
        SetConfiguration,
        GetDetails,
        Start,
        Stop,
        ReadConfigSpace,
        WriteConfigSpace,
        ReadInterceptedMemory,
        WriteInterceptedMemory
    });
    covered!(
        HCS_SYSTEM,
        HDV_DEVICE_TYPE,
        HDV_DEVICE_HOST_FLAGS,
        HDV_PCI_BAR_SELECTOR,
        HDV_DOORBELL_FLAGS,
        HDV_MMIO_MAPPING_FLAGS,
        HDV_PCI_INTERFACE_VERSION,
        HDV_PCI_DEVICE_INITIALIZE,
        HDV_PCI_DEVICE_TEARDOWN,
        HDV_PCI_DEVICE_SET_CONFIGURATION,
        HDV_PCI_DEVICE_GET_DETAILS,
        HDV_PCI_DEVICE_START,
        HDV_PCI_DEVICE_STOP,
        HDV_PCI_READ_CONFIG_SPACE,
        HDV_PCI_WRITE_CONFIG_SPACE,
        HDV_PCI_READ_INTERCEPTED_MEMORY,
        HDV_PCI_WRITE_INTERCEPTED_MEMORY,
    );
}

#[test]
fn hdv_consts() {
    consts!(
        HdvDeviceTypeUndefined,
        HdvDeviceTypePCI,
        HdvDeviceHostFlagNone,
        HdvDeviceHostFlagInitializeComSecurity,
        HDV_PCI_BAR_COUNT,
        HDV_PCI_BAR0,
        HDV_PCI_BAR1,
        HDV_PCI_BAR2,
        HDV_PCI_BAR3,
        HDV_PCI_BAR4,
        HDV_PCI_BAR5,
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_ANY,
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_BYTE,
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_WORD,
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_DWORD,
        HDV_DOORBELL_FLAG_TRIGGER_SIZE_QWORD,
        HDV_DOORBELL_FLAG_TRIGGER_ANY_VALUE,
        HdvMmioMappingFlagNone,
        HdvMmioMappingFlagWriteable,
        HdvMmioMappingFlagExecutable,
        HdvPciDeviceInterfaceVersionInvalid,
        HdvPciDeviceInterfaceVersion1,
    );
    assert_eq!(
        defs::HDV_PCI_BAR_SELECTOR::ALL.len(),
        defs::HDV_PCI_BAR_COUNT as usize
    );
}

/// The HDV flag enums are bit sets: each flag is its own bit, as in the
/// header, and the doorbell's size codes stay clear of the any-value bit.
#[test]
fn hdv_flag_bits() {
    assert_eq!(defs::HdvMmioMappingFlagWriteable.0 as u32, 1 << 0);
    assert_eq!(defs::HdvMmioMappingFlagExecutable.0 as u32, 1 << 1);
    assert_eq!(
        defs::HdvDeviceHostFlagInitializeComSecurity.0 as u32,
        1 << 0
    );
    assert_eq!(defs::HDV_DOORBELL_FLAG_TRIGGER_ANY_VALUE.0 as u32, 1 << 31);
    for size in [
        defs::HDV_DOORBELL_FLAG_TRIGGER_SIZE_ANY,
        defs::HDV_DOORBELL_FLAG_TRIGGER_SIZE_BYTE,
        defs::HDV_DOORBELL_FLAG_TRIGGER_SIZE_WORD,
        defs::HDV_DOORBELL_FLAG_TRIGGER_SIZE_DWORD,
        defs::HDV_DOORBELL_FLAG_TRIGGER_SIZE_QWORD,
    ] {
        assert_eq!(
            size.0 & defs::HDV_DOORBELL_FLAG_TRIGGER_ANY_VALUE.0,
            0,
            "{size:?}"
        );
        assert!(size.0 <= 4, "{size:?}");
    }
}

// -------------------------------------------------------------- saved state

#[test]
fn savedstate_layout() {
    layout!(VIRTUAL_PROCESSOR_REGISTER {
        Reg64,
        Reg32,
        Reg16,
        Reg8,
        Reg128,
        X64
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_0 { Low64, High64 });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1 {
        Segment,
        Table,
        FpControlStatus,
        XmmControlStatus
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_0 { Base, Limit, Selector, Attributes => Anonymous });
    flattened!(
        VIRTUAL_PROCESSOR_REGISTER_1_0_0 => VIRTUAL_PROCESSOR_REGISTER_1_0.Attributes,
        VIRTUAL_PROCESSOR_REGISTER_1_0_0_0 => VIRTUAL_PROCESSOR_REGISTER_1_0.Attributes,
    );
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_1 { Limit, Base });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_2 {
        FpControl,
        FpStatus,
        FpTag,
        Reserved,
        LastFpOp,
        Anonymous
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_2_0 {
        LastFpRip,
        Anonymous
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_2_0_0 {
        LastFpEip,
        LastFpCs
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_3 {
        Anonymous,
        XmmStatusControl,
        XmmStatusControlMask
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_3_0 {
        LastFpRdp,
        Anonymous
    });
    layout!(VIRTUAL_PROCESSOR_REGISTER_1_3_0_0 { LastFpDp, LastFpDs });
    layout!(GPA_MEMORY_CHUNK {
        GuestPhysicalStartPageIndex,
        PageCount
    });
    layout!(GUEST_OS_INFO {
        AsUINT64,
        ClosedSource,
        OpenSource
    });
    layout!(GUEST_OS_INFO_0 { AsUINT64 => _bitfield });
    layout!(GUEST_OS_INFO_1 { AsUINT64 => _bitfield });
    layout!(DOS_IMAGE_INFO {
        PdbName,
        ImageBaseAddress,
        ImageSize,
        Timestamp
    });
    layout!(MODULE_INFO {
        ProcessImageName,
        Image
    });
    covered!(
        PAGING_MODE,
        VIRTUAL_PROCESSOR_ARCH,
        VIRTUAL_PROCESSOR_VENDOR,
        REGISTER_ID,
        GUEST_OS_VENDOR,
        GUEST_OS_MICROSOFT_IDS,
        GUEST_OS_OPENSOURCE_IDS,
        FOUND_IMAGE_CALLBACK,
        GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK,
    );
    // Header typedefs windows-sys does not carry.
    assert_eq!(
        size_of::<defs::VM_SAVED_STATE_DUMP_HANDLE>(),
        size_of::<*mut core::ffi::c_void>()
    );
    assert_eq!(size_of::<defs::GUEST_VIRTUAL_ADDRESS>(), 8);
    assert_eq!(size_of::<defs::GUEST_PHYSICAL_ADDRESS>(), 8);
}

#[test]
fn savedstate_consts() {
    consts!(
        Paging_Invalid,
        Paging_NonPaged,
        Paging_32Bit,
        Paging_Pae,
        Paging_Long,
        Paging_Armv8,
        Arch_Unknown,
        Arch_x86,
        Arch_x64,
        Arch_Armv8,
        ProcessorVendor_Unknown,
        ProcessorVendor_Amd,
        ProcessorVendor_Intel,
        ProcessorVendor_Hygon,
        ProcessorVendor_Arm,
        GuestOsVendorUndefined,
        GuestOsVendorMicrosoft,
        GuestOsVendorHPE,
        GuestOsVendorLANCOM,
        GuestOsMicrosoftUndefined,
        GuestOsMicrosoftMSDOS,
        GuestOsMicrosoftWindows3x,
        GuestOsMicrosoftWindows9x,
        GuestOsMicrosoftWindowsNT,
        GuestOsMicrosoftWindowsCE,
        GuestOsOpenSourceUndefined,
        GuestOsOpenSourceLinux,
        GuestOsOpenSourceFreeBSD,
        GuestOsOpenSourceXen,
        GuestOsOpenSourceIllumos,
    );
    consts!(
        X64_RegisterRax,
        X64_RegisterRcx,
        X64_RegisterRdx,
        X64_RegisterRbx,
        X64_RegisterRsp,
        X64_RegisterRbp,
        X64_RegisterRsi,
        X64_RegisterRdi,
        X64_RegisterR8,
        X64_RegisterR9,
        X64_RegisterR10,
        X64_RegisterR11,
        X64_RegisterR12,
        X64_RegisterR13,
        X64_RegisterR14,
        X64_RegisterR15,
        X64_RegisterRip,
        X64_RegisterRFlags,
        X64_RegisterXmm0,
        X64_RegisterXmm1,
        X64_RegisterXmm2,
        X64_RegisterXmm3,
        X64_RegisterXmm4,
        X64_RegisterXmm5,
        X64_RegisterXmm6,
        X64_RegisterXmm7,
        X64_RegisterXmm8,
        X64_RegisterXmm9,
        X64_RegisterXmm10,
        X64_RegisterXmm11,
        X64_RegisterXmm12,
        X64_RegisterXmm13,
        X64_RegisterXmm14,
        X64_RegisterXmm15,
        X64_RegisterFpMmx0,
        X64_RegisterFpMmx1,
        X64_RegisterFpMmx2,
        X64_RegisterFpMmx3,
        X64_RegisterFpMmx4,
        X64_RegisterFpMmx5,
        X64_RegisterFpMmx6,
        X64_RegisterFpMmx7,
        X64_RegisterFpControlStatus,
        X64_RegisterXmmControlStatus,
        X64_RegisterCr0,
        X64_RegisterCr2,
        X64_RegisterCr3,
        X64_RegisterCr4,
        X64_RegisterCr8,
        X64_RegisterEfer,
        X64_RegisterDr0,
        X64_RegisterDr1,
        X64_RegisterDr2,
        X64_RegisterDr3,
        X64_RegisterDr6,
        X64_RegisterDr7,
        X64_RegisterEs,
        X64_RegisterCs,
        X64_RegisterSs,
        X64_RegisterDs,
        X64_RegisterFs,
        X64_RegisterGs,
        X64_RegisterLdtr,
        X64_RegisterTr,
        X64_RegisterIdtr,
        X64_RegisterGdtr,
        X64_RegisterMax,
    );
    consts!(
        ARM64_RegisterX0,
        ARM64_RegisterX1,
        ARM64_RegisterX2,
        ARM64_RegisterX3,
        ARM64_RegisterX4,
        ARM64_RegisterX5,
        ARM64_RegisterX6,
        ARM64_RegisterX7,
        ARM64_RegisterX8,
        ARM64_RegisterX9,
        ARM64_RegisterX10,
        ARM64_RegisterX11,
        ARM64_RegisterX12,
        ARM64_RegisterX13,
        ARM64_RegisterX14,
        ARM64_RegisterX15,
        ARM64_RegisterX16,
        ARM64_RegisterX17,
        ARM64_RegisterX18,
        ARM64_RegisterX19,
        ARM64_RegisterX20,
        ARM64_RegisterX21,
        ARM64_RegisterX22,
        ARM64_RegisterX23,
        ARM64_RegisterX24,
        ARM64_RegisterX25,
        ARM64_RegisterX26,
        ARM64_RegisterX27,
        ARM64_RegisterX28,
        ARM64_RegisterXFp,
        ARM64_RegisterXLr,
        ARM64_RegisterPc,
        ARM64_RegisterSpEl0,
        ARM64_RegisterSpEl1,
        ARM64_RegisterCpsr,
        ARM64_RegisterQ0,
        ARM64_RegisterQ1,
        ARM64_RegisterQ2,
        ARM64_RegisterQ3,
        ARM64_RegisterQ4,
        ARM64_RegisterQ5,
        ARM64_RegisterQ6,
        ARM64_RegisterQ7,
        ARM64_RegisterQ8,
        ARM64_RegisterQ9,
        ARM64_RegisterQ10,
        ARM64_RegisterQ11,
        ARM64_RegisterQ12,
        ARM64_RegisterQ13,
        ARM64_RegisterQ14,
        ARM64_RegisterQ15,
        ARM64_RegisterQ16,
        ARM64_RegisterQ17,
        ARM64_RegisterQ18,
        ARM64_RegisterQ19,
        ARM64_RegisterQ20,
        ARM64_RegisterQ21,
        ARM64_RegisterQ22,
        ARM64_RegisterQ23,
        ARM64_RegisterQ24,
        ARM64_RegisterQ25,
        ARM64_RegisterQ26,
        ARM64_RegisterQ27,
        ARM64_RegisterQ28,
        ARM64_RegisterQ29,
        ARM64_RegisterQ30,
        ARM64_RegisterQ31,
        ARM64_RegisterFpStatus,
        ARM64_RegisterFpControl,
        ARM64_RegisterEsrEl1,
        ARM64_RegisterSpsrEl1,
        ARM64_RegisterFarEl1,
        ARM64_RegisterParEl1,
        ARM64_RegisterElrEl1,
        ARM64_RegisterTtbr0El1,
        ARM64_RegisterTtbr1El1,
        ARM64_RegisterVbarEl1,
        ARM64_RegisterSctlrEl1,
        ARM64_RegisterActlrEl1,
        ARM64_RegisterTcrEl1,
        ARM64_RegisterMairEl1,
        ARM64_RegisterAmairEl1,
        ARM64_RegisterTpidrEl0,
        ARM64_RegisterTpidrroEl0,
        ARM64_RegisterTpidrEl1,
        ARM64_RegisterContextIdrEl1,
        ARM64_RegisterCpacrEl1,
        ARM64_RegisterCsselrEl1,
        ARM64_RegisterCntkctlEl1,
        ARM64_RegisterCntvCvalEl0,
        ARM64_RegisterCntvCtlEl0,
        ARM64_RegisterMax,
    );
    // Every REGISTER_ID we define is one of the 159 above, in order, without gaps.
    assert_eq!(defs::REGISTER_ID::ALL.len(), 159);
    for (i, id) in defs::REGISTER_ID::ALL.iter().enumerate() {
        assert_eq!(id.0, i as i32, "{id:?}");
    }
}

#[test]
fn segment_attribute_bits() {
    use defs::VIRTUAL_PROCESSOR_REGISTER_1_0 as R;
    check_bits!(
        R,
        u16,
        Attributes,
        &[
            ("SegmentType", R::set_segment_type, R::segment_type, 0x000F),
            (
                "NonSystemSegment",
                R::set_non_system_segment,
                R::non_system_segment,
                0x0010
            ),
            (
                "DescriptorPrivilegeLevel",
                R::set_descriptor_privilege_level,
                R::descriptor_privilege_level,
                0x0060
            ),
            ("Present", R::set_present, R::present, 0x0080),
            ("Reserved", R::set_reserved, R::reserved, 0x0F00),
            ("Available", R::set_available, R::available, 0x1000),
            ("Long", R::set_long, R::long, 0x2000),
            ("Default", R::set_default, R::default, 0x4000),
            ("Granularity", R::set_granularity, R::granularity, 0x8000),
        ]
    );
}

#[test]
fn guest_os_info_bits() {
    use defs::{GUEST_OS_INFO_0 as C, GUEST_OS_INFO_1 as O};
    check_bits!(
        C,
        u64,
        AsUINT64,
        &[
            (
                "BuildNumber",
                C::set_build_number,
                C::build_number,
                0x0000_0000_0000_FFFF
            ),
            (
                "ServiceVersion",
                C::set_service_version,
                C::service_version,
                0x0000_0000_00FF_0000
            ),
            (
                "MinorVersion",
                C::set_minor_version,
                C::minor_version,
                0x0000_0000_FF00_0000
            ),
            (
                "MajorVersion",
                C::set_major_version,
                C::major_version,
                0x0000_00FF_0000_0000
            ),
            ("OsId", C::set_os_id, C::os_id, 0x0000_FF00_0000_0000),
            (
                "VendorId",
                C::set_vendor_id,
                C::vendor_id,
                0xFFFF_0000_0000_0000
            ),
        ]
    );
    check_bits!(
        O,
        u64,
        AsUINT64,
        &[
            (
                "VendorSpecific1",
                O::set_vendor_specific1,
                O::vendor_specific1,
                0x0000_0000_0000_FFFF
            ),
            ("Version", O::set_version, O::version, 0x0000_FFFF_FFFF_0000),
            (
                "VendorSpecific2",
                O::set_vendor_specific2,
                O::vendor_specific2,
                0x00FF_0000_0000_0000
            ),
            ("OsId", O::set_os_id, O::os_id, 0x7F00_0000_0000_0000),
            (
                "IsOpenSource",
                O::set_is_open_source,
                O::is_open_source,
                0x8000_0000_0000_0000
            ),
        ]
    );
    // The union's views share the one 64-bit value.
    let mut info = defs::GUEST_OS_INFO::default();
    let mut closed = defs::GUEST_OS_INFO_0::default();
    closed.set_vendor_id(defs::GuestOsVendorMicrosoft.0 as u64);
    closed.set_os_id(defs::GuestOsMicrosoftWindowsNT.0 as u64);
    closed.set_major_version(10);
    closed.set_build_number(19045);
    info.ClosedSource = closed;
    // SAFETY: every member of GUEST_OS_INFO is a plain 64-bit integer.
    let whole = unsafe { info.AsUINT64 };
    assert_eq!(whole, 0x0001_040A_0000_4A65);
    // SAFETY: as above.
    let open = unsafe { info.OpenSource };
    assert_eq!(open.is_open_source(), 0);
}

// ----------------------------------------------------------------- HRESULTs

/// Compares our HRESULT with windows-sys' Win32 error code of the same name
/// (windows-sys types the `ERROR_HV_*` values as `WIN32_ERROR`, a `u32`);
/// `HRESULT_FROM_WIN32` leaves the negative ones unchanged.
macro_rules! win32_consts {
    ($($name:ident),* $(,)?) => {{
        $(
            let w: u32 = ws::$name;
            assert_eq!(defs::$name.0 as u32, w, "value of {}", stringify!($name));
            if (w as i32) < 0 {
                assert_eq!(defs::HRESULT::from_win32(w), defs::$name, "from_win32({})", stringify!($name));
            }
        )*
    }};
}

#[test]
fn hresults_match_windows() {
    consts!(
        S_OK,
        S_FALSE,
        E_NOTIMPL,
        E_NOINTERFACE,
        E_POINTER,
        E_ABORT,
        E_FAIL,
        E_UNEXPECTED,
        E_ACCESSDENIED,
        E_HANDLE,
        E_OUTOFMEMORY,
        E_INVALIDARG,
        E_BOUNDS,
    );
    consts!(
        WHV_E_UNKNOWN_CAPABILITY,
        WHV_E_INSUFFICIENT_BUFFER,
        WHV_E_UNKNOWN_PROPERTY,
        WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
        WHV_E_INVALID_PARTITION_CONFIG,
        WHV_E_GPA_RANGE_NOT_FOUND,
        WHV_E_VP_ALREADY_EXISTS,
        WHV_E_VP_DOES_NOT_EXIST,
        WHV_E_INVALID_VP_STATE,
        WHV_E_INVALID_VP_REGISTER_NAME,
        WHV_E_UNSUPPORTED_PROCESSOR_CONFIG,
    );
    consts!(
        VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND,
        VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
        VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE,
        VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED,
        VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND,
        VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED,
        VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE,
        VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED,
    );
    consts!(
        HCS_E_TERMINATED_DURING_START,
        HCS_E_IMAGE_MISMATCH,
        HCS_E_HYPERV_NOT_INSTALLED,
        HCS_E_INVALID_STATE,
        HCS_E_UNEXPECTED_EXIT,
        HCS_E_TERMINATED,
        HCS_E_CONNECT_FAILED,
        HCS_E_CONNECTION_TIMEOUT,
        HCS_E_CONNECTION_CLOSED,
        HCS_E_UNKNOWN_MESSAGE,
        HCS_E_UNSUPPORTED_PROTOCOL_VERSION,
        HCS_E_INVALID_JSON,
        HCS_E_SYSTEM_NOT_FOUND,
        HCS_E_SYSTEM_ALREADY_EXISTS,
        HCS_E_SYSTEM_ALREADY_STOPPED,
        HCS_E_PROTOCOL_ERROR,
        HCS_E_INVALID_LAYER,
        HCS_E_WINDOWS_INSIDER_REQUIRED,
        HCS_E_SERVICE_NOT_AVAILABLE,
        HCS_E_OPERATION_NOT_STARTED,
        HCS_E_OPERATION_ALREADY_STARTED,
        HCS_E_OPERATION_PENDING,
        HCS_E_OPERATION_TIMEOUT,
        HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET,
        HCS_E_OPERATION_RESULT_ALLOCATION_FAILED,
        HCS_E_ACCESS_DENIED,
        HCS_E_GUEST_CRITICAL_ERROR,
        HCS_E_PROCESS_INFO_NOT_AVAILABLE,
        HCS_E_SERVICE_DISCONNECT,
        HCS_E_PROCESS_ALREADY_STOPPED,
        HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION,
        HCS_E_OPERATION_ALREADY_CANCELLED,
    );
    win32_consts!(
        ERROR_HV_INVALID_HYPERCALL_CODE,
        ERROR_HV_INVALID_HYPERCALL_INPUT,
        ERROR_HV_INVALID_ALIGNMENT,
        ERROR_HV_INVALID_PARAMETER,
        ERROR_HV_ACCESS_DENIED,
        ERROR_HV_INVALID_PARTITION_STATE,
        ERROR_HV_OPERATION_DENIED,
        ERROR_HV_UNKNOWN_PROPERTY,
        ERROR_HV_PROPERTY_VALUE_OUT_OF_RANGE,
        ERROR_HV_INSUFFICIENT_MEMORY,
        ERROR_HV_PARTITION_TOO_DEEP,
        ERROR_HV_INVALID_PARTITION_ID,
        ERROR_HV_INVALID_VP_INDEX,
        ERROR_HV_INVALID_PORT_ID,
        ERROR_HV_INVALID_CONNECTION_ID,
        ERROR_HV_INSUFFICIENT_BUFFERS,
        ERROR_HV_NOT_ACKNOWLEDGED,
        ERROR_HV_INVALID_VP_STATE,
        ERROR_HV_ACKNOWLEDGED,
        ERROR_HV_INVALID_SAVE_RESTORE_STATE,
        ERROR_HV_INVALID_SYNIC_STATE,
        ERROR_HV_OBJECT_IN_USE,
        ERROR_HV_INVALID_PROXIMITY_DOMAIN_INFO,
        ERROR_HV_NO_DATA,
        ERROR_HV_INACTIVE,
        ERROR_HV_NO_RESOURCES,
        ERROR_HV_FEATURE_UNAVAILABLE,
        ERROR_HV_INSUFFICIENT_BUFFER,
        ERROR_HV_INSUFFICIENT_DEVICE_DOMAINS,
        ERROR_HV_CPUID_FEATURE_VALIDATION,
        ERROR_HV_CPUID_XSAVE_FEATURE_VALIDATION,
        ERROR_HV_PROCESSOR_STARTUP_TIMEOUT,
        ERROR_HV_SMX_ENABLED,
        ERROR_HV_INVALID_LP_INDEX,
        ERROR_HV_INVALID_REGISTER_VALUE,
        ERROR_HV_INVALID_VTL_STATE,
        ERROR_HV_NX_NOT_DETECTED,
        ERROR_HV_INVALID_DEVICE_ID,
        ERROR_HV_INVALID_DEVICE_STATE,
        ERROR_HV_PENDING_PAGE_REQUESTS,
        ERROR_HV_PAGE_REQUEST_INVALID,
        ERROR_HV_INVALID_CPU_GROUP_ID,
        ERROR_HV_INVALID_CPU_GROUP_STATE,
        ERROR_HV_OPERATION_FAILED,
        ERROR_HV_NOT_ALLOWED_WITH_NESTED_VIRT_ACTIVE,
        ERROR_HV_INSUFFICIENT_ROOT_MEMORY,
        ERROR_HV_EVENT_BUFFER_ALREADY_FREED,
        ERROR_HV_INSUFFICIENT_CONTIGUOUS_MEMORY,
        ERROR_HV_DEVICE_NOT_IN_DOMAIN,
        ERROR_HV_NESTED_VM_EXIT,
        ERROR_HV_MSR_ACCESS_FAILED,
        ERROR_HV_INSUFFICIENT_MEMORY_MIRRORING,
        ERROR_HV_INSUFFICIENT_CONTIGUOUS_MEMORY_MIRRORING,
        ERROR_HV_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY,
        ERROR_HV_INSUFFICIENT_ROOT_MEMORY_MIRRORING,
        ERROR_HV_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY_MIRRORING,
        ERROR_HV_NOT_PRESENT,
    );
}

/// Our `HRESULT_ERROR_*` values are `HRESULT_FROM_WIN32` of windows-sys'
/// Win32 error codes of the same name.
#[test]
fn hresults_from_win32_errors() {
    macro_rules! from_win32 {
        ($($ours:ident = $err:ident),* $(,)?) => {$(
            assert_eq!(defs::$ours, defs::HRESULT::from_win32(ws::$err), stringify!($ours));
        )*};
    }
    from_win32!(
        HRESULT_ERROR_NOT_SUPPORTED = ERROR_NOT_SUPPORTED,
        HRESULT_ERROR_INSUFFICIENT_BUFFER = ERROR_INSUFFICIENT_BUFFER,
        HRESULT_ERROR_INVALID_STATE = ERROR_INVALID_STATE,
        HRESULT_ERROR_NOT_FOUND = ERROR_NOT_FOUND,
        HRESULT_ERROR_INVALID_FUNCTION = ERROR_INVALID_FUNCTION,
        HRESULT_ERROR_FILE_NOT_FOUND = ERROR_FILE_NOT_FOUND,
        HRESULT_ERROR_PATH_NOT_FOUND = ERROR_PATH_NOT_FOUND,
        HRESULT_ERROR_NOT_ENOUGH_MEMORY = ERROR_NOT_ENOUGH_MEMORY,
        HRESULT_ERROR_BAD_FORMAT = ERROR_BAD_FORMAT,
        HRESULT_ERROR_INVALID_DATA = ERROR_INVALID_DATA,
        HRESULT_ERROR_BAD_LENGTH = ERROR_BAD_LENGTH,
        HRESULT_ERROR_SHARING_VIOLATION = ERROR_SHARING_VIOLATION,
        HRESULT_ERROR_HANDLE_EOF = ERROR_HANDLE_EOF,
        HRESULT_ERROR_ALREADY_EXISTS = ERROR_ALREADY_EXISTS,
        HRESULT_ERROR_MORE_DATA = ERROR_MORE_DATA,
        HRESULT_ERROR_PARTIAL_COPY = ERROR_PARTIAL_COPY,
        HRESULT_ERROR_CANCELLED = ERROR_CANCELLED,
        HRESULT_ERROR_FILE_CORRUPT = ERROR_FILE_CORRUPT,
        HRESULT_ERROR_NO_SYSTEM_RESOURCES = ERROR_NO_SYSTEM_RESOURCES,
        HRESULT_ERROR_INVALID_PARAMETER = ERROR_INVALID_PARAMETER,
        HRESULT_ERROR_INVALID_HANDLE = ERROR_INVALID_HANDLE,
        HRESULT_ERROR_ACCESS_DENIED = ERROR_ACCESS_DENIED,
        HRESULT_ERROR_OUTOFMEMORY = ERROR_OUTOFMEMORY,
        E_NOT_VALID_STATE = ERROR_INVALID_STATE,
        E_NOT_SET = ERROR_NOT_FOUND,
        E_NOT_SUFFICIENT_BUFFER = ERROR_INSUFFICIENT_BUFFER,
    );
    // E_PENDING lives in windows-sys' Urlmon module, a feature we do not
    // enable; its winerror.h value:
    assert_eq!(defs::E_PENDING.0 as u32, 0x8000_000A);
}

/// `HRESULT` itself: `from_win32` builds what `HRESULT_FROM_WIN32` builds,
/// `name` and `Debug` answer the Windows name, every listed code has a
/// distinct value and name.
#[test]
fn hresult_behaviour() {
    use defs::HRESULT;
    // HRESULT_FROM_WIN32: 0 stays S_OK; a positive code gets facility 7
    // and the failure bit, keeping its low 16 bits; a value that is already
    // negative (an HRESULT or an NTSTATUS-style code) is left as it is.
    assert_eq!(HRESULT::from_win32(0), defs::S_OK);
    assert_eq!(HRESULT::from_win32(5), defs::E_ACCESSDENIED);
    assert_eq!(HRESULT::from_win32(87), defs::E_INVALIDARG);
    assert_eq!(HRESULT::from_win32(50), defs::HRESULT_ERROR_NOT_SUPPORTED);
    assert_eq!(
        HRESULT::from_win32(0x0001_2345),
        HRESULT(0x8007_2345_u32 as i32)
    );
    assert_eq!(
        HRESULT::from_win32(0xC035_0005),
        defs::ERROR_HV_INVALID_PARAMETER
    );
    assert_eq!(
        HRESULT::from_win32(0x8037_0300),
        defs::WHV_E_UNKNOWN_CAPABILITY
    );

    assert!(
        defs::S_OK.is_ok() && defs::S_FALSE.is_ok() && defs::ERROR_HV_PENDING_PAGE_REQUESTS.is_ok()
    );
    assert!(defs::E_FAIL.is_err() && !defs::E_FAIL.is_ok());
    assert!(defs::VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED.is_err());

    assert_eq!(defs::E_INVALIDARG.name(), Some("E_INVALIDARG"));
    assert_eq!(
        defs::WHV_E_VP_DOES_NOT_EXIST.name(),
        Some("WHV_E_VP_DOES_NOT_EXIST")
    );
    assert_eq!(HRESULT(0x8007_2345_u32 as i32).name(), None);
    // An alias answers the name of the code it shares its value with.
    assert_eq!(
        defs::HRESULT_ERROR_INVALID_PARAMETER.name(),
        Some("E_INVALIDARG")
    );
    assert_eq!(defs::E_NOT_SET.name(), Some("HRESULT_ERROR_NOT_FOUND"));

    assert_eq!(
        format!("{:?}", defs::E_INVALIDARG),
        "E_INVALIDARG (0x80070057)"
    );
    assert_eq!(format!("{:?}", defs::S_OK), "S_OK (0x00000000)");
    assert_eq!(
        format!("{:?}", defs::VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED),
        "VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED (0xC0370505)"
    );
    assert_eq!(
        format!("{:?}", HRESULT(0x8007_2345_u32 as i32)),
        "HRESULT(0x80072345)"
    );
    assert_eq!(format!("{}", defs::E_FAIL), format!("{:?}", defs::E_FAIL));

    for (i, &(h, n)) in defs::ALL_HRESULTS.iter().enumerate() {
        assert_eq!(
            h.name(),
            Some(n),
            "{n} must be the only name of 0x{:08X}",
            h.0 as u32
        );
        assert!(
            defs::ALL_HRESULTS[..i].iter().all(|&(_, m)| m != n),
            "{n} listed twice"
        );
    }
}
