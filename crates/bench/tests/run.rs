//! `run` with a tiny iteration count: every row appears, measured or with
//! a loud skip note; the JSON parses with the documented fields; the SVG
//! is well-formed XML (checked by a small tag-balance parser).

use winhv_bench::{Options, SPECS, render_json, render_svg, render_table, run};

#[test]
fn quick_run_produces_every_row_and_valid_outputs() {
    let rows = run(&Options::quick());
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let expected: Vec<&str> = SPECS.iter().map(|s| s.name).collect();
    assert_eq!(names, expected);
    let kvm = std::path::Path::new("/dev/kvm").exists();
    if !kvm {
        println!("SKIPPED: no /dev/kvm");
    }
    for row in &rows {
        if row.is_skipped() {
            assert!(row.note.starts_with("SKIPPED: "), "{row:?}");
            assert!(
                row.note.len() > "SKIPPED: ".len(),
                "a skip says why: {row:?}"
            );
            if kvm {
                println!("{}: {}", row.name, row.note);
            }
        } else {
            let (w, k) = (row.winhv_ns.unwrap(), row.kvm_ns.unwrap());
            assert!(w > 0.0 && k > 0.0, "{row:?}");
            assert!((row.ratio.unwrap() - w / k).abs() < 1e-9, "{row:?}");
            assert!((row.added_ns.unwrap() - (w - k)).abs() < 1e-6, "{row:?}");
        }
    }
    if kvm {
        // The rows this suite owns must run where /dev/kvm is.
        for must in [
            "port I/O exit round trip",
            "HLT exit round trip",
            "map+unmap 4 KiB",
            "MMIO exit + TryMmioEmulation",
            "MMIO exit + TryMmioEmulation, CPL0",
            "port I/O exit + TryIoEmulation",
            "port I/O exit + TryIoEmulation, CPL0",
        ] {
            let row = rows.iter().find(|r| r.name == must).unwrap();
            assert!(!row.is_skipped(), "{row:?}");
        }
    }

    let table = render_table(&rows);
    assert_eq!(table.lines().count(), rows.len() + 2);

    let json: serde_json::Value = serde_json::from_str(&render_json(&rows)).expect("JSON parses");
    let array = json.as_array().expect("an array");
    assert_eq!(array.len(), rows.len());
    for (value, row) in array.iter().zip(&rows) {
        assert_eq!(value["name"], row.name.as_str());
        for field in ["winhv_ns", "kvm_ns", "ratio", "added_ns"] {
            let v = &value[field];
            assert!(
                v.is_number() || (v.is_null() && row.is_skipped()),
                "{field} of {row:?}: {v}"
            );
        }
        if let Some(ratio) = row.ratio {
            assert!((value["ratio"].as_f64().unwrap() - ratio).abs() < 1e-3);
        }
    }

    let svg = render_svg(&rows);
    assert!(svg.starts_with("<svg "), "{svg}");
    check_well_formed(&svg);
    let bars = svg.matches("<rect").count() - 1; // minus the background
    assert_eq!(bars, rows.iter().filter(|r| !r.is_skipped()).count());
}

/// Asserts that every tag is closed in order and attribute quotes balance.
fn check_well_formed(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().expect("tag name");
            stack.push(name.to_string());
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

/// Asserts that character data has no `>` and that every `&` starts an
/// entity or character reference.
fn check_text(text: &str) {
    assert!(!text.contains('>'), "stray > in {text:?}");
    for (i, _) in text.match_indices('&') {
        let entity = &text[i + 1..];
        let end = entity
            .find(';')
            .unwrap_or_else(|| panic!("unterminated & in {text:?}"));
        let name = &entity[..end];
        let ok = ["amp", "lt", "gt", "quot", "apos"].contains(&name)
            || name
                .strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        assert!(ok, "bad reference &{name}; in {text:?}");
    }
}

#[test]
fn well_formedness_check_can_fail() {
    assert!(std::panic::catch_unwind(|| check_text("a & b")).is_err());
    check_text("a &amp; b &#8804; c");
    let bad = std::panic::catch_unwind(|| check_well_formed("<svg><text>x</svg>"));
    assert!(bad.is_err());
    check_well_formed("<svg a=\"1\"><text>x</text><rect/></svg>");
}
