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

#define GDT_GPA 0xA000u
#define IDTR_GPA 0xA100u
#define IDT_GPA 0xB000u
#define HANDLER_GPA 0x5000u
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
    /* loop: */
    0xfa,                                     /* cli */
    0xe6, 0x50,                               /* out 0x50, al: ready */
    0xfb,                                     /* sti */
    0xf4,                                     /* hlt: the interrupt ends it */
    0xeb, 0xf9,                               /* jmp loop */
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

/* Runs VP 0 to its next OUT to port 0x50 and steps over it. */
static void run_to_ready(TestVm *vm) {
    WHV_RUN_VP_EXIT_CONTEXT ctx;
    CHECK(WHvRunVirtualProcessor(vm->partition, 0, &ctx, sizeof ctx));
    if (ctx.ExitReason != WHvRunVpExitReasonX64IoPortAccess ||
        ctx.IoPortAccess.PortNumber != 0x50) {
        fprintf(stderr, "unexpected exit 0x%x at RIP 0x%llx\n", (unsigned)ctx.ExitReason,
                (unsigned long long)ctx.VpContext.Rip);
        exit(1);
    }
    WHV_REGISTER_NAME rip = WHvX64RegisterRip;
    WHV_REGISTER_VALUE v;
    v.Reg64 = ctx.VpContext.Rip + ctx.VpContext.InstructionLength;
    CHECK(WHvSetVirtualProcessorRegisters(vm->partition, 0, &rip, 1, &v));
}

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
    memset(&vm, 0, sizeof vm);
    WHV_PARTITION_PROPERTY prop;
    memset(&prop, 0, sizeof prop);
    CHECK(WHvCreatePartition(&vm.partition));
    prop.ProcessorCount = 1;
    CHECK(WHvSetPartitionProperty(vm.partition, WHvPartitionPropertyCodeProcessorCount, &prop,
                                  sizeof prop));
    memset(&prop, 0, sizeof prop);
    prop.LocalApicEmulationMode = WHvX64LocalApicEmulationModeX2Apic;
    if (FAILED(WHvSetPartitionProperty(vm.partition,
                                       WHvPartitionPropertyCodeLocalApicEmulationMode, &prop,
                                       sizeof prop))) {
        printf("SKIPPED: LocalApicEmulationMode X2Apic refused here\n");
        return 0;
    }
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
    /* GDT: null, 0x08 64-bit code, 0x10 data (what enter_long_mode loads). */
    uint64_t *gdt = (uint64_t *)(vm.ram + GDT_GPA);
    gdt[1] = 0x00AF9B000000FFFFull;
    gdt[2] = 0x00CF93000000FFFFull;
    /* IDT: vector 0x40, a 64-bit interrupt gate to the handler. */
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
