/*
 * vmdevicehost.h -- the Host Device Virtualization (HDV) device host of
 * Windows (vmdevicehost.dll): a host process serves a PCI device to a VM
 * through HDV_PCI_DEVICE_INTERFACE callbacks. Exported on Linux by winhv's
 * libvmdevicehost.so (link with -lvmdevicehost -lWinHvPlatform; the device
 * host itself lives in libWinHvPlatform.so, beside the VM it serves).
 *
 * Written for winhv from Microsoft's documentation of HDV; types and
 * functions have Windows' names, layouts and parameter lists, and use the
 * x86-64 SysV C convention (WINHV_API and WINHV_CALLBACK are empty). The
 * HCS_SYSTEM a device host is given comes from winhv's
 * WinhvCreateComputeSystem (winhvcomputesystem.h), not from HCS.
 * An event HANDLE (HdvRegisterDoorbell) is a file descriptor, normally an
 * eventfd: (HANDLE)(intptr_t)fd.
 */
#ifndef _VMDEVICEHOST_H_
#define _VMDEVICEHOST_H_

#include "winhv_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void *HCS_SYSTEM;
typedef void *HDV_HOST;
typedef void *HDV_DEVICE;

typedef enum HDV_DEVICE_TYPE {
    HdvDeviceTypeUndefined = 0,
    HdvDeviceTypePCI = 1
} HDV_DEVICE_TYPE;

typedef enum HDV_DEVICE_HOST_FLAGS {
    HdvDeviceHostFlagNone = 0,
    HdvDeviceHostFlagInitializeComSecurity = 1
} HDV_DEVICE_HOST_FLAGS;

#define HDV_PCI_BAR_COUNT 6

typedef enum HDV_PCI_BAR_SELECTOR {
    HDV_PCI_BAR0 = 0,
    HDV_PCI_BAR1 = 1,
    HDV_PCI_BAR2 = 2,
    HDV_PCI_BAR3 = 3,
    HDV_PCI_BAR4 = 4,
    HDV_PCI_BAR5 = 5
} HDV_PCI_BAR_SELECTOR;

/* Bits 2:0 a write size (ANY, 1, 2, 4, 8 bytes), bit 31 any value. A
 * (UINT64) cast sign-extends TRIGGER_ANY_VALUE; both forms are accepted. */
typedef enum HDV_DOORBELL_FLAGS {
    HDV_DOORBELL_FLAG_TRIGGER_SIZE_ANY = 0,
    HDV_DOORBELL_FLAG_TRIGGER_SIZE_BYTE = 1,
    HDV_DOORBELL_FLAG_TRIGGER_SIZE_WORD = 2,
    HDV_DOORBELL_FLAG_TRIGGER_SIZE_DWORD = 3,
    HDV_DOORBELL_FLAG_TRIGGER_SIZE_QWORD = 4,
    HDV_DOORBELL_FLAG_TRIGGER_ANY_VALUE = (int)0x80000000
} HDV_DOORBELL_FLAGS;

typedef enum HDV_MMIO_MAPPING_FLAGS {
    HdvMmioMappingFlagNone = 0,
    HdvMmioMappingFlagWriteable = 1,
    HdvMmioMappingFlagExecutable = 2
} HDV_MMIO_MAPPING_FLAGS;

typedef enum HDV_PCI_INTERFACE_VERSION {
    HdvPciDeviceInterfaceVersionInvalid = 0,
    HdvPciDeviceInterfaceVersion1 = 1
} HDV_PCI_INTERFACE_VERSION;

/* The identity GetDetails reports: config offsets 0x00, 0x02, 0x08, 0x09,
 * 0x0A, 0x0B, 0x2C, 0x2E. */
typedef struct HDV_PCI_PNP_ID {
    UINT16 VendorID;
    UINT16 DeviceID;
    UINT8 RevisionID;
    UINT8 ProgIf;
    UINT8 SubClass;
    UINT8 BaseClass;
    UINT16 SubVendorID;
    UINT16 SubSystemID;
} HDV_PCI_PNP_ID;

typedef HRESULT (WINHV_CALLBACK *HDV_PCI_DEVICE_INITIALIZE)(void *DeviceContext);
typedef void (WINHV_CALLBACK *HDV_PCI_DEVICE_TEARDOWN)(void *DeviceContext);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_DEVICE_SET_CONFIGURATION)(
    void *DeviceContext, UINT32 ConfigurationValueCount, const PCWSTR *ConfigurationValues);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_DEVICE_GET_DETAILS)(
    void *DeviceContext, HDV_PCI_PNP_ID *PnpId, UINT32 ProbedBarsCount, UINT32 *ProbedBars);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_DEVICE_START)(void *DeviceContext);
typedef void (WINHV_CALLBACK *HDV_PCI_DEVICE_STOP)(void *DeviceContext);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_READ_CONFIG_SPACE)(
    void *DeviceContext, UINT32 Offset, UINT32 *Value);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_WRITE_CONFIG_SPACE)(
    void *DeviceContext, UINT32 Offset, UINT32 Value);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_READ_INTERCEPTED_MEMORY)(
    void *DeviceContext, HDV_PCI_BAR_SELECTOR BarIndex, UINT64 Offset, UINT64 Length, BYTE *Value);
typedef HRESULT (WINHV_CALLBACK *HDV_PCI_WRITE_INTERCEPTED_MEMORY)(
    void *DeviceContext, HDV_PCI_BAR_SELECTOR BarIndex, UINT64 Offset, UINT64 Length, const BYTE *Value);

/* The callbacks of a PCI device (88 bytes); NULL entries do nothing. */
typedef struct HDV_PCI_DEVICE_INTERFACE {
    HDV_PCI_INTERFACE_VERSION Version;
    HDV_PCI_DEVICE_INITIALIZE Initialize;
    HDV_PCI_DEVICE_TEARDOWN Teardown;
    HDV_PCI_DEVICE_SET_CONFIGURATION SetConfiguration;
    HDV_PCI_DEVICE_GET_DETAILS GetDetails;
    HDV_PCI_DEVICE_START Start;
    HDV_PCI_DEVICE_STOP Stop;
    HDV_PCI_READ_CONFIG_SPACE ReadConfigSpace;
    HDV_PCI_WRITE_CONFIG_SPACE WriteConfigSpace;
    HDV_PCI_READ_INTERCEPTED_MEMORY ReadInterceptedMemory;
    HDV_PCI_WRITE_INTERCEPTED_MEMORY WriteInterceptedMemory;
} HDV_PCI_DEVICE_INTERFACE;

C_ASSERT(sizeof(HDV_PCI_PNP_ID) == 12);
C_ASSERT(sizeof(HDV_PCI_DEVICE_INTERFACE) == 88);

HRESULT WINHV_API HdvInitializeDeviceHost(HCS_SYSTEM ComputeSystem, HDV_HOST *DeviceHostHandle);
HRESULT WINHV_API HdvInitializeDeviceHostEx(
    HCS_SYSTEM ComputeSystem, HDV_DEVICE_HOST_FLAGS Flags, HDV_HOST *DeviceHostHandle);
HRESULT WINHV_API HdvTeardownDeviceHost(HDV_HOST DeviceHostHandle);
HRESULT WINHV_API HdvCreateDeviceInstance(
    HDV_HOST DeviceHostHandle, HDV_DEVICE_TYPE DeviceType, const GUID *DeviceClassId,
    const GUID *DeviceInstanceId, const void *DeviceInterface, void *DeviceContext,
    HDV_DEVICE *DeviceHandle);
HRESULT WINHV_API HdvReadGuestMemory(
    HDV_DEVICE Requestor, UINT64 GuestPhysicalAddress, UINT32 ByteCount, BYTE *Buffer);
HRESULT WINHV_API HdvWriteGuestMemory(
    HDV_DEVICE Requestor, UINT64 GuestPhysicalAddress, UINT32 ByteCount, const BYTE *Buffer);
HRESULT WINHV_API HdvCreateGuestMemoryAperture(
    HDV_DEVICE Requestor, UINT64 GuestPhysicalAddress, UINT32 ByteCount, BOOL WriteProtected,
    void **MappedAddress);
HRESULT WINHV_API HdvDestroyGuestMemoryAperture(HDV_DEVICE Requestor, void *MappedAddress);
HRESULT WINHV_API HdvDeliverGuestInterrupt(HDV_DEVICE Requestor, UINT64 MsiAddress, UINT32 MsiData);
HRESULT WINHV_API HdvRegisterDoorbell(
    HDV_DEVICE Requestor, HDV_PCI_BAR_SELECTOR BarIndex, UINT64 BarOffset, UINT64 TriggerValue,
    UINT64 Flags, HANDLE DoorbellEvent);
HRESULT WINHV_API HdvUnregisterDoorbell(
    HDV_DEVICE Requestor, HDV_PCI_BAR_SELECTOR BarIndex, UINT64 BarOffset, UINT64 TriggerValue,
    UINT64 Flags);
HRESULT WINHV_API HdvCreateSectionBackedMmioRange(
    HDV_DEVICE Requestor, HDV_PCI_BAR_SELECTOR BarIndex, UINT64 OffsetInPages, UINT64 LengthInPages,
    HDV_MMIO_MAPPING_FLAGS MappingFlags, HANDLE SectionHandle, UINT64 SectionOffsetInPages);
HRESULT WINHV_API HdvDestroySectionBackedMmioRange(
    HDV_DEVICE Requestor, HDV_PCI_BAR_SELECTOR BarIndex, UINT64 OffsetInPages);

#ifdef __cplusplus
}
#endif

#endif /* _VMDEVICEHOST_H_ */
