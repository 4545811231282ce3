/*
 * winhvcomputesystem.h -- winhv's own functions (not Windows'): the
 * compute system that stands in for the HCS_SYSTEM a Windows device host
 * gets from the Host Compute Service. A VMM makes one over its partition;
 * HdvInitializeDeviceHost(system, ...) then works as on Windows. Exported
 * by libWinHvPlatform.so.
 *
 * The compute system shows the partition's guest a PCI segment: the host
 * bridge at 00:00.0, config access through ECAM (bus 0) and, with
 * WINHV_COMPUTE_SYSTEM_FLAG_LEGACY_PORTS, ports 0xCF8/0xCFC; each device's
 * BARs are placed in the windows at start and served inside
 * WHvRunVirtualProcessor (they never come back as exits). Interrupts are
 * MSIs delivered with WHvRequestInterrupt (so LocalApicEmulationMode xApic
 * or x2Apic).
 *
 * Order: WinhvCreateComputeSystem -> HdvInitializeDeviceHost ->
 * HdvCreateDeviceInstance... -> WinhvStartComputeSystem (each device's
 * Initialize, SetConfiguration, GetDetails, Start) -> run the VPs ->
 * WinhvStopComputeSystem (Stop) -> HdvTeardownDeviceHost (Teardown) ->
 * WinhvCloseComputeSystem -> WHvDeletePartition.
 */
#ifndef _WINHVCOMPUTESYSTEM_H_
#define _WINHVCOMPUTESYSTEM_H_

#include "WinHvPlatformDefs.h"
#include "vmdevicehost.h"

#ifdef __cplusplus
extern "C" {
#endif

/* WINHV_PCI_SLOT.DeviceNumber: the lowest free device number. */
#define WINHV_PCI_SLOT_ANY_DEVICE 0xFFFFFFFFu

/* One device slot, as a Windows VM configuration's FlexibleIov device:
 * the device created with this class and instance gets this device number
 * and these SetConfiguration strings. (48 bytes) */
typedef struct WINHV_PCI_SLOT {
    GUID DeviceClassId;
    GUID DeviceInstanceId;
    UINT32 DeviceNumber;
    UINT32 ConfigurationValueCount;
    const PCWSTR *ConfigurationValues;
} WINHV_PCI_SLOT;

#define WINHV_COMPUTE_SYSTEM_CONFIG_VERSION 1
#define WINHV_COMPUTE_SYSTEM_FLAG_LEGACY_PORTS 0x1u

/* The PCI segment and the slots. (72 bytes) */
typedef struct WINHV_COMPUTE_SYSTEM_CONFIG {
    UINT32 Version;          /* WINHV_COMPUTE_SYSTEM_CONFIG_VERSION */
    UINT32 Flags;            /* WINHV_COMPUTE_SYSTEM_FLAG_* */
    UINT64 EcamBase;         /* bus 0's ECAM window, 1 MiB-aligned; 0: none */
    UINT64 Mmio32Base;       /* where 32-bit BARs go */
    UINT64 Mmio32Size;
    UINT64 Mmio64Base;       /* where 64-bit BARs go (size 0: below 4 GiB) */
    UINT64 Mmio64Size;
    UINT32 IoBase;           /* where I/O BARs go */
    UINT32 IoSize;
    UINT32 SlotCount;
    UINT32 Reserved;         /* 0 */
    const WINHV_PCI_SLOT *Slots;
} WINHV_COMPUTE_SYSTEM_CONFIG;

C_ASSERT(sizeof(WINHV_PCI_SLOT) == 48);
C_ASSERT(sizeof(WINHV_COMPUTE_SYSTEM_CONFIG) == 72);

/* Config NULL: ECAM at 0xE0000000, ports 0xCF8/0xCFC, 32-bit BARs in
 * 0xC0000000-0xE0000000, 64-bit BARs from 64 GiB, I/O from 0xC000. */
HRESULT WINHV_API WinhvCreateComputeSystem(
    WHV_PARTITION_HANDLE Partition, const WINHV_COMPUTE_SYSTEM_CONFIG *Config,
    HCS_SYSTEM *ComputeSystem);
HRESULT WINHV_API WinhvStartComputeSystem(HCS_SYSTEM ComputeSystem);
HRESULT WINHV_API WinhvStopComputeSystem(HCS_SYSTEM ComputeSystem);
HRESULT WINHV_API WinhvCloseComputeSystem(HCS_SYSTEM ComputeSystem);

/* The table libvmdevicehost.so calls the device host through. */
typedef struct WINHV_DEVICE_HOST_FUNCTIONS WINHV_DEVICE_HOST_FUNCTIONS;
HRESULT WINHV_API WinhvGetDeviceHostFunctions(WINHV_DEVICE_HOST_FUNCTIONS *Functions);

#ifdef __cplusplus
}
#endif

#endif /* _WINHVCOMPUTESYSTEM_H_ */
