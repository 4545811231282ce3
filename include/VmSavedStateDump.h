/*
 * VmSavedStateDump.h -- the VM saved-state dump provider
 * (vmsavedstatedumpprovider.dll): open a VM's saved state and read its
 * virtual processors, registers, paging and memory. Exported on Linux by
 * winhv's libvmsavedstatedumpprovider.so (link with
 * -lvmsavedstatedumpprovider); the types are in VmSavedStateDumpDefs.h.
 *
 * Part of winhv: the Hyper-V user-mode platform API family on Linux.
 * The 43 functions have Windows' names and parameter lists and the x86-64
 * SysV C convention. On Linux:
 *  - LoadSavedStateFile takes a Hyper-V .vmrs file or a QEMU
 *    dump-guest-memory ELF core; paths are UTF-16 (u"..." literals).
 *  - Functions whose feature winhv lacks (symbols, call stacks, memory
 *    fixes, .bin/.vsv pairs, WMI lookup) return
 *    HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED); the README lists them.
 *  - Strings Windows returns for LocalFree are never returned (those
 *    functions are among the unsupported ones).
 */
#ifndef _VMSAVEDSTATEDUMP_H_
#define _VMSAVEDSTATEDUMP_H_

#include "VmSavedStateDumpDefs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Opening and closing saved states ----------------------------------- */

HRESULT WINHV_API LocateSavedStateFiles(_In_ LPCWSTR VmName, _In_opt_ LPCWSTR SnapshotName,
                                        _Out_ LPWSTR *BinPath, _Out_ LPWSTR *VsvPath,
                                        _Out_ LPWSTR *VmrsPath);

HRESULT WINHV_API LoadSavedStateFile(_In_ LPCWSTR VmrsFile,
                                     _Out_ VM_SAVED_STATE_DUMP_HANDLE *VmSavedStateDumpHandle);

HRESULT WINHV_API ApplyPendingSavedStateFileReplayLog(_In_ LPCWSTR VmrsFile);

HRESULT WINHV_API LoadSavedStateFiles(_In_ LPCWSTR BinFile, _In_ LPCWSTR VsvFile,
                                      _Out_ VM_SAVED_STATE_DUMP_HANDLE *VmSavedStateDumpHandle);

HRESULT WINHV_API ReleaseSavedStateFiles(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle);

/* ---- Virtual processors --------------------------------------------------- */

HRESULT WINHV_API GetGuestEnabledVirtualTrustLevels(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _Out_ UINT32 *VirtualTrustLevels);

HRESULT WINHV_API GetGuestOsInfo(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                 _In_ UINT8 VirtualTrustLevel, _Out_ GUEST_OS_INFO *GuestOsInfo);

HRESULT WINHV_API GetVpCount(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                             _Out_ UINT32 *VpCount);

HRESULT WINHV_API GetArchitecture(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                  _In_ UINT32 VpId, _Out_ VIRTUAL_PROCESSOR_ARCH *Architecture);

HRESULT WINHV_API ForceArchitecture(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                    _In_ UINT32 VpId, _In_ VIRTUAL_PROCESSOR_ARCH Architecture);

HRESULT WINHV_API GetActiveVirtualTrustLevel(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                             _In_ UINT32 VpId, _Out_ UINT8 *VirtualTrustLevel);

HRESULT WINHV_API GetEnabledVirtualTrustLevels(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId,
    _Out_ UINT32 *VirtualTrustLevels);

HRESULT WINHV_API ForceActiveVirtualTrustLevel(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId,
    _In_ UINT8 VirtualTrustLevel);

HRESULT WINHV_API IsActiveVirtualTrustLevelEnabled(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId,
    _Out_ BOOL *ActiveVirtualTrustLevelEnabled);

HRESULT WINHV_API IsNestedVirtualizationEnabled(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _Out_ BOOL *Enabled);

HRESULT WINHV_API GetNestedVirtualizationMode(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId, _Out_ BOOL *Enabled);

HRESULT WINHV_API ForceNestedHostMode(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                      _In_ UINT32 VpId, _In_ BOOL HostMode,
                                      _Out_opt_ BOOL *OldMode);

HRESULT WINHV_API InKernelSpace(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                _In_ UINT32 VpId, _Out_ BOOL *InKernelSpace);

HRESULT WINHV_API GetRegisterValue(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                   _In_ UINT32 VpId, _In_ DWORD RegisterId,
                                   _Out_ VIRTUAL_PROCESSOR_REGISTER *RegisterValue);

HRESULT WINHV_API GetPagingMode(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                _In_ UINT32 VpId, _Out_ PAGING_MODE *PagingMode);

HRESULT WINHV_API ForcePagingMode(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                  _In_ UINT32 VpId, _In_ PAGING_MODE PagingMode);

/* ---- Guest memory ---------------------------------------------------------- */

HRESULT WINHV_API ReadGuestPhysicalAddress(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                           _In_ GUEST_PHYSICAL_ADDRESS PhysicalAddress,
                                           _Out_writes_bytes_(BufferSize) LPVOID Buffer,
                                           _In_ UINT32 BufferSize, _Out_opt_ UINT32 *BytesRead);

HRESULT WINHV_API GuestVirtualAddressToPhysicalAddress(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId,
    _In_ const GUEST_VIRTUAL_ADDRESS VirtualAddress, _Out_ GUEST_PHYSICAL_ADDRESS *PhysicalAddress,
    _Out_opt_ GUEST_VIRTUAL_ADDRESS *UnmappedRegionSize);

HRESULT WINHV_API GetGuestPhysicalMemoryChunks(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _Out_ UINT64 *MemoryChunkPageSize,
    _Out_ GPA_MEMORY_CHUNK *MemoryChunks, _Inout_ UINT64 *MemoryChunkCount);

HRESULT WINHV_API GuestPhysicalAddressToRawSavedMemoryOffset(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
    _In_ GUEST_PHYSICAL_ADDRESS PhysicalAddress, _Out_ UINT64 *RawSavedMemoryOffset);

HRESULT WINHV_API ReadGuestRawSavedMemory(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                          _In_ UINT64 RawSavedMemoryOffset,
                                          _Out_writes_bytes_(BufferSize) LPVOID Buffer,
                                          _In_ UINT32 BufferSize, _Out_opt_ UINT32 *BytesRead);

HRESULT WINHV_API GetGuestRawSavedMemorySize(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                             _Out_ UINT64 *GuestRawSavedMemorySize);

HRESULT WINHV_API SetMemoryBlockCacheLimit(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                           _In_ UINT64 MemoryBlockCacheLimit);

HRESULT WINHV_API GetMemoryBlockCacheLimit(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                           _Out_ UINT64 *MemoryBlockCacheLimit);

HRESULT WINHV_API ApplyGuestMemoryFix(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                      _In_ UINT32 VpId, _In_ GUEST_VIRTUAL_ADDRESS VirtualAddress,
                                      _In_reads_bytes_(FixBufferSize) const VOID *FixBuffer,
                                      _In_ UINT32 FixBufferSize);

HRESULT WINHV_API ScanMemoryForDosImages(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                         _In_ UINT32 VpId, _In_ GUEST_VIRTUAL_ADDRESS StartAddress,
                                         _In_ GUEST_VIRTUAL_ADDRESS EndAddress,
                                         _In_opt_ PVOID CallbackContext,
                                         _In_ FOUND_IMAGE_CALLBACK FoundImageCallback,
                                         _In_reads_opt_(StandaloneAddressCount)
                                             const GUEST_VIRTUAL_ADDRESS *StandaloneAddress,
                                         _In_ UINT32 StandaloneAddressCount);

/* ---- Symbols and call stacks ---------------------------------------------- */

HRESULT WINHV_API LoadSavedStateSymbolProvider(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_opt_ LPCWSTR UserSymbols,
    _In_ BOOL Force);

HRESULT WINHV_API ReleaseSavedStateSymbolProvider(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle);

HANDLE WINHV_API GetSavedStateSymbolProviderHandle(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle);

HRESULT WINHV_API SetSavedStateSymbolProviderDebugInfoCallback(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
    _In_ GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK Callback);

HRESULT WINHV_API LoadSavedStateModuleSymbols(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                              _In_ PCSTR ImageName, _In_ PCSTR ModuleName,
                                              _In_ GUEST_VIRTUAL_ADDRESS BaseAddress,
                                              _In_ UINT32 SizeOfBase);

HRESULT WINHV_API LoadSavedStateModuleSymbolsEx(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ PCSTR ImageName,
    _In_ UINT32 ImageTimestamp, _In_ PCSTR ModuleName, _In_ GUEST_VIRTUAL_ADDRESS BaseAddress,
    _In_ UINT32 SizeOfBase);

HRESULT WINHV_API ResolveSavedStateGlobalVariableAddress(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId,
    _In_ PCSTR GlobalName, _Out_ GUEST_VIRTUAL_ADDRESS *VirtualAddress, _Out_opt_ UINT32 *Size);

HRESULT WINHV_API ReadSavedStateGlobalVariable(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                               _In_ UINT32 VpId, _In_ PCSTR GlobalName,
                                               _Out_writes_bytes_(BufferSize) PVOID Buffer,
                                               _In_ UINT32 BufferSize);

HRESULT WINHV_API GetSavedStateSymbolTypeSize(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                              _In_ UINT32 VpId, _In_ PCSTR TypeName,
                                              _Out_ UINT32 *Size);

HRESULT WINHV_API FindSavedStateSymbolFieldInType(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId, _In_ PCSTR TypeName,
    _In_ LPCWSTR FieldName, _Out_ UINT32 *Offset, _Out_ BOOL *Found);

HRESULT WINHV_API GetSavedStateSymbolFieldInfo(
    _In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle, _In_ UINT32 VpId, _In_ PCSTR TypeName,
    _Out_ LPWSTR *TypeFieldInfoMap);

HRESULT WINHV_API CallStackUnwind(_In_ VM_SAVED_STATE_DUMP_HANDLE VmSavedStateDumpHandle,
                                  _In_ UINT32 VpId,
                                  _In_reads_(ImageInfoCount) const MODULE_INFO *ImageInfo,
                                  _In_ UINT32 ImageInfoCount, _In_ UINT32 FrameCount,
                                  _Out_ LPWSTR *CallStack);

#ifdef __cplusplus
}
#endif

#endif /* _VMSAVEDSTATEDUMP_H_ */
