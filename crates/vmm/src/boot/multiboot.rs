//! Multiboot (v1) kernels: the header search (first 8 KiB, 32-bit aligned,
//! checksum), the image's segments (ELF program headers, or the a.out
//! kludge's load addresses), and what the kernel gets: the multiboot
//! information (memory sizes and map, command line, modules = the initrd,
//! loader name) and the machine state the specification prescribes
//! (32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = the
//! information's address).

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

use super::entry::*;
use super::error::BootError;
use super::layout::*;
use super::memory::GuestWriter;

/// The header's magic.
pub const HEADER_MAGIC: u32 = 0x1bad_b002;
/// What EAX holds at the kernel's entry.
pub const BOOTLOADER_MAGIC: u32 = 0x2bad_b002;
/// How far into the file the header may start.
pub const SEARCH_LIMIT: usize = 8192;

/// Header flag: align modules on pages (we always do).
const FLAG_PAGE_ALIGN: u32 = 1 << 0;
/// Header flag: the memory fields of the information (we always give them).
const FLAG_MEMORY_INFO: u32 = 1 << 1;
/// Header flag: a video mode table.
const FLAG_VIDEO_MODE: u32 = 1 << 2;
/// Header flag: the a.out kludge's address fields are valid.
const FLAG_AOUT_KLUDGE: u32 = 1 << 16;

/// Information flags.
const INFO_MEMORY: u32 = 1 << 0;
const INFO_CMDLINE: u32 = 1 << 2;
const INFO_MODS: u32 = 1 << 3;
const INFO_MMAP: u32 = 1 << 6;
const INFO_LOADER_NAME: u32 = 1 << 9;

/// Size of the multiboot information structure (with its framebuffer part).
const INFO_SIZE: u64 = 116;
/// Where the memory map, module list and strings go in the information area.
const MMAP_AT: u64 = MULTIBOOT_INFO + 0x80;
const MODS_AT: u64 = MULTIBOOT_INFO + 0x100;
const STRINGS_AT: u64 = MULTIBOOT_INFO + 0x200;

/// The a.out kludge's address fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AoutKludge {
    /// Physical address of the header itself.
    pub header_addr: u32,
    /// Physical address of the text segment's start.
    pub load_addr: u32,
    /// End of the data to load (0: to the end of the file).
    pub load_end_addr: u32,
    /// End of the bss (0: no bss).
    pub bss_end_addr: u32,
    /// The entry point.
    pub entry_addr: u32,
}

/// A multiboot header found in an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Its offset in the file.
    pub offset: usize,
    /// Its flags.
    pub flags: u32,
    /// The a.out kludge fields when flag 16 is set.
    pub aout: Option<AoutKludge>,
}

fn u32_at(image: &[u8], offset: usize) -> Option<u32> {
    let bytes = image.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// Looks for the header in the first 8 KiB. `Ok(None)`: there is none;
/// an error: there is one, but it is bad or truncated.
pub fn find_header(image: &[u8]) -> Result<Option<Header>, BootError> {
    let end = image.len().min(SEARCH_LIMIT);
    let mut bad = None;
    for offset in (0..end.saturating_sub(3)).step_by(4) {
        if u32_at(image, offset) != Some(HEADER_MAGIC) {
            continue;
        }
        let (Some(flags), Some(checksum)) = (u32_at(image, offset + 4), u32_at(image, offset + 8))
        else {
            return Err(BootError::Truncated {
                what: "multiboot header",
                len: image.len() as u64,
                needed: offset as u64 + 12,
            });
        };
        if HEADER_MAGIC.wrapping_add(flags).wrapping_add(checksum) != 0 {
            bad.get_or_insert(offset);
            continue;
        }
        let aout = if flags & FLAG_AOUT_KLUDGE != 0 {
            let field = |i: usize| {
                u32_at(image, offset + 12 + 4 * i).ok_or(BootError::Truncated {
                    what: "multiboot header's a.out kludge",
                    len: image.len() as u64,
                    needed: offset as u64 + 32,
                })
            };
            Some(AoutKludge {
                header_addr: field(0)?,
                load_addr: field(1)?,
                load_end_addr: field(2)?,
                bss_end_addr: field(3)?,
                entry_addr: field(4)?,
            })
        } else {
            None
        };
        return Ok(Some(Header {
            offset,
            flags,
            aout,
        }));
    }
    match bad {
        Some(offset) => Err(BootError::BadChecksum { offset }),
        None => Ok(None),
    }
}

/// One piece of the image to place: `data` at `paddr`, zeros up to `memsz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSegment<'a> {
    /// Guest-physical address.
    pub paddr: u64,
    /// The bytes from the file.
    pub data: &'a [u8],
    /// Size in memory (≥ `data.len()`; the rest is zeroed).
    pub memsz: u64,
}

/// The image's segments and entry point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image<'a> {
    /// What to load where.
    pub segments: Vec<LoadSegment<'a>>,
    /// The physical entry point.
    pub entry: u64,
}

/// The segments of an a.out-kludge image.
fn aout_image<'a>(
    image: &'a [u8],
    header: &Header,
    k: &AoutKludge,
) -> Result<Image<'a>, BootError> {
    if k.load_addr > k.header_addr {
        return Err(BootError::invalid(format!(
            "multiboot a.out kludge: load_addr {:#x} is above header_addr {:#x}",
            k.load_addr, k.header_addr
        )));
    }
    let before = (k.header_addr - k.load_addr) as usize;
    let start = header.offset.checked_sub(before).ok_or_else(|| {
        BootError::invalid(format!(
            "multiboot a.out kludge: header_addr - load_addr ({before:#x}) is more than the header's offset {:#x}",
            header.offset
        ))
    })?;
    let size = if k.load_end_addr == 0 {
        image.len() - start
    } else {
        if k.load_end_addr <= k.load_addr {
            return Err(BootError::invalid(format!(
                "multiboot a.out kludge: load_end_addr {:#x} is not above load_addr {:#x}",
                k.load_end_addr, k.load_addr
            )));
        }
        (k.load_end_addr - k.load_addr) as usize
    };
    let data = image.get(start..start + size).ok_or(BootError::Truncated {
        what: "multiboot a.out image",
        len: image.len() as u64,
        needed: (start + size) as u64,
    })?;
    let load_end = u64::from(k.load_addr) + size as u64;
    let memsz = if k.bss_end_addr == 0 {
        size as u64
    } else if u64::from(k.bss_end_addr) < load_end {
        return Err(BootError::invalid(format!(
            "multiboot a.out kludge: bss_end_addr {:#x} is below the loaded data's end {load_end:#x}",
            k.bss_end_addr
        )));
    } else {
        u64::from(k.bss_end_addr) - u64::from(k.load_addr)
    };
    let entry = u64::from(k.entry_addr);
    if !(u64::from(k.load_addr)..load_end).contains(&entry) {
        return Err(BootError::invalid(format!(
            "multiboot a.out kludge: entry_addr {entry:#x} is outside the loaded {:#x}..{load_end:#x}",
            k.load_addr
        )));
    }
    Ok(Image {
        segments: vec![LoadSegment {
            paddr: u64::from(k.load_addr),
            data,
            memsz,
        }],
        entry,
    })
}

/// The PT_LOAD segments of an ELF image (32- or 64-bit x86).
fn elf_image<'a, H: FileHeader<Endian = object::Endianness>>(
    image: &'a [u8],
    machine: u16,
) -> Result<Image<'a>, BootError> {
    let bad = |e: object::read::Error| BootError::invalid(format!("multiboot ELF image: {e}"));
    let header = H::parse(image).map_err(bad)?;
    let endian = header.endian().map_err(bad)?;
    if header.e_machine(endian) != machine {
        return Err(BootError::invalid(format!(
            "multiboot ELF image: machine {} is not x86",
            header.e_machine(endian)
        )));
    }
    let mut segments = Vec::new();
    let mut entry = None;
    let e_entry: u64 = header.e_entry(endian).into();
    for ph in header.program_headers(endian, image).map_err(bad)? {
        if ph.p_type(endian) != elf::PT_LOAD {
            continue;
        }
        let data = ph.data(endian, image).map_err(|()| BootError::Truncated {
            what: "multiboot ELF segment",
            len: image.len() as u64,
            needed: ph.p_offset(endian).into() + ph.p_filesz(endian).into(),
        })?;
        let (paddr, vaddr, memsz) = (
            ph.p_paddr(endian).into(),
            ph.p_vaddr(endian).into(),
            ph.p_memsz(endian).into(),
        );
        if memsz < data.len() as u64 {
            return Err(BootError::invalid(format!(
                "multiboot ELF segment at {paddr:#x}: memory size {memsz:#x} below its file size {:#x}",
                data.len()
            )));
        }
        if entry.is_none() && e_entry.wrapping_sub(vaddr) < memsz {
            entry = Some(paddr + (e_entry - vaddr));
        }
        segments.push(LoadSegment { paddr, data, memsz });
    }
    if segments.is_empty() {
        return Err(BootError::invalid(
            "multiboot ELF image: no loadable segment",
        ));
    }
    let entry = entry.ok_or_else(|| {
        BootError::invalid(format!(
            "multiboot ELF image: entry point {e_entry:#x} is in no loadable segment"
        ))
    })?;
    Ok(Image { segments, entry })
}

/// What the image loads and where it starts, per the header.
pub fn image<'a>(image: &'a [u8], header: &Header) -> Result<Image<'a>, BootError> {
    let required = header.flags & 0xffff & !(FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO);
    if required & FLAG_VIDEO_MODE != 0 {
        return Err(BootError::Unsupported("a video mode (flag 2)"));
    }
    if required != 0 {
        return Err(BootError::Unsupported("an unknown feature (flags 3-15)"));
    }
    if let Some(k) = &header.aout {
        return aout_image(image, header, k);
    }
    match image.get(..5) {
        Some([0x7f, b'E', b'L', b'F', 1]) => {
            elf_image::<elf::FileHeader32<object::Endianness>>(image, elf::EM_386)
        }
        Some([0x7f, b'E', b'L', b'F', 2]) => {
            elf_image::<elf::FileHeader64<object::Endianness>>(image, elf::EM_X86_64)
        }
        _ => Err(BootError::invalid(
            "multiboot image without the a.out kludge (flag 16) is not an ELF file",
        )),
    }
}

/// Checks that a segment lies in usable RAM below 4 GiB, above the boot
/// information (or in the low 640 KiB above it).
fn check_placement(paddr: u64, memsz: u64, ram: &RamLayout) -> Result<(), BootError> {
    let end = paddr
        .checked_add(memsz)
        .filter(|&e| e <= FOUR_GIB)
        .ok_or_else(|| {
            BootError::invalid(format!(
                "segment at {paddr:#x} of {memsz:#x} bytes ends above 4 GiB"
            ))
        })?;
    let low = paddr >= MULTIBOOT_INFO_END && end <= EBDA_START;
    let high = paddr >= HIGH_MEMORY && end <= ram.low_end();
    if memsz != 0 && !low && !high {
        return Err(BootError::invalid(format!(
            "segment {paddr:#x}..{end:#x} is outside the guest's RAM ({:#x}..{EBDA_START:#x} and \
             {HIGH_MEMORY:#x}..{:#x}); more --memory?",
            MULTIBOOT_INFO_END,
            ram.low_end()
        )));
    }
    Ok(())
}

/// A module to hand the kernel (the initrd).
pub struct Module<'a> {
    /// Its bytes.
    pub data: &'a [u8],
    /// Its string (the file name, as QEMU gives).
    pub name: &'a str,
}

/// Loads a multiboot image and writes its information; returns the entry
/// state. `cmdline` is the whole command line the kernel sees (QEMU's
/// convention: the kernel's file name, then the arguments).
pub fn load(
    mem: &dyn GuestWriter,
    ram: &RamLayout,
    file: &[u8],
    header: &Header,
    cmdline: &str,
    module: Option<Module<'_>>,
) -> Result<EntryState, BootError> {
    let img = image(file, header)?;
    let mut end = HIGH_MEMORY;
    for s in &img.segments {
        check_placement(s.paddr, s.memsz, ram)?;
        mem.write(s.paddr, s.data)?;
        mem.zero(s.paddr + s.data.len() as u64, s.memsz - s.data.len() as u64)?;
        end = end.max(s.paddr + s.memsz);
    }
    if img.entry >= FOUR_GIB {
        return Err(BootError::invalid(format!(
            "entry point {:#x} is above 4 GiB",
            img.entry
        )));
    }

    // Strings: loader name, command line, module name.
    let mut strings = Vec::new();
    let mut string = |s: &str| {
        let at = STRINGS_AT + strings.len() as u64;
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        at
    };
    let loader_name = string("winhv");
    let cmdline_at = string(cmdline);
    let module_name = module.as_ref().map(|m| string(m.name));
    if STRINGS_AT + strings.len() as u64 > MULTIBOOT_INFO_END {
        return Err(BootError::invalid(format!(
            "command line too long ({} bytes) for the multiboot information area",
            cmdline.len()
        )));
    }

    let mut mods = Vec::new();
    if let (Some(m), Some(name)) = (&module, module_name) {
        let start = end.div_ceil(0x1000) * 0x1000;
        let mod_end = start + m.data.len() as u64;
        if mod_end > ram.low_end() {
            return Err(BootError::invalid(format!(
                "the initrd ({:#x} bytes at {start:#x}) does not fit in {:#x} bytes of RAM below 4 GiB; more --memory?",
                m.data.len(),
                ram.low_end()
            )));
        }
        mem.write(start, m.data)?;
        for v in [start as u32, mod_end as u32, name as u32, 0] {
            mods.extend_from_slice(&v.to_le_bytes());
        }
    }

    let mut mmap = Vec::new();
    for (start, size, kind) in ram.e820() {
        mmap.extend_from_slice(&20u32.to_le_bytes());
        mmap.extend_from_slice(&start.to_le_bytes());
        mmap.extend_from_slice(&size.to_le_bytes());
        mmap.extend_from_slice(&kind.to_le_bytes());
    }

    let mut info = [0u8; INFO_SIZE as usize];
    let mut put =
        |offset: usize, v: u32| info[offset..offset + 4].copy_from_slice(&v.to_le_bytes());
    put(
        0,
        INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MMAP | INFO_LOADER_NAME,
    );
    put(4, (EBDA_START / 1024) as u32);
    put(8, ((ram.low_end() - HIGH_MEMORY) / 1024) as u32);
    put(16, cmdline_at as u32);
    put(20, (mods.len() / 16) as u32);
    put(24, MODS_AT as u32);
    put(44, mmap.len() as u32);
    put(48, MMAP_AT as u32);
    put(64, loader_name as u32);
    mem.zero(MULTIBOOT_INFO, MULTIBOOT_INFO_END - MULTIBOOT_INFO)?;
    mem.write(MULTIBOOT_INFO, &info)?;
    mem.write(MMAP_AT, &mmap)?;
    mem.write(MODS_AT, &mods)?;
    mem.write(STRINGS_AT, &strings)?;
    super::write_gdt(mem)?;

    Ok(EntryState {
        rip: img.entry,
        rsp: MULTIBOOT_STACK_TOP,
        rax: u64::from(BOOTLOADER_MAGIC),
        rbx: MULTIBOOT_INFO,
        rflags: 0x2,
        cr0: CR0_PE | CR0_ET,
        cs: Segment::flat(CODE32_SELECTOR, CODE32_ATTRIBUTES),
        data: Segment::flat(DATA_SELECTOR, DATA_ATTRIBUTES),
        gdt_base: GDT,
        gdt_limit: (GDT_ENTRIES.len() * 8 - 1) as u16,
        ..EntryState::default()
    })
}
