//! The exported symbols of each library (`nm -D --defined-only`) are
//! exactly that Windows library's functions — the names windows-sys 0.61
//! declares for winhvplatform.dll (66), winhvemulation.dll (4) and
//! vmdevicehost.dll (13) — plus, in libWinHvPlatform.so, winhv's own
//! `Winhv*` functions, and the headers in `include/` declare exactly those.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The functions windows-sys declares for `dll`, read from its source
/// (found through `cargo metadata`).
fn windows_sys_functions(dll: &str) -> BTreeSet<String> {
    // Offline first (the build fetched what this platform needs); metadata
    // also wants the manifests of other platforms' dependencies, which a
    // fresh machine may not have yet, so fall back to fetching them.
    let metadata = |offline: bool| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["metadata", "--format-version", "1"]);
        if offline {
            cmd.arg("--offline");
        }
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo metadata")
    };
    let mut out = metadata(true);
    if !out.status.success() {
        out = metadata(false);
    }
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8(out.stdout).expect("UTF-8 metadata");
    // The manifest path of windows-sys 0.61.x, without a JSON parser.
    let manifest = json
        .split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|p| p.contains("windows-sys-0.61"))
        .expect("windows-sys 0.61 in the dependency graph");
    let source = Path::new(manifest)
        .parent()
        .unwrap()
        .join("src/Windows/Win32/System/Hypervisor/mod.rs");
    let text = std::fs::read_to_string(&source).expect("read windows-sys' Hypervisor module");
    let marker = format!("windows_link::link!(\"{dll}\" \"system\" fn ");
    text.lines()
        .filter_map(|l| l.strip_prefix(&marker))
        .map(|rest| rest.split('(').next().unwrap().trim().to_string())
        .collect()
}

/// The dynamic symbols `lib` defines.
fn exported(lib: &Path) -> Option<BTreeSet<String>> {
    let out = match Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            println!("SKIPPED: no nm");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "nm {}: {}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
            .collect(),
    )
}

/// The `WHv…(` function declarations of a header (callback typedefs and
/// struct members are not followed by a parenthesis).
fn declared(header: &str) -> BTreeSet<String> {
    declared_with(header, "WHv")
}

/// The `PREFIX…(` function declarations of a header.
fn declared_with(header: &str, prefix: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(support::include_dir().join(header)).expect("read header");
    let bytes = text.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while let Some(at) = text[i..].find(prefix) {
        let start = i + at;
        let preceded =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let end = start
            + text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(0);
        if !preceded && text[end..].trim_start().starts_with('(') {
            names.insert(text[start..end].to_string());
        }
        i = end.max(start + prefix.len());
    }
    names
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn platform_exports_exactly_winhvplatform() {
    let expected = windows_sys_functions("winhvplatform.dll");
    assert_eq!(expected.len(), 66);
    assert_eq!(set(WinHvPlatform::EXPORTS), expected);
    // Beside them, winhv's own (the compute system, the device host's
    // table), each starting with "Winhv" and declared in its header.
    let extensions = set(WinHvPlatform::EXTENSIONS);
    assert!(extensions.iter().all(|n| n.starts_with("Winhv")));
    if let Some(symbols) = exported(&support::lib_dir().join("libWinHvPlatform.so")) {
        let all: BTreeSet<String> = expected.union(&extensions).cloned().collect();
        assert_eq!(symbols, all);
    }
    assert_eq!(declared("WinHvPlatform.h"), expected);
    let text =
        std::fs::read_to_string(support::include_dir().join("winhvcomputesystem.h")).unwrap();
    for name in &extensions {
        assert!(
            text.contains(&format!("{name}(")),
            "{name} not declared in winhvcomputesystem.h"
        );
    }
}

#[test]
fn emulation_exports_exactly_winhvemulation() {
    let expected = windows_sys_functions("winhvemulation.dll");
    assert_eq!(expected.len(), 4);
    assert_eq!(set(WinHvEmulation::EXPORTS), expected);
    if let Some(symbols) = exported(&support::lib_dir().join("libWinHvEmulation.so")) {
        assert_eq!(symbols, expected);
    }
    assert_eq!(declared("WinHvEmulation.h"), expected);
}

#[test]
fn devicehost_exports_exactly_vmdevicehost() {
    let expected = windows_sys_functions("vmdevicehost.dll");
    assert_eq!(expected.len(), 13);
    if let Some(symbols) = exported(&support::lib_dir().join("libvmdevicehost.so")) {
        assert_eq!(symbols, expected);
    }
    assert_eq!(declared_with("vmdevicehost.h", "Hdv"), expected);
}

/// The exports backed by the Rust core.
const IMPLEMENTED: &[&str] = &[
    "WHvGetCapability",
    "WHvCreatePartition",
    "WHvSetupPartition",
    "WHvResetPartition",
    "WHvSuspendPartitionTime",
    "WHvResumePartitionTime",
    "WHvGetPartitionCounters",
    "WHvGetVirtualProcessorCounters",
    "WHvGetVirtualProcessorCpuidOutput",
    "WHvAdviseGpaRange",
    "WHvGetVirtualProcessorState",
    "WHvSetVirtualProcessorState",
    "WHvDeletePartition",
    "WHvGetPartitionProperty",
    "WHvSetPartitionProperty",
    "WHvMapGpaRange",
    "WHvMapGpaRange2",
    "WHvUnmapGpaRange",
    "WHvTranslateGva",
    "WHvQueryGpaRangeDirtyBitmap",
    "WHvReadGpaRange",
    "WHvWriteGpaRange",
    "WHvCreateVirtualProcessor",
    "WHvCreateVirtualProcessor2",
    "WHvDeleteVirtualProcessor",
    "WHvRunVirtualProcessor",
    "WHvCancelRunVirtualProcessor",
    "WHvGetVirtualProcessorRegisters",
    "WHvSetVirtualProcessorRegisters",
    "WHvGetVirtualProcessorXsaveState",
    "WHvSetVirtualProcessorXsaveState",
    "WHvRequestInterrupt",
    "WHvGetInterruptTargetVpSet",
    "WHvGetVirtualProcessorInterruptControllerState",
    "WHvSetVirtualProcessorInterruptControllerState",
    "WHvGetVirtualProcessorInterruptControllerState2",
    "WHvSetVirtualProcessorInterruptControllerState2",
    "WHvPostVirtualProcessorSynicMessage",
    "WHvSignalVirtualProcessorSynicEvent",
    "WHvRegisterPartitionDoorbellEvent",
    "WHvUnregisterPartitionDoorbellEvent",
    "WHvCreateTrigger",
    "WHvUpdateTriggerParameters",
    "WHvDeleteTrigger",
    "WHvCreateNotificationPort",
    "WHvSetNotificationPortProperty",
    "WHvDeleteNotificationPort",
];

#[test]
fn every_export_is_implemented_or_listed_unsupported() {
    let implemented = set(IMPLEMENTED);
    let unsupported = set(WinHvPlatform::UNSUPPORTED);
    assert_eq!(
        unsupported.len(),
        WinHvPlatform::UNSUPPORTED.len(),
        "duplicates"
    );
    assert!(implemented.is_disjoint(&unsupported));
    let all: BTreeSet<String> = implemented.union(&unsupported).cloned().collect();
    assert_eq!(all, set(WinHvPlatform::EXPORTS));
}
