//! The VMM side of the differential tests: a RAM-like MMIO device, the
//! winhv-emu callbacks over a winhv `Partition` (registers, GVA
//! translation, guest RAM) and the device, and the run loop that emulates
//! every MemoryAccess exit with `Emulator::try_mmio_emulation` and every
//! port access with `Emulator::try_io_emulation`.

use winhv::Partition;
use winhv::defs::*;
use winhv_emu::{Callbacks, Emulator};

/// A device that behaves like RAM: `bytes` at guest-physical `base`; and
/// a port device: reads of any port other than the exception port take
/// the next bytes of `port_in`, writes append to `port_out`.
#[derive(Default)]
pub struct RamDevice {
    pub base: u64,
    pub bytes: Vec<u8>,
    /// Accesses served (reads + writes), to show the device was used.
    pub accesses: usize,
    pub port_in: std::collections::VecDeque<u8>,
    pub port_out: Vec<u8>,
}

impl RamDevice {
    fn slot(&self, gpa: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let off = usize::try_from(gpa.checked_sub(self.base)?).ok()?;
        (off + len <= self.bytes.len()).then_some(off..off + len)
    }
}

/// The emulator's callbacks on VP 0 of `p`, with `dev` in front of RAM.
pub struct VmmCallbacks<'a> {
    pub p: &'a Partition,
    pub dev: &'a mut RamDevice,
}

impl Callbacks for VmmCallbacks<'_> {
    fn io_port(&mut self, access: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        let n = usize::from(access.AccessSize).min(4);
        self.dev.accesses += 1;
        if access.Direction != 0 {
            self.dev
                .port_out
                .extend_from_slice(&access.Data.to_le_bytes()[..n]);
        } else {
            let mut b = [0u8; 4];
            for x in b.iter_mut().take(n) {
                *x = self.dev.port_in.pop_front().unwrap_or(0xff);
            }
            access.Data = u32::from_le_bytes(b);
        }
        S_OK
    }

    fn memory(&mut self, access: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
        let len = usize::from(access.AccessSize).min(8);
        let write = access.Direction != 0;
        if let Some(r) = self.dev.slot(access.GpaAddress, len) {
            self.dev.accesses += 1;
            if write {
                self.dev.bytes[r].copy_from_slice(&access.Data[..len]);
            } else {
                access.Data[..len].copy_from_slice(&self.dev.bytes[r]);
            }
            return S_OK;
        }
        let result = if write {
            self.p
                .write_gpa_range(access.GpaAddress, &access.Data[..len])
        } else {
            self.p
                .read_gpa_range(access.GpaAddress, &mut access.Data[..len])
        };
        result.map_or(E_FAIL, |()| S_OK)
    }

    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT {
        self.p
            .get_vp_registers(0, names, values)
            .map_or(E_FAIL, |()| S_OK)
    }

    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT {
        self.p
            .set_vp_registers(0, names, values)
            .map_or(E_FAIL, |()| S_OK)
    }

    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        match self.p.translate_gva(0, gva, flags) {
            Ok((r, g)) => {
                *result = r.ResultCode;
                *gpa = g;
                S_OK
            }
            Err(e) => e.hresult,
        }
    }
}

/// Prints an exit (`WINHV_DIFF_TRACE`).
fn trace(exit: &WHV_RUN_VP_EXIT_CONTEXT) {
    let v = &exit.VpContext;
    if exit.ExitReason == WHvRunVpExitReasonMemoryAccess {
        // SAFETY: the reason says MemoryAccess is the live member.
        let m = unsafe { exit.Anonymous.MemoryAccess };
        println!(
            "  exit mmio {} gpa {:#x} gva {:#x} rip {:#x} len {} bytes {:02x?}",
            if m.AccessInfo.access_type() == 1 {
                "write"
            } else {
                "read"
            },
            m.Gpa,
            m.Gva,
            v.Rip,
            v.instruction_length(),
            &m.InstructionBytes[..usize::from(m.InstructionByteCount).min(8)]
        );
    } else {
        println!("  exit {:?} rip {:#x}", exit.ExitReason, v.Rip);
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exceptions the guest's handlers reported on the exception port
    /// (the value written).
    pub exceptions: Vec<u64>,
    /// MemoryAccess exits emulated.
    pub mmio_exits: usize,
    /// IoPortAccess exits emulated (the exception port's excluded).
    pub io_exits: usize,
}

/// Runs VP 0 to HLT: MemoryAccess exits go to the emulator, writes to
/// `exception_port` are recorded and skipped. Errors describe anything
/// else (an unexpected exit, a failed emulation, too many exits).
pub fn run_to_halt(
    p: &Partition,
    dev: &mut RamDevice,
    exception_port: u16,
    limit: usize,
) -> Result<Outcome, String> {
    let mut emu = Emulator::new();
    let mut out = Outcome {
        exceptions: Vec::new(),
        mmio_exits: 0,
        io_exits: 0,
    };
    for _ in 0..limit {
        let exit = p.run_vp(0).map_err(|e| format!("run: {e}"))?;
        if std::env::var_os("WINHV_DIFF_TRACE").is_some() {
            trace(&exit);
        }
        match exit.ExitReason {
            r if r == WHvRunVpExitReasonX64Halt => return Ok(out),
            r if r == WHvRunVpExitReasonMemoryAccess => {
                out.mmio_exits += 1;
                // SAFETY: the reason says MemoryAccess is the live member.
                let mem = unsafe { exit.Anonymous.MemoryAccess };
                let mut cb = VmmCallbacks { p, dev };
                let status = emu
                    .try_mmio_emulation(&mut cb, &exit.VpContext, &mem)
                    .map_err(|hr| format!("try_mmio_emulation: {hr:?}"))?;
                if status.emulation_successful() == 0 && !emulate_call(p, dev, &exit, &mem)? {
                    return Err(format!(
                        "emulation failed: status {:#x}, gpa {:#x}, rip {:#x}, len {}, bytes {:02x?}",
                        status.AsUINT32,
                        mem.Gpa,
                        exit.VpContext.Rip,
                        exit.VpContext.instruction_length(),
                        &mem.InstructionBytes[..usize::from(mem.InstructionByteCount)]
                    ));
                }
            }
            r if r == WHvRunVpExitReasonX64IoPortAccess => {
                // SAFETY: the reason says IoPortAccess is the live member.
                let io = unsafe { exit.Anonymous.IoPortAccess };
                if io.PortNumber != exception_port {
                    out.io_exits += 1;
                    let mut cb = VmmCallbacks { p, dev };
                    let status = emu
                        .try_io_emulation(&mut cb, &exit.VpContext, &io)
                        .map_err(|hr| format!("try_io_emulation: {hr:?}"))?;
                    if status.emulation_successful() == 0 {
                        return Err(format!(
                            "I/O emulation failed: status {:#x}, port {:#x}, rip {:#x}, len {}, bytes {:02x?}",
                            status.AsUINT32,
                            io.PortNumber,
                            exit.VpContext.Rip,
                            exit.VpContext.instruction_length(),
                            &io.InstructionBytes[..usize::from(io.InstructionByteCount)]
                        ));
                    }
                    continue;
                }
                if io.AccessInfo.is_write() == 0 {
                    return Err("a read of the exception port".into());
                }
                out.exceptions.push(io.Rax);
                let len = u64::from(exit.VpContext.instruction_length());
                if len == 0 {
                    return Err("port exit without an instruction length".into());
                }
                let rip = [WHV_REGISTER_VALUE {
                    Reg64: exit.VpContext.Rip + len,
                }];
                p.set_vp_registers(0, &[WHvX64RegisterRip], &rip)
                    .map_err(|e| format!("set rip: {e}"))?;
            }
            other => return Err(format!("unexpected exit {other:?}")),
        }
    }
    Err(format!("no HLT after {limit} exits"))
}

/// The VMM's own emulation of what winhv-emu does not emulate: a near
/// CALL (relative, through a register or through memory) pushing onto an
/// MMIO stack, in any mode: the code size from CR0.PE, RFLAGS.VM, EFER.LMA
/// and CS; the return address and the stack slot as wide as the call
/// pushes; the stack pointer moved within the stack-address size (64 bits
/// in 64-bit mode, else SS.B's 32 or 16), its other bits kept. The exit
/// must present the call as Windows does — RIP at the call, its length,
/// RSP before it, the slot's GVA and GPA —, or this fails. Returns false
/// when the instruction is not such a call.
pub fn emulate_call(
    p: &Partition,
    dev: &mut RamDevice,
    exit: &WHV_RUN_VP_EXIT_CONTEXT,
    mem: &WHV_MEMORY_ACCESS_CONTEXT,
) -> Result<bool, String> {
    use iced_x86::{Decoder, DecoderOptions, Mnemonic, OpKind, Register};
    const CR0_PE: u64 = 1;
    const EFER_LMA: u64 = 1 << 10;
    const RFLAGS_VM: u64 = 1 << 17;
    const ATTR_L: u16 = 1 << 13;
    const ATTR_DB: u16 = 1 << 14;
    let get = |name: WHV_REGISTER_NAME| {
        let mut v = [WHV_REGISTER_VALUE::default()];
        p.get_vp_registers(0, &[name], &mut v)
            .map_err(|e| format!("get registers: {e}"))?;
        Ok::<WHV_REGISTER_VALUE, String>(v[0])
    };
    // SAFETY: 64-bit registers come back through Reg64.
    let get64 = |name| get(name).map(|v| unsafe { v.Reg64 });
    // SAFETY: segment registers come back through Segment.
    let segment = |name| get(name).map(|v| unsafe { v.Segment });
    let (cr0, efer, rflags) = (
        get64(WHvX64RegisterCr0)?,
        get64(WHvX64RegisterEfer)?,
        get64(WHvX64RegisterRflags)?,
    );
    let (cs, ss) = (segment(WHvX64RegisterCs)?, segment(WHvX64RegisterSs)?);
    let long64 = efer & EFER_LMA != 0 && cs.Attributes & ATTR_L != 0;
    let bitness = if cr0 & CR0_PE == 0 || rflags & RFLAGS_VM != 0 {
        16
    } else if long64 {
        64
    } else if cs.Attributes & ATTR_DB != 0 {
        32
    } else {
        16
    };
    let stack_mask = if long64 {
        u64::MAX
    } else if ss.Attributes & ATTR_DB != 0 {
        0xffff_ffff
    } else {
        0xffff
    };
    let linear = |a: u64| if long64 { a } else { a & 0xffff_ffff };
    let rip = exit.VpContext.Rip;
    let len = u64::from(exit.VpContext.instruction_length());
    let bytes = &mem.InstructionBytes[..usize::from(mem.InstructionByteCount)];
    let i = Decoder::with_ip(bitness, bytes, rip, DecoderOptions::NONE).decode();
    if i.mnemonic() != Mnemonic::Call || mem.AccessInfo.access_type() != 1 {
        return Ok(false);
    }
    if i.len() as u64 != len {
        return Err(format!("CALL presented with length {len}, not {}", i.len()));
    }
    let width = u64::from(i.stack_pointer_increment().unsigned_abs());
    if !matches!(width, 2 | 4 | 8) {
        return Ok(false);
    }
    let wide = |v: u64| {
        if width == 8 {
            v
        } else {
            v & ((1 << (8 * width)) - 1)
        }
    };
    // A register as an address or a target reads it: a general register
    // at its size, a segment register as its base (0 for ES/CS/SS/DS in
    // 64-bit mode).
    let value = |r: Register| -> Option<u64> {
        if r.is_segment_register() {
            let name = match r {
                Register::ES => WHvX64RegisterEs,
                Register::CS => WHvX64RegisterCs,
                Register::SS => WHvX64RegisterSs,
                Register::DS => WHvX64RegisterDs,
                Register::FS => WHvX64RegisterFs,
                _ => WHvX64RegisterGs,
            };
            let flat = long64 && !matches!(r, Register::FS | Register::GS);
            return Some(if flat { 0 } else { segment(name).ok()?.Base });
        }
        if !r.is_gpr() {
            return None;
        }
        let full = get64(WHV_REGISTER_NAME(r.full_register().number() as _)).ok()?;
        Some(match r.size() {
            8 => full,
            n => full & ((1u64 << (8 * n)) - 1),
        })
    };
    let read = |gva: u64, buf: &mut [u8]| -> Result<(), String> {
        let (r, gpa) = p
            .translate_gva(0, gva, WHV_TRANSLATE_GVA_FLAGS(1))
            .map_err(|e| format!("translate {gva:#x}: {e}"))?;
        if r.ResultCode != WHvTranslateGvaResultSuccess {
            return Err(format!("{gva:#x} does not translate"));
        }
        p.read_gpa_range(gpa, buf)
            .map_err(|e| format!("read {gpa:#x}: {e}"))
    };
    let target = match i.op0_kind() {
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
            i.near_branch_target()
        }
        OpKind::Register if i.op0_register().is_gpr() => {
            wide(value(i.op0_register()).ok_or("CALL through an unreadable register")?)
        }
        OpKind::Memory => {
            // call [reg+disp] or call [rip+disp]: the operand at its
            // address (RSP is as it was before the call).
            let gva = i
                .virtual_address(0, 0, |r, _, _| value(r))
                .ok_or("CALL operand address")?;
            let mut q = [0u8; 8];
            read(linear(gva), &mut q[..width as usize])
                .map_err(|e| format!("CALL operand: {e}"))?;
            u64::from_le_bytes(q)
        }
        _ => return Ok(false),
    };
    let ret = wide(rip + len);
    let rsp = get64(WHvX64RegisterRsp)?;
    let sp = rsp.wrapping_sub(width) & stack_mask;
    let new_rsp = (rsp & !stack_mask) | sp;
    let ss_base = if long64 { 0 } else { ss.Base };
    let slot = linear(ss_base.wrapping_add(sp));
    if mem.AccessInfo.gva_valid() == 0 || mem.Gva != slot {
        return Err(format!(
            "CALL exit: GVA {:#x} (valid {}), the slot is at {slot:#x}",
            mem.Gva,
            mem.AccessInfo.gva_valid()
        ));
    }
    let (r, gpa) = p
        .translate_gva(0, slot, WHV_TRANSLATE_GVA_FLAGS(1))
        .map_err(|e| format!("translate {slot:#x}: {e}"))?;
    if r.ResultCode != WHvTranslateGvaResultSuccess || gpa != mem.Gpa {
        return Err(format!(
            "CALL exit: GPA {:#x}, the slot {slot:#x} translates to {gpa:#x}",
            mem.Gpa
        ));
    }
    let range = dev
        .slot(mem.Gpa, width as usize)
        .ok_or_else(|| format!("CALL slot {:#x} outside the device", mem.Gpa))?;
    dev.accesses += 1;
    dev.bytes[range].copy_from_slice(&ret.to_le_bytes()[..width as usize]);
    let values = [
        WHV_REGISTER_VALUE { Reg64: new_rsp },
        WHV_REGISTER_VALUE { Reg64: target },
    ];
    p.set_vp_registers(0, &[WHvX64RegisterRsp, WHvX64RegisterRip], &values)
        .map_err(|e| format!("set registers: {e}"))?;
    Ok(true)
}
