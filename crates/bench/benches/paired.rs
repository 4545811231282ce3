//! `cargo bench -p winhv-bench`: every row of winhv-bench under criterion,
//! a group per row with a `winhv` and a `kvm` function. A row whose setup
//! or first operation fails is skipped with one loud line saying why.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use winhv_bench::SPECS;

fn paired(c: &mut Criterion) {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    for spec in SPECS {
        let mut pair = match (spec.build)() {
            Ok(pair) => pair,
            Err(e) => {
                println!("SKIPPED: {}: setup failed: {e}", spec.name);
                continue;
            }
        };
        // One operation per side first, so a failing side skips the row
        // instead of aborting the run.
        if let Err(e) = (pair.winhv)(1).and_then(|_| (pair.kvm)(1)) {
            println!("SKIPPED: {}: {e}", spec.name);
            continue;
        }
        let mut group = c.benchmark_group(spec.name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        let name = spec.name;
        group.bench_function("winhv", |b| {
            b.iter_custom(|iters| {
                (pair.winhv)(iters).unwrap_or_else(|e| panic!("{name}: winhv side failed: {e}"))
            })
        });
        group.bench_function("kvm", |b| {
            b.iter_custom(|iters| {
                (pair.kvm)(iters).unwrap_or_else(|e| panic!("{name}: raw KVM side failed: {e}"))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, paired);
criterion_main!(benches);
