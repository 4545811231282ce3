//! The QEMU `dump-guest-memory` input: an ELF core (ELF32 or ELF64, x86)
//! whose `PT_LOAD` segments are guest-physical memory (`p_paddr`) and
//! whose `PT_NOTE` segment holds, per vCPU, a `CORE`/`NT_PRSTATUS` note
//! and a `QEMU` note with the `QEMUCPUState` registers.
//!
//! The format, from QEMU's `dump/dump.c` and `target/i386/arch_dump.c`
//! (facts only; this is our own reader):
//! * QEMU writes ELF64 when the first vCPU is in long mode (`EM_X86_64`),
//!   and ELF32 (`EM_386`) otherwise — unless guest memory ends above 4 GiB,
//!   when it writes ELF64 with `EM_386`. With more than 65535 segments
//!   `e_phnum` is `PN_XNUM` and section 0's `sh_info` has the count.
//! * Notes: first one `CORE` `NT_PRSTATUS` per vCPU (Linux's `elf_prstatus`
//!   for x86-64, 336 bytes, or i386, 144 bytes), then one `QEMU` note of
//!   type 0 per vCPU, in the same order: `QEMUCPUState` version 1 —
//!   `version`, `size`, RAX RBX RCX RDX RSI RDI RSP RBP R8–R15, RIP,
//!   RFLAGS, then CS DS ES FS GS SS LDT TR GDT IDT as `{selector, limit,
//!   flags, pad: u32; base: u64}`, then CR0–CR4: 432 bytes; QEMU 7.2 (the
//!   version the tests run) appends KERNEL_GS_BASE, 440 bytes. `flags` is
//!   QEMU's descriptor-cache word (attributes at bits 8..24 of a
//!   descriptor's high dword). A larger `QEMUCPUState` is read by its
//!   first 432 bytes.
//! * A `PT_LOAD` has `p_filesz < p_memsz` only with a filter; the rest is
//!   zero. Paged dumps (`paging: true`) list the same physical memory once
//!   per virtual mapping; the first description of a GPA wins.
//!
//! What QEMU does not save, and what we do about it (listed in the README):
//! EFER, CR8, the debug registers and the FPU/SSE state are absent
//! (`ERROR_NOT_FOUND` from `GetRegisterValue`). Paging needs EFER.LMA:
//! long mode is taken to be on when CR0.PG and CR4.PAE are set and either
//! the ELF machine is `EM_X86_64` or CS.L is set, and EFER.NXE is taken as
//! set in PAE and long mode (the walker then treats XD as XD, not as a
//! reserved bit). Without a `QEMU` note (cores from other tools) only the
//! general registers of `NT_PRSTATUS` are known and paging is unknown.

use object::elf::{EM_386, EM_X86_64, ET_CORE, NT_PRSTATUS, PT_LOAD, PT_NOTE};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, elf};
use winhv_defs::*;
use winhv_paging::regs::{CR0_PE, CR0_PG, CR4_PAE, EFER_LMA, EFER_LME, EFER_NXE};

use crate::error::{Error, Result};
use crate::memory::{Backing, PhysMemoryBuilder};
use crate::registers::{GENERAL_REGISTERS, RegisterFile, Segment, Table};
use crate::source::Fields;
use crate::state::{Format, Parsed};
use crate::vp::{Vp, VtlState};

/// The size of `QEMUCPUState` version 1 without `kernel_gs_base`.
const QEMU_CPU_STATE_SIZE: usize = 432;

/// Parses a QEMU ELF core.
pub(crate) fn parse(data: &[u8]) -> Result<Parsed> {
    // e_ident[EI_CLASS].
    match data.get(4) {
        Some(&elf::ELFCLASS32) => parse_as::<elf::FileHeader32<Endianness>>(data, false),
        Some(&elf::ELFCLASS64) => parse_as::<elf::FileHeader64<Endianness>>(data, true),
        _ => Err(Error::bad_format("an ELF file of neither class 32 nor 64")),
    }
}

fn corrupt(e: object::read::Error) -> Error {
    Error::corrupt(format!("ELF core: {e}"))
}

fn parse_as<H: FileHeader<Endian = Endianness>>(data: &[u8], elf64: bool) -> Result<Parsed> {
    let header = H::parse(data).map_err(corrupt)?;
    let endian = header.endian().map_err(corrupt)?;
    if endian != Endianness::Little {
        return Err(Error::not_supported("a big-endian ELF core (not x86)"));
    }
    if header.e_type(endian) != ET_CORE {
        return Err(Error::bad_format("an ELF file that is not a core dump"));
    }
    let machine = header.e_machine(endian);
    if machine != EM_386 && machine != EM_X86_64 {
        return Err(Error::not_supported(format!(
            "an ELF core for machine {machine} (only x86 cores are read)"
        )));
    }

    let mut memory = PhysMemoryBuilder::new();
    let mut raw = 0u64;
    let mut prstatus: Vec<&[u8]> = Vec::new();
    let mut qemu: Vec<&[u8]> = Vec::new();
    for ph in header.program_headers(endian, data).map_err(corrupt)? {
        match ph.p_type(endian) {
            PT_LOAD => {
                let paddr: u64 = ph.p_paddr(endian).into();
                let filesz: u64 = ph.p_filesz(endian).into();
                let memsz: u64 = ph.p_memsz(endian).into();
                let offset: u64 = ph.p_offset(endian).into();
                if filesz > memsz {
                    return Err(Error::corrupt(format!(
                        "ELF core: segment at {paddr:#x} has more file bytes than memory"
                    )));
                }
                memory.add(paddr, filesz, Backing::File(offset), Some(raw))?;
                memory.add_raw(raw, filesz, Backing::File(offset))?;
                raw = raw
                    .checked_add(filesz)
                    .ok_or_else(|| Error::corrupt("ELF core: segments larger than 2^64 bytes"))?;
                if let Some(tail_gpa) = paddr.checked_add(filesz) {
                    memory.add(tail_gpa, memsz - filesz, Backing::Zero, None)?;
                }
            }
            PT_NOTE => {
                let Some(mut notes) = ph.notes(endian, data).map_err(corrupt)? else {
                    continue;
                };
                while let Some(note) = notes.next().map_err(corrupt)? {
                    match (note.name(), note.n_type(endian)) {
                        (b"CORE", NT_PRSTATUS) => prstatus.push(note.desc()),
                        (b"QEMU", 0) => qemu.push(note.desc()),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    let count = prstatus.len().max(qemu.len());
    if count == 0 {
        return Err(Error::new(
            VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE,
            "the ELF core has no CPU notes (NT_PRSTATUS or QEMU)",
        ));
    }
    let mut vps = Vec::with_capacity(count);
    for i in 0..count {
        let state = match qemu.get(i) {
            Some(desc) => qemu_cpu_state(desc, machine)?,
            None => prstatus_state(prstatus.get(i).copied().unwrap_or(&[]))?,
        };
        vps.push(Vp::new(i as u32, state));
    }
    Ok(Parsed {
        format: Format::QemuElf { elf64, machine },
        vps,
        memory: memory.build(data.len() as u64)?,
        guest_os_id: 0,
        nested: false,
    })
}

/// A VP from a `QEMUCPUState` note.
fn qemu_cpu_state(desc: &[u8], machine: u16) -> Result<VtlState> {
    let f = Fields::new(desc, "QEMU CPU state note");
    let version = f.u32(0)?;
    let size = f.u32(4)? as usize;
    if version == 0 || size < QEMU_CPU_STATE_SIZE || desc.len() < QEMU_CPU_STATE_SIZE {
        return Err(Error::corrupt(format!(
            "QEMU CPU state note: version {version}, {size} bytes (version 1 has {QEMU_CPU_STATE_SIZE})"
        )));
    }
    let mut r = RegisterFile::default();
    // QEMU's order: RAX RBX RCX RDX RSI RDI RSP RBP R8..R15 RIP RFLAGS.
    let order = [
        X64_RegisterRax,
        X64_RegisterRbx,
        X64_RegisterRcx,
        X64_RegisterRdx,
        X64_RegisterRsi,
        X64_RegisterRdi,
        X64_RegisterRsp,
        X64_RegisterRbp,
        X64_RegisterR8,
        X64_RegisterR9,
        X64_RegisterR10,
        X64_RegisterR11,
        X64_RegisterR12,
        X64_RegisterR13,
        X64_RegisterR14,
        X64_RegisterR15,
        X64_RegisterRip,
        X64_RegisterRFlags,
    ];
    for (i, id) in order.into_iter().enumerate() {
        r.set_u64(id, f.u64(8 + 8 * i)?);
    }
    let segment_at = |at: usize| -> Result<Segment> {
        Ok(Segment {
            selector: f.u32(at)? as u16,
            limit: f.u32(at + 4)?,
            attributes: ((f.u32(at + 8)? >> 8) & 0xf0ff) as u16,
            base: f.u64(at + 16)?,
        })
    };
    let segments = 8 + 8 * 18;
    for (i, id) in [
        X64_RegisterCs,
        X64_RegisterDs,
        X64_RegisterEs,
        X64_RegisterFs,
        X64_RegisterGs,
        X64_RegisterSs,
        X64_RegisterLdtr,
        X64_RegisterTr,
    ]
    .into_iter()
    .enumerate()
    {
        r.set_segment(id, segment_at(segments + 24 * i)?);
    }
    for (i, id) in [X64_RegisterGdtr, X64_RegisterIdtr].into_iter().enumerate() {
        let s = segment_at(segments + 24 * (8 + i))?;
        r.set_table(
            id,
            Table {
                base: s.base,
                limit: s.limit as u16,
            },
        );
    }
    let crs = segments + 24 * 10;
    let cr0 = f.u64(crs)?;
    let cr4 = f.u64(crs + 32)?;
    r.set_u64(X64_RegisterCr0, cr0);
    r.set_u64(X64_RegisterCr2, f.u64(crs + 16)?);
    r.set_u64(X64_RegisterCr3, f.u64(crs + 24)?);
    r.set_u64(X64_RegisterCr4, cr4);

    let cs_long = r.segment(X64_RegisterCs).is_some_and(|cs| cs.long());
    let paged_pae = cr0 & CR0_PG != 0 && cr0 & CR0_PE != 0 && cr4 & CR4_PAE != 0;
    let paging_efer = if paged_pae && (machine == EM_X86_64 || cs_long) {
        EFER_LME | EFER_LMA | EFER_NXE
    } else if paged_pae {
        EFER_NXE
    } else {
        0
    };
    Ok(VtlState {
        vtl: 0,
        registers: r,
        cpl: None,
        paging_efer: Some(paging_efer),
    })
}

/// A VP from an `NT_PRSTATUS` note alone: the general registers.
fn prstatus_state(desc: &[u8]) -> Result<VtlState> {
    let f = Fields::new(desc, "NT_PRSTATUS note");
    let mut r = RegisterFile::default();
    match desc.len() {
        // x86-64 elf_prstatus: user_regs_struct at 112: r15 r14 r13 r12 rbp
        // rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp …
        336 => {
            let order = [
                X64_RegisterR15,
                X64_RegisterR14,
                X64_RegisterR13,
                X64_RegisterR12,
                X64_RegisterRbp,
                X64_RegisterRbx,
                X64_RegisterR11,
                X64_RegisterR10,
                X64_RegisterR9,
                X64_RegisterR8,
                X64_RegisterRax,
                X64_RegisterRcx,
                X64_RegisterRdx,
                X64_RegisterRsi,
                X64_RegisterRdi,
            ];
            for (i, id) in order.into_iter().enumerate() {
                r.set_u64(id, f.u64(112 + 8 * i)?);
            }
            r.set_u64(X64_RegisterRip, f.u64(112 + 8 * 16)?);
            r.set_u64(X64_RegisterRFlags, f.u64(112 + 8 * 18)?);
            r.set_u64(X64_RegisterRsp, f.u64(112 + 8 * 19)?);
        }
        // i386 elf_prstatus: user_regs_struct at 72: ebx ecx edx esi edi ebp
        // eax, ds es fs gs (u16 pairs), orig_eax, eip, cs (pair), eflags, esp.
        144 => {
            let order = [
                X64_RegisterRbx,
                X64_RegisterRcx,
                X64_RegisterRdx,
                X64_RegisterRsi,
                X64_RegisterRdi,
                X64_RegisterRbp,
                X64_RegisterRax,
            ];
            for (i, id) in order.into_iter().enumerate() {
                r.set_u64(id, u64::from(f.u32(72 + 4 * i)?));
            }
            r.set_u64(X64_RegisterRip, u64::from(f.u32(72 + 48)?));
            r.set_u64(X64_RegisterRFlags, u64::from(f.u32(72 + 56)?));
            r.set_u64(X64_RegisterRsp, u64::from(f.u32(72 + 60)?));
        }
        n => {
            return Err(Error::corrupt(format!(
                "NT_PRSTATUS note of {n} bytes (x86-64 has 336, i386 144)"
            )));
        }
    }
    debug_assert!(GENERAL_REGISTERS.iter().all(|&id| r.has(id)));
    Ok(VtlState {
        vtl: 0,
        registers: r,
        cpl: None,
        paging_efer: None,
    })
}
