/*
 * winhv_base.h -- the Windows base types, status codes and annotation macros
 * that WinHvPlatformDefs.h, WinHvPlatform.h and WinHvEmulation.h use, sized
 * for Windows x64 (LLP64) on an LP64 Linux compiler.
 *
 * Part of winhv: the Hyper-V user-mode platform API on Linux over KVM.
 *
 * Windows is LLP64, Linux LP64: LONG, ULONG, DWORD, HRESULT and BOOL are 32
 * bits on Windows while Linux's `long` has 64, so every type here is built
 * from <stdint.h> fixed-width types. WCHAR is a UTF-16 code unit (16 bits),
 * not Linux's 32-bit wchar_t: write wide string literals as u"..." (C11
 * char16_t), never L"...".
 *
 * Coexistence with a Windows-compatibility header included first: every
 * macro is guarded with #ifndef, and the typedefs (LUID and
 * DEVICE_POWER_STATE included) are skipped as a group when that header's own
 * guards are seen (_MINWINDEF_ or _WINNT_, as in the Windows SDK, Wine and
 * mingw-w64), or when the program defines WINHV_NO_BASE_TYPES before
 * including our headers; it must then provide UINT8..UINT64, INT8..INT64,
 * BOOL, BYTE, USHORT, ULONG, DWORD, LONG, PVOID, HANDLE, WCHAR, LUID and
 * DEVICE_POWER_STATE. HRESULT and GUID follow the SDK's own guards
 * (_HRESULT_DEFINED, GUID_DEFINED).
 *
 * Calling convention: our shared libraries export plain SysV x86-64 C
 * functions, so WINAPI, CALLBACK and friends expand to nothing here, and our
 * own prototypes use WINHV_API / WINHV_CALLBACK, which are always empty.
 */
#ifndef WINHV_BASE_H
#define WINHV_BASE_H

#include <stddef.h>
#include <stdint.h>

/* ---- Compiler glue ------------------------------------------------------ */

/* Marks a C anonymous struct (or a bitfield of a non-int type) as a known
 * extension, so -pedantic stays quiet in C++ where anonymous structs are not
 * standard. The layout is unchanged. */
#ifndef WINHV_ANONYMOUS
#if defined(__GNUC__) || defined(__clang__)
#define WINHV_ANONYMOUS __extension__
#else
#define WINHV_ANONYMOUS
#endif
#endif

#ifndef DECLSPEC_ALIGN
#if defined(__GNUC__) || defined(__clang__)
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#else
#define DECLSPEC_ALIGN(x) _Alignas(x)
#endif
#endif

#ifndef C_ASSERT
#ifdef __cplusplus
#define C_ASSERT(e) static_assert((e), #e)
#else
#define C_ASSERT(e) _Static_assert((e), #e)
#endif
#endif

/* A cast that is neither an old-style cast in C++ nor invalid C. */
#ifndef WINHV_CAST
#ifdef __cplusplus
#define WINHV_CAST(t, v) (static_cast<t>(v))
#else
#define WINHV_CAST(t, v) ((t)(v))
#endif
#endif

#ifndef WINHV_ALIGNOF
#ifdef __cplusplus
#define WINHV_ALIGNOF(t) alignof(t)
#else
#define WINHV_ALIGNOF(t) _Alignof(t)
#endif
#endif

/* The convention of winhv's exported functions and of the callbacks they
 * call: plain SysV x86-64, whatever WINAPI/CALLBACK mean to a compatibility
 * header included first (Wine's make them ms_abi). A callback written with
 * an ms_abi CALLBACK then fails to compile instead of crashing. */
#define WINHV_API
#define WINHV_CALLBACK

#ifndef WINAPI
#define WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef STDAPI
#ifdef __cplusplus
#define STDAPI extern "C" HRESULT
#else
#define STDAPI extern HRESULT
#endif
#endif
#ifndef VOID
#define VOID void
#endif
#ifndef CONST
#define CONST const
#endif

/* ---- SAL annotations: documentation only on Linux ----------------------- */

#ifndef _In_
#define _In_
#endif
#ifndef _In_opt_
#define _In_opt_
#endif
#ifndef _Out_
#define _Out_
#endif
#ifndef _Out_opt_
#define _Out_opt_
#endif
#ifndef _Inout_
#define _Inout_
#endif
#ifndef _Inout_opt_
#define _Inout_opt_
#endif
#ifndef _In_reads_
#define _In_reads_(n)
#endif
#ifndef _In_reads_opt_
#define _In_reads_opt_(n)
#endif
#ifndef _In_reads_bytes_
#define _In_reads_bytes_(n)
#endif
#ifndef _In_reads_bytes_opt_
#define _In_reads_bytes_opt_(n)
#endif
#ifndef _Out_writes_
#define _Out_writes_(n)
#endif
#ifndef _Out_writes_opt_
#define _Out_writes_opt_(n)
#endif
#ifndef _Out_writes_to_
#define _Out_writes_to_(n, c)
#endif
#ifndef _Out_writes_bytes_
#define _Out_writes_bytes_(n)
#endif
#ifndef _Out_writes_bytes_opt_
#define _Out_writes_bytes_opt_(n)
#endif
#ifndef _Out_writes_bytes_to_
#define _Out_writes_bytes_to_(n, c)
#endif
#ifndef _Out_writes_bytes_to_opt_
#define _Out_writes_bytes_to_opt_(n, c)
#endif
#ifndef _Inout_updates_
#define _Inout_updates_(n)
#endif
#ifndef _Inout_updates_bytes_
#define _Inout_updates_bytes_(n)
#endif
#ifndef _Outptr_
#define _Outptr_
#endif
#ifndef _Outptr_opt_
#define _Outptr_opt_
#endif
#ifndef _Outptr_result_buffer_
#define _Outptr_result_buffer_(n)
#endif
#ifndef _Field_size_
#define _Field_size_(n)
#endif
#ifndef _Field_size_bytes_
#define _Field_size_bytes_(n)
#endif
#ifndef _Must_inspect_result_
#define _Must_inspect_result_
#endif
#ifndef _Success_
#define _Success_(e)
#endif
#ifndef _Return_type_success_
#define _Return_type_success_(e)
#endif
#ifndef _Check_return_
#define _Check_return_
#endif
#ifndef _Reserved_
#define _Reserved_
#endif
#ifndef _Pre_
#define _Pre_
#endif
#ifndef _Post_
#define _Post_
#endif
#ifndef _Null_terminated_
#define _Null_terminated_
#endif
#ifndef _When_
#define _When_(c, a)
#endif

/* ---- Integer and pointer types (LLP64 sizes) ---------------------------- */

/* A Windows-compatibility windows.h (the SDK's, Wine's, mingw-w64's) seen
 * first already defines these: keep its definitions. */
#if defined(_MINWINDEF_) || defined(_WINNT_) || defined(WINHV_NO_BASE_TYPES)
#define WINHV_EXTERNAL_BASE_TYPES 1
#endif

#ifndef WINHV_EXTERNAL_BASE_TYPES
typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef int8_t INT8;
typedef int16_t INT16;
typedef int32_t INT32;
typedef int64_t INT64;
typedef uint32_t UINT;
typedef int32_t INT;
typedef int32_t BOOL;
typedef uint8_t BOOLEAN;
typedef uint8_t BYTE;
typedef uint8_t UCHAR;
typedef char CHAR;
typedef uint16_t WORD;
typedef uint16_t USHORT;
typedef int16_t SHORT;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef int32_t LONG;
typedef uint64_t ULONG64;
typedef int64_t LONG64;
typedef uint64_t DWORD64;
typedef uint64_t ULONGLONG;
typedef int64_t LONGLONG;
typedef uint64_t ULONG_PTR;
typedef int64_t LONG_PTR;
typedef uint64_t UINT_PTR;
typedef int64_t INT_PTR;
typedef uint64_t SIZE_T;
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef void *HANDLE;
typedef HANDLE *PHANDLE;
typedef BOOL *PBOOL;
typedef UINT32 *PUINT32;
typedef UINT64 *PUINT64;
/* A UTF-16 code unit: 16 bits, as on Windows (not Linux's wchar_t). */
typedef uint16_t WCHAR;
typedef WCHAR *PWSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *PCWSTR;
typedef const WCHAR *LPCWSTR;
typedef char *PSTR;
typedef const char *PCSTR;
#endif /* base typedefs */

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* ---- HRESULT ------------------------------------------------------------ */

#ifndef _HRESULT_DEFINED
#define _HRESULT_DEFINED
/* A Windows status code: 32 bits, negative values are failures. */
typedef int32_t HRESULT;
#endif

#ifndef _HRESULT_TYPEDEF_
#define _HRESULT_TYPEDEF_(sc) WINHV_CAST(HRESULT, sc)
#endif
#ifndef SUCCEEDED
#define SUCCEEDED(hr) (WINHV_CAST(HRESULT, hr) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr) (WINHV_CAST(HRESULT, hr) < 0)
#endif
#ifndef FACILITY_WIN32
#define FACILITY_WIN32 7
#endif
#ifndef HRESULT_FROM_WIN32
#define HRESULT_FROM_WIN32(x)                                                  \
    (WINHV_CAST(HRESULT, x) <= 0                                               \
         ? WINHV_CAST(HRESULT, x)                                              \
         : WINHV_CAST(HRESULT, (WINHV_CAST(uint32_t, x) & 0x0000FFFFu) |       \
                                   (FACILITY_WIN32 << 16) | 0x80000000u))
#endif

#ifndef S_OK
#define S_OK _HRESULT_TYPEDEF_(0x00000000)
#endif
#ifndef S_FALSE
#define S_FALSE _HRESULT_TYPEDEF_(0x00000001)
#endif
#ifndef E_NOTIMPL
#define E_NOTIMPL _HRESULT_TYPEDEF_(0x80004001u)
#endif
#ifndef E_NOINTERFACE
#define E_NOINTERFACE _HRESULT_TYPEDEF_(0x80004002u)
#endif
#ifndef E_POINTER
#define E_POINTER _HRESULT_TYPEDEF_(0x80004003u)
#endif
#ifndef E_ABORT
#define E_ABORT _HRESULT_TYPEDEF_(0x80004004u)
#endif
#ifndef E_FAIL
#define E_FAIL _HRESULT_TYPEDEF_(0x80004005u)
#endif
#ifndef E_UNEXPECTED
#define E_UNEXPECTED _HRESULT_TYPEDEF_(0x8000FFFFu)
#endif
#ifndef E_PENDING
#define E_PENDING _HRESULT_TYPEDEF_(0x8000000Au)
#endif
#ifndef E_BOUNDS
#define E_BOUNDS _HRESULT_TYPEDEF_(0x8000000Bu)
#endif
#ifndef E_CHANGED_STATE
#define E_CHANGED_STATE _HRESULT_TYPEDEF_(0x8000000Cu)
#endif
#ifndef E_ILLEGAL_METHOD_CALL
#define E_ILLEGAL_METHOD_CALL _HRESULT_TYPEDEF_(0x8000000Eu)
#endif
#ifndef E_ACCESSDENIED
#define E_ACCESSDENIED _HRESULT_TYPEDEF_(0x80070005u)
#endif
#ifndef E_HANDLE
#define E_HANDLE _HRESULT_TYPEDEF_(0x80070006u)
#endif
#ifndef E_OUTOFMEMORY
#define E_OUTOFMEMORY _HRESULT_TYPEDEF_(0x8007000Eu)
#endif
#ifndef E_INVALIDARG
#define E_INVALIDARG _HRESULT_TYPEDEF_(0x80070057u)
#endif

/* The Win32 error codes WHP functions return through HRESULT_FROM_WIN32. */
#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED 50L
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
#define ERROR_INSUFFICIENT_BUFFER 122L
#endif
#ifndef ERROR_NOT_FOUND
#define ERROR_NOT_FOUND 1168L
#endif
#ifndef ERROR_INVALID_STATE
#define ERROR_INVALID_STATE 5023L
#endif

/* The hypervisor status WHvRegisterPartitionDoorbellEvent documents for a
 * conflicting doorbell (winerror.h). */
#ifndef ERROR_HV_INVALID_PARAMETER
#define ERROR_HV_INVALID_PARAMETER _HRESULT_TYPEDEF_(0xC0350005u)
#endif

/* The Windows Hypervisor Platform's own codes (winerror.h, facility 0x37).
 * Some documentation lists 0xC035xxxx values: those are the hypervisor's
 * NTSTATUS codes, which no user-mode function returns. */
#ifndef WHV_E_UNKNOWN_CAPABILITY
#define WHV_E_UNKNOWN_CAPABILITY _HRESULT_TYPEDEF_(0x80370300u)
#endif
#ifndef WHV_E_INSUFFICIENT_BUFFER
#define WHV_E_INSUFFICIENT_BUFFER _HRESULT_TYPEDEF_(0x80370301u)
#endif
#ifndef WHV_E_UNKNOWN_PROPERTY
#define WHV_E_UNKNOWN_PROPERTY _HRESULT_TYPEDEF_(0x80370302u)
#endif
#ifndef WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
#define WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG _HRESULT_TYPEDEF_(0x80370303u)
#endif
#ifndef WHV_E_INVALID_PARTITION_CONFIG
#define WHV_E_INVALID_PARTITION_CONFIG _HRESULT_TYPEDEF_(0x80370304u)
#endif
#ifndef WHV_E_GPA_RANGE_NOT_FOUND
#define WHV_E_GPA_RANGE_NOT_FOUND _HRESULT_TYPEDEF_(0x80370305u)
#endif
#ifndef WHV_E_VP_ALREADY_EXISTS
#define WHV_E_VP_ALREADY_EXISTS _HRESULT_TYPEDEF_(0x80370306u)
#endif
#ifndef WHV_E_VP_DOES_NOT_EXIST
#define WHV_E_VP_DOES_NOT_EXIST _HRESULT_TYPEDEF_(0x80370307u)
#endif
#ifndef WHV_E_INVALID_VP_STATE
#define WHV_E_INVALID_VP_STATE _HRESULT_TYPEDEF_(0x80370308u)
#endif
#ifndef WHV_E_INVALID_VP_REGISTER_NAME
#define WHV_E_INVALID_VP_REGISTER_NAME _HRESULT_TYPEDEF_(0x80370309u)
#endif
#ifndef WHV_E_UNSUPPORTED_PROCESSOR_CONFIG
#define WHV_E_UNSUPPORTED_PROCESSOR_CONFIG _HRESULT_TYPEDEF_(0x80370310u)
#endif

/* ---- GUID, LUID, DEVICE_POWER_STATE ------------------------------------- */

#ifndef GUID_DEFINED
#define GUID_DEFINED
/* A Windows GUID (guiddef.h): 16 bytes, 4-byte aligned. */
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
#endif

#if !defined(_LUID_DEFINED) && !defined(WINHV_EXTERNAL_BASE_TYPES)
#define _LUID_DEFINED
/* A locally unique identifier (winnt.h): 8 bytes, 4-byte aligned. */
typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID, *PLUID;
#endif

#ifndef _WINHV_DEVICE_POWER_STATE_DEFINED
#define _WINHV_DEVICE_POWER_STATE_DEFINED
#ifndef WINHV_EXTERNAL_BASE_TYPES
/* A device power state (winnt.h), as WHvSetVpciDevicePowerState takes it. */
typedef enum _DEVICE_POWER_STATE {
    PowerDeviceUnspecified = 0,
    PowerDeviceD0 = 1,
    PowerDeviceD1 = 2,
    PowerDeviceD2 = 3,
    PowerDeviceD3 = 4,
    PowerDeviceMaximum = 5
} DEVICE_POWER_STATE, *PDEVICE_POWER_STATE;
#endif
#endif

C_ASSERT(sizeof(UINT64) == 8);
C_ASSERT(sizeof(HRESULT) == 4);
C_ASSERT(sizeof(GUID) == 16);

#endif /* WINHV_BASE_H */
