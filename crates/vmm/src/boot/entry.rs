//! The processor state at a kernel's first instruction, as plain data: the
//! loaders fill it, the VM turns it into registers. Segments carry their
//! hidden parts (base, limit, attributes in the WHP/VMX layout: type,
//! S, DPL, P, AVL, L, D/B, G from bit 0 up), so no GDT load is needed.

/// The GDT's selectors: flat 32-bit code, 64-bit code (Linux's
/// `__BOOT_CS`), flat data (`__BOOT_DS`).
pub const CODE32_SELECTOR: u16 = 0x08;
/// Linux's `__BOOT_CS`.
pub const CODE64_SELECTOR: u16 = 0x10;
/// Linux's `__BOOT_DS`.
pub const DATA_SELECTOR: u16 = 0x18;

/// Attributes of a flat 32-bit code segment (execute/read, accessed).
pub const CODE32_ATTRIBUTES: u16 = 0xc09b;
/// Attributes of a 64-bit code segment.
pub const CODE64_ATTRIBUTES: u16 = 0xa09b;
/// Attributes of a flat read/write data segment (accessed).
pub const DATA_ATTRIBUTES: u16 = 0xc093;

/// The GDT both loaders write at [`super::layout::GDT`]: null, then the
/// three descriptors above.
pub const GDT_ENTRIES: [u64; 4] = [
    0,
    0x00cf_9b00_0000_ffff,
    0x00af_9b00_0000_ffff,
    0x00cf_9300_0000_ffff,
];

/// CR0.PE.
pub const CR0_PE: u64 = 1;
/// CR0.ET.
pub const CR0_ET: u64 = 1 << 4;
/// CR0.PG.
pub const CR0_PG: u64 = 1 << 31;
/// CR4.PAE.
pub const CR4_PAE: u64 = 1 << 5;
/// EFER.LME.
pub const EFER_LME: u64 = 1 << 8;
/// EFER.LMA.
pub const EFER_LMA: u64 = 1 << 10;

/// A segment register with its hidden part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Segment {
    /// The selector.
    pub selector: u16,
    /// The base.
    pub base: u64,
    /// The limit (bytes, already scaled by G).
    pub limit: u32,
    /// Type, S, DPL, P, AVL, L, D/B, G.
    pub attributes: u16,
}

impl Segment {
    /// A flat 4 GiB segment.
    pub fn flat(selector: u16, attributes: u16) -> Self {
        Self {
            selector,
            base: 0,
            limit: 0xffff_ffff,
            attributes,
        }
    }
}

/// The state of the boot processor at the kernel's first instruction.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EntryState {
    /// RIP.
    pub rip: u64,
    /// RSP.
    pub rsp: u64,
    /// RAX (multiboot's magic).
    pub rax: u64,
    /// RBX (the multiboot information's address).
    pub rbx: u64,
    /// RSI (Linux's boot_params).
    pub rsi: u64,
    /// RFLAGS.
    pub rflags: u64,
    /// CR0.
    pub cr0: u64,
    /// CR3.
    pub cr3: u64,
    /// CR4.
    pub cr4: u64,
    /// EFER.
    pub efer: u64,
    /// CS.
    pub cs: Segment,
    /// DS, ES, FS, GS and SS.
    pub data: Segment,
    /// GDTR base.
    pub gdt_base: u64,
    /// GDTR limit.
    pub gdt_limit: u16,
}
