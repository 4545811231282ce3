//! The partition the translation tests walk: a 2 MiB guest image mapped
//! RWX at GPA 0 (code, GDT, the test's page tables), plus one page of each
//! kind of guest-physical memory a paging structure can be moved to —
//! read-only, mapped without access, host memory reserved `PROT_NONE` —
//! and an address nothing is mapped at. Helpers read and edit entries and
//! registers through the public API.

use winhv::defs::*;
use winhv_guest::segment::Segment;
use winhv_guest::{Guest, Registers};

use crate::common::{HostMem, TestVm, get64, set64};

/// The image size (mapped RWX at GPA 0).
pub const IMAGE: usize = 2 << 20;
/// The test's page-table pool inside the image.
pub const POOL: u64 = 0x10_0000;
/// One past the pool.
pub const POOL_END: u64 = 0x1f_0000;
/// A page mapped Read|Execute (a `KVM_MEM_READONLY` slot).
pub const RO_GPA: u64 = 0x40_0000;
/// A page mapped with `WHvMapGpaRangeFlagNone` (no guest access).
pub const NO_ACCESS_GPA: u64 = 0x50_0000;
/// A page mapped RWX whose host memory is `PROT_NONE` (reserved, not
/// committed).
pub const PROT_NONE_GPA: u64 = 0x60_0000;
/// An address no range covers.
pub const UNMAPPED_GPA: u64 = 0x7000_0000;

/// A set-up partition with VP 0 and the extra ranges above.
pub struct Vm {
    /// The partition and its image (dropped first).
    pub vm: TestVm,
    /// Host memory of the extra ranges (outlives the partition).
    _extra: Vec<HostMem>,
}

impl Vm {
    /// Maps `guest`'s image and the extra ranges, loads `regs` into VP 0.
    pub fn new(guest: &Guest, regs: &Registers) -> Vm {
        let vm = TestVm::new(guest, regs);
        let read_only = HostMem::rw(0x1000);
        let no_access = HostMem::rw(0x1000);
        let prot_none = HostMem::new(0x1000, libc::PROT_NONE);
        let ranges = [
            (
                &read_only,
                RO_GPA,
                WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute,
            ),
            (&no_access, NO_ACCESS_GPA, WHvMapGpaRangeFlagNone),
            (&prot_none, PROT_NONE_GPA, crate::common::rwx()),
        ];
        for (mem, gpa, flags) in ranges {
            // SAFETY: the host memory is kept in the returned `Vm`, whose
            // partition (in `vm`) is dropped before `_extra`.
            unsafe { vm.p.map_gpa_range(mem.ptr.cast(), gpa, 0x1000, flags) }.expect("map extra");
        }
        Vm {
            vm,
            _extra: vec![read_only, no_access, prot_none],
        }
    }

    /// WHvTranslateGva on VP 0: the result code and the GPA.
    pub fn tr(
        &self,
        gva: u64,
        flags: WHV_TRANSLATE_GVA_FLAGS,
    ) -> (WHV_TRANSLATE_GVA_RESULT_CODE, u64) {
        let (r, gpa) = self
            .vm
            .p
            .translate_gva(0, gva, flags)
            .unwrap_or_else(|e| panic!("WHvTranslateGva({gva:#x}, {flags:?}) failed: {e:?}"));
        (r.ResultCode, gpa)
    }

    /// The result code alone.
    pub fn code(&self, gva: u64, flags: WHV_TRANSLATE_GVA_FLAGS) -> WHV_TRANSLATE_GVA_RESULT_CODE {
        self.tr(gva, flags).0
    }

    /// Reads an entry of 8 (`wide`) or 4 bytes at `gpa`.
    pub fn entry(&self, gpa: u64, wide: bool) -> u64 {
        let mut b = [0u8; 8];
        let n = if wide { 8 } else { 4 };
        self.vm
            .p
            .read_gpa_range(gpa, &mut b[..n])
            .expect("read entry");
        u64::from_le_bytes(b)
    }

    /// Writes an entry of 8 (`wide`) or 4 bytes at `gpa`.
    pub fn set_entry(&self, gpa: u64, wide: bool, value: u64) {
        let n = if wide { 8 } else { 4 };
        self.vm
            .p
            .write_gpa_range(gpa, &value.to_le_bytes()[..n])
            .expect("write entry");
    }

    /// Copies the 4 KiB page at `from` to `to` (any access).
    pub fn copy_page(&self, from: u64, to: u64) {
        let mut b = vec![0u8; 0x1000];
        self.vm.p.read_gpa_range(from, &mut b).expect("read page");
        self.vm.p.write_gpa_range(to, &b).expect("write page");
    }

    /// A 64-bit register of VP 0.
    pub fn reg(&self, name: WHV_REGISTER_NAME) -> u64 {
        get64(&self.vm.p, 0, name)
    }

    /// Sets a 64-bit register of VP 0.
    pub fn set_reg(&self, name: WHV_REGISTER_NAME, value: u64) {
        set64(&self.vm.p, 0, name, value)
    }

    /// Sets a segment register of VP 0.
    pub fn set_segment(&self, name: WHV_REGISTER_NAME, s: &Segment) {
        let mut v = WHV_REGISTER_VALUE::default();
        v.Segment = WHV_X64_SEGMENT_REGISTER {
            Base: s.base,
            Limit: s.limit,
            Selector: s.selector,
            Attributes: s.attributes,
        };
        self.vm
            .p
            .set_vp_registers(0, &[name], &[v])
            .expect("set segment");
    }

    /// Runs VP 0 once: the exit reason, or the error's HRESULT as text.
    pub fn run(&self) -> Result<WHV_RUN_VP_EXIT_REASON, String> {
        self.vm
            .p
            .run_vp(0)
            .map(|e| e.ExitReason)
            .map_err(|e| format!("{e:?}"))
    }
}
