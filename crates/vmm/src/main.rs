//! The `winhv` command: a VMM built only on winhv's public API.
//!
//! * `winhv caps [--json]` — every WHvGetCapability answer on this host.
//! * `winhv run [KERNEL] [--initrd FILE] [--cmdline "..."] [--cpus N]
//!   [--memory SIZE] [--trace-exits]` — boots a multiboot (v1) or Linux
//!   kernel, or without KERNEL the built-in test kernel, with its devices
//!   in user space (`run`, and the library's `boot`, `devices`, `vm`).
//! * `winhv demo` — the demo guest: real mode → long mode, a greeting
//!   through port I/O, HLT; prints what the guest wrote and a count of
//!   exits by reason (a whole VMM loop in 100 lines: `demo.rs`).
//! * `winhv bench [--json] [--svg FILE]` — each winhv operation beside the
//!   same work done with raw KVM in the same run: runs the `winhv-bench`
//!   program (crate `winhv-bench`), whose raw-KVM side stays out of this
//!   command (`bench`).
//! * `winhv dump FILE [--json] [--images]` — what a saved state (Hyper-V
//!   `.vmrs`, QEMU ELF core) holds: VPs, registers, paging mode, memory
//!   map, and PE images found (`dump`).
//!
//! No `unsafe` (the workspace denies it): guest memory and exits come from
//! `winhv::safe`.
#![allow(
    non_upper_case_globals,
    reason = "WHP constants keep their Windows names"
)]

mod bench;
mod caps;
mod demo;
mod dump;
mod run;

use clap::{Parser, Subcommand};

/// The Windows Hypervisor Platform on Linux KVM.
#[derive(Parser)]
#[command(name = "winhv", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every WHvGetCapability answer on this host.
    Caps {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Boot a kernel (multiboot v1 ELF or a.out kludge, Linux bzImage); without KERNEL, the built-in test kernel.
    Run(run::Options),
    /// Run the demo guest (real mode → long mode, greeting, HLT).
    Demo,
    /// Measure winhv beside raw KVM and print one table.
    Bench {
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
    },
    /// Show a saved state (.vmrs or QEMU ELF core): VPs, registers, paging, memory.
    Dump {
        /// The saved-state file.
        file: std::path::PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also scan VP 0's address space for PE images.
        #[arg(long)]
        images: bool,
    },
}

/// `winhv bench`: the options, passed on to the `winhv-bench` program.
fn bench(
    json: bool,
    svg: Option<std::path::PathBuf>,
    batches: u32,
    filter: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<std::ffi::OsString> = vec!["--batches".into(), batches.to_string().into()];
    if json {
        args.push("--json".into());
    }
    if let Some(path) = svg {
        args.extend(["--svg".into(), path.into_os_string()]);
    }
    if let Some(filter) = filter {
        args.extend(["--filter".into(), filter.into()]);
    }
    bench::run(&args)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Caps { json } => caps::print(json),
        Command::Run(options) => return std::process::ExitCode::from(run::run(options)),
        Command::Demo => demo::run(),
        Command::Bench {
            json,
            svg,
            batches,
            filter,
        } => bench(json, svg, batches, filter),
        Command::Dump { file, json, images } => dump::print(&file, json, images),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("winhv: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
