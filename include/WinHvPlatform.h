/*
 * WinHvPlatform.h -- the functions of the Windows Hypervisor Platform API
 * (winhvplatform.dll), with Windows' names and parameter lists, exported on
 * Linux by winhv's libWinHvPlatform.so (link with -lWinHvPlatform, or use
 * `pkg-config --cflags --libs winhv`).
 *
 * Part of winhv: the Hyper-V user-mode platform API on Linux over KVM.
 * Every function returns an HRESULT; the codes are those Windows returns.
 * The calling convention is the ordinary x86-64 SysV C one: the prototypes
 * use WINHV_API, which is empty, rather than WINAPI, so that a
 * Windows-compatibility header that makes WINAPI mean ms_abi (as Wine's
 * does) cannot silently change how our functions are called.
 */
#ifndef _WINHVAPI_H_
#define _WINHVAPI_H_

#include "WinHvPlatformDefs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Platform capabilities ---------------------------------------------- */

HRESULT WINHV_API WHvGetCapability(
    _In_ WHV_CAPABILITY_CODE CapabilityCode,
    _Out_writes_bytes_to_(CapabilityBufferSizeInBytes, *WrittenSizeInBytes)
        VOID *CapabilityBuffer,
    _In_ UINT32 CapabilityBufferSizeInBytes,
    _Out_opt_ UINT32 *WrittenSizeInBytes);

/* ---- Partitions --------------------------------------------------------- */

HRESULT WINHV_API WHvCreatePartition(_Out_ WHV_PARTITION_HANDLE *Partition);

HRESULT WINHV_API WHvSetupPartition(_In_ WHV_PARTITION_HANDLE Partition);

HRESULT WINHV_API WHvResetPartition(_In_ WHV_PARTITION_HANDLE Partition);

HRESULT WINHV_API WHvDeletePartition(_In_ WHV_PARTITION_HANDLE Partition);

HRESULT WINHV_API WHvGetPartitionProperty(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_PARTITION_PROPERTY_CODE PropertyCode,
    _Out_writes_bytes_to_(PropertyBufferSizeInBytes, *WrittenSizeInBytes)
        VOID *PropertyBuffer,
    _In_ UINT32 PropertyBufferSizeInBytes,
    _Out_opt_ UINT32 *WrittenSizeInBytes);

HRESULT WINHV_API WHvSetPartitionProperty(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_PARTITION_PROPERTY_CODE PropertyCode,
    _In_reads_bytes_(PropertyBufferSizeInBytes) const VOID *PropertyBuffer,
    _In_ UINT32 PropertyBufferSizeInBytes);

HRESULT WINHV_API WHvSuspendPartitionTime(_In_ WHV_PARTITION_HANDLE Partition);

HRESULT WINHV_API WHvResumePartitionTime(_In_ WHV_PARTITION_HANDLE Partition);

/* ---- Guest memory ------------------------------------------------------- */

HRESULT WINHV_API WHvMapGpaRange(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ VOID *SourceAddress,
    _In_ WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
    _In_ UINT64 SizeInBytes,
    _In_ WHV_MAP_GPA_RANGE_FLAGS Flags);

HRESULT WINHV_API WHvMapGpaRange2(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ HANDLE Process,
    _In_ VOID *SourceAddress,
    _In_ WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
    _In_ UINT64 SizeInBytes,
    _In_ WHV_MAP_GPA_RANGE_FLAGS Flags);

HRESULT WINHV_API WHvUnmapGpaRange(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
    _In_ UINT64 SizeInBytes);

HRESULT WINHV_API WHvTranslateGva(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ WHV_GUEST_VIRTUAL_ADDRESS Gva,
    _In_ WHV_TRANSLATE_GVA_FLAGS TranslateFlags,
    _Out_ WHV_TRANSLATE_GVA_RESULT *TranslationResult,
    _Out_ WHV_GUEST_PHYSICAL_ADDRESS *Gpa);

HRESULT WINHV_API WHvQueryGpaRangeDirtyBitmap(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
    _In_ UINT64 RangeSizeInBytes,
    _Out_writes_bytes_opt_(BitmapSizeInBytes) UINT64 *Bitmap,
    _In_ UINT32 BitmapSizeInBytes);

HRESULT WINHV_API WHvAdviseGpaRange(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_reads_(GpaRangesCount) const WHV_MEMORY_RANGE_ENTRY *GpaRanges,
    _In_ UINT32 GpaRangesCount,
    _In_ WHV_ADVISE_GPA_RANGE_CODE Advice,
    _In_reads_bytes_(AdviceBufferSizeInBytes) const VOID *AdviceBuffer,
    _In_ UINT32 AdviceBufferSizeInBytes);

HRESULT WINHV_API WHvReadGpaRange(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
    _In_ WHV_ACCESS_GPA_CONTROLS Controls,
    _Out_writes_bytes_(DataSizeInBytes) PVOID Data,
    _In_ UINT32 DataSizeInBytes);

HRESULT WINHV_API WHvWriteGpaRange(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
    _In_ WHV_ACCESS_GPA_CONTROLS Controls,
    _In_reads_bytes_(DataSizeInBytes) const VOID *Data,
    _In_ UINT32 DataSizeInBytes);

/* ---- Virtual processors ------------------------------------------------- */

HRESULT WINHV_API WHvCreateVirtualProcessor(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ UINT32 Flags);

HRESULT WINHV_API WHvCreateVirtualProcessor2(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_reads_(PropertyCount) const WHV_VIRTUAL_PROCESSOR_PROPERTY *Properties,
    _In_ UINT32 PropertyCount);

HRESULT WINHV_API WHvDeleteVirtualProcessor(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex);

HRESULT WINHV_API WHvRunVirtualProcessor(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _Out_writes_bytes_(ExitContextSizeInBytes) VOID *ExitContext,
    _In_ UINT32 ExitContextSizeInBytes);

HRESULT WINHV_API WHvCancelRunVirtualProcessor(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ UINT32 Flags);

HRESULT WINHV_API WHvGetVirtualProcessorRegisters(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_reads_(RegisterCount) const WHV_REGISTER_NAME *RegisterNames,
    _In_ UINT32 RegisterCount,
    _Out_writes_(RegisterCount) WHV_REGISTER_VALUE *RegisterValues);

HRESULT WINHV_API WHvSetVirtualProcessorRegisters(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_reads_(RegisterCount) const WHV_REGISTER_NAME *RegisterNames,
    _In_ UINT32 RegisterCount,
    _In_reads_(RegisterCount) const WHV_REGISTER_VALUE *RegisterValues);

HRESULT WINHV_API WHvGetVirtualProcessorInterruptControllerState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _Out_writes_bytes_to_(StateSize, *WrittenSize) VOID *State,
    _In_ UINT32 StateSize,
    _Out_opt_ UINT32 *WrittenSize);

HRESULT WINHV_API WHvSetVirtualProcessorInterruptControllerState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_reads_bytes_(StateSize) const VOID *State,
    _In_ UINT32 StateSize);

HRESULT WINHV_API WHvRequestInterrupt(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ const WHV_INTERRUPT_CONTROL *Interrupt,
    _In_ UINT32 InterruptControlSize);

HRESULT WINHV_API WHvGetVirtualProcessorXsaveState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _Out_writes_bytes_to_(BufferSizeInBytes, *BytesWritten) VOID *Buffer,
    _In_ UINT32 BufferSizeInBytes,
    _Out_ UINT32 *BytesWritten);

HRESULT WINHV_API WHvSetVirtualProcessorXsaveState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_reads_bytes_(BufferSizeInBytes) const VOID *Buffer,
    _In_ UINT32 BufferSizeInBytes);

HRESULT WINHV_API WHvGetPartitionCounters(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_PARTITION_COUNTER_SET CounterSet,
    _Out_writes_bytes_to_(BufferSizeInBytes, *BytesWritten) VOID *Buffer,
    _In_ UINT32 BufferSizeInBytes,
    _Out_opt_ UINT32 *BytesWritten);

HRESULT WINHV_API WHvGetVirtualProcessorCounters(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ WHV_PROCESSOR_COUNTER_SET CounterSet,
    _Out_writes_bytes_to_(BufferSizeInBytes, *BytesWritten) VOID *Buffer,
    _In_ UINT32 BufferSizeInBytes,
    _Out_opt_ UINT32 *BytesWritten);

HRESULT WINHV_API WHvGetVirtualProcessorInterruptControllerState2(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _Out_writes_bytes_to_(StateSize, *WrittenSize) VOID *State,
    _In_ UINT32 StateSize,
    _Out_opt_ UINT32 *WrittenSize);

HRESULT WINHV_API WHvSetVirtualProcessorInterruptControllerState2(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_reads_bytes_(StateSize) const VOID *State,
    _In_ UINT32 StateSize);

/* ---- Doorbells, SynIC, interrupts --------------------------------------- */

HRESULT WINHV_API WHvRegisterPartitionDoorbellEvent(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ const WHV_DOORBELL_MATCH_DATA *MatchData,
    _In_ HANDLE EventHandle);

HRESULT WINHV_API WHvUnregisterPartitionDoorbellEvent(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ const WHV_DOORBELL_MATCH_DATA *MatchData);

HRESULT WINHV_API WHvGetVirtualProcessorState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ WHV_VIRTUAL_PROCESSOR_STATE_TYPE StateType,
    _Out_writes_bytes_to_(BufferSizeInBytes, *BytesWritten) VOID *Buffer,
    _In_ UINT32 BufferSizeInBytes,
    _Out_opt_ UINT32 *BytesWritten);

HRESULT WINHV_API WHvSetVirtualProcessorState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ WHV_VIRTUAL_PROCESSOR_STATE_TYPE StateType,
    _In_reads_bytes_(BufferSizeInBytes) const VOID *Buffer,
    _In_ UINT32 BufferSizeInBytes);

HRESULT WINHV_API WHvPostVirtualProcessorSynicMessage(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ UINT32 SintIndex,
    _In_reads_bytes_(MessageSizeInBytes) const VOID *Message,
    _In_ UINT32 MessageSizeInBytes);

HRESULT WINHV_API WHvGetVirtualProcessorCpuidOutput(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT32 VpIndex,
    _In_ UINT32 Eax,
    _In_ UINT32 Ecx,
    _Out_ WHV_CPUID_OUTPUT *CpuidOutput);

HRESULT WINHV_API WHvGetInterruptTargetVpSet(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 Destination,
    _In_ WHV_INTERRUPT_DESTINATION_MODE DestinationMode,
    _Out_writes_to_(VpCount, *TargetVpCount) UINT32 *TargetVps,
    _In_ UINT32 VpCount,
    _Out_ UINT32 *TargetVpCount);

/* ---- Migration between processes --------------------------------------- */

HRESULT WINHV_API WHvStartPartitionMigration(
    _In_ WHV_PARTITION_HANDLE Partition,
    _Out_ HANDLE *MigrationHandle);

HRESULT WINHV_API WHvCancelPartitionMigration(_In_ WHV_PARTITION_HANDLE Partition);

HRESULT WINHV_API WHvCompletePartitionMigration(
    _In_ WHV_PARTITION_HANDLE Partition);

HRESULT WINHV_API WHvAcceptPartitionMigration(
    _In_ HANDLE MigrationHandle,
    _Out_ WHV_PARTITION_HANDLE *Partition);

/* ---- Virtual PCI devices ------------------------------------------------ */

HRESULT WINHV_API WHvAllocateVpciResource(
    _In_opt_ const GUID *ProviderId,
    _In_ WHV_ALLOCATE_VPCI_RESOURCE_FLAGS Flags,
    _In_reads_bytes_opt_(ResourceDescriptorSizeInBytes)
        const VOID *ResourceDescriptor,
    _In_ UINT32 ResourceDescriptorSizeInBytes,
    _Out_ HANDLE *VpciResource);

HRESULT WINHV_API WHvCreateVpciDevice(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ HANDLE VpciResource,
    _In_ WHV_CREATE_VPCI_DEVICE_FLAGS Flags,
    _In_opt_ HANDLE NotificationEventHandle);

HRESULT WINHV_API WHvDeleteVpciDevice(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId);

HRESULT WINHV_API WHvGetVpciDeviceProperty(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ WHV_VPCI_DEVICE_PROPERTY_CODE PropertyCode,
    _Out_writes_bytes_to_(PropertyBufferSizeInBytes, *WrittenSizeInBytes)
        VOID *PropertyBuffer,
    _In_ UINT32 PropertyBufferSizeInBytes,
    _Out_opt_ UINT32 *WrittenSizeInBytes);

HRESULT WINHV_API WHvGetVpciDeviceNotification(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _Out_writes_bytes_(NotificationSizeInBytes)
        WHV_VPCI_DEVICE_NOTIFICATION *Notification,
    _In_ UINT32 NotificationSizeInBytes);

HRESULT WINHV_API WHvMapVpciDeviceMmioRanges(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _Out_ UINT32 *MappingCount,
    _Outptr_result_buffer_(*MappingCount) WHV_VPCI_MMIO_MAPPING **Mappings);

HRESULT WINHV_API WHvUnmapVpciDeviceMmioRanges(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId);

HRESULT WINHV_API WHvSetVpciDevicePowerState(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ DEVICE_POWER_STATE PowerState);

HRESULT WINHV_API WHvReadVpciDeviceRegister(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ const WHV_VPCI_DEVICE_REGISTER *Register,
    _Out_writes_bytes_(Register->SizeInBytes) VOID *Data);

HRESULT WINHV_API WHvWriteVpciDeviceRegister(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ const WHV_VPCI_DEVICE_REGISTER *Register,
    _In_reads_bytes_(Register->SizeInBytes) const VOID *Data);

HRESULT WINHV_API WHvMapVpciDeviceInterrupt(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ UINT32 Index,
    _In_ UINT32 MessageCount,
    _In_ const WHV_VPCI_INTERRUPT_TARGET *Target,
    _Out_ UINT64 *MsiAddress,
    _Out_ UINT32 *MsiData);

HRESULT WINHV_API WHvUnmapVpciDeviceInterrupt(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ UINT32 Index);

HRESULT WINHV_API WHvRetargetVpciDeviceInterrupt(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ UINT64 MsiAddress,
    _In_ UINT32 MsiData,
    _In_ const WHV_VPCI_INTERRUPT_TARGET *Target);

HRESULT WINHV_API WHvRequestVpciDeviceInterrupt(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ UINT64 MsiAddress,
    _In_ UINT32 MsiData);

HRESULT WINHV_API WHvGetVpciDeviceInterruptTarget(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ UINT64 LogicalDeviceId,
    _In_ UINT32 Index,
    _In_ UINT32 MultiMessageNumber,
    _Out_writes_bytes_to_(TargetSizeInBytes, *BytesWritten)
        WHV_VPCI_INTERRUPT_TARGET *Target,
    _In_ UINT32 TargetSizeInBytes,
    _Out_opt_ UINT32 *BytesWritten);

/* ---- Triggers and notification ports ------------------------------------ */

HRESULT WINHV_API WHvCreateTrigger(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ const WHV_TRIGGER_PARAMETERS *Parameters,
    _Out_ WHV_TRIGGER_HANDLE *TriggerHandle,
    _Out_ HANDLE *EventHandle);

HRESULT WINHV_API WHvUpdateTriggerParameters(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ const WHV_TRIGGER_PARAMETERS *Parameters,
    _In_ WHV_TRIGGER_HANDLE TriggerHandle);

HRESULT WINHV_API WHvDeleteTrigger(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_TRIGGER_HANDLE TriggerHandle);

HRESULT WINHV_API WHvCreateNotificationPort(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ const WHV_NOTIFICATION_PORT_PARAMETERS *Parameters,
    _In_ HANDLE EventHandle,
    _Out_ WHV_NOTIFICATION_PORT_HANDLE *PortHandle);

HRESULT WINHV_API WHvSetNotificationPortProperty(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_NOTIFICATION_PORT_HANDLE PortHandle,
    _In_ WHV_NOTIFICATION_PORT_PROPERTY_CODE PropertyCode,
    _In_ WHV_NOTIFICATION_PORT_PROPERTY PropertyValue);

HRESULT WINHV_API WHvDeleteNotificationPort(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_NOTIFICATION_PORT_HANDLE PortHandle);

HRESULT WINHV_API WHvSignalVirtualProcessorSynicEvent(
    _In_ WHV_PARTITION_HANDLE Partition,
    _In_ WHV_SYNIC_EVENT_PARAMETERS SynicEvent,
    _Out_opt_ BOOL *NewlySignaled);

#ifdef __cplusplus
}
#endif

#endif /* _WINHVAPI_H_ */
