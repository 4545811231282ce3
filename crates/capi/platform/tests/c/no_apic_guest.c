/*
 * no_apic_guest.c -- interrupts the way a Windows VMM without LAPIC
 * emulation (LocalApicEmulationMode None, the default) delivers them: VP 0
 * in long mode with an IDT whose vector 0x40 handler counts in RAM (no
 * EOI: there is no APIC). The guest reports ready on port 0x50 with
 * interrupts off, then waits in HLT with them on.
 *   1. WHvRequestInterrupt with a Fixed interrupt: the guest's HLT takes it
 *      instead of exiting, and the next ready report follows.
 *   2. The VMM's own injection, as QEMU's WHPX does without an in-kernel
 *      APIC: DeliverabilityNotifications.InterruptNotification, the
 *      X64InterruptWindow exit (DeliverableType Interrupt, the bit cleared
 *      afterwards), then WHvRegisterPendingInterruption with the vector.
 *      The handler returns to the HLT, which is the VMM's X64Halt exit.
 *   3. An INIT request answers ERROR_HV_OPERATION_DENIED, and
 *      InternalActivityState cannot be written (ERROR_HV_ACCESS_DENIED).
 */
#include "guest.h"

#define GDT_GPA 0xA000u
#define IDTR_GPA 0xA100u
#define IDT_GPA 0xB000u
#define HANDLER_GPA 0x5000u
#define VECTOR 0x40u
#define HV_OPERATION_DENIED ((HRESULT)0xC0350008L)
#define HV_ACCESS_DENIED ((HRESULT)0xC0350006L)

static const uint8_t code[] = {
    0x0f, 0x01, 0x1c, 0x25, 0x00, 0xa1, 0x00, 0x00, /* lidt [IDTR_GPA] */
    /* loop: */
    0xfa,                                     /* cli */
    0xe6, 0x50,                               /* out 0x50, al: ready */
    0xfb,                                     /* sti */
    0xf4,                                     /* hlt */
    0xeb, 0xf9,                               /* jmp loop */
};

static const uint8_t handler[] = {
    0xff, 0x04, 0x25, 0x00, 0x90, 0x00, 0x00, /* inc dword [DATA_GPA] */
    0x48, 0xcf,                               /* iretq */
};

static WHV_RUN_VP_EXIT_CONTEXT run(TestVm *vm) {
    WHV_RUN_VP_EXIT_CONTEXT ctx;
    CHECK(WHvRunVirtualProcessor(vm->partition, 0, &ctx, sizeof ctx));
    return ctx;
}

static WHV_INTERRUPT_CONTROL request(WHV_INTERRUPT_TYPE type, UINT32 vector) {
    WHV_INTERRUPT_CONTROL ic;
    memset(&ic, 0, sizeof ic);
    ic.Type = type;
    ic.DestinationMode = WHvX64InterruptDestinationModePhysical;
    ic.TriggerMode = WHvX64InterruptTriggerModeEdge;
    ic.Destination = 0;
    ic.Vector = vector;
    return ic;
}

static void set64(TestVm *vm, WHV_REGISTER_NAME name, UINT64 value) {
    WHV_REGISTER_VALUE v;
    memset(&v, 0, sizeof v);
    v.Reg64 = value;
    CHECK(WHvSetVirtualProcessorRegisters(vm->partition, 0, &name, 1, &v));
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    TestVm vm;
    memset(&vm, 0, sizeof vm);
    WHV_PARTITION_PROPERTY prop;
    memset(&prop, 0, sizeof prop);
    CHECK(WHvCreatePartition(&vm.partition));
    prop.ProcessorCount = 1;
    CHECK(WHvSetPartitionProperty(vm.partition, WHvPartitionPropertyCodeProcessorCount, &prop,
                                  sizeof prop));
    CHECK(WHvSetupPartition(vm.partition));

    vm.ram = (uint8_t *)mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(vm.ram != MAP_FAILED);
    uint64_t *pml4 = (uint64_t *)(vm.ram + 0x1000);
    uint64_t *pdpt = (uint64_t *)(vm.ram + 0x2000);
    uint64_t *pd = (uint64_t *)(vm.ram + 0x3000);
    pml4[0] = 0x2000 | 0x3;
    pdpt[0] = 0x3000 | 0x3;
    pd[0] = 0x0 | 0x83;
    memcpy(vm.ram + CODE_GPA, code, sizeof code);
    memcpy(vm.ram + HANDLER_GPA, handler, sizeof handler);
    uint64_t *gdt = (uint64_t *)(vm.ram + GDT_GPA);
    gdt[1] = 0x00AF9B000000FFFFull;
    gdt[2] = 0x00CF93000000FFFFull;
    uint64_t *gate = (uint64_t *)(vm.ram + IDT_GPA + VECTOR * 16);
    gate[0] = (HANDLER_GPA & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
              ((uint64_t)(HANDLER_GPA >> 16) << 48);
    gate[1] = 0;
    uint16_t limit = 256 * 16 - 1;
    memcpy(vm.ram + IDTR_GPA, &limit, 2);
    uint64_t idt = IDT_GPA;
    memcpy(vm.ram + IDTR_GPA + 2, &idt, 8);
    CHECK(WHvMapGpaRange(vm.partition, vm.ram, 0, RAM_SIZE,
                         WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
                             WHvMapGpaRangeFlagExecute));
    CHECK(WHvCreateVirtualProcessor(vm.partition, 0, 0));
    enter_long_mode(&vm);
    WHV_REGISTER_NAME gdtr = WHvX64RegisterGdtr;
    WHV_REGISTER_VALUE g;
    memset(&g, 0, sizeof g);
    g.Table.Base = GDT_GPA;
    g.Table.Limit = 3 * 8 - 1;
    CHECK(WHvSetVirtualProcessorRegisters(vm.partition, 0, &gdtr, 1, &g));

    volatile UINT32 *count = (volatile UINT32 *)(vm.ram + DATA_GPA);
    run_to_ready(&vm);
    REQUIRE(*count == 0);
    /* 1. WHvRequestInterrupt. */
    for (UINT32 i = 1; i <= 3; i++) {
        WHV_INTERRUPT_CONTROL ic = request(WHvX64InterruptTypeFixed, VECTOR);
        CHECK(WHvRequestInterrupt(vm.partition, &ic, sizeof ic));
        run_to_ready(&vm);
        REQUIRE(*count == i);
    }
    printf("ok: %u requested interrupts taken by the guest's handler\n", (unsigned)*count);

    /* 2. The interrupt window and the VMM's own injection. */
    set64(&vm, WHvX64RegisterDeliverabilityNotifications, 2);
    WHV_RUN_VP_EXIT_CONTEXT ctx = run(&vm);
    REQUIRE(ctx.ExitReason == WHvRunVpExitReasonX64InterruptWindow);
    REQUIRE(ctx.InterruptWindow.DeliverableType == WHvX64PendingInterrupt);
    REQUIRE(get_reg64(&vm, WHvX64RegisterDeliverabilityNotifications) == 0);
    set64(&vm, WHvRegisterPendingInterruption, 1 | ((UINT64)VECTOR << 16));
    ctx = run(&vm);
    REQUIRE(ctx.ExitReason == WHvRunVpExitReasonX64Halt);
    REQUIRE(*count == 4);
    run_to_ready(&vm);
    printf("ok: interrupt window, injection, then the guest's HLT\n");

    /* 3. What needs an APIC. */
    WHV_INTERRUPT_CONTROL init = request(WHvX64InterruptTypeInit, 0);
    EXPECT_HR(WHvRequestInterrupt(vm.partition, &init, sizeof init), HV_OPERATION_DENIED);
    WHV_REGISTER_NAME activity = WHvRegisterInternalActivityState;
    WHV_REGISTER_VALUE zero;
    memset(&zero, 0, sizeof zero);
    EXPECT_HR(WHvSetVirtualProcessorRegisters(vm.partition, 0, &activity, 1, &zero),
              HV_ACCESS_DENIED);

    CHECK(WHvDeletePartition(vm.partition));
    munmap(vm.ram, RAM_SIZE);
    printf("PASS\n");
    return 0;
}
