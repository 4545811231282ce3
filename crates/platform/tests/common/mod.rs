//! Shared helpers of the platform's integration tests: a partition with one
//! block of mmap'd guest memory loaded from a `winhv_guest::Guest`, register
//! loading, and the one-line skip where `/dev/kvm` is missing.
#![allow(dead_code, reason = "each test file uses a subset")]

use winhv::Partition;
use winhv::defs::*;
use winhv_guest::registers::Registers;
use winhv_guest::segment::{Segment, TableRegister};

/// True when `/dev/kvm` exists; otherwise prints the skip line.
pub fn kvm_available() -> bool {
    if std::path::Path::new("/dev/kvm").exists() {
        true
    } else {
        println!("SKIPPED: no /dev/kvm");
        false
    }
}

/// Page-aligned anonymous host memory, unmapped on drop.
pub struct HostMem {
    pub ptr: *mut u8,
    pub len: usize,
}

// SAFETY: plain memory owned by this value.
unsafe impl Send for HostMem {}
// SAFETY: shared use only reads the address or goes through KVM.
unsafe impl Sync for HostMem {}

impl HostMem {
    /// `len` bytes with protection `prot`.
    pub fn new(len: usize, prot: i32) -> HostMem {
        // SAFETY: a fresh anonymous mapping.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED);
        HostMem {
            ptr: ptr.cast(),
            len,
        }
    }

    /// Read/write memory.
    pub fn rw(len: usize) -> HostMem {
        Self::new(len, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// Changes the protection of `[offset, offset + len)`.
    pub fn protect(&self, offset: usize, len: usize, prot: i32) {
        assert!(offset + len <= self.len);
        let at = self.ptr.wrapping_add(offset).cast();
        // SAFETY: inside our own mapping.
        let r = unsafe { libc::mprotect(at, len, prot) };
        assert_eq!(r, 0);
    }

    /// The bytes (the memory must be readable).
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: our mapping, `len` bytes.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Copies `data` to `offset` (the memory must be writable).
    pub fn write(&self, offset: usize, data: &[u8]) {
        assert!(offset + data.len() <= self.len);
        let at = self.ptr.wrapping_add(offset);
        // SAFETY: inside our mapping (checked above), which is writable.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), at, data.len()) };
    }
}

impl Drop for HostMem {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// Read, write and execute.
pub fn rwx() -> WHV_MAP_GPA_RANGE_FLAGS {
    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute
}

/// A set-up partition with `vps` VPs created.
pub fn partition(vps: u32) -> Partition {
    let p = Partition::create().expect("create");
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &vps.to_le_bytes())
        .expect("processor count");
    p.setup().expect("setup");
    for i in 0..vps {
        p.create_vp(i).expect("create vp");
    }
    p
}

/// A partition running a guest image: the memory (kept alive here) and
/// the partition (dropped first).
pub struct TestVm {
    pub p: Partition,
    pub mem: HostMem,
}

impl TestVm {
    /// Maps a copy of `guest`'s memory (RWX) and loads `regs` into VP 0.
    pub fn new(guest: &winhv_guest::Guest, regs: &Registers) -> TestVm {
        Self::from_image(guest.memory(), regs)
    }

    /// Maps a copy of `image` (RWX) and loads `regs` into VP 0.
    pub fn from_image(image: &winhv_guest::GuestMemory, regs: &Registers) -> TestVm {
        let mem = HostMem::rw(image.size() as usize);
        mem.write(0, image.as_bytes());
        let p = partition(1);
        // SAFETY: `mem` lives in the same TestVm, declared after `p`, so it
        // is dropped after the partition.
        unsafe { p.map_gpa_range(mem.ptr.cast(), image.base(), image.size(), rwx()) }.expect("map");
        set_registers(&p, 0, regs);
        TestVm { p, mem }
    }

    /// Runs VP 0 once.
    pub fn run(&self) -> WHV_RUN_VP_EXIT_CONTEXT {
        self.p.run_vp(0).expect("run")
    }

    /// Reads a 64-bit register of VP 0.
    pub fn reg(&self, name: WHV_REGISTER_NAME) -> u64 {
        get64(&self.p, 0, name)
    }

    /// Writes a 64-bit register of VP 0.
    pub fn set_reg(&self, name: WHV_REGISTER_NAME, v: u64) {
        set64(&self.p, 0, name, v)
    }

    /// Advances RIP past the instruction of the last exit, as a VMM does.
    pub fn skip(&self, exit: &WHV_RUN_VP_EXIT_CONTEXT) {
        let len = u64::from(exit.VpContext.instruction_length());
        assert_ne!(len, 0, "exit without an instruction length");
        self.set_reg(WHvX64RegisterRip, exit.VpContext.Rip + len);
    }
}

/// Reads a 64-bit register.
pub fn get64(p: &Partition, vp: u32, name: WHV_REGISTER_NAME) -> u64 {
    let mut v = [WHV_REGISTER_VALUE::default()];
    p.get_vp_registers(vp, &[name], &mut v)
        .expect("get register");
    // SAFETY: 64-bit registers are returned through Reg64.
    unsafe { v[0].Reg64 }
}

/// Writes a 64-bit register.
pub fn set64(p: &Partition, vp: u32, name: WHV_REGISTER_NAME, value: u64) {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = value;
    p.set_vp_registers(vp, &[name], &[v]).expect("set register");
}

fn seg(s: &Segment) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Segment = WHV_X64_SEGMENT_REGISTER {
        Base: s.base,
        Limit: s.limit,
        Selector: s.selector,
        Attributes: s.attributes,
    };
    v
}

fn table(t: &TableRegister) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Table = WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: t.limit,
        Base: t.base,
    };
    v
}

fn r64(x: u64) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Reg64 = x;
    v
}

/// Loads a `winhv_guest` register state into VP `vp`.
pub fn set_registers(p: &Partition, vp: u32, r: &Registers) {
    try_set_registers(p, vp, r).expect("set registers");
}

/// As [`set_registers`], returning the error.
pub fn try_set_registers(p: &Partition, vp: u32, r: &Registers) -> winhv::Result<()> {
    let names = [
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
        WHvX64RegisterRip,
        WHvX64RegisterRflags,
        WHvX64RegisterCr0,
        WHvX64RegisterCr3,
        WHvX64RegisterCr4,
        WHvX64RegisterEfer,
        WHvX64RegisterCs,
        WHvX64RegisterDs,
        WHvX64RegisterEs,
        WHvX64RegisterFs,
        WHvX64RegisterGs,
        WHvX64RegisterSs,
        WHvX64RegisterTr,
        WHvX64RegisterLdtr,
        WHvX64RegisterGdtr,
        WHvX64RegisterIdtr,
    ];
    let g = r.gprs();
    let mut values: Vec<WHV_REGISTER_VALUE> = g.iter().map(|&x| r64(x)).collect();
    values.extend([
        r64(r.rip),
        r64(r.rflags),
        r64(r.cr0),
        r64(r.cr3),
        r64(r.cr4),
        r64(r.efer),
    ]);
    values.extend([
        seg(&r.cs),
        seg(&r.ds),
        seg(&r.es),
        seg(&r.fs),
        seg(&r.gs),
        seg(&r.ss),
        seg(&r.tr),
        seg(&r.ldtr),
    ]);
    values.extend([table(&r.gdtr), table(&r.idtr)]);
    p.set_vp_registers(vp, &names, &values)
}
