/*
 * c_headers_compat.c -- a stand-in for a Windows-compatibility header (in
 * the style of Wine's or mingw-w64's windows.h) included before winhv's
 * headers, compiled (not linked) by crates/defs/tests/c_headers.rs with
 * -std=c11 -pedantic -Werror: our headers must take its types and macros
 * as they are, without redefinition errors, and keep our SysV prototypes
 * even though WINAPI here means ms_abi.
 */
#include <stdint.h>

#define _MINWINDEF_
#define _WINNT_
#define WINAPI __attribute__((ms_abi))
#define CALLBACK __attribute__((ms_abi))
#define C_ASSERT(e) typedef char __C_ASSERT__[(e) ? 1 : -1]
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define _In_
#define _Out_
#define TRUE 1
#define FALSE 0
#define S_OK ((HRESULT)0)
#define E_FAIL ((HRESULT)0x80004005)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define VOID void

typedef uint8_t UINT8, BYTE, UCHAR, BOOLEAN;
typedef uint16_t UINT16, WORD, USHORT, WCHAR;
typedef uint32_t UINT32, UINT, DWORD, ULONG;
typedef uint64_t UINT64, ULONG64, ULONGLONG, DWORD64, ULONG_PTR, SIZE_T;
typedef int8_t INT8;
typedef int16_t INT16, SHORT;
typedef int32_t INT32, INT, BOOL, LONG;
typedef int64_t INT64, LONG64, LONGLONG, LONG_PTR;
typedef char CHAR;
typedef void *PVOID, *LPVOID, *HANDLE;
typedef WCHAR *PWSTR, *LPWSTR;
typedef const WCHAR *PCWSTR, *LPCWSTR;
#define _HRESULT_DEFINED
typedef LONG HRESULT;
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;
typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID;
typedef enum _DEVICE_POWER_STATE {
    PowerDeviceUnspecified = 0,
    PowerDeviceD0,
    PowerDeviceD1,
    PowerDeviceD2,
    PowerDeviceD3,
    PowerDeviceMaximum
} DEVICE_POWER_STATE;

#include <WinHvEmulation.h>
#include <WinHvPlatform.h>

/* Our prototypes stay SysV: this pointer type (no ms_abi) must accept them. */
typedef HRESULT (*PFN_CREATE_PARTITION)(WHV_PARTITION_HANDLE *);
PFN_CREATE_PARTITION const CreatePartition = WHvCreatePartition;

/* A callback written with the compatibility header's CALLBACK (ms_abi) would
 * not fit WHV_EMULATOR_IO_PORT_CALLBACK; one written without it does. */
static HRESULT OnIo(VOID *Context, WHV_EMULATOR_IO_ACCESS_INFO *IoAccess)
{
    (void)Context;
    IoAccess->Data = 0;
    return S_OK;
}
WHV_EMULATOR_IO_PORT_CALLBACK const IoCallback = OnIo;

C_ASSERT(sizeof(WHV_REGISTER_VALUE) == 16);
C_ASSERT(sizeof(WHV_RUN_VP_EXIT_CONTEXT) == 224);
