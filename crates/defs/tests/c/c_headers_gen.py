#!/usr/bin/env python3
"""Regenerates the two expectation tables of crates/defs/tests/c_headers.rs.

    python3 crates/defs/tests/c/c_headers_gen.py ws    # from windows-sys 0.61.2
    python3 crates/defs/tests/c/c_headers_gen.py defs  # from crates/defs/src

`ws` lists every WHV struct, union and alias of windows-sys'
Win32::System::Hypervisor, the offset and size of every member C code can
name (following windows-sys' `Anonymous` unions and structs), its WHV
constants and the HRESULTs our headers define. `defs` lists the same for
winhv-defs, plus its `bitfield!` types. Both write Rust data files next to
this script; afterwards run `rustfmt --edition 2024
crates/defs/tests/c_headers.rs` and `cargo test -p winhv-defs --test c_headers`.
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFS_SRC = os.path.normpath(os.path.join(HERE, '..', '..', 'src'))


def chunk(names, per=4):
    return '\n'.join('        ' + ', '.join(names[i:i + per]) + ','
                     for i in range(0, len(names), per))


HRESULTS = [
    'S_OK', 'S_FALSE', 'E_NOTIMPL', 'E_NOINTERFACE', 'E_POINTER', 'E_ABORT', 'E_FAIL',
    'E_UNEXPECTED', 'E_BOUNDS', 'E_CHANGED_STATE', 'E_ILLEGAL_METHOD_CALL',
    'E_ACCESSDENIED', 'E_HANDLE', 'E_OUTOFMEMORY', 'E_INVALIDARG',
    'WHV_E_UNKNOWN_CAPABILITY', 'WHV_E_INSUFFICIENT_BUFFER', 'WHV_E_UNKNOWN_PROPERTY',
    'WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG', 'WHV_E_INVALID_PARTITION_CONFIG',
    'WHV_E_GPA_RANGE_NOT_FOUND', 'WHV_E_VP_ALREADY_EXISTS', 'WHV_E_VP_DOES_NOT_EXIST',
    'WHV_E_INVALID_VP_STATE', 'WHV_E_INVALID_VP_REGISTER_NAME',
    'WHV_E_UNSUPPORTED_PROCESSOR_CONFIG',
]


def ws_rows(types, tyname, prefix, chain):
    """(C member path, [(ws type, ws field)], field type) for every member."""
    out = []
    for f, t in types[tyname]:
        t = t.strip()
        if f == '_bitfield':
            continue
        c = chain + [(tyname, f)]
        base = re.sub(r'^\[(\w+); .*\]$', r'\1', t)
        if f.startswith('Anonymous'):
            if base in types:
                out += ws_rows(types, base, prefix, c)
            continue
        out.append((prefix + f, c, t))
        if re.search(r'_\d+$', base) and base in types:
            out += ws_rows(types, base, prefix + f + '.', c)
    return out


def ws_table():
    home = os.environ.get('CARGO_HOME', os.path.expanduser('~/.cargo'))
    path = glob.glob(home + '/registry/src/*/windows-sys-0.61.2/src/Windows/Win32/'
                     'System/Hypervisor/mod.rs')[0]
    src = open(path).read()
    types = {}
    for m in re.finditer(r'^pub (struct|union) (WHV_[A-Z0-9_]+) \{\n(.*?)^\}', src, re.M | re.S):
        types[m.group(2)] = re.findall(r'^\s+pub (\w+): ([^,]+),', m.group(3), re.M)
    aliases = re.findall(r'^pub type (WHV_[A-Z0-9_]+) = ', src, re.M)
    consts = sorted(re.findall(r'^pub const (WH[A-Za-z0-9_]+):', src, re.M))
    lines = []
    for t in sorted(t for t in types if not re.search(r'_\d+$', t)):
        lines.append(f'    ty!(v, {t});')
        for cname, chain, ftype in ws_rows(types, t, '', []):
            fpath = '; '.join(f'{a}.{b}' for a, b in chain)
            lines.append(f'    off!(v, {t}, "{cname}", {fpath});')
            rt = ftype.replace('super::super::Foundation::', 'windows_sys::Win32::Foundation::')
            rt = re.sub(r'\b(WHV_[A-Z0-9_]+)', r'ws::\1', rt)
            lines.append(f'    msz!(v, {t}, "{cname}", {rt});')
    for a in sorted(aliases):
        lines.append(f'    ty!(v, {a});')
    text = ws_render('\n'.join(lines).lstrip(), consts, HRESULTS) + ws_functions(src)
    with open(os.path.join(HERE, 'c_headers_ws.rs'), 'w') as f:
        f.write(text)


def ws_param_type(t):
    """A windows-sys parameter type as a C type without const: `UINT32*`."""
    for prefix in ('windows_sys::core::', 'super::super::Foundation::', 'super::Power::',
                   'core::ffi::'):
        t = t.replace(prefix, '')
    t = t.replace(' ', '')
    stars = 0
    while t.startswith('*mut') or t.startswith('*const'):
        t = t[4:] if t.startswith('*mut') else t[6:]
        stars += 1
    return {'u32': 'UINT32', 'u64': 'UINT64', 'c_void': 'VOID'}.get(t, t) + '*' * stars


def ws_functions(src):
    rows = []
    for m in re.finditer(r'link!\("(winhv(?:platform|emulation))\.dll" "system" fn (\w+)\((.*?)\) -> ',
                         src):
        params = [p.split(':', 1) for p in m.group(3).split(',') if p.strip()]
        ps = ', '.join(f'("{n.strip()}", "{ws_param_type(t)}")' for n, t in params)
        rows.append(f'    ("{m.group(2)}", &[{ps}]),')
    for m in re.finditer(r'^pub type (WHV_\w+_CALLBACK) = Option<unsafe extern "system" fn\((.*?)\) -> ',
                         src, re.M):
        params = [p.split(':', 1) for p in m.group(2).split(',') if p.strip()]
        ps = ', '.join(f'("{n.strip()}", "{ws_param_type(t)}")' for n, t in params)
        rows.append(f'    ("{m.group(1)}", &[{ps}]),')
    return """
/// Every function of winhvplatform.dll and winhvemulation.dll in
/// `windows-sys`, then every emulator callback type: its name and its
/// parameters (lower-case name, C type without `const`, handle typedefs
/// resolved to `VOID*`).
pub const FUNCTIONS: &[(&str, &[(&str, &str)])] = &[
""" + '\n'.join(rows) + """
];
"""


def defs_table():
    files = sorted(glob.glob(DEFS_SRC + '/platform/*.rs')) + [DEFS_SRC + '/emulation.rs', DEFS_SRC + '/base.rs', DEFS_SRC + '/hresult.rs']
    src = '\n'.join(open(f).read() for f in files)
    records = {}
    for m in re.finditer(r'^pub (struct|union) (\w+) \{\n(.*?)^\}', src, re.M | re.S):
        kind, name, body = m.groups()
        fields = re.findall(r'^    pub (\w+):', body, re.M)
        records[name] = fields
    aliases = re.findall(r'^pub type (WHV_\w+) =', src, re.M)
    enums = {}
    for m in re.finditer(r'open_enum! \{.*?pub enum (\w+): \w+ \{\n(.*?)^    \}', src, re.M | re.S):
        name, body = m.groups()
        enums[name] = re.findall(r'^\s+(\w+) = ', body, re.M)
    plain = re.findall(r'^pub const (WH\w+|Whv\w+): (u32|u64|i32|usize|WHV_\w+) =', src, re.M)
    hres = re.findall(r'^    (S_OK|S_FALSE|E_\w+|WHV_E_\w+) = ', open(DEFS_SRC + '/hresult.rs').read(), re.M)
    bits = re.findall(r'bitfield! \{\s*(\w+) \. (\w+) : \w+ \{', src)

    lines = []
    def ctype(n):
        return n
    # C names of GUID fields differ in case.
    guid_map = {'data1': 'Data1', 'data2': 'Data2', 'data3': 'Data3', 'data4': 'Data4'}
    for name in sorted(records):
        if re.search(r'_\d+$', name) or not (name.startswith('WHV_') or name == 'GUID'):
            continue
        lines.append(f'    ty!(v, {name});')
        for f in records[name]:
            if f.startswith('Anonymous') or f.startswith('_'):
                continue
            cf = guid_map.get(f, f) if name == 'GUID' else f
            lines.append(f'    off!(v, {name}, "{cf}", {f});')
    for a in sorted(set(aliases) | set(enums)):
        lines.append(f'    ty!(v, {a});')
    enum_consts = []
    for e in sorted(enums):
        enum_consts += enums[e]
    plain_names = [n for n, t in plain]
    typed_enum_plain = [n for n, t in plain if t.startswith('WHV_')]
    int_plain = [n for n, t in plain if not t.startswith('WHV_')]
    def chunk(names, per=4):
        return '\n'.join('        ' + ', '.join(names[i:i+per]) + ',' for i in range(0, len(names), per))
    bit_lines = []
    for t, f in bits:
        m = re.match(r'^(\w+?)_(\d+)$', t)
        if m:
            parent = m.group(1)
            bit_lines.append(f'        bits!({parent}, {t}, {f}, {parent}.Anonymous),')
        else:
            bit_lines.append(f'        bits!({t}, {t}, {f}),')
    enum_types = sorted(enums) + ['HRESULT']

    text = defs_render(lines, enum_types, enum_consts, plain_names, hres, bit_lines)
    with open(os.path.join(HERE, 'c_headers_defs.rs'), 'w') as f:
        f.write(text)


def ws_render(types_part, consts, hres):
    return f'''//! The `windows-sys` 0.61.2 side of `c_headers.rs`: every WHV struct,
//! union and type alias of `Win32::System::Hypervisor` with the offset and
//! size of every member C code can name (anonymous unions and structs
//! followed through), every WHV constant, and the HRESULTs the headers
//! define. Listed from the `windows-sys` source by `c_headers_gen.py ws`;
//! kept as plain data so that a change on either side shows up as a mismatch.

use super::Expect;
use core::mem::{{align_of, offset_of, size_of}};
use windows_sys::Win32::Foundation as wf;
use windows_sys::Win32::System::Hypervisor as ws;

/// Types whose C definition is 16-byte aligned (`DECLSPEC_ALIGN(16)` on
/// `WHV_UINT128`) where `windows-sys` aligns to 8.
const ALIGN16: &[&str] = &[
    "WHV_UINT128",
    "WHV_X64_FP_REGISTER",
    "WHV_X64_FP_CONTROL_STATUS_REGISTER",
    "WHV_X64_XMM_CONTROL_STATUS_REGISTER",
    "WHV_X64_PENDING_EXCEPTION_EVENT",
    "WHV_X64_PENDING_EXT_INT_EVENT",
    "WHV_REGISTER_VALUE",
    "WHV_HYPERCALL_CONTEXT",
    "WHV_RUN_VP_EXIT_CONTEXT",
];

fn push_type(v: &mut Vec<Expect>, name: &str, size: usize, align: usize) {{
    let align = if ALIGN16.contains(&name) {{ 16 }} else {{ align }};
    let size = size.div_ceil(align) * align;
    v.push((format!("size {{name}}"), size as i128));
    v.push((format!("align {{name}}"), align as i128));
}}

macro_rules! ty {{
    ($v:ident, $t:ident) => {{
        push_type(&mut $v, stringify!($t), size_of::<ws::$t>(), align_of::<ws::$t>())
    }};
}}

/// The offset of a member: the sum of the offsets along its path through
/// windows-sys' `Anonymous` unions and structs.
macro_rules! off {{
    ($v:ident, $t:ident, $c:literal, $($ty:ident . $f:ident);+) => {{
        $v.push((
            format!("offset {{}}.{{}}", stringify!($t), $c),
            0 $(+ offset_of!(ws::$ty, $f) as i128)+,
        ))
    }};
}}

/// The size of a member, from its windows-sys type.
macro_rules! msz {{
    ($v:ident, $t:ident, $c:literal, $ft:ty) => {{
        $v.push((
            format!("msize {{}}.{{}}", stringify!($t), $c),
            size_of::<$ft>() as i128,
        ))
    }};
}}

macro_rules! consts {{
    ($v:ident, $m:ident: $($c:ident),* $(,)?) => {{
        $( $v.push((format!("const {{}}", stringify!($c)), $m::$c as i128)); )*
    }};
}}

/// Every expectation from `windows-sys`.
pub fn expectations() -> Vec<Expect> {{
    let mut v = Vec::new();
    {types_part}
    consts!(v, ws:
{chunk(consts)}
    );
    consts!(v, wf:
{chunk(hres)}
    );
    v
}}
'''


def defs_render(lines, enum_types, enum_consts, plain_names, hres, bit_lines):
    return f'''//! The `winhv-defs` side of `c_headers.rs`: the size and alignment of every
//! WHV struct, union, enum and alias of the Rust twin, the offset of each of
//! its named top-level fields (a C anonymous union flattened into its
//! integer is compared through that integer: `Attributes`, `AsUINT64`),
//! every constant, and every `bitfield!` accessor's bits.
//! Listed from the crate's source by `c_headers_gen.py defs`; rerun it when
//! types are added.

use super::Expect;
use core::mem::{{align_of, offset_of, size_of}};
use winhv_defs as defs;

/// A constant as a number, whether a plain integer or an open enum.
trait Val {{
    fn val(&self) -> i128;
}}

macro_rules! int_val {{
    ($($t:ty),*) => {{ $(impl Val for $t {{ fn val(&self) -> i128 {{ *self as i128 }} }})* }};
}}
int_val!(i32, u32, u64);

macro_rules! enum_val {{
    ($($t:ident),* $(,)?) => {{ $(impl Val for defs::$t {{ fn val(&self) -> i128 {{ self.0 as i128 }} }})* }};
}}
enum_val!(
{chunk(enum_types)}
);

macro_rules! ty {{
    ($v:ident, $t:ident) => {{{{
        $v.push((format!("size {{}}", stringify!($t)), size_of::<defs::$t>() as i128));
        $v.push((format!("align {{}}", stringify!($t)), align_of::<defs::$t>() as i128));
    }}}};
}}

macro_rules! off {{
    ($v:ident, $t:ident, $c:literal, $f:ident) => {{
        $v.push((
            format!("offset {{}}.{{}}", stringify!($t), $c),
            offset_of!(defs::$t, $f) as i128,
        ))
    }};
}}

macro_rules! consts {{
    ($v:ident: $($c:ident),* $(,)?) => {{
        $( $v.push((format!("const {{}}", stringify!($c)), defs::$c.val())); )*
    }};
}}

/// Every expectation from `winhv-defs`.
pub fn expectations() -> Vec<Expect> {{
    let mut v = Vec::new();
{chr(10).join(lines)}
    consts!(v:
{chunk(enum_consts + plain_names + hres)}
    );
    v
}}

/// A bitfield type: (C type, bit offset of its integer in the C type,
/// the accessors' (name, first bit, width)).
pub type Bits = (&'static str, i128, &'static [(&'static str, u32, u32)]);

macro_rules! bits {{
    ($c:ident, $t:ident, $f:ident) => {{
        (stringify!($c), offset_of!(defs::$t, $f) as i128 * 8, defs::$t::FIELDS)
    }};
    ($c:ident, $t:ident, $f:ident, $p:ident . $pf:ident) => {{
        (
            stringify!($c),
            (offset_of!(defs::$p, $pf) + offset_of!(defs::$t, $f)) as i128 * 8,
            defs::$t::FIELDS,
        )
    }};
}}

/// Every `bitfield!` of `winhv-defs`.
pub fn bitfields() -> Vec<Bits> {{
    vec![
{chr(10).join(bit_lines)}
    ]
}}
'''


if __name__ == '__main__':
    which = sys.argv[1] if len(sys.argv) > 1 else ''
    if which == 'ws':
        ws_table()
    elif which == 'defs':
        defs_table()
    else:
        sys.exit('usage: c_headers_gen.py ws|defs')
