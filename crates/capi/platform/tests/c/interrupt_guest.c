/*
 * interrupt_guest.c -- interrupts the way a Windows VMM sends them: a
 * partition with LocalApicEmulationMode X2Apic, VP 0 in long mode with a
 * GDT and an IDT whose vector 0x40 handler counts in RAM and signals EOI
 * through the x2APIC EOI MSR. The guest enables its x2APIC, reports ready
 * on port 0x50 with interrupts off, then waits in HLT with them on; the
 * VMM sends a fixed interrupt with WHvRequestInterrupt after each report.
 * Between the two, an interrupt the guest cannot take yet shows in the
 * IRR of the interrupt-controller state, which is saved and restored the
 * way QEMU's whpx-apic.c does (4 KiB buffer), and WHvGetInterruptTarget-
 * VpSet names VP 0 for APIC ID 0.
 */
#include "guest.h"

#define VECTOR 0x40u

static const uint8_t code[] = {
    0xb9, 0x1b, 0x00, 0x00, 0x00,             /* mov ecx, IA32_APIC_BASE */
    0x0f, 0x32,                               /* rdmsr */
    0x0d, 0x00, 0x0c, 0x00, 0x00,             /* or eax, EN | EXTD */
    0x0f, 0x30,                               /* wrmsr: x2APIC mode */
    0xb9, 0x0f, 0x08, 0x00, 0x00,             /* mov ecx, x2APIC SVR */
    0xb8, 0xff, 0x01, 0x00, 0x00,             /* mov eax, 0x1ff */
    0x31, 0xd2,                               /* xor edx, edx */
    0x0f, 0x30,                               /* wrmsr: APIC enabled */
    0x0f, 0x01, 0x1c, 0x25, 0x00, 0xa1, 0x00, 0x00, /* lidt [IDTR_GPA] */
    READY_LOOP,
};

static const uint8_t handler[] = {
    0x50, 0x51, 0x52,                         /* push rax, rcx, rdx */
    0xff, 0x04, 0x25, 0x00, 0x90, 0x00, 0x00, /* inc dword [DATA_GPA] */
    0xb9, 0x0b, 0x08, 0x00, 0x00,             /* mov ecx, x2APIC EOI */
    0x31, 0xc0,                               /* xor eax, eax */
    0x31, 0xd2,                               /* xor edx, edx */
    0x0f, 0x30,                               /* wrmsr */
    0x5a, 0x59, 0x58,                         /* pop rdx, rcx, rax */
    0x48, 0xcf,                               /* iretq */
};

static void request_fixed(TestVm *vm, UINT32 vector) {
    WHV_INTERRUPT_CONTROL ic;
    memset(&ic, 0, sizeof ic);
    ic.Type = WHvX64InterruptTypeFixed;
    ic.DestinationMode = WHvX64InterruptDestinationModePhysical;
    ic.TriggerMode = WHvX64InterruptTriggerModeEdge;
    ic.Destination = 0;
    ic.Vector = vector;
    CHECK(WHvRequestInterrupt(vm->partition, &ic, sizeof ic));
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    TestVm vm;
    if (FAILED(partition_with_lapic(&vm, WHvX64LocalApicEmulationModeX2Apic))) {
        printf("SKIPPED: LocalApicEmulationMode X2Apic refused here\n");
        return 0;
    }
    CHECK(WHvSetupPartition(vm.partition));

    vm_create_with_handler(&vm, code, sizeof code, handler, sizeof handler, VECTOR);

    volatile UINT32 *count = (volatile UINT32 *)(vm.ram + DATA_GPA);
    run_to_ready(&vm);
    REQUIRE(*count == 0);
    for (UINT32 i = 1; i <= 3; i++) {
        request_fixed(&vm, VECTOR);
        run_to_ready(&vm);
        REQUIRE(*count == i);
    }
    printf("ok: %u interrupts taken by the guest's handler\n", (unsigned)*count);

    /* Where APIC ID 0 goes. */
    UINT32 vps[1] = {99}, n = 0;
    CHECK(WHvGetInterruptTargetVpSet(vm.partition, 0, WHvX64InterruptDestinationModePhysical,
                                     vps, 1, &n));
    REQUIRE(n == 1 && vps[0] == 0);

    /* At the ready report the guest has interrupts off: a new interrupt
     * waits in the IRR of the saved state, and is taken after a restore. */
    request_fixed(&vm, VECTOR);
    UINT32 written = 0;
    EXPECT_HR(WHvGetVirtualProcessorInterruptControllerState2(vm.partition, 0, NULL, 0, &written),
              WHV_E_INSUFFICIENT_BUFFER);
    REQUIRE(written == 4096);
    static struct {
        struct {
            uint32_t data;
            uint32_t padding[3];
        } fields[256];
    } lapic;
    CHECK(WHvGetVirtualProcessorInterruptControllerState2(vm.partition, 0, &lapic, sizeof lapic,
                                                          &written));
    REQUIRE(written == sizeof lapic);
    REQUIRE(lapic.fields[0x02].data == 0);             /* x2APIC ID */
    REQUIRE(lapic.fields[0x0f].data == 0x1ff);         /* SVR */
    REQUIRE(lapic.fields[0x20 + VECTOR / 32].data == 1u << (VECTOR % 32)); /* IRR */
    CHECK(WHvSetVirtualProcessorInterruptControllerState2(vm.partition, 0, &lapic,
                                                          sizeof lapic));
    run_to_ready(&vm);
    REQUIRE(*count == 4);
    printf("ok: pending interrupt kept through a state save and restore\n");

    CHECK(WHvDeletePartition(vm.partition));
    munmap(vm.ram, RAM_SIZE);
    printf("PASS\n");
    return 0;
}
