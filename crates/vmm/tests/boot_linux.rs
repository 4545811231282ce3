//! Linux bzImage loading against the x86 boot protocol, on hand-made
//! images with no partition: everything up to the kernel's first
//! instruction — the protected-mode kernel at code32_start, the zero
//! page's fields (setup header copied, loader type, command line pointer,
//! initrd address and size, e820 map), the command line and initrd
//! placement, the identity page tables, the GDT and the 64-bit entry
//! registers — and the errors for images that cannot boot.

mod support;

use support::images::*;
use support::{read, u32_at, u64_at};
use winhv_vmm::boot::{self, Boot, BootError, Format, RamLayout, entry::*, layout::*};

const MEM: u64 = 128 << 20;

fn load(
    file: &[u8],
    mem_size: u64,
    cmdline: &str,
    initrd: Option<&[u8]>,
) -> Result<(boot::GuestRam, boot::Loaded), BootError> {
    let layout = RamLayout::new(mem_size).unwrap();
    let mem = boot::memory::allocate(&layout).unwrap();
    let loaded = boot::load(
        &mem,
        &layout,
        &Boot {
            kernel: file,
            kernel_name: "bzImage",
            cmdline,
            initrd: initrd.map(|d| (d, "initrd")),
            cpus: 2,
        },
    )?;
    Ok((mem, loaded))
}

/// Translates `va` through the 4-level tables at CR3 (4 KiB, 2 MiB and
/// 1 GiB pages), as the processor does; `None` where it would fault.
fn translate(mem: &boot::GuestRam, cr3: u64, va: u64) -> Option<u64> {
    let mut table = cr3 & !0xfff;
    for level in (0..4).rev() {
        let shift = 12 + 9 * level;
        let entry = u64_at(mem, table + ((va >> shift) & 0x1ff) * 8);
        if entry & 1 == 0 {
            return None;
        }
        let frame = entry & 0x000f_ffff_ffff_f000;
        if level == 0 || (level < 3 && entry & 0x80 != 0) {
            return Some((frame & !((1 << shift) - 1)) | (va & ((1 << shift) - 1)));
        }
        table = frame;
    }
    None
}

#[test]
fn everything_up_to_the_first_instruction() {
    let payload: Vec<u8> = (0..0x3000u32).map(|i| (i % 253) as u8).collect();
    let file = bzimage(&BzHeader::default(), &payload);
    let initrd: Vec<u8> = (0..0x2345u32).map(|i| (i % 241) as u8).collect();
    let cmdline = "console=ttyS0 panic=-1 quiet";
    let (mem, loaded) = load(&file, MEM, cmdline, Some(&initrd)).unwrap();
    assert_eq!(loaded.format, Format::BzImage);

    // The protected-mode kernel: the file after its 5 setup sectors, at 1 MiB.
    assert_eq!(read(&mem, 0x10_0000, payload.len()), payload);

    // The zero page: the image's setup header, with the loader's fields.
    let zp = ZERO_PAGE;
    let e = &loaded.entry;
    assert_eq!(e.rsi, zp, "RSI = boot_params");
    assert_eq!(
        read(&mem, zp + 0x1f1, 0x210 - 0x1f1),
        file[0x1f1..0x210],
        "setup header up to type_of_loader"
    );
    assert_eq!(read(&mem, zp + 0x1fe, 2), [0x55, 0xaa]);
    assert_eq!(read(&mem, zp + 0x202, 4), *b"HdrS");
    assert_eq!(
        read(&mem, zp + 0x210, 1),
        [0xff],
        "type_of_loader: undefined"
    );
    assert_eq!(u32_at(&mem, zp + 0x214), 0x10_0000, "code32_start");
    assert_eq!(u32_at(&mem, zp + 0x228), CMDLINE as u32, "cmd_line_ptr");
    assert_eq!(u32_at(&mem, zp + 0x260), 0x40_0000, "init_size kept");

    // The command line, NUL-terminated, below the zero page's limit.
    let line = read(&mem, CMDLINE, cmdline.len() + 1);
    assert_eq!(&line[..cmdline.len()], cmdline.as_bytes());
    assert_eq!(line[cmdline.len()], 0);

    // The initrd: page-aligned, as high as RAM allows, above the kernel's init_size.
    let (at, size) = (
        u64::from(u32_at(&mem, zp + 0x218)),
        u32_at(&mem, zp + 0x21c),
    );
    assert_eq!(size as usize, initrd.len());
    assert_eq!(at % 0x1000, 0);
    assert!(
        at + u64::from(size) <= MEM && at + u64::from(size) + 0x1000 > MEM,
        "{at:#x}"
    );
    assert!(at >= 0x10_0000 + 0x40_0000);
    assert_eq!(read(&mem, at, initrd.len()), initrd);

    // The e820 map.
    let n = read(&mem, zp + 0x1e8, 1)[0] as u64;
    let map: Vec<(u64, u64, u32)> = (0..n)
        .map(|i| {
            let p = zp + 0x2d0 + 20 * i;
            (u64_at(&mem, p), u64_at(&mem, p + 8), u32_at(&mem, p + 16))
        })
        .collect();
    assert_eq!(
        map,
        [
            (0, 0x9_fc00, 1),
            (0x9_fc00, 0x6_0400, 2),
            (0x10_0000, MEM - 0x10_0000, 1)
        ]
    );

    // 64-bit entry: long mode, paging on, RIP at startup_64, interrupts off.
    assert_eq!(e.rip, 0x10_0200);
    assert_eq!(e.cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
    assert_ne!(e.cr4 & CR4_PAE, 0);
    assert_eq!(e.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
    assert_eq!(e.rflags & 0x200, 0, "IF clear");
    assert_eq!(e.cs.selector, 0x10, "__BOOT_CS");
    assert_ne!(e.cs.attributes & (1 << 13), 0, "CS.L");
    assert_eq!(e.cs.attributes & 0xf, 0xb, "execute/read");
    assert_eq!(e.data.selector, 0x18, "__BOOT_DS");
    assert_eq!(e.data.attributes & 0xf, 0x3, "read/write");
    // The GDT's entries for those selectors are the flat ones.
    assert!(e.gdt_limit >= 0x1f);
    assert_eq!(u64_at(&mem, e.gdt_base + 0x10), 0x00af_9b00_0000_ffff);
    assert_eq!(u64_at(&mem, e.gdt_base + 0x18), 0x00cf_9300_0000_ffff);

    // The page tables map identically what the protocol names (kernel
    // with init_size, zero page, command line) and all of the first 4 GiB.
    for va in [
        0,
        zp,
        CMDLINE,
        0x10_0000,
        0x10_0000 + 0x40_0000 - 1,
        at,
        MEM - 1,
        0xfee0_0000,
        0xffff_ffff,
    ] {
        assert_eq!(translate(&mem, e.cr3, va), Some(va), "{va:#x}");
    }
    assert_eq!(translate(&mem, e.cr3, 1 << 32), None, "nothing above 4 GiB");
    // The MP table, where Linux looks without ACPI: the floating pointer in
    // the last KiB of base memory (reserved in the e820 map), two processors.
    assert_eq!(read(&mem, 0x9_fc00, 4), *b"_MP_");
    let table = u64::from(u32_at(&mem, 0x9_fc04));
    assert_eq!(read(&mem, table, 4), *b"PCMP");
    let processors = (0..u64::from(u32_at(&mem, table + 34) & 0xffff))
        .take_while(|i| read(&mem, table + 44 + 20 * i, 1)[0] == 0)
        .count();
    assert_eq!(processors, 2);

    // The tables do not overlap what the kernel is given.
    assert!(e.cr3 >= zp + 0x1000 && e.cr3 + 0x6000 <= CMDLINE);
}

#[test]
fn large_memory_is_in_the_e820_map_and_keeps_the_initrd_low() {
    let file = bzimage(&BzHeader::default(), &[0x90; 0x1000]);
    let (mem, _) = load(&file, 5 << 30, "", Some(&[1; 10])).unwrap();
    let n = read(&mem, ZERO_PAGE + 0x1e8, 1)[0] as u64;
    assert_eq!(n, 4);
    let last = ZERO_PAGE + 0x2d0 + 20 * 3;
    assert_eq!(
        (u64_at(&mem, last), u64_at(&mem, last + 8)),
        (1 << 32, 2 << 30)
    );
    // initrd_addr_max 0x37ffffff: the initrd ends below it.
    let at = u64::from(u32_at(&mem, ZERO_PAGE + 0x218));
    assert!(at + 10 <= 0x3800_0000 && at > 0x3700_0000, "{at:#x}");
}

#[test]
fn images_that_cannot_boot() {
    let payload = [0x90u8; 0x1000];
    // No 64-bit entry point.
    let old = bzimage(
        &BzHeader {
            xloadflags: 0,
            ..BzHeader::default()
        },
        &payload,
    );
    assert!(
        matches!(load(&old, MEM, "", None), Err(BootError::Unsupported(m)) if m.contains("64-bit"))
    );
    let v = bzimage(
        &BzHeader {
            version: 0x0206,
            ..BzHeader::default()
        },
        &payload,
    );
    assert!(matches!(
        load(&v, MEM, "", None),
        Err(BootError::Unsupported(_))
    ));
    // Truncated: the setup sectors and nothing after them.
    let short = bzimage(&BzHeader::default(), &[]);
    assert!(matches!(
        load(&short, MEM, "", None),
        Err(BootError::Truncated { .. })
    ));
    // A kernel below 1 MiB.
    let low = bzimage(
        &BzHeader {
            code32_start: 0x1_0000,
            ..BzHeader::default()
        },
        &payload,
    );
    assert!(matches!(
        load(&low, MEM, "", None),
        Err(BootError::BzImage(_))
    ));
    // init_size beyond RAM; a command line past cmdline_size; an initrd too big.
    let big = bzimage(
        &BzHeader {
            init_size: 0x100_0000,
            ..BzHeader::default()
        },
        &payload,
    );
    assert!(
        matches!(load(&big, 8 << 20, "", None), Err(BootError::Invalid(m)) if m.contains("more --memory"))
    );
    let ok = bzimage(&BzHeader::default(), &payload);
    assert!(
        matches!(load(&ok, MEM, &"y".repeat(2048), None), Err(BootError::Invalid(m)) if m.contains("command line"))
    );
    assert!(
        matches!(load(&ok, 8 << 20, "", Some(&vec![0; 6 << 20])), Err(BootError::Invalid(m)) if m.contains("initrd"))
    );
}
