//! Prints the benchmark table (what `winhv bench` prints), with optional
//! `--quick`, `--json`, `--svg FILE`, `--batches N` and a row filter;
//! `--from-json FILE` re-renders rows saved by `--json` instead of
//! measuring (how BENCHMARKS.md's table and chart come from one run).
//!
//! ```text
//! cargo run --release -p winhv-bench --example table -- [--quick] [--json] [--svg FILE] [--batches N] [--from-json FILE] [FILTER]
//! ```

use winhv_bench::{Options, Row, render_json, render_svg, render_table, run};

/// Rows from the JSON `render_json` wrote.
fn rows_from_json(path: &str) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let array = value
        .as_array()
        .ok_or(format!("{path}: not a JSON array"))?;
    Ok(array
        .iter()
        .map(|r| Row {
            name: r["name"].as_str().unwrap_or_default().to_string(),
            winhv_ns: r["winhv_ns"].as_f64(),
            kvm_ns: r["kvm_ns"].as_f64(),
            ratio: r["ratio"].as_f64(),
            added_ns: r["added_ns"].as_f64(),
            note: r["note"].as_str().unwrap_or_default().to_string(),
            instructions: match (r["winhv_instr"].as_f64(), r["kvm_instr"].as_f64()) {
                (Some(winhv), Some(kvm)) => Some(winhv_bench::count::Instructions { winhv, kvm }),
                _ => None,
            },
        })
        .collect())
}

fn main() {
    let mut opts = Options::default();
    let mut json = false;
    let mut svg = None;
    let mut saved = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                opts = Options {
                    filter: opts.filter,
                    ..Options::quick()
                }
            }
            "--json" => json = true,
            "--svg" => svg = args.next(),
            "--from-json" => saved = args.next(),
            "--batches" => {
                opts.batches = args
                    .next()
                    .and_then(|b| b.parse().ok())
                    .unwrap_or(opts.batches)
            }
            filter => opts.filter = Some(filter.to_string()),
        }
    }
    let rows = match saved {
        Some(path) => rows_from_json(&path).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1);
        }),
        None => run(&opts),
    };
    if json {
        print!("{}", render_json(&rows));
    } else {
        print!("{}", render_table(&rows));
    }
    if let Some(path) = svg {
        if let Err(e) = std::fs::write(&path, render_svg(&rows)) {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
}
