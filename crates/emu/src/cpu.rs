//! The emulated VP's state during one emulation: a register cache loaded
//! through the get-registers callback, the CPU mode, and the commit (one
//! set-registers call) with an optional fault to inject.

use crate::callbacks::Callbacks;
use crate::flags;
use crate::regval;
use crate::status::{Exception, Step, Stop, bits, vector};
use iced_x86::Register;
use winhv_defs::*;

/// Segment register indices, in the hardware (and iced) order.
pub(crate) const ES: usize = 0;
/// CS.
pub(crate) const CS: usize = 1;
/// SS.
pub(crate) const SS: usize = 2;
/// DS.
pub(crate) const DS: usize = 3;
/// FS.
pub(crate) const FS: usize = 4;
/// GS.
pub(crate) const GS: usize = 5;

/// GPR indices used by name.
pub(crate) const RAX: usize = 0;
/// RCX.
pub(crate) const RCX: usize = 1;
/// RDX.
pub(crate) const RDX: usize = 2;
/// RBX.
pub(crate) const RBX: usize = 3;
/// RSP.
pub(crate) const RSP: usize = 4;
/// RSI.
pub(crate) const RSI: usize = 6;
/// RDI.
pub(crate) const RDI: usize = 7;

/// How addresses and operands work in the current mode.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// CR0.PE = 0.
    Real,
    /// RFLAGS.VM = 1 in protected mode.
    Virtual8086,
    /// Protected mode (legacy or compatibility) with CS.D selecting 16/32.
    Protected,
    /// 64-bit mode (EFER.LMA and CS.L).
    Long64,
}

/// The VP as the emulator sees it.
pub(crate) struct Cpu<'c, C: Callbacks + ?Sized> {
    /// The caller's callbacks.
    pub cb: &'c mut C,
    /// RAX..R15.
    pub gpr: [u64; 16],
    /// RIP at the start of the instruction.
    pub rip: u64,
    /// RFLAGS.
    pub rflags: u64,
    /// ES, CS, SS, DS, FS, GS.
    pub seg: [WHV_X64_SEGMENT_REGISTER; 6],
    /// EFER (NXE for page-fault error codes).
    pub efer: u64,
    /// The mode.
    pub mode: Mode,
    /// The code size in bits (16, 32, 64).
    pub bitness: u32,
    /// CPL.
    pub cpl: u8,
    /// CR0.AM, for alignment checks.
    pub cr0_am: bool,
    /// The translation the exit itself reported (GVA page, GPA page,
    /// whether the access was a write), from a memory exit with
    /// `GvaValid`: the hardware just walked it for that access.
    pub known_page: Option<(u64, u64, bool)>,
    /// Whether [`Cpu::load`] ran (the I/O fast path skips it).
    pub loaded: bool,
    /// RFLAGS when the instruction started.
    start_rflags: u64,
    /// DR6 to write with a single-step trap.
    dr6: Option<u64>,
    /// XMM registers read so far.
    xmm: [Option<u128>; 16],
    /// XMM registers written.
    xmm_dirty: u16,
    /// GPRs written.
    gpr_dirty: u16,
    /// Last committed GPRs and RFLAGS (a fault rolls back to these).
    saved_gpr: [u64; 16],
    saved_rflags: u64,
    saved_gpr_dirty: u16,
}

/// DR6.BS: the single-step cause.
const DR6_BS: u64 = 1 << 14;

/// The registers the emulator loads besides RIP, RFLAGS and CS (which the
/// exit context supplies).
const LOAD: [WHV_REGISTER_NAME; 22] = [
    WHvX64RegisterRax,
    WHvX64RegisterRcx,
    WHvX64RegisterRdx,
    WHvX64RegisterRbx,
    WHvX64RegisterRsp,
    WHvX64RegisterRbp,
    WHvX64RegisterRsi,
    WHvX64RegisterRdi,
    WHvX64RegisterR8,
    WHvX64RegisterR9,
    WHvX64RegisterR10,
    WHvX64RegisterR11,
    WHvX64RegisterR12,
    WHvX64RegisterR13,
    WHvX64RegisterR14,
    WHvX64RegisterR15,
    WHvX64RegisterEs,
    WHvX64RegisterSs,
    WHvX64RegisterDs,
    WHvX64RegisterFs,
    WHvX64RegisterGs,
    WHvX64RegisterEfer,
];

impl<'c, C: Callbacks + ?Sized> Cpu<'c, C> {
    /// The state known from the exit context alone; GPRs and segments other
    /// than CS are zero until [`Cpu::load`].
    pub fn from_exit(cb: &'c mut C, vp: &WHV_VP_EXIT_CONTEXT) -> Self {
        let es = vp.ExecutionState;
        let cs = vp.Cs;
        let (mode, bitness) = if es.cr0_pe() == 0 {
            (Mode::Real, if cs.default_bit() != 0 { 32 } else { 16 })
        } else if es.efer_lma() != 0 && cs.long() != 0 {
            (Mode::Long64, 64)
        } else if es.efer_lma() == 0 && vp.Rflags & flags::VM != 0 {
            (Mode::Virtual8086, 16)
        } else {
            (Mode::Protected, if cs.default_bit() != 0 { 32 } else { 16 })
        };
        let mut seg = [WHV_X64_SEGMENT_REGISTER::default(); 6];
        seg[CS] = cs;
        Cpu {
            cb,
            gpr: [0; 16],
            rip: vp.Rip,
            rflags: vp.Rflags,
            seg,
            efer: 0,
            mode,
            bitness,
            cpl: if mode == Mode::Real {
                0
            } else {
                es.cpl() as u8
            },
            cr0_am: es.cr0_am() != 0,
            known_page: None,
            loaded: false,
            start_rflags: vp.Rflags,
            dr6: None,
            xmm: [None; 16],
            xmm_dirty: 0,
            gpr_dirty: 0,
            saved_gpr: [0; 16],
            saved_rflags: vp.Rflags,
            saved_gpr_dirty: 0,
        }
    }

    /// Loads the GPRs, the data segments and EFER in one callback.
    pub fn load(&mut self) -> Step<()> {
        let mut values = [WHV_REGISTER_VALUE::default(); LOAD.len()];
        if self.cb.get_registers(&LOAD, &mut values).is_err() {
            return Err(Stop::Status(bits::GET_REGISTERS_FAILED));
        }
        for (i, v) in values[..16].iter().enumerate() {
            self.gpr[i] = regval::reg64(v);
        }
        self.seg[ES] = regval::segment(&values[16]);
        self.seg[SS] = regval::segment(&values[17]);
        self.seg[DS] = regval::segment(&values[18]);
        self.seg[FS] = regval::segment(&values[19]);
        self.seg[GS] = regval::segment(&values[20]);
        self.efer = regval::reg64(&values[21]);
        self.saved_gpr = self.gpr;
        self.loaded = true;
        Ok(())
    }

    /// Seeds registers the I/O exit context carries (for the fast path
    /// that does not call [`Cpu::load`]).
    pub fn seed_from_io(&mut self, io: &WHV_X64_IO_PORT_ACCESS_CONTEXT) {
        self.gpr[RAX] = io.Rax;
        self.gpr[RCX] = io.Rcx;
        self.gpr[RSI] = io.Rsi;
        self.gpr[RDI] = io.Rdi;
        self.seg[DS] = io.Ds;
        self.seg[ES] = io.Es;
        self.saved_gpr = self.gpr;
    }

    /// Whether the code is in 64-bit mode.
    pub fn long64(&self) -> bool {
        self.mode == Mode::Long64
    }

    /// Writes GPR `i` (full 64 bits).
    pub fn set_gpr(&mut self, i: usize, v: u64) {
        if let Some(slot) = self.gpr.get_mut(i) {
            *slot = v;
            self.gpr_dirty |= 1 << i;
        }
    }

    /// Reads a general-purpose register by its iced name, zero-extended.
    pub fn read_reg(&self, r: Register) -> Step<u64> {
        if !r.is_gpr() {
            return Err(Stop::UNSUPPORTED);
        }
        let full = self.gpr[r.full_register().number() & 15];
        Ok(match r.size() {
            1 if is_high8(r) => (full >> 8) & 0xff,
            1 => full & 0xff,
            2 => full & 0xffff,
            4 => full & 0xffff_ffff,
            _ => full,
        })
    }

    /// Writes a general-purpose register as the CPU does: 8/16-bit writes
    /// keep the other bits, 32-bit writes zero-extend.
    pub fn write_reg(&mut self, r: Register, v: u64) -> Step<()> {
        if !r.is_gpr() {
            return Err(Stop::UNSUPPORTED);
        }
        let i = r.full_register().number() & 15;
        let old = self.gpr[i];
        let new = match r.size() {
            1 if is_high8(r) => (old & !0xff00) | ((v & 0xff) << 8),
            1 => (old & !0xff) | (v & 0xff),
            2 => (old & !0xffff) | (v & 0xffff),
            4 => v & 0xffff_ffff,
            _ => v,
        };
        self.set_gpr(i, new);
        Ok(())
    }

    /// Writes the low `size` bytes of GPR `i` with the CPU's sizing rules.
    pub fn write_gpr_sized(&mut self, i: usize, size: usize, v: u64) {
        let old = self.gpr[i & 15];
        let new = match size {
            1 => (old & !0xff) | (v & 0xff),
            2 => (old & !0xffff) | (v & 0xffff),
            4 => v & 0xffff_ffff,
            _ => v,
        };
        self.set_gpr(i & 15, new);
    }

    /// Reads XMM register `n`, through the callback the first time.
    pub fn xmm(&mut self, n: usize) -> Step<u128> {
        let n = n & 15;
        if let Some(v) = self.xmm[n] {
            return Ok(v);
        }
        let name = [WHV_REGISTER_NAME(WHvX64RegisterXmm0.0 + n as i32)];
        let mut value = [WHV_REGISTER_VALUE::default()];
        if self.cb.get_registers(&name, &mut value).is_err() {
            return Err(Stop::Status(bits::GET_REGISTERS_FAILED));
        }
        let v = regval::reg128(&value[0]);
        self.xmm[n] = Some(v);
        Ok(v)
    }

    /// Writes XMM register `n` (committed with the GPRs).
    pub fn set_xmm(&mut self, n: usize, v: u128) {
        let n = n & 15;
        self.xmm[n] = Some(v);
        self.xmm_dirty |= 1 << n;
    }

    /// Marks the state as of now as completed work (a later fault keeps it).
    pub fn checkpoint(&mut self) {
        self.saved_gpr = self.gpr;
        self.saved_rflags = self.rflags;
        self.saved_gpr_dirty = self.gpr_dirty;
    }

    /// Writes back the completed instruction: dirty GPRs and XMMs, RIP
    /// advanced to `next_rip`, RFLAGS (RF cleared as after any instruction).
    ///
    /// With RFLAGS.TF set before the instruction, the single-step trap the
    /// CPU would take follows: `#DB` pending, DR6.BS set (DR6 read through
    /// the get callback only then).
    pub fn commit(&mut self, next_rip: u64) -> Step<()> {
        self.rflags &= !flags::RF;
        if !self.single_step() {
            return self.write_back(next_rip, self.gpr_dirty, true, None);
        }
        let name = [WHvX64RegisterDr6];
        let mut value = [WHV_REGISTER_VALUE::default()];
        if self.cb.get_registers(&name, &mut value).is_err() {
            return Err(Stop::Status(bits::GET_REGISTERS_FAILED));
        }
        self.dr6 = Some(regval::reg64(&value[0]) | DR6_BS);
        let db = Exception {
            vector: vector::DB,
            error_code: None,
            cr2: None,
        };
        self.write_back(next_rip, self.gpr_dirty, true, Some(db))
    }

    /// Whether RFLAGS.TF was set when the instruction started: the CPU
    /// traps after it (and after each iteration of a `rep` string
    /// instruction).
    pub fn single_step(&self) -> bool {
        self.start_rflags & flags::TF != 0
    }

    /// Rolls back to the last checkpoint, writes that back with RIP left on
    /// the instruction, and injects `exc` through
    /// `WHvRegisterPendingInterruption` (and CR2 for a page fault).
    pub fn commit_fault(&mut self, exc: Exception) -> Step<()> {
        self.gpr = self.saved_gpr;
        self.rflags = self.saved_rflags;
        let dirty = self.saved_gpr_dirty;
        self.write_back(self.rip, dirty, false, Some(exc))
    }

    fn write_back(
        &mut self,
        rip: u64,
        gpr_dirty: u16,
        with_xmm: bool,
        exc: Option<Exception>,
    ) -> Step<()> {
        let mut names = [WHV_REGISTER_NAME::default(); 16 + 16 + 5];
        let mut values = [WHV_REGISTER_VALUE::default(); 16 + 16 + 5];
        let mut n = 0;
        let mut push = |name: WHV_REGISTER_NAME, v: WHV_REGISTER_VALUE| {
            names[n] = name;
            values[n] = v;
            n += 1;
        };
        for i in 0..16 {
            if gpr_dirty & (1 << i) != 0 {
                push(WHV_REGISTER_NAME(i as i32), regval::from64(self.gpr[i]));
            }
        }
        if with_xmm {
            for i in 0..16 {
                if self.xmm_dirty & (1 << i) != 0 {
                    let v = self.xmm[i].unwrap_or(0);
                    push(
                        WHV_REGISTER_NAME(WHvX64RegisterXmm0.0 + i as i32),
                        regval::from128(v),
                    );
                }
            }
        }
        push(WHvX64RegisterRip, regval::from64(rip));
        push(WHvX64RegisterRflags, regval::from64(self.rflags));
        if let Some(exc) = exc {
            if let Some(cr2) = exc.cr2 {
                push(WHvX64RegisterCr2, regval::from64(cr2));
            }
            if let Some(dr6) = self.dr6 {
                push(WHvX64RegisterDr6, regval::from64(dr6));
            }
            let mut pending = WHV_X64_PENDING_INTERRUPTION_REGISTER::default();
            pending.set_interruption_pending(1);
            pending.set_interruption_type(WHvX64PendingException.0 as u64);
            pending.set_interruption_vector(u64::from(exc.vector));
            // Real mode pushes no error code.
            if let (Some(code), false) = (exc.error_code, self.mode == Mode::Real) {
                pending.set_deliver_error_code(1);
                pending.set_error_code(u64::from(code));
            }
            let mut v = WHV_REGISTER_VALUE::default();
            v.PendingInterruption = pending;
            push(WHvRegisterPendingInterruption, v);
        }
        if self.cb.set_registers(&names[..n], &values[..n]).is_err() {
            return Err(Stop::Status(bits::SET_REGISTERS_FAILED));
        }
        Ok(())
    }
}

/// AH, CH, DH, BH.
fn is_high8(r: Register) -> bool {
    matches!(r, Register::AH | Register::CH | Register::DH | Register::BH)
}
