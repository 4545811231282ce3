/*
 * synic_guest.c -- the SynIC the way a Windows VMM uses it: a partition
 * with LocalApicEmulationMode X2Apic and the synthetic features
 * HypervisorPresent, Hv1 and AccessSynicRegs; VP 0 in long mode enables
 * its x2APIC, its SIMP and SIEFP pages, SINT 1 with vector 0x50 and
 * SCONTROL, reports ready on port 0x50 with interrupts off, then waits in
 * HLT. The VMM posts messages with WHvPostVirtualProcessorSynicMessage
 * (the guest's handler copies the MessageType, frees the slot and EOIs),
 * finds a busy slot answered with ERROR_HV_OBJECT_IN_USE, signals an
 * event flag with WHvSignalVirtualProcessorSynicEvent (NewlySignaled
 * TRUE, then FALSE), and gets Windows' HRESULTs for bad arguments.
 */
#include "guest.h"

#ifndef ERROR_HV_OBJECT_IN_USE
#define ERROR_HV_OBJECT_IN_USE ((HRESULT)0xC0350019L)
#endif
#ifndef ERROR_HV_INVALID_SYNIC_STATE
#define ERROR_HV_INVALID_SYNIC_STATE ((HRESULT)0xC0350018L)
#endif

#define SIMP_GPA 0xC000u
#define SIEFP_GPA 0xD000u
#define VECTOR 0x50u
#define SINT 1u

#define MOV_ECX(v) 0xb9, (v) & 0xff, ((v) >> 8) & 0xff, ((v) >> 16) & 0xff, ((v) >> 24) & 0xff
#define MOV_EAX(v) 0xb8, (v) & 0xff, ((v) >> 8) & 0xff, ((v) >> 16) & 0xff, ((v) >> 24) & 0xff
#define ABS32(v) (v) & 0xff, ((v) >> 8) & 0xff, 0x00, 0x00

static const uint8_t code[] = {
    MOV_ECX(0x1bu), 0x0f, 0x32,               /* rdmsr IA32_APIC_BASE */
    0x0d, 0x00, 0x0c, 0x00, 0x00,             /* or eax, EN | EXTD */
    0x0f, 0x30,                               /* wrmsr: x2APIC mode */
    MOV_ECX(0x80fu), MOV_EAX(0x1ffu),         /* x2APIC SVR = 0x1ff */
    0x31, 0xd2, 0x0f, 0x30,                   /* xor edx, edx; wrmsr */
    0x0f, 0x01, 0x1c, 0x25, ABS32(IDTR_GPA),  /* lidt [IDTR_GPA] */
    MOV_ECX(0x40000083u), MOV_EAX(SIMP_GPA | 1u), 0x0f, 0x30,  /* SIMP */
    MOV_ECX(0x40000082u), MOV_EAX(SIEFP_GPA | 1u), 0x0f, 0x30, /* SIEFP */
    MOV_ECX(0x40000090u + SINT), MOV_EAX(VECTOR), 0x0f, 0x30,  /* SINT1 */
    MOV_ECX(0x40000080u), MOV_EAX(1u), 0x0f, 0x30,             /* SCONTROL */
    READY_LOOP,
};

static const uint8_t handler[] = {
    0x50, 0x51, 0x52,                         /* push rax, rcx, rdx */
    0x8b, 0x04, 0x25, ABS32(SIMP_GPA + SINT * 256), /* mov eax, [slot] */
    0x89, 0x04, 0x25, ABS32(DATA_GPA + 4),    /* mov [DATA + 4], eax */
    0xff, 0x04, 0x25, ABS32(DATA_GPA),        /* inc dword [DATA] */
    0xc7, 0x04, 0x25, ABS32(SIMP_GPA + SINT * 256), 0, 0, 0, 0, /* free it */
    MOV_ECX(0x80bu),                          /* x2APIC EOI */
    0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30,       /* xor eax, eax; xor edx, edx; wrmsr */
    0x5a, 0x59, 0x58,                         /* pop rdx, rcx, rax */
    0x48, 0xcf,                               /* iretq */
};

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS offered;
    UINT32 written = 0;
    memset(&offered, 0, sizeof offered);
    CHECK(WHvGetCapability(WHvCapabilityCodeSyntheticProcessorFeaturesBanks, &offered,
                           sizeof offered, &written));
    REQUIRE(written == sizeof offered && offered.BanksCount == 1);
    if (!offered.Bank0.AccessSynicRegs) {
        printf("SKIPPED: AccessSynicRegs not offered here\n");
        return 0;
    }
    TestVm vm;
    WHV_PARTITION_PROPERTY prop;
    CHECK(partition_with_lapic(&vm, WHvX64LocalApicEmulationModeX2Apic));
    memset(&prop, 0, sizeof prop);
    prop.SyntheticProcessorFeaturesBanks.BanksCount = 1;
    prop.SyntheticProcessorFeaturesBanks.Bank0.HypervisorPresent = 1;
    prop.SyntheticProcessorFeaturesBanks.Bank0.Hv1 = 1;
    prop.SyntheticProcessorFeaturesBanks.Bank0.AccessSynicRegs = 1;
    CHECK(WHvSetPartitionProperty(vm.partition,
                                  WHvPartitionPropertyCodeSyntheticProcessorFeaturesBanks, &prop,
                                  sizeof prop.SyntheticProcessorFeaturesBanks));
    CHECK(WHvSetupPartition(vm.partition));

    vm_create_with_handler(&vm, code, sizeof code, handler, sizeof handler, VECTOR);

    UINT8 message[WHV_SYNIC_MESSAGE_SIZE];
    memset(message, 0x5a, sizeof message);
    UINT32 type = 0x200;
    memcpy(message, &type, 4);

    /* Before the guest enables its SynIC. */
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, message, 64),
              ERROR_HV_INVALID_SYNIC_STATE);
    volatile UINT32 *count = (volatile UINT32 *)(vm.ram + DATA_GPA);
    run_to_ready(&vm);
    REQUIRE(*count == 0);
    for (UINT32 i = 1; i <= 3; i++) {
        type = 0x200 + i;
        memcpy(message, &type, 4);
        CHECK(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, message, sizeof message));
        run_to_ready(&vm);
        REQUIRE(*count == i);
        REQUIRE(count[1] == type);
    }
    printf("ok: %u messages taken by the guest's handler\n", (unsigned)*count);

    /* The guest has interrupts off now: a second post finds the slot busy. */
    CHECK(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, message, 16));
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, message, 16),
              ERROR_HV_OBJECT_IN_USE);
    run_to_ready(&vm);
    REQUIRE(*count == 4);

    WHV_SYNIC_EVENT_PARAMETERS event;
    memset(&event, 0, sizeof event);
    event.VpIndex = 0;
    event.TargetSint = SINT;
    event.FlagNumber = 9;
    BOOL newly = FALSE;
    CHECK(WHvSignalVirtualProcessorSynicEvent(vm.partition, event, &newly));
    REQUIRE(newly == TRUE);
    CHECK(WHvSignalVirtualProcessorSynicEvent(vm.partition, event, &newly));
    REQUIRE(newly == FALSE);
    CHECK(WHvSignalVirtualProcessorSynicEvent(vm.partition, event, NULL));
    REQUIRE(vm.ram[SIEFP_GPA + SINT * 256 + 1] == 1u << 1);
    run_to_ready(&vm);
    REQUIRE(*count == 5);
    printf("ok: event flag set once, NewlySignaled TRUE then FALSE\n");

    /* Arguments first, then the handle. */
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, message, 0), E_INVALIDARG);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, message, 257), E_INVALIDARG);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, 16, message, 16), E_INVALIDARG);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 0, SINT, NULL, 16), E_INVALIDARG);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage((WHV_PARTITION_HANDLE)(intptr_t)0x7777, 0, SINT,
                                                  NULL, 16), E_INVALIDARG);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage((WHV_PARTITION_HANDLE)(intptr_t)0x7777, 0, SINT,
                                                  message, 16), E_HANDLE);
    EXPECT_HR(WHvPostVirtualProcessorSynicMessage(vm.partition, 1, SINT, message, 16),
              WHV_E_VP_DOES_NOT_EXIST);
    event.Reserved = 1; /* TargetVtl */
    EXPECT_HR(WHvSignalVirtualProcessorSynicEvent(vm.partition, event, &newly), E_INVALIDARG);
    event.Reserved = 0;
    event.FlagNumber = 2048;
    EXPECT_HR(WHvSignalVirtualProcessorSynicEvent(vm.partition, event, &newly), E_INVALIDARG);
    event.FlagNumber = 0;
    event.TargetSint = 16;
    EXPECT_HR(WHvSignalVirtualProcessorSynicEvent(vm.partition, event, &newly), E_INVALIDARG);
    event.TargetSint = SINT;
    EXPECT_HR(WHvSignalVirtualProcessorSynicEvent((WHV_PARTITION_HANDLE)(intptr_t)0x7777, event,
                                                  &newly), E_HANDLE);
    printf("ok: bad arguments\n");

    CHECK(WHvDeletePartition(vm.partition));
    munmap(vm.ram, RAM_SIZE);
    printf("PASS\n");
    return 0;
}
