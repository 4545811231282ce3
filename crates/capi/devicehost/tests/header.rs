//! include/vmdevicehost.h and include/winhvcomputesystem.h compile as C11
//! and C++17 with `-pedantic -Werror`, and their C_ASSERTs (the 12-byte
//! PnP ID, the 88-byte interface, the 48- and 72-byte configuration
//! structs) hold; the Rust side asserts the same sizes.

use std::path::Path;
use std::process::Command;

const SOURCE: &str = r#"
#include "winhvcomputesystem.h"
#include "WinHvPlatform.h"
static HRESULT CALLBACK start(void *context) { (void)context; return S_OK; }
int main(void) {
    HDV_PCI_DEVICE_INTERFACE iface;
    iface.Version = HdvPciDeviceInterfaceVersion1;
    iface.Start = start;
    WINHV_COMPUTE_SYSTEM_CONFIG config;
    config.Version = WINHV_COMPUTE_SYSTEM_CONFIG_VERSION;
    (void)iface; (void)config;
    return 0;
}
"#;

#[test]
fn headers_compile_as_c_and_cpp() {
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include");
    let dir = std::env::temp_dir().join(format!("winhv-devicehost-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client.c");
    std::fs::write(&file, SOURCE).unwrap();
    for (compiler, args) in [
        ("gcc", &["-std=c11"][..]),
        ("g++", &["-x", "c++", "-std=c++17"][..]),
    ] {
        let out = match Command::new(compiler)
            .args(args)
            .args(["-pedantic", "-Wall", "-Werror", "-fsyntax-only", "-I"])
            .arg(&include)
            .arg(&file)
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                println!("SKIPPED: no {compiler}");
                continue;
            }
        };
        assert!(
            out.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
