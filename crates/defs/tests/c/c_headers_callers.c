/*
 * c_headers_callers.c -- code written the way Windows callers write against
 * WinHvPlatform.h and WinHvEmulation.h, compiled (not linked) by
 * crates/defs/tests/c_headers.rs with -std=c11 -Wall -Wextra -pedantic
 * -Werror to prove that such code builds unchanged with winhv's headers.
 */
#include <WinHvEmulation.h>
#include <WinHvPlatform.h>
#include <string.h>

/* An I/O-port callback in the shape WHV_EMULATOR_CALLBACKS wants. */
static HRESULT CALLBACK IoPortCallback(_In_ VOID *Context,
                                       _Inout_ WHV_EMULATOR_IO_ACCESS_INFO *IoAccess)
{
    (void)Context;
    if (IoAccess->Direction == 0) {
        IoAccess->Data = 0xFF;
    }
    return S_OK;
}

static HRESULT CALLBACK MemoryCallback(_In_ VOID *Context,
                                       _Inout_ WHV_EMULATOR_MEMORY_ACCESS_INFO *MemoryAccess)
{
    (void)Context;
    memset(MemoryAccess->Data, 0, sizeof(MemoryAccess->Data));
    return S_OK;
}

static HRESULT CALLBACK GetRegisters(_In_ VOID *Context,
                                     _In_reads_(RegisterCount) const WHV_REGISTER_NAME *RegisterNames,
                                     _In_ UINT32 RegisterCount,
                                     _Out_writes_(RegisterCount) WHV_REGISTER_VALUE *RegisterValues)
{
    WHV_PARTITION_HANDLE Partition = (WHV_PARTITION_HANDLE)Context;
    return WHvGetVirtualProcessorRegisters(Partition, 0, RegisterNames, RegisterCount,
                                           RegisterValues);
}

static HRESULT CALLBACK SetRegisters(_In_ VOID *Context,
                                     _In_reads_(RegisterCount) const WHV_REGISTER_NAME *RegisterNames,
                                     _In_ UINT32 RegisterCount,
                                     _In_reads_(RegisterCount) const WHV_REGISTER_VALUE *RegisterValues)
{
    WHV_PARTITION_HANDLE Partition = (WHV_PARTITION_HANDLE)Context;
    return WHvSetVirtualProcessorRegisters(Partition, 0, RegisterNames, RegisterCount,
                                           RegisterValues);
}

static HRESULT CALLBACK TranslateGvaPage(_In_ VOID *Context,
                                         _In_ WHV_GUEST_VIRTUAL_ADDRESS Gva,
                                         _In_ WHV_TRANSLATE_GVA_FLAGS TranslateFlags,
                                         _Out_ WHV_TRANSLATE_GVA_RESULT_CODE *TranslationResult,
                                         _Out_ WHV_GUEST_PHYSICAL_ADDRESS *Gpa)
{
    WHV_TRANSLATE_GVA_RESULT Result;
    HRESULT hr = WHvTranslateGva((WHV_PARTITION_HANDLE)Context, 0, Gva, TranslateFlags,
                                 &Result, Gpa);
    *TranslationResult = Result.ResultCode;
    return hr;
}

static const WHV_EMULATOR_CALLBACKS Callbacks = {
    .Size = sizeof(WHV_EMULATOR_CALLBACKS),
    .Reserved = 0,
    .WHvEmulatorIoPortCallback = IoPortCallback,
    .WHvEmulatorMemoryCallback = MemoryCallback,
    .WHvEmulatorGetVirtualProcessorRegisters = GetRegisters,
    .WHvEmulatorSetVirtualProcessorRegisters = SetRegisters,
    .WHvEmulatorTranslateGvaPage = TranslateGvaPage,
};

/* Windows' WHP sample, reduced: create, configure, map, run, handle exits. */
HRESULT RunGuest(VOID *GuestMemory, UINT64 GuestMemorySize);

HRESULT RunGuest(VOID *GuestMemory, UINT64 GuestMemorySize)
{
    WHV_PARTITION_HANDLE h;
    WHV_CAPABILITY Capability;
    UINT32 Written = 0;
    HRESULT hr;

    hr = WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &Capability,
                          sizeof(Capability), &Written);
    if (FAILED(hr) || !Capability.HypervisorPresent) {
        return hr;
    }

    hr = WHvCreatePartition(&h);
    if (FAILED(hr)) {
        return hr;
    }

    WHV_PARTITION_PROPERTY Property;
    memset(&Property, 0, sizeof(Property));
    Property.ProcessorCount = 1;
    hr = WHvSetPartitionProperty(h, WHvPartitionPropertyCodeProcessorCount, &Property,
                                 sizeof(Property));

    Property.ExtendedVmExits.X64CpuidExit = 1;
    Property.ExtendedVmExits.ExceptionExit = 1;
    hr = WHvSetPartitionProperty(h, WHvPartitionPropertyCodeExtendedVmExits, &Property,
                                 sizeof(Property));
    UINT64 ExceptionBitmap = (1ULL << WHvX64ExceptionTypeBreakpointTrap);
    hr = WHvSetPartitionProperty(h, WHvPartitionPropertyCodeExceptionExitBitmap,
                                 &ExceptionBitmap, sizeof(ExceptionBitmap));

    hr = WHvSetupPartition(h);
    hr = WHvMapGpaRange(h, GuestMemory, 0, GuestMemorySize,
                        WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
                            WHvMapGpaRangeFlagExecute);
    hr = WHvCreateVirtualProcessor(h, 0, 0);

    /* Registers: designated initializers and anonymous members. */
    WHV_REGISTER_NAME Names[4] = {WHvX64RegisterRip, WHvX64RegisterCs, WHvX64RegisterRflags,
                                  WHvX64RegisterGdtr};
    WHV_REGISTER_VALUE Values[4] = {
        {.Reg64 = 0x1000},
        {.Segment = {.Base = 0, .Limit = 0xFFFFFFFF, .Selector = 0x08, .Attributes = 0xA09B}},
        {.Reg64 = 0x2},
        {.Table = {.Base = 0x500, .Limit = 0x17}},
    };
    Values[1].Segment.Present = 1;
    Values[1].Segment.Long = 1;
    Values[1].Segment.Default = 0;
    Values[1].Segment.DescriptorPrivilegeLevel = 0;
    Values[0].Reg128.Low64 = 0x1000;
    Values[0].Reg128.High64 = 0;
    hr = WHvSetVirtualProcessorRegisters(h, 0, Names, 4, Values);

    WHV_EMULATOR_HANDLE Emulator;
    hr = WHvEmulatorCreateEmulator(&Callbacks, &Emulator);

    for (;;) {
        WHV_RUN_VP_EXIT_CONTEXT exitContext;
        hr = WHvRunVirtualProcessor(h, 0, &exitContext, sizeof(exitContext));
        if (FAILED(hr)) {
            break;
        }
        if (exitContext.ExitReason == WHvRunVpExitReasonX64IoPortAccess) {
            WHV_EMULATOR_STATUS Status;
            if (exitContext.IoPortAccess.AccessInfo.IsWrite &&
                exitContext.IoPortAccess.PortNumber == 0x3F8 &&
                exitContext.IoPortAccess.AccessInfo.AccessSize == 1) {
                /* a byte to the serial port */
            }
            hr = WHvEmulatorTryIoEmulation(Emulator, h, &exitContext.VpContext,
                                           &exitContext.IoPortAccess, &Status);
            if (FAILED(hr) || !Status.EmulationSuccessful) {
                break;
            }
        } else if (exitContext.ExitReason == WHvRunVpExitReasonMemoryAccess) {
            WHV_EMULATOR_STATUS Status;
            if (exitContext.MemoryAccess.AccessInfo.AccessType == WHvMemoryAccessWrite &&
                exitContext.MemoryAccess.AccessInfo.GvaValid) {
                /* an MMIO store */
            }
            hr = WHvEmulatorTryMmioEmulation(Emulator, h, &exitContext.VpContext,
                                             &exitContext.MemoryAccess, &Status);
        } else if (exitContext.ExitReason == WHvRunVpExitReasonX64Cpuid) {
            WHV_REGISTER_NAME CpuidNames[5] = {WHvX64RegisterRip, WHvX64RegisterRax,
                                               WHvX64RegisterRbx, WHvX64RegisterRcx,
                                               WHvX64RegisterRdx};
            WHV_REGISTER_VALUE CpuidValues[5];
            CpuidValues[0].Reg64 = exitContext.VpContext.Rip +
                                   exitContext.VpContext.InstructionLength;
            CpuidValues[1].Reg64 = exitContext.CpuidAccess.DefaultResultRax;
            CpuidValues[2].Reg64 = exitContext.CpuidAccess.DefaultResultRbx;
            CpuidValues[3].Reg64 = exitContext.CpuidAccess.DefaultResultRcx;
            CpuidValues[4].Reg64 = exitContext.CpuidAccess.DefaultResultRdx;
            hr = WHvSetVirtualProcessorRegisters(h, 0, CpuidNames, 5, CpuidValues);
        } else if (exitContext.ExitReason == WHvRunVpExitReasonException) {
            if (exitContext.VpException.ExceptionType == WHvX64ExceptionTypeBreakpointTrap &&
                exitContext.VpException.ExceptionInfo.SoftwareException) {
                break;
            }
        } else if (exitContext.ExitReason == WHvRunVpExitReasonX64MsrAccess) {
            if (exitContext.MsrAccess.AccessInfo.IsWrite) {
                (void)exitContext.MsrAccess.MsrNumber;
            }
        } else if (exitContext.ExitReason == WHvRunVpExitReasonCanceled) {
            if (exitContext.CancelReason.CancelReason == WhvRunVpCancelReasonUser) {
                break;
            }
        } else if (exitContext.ExitReason == WHvRunVpExitReasonX64Halt) {
            break;
        }
    }

    WHV_X64_PENDING_INTERRUPTION_REGISTER Pending;
    Pending.AsUINT64 = 0;
    Pending.InterruptionPending = 1;
    Pending.InterruptionType = WHvX64PendingInterrupt;
    Pending.InterruptionVector = 0x20;
    WHV_REGISTER_NAME PendingName = WHvRegisterPendingInterruption;
    WHV_REGISTER_VALUE PendingValue = {.PendingInterruption = Pending};
    hr = WHvSetVirtualProcessorRegisters(h, 0, &PendingName, 1, &PendingValue);

    WHV_INTERRUPT_CONTROL Interrupt;
    memset(&Interrupt, 0, sizeof(Interrupt));
    Interrupt.Type = WHvX64InterruptTypeFixed;
    Interrupt.DestinationMode = WHvX64InterruptDestinationModePhysical;
    Interrupt.TriggerMode = WHvX64InterruptTriggerModeEdge;
    Interrupt.Destination = 0;
    Interrupt.Vector = 0x30;
    hr = WHvRequestInterrupt(h, &Interrupt, sizeof(Interrupt));

    WHV_ACCESS_GPA_CONTROLS Controls = {.CacheType = WHvCacheTypeWriteBack};
    BYTE Buffer[16];
    hr = WHvReadGpaRange(h, 0, 0x1000, Controls, Buffer, sizeof(Buffer));

    if (hr == WHV_E_GPA_RANGE_NOT_FOUND || hr == WHV_E_UNKNOWN_PROPERTY ||
        hr == HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)) {
        hr = E_FAIL;
    }

    WHvEmulatorDestroyEmulator(Emulator);
    WHvDeleteVirtualProcessor(h, 0);
    WHvDeletePartition(h);
    return SUCCEEDED(hr) ? S_OK : hr;
}

/* Every function, taken by address with its Windows type. */
typedef HRESULT (WINAPI *PFN_CREATE)(WHV_PARTITION_HANDLE *);
typedef HRESULT (WINAPI *PFN_RUN)(WHV_PARTITION_HANDLE, UINT32, VOID *, UINT32);
typedef HRESULT (WINAPI *PFN_SYNIC)(WHV_PARTITION_HANDLE, WHV_SYNIC_EVENT_PARAMETERS, BOOL *);
typedef HRESULT (WINAPI *PFN_POWER)(WHV_PARTITION_HANDLE, UINT64, DEVICE_POWER_STATE);
PFN_CREATE const CreatePtr = WHvCreatePartition;
PFN_RUN const RunPtr = WHvRunVirtualProcessor;
PFN_SYNIC const SynicPtr = WHvSignalVirtualProcessorSynicEvent;
PFN_POWER const PowerPtr = WHvSetVpciDevicePowerState;

/* The headers' own C_ASSERT is usable by callers. */
C_ASSERT(sizeof(WHV_RUN_VP_EXIT_CONTEXT) == 224);
C_ASSERT(sizeof(WCHAR) == 2 && sizeof(ULONG) == 4 && sizeof(HRESULT) == 4);
