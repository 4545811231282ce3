//! Kernel loading for `winhv run`: which format a file is (Linux bzImage,
//! multiboot v1 ELF or a.out kludge), putting it and what it is given
//! (command line, initrd, memory map, the MP table) into guest RAM, and
//! the processor state at its first instruction. Nothing here touches a partition.

pub mod entry;
pub mod error;
pub mod layout;
pub mod linux;
pub mod memory;
pub mod mptable;
pub mod multiboot;

pub use entry::EntryState;
pub use error::BootError;
pub use layout::RamLayout;
pub use memory::{GuestRam, GuestWriter};

/// What a kernel file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A multiboot (v1) image, with its header.
    Multiboot(multiboot::Header),
    /// A Linux bzImage.
    BzImage,
}

impl Format {
    /// A name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Multiboot(h) if h.aout.is_some() => "multiboot (a.out kludge)",
            Format::Multiboot(_) => "multiboot (ELF)",
            Format::BzImage => "Linux bzImage",
        }
    }
}

/// Detects the format: a bzImage's boot flag and "HdrS" first (a strong
/// signature at a fixed place), then a multiboot header in the first 8 KiB.
pub fn detect(file: &[u8]) -> Result<Format, BootError> {
    if linux::is_bzimage(file) {
        return Ok(Format::BzImage);
    }
    match multiboot::find_header(file)? {
        Some(header) => Ok(Format::Multiboot(header)),
        None => Err(BootError::UnknownFormat),
    }
}

/// What to boot.
pub struct Boot<'a> {
    /// The kernel file's bytes.
    pub kernel: &'a [u8],
    /// Its name (multiboot's command line starts with it, as QEMU's does).
    pub kernel_name: &'a str,
    /// The command line's arguments.
    pub cmdline: &'a str,
    /// The initrd (multiboot: the one module) and its name.
    pub initrd: Option<(&'a [u8], &'a str)>,
    /// The VPs the MP table lists.
    pub cpus: u32,
}

/// A loaded kernel.
#[derive(Debug)]
pub struct Loaded {
    /// Its format.
    pub format: Format,
    /// The boot processor's state at its first instruction.
    pub entry: EntryState,
}

/// Detects the kernel's format and loads it into `mem`.
pub fn load(mem: &GuestRam, ram: &RamLayout, boot: &Boot<'_>) -> Result<Loaded, BootError> {
    let format = detect(boot.kernel)?;
    let entry = match &format {
        Format::BzImage => linux::load(
            mem,
            ram,
            boot.kernel,
            boot.cmdline,
            boot.initrd.map(|(data, _)| data),
        )?,
        Format::Multiboot(header) => {
            let cmdline = if boot.cmdline.is_empty() {
                boot.kernel_name.to_string()
            } else {
                format!("{} {}", boot.kernel_name, boot.cmdline)
            };
            let module = boot
                .initrd
                .map(|(data, name)| multiboot::Module { data, name });
            multiboot::load(mem, ram, boot.kernel, header, &cmdline, module)?
        }
    };
    mptable::write(mem, boot.cpus)?;
    Ok(Loaded { format, entry })
}

/// Writes the boot GDT ([`entry::GDT_ENTRIES`]) at [`layout::GDT`].
fn write_gdt(mem: &dyn GuestWriter) -> Result<(), BootError> {
    let bytes: Vec<u8> = entry::GDT_ENTRIES
        .iter()
        .flat_map(|e| e.to_le_bytes())
        .collect();
    mem.write(layout::GDT, &bytes)
}
