//! The `winhv` command: a VMM built only on winhv's public API.
//!
//! * `winhv caps [--json]` — every WHvGetCapability answer on this host.
//! * `winhv run` — the built-in demo guest: real mode → long mode, a
//!   greeting through port I/O, HLT; prints what the guest wrote and a count
//!   of exits by reason.
#![allow(unsafe_code, reason = "mmap of guest RAM and WHvMapGpaRange of it")]
#![allow(non_upper_case_globals, reason = "WHP constants keep their Windows names")]

mod caps;
mod demo;
mod guest_memory;

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
    /// Run the built-in demo guest (real mode → long mode, greeting, HLT).
    Run,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Caps { json } => caps::print(json),
        Command::Run => demo::run(),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("winhv: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
