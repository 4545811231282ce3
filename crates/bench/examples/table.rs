//! Prints the benchmark table (what `winhv bench` prints), with optional
//! `--quick`, `--json`, `--svg FILE` and a row filter.
//!
//! ```text
//! cargo run --release -p winhv-bench --example table -- [--quick] [--json] [--svg FILE] [FILTER]
//! ```

use winhv_bench::{Options, render_json, render_svg, render_table, run};

fn main() {
    let mut opts = Options::default();
    let mut json = false;
    let mut svg = None;
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
            "--batches" => {
                opts.batches = args
                    .next()
                    .and_then(|b| b.parse().ok())
                    .unwrap_or(opts.batches)
            }
            filter => opts.filter = Some(filter.to_string()),
        }
    }
    let rows = run(&opts);
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
