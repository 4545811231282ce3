//! QEMU `dump-guest-memory` cores of small guests, made by Debian's
//! qemu-system-x86 (TCG; no /dev/kvm needed) and read back: the registers
//! the guest left, its paging mode, translations through its own page
//! tables, and the memory it wrote — in real mode (ELF32), protected mode
//! with 32-bit paging (ELF32 from a flash firmware, ELF64 with `EM_386`
//! from a `-bios` ROM, which QEMU dumps too) and long mode (ELF64), on one
//! and on two vCPUs. Where `.cache/qemu` has no working QEMU the tests
//! print one `SKIPPED` line and pass.

mod support;

use support::*;
use winhv_defs::*;
use winhv_savedstate::{Format, Gva, SavedState};

fn load(name: &str, mode: Mode, rom: Rom, cpus: u32) -> Option<(Firmware, SavedState)> {
    let qemu = Qemu::find()?;
    let fw = firmware(mode);
    let core = qemu.dump(name, &fw, rom, cpus);
    let state = SavedState::open(&core).expect("read the core");
    Some((fw, state))
}

fn reg(s: &SavedState, vp: u32, id: REGISTER_ID) -> u64 {
    s.registers(vp)
        .unwrap()
        .u64(id)
        .unwrap_or_else(|| panic!("{id:?} missing"))
}

fn read(s: &SavedState, gpa: u64, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    assert_eq!(s.read_physical(gpa, &mut buf).unwrap(), n);
    buf
}

#[test]
fn real_mode_core_is_elf32_with_the_guests_registers_and_memory() {
    let Some((fw, s)) = load("real", Mode::Real, Rom::Flash, 1) else {
        return;
    };
    assert_eq!(
        s.format(),
        Format::QemuElf {
            elf64: false,
            machine: 3
        }
    );
    assert_eq!(s.vp_count(), 1);
    assert_eq!(s.paging_mode(0).unwrap(), Paging_NonPaged);
    assert_eq!(s.architecture(0).unwrap(), Arch_x86);
    assert!(s.in_kernel_space(0).unwrap());
    assert_eq!(reg(&s, 0, X64_RegisterRax), fw.rax);
    assert_eq!(reg(&s, 0, X64_RegisterRbx), RBX & 0xffff_ffff);
    assert_eq!(reg(&s, 0, X64_RegisterRcx), RCX & 0xffff_ffff);
    assert_eq!(reg(&s, 0, X64_RegisterRdx), RDX & 0xffff_ffff);
    assert_eq!(reg(&s, 0, X64_RegisterRsi), RSI & 0xffff_ffff);
    assert_eq!(reg(&s, 0, X64_RegisterRdi), RDI & 0xffff_ffff);
    assert_eq!(reg(&s, 0, X64_RegisterRbp), RBP & 0xffff_ffff);
    assert_eq!(reg(&s, 0, X64_RegisterRsp), fw.rsp);
    let r = s.registers(0).unwrap();
    let cs = r.segment(X64_RegisterCs).unwrap();
    assert_eq!((cs.selector, cs.base), (0xf000, 0xf_0000));
    assert_eq!(reg(&s, 0, X64_RegisterRip) + cs.base, fw.hlt + 1);
    let ds = r.segment(X64_RegisterDs).unwrap();
    assert_eq!((ds.selector, ds.base), (0x1000, 0x1_0000));
    assert_eq!(r.segment(X64_RegisterSs).unwrap().base, 0x2_0000);
    assert_eq!(reg(&s, 0, X64_RegisterCr0) & 1, 0);
    // What QEMU does not save is absent, not zero.
    assert_eq!(
        s.register(0, X64_RegisterEfer).err().unwrap().hresult,
        HRESULT_ERROR_NOT_FOUND
    );
    assert_eq!(
        s.register(0, X64_RegisterXmm0).err().unwrap().hresult,
        HRESULT_ERROR_NOT_FOUND
    );
    // The blob the firmware copied, and the string it wrote.
    assert_eq!(
        read(&s, BLOB_GPA + GDT_OFF as u64 + 8, 8),
        0x00cf_9b00_0000_ffffu64.to_le_bytes()
    );
    assert_eq!(read(&s, REAL_TEXT_GPA, 8), fw.text);
    // Paging off: a linear address is its physical address.
    assert_eq!(
        s.translate(0, REAL_TEXT_GPA).unwrap(),
        Gva::Mapped(REAL_TEXT_GPA)
    );
    let mut buf = [0u8; 8];
    assert_eq!(s.read_virtual(0, REAL_TEXT_GPA, &mut buf).unwrap(), 8);
    assert_eq!(&buf, fw.text);
    // Memory map: RAM below 16 MiB, no flash (not RAM).
    let chunks = s.memory().chunks();
    assert_eq!(chunks[0].GuestPhysicalStartPageIndex, 0);
    let last = chunks.last().unwrap();
    assert_eq!(last.GuestPhysicalStartPageIndex + last.PageCount, 0x1000);
    assert!(s.memory().raw_size() >= 15 << 20);
    assert_eq!(
        s.read_physical(0xffff_0000, &mut buf)
            .err()
            .unwrap()
            .hresult,
        VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND
    );
}

fn check_protected(fw: &Firmware, s: &SavedState) {
    assert_eq!(s.paging_mode(0).unwrap(), Paging_32Bit);
    assert_eq!(s.architecture(0).unwrap(), Arch_x86);
    assert_eq!(reg(s, 0, X64_RegisterRip), fw.hlt + 1);
    assert_eq!(reg(s, 0, X64_RegisterRax), fw.rax);
    assert_eq!(reg(s, 0, X64_RegisterRbx), RBX & 0xffff_ffff);
    assert_eq!(reg(s, 0, X64_RegisterRbp), RBP & 0xffff_ffff);
    assert_eq!(reg(s, 0, X64_RegisterRsp), fw.rsp);
    assert_eq!(reg(s, 0, X64_RegisterCr3), BLOB_GPA + TABLES_OFF as u64);
    assert_ne!(reg(s, 0, X64_RegisterCr4) & 0x10, 0, "CR4.PSE");
    let r = s.registers(0).unwrap();
    let cs = r.segment(X64_RegisterCs).unwrap();
    assert_eq!(cs.selector, CODE32_SEL);
    assert_eq!(cs.attributes, 0xc09b, "G, D, P, S, code/read/accessed");
    assert_eq!(r.segment(X64_RegisterSs).unwrap().limit, 0xffff_ffff);
    let gdtr = r.table(X64_RegisterGdtr).unwrap();
    assert_eq!((gdtr.base, gdtr.limit), (BLOB_GPA + GDT_OFF as u64, 31));
    // The same GDTR through the platform's register names and layout.
    assert_eq!(
        r.whv_halves(WHvX64RegisterGdtr).unwrap(),
        (31 << 48, BLOB_GPA + GDT_OFF as u64)
    );
    // Through the guest's 4 KiB page, its 4 MiB page, identity and holes.
    assert_eq!(
        s.translate(0, MARKER_VA32 + 0x123).unwrap(),
        Gva::Mapped(MARKER_GPA + 0x123)
    );
    assert_eq!(
        s.translate(0, BIG_VA32 + 0x12_3456).unwrap(),
        Gva::Mapped(0x52_3456)
    );
    assert_eq!(s.translate(0, 0x1_2345).unwrap(), Gva::Mapped(0x1_2345));
    assert_eq!(
        s.translate(0, 0x8000_0000).unwrap(),
        Gva::Unmapped {
            region_size: 4 << 20
        }
    );
    assert_eq!(
        s.translate(0, MARKER_VA32 + 0x1000).unwrap(),
        Gva::Unmapped { region_size: 4096 }
    );
    let mut buf = [0u8; 8];
    assert_eq!(s.read_virtual(0, MARKER_VA32, &mut buf).unwrap(), 8);
    assert_eq!(&buf, fw.text);
    assert_eq!(read(s, MARKER_GPA, 8), fw.text);
    // Forcing paging off translates linear = physical.
    s.force_paging_mode(0, Paging_NonPaged).unwrap();
    assert_eq!(s.paging_mode(0).unwrap(), Paging_NonPaged);
    assert_eq!(
        s.translate(0, MARKER_VA32).unwrap(),
        Gva::Mapped(MARKER_VA32)
    );
    s.force_paging_mode(0, Paging_32Bit).unwrap();
    assert_eq!(
        s.translate(0, MARKER_VA32).unwrap(),
        Gva::Mapped(MARKER_GPA)
    );
}

#[test]
fn protected_mode_core_is_elf32_and_translates_through_32_bit_paging() {
    let Some((fw, s)) = load("prot", Mode::Protected, Rom::Flash, 1) else {
        return;
    };
    assert_eq!(
        s.format(),
        Format::QemuElf {
            elf64: false,
            machine: 3
        }
    );
    check_protected(&fw, &s);
}

#[test]
fn protected_mode_core_with_a_bios_rom_is_elf64_for_a_32_bit_guest() {
    let Some((fw, s)) = load("prot-bios", Mode::Protected, Rom::Bios, 1) else {
        return;
    };
    assert_eq!(
        s.format(),
        Format::QemuElf {
            elf64: true,
            machine: 3
        }
    );
    check_protected(&fw, &s);
    // The ROM at the top of 4 GiB is in this dump: the reset vector's jump.
    assert_eq!(read(&s, 0xffff_fff0, 5), [0xea, 0x00, 0x80, 0x00, 0xf0]);
}

#[test]
fn long_mode_core_is_elf64_and_translates_through_4_level_paging() {
    let Some((fw, s)) = load("long", Mode::Long, Rom::Flash, 2) else {
        return;
    };
    assert_eq!(
        s.format(),
        Format::QemuElf {
            elf64: true,
            machine: 62
        }
    );
    assert_eq!(s.vp_count(), 2);
    assert_eq!(s.paging_mode(0).unwrap(), Paging_Long);
    assert_eq!(s.architecture(0).unwrap(), Arch_x64);
    assert_eq!(reg(&s, 0, X64_RegisterRip), fw.hlt + 1);
    for (id, v) in [
        (X64_RegisterRax, fw.rax),
        (X64_RegisterRbx, RBX),
        (X64_RegisterRcx, RCX),
        (X64_RegisterRdx, RDX),
        (X64_RegisterRsi, RSI),
        (X64_RegisterRdi, RDI),
        (X64_RegisterRbp, RBP),
        (X64_RegisterRsp, fw.rsp),
    ] {
        assert_eq!(reg(&s, 0, id), v, "{id:?}");
    }
    for i in 0..8 {
        assert_eq!(
            reg(&s, 0, REGISTER_ID(X64_RegisterR8.0 + i)),
            0x0808_0808_0000_0000 + i as u64
        );
    }
    let cs = s.registers(0).unwrap().segment(X64_RegisterCs).unwrap();
    assert_eq!((cs.selector, cs.attributes), (CODE64_SEL, 0xa09b));
    assert_eq!(reg(&s, 0, X64_RegisterCr3), BLOB_GPA + TABLES_OFF as u64);
    // Kernel-half 4 KiB page (XD set: translation ignores rights), 2 MiB
    // identity pages, a 1 GiB page, and the holes' sizes.
    assert_eq!(
        s.translate(0, MARKER_VA64 + 0x10).unwrap(),
        Gva::Mapped(MARKER_GPA + 0x10)
    );
    assert_eq!(s.translate(0, 0x20_1234).unwrap(), Gva::Mapped(0x20_1234));
    assert_eq!(
        s.translate(0, GIG_VA64 + 0x1234_5678).unwrap(),
        Gva::Mapped(0x5234_5678)
    );
    assert_eq!(
        s.translate(0, MARKER_VA64 + 0x1000).unwrap(),
        Gva::Unmapped { region_size: 4096 }
    );
    assert_eq!(
        s.translate(0, 0x40_0000).unwrap(),
        Gva::Unmapped {
            region_size: 2 << 20
        }
    );
    assert_eq!(
        s.translate(0, 0x7f00_0000_0000).unwrap(),
        Gva::Unmapped {
            region_size: 1 << 39
        }
    );
    assert!(matches!(
        s.translate(0, 0x8000_0000_0000).unwrap(),
        Gva::Unmapped { .. }
    ));
    let mut buf = [0u8; 8];
    assert_eq!(s.read_virtual(0, MARKER_VA64, &mut buf).unwrap(), 8);
    assert_eq!(&buf, fw.text);
    // Forcing another mode changes how the same CR3 is walked.
    s.force_paging_mode(0, Paging_Pae).unwrap();
    assert_eq!(s.paging_mode(0).unwrap(), Paging_Pae);
    assert_ne!(
        s.translate(0, MARKER_VA64 & 0xffff_ffff).ok(),
        Some(Gva::Mapped(MARKER_GPA))
    );
    s.force_paging_mode(0, Paging_Long).unwrap();
    assert_eq!(
        s.translate(0, MARKER_VA64).unwrap(),
        Gva::Mapped(MARKER_GPA)
    );

    // The second vCPU never left its reset state (waiting for a SIPI).
    assert_eq!(s.paging_mode(1).unwrap(), Paging_NonPaged);
    assert_eq!(s.architecture(1).unwrap(), Arch_x86);
    assert_eq!(reg(&s, 1, X64_RegisterRip), 0xfff0);
    let cs = s.registers(1).unwrap().segment(X64_RegisterCs).unwrap();
    assert_eq!((cs.selector, cs.base), (0xf000, 0xffff_0000));
    assert_eq!(
        s.register(2, X64_RegisterRip).err().unwrap().hresult,
        E_INVALIDARG
    );
}
