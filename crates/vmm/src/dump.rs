//! `winhv dump FILE [--json]`: what a saved state (a Hyper-V `.vmrs` or a
//! QEMU `dump-guest-memory` core) holds, read through `winhv-savedstate`:
//! the format, each VP's architecture, paging mode, privilege and
//! registers, the saved memory map, and with `--images` the PE images
//! found in VP 0's address space (`ScanMemoryForDosImages`). Registers the file does not hold
//! are listed as absent, never shown as 0. 64-bit values are hex strings
//! in JSON (numbers past 2^53 lose bits in many JSON readers).

use std::path::Path;

use serde_json::{Map, Value, json};
use winhv::defs::*;
use winhv_savedstate::{Format, SavedState};

type Error = Box<dyn std::error::Error>;

/// The short name of a saved-state register id: `X64_RegisterRax` → `rax`.
fn reg_name(id: REGISTER_ID) -> String {
    id.name()
        .and_then(|n| n.strip_prefix("X64_Register"))
        .unwrap_or("?")
        .to_ascii_lowercase()
}

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

fn format_name(f: Format) -> String {
    match f {
        Format::QemuElf { elf64, machine } => format!(
            "QEMU ELF{} core ({})",
            if elf64 { 64 } else { 32 },
            if machine == 62 { "EM_X86_64" } else { "EM_386" }
        ),
        Format::Vmrs { vm_version } => format!(
            "Hyper-V .vmrs, VM version {}.{}",
            vm_version >> 8,
            vm_version & 0xff
        ),
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The segment registers, then the table registers, then the rest.
const SEGMENTS: [REGISTER_ID; 8] = [
    X64_RegisterCs,
    X64_RegisterDs,
    X64_RegisterEs,
    X64_RegisterFs,
    X64_RegisterGs,
    X64_RegisterSs,
    X64_RegisterLdtr,
    X64_RegisterTr,
];

fn is_segment(id: REGISTER_ID) -> bool {
    SEGMENTS.contains(&id)
}

fn is_table(id: REGISTER_ID) -> bool {
    id == X64_RegisterGdtr || id == X64_RegisterIdtr
}

fn is_wide(id: REGISTER_ID) -> bool {
    (X64_RegisterXmm0.0..=X64_RegisterXmmControlStatus.0).contains(&id.0)
}

fn vp_json(s: &SavedState, vp: u32) -> Result<Value, Error> {
    let state = s.active_state(vp)?;
    let r = &state.registers;
    let mut regs = Map::new();
    let mut absent = Vec::new();
    for id in (0..X64_RegisterMax.0).map(REGISTER_ID) {
        let name = reg_name(id);
        let v = if is_segment(id) {
            r.segment(id).map(|g| {
                json!({"selector": g.selector, "base": hex(g.base), "limit": hex(u64::from(g.limit)),
                       "attributes": hex(u64::from(g.attributes))})
            })
        } else if is_table(id) {
            r.table(id)
                .map(|t| json!({"base": hex(t.base), "limit": hex(u64::from(t.limit))}))
        } else if is_wide(id) {
            r.u128(id).map(|v| json!(format!("{v:#x}")))
        } else {
            r.u64(id).map(|v| json!(hex(v)))
        };
        match v {
            Some(v) => {
                regs.insert(name, v);
            }
            None => absent.push(name),
        }
    }
    let paging = s.paging_mode(vp).ok().and_then(|m| m.name());
    Ok(json!({
        "vp": vp,
        "index": s.vp(vp)?.index,
        "architecture": s.architecture(vp)?.name(),
        "paging_mode": paging,
        "cpl": state.cpl(),
        "kernel": s.in_kernel_space(vp)?,
        "active_vtl": s.active_vtl(vp)?,
        "vtls": s.vp_enabled_vtls(vp)?,
        "registers": regs,
        "absent": absent,
    }))
}

/// The PE images in VP 0's whole address space, highest first.
fn images(s: &SavedState) -> Vec<Value> {
    let mut found = Vec::new();
    let _ = s.scan_dos_images(0, u64::MAX, 0, &[], |image| {
        found.push(
            json!({"base": hex(image.base), "size": hex(u64::from(image.size)),
                          "timestamp": hex(u64::from(image.timestamp)), "pdb": image.pdb_name}),
        );
        false
    });
    found
}

/// The whole report as JSON.
fn report(path: &Path, s: &SavedState, with_images: bool) -> Result<Value, Error> {
    let vps = (0..s.vp_count())
        .map(|vp| vp_json(s, vp))
        .collect::<Result<Vec<_>, _>>()?;
    let chunks: Vec<Value> = s
        .memory()
        .chunks()
        .iter()
        .map(|c| {
            json!({"gpa": hex(c.GuestPhysicalStartPageIndex * 4096), "pages": c.PageCount,
                   "bytes": hex(c.PageCount * 4096)})
        })
        .collect();
    let mut r = json!({
        "file": path.display().to_string(),
        "format": format_name(s.format()),
        "guest_os_id": hex(s.guest_os_info(0).unwrap_or(0)),
        "enabled_vtls": s.enabled_vtls(),
        "nested": s.nested_enabled(),
        "vps": vps,
        "memory": {
            "page_size": winhv_savedstate::PAGE_SIZE,
            "chunks": chunks,
            "raw_size": hex(s.memory().raw_size()),
        },
    });
    if with_images {
        r["images"] = Value::Array(images(s));
    }
    Ok(r)
}

fn text(r: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    out += &format!(
        "{}: {}, {} VP(s), guest OS id {}, VTLs {:#b}{}\n",
        s(&r["file"]),
        s(&r["format"]),
        r["vps"].as_array().map_or(0, Vec::len),
        s(&r["guest_os_id"]),
        r["enabled_vtls"].as_u64().unwrap_or(0),
        if r["nested"].as_bool() == Some(true) {
            ", nested"
        } else {
            ""
        },
    );
    for vp in r["vps"].as_array().into_iter().flatten() {
        out += &format!(
            "\nVP {} (index {}): {}, paging {}, CPL {}{}, VTL {}\n",
            vp["vp"],
            vp["index"],
            vp["architecture"]
                .as_str()
                .map_or("?", |a| a.trim_start_matches("Arch_")),
            vp["paging_mode"]
                .as_str()
                .map_or("unknown", |m| m.trim_start_matches("Paging_")),
            vp["cpl"],
            if vp["kernel"].as_bool() == Some(true) {
                " (kernel)"
            } else {
                ""
            },
            vp["active_vtl"],
        );
        let regs = vp["registers"].as_object().cloned().unwrap_or_default();
        let mut line = Vec::new();
        for id in (0..X64_RegisterMax.0).map(REGISTER_ID) {
            let name = reg_name(id);
            let Some(v) = regs.get(&name) else { continue };
            if v.is_object() {
                let f = |k: &str| {
                    v[k].as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v[k].to_string())
                };
                let desc = if is_segment(id) {
                    format!(
                        "  {name:<5} {:#06x} base {} limit {} attr {}",
                        v["selector"].as_u64().unwrap_or(0),
                        f("base"),
                        f("limit"),
                        f("attributes")
                    )
                } else {
                    format!("  {name:<5} base {} limit {}", f("base"), f("limit"))
                };
                if !line.is_empty() {
                    out += &format!("{}\n", line.join(" "));
                    line.clear();
                }
                out += &format!("{desc}\n");
            } else {
                line.push(format!("  {name:<6} {:>18}", v.as_str().unwrap_or("")));
                if line.len() == 3 || is_wide(id) {
                    out += &format!("{}\n", line.join(""));
                    line.clear();
                }
            }
        }
        if !line.is_empty() {
            out += &format!("{}\n", line.join(""));
        }
        let absent: Vec<&str> = vp["absent"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !absent.is_empty() {
            out += &format!("  not saved: {}\n", absent.join(" "));
        }
    }
    let m = &r["memory"];
    let chunks = m["chunks"].as_array().cloned().unwrap_or_default();
    out += &format!(
        "\nmemory: {} chunk(s), raw saved memory {}\n",
        chunks.len(),
        u64::from_str_radix(s(&m["raw_size"]).trim_start_matches("0x"), 16)
            .map(size)
            .unwrap_or_default()
    );
    for c in &chunks {
        let gpa = u64::from_str_radix(s(&c["gpa"]).trim_start_matches("0x"), 16).unwrap_or(0);
        let bytes = c["pages"].as_u64().unwrap_or(0) * 4096;
        out += &format!(
            "  {gpa:#018x}..{:#018x}  {}\n",
            gpa.saturating_add(bytes),
            size(bytes)
        );
    }
    if let Some(images) = r["images"].as_array() {
        out += &format!("\nimages in VP 0's address space: {}\n", images.len());
        for i in images {
            out += &format!(
                "  {:>18}  size {:>10}  timestamp {}  {}\n",
                s(&i["base"]),
                s(&i["size"]),
                s(&i["timestamp"]),
                s(&i["pdb"])
            );
        }
    }
    out
}

/// Prints the report for the saved state at `path` (with the image scan
/// when `with_images`).
pub fn print(path: &Path, json: bool, with_images: bool) -> Result<(), Error> {
    let state = SavedState::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let r = report(path, &state, with_images)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", text(&r));
    }
    Ok(())
}
