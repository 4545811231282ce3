//! Register tests on a real vCPU: every backed name round-trips through KVM
//! (before the first run and across a run), values written are seen by
//! guest code, unbacked names fail the whole batch, and the cost rules hold
//! (counted ioctls). Guests are tiny 32-bit protected-mode programs (PVM
//! emulates CPL0 code slowly).

#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

use kvm_bindings::{
    KVM_CAP_EXCEPTION_PAYLOAD, KVM_CAP_SPLIT_IRQCHIP, KVM_MAX_CPUID_ENTRIES, kvm_enable_cap,
    kvm_userspace_memory_region,
};
use kvm_ioctls::{Kvm, VmFd};

use crate::vcpu::Vcpu;
use winhv_defs::*;

use super::cache::RegisterState;
use super::value;

const MEM_SIZE: usize = 0x10000;
const CODE: u64 = 0x1000;
const HLT_AT: u64 = 0x1100;
const HANDLER: u64 = 0x1200;
const PF_HANDLER: u64 = 0x1300;
const LONG_CODE: u64 = 0x1400;
const DATA: u64 = 0x3000;
const IDT: u64 = 0x9000;
const GDT: u64 = 0xd000;

/// Guest memory: an anonymous mapping, unmapped on drop.
struct Memory(*mut u8);

impl Memory {
    fn new() -> Memory {
        // SAFETY: a fresh anonymous mapping; the result is checked.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MEM_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        Memory(p.cast())
    }

    fn write(&self, gpa: u64, bytes: &[u8]) {
        assert!(gpa as usize + bytes.len() <= MEM_SIZE);
        // SAFETY: in bounds of the mapping (checked above).
        let dst = unsafe { self.0.add(gpa as usize) };
        // SAFETY: `dst..dst + len` is inside the mapping; the guest is not
        // running.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
    }

    fn read_u32(&self, gpa: u64) -> u32 {
        assert!(gpa as usize + 4 <= MEM_SIZE);
        // SAFETY: in bounds of the mapping (checked above).
        let src = unsafe { self.0.add(gpa as usize) };
        // SAFETY: four bytes inside the mapping; the guest is not running.
        unsafe { std::ptr::read_unaligned(src.cast::<u32>()) }
    }

    fn read_u64(&self, gpa: u64) -> u64 {
        u64::from(self.read_u32(gpa)) | u64::from(self.read_u32(gpa + 4)) << 32
    }

    fn read_u128(&self, gpa: u64) -> u128 {
        assert!(gpa as usize + 16 <= MEM_SIZE);
        // SAFETY: in bounds of the mapping (checked above).
        let src = unsafe { self.0.add(gpa as usize) };
        // SAFETY: sixteen bytes inside the mapping; the guest is not running.
        unsafe { std::ptr::read_unaligned(src.cast::<u128>()) }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`; the VM using it is dropped first
        // (field order in `Guest`).
        unsafe { libc::munmap(self.0.cast(), MEM_SIZE) };
    }
}

/// A VM with one vCPU and 64 KiB of memory at GPA 0.
struct Guest {
    vcpu: Vcpu,
    vm: VmFd,
    mem: Memory,
    regs: RegisterState,
}

fn guest() -> Option<Guest> {
    guest_with(false)
}

/// A guest, with the in-kernel LAPIC (split irqchip) when `lapic`.
fn guest_with(lapic: bool) -> Option<Guest> {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return None;
    }
    let kvm = Kvm::new().expect("open /dev/kvm");
    let vm = kvm.create_vm().expect("KVM_CREATE_VM");
    let mem = Memory::new();
    let region = kvm_userspace_memory_region {
        slot: 0,
        guest_phys_addr: 0,
        memory_size: MEM_SIZE as u64,
        userspace_addr: mem.0 as u64,
        flags: 0,
    };
    if lapic {
        let mut cap = kvm_enable_cap {
            cap: KVM_CAP_SPLIT_IRQCHIP,
            ..Default::default()
        };
        cap.args[0] = 24;
        vm.enable_cap(&cap).expect("KVM_CAP_SPLIT_IRQCHIP");
    }
    // SAFETY: the region is our mapping, which outlives the VM (`Guest`
    // drops the VM before the memory).
    unsafe { vm.set_user_memory_region(region) }.expect("KVM_SET_USER_MEMORY_REGION");
    let vcpu = vm.create_vcpu(0).expect("KVM_CREATE_VCPU");
    let cpuid = kvm
        .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
        .expect("KVM_GET_SUPPORTED_CPUID");
    vcpu.set_cpuid2(&cpuid).expect("KVM_SET_CPUID2");
    Some(Guest {
        vcpu: Vcpu::for_test(vcpu),
        vm,
        mem,
        regs: RegisterState::new(),
    })
}

impl Guest {
    fn set(&mut self, pairs: &[(WHV_REGISTER_NAME, WHV_REGISTER_VALUE)]) -> crate::Result<()> {
        let names: Vec<_> = pairs.iter().map(|p| p.0).collect();
        let values: Vec<_> = pairs.iter().map(|p| p.1).collect();
        self.regs.set(&mut self.vcpu, &names, &values)
    }

    fn get(&mut self, names: &[WHV_REGISTER_NAME]) -> crate::Result<Vec<WHV_REGISTER_VALUE>> {
        let mut values = vec![WHV_REGISTER_VALUE::default(); names.len()];
        self.regs.get(&mut self.vcpu, names, &mut values)?;
        Ok(values)
    }

    fn get64(&mut self, name: WHV_REGISTER_NAME) -> u64 {
        value::u64_of(&self.get(&[name]).unwrap()[0])
    }

    /// Runs until HLT (the only exit these guests make).
    fn run_to_hlt(&mut self) {
        self.regs.before_run(&mut self.vcpu).expect("before_run");
        let exit = match self.vcpu.run() {
            Ok(()) if self.vcpu.area().exit_reason() == kvm_bindings::KVM_EXIT_HLT => Ok(()),
            Ok(()) => Err(format!("exit reason {}", self.vcpu.area().exit_reason())),
            Err(errno) => Err(format!("KVM_RUN: errno {errno}")),
        };
        self.regs.after_run(&mut self.vcpu);
        if let Err(e) = exit {
            let rip = self.get64(WHvX64RegisterRip);
            panic!("unexpected exit {e} at RIP {rip:#x}");
        }
    }

    /// Flat 32-bit protected mode, paging off, code at `rip`, stack below
    /// 0x8000, SSE enabled (CR4.OSFXSR), a GDT at GDT (null, code 8, data
    /// 0x10) for interrupt delivery.
    fn protected_mode(&mut self, rip: u64) {
        let gdt: [u64; 3] = [0, 0x00cf_9b00_0000_ffff, 0x00cf_9300_0000_ffff];
        for (i, d) in gdt.iter().enumerate() {
            self.mem.write(GDT + 8 * i as u64, &d.to_le_bytes());
        }
        let code = seg(0, 0xffff_ffff, 0x8, 0xc09b);
        let data = seg(0, 0xffff_ffff, 0x10, 0xc093);
        self.set(&[
            (WHvX64RegisterCs, code),
            (WHvX64RegisterDs, data),
            (WHvX64RegisterEs, data),
            (WHvX64RegisterSs, data),
            (WHvX64RegisterFs, data),
            (WHvX64RegisterGs, data),
            (WHvX64RegisterCr0, v64(0x33)),
            (WHvX64RegisterCr4, v64(0x600)),
            (WHvX64RegisterRip, v64(rip)),
            (WHvX64RegisterRsp, v64(0x8000)),
            (WHvX64RegisterRflags, v64(0x2)),
            (WHvX64RegisterGdtr, table(GDT, 0x17)),
        ])
        .expect("protected mode registers");
    }
}

fn v64(x: u64) -> WHV_REGISTER_VALUE {
    value::from_u64(x)
}

fn v128(x: u128) -> WHV_REGISTER_VALUE {
    value::from_u128(x)
}

fn seg(base: u64, limit: u32, selector: u16, attributes: u16) -> WHV_REGISTER_VALUE {
    value::from_segment(WHV_X64_SEGMENT_REGISTER {
        Base: base,
        Limit: limit,
        Selector: selector,
        Attributes: attributes,
    })
}

fn table(base: u64, limit: u16) -> WHV_REGISTER_VALUE {
    value::from_table(WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: limit,
        Base: base,
    })
}

/// The 16 bytes of a value as one number, for comparisons.
fn bits(v: &WHV_REGISTER_VALUE) -> u128 {
    value::u128_of(v)
}

/// The registers and valid values of the round trip, excluding MSRs.
fn core_values() -> Vec<(WHV_REGISTER_NAME, WHV_REGISTER_VALUE)> {
    let mut v = vec![];
    for i in 0..16 {
        v.push((
            WHV_REGISTER_NAME(WHvX64RegisterRax.0 + i),
            v64(0x0101_0101_0101_0101 * (i as u64 + 1)),
        ));
    }
    // RSP is the stack of the HLT program; any value works.
    v.extend([
        (WHvX64RegisterRip, v64(HLT_AT)),
        (WHvX64RegisterRflags, v64(0x83)),
        (WHvX64RegisterCs, seg(0, 0xffff_ffff, 0x8, 0xc09b)),
        (WHvX64RegisterSs, seg(0, 0xffff_ffff, 0x10, 0xc093)),
        (WHvX64RegisterDs, seg(0x10_0000, 0xf_ffff, 0x10, 0x4093)),
        (WHvX64RegisterEs, seg(0, 0xffff_ffff, 0x10, 0xc093)),
        (WHvX64RegisterFs, seg(0x123_4000, 0xffff_ffff, 0x10, 0xc093)),
        (WHvX64RegisterGs, seg(0x567_8000, 0xffff_ffff, 0x10, 0xc093)),
        (WHvX64RegisterLdtr, seg(0x7000, 0xff, 0x20, 0x0082)),
        (WHvX64RegisterTr, seg(0x6000, 0x67, 0x18, 0x008b)),
        (WHvX64RegisterGdtr, table(0x8000, 0x2f)),
        (WHvX64RegisterIdtr, table(IDT, 0x7ff)),
        (WHvX64RegisterCr0, v64(0x33)),
        (WHvX64RegisterCr2, v64(0xdead_b000)),
        (WHvX64RegisterCr3, v64(0x5000)),
        (WHvX64RegisterCr4, v64(0x600)),
        (WHvX64RegisterCr8, v64(5)),
        (WHvX64RegisterEfer, v64(0x801)),
        (WHvX64RegisterApicBase, v64(0xfee0_0900)),
        (WHvX64RegisterDr0, v64(0x1000)),
        (WHvX64RegisterDr1, v64(0x2000)),
        (WHvX64RegisterDr2, v64(0x3000)),
        (WHvX64RegisterDr3, v64(0x4000)),
        (WHvX64RegisterDr6, v64(0xffff_0ff1)),
        (WHvX64RegisterDr7, v64(0x400)),
        (
            WHvX64RegisterFpControlStatus,
            v128(0x027f | 0x3800_u128 << 16 | 0x81_u128 << 32),
        ),
        (WHvX64RegisterXmmControlStatus, v128(0x7f80_u128 << 64)),
        (WHvRegisterInterruptState, v64(2)),
        (WHvX64RegisterDeliverabilityNotifications, v64(2)),
        (WHvRegisterInternalActivityState, v64(0)),
    ]);
    for i in 0..16 {
        let x =
            0x1122_3344_5566_7788_99aa_bbcc_ddee_ff00_u128.rotate_left(8 * i as u32) ^ i as u128;
        v.push((WHV_REGISTER_NAME(WHvX64RegisterXmm0.0 + i), v128(x)));
    }
    for i in 0..8 {
        let x = (0x3fff_u128 + i as u128) << 64 | 0x8000_0000_0000_0000 | i as u128;
        v.push((WHV_REGISTER_NAME(WHvX64RegisterFpMmx0.0 + i), v128(x)));
    }
    v
}

/// MSR names and a value KVM accepts for each (None: write back what is
/// read — read-only or host-derived).
fn msr_values(maxphyaddr: u32) -> Vec<(WHV_REGISTER_NAME, Option<u64>)> {
    let phys_mask = ((1u64 << maxphyaddr) - 1) & !0xfff;
    let mut v = vec![
        (WHvX64RegisterTsc, Some(0x1_0000_0000)),
        (WHvX64RegisterKernelGsBase, Some(0xffff_8000_1234_5000)),
        (WHvX64RegisterPat, Some(0x0007_0406_0007_0406)),
        (WHvX64RegisterSysenterCs, Some(0x10)),
        (WHvX64RegisterSysenterEsp, Some(0xffff_8000_0000_1000)),
        (WHvX64RegisterSysenterEip, Some(0xffff_8000_0000_2000)),
        (WHvX64RegisterStar, Some(0x0023_0010_0000_0000)),
        (WHvX64RegisterLstar, Some(0xffff_8000_0000_3000)),
        (WHvX64RegisterCstar, Some(0xffff_8000_0000_4000)),
        (WHvX64RegisterSfmask, Some(0x4700)),
        (WHvX64RegisterTscAux, Some(7)),
        (WHvX64RegisterMsrMtrrCap, None),
        (WHvX64RegisterMsrMtrrDefType, Some(0xc06)),
        (
            WHvX64RegisterMsrMtrrFix64k00000,
            Some(0x0606_0606_0606_0606),
        ),
        (
            WHvX64RegisterMsrMtrrFix16k80000,
            Some(0x0606_0606_0606_0606),
        ),
        (WHvX64RegisterMsrMtrrFix16kA0000, Some(0)),
        (WHvX64RegisterSpecCtrl, None),
        (WHvX64RegisterTscDeadline, None),
        (WHvX64RegisterTscAdjust, Some(0x100)),
        (WHvX64RegisterXss, None),
        (WHvX64RegisterUCet, None),
        (WHvX64RegisterSCet, None),
        (WHvX64RegisterInterruptSspTableAddr, None),
        (WHvX64RegisterTsxCtrl, None),
        (WHvX64RegisterUmwaitControl, None),
        (WHvX64RegisterXfd, None),
        (WHvX64RegisterXfdErr, None),
        (WHvX64RegisterBndcfgs, None),
        (WHvX64RegisterMCount, None),
        (WHvX64RegisterACount, None),
    ];
    for i in 0..8 {
        v.push((
            WHV_REGISTER_NAME(WHvX64RegisterMsrMtrrFix4kC0000.0 + i),
            Some(0x0505_0505_0505_0505),
        ));
    }
    for i in 0..4 {
        v.push((WHV_REGISTER_NAME(WHvX64RegisterPl0Ssp.0 + i), None));
    }
    for i in 0..16 {
        let (base, mask) = if i < 2 {
            (
                (0x8000_0000 * i as u64) | 6,
                (phys_mask & !0x7fff_ffff) | 0x800,
            )
        } else {
            (0, 0)
        };
        v.push((
            WHV_REGISTER_NAME(WHvX64RegisterMsrMtrrPhysBase0.0 + i),
            Some(base),
        ));
        v.push((
            WHV_REGISTER_NAME(WHvX64RegisterMsrMtrrPhysMask0.0 + i),
            Some(mask),
        ));
    }
    v
}

fn maxphyaddr() -> u32 {
    let leaf = core::arch::x86_64::__cpuid(0x8000_0008);
    leaf.eax & 0xff
}

/// MSRs whose value moves on its own while the guest runs.
fn msr_moves(name: WHV_REGISTER_NAME) -> bool {
    matches!(
        name,
        WHvX64RegisterTsc | WHvX64RegisterMCount | WHvX64RegisterACount
    )
}

#[test]
fn every_backed_name_round_trips_before_and_across_a_run() {
    let Some(mut g) = guest() else { return };
    g.mem.write(HLT_AT, &[0xf4]);
    let mut values = core_values();
    // XCR0 only where KVM reports it.
    match g.get(&[WHvX64RegisterXCr0]) {
        Ok(_) => values.push((WHvX64RegisterXCr0, v64(3))),
        Err(e) => println!("XCr0 not backed here: {e}"),
    }
    let mut msrs = vec![];
    let mut unbacked = vec![];
    for (name, x) in msr_values(maxphyaddr()) {
        match g.get(&[name]) {
            Ok(read) => msrs.push((name, x.map_or(read[0], v64))),
            Err(e) => {
                assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{name:?}");
                unbacked.push(name);
            }
        }
    }
    println!("MSR names KVM does not back here: {unbacked:?}");
    assert!(msrs.len() >= 30, "too few MSRs backed: {}", msrs.len());
    values.extend(msrs.iter().copied());

    g.set(&values).expect("set every backed register");
    let names: Vec<_> = values.iter().map(|v| v.0).collect();
    let check = |got: &[WHV_REGISTER_VALUE], after_run: bool, fresh: bool| {
        for ((name, want), got) in values.iter().zip(got) {
            let (want, got) = (bits(want), bits(got));
            match *name {
                // Ours, not KVM's: a fresh cache starts without requests.
                WHvX64RegisterDeliverabilityNotifications if fresh => assert_eq!(got, 0),
                WHvX64RegisterRip if after_run => {
                    assert_eq!(got, HLT_AT as u128 + 1, "RIP after HLT")
                }
                n if after_run && msr_moves(n) => {
                    assert!(got >= want, "{n:?} went back: {got:#x} < {want:#x}")
                }
                // The x87 last-instruction/data pointers are the processor's
                // to keep (some save them only with a pending exception).
                WHvX64RegisterFpControlStatus | WHvX64RegisterXmmControlStatus if after_run => {
                    assert_eq!(got & 0xffff_ffff_ffff, want & 0xffff_ffff_ffff, "{name:?}");
                }
                WHvX64RegisterXmmControlStatus => {
                    assert_eq!(got & ((1 << 96) - 1), want, "{name:?}");
                }
                n => assert_eq!(got, want, "{n:?}: got {got:#x}, want {want:#x}"),
            }
        }
    };
    // Before the run: from the cache and the sync area.
    check(&g.get(&names).unwrap(), false, false);
    // Across a run: written to KVM at entry / by ioctl, read back from KVM.
    g.run_to_hlt();
    check(&g.get(&names).unwrap(), true, false);
    // And once more from a fresh cache, all by ioctl.
    g.regs = RegisterState::new();
    check(&g.get(&names).unwrap(), true, true);
}

/// Stores EAX, EBX, CR0, KernelGsBase (EDX:EAX), DR0, FS, CR4 and XMM0 at
/// DATA, then halts.
const STORE_PROGRAM: &[u8] = &[
    0xa3, 0x00, 0x30, 0x00, 0x00, // mov [0x3000], eax
    0x89, 0x1d, 0x04, 0x30, 0x00, 0x00, // mov [0x3004], ebx
    0x0f, 0x20, 0xc0, // mov eax, cr0
    0xa3, 0x08, 0x30, 0x00, 0x00, // mov [0x3008], eax
    0xb9, 0x02, 0x01, 0x00, 0xc0, // mov ecx, 0xc0000102
    0x0f, 0x32, // rdmsr
    0xa3, 0x0c, 0x30, 0x00, 0x00, // mov [0x300c], eax
    0x89, 0x15, 0x10, 0x30, 0x00, 0x00, // mov [0x3010], edx
    0x0f, 0x21, 0xc0, // mov eax, dr0
    0xa3, 0x14, 0x30, 0x00, 0x00, // mov [0x3014], eax
    0x8c, 0xe0, // mov eax, fs
    0xa3, 0x18, 0x30, 0x00, 0x00, // mov [0x3018], eax
    0x0f, 0x20, 0xe0, // mov eax, cr4
    0xa3, 0x1c, 0x30, 0x00, 0x00, // mov [0x301c], eax
    0xf3, 0x0f, 0x7f, 0x05, 0x20, 0x30, 0x00, 0x00, // movdqu [0x3020], xmm0
    0xf4, // hlt
];

const XMM0: u128 = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100;

/// Sets what STORE_PROGRAM stores (with values unlike KVM's reset state).
fn set_store_inputs(g: &mut Guest, salt: u32) {
    g.set(&[
        (WHvX64RegisterRip, v64(CODE)),
        (WHvX64RegisterRax, v64(u64::from(0x1122_3344 ^ salt))),
        (WHvX64RegisterRbx, v64(u64::from(0x5566_7788 ^ salt))),
        (
            WHvX64RegisterKernelGsBase,
            v64(0x0000_7abc_1234_5678 ^ u64::from(salt)),
        ),
        (WHvX64RegisterDr0, v64(u64::from(0x1234 ^ salt))),
        (WHvX64RegisterFs, seg(0, 0xffff_ffff, 0x28, 0xc093)),
        (WHvX64RegisterXmm0, v128(XMM0 ^ u128::from(salt))),
    ])
    .expect("store inputs");
}

fn check_store_outputs(g: &Guest, salt: u32) {
    let m = &g.mem;
    assert_eq!(m.read_u32(DATA), 0x1122_3344 ^ salt, "EAX");
    assert_eq!(m.read_u32(DATA + 4), 0x5566_7788 ^ salt, "EBX");
    assert_eq!(m.read_u32(DATA + 8), 0x33, "CR0");
    assert_eq!(
        m.read_u64(DATA + 0xc),
        0x0000_7abc_1234_5678 ^ u64::from(salt),
        "KernelGsBase"
    );
    assert_eq!(m.read_u32(DATA + 0x14), 0x1234 ^ salt, "DR0");
    assert_eq!(m.read_u32(DATA + 0x18) & 0xffff, 0x28, "FS");
    assert_eq!(m.read_u32(DATA + 0x1c), 0x600, "CR4");
    assert_eq!(m.read_u128(DATA + 0x20), XMM0 ^ u128::from(salt), "XMM0");
}

#[test]
fn guest_sees_values_set_before_its_first_run() {
    let Some(mut g) = guest() else { return };
    g.mem.write(CODE, STORE_PROGRAM);
    g.protected_mode(CODE);
    set_store_inputs(&mut g, 0);
    g.run_to_hlt();
    check_store_outputs(&g, 0);
    assert_eq!(
        g.get64(WHvX64RegisterRip),
        CODE + STORE_PROGRAM.len() as u64
    );
}

#[test]
fn after_a_run_sync_classes_cost_no_ioctl_and_writes_reach_the_guest() {
    let Some(mut g) = guest() else { return };
    g.mem.write(CODE, STORE_PROGRAM);
    g.mem.write(HLT_AT, &[0xf4]);
    g.protected_mode(HLT_AT);
    g.run_to_hlt();

    let before = g.regs.ioctl_counts();
    // Reads of general, segment/control and event registers: the sync area.
    let got = g
        .get(&[
            WHvX64RegisterRip,
            WHvX64RegisterRax,
            WHvX64RegisterCs,
            WHvX64RegisterCr0,
            WHvRegisterInterruptState,
        ])
        .unwrap();
    assert_eq!(value::u64_of(&got[0]), HLT_AT + 1);
    assert_eq!(value::segment_of(&got[2]).Selector, 0x8);
    assert_eq!(value::u64_of(&got[3]), 0x33);
    set_store_inputs(&mut g, 0x5a5a);
    let after_set = g.regs.ioctl_counts();
    assert_eq!(
        after_set.get_regs + after_set.get_sregs + after_set.get_events,
        before.get_regs + before.get_sregs + before.get_events,
        "sync classes after a run cost no ioctl"
    );
    g.run_to_hlt();
    check_store_outputs(&g, 0x5a5a);
    let after_run = g.regs.ioctl_counts();
    // The run wrote DR0, KernelGsBase and XMM0 back: one ioctl per class.
    assert_eq!(after_run.set_debugregs - before.set_debugregs, 1);
    assert_eq!(after_run.set_msrs - before.set_msrs, 1);
    assert_eq!(after_run.set_xsave - before.set_xsave, 1);
    assert_eq!(
        after_run.get_regs + after_run.get_sregs + after_run.get_events,
        before.get_regs + before.get_sregs + before.get_events
    );
}

#[test]
fn batches_cost_one_ioctl_per_class_and_unchanged_values_are_not_written() {
    let Some(mut g) = guest() else { return };
    let msrs = [
        WHvX64RegisterKernelGsBase,
        WHvX64RegisterLstar,
        WHvX64RegisterStar,
        WHvX64RegisterSfmask,
        WHvX64RegisterSysenterEip,
    ];
    let c0 = g.regs.ioctl_counts();
    assert_eq!(c0.total(), 0);
    g.get(&[WHvX64RegisterRax, WHvX64RegisterRbx, WHvX64RegisterRip])
        .unwrap();
    g.get(&[WHvX64RegisterR15]).unwrap();
    assert_eq!(g.regs.ioctl_counts().get_regs, 1);
    assert_eq!(g.regs.ioctl_counts().total(), 1);

    g.get(&msrs).unwrap();
    assert_eq!(
        g.regs.ioctl_counts().get_msrs,
        1,
        "one KVM_GET_MSRS for five MSRs"
    );
    g.get(&[
        WHvX64RegisterXmm0,
        WHvX64RegisterFpControlStatus,
        WHvX64RegisterXmm7,
    ])
    .unwrap();
    assert_eq!(g.regs.ioctl_counts().get_xsave, 1);
    let total = g.regs.ioctl_counts().total();

    let values: Vec<_> = (0..5u64)
        .map(|i| v64(0xffff_8000_0000_1000 + i * 0x1000))
        .collect();
    let mut batch: Vec<_> = msrs.iter().copied().zip(values.iter().copied()).collect();
    batch[2].1 = v64(0x0023_0010_0000_0000); // STAR: selectors, not an address
    batch[3].1 = v64(0x4700); // SFMASK
    g.set(&batch).unwrap();
    assert_eq!(
        g.regs.ioctl_counts().total(),
        total,
        "set of cached MSRs costs nothing"
    );
    g.regs.before_run(&mut g.vcpu).unwrap();
    assert_eq!(
        g.regs.ioctl_counts().set_msrs,
        1,
        "one KVM_SET_MSRS for five MSRs"
    );
    // The same values again: nothing changed, nothing written.
    g.set(&batch).unwrap();
    g.regs.before_run(&mut g.vcpu).unwrap();
    assert_eq!(g.regs.ioctl_counts().set_msrs, 1);
    // KVM really holds them: a fresh cache reads them back.
    g.regs = RegisterState::new();
    let names: Vec<_> = batch.iter().map(|b| b.0).collect();
    let got = g.get(&names).unwrap();
    for ((name, want), got) in batch.iter().zip(&got) {
        assert_eq!(value::u64_of(got), value::u64_of(want), "{name:?}");
    }
    assert_eq!(g.regs.ioctl_counts().get_msrs, 1);
}

#[test]
fn unbacked_names_fail_the_whole_batch() {
    let Some(mut g) = guest() else { return };
    g.set(&[(WHvX64RegisterRax, v64(7))]).unwrap();
    for bad in [
        WHvRegisterSint0,
        WHvX64RegisterVirtualCr0,
        WHvX64RegisterApicId,
        WHV_REGISTER_NAME(0x7fff_0000),
    ] {
        let e = g
            .set(&[(WHvX64RegisterRax, v64(9)), (bad, v64(1))])
            .unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{bad:?}");
        let mut values = [v64(0xdead), v64(0xdead)];
        let e = g
            .regs
            .get(&mut g.vcpu, &[WHvX64RegisterRax, bad], &mut values)
            .unwrap_err();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME, "{bad:?}");
        assert_eq!(
            value::u64_of(&values[0]),
            0xdead,
            "nothing written on failure"
        );
    }
    assert_eq!(
        g.get64(WHvX64RegisterRax),
        7,
        "the batch's valid part was not applied"
    );
    // An MSR KVM lacks (variable MTRR pairs beyond KVM's eight).
    let e = g
        .set(&[(WHvX64RegisterMsrMtrrPhysBaseF, v64(0))])
        .unwrap_err();
    assert_eq!(e.hresult, WHV_E_INVALID_VP_REGISTER_NAME);
    // Mismatched counts.
    let mut one = [v64(0)];
    let e = g
        .regs
        .get(
            &mut g.vcpu,
            &[WHvX64RegisterRax, WHvX64RegisterRbx],
            &mut one,
        )
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
}

#[test]
fn invalid_values_fail_the_whole_batch() {
    let Some(mut g) = guest() else { return };
    g.set(&[(WHvX64RegisterRax, v64(7)), (WHvX64RegisterCr0, v64(0x11))])
        .unwrap();
    for (name, bad) in [
        (WHvX64RegisterCr0, v64(0x8000_0000)), // PG without PE
        (WHvX64RegisterCr0, v64(1 << 32)),     // reserved
        (WHvX64RegisterCr4, v64(1 << 40)),     // reserved
        (WHvX64RegisterCr8, v64(16)),          // not a priority
        (WHvX64RegisterEfer, v64(1 << 2)),     // reserved
        (WHvX64RegisterDr7, v64(1 << 40)),     // reserved
        (WHvX64RegisterXCr0, v64(6)),          // x87 off
        (WHvRegisterInterruptState, v64(4)),   // reserved
        (WHvRegisterPendingInterruption, v64(1 | 7 << 1)), // unknown type
        (WHvX64RegisterXmmControlStatus, v128(0x8000_0000_u128 << 64)), // MXCSR reserved
        (WHvX64RegisterMsrMtrrCap, v64(0)),    // read-only
        (WHvX64RegisterKernelGsBase, v64(0xaabb_ccdd_1234_5678)), // not canonical
        (WHvX64RegisterLstar, v64(0x8000_0000_0000_0000)), // not canonical
        (WHvX64RegisterPat, v64(0x0007_0406_0007_0402)), // type 2 is reserved
        (WHvX64RegisterTscAux, v64(1 << 32)),  // 32 bits
        (WHvRegisterInternalActivityState, v64(4)), // IdleSuspend
    ] {
        let e = g
            .set(&[(WHvX64RegisterRax, v64(9)), (name, bad)])
            .unwrap_err();
        assert_eq!(e.hresult, E_INVALIDARG, "{name:?}");
    }
    assert_eq!(g.get64(WHvX64RegisterRax), 7);
    assert_eq!(g.get64(WHvX64RegisterCr0), 0x11);
}

/// A 32-bit interrupt gate to `handler` in CS 8.
fn gate(handler: u64) -> [u8; 8] {
    let h = handler as u32;
    let [l0, l1, h0, h1] = h.to_le_bytes();
    [l0, l1, 0x08, 0x00, 0x00, 0x8e, h0, h1]
}

#[test]
fn pending_interruption_is_delivered_through_the_guest_idt() {
    let Some(mut g) = guest() else { return };
    g.mem.write(HLT_AT, &[0xf4]);
    // mov dword [0x3040], 0xabcd; hlt
    g.mem.write(
        HANDLER,
        &[
            0xc7, 0x05, 0x40, 0x30, 0x00, 0x00, 0xcd, 0xab, 0x00, 0x00, 0xf4,
        ],
    );
    g.mem.write(IDT + 0x30 * 8, &gate(HANDLER));
    g.protected_mode(HLT_AT);
    let pending = 1 | 0x30 << 16; // external interrupt, vector 0x30
    g.set(&[
        (WHvX64RegisterIdtr, table(IDT, 0x7ff)),
        (WHvRegisterPendingInterruption, v64(pending)),
    ])
    .unwrap();
    assert_eq!(g.get64(WHvRegisterPendingInterruption), pending);
    g.run_to_hlt();
    assert_eq!(g.mem.read_u32(DATA + 0x40), 0xabcd, "the handler ran");
    assert_eq!(
        g.mem.read_u32(0x8000 - 12),
        HLT_AT as u32,
        "interrupted EIP on the stack"
    );
    assert_eq!(g.get64(WHvX64RegisterRip), HANDLER + 11);
    assert_eq!(g.get64(WHvRegisterPendingInterruption), 0, "delivered");
}

#[test]
fn pending_page_fault_event_delivers_its_cr2() {
    let Some(mut g) = guest() else { return };
    let mut cap = kvm_enable_cap {
        cap: KVM_CAP_EXCEPTION_PAYLOAD,
        ..Default::default()
    };
    cap.args[0] = 1;
    if let Err(e) = g.vm.enable_cap(&cap) {
        println!(
            "KVM_CAP_EXCEPTION_PAYLOAD unavailable ({e}): PendingEvent writes answer HRESULT_ERROR_NOT_SUPPORTED"
        );
        g.mem.write(HLT_AT, &[0xf4]);
        g.protected_mode(HLT_AT);
        let e = g
            .set(&[(WHvRegisterPendingEvent, v128(1 | 14 << 16))])
            .unwrap_err();
        assert_eq!(e.hresult, HRESULT_ERROR_NOT_SUPPORTED);
        return;
    }
    g.mem.write(HLT_AT, &[0xf4]);
    // mov eax, cr2; mov [0x3050], eax; hlt
    g.mem.write(
        PF_HANDLER,
        &[0x0f, 0x20, 0xd0, 0xa3, 0x50, 0x30, 0x00, 0x00, 0xf4],
    );
    g.mem.write(IDT + 14 * 8, &gate(PF_HANDLER));
    g.protected_mode(HLT_AT);
    let event = 1 | 1 << 8 | 14 << 16 | 2_u128 << 32 | 0xdead_b000_u128 << 64;
    g.set(&[
        (WHvX64RegisterIdtr, table(IDT, 0x7ff)),
        (WHvRegisterPendingEvent, v128(event)),
    ])
    .unwrap();
    assert_eq!(bits(&g.get(&[WHvRegisterPendingEvent]).unwrap()[0]), event);
    g.run_to_hlt();
    assert_eq!(
        g.mem.read_u32(DATA + 0x50),
        0xdead_b000,
        "CR2 in the #PF handler"
    );
    assert_eq!(g.mem.read_u32(0x8000 - 16), 2, "error code on the stack");
    assert_eq!(
        bits(&g.get(&[WHvRegisterPendingEvent]).unwrap()[0]),
        0,
        "delivered"
    );
}

#[test]
fn long_mode_from_registers_alone() {
    let Some(mut g) = guest() else { return };
    // Identity map of the first 2 MiB: PML4 0xa000 → PDPT 0xb000 → PD 0xc000.
    g.mem.write(0xa000, &0xb003_u64.to_le_bytes());
    g.mem.write(0xb000, &0xc003_u64.to_le_bytes());
    g.mem.write(0xc000, &0x83_u64.to_le_bytes());
    // mov [0x3000], rax; mov [0x3008], rbx; hlt
    g.mem.write(
        LONG_CODE,
        &[
            0x48, 0x89, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00, 0x48, 0x89, 0x1c, 0x25, 0x08, 0x30,
            0x00, 0x00, 0xf4,
        ],
    );
    let data = seg(0, 0xffff_ffff, 0x10, 0xc093);
    g.set(&[
        (WHvX64RegisterCr3, v64(0xa000)),
        (WHvX64RegisterCr4, v64(0x620)),
        (WHvX64RegisterEfer, v64(0x100)), // LME only: LMA is the processor's
        (WHvX64RegisterCr0, v64(0x8000_0033)),
        (WHvX64RegisterCs, seg(0, 0xffff_ffff, 0x8, 0xa09b)),
        (WHvX64RegisterDs, data),
        (WHvX64RegisterEs, data),
        (WHvX64RegisterSs, data),
        (WHvX64RegisterRip, v64(LONG_CODE)),
        (WHvX64RegisterRsp, v64(0x8000)),
        (WHvX64RegisterRflags, v64(2)),
        (WHvX64RegisterRax, v64(0x1122_3344_5566_7788)),
        (WHvX64RegisterRbx, v64(0x99aa_bbcc_ddee_ff00)),
    ])
    .unwrap();
    assert_eq!(g.get64(WHvX64RegisterEfer), 0x500);
    g.run_to_hlt();
    assert_eq!(g.mem.read_u64(DATA), 0x1122_3344_5566_7788);
    assert_eq!(g.mem.read_u64(DATA + 8), 0x99aa_bbcc_ddee_ff00);
    assert_eq!(g.get64(WHvX64RegisterEfer), 0x500);
    // Long mode without PAE is refused before anything is written.
    let e = g.set(&[(WHvX64RegisterCr4, v64(0x600))]).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
}

#[test]
fn a_value_kvm_refuses_fails_before_the_run_and_is_forgotten() {
    let Some(mut g) = guest() else { return };
    let old = g.get64(WHvX64RegisterMsrMtrrDefType);
    // Bit 20 of IA32_MTRR_DEF_TYPE is reserved: only KVM knows, at write-back.
    g.set(&[(WHvX64RegisterMsrMtrrDefType, v64(1 << 20 | 6))])
        .unwrap();
    let e = g.regs.before_run(&mut g.vcpu).unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "{e}");
    assert_eq!(
        g.get64(WHvX64RegisterMsrMtrrDefType),
        old,
        "the VP kept its value"
    );
    g.regs
        .before_run(&mut g.vcpu)
        .expect("nothing left to write");
}

#[test]
fn activity_state_needs_and_uses_the_in_kernel_lapic() {
    // Without it KVM holds only "runnable".
    let Some(mut g) = guest() else { return };
    assert_eq!(g.get64(WHvRegisterInternalActivityState), 0);
    g.set(&[(WHvRegisterInternalActivityState, v64(2))])
        .unwrap();
    assert_eq!(
        g.regs.before_run(&mut g.vcpu).unwrap_err().hresult,
        E_INVALIDARG
    );
    assert_eq!(g.get64(WHvRegisterInternalActivityState), 0);

    let Some(mut g) = guest_with(true) else {
        return;
    };
    for state in [2, 1, 0] {
        g.set(&[(WHvRegisterInternalActivityState, v64(state))])
            .unwrap();
        g.regs.before_run(&mut g.vcpu).unwrap();
        g.regs = RegisterState::new();
        assert_eq!(
            g.get64(WHvRegisterInternalActivityState),
            state,
            "read back from KVM"
        );
    }
}

#[test]
fn a_run_that_never_reached_kvm_keeps_the_state() {
    // A run loop may return (a cancel) between before_run and KVM_RUN: the
    // sync area must still hold the VP's state, fetched by before_run.
    let Some(mut g) = guest() else { return };
    g.regs.before_run(&mut g.vcpu).unwrap();
    let c = g.regs.ioctl_counts();
    assert_eq!(
        (c.get_regs, c.get_sregs, c.get_events),
        (1, 1, 1),
        "fetched once before the first run"
    );
    g.regs.after_run(&mut g.vcpu);
    assert_eq!(
        g.get64(WHvX64RegisterRip),
        0xfff0,
        "the reset RIP, not an empty sync area"
    );
    assert_eq!(
        value::segment_of(&g.get(&[WHvX64RegisterCs]).unwrap()[0]).Selector,
        0xf000
    );
    g.regs.before_run(&mut g.vcpu).unwrap();
    assert_eq!(g.regs.ioctl_counts(), c, "and never again");
}

#[test]
fn initial_state_of_a_vp_waiting_for_sipi_is_not_lost() {
    // With the in-kernel LAPIC, APs start waiting for INIT/SIPI, and KVM_RUN
    // then ignores kvm_run's dirty bits and overwrites the sync area: the
    // state set before the first run goes by ioctl.
    let Some(g) = guest_with(true) else { return };
    let mut ap = Vcpu::for_test(g.vm.create_vcpu(1).expect("KVM_CREATE_VCPU 1"));
    if ap.fd().get_mp_state().unwrap().mp_state != kvm_bindings::KVM_MP_STATE_UNINITIALIZED {
        println!("this KVM starts APs runnable: nothing to check");
        return;
    }
    let mut regs = RegisterState::new();
    let names = [WHvX64RegisterRip, WHvX64RegisterRax, WHvX64RegisterCr0];
    let values = [v64(0x1234), v64(0x5555), v64(0x11)];
    regs.set(&mut ap, &names, &values).unwrap();
    regs.before_run(&mut ap).unwrap();
    let c = regs.ioctl_counts();
    assert_eq!(
        (c.set_regs, c.set_sregs),
        (1, 1),
        "written by ioctl before the first run"
    );
    let ie = ap.immediate_exit();
    // SAFETY: the byte lives as long as `ap`; accessed only atomically.
    unsafe { (*ie).store(1, std::sync::atomic::Ordering::SeqCst) };
    let r = ap.run();
    // SAFETY: as above.
    unsafe { (*ie).store(0, std::sync::atomic::Ordering::SeqCst) };
    regs.after_run(&mut ap);
    assert!(r.is_err(), "a VP waiting for SIPI does not run");
    let mut got = [WHV_REGISTER_VALUE::default(); 3];
    regs.get(&mut ap, &names, &mut got).unwrap();
    let mut fresh = [WHV_REGISTER_VALUE::default(); 3];
    RegisterState::new()
        .get(&mut ap, &names, &mut fresh)
        .unwrap();
    for i in 0..3 {
        assert_eq!(
            value::u64_of(&got[i]),
            value::u64_of(&values[i]),
            "{:?} in the cache",
            names[i]
        );
        assert_eq!(
            value::u64_of(&fresh[i]),
            value::u64_of(&values[i]),
            "{:?} in KVM",
            names[i]
        );
    }
}

/// The GPR/RIP/RFLAGS fast path of get and set (no `Batch`) puts every name
/// in the same `kvm_regs` field as the general path: values set by the fast
/// path read back through a mixed batch (general path) and the reverse,
/// each name with a distinct value, in a scrambled order.
#[test]
fn the_general_register_fast_path_agrees_with_the_batch_path() {
    let Some(mut g) = guest() else { return };
    let g = &mut g;
    // RAX..R15, RIP, RFLAGS (0x00..=0x11), reversed.
    let names: Vec<_> = (0..=WHvX64RegisterRflags.0)
        .rev()
        .map(WHV_REGISTER_NAME)
        .collect();
    let value_of = |n: WHV_REGISTER_NAME, salt: u64| match n {
        // Reserved bit 1 set: a value KVM keeps.
        WHvX64RegisterRflags => 0x2 | (salt & 0x1),
        n => 0x1111_0000_0000 * salt + u64::from(n.0 as u32) * 0x101,
    };
    // Fast-path set, general-path get (CR0 makes the batch mixed).
    let set: Vec<_> = names.iter().map(|&n| v64(value_of(n, 1))).collect();
    g.regs.set(&mut g.vcpu, &names, &set).unwrap();
    let mut mixed = names.clone();
    mixed.push(WHvX64RegisterCr0);
    let mut got = vec![WHV_REGISTER_VALUE::default(); mixed.len()];
    g.regs.get(&mut g.vcpu, &mixed, &mut got).unwrap();
    for (i, &n) in names.iter().enumerate() {
        assert_eq!(value::u64_of(&got[i]), value_of(n, 1), "{n:?}");
    }
    // General-path set (with CR0 as read), fast-path get.
    let mut set: Vec<_> = names.iter().map(|&n| v64(value_of(n, 2))).collect();
    set.push(got[names.len()]);
    g.regs.set(&mut g.vcpu, &mixed, &set).unwrap();
    let mut got = vec![WHV_REGISTER_VALUE::default(); names.len()];
    g.regs.get(&mut g.vcpu, &names, &mut got).unwrap();
    for (i, &n) in names.iter().enumerate() {
        assert_eq!(value::u64_of(&got[i]), value_of(n, 2), "{n:?}");
    }
    // One name at a time (the VMM advancing RIP), and an empty batch.
    g.regs
        .set(&mut g.vcpu, &[WHvX64RegisterR9], &[v64(0x99)])
        .unwrap();
    let mut one = [WHV_REGISTER_VALUE::default()];
    g.regs
        .get(&mut g.vcpu, &[WHvX64RegisterR9], &mut one)
        .unwrap();
    assert_eq!(value::u64_of(&one[0]), 0x99);
    g.regs.get(&mut g.vcpu, &[], &mut []).unwrap();
    // Mismatched counts are refused on the fast path too.
    let e = g
        .regs
        .set(
            &mut g.vcpu,
            &[WHvX64RegisterRip, WHvX64RegisterRax],
            &[v64(1)],
        )
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    assert_eq!(g.regs.ioctl_counts().get_regs, 1, "one KVM_GET_REGS in all");
}
