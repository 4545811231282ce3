//! The `winhv-bench` program: every row of winhv-bench — each winhv
//! operation beside the same work done with raw KVM, in one run — as a
//! table, JSON or an SVG chart.
//!
//! It is a program of its own because its raw-KVM side links kvm-ioctls,
//! and the `winhv` command is built on winhv's public API alone: `winhv
//! bench` runs this program (found beside the `winhv` executable) with the
//! same options.
//!
//! ```text
//! winhv-bench [--json] [--svg FILE] [--batches N] [--filter TEXT]
//! ```

use clap::Parser;

/// Measure winhv beside raw KVM and print one table.
#[derive(Parser)]
#[command(name = "winhv-bench", version, about)]
struct Cli {
    /// Print JSON rows (name, winhv_ns, kvm_ns, ratio, added_ns, note).
    #[arg(long)]
    json: bool,
    /// Also write a bar chart of the ratios as SVG to this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<std::path::PathBuf>,
    /// Timed batches per side; the median is reported.
    #[arg(long, default_value_t = 21)]
    batches: u32,
    /// Only rows whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let options = winhv_bench::Options {
        batches: cli.batches.max(1),
        filter: cli.filter,
        ..Default::default()
    };
    let rows = winhv_bench::run(&options);
    if cli.json {
        println!("{}", winhv_bench::render_json(&rows));
    } else {
        print!("{}", winhv_bench::render_table(&rows));
    }
    if let Some(path) = cli.svg {
        if let Err(e) = std::fs::write(&path, winhv_bench::render_svg(&rows)) {
            eprintln!("winhv-bench: cannot write {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
