//! A small reader for winhv's own C headers (not a C parser: it knows the
//! regular shape those headers are written in). It lists the typedef names,
//! the members reachable from each struct/union (anonymous unions and
//! structs lifted into their parent, named nested structs as `Name.member`),
//! the bitfields, the enumerators and the integer `#define`s.

/// What the headers define.
#[derive(Default, Debug)]
pub struct Model {
    /// Typedef names (structs, unions, enums, scalars, callbacks).
    pub types: Vec<String>,
    /// (type, member path) for every non-bitfield member.
    pub fields: Vec<(String, String)>,
    /// (type, member path) for every named bitfield, in header order.
    pub bits: Vec<(String, String)>,
    /// Enumerators and integer macros.
    pub consts: Vec<String>,
}

/// Lower case without underscores, to compare `Sse4_1Support` with
/// `sse4_1_support`.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

enum Kind {
    Enum,
    Record,
    Other,
}

struct Frame {
    kind: Kind,
    fields: Vec<String>,
    bits: Vec<String>,
}

enum Event {
    Open(String),
    Close(String),
    Stmt(String),
}

fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = match rest[i + 2..].find("*/") {
            Some(j) => &rest[i + 2 + j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Removes preprocessor lines (with their continuations), collecting the
/// integer `#define`s worth printing.
fn strip_preprocessor(src: &str, consts: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut continued = false;
    for line in src.lines() {
        let t = line.trim_start();
        if continued || t.starts_with('#') {
            continued = line.trim_end().ends_with('\\');
            if let Some(def) = t.strip_prefix("#define ") {
                let name: String = def
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let function_like = def[name.len()..].starts_with('(');
                let printable = name.starts_with("WHV_")
                    || name.starts_with("WHv")
                    || name == "S_OK"
                    || name == "S_FALSE"
                    || (name.starts_with("E_") && name.len() > 2);
                if printable && !function_like && !def[name.len()..].trim().is_empty() {
                    consts.push(name);
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn events(src: &str) -> Vec<Event> {
    let mut ev = Vec::new();
    let mut cur = String::new();
    for ch in src.chars() {
        match ch {
            '{' => ev.push(Event::Open(std::mem::take(&mut cur))),
            '}' => ev.push(Event::Close(std::mem::take(&mut cur))),
            ';' => ev.push(Event::Stmt(std::mem::take(&mut cur))),
            _ => cur.push(ch),
        }
    }
    ev
}

/// Splits at commas outside parentheses (`X = WINHV_CAST(int, 1), Y`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The last identifier of a declaration, ignoring array bounds.
fn last_ident(decl: &str) -> Option<String> {
    let decl = match decl.find('[') {
        Some(i) => &decl[..i],
        None => decl,
    };
    let trimmed = decl.trim_end_matches(|c: char| !is_ident(c));
    let start = trimmed.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
    let id = &trimmed[start..];
    (!id.is_empty()).then(|| id.to_string())
}

/// The text from the last `typedef` on, if any.
fn typedef_part(text: &str) -> Option<&str> {
    text.rfind("typedef").map(|i| &text[i..])
}

/// Reads one header into `model`.
pub fn parse_header(src: &str, model: &mut Model) {
    let src = strip_comments(src);
    let src = strip_preprocessor(&src, &mut model.consts);
    let mut stack: Vec<Frame> = Vec::new();
    let mut closed: Option<Frame> = None;
    for ev in events(&src) {
        match ev {
            Event::Open(text) => {
                let in_record = matches!(
                    stack.last(),
                    Some(Frame {
                        kind: Kind::Record,
                        ..
                    })
                );
                let kind = if in_record {
                    Kind::Record
                } else if let Some(td) = typedef_part(&text) {
                    if td.contains(" enum ") {
                        Kind::Enum
                    } else if td.contains("struct") || td.contains("union") {
                        Kind::Record
                    } else {
                        Kind::Other
                    }
                } else {
                    Kind::Other
                };
                stack.push(Frame {
                    kind,
                    fields: Vec::new(),
                    bits: Vec::new(),
                });
            }
            Event::Close(text) => {
                let Some(frame) = stack.pop() else { continue };
                if let Kind::Enum = frame.kind {
                    for item in split_top_level(&text) {
                        let name = item.split('=').next().unwrap_or("").trim();
                        if !name.is_empty() {
                            model.consts.push(name.to_string());
                        }
                    }
                }
                closed = Some(frame);
            }
            Event::Stmt(text) => {
                if let Some(frame) = closed.take() {
                    close_frame(frame, &text, &mut stack, model);
                    continue;
                }
                match stack.last_mut() {
                    Some(Frame {
                        kind: Kind::Record,
                        fields,
                        bits,
                    }) => {
                        let decl = text.replace("WINHV_ANONYMOUS", "");
                        if let Some((lhs, _)) = decl.split_once(':') {
                            if let Some(n) = last_ident(lhs) {
                                bits.push(n);
                            }
                        } else if let Some(n) = last_ident(&decl) {
                            fields.push(n);
                        }
                    }
                    _ => top_statement(&text, model),
                }
            }
        }
    }
}

/// A `typedef` without braces: a scalar, pointer or callback type.
fn top_statement(text: &str, model: &mut Model) {
    let Some(td) = typedef_part(text) else { return };
    let name = if let Some(i) = td.find("(WINHV_CALLBACK") {
        last_ident(td[i..].split(')').next().unwrap_or(""))
    } else {
        last_ident(td)
    };
    if let Some(n) = name {
        model.types.push(n);
    }
}

/// Handles the declarator after a closing brace.
fn close_frame(frame: Frame, declarator: &str, stack: &mut [Frame], model: &mut Model) {
    let names: Vec<String> = declarator
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.starts_with('*'))
        .map(str::to_string)
        .collect();
    match stack.last_mut() {
        Some(
            parent @ Frame {
                kind: Kind::Record, ..
            },
        ) => {
            let prefix = names.first().map(|n| format!("{n}.")).unwrap_or_default();
            if let Some(n) = names.first() {
                parent.fields.push(n.clone());
            }
            parent
                .fields
                .extend(frame.fields.iter().map(|f| format!("{prefix}{f}")));
            parent
                .bits
                .extend(frame.bits.iter().map(|f| format!("{prefix}{f}")));
        }
        _ => {
            for n in names {
                if let Kind::Record = frame.kind {
                    model
                        .fields
                        .extend(frame.fields.iter().map(|f| (n.clone(), f.clone())));
                    model
                        .bits
                        .extend(frame.bits.iter().map(|f| (n.clone(), f.clone())));
                }
                if !matches!(frame.kind, Kind::Other) {
                    model.types.push(n);
                }
            }
        }
    }
}

/// The typedefs a prototype may use for a `windows-sys` type.
const PARAM_ALIASES: &[(&str, &str)] = &[
    ("WHV_GUEST_PHYSICAL_ADDRESS", "UINT64"),
    ("WHV_GUEST_VIRTUAL_ADDRESS", "UINT64"),
    ("WHV_NOTIFICATION_PORT_PROPERTY", "UINT64"),
    ("PVOID", "VOID*"),
    ("WHV_TRIGGER_HANDLE", "VOID*"),
    ("WHV_NOTIFICATION_PORT_HANDLE", "VOID*"),
    ("WHV_EMULATOR_HANDLE", "VOID*"),
];

/// Removes SAL annotations (`_In_`, `_Out_writes_bytes_to_(a, *b)`, …).
fn strip_sal(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    loop {
        let at = rest.char_indices().find(|&(i, c)| {
            c == '_'
                && rest[i + 1..].starts_with(|c: char| c.is_ascii_uppercase())
                && !rest[..i].ends_with(is_ident)
        });
        let Some((i, _)) = at else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        let word_len = rest[i..]
            .find(|c: char| !is_ident(c))
            .unwrap_or(rest.len() - i);
        rest = &rest[i + word_len..];
        if rest.starts_with('(') {
            let close = rest.find(')').map_or(rest.len(), |j| j + 1);
            rest = &rest[close..];
        }
    }
}

/// Every `HRESULT WINHV_API Name(...)` prototype and every
/// `typedef HRESULT(WINHV_CALLBACK *Name)(...)` callback type: the name and
/// its parameters as (lower-case name, type without `const`, typedefs of
/// `PARAM_ALIASES` resolved).
pub fn prototypes(src: &str) -> Vec<(String, Vec<(String, String)>)> {
    let src = strip_sal(&strip_comments(src));
    let mut out = Vec::new();
    for (marker, name_end) in [
        ("HRESULT WINHV_API ", "("),
        ("HRESULT(WINHV_CALLBACK *", ")("),
    ] {
        for chunk in src.split(marker).skip(1) {
            let Some((name, rest)) = chunk.split_once(name_end) else {
                continue;
            };
            let Some((params, _)) = rest.split_once(");") else {
                continue;
            };
            out.push((name.trim().to_string(), parameters(params)));
        }
    }
    out
}

fn parameters(params: &str) -> Vec<(String, String)> {
    let mut list = Vec::new();
    for p in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let p = p.replace("const ", "");
        let stars = p.matches('*').count();
        let words: Vec<&str> = p
            .split(|c: char| c == '*' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        let [base, pname] = words.as_slice() else {
            list.push((p.clone(), String::from("?")));
            continue;
        };
        let base = PARAM_ALIASES
            .iter()
            .find(|(a, _)| a == base)
            .map_or(*base, |(_, t)| t);
        list.push((pname.to_lowercase(), format!("{base}{}", "*".repeat(stars))));
    }
    list
}
