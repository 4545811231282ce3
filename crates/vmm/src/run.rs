//! `winhv run [KERNEL] [--initrd FILE] [--cmdline "..."] [--cpus N]
//! [--memory SIZE] [--trace-exits]`: boots a multiboot or Linux kernel (or,
//! without KERNEL, the built-in test kernel) on winhv and exits with the
//! guest's status. The guest's serial output is our stdout; winhv's own
//! messages go to stderr.

use std::path::PathBuf;

use winhv_vmm::boot::{self, Boot, RamLayout};
use winhv_vmm::devices::Devices;
use winhv_vmm::devices::stop::{EXIT_BAD_KERNEL, EXIT_FAILED};
use winhv_vmm::vm;

/// The built-in test kernel (kernels/smp.S, built by build.rs).
static BUILTIN_KERNEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/smp.elf"));

/// The options.
#[derive(clap::Args)]
pub struct Options {
    /// The kernel image; none: the built-in SMP test kernel.
    pub kernel: Option<PathBuf>,
    /// The initrd (for multiboot kernels: the one module).
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<PathBuf>,
    /// The kernel command line.
    #[arg(long, default_value = "")]
    pub cmdline: String,
    /// Virtual processors [default: 1, or 2 for the built-in kernel].
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Guest RAM: bytes, or with a K, M, G, T suffix.
    #[arg(long, value_name = "SIZE", default_value = "256M")]
    pub memory: String,
    /// Print every exit on stderr.
    #[arg(long)]
    pub trace_exits: bool,
}

/// Parses a size: a number with an optional K, M, G or T suffix (binary).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => {
                    return Err(format!(
                        "memory size {text:?}: unknown suffix {c:?} (K, M, G, T)"
                    ));
                }
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("memory size {text:?} is not a number"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("memory size {text:?} is too large"))
}

fn bad(message: impl std::fmt::Display) -> u8 {
    eprintln!("winhv: {message}");
    EXIT_BAD_KERNEL
}

/// Runs it; returns the process's exit status.
pub fn run(options: Options) -> u8 {
    let size = match parse_size(&options.memory) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let layout = match RamLayout::new(size) {
        Ok(l) => l,
        Err(e) => return bad(e),
    };
    let cpus = options
        .cpus
        .unwrap_or(if options.kernel.is_some() { 1 } else { 2 });
    if !(1..=255).contains(&cpus) {
        return bad(format!("--cpus {cpus}: 1 to 255 VPs (xAPIC IDs)"));
    }
    let read = |path: &PathBuf, what: &str| {
        std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
    };
    let (kernel, kernel_name) = match &options.kernel {
        Some(path) => match read(path, "kernel") {
            Ok(k) => (k, path.display().to_string()),
            Err(e) => return bad(e),
        },
        None => (BUILTIN_KERNEL.to_vec(), "builtin".to_string()),
    };
    let initrd = match &options.initrd {
        Some(path) => match read(path, "initrd") {
            Ok(d) => Some((d, path.display().to_string())),
            Err(e) => return bad(e),
        },
        None => None,
    };
    let ram = match boot::memory::allocate(&layout) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let loaded = match boot::load(
        &ram,
        &layout,
        &Boot {
            kernel: &kernel,
            kernel_name: &kernel_name,
            cmdline: &options.cmdline,
            initrd: initrd.as_ref().map(|(d, n)| (d.as_slice(), n.as_str())),
            cpus,
        },
    ) {
        Ok(l) => l,
        Err(e) => return bad(format!("{kernel_name}: {e}")),
    };
    if !winhv::hypervisor_present() {
        eprintln!("winhv: no usable /dev/kvm: the hypervisor is not present");
        return EXIT_FAILED;
    }
    let partition = match vm::create(cpus, &ram, &loaded.entry) {
        Ok(p) => std::sync::Arc::new(p),
        Err(e) => {
            eprintln!("winhv: creating the VM: {e}");
            return EXIT_FAILED;
        }
    };
    let apics = std::sync::Arc::new(vm::ApicInterrupts::new(partition.clone()));
    let devices = Devices::standard(layout.size(), cpus as u16, apics);
    devices.feed_stdin();
    let stop = vm::run(
        &partition,
        &devices,
        vm::Config {
            cpus,
            trace_exits: options.trace_exits,
        },
    );
    devices.stop();
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // A closed stderr (the reader went away) changes nothing of the status.
    let _ = writeln!(std::io::stderr(), "winhv: {}", stop.message());
    stop.exit_status()
}
