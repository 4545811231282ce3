//! Rendering rows: a plain-text table for the terminal and BENCHMARKS.md,
//! and JSON (hand-written: the fields are few and flat, no serde needed).

use crate::row::Row;

/// The rows as an aligned text table (a Markdown table as well).
pub fn render_table(rows: &[Row]) -> String {
    // The instruction columns only when some row was counted (`--count`).
    let counted = rows.iter().any(|r| r.instructions.is_some());
    let mut header = vec!["row", "winhv ns", "KVM ns", "ratio", "added ns"];
    if counted {
        header.extend(["winhv instr/op", "KVM instr/op"]);
    }
    header.push("note");
    let numeric = header.len() - 2;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.name.clone(),
                number(r.winhv_ns, 0),
                number(r.kvm_ns, 0),
                r.ratio.map_or("-".into(), |x| format!("{x:.3}x")),
                number(r.added_ns, 0),
            ];
            if counted {
                cells.push(number(r.instructions.map(|i| i.winhv), 0));
                cells.push(number(r.instructions.map(|i| i.kvm), 0));
            }
            cells.push(r.note.clone());
            cells
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::from("|");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            // Numbers right-aligned, text left-aligned.
            if (1..=numeric).contains(&i) {
                out.push_str(&format!(" {}{cell} |", " ".repeat(pad)));
            } else {
                out.push_str(&format!(" {cell}{} |", " ".repeat(pad)));
            }
        }
        out.push('\n');
        out
    };
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = line(&header);
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if (1..=numeric).contains(&i) {
                format!("{}:", "-".repeat(w.saturating_sub(1).max(1)))
            } else {
                "-".repeat(*w)
            }
        })
        .collect();
    out.push_str(&line(&rule));
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}

fn number(x: Option<f64>, decimals: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.decimals$}"))
}

/// The rows as a JSON array of objects with `name`, `winhv_ns`, `kvm_ns`,
/// `ratio`, `added_ns` (numbers, `null` for a skipped row) and `note`;
/// a counted row (`--count`) also has `winhv_instr` and `kvm_instr`.
pub fn render_json(rows: &[Row]) -> String {
    let mut out = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "  {{\"name\": {}, \"winhv_ns\": {}, \"kvm_ns\": {}, \"ratio\": {}, \"added_ns\": {}, \"note\": {}}}",
            json_string(&r.name),
            json_number(r.winhv_ns),
            json_number(r.kvm_ns),
            json_number(r.ratio),
            json_number(r.added_ns),
            json_string(&r.note),
        ));
        if let Some(i) = r.instructions {
            // Inside the object: before its closing brace.
            out.pop();
            out.push_str(&format!(
                ", \"winhv_instr\": {}, \"kvm_instr\": {}}}",
                json_number(Some(i.winhv)),
                json_number(Some(i.kvm))
            ));
        }
        out.push_str(if i + 1 < rows.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    out
}

fn json_number(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x:.3}"),
        _ => "null".into(),
    }
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_and_nulls() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
        let rows = [Row::skipped("x", "why")];
        let json = render_json(&rows);
        assert!(json.contains("\"winhv_ns\": null"), "{json}");
        assert!(json.contains("\"note\": \"SKIPPED: why\""), "{json}");
    }

    #[test]
    fn table_has_a_header_a_rule_and_one_line_per_row() {
        let rows = [Row::skipped("a", "b"), Row::skipped("c", "d")];
        let table = render_table(&rows);
        assert_eq!(table.lines().count(), 4);
        assert!(table.lines().nth(1).unwrap().starts_with("| -"));
    }
}
