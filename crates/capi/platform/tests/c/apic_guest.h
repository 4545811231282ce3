/*
 * apic_guest.h -- the guest the interrupt C tests share: a partition with
 * LocalApicEmulationMode X2Apic and VP 0 in long mode with a GDT and an
 * IDT (gates added with set_gate), its code at CODE_GPA. The guests report
 * on port 0x50 (run_to_ready).
 */
#ifndef WINHV_TEST_APIC_GUEST_H
#define WINHV_TEST_APIC_GUEST_H

#include "guest.h"

#define GDT_GPA 0xA000u
#define IDTR_GPA 0xA100u
#define IDT_GPA 0xB000u

/* A 64-bit interrupt gate for `vector` to `handler`. */
static inline void set_gate(TestVm *vm, UINT32 vector, uint64_t handler) {
    uint64_t *gate = (uint64_t *)(vm->ram + IDT_GPA + vector * 16);
    gate[0] = (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
              ((uint64_t)(handler >> 16) << 48);
    gate[1] = 0;
}

/* Creates the partition and VP 0 running `code`; 0 (with a SKIPPED line)
 * where X2Apic emulation is refused. */
static inline int x2apic_vm_create(TestVm *vm, const uint8_t *code, size_t code_len) {
    memset(vm, 0, sizeof *vm);
    WHV_PARTITION_PROPERTY prop;
    memset(&prop, 0, sizeof prop);
    CHECK(WHvCreatePartition(&vm->partition));
    prop.ProcessorCount = 1;
    CHECK(WHvSetPartitionProperty(vm->partition, WHvPartitionPropertyCodeProcessorCount, &prop,
                                  sizeof prop));
    memset(&prop, 0, sizeof prop);
    prop.LocalApicEmulationMode = WHvX64LocalApicEmulationModeX2Apic;
    if (FAILED(WHvSetPartitionProperty(vm->partition,
                                       WHvPartitionPropertyCodeLocalApicEmulationMode, &prop,
                                       sizeof prop))) {
        printf("SKIPPED: LocalApicEmulationMode X2Apic refused here\n");
        return 0;
    }
    CHECK(WHvSetupPartition(vm->partition));
    vm->ram = (uint8_t *)mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(vm->ram != MAP_FAILED);
    uint64_t *pml4 = (uint64_t *)(vm->ram + 0x1000);
    uint64_t *pdpt = (uint64_t *)(vm->ram + 0x2000);
    uint64_t *pd = (uint64_t *)(vm->ram + 0x3000);
    pml4[0] = 0x2000 | 0x3;
    pdpt[0] = 0x3000 | 0x3;
    pd[0] = 0x0 | 0x83;
    memcpy(vm->ram + CODE_GPA, code, code_len);
    /* GDT: null, 0x08 64-bit code, 0x10 data (what enter_long_mode loads). */
    uint64_t *gdt = (uint64_t *)(vm->ram + GDT_GPA);
    gdt[1] = 0x00AF9B000000FFFFull;
    gdt[2] = 0x00CF93000000FFFFull;
    uint16_t limit = 256 * 16 - 1;
    memcpy(vm->ram + IDTR_GPA, &limit, 2);
    uint64_t idt = IDT_GPA;
    memcpy(vm->ram + IDTR_GPA + 2, &idt, 8);
    CHECK(WHvMapGpaRange(vm->partition, vm->ram, 0, RAM_SIZE,
                         WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
                             WHvMapGpaRangeFlagExecute));
    CHECK(WHvCreateVirtualProcessor(vm->partition, 0, 0));
    enter_long_mode(vm);
    WHV_REGISTER_NAME gdtr = WHvX64RegisterGdtr;
    WHV_REGISTER_VALUE g;
    memset(&g, 0, sizeof g);
    g.Table.Base = GDT_GPA;
    g.Table.Limit = 3 * 8 - 1;
    CHECK(WHvSetVirtualProcessorRegisters(vm->partition, 0, &gdtr, 1, &g));
    return 1;
}

#endif
