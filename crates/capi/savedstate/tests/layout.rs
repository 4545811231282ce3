//! The C headers against the Rust ABI: a C program generated here from
//! winhv-defs' tables includes `VmSavedStateDump.h`, prints every
//! saved-state enumerator's value, the size, alignment and field offsets
//! of every struct and union, and where each bitfield lies; each answer
//! must equal winhv-defs' (whose layouts the defs crate checks against
//! windows-sys). The headers must also compile as C++17 and when included
//! twice, with `-pedantic -Werror`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of};

use winhv_defs::*;

/// The expected answers, by key (`const NAME`, `size T`, …).
fn expected() -> BTreeMap<String, i128> {
    let mut e = BTreeMap::new();
    let mut enums = |all: &[(Option<&str>, i32)]| {
        for (name, v) in all {
            e.insert(format!("const {}", name.unwrap()), i128::from(*v));
        }
    };
    enums(
        &PAGING_MODE::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    enums(
        &VIRTUAL_PROCESSOR_ARCH::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    enums(
        &VIRTUAL_PROCESSOR_VENDOR::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    enums(
        &REGISTER_ID::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    enums(
        &GUEST_OS_VENDOR::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    enums(
        &GUEST_OS_MICROSOFT_IDS::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    enums(
        &GUEST_OS_OPENSOURCE_IDS::ALL
            .iter()
            .map(|v| (v.name(), v.0))
            .collect::<Vec<_>>(),
    );
    for (name, h) in [
        (
            "VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND",
            VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND",
            VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE",
            VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED",
            VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND",
            VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED",
            VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE",
            VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE,
        ),
        (
            "VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED",
            VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_BAD_FORMAT)",
            HRESULT_ERROR_BAD_FORMAT,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT)",
            HRESULT_ERROR_FILE_CORRUPT,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)",
            HRESULT_ERROR_FILE_NOT_FOUND,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)",
            HRESULT_ERROR_PATH_NOT_FOUND,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION)",
            HRESULT_ERROR_SHARING_VIOLATION,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)",
            HRESULT_ERROR_NOT_SUPPORTED,
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)",
            HRESULT_ERROR_NOT_FOUND,
        ),
    ] {
        e.insert(format!("const {name}"), i128::from(h.0));
    }
    let mut put = |k: &str, v: usize| {
        e.insert(k.to_string(), v as i128);
    };
    put(
        "size VIRTUAL_PROCESSOR_REGISTER",
        size_of::<VIRTUAL_PROCESSOR_REGISTER>(),
    );
    put(
        "align VIRTUAL_PROCESSOR_REGISTER",
        align_of::<VIRTUAL_PROCESSOR_REGISTER>(),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.Reg128.High64",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_0, High64),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.Segment.Limit",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_0, Limit),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.Segment.Selector",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_0, Selector),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.Segment.Attributes",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_0, Attributes),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.Table.Limit",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_1, Limit),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.Table.Base",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_1, Base),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.FpControlStatus.FpTag",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_2, FpTag),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.FpControlStatus.LastFpOp",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_2, LastFpOp),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.FpControlStatus.LastFpRip",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_2, Anonymous),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.FpControlStatus.LastFpCs",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_2, Anonymous)
            + offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_2_0_0, LastFpCs),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.XmmControlStatus.LastFpDs",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_3_0_0, LastFpDs),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.XmmControlStatus.XmmStatusControl",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_3, XmmStatusControl),
    );
    put(
        "offset VIRTUAL_PROCESSOR_REGISTER.X64.XmmControlStatus.XmmStatusControlMask",
        offset_of!(VIRTUAL_PROCESSOR_REGISTER_1_3, XmmStatusControlMask),
    );
    put("size GPA_MEMORY_CHUNK", size_of::<GPA_MEMORY_CHUNK>());
    put(
        "offset GPA_MEMORY_CHUNK.PageCount",
        offset_of!(GPA_MEMORY_CHUNK, PageCount),
    );
    put("size GUEST_OS_INFO", size_of::<GUEST_OS_INFO>());
    put("size DOS_IMAGE_INFO", size_of::<DOS_IMAGE_INFO>());
    put(
        "offset DOS_IMAGE_INFO.ImageBaseAddress",
        offset_of!(DOS_IMAGE_INFO, ImageBaseAddress),
    );
    put(
        "offset DOS_IMAGE_INFO.ImageSize",
        offset_of!(DOS_IMAGE_INFO, ImageSize),
    );
    put(
        "offset DOS_IMAGE_INFO.Timestamp",
        offset_of!(DOS_IMAGE_INFO, Timestamp),
    );
    put("size MODULE_INFO", size_of::<MODULE_INFO>());
    put("offset MODULE_INFO.Image", offset_of!(MODULE_INFO, Image));
    put(
        "size VM_SAVED_STATE_DUMP_HANDLE",
        size_of::<VM_SAVED_STATE_DUMP_HANDLE>(),
    );
    put("size PAGING_MODE", size_of::<PAGING_MODE>());
    put("size REGISTER_ID", size_of::<REGISTER_ID>());
    // Bitfields: the value of the whole word with one field all ones.
    let mut bits = |k: &str, v: u64| {
        e.insert(format!("bits {k}"), i128::from(v));
    };
    let os = |f: fn(&mut GUEST_OS_INFO_0)| {
        let mut x = GUEST_OS_INFO_0::default();
        f(&mut x);
        x.AsUINT64
    };
    bits(
        "ClosedSource.BuildNumber",
        os(|x| x.set_build_number(u64::MAX)),
    );
    bits(
        "ClosedSource.ServiceVersion",
        os(|x| x.set_service_version(u64::MAX)),
    );
    bits(
        "ClosedSource.MinorVersion",
        os(|x| x.set_minor_version(u64::MAX)),
    );
    bits(
        "ClosedSource.MajorVersion",
        os(|x| x.set_major_version(u64::MAX)),
    );
    bits("ClosedSource.OsId", os(|x| x.set_os_id(u64::MAX)));
    bits("ClosedSource.VendorId", os(|x| x.set_vendor_id(u64::MAX)));
    let open = |f: fn(&mut GUEST_OS_INFO_1)| {
        let mut x = GUEST_OS_INFO_1::default();
        f(&mut x);
        x.AsUINT64
    };
    bits(
        "OpenSource.VendorSpecific1",
        open(|x| x.set_vendor_specific1(u64::MAX)),
    );
    bits("OpenSource.Version", open(|x| x.set_version(u64::MAX)));
    bits(
        "OpenSource.VendorSpecific2",
        open(|x| x.set_vendor_specific2(u64::MAX)),
    );
    bits("OpenSource.OsId", open(|x| x.set_os_id(u64::MAX)));
    bits(
        "OpenSource.IsOpenSource",
        open(|x| x.set_is_open_source(u64::MAX)),
    );
    let seg = |f: fn(&mut VIRTUAL_PROCESSOR_REGISTER_1_0)| {
        let mut x = <VIRTUAL_PROCESSOR_REGISTER_1_0 as Default>::default();
        f(&mut x);
        u64::from(x.Attributes)
    };
    bits("Segment.SegmentType", seg(|x| x.set_segment_type(u16::MAX)));
    bits(
        "Segment.NonSystemSegment",
        seg(|x| x.set_non_system_segment(u16::MAX)),
    );
    bits(
        "Segment.DescriptorPrivilegeLevel",
        seg(|x| x.set_descriptor_privilege_level(u16::MAX)),
    );
    bits("Segment.Present", seg(|x| x.set_present(u16::MAX)));
    bits("Segment.Available", seg(|x| x.set_available(u16::MAX)));
    bits("Segment.Long", seg(|x| x.set_long(u16::MAX)));
    bits("Segment.Default", seg(|x| x.set_default(u16::MAX)));
    bits("Segment.Granularity", seg(|x| x.set_granularity(u16::MAX)));
    e
}

/// The C program that prints the same keys.
fn program(keys: &BTreeMap<String, i128>) -> String {
    let mut c = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include <string.h>\n\
         #include \"VmSavedStateDump.h\"\n#include \"VmSavedStateDump.h\"\n\
         #include \"vmsavedstatedumpdefs.h\"\n\
         int main(void) {\n    GUEST_OS_INFO os;\n    VIRTUAL_PROCESSOR_REGISTER r;\n",
    );
    for key in keys.keys() {
        let (kind, what) = key.split_once(' ').unwrap();
        let line = match kind {
            "const" => format!("printf(\"{key} %lld\\n\", (long long)({what}));"),
            "size" => format!("printf(\"{key} %lld\\n\", (long long)sizeof({what}));"),
            "align" => format!("printf(\"{key} %lld\\n\", (long long)_Alignof({what}));"),
            "offset" => {
                let (t, f) = what.split_once('.').unwrap();
                format!("printf(\"{key} %lld\\n\", (long long)offsetof({t}, {f}));")
            }
            "bits" => {
                let (view, field) = what.split_once('.').unwrap();
                if view == "Segment" {
                    format!(
                        "memset(&r, 0, sizeof r); r.X64.Segment.{field} = ~0u; \
                         printf(\"{key} %llu\\n\", (unsigned long long)r.X64.Segment.Attributes);"
                    )
                } else {
                    format!(
                        "memset(&os, 0, sizeof os); os.{view}.{field} = ~0ull; \
                         printf(\"{key} %llu\\n\", (unsigned long long)os.AsUINT64);"
                    )
                }
            }
            _ => unreachable!(),
        };
        let _ = writeln!(c, "    {line}");
    }
    c.push_str("    return 0;\n}\n");
    c
}

#[test]
fn header_layouts_and_values_equal_winhv_defs() {
    let Some(cc) = support::c_compiler() else {
        return;
    };
    let want = expected();
    let dir = support::scratch("layout");
    let source = dir.join("layout.c");
    std::fs::write(&source, program(&want)).unwrap();
    // -Wno-overflow: assigning ~0 to a narrow bitfield is the point.
    let exe = dir.join("layout");
    let out = std::process::Command::new(cc)
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-Wno-overflow",
        ])
        .arg("-I")
        .arg(support::include_dir())
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(&exe)
        .output()
        .expect("run layout");
    let mut got = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (k, v) = line.rsplit_once(' ').unwrap();
        got.insert(k.to_string(), v.parse::<i128>().unwrap());
    }
    // The C program prints HRESULTs and enums as signed 32-bit values.
    for (k, v) in &want {
        let g = got.get(k).copied();
        assert_eq!(g, Some(*v), "{k}");
    }
    assert_eq!(got.len(), want.len());

    // C++17 and a header included on its own.
    let cxx = dir.join("cxx.cpp");
    std::fs::write(
        &cxx,
        "#include \"VmSavedStateDump.h\"\n\
         static HRESULT count(VM_SAVED_STATE_DUMP_HANDLE h) { UINT32 n = 0; return GetVpCount(h, &n); }\n\
         int main() { return count(nullptr) == E_HANDLE ? 0 : 1; }\n",
    )
    .unwrap();
    let out = std::process::Command::new(if cc == "gcc" { "g++" } else { cc })
        .args([
            "-x",
            "c++",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-fsyntax-only",
        ])
        .arg("-I")
        .arg(support::include_dir())
        .arg(&cxx)
        .output()
        .expect("run the C++ compiler");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let defs_alone = dir.join("defs.c");
    std::fs::write(
        &defs_alone,
        "#include \"VmSavedStateDumpDefs.h\"\nint main(void) { return 0; }\n",
    )
    .unwrap();
    let out = std::process::Command::new(cc)
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-fsyntax-only",
        ])
        .arg("-I")
        .arg(support::include_dir())
        .arg(&defs_alone)
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
