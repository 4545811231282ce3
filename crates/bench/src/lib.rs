//! winhv-bench: what the WHP model costs over raw KVM. Each row runs the
//! same work twice in one process — through winhv's public API and through
//! raw kvm-ioctls written as leanly as we can — and reports both medians,
//! their ratio and the nanoseconds winhv adds.
//!
//! | module | owns |
//! | --- | --- |
//! | [`options`] | [`Options`]: batches, batch size, row filter |
//! | [`pair`] | [`Pair`], [`Side`], [`Goal`], [`Spec`]: a workload's two sides |
//! | [`measure`] | warm-up, interleaved batches, medians |
//! | [`row`] | [`Row`]: one result line (or a loud skip) |
//! | [`render`] | [`render_table`], [`render_json`] |
//! | [`svg`] | [`render_svg`]: the ratio chart |
//! | [`count`] | user-space instructions per operation (callgrind), `--count` |
//! | [`raw`] | the raw-KVM side (VM, vCPU, register loading) |
//! | [`whp`] | the winhv side (partition, mapping, register loading) |
//! | [`host_memory`] | anonymous host memory backing guest RAM |
//! | [`emu_callbacks`] | winhv-emu's callbacks over a `Partition`, and the [`emu_callbacks::Device`] both sides feed |
//! | [`workloads`] | the rows: exits, emulated exits, registers, lifecycle, memory, translation, cancel |
//!
//! The `winhv-bench` program (`src/main.rs`) prints them; `winhv bench`
//! runs that program, so that the `winhv` command links no raw KVM.
//!
//! ```no_run
//! let rows = winhv_bench::run(&winhv_bench::Options::default());
//! print!("{}", winhv_bench::render_table(&rows));
//! ```
#![allow(
    unsafe_code,
    reason = "guest memory mmap, a raw KVM ioctl, the kick signal, reading an exit context's union"
)]

pub mod count;
pub mod emu_callbacks;
pub mod error;
pub mod host_memory;
pub mod measure;
pub mod options;
pub mod pair;
pub mod raw;
pub mod render;
pub mod row;
pub mod svg;
pub mod whp;
pub mod workloads;

pub use error::{Error, Result};
pub use options::Options;
pub use pair::{Goal, Pair, Side, Spec};
pub use render::{render_json, render_table};
pub use row::Row;
pub use svg::render_svg;
pub use workloads::SPECS;

/// Runs every selected row and returns the results in report order. A row
/// whose API is missing or that KVM refuses is a [`Row::skipped`] with the
/// reason; with no `/dev/kvm` every row is skipped saying so.
pub fn run(opts: &Options) -> Vec<Row> {
    SPECS
        .iter()
        .filter(|spec| opts.selects(spec.name))
        .map(|spec| run_spec(spec, opts))
        .collect()
}

/// Measures one row.
pub fn run_spec(spec: &Spec, opts: &Options) -> Row {
    if !std::path::Path::new("/dev/kvm").exists() {
        return Row::skipped(spec.name, "no /dev/kvm");
    }
    let mut pair = match (spec.build)() {
        Ok(pair) => pair,
        Err(e) => return Row::skipped(spec.name, &format!("setup failed: {e}")),
    };
    let ops = opts.ops_per_batch.unwrap_or(pair.ops_per_batch);
    match measure::measure(&mut pair, opts.batches, ops, opts.warmup) {
        Ok(medians) => Row::measured(spec.name, medians, spec.goal, &pair.note),
        Err(e) => Row::skipped(spec.name, &format!("measurement failed: {e}")),
    }
}

/// The workload named `name` (exactly as in [`SPECS`]), set up.
pub fn build(name: &str) -> Result<Pair> {
    let spec = SPECS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::new(format!("no workload named {name:?}")))?;
    (spec.build)()
}
