/*
 * io_zeroed_access_info.c -- every I/O exit is handed to
 * WHvEmulatorTryIoEmulation with only the instruction bytes: AccessInfo,
 * PortNumber, RAX/RCX/RSI/RDI and DS/ES zeroed. The emulator decodes each
 * instruction, as Windows' does: port from DX or the imm8, size and
 * direction from the opcode, registers through the callback. The guest
 * writes "AB" and reads two ports; prints "PASS" when all went right.
 */
#include "guest.h"

static const uint8_t code[] = {
    0x66, 0xba, 0xe9, 0x00, /* 4000 mov dx, 0xe9 */
    0xb0, 'A',              /* 4004 mov al, 'A' */
    0xee,                   /* 4006 out dx, al */
    0xb0, 'B',              /* 4007 mov al, 'B' */
    0xe6, 0xe9,             /* 4009 out 0xe9, al */
    0xec,                   /* 400b in al, dx */
    0x88, 0xc3,             /* 400c mov bl, al */
    0xe5, 0x80,             /* 400e in eax, 0x80 */
    0xf4,                   /* 4010 hlt */
};

typedef struct Device {
    char text[8];
    size_t len;
    unsigned reads;
} Device;

static HRESULT device_io(TestVm *vm, WHV_EMULATOR_IO_ACCESS_INFO *a) {
    Device *d = (Device *)vm->device;
    if (a->Direction == 1) {
        if (a->Port != 0xE9 || a->AccessSize != 1 || d->len + 1 >= sizeof d->text) {
            return E_INVALIDARG;
        }
        d->text[d->len++] = (char)(a->Data & 0xFF);
        return S_OK;
    }
    d->reads++;
    if (a->Port == 0xE9 && a->AccessSize == 1) {
        a->Data = 0x5A;
        return S_OK;
    }
    if (a->Port == 0x80 && a->AccessSize == 4) {
        a->Data = 0x12345678;
        return S_OK;
    }
    return E_INVALIDARG;
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    TestVm vm;
    Device device;
    memset(&device, 0, sizeof device);
    vm_create(&vm, code, sizeof code);
    vm.io = device_io;
    vm.device = &device;
    vm.zero_io_access_info = 1;

    unsigned exits = run_until_halt(&vm);
    REQUIRE(exits == 4);
    REQUIRE(strcmp(device.text, "AB") == 0);
    REQUIRE(device.reads == 2);
    REQUIRE((get_reg64(&vm, WHvX64RegisterRbx) & 0xFF) == 0x5A);
    REQUIRE(get_reg64(&vm, WHvX64RegisterRax) == 0x12345678);
    REQUIRE(get_reg64(&vm, WHvX64RegisterRip) == 0x4011);
    vm_destroy(&vm);
    printf("PASS\n");
    return 0;
}
