//! The emulated VP's state during one emulation: a register cache filled
//! through the get-registers callback with what the instruction needs (one
//! batch after decoding, any register it did not foresee on first use),
//! the CPU mode, and the commit — one set-registers call with what the
//! instruction changed — with an optional fault to inject.

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
/// RBP.
pub(crate) const RBP: usize = 5;
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

/// The most registers other than GPRs, XMMs, segments, RIP and RFLAGS one
/// instruction writes (the x87 stack and its two control registers, an
/// interrupt shadow, descriptor-table registers).
const STAGED: usize = 14;

/// The VP as the emulator sees it.
pub(crate) struct Cpu<'c, C: Callbacks + ?Sized> {
    /// The caller's callbacks.
    pub cb: &'c mut C,
    /// RAX..R15, valid where `gpr_valid` says.
    gpr: [u64; 16],
    /// GPRs read (or fully written) so far.
    gpr_valid: u16,
    /// RIP at the start of the instruction.
    pub rip: u64,
    /// RFLAGS.
    pub rflags: u64,
    /// ES, CS, SS, DS, FS, GS, valid where `seg_valid` says (CS always,
    /// from the exit context).
    seg: [WHV_X64_SEGMENT_REGISTER; 6],
    /// Segments read so far.
    seg_valid: u8,
    /// Segments the instruction loaded.
    seg_dirty: u8,
    /// EFER, once read (only a fetch fault's error code needs it).
    efer: Option<u64>,
    /// The mode.
    pub mode: Mode,
    /// The code size in bits (16, 32, 64).
    pub bitness: u32,
    /// CPL.
    pub cpl: u8,
    /// EFER.LMA (long mode active: 64-bit or compatibility mode).
    pub lma: bool,
    /// CR0.AM, for alignment checks.
    pub cr0_am: bool,
    /// The translation the exit itself reported (GVA page, GPA page,
    /// whether the access was a write), from a memory exit with
    /// `GvaValid`: the hardware just walked it for that access.
    pub known_page: Option<(u64, u64, bool)>,
    /// RFLAGS when the instruction started.
    start_rflags: u64,
    /// DR6 to write with a single-step trap.
    dr6: Option<u64>,
    /// XMM registers and staged writes, made on first use (most
    /// instructions need neither: the common store stays small to set up).
    ext: Option<Ext>,
    /// XMM registers read (or written) so far.
    xmm_valid: u16,
    /// XMM registers written.
    xmm_dirty: u16,
    /// GPRs written.
    gpr_dirty: u16,
    /// How many of `Ext::staged` are in use.
    staged_len: usize,
    /// The staged registers written even when the instruction faults
    /// (MXCSR's flags before a SIMD exception), by index.
    staged_kept: u16,
    /// Whether the instruction loaded SS (MOV SS, POP SS, LSS): the CPU
    /// holds off interrupts and the single-step trap for one instruction.
    pub ss_loaded: bool,
    /// Whether RFLAGS.RF is the instruction's result (IRET loads it), not
    /// cleared as after any other instruction.
    pub keep_rf: bool,
    /// The instruction's bytes, as decoded.
    pub code: [u8; 15],
    /// How many of `code` are the instruction.
    pub code_len: usize,
    /// Last committed GPRs and RFLAGS (a fault rolls back to these).
    saved_gpr: [u64; 16],
    saved_rflags: u64,
    saved_gpr_dirty: u16,
}

/// The rarely used part of [`Cpu`].
struct Ext {
    /// XMM registers, valid where `Cpu::xmm_valid` says.
    xmm: [u128; 16],
    /// Other registers to write with the commit, in order.
    staged: [(WHV_REGISTER_NAME, WHV_REGISTER_VALUE); STAGED],
}

/// DR6.BS: the single-step cause.
const DR6_BS: u64 = 1 << 14;

/// The register names of segment register `i` (ES..GS).
fn seg_name(i: usize) -> WHV_REGISTER_NAME {
    WHV_REGISTER_NAME(WHvX64RegisterEs.0 + i as i32)
}

/// The register name of XMM register `i`.
fn xmm_name(i: usize) -> WHV_REGISTER_NAME {
    WHV_REGISTER_NAME(WHvX64RegisterXmm0.0 + i as i32)
}

impl<'c, C: Callbacks + ?Sized> Cpu<'c, C> {
    /// The state known from the exit context alone; other registers are
    /// read through the callback when first needed.
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
            gpr_valid: 0,
            rip: vp.Rip,
            rflags: vp.Rflags,
            seg,
            seg_valid: 1 << CS,
            seg_dirty: 0,
            efer: None,
            mode,
            bitness,
            cpl: if mode == Mode::Real {
                0
            } else {
                es.cpl() as u8
            },
            cr0_am: es.cr0_am() != 0,
            lma: es.efer_lma() != 0,
            known_page: None,
            start_rflags: vp.Rflags,
            dr6: None,
            ext: None,
            xmm_valid: 0,
            xmm_dirty: 0,
            gpr_dirty: 0,
            staged_len: 0,
            staged_kept: 0,
            ss_loaded: false,
            keep_rf: false,
            code: [0; 15],
            code_len: 0,
            saved_gpr: [0; 16],
            saved_rflags: vp.Rflags,
            saved_gpr_dirty: 0,
        }
    }

    /// Reads the GPRs (bit *i* = register *i*), segment registers (bit *i*
    /// = ES..GS) and XMM registers not read yet, in one get-registers call
    /// (none when all are known).
    pub fn need(&mut self, gprs: u16, segs: u8, xmms: u16) -> Step<()> {
        let g = gprs & !self.gpr_valid;
        let s = segs & !self.seg_valid & 0x3f;
        let x = xmms & !self.xmm_valid;
        let n = (g.count_ones() + s.count_ones() + x.count_ones()) as usize;
        match n {
            0 => Ok(()),
            1..=4 => self.read_batch::<4>(g, s, x),
            _ => self.read_batch::<38>(g, s, x),
        }
    }

    fn read_batch<const N: usize>(&mut self, g: u16, s: u8, x: u16) -> Step<()> {
        let mut names = [WHV_REGISTER_NAME::default(); N];
        let mut n = 0;
        for i in bits(u32::from(g)) {
            names[n] = WHV_REGISTER_NAME(i as i32);
            n += 1;
        }
        for i in bits(u32::from(s)) {
            names[n] = seg_name(i);
            n += 1;
        }
        for i in bits(u32::from(x)) {
            names[n] = xmm_name(i);
            n += 1;
        }
        let mut values = [WHV_REGISTER_VALUE::default(); N];
        if self
            .cb
            .get_registers(&names[..n], &mut values[..n])
            .is_err()
        {
            return Err(Stop::Status(bits::GET_REGISTERS_FAILED));
        }
        let mut k = 0;
        for i in bits(u32::from(g)) {
            self.gpr[i] = regval::reg64(&values[k]);
            self.saved_gpr[i] = self.gpr[i];
            k += 1;
        }
        for i in bits(u32::from(s)) {
            self.seg[i] = regval::segment(&values[k]);
            k += 1;
        }
        for i in bits(u32::from(x)) {
            self.ext().xmm[i] = regval::reg128(&values[k]);
            k += 1;
        }
        self.gpr_valid |= g;
        self.seg_valid |= s;
        self.xmm_valid |= x;
        Ok(())
    }

    /// The rarely used part, made on first use.
    fn ext(&mut self) -> &mut Ext {
        self.ext.get_or_insert_with(|| Ext {
            xmm: [0; 16],
            staged: [(WHV_REGISTER_NAME::default(), WHV_REGISTER_VALUE::default()); STAGED],
        })
    }

    /// Reads registers other than those [`Cpu::need`] caches, in one call.
    pub fn get_many(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> Step<()> {
        if self.cb.get_registers(names, values).is_err() {
            return Err(Stop::Status(bits::GET_REGISTERS_FAILED));
        }
        Ok(())
    }

    /// Reads one register other than those [`Cpu::need`] caches.
    pub fn get_one(&mut self, name: WHV_REGISTER_NAME) -> Step<WHV_REGISTER_VALUE> {
        let mut v = [WHV_REGISTER_VALUE::default()];
        self.get_many(&[name], &mut v)?;
        Ok(v[0])
    }

    /// Reads one 64-bit register (a control register, an MSR) through the
    /// callback.
    pub fn get64(&mut self, name: WHV_REGISTER_NAME) -> Step<u64> {
        Ok(regval::reg64(&self.get_one(name)?))
    }

    /// Queues `value` for `name` with the commit (replacing an earlier
    /// value for the same name). An instruction that faults writes none.
    pub fn stage(&mut self, name: WHV_REGISTER_NAME, value: WHV_REGISTER_VALUE) -> Step<()> {
        let len = self.staged_len;
        let ext = self.ext();
        if let Some(slot) = ext.staged[..len].iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
            return Ok(());
        }
        let slot = ext.staged.get_mut(len).ok_or(Stop::UNSUPPORTED)?;
        *slot = (name, value);
        self.staged_len += 1;
        Ok(())
    }

    /// [`Cpu::stage`] for a register the instruction changes even when it
    /// then faults (the flags an unmasked SIMD exception sets in MXCSR).
    pub fn stage_kept(&mut self, name: WHV_REGISTER_NAME, value: WHV_REGISTER_VALUE) -> Step<()> {
        self.stage(name, value)?;
        let len = self.staged_len;
        if let Some(i) = self.ext().staged[..len]
            .iter()
            .position(|(n, _)| *n == name)
        {
            self.staged_kept |= 1 << i;
        }
        Ok(())
    }

    /// Seeds registers the I/O exit context carries (for the fast path
    /// that does not read them through the callback).
    pub fn seed_from_io(&mut self, io: &WHV_X64_IO_PORT_ACCESS_CONTEXT) {
        for (i, v) in [(RAX, io.Rax), (RCX, io.Rcx), (RSI, io.Rsi), (RDI, io.Rdi)] {
            self.gpr[i] = v;
            self.saved_gpr[i] = v;
            self.gpr_valid |= 1 << i;
        }
        self.seg[DS] = io.Ds;
        self.seg[ES] = io.Es;
        self.seg_valid |= (1 << DS) | (1 << ES);
    }

    /// Whether the code is in 64-bit mode.
    pub fn long64(&self) -> bool {
        self.mode == Mode::Long64
    }

    /// GPR `i` (full 64 bits), read through the callback the first time.
    pub fn gpr(&mut self, i: usize) -> Step<u64> {
        let i = i & 15;
        if self.gpr_valid & (1 << i) == 0 {
            self.need(1 << i, 0, 0)?;
        }
        Ok(self.gpr[i])
    }

    /// Writes GPR `i` (full 64 bits).
    pub fn set_gpr(&mut self, i: usize, v: u64) {
        if let Some(slot) = self.gpr.get_mut(i) {
            *slot = v;
            self.gpr_dirty |= 1 << i;
            self.gpr_valid |= 1 << i;
        }
    }

    /// Puts GPR `i` back to `v` without marking it written (undoing a
    /// tentative update).
    pub fn restore_gpr(&mut self, i: usize, v: u64, was_dirty: bool) {
        let i = i & 15;
        self.gpr[i] = v;
        if !was_dirty {
            self.gpr_dirty &= !(1 << i);
        }
    }

    /// Whether GPR `i` was written.
    pub fn gpr_written(&self, i: usize) -> bool {
        self.gpr_dirty & (1 << (i & 15)) != 0
    }

    /// The mask of GPRs a register operand names (0 for others).
    pub fn gpr_bit(r: Register) -> u16 {
        if r.is_gpr() {
            1 << (r.full_register().number() & 15)
        } else {
            0
        }
    }

    /// Reads a general-purpose register by its iced name, zero-extended.
    pub fn read_reg(&mut self, r: Register) -> Step<u64> {
        if !r.is_gpr() {
            return Err(Stop::UNSUPPORTED);
        }
        let full = self.gpr(r.full_register().number())?;
        Ok(sized(r, full))
    }

    /// Writes a general-purpose register as the CPU does: 8/16-bit writes
    /// keep the other bits, 32-bit writes zero-extend.
    pub fn write_reg(&mut self, r: Register, v: u64) -> Step<()> {
        if !r.is_gpr() {
            return Err(Stop::UNSUPPORTED);
        }
        let i = r.full_register().number() & 15;
        let new = match r.size() {
            1 if is_high8(r) => (self.gpr(i)? & !0xff00) | ((v & 0xff) << 8),
            1 => (self.gpr(i)? & !0xff) | (v & 0xff),
            2 => (self.gpr(i)? & !0xffff) | (v & 0xffff),
            4 => v & 0xffff_ffff,
            _ => v,
        };
        self.set_gpr(i, new);
        Ok(())
    }

    /// Writes the low `size` bytes of GPR `i` with the CPU's sizing rules.
    pub fn write_gpr_sized(&mut self, i: usize, size: usize, v: u64) -> Step<()> {
        let i = i & 15;
        let new = match size {
            1 => (self.gpr(i)? & !0xff) | (v & 0xff),
            2 => (self.gpr(i)? & !0xffff) | (v & 0xffff),
            4 => v & 0xffff_ffff,
            _ => v,
        };
        self.set_gpr(i, new);
        Ok(())
    }

    /// Segment register `i` (ES..GS), read through the callback the first
    /// time.
    pub fn segment(&mut self, i: usize) -> Step<WHV_X64_SEGMENT_REGISTER> {
        let i = i.min(GS);
        if self.seg_valid & (1 << i) == 0 {
            self.need(0, 1 << i, 0)?;
        }
        Ok(self.seg[i])
    }

    /// Segment register `i` as cached (default when not read yet).
    pub fn cached_segment(&self, i: usize) -> WHV_X64_SEGMENT_REGISTER {
        self.seg.get(i).copied().unwrap_or_default()
    }

    /// Loads segment register `i` with `s` (committed with the GPRs).
    pub fn set_segment(&mut self, i: usize, s: WHV_X64_SEGMENT_REGISTER) {
        let i = i.min(GS);
        self.seg[i] = s;
        self.seg_valid |= 1 << i;
        self.seg_dirty |= 1 << i;
        if i == SS {
            self.ss_loaded = true;
        }
    }

    /// EFER, through the callback the first time.
    pub fn efer(&mut self) -> Step<u64> {
        if let Some(v) = self.efer {
            return Ok(v);
        }
        let v = self.get64(WHvX64RegisterEfer)?;
        self.efer = Some(v);
        Ok(v)
    }

    /// Reads XMM register `n`, through the callback the first time.
    pub fn xmm(&mut self, n: usize) -> Step<u128> {
        let n = n & 15;
        if self.xmm_valid & (1 << n) == 0 {
            self.need(0, 0, 1 << n)?;
        }
        Ok(self.ext().xmm[n])
    }

    /// Writes XMM register `n` (committed with the GPRs).
    pub fn set_xmm(&mut self, n: usize, v: u128) {
        let n = n & 15;
        self.ext().xmm[n] = v;
        self.xmm_valid |= 1 << n;
        self.xmm_dirty |= 1 << n;
    }

    /// Marks the state as of now as completed work (a later fault keeps it).
    pub fn checkpoint(&mut self) {
        self.saved_gpr = self.gpr;
        self.saved_rflags = self.rflags;
        self.saved_gpr_dirty = self.gpr_dirty;
    }

    /// Writes back the completed instruction: dirty GPRs, XMMs, segments
    /// and staged registers, RIP at `next_rip`, RFLAGS when changed (RF
    /// cleared as after any instruction).
    ///
    /// With RFLAGS.TF set before the instruction, the single-step trap the
    /// CPU would take follows: `#DB` pending, DR6.BS set (DR6 read through
    /// the get callback only then) — unless the instruction loaded SS,
    /// which holds the trap off (the interrupt shadow is set instead).
    pub fn commit(&mut self, next_rip: u64) -> Step<()> {
        if !self.keep_rf {
            self.rflags &= !flags::RF;
        }
        if self.ss_loaded {
            let mut v = WHV_REGISTER_VALUE::default();
            let mut state = WHV_X64_INTERRUPT_STATE_REGISTER::default();
            state.set_interrupt_shadow(1);
            v.InterruptState = state;
            self.stage(WHvRegisterInterruptState, v)?;
        }
        if !self.single_step() || self.ss_loaded {
            return self.write_back(next_rip, self.gpr_dirty, true, None);
        }
        let dr6 = self.get64(WHvX64RegisterDr6)?;
        self.dr6 = Some(dr6 | DR6_BS);
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
        let mut kept = 0;
        let (len, keep) = (self.staged_len, self.staged_kept);
        if let Some(ext) = self.ext.as_mut() {
            for i in 0..len {
                if keep & (1 << i) != 0 {
                    ext.staged[kept] = ext.staged[i];
                    kept += 1;
                }
            }
        }
        self.staged_len = kept;
        self.seg_dirty = 0;
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
        let xmm_dirty = if with_xmm { self.xmm_dirty } else { 0 };
        let extra = match exc {
            None => 0,
            Some(e) => 1 + usize::from(e.cr2.is_some()) + usize::from(self.dr6.is_some()),
        };
        let n = (gpr_dirty.count_ones() + xmm_dirty.count_ones() + self.seg_dirty.count_ones())
            as usize
            + self.staged_len
            + 1
            + usize::from(self.rflags != self.start_rflags)
            + extra;
        if n <= 2 && exc.is_none() && xmm_dirty == 0 && self.seg_dirty == 0 && self.staged_len == 0
        {
            // The common case: RIP, and RFLAGS or one GPR.
            return self.send_short(rip, gpr_dirty);
        }
        if n <= 4 {
            self.send::<4>(rip, gpr_dirty, xmm_dirty, exc)
        } else if n <= 8 {
            self.send::<8>(rip, gpr_dirty, xmm_dirty, exc)
        } else {
            self.send::<{ 16 + 16 + 6 + STAGED + 5 }>(rip, gpr_dirty, xmm_dirty, exc)
        }
    }

    /// [`Cpu::send`] for two registers at most: a GPR, RIP, RFLAGS (in
    /// that order; the caller checked the count).
    fn send_short(&mut self, rip: u64, gpr_dirty: u16) -> Step<()> {
        let mut names = [WHvX64RegisterRip; 2];
        let mut values = [WHV_REGISTER_VALUE::default(); 2];
        let mut n = 0;
        if gpr_dirty != 0 {
            let i = gpr_dirty.trailing_zeros() as usize;
            names[0] = WHV_REGISTER_NAME(i as i32);
            values[0] = regval::from64(self.gpr[i & 15]);
            n = 1;
        }
        names[n] = WHvX64RegisterRip;
        values[n] = regval::from64(rip);
        n += 1;
        if self.rflags != self.start_rflags && n < 2 {
            names[n] = WHvX64RegisterRflags;
            values[n] = regval::from64(self.rflags);
            n += 1;
        }
        if self.cb.set_registers(&names[..n], &values[..n]).is_err() {
            return Err(Stop::Status(bits::SET_REGISTERS_FAILED));
        }
        Ok(())
    }

    fn send<const N: usize>(
        &mut self,
        rip: u64,
        gpr_dirty: u16,
        xmm_dirty: u16,
        exc: Option<Exception>,
    ) -> Step<()> {
        let mut names = [WHV_REGISTER_NAME::default(); N];
        let mut values = [WHV_REGISTER_VALUE::default(); N];
        let mut n = 0;
        let mut push = |name: WHV_REGISTER_NAME, v: WHV_REGISTER_VALUE| {
            if n < N {
                names[n] = name;
                values[n] = v;
                n += 1;
            }
        };
        for i in bits(u32::from(gpr_dirty)) {
            push(WHV_REGISTER_NAME(i as i32), regval::from64(self.gpr[i]));
        }
        if let Some(ext) = self.ext.as_ref() {
            for i in bits(u32::from(xmm_dirty)) {
                push(xmm_name(i), regval::from128(ext.xmm[i]));
            }
        }
        for i in bits(u32::from(self.seg_dirty)) {
            let mut v = WHV_REGISTER_VALUE::default();
            v.Segment = self.seg[i];
            push(seg_name(i), v);
        }
        if let Some(ext) = self.ext.as_ref() {
            for &(name, v) in &ext.staged[..self.staged_len] {
                push(name, v);
            }
        }
        push(WHvX64RegisterRip, regval::from64(rip));
        // RFLAGS only when the instruction changed it (most stores and
        // loads do not).
        if self.rflags != self.start_rflags {
            push(WHvX64RegisterRflags, regval::from64(self.rflags));
        }
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

impl<C: Callbacks + ?Sized> Cpu<'_, C> {
    /// An x87 instruction's opcode byte (D8..DF) and ModRM byte, past its
    /// prefixes.
    pub fn x87_opcode(&self) -> Option<(u8, u8)> {
        let code = &self.code[..self.code_len];
        let at = code.iter().position(|&b| {
            let prefix = matches!(
                b,
                0x26 | 0x2e | 0x36 | 0x3e | 0x64..=0x67 | 0xf0 | 0xf2 | 0xf3
            ) || (self.long64() && (0x40..=0x4f).contains(&b));
            !prefix
        })?;
        match code.get(at..at + 2) {
            Some(&[op @ 0xd8..=0xdf, modrm]) => Some((op, modrm)),
            _ => None,
        }
    }
}

/// The indexes of the set bits of `mask`, lowest first.
fn bits(mut mask: u32) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let i = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(i)
    })
}

/// The part of `full` that register `r` names.
fn sized(r: Register, full: u64) -> u64 {
    match r.size() {
        1 if is_high8(r) => (full >> 8) & 0xff,
        1 => full & 0xff,
        2 => full & 0xffff,
        4 => full & 0xffff_ffff,
        _ => full,
    }
}

/// AH, CH, DH, BH.
fn is_high8(r: Register) -> bool {
    matches!(r, Register::AH | Register::CH | Register::DH | Register::BH)
}
