//! `scripts/install --prefix DIR --from LIBDIR` installs the saved-state
//! reader beside the platform libraries: the library and its camel-case
//! symlink, the headers, and a `winhv-savedstate.pc`; the C client then
//! builds with `pkg-config --cflags --libs winhv-savedstate` alone and runs
//! against the installed library.

mod support;

use std::path::Path;
use std::process::Command;

use support::build;

#[test]
fn install_lays_out_the_saved_state_reader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let dir = support::scratch("install");
    let prefix = dir.join("prefix");
    let status = Command::new(root.join("scripts/install"))
        .arg("--prefix")
        .arg(&prefix)
        .arg("--from")
        .arg(support::lib_dir())
        .status()
        .expect("run scripts/install");
    assert!(status.success());
    let lib = prefix.join("lib");
    assert!(lib.join("libvmsavedstatedumpprovider.so").is_file());
    assert_eq!(
        std::fs::read_link(lib.join("libVmSavedStateDumpProvider.so")).unwrap(),
        Path::new("libvmsavedstatedumpprovider.so")
    );
    for h in [
        "VmSavedStateDump.h",
        "VmSavedStateDumpDefs.h",
        "vmsavedstatedump.h",
        "vmsavedstatedumpdefs.h",
    ] {
        assert!(prefix.join("include/winhv").join(h).is_file(), "{h}");
    }
    let pc = std::fs::read_to_string(lib.join("pkgconfig/winhv-savedstate.pc")).unwrap();
    assert!(pc.contains(&format!("prefix={}", prefix.display())), "{pc}");

    let Some(cc) = support::c_compiler() else {
        return;
    };
    let Ok(flags) = Command::new("pkg-config")
        .args(["--cflags", "--libs", "winhv-savedstate"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    else {
        println!("SKIPPED: no pkg-config");
        return;
    };
    assert!(flags.contains("-lvmsavedstatedumpprovider"), "{flags}");
    let exe = dir.join("client");
    let out = Command::new(cc)
        .args(["-std=gnu11", "-Wall", "-Wextra", "-pedantic", "-Werror"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/client.c"))
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
    let vmrs = dir.join("vm.vmrs");
    std::fs::write(&vmrs, build::vmrs(2, true, 0x8100_0001_0005_0000)).unwrap();
    let low = build::low_memory();
    let core = dir.join("vm.core");
    std::fs::write(
        &core,
        build::elf_core(
            2,
            &[
                (0, &low[..0x8000]),
                (build::DATA_GPA, &low[build::DATA_GPA as usize..][..0x1000]),
            ],
        ),
    )
    .unwrap();
    let bad = dir.join("bad");
    std::fs::write(&bad, b"nothing").unwrap();
    let ldd = Command::new("ldd")
        .arg(&exe)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if let Ok(ldd) = ldd {
        assert!(
            ldd.contains(
                &lib.join("libvmsavedstatedumpprovider.so")
                    .display()
                    .to_string()
            ),
            "{ldd}"
        );
    }
    support::run(&exe, &[&vmrs, &core, &bad, &dir.join("missing")]);
    let _ = std::fs::remove_dir_all(&dir);
}
