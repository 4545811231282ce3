//! Multiboot (v1) loading, checked on hand-made images with no partition:
//! the header search and checksum, ELF32/ELF64 and a.out-kludge segments
//! and bss, the multiboot information (flags, memory sizes, memory map,
//! command line, the initrd as module, loader name) and the entry state
//! the specification prescribes; and a clear error for every bad image.

mod support;

use support::images::*;
use support::{read, u32_at};
use winhv_vmm::boot::{self, Boot, BootError, Format, RamLayout, entry::*, layout::*};

const MEM: u64 = 64 << 20;

fn ram() -> (RamLayout, boot::GuestRam) {
    let layout = RamLayout::new(MEM).unwrap();
    let mem = boot::memory::allocate(&layout).unwrap();
    (layout, mem)
}

fn cstr(mem: &boot::GuestRam, gpa: u64) -> String {
    let bytes = read(mem, gpa, 256);
    let end = bytes.iter().position(|&b| b == 0).expect("NUL-terminated");
    String::from_utf8(bytes[..end].to_vec()).unwrap()
}

/// A kernel segment: the multiboot header, then a recognisable pattern.
fn segment(flags: u32, aout: Option<[u32; 5]>) -> Vec<u8> {
    let mut data = multiboot_header(flags, aout);
    data.extend((0..0x200u32).map(|i| (i * 7) as u8));
    data
}

fn load(
    file: &[u8],
    cmdline: &str,
    initrd: Option<&[u8]>,
) -> Result<(boot::GuestRam, boot::Loaded), BootError> {
    let (layout, mem) = ram();
    let loaded = boot::load(
        &mem,
        &layout,
        &Boot {
            kernel: file,
            kernel_name: "kernel.elf",
            cmdline,
            initrd: initrd.map(|d| (d, "initrd.img")),
            cpus: 2,
        },
    )?;
    Ok((mem, loaded))
}

#[test]
fn elf32_kernel_its_information_and_entry_state() {
    let data = segment(0x3, None);
    let file = elf32(0x10_0010, 0x10_0000, 0x10_0000, &data, 0x3000);
    let initrd: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let (mem, loaded) = load(&file, "console=ttyS0 x=1", Some(&initrd)).unwrap();
    assert!(matches!(loaded.format, Format::Multiboot(h) if h.offset == 0x100 && h.aout.is_none()));
    assert_eq!(read(&mem, 0x10_0000, data.len()), data);
    assert!(
        read(&mem, 0x10_0000 + data.len() as u64, 0x3000 - data.len())
            .iter()
            .all(|&b| b == 0)
    );

    let e = &loaded.entry;
    assert_eq!(e.rip, 0x10_0010);
    assert_eq!(e.rax, 0x2bad_b002);
    assert_eq!(e.rbx, MULTIBOOT_INFO);
    assert_eq!(
        e.cr0 & (CR0_PE | CR0_PG),
        CR0_PE,
        "protected mode, paging off"
    );
    assert_eq!((e.cr4, e.efer), (0, 0));
    assert_eq!(e.rflags, 0x2, "IF and VM clear");
    assert_eq!(
        e.cs,
        Segment {
            selector: 0x08,
            base: 0,
            limit: 0xffff_ffff,
            attributes: 0xc09b
        }
    );
    assert_eq!(
        e.data,
        Segment {
            selector: 0x18,
            base: 0,
            limit: 0xffff_ffff,
            attributes: 0xc093
        }
    );
    // The GDT the selectors name is there too.
    assert_eq!(
        read(&mem, e.gdt_base + 8, 8),
        0x00cf_9b00_0000_ffffu64.to_le_bytes()
    );
    assert_eq!(
        read(&mem, e.gdt_base + 0x18, 8),
        0x00cf_9300_0000_ffffu64.to_le_bytes()
    );

    let mbi = e.rbx;
    let flags = u32_at(&mem, mbi);
    for bit in [0, 2, 3, 6, 9] {
        assert_ne!(flags & (1 << bit), 0, "mbi flag {bit} in {flags:#x}");
    }
    assert_eq!(u32_at(&mem, mbi + 4), 639, "mem_lower (KiB)");
    assert_eq!(
        u32_at(&mem, mbi + 8),
        ((MEM - 0x10_0000) / 1024) as u32,
        "mem_upper (KiB)"
    );
    assert_eq!(
        cstr(&mem, u64::from(u32_at(&mem, mbi + 16))),
        "kernel.elf console=ttyS0 x=1"
    );
    assert_eq!(cstr(&mem, u64::from(u32_at(&mem, mbi + 64))), "winhv");

    // The module: the initrd, page-aligned above the kernel's bss.
    assert_eq!(u32_at(&mem, mbi + 20), 1, "mods_count");
    let m = u64::from(u32_at(&mem, mbi + 24));
    let (start, end) = (u64::from(u32_at(&mem, m)), u64::from(u32_at(&mem, m + 4)));
    assert_eq!(start % 0x1000, 0);
    assert!(start >= 0x10_3000, "{start:#x}");
    assert_eq!(end - start, initrd.len() as u64);
    assert_eq!(read(&mem, start, initrd.len()), initrd);
    assert_eq!(cstr(&mem, u64::from(u32_at(&mem, m + 8))), "initrd.img");

    // The memory map: size-prefixed entries covering the RAM.
    let (len, at) = (u32_at(&mem, mbi + 44), u64::from(u32_at(&mem, mbi + 48)));
    let mut map = Vec::new();
    let mut p = at;
    while p < at + u64::from(len) {
        let size = u32_at(&mem, p);
        let e = read(&mem, p + 4, 20);
        map.push((
            u64::from_le_bytes(e[0..8].try_into().unwrap()),
            u64::from_le_bytes(e[8..16].try_into().unwrap()),
            u32::from_le_bytes(e[16..20].try_into().unwrap()),
        ));
        p += u64::from(size) + 4;
    }
    assert_eq!(
        map,
        [
            (0, 0x9_fc00, 1),
            (0x9_fc00, 0x6_0400, 2),
            (0x10_0000, MEM - 0x10_0000, 1)
        ]
    );
}

#[test]
fn elf64_kernel_with_a_virtual_entry() {
    // Linked high, loaded at 2 MiB: the entry is translated to its physical address.
    let data = segment(0x2, None);
    let file = elf64(
        0xffff_8000_0000_0020,
        0xffff_8000_0000_0000,
        0x20_0000,
        &data,
        0x1000,
    );
    let (mem, loaded) = load(&file, "", None).unwrap();
    assert_eq!(loaded.entry.rip, 0x20_0020);
    assert_eq!(read(&mem, 0x20_0000, data.len()), data);
    let mbi = loaded.entry.rbx;
    assert_eq!(cstr(&mem, u64::from(u32_at(&mem, mbi + 16))), "kernel.elf");
    assert_eq!(u32_at(&mem, mbi + 20), 0, "no modules");
}

#[test]
fn aout_kludge_kernel() {
    // The header at file offset 0x40 says it lives at 0x200040: the file
    // loads from 0x200000, 0x100 bytes of it, then bss up to 0x203000.
    let fields = [0x20_0040, 0x20_0000, 0x20_0100, 0x20_3000, 0x20_0080];
    let mut file = vec![0x90u8; 0x40];
    file.extend(multiboot_header(0x1_0003, Some(fields)));
    file.resize(0x180, 0xcc); // past load_end_addr: not loaded
    let (mem, loaded) = load(&file, "", None).unwrap();
    assert!(matches!(loaded.format, Format::Multiboot(h) if h.aout.is_some()));
    assert_eq!(loaded.entry.rip, 0x20_0080);
    assert_eq!(read(&mem, 0x20_0000, 0x100), file[..0x100]);
    assert!(
        read(&mem, 0x20_0100, 0x2f00).iter().all(|&b| b == 0),
        "bss zeroed"
    );
}

#[test]
fn header_search_and_checksum() {
    // Past the first 8 KiB the header is not looked for.
    let mut late = vec![0u8; 8192];
    late.extend(multiboot_header(0, None));
    assert_eq!(boot::detect(&late), Err(BootError::UnknownFormat));
    // At the last aligned slot that fits it still is.
    let mut edge = vec![0u8; 8192 - 12];
    edge.extend(multiboot_header(0, None));
    assert!(matches!(boot::detect(&edge), Ok(Format::Multiboot(h)) if h.offset == 8180));
    // A bad checksum.
    let mut bad = multiboot_header(0, None);
    bad[8] ^= 1;
    assert_eq!(
        boot::detect(&bad),
        Err(BootError::BadChecksum { offset: 0 })
    );
    // Unaligned magic is not a header.
    let mut odd = vec![0u8; 2];
    odd.extend(multiboot_header(0, None));
    assert_eq!(boot::detect(&odd), Err(BootError::UnknownFormat));
    // Truncated: magic with no flags, and an a.out kludge cut short.
    assert!(matches!(
        boot::detect(&0x1bad_b002u32.to_le_bytes()),
        Err(BootError::Truncated { .. })
    ));
    let cut = &multiboot_header(0x1_0000, Some([0; 5]))[..20];
    assert!(matches!(
        boot::detect(cut),
        Err(BootError::Truncated { .. })
    ));
    // Nothing at all, or noise.
    assert_eq!(boot::detect(&[]), Err(BootError::UnknownFormat));
    assert_eq!(boot::detect(&[0xab; 20000]), Err(BootError::UnknownFormat));
}

#[test]
fn bad_images_are_refused_with_a_reason() {
    let invalid = |file: &[u8]| match load(file, "", None) {
        Err(BootError::Invalid(m)) => m,
        other => panic!("{:?}", other.map(|(_, l)| l)),
    };
    // A video mode is required: not offered.
    let video = elf32(0x10_0010, 0x10_0000, 0x10_0000, &segment(0x4, None), 0x1000);
    assert!(matches!(
        load(&video, "", None),
        Err(BootError::Unsupported(_))
    ));
    // Beyond RAM; inside the information area; entry outside the image.
    let high = elf32(0x10_0010, 0x10_0000, 0x7f0_0000, &segment(0, None), 0x1000);
    assert!(invalid(&high).contains("outside the guest's RAM"));
    let low = elf32(0x1010, 0x1000, 0x1000, &segment(0, None), 0x1000);
    assert!(invalid(&low).contains("outside the guest's RAM"));
    let lost = elf32(0x50_0000, 0x10_0000, 0x10_0000, &segment(0, None), 0x1000);
    assert!(invalid(&lost).contains("in no loadable segment"));
    // A segment whose file bytes run past the end.
    let mut short = elf32(0x10_0010, 0x10_0000, 0x10_0000, &segment(0, None), 0x1000);
    short.truncate(0x180);
    assert!(matches!(
        load(&short, "", None),
        Err(BootError::Truncated { .. })
    ));
    // Not ELF and no a.out kludge.
    let mut raw = multiboot_header(0, None);
    raw.extend([0u8; 64]);
    assert!(invalid(&raw).contains("not an ELF file"));
    // a.out: entry outside, bss below the data, load_addr above the header.
    let aout = |fields: [u32; 5]| {
        let mut f = multiboot_header(0x1_0000, Some(fields));
        f.resize(0x100, 0);
        f
    };
    assert!(invalid(&aout([0x20_0000, 0x20_0000, 0, 0, 0x30_0000])).contains("entry_addr"));
    assert!(
        invalid(&aout([
            0x20_0000, 0x20_0000, 0x20_0100, 0x20_0010, 0x20_0000
        ]))
        .contains("bss_end_addr")
    );
    assert!(invalid(&aout([0x20_0000, 0x20_0010, 0, 0, 0x20_0010])).contains("load_addr"));
    assert!(matches!(
        load(
            &aout([0x20_0000, 0x20_0000, 0x20_1000, 0, 0x20_0000]),
            "",
            None
        ),
        Err(BootError::Truncated { .. })
    ));
    // An initrd that cannot fit, a command line that cannot either.
    let ok = elf32(0x10_0010, 0x10_0000, 0x10_0000, &segment(0, None), 0x1000);
    let huge = vec![0u8; MEM as usize];
    assert!(
        matches!(load(&ok, "", Some(&huge)), Err(BootError::Invalid(m)) if m.contains("initrd"))
    );
    assert!(
        matches!(load(&ok, &"x".repeat(0x8000), None), Err(BootError::Invalid(m)) if m.contains("command line"))
    );
}
