/*
 * bad_input.c -- every kind of bad argument gets the HRESULT we chose to
 * match Windows (crates/capi/platform/src/lib.rs explains each):
 * NULL required pointers and misaligned WHV_REGISTER_VALUE arrays
 * E_INVALIDARG; forged, NULL and deleted (stale) handles E_HANDLE; exit
 * buffers below the oldest SDK's size WHV_E_INSUFFICIENT_BUFFER, while the
 * old 144-byte size still runs; unsupported functions
 * HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED). When several things are wrong,
 * the arguments answer before the handle and the handle before the
 * partition's state. Without /dev/kvm only the checks that need no
 * partition run.
 */
#include "guest.h"

#include <stdalign.h>

#define NOT_SUPPORTED HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)

static const uint8_t halt[] = {0xf4};

static HRESULT CALLBACK nop_io(VOID *c, WHV_EMULATOR_IO_ACCESS_INFO *a) {
    (void)c, (void)a;
    return S_OK;
}
static HRESULT CALLBACK nop_mem(VOID *c, WHV_EMULATOR_MEMORY_ACCESS_INFO *a) {
    (void)c, (void)a;
    return S_OK;
}

/* A page-aligned source that is never mapped: every call below is refused
 * for its arguments before anything happens. */
static alignas(4096) UINT8 src_page[2 * 4096];

/* Bad arguments answer their own HRESULT whatever the handle -- forged,
 * stale, a partition not yet set up, or one set up: arguments are checked
 * before the handle, and the handle before the partition's state. */
static void arguments_before_handle_and_state(WHV_PARTITION_HANDLE h) {
    UINT8 *src = src_page;
    const WHV_MAP_GPA_RANGE_FLAGS r = WHvMapGpaRangeFlagRead;
    EXPECT_HR(WHvMapGpaRange(h, src + 1, 0, 0x1000, r), E_INVALIDARG); /* unaligned source */
    EXPECT_HR(WHvMapGpaRange(h, NULL, 0, 0x1000, r), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange(h, src, 0x800, 0x1000, r), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange(h, src, 0, 0, r), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange(h, src, 0, 0x1800, r), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange(h, src, ~0xfffull, 0x2000, r), E_INVALIDARG); /* wraps */
    EXPECT_HR(WHvMapGpaRange(h, src, 0, 0x1000, (WHV_MAP_GPA_RANGE_FLAGS)0x100), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange(h, src, 0, 0x1000, WHvMapGpaRangeFlagWrite), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange2(h, (HANDLE)(intptr_t)-1, src + 1, 0, 0x1000, r), E_INVALIDARG);
    /* Before "another process is not supported", too. */
    EXPECT_HR(WHvMapGpaRange2(h, (HANDLE)(intptr_t)1234, src + 1, 0, 0x1000, r), E_INVALIDARG);
    EXPECT_HR(WHvUnmapGpaRange(h, 0x800, 0x1000), E_INVALIDARG);
    EXPECT_HR(WHvUnmapGpaRange(h, 0, 0), E_INVALIDARG);

    WHV_TRANSLATE_GVA_RESULT tr;
    UINT64 gpa = 0;
    EXPECT_HR(WHvTranslateGva(h, 0, 0, (WHV_TRANSLATE_GVA_FLAGS)(1 << 20), &tr, &gpa), E_INVALIDARG);
    EXPECT_HR(WHvTranslateGva(h, 0, 0, WHvTranslateGvaFlagValidateRead, NULL, &gpa), E_INVALIDARG);
    EXPECT_HR(WHvTranslateGva(h, 0, 0, WHvTranslateGvaFlagValidateRead, &tr, NULL), E_INVALIDARG);

    UINT64 bits[2] = {0, 0};
    EXPECT_HR(WHvQueryGpaRangeDirtyBitmap(h, 0x800, 0x1000, bits, 8), E_INVALIDARG);
    EXPECT_HR(WHvQueryGpaRangeDirtyBitmap(h, 0, 0x1000, NULL, 8), E_INVALIDARG);
    EXPECT_HR(WHvQueryGpaRangeDirtyBitmap(h, 0, 0x1000, bits, 4), E_INVALIDARG);
    EXPECT_HR(WHvQueryGpaRangeDirtyBitmap(h, 0, 128 * 0x1000, bits, 8), E_INVALIDARG); /* small */

    WHV_ACCESS_GPA_CONTROLS c;
    c.AsUINT64 = 0;
    EXPECT_HR(WHvReadGpaRange(h, 0, 0, c, NULL, 4), E_INVALIDARG);
    EXPECT_HR(WHvWriteGpaRange(h, 0, 0, c, NULL, 4), E_INVALIDARG);

    UINT8 buf[8] = {0};
    UINT32 written = 0;
    const WHV_PARTITION_PROPERTY_CODE count = WHvPartitionPropertyCodeProcessorCount;
    EXPECT_HR(WHvGetPartitionProperty(h, count, NULL, 4, &written), E_INVALIDARG);
    EXPECT_HR(WHvGetPartitionProperty(h, (WHV_PARTITION_PROPERTY_CODE)0x7777, buf, 8, &written),
              WHV_E_UNKNOWN_PROPERTY);
    EXPECT_HR(WHvGetPartitionProperty(h, count, buf, 2, &written), WHV_E_INSUFFICIENT_BUFFER);
    EXPECT_HR(WHvGetPartitionProperty(h, WHvPartitionPropertyCodeCpuidExitList, buf, 8, &written),
              NOT_SUPPORTED);
    EXPECT_HR(WHvSetPartitionProperty(h, count, NULL, 4), E_INVALIDARG);
    EXPECT_HR(WHvSetPartitionProperty(h, (WHV_PARTITION_PROPERTY_CODE)0x7777, buf, 8),
              WHV_E_UNKNOWN_PROPERTY);
    EXPECT_HR(WHvSetPartitionProperty(h, count, buf, 2), WHV_E_INSUFFICIENT_BUFFER);
    EXPECT_HR(WHvSetPartitionProperty(h, WHvPartitionPropertyCodeMsrActionList, buf, 7),
              E_INVALIDARG); /* not whole entries */

    WHV_VIRTUAL_PROCESSOR_PROPERTY unknown;
    memset(&unknown, 0, sizeof unknown);
    unknown.PropertyCode = (WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE)0x7777;
    EXPECT_HR(WHvCreateVirtualProcessor(h, 0, 1), E_INVALIDARG);
    EXPECT_HR(WHvCreateVirtualProcessor2(h, 0, NULL, 1), E_INVALIDARG);
    EXPECT_HR(WHvCreateVirtualProcessor2(h, 0, &unknown, 1), E_INVALIDARG);
    EXPECT_HR(WHvCancelRunVirtualProcessor(h, 0, 1), E_INVALIDARG);

    WHV_RUN_VP_EXIT_CONTEXT ctx;
    EXPECT_HR(WHvRunVirtualProcessor(h, 0, NULL, sizeof ctx), E_INVALIDARG);
    EXPECT_HR(WHvRunVirtualProcessor(h, 0, &ctx, 0), E_INVALIDARG);
    EXPECT_HR(WHvRunVirtualProcessor(h, 0, &ctx, 143), WHV_E_INSUFFICIENT_BUFFER);

    WHV_REGISTER_NAME rip = WHvX64RegisterRip;
    alignas(16) UINT8 raw[2 * sizeof(WHV_REGISTER_VALUE)];
    WHV_REGISTER_VALUE *misaligned = (WHV_REGISTER_VALUE *)(void *)(raw + 8);
    WHV_REGISTER_VALUE value;
    EXPECT_HR(WHvGetVirtualProcessorRegisters(h, 0, NULL, 1, &value), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(h, 0, &rip, 1, NULL), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(h, 0, &rip, 1, misaligned), E_INVALIDARG);
    EXPECT_HR(WHvSetVirtualProcessorRegisters(h, 0, NULL, 1, &value), E_INVALIDARG);
    EXPECT_HR(WHvSetVirtualProcessorRegisters(h, 0, &rip, 1, misaligned), E_INVALIDARG);
}

/* A property's value is judged against the host behind the handle, but
 * before the partition's state: a value refused here is refused for
 * itself, set up or not. */
static void property_values_before_state(WHV_PARTITION_HANDLE h) {
    UINT32 yes = 1, zero = 0;
    EXPECT_HR(WHvSetPartitionProperty(h, WHvPartitionPropertyCodeProcessorCount, &zero, 4),
              E_INVALIDARG);
    EXPECT_HR(WHvSetPartitionProperty(h, WHvPartitionPropertyCodeSeparateSecurityDomain, &yes, 4),
              WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG);
}

/* Good arguments on a handle that names no partition: E_HANDLE. */
static void good_arguments_bad_handle(WHV_PARTITION_HANDLE h) {
    UINT8 *src = src_page;
    UINT32 n = 1, written = 0;
    UINT64 gpa = 0;
    WHV_TRANSLATE_GVA_RESULT tr;
    WHV_RUN_VP_EXIT_CONTEXT ctx;
    WHV_REGISTER_NAME rip = WHvX64RegisterRip;
    WHV_REGISTER_VALUE value;
    WHV_ACCESS_GPA_CONTROLS c;
    c.AsUINT64 = 0;
    const WHV_PARTITION_PROPERTY_CODE count = WHvPartitionPropertyCodeProcessorCount;
    EXPECT_HR(WHvMapGpaRange(h, src, 0, 0x1000, WHvMapGpaRangeFlagRead), E_HANDLE);
    EXPECT_HR(WHvMapGpaRange2(h, (HANDLE)(intptr_t)1234, src, 0, 0x1000, WHvMapGpaRangeFlagRead),
              E_HANDLE);
    EXPECT_HR(WHvUnmapGpaRange(h, 0, 0x1000), E_HANDLE);
    EXPECT_HR(WHvTranslateGva(h, 0, 0, WHvTranslateGvaFlagValidateRead, &tr, &gpa), E_HANDLE);
    EXPECT_HR(WHvQueryGpaRangeDirtyBitmap(h, 0, 0x1000, NULL, 0), E_HANDLE);
    EXPECT_HR(WHvReadGpaRange(h, 0, 0, c, &n, 4), E_HANDLE);
    EXPECT_HR(WHvWriteGpaRange(h, 0, 0, c, &n, 4), E_HANDLE);
    EXPECT_HR(WHvGetPartitionProperty(h, count, &n, 4, &written), E_HANDLE);
    EXPECT_HR(WHvSetPartitionProperty(h, count, &n, 4), E_HANDLE);
    EXPECT_HR(WHvCreateVirtualProcessor2(h, 0, NULL, 0), E_HANDLE);
    EXPECT_HR(WHvDeleteVirtualProcessor(h, 0), E_HANDLE);
    EXPECT_HR(WHvRunVirtualProcessor(h, 0, &ctx, sizeof ctx), E_HANDLE);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(h, 0, &rip, 1, &value), E_HANDLE);
    EXPECT_HR(WHvSetVirtualProcessorRegisters(h, 0, &rip, 1, &value), E_HANDLE);
}

/* Checks that need no partition (and so no /dev/kvm). */
static void without_partition(void) {
    const WHV_PARTITION_HANDLE forged[] = {0, (WHV_PARTITION_HANDLE)1,
                                           (WHV_PARTITION_HANDLE)0x1234,
                                           (WHV_PARTITION_HANDLE)-1};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        WHV_PARTITION_HANDLE h = forged[i];
        EXPECT_HR(WHvSetupPartition(h), E_HANDLE);
        EXPECT_HR(WHvDeletePartition(h), E_HANDLE);
        EXPECT_HR(WHvResetPartition(h), E_HANDLE);
        EXPECT_HR(WHvCreateVirtualProcessor(h, 0, 0), E_HANDLE);
        EXPECT_HR(WHvCancelRunVirtualProcessor(h, 0, 0), E_HANDLE);
        EXPECT_HR(WHvSuspendPartitionTime(h), E_HANDLE);
        /* Interrupts: a NULL request is a bad argument first (below). */
        EXPECT_HR(WHvRequestInterrupt(h, NULL, 0), E_INVALIDARG);
        arguments_before_handle_and_state(h);
        good_arguments_bad_handle(h);
    }
    EXPECT_HR(WHvCreatePartition(NULL), E_INVALIDARG);

    UINT32 written = 0;
    UINT32 present = 0;
    EXPECT_HR(WHvGetCapability(WHvCapabilityCodeHypervisorPresent, NULL, 4, &written),
              E_INVALIDARG);
    EXPECT_HR(WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &present, 2, &written),
              WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(written == 4); /* the size needed */
    EXPECT_HR(WHvGetCapability((WHV_CAPABILITY_CODE)0x7777, &present, 4, &written),
              WHV_E_UNKNOWN_CAPABILITY);
    CHECK(WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &present, 4, NULL));

    /* Functions that take no partition. */
    HANDLE h = NULL;
    WHV_PARTITION_HANDLE p = 0;
    EXPECT_HR(WHvAllocateVpciResource(NULL, WHvAllocateVpciResourceFlagNone, NULL, 0, &h),
              NOT_SUPPORTED);
    EXPECT_HR(WHvAcceptPartitionMigration(NULL, &p), NOT_SUPPORTED);

    /* The emulator. */
    WHV_EMULATOR_HANDLE e = NULL;
    WHV_EMULATOR_CALLBACKS cbs;
    memset(&cbs, 0, sizeof cbs);
    EXPECT_HR(WHvEmulatorCreateEmulator(NULL, &e), E_INVALIDARG);
    cbs.Size = sizeof cbs;
    EXPECT_HR(WHvEmulatorCreateEmulator(&cbs, &e), E_INVALIDARG); /* no callbacks */
    cbs.WHvEmulatorIoPortCallback = nop_io;
    cbs.WHvEmulatorMemoryCallback = nop_mem;
    cbs.WHvEmulatorGetVirtualProcessorRegisters = cb_get;
    cbs.WHvEmulatorSetVirtualProcessorRegisters = cb_set;
    cbs.WHvEmulatorTranslateGvaPage = cb_translate;
    cbs.Size = 8;
    EXPECT_HR(WHvEmulatorCreateEmulator(&cbs, &e), E_INVALIDARG); /* bad Size */
    cbs.Size = sizeof cbs;
    EXPECT_HR(WHvEmulatorCreateEmulator(&cbs, NULL), E_INVALIDARG);
    CHECK(WHvEmulatorCreateEmulator(&cbs, &e));
    WHV_VP_EXIT_CONTEXT vp;
    WHV_X64_IO_PORT_ACCESS_CONTEXT io;
    WHV_EMULATOR_STATUS status;
    memset(&vp, 0, sizeof vp);
    memset(&io, 0, sizeof io);
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, NULL, &io, &status), E_INVALIDARG);
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, NULL, &status), E_INVALIDARG);
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, &io, NULL), E_INVALIDARG);
    io.InstructionByteCount = 17; /* malformed: more than 16 bytes */
    io.AccessInfo.AccessSize = 1;
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, &io, &status), E_INVALIDARG);
    io.InstructionByteCount = 1;
    io.AccessInfo.AccessSize = 3; /* malformed: no port access has 3 bytes */
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, &io, &status), E_INVALIDARG);
    WHV_MEMORY_ACCESS_CONTEXT mmio;
    memset(&mmio, 0, sizeof mmio);
    mmio.InstructionByteCount = 17;
    EXPECT_HR(WHvEmulatorTryMmioEmulation(e, NULL, &vp, &mmio, &status), E_INVALIDARG);
    CHECK(WHvEmulatorDestroyEmulator(e));
    /* Stale and forged emulator handles; arguments are checked first. */
    EXPECT_HR(WHvEmulatorDestroyEmulator(e), E_HANDLE);
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, &io, &status), E_INVALIDARG);
    EXPECT_HR(WHvEmulatorTryMmioEmulation(e, NULL, &vp, &mmio, &status), E_INVALIDARG);
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, &io, NULL), E_INVALIDARG);
    /* A zeroed access info is well-formed: the stale handle answers. */
    memset(&io, 0, sizeof io);
    io.InstructionByteCount = 1;
    io.InstructionBytes[0] = 0xEE; /* out dx, al */
    EXPECT_HR(WHvEmulatorTryIoEmulation(e, NULL, &vp, &io, &status), E_HANDLE);
    mmio.InstructionByteCount = 0;
    EXPECT_HR(WHvEmulatorTryMmioEmulation(e, NULL, &vp, &mmio, &status), E_HANDLE);
    EXPECT_HR(WHvEmulatorDestroyEmulator(NULL), E_HANDLE);
    EXPECT_HR(WHvEmulatorDestroyEmulator(&cbs), E_HANDLE);
    printf("ok: checks without a partition\n");
}

/* Every unsupported export on a valid partition. */
static void unsupported(WHV_PARTITION_HANDLE p) {
    UINT32 n = 0;
    UINT8 buf[512];
    HANDLE h = NULL;
    WHV_TRIGGER_HANDLE trigger = NULL;
    WHV_NOTIFICATION_PORT_HANDLE port = NULL;
    WHV_VPCI_INTERRUPT_TARGET target;
    WHV_VPCI_DEVICE_NOTIFICATION notification;
    WHV_VPCI_MMIO_MAPPING *mappings = NULL;
    WHV_SYNIC_EVENT_PARAMETERS event;
    BOOL newly = FALSE;
    UINT64 msi_address = 0;
    UINT32 msi_data = 0;
    memset(&event, 0, sizeof event);
    memset(&target, 0, sizeof target);
    /* The SynIC exports check their arguments first (synic_guest.c runs them). */
    event.Reserved = 1; /* TargetVtl */
    EXPECT_HR(WHvSignalVirtualProcessorSynicEvent(p, event, &newly), E_INVALIDARG);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(p, 0, 0, buf, 0), E_INVALIDARG);
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent(p, NULL, NULL), NOT_SUPPORTED);
    EXPECT_HR(WHvUnregisterPartitionDoorbellEvent(p, NULL), NOT_SUPPORTED);
    EXPECT_HR(WHvStartPartitionMigration(p, &h), NOT_SUPPORTED);
    EXPECT_HR(WHvCancelPartitionMigration(p), NOT_SUPPORTED);
    EXPECT_HR(WHvCompletePartitionMigration(p), NOT_SUPPORTED);
    EXPECT_HR(WHvCreateVpciDevice(p, 1, NULL, WHvCreateVpciDeviceFlagNone, NULL), NOT_SUPPORTED);
    EXPECT_HR(WHvDeleteVpciDevice(p, 1), NOT_SUPPORTED);
    EXPECT_HR(WHvGetVpciDeviceProperty(p, 1, WHvVpciDevicePropertyCodeHardwareIDs, buf, sizeof buf, &n), NOT_SUPPORTED);
    EXPECT_HR(WHvGetVpciDeviceNotification(p, 1, &notification, sizeof notification), NOT_SUPPORTED);
    EXPECT_HR(WHvMapVpciDeviceMmioRanges(p, 1, &n, &mappings), NOT_SUPPORTED);
    EXPECT_HR(WHvUnmapVpciDeviceMmioRanges(p, 1), NOT_SUPPORTED);
    EXPECT_HR(WHvSetVpciDevicePowerState(p, 1, PowerDeviceD0), NOT_SUPPORTED);
    EXPECT_HR(WHvReadVpciDeviceRegister(p, 1, NULL, buf), NOT_SUPPORTED);
    EXPECT_HR(WHvWriteVpciDeviceRegister(p, 1, NULL, buf), NOT_SUPPORTED);
    EXPECT_HR(WHvMapVpciDeviceInterrupt(p, 1, 0, 1, &target, &msi_address, &msi_data), NOT_SUPPORTED);
    EXPECT_HR(WHvUnmapVpciDeviceInterrupt(p, 1, 0), NOT_SUPPORTED);
    EXPECT_HR(WHvRetargetVpciDeviceInterrupt(p, 1, 0, 0, &target), NOT_SUPPORTED);
    EXPECT_HR(WHvRequestVpciDeviceInterrupt(p, 1, 0, 0), NOT_SUPPORTED);
    EXPECT_HR(WHvGetVpciDeviceInterruptTarget(p, 1, 0, 0, &target, sizeof target, &n), NOT_SUPPORTED);
    EXPECT_HR(WHvCreateTrigger(p, NULL, &trigger, &h), NOT_SUPPORTED);
    EXPECT_HR(WHvUpdateTriggerParameters(p, NULL, trigger), NOT_SUPPORTED);
    EXPECT_HR(WHvDeleteTrigger(p, trigger), NOT_SUPPORTED);
    EXPECT_HR(WHvCreateNotificationPort(p, NULL, NULL, &port), NOT_SUPPORTED);
    EXPECT_HR(WHvSetNotificationPortProperty(p, port, WHvNotificationPortPropertyPreferredTargetVp, 0), NOT_SUPPORTED);
    EXPECT_HR(WHvDeleteNotificationPort(p, port), NOT_SUPPORTED);
    /* Another process's memory (a page-aligned address: arguments first). */
    EXPECT_HR(WHvMapGpaRange2(p, (HANDLE)(intptr_t)1234, src_page, 0x100000, 0x1000, WHvMapGpaRangeFlagRead), NOT_SUPPORTED);
    printf("ok: unsupported functions\n");
}

/* Windows has no default ProcessorCount: setting a partition up without
 * one fails, and the property reads 0 until it is set. */
static void setup_needs_a_processor_count(void) {
    WHV_PARTITION_HANDLE q = 0;
    UINT32 count = 0xffffffffu, written = 0;
    CHECK(WHvCreatePartition(&q));
    CHECK(WHvGetPartitionProperty(q, WHvPartitionPropertyCodeProcessorCount, &count,
                                  sizeof count, &written));
    REQUIRE(count == 0 && written == 4);
    EXPECT_HR(WHvSetupPartition(q), WHV_E_INVALID_PARTITION_CONFIG);
    EXPECT_HR(WHvCreateVirtualProcessor(q, 0, 0), WHV_E_INVALID_PARTITION_CONFIG);
    /* Not set up: the arguments answer first, then the state. */
    arguments_before_handle_and_state(q);
    property_values_before_state(q);
    EXPECT_HR(WHvMapGpaRange(q, src_page, 0, 0x1000, WHvMapGpaRangeFlagRead),
              WHV_E_INVALID_PARTITION_CONFIG);
    EXPECT_HR(WHvUnmapGpaRange(q, 0, 0x1000), WHV_E_INVALID_PARTITION_CONFIG);
    WHV_PARTITION_PROPERTY prop;
    memset(&prop, 0, sizeof prop);
    prop.ProcessorCount = 1;
    CHECK(WHvSetPartitionProperty(q, WHvPartitionPropertyCodeProcessorCount, &prop,
                                  sizeof prop));
    CHECK(WHvSetupPartition(q));
    CHECK(WHvCreateVirtualProcessor(q, 0, 0));
    CHECK(WHvDeletePartition(q));
    printf("ok: setup needs a processor count\n");
}

/* The interrupt functions (crates/capi/platform/src/interrupts.rs): on the
 * partition without LAPIC emulation `p`, and on one with it. */
#define HV_OPERATION_DENIED ((HRESULT)0xC0350008L) /* ERROR_HV_OPERATION_DENIED */
static void interrupt_arguments(WHV_PARTITION_HANDLE p) {
    WHV_INTERRUPT_CONTROL ic;
    memset(&ic, 0, sizeof ic);
    ic.Type = WHvX64InterruptTypeFixed;
    ic.Vector = 0x40;
    UINT32 vps[4] = {0}, n = 0, written = 0;
    static UINT8 state[4096];
    const WHV_PARTITION_HANDLE forged = (WHV_PARTITION_HANDLE)0x1234;
    EXPECT_HR(WHvRequestInterrupt(forged, &ic, sizeof ic), E_HANDLE);
    /* Arguments before the handle (lib.rs): a bad request, buffer or mode
     * on a forged handle still answers as a bad argument. */
    WHV_INTERRUPT_CONTROL smi = ic;
    smi.Type = 2;
    EXPECT_HR(WHvRequestInterrupt(forged, &smi, sizeof smi), E_INVALIDARG);
    EXPECT_HR(WHvRequestInterrupt(forged, &ic, 8), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(forged, 0, (WHV_INTERRUPT_DESTINATION_MODE)2, vps, 4, &n), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(forged, 1ull << 32, WHvX64InterruptDestinationModePhysical, vps, 4, &n), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(forged, 0, WHvX64InterruptDestinationModePhysical, vps, 4, NULL), E_INVALIDARG);
    written = 0;
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(forged, 0, state, 100, &written), WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(written == 4096);
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState2(forged, 0, state, 100), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(forged, 0, WHvX64InterruptDestinationModePhysical, vps, 4, &n), E_HANDLE);
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(forged, 0, state, sizeof state, &written), E_HANDLE);
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState2(forged, 0, state, sizeof state), E_HANDLE);
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState(forged, 0, state, sizeof state, &written), E_HANDLE);
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState(forged, 0, state, sizeof state), E_HANDLE);

    /* No LAPIC emulation: a Fixed request is accepted (the run loop
     * injects it), an INIT needs an APIC; the rest answers what Microsoft
     * documents for WHvGetInterruptTargetVpSet. */
    EXPECT_HR(WHvRequestInterrupt(p, &ic, sizeof ic), S_OK);
    WHV_INTERRUPT_CONTROL init = ic;
    init.Type = WHvX64InterruptTypeInit;
    EXPECT_HR(WHvRequestInterrupt(p, &init, sizeof init), HV_OPERATION_DENIED);
    EXPECT_HR(WHvRequestInterrupt(p, NULL, sizeof ic), E_INVALIDARG);
    EXPECT_HR(WHvRequestInterrupt(p, &ic, sizeof ic - 1), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(p, 0, WHvX64InterruptDestinationModePhysical, vps, 4, &n), HV_OPERATION_DENIED);
    EXPECT_HR(WHvGetInterruptTargetVpSet(p, 0, WHvX64InterruptDestinationModePhysical, vps, 4, NULL), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(p, 0, state, sizeof state, &written), HV_OPERATION_DENIED);
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState2(p, 0, state, sizeof state), HV_OPERATION_DENIED);

    /* LAPIC emulation (xApic). */
    WHV_PARTITION_HANDLE q = 0;
    WHV_PARTITION_PROPERTY prop;
    CHECK(WHvCreatePartition(&q));
    memset(&prop, 0, sizeof prop);
    prop.ProcessorCount = 2;
    CHECK(WHvSetPartitionProperty(q, WHvPartitionPropertyCodeProcessorCount, &prop, sizeof prop));
    memset(&prop, 0, sizeof prop);
    prop.LocalApicEmulationMode = WHvX64LocalApicEmulationModeXApic;
    if (FAILED(WHvSetPartitionProperty(q, WHvPartitionPropertyCodeLocalApicEmulationMode, &prop, sizeof prop))) {
        printf("SKIPPED: no LAPIC emulation here\n");
        CHECK(WHvDeletePartition(q));
        return;
    }
    EXPECT_HR(WHvRequestInterrupt(q, &ic, sizeof ic), WHV_E_INVALID_PARTITION_CONFIG); /* not set up */
    CHECK(WHvSetupPartition(q));
    CHECK(WHvCreateVirtualProcessor(q, 0, 0));
    CHECK(WHvRequestInterrupt(q, &ic, sizeof ic));
    WHV_INTERRUPT_CONTROL bad = ic;
    bad.Type = 2; /* SMI: not a WHP type */
    EXPECT_HR(WHvRequestInterrupt(q, &bad, sizeof bad), E_INVALIDARG);
    bad = ic;
    bad.Vector = 15;
    EXPECT_HR(WHvRequestInterrupt(q, &bad, sizeof bad), E_INVALIDARG);
    bad = ic;
    bad.Vector = 256;
    EXPECT_HR(WHvRequestInterrupt(q, &bad, sizeof bad), E_INVALIDARG);
    bad = ic;
    bad.DestinationMode = 3;
    EXPECT_HR(WHvRequestInterrupt(q, &bad, sizeof bad), E_INVALIDARG);
    bad = ic;
    bad.TriggerMode = 2;
    EXPECT_HR(WHvRequestInterrupt(q, &bad, sizeof bad), E_INVALIDARG);
    bad = ic;
    bad.Reserved = 1;
    EXPECT_HR(WHvRequestInterrupt(q, &bad, sizeof bad), E_INVALIDARG);
    /* The size of every VP of the partition, not of those that exist. */
    EXPECT_HR(WHvGetInterruptTargetVpSet(q, 0, WHvX64InterruptDestinationModePhysical, vps, 1, &n), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(q, 0, (WHV_INTERRUPT_DESTINATION_MODE)2, vps, 4, &n), E_INVALIDARG);
    EXPECT_HR(WHvGetInterruptTargetVpSet(q, 0, WHvX64InterruptDestinationModePhysical, NULL, 4, &n), E_INVALIDARG);
    CHECK(WHvGetInterruptTargetVpSet(q, 0xff, WHvX64InterruptDestinationModePhysical, vps, 2, &n));
    REQUIRE(n == 1 && vps[0] == 0);
    /* The size protocol of the state functions. */
    written = 0;
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(q, 0, NULL, 0, &written), WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(written == 4096);
    written = 0;
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState(q, 0, state, 1024, &written), WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(written == 4096);
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(q, 0, NULL, sizeof state, &written), E_INVALIDARG);
    CHECK(WHvGetVirtualProcessorInterruptControllerState2(q, 0, state, sizeof state, NULL));
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState2(q, 0, state, 1024), E_INVALIDARG);
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState2(q, 0, NULL, sizeof state), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(q, 1, state, sizeof state, &written), WHV_E_VP_DOES_NOT_EXIST);
    EXPECT_HR(WHvSetVirtualProcessorInterruptControllerState2(q, 1, state, sizeof state), WHV_E_VP_DOES_NOT_EXIST);
    CHECK(WHvSetVirtualProcessorInterruptControllerState2(q, 0, state, sizeof state));
    CHECK(WHvDeletePartition(q));
    printf("ok: interrupt functions\n");
}

static void with_partition(void) {
    TestVm vm;
    vm_create(&vm, halt, sizeof halt);
    WHV_PARTITION_HANDLE p = vm.partition;

    /* Registers: NULL arrays, a misaligned value array, no such VP. */
    WHV_REGISTER_NAME rip = WHvX64RegisterRip;
    alignas(16) UINT8 raw[3 * sizeof(WHV_REGISTER_VALUE)];
    WHV_REGISTER_VALUE *misaligned = (WHV_REGISTER_VALUE *)(void *)(raw + 8);
    WHV_REGISTER_VALUE ok;
    EXPECT_HR(WHvGetVirtualProcessorRegisters(p, 0, NULL, 1, &ok), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(p, 0, &rip, 1, NULL), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(p, 0, &rip, 1, misaligned), E_INVALIDARG);
    EXPECT_HR(WHvSetVirtualProcessorRegisters(p, 0, &rip, 1, misaligned), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(p, 5, &rip, 1, &ok), WHV_E_VP_DOES_NOT_EXIST);
    CHECK(WHvGetVirtualProcessorRegisters(p, 0, &rip, 1, &ok));
    REQUIRE(ok.Reg64 == CODE_GPA);

    /* Properties. */
    UINT32 count = 0, written = 0;
    EXPECT_HR(WHvGetPartitionProperty(p, WHvPartitionPropertyCodeProcessorCount, NULL, 4, &written), E_INVALIDARG);
    CHECK(WHvGetPartitionProperty(p, WHvPartitionPropertyCodeProcessorCount, &count, sizeof count, &written));
    REQUIRE(count == 1 && written == 4);
    EXPECT_HR(WHvSetPartitionProperty(p, WHvPartitionPropertyCodeProcessorCount, NULL, 4), E_INVALIDARG);

    /* Other pointers. */
    EXPECT_HR(WHvCreateVirtualProcessor(p, 0, 1), E_INVALIDARG);
    EXPECT_HR(WHvCreateVirtualProcessor2(p, 0, NULL, 1), E_INVALIDARG);
    WHV_TRANSLATE_GVA_RESULT tr;
    UINT64 gpa = 0;
    EXPECT_HR(WHvTranslateGva(p, 0, 0, WHvTranslateGvaFlagValidateRead, NULL, &gpa), E_INVALIDARG);
    EXPECT_HR(WHvTranslateGva(p, 0, 0, WHvTranslateGvaFlagValidateRead, &tr, NULL), E_INVALIDARG);
    WHV_ACCESS_GPA_CONTROLS c;
    c.AsUINT64 = 0;
    EXPECT_HR(WHvReadGpaRange(p, 0, 0, c, NULL, 4), E_INVALIDARG);
    EXPECT_HR(WHvWriteGpaRange(p, 0, 0, c, NULL, 4), E_INVALIDARG);
    EXPECT_HR(WHvMapGpaRange(p, NULL, 0x100000, 0x1000, WHvMapGpaRangeFlagRead), E_INVALIDARG);

    /* Exit-context buffers. */
    WHV_RUN_VP_EXIT_CONTEXT ctx;
    EXPECT_HR(WHvRunVirtualProcessor(p, 0, NULL, sizeof ctx), E_INVALIDARG);
    EXPECT_HR(WHvRunVirtualProcessor(p, 0, &ctx, 16), WHV_E_INSUFFICIENT_BUFFER);
    EXPECT_HR(WHvRunVirtualProcessor(p, 0, &ctx, 143), WHV_E_INSUFFICIENT_BUFFER);
    EXPECT_HR(WHvRunVirtualProcessor(p, 7, &ctx, sizeof ctx), WHV_E_VP_DOES_NOT_EXIST);
    /* An older SDK's 144-byte context: filled as far as it goes, not past. */
    memset(&ctx, 0xAB, sizeof ctx);
    CHECK(WHvRunVirtualProcessor(p, 0, &ctx, 144));
    REQUIRE(ctx.ExitReason == WHvRunVpExitReasonX64Halt);
    REQUIRE(((UINT8 *)&ctx)[144] == 0xAB && ((UINT8 *)&ctx)[sizeof ctx - 1] == 0xAB);

    unsupported(p);
    arguments_before_handle_and_state(p);
    property_values_before_state(p); /* set up: not "too late" first */
    interrupt_arguments(p);

    /* Delete: the handle goes stale, and stays refused after a new
     * partition is created. */
    CHECK(WHvEmulatorDestroyEmulator(vm.emulator));
    CHECK(WHvDeletePartition(p));
    EXPECT_HR(WHvDeletePartition(p), E_HANDLE);
    EXPECT_HR(WHvSetupPartition(p), E_HANDLE);
    EXPECT_HR(WHvRunVirtualProcessor(p, 0, &ctx, sizeof ctx), E_HANDLE);
    EXPECT_HR(WHvGetVirtualProcessorRegisters(p, 0, &rip, 1, &ok), E_HANDLE);
    EXPECT_HR(WHvGetPartitionCounters(p, WHvPartitionCounterSetMemory, &count, 4, &written), E_HANDLE);
    arguments_before_handle_and_state(p);
    good_arguments_bad_handle(p);
    WHV_PARTITION_HANDLE q = 0;
    CHECK(WHvCreatePartition(&q));
    REQUIRE(q != p);
    EXPECT_HR(WHvSetupPartition(p), E_HANDLE);
    CHECK(WHvDeletePartition(q));
    munmap(vm.ram, RAM_SIZE);
    printf("ok: checks with a partition\n");
}

/* State, time and counters (issue #13), on a partition of their own. */

/* Partition time: suspended and resumed, or, where KVM cannot offset the
 * guest's TSC, refused as unsupported (resuming is then a no-op). */
static void partition_time(WHV_PARTITION_HANDLE p) {
    HRESULT hr = WHvSuspendPartitionTime(p);
    REQUIRE(hr == S_OK || hr == NOT_SUPPORTED);
    CHECK(WHvResumePartitionTime(p));
    CHECK(WHvResumePartitionTime(p));
    printf("ok: partition time (%s)\n", hr == S_OK ? "suspended" : "not supported here");
}

/* Counters: buffers of the SDK's struct size, too small (the size needed
 * is reported), older SDKs' intercept struct, NULL, unknown sets. */
static void counters(WHV_PARTITION_HANDLE p) {
    WHV_PROCESSOR_INTERCEPT_COUNTERS ic;
    WHV_PROCESSOR_RUNTIME_COUNTERS rc;
    WHV_PARTITION_MEMORY_COUNTERS mc;
    UINT32 n = 0;
    CHECK(WHvGetVirtualProcessorCounters(p, 0, WHvProcessorCounterSetIntercepts, &ic, sizeof ic, &n));
    REQUIRE(n == sizeof ic && n == 224 && ic.HaltInstructions.Count >= 1);
    CHECK(WHvGetVirtualProcessorCounters(p, 0, WHvProcessorCounterSetRuntime, &rc, sizeof rc, NULL));
    REQUIRE(rc.TotalRuntime100ns > 0);
    CHECK(WHvGetVirtualProcessorCounters(p, 0, WHvProcessorCounterSetIntercepts, &ic, 176, &n));
    REQUIRE(n == 176);
    n = 0;
    EXPECT_HR(WHvGetVirtualProcessorCounters(p, 0, WHvProcessorCounterSetRuntime, &rc, 8, &n),
              WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(n == sizeof rc);
    EXPECT_HR(WHvGetVirtualProcessorCounters(p, 0, WHvProcessorCounterSetRuntime, NULL, sizeof rc, &n),
              E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorCounters(p, 0, (WHV_PROCESSOR_COUNTER_SET)77, &rc, sizeof rc, &n),
              E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorCounters(p, 3, WHvProcessorCounterSetRuntime, &rc, sizeof rc, &n),
              WHV_E_VP_DOES_NOT_EXIST);
    CHECK(WHvGetPartitionCounters(p, WHvPartitionCounterSetMemory, &mc, sizeof mc, &n));
    REQUIRE(n == sizeof mc && n == 24);
    EXPECT_HR(WHvGetPartitionCounters(p, (WHV_PARTITION_COUNTER_SET)1, &mc, sizeof mc, &n), E_INVALIDARG);
    /* Arguments before the handle. */
    EXPECT_HR(WHvGetPartitionCounters((WHV_PARTITION_HANDLE)0x1234, (WHV_PARTITION_COUNTER_SET)1,
                                      &mc, sizeof mc, &n), E_INVALIDARG);
    EXPECT_HR(WHvGetPartitionCounters((WHV_PARTITION_HANDLE)0x1234, WHvPartitionCounterSetMemory,
                                      &mc, sizeof mc, &n), E_HANDLE);
    printf("ok: counters\n");
}

/* CPUID output: the VP's table (leaf 0's vendor is KVM's), E_POINTER for
 * a NULL output (Microsoft's documented answer), no such VP. */
static void cpuid_output(WHV_PARTITION_HANDLE p) {
    WHV_CPUID_OUTPUT o;
    memset(&o, 0, sizeof o);
    CHECK(WHvGetVirtualProcessorCpuidOutput(p, 0, 0, 0, &o));
    REQUIRE(o.Eax >= 1 && o.Ebx != 0);
    CHECK(WHvGetVirtualProcessorCpuidOutput(p, 0, 1, 0, &o));
    REQUIRE((o.Ebx >> 24) == 0); /* VP 0's initial APIC ID */
    EXPECT_HR(WHvGetVirtualProcessorCpuidOutput(p, 0, 0, 0, NULL), E_POINTER);
    EXPECT_HR(WHvGetVirtualProcessorCpuidOutput((WHV_PARTITION_HANDLE)0x1234, 0, 0, 0, NULL), E_POINTER);
    EXPECT_HR(WHvGetVirtualProcessorCpuidOutput((WHV_PARTITION_HANDLE)0x1234, 0, 0, 0, &o), E_HANDLE);
    EXPECT_HR(WHvGetVirtualProcessorCpuidOutput(p, 9, 0, 0, &o), WHV_E_VP_DOES_NOT_EXIST);
    printf("ok: CPUID output\n");
}

/* GPA range advice: the RAM populated and pinned; arguments checked before
 * the handle, then holes. */
static void advise(WHV_PARTITION_HANDLE p) {
    WHV_MEMORY_RANGE_ENTRY r = {0, RAM_SIZE};
    WHV_ADVISE_GPA_RANGE advice;
    memset(&advice, 0, sizeof advice);
    advice.Populate.AccessType = WHvMemoryAccessWrite;
    CHECK(WHvAdviseGpaRange(p, &r, 1, WHvAdviseGpaRangeCodePopulate, &advice, sizeof advice));
    HRESULT pin = WHvAdviseGpaRange(p, &r, 1, WHvAdviseGpaRangeCodePin, NULL, 0);
    REQUIRE(pin == S_OK || pin == E_OUTOFMEMORY || pin == E_ACCESSDENIED);
    CHECK(WHvAdviseGpaRange(p, &r, 1, WHvAdviseGpaRangeCodeUnpin, NULL, 0));
    EXPECT_HR(WHvAdviseGpaRange(p, NULL, 1, WHvAdviseGpaRangeCodePin, NULL, 0), E_INVALIDARG);
    EXPECT_HR(WHvAdviseGpaRange(p, &r, 1, WHvAdviseGpaRangeCodePopulate, &advice, 4), E_INVALIDARG);
    EXPECT_HR(WHvAdviseGpaRange(p, &r, 1, (WHV_ADVISE_GPA_RANGE_CODE)9, NULL, 0), E_INVALIDARG);
    EXPECT_HR(WHvAdviseGpaRange((WHV_PARTITION_HANDLE)0x1234, &r, 1, (WHV_ADVISE_GPA_RANGE_CODE)9, NULL, 0),
              E_INVALIDARG);
    EXPECT_HR(WHvAdviseGpaRange((WHV_PARTITION_HANDLE)0x1234, &r, 1, WHvAdviseGpaRangeCodePin, NULL, 0),
              E_HANDLE);
    r.GuestAddress = 0x100000; /* unmapped */
    EXPECT_HR(WHvAdviseGpaRange(p, &r, 1, WHvAdviseGpaRangeCodePin, NULL, 0), WHV_E_GPA_RANGE_NOT_FOUND);
    printf("ok: GPA range advice (pin %s)\n", pin == S_OK ? "done" : "refused here");
}

/* VP state: the XSAVE block sized by a first call without a buffer, read
 * and written back; SynIC state not supported yet. */
static void vp_state(WHV_PARTITION_HANDLE p) {
    UINT32 size = 0;
    UINT8 small[8];
    EXPECT_HR(WHvGetVirtualProcessorState(p, 0, WHvVirtualProcessorStateTypeXsaveState, small, 0, &size),
              WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(size >= 576);
    UINT8 *state = malloc(size);
    UINT32 n = 0;
    CHECK(WHvGetVirtualProcessorState(p, 0, WHvVirtualProcessorStateTypeXsaveState, state, size, &n));
    REQUIRE(n == size);
    CHECK(WHvSetVirtualProcessorState(p, 0, WHvVirtualProcessorStateTypeXsaveState, state, size));
    free(state);
    EXPECT_HR(WHvGetVirtualProcessorState(p, 0, WHvVirtualProcessorStateTypeSynicTimerState, small, sizeof small, &n),
              NOT_SUPPORTED);
    EXPECT_HR(WHvSetVirtualProcessorState(p, 0, WHvVirtualProcessorStateTypeSynicMessagePage, small, sizeof small),
              NOT_SUPPORTED);
    EXPECT_HR(WHvGetVirtualProcessorState(p, 0, WHvVirtualProcessorStateTypeXsaveState, NULL, 16, &n), E_INVALIDARG);
    EXPECT_HR(WHvGetVirtualProcessorState((WHV_PARTITION_HANDLE)0x1234, 0, WHvVirtualProcessorStateTypeXsaveState,
                                          small, sizeof small, &n), E_HANDLE);
    printf("ok: VP state\n");
}

static void state_functions(void) {
    TestVm vm;
    vm_create(&vm, halt, sizeof halt);
    WHV_PARTITION_HANDLE p = vm.partition;
    WHV_RUN_VP_EXIT_CONTEXT ctx;
    CHECK(WHvRunVirtualProcessor(p, 0, &ctx, sizeof ctx));
    REQUIRE(ctx.ExitReason == WHvRunVpExitReasonX64Halt);
    partition_time(p);
    counters(p);
    cpuid_output(p);
    advise(p);
    vp_state(p);
    CHECK(WHvEmulatorDestroyEmulator(vm.emulator));
    CHECK(WHvDeletePartition(p));
    EXPECT_HR(WHvResumePartitionTime(p), E_HANDLE);
    munmap(vm.ram, RAM_SIZE);
}

int main(void) {
    without_partition();
    if (have_kvm()) {
        setup_needs_a_processor_count();
        with_partition();
        state_functions();
    }
    printf("PASS\n");
    return 0;
}
