/*
 * VmSavedStateDumpDefs.h -- the types of the VM saved-state dump provider
 * (vmsavedstatedumpprovider.dll): the dump handle, paging modes,
 * architectures, register ids and values, guest physical memory chunks,
 * the guest OS identity, DOS image and module information, the callback
 * types, and the VM_SAVED_STATE_DUMP_E_* status codes. Exported on Linux by
 * winhv's libvmsavedstatedumpprovider.so (link with
 * -lvmsavedstatedumpprovider).
 *
 * Part of winhv: the Hyper-V user-mode platform API family on Linux.
 * Names, values and layouts are Windows x64's (checked against the
 * windows-sys crate and winhv-defs by crates/capi/savedstate/tests);
 * functions and callbacks use the x86-64 SysV C convention (WINHV_API and
 * WINHV_CALLBACK are empty). Strings: PCSTR is 8-bit, PCWSTR/WCHAR UTF-16.
 */
#ifndef _VMSAVEDSTATEDUMPDEFS_H_
#define _VMSAVEDSTATEDUMPDEFS_H_

#include "winhv_base.h"

/* The handle LoadSavedStateFile returns (a number, never a pointer). */
typedef void *VM_SAVED_STATE_DUMP_HANDLE;

typedef UINT64 GUEST_VIRTUAL_ADDRESS;
typedef UINT64 GUEST_PHYSICAL_ADDRESS;

/* The paging mode a virtual processor was in (GetPagingMode). */
typedef enum PAGING_MODE {
    Paging_Invalid = 0,
    Paging_NonPaged = 1,
    Paging_32Bit = 2,
    Paging_Pae = 3,
    Paging_Long = 4,
    Paging_Armv8 = 5
} PAGING_MODE;

/* The architecture a virtual processor ran (GetArchitecture). */
typedef enum VIRTUAL_PROCESSOR_ARCH {
    Arch_Unknown = 0,
    Arch_x86 = 1,
    Arch_x64 = 2,
    Arch_Armv8 = 3
} VIRTUAL_PROCESSOR_ARCH;

/* The vendor of the processor the saved VM ran on. */
typedef enum VIRTUAL_PROCESSOR_VENDOR {
    ProcessorVendor_Unknown = 0,
    ProcessorVendor_Amd = 1,
    ProcessorVendor_Intel = 2,
    ProcessorVendor_Hygon = 3,
    ProcessorVendor_Arm = 4
} VIRTUAL_PROCESSOR_VENDOR;

/* The register GetRegisterValue reads: x64 names, then Arm64 names. */
typedef enum REGISTER_ID {
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
    ARM64_RegisterMax = 158
} REGISTER_ID;

/* A register value; the member that holds it follows from the REGISTER_ID:
 * Reg64 for general, control and debug registers, Reg128 for XMM and x87,
 * X64.Segment for segment registers, X64.Table for GDTR/IDTR,
 * X64.FpControlStatus / X64.XmmControlStatus for the FXSAVE control words. */
typedef union VIRTUAL_PROCESSOR_REGISTER {
    UINT64 Reg64;
    UINT32 Reg32;
    UINT16 Reg16;
    UINT8 Reg8;
    struct {
        UINT64 Low64;
        UINT64 High64;
    } Reg128;
    union {
        struct {
            UINT64 Base;
            UINT32 Limit;
            UINT16 Selector;
            union {
                UINT16 Attributes;
                WINHV_ANONYMOUS struct {
                    UINT16 SegmentType : 4;
                    UINT16 NonSystemSegment : 1;
                    UINT16 DescriptorPrivilegeLevel : 2;
                    UINT16 Present : 1;
                    UINT16 Reserved : 4;
                    UINT16 Available : 1;
                    UINT16 Long : 1;
                    UINT16 Default : 1;
                    UINT16 Granularity : 1;
                };
            };
        } Segment;
        struct {
            UINT16 Limit;
            UINT64 Base;
        } Table;
        struct {
            UINT16 FpControl;
            UINT16 FpStatus;
            UINT8 FpTag;
            UINT8 Reserved;
            UINT16 LastFpOp;
            union {
                UINT64 LastFpRip;
                WINHV_ANONYMOUS struct {
                    UINT32 LastFpEip;
                    UINT16 LastFpCs;
                };
            };
        } FpControlStatus;
        struct {
            union {
                UINT64 LastFpRdp;
                WINHV_ANONYMOUS struct {
                    UINT32 LastFpDp;
                    UINT16 LastFpDs;
                };
            };
            UINT32 XmmStatusControl;
            UINT32 XmmStatusControlMask;
        } XmmControlStatus;
    } X64;
} VIRTUAL_PROCESSOR_REGISTER;

C_ASSERT(sizeof(VIRTUAL_PROCESSOR_REGISTER) == 16);

/* A run of saved guest physical pages (GetGuestPhysicalMemoryChunks). */
typedef struct GPA_MEMORY_CHUNK {
    UINT64 GuestPhysicalStartPageIndex;
    UINT64 PageCount;
} GPA_MEMORY_CHUNK;

C_ASSERT(sizeof(GPA_MEMORY_CHUNK) == 16);

typedef enum GUEST_OS_VENDOR {
    GuestOsVendorUndefined = 0,
    GuestOsVendorMicrosoft = 1,
    GuestOsVendorHPE = 2,
    GuestOsVendorLANCOM = 0x200
} GUEST_OS_VENDOR;

typedef enum GUEST_OS_MICROSOFT_IDS {
    GuestOsMicrosoftUndefined = 0,
    GuestOsMicrosoftMSDOS = 1,
    GuestOsMicrosoftWindows3x = 2,
    GuestOsMicrosoftWindows9x = 3,
    GuestOsMicrosoftWindowsNT = 4,
    GuestOsMicrosoftWindowsCE = 5
} GUEST_OS_MICROSOFT_IDS;

typedef enum GUEST_OS_OPENSOURCE_IDS {
    GuestOsOpenSourceUndefined = 0,
    GuestOsOpenSourceLinux = 1,
    GuestOsOpenSourceFreeBSD = 2,
    GuestOsOpenSourceXen = 3,
    GuestOsOpenSourceIllumos = 4
} GUEST_OS_OPENSOURCE_IDS;

/* The guest OS identity (the Hyper-V guest OS ID MSR); bit 63
 * (OpenSource.IsOpenSource) says which view applies. */
typedef union GUEST_OS_INFO {
    UINT64 AsUINT64;
    struct {
        UINT64 BuildNumber : 16;
        UINT64 ServiceVersion : 8;
        UINT64 MinorVersion : 8;
        UINT64 MajorVersion : 8;
        UINT64 OsId : 8;
        UINT64 VendorId : 16;
    } ClosedSource;
    struct {
        UINT64 VendorSpecific1 : 16;
        UINT64 Version : 32;
        UINT64 VendorSpecific2 : 8;
        UINT64 OsId : 7;
        UINT64 IsOpenSource : 1;
    } OpenSource;
} GUEST_OS_INFO;

C_ASSERT(sizeof(GUEST_OS_INFO) == 8);

/* A PE image found in guest memory (ScanMemoryForDosImages). */
typedef struct DOS_IMAGE_INFO {
    PCSTR PdbName;
    UINT64 ImageBaseAddress;
    UINT32 ImageSize;
    UINT32 Timestamp;
} DOS_IMAGE_INFO;

C_ASSERT(sizeof(DOS_IMAGE_INFO) == 24);

/* An image and the process it belongs to (CallStackUnwind). */
typedef struct MODULE_INFO {
    PCSTR ProcessImageName;
    DOS_IMAGE_INFO Image;
} MODULE_INFO, *PMODULE_INFO;

C_ASSERT(sizeof(MODULE_INFO) == 32);

/* Called for each image ScanMemoryForDosImages finds: TRUE to go on. */
typedef BOOL(WINHV_CALLBACK *FOUND_IMAGE_CALLBACK)(_In_ PVOID Context,
                                                    _In_ const DOS_IMAGE_INFO *ImageInfo);

/* Receives the symbol provider's diagnostic messages. */
typedef VOID(WINHV_CALLBACK *GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK)(_In_ PCSTR InfoMessage);

/* The provider's own status codes (winerror.h, facility 0x37). */
#ifndef VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND
#define VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND _HRESULT_TYPEDEF_(0xC0370500u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND
#define VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND _HRESULT_TYPEDEF_(0xC0370501u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE
#define VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE _HRESULT_TYPEDEF_(0xC0370502u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED
#define VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED _HRESULT_TYPEDEF_(0xC0370503u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND
#define VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND _HRESULT_TYPEDEF_(0xC0370504u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED
#define VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED _HRESULT_TYPEDEF_(0xC0370505u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE
#define VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE _HRESULT_TYPEDEF_(0xC0370506u)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED
#define VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED _HRESULT_TYPEDEF_(0xC0370509u)
#endif

/* The Win32 errors the provider returns through HRESULT_FROM_WIN32. */
#ifndef ERROR_FILE_NOT_FOUND
#define ERROR_FILE_NOT_FOUND 2L
#endif
#ifndef ERROR_PATH_NOT_FOUND
#define ERROR_PATH_NOT_FOUND 3L
#endif
#ifndef ERROR_BAD_FORMAT
#define ERROR_BAD_FORMAT 11L
#endif
#ifndef ERROR_SHARING_VIOLATION
#define ERROR_SHARING_VIOLATION 32L
#endif
#ifndef ERROR_FILE_CORRUPT
#define ERROR_FILE_CORRUPT 1392L
#endif

#endif /* _VMSAVEDSTATEDUMPDEFS_H_ */
