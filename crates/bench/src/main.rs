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
//! winhv-bench [--json] [--svg FILE] [--batches N] [--filter TEXT] [--count [--count-ops N]]
//! ```
//!
//! `--count` adds, beside each exit row (`count::COUNTED`), the user-space
//! instructions per operation of both sides, counted by callgrind when
//! `valgrind` is installed (a loud `SKIPPED` line when it is not); the
//! counted processes are this program run with `--run-side`.

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
    /// Also count user-space instructions per operation of the exit rows
    /// (callgrind; needs valgrind).
    #[arg(long)]
    count: bool,
    /// Operations per counted process (the second runs twice as many).
    #[arg(long, default_value_t = winhv_bench::count::DEFAULT_OPS)]
    count_ops: u64,
    /// Internal: run N operations of one side of ROW, for callgrind.
    #[arg(long, num_args = 3, value_names = ["SIDE", "N", "ROW"], hide = true)]
    run_side: Option<Vec<String>>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(args) = &cli.run_side {
        return run_side(args);
    }
    let options = winhv_bench::Options {
        batches: cli.batches.max(1),
        filter: cli.filter,
        ..Default::default()
    };
    let mut rows = winhv_bench::run(&options);
    if cli.count {
        count(&mut rows, cli.count_ops);
    }
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

/// `--run-side SIDE N ROW`: the process callgrind counts.
fn run_side(args: &[String]) -> std::process::ExitCode {
    let n = args.get(1).and_then(|n| n.parse().ok());
    let (Some(side), Some(n), Some(row)) = (args.first(), n, args.get(2)) else {
        eprintln!("winhv-bench: --run-side SIDE N ROW");
        return std::process::ExitCode::from(2);
    };
    match winhv_bench::count::run_side(side, n, row) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("winhv-bench: {row}: {side}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `--count`: the instructions per operation of every measured exit row.
fn count(rows: &mut [winhv_bench::Row], ops: u64) {
    let Some(valgrind) = winhv_bench::count::valgrind() else {
        eprintln!("SKIPPED: instruction counts: valgrind is not installed");
        return;
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("SKIPPED: instruction counts: no path to this program: {e}");
            return;
        }
    };
    for row in rows.iter_mut() {
        if row.is_skipped() || !winhv_bench::count::COUNTED.contains(&row.name.as_str()) {
            continue;
        }
        match winhv_bench::count::count_row(&valgrind, &exe, &row.name, ops) {
            Ok(i) => row.instructions = Some(i),
            Err(e) => eprintln!("winhv-bench: instruction count: {e}"),
        }
    }
}
