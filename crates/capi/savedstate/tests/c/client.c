/*
 * A C client of libvmsavedstatedumpprovider.so, written as a Windows
 * program would be: it opens a Hyper-V .vmrs and a QEMU-style ELF core
 * that the Rust test wrote, reads VPs, registers, paging, translations,
 * physical and raw memory through the exports, and checks the HRESULTs of
 * bad arguments, bad handles, bad files and unsupported functions.
 * Usage: client VMRS CORE BADFILE MISSING; prints PASS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "VmSavedStateDump.h"

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_HR(expr, want)                                                                       \
    do {                                                                                           \
        HRESULT hr_ = (expr);                                                                      \
        if (hr_ != (want)) {                                                                       \
            fprintf(stderr, "%s:%d: %s = 0x%08x, want 0x%08x\n", __FILE__, __LINE__, #expr,        \
                    (unsigned)hr_, (unsigned)(want));                                              \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A UTF-16 copy of an ASCII path (WCHAR is 16 bits, as on Windows). */
static WCHAR *wide(const char *s) {
    size_t n = strlen(s);
    WCHAR *w = calloc(n + 1, sizeof(WCHAR));
    for (size_t i = 0; i < n; i++) {
        w[i] = (WCHAR)(unsigned char)s[i];
    }
    return w;
}

#define DATA_VA 0xffff800000003000ull
#define DATA_GPA 0x100000ull
#define HIGH_GPA 0x100000000ull
#define OS_ID 0x8100000100050000ull

static UINT64 tag(UINT32 vp, UINT8 vtl) { return ((UINT64)vp << 8 | vtl) << 48; }

/* What the image scan found. */
struct found {
    int count;
    UINT64 base[4];
    UINT32 size, timestamp;
    char pdb[64];
    BOOL stop;
};

static BOOL CALLBACK on_image(PVOID context, const DOS_IMAGE_INFO *info) {
    struct found *f = context;
    if (f->count < 4) {
        f->base[f->count] = info->ImageBaseAddress;
    }
    if (f->count == 0) {
        f->size = info->ImageSize;
        f->timestamp = info->Timestamp;
        snprintf(f->pdb, sizeof f->pdb, "%s", (const char *)info->PdbName);
    }
    f->count++;
    return f->stop;
}

static void check_vmrs(const char *path) {
    VM_SAVED_STATE_DUMP_HANDLE h = NULL;
    WCHAR *w = wide(path);
    CHECK_HR(LoadSavedStateFile(w, &h), S_OK);
    CHECK(h != NULL);

    UINT32 count = 0;
    CHECK_HR(GetVpCount(h, &count), S_OK);
    CHECK(count == 2);
    for (UINT32 vp = 0; vp < count; vp++) {
        VIRTUAL_PROCESSOR_ARCH arch = Arch_Unknown;
        CHECK_HR(GetArchitecture(h, vp, &arch), S_OK);
        CHECK(arch == Arch_x64);
        PAGING_MODE mode = Paging_Invalid;
        CHECK_HR(GetPagingMode(h, vp, &mode), S_OK);
        CHECK(mode == Paging_Long);
        VIRTUAL_PROCESSOR_REGISTER r;
        memset(&r, 0, sizeof r);
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterRip, &r), S_OK);
        CHECK(r.Reg64 == (tag(vp, 0) | 0x1010));
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterCr3, &r), S_OK);
        CHECK(r.Reg64 == 0x1000);
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterEfer, &r), S_OK);
        CHECK(r.Reg64 == 0xd01);
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterCs, &r), S_OK);
        CHECK(r.X64.Segment.Selector == 0x10);
        CHECK(r.X64.Segment.Attributes == 0xa09b);
        CHECK(r.X64.Segment.Long == 1 && r.X64.Segment.Present == 1);
        CHECK(r.X64.Segment.Limit == 0xffffffffu);
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterGdtr, &r), S_OK);
        CHECK(r.X64.Table.Base == 0xffff800000008000ull && r.X64.Table.Limit == 0x57);
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterXmm3, &r), S_OK);
        CHECK(r.Reg128.Low64 == 3 && r.Reg128.High64 == tag(vp, 0));
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterXmmControlStatus, &r), S_OK);
        CHECK(r.X64.XmmControlStatus.XmmStatusControl == 0x1f80);
        CHECK_HR(GetRegisterValue(h, vp, X64_RegisterFpControlStatus, &r), S_OK);
        CHECK(r.X64.FpControlStatus.FpControl == 0x37f);
        BOOL kernel = FALSE;
        CHECK_HR(InKernelSpace(h, vp, &kernel), S_OK);
        CHECK(kernel == TRUE);
    }
    VIRTUAL_PROCESSOR_REGISTER r;
    CHECK_HR(GetRegisterValue(h, 2, X64_RegisterRip, &r), E_INVALIDARG);
    CHECK_HR(GetRegisterValue(h, 0, ARM64_RegisterX0, &r), E_INVALIDARG);
    CHECK_HR(GetRegisterValue(h, 0, 0xffffffffu, &r), E_INVALIDARG);

    /* Translation and physical memory. */
    GUEST_PHYSICAL_ADDRESS pa = 0;
    UINT64 unmapped = 0;
    CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, DATA_VA + 4, &pa, &unmapped), S_OK);
    CHECK(pa == DATA_GPA + 4);
    CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, DATA_VA + 0x1000, &pa, &unmapped),
             VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
    CHECK(unmapped == 0x1000);
    CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, DATA_VA + 0x1000, &pa, NULL),
             VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
    char buf[32];
    UINT32 got = 0;
    CHECK_HR(ReadGuestPhysicalAddress(h, DATA_GPA, buf, 16, &got), S_OK);
    CHECK(got == 16 && memcmp(buf, "saved-state data", 16) == 0);
    CHECK_HR(ReadGuestPhysicalAddress(h, HIGH_GPA + 0xffff0, buf, 32, &got), S_OK);
    CHECK(got == 16); /* the end of saved memory */
    CHECK_HR(ReadGuestPhysicalAddress(h, 0x300000, buf, 8, &got),
             VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND);
    CHECK(got == 0);
    CHECK_HR(ReadGuestPhysicalAddress(h, DATA_GPA, buf, 16, NULL), S_OK);

    /* Memory chunks: the size probe, then the chunks. */
    UINT64 page_size = 0, chunks = 0;
    CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page_size, NULL, &chunks), E_OUTOFMEMORY);
    CHECK(page_size == 4096 && chunks == 2);
    GPA_MEMORY_CHUNK layout[4];
    chunks = 1;
    CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page_size, layout, &chunks), E_OUTOFMEMORY);
    CHECK(chunks == 2);
    chunks = 4;
    CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page_size, layout, &chunks), S_OK);
    CHECK(chunks == 2);
    CHECK(layout[0].GuestPhysicalStartPageIndex == 0 && layout[0].PageCount == 512);
    CHECK(layout[1].GuestPhysicalStartPageIndex == HIGH_GPA / 4096 && layout[1].PageCount == 256);

    /* Raw saved memory: the RAM blocks end to end. */
    UINT64 raw = 0;
    CHECK_HR(GetGuestRawSavedMemorySize(h, &raw), S_OK);
    CHECK(raw == 3u << 20);
    UINT64 off = 0;
    CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, HIGH_GPA + 0x2000, &off), S_OK);
    CHECK(off == (2u << 20) + 0x2000);
    CHECK_HR(ReadGuestRawSavedMemory(h, off, buf, 4, &got), S_OK);
    CHECK(got == 4 && buf[0] == 2 && buf[3] == 2);
    CHECK_HR(ReadGuestRawSavedMemory(h, raw, buf, 4, &got), S_OK);
    CHECK(got == 0);
    UINT64 limit = 7;
    CHECK_HR(GetMemoryBlockCacheLimit(h, &limit), S_OK);
    CHECK(limit == 0);
    CHECK_HR(SetMemoryBlockCacheLimit(h, 1u << 30), S_OK);
    CHECK_HR(GetMemoryBlockCacheLimit(h, &limit), S_OK);
    CHECK(limit == 1u << 30);

    /* Guest OS, VTLs, nesting. */
    GUEST_OS_INFO os;
    CHECK_HR(GetGuestOsInfo(h, 0, &os), S_OK);
    CHECK(os.AsUINT64 == OS_ID && os.OpenSource.IsOpenSource == 1);
    CHECK_HR(GetGuestOsInfo(h, 2, &os), VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED);
    UINT32 vtls = 0;
    CHECK_HR(GetGuestEnabledVirtualTrustLevels(h, &vtls), S_OK);
    CHECK(vtls == 3);
    CHECK_HR(GetEnabledVirtualTrustLevels(h, 1, &vtls), S_OK);
    CHECK(vtls == 1);
    UINT8 vtl = 9;
    CHECK_HR(GetActiveVirtualTrustLevel(h, 0, &vtl), S_OK);
    CHECK(vtl == 0);
    CHECK_HR(ForceActiveVirtualTrustLevel(h, 0, 1), S_OK);
    CHECK_HR(GetRegisterValue(h, 0, X64_RegisterRip, &r), S_OK);
    CHECK(r.Reg64 == (tag(0, 1) | 0x1010));
    BOOL enabled = FALSE;
    CHECK_HR(IsActiveVirtualTrustLevelEnabled(h, 0, &enabled), S_OK);
    CHECK(enabled == TRUE);
    CHECK_HR(ForceActiveVirtualTrustLevel(h, 0, 2), S_OK);
    CHECK_HR(IsActiveVirtualTrustLevelEnabled(h, 0, &enabled), S_OK);
    CHECK(enabled == FALSE);
    CHECK_HR(GetRegisterValue(h, 0, X64_RegisterRip, &r), VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED);
    CHECK_HR(ForceActiveVirtualTrustLevel(h, 0, 0), S_OK);
    CHECK_HR(IsNestedVirtualizationEnabled(h, &enabled), S_OK);
    CHECK(enabled == FALSE);
    CHECK_HR(GetNestedVirtualizationMode(h, 0, &enabled), S_OK);
    CHECK(enabled == FALSE);
    BOOL old = 5;
    CHECK_HR(ForceNestedHostMode(h, 0, TRUE, &old),
             VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED);

    /* Forcing the paging mode and the architecture. */
    CHECK_HR(ForcePagingMode(h, 1, Paging_NonPaged), S_OK);
    PAGING_MODE mode;
    CHECK_HR(GetPagingMode(h, 1, &mode), S_OK);
    CHECK(mode == Paging_NonPaged);
    CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 1, 0x12345678, &pa, NULL), S_OK);
    CHECK(pa == 0x12345678);
    CHECK_HR(ForcePagingMode(h, 1, Paging_Armv8), E_INVALIDARG);
    CHECK_HR(ForcePagingMode(h, 1, (PAGING_MODE)77), E_INVALIDARG);
    CHECK_HR(ForceArchitecture(h, 1, Arch_x86), S_OK);
    VIRTUAL_PROCESSOR_ARCH arch;
    CHECK_HR(GetArchitecture(h, 1, &arch), S_OK);
    CHECK(arch == Arch_x86);
    CHECK_HR(ForceArchitecture(h, 1, Arch_Armv8), E_INVALIDARG);

    /* Bad arguments answer before the handle, bad handles E_HANDLE. */
    CHECK_HR(GetVpCount(h, NULL), E_INVALIDARG);
    CHECK_HR(GetVpCount((VM_SAVED_STATE_DUMP_HANDLE)(UINT_PTR)0x1234, NULL), E_INVALIDARG);
    CHECK_HR(GetVpCount((VM_SAVED_STATE_DUMP_HANDLE)(UINT_PTR)0x1234, &count), E_HANDLE);
    CHECK_HR(ReadGuestPhysicalAddress(h, 0, NULL, 16, &got), E_INVALIDARG);
    CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, DATA_VA, NULL, NULL), E_INVALIDARG);
    CHECK_HR(GetGuestPhysicalMemoryChunks(h, NULL, layout, &chunks), E_INVALIDARG);

    /* A memory fix: laid over virtual and physical reads, across a page;
       whole or not at all. */
    CHECK_HR(ApplyGuestMemoryFix(h, 0, DATA_VA + 2, "FIXED", 5), S_OK);
    CHECK_HR(ReadGuestPhysicalAddress(h, DATA_GPA, buf, 16, &got), S_OK);
    CHECK(got == 16 && memcmp(buf, "saFIXEDtate data", 16) == 0);
    CHECK_HR(ApplyGuestMemoryFix(h, 0, DATA_VA + 0xffe, "abcd", 4),
             VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
    CHECK_HR(ReadGuestPhysicalAddress(h, DATA_GPA + 0xffe, buf, 2, &got), S_OK);
    CHECK(got == 2 && buf[0] != 'a');
    CHECK_HR(ApplyGuestMemoryFix(h, 9, DATA_VA, "x", 1), E_INVALIDARG);
    CHECK_HR(ApplyGuestMemoryFix(h, 0, DATA_VA, NULL, 1), E_INVALIDARG);
    CHECK_HR(ApplyGuestMemoryFix(h, 0, DATA_VA, NULL, 0), S_OK);
    CHECK_HR(ApplyGuestMemoryFix(NULL, 0, DATA_VA, "x", 1), E_HANDLE);
    CHECK_HR(ApplyGuestMemoryFix(h, 0, DATA_VA + 2, "ved-s", 5), S_OK);
    CHECK_HR(ReadGuestPhysicalAddress(h, DATA_GPA, buf, 16, &got), S_OK);
    CHECK(got == 16 && memcmp(buf, "saved-state data", 16) == 0);

    /* Unsupported functions say so, after the handle. */
    CHECK_HR(LoadSavedStateSymbolProvider(h, NULL, FALSE), HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED));
    CHECK_HR(LoadSavedStateSymbolProvider(NULL, NULL, FALSE), E_HANDLE);
    /* The image scan: high to low, with the callback's context. */
    struct found f;
    memset(&f, 0, sizeof f);
    CHECK_HR(ScanMemoryForDosImages(h, 0, 0x1ff000, 0, &f, on_image, NULL, 0), S_OK);
    CHECK(f.count == 1 && f.base[0] == 0x40000);
    CHECK(f.size == 0x20000 && f.timestamp == 0x5f000001);
    CHECK(strcmp(f.pdb, "C:\\build\\winhv-test.pdb") == 0);
    UINT64 standalone[2] = {0x40000, 0x40000};
    memset(&f, 0, sizeof f);
    f.stop = TRUE;
    CHECK_HR(ScanMemoryForDosImages(h, 0, 0x1ff000, 0, &f, on_image, standalone, 2), S_OK);
    CHECK(f.count == 1);
    CHECK_HR(ScanMemoryForDosImages(h, 0, 0x1ff000, 0, &f, NULL, NULL, 0), E_INVALIDARG);
    CHECK_HR(ScanMemoryForDosImages(h, 0, 0, 0x1000, &f, on_image, NULL, 0), E_INVALIDARG);
    CHECK_HR(ScanMemoryForDosImages(h, 0, 0x1000, 0, &f, on_image, NULL, 1), E_INVALIDARG);
    CHECK(GetSavedStateSymbolProviderHandle(h) == NULL);
    LPWSTR bin = NULL, vsv = NULL, vmrs = NULL;
    CHECK_HR(LocateSavedStateFiles(u"vm", NULL, &bin, &vsv, &vmrs),
             HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED));
    VM_SAVED_STATE_DUMP_HANDLE h2 = NULL;
    CHECK_HR(LoadSavedStateFiles(u"a.bin", u"a.vsv", &h2), HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED));

    /* A loaded file is locked against the replay-log writer. */
    CHECK_HR(ApplyPendingSavedStateFileReplayLog(w),
             HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION));

    CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
    CHECK_HR(ReleaseSavedStateFiles(h), E_HANDLE);
    CHECK_HR(GetVpCount(h, &count), E_HANDLE);
    /* Released: the lock is gone and the (clean) replay log applies. */
    CHECK_HR(ApplyPendingSavedStateFileReplayLog(w), S_OK);
    free(w);
}

static void check_core(const char *path) {
    VM_SAVED_STATE_DUMP_HANDLE h = NULL;
    WCHAR *w = wide(path);
    CHECK_HR(LoadSavedStateFile(w, &h), S_OK);
    UINT32 count = 0;
    CHECK_HR(GetVpCount(h, &count), S_OK);
    CHECK(count == 2);
    VIRTUAL_PROCESSOR_REGISTER r;
    CHECK_HR(GetRegisterValue(h, 1, X64_RegisterRip, &r), S_OK);
    CHECK(r.Reg64 == (tag(1, 0) | 0x1010));
    CHECK_HR(GetRegisterValue(h, 1, X64_RegisterEfer, &r), HRESULT_FROM_WIN32(ERROR_NOT_FOUND));
    PAGING_MODE mode;
    CHECK_HR(GetPagingMode(h, 0, &mode), S_OK);
    CHECK(mode == Paging_Long);
    GUEST_PHYSICAL_ADDRESS pa = 0;
    CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, DATA_VA, &pa, NULL), S_OK);
    CHECK(pa == DATA_GPA);
    char buf[16];
    UINT32 got = 0;
    CHECK_HR(ReadGuestPhysicalAddress(h, pa, buf, 16, &got), S_OK);
    CHECK(got == 16 && memcmp(buf, "saved-state data", 16) == 0);
    GUEST_OS_INFO os;
    CHECK_HR(GetGuestOsInfo(h, 0, &os), S_OK);
    CHECK(os.AsUINT64 == 0);
    CHECK_HR(ApplyPendingSavedStateFileReplayLog(w), HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION));
    CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
    CHECK_HR(ApplyPendingSavedStateFileReplayLog(w), HRESULT_FROM_WIN32(ERROR_BAD_FORMAT));
    free(w);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: client VMRS CORE BADFILE MISSING\n");
        return 2;
    }
    check_vmrs(argv[1]);
    check_core(argv[2]);

    VM_SAVED_STATE_DUMP_HANDLE h = NULL;
    WCHAR *bad = wide(argv[3]);
    CHECK_HR(LoadSavedStateFile(bad, &h), HRESULT_FROM_WIN32(ERROR_BAD_FORMAT));
    free(bad);
    WCHAR *missing = wide(argv[4]);
    CHECK_HR(LoadSavedStateFile(missing, &h), HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND));
    CHECK_HR(LoadSavedStateFile(missing, NULL), E_INVALIDARG);
    CHECK_HR(LoadSavedStateFile(NULL, &h), E_INVALIDARG);
    CHECK_HR(LoadSavedStateFile(u"", &h), E_INVALIDARG);
    free(missing);

    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    puts("PASS");
    return 0;
}
