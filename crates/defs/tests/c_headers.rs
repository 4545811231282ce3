//! The C headers in `include/` against the Rust ABI.
//!
//! The test reads `WinHvPlatformDefs.h`, `WinHvEmulation.h` and
//! `winhv_base.h`, lists every typedef, every struct/union member (through
//! anonymous unions and structs, as C code reaches them), every bitfield,
//! every enumerator and every integer `#define`, and writes a C program that
//! prints, for each, `size T n` / `align T n` / `offset T.f n` /
//! `msize T.f n` (the member's size) /
//! `bits T.f first width` / `const NAME value`. The program is compiled with
//! `cc -std=c11 -Wall -Wextra -pedantic -Werror` and run; its answers are
//! compared with
//! * `windows-sys` (the ABI oracle): every WHV type, field and constant it
//!   has must be in the headers with the same value (types built on
//!   `WHV_UINT128` are 16-byte aligned in C, 8 in `windows-sys`), and every
//!   WHV name of the headers must be known to `windows-sys` or listed in
//!   [`C_ONLY`];
//! * `winhv-defs` (the Rust twin): sizes, alignments, offsets, constants and
//!   the bit positions of every `bitfield!` accessor.
//!
//! The prototypes of `WinHvPlatform.h` / `WinHvEmulation.h` and the
//! emulator callback types are compared with `windows-sys`' (names,
//! parameter names and types). More checks compile (without linking) code
//! written the way Windows callers write it: `tests/c/c_headers_callers.c`
//! as C11, `tests/c/c_headers_cxx.cpp` as C++17, `tests/c/c_headers_compat.c`
//! (a Wine-style compatibility header included first), and each header
//! alone and twice, all with `-pedantic -Werror`; `include/winhv.pc.in`
//! goes through pkg-config. The tables are listed by
//! `tests/c/c_headers_gen.py`.
//! Where no C compiler is installed the tests print `SKIPPED: no C compiler`
//! and pass.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[path = "c/c_headers_defs.rs"]
mod defs_table;
#[path = "c/c_headers_parse.rs"]
mod parse;
#[path = "c/c_headers_ws.rs"]
mod ws_table;

/// One expected answer of the C program: its key (`size WHV_X`, …) and value.
pub type Expect = (String, i128);

/// WHV names of the headers that `windows-sys` does not have, each present
/// in Microsoft's headers: aliases and handle typedefs that `windows-sys`
/// folds into others, x64-only values it drops, and Windows' own spelling
/// `WhvRunVpCancelReasonUser`.
const C_ONLY: &[&str] = &[
    "WHV_GUEST_PHYSICAL_ADDRESS",
    "WHV_GUEST_VIRTUAL_ADDRESS",
    "WHV_TRIGGER_HANDLE",
    "WHV_NOTIFICATION_PORT_HANDLE",
    "WHV_NOTIFICATION_PORT_PROPERTY",
    "WHV_EMULATOR_HANDLE",
    "WHV_PROCESSOR_ACTIVITY_COUNTERS",
    "WHV_PROCESSOR_GUEST_EVENT_COUNTERS",
    "WHV_NOTIFICATION_PORT_PREFERRED_DURATION_MAX",
    "WHvCacheTypeWriteProtected",
    "WhvRunVpCancelReasonUser",
];

/// `bitfield!` accessor names of winhv-defs that are not the C name in
/// snake case (a Rust keyword, or a name clash).
const RUST_BIT_NAMES: &[(&str, &str)] = &[("r#type", "Type"), ("default_bit", "Default")];

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include")
}

fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c")
}

fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// True when `tool --version` runs.
fn have_quiet(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// True when `tool --version` runs; otherwise prints the skip line.
fn have(tool: &str) -> bool {
    let ok = have_quiet(tool);
    if !ok {
        println!("SKIPPED: no C compiler");
    }
    ok
}

/// Runs a compiler; panics with its diagnostics when it fails.
fn compile(tool: &str, args: &[&str]) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const C_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"];
const CXX_FLAGS: &[&str] = &["-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror"];

fn read_header(name: &str) -> String {
    let path = include_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Writes the layout program for the parsed headers.
fn layout_program(model: &parse::Model) -> String {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\n\
         #include \"WinHvPlatform.h\"\n#include \"WinHvEmulation.h\"\n\n\
         static volatile unsigned long long ones = ~0ULL;\n\n\
         /* Prints the first set bit and the number of set bits (-1 when they\n\
          * are not contiguous). */\n\
         static void bits(const char *name, const unsigned char *b, size_t n) {\n\
         \x20   long first = -1, last = -1, count = 0;\n\
         \x20   for (size_t i = 0; i < n * 8; i++) {\n\
         \x20       if (b[i / 8] & (1u << (i % 8))) {\n\
         \x20           if (first < 0) first = (long)i;\n\
         \x20           last = (long)i;\n\
         \x20           count++;\n\
         \x20       }\n\
         \x20   }\n\
         \x20   printf(\"bits %s %ld %ld\\n\", name, first, last - first + 1 == count ? count : -1);\n\
         }\n\n\
         #define L_TY(t) printf(\"size %s %zu\\nalign %s %zu\\n\", #t, sizeof(t), #t, _Alignof(t))\n\
         #define L_OFF(t, f) printf(\"offset %s.%s %zu\\nmsize %s.%s %zu\\n\", #t, #f, offsetof(t, f), \
         #t, #f, sizeof(((t *)0)->f))\n\
         #define L_BITS(t, f) do { t v_; unsigned char b_[sizeof(t)]; memset(&v_, 0, sizeof v_); \
         v_.f = ones; memcpy(b_, &v_, sizeof v_); bits(#t \".\" #f, b_, sizeof b_); } while (0)\n\
         static void const_s(const char *n, long long v) { printf(\"const %s %lld\\n\", n, v); }\n\
         static void const_u(const char *n, unsigned long long v) { printf(\"const %s %llu\\n\", n, v); }\n\
         #define L_CONST(c) _Generic((c), unsigned long long: const_u, unsigned long: const_u, \
         default: const_s)(#c, (c))\n\n\
         int main(void) {\n",
    );
    for t in &model.types {
        writeln!(c, "    L_TY({t});").unwrap();
    }
    for (t, f) in &model.fields {
        writeln!(c, "    L_OFF({t}, {f});").unwrap();
    }
    for (t, f) in &model.bits {
        writeln!(c, "    L_BITS({t}, {f});").unwrap();
    }
    for k in &model.consts {
        writeln!(c, "    L_CONST({k});").unwrap();
    }
    c.push_str("    return 0;\n}\n");
    c
}

/// Parses the program's output into `key -> value`.
fn parse_output(out: &str) -> BTreeMap<String, i128> {
    let mut map = BTreeMap::new();
    for line in out.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            [kind, name, v] => {
                map.insert(format!("{kind} {name}"), v.parse().expect("a number"));
            }
            ["bits", name, first, width] => {
                map.insert(format!("bitpos {name}"), first.parse().expect("a number"));
                map.insert(format!("bitwidth {name}"), width.parse().expect("a number"));
            }
            _ => panic!("unexpected line from the layout program: {line}"),
        }
    }
    map
}

type Answers = (parse::Model, BTreeMap<String, i128>);

/// The layout program's answers, built and run once for all tests; `None`
/// when no compiler exists.
fn c_answers() -> Option<&'static Answers> {
    static ANSWERS: OnceLock<Option<Answers>> = OnceLock::new();
    let answers = ANSWERS.get_or_init(build_and_run);
    if answers.is_none() {
        println!("SKIPPED: no C compiler");
    }
    answers.as_ref()
}

fn build_and_run() -> Option<Answers> {
    if !have_quiet("cc") {
        return None;
    }
    let mut model = parse::Model::default();
    for h in [
        "winhv_base.h",
        "WinHvPlatformDefs.h",
        "WinHvPlatform.h",
        "WinHvEmulation.h",
    ] {
        parse::parse_header(&read_header(h), &mut model);
    }
    let dir = work_dir("c_headers_layout");
    let src = dir.join("c_headers_layout.c");
    let exe = dir.join("c_headers_layout");
    std::fs::write(&src, layout_program(&model)).expect("write the layout program");
    let inc = format!("-I{}", include_dir().display());
    let mut args: Vec<&str> = C_FLAGS.to_vec();
    args.extend([
        inc.as_str(),
        src.to_str().unwrap(),
        "-o",
        exe.to_str().unwrap(),
    ]);
    compile("cc", &args);
    let out = Command::new(&exe).output().expect("run the layout program");
    assert!(out.status.success(), "the layout program failed");
    Some((model, parse_output(&String::from_utf8_lossy(&out.stdout))))
}

/// Compares expectations with the C answers; returns the mismatches.
fn compare(what: &str, expect: &[Expect], c: &BTreeMap<String, i128>) -> Vec<String> {
    let mut bad = Vec::new();
    for (key, want) in expect {
        match c.get(key) {
            None => bad.push(format!("{what}: `{key}` is missing from the C headers")),
            Some(got) if got != want => {
                bad.push(format!("{what}: `{key}` is {got} in C, {want} in Rust"))
            }
            Some(_) => {}
        }
    }
    bad
}

fn report(bad: Vec<String>) {
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn headers_match_windows_sys() {
    let Some((model, c)) = c_answers() else {
        return;
    };
    let expect = ws_table::expectations();
    let mut bad = compare("windows-sys", &expect, c);
    // Completeness the other way: every WHV name the headers define is one
    // windows-sys knows, or one we list as C-only.
    let known: std::collections::BTreeSet<&str> = expect
        .iter()
        .filter_map(|(k, _)| k.split_once(' ').map(|(_, n)| n))
        .collect();
    for name in model.types.iter().chain(model.consts.iter()) {
        let whv = name.starts_with("WHV_") || name.starts_with("WHv") || name.starts_with("Whv");
        if whv && !known.contains(name.as_str()) && !C_ONLY.contains(&name.as_str()) {
            bad.push(format!(
                "`{name}` is in the C headers but not in windows-sys"
            ));
        }
    }
    // The headers must have found a sensible amount; guards the parser.
    assert!(
        model.types.len() > 120,
        "only {} types parsed",
        model.types.len()
    );
    assert!(
        model.bits.len() > 250,
        "only {} bitfields parsed",
        model.bits.len()
    );
    assert!(
        model.consts.len() > 430,
        "only {} constants parsed",
        model.consts.len()
    );
    report(bad);
}

#[test]
fn headers_match_winhv_defs() {
    let Some((model, c)) = c_answers() else {
        return;
    };
    let mut bad = compare("winhv-defs", &defs_table::expectations(), c);
    // Every bitfield accessor of the Rust twin sits where the C bitfield of
    // the same name (compared without case and underscores) sits.
    for (c_type, base_bits, fields) in defs_table::bitfields() {
        for &(name, shift, width) in fields {
            let want = parse::normalize(
                RUST_BIT_NAMES
                    .iter()
                    .find(|(r, _)| *r == name)
                    .map_or(name, |(_, c)| c),
            );
            let same = |f: &String| parse::normalize(f.rsplit('.').next().unwrap_or(f)) == want;
            let want_pos = base_bits + i128::from(shift);
            let Some((_, f)) = model.bits.iter().find(|(t, f)| t == c_type && same(f)) else {
                // An accessor over a whole C member (`ErrorCode` next to the
                // bitfields of WHV_X64_PENDING_INTERRUPTION_REGISTER).
                let member = model.fields.iter().find(|(t, f)| t == c_type && same(f));
                let at = member.and_then(|(t, f)| c.get(&format!("offset {t}.{f}")));
                if at.map(|o| o * 8) != Some(want_pos) {
                    bad.push(format!("bitfield {c_type}.{name} of winhv-defs has no C bitfield or member at bit {want_pos}"));
                }
                continue;
            };
            let key = format!("{c_type}.{f}");
            let pos = c.get(&format!("bitpos {key}")).copied();
            let wid = c.get(&format!("bitwidth {key}")).copied();
            if pos != Some(want_pos) || wid != Some(i128::from(width)) {
                bad.push(format!(
                    "bitfield {key}: C bit {pos:?} width {wid:?}, Rust bit {want_pos} width {width}"
                ));
            }
        }
    }
    report(bad);
}

#[test]
fn functions_match_windows_sys() {
    // Every function of the two DLLs and every emulator callback type, with
    // windows-sys' parameter names and types (compared without `const`;
    // Windows' own header and windows-sys differ there, e.g.
    // `VOID* SourceAddress`), and nothing else.
    let mut ours = parse::prototypes(&read_header("WinHvPlatform.h"));
    ours.extend(parse::prototypes(&read_header("WinHvEmulation.h")));
    let mut bad = Vec::new();
    for (name, params) in ws_table::FUNCTIONS {
        let want: Vec<(String, String)> = params
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        match ours.iter().find(|(n, _)| n == name) {
            None => bad.push(format!("{name} is not declared")),
            Some((_, got)) if *got != want => {
                bad.push(format!("{name}: C {got:?}, windows-sys {want:?}"))
            }
            Some(_) => {}
        }
    }
    for (name, _) in &ours {
        if !ws_table::FUNCTIONS.iter().any(|(n, _)| n == name) {
            bad.push(format!("{name} is declared but not in windows-sys"));
        }
    }
    if ours.len() != 75 {
        bad.push(format!(
            "{} prototypes and callback types; Windows has 66 + 4 functions, 5 callbacks",
            ours.len()
        ));
    }
    report(bad);
}

#[test]
fn bitfields_are_contiguous_and_in_header_order() {
    let Some((model, c)) = c_answers() else {
        return;
    };
    // Within one type, bitfields declared one after another occupy
    // consecutive bits: every run in the headers fills its storage unit
    // exactly, and GCC packs same-typed fields as MSVC does.
    let mut bad = Vec::new();
    let mut prev: Option<(&str, i128)> = None;
    for (t, f) in &model.bits {
        let key = format!("{t}.{f}");
        let pos = c[&format!("bitpos {key}")];
        let width = c[&format!("bitwidth {key}")];
        if width <= 0 {
            bad.push(format!("{key}: bits not contiguous"));
        }
        if let Some((pt, end)) = prev {
            if pt == t && pos != end {
                bad.push(format!(
                    "{key}: starts at bit {pos}, previous field ended at {end}"
                ));
            }
        }
        prev = Some((t, pos + width));
    }
    report(bad);
}

#[test]
fn windows_style_c_callers_compile() {
    if !have("cc") {
        return;
    }
    let dir = work_dir("c_headers_callers");
    let inc = format!("-I{}", include_dir().display());
    let src = c_dir().join("c_headers_callers.c");
    let obj = dir.join("c_headers_callers.o");
    let mut args: Vec<&str> = C_FLAGS.to_vec();
    args.extend([
        inc.as_str(),
        "-c",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    compile("cc", &args);
}

#[test]
fn headers_coexist_with_a_windows_compat_header() {
    if !have("cc") {
        return;
    }
    let dir = work_dir("c_headers_compat");
    let inc = format!("-I{}", include_dir().display());
    let src = c_dir().join("c_headers_compat.c");
    let obj = dir.join("c_headers_compat.o");
    let mut args: Vec<&str> = C_FLAGS.to_vec();
    args.extend([
        inc.as_str(),
        "-c",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    compile("cc", &args);
}

#[test]
fn cxx17_callers_compile() {
    if !have("c++") {
        return;
    }
    let dir = work_dir("c_headers_cxx");
    let inc = format!("-I{}", include_dir().display());
    let src = c_dir().join("c_headers_cxx.cpp");
    let obj = dir.join("c_headers_cxx.o");
    let mut args: Vec<&str> = CXX_FLAGS.to_vec();
    args.extend([
        inc.as_str(),
        "-c",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    compile("c++", &args);
}

#[test]
fn each_header_compiles_alone() {
    // Each header, included first and alone, in C11 and C++17: none relies
    // on an include order, and the lower-case spellings work.
    if !have("cc") || !have("c++") {
        return;
    }
    let dir = work_dir("c_headers_alone");
    let inc = format!("-I{}", include_dir().display());
    for header in [
        "winhv_base.h",
        "WinHvPlatformDefs.h",
        "WinHvPlatform.h",
        "WinHvEmulation.h",
        "winhvplatform.h",
        "winhvplatformdefs.h",
        "winhvemulation.h",
    ] {
        for (tool, flags, ext) in [("cc", C_FLAGS, "c"), ("c++", CXX_FLAGS, "cpp")] {
            let stem = header.replace('.', "_");
            let src = dir.join(format!("{stem}.{ext}"));
            let obj = dir.join(format!("{stem}_{ext}.o"));
            std::fs::write(
                &src,
                format!("#include <{header}>\n#include <{header}>\nint alone;\n"),
            )
            .expect("write the test unit");
            let mut args: Vec<&str> = flags.to_vec();
            args.extend([
                inc.as_str(),
                "-c",
                src.to_str().unwrap(),
                "-o",
                obj.to_str().unwrap(),
            ]);
            compile(tool, &args);
        }
    }
}

#[test]
fn pkg_config_template_substitutes() {
    let template = read_header("winhv.pc.in");
    assert!(
        template.contains("@PREFIX@"),
        "the template names its prefix"
    );
    let dir = work_dir("c_headers_pkgconfig");
    std::fs::write(
        dir.join("winhv.pc"),
        template.replace("@PREFIX@", "/opt/winhv"),
    )
    .expect("write winhv.pc");
    let Ok(out) = Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", &dir)
        .args(["--cflags", "--libs", "winhv"])
        .output()
    else {
        println!("SKIPPED: no pkg-config");
        return;
    };
    assert!(out.status.success(), "pkg-config rejected winhv.pc");
    let flags = String::from_utf8_lossy(&out.stdout);
    for want in [
        "-I/opt/winhv/include/winhv",
        "-L/opt/winhv/lib",
        "-lWinHvPlatform",
        "-lWinHvEmulation",
    ] {
        assert!(flags.contains(want), "`{want}` missing from `{flags}`");
    }
}
