/*
 * io_guest.c -- a 64-bit long-mode guest prints a line through port 0xE9
 * one OUT at a time; every I/O exit is completed by
 * WHvEmulatorTryIoEmulation, whose port callback collects the bytes.
 * Prints "guest said: <text>" and "PASS" when the text is exact.
 */
#include "guest.h"

/* lea rsi,[rip+13]; mov dx,0xE9; L: lodsb; test al,al; je H; out dx,al;
 * jmp L; H: hlt; msg: "Hello from long mode\n\0" */
static const uint8_t code[] = {
    0x48, 0x8d, 0x35, 0x0d, 0x00, 0x00, 0x00, /* 4000 lea rsi,[rip+0x0d] */
    0x66, 0xba, 0xe9, 0x00,                   /* 4007 mov dx,0xe9 */
    0xac,                                     /* 400b lodsb */
    0x84, 0xc0,                               /* 400c test al,al */
    0x74, 0x03,                               /* 400e je 4013 */
    0xee,                                     /* 4010 out dx,al */
    0xeb, 0xf8,                               /* 4011 jmp 400b */
    0xf4,                                     /* 4013 hlt */
    'H', 'e', 'l', 'l', 'o', ' ', 'f', 'r', 'o', 'm', ' ', 'l', 'o', 'n', 'g',
    ' ', 'm', 'o', 'd', 'e', '\n', 0,
};

typedef struct Console {
    char text[64];
    size_t len;
} Console;

static HRESULT console_io(TestVm *vm, WHV_EMULATOR_IO_ACCESS_INFO *a) {
    Console *c = (Console *)vm->device;
    if (a->Port != 0xE9 || a->AccessSize != 1) {
        return E_INVALIDARG;
    }
    if (a->Direction == 0) {
        a->Data = 0xFF;
        return S_OK;
    }
    if (c->len + 1 >= sizeof c->text) {
        return E_OUTOFMEMORY;
    }
    c->text[c->len++] = (char)(a->Data & 0xFF);
    return S_OK;
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    TestVm vm;
    Console console;
    memset(&console, 0, sizeof console);
    vm_create(&vm, code, sizeof code);
    vm.io = console_io;
    vm.device = &console;

    unsigned exits = run_until_halt(&vm);
    printf("guest said: %s", console.text);
    REQUIRE(strcmp(console.text, "Hello from long mode\n") == 0);
    REQUIRE(exits == strlen("Hello from long mode\n"));
    /* HLT is the last instruction: RIP is past it (0x4014). */
    UINT64 rip = get_reg64(&vm, WHvX64RegisterRip);
    REQUIRE(rip == 0x4014);
    REQUIRE((get_reg64(&vm, WHvX64RegisterRax) & 0xFF) == 0);
    vm_destroy(&vm);
    printf("PASS\n");
    return 0;
}
