//! Running one generated case twice through the winhv public API — data
//! window in RAM, then in MMIO served by winhv-emu — and comparing the
//! final states.

use winhv::defs::*;
use winhv_guest::{Guest, Registers, pte};

use super::cases::{Case, DATA, DATA_LEN, FLAGS, SCRATCH, SCRATCH_LEN};
use super::vmm::{RamDevice, run_to_halt};
use super::{TestVm, set_registers};

/// Where the data window lives in RAM for the reference run.
const RAM_DATA: u64 = 0x10_0000;
/// The stacks (kernel 0x6000.., user 0x7000..0x8000 in the default layout).
const STACKS: (u64, usize) = (0x6000, 0x2000);

/// One side of the comparison: a partition running the guest image.
pub struct Side {
    vm: TestVm,
    regs: Registers,
    entry: u64,
    image_stacks: Vec<u8>,
    mmio: bool,
    exception_port: u16,
}

/// The state compared at the end of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// RAX..R14 without RSP (index 4 is 0); R15 = the snippet's RFLAGS,
    /// masked to the compared flags.
    pub gpr: [u64; 16],
    pub xmm: [u128; 4],
    pub exceptions: Vec<u64>,
    pub data: Vec<u8>,
    pub scratch: Vec<u8>,
    pub stacks: Vec<u8>,
    /// MMIO exits the emulated side took (not compared).
    pub mmio_exits: usize,
}

impl Side {
    /// A partition whose data window is RAM (`mmio` false) or unmapped
    /// GPAs (`mmio` true); CPL3 when `user`.
    pub fn new(mmio: bool, user: bool) -> Side {
        let mut g = Guest::new(0, 1 << 21).unwrap();
        let entry = g.layout().code;
        let exception_port = g.layout().exception_port;
        if !mmio {
            for page in 0..(DATA_LEN as u64 / 0x1000) {
                g.map_4k(DATA + page * 0x1000, RAM_DATA + page * 0x1000, pte::RW_USER)
                    .unwrap();
            }
        } else {
            // Identity: GPA DATA is outside the image, so unmapped (MMIO).
            for page in 0..(DATA_LEN as u64 / 0x1000) {
                g.map_4k(DATA + page * 0x1000, DATA + page * 0x1000, pte::RW_USER)
                    .unwrap();
            }
        }
        let regs = if user {
            g.long64_user(entry).unwrap()
        } else {
            g.long64(entry).unwrap()
        };
        let image_stacks = g.memory().as_bytes()[STACKS.0 as usize..][..STACKS.1].to_vec();
        let vm = TestVm::new(&g, &regs);
        Side {
            vm,
            regs,
            entry,
            image_stacks,
            mmio,
            exception_port,
        }
    }

    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// Loads `case` and runs it to HLT.
    pub fn run(&self, case: &Case) -> Result<State, String> {
        let p = &self.vm.p;
        p.write_gpa_range(self.entry, &case.code).unwrap();
        p.write_gpa_range(SCRATCH, &case.scratch).unwrap();
        p.write_gpa_range(STACKS.0, &self.image_stacks).unwrap();
        let mut dev = RamDevice {
            base: DATA,
            ..Default::default()
        };
        if self.mmio {
            dev.bytes = case.data.clone();
        } else {
            p.write_gpa_range(RAM_DATA, &case.data).unwrap();
        }
        let mut r = self.regs;
        let g = case.gpr;
        (r.rax, r.rcx, r.rdx, r.rbx) = (g[0], g[1], g[2], g[3]);
        (r.rbp, r.rsi, r.rdi) = (g[5], g[6], g[7]);
        (r.r8, r.r9, r.r10, r.r11) = (g[8], g[9], g[10], g[11]);
        (r.r12, r.r13, r.r14, r.r15) = (g[12], g[13], g[14], g[15]);
        r.rflags = (r.rflags & !FLAGS) | case.rflags;
        set_registers(p, 0, &r);
        let names = [
            WHvX64RegisterXmm0,
            WHvX64RegisterXmm1,
            WHvX64RegisterXmm2,
            WHvX64RegisterXmm3,
        ];
        let values = case.xmm.map(|x| WHV_REGISTER_VALUE {
            Reg128: WHV_UINT128 {
                Anonymous: WHV_UINT128_0 {
                    Low64: x as u64,
                    High64: (x >> 64) as u64,
                },
            },
        });
        p.set_vp_registers(0, &names, &values).unwrap();

        let outcome = run_to_halt(p, &mut dev, self.exception_port, 64)?;
        if std::env::var_os("WINHV_DIFF_TRACE").is_some() && !outcome.exceptions.is_empty() {
            let mut rec = [0u8; 88];
            p.read_gpa_range(0x3000, &mut rec).unwrap();
            let f: Vec<u64> = rec
                .chunks(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            println!("  exception record (vector error rip cs rflags rsp ss cr2 ...): {f:x?}");
        }

        let gpr_names = [
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
        ];
        let mut v = [WHV_REGISTER_VALUE::default(); 16];
        p.get_vp_registers(0, &gpr_names, &mut v).unwrap();
        // SAFETY: GPRs come back through Reg64.
        let mut gpr = v.map(|x| unsafe { x.Reg64 });
        gpr[4] = 0;
        gpr[15] &= FLAGS & !case.undefined;
        let mut xv = [WHV_REGISTER_VALUE::default(); 4];
        p.get_vp_registers(0, &names, &mut xv).unwrap();
        let xmm = xv.map(|x| {
            // SAFETY: XMM registers come back through Reg128.
            let r = unsafe { x.Reg128 };
            // SAFETY: both halves of a WHV_UINT128 are plain u64s.
            let q = unsafe { r.Anonymous };
            u128::from(q.Low64) | (u128::from(q.High64) << 64)
        });
        let data = if self.mmio {
            dev.bytes
        } else {
            let mut d = vec![0; DATA_LEN];
            p.read_gpa_range(RAM_DATA, &mut d).unwrap();
            d
        };
        let mut scratch = vec![0; SCRATCH_LEN];
        p.read_gpa_range(SCRATCH, &mut scratch).unwrap();
        let mut stacks = vec![0; STACKS.1];
        p.read_gpa_range(STACKS.0, &mut stacks).unwrap();
        Ok(State {
            gpr,
            xmm,
            exceptions: outcome.exceptions,
            data,
            scratch,
            stacks,
            mmio_exits: outcome.mmio_exits,
        })
    }
}

/// The differences between two states, in words ("" when equal, ignoring
/// `mmio_exits`).
pub fn diff(a: &State, b: &State) -> String {
    let mut out = String::new();
    for i in 0..16 {
        if a.gpr[i] != b.gpr[i] {
            let name = if i == 15 {
                "flags".to_string()
            } else {
                format!("r{i}")
            };
            out.push_str(&format!(
                "  {name}: ram {:#x} mmio {:#x}\n",
                a.gpr[i], b.gpr[i]
            ));
        }
    }
    for i in 0..4 {
        if a.xmm[i] != b.xmm[i] {
            out.push_str(&format!(
                "  xmm{i}: ram {:#x} mmio {:#x}\n",
                a.xmm[i], b.xmm[i]
            ));
        }
    }
    if a.exceptions != b.exceptions {
        out.push_str(&format!(
            "  exceptions: ram {:x?} mmio {:x?}\n",
            a.exceptions, b.exceptions
        ));
    }
    for (name, x, y) in [
        ("data", &a.data, &b.data),
        ("scratch", &a.scratch, &b.scratch),
        ("stacks", &a.stacks, &b.stacks),
    ] {
        if let Some(i) = x.iter().zip(y.iter()).position(|(p, q)| p != q) {
            let end = (i + 16).min(x.len());
            out.push_str(&format!(
                "  {name}+{i:#x}: ram {:02x?} mmio {:02x?}\n",
                &x[i..end],
                &y[i..end]
            ));
        }
    }
    out
}
