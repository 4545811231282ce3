//! Hand-made kernel images for the loader tests: multiboot ELF32, ELF64
//! and a.out-kludge images, and a bzImage with a setup header of our
//! choosing. Each builder returns the file's bytes.
#![allow(dead_code, reason = "each test file uses some builders")]

/// Puts `v` at `offset` (little-endian), growing `buf` as needed.
pub fn put(buf: &mut Vec<u8>, offset: usize, v: &[u8]) {
    if buf.len() < offset + v.len() {
        buf.resize(offset + v.len(), 0);
    }
    buf[offset..offset + v.len()].copy_from_slice(v);
}

/// A multiboot header (12 bytes, or 32 with the a.out kludge's fields).
pub fn multiboot_header(flags: u32, aout: Option<[u32; 5]>) -> Vec<u8> {
    let mut h = Vec::new();
    let magic = 0x1bad_b002u32;
    for v in [magic, flags, 0u32.wrapping_sub(magic).wrapping_sub(flags)] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    if let Some(fields) = aout {
        for v in fields {
            h.extend_from_slice(&v.to_le_bytes());
        }
    }
    h
}

/// An ELF32 (i386) file with one PT_LOAD segment: `data` at file offset
/// 0x100, loaded at `paddr` (vaddr `vaddr`), `memsz` bytes in memory.
pub fn elf32(entry: u32, vaddr: u32, paddr: u32, data: &[u8], memsz: u32) -> Vec<u8> {
    let mut f = Vec::new();
    put(&mut f, 0, b"\x7fELF\x01\x01\x01");
    put(&mut f, 16, &2u16.to_le_bytes()); // ET_EXEC
    put(&mut f, 18, &3u16.to_le_bytes()); // EM_386
    put(&mut f, 20, &1u32.to_le_bytes());
    put(&mut f, 24, &entry.to_le_bytes());
    put(&mut f, 28, &52u32.to_le_bytes()); // e_phoff
    put(&mut f, 40, &52u16.to_le_bytes()); // e_ehsize
    put(&mut f, 42, &32u16.to_le_bytes()); // e_phentsize
    put(&mut f, 44, &1u16.to_le_bytes()); // e_phnum
    let ph = 52;
    for (i, v) in [
        1u32,
        0x100,
        vaddr,
        paddr,
        data.len() as u32,
        memsz,
        7,
        0x1000,
    ]
    .iter()
    .enumerate()
    {
        put(&mut f, ph + 4 * i, &v.to_le_bytes());
    }
    put(&mut f, 0x100, data);
    f
}

/// An ELF64 (x86-64) file with one PT_LOAD segment, as [`elf32`].
pub fn elf64(entry: u64, vaddr: u64, paddr: u64, data: &[u8], memsz: u64) -> Vec<u8> {
    let mut f = Vec::new();
    put(&mut f, 0, b"\x7fELF\x02\x01\x01");
    put(&mut f, 16, &2u16.to_le_bytes());
    put(&mut f, 18, &62u16.to_le_bytes()); // EM_X86_64
    put(&mut f, 20, &1u32.to_le_bytes());
    put(&mut f, 24, &entry.to_le_bytes());
    put(&mut f, 32, &64u64.to_le_bytes()); // e_phoff
    put(&mut f, 52, &64u16.to_le_bytes());
    put(&mut f, 54, &56u16.to_le_bytes());
    put(&mut f, 56, &1u16.to_le_bytes());
    let ph = 64;
    put(&mut f, ph, &1u32.to_le_bytes());
    put(&mut f, ph + 4, &7u32.to_le_bytes());
    for (i, v) in [0x100u64, vaddr, paddr, data.len() as u64, memsz, 0x1000]
        .iter()
        .enumerate()
    {
        put(&mut f, ph + 8 + 8 * i, &v.to_le_bytes());
    }
    put(&mut f, 0x100, data);
    f
}

/// The setup header fields a bzImage test chooses.
pub struct BzHeader {
    pub setup_sects: u8,
    pub version: u16,
    pub code32_start: u32,
    pub initrd_addr_max: u32,
    pub cmdline_size: u32,
    pub xloadflags: u16,
    pub init_size: u32,
}

impl Default for BzHeader {
    fn default() -> Self {
        Self {
            setup_sects: 4,
            version: 0x020f,
            code32_start: 0x10_0000,
            initrd_addr_max: 0x37ff_ffff,
            cmdline_size: 2047,
            xloadflags: 0x3,
            init_size: 0x40_0000,
        }
    }
}

/// A bzImage: the setup sectors with `h`'s header, then `payload` (the
/// protected-mode kernel).
pub fn bzimage(h: &BzHeader, payload: &[u8]) -> Vec<u8> {
    let sects = if h.setup_sects == 0 {
        4
    } else {
        usize::from(h.setup_sects)
    };
    let mut f = vec![0u8; (sects + 1) * 512];
    f[0x1f1] = h.setup_sects;
    put(&mut f, 0x1fe, &0xaa55u16.to_le_bytes());
    put(&mut f, 0x202, b"HdrS");
    put(&mut f, 0x206, &h.version.to_le_bytes());
    f[0x211] = 0x01; // LOADED_HIGH
    put(&mut f, 0x214, &h.code32_start.to_le_bytes());
    put(&mut f, 0x22c, &h.initrd_addr_max.to_le_bytes());
    put(&mut f, 0x236, &h.xloadflags.to_le_bytes());
    put(&mut f, 0x238, &h.cmdline_size.to_le_bytes());
    put(&mut f, 0x260, &h.init_size.to_le_bytes());
    f.extend_from_slice(payload);
    f
}
