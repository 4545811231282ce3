//! A mock virtual processor for the emulator's tests: registers, a flat
//! guest-physical memory (identity or given page mapping), a RAM-like MMIO
//! window and a port device that record every access, and switches that
//! make each callback fail.
#![allow(dead_code, reason = "each test file uses a different part of the mock")]

use std::collections::HashMap;
use winhv_defs::*;
use winhv_emu::Callbacks;

/// Guest physical memory size.
pub const MEM: usize = 0x40_0000;
/// The MMIO window (GPA), RAM-like.
pub const MMIO: u64 = 0x1000_0000;
/// Its size.
pub const MMIO_LEN: usize = 0x2000;

/// One recorded memory or port access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rec {
    /// GPA or port.
    pub addr: u64,
    /// Bytes.
    pub size: u8,
    /// True for a write / OUT.
    pub write: bool,
    /// The data.
    pub data: u64,
}

/// The mock VP.
pub struct Vp {
    pub gpr: [u64; 16],
    pub rip: u64,
    pub rflags: u64,
    /// ES CS SS DS FS GS.
    pub seg: [WHV_X64_SEGMENT_REGISTER; 6],
    pub cr0: u64,
    pub cr4: u64,
    pub efer: u64,
    /// GDTR and IDTR: (base, limit).
    pub gdtr: (u64, u16),
    pub idtr: (u64, u16),
    pub ldtr: WHV_X64_SEGMENT_REGISTER,
    pub tr: WHV_X64_SEGMENT_REGISTER,
    /// FpMmx0..7 (ST0..ST7 in stack order), FpControlStatus,
    /// XmmControlStatus, as raw 128-bit values.
    pub fp: [u128; 8],
    pub fpcs: u128,
    pub xmmcs: u128,
    pub interrupt_state: u64,
    pub cpl: u8,
    pub xmm: [u128; 16],
    pub cr2: u64,
    pub dr6: u64,
    pub pending: u64,
    pub mem: Vec<u8>,
    pub mmio: Vec<u8>,
    /// gva page -> gpa page; None means identity.
    pub pages: Option<HashMap<u64, u64>>,
    /// gva pages whose translation ends with this code.
    pub bad_pages: HashMap<u64, WHV_TRANSLATE_GVA_RESULT_CODE>,
    pub mem_log: Vec<Rec>,
    pub io_log: Vec<Rec>,
    /// Values IN returns, in order (then 0).
    pub io_in: Vec<u32>,
    pub fail_io: bool,
    pub fail_mem: bool,
    pub fail_get: bool,
    pub fail_set: bool,
    pub fail_translate: bool,
    pub misalign_gpa: bool,
    /// Fail the n-th memory callback (0-based), if set.
    pub fail_mem_at: Option<usize>,
    pub get_calls: usize,
    pub set_calls: usize,
    /// The names of every get-registers and set-registers call, in order.
    pub get_log: Vec<Vec<i32>>,
    pub set_log: Vec<Vec<i32>>,
    pub translate_calls: usize,
    pub interruption_pending: bool,
}

/// A flat data segment (type 3 RW accessed), or code (type 11).
pub fn flat(code: bool, db: bool, long: bool) -> WHV_X64_SEGMENT_REGISTER {
    let mut s = WHV_X64_SEGMENT_REGISTER {
        Base: 0,
        Limit: 0xffff_ffff,
        Selector: if code { 8 } else { 16 },
        Attributes: 0,
    };
    s.set_segment_type(if code { 11 } else { 3 });
    s.set_non_system_segment(1);
    s.set_present(1);
    s.set_default_bit(u16::from(db));
    s.set_long(u16::from(long));
    s.set_granularity(1);
    s
}

/// A real-mode segment for `selector`.
pub fn real_seg(selector: u16, code: bool) -> WHV_X64_SEGMENT_REGISTER {
    let mut s = WHV_X64_SEGMENT_REGISTER {
        Base: u64::from(selector) << 4,
        Limit: 0xffff,
        Selector: selector,
        Attributes: 0,
    };
    s.set_segment_type(if code { 11 } else { 3 });
    s.set_non_system_segment(1);
    s.set_present(1);
    s
}

impl Vp {
    /// 64-bit mode, CPL 0, identity paging, flat segments.
    pub fn long() -> Vp {
        let mut v = Vp::blank();
        v.cr0 = 0x8000_0011;
        v.efer = 0x500;
        v.seg = [flat(false, true, false); 6];
        v.seg[1] = flat(true, false, true);
        v
    }

    /// 32-bit protected mode, flat, paging identity.
    pub fn prot32() -> Vp {
        let mut v = Vp::blank();
        v.cr0 = 0x8000_0011;
        v.seg = [flat(false, true, false); 6];
        v.seg[1] = flat(true, true, false);
        v
    }

    /// 16-bit protected mode (CS.D = 0, data segments 64 KiB).
    pub fn prot16() -> Vp {
        let mut v = Vp::prot32();
        v.seg[1].set_default_bit(0);
        for i in [0, 2, 3, 4, 5] {
            v.seg[i].Limit = 0xffff;
            v.seg[i].set_default_bit(0);
        }
        v
    }

    /// Compatibility mode: EFER.LMA, CS.L = 0, CS.D = 1.
    pub fn compat() -> Vp {
        let mut v = Vp::long();
        v.seg[1] = flat(true, true, false);
        v
    }

    /// Real mode, all segments 0.
    pub fn real() -> Vp {
        let mut v = Vp::blank();
        v.cr0 = 0x10;
        v.seg = [real_seg(0, false); 6];
        v.seg[1] = real_seg(0, true);
        v
    }

    /// One of the modes above by number: real, 16-bit protected, 32-bit
    /// protected, compatibility, then 64-bit for every larger `n`.
    pub fn in_mode(n: u8) -> Vp {
        match n {
            0 => Vp::real(),
            1 => Vp::prot16(),
            2 => Vp::prot32(),
            3 => Vp::compat(),
            _ => Vp::long(),
        }
    }

    fn blank() -> Vp {
        Vp {
            gpr: [0; 16],
            rip: 0x1000,
            rflags: 2,
            seg: [WHV_X64_SEGMENT_REGISTER::default(); 6],
            cr0: 0,
            cr4: 0,
            efer: 0,
            gdtr: (0, 0),
            idtr: (0, 0),
            ldtr: WHV_X64_SEGMENT_REGISTER::default(),
            tr: WHV_X64_SEGMENT_REGISTER::default(),
            fp: [0; 8],
            // FCW 0x37f (all masked), MXCSR 0x1f80, MXCSR_MASK 0xffff.
            fpcs: 0x37f,
            xmmcs: (0x1f80u128 << 64) | (0xffffu128 << 96),
            interrupt_state: 0,
            cpl: 0,
            xmm: [0; 16],
            cr2: 0,
            dr6: 0xffff_0ff0,
            pending: 0,
            mem: vec![0; MEM],
            mmio: vec![0; MMIO_LEN],
            pages: None,
            bad_pages: HashMap::new(),
            mem_log: Vec::new(),
            io_log: Vec::new(),
            io_in: Vec::new(),
            fail_io: false,
            fail_mem: false,
            fail_get: false,
            fail_set: false,
            fail_translate: false,
            misalign_gpa: false,
            fail_mem_at: None,
            get_calls: 0,
            set_calls: 0,
            get_log: Vec::new(),
            set_log: Vec::new(),
            translate_calls: 0,
            interruption_pending: false,
        }
    }

    /// The exit's VP context as the platform would fill it.
    pub fn vp_context(&self) -> WHV_VP_EXIT_CONTEXT {
        let mut c = WHV_VP_EXIT_CONTEXT::default();
        c.ExecutionState.set_cpl(u16::from(self.cpl));
        c.ExecutionState.set_cr0_pe((self.cr0 & 1) as u16);
        c.ExecutionState.set_cr0_am(((self.cr0 >> 18) & 1) as u16);
        c.ExecutionState
            .set_efer_lma(((self.efer >> 10) & 1) as u16);
        c.ExecutionState
            .set_interruption_pending(u16::from(self.interruption_pending));
        c.Cs = self.seg[1];
        c.Rip = self.rip;
        c.Rflags = self.rflags;
        c
    }

    /// Byte at GPA, from RAM or the MMIO window.
    fn byte(&mut self, gpa: u64) -> Option<&mut u8> {
        if gpa >= MMIO && gpa < MMIO + MMIO_LEN as u64 {
            self.mmio.get_mut((gpa - MMIO) as usize)
        } else {
            self.mem.get_mut(gpa as usize)
        }
    }

    /// Writes bytes at a GPA (test setup; not logged).
    pub fn poke(&mut self, gpa: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            *self.byte(gpa + i as u64).expect("poke in range") = *b;
        }
    }

    /// Reads bytes at a GPA (test check; not logged).
    pub fn peek(&mut self, gpa: u64, n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| *self.byte(gpa + i as u64).expect("peek in range"))
            .collect()
    }

    /// Little-endian value at a GPA.
    pub fn peek_u64(&mut self, gpa: u64, n: usize) -> u64 {
        let b = self.peek(gpa, n);
        b.iter().rev().fold(0, |a, &x| (a << 8) | u64::from(x))
    }

    /// Places `code` at the linear address CS.base + RIP (identity).
    pub fn place_code(&mut self, code: &[u8]) {
        let at = self.seg[1].Base.wrapping_add(self.rip) & 0xffff_ffff;
        self.poke(at, code);
    }
}

impl Callbacks for Vp {
    fn io_port(&mut self, a: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        if self.fail_io {
            return E_FAIL;
        }
        let write = a.Direction == 1;
        if !write {
            a.Data = if self.io_in.is_empty() {
                0
            } else {
                self.io_in.remove(0)
            };
        }
        self.io_log.push(Rec {
            addr: u64::from(a.Port),
            size: a.AccessSize as u8,
            write,
            data: u64::from(a.Data),
        });
        S_OK
    }

    fn memory(&mut self, a: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
        if self.fail_mem || self.fail_mem_at == Some(self.mem_log.len()) {
            return E_FAIL;
        }
        assert!((1..=8).contains(&a.AccessSize), "bad size {}", a.AccessSize);
        assert_eq!(
            a.GpaAddress / 4096,
            (a.GpaAddress.wrapping_add(u64::from(a.AccessSize) - 1)) / 4096,
            "access crosses a page"
        );
        let write = a.Direction == 1;
        for i in 0..usize::from(a.AccessSize) {
            let Some(b) = self.byte(a.GpaAddress.wrapping_add(i as u64)) else {
                return E_INVALIDARG;
            };
            if write {
                *b = a.Data[i];
            } else {
                a.Data[i] = *b;
            }
        }
        let mut d = [0u8; 8];
        d[..usize::from(a.AccessSize)].copy_from_slice(&a.Data[..usize::from(a.AccessSize)]);
        self.mem_log.push(Rec {
            addr: a.GpaAddress,
            size: a.AccessSize,
            write,
            data: u64::from_le_bytes(d),
        });
        S_OK
    }

    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT {
        self.get_calls += 1;
        self.get_log.push(names.iter().map(|n| n.0).collect());
        if self.fail_get {
            return E_FAIL;
        }
        for (n, v) in names.iter().zip(values.iter_mut()) {
            let x = n.0;
            *v = WHV_REGISTER_VALUE::default();
            match x {
                0..=15 => v.Reg64 = self.gpr[x as usize],
                0x10 => v.Reg64 = self.rip,
                0x11 => v.Reg64 = self.rflags,
                0x12..=0x17 => v.Segment = self.seg[(x - 0x12) as usize],
                0x18 => v.Segment = self.ldtr,
                0x19 => v.Segment = self.tr,
                0x1a | 0x1b => {
                    let (base, limit) = if x == 0x1a { self.idtr } else { self.gdtr };
                    v.Table = WHV_X64_TABLE_REGISTER {
                        Pad: [0; 3],
                        Limit: limit,
                        Base: base,
                    };
                }
                0x1c => v.Reg64 = self.cr0,
                0x1f => v.Reg64 = self.cr4,
                0x25 => v.Reg64 = self.dr6,
                0x2001 => v.Reg64 = self.efer,
                0x1010..=0x1019 => {
                    let q = match x {
                        0x1018 => self.fpcs,
                        0x1019 => self.xmmcs,
                        _ => self.fp[(x - 0x1010) as usize],
                    };
                    v.Reg128 = WHV_UINT128 {
                        Anonymous: WHV_UINT128_0 {
                            Low64: q as u64,
                            High64: (q >> 64) as u64,
                        },
                    };
                }
                x if x == WHvRegisterInterruptState.0 => v.Reg64 = self.interrupt_state,
                0x1000..=0x100f => {
                    let q = self.xmm[(x - 0x1000) as usize];
                    v.Reg128 = WHV_UINT128 {
                        Anonymous: WHV_UINT128_0 {
                            Low64: q as u64,
                            High64: (q >> 64) as u64,
                        },
                    };
                }
                _ => return E_INVALIDARG,
            }
        }
        S_OK
    }

    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT {
        self.set_calls += 1;
        self.set_log.push(names.iter().map(|n| n.0).collect());
        if self.fail_set {
            return E_FAIL;
        }
        for (n, v) in names.iter().zip(values.iter()) {
            let x = n.0;
            let raw: [u64; 2] = bits128(v);
            match x {
                0..=15 => self.gpr[x as usize] = raw[0],
                0x10 => self.rip = raw[0],
                0x11 => self.rflags = raw[0],
                0x12..=0x17 => self.seg[(x - 0x12) as usize] = segment_of(raw),
                0x18 => self.ldtr = segment_of(raw),
                0x19 => self.tr = segment_of(raw),
                0x1a => self.idtr = (raw[1], (raw[0] >> 48) as u16),
                0x1b => self.gdtr = (raw[1], (raw[0] >> 48) as u16),
                0x1c => self.cr0 = raw[0],
                0x1d => self.cr2 = raw[0],
                0x25 => self.dr6 = raw[0],
                0x1010..=0x1019 => {
                    let q = u128::from(raw[0]) | (u128::from(raw[1]) << 64);
                    match x {
                        0x1018 => self.fpcs = q,
                        0x1019 => self.xmmcs = q,
                        _ => self.fp[(x - 0x1010) as usize] = q,
                    }
                }
                x if x == WHvRegisterInterruptState.0 => self.interrupt_state = raw[0],
                0x1000..=0x100f => {
                    self.xmm[(x - 0x1000) as usize] =
                        u128::from(raw[0]) | (u128::from(raw[1]) << 64)
                }
                x if x == WHvRegisterPendingInterruption.0 => self.pending = raw[0],
                _ => return E_INVALIDARG,
            }
        }
        S_OK
    }

    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        _flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        self.translate_calls += 1;
        if self.fail_translate {
            return E_FAIL;
        }
        assert_eq!(gva & 0xfff, 0, "gva not page aligned");
        if let Some(code) = self.bad_pages.get(&gva) {
            *result = *code;
            return S_OK;
        }
        let page = match &self.pages {
            None => Some(gva),
            Some(m) => m.get(&gva).copied(),
        };
        match page {
            Some(p) => {
                *result = WHvTranslateGvaResultSuccess;
                *gpa = if self.misalign_gpa { p | 0x10 } else { p };
            }
            None => *result = WHvTranslateGvaResultPageNotPresent,
        }
        S_OK
    }
}

/// The two 64-bit halves of a register value.
#[allow(unsafe_code, reason = "reading the C union WHV_REGISTER_VALUE")]
fn bits128(v: &WHV_REGISTER_VALUE) -> [u64; 2] {
    // SAFETY: the union is 16 initialized bytes; `WHV_UINT128_0` is two
    // `u64`s, valid for any bit pattern.
    let h = unsafe { v.Reg128.Anonymous };
    [h.Low64, h.High64]
}

/// A segment register from its raw 128 bits (Base, Limit, Selector,
/// Attributes).
fn segment_of(raw: [u64; 2]) -> WHV_X64_SEGMENT_REGISTER {
    WHV_X64_SEGMENT_REGISTER {
        Base: raw[0],
        Limit: raw[1] as u32,
        Selector: (raw[1] >> 32) as u16,
        Attributes: (raw[1] >> 48) as u16,
    }
}

/// Status bits, as the header names them.
pub const OK: u32 = 1;
pub const INTERNAL: u32 = 1 << 1;
pub const IO_FAILED: u32 = 1 << 2;
pub const MEM_FAILED: u32 = 1 << 3;
pub const TRANSLATE_FAILED: u32 = 1 << 4;
pub const NOT_ALIGNED: u32 = 1 << 5;
pub const GET_FAILED: u32 = 1 << 6;
pub const SET_FAILED: u32 = 1 << 7;
pub const INTERRUPT: u32 = 1 << 8;
pub const CANNOT_FAULT: u32 = 1 << 9;

/// Places `code` at CS:RIP and runs MMIO emulation with the code as the
/// exit's instruction bytes; returns the status bits.
pub fn mmio(vp: &mut Vp, code: &[u8]) -> u32 {
    vp.place_code(code);
    mmio_given(vp, code, code.len().min(16))
}

/// As [`mmio`], but the exit context carries only the first `given` bytes
/// (the code must already be in memory).
pub fn mmio_given(vp: &mut Vp, code: &[u8], given: usize) -> u32 {
    let mut ctx = WHV_MEMORY_ACCESS_CONTEXT::default();
    let n = given.min(code.len()).min(16);
    ctx.InstructionByteCount = n as u8;
    ctx.InstructionBytes[..n].copy_from_slice(&code[..n]);
    let vpc = vp.vp_context();
    let mut emu = winhv_emu::Emulator::new();
    emu.try_mmio_emulation(vp, &vpc, &ctx)
        .expect("well-formed context")
        .AsUINT32
}

/// Places `code` and runs I/O emulation for an exit on `port`.
pub fn io(
    vp: &mut Vp,
    code: &[u8],
    port: u16,
    size: u32,
    write: bool,
    string: bool,
    rep: bool,
) -> u32 {
    vp.place_code(code);
    let mut ctx = WHV_X64_IO_PORT_ACCESS_CONTEXT::default();
    let n = code.len().min(16);
    ctx.InstructionByteCount = n as u8;
    ctx.InstructionBytes[..n].copy_from_slice(&code[..n]);
    ctx.AccessInfo.set_is_write(u32::from(write));
    ctx.AccessInfo.set_access_size(size);
    ctx.AccessInfo.set_string_op(u32::from(string));
    ctx.AccessInfo.set_rep_prefix(u32::from(rep));
    ctx.PortNumber = port;
    ctx.Rax = vp.gpr[0];
    ctx.Rcx = vp.gpr[1];
    ctx.Rsi = vp.gpr[6];
    ctx.Rdi = vp.gpr[7];
    ctx.Ds = vp.seg[3];
    ctx.Es = vp.seg[0];
    let vpc = vp.vp_context();
    let mut emu = winhv_emu::Emulator::new();
    emu.try_io_emulation(vp, &vpc, &ctx)
        .expect("well-formed context")
        .AsUINT32
}

/// The pending interruption as (vector, error code or None).
pub fn pending(vp: &Vp) -> Option<(u8, Option<u32>)> {
    let p = WHV_X64_PENDING_INTERRUPTION_REGISTER {
        AsUINT64: vp.pending,
    };
    if p.interruption_pending() == 0 {
        return None;
    }
    assert_eq!(p.interruption_type(), 3, "an exception");
    let code = if p.deliver_error_code() != 0 {
        Some(p.error_code() as u32)
    } else {
        None
    };
    Some((p.interruption_vector() as u8, code))
}

/// A tiny deterministic PRNG (xorshift64*), for reproducible random cases.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Register indices.
pub const RAX: usize = 0;
pub const RCX: usize = 1;
pub const RDX: usize = 2;
pub const RBX: usize = 3;
pub const RSP: usize = 4;
pub const RBP: usize = 5;
pub const RSI: usize = 6;
pub const RDI: usize = 7;
/// RFLAGS bits.
pub const CF: u64 = 1;
pub const PF: u64 = 4;
pub const AF: u64 = 0x10;
pub const ZF: u64 = 0x40;
pub const SF: u64 = 0x80;
pub const DF: u64 = 0x400;
pub const OF: u64 = 0x800;
