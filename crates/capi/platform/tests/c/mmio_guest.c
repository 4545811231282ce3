/*
 * mmio_guest.c -- a 64-bit guest reads a device register at GPA 0x100000
 * (outside RAM), adds one and writes the result to the device register at
 * 0x100008; both accesses are completed by WHvEmulatorTryMmioEmulation
 * through the memory callback. Prints "PASS" when the device saw exactly
 * one read and the incremented write, and RAX holds the value.
 */
#include "guest.h"

static const uint8_t code[] = {
    0x8b, 0x04, 0x25, 0x00, 0x00, 0x10, 0x00, /* 4000 mov eax,[0x100000] */
    0xff, 0xc0,                               /* 4007 inc eax */
    0x89, 0x04, 0x25, 0x08, 0x00, 0x10, 0x00, /* 4009 mov [0x100008],eax */
    0xf4,                                     /* 4010 hlt */
};

typedef struct Device {
    unsigned reads, writes;
    uint32_t written;
} Device;

static HRESULT device_mmio(TestVm *vm, WHV_EMULATOR_MEMORY_ACCESS_INFO *a) {
    Device *d = (Device *)vm->device;
    if (a->Direction == 0 && a->GpaAddress == 0x100000 && a->AccessSize == 4) {
        uint32_t v = 0x12345678u;
        memcpy(a->Data, &v, 4);
        d->reads++;
        return S_OK;
    }
    if (a->Direction == 1 && a->GpaAddress == 0x100008 && a->AccessSize == 4) {
        memcpy(&d->written, a->Data, 4);
        d->writes++;
        return S_OK;
    }
    fprintf(stderr, "unexpected MMIO: dir %u gpa 0x%llx size %u\n", a->Direction,
            (unsigned long long)a->GpaAddress, a->AccessSize);
    return E_FAIL;
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    TestVm vm;
    Device dev;
    memset(&dev, 0, sizeof dev);
    vm_create(&vm, code, sizeof code);
    vm.mmio = device_mmio;
    vm.device = &dev;

    unsigned exits = run_until_halt(&vm);
    printf("mmio exits %u, reads %u, writes %u, written 0x%x\n", exits, dev.reads,
           dev.writes, dev.written);
    REQUIRE(exits == 2);
    REQUIRE(dev.reads == 1 && dev.writes == 1);
    REQUIRE(dev.written == 0x12345679u);
    REQUIRE(get_reg64(&vm, WHvX64RegisterRax) == 0x12345679u);
    REQUIRE(get_reg64(&vm, WHvX64RegisterRip) == 0x4011);
    vm_destroy(&vm);
    printf("PASS\n");
    return 0;
}
