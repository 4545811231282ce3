//! A C program compiled with gcc against `include/` and linked with
//! libvmsavedstatedumpprovider.so, run as a real client would: it opens a
//! `.vmrs` and an ELF core this test writes (with the reader's own
//! builders), reads them through every implemented export, and checks the
//! HRESULTs of bad arguments, handles and files and of the unsupported
//! exports. It must print PASS, for the `.vmrs` stored and compressed.

mod support;

use support::build;

#[test]
fn c_client_reads_saved_states_through_the_exports() {
    let Some(cc) = support::c_compiler() else {
        return;
    };
    let dir = support::scratch("client");
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
    let bad = dir.join("bad.bin");
    std::fs::write(&bad, b"neither ELF nor HyperVStorage").unwrap();
    let missing = dir.join("missing.vmrs");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/client.c");
    let exe = support::build_c(cc, &source, &dir.join("client"), false);
    let out = support::run(&exe, &[&vmrs, &core, &bad, &missing]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "PASS")
    );
    // The same state with its RAM blocks XPRESS-compressed answers the
    // same through every export.
    let packed = dir.join("packed.vmrs");
    std::fs::write(
        &packed,
        build::vmrs_with(2, true, 0x8100_0001_0005_0000, true),
    )
    .unwrap();
    let out = support::run(&exe, &[&packed, &core, &bad, &missing]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "PASS"),
        "the compressed .vmrs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
