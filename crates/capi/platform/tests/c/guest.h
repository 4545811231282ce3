/*
 * guest.h -- what the C client tests share: HRESULT checks, a partition
 * with one VP put straight into 64-bit long mode with registers alone (as
 * Microsoft's samples do), identity-mapped 2 MiB page, and the emulator
 * callbacks that forward to the platform (registers, GVA translation, guest
 * RAM) or to a test's device (port I/O, MMIO).
 *
 * Guest physical layout (64 KiB of RAM at 0):
 *   0x1000 PML4, 0x2000 PDPT, 0x3000 PD (one 2 MiB page at 0),
 *   0x4000 code, 0x5000 interrupt handler, 0x8000 stack top, 0x9000 data,
 *   0xA000 GDT, 0xA100 IDTR image, 0xB000 IDT. Above 64 KiB: unmapped
 *   (MMIO exits).
 */
#ifndef WINHV_TEST_GUEST_H
#define WINHV_TEST_GUEST_H

#include <WinHvPlatform.h>
#include <WinHvEmulation.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE 0x10000u
#define CODE_GPA 0x4000u
#define DATA_GPA 0x9000u

/* Fails the program with a message when hr is not the expected value. */
#define EXPECT_HR(expr, want)                                                   \
    do {                                                                        \
        HRESULT hr_ = (expr);                                                   \
        if (hr_ != (HRESULT)(want)) {                                           \
            fprintf(stderr, "%s:%d: %s = 0x%08X, expected %s = 0x%08X\n",       \
                    __FILE__, __LINE__, #expr, (unsigned)hr_, #want,            \
                    (unsigned)(want));                                          \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

#define CHECK(expr) EXPECT_HR(expr, S_OK)

#define REQUIRE(cond)                                                           \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                           \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

/* A partition, its RAM, and the emulator bound to it. */
typedef struct TestVm {
    WHV_PARTITION_HANDLE partition;
    uint8_t *ram;
    WHV_EMULATOR_HANDLE emulator;
    /* The test's device, called for port I/O and for MMIO outside RAM. */
    HRESULT (*io)(struct TestVm *vm, WHV_EMULATOR_IO_ACCESS_INFO *access);
    HRESULT (*mmio)(struct TestVm *vm, WHV_EMULATOR_MEMORY_ACCESS_INFO *access);
    void *device;
    /* Hand the emulator I/O contexts with only the instruction bytes (the
     * access info, port and registers zeroed), as a VMM that builds its
     * own context does. */
    int zero_io_access_info;
} TestVm;

static inline WHV_X64_SEGMENT_REGISTER segment(UINT16 selector, UINT16 attributes) {
    WHV_X64_SEGMENT_REGISTER s;
    memset(&s, 0, sizeof s);
    s.Base = 0;
    s.Limit = 0xFFFFFFFFu;
    s.Selector = selector;
    s.Attributes = attributes;
    return s;
}

/* Puts VP 0 in 64-bit mode at CODE_GPA with registers only. */
static inline void enter_long_mode(TestVm *vm) {
    static const WHV_REGISTER_NAME names[] = {
        WHvX64RegisterCr0, WHvX64RegisterCr3, WHvX64RegisterCr4,
        WHvX64RegisterEfer, WHvX64RegisterCs, WHvX64RegisterDs,
        WHvX64RegisterEs, WHvX64RegisterSs, WHvX64RegisterFs,
        WHvX64RegisterGs, WHvX64RegisterTr, WHvX64RegisterRip,
        WHvX64RegisterRsp, WHvX64RegisterRflags,
    };
    enum { N = sizeof names / sizeof names[0] };
    WHV_REGISTER_VALUE v[N];
    memset(v, 0, sizeof v);
    v[0].Reg64 = 0x80000031u; /* PG | NE | ET | PE */
    v[1].Reg64 = 0x1000;      /* PML4 */
    v[2].Reg64 = 0x20;        /* PAE */
    v[3].Reg64 = 0x500;       /* LMA | LME */
    v[4].Segment = segment(0x08, 0xA09B); /* G, L, P, S, execute/read */
    v[5].Segment = segment(0x10, 0xC093); /* G, D, P, S, read/write */
    v[6].Segment = segment(0x10, 0xC093);
    v[7].Segment = segment(0x10, 0xC093);
    v[8].Segment = segment(0x10, 0xC093);
    v[9].Segment = segment(0x10, 0xC093);
    v[10].Segment = segment(0x18, 0x008B); /* busy 64-bit TSS */
    v[10].Segment.Limit = 0x67;
    v[11].Reg64 = CODE_GPA;
    v[12].Reg64 = 0x8000;
    v[13].Reg64 = 0x2;
    CHECK(WHvSetVirtualProcessorRegisters(vm->partition, 0, names, N, v));
}

/* The emulator callbacks: registers, translation and RAM go to the
 * platform; port I/O and MMIO to the test's device. */
static inline HRESULT CALLBACK cb_io(VOID *ctx, WHV_EMULATOR_IO_ACCESS_INFO *a) {
    TestVm *vm = (TestVm *)ctx;
    return vm->io ? vm->io(vm, a) : E_FAIL;
}

static inline HRESULT CALLBACK cb_memory(VOID *ctx, WHV_EMULATOR_MEMORY_ACCESS_INFO *a) {
    TestVm *vm = (TestVm *)ctx;
    if (a->GpaAddress + a->AccessSize <= RAM_SIZE) {
        WHV_ACCESS_GPA_CONTROLS c;
        c.AsUINT64 = 0;
        return a->Direction == 0
                   ? WHvReadGpaRange(vm->partition, 0, a->GpaAddress, c, a->Data, a->AccessSize)
                   : WHvWriteGpaRange(vm->partition, 0, a->GpaAddress, c, a->Data, a->AccessSize);
    }
    return vm->mmio ? vm->mmio(vm, a) : E_FAIL;
}

static inline HRESULT CALLBACK cb_get(VOID *ctx, const WHV_REGISTER_NAME *names,
                               UINT32 count, WHV_REGISTER_VALUE *values) {
    TestVm *vm = (TestVm *)ctx;
    return WHvGetVirtualProcessorRegisters(vm->partition, 0, names, count, values);
}

static inline HRESULT CALLBACK cb_set(VOID *ctx, const WHV_REGISTER_NAME *names,
                               UINT32 count, const WHV_REGISTER_VALUE *values) {
    TestVm *vm = (TestVm *)ctx;
    return WHvSetVirtualProcessorRegisters(vm->partition, 0, names, count, values);
}

static inline HRESULT CALLBACK cb_translate(VOID *ctx, WHV_GUEST_VIRTUAL_ADDRESS gva,
                                     WHV_TRANSLATE_GVA_FLAGS flags,
                                     WHV_TRANSLATE_GVA_RESULT_CODE *result,
                                     WHV_GUEST_PHYSICAL_ADDRESS *gpa) {
    TestVm *vm = (TestVm *)ctx;
    WHV_TRANSLATE_GVA_RESULT r;
    HRESULT hr = WHvTranslateGva(vm->partition, 0, gva, flags, &r, gpa);
    if (SUCCEEDED(hr)) {
        *result = r.ResultCode;
    }
    return hr;
}

/* True when this machine has a usable /dev/kvm; prints the skip line when
 * not (the Rust harness checks first too). */
static inline int have_kvm(void) {
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        printf("SKIPPED: no /dev/kvm\n");
        return 0;
    }
    return 1;
}

/* RAM_SIZE bytes of RAM for `vm`, with the page tables: one 2 MiB page
 * identity-mapped at 0. */
static inline void ram_with_page_tables(TestVm *vm) {
    vm->ram = (uint8_t *)mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(vm->ram != MAP_FAILED);
    uint64_t *pml4 = (uint64_t *)(vm->ram + 0x1000);
    uint64_t *pdpt = (uint64_t *)(vm->ram + 0x2000);
    uint64_t *pd = (uint64_t *)(vm->ram + 0x3000);
    pml4[0] = 0x2000 | 0x3;
    pdpt[0] = 0x3000 | 0x3;
    pd[0] = 0x0 | 0x83;
}

/* Creates a set-up partition with one VP in long mode, `code` at CODE_GPA,
 * and an emulator. */
static inline void vm_create(TestVm *vm, const uint8_t *code, size_t code_len) {
    memset(vm, 0, sizeof *vm);
    WHV_PARTITION_PROPERTY prop;
    memset(&prop, 0, sizeof prop);
    prop.ProcessorCount = 1;
    CHECK(WHvCreatePartition(&vm->partition));
    CHECK(WHvSetPartitionProperty(vm->partition, WHvPartitionPropertyCodeProcessorCount,
                                  &prop, sizeof prop));
    CHECK(WHvSetupPartition(vm->partition));
    ram_with_page_tables(vm);
    REQUIRE(code_len <= 0x4000);
    memcpy(vm->ram + CODE_GPA, code, code_len);
    CHECK(WHvMapGpaRange(vm->partition, vm->ram, 0, RAM_SIZE,
                         WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
                             WHvMapGpaRangeFlagExecute));
    CHECK(WHvCreateVirtualProcessor(vm->partition, 0, 0));
    enter_long_mode(vm);

    WHV_EMULATOR_CALLBACKS cbs;
    memset(&cbs, 0, sizeof cbs);
    cbs.Size = sizeof cbs;
    cbs.WHvEmulatorIoPortCallback = cb_io;
    cbs.WHvEmulatorMemoryCallback = cb_memory;
    cbs.WHvEmulatorGetVirtualProcessorRegisters = cb_get;
    cbs.WHvEmulatorSetVirtualProcessorRegisters = cb_set;
    cbs.WHvEmulatorTranslateGvaPage = cb_translate;
    CHECK(WHvEmulatorCreateEmulator(&cbs, &vm->emulator));
}

static inline void vm_destroy(TestVm *vm) {
    CHECK(WHvEmulatorDestroyEmulator(vm->emulator));
    CHECK(WHvDeletePartition(vm->partition));
    munmap(vm->ram, RAM_SIZE);
}

/* Runs VP 0 until HLT, emulating every port I/O and MMIO exit; fails on
 * any other exit. Returns the number of exits emulated. */
static inline unsigned run_until_halt(TestVm *vm) {
    unsigned emulated = 0;
    for (;;) {
        WHV_RUN_VP_EXIT_CONTEXT ctx;
        WHV_EMULATOR_STATUS status;
        CHECK(WHvRunVirtualProcessor(vm->partition, 0, &ctx, sizeof ctx));
        switch (ctx.ExitReason) {
        case WHvRunVpExitReasonX64Halt:
            return emulated;
        case WHvRunVpExitReasonX64IoPortAccess: {
            WHV_X64_IO_PORT_ACCESS_CONTEXT io = ctx.IoPortAccess;
            if (vm->zero_io_access_info) {
                memset(&io, 0, sizeof io);
                io.InstructionByteCount = ctx.IoPortAccess.InstructionByteCount;
                memcpy(io.InstructionBytes, ctx.IoPortAccess.InstructionBytes,
                       sizeof io.InstructionBytes);
            }
            CHECK(WHvEmulatorTryIoEmulation(vm->emulator, vm, &ctx.VpContext, &io, &status));
            break;
        }
        case WHvRunVpExitReasonMemoryAccess:
            CHECK(WHvEmulatorTryMmioEmulation(vm->emulator, vm, &ctx.VpContext,
                                              &ctx.MemoryAccess, &status));
            break;
        default:
            fprintf(stderr, "unexpected exit reason 0x%x at RIP 0x%llx\n",
                    (unsigned)ctx.ExitReason,
                    (unsigned long long)ctx.VpContext.Rip);
            exit(1);
        }
        if (!status.EmulationSuccessful) {
            fprintf(stderr, "emulation failed: status 0x%x at RIP 0x%llx\n",
                    (unsigned)status.AsUINT32, (unsigned long long)ctx.VpContext.Rip);
            exit(1);
        }
        emulated++;
    }
}

static inline UINT64 get_reg64(TestVm *vm, WHV_REGISTER_NAME name) {
    WHV_REGISTER_VALUE v;
    CHECK(WHvGetVirtualProcessorRegisters(vm->partition, 0, &name, 1, &v));
    return v.Reg64;
}

/* The layout of the interrupt tests (interrupt_guest.c, synic_guest.c):
 * a GDT, an IDT whose one gate leads to a handler, and the IDTR image the
 * guest's `lidt [IDTR_GPA]` loads. */
#define HANDLER_GPA 0x5000u
/* The end of their programs: forever `cli; out 0x50, al` (the ready report
 * run_to_ready expects), `sti; hlt` (an interrupt ends it). */
#define READY_LOOP 0xfa, 0xe6, 0x50, 0xfb, 0xf4, 0xeb, 0xf9
#define GDT_GPA 0xA000u
#define IDTR_GPA 0xA100u
#define IDT_GPA 0xB000u

/* Creates `vm`'s partition (not set up) with one processor and local APIC
 * emulation `mode`; the HRESULT of setting the mode. */
static inline HRESULT partition_with_lapic(TestVm *vm, WHV_X64_LOCAL_APIC_EMULATION_MODE mode) {
    WHV_PARTITION_PROPERTY prop;
    memset(vm, 0, sizeof *vm);
    memset(&prop, 0, sizeof prop);
    CHECK(WHvCreatePartition(&vm->partition));
    prop.ProcessorCount = 1;
    CHECK(WHvSetPartitionProperty(vm->partition, WHvPartitionPropertyCodeProcessorCount, &prop,
                                  sizeof prop));
    memset(&prop, 0, sizeof prop);
    prop.LocalApicEmulationMode = mode;
    return WHvSetPartitionProperty(vm->partition, WHvPartitionPropertyCodeLocalApicEmulationMode,
                                   &prop, sizeof prop);
}

/* On a set-up partition: RAM with the page tables, `code` at CODE_GPA,
 * `handler` at HANDLER_GPA behind IDT vector `vector`, mapped; VP 0
 * created in long mode with that GDT. */
static inline void vm_create_with_handler(TestVm *vm, const uint8_t *code, size_t code_len,
                                          const uint8_t *handler, size_t handler_len,
                                          UINT32 vector) {
    ram_with_page_tables(vm);
    REQUIRE(code_len <= HANDLER_GPA - CODE_GPA && handler_len <= 0x1000);
    memcpy(vm->ram + CODE_GPA, code, code_len);
    memcpy(vm->ram + HANDLER_GPA, handler, handler_len);
    /* GDT: null, 0x08 64-bit code, 0x10 data (what enter_long_mode loads). */
    uint64_t *gdt = (uint64_t *)(vm->ram + GDT_GPA);
    gdt[1] = 0x00AF9B000000FFFFull;
    gdt[2] = 0x00CF93000000FFFFull;
    /* IDT: a 64-bit interrupt gate to the handler. */
    uint64_t *gate = (uint64_t *)(vm->ram + IDT_GPA + vector * 16);
    gate[0] = (HANDLER_GPA & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
              ((uint64_t)(HANDLER_GPA >> 16) << 48);
    gate[1] = 0;
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
}

/* Runs VP 0 to its next OUT to port 0x50 and steps over it; any other
 * exit fails the program. */
static inline void run_to_ready(TestVm *vm) {
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

#endif
