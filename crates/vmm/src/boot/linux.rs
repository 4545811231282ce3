//! Linux bzImages, by the x86 boot protocol (Documentation/arch/x86/boot.rst)
//! through rust-vmm's linux-loader: the protected-mode kernel at
//! `code32_start` (1 MiB), the zero page (`boot_params`: the image's setup
//! header, loader type, command line, initrd, e820 map), the command line,
//! the initrd as high as `initrd_addr_max` and RAM allow, and the 64-bit
//! entry: long mode with identity page tables over the first 4 GiB, the
//! boot GDT's `__BOOT_CS`/`__BOOT_DS`, RSI = the zero page, RIP =
//! `code32_start + 0x200`.

use std::io::Cursor;

use linux_loader::cmdline::Cmdline;
use linux_loader::configurator::linux::LinuxBootConfigurator;
use linux_loader::configurator::{BootConfigurator, BootParams};
use linux_loader::loader::bootparam::{boot_e820_entry, boot_params, setup_header};
use linux_loader::loader::{KernelLoader, bzimage::BzImage, load_cmdline};
use vm_memory::GuestAddress;

use super::entry::*;
use super::error::BootError;
use super::layout::*;
use super::memory::{GuestRam, GuestWriter};

/// "HdrS" at offset 0x202.
pub const HEADER_MAGIC: u32 = 0x5372_6448;
/// The boot flag at 0x1fe.
pub const BOOT_FLAG: u16 = 0xaa55;
/// `type_of_loader` for a loader without an assigned id.
pub const LOADER_TYPE_UNDEFINED: u8 = 0xff;
/// `xloadflags`: the kernel has the 64-bit entry point at +0x200.
pub const XLF_KERNEL_64: u16 = 1 << 0;
/// Offset of the 64-bit entry point from the protected-mode kernel's start.
pub const ENTRY_64_OFFSET: u64 = 0x200;
/// `initrd_addr_max` of boot protocols before 2.03.
const OLD_INITRD_ADDR_MAX: u32 = 0x37ff_ffff;

/// Is this a bzImage (boot flag and "HdrS")?
pub fn is_bzimage(file: &[u8]) -> bool {
    let at = |o: usize, n: usize| file.get(o..o + n);
    at(0x1fe, 2) == Some(&BOOT_FLAG.to_le_bytes()[..])
        && at(0x202, 4) == Some(&HEADER_MAGIC.to_le_bytes()[..])
}

/// The identity map of the first 4 GiB with 2 MiB pages: the PML4, the
/// PDPT and four page directories, from [`PAGE_TABLES`] up.
pub fn write_page_tables(mem: &dyn GuestWriter) -> Result<(), BootError> {
    let pdpt = PAGE_TABLES + 0x1000;
    let pd = PAGE_TABLES + 0x2000;
    mem.zero(PAGE_TABLES, 0x6000)?;
    mem.write(PAGE_TABLES, &(pdpt | 0x3).to_le_bytes())?;
    let mut entries = Vec::with_capacity(4 * 8);
    for i in 0..4u64 {
        entries.extend_from_slice(&((pd + i * 0x1000) | 0x3).to_le_bytes());
    }
    mem.write(pdpt, &entries)?;
    let mut pds = Vec::with_capacity(4 * 4096);
    for page in 0..2048u64 {
        pds.extend_from_slice(&((page << 21) | 0x83).to_le_bytes());
    }
    mem.write(pd, &pds)
}

/// Where the initrd goes: page-aligned, as high as the kernel allows and
/// RAM below 4 GiB holds, above the kernel.
fn place_initrd(
    hdr: &setup_header,
    ram: &RamLayout,
    kernel_end: u64,
    len: u64,
) -> Result<u64, BootError> {
    let addr_max = if hdr.version >= 0x0203 {
        hdr.initrd_addr_max
    } else {
        OLD_INITRD_ADDR_MAX
    };
    let top = (u64::from(addr_max) + 1).min(ram.low_end());
    let start = top.checked_sub(len).map(|s| s & !0xfff);
    match start {
        Some(start) if start >= kernel_end => Ok(start),
        _ => Err(BootError::invalid(format!(
            "the initrd ({len:#x} bytes) does not fit between the kernel's end {kernel_end:#x} and {top:#x}; more --memory?"
        ))),
    }
}

/// Loads a bzImage, its command line and initrd; returns the 64-bit entry state.
pub fn load(
    mem: &GuestRam,
    ram: &RamLayout,
    file: &[u8],
    cmdline: &str,
    initrd: Option<&[u8]>,
) -> Result<EntryState, BootError> {
    let setup_sects = match file.get(0x1f1) {
        Some(0) | None => 4,
        Some(&n) => usize::from(n),
    };
    let setup_size = (setup_sects + 1) * 512;
    if file.len() <= setup_size {
        return Err(BootError::Truncated {
            what: "bzImage",
            len: file.len() as u64,
            needed: setup_size as u64 + 1,
        });
    }
    let loaded = BzImage::load(
        mem,
        None,
        &mut Cursor::new(file),
        Some(GuestAddress(HIGH_MEMORY)),
    )
    .map_err(|e| BootError::BzImage(e.to_string()))?;
    let mut hdr = loaded
        .setup_header
        .ok_or_else(|| BootError::BzImage("no setup header".into()))?;
    let (version, xloadflags) = (hdr.version, hdr.xloadflags);
    if version < 0x020c || xloadflags & XLF_KERNEL_64 == 0 {
        return Err(BootError::Unsupported(
            "the 64-bit entry point (boot protocol 2.12+, XLF_KERNEL_64); this kernel lacks it",
        ));
    }
    let start = u64::from(hdr.code32_start);
    let kernel_end = (start + u64::from(hdr.init_size)).max(loaded.kernel_end);
    if kernel_end > ram.low_end() {
        return Err(BootError::invalid(format!(
            "the kernel needs RAM up to {kernel_end:#x} (init_size {:#x}); the guest has {:#x} below 4 GiB: more --memory",
            { hdr.init_size },
            ram.low_end()
        )));
    }

    let limit = (hdr.cmdline_size as usize).min(CMDLINE_MAX);
    if cmdline.len() > limit {
        return Err(BootError::invalid(format!(
            "command line of {} bytes is longer than the kernel's {limit}",
            cmdline.len()
        )));
    }
    let line = Cmdline::try_from(cmdline, limit + 1)
        .map_err(|e| BootError::invalid(format!("command line: {e}")))?;
    load_cmdline(mem, GuestAddress(CMDLINE), &line)
        .map_err(|e| BootError::invalid(format!("command line: {e}")))?;

    hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
    hdr.cmd_line_ptr = CMDLINE as u32;
    if let Some(initrd) = initrd {
        let at = place_initrd(&hdr, ram, kernel_end, initrd.len() as u64)?;
        mem.write(at, initrd)?;
        hdr.ramdisk_image = at as u32;
        hdr.ramdisk_size = initrd.len() as u32;
    }
    let mut params = boot_params {
        hdr,
        ..boot_params::default()
    };
    let e820 = ram.e820();
    for (slot, &(addr, size, kind)) in params.e820_table.iter_mut().zip(&e820) {
        *slot = boot_e820_entry {
            addr,
            size,
            r#type: kind,
        };
    }
    params.e820_entries = e820.len() as u8;
    LinuxBootConfigurator::write_bootparams::<GuestRam>(
        &BootParams::new(&params, GuestAddress(ZERO_PAGE)),
        mem,
    )
    .map_err(|e| BootError::Memory(e.to_string()))?;
    write_page_tables(mem)?;
    super::write_gdt(mem)?;

    Ok(EntryState {
        rip: start + ENTRY_64_OFFSET,
        rsp: LINUX_STACK_TOP,
        rsi: ZERO_PAGE,
        rflags: 0x2,
        cr0: CR0_PE | CR0_ET | CR0_PG,
        cr3: PAGE_TABLES,
        cr4: CR4_PAE,
        efer: EFER_LME | EFER_LMA,
        cs: Segment::flat(CODE64_SELECTOR, CODE64_ATTRIBUTES),
        data: Segment::flat(DATA_SELECTOR, DATA_ATTRIBUTES),
        gdt_base: GDT,
        gdt_limit: (GDT_ENTRIES.len() * 8 - 1) as u16,
        ..EntryState::default()
    })
}
