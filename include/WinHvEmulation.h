/*
 * WinHvEmulation.h -- the instruction emulator of the Windows Hypervisor
 * Platform (winhvemulation.dll): it decodes and completes the instruction
 * behind an I/O-port or MMIO exit, reaching the guest only through the
 * caller's callbacks. Exported on Linux by winhv's libWinHvEmulation.so
 * (link with -lWinHvEmulation).
 *
 * Part of winhv: the Hyper-V user-mode platform API on Linux over KVM.
 * Types and functions have Windows' names, layouts and parameter lists;
 * functions and callbacks use the ordinary x86-64 SysV C convention
 * (WINHV_API and WINHV_CALLBACK are empty; write callbacks with CALLBACK,
 * as on Windows, which winhv_base.h also leaves empty).
 */
#ifndef _WINHVEMUAPI_H_
#define _WINHVEMUAPI_H_

#include "WinHvPlatformDefs.h"

/* The outcome of WHvEmulatorTryIoEmulation / WHvEmulatorTryMmioEmulation. */
typedef union WHV_EMULATOR_STATUS {
    WINHV_ANONYMOUS struct {
        UINT32 EmulationSuccessful : 1;
        UINT32 InternalEmulationFailure : 1;
        UINT32 IoPortCallbackFailed : 1;
        UINT32 MemoryCallbackFailed : 1;
        UINT32 TranslateGvaPageCallbackFailed : 1;
        UINT32 TranslateGvaPageCallbackGpaIsNotAligned : 1;
        UINT32 GetVirtualProcessorRegistersCallbackFailed : 1;
        UINT32 SetVirtualProcessorRegistersCallbackFailed : 1;
        UINT32 InterruptCausedIntercept : 1;
        UINT32 GuestCannotBeFaulted : 1;
        UINT32 Reserved : 22;
    };
    UINT32 AsUINT32;
} WHV_EMULATOR_STATUS;

C_ASSERT(sizeof(WHV_EMULATOR_STATUS) == 4);

/* One guest memory access the emulator asks the caller to perform. */
typedef struct WHV_EMULATOR_MEMORY_ACCESS_INFO {
    WHV_GUEST_PHYSICAL_ADDRESS GpaAddress;
    UINT8 Direction; /* 0 for read, 1 for write */
    UINT8 AccessSize; /* 1 to 8 bytes */
    UINT8 Data[8];
} WHV_EMULATOR_MEMORY_ACCESS_INFO;

C_ASSERT(sizeof(WHV_EMULATOR_MEMORY_ACCESS_INFO) == 24);

/* One port I/O access the emulator asks the caller to perform. */
typedef struct WHV_EMULATOR_IO_ACCESS_INFO {
    UINT8 Direction; /* 0 for in, 1 for out */
    UINT16 Port;
    UINT16 AccessSize; /* only 1, 2 or 4 */
    UINT32 Data;
} WHV_EMULATOR_IO_ACCESS_INFO;

C_ASSERT(sizeof(WHV_EMULATOR_IO_ACCESS_INFO) == 12);

typedef HRESULT(WINHV_CALLBACK *WHV_EMULATOR_IO_PORT_CALLBACK)(
    _In_ VOID *Context,
    _Inout_ WHV_EMULATOR_IO_ACCESS_INFO *IoAccess);

typedef HRESULT(WINHV_CALLBACK *WHV_EMULATOR_MEMORY_CALLBACK)(
    _In_ VOID *Context,
    _Inout_ WHV_EMULATOR_MEMORY_ACCESS_INFO *MemoryAccess);

typedef HRESULT(WINHV_CALLBACK *WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK)(
    _In_ VOID *Context,
    _In_reads_(RegisterCount) const WHV_REGISTER_NAME *RegisterNames,
    _In_ UINT32 RegisterCount,
    _Out_writes_(RegisterCount) WHV_REGISTER_VALUE *RegisterValues);

typedef HRESULT(WINHV_CALLBACK *WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK)(
    _In_ VOID *Context,
    _In_reads_(RegisterCount) const WHV_REGISTER_NAME *RegisterNames,
    _In_ UINT32 RegisterCount,
    _In_reads_(RegisterCount) const WHV_REGISTER_VALUE *RegisterValues);

typedef HRESULT(WINHV_CALLBACK *WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK)(
    _In_ VOID *Context,
    _In_ WHV_GUEST_VIRTUAL_ADDRESS Gva,
    _In_ WHV_TRANSLATE_GVA_FLAGS TranslateFlags,
    _Out_ WHV_TRANSLATE_GVA_RESULT_CODE *TranslationResult,
    _Out_ WHV_GUEST_PHYSICAL_ADDRESS *Gpa);

/* The callbacks an emulator is created with; Size must be
 * sizeof(WHV_EMULATOR_CALLBACKS). */
typedef struct WHV_EMULATOR_CALLBACKS {
    UINT32 Size;
    UINT32 Reserved;
    WHV_EMULATOR_IO_PORT_CALLBACK WHvEmulatorIoPortCallback;
    WHV_EMULATOR_MEMORY_CALLBACK WHvEmulatorMemoryCallback;
    WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK
        WHvEmulatorGetVirtualProcessorRegisters;
    WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK
        WHvEmulatorSetVirtualProcessorRegisters;
    WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK WHvEmulatorTranslateGvaPage;
} WHV_EMULATOR_CALLBACKS;

C_ASSERT(sizeof(WHV_EMULATOR_CALLBACKS) == 48);

typedef VOID *WHV_EMULATOR_HANDLE;

#ifdef __cplusplus
extern "C" {
#endif

HRESULT WINHV_API WHvEmulatorCreateEmulator(
    _In_ const WHV_EMULATOR_CALLBACKS *Callbacks,
    _Out_ WHV_EMULATOR_HANDLE *Emulator);

HRESULT WINHV_API WHvEmulatorDestroyEmulator(_In_ WHV_EMULATOR_HANDLE Emulator);

HRESULT WINHV_API WHvEmulatorTryIoEmulation(
    _In_ WHV_EMULATOR_HANDLE Emulator,
    _In_ VOID *Context,
    _In_ const WHV_VP_EXIT_CONTEXT *VpContext,
    _In_ const WHV_X64_IO_PORT_ACCESS_CONTEXT *IoInstructionContext,
    _Out_ WHV_EMULATOR_STATUS *EmulatorReturnStatus);

HRESULT WINHV_API WHvEmulatorTryMmioEmulation(
    _In_ WHV_EMULATOR_HANDLE Emulator,
    _In_ VOID *Context,
    _In_ const WHV_VP_EXIT_CONTEXT *VpContext,
    _In_ const WHV_MEMORY_ACCESS_CONTEXT *MmioInstructionContext,
    _Out_ WHV_EMULATOR_STATUS *EmulatorReturnStatus);

#ifdef __cplusplus
}
#endif

#endif /* _WINHVEMUAPI_H_ */
