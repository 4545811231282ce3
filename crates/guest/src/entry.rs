//! The entry states: each writes the system structures its mode needs into
//! the image and returns the initial [`Registers`] for code at `entry`.

use crate::error::{Error, Result};
use crate::gdt::{self, selector};
use crate::guest::Guest;
use crate::idt;
use crate::registers::{Registers, cr0, cr4, efer, rflags};
use crate::segment::{Segment, TableRegister};
use crate::tss;

/// CR0 of the protected and long-mode entry states (without PG).
pub const CR0_PROTECTED: u64 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP;
/// CR0 of the long-mode entry states.
pub const CR0_LONG: u64 = CR0_PROTECTED | cr0::PG;
/// CR4 of the protected and long-mode entry states (SSE usable).
pub const CR4_PROTECTED: u64 = cr4::OSFXSR | cr4::OSXMMEXCPT;
/// CR4 of the long-mode entry states.
pub const CR4_LONG: u64 = CR4_PROTECTED | cr4::PAE;
/// EFER of the long-mode entry states.
pub const EFER_LONG: u64 = efer::LME | efer::LMA | efer::NXE;
/// RFLAGS of the CPL3 entry states: reserved bit 1 and IF (IOPL 0).
pub const RFLAGS_USER: u64 = rflags::RESERVED1 | rflags::IF;

impl Guest {
    /// Real mode at linear address `entry` (below 1 MiB): CS = `(entry >> 4)
    /// & 0xf000` so IP = `entry & 0xffff`; DS, ES, FS, GS = CS; SS = 0 with
    /// SP = `layout.user_stack_top` (if below 64 KiB, else 0); CR0 = the
    /// reset value; IDTR = the real-mode IVT at 0 (empty: an interrupt
    /// reads zeros). Assemble the code with `bitness = 16` via
    /// [`Guest::assemble_at`], which uses the matching IP.
    pub fn real_mode(&mut self, entry: u64) -> Result<Registers> {
        if entry >= 0x10_0000 {
            return Err(Error::Layout("real-mode entry must be below 1 MiB"));
        }
        let code_selector = ((entry >> 4) & 0xf000) as u16;
        let data = Segment::real_mode(code_selector, false);
        let stack_top = self.layout().user_stack_top;
        Ok(Registers {
            rip: entry & 0xffff,
            rsp: if stack_top < 0x1_0000 { stack_top } else { 0 },
            rflags: rflags::RESERVED1,
            cr0: cr0::RESET,
            cs: Segment::real_mode(code_selector, true),
            ds: data,
            es: data,
            fs: data,
            gs: data,
            ss: Segment::real_mode(0, false),
            tr: Segment::tss_busy(0, 0, 0xffff),
            ldtr: Segment::null_ldt(),
            gdtr: TableRegister {
                base: 0,
                limit: 0xffff,
            },
            idtr: TableRegister {
                base: 0,
                limit: 0x3ff,
            },
            ..Registers::default()
        })
    }

    /// Flat 32-bit protected mode at CPL0, paging off: the image GDT (code
    /// [`selector::KERNEL_CODE32`], data [`selector::KERNEL_DATA`]), TR the
    /// image TSS, ESP = `layout.kernel_stack_top`, SSE enabled. There is no
    /// IDT (IDTR limit 0): an exception shuts the VM down (triple fault).
    pub fn protected32(&mut self, entry: u64) -> Result<Registers> {
        if entry > u64::from(u32::MAX) {
            return Err(Error::Layout("32-bit entry above 4 GiB"));
        }
        self.write_descriptor_tables(false)?;
        let data = Segment::flat_data(selector::KERNEL_DATA, 0);
        let layout = *self.layout();
        Ok(Registers {
            rip: entry,
            rsp: layout.kernel_stack_top,
            rflags: rflags::RESERVED1,
            cr0: CR0_PROTECTED,
            cr4: CR4_PROTECTED,
            cs: Segment::flat_code32(selector::KERNEL_CODE32, 0),
            ds: data,
            es: data,
            fs: data,
            gs: data,
            ss: data,
            tr: gdt::tss_segment(&layout),
            ldtr: Segment::null_ldt(),
            gdtr: gdt::gdtr(&layout),
            idtr: TableRegister { base: 0, limit: 0 },
            ..Registers::default()
        })
    }

    /// 64-bit long mode at CPL0: 4-level identity-mapped paging
    /// (`layout.identity_map_bytes` with 2 MiB pages, user-accessible),
    /// the image GDT (CS [`selector::KERNEL_CODE64`], other segments
    /// [`selector::KERNEL_DATA`]), TR the image TSS, the image IDT (every
    /// exception reported on `layout.exception_port`, see
    /// [`idt::write`]), RSP = `layout.kernel_stack_top`, SSE enabled,
    /// EFER.NXE set, interrupts off.
    pub fn long64(&mut self, entry: u64) -> Result<Registers> {
        self.long_mode(entry, 0)
    }

    /// 64-bit long mode with the snippet at CPL3 from its first
    /// instruction: as [`Guest::long64`], but CS = [`selector::USER_CODE64`]
    /// (0x33), SS = [`selector::USER_DATA`] (0x2b), DS/ES/FS/GS null (as
    /// Linux user processes have them, and as PVM shows them), RSP =
    /// `layout.user_stack_top`, RFLAGS = [`RFLAGS_USER`] (IF set, IOPL 0).
    /// `in`/`out` on every port work at CPL3 through the TSS I/O permission
    /// bitmap (see [`crate::tss`]). Exceptions enter the CPL0 handlers on
    /// TSS.RSP0 and are reported on `layout.exception_port`
    /// ([`idt::write`]); a `hlt` ends the snippet with a plain HLT exit
    /// (the #GP it raises is not reported).
    ///
    /// Why not IOPL 3: PVM runs CPL3 code natively with the host's RFLAGS,
    /// where IOPL is always 0 (measured: an `out` with IOPL 3 set raised
    /// #GP, and `pushfq` read 0x202), so IOPL 3 would make `cli`, `sti` and
    /// `popfq` behave differently on PVM and on hardware; the bitmap gives
    /// `in`/`out` on both. IF is set for the same reason (`pushfq` at CPL3
    /// on PVM reads the host's IF = 1); with no interrupt source it changes
    /// nothing else.
    ///
    /// The CPL3 segments are set directly in the registers (KVM, PVM
    /// included, accepts that); [`Guest::long64_user_via_iretq`] gets there
    /// through an `iretq` instead.
    pub fn long64_user(&mut self, entry: u64) -> Result<Registers> {
        self.long_mode(entry, 3)
    }

    /// The same CPL3 start as [`Guest::long64_user`], reached by the CPU
    /// itself: the state starts at CPL0 on a single `iretq` at
    /// `layout.user_trampoline` whose frame (prepared on the kernel stack)
    /// enters `entry` at CPL3 with the segments, RSP and RFLAGS of
    /// [`Guest::long64_user`]. The GPRs the caller sets pass through
    /// unchanged. Costs one emulated instruction on PVM.
    pub fn long64_user_via_iretq(&mut self, entry: u64) -> Result<Registers> {
        let mut registers = self.long_mode(entry, 0)?;
        let layout = *self.layout();
        let user = self.long_mode_registers(entry, 3);
        let frame = [
            entry,
            u64::from(user.cs.selector),
            user.rflags,
            user.rsp,
            u64::from(user.ss.selector),
        ];
        let frame_base = layout.kernel_stack_top - 8 * frame.len() as u64;
        for (i, value) in frame.iter().enumerate() {
            self.memory_mut()
                .write_u64(frame_base + 8 * i as u64, *value)?;
        }
        self.assemble_at(64, layout.user_trampoline, |a| a.iretq())?;
        registers.rip = layout.user_trampoline;
        registers.rsp = frame_base;
        Ok(registers)
    }

    /// Writes GDT, TSS, page tables and IDT, and returns the long-mode
    /// registers at privilege `cpl` (0 or 3).
    fn long_mode(&mut self, entry: u64, cpl: u8) -> Result<Registers> {
        let layout = self.layout();
        if layout.end()? > layout.identity_map_bytes {
            return Err(Error::Layout(
                "the system area lies beyond the identity map",
            ));
        }
        self.write_descriptor_tables(true)?;
        Ok(self.long_mode_registers(entry, cpl))
    }

    /// The long-mode register state (tables assumed written).
    pub(crate) fn long_mode_registers(&mut self, entry: u64, cpl: u8) -> Registers {
        let layout = *self.layout();
        let (code, stack, data, rsp, flags) = if cpl == 3 {
            (
                Segment::code64(selector::USER_CODE64, 3),
                Segment::flat_data(selector::USER_DATA, 3),
                Segment::null(),
                layout.user_stack_top,
                RFLAGS_USER,
            )
        } else {
            let data = Segment::flat_data(selector::KERNEL_DATA, 0);
            (
                Segment::code64(selector::KERNEL_CODE64, 0),
                data,
                data,
                layout.kernel_stack_top,
                rflags::RESERVED1,
            )
        };
        Registers {
            rip: entry,
            rsp,
            rflags: flags,
            cr0: CR0_LONG,
            cr3: layout.page_tables,
            cr4: CR4_LONG,
            efer: EFER_LONG,
            cs: code,
            ds: data,
            es: data,
            fs: data,
            gs: data,
            ss: stack,
            tr: gdt::tss_segment(&layout),
            ldtr: Segment::null_ldt(),
            gdtr: gdt::gdtr(&layout),
            idtr: idt::idtr(&layout),
            ..Registers::default()
        }
    }

    /// Writes the GDT and TSS, and with `paged` the page tables and IDT.
    pub(crate) fn write_descriptor_tables(&mut self, paged: bool) -> Result<()> {
        let layout = *self.layout();
        gdt::write(self.memory_mut(), &layout)?;
        tss::write(self.memory_mut(), &layout)?;
        if paged {
            self.page_tables()?;
            idt::write(self.memory_mut(), &layout)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The descriptor the GDT in memory holds for `segment.selector`.
    fn gdt_descriptor(guest: &Guest, segment: &Segment) -> u64 {
        let gdt = guest.layout().gdt;
        guest
            .memory()
            .read_u64(gdt + u64::from(segment.selector & !7))
            .unwrap()
    }

    #[test]
    fn loaded_segments_match_their_gdt_descriptors() {
        let mut guest = Guest::new(0, 1 << 20).unwrap();
        let entry = guest.layout().code;
        let states = [
            guest.protected32(entry).unwrap(),
            guest.long64(entry).unwrap(),
            guest.long64_user(entry).unwrap(),
        ];
        for registers in states {
            for segment in [registers.cs, registers.ss, registers.ds, registers.tr] {
                if segment.selector != 0 {
                    assert_eq!(
                        gdt_descriptor(&guest, &segment),
                        segment.descriptor(),
                        "selector {:#x}",
                        segment.selector
                    );
                }
            }
            assert_eq!(registers.cs.selector & 3, u16::from(registers.cpl()));
            assert_eq!(registers.ss.dpl(), registers.cpl());
        }
    }

    #[test]
    fn user_state_is_cpl3_without_iopl_and_iretq_frame_leads_there() {
        let mut guest = Guest::new(0, 1 << 20).unwrap();
        let entry = guest.layout().code;
        let user = guest.long64_user(entry).unwrap();
        assert_eq!((user.cpl(), user.rflags & rflags::IOPL3), (3, 0));
        let trampoline = guest.long64_user_via_iretq(entry).unwrap();
        assert_eq!(trampoline.cpl(), 0);
        let frame: Vec<u64> = (0..5)
            .map(|i| guest.memory().read_u64(trampoline.rsp + 8 * i).unwrap())
            .collect();
        assert_eq!(
            frame,
            [
                entry,
                u64::from(user.cs.selector),
                user.rflags,
                user.rsp,
                u64::from(user.ss.selector)
            ]
        );
        let code = guest.memory().read(trampoline.rip, 2).unwrap();
        assert_eq!(code, [0x48, 0xcf], "iretq");
    }

    #[test]
    fn misplaced_images_are_errors() {
        let mut guest = Guest::new(0, 1 << 20).unwrap();
        assert!(guest.real_mode(0x10_0000).is_err());
        assert!(guest.protected32(1 << 32).is_err());
        assert!(Guest::new(0, 0x1000).is_err());
        let mut high = Guest::new(8 << 30, 1 << 20).unwrap();
        assert!(high.long64(high.layout().code).is_err());
        assert!(high.boot_stub(high.layout().code).is_err());
        // A caller-made layout that cannot fit is refused, not a panic.
        let memory = crate::GuestMemory::new(0, 1 << 20);
        let mut bad = crate::Layout::at(0);
        bad.kernel_stack_top = 0x10;
        assert!(Guest::with_layout(memory.clone(), bad).is_err());
        let mut bad = crate::Layout::at(0);
        bad.page_tables_end = bad.page_tables;
        assert!(Guest::with_layout(memory.clone(), bad).is_err());
        assert!(Guest::with_layout(memory, crate::Layout::at(!0xfff)).is_err());
        assert!(Guest::new(!0xfff, 0x1000).is_err());
    }
}
