/* The Windows base types winhvplatformdefs.h and winhvemulation.h use,
 * defined for LP64 Linux so that the mingw-w64 headers compile with the
 * host's cc and lay out as on Windows x64 (LLP64): every integer type has
 * the Windows width, BOOL is 32 bits, WCHAR 16. Used by tests/mingw_headers.rs. */
#ifndef WINHV_SHIM_H
#define WINHV_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef int8_t INT8;
typedef int16_t INT16;
typedef int32_t INT32;
typedef int64_t INT64;
typedef uint16_t USHORT;
typedef uint32_t ULONG;
typedef int32_t LONG;
typedef uint32_t DWORD;
typedef int32_t BOOL;
typedef int32_t WINBOOL;
typedef int32_t HRESULT;
typedef uint16_t WCHAR;
typedef void VOID;
typedef void *PVOID;
typedef void *HANDLE;
typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID;

#define ANYSIZE_ARRAY 1
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define C_ASSERT(e) _Static_assert(e, #e)
#define __C89_NAMELESS
#define DEFINE_ENUM_FLAG_OPERATORS(t)
#define WINAPI
#define CALLBACK
#define WINAPI_FAMILY_PARTITION(p) 1
#define WINAPI_PARTITION_DESKTOP 1

#endif
