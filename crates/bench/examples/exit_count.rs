//! Runs N operations of one row through one side only, for instruction
//! counting (`valgrind --tool=callgrind`) or system-call counting
//! (`strace -c`); see `scripts/exit_count.sh` and BENCHMARKS.md.
//!
//! ```text
//! exit_count <winhv|kvm|none> <N> [ROW]
//! ```
//! `none` sets up both sides and runs nothing (the fixed cost to subtract);
//! ROW is a row name from the table (default: "port I/O exit round trip").

use winhv_bench::build;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(side), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: exit_count <winhv|kvm|none> <N> [ROW]");
        std::process::exit(2);
    };
    let row = args
        .next()
        .unwrap_or_else(|| "port I/O exit round trip".into());
    let mut pair = match build(&row) {
        Ok(pair) => pair,
        Err(e) => {
            println!("SKIPPED: {row}: {e}");
            return;
        }
    };
    let result = match side.as_str() {
        "winhv" => (pair.winhv)(n),
        "kvm" => (pair.kvm)(n),
        "none" => Ok(std::time::Duration::ZERO),
        other => {
            eprintln!("unknown side {other:?}: winhv, kvm or none");
            std::process::exit(2);
        }
    };
    match result {
        Ok(t) => println!("{row}: {side}: {n} operations in {t:?}"),
        Err(e) => {
            eprintln!("{row}: {side} failed: {e}");
            std::process::exit(1);
        }
    }
}
