//! Partition and VP life cycles: Windows' HRESULTs for bad requests,
//! deleted and re-created VPs, reset, many partitions running at once,
//! cancel/run/delete races, and 10,000 partitions leaving nothing behind.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use common::{HostMem, TestVm, get64, kvm_available, partition, rwx};
use winhv::Partition;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;
use winhv_guest::programs;

fn err<T>(r: winhv::Result<T>) -> HRESULT {
    match r {
        Ok(_) => panic!("the call should fail"),
        Err(e) => e.hresult,
    }
}

/// Windows has no default processor count: WHvSetupPartition refuses a
/// partition whose ProcessorCount was never set (the property reads 0
/// until then), and the same partition sets up once it is.
#[test]
fn setup_without_a_processor_count_is_refused() {
    if !kvm_available() {
        return;
    }
    let p = Partition::create().unwrap();
    let mut count = [0xff; 4];
    assert_eq!(
        p.get_property(WHvPartitionPropertyCodeProcessorCount, &mut count)
            .unwrap(),
        4
    );
    assert_eq!(u32::from_le_bytes(count), 0, "unset");
    assert_eq!(err(p.setup()), WHV_E_INVALID_PARTITION_CONFIG);
    assert!(!p.is_set_up());
    assert_eq!(
        err(p.create_vp(0)),
        WHV_E_INVALID_PARTITION_CONFIG,
        "still not set up"
    );
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p.setup().unwrap();
    p.create_vp(0).unwrap();
}

/// Every function checks its arguments before the partition's state, as
/// Windows does: WHvMapGpaRange with an unaligned source answers
/// E_INVALIDARG on a partition not yet set up, not
/// WHV_E_INVALID_PARTITION_CONFIG; and a property that may no longer
/// change after setup still answers its buffer's or value's HRESULT first.
#[test]
fn arguments_are_checked_before_the_partition_state() {
    if !kvm_available() {
        return;
    }
    let mem = HostMem::rw(0x2000);
    let src = mem.ptr.cast::<std::ffi::c_void>();
    let r = WHvMapGpaRangeFlagRead;
    let rw = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite;
    let bad_flags = WHV_TRANSLATE_GVA_FLAGS(1 << 20);
    let unknown = WHV_VIRTUAL_PROCESSOR_PROPERTY {
        PropertyCode: WHV_VIRTUAL_PROCESSOR_PROPERTY_CODE(0x7777),
        ..Default::default()
    };
    let p = Partition::create().unwrap();
    let set_up = partition(1);
    for (what, q) in [("not set up", &p), ("set up", &set_up)] {
        // SAFETY: every call is refused before anything is mapped.
        let map =
            |s: *mut std::ffi::c_void, gpa, size, f| unsafe { q.map_gpa_range(s, gpa, size, f) };
        assert_eq!(
            err(map(src.wrapping_add(1), 0, 0x1000, r)),
            E_INVALIDARG,
            "{what}: unaligned source"
        );
        assert_eq!(
            err(map(std::ptr::null_mut(), 0, 0x1000, r)),
            E_INVALIDARG,
            "{what}: NULL source"
        );
        assert_eq!(
            err(map(src, 0x800, 0x1000, r)),
            E_INVALIDARG,
            "{what}: unaligned GPA"
        );
        assert_eq!(err(map(src, 0, 0, r)), E_INVALIDARG, "{what}: empty");
        assert_eq!(
            err(map(src, 0, 0x1800, r)),
            E_INVALIDARG,
            "{what}: unaligned size"
        );
        assert_eq!(
            err(map(src, !0xfff, 0x2000, r)),
            E_INVALIDARG,
            "{what}: wraps"
        );
        assert_eq!(
            err(map(src, 0, 0x1000, WHV_MAP_GPA_RANGE_FLAGS(0x100))),
            E_INVALIDARG,
            "{what}: flags"
        );
        assert_eq!(
            err(map(src, 0, 0x1000, WHvMapGpaRangeFlagWrite)),
            E_INVALIDARG,
            "{what}: write-only"
        );
        assert_eq!(
            err(q.unmap_gpa_range(0x800, 0x1000)),
            E_INVALIDARG,
            "{what}: unmap"
        );
        assert_eq!(err(q.unmap_gpa_range(0, 0)), E_INVALIDARG, "{what}: unmap");
        assert_eq!(
            err(q.query_gpa_range_dirty_bitmap(0, 128 * 0x1000, Some(&mut [0u64; 1]))),
            E_INVALIDARG,
            "{what}: bitmap too small"
        );
        assert_eq!(
            err(q.query_gpa_range_dirty_bitmap(0x800, 0x1000, None)),
            E_INVALIDARG
        );
        assert_eq!(
            err(q.translate_gva(0, 0, bad_flags)),
            E_INVALIDARG,
            "{what}: translate flags"
        );
        assert_eq!(
            err(q.translate_gva(5, 0, bad_flags)),
            E_INVALIDARG,
            "{what}: before the VP"
        );
        assert_eq!(
            err(q.create_vp2(0, &[unknown])),
            E_INVALIDARG,
            "{what}: VP property"
        );
        assert_eq!(
            err(q.cancel_run_vp(9, 1)),
            E_INVALIDARG,
            "{what}: cancel flags"
        );
        assert_eq!(
            err(q.set_property(WHvPartitionPropertyCodeProcessorCount, &[1, 0])),
            WHV_E_INSUFFICIENT_BUFFER,
            "{what}: short buffer"
        );
        assert_eq!(
            err(q.set_property(
                WHvPartitionPropertyCodeSeparateSecurityDomain,
                &1u32.to_le_bytes()
            )),
            WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
            "{what}: a value KVM cannot give"
        );
    }
    // Good arguments: now the state answers.
    // SAFETY: refused (not set up) before anything is mapped.
    let e = unsafe { p.map_gpa_range(src, 0, 0x1000, rw) };
    assert_eq!(err(e), WHV_E_INVALID_PARTITION_CONFIG);
    assert_eq!(
        err(p.unmap_gpa_range(0, 0x1000)),
        WHV_E_INVALID_PARTITION_CONFIG
    );
    assert_eq!(
        err(p.query_gpa_range_dirty_bitmap(0, 0x1000, None)),
        WHV_E_INVALID_PARTITION_CONFIG
    );
    assert_eq!(
        err(p.translate_gva(0, 0, WHvTranslateGvaFlagValidateRead)),
        WHV_E_INVALID_PARTITION_CONFIG
    );
    assert_eq!(
        err(set_up.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())),
        E_INVALIDARG,
        "a good value, refused after setup"
    );
    drop(set_up);
    drop(p);
}

#[test]
fn bad_requests_answer_windows_hresults() {
    if !kvm_available() {
        return;
    }
    let p = Partition::create().unwrap();
    assert_eq!(
        err(p.create_vp(0)),
        WHV_E_INVALID_PARTITION_CONFIG,
        "VP before setup"
    );
    assert_eq!(
        err(p.run_vp(0)),
        WHV_E_INVALID_PARTITION_CONFIG,
        "run before setup"
    );
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &2u32.to_le_bytes())
        .unwrap();
    p.setup().unwrap();
    assert_eq!(
        err(p.setup()),
        WHV_E_INVALID_PARTITION_CONFIG,
        "setup twice"
    );
    assert_eq!(
        err(p.set_property(WHvPartitionPropertyCodeProcessorCount, &4u32.to_le_bytes())),
        E_INVALIDARG,
        "a pre-setup-only property after setup"
    );
    p.create_vp(0).unwrap();
    assert_eq!(err(p.create_vp(0)), WHV_E_VP_ALREADY_EXISTS);
    assert_eq!(
        err(p.create_vp(2)),
        E_INVALIDARG,
        "index not below ProcessorCount"
    );
    assert_eq!(err(p.run_vp(1)), WHV_E_VP_DOES_NOT_EXIST, "never created");
    assert_eq!(err(p.run_vp(u32::MAX)), WHV_E_VP_DOES_NOT_EXIST);
    assert_eq!(err(p.cancel_run_vp(1, 0)), WHV_E_VP_DOES_NOT_EXIST);
    let mut v = [WHV_REGISTER_VALUE::default()];
    assert_eq!(
        err(p.get_vp_registers(1, &[WHvX64RegisterRax], &mut v)),
        WHV_E_VP_DOES_NOT_EXIST
    );
    assert_eq!(
        err(p.get_vp_registers(0, &[WHV_REGISTER_NAME(0x7fff_0000)], &mut v)),
        WHV_E_INVALID_VP_REGISTER_NAME,
        "unknown register name"
    );
    assert_eq!(
        err(p.set_vp_registers(0, &[WHV_REGISTER_NAME(0x7fff_0000)], &v)),
        WHV_E_INVALID_VP_REGISTER_NAME
    );
    p.delete_vp(0).unwrap();
    assert_eq!(
        err(p.delete_vp(0)),
        WHV_E_VP_DOES_NOT_EXIST,
        "deleted twice"
    );
    assert_eq!(err(p.run_vp(0)), WHV_E_VP_DOES_NOT_EXIST, "deleted VP");
    assert_eq!(
        err(p.get_vp_registers(0, &[WHvX64RegisterRax], &mut v)),
        WHV_E_VP_DOES_NOT_EXIST
    );
}

fn spin_guest() -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.out(0x10, al)?;
        let mut l = a.create_label();
        a.set_label(&mut l)?;
        a.jmp(l)
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    (g, regs)
}

#[test]
fn deleted_vp_comes_back_in_power_on_state_and_reset_works() {
    if !kvm_available() {
        return;
    }
    let (g, regs) = spin_guest();
    let vm = TestVm::new(&g, &regs);
    let power_on_rip = 0xfff0;
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
    vm.p.delete_vp(0).unwrap();
    vm.p.create_vp(0).unwrap();
    assert_eq!(
        vm.reg(WHvX64RegisterRip),
        power_on_rip,
        "a re-created VP starts at the reset vector"
    );
    common::set_registers(&vm.p, 0, &regs);
    assert_eq!(
        vm.run().ExitReason,
        WHvRunVpExitReasonX64IoPortAccess,
        "and runs"
    );
    vm.set_reg(WHvX64RegisterRax, 0x1234);
    vm.p.reset().unwrap();
    assert_eq!(
        vm.reg(WHvX64RegisterRip),
        power_on_rip,
        "reset: power-on RIP"
    );
    assert_eq!(vm.reg(WHvX64RegisterRax), 0, "reset: power-on RAX");
    let mut b = [0u8; 1];
    vm.p.read_gpa_range(g.layout().code, &mut b).unwrap();
    assert_eq!(b[0], 0xe6, "reset keeps memory");
    common::set_registers(&vm.p, 0, &regs);
    assert_eq!(
        vm.run().ExitReason,
        WHvRunVpExitReasonX64IoPortAccess,
        "runs after reset"
    );
}

#[test]
fn eight_partitions_run_at_once() {
    if !kvm_available() {
        return;
    }
    const N: u32 = 200;
    std::thread::scope(|s| {
        for t in 0..8u16 {
            s.spawn(move || {
                let port = 0x100 + t;
                let program = programs::out_loop_user(port, N).unwrap();
                let vm = TestVm::from_image(&program.memory, &program.registers);
                let mut expect = N;
                loop {
                    let x = vm.run();
                    if x.ExitReason == WHvRunVpExitReasonX64Halt {
                        break;
                    }
                    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
                    // SAFETY: IoPortAccess is live.
                    let io = unsafe { x.Anonymous.IoPortAccess };
                    assert_eq!(io.PortNumber, port, "partition {t} sees its own guest");
                    assert_eq!(io.Rax & 0xff, u64::from(expect & 0xff));
                    expect -= 1;
                    vm.skip(&x);
                }
                assert_eq!(expect, 0, "partition {t}: every OUT once");
            });
        }
    });
}

#[test]
fn vps_of_one_partition_run_concurrently() {
    if !kvm_available() {
        return;
    }
    let program = programs::out_loop_user(0x80, 100).unwrap();
    let image = &program.memory;
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = partition(4);
    // SAFETY: `mem` outlives the partition (dropped after it below).
    unsafe {
        p.map_gpa_range(mem.ptr.cast(), 0, image.size(), rwx())
            .unwrap()
    };
    std::thread::scope(|s| {
        for vp in 0..4 {
            let p = &p;
            let regs = program.registers;
            s.spawn(move || {
                // Each VP its own stack: the program only uses registers.
                common::set_registers(p, vp, &regs);
                let mut outs = 0;
                loop {
                    let x = p.run_vp(vp).unwrap();
                    if x.ExitReason == WHvRunVpExitReasonX64Halt {
                        break;
                    }
                    assert_eq!(x.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
                    outs += 1;
                    let len = u64::from(x.VpContext.instruction_length());
                    common::set64(p, vp, WHvX64RegisterRip, x.VpContext.Rip + len);
                }
                assert_eq!(outs, 100);
                assert_eq!(get64(p, vp, WHvX64RegisterRcx) & 0xffff_ffff, 0);
            });
        }
    });
    drop(p);
}

#[test]
fn cancel_run_delete_races_do_not_hang() {
    if !kvm_available() {
        return;
    }
    const ROUNDS: usize = 3000;
    // A guest that spins ~100 µs (natively, at CPL3) between OUTs: runs end
    // by a cancel or by an exit, and cancels land before, during and after.
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        let mut top = a.create_label();
        let mut spin = a.create_label();
        a.set_label(&mut top)?;
        a.mov(ecx, 300_000u32)?;
        a.set_label(&mut spin)?;
        a.dec(ecx)?;
        a.jnz(spin)?;
        a.out(0x10, al)?;
        a.jmp(top)
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    let image = g.memory();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    let p = partition(2);
    // SAFETY: `mem` outlives the partition (dropped after it below).
    unsafe {
        p.map_gpa_range(mem.ptr.cast(), 0, image.size(), rwx())
            .unwrap()
    };
    for vp in 0..2 {
        common::set_registers(&p, vp, &regs);
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for vp in 0..2u32 {
            let (p, done, regs) = (&p, &done, regs);
            // Runner: every run ends (Canceled, an exit, or the VP gone).
            s.spawn(move || {
                // Counted even if this thread panics, so the others stop.
                struct Done<'a>(&'a std::sync::atomic::AtomicUsize);
                impl Drop for Done<'_> {
                    fn drop(&mut self) {
                        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
                let _done = Done(done);
                let (mut canceled, mut exits, mut gone) = (0, 0, 0);
                for _ in 0..ROUNDS {
                    match p.run_vp(vp) {
                        Ok(x) if x.ExitReason == WHvRunVpExitReasonCanceled => canceled += 1,
                        Ok(x) => {
                            exits += 1;
                            let len = u64::from(x.VpContext.instruction_length());
                            let _ = p.set_vp_registers(
                                vp,
                                &[WHvX64RegisterRip],
                                &[{
                                    let mut v = WHV_REGISTER_VALUE::default();
                                    v.Reg64 = x.VpContext.Rip + len;
                                    v
                                }],
                            );
                        }
                        Err(e) => {
                            gone += 1;
                            assert!(
                                e.hresult == WHV_E_VP_DOES_NOT_EXIST
                                    || e.hresult == WHV_E_INVALID_VP_STATE,
                                "{e}"
                            );
                            // The deleter may strike again at any point.
                            if p.create_vp(vp).is_ok() {
                                let _ = common::try_set_registers(p, vp, &regs);
                            }
                        }
                    }
                }
                println!("VP {vp}: {canceled} canceled, {exits} other exits, {gone} refused");
                assert!(canceled > 0);
            });
        }
        // One thread cancels both VPs until both runners are done, and
        // deletes VP 1 now and then (its runner re-creates it).
        let (p, done) = (&p, &done);
        s.spawn(move || {
            let mut i = 0u64;
            while done.load(std::sync::atomic::Ordering::SeqCst) < 2 {
                i += 1;
                let _ = p.cancel_run_vp((i % 2) as u32, 0);
                if i % 32 == 0 {
                    let _ = p.delete_vp(1);
                }
                std::thread::yield_now();
            }
        });
    });
    drop(p);
}

#[test]
fn partition_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Partition>();
}
