//! Lets this package's integration tests link the cdylibs it builds: the
//! tests declare the API through windows-sys, which names no library (on Linux
//! windows-link's `link!` emits a plain `extern "system"` block), so it is
//! linked with `-lvmdevicehost -lWinHvPlatform` from target/<profile>/deps,
//! where cargo writes both `.so` files, with that directory as run path.

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is target/<profile>/build/<package>-<hash>/out.
    if let Some(deps) = out.ancestors().nth(3).map(|p| p.join("deps")) {
        println!("cargo:rustc-link-search=native={}", deps.display());
        println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{}", deps.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
