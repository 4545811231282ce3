//! Builds the built-in test kernel (`kernels/smp.S`, GNU as) that
//! `winhv run` boots when no KERNEL is given; src/builtin.rs embeds it.

include!("kernels/build.rs.in");

fn main() {
    let kernels = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    for f in ["smp.S", "lib.S", "link.ld", "build.rs.in"] {
        println!("cargo:rerun-if-changed=kernels/{f}");
    }
    if let Err(e) = build_kernel(&kernels, "smp", &out) {
        panic!("building the built-in test kernel: {e}");
    }
}
