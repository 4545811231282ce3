/*
 * c_headers_cxx.cpp -- C++17 code in the style of Windows WHP callers,
 * compiled (not linked) by crates/defs/tests/c_headers.rs with -std=c++17
 * -Wall -Wextra -pedantic -Werror: the headers must be usable from C++
 * (extern "C" linkage, anonymous members, flag-enum operators).
 */
#include <WinHvEmulation.h>
#include <WinHvPlatform.h>

#include <cstring>
#include <type_traits>

static_assert(sizeof(WHV_REGISTER_VALUE) == 16, "WHV_REGISTER_VALUE");
static_assert(alignof(WHV_REGISTER_VALUE) == 16, "WHV_REGISTER_VALUE alignment");
static_assert(sizeof(WHV_RUN_VP_EXIT_CONTEXT) == 224, "WHV_RUN_VP_EXIT_CONTEXT");
static_assert(sizeof(WHV_EMULATOR_CALLBACKS) == 48, "WHV_EMULATOR_CALLBACKS");
static_assert(std::is_same<decltype(WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite),
                           WHV_MAP_GPA_RANGE_FLAGS>::value,
              "flag enums combine to their own type, as with DEFINE_ENUM_FLAG_OPERATORS");

namespace {

class Vm {
public:
    HRESULT Create()
    {
        HRESULT hr = WHvCreatePartition(&partition_);
        if (FAILED(hr)) {
            return hr;
        }
        WHV_PARTITION_PROPERTY prop{};
        prop.ProcessorCount = 1;
        hr = WHvSetPartitionProperty(partition_, WHvPartitionPropertyCodeProcessorCount, &prop,
                                     sizeof(prop));
        if (FAILED(hr)) {
            return hr;
        }
        return WHvSetupPartition(partition_);
    }

    HRESULT Map(void *memory, UINT64 size)
    {
        WHV_MAP_GPA_RANGE_FLAGS flags = WHvMapGpaRangeFlagRead;
        flags |= WHvMapGpaRangeFlagWrite;
        flags = flags | WHvMapGpaRangeFlagExecute;
        return WHvMapGpaRange(partition_, memory, 0, size, flags);
    }

    HRESULT Step()
    {
        WHV_RUN_VP_EXIT_CONTEXT ctx;
        std::memset(&ctx, 0, sizeof(ctx));
        HRESULT hr = WHvRunVirtualProcessor(partition_, 0, &ctx, sizeof(ctx));
        if (FAILED(hr)) {
            return hr;
        }
        switch (ctx.ExitReason) {
        case WHvRunVpExitReasonX64IoPortAccess:
            if (ctx.IoPortAccess.AccessInfo.IsWrite && ctx.IoPortAccess.PortNumber == 0xE9) {
                last_ = static_cast<UINT8>(ctx.IoPortAccess.Rax);
            }
            break;
        case WHvRunVpExitReasonMemoryAccess:
            last_ = static_cast<UINT8>(ctx.MemoryAccess.Gpa);
            break;
        default:
            break;
        }
        WHV_REGISTER_NAME name = WHvX64RegisterRip;
        WHV_REGISTER_VALUE value{};
        value.Reg64 = ctx.VpContext.Rip + ctx.VpContext.InstructionLength;
        return WHvSetVirtualProcessorRegisters(partition_, 0, &name, 1, &value);
    }

    ~Vm()
    {
        if (partition_ != nullptr) {
            WHvDeletePartition(partition_);
        }
    }

private:
    WHV_PARTITION_HANDLE partition_ = nullptr;
    UINT8 last_ = 0;
};

HRESULT CALLBACK OnIo(VOID *, WHV_EMULATOR_IO_ACCESS_INFO *io)
{
    io->Data = 0;
    return S_OK;
}

} // namespace

HRESULT CxxEntry(void *memory, UINT64 size);

HRESULT CxxEntry(void *memory, UINT64 size)
{
    Vm vm;
    HRESULT hr = vm.Create();
    if (SUCCEEDED(hr)) {
        hr = vm.Map(memory, size);
    }
    if (SUCCEEDED(hr)) {
        hr = vm.Step();
    }
    WHV_EMULATOR_CALLBACKS callbacks{};
    callbacks.Size = sizeof(callbacks);
    callbacks.WHvEmulatorIoPortCallback = OnIo;
    WHV_EMULATOR_HANDLE emulator = nullptr;
    if (SUCCEEDED(WHvEmulatorCreateEmulator(&callbacks, &emulator))) {
        WHvEmulatorDestroyEmulator(emulator);
    }
    WHV_X64_SEGMENT_REGISTER seg{};
    seg.Attributes = 0x9B;
    seg.Long = 1;
    return seg.Present ? hr : E_UNEXPECTED;
}
