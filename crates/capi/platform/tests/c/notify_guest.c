/*
 * notify_guest.c -- doorbells and triggers the way a Windows VMM uses
 * them, with an eventfd where Windows has an event HANDLE: the VMM
 * registers a doorbell on an MMIO address the guest writes (its event is
 * signalled, the write causes no exit), creates a trigger for vector 0x40
 * (signalling the returned event interrupts the guest, no call needed),
 * re-targets it, and checks the HRESULTs of conflicting doorbells,
 * unknown ones, bad event handles, NULL pointers and handles deleted
 * twice. Partition: LocalApicEmulationMode X2Apic, VP 0 in long mode
 * with an IDT whose vector 0x40 and 0x41 handlers count in RAM and EOI.
 */
#include "apic_guest.h"

#include <sys/eventfd.h>
#include <unistd.h>

#define HANDLER_GPA 0x5000u
#define HANDLER2_GPA 0x5100u
#define VECTOR 0x40u
#define DOORBELL_GPA 0x100000u

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
    0xc7, 0x04, 0x25, 0x00, 0x00, 0x10, 0x00, 0x34, 0x12, 0x00, 0x00,
                                              /* mov dword [DOORBELL_GPA], 0x1234 */
    0xe6, 0x50,                               /* out 0x50, al: ready */
    0xfb,                                     /* sti */
    0xf4,                                     /* hlt: the interrupt ends it */
    0xeb, 0xee,                               /* jmp loop */
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

/* The same, counting at DATA_GPA + 4 (vector 0x41). */
static const uint8_t handler2[] = {
    0x50, 0x51, 0x52,                         /* push rax, rcx, rdx */
    0xff, 0x04, 0x25, 0x04, 0x90, 0x00, 0x00, /* inc dword [DATA_GPA + 4] */
    0xb9, 0x0b, 0x08, 0x00, 0x00,             /* mov ecx, x2APIC EOI */
    0x31, 0xc0,                               /* xor eax, eax */
    0x31, 0xd2,                               /* xor edx, edx */
    0x0f, 0x30,                               /* wrmsr */
    0x5a, 0x59, 0x58,                         /* pop rdx, rcx, rax */
    0x48, 0xcf,                               /* iretq */
};

/* SetEvent, on Linux. */
static void set_event(HANDLE event) {
    uint64_t one = 1;
    REQUIRE(write((int)(intptr_t)event, &one, sizeof one) == sizeof one);
}

/* How many times the event was signalled since the last call. */
static uint64_t event_count(int fd) {
    uint64_t n = 0;
    if (read(fd, &n, sizeof n) != sizeof n) {
        return 0;
    }
    return n;
}

static WHV_TRIGGER_PARAMETERS fixed_trigger(UINT32 vector) {
    WHV_TRIGGER_PARAMETERS t;
    memset(&t, 0, sizeof t);
    t.TriggerType = WHvTriggerTypeInterrupt;
    t.Interrupt.Type = WHvX64InterruptTypeFixed;
    t.Interrupt.DestinationMode = WHvX64InterruptDestinationModePhysical;
    t.Interrupt.TriggerMode = WHvX64InterruptTriggerModeEdge;
    t.Interrupt.Destination = 0;
    t.Interrupt.Vector = vector;
    return t;
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    TestVm vm;
    if (!x2apic_vm_create(&vm, code, sizeof code)) {
        return 0;
    }
    /* Vectors 0x40 and 0x41: counting handlers. */
    memcpy(vm.ram + HANDLER_GPA, handler, sizeof handler);
    memcpy(vm.ram + HANDLER2_GPA, handler2, sizeof handler2);
    set_gate(&vm, VECTOR, HANDLER_GPA);
    set_gate(&vm, VECTOR + 1, HANDLER2_GPA);

    volatile UINT32 *count = (volatile UINT32 *)(vm.ram + DATA_GPA);
    volatile UINT32 *count2 = (volatile UINT32 *)(vm.ram + DATA_GPA + 4);

    /* The doorbell: the guest's 4-byte write of 0x1234 before each ready. */
    int doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    REQUIRE(doorbell >= 0);
    HANDLE doorbell_event = (HANDLE)(intptr_t)doorbell;
    WHV_DOORBELL_MATCH_DATA match;
    memset(&match, 0, sizeof match);
    match.GuestAddress = DOORBELL_GPA;
    match.Value = 0x1234;
    match.Length = 4;
    match.MatchOnValue = 1;
    match.MatchOnLength = 1;
    CHECK(WHvRegisterPartitionDoorbellEvent(vm.partition, &match, doorbell_event));
    run_to_ready(&vm); /* no MMIO exit before the ready report */
    REQUIRE(event_count(doorbell) == 1);

    /* The trigger: signalling its event interrupts the guest. */
    WHV_TRIGGER_PARAMETERS t = fixed_trigger(VECTOR);
    WHV_TRIGGER_HANDLE trigger = NULL;
    HANDLE trigger_event = NULL;
    CHECK(WHvCreateTrigger(vm.partition, &t, &trigger, &trigger_event));
    REQUIRE(trigger != NULL);
    for (UINT32 i = 1; i <= 3; i++) {
        set_event(trigger_event);
        run_to_ready(&vm);
        REQUIRE(*count == i);
    }
    REQUIRE(event_count(doorbell) == 3);
    printf("ok: 3 trigger signals taken by the guest, 3 doorbell writes without an exit\n");

    /* Re-targeted to vector 0x41. */
    t = fixed_trigger(VECTOR + 1);
    CHECK(WHvUpdateTriggerParameters(vm.partition, &t, trigger));
    set_event(trigger_event);
    run_to_ready(&vm);
    REQUIRE(*count == 3 && *count2 == 1);
    printf("ok: the updated trigger raised vector 0x41\n");

    /* Bad arguments. */
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent(vm.partition, NULL, doorbell_event), E_INVALIDARG);
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent(vm.partition, &match, doorbell_event),
              ERROR_HV_INVALID_PARAMETER);
    WHV_DOORBELL_MATCH_DATA other = match;
    other.GuestAddress = DOORBELL_GPA + 0x100;
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent(vm.partition, &other, (HANDLE)(intptr_t)-1),
              E_HANDLE);
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent(vm.partition, &other, (HANDLE)(intptr_t)0),
              E_HANDLE); /* stdin: no eventfd */
    EXPECT_HR(WHvUnregisterPartitionDoorbellEvent(vm.partition, &other),
              HRESULT_FROM_WIN32(ERROR_NOT_FOUND));
    other.Length = 3;
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent(vm.partition, &other, doorbell_event),
              E_INVALIDARG);
    EXPECT_HR(WHvRegisterPartitionDoorbellEvent((WHV_PARTITION_HANDLE)0x1234, &match,
                                                doorbell_event),
              E_HANDLE);
    EXPECT_HR(WHvCreateTrigger(vm.partition, NULL, &trigger, &trigger_event), E_INVALIDARG);
    EXPECT_HR(WHvCreateTrigger(vm.partition, &t, NULL, &trigger_event), E_INVALIDARG);
    EXPECT_HR(WHvCreateTrigger(vm.partition, &t, &trigger, NULL), E_INVALIDARG);
    WHV_TRIGGER_PARAMETERS bad = fixed_trigger(8); /* a vector below 16 */
    WHV_TRIGGER_HANDLE unused = NULL;
    HANDLE unused_event = NULL;
    EXPECT_HR(WHvCreateTrigger(vm.partition, &bad, &unused, &unused_event), E_INVALIDARG);
    bad.TriggerType = WHvTriggerTypeSynicEvent;
    EXPECT_HR(WHvCreateTrigger(vm.partition, &bad, &unused, &unused_event),
              HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED));
    WHV_NOTIFICATION_PORT_PARAMETERS port;
    memset(&port, 0, sizeof port);
    port.NotificationPortType = WHvNotificationPortTypeDoorbell;
    port.Doorbell = match;
    WHV_NOTIFICATION_PORT_HANDLE port_handle = NULL;
    EXPECT_HR(WHvCreateNotificationPort(vm.partition, &port, doorbell_event, &port_handle),
              ERROR_HV_INVALID_PARAMETER);
    EXPECT_HR(WHvCreateNotificationPort(vm.partition, &port, doorbell_event, NULL), E_INVALIDARG);

    /* Deleted twice. */
    CHECK(WHvDeleteTrigger(vm.partition, trigger));
    EXPECT_HR(WHvDeleteTrigger(vm.partition, trigger), E_HANDLE);
    EXPECT_HR(WHvUpdateTriggerParameters(vm.partition, &t, trigger), E_HANDLE);
    set_event(trigger_event); /* interrupts nothing any more: */
    WHV_INTERRUPT_CONTROL ic = fixed_trigger(VECTOR).Interrupt;
    CHECK(WHvRequestInterrupt(vm.partition, &ic, sizeof ic)); /* this ends the HLT */
    run_to_ready(&vm);
    REQUIRE(*count == 4 && *count2 == 1);
    close((int)(intptr_t)trigger_event); /* the caller's, as on Windows */
    CHECK(WHvUnregisterPartitionDoorbellEvent(vm.partition, &match));
    EXPECT_HR(WHvUnregisterPartitionDoorbellEvent(vm.partition, &match),
              HRESULT_FROM_WIN32(ERROR_NOT_FOUND));
    /* The same doorbell as a notification port, deleted twice. */
    CHECK(WHvCreateNotificationPort(vm.partition, &port, doorbell_event, &port_handle));
    CHECK(WHvSetNotificationPortProperty(vm.partition, port_handle,
                                         WHvNotificationPortPropertyPreferredTargetVp,
                                         WHV_ANY_VP));
    CHECK(WHvDeleteNotificationPort(vm.partition, port_handle));
    EXPECT_HR(WHvDeleteNotificationPort(vm.partition, port_handle), E_HANDLE);
    EXPECT_HR(WHvSetNotificationPortProperty(vm.partition, port_handle,
                                             WHvNotificationPortPropertyPreferredTargetVp, 0),
              E_HANDLE);
    printf("ok: bad arguments get Windows' HRESULTs\n");

    CHECK(WHvDeletePartition(vm.partition));
    close(doorbell);
    munmap(vm.ram, RAM_SIZE);
    printf("PASS\n");
    return 0;
}
