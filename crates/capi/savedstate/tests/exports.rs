//! The exported symbols of libvmsavedstatedumpprovider.so (`nm -D
//! --defined-only`) are exactly the functions windows-sys 0.61 declares for
//! vmsavedstatedumpprovider.dll (43), `include/VmSavedStateDump.h`
//! declares exactly those, and each is either backed by the reader or
//! listed as unsupported.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The functions windows-sys declares for `dll`, read from its source
/// (found through `cargo metadata`).
fn windows_sys_functions(dll: &str) -> BTreeSet<String> {
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
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let manifest = json["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["manifest_path"].as_str())
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

/// The functions a header declares: `WINHV_API Name(`.
fn declared(header: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(support::include_dir().join(header)).expect("read header");
    text.split("WINHV_API")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .map(|name| name.trim().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn exports_exactly_vmsavedstatedumpprovider() {
    let expected = windows_sys_functions("vmsavedstatedumpprovider.dll");
    assert_eq!(expected.len(), 43);
    assert_eq!(set(vmsavedstatedumpprovider::EXPORTS), expected);
    let lib = support::lib_dir().join("libvmsavedstatedumpprovider.so");
    match Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "nm: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let symbols: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
                .collect();
            assert_eq!(symbols, expected);
        }
        Err(_) => println!("SKIPPED: no nm"),
    }
    assert_eq!(declared("VmSavedStateDump.h"), expected);
}

/// The exports backed by the reader.
const IMPLEMENTED: &[&str] = &[
    "LoadSavedStateFile",
    "ReleaseSavedStateFiles",
    "ApplyPendingSavedStateFileReplayLog",
    "GetVpCount",
    "GetArchitecture",
    "ForceArchitecture",
    "GetRegisterValue",
    "GetPagingMode",
    "ForcePagingMode",
    "InKernelSpace",
    "GetActiveVirtualTrustLevel",
    "ForceActiveVirtualTrustLevel",
    "GetEnabledVirtualTrustLevels",
    "GetGuestEnabledVirtualTrustLevels",
    "IsActiveVirtualTrustLevelEnabled",
    "IsNestedVirtualizationEnabled",
    "GetNestedVirtualizationMode",
    "ForceNestedHostMode",
    "GetGuestOsInfo",
    "ReadGuestPhysicalAddress",
    "GuestVirtualAddressToPhysicalAddress",
    "GetGuestPhysicalMemoryChunks",
    "GuestPhysicalAddressToRawSavedMemoryOffset",
    "GetGuestRawSavedMemorySize",
    "ReadGuestRawSavedMemory",
    "GetMemoryBlockCacheLimit",
    "SetMemoryBlockCacheLimit",
    "ScanMemoryForDosImages",
    "ApplyGuestMemoryFix",
];

#[test]
fn every_export_is_implemented_or_listed_unsupported() {
    let implemented = set(IMPLEMENTED);
    let unsupported = set(vmsavedstatedumpprovider::UNSUPPORTED);
    assert_eq!(
        unsupported.len(),
        vmsavedstatedumpprovider::UNSUPPORTED.len(),
        "duplicates"
    );
    assert!(implemented.is_disjoint(&unsupported));
    let all: BTreeSet<String> = implemented.union(&unsupported).cloned().collect();
    assert_eq!(all, set(vmsavedstatedumpprovider::EXPORTS));
}
