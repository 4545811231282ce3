#!/usr/bin/env python3
"""ABI coverage: is every item of windows-sys' Hypervisor module checked?

Lists every `pub struct`, `pub union`, `pub type` and `pub const` of
windows-sys' `Win32/System/Hypervisor/mod.rs` (function declarations are not
items of that kind and are not listed), plus the `WHV_E_*` and
`VM_SAVED_STATE_DUMP_E_*` HRESULTs of `Win32/Foundation/mod.rs`, and checks
that each name is an argument of one of the checking macros of
`crates/defs/tests/common/mod.rs` in some `crates/defs/tests/*.rs`:

  layout!(NAME { ... })      size, alignment, field offsets (the type's name)
  consts!(A, B, ...)         constant values
  covered!(A, B, ...)        size and alignment of a plain type: a handle,
                             a callback, an enum's integer type
  flattened!(A => T.f, ...)  a windows-sys bitfield type we fold into T.f

Names left out on purpose are listed in EXCLUDED below, each with its
reason. windows-sys is found through `cargo metadata` (the windows-sys
package that winhv-defs depends on).

Usage: tools/abi-coverage.py [--list]
  prints the names not covered and exits 1 if there are any, 0 otherwise;
  --list also prints every name with how it is covered (or why excluded).
Standard library only.
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "crates", "defs", "tests")

# (pattern matched against the whole name, reason). Keep each reason honest:
# these names are not part of the four libraries winhv implements.
EXCLUDED = [
    (r"HVSOCKET_.*", "hvsocket.h (Hyper-V sockets), not one of the four libraries"),
    (r"HV_GUID_.*", "hvsocket.h service/VM GUIDs, not one of the four libraries"),
    (r"HV_PROTOCOL_RAW", "hvsocket.h socket protocol number, not one of the four libraries"),
    (r"SOCKADDR_HV", "hvsocket.h socket address (needs WinSock), not one of the four libraries"),
    (r"VM_GENCOUNTER(_SYMBOLIC_LINK_NAME)?",
     "vmgenerationcounter.h: a guest driver's interface, not one of the four libraries"),
    (r"GUID_DEVINTERFACE_VM_GENCOUNTER",
     "vmgenerationcounter.h: a guest driver's interface, not one of the four libraries"),
    (r"IOCTL_VMGENCOUNTER_READ",
     "vmgenerationcounter.h: a guest driver's interface, not one of the four libraries"),
]

CHECK_MACROS = ("layout", "consts", "covered", "flattened")


def fail(msg):
    print(f"abi-coverage: {msg}", file=sys.stderr)
    sys.exit(2)


def windows_sys_dir():
    """The src/ directory of the windows-sys package winhv-defs uses."""
    cmd = ["cargo", "metadata", "--format-version", "1",
           "--manifest-path", os.path.join(ROOT, "Cargo.toml")]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", "") or str(e)
        fail(f"`{' '.join(cmd)}` failed: {detail.strip()}")
    meta = json.loads(out)
    packages = {p["id"]: p for p in meta["packages"]}
    candidates = []
    # Prefer the windows-sys that winhv-defs itself depends on.
    for node in (meta.get("resolve") or {}).get("nodes", []):
        pkg = packages.get(node["id"])
        if pkg and pkg["name"] == "winhv-defs":
            for dep in node.get("deps", []):
                dpkg = packages.get(dep["pkg"])
                if dpkg and dpkg["name"] == "windows-sys":
                    candidates.append(dpkg)
    if not candidates:
        candidates = [p for p in meta["packages"] if p["name"] == "windows-sys"]
    if not candidates:
        fail("no windows-sys package in `cargo metadata`")

    def version_key(p):
        return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.+-]", p["version"]))

    pkg = max(candidates, key=version_key)
    src = os.path.join(os.path.dirname(pkg["manifest_path"]), "src")
    if not os.path.isdir(src):
        fail(f"windows-sys {pkg['version']} source not found at {src}")
    return src, pkg["version"]


ITEM_RE = re.compile(r"^pub (?:struct|union|type|const) ([A-Za-z_][A-Za-z0-9_]*)\b", re.M)
HRESULT_RE = re.compile(
    r"^pub const ((?:WHV_E|VM_SAVED_STATE_DUMP_E)_[A-Za-z0-9_]*)\b", re.M)


def windows_names(src):
    hyp = os.path.join(src, "Windows", "Win32", "System", "Hypervisor", "mod.rs")
    found = os.path.join(src, "Windows", "Win32", "Foundation", "mod.rs")
    names = []
    for path, rx in ((hyp, ITEM_RE), (found, HRESULT_RE)):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            fail(f"cannot read {path}: {e}")
        names += rx.findall(text)
    return sorted(set(names))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def invocations(text, macro):
    """The argument text of every `macro!(...)` in text (balanced parens)."""
    for m in re.finditer(r"\b" + macro + r"!\s*\(", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text[m.end():i - 1]


IDENT = re.compile(r"(?<![$@\w])[A-Za-z_][A-Za-z0-9_]*")


def covered_names():
    """name -> sorted list of 'macro (file)' that check it."""
    cover = {}
    try:
        files = sorted(f for f in os.listdir(TESTS) if f.endswith(".rs"))
    except OSError as e:
        fail(f"cannot list {TESTS}: {e}")
    for fname in files:
        with open(os.path.join(TESTS, fname), encoding="utf-8") as f:
            text = strip_comments(f.read())
        for macro in CHECK_MACROS:
            for args in invocations(text, macro):
                if args.lstrip().startswith(("@", "$")):
                    continue  # a macro's own recursive rule, not a use
                if macro == "layout":
                    first = IDENT.search(args)
                    names = [first.group(0)] if first else []
                elif macro == "flattened":
                    names = [IDENT.search(item).group(0)
                             for item in args.split(",") if "=>" in item and IDENT.search(item)]
                else:
                    names = IDENT.findall(args)
                for n in names:
                    cover.setdefault(n, set()).add(f"{macro}! ({fname})")
    return {k: sorted(v) for k, v in cover.items()}


def excluded_reason(name):
    for pattern, reason in EXCLUDED:
        if re.fullmatch(pattern, name):
            return reason
    return None


def main(argv):
    if any(a not in ("--list",) for a in argv):
        print("usage: tools/abi-coverage.py [--list]", file=sys.stderr)
        return 2
    listing = "--list" in argv
    src, version = windows_sys_dir()
    names = windows_names(src)
    cover = covered_names()
    missing, excluded, ok = [], [], []
    for n in names:
        reason = excluded_reason(n)
        if reason:
            excluded.append((n, reason))
        elif n in cover:
            ok.append((n, cover[n]))
        else:
            missing.append(n)
    if listing:
        for n, how in ok:
            print(f"covered   {n}: {', '.join(how)}")
        for n, reason in excluded:
            print(f"excluded  {n}: {reason}")
    for n in missing:
        print(f"MISSING   {n}")
    print(f"abi-coverage: windows-sys {version}: {len(names)} names, {len(ok)} covered, "
          f"{len(excluded)} excluded, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
