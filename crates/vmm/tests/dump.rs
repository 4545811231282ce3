//! `winhv dump FILE`, run as a user runs it, on a `.vmrs` and an ELF core
//! written with the saved-state reader's builders: the table names the
//! format, each VP's mode and registers and the memory map; `--json`
//! carries the same with exact values; a file in no known format fails
//! with the reader's explanation.

#[path = "../../savedstate/tests/support/build.rs"]
mod build;

use std::path::{Path, PathBuf};
use std::process::Command;

fn winhv(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_winhv"))
        .args(args)
        .output()
        .expect("the winhv binary runs")
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn dump_shows_a_vmrs() {
    let path = scratch("vm.vmrs", &build::vmrs(2, true, 0x8100_0001_0005_0000));
    let out = winhv(&["dump".as_ref(), path.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Hyper-V .vmrs, VM version 10.0, 2 VP(s)"),
        "{text}"
    );
    assert!(
        text.contains("guest OS id 0x8100000100050000, VTLs 0b11"),
        "{text}"
    );
    assert!(
        text.contains("VP 1 (index 1): x64, paging Long, CPL 0 (kernel)"),
        "{text}"
    );
    let vp1 = &text[text.find("VP 1 ").unwrap()..];
    let rip = vp1.split_whitespace().skip_while(|w| *w != "rip").nth(1);
    assert_eq!(rip, Some("0x100000000001010"), "{text}");
    assert!(
        text.contains("cs    0x0010 base 0x0 limit 0xffffffff attr 0xa09b"),
        "{text}"
    );
    assert!(
        text.contains("0x0000000100000000..0x0000000100100000  1 MiB"),
        "{text}"
    );
    assert!(text.contains("raw saved memory 3 MiB"), "{text}");
    assert!(
        !text.contains("not saved"),
        "a .vmrs saves every register: {text}"
    );

    let out = winhv(&["dump".as_ref(), "--json".as_ref(), path.as_os_str()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["vps"].as_array().unwrap().len(), 2);
    let vp0 = &v["vps"][0];
    assert_eq!(vp0["architecture"], "Arch_x64");
    assert_eq!(vp0["paging_mode"], "Paging_Long");
    assert_eq!(vp0["vtls"], 3);
    assert_eq!(vp0["registers"]["cr3"], "0x1000");
    assert_eq!(vp0["registers"]["gdtr"]["base"], "0xffff800000008000");
    assert_eq!(vp0["registers"]["xmm2"], "0x2");
    assert_eq!(v["memory"]["chunks"][0]["pages"], 512);
    assert_eq!(v["memory"]["raw_size"], "0x300000");
    assert!(v.get("images").is_none());

    let out = winhv(&["dump".as_ref(), "--images".as_ref(), path.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("images in VP 0's address space: 1"), "{text}");
    assert!(text.contains(build::IMAGE_PDB), "{text}");
    let out = winhv(&[
        "dump".as_ref(),
        "--json".as_ref(),
        "--images".as_ref(),
        path.as_os_str(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["images"][0]["base"], "0x40000");
    assert_eq!(v["images"][0]["size"], "0x20000");
}

#[test]
fn dump_shows_an_elf_core_and_what_it_does_not_save() {
    let low = build::low_memory();
    let path = scratch("vm.core", &build::elf_core(1, &[(0, &low[..0x8000])]));
    let out = winhv(&["dump".as_ref(), path.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("QEMU ELF64 core (EM_X86_64), 1 VP(s)"),
        "{text}"
    );
    assert!(text.contains("not saved: xmm0"), "{text}");
    assert!(text.contains(" efer "), "{text}");
    assert!(
        text.contains("0x0000000000000000..0x0000000000008000  32 KiB"),
        "{text}"
    );
}

#[test]
fn dump_of_an_unknown_file_fails_with_the_readers_words() {
    let path = scratch("junk", b"not a saved state");
    let out = winhv(&["dump".as_ref(), path.as_os_str()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HRESULT_ERROR_BAD_FORMAT"), "{err}");
}
