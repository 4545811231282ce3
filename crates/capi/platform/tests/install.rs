//! `scripts/install --prefix DIR --from LIBDIR` lays out libraries,
//! lower-case symlinks, headers and a `winhv.pc` whose prefix is DIR; a C
//! program then builds with `pkg-config --cflags --libs winhv` alone and
//! runs against the installed libraries.

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn install_lays_out_a_usable_prefix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let prefix =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&prefix);
    let status = Command::new(root.join("scripts/install"))
        .arg("--prefix")
        .arg(&prefix)
        .arg("--from")
        .arg(support::lib_dir())
        .status()
        .expect("run scripts/install");
    assert!(status.success());

    let lib = prefix.join("lib");
    for (real, link) in [
        ("libWinHvPlatform.so", "libwinhvplatform.so"),
        ("libWinHvEmulation.so", "libwinhvemulation.so"),
    ] {
        assert!(lib.join(real).is_file(), "{real}");
        assert_eq!(std::fs::read_link(lib.join(link)).unwrap(), Path::new(real));
    }
    for h in ["WinHvPlatform.h", "WinHvPlatformDefs.h", "WinHvEmulation.h"] {
        assert!(prefix.join("include/winhv").join(h).is_file(), "{h}");
    }
    assert!(
        lib.join("libvmdevicehost.so").is_file(),
        "libvmdevicehost.so"
    );
    for h in ["vmdevicehost.h", "winhvcomputesystem.h"] {
        assert!(prefix.join("include/winhv").join(h).is_file(), "{h}");
    }
    let devicehost = std::fs::read_to_string(lib.join("pkgconfig/winhv-devicehost.pc")).unwrap();
    assert!(
        devicehost.contains("-lvmdevicehost -lWinHvPlatform"),
        "{devicehost}"
    );
    let pc = std::fs::read_to_string(lib.join("pkgconfig/winhv.pc")).unwrap();
    assert!(pc.contains(&format!("prefix={}", prefix.display())), "{pc}");
    assert!(!pc.contains("@PREFIX@"));

    assert!(pc.contains("-Wl,-rpath,${libdir}"), "{pc}");

    // Build a client with pkg-config's flags only, against the prefix, as
    // the README says (`-std=gnu11`, no rpath or LD_LIBRARY_PATH of ours):
    // it must start and find the installed libraries.
    let Some(cc) = support::c_compiler() else {
        return;
    };
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "winhv"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
        .output();
    let Ok(flags) = flags.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        println!("SKIPPED: no pkg-config");
        return;
    };
    assert!(flags.contains("-lWinHvPlatform"), "{flags}");
    let exe = prefix.join("bad_input");
    let out = Command::new(cc)
        .args(["-std=gnu11", "-Wall", "-Wextra", "-pedantic", "-Werror"])
        .arg(support::c_dir().join("bad_input.c"))
        .arg("-o")
        .arg(&exe)
        .args(flags.split_whitespace())
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ldd = Command::new("ldd")
        .arg(&exe)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if let Ok(ldd) = ldd {
        assert!(
            ldd.contains(&lib.join("libWinHvPlatform.so").display().to_string()),
            "{ldd}"
        );
    }
    support::run(&exe);
    let _ = std::fs::remove_dir_all(&prefix);
}
