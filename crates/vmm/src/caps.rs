//! `winhv caps`: every WHvGetCapability answer on this host, as a table or
//! as JSON. Each answer is decoded from the bytes WHvGetCapability wrote, as
//! a C caller would see them.

use serde_json::{Value, json};
use winhv::defs::*;

type Error = Box<dyn std::error::Error>;

/// One capability's answer, decoded.
struct Answer {
    code: WHV_CAPABILITY_CODE,
    /// The bytes WHvGetCapability wrote, or the HRESULT it failed with.
    bytes: Result<Vec<u8>, HRESULT>,
    /// A one-line summary for the table.
    summary: String,
    /// The decoded value for JSON.
    value: Value,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes(s.try_into().unwrap_or([0; 4])))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
}

/// The set fields of a bitfield value, by accessor name (`name=value` for
/// fields wider than one bit).
fn set_fields(value: u64, fields: &[(&str, u32, u32)]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|&(name, shift, width)| {
            let mask = if width >= 64 { !0 } else { (1u64 << width) - 1 };
            let v = (value >> shift) & mask;
            match (v, width) {
                (0, _) => None,
                (_, 1) => Some(name.to_string()),
                _ => Some(format!("{name}={v}")),
            }
        })
        .collect()
}

fn flags(value: u64, fields: &[(&str, u32, u32)]) -> (String, Value) {
    let set = set_fields(value, fields);
    let summary = if set.is_empty() {
        "none".to_string()
    } else {
        set.join(" ")
    };
    (
        format!("{value:#018x}: {summary}"),
        json!({ "raw": value, "set": set }),
    )
}

fn decode(code: WHV_CAPABILITY_CODE, b: &[u8]) -> (String, Value) {
    match code {
        WHvCapabilityCodeHypervisorPresent => {
            let present = u32_at(b, 0) != 0;
            (present.to_string(), json!(present))
        }
        WHvCapabilityCodeFeatures => flags(u64_at(b, 0), WHV_CAPABILITY_FEATURES::FIELDS),
        WHvCapabilityCodeExtendedVmExits => flags(u64_at(b, 0), WHV_EXTENDED_VM_EXITS::FIELDS),
        WHvCapabilityCodeX64MsrExitBitmap => flags(u64_at(b, 0), WHV_X64_MSR_EXIT_BITMAP::FIELDS),
        WHvCapabilityCodeSchedulerFeatures => flags(u64_at(b, 0), WHV_SCHEDULER_FEATURES::FIELDS),
        WHvCapabilityCodeProcessorFeatures => flags(u64_at(b, 0), WHV_PROCESSOR_FEATURES::FIELDS),
        WHvCapabilityCodeProcessorXsaveFeatures => {
            flags(u64_at(b, 0), WHV_PROCESSOR_XSAVE_FEATURES::FIELDS)
        }
        WHvCapabilityCodeProcessorPerfmonFeatures => {
            flags(u64_at(b, 0), WHV_PROCESSOR_PERFMON_FEATURES::FIELDS)
        }
        WHvCapabilityCodeExceptionExitBitmap => {
            let bitmap = u64_at(b, 0);
            let vectors: Vec<u32> = (0..64).filter(|v| bitmap & (1 << v) != 0).collect();
            (
                format!("{bitmap:#x}: vectors {vectors:?}"),
                json!({ "raw": bitmap, "vectors": vectors }),
            )
        }
        WHvCapabilityCodeGpaRangePopulateFlags => {
            let v = u32_at(b, 0);
            (format!("{v:#x}"), json!(v))
        }
        WHvCapabilityCodeProcessorVendor => {
            let vendor = WHV_PROCESSOR_VENDOR(u32_at(b, 0) as i32);
            let name = format!("{vendor:?}");
            (name.clone(), json!(name))
        }
        WHvCapabilityCodeProcessorClFlushSize => {
            let v = b.first().copied().unwrap_or(0);
            (format!("{v} (×8 bytes)"), json!(v))
        }
        WHvCapabilityCodeProcessorClockFrequency | WHvCapabilityCodeInterruptClockFrequency => {
            let hz = u64_at(b, 0);
            (format!("{hz} Hz"), json!(hz))
        }
        WHvCapabilityCodeProcessorFeaturesBanks => {
            let count = u32_at(b, 0);
            let (s0, v0) = flags(u64_at(b, 8), WHV_PROCESSOR_FEATURES::FIELDS);
            let (s1, v1) = flags(u64_at(b, 16), WHV_PROCESSOR_FEATURES1::FIELDS);
            (
                format!("{count} banks; bank 0 {s0}; bank 1 {s1}"),
                json!({ "banks": count, "bank0": v0, "bank1": v1 }),
            )
        }
        WHvCapabilityCodeSyntheticProcessorFeaturesBanks => {
            let count = u32_at(b, 0);
            let (s0, v0) = flags(u64_at(b, 8), WHV_SYNTHETIC_PROCESSOR_FEATURES::FIELDS);
            (
                format!("{count} banks; bank 0 {s0}"),
                json!({ "banks": count, "bank0": v0 }),
            )
        }
        WHvCapabilityCodeProcessorFrequencyCap => {
            let supported = u32_at(b, 0) & 1 != 0;
            let (hi, nom, lo) = (u32_at(b, 4), u32_at(b, 8), u32_at(b, 12));
            (
                format!("supported={supported} highest={hi} MHz nominal={nom} MHz lowest={lo} MHz"),
                json!({ "supported": supported, "highest_mhz": hi, "nominal_mhz": nom, "lowest_mhz": lo }),
            )
        }
        _ => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            (hex.clone(), json!(hex))
        }
    }
}

fn answers() -> Vec<Answer> {
    WHV_CAPABILITY_CODE::ALL
        .iter()
        .map(|&code| {
            let mut buffer = [0u8; 256];
            let bytes = winhv::get_capability(code, &mut buffer)
                .map(|n| buffer[..(n as usize).min(buffer.len())].to_vec())
                .map_err(|e| e.hresult);
            let (summary, value) = match &bytes {
                Ok(b) => decode(code, b),
                Err(h) => (
                    format!("error {h}"),
                    json!({ "error": format!("{h}"), "hresult": h.0 }),
                ),
            };
            Answer {
                code,
                bytes,
                summary,
                value,
            }
        })
        .collect()
}

/// Prints every capability.
pub fn print(as_json: bool) -> Result<(), Error> {
    let answers = answers();
    if as_json {
        let rows: Vec<Value> = answers
            .iter()
            .map(|a| {
                json!({
                    "name": a.code.name().unwrap_or("?"),
                    "code": a.code.0,
                    "size": a.bytes.as_ref().map(|b| b.len()).unwrap_or(0),
                    "value": a.value,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&Value::Array(rows))?);
    } else {
        for a in &answers {
            let name = a
                .code
                .name()
                .unwrap_or("?")
                .trim_start_matches("WHvCapabilityCode");
            println!("{name:<32} {}", a.summary);
        }
    }
    Ok(())
}
