//! Partition snapshots (`Partition::save_state` / `restore_state`): a
//! guest counting in a loop while its local APIC timer interrupts it is
//! saved mid-run, its snapshot goes through the byte form, and the
//! partition restored from it has the same registers, APIC, XSAVE state
//! and memory and continues counting — ticks and loop count going on from
//! where they were — while the original runs on independently. A running
//! VP cannot be saved.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use common::{HostMem, get64, set64};
use winhv::defs::*;
use winhv::{Partition, PartitionSnapshot};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const ENTRY: u64 = 0x2_0000;
const HANDLER: u64 = 0x2_1000;
/// Timer interrupts taken so far (u32).
const TICKS: u64 = 0x3_0000;
const MEMORY: usize = 1 << 20;
const VECTOR: u32 = 0x30;
const TICK_PORT: u16 = 0x60;
/// The LAPIC timer's initial count (1 GHz bus, divide by 1): 200 µs.
const PERIOD: u32 = 200_000;

/// Enables the xAPIC and its periodic timer, then counts in RBX forever,
/// reporting each new tick count on TICK_PORT (EAX) as it sees it.
fn program(a: &mut CodeAssembler) -> Result<(), IcedError> {
    apic_guest::apic_write(a, false, 0x0f, 0x1ff)?; // SVR: enabled
    apic_guest::apic_write(a, false, 0x3e, 0xb)?; // divide by 1
    apic_guest::apic_write(a, false, 0x32, 0x2_0000 | VECTOR)?; // LVT timer: periodic
    apic_guest::apic_write(a, false, 0x38, PERIOD)?; // initial count
    a.xor(ebx, ebx)?;
    a.xor(r13d, r13d)?;
    a.mov(rdi, TICKS)?;
    a.sti()?;
    let mut top = a.create_label();
    a.set_label(&mut top)?;
    a.inc(rbx)?;
    a.mov(eax, dword_ptr(rdi))?;
    a.cmp(eax, r13d)?;
    a.je(top)?;
    a.mov(r13d, eax)?;
    a.out(u32::from(TICK_PORT), eax)?;
    a.jmp(top)
}

fn handler(a: &mut CodeAssembler) -> Result<(), IcedError> {
    a.push(rax)?;
    a.mov(rax, TICKS)?;
    a.lock().inc(dword_ptr(rax))?;
    apic_guest::apic_write(a, false, 0x0b, 0)?; // EOI
    a.pop(rax)?;
    a.iretq()
}

fn guest() -> Option<(Partition, HostMem)> {
    if !common::kvm_available() {
        return None;
    }
    let mut g = Guest::new(0, MEMORY).unwrap();
    let regs = g.long64(ENTRY).unwrap();
    g.assemble_at(64, ENTRY, program).unwrap();
    g.assemble_at(64, HANDLER, handler).unwrap();
    let idt = g.layout().idt;
    g.write(idt + u64::from(VECTOR) * 16, &apic_guest::gate(HANDLER))
        .unwrap();
    let image = g.into_memory();
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    let xapic = WHvX64LocalApicEmulationModeXApic;
    if let Err(e) = p.set_property(
        WHvPartitionPropertyCodeLocalApicEmulationMode,
        &xapic.0.to_le_bytes(),
    ) {
        println!("SKIPPED: xAPIC emulation refused here: {e}");
        return None;
    }
    p.setup().unwrap();
    p.create_vp(0).unwrap();
    let mem = HostMem::rw(image.size() as usize);
    mem.write(0, image.as_bytes());
    // SAFETY: the caller keeps `mem` alive until after the partition.
    unsafe { p.map_gpa_range(mem.ptr.cast(), 0, image.size(), common::rwx()) }.unwrap();
    common::set_registers(&p, 0, &regs);
    Some((p, mem))
}

/// Runs to the next tick report (skipping the OUT, as a VMM does);
/// returns the tick count reported. A guest whose timer stopped would
/// never exit: a watchdog cancels the run after a minute (a Canceled exit
/// fails the test).
fn next_tick(p: &Partition) -> u32 {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let limit = std::time::Duration::from_secs(60);
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                let _ = p.cancel_run_vp(0, 0);
            }
        });
        let x = p.run_vp(0);
        drop(done);
        let x = x.unwrap();
        assert_eq!(
            x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
            "exit {:?} at RIP {:#x}",
            x.ExitReason, x.VpContext.Rip
        );
        // SAFETY: the exit reason says which member is live.
        let io = unsafe { x.Anonymous.IoPortAccess };
        assert_eq!(io.PortNumber, TICK_PORT, "RIP {:#x}", x.VpContext.Rip);
        let rip = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
        set64(p, 0, WHvX64RegisterRip, rip);
        io.Rax as u32
    })
}

/// Every register a VMM sees, but the TSC (it runs on).
fn registers(p: &Partition) -> Vec<(WHV_REGISTER_NAME, [u8; 16])> {
    // RAX..R15, RIP, RFLAGS.
    let mut names: Vec<WHV_REGISTER_NAME> = (0..=0x11).map(WHV_REGISTER_NAME).collect();
    names.extend([
        WHvX64RegisterEs,
        WHvX64RegisterCs,
        WHvX64RegisterSs,
        WHvX64RegisterDs,
        WHvX64RegisterFs,
        WHvX64RegisterGs,
        WHvX64RegisterLdtr,
        WHvX64RegisterTr,
        WHvX64RegisterIdtr,
        WHvX64RegisterGdtr,
        WHvX64RegisterCr0,
        WHvX64RegisterCr2,
        WHvX64RegisterCr3,
        WHvX64RegisterCr4,
        WHvX64RegisterCr8,
        WHvX64RegisterEfer,
        WHvX64RegisterApicBase,
        WHvX64RegisterPat,
        WHvX64RegisterXmm0,
        WHvX64RegisterFpControlStatus,
        WHvX64RegisterXmmControlStatus,
        WHvRegisterInterruptState,
        WHvRegisterPendingInterruption,
        WHvX64RegisterApicLvtTimer,
        WHvX64RegisterApicInitCount,
        WHvX64RegisterApicDivide,
        WHvX64RegisterApicSpurious,
        WHvX64RegisterApicTpr,
    ]);
    names.retain(|n| {
        let mut v = [WHV_REGISTER_VALUE::default()];
        p.get_vp_registers(0, &[*n], &mut v).is_ok()
    });
    let mut values = vec![WHV_REGISTER_VALUE::default(); names.len()];
    p.get_vp_registers(0, &names, &mut values).unwrap();
    names
        .into_iter()
        .zip(values)
        .map(|(n, v)| {
            // SAFETY: any register value is 16 plain bytes, all initialised
            // (values start from `default()`, zeroed).
            let bytes = unsafe { std::mem::transmute::<WHV_REGISTER_VALUE, [u8; 16]>(v) };
            (n, bytes)
        })
        .collect()
}

fn ticks(p: &Partition) -> u32 {
    let mut b = [0u8; 4];
    p.read_gpa_range(TICKS, &mut b).unwrap();
    u32::from_le_bytes(b)
}

#[test]
fn a_counting_guest_with_a_timer_continues_where_it_was_saved() {
    let Some((a, _mem)) = guest() else {
        return;
    };
    for want in 1..=3 {
        assert_eq!(next_tick(&a), want, "the original's timer ticks");
    }
    // Mid-run: state changed by the VMM (RIP advanced past the OUT) that
    // has not reached KVM yet, a value in XMM0 the guest never touches.
    let mut xmm = WHV_REGISTER_VALUE::default();
    xmm.Reg128 = WHV_UINT128 {
        Dword: [0x89ab_cdef, 0x0123_4567, 0x7654_3210, 0xfedc_ba98],
    };
    a.set_vp_registers(0, &[WHvX64RegisterXmm0], &[xmm])
        .unwrap();
    let before = registers(&a);
    let counted = get64(&a, 0, WHvX64RegisterRbx);
    let saved = a.save_state().unwrap();
    assert_eq!(saved.vp_indices(), vec![0]);
    assert_eq!(saved.memory_size(), MEMORY as u64);
    let bytes = saved.to_bytes();
    let snapshot = PartitionSnapshot::from_bytes(&bytes).unwrap();
    assert_eq!(registers(&a), before, "saving changes nothing");

    let b = Partition::restore_state(&snapshot).unwrap();
    let after = registers(&b);
    for ((n, x), (m, y)) in before.iter().zip(&after) {
        assert_eq!((n, x), (m, y), "register {:#x} restored", n.0);
    }
    assert_eq!(before.len(), after.len());
    let mut mine = vec![0u8; MEMORY];
    let mut theirs = vec![0u8; MEMORY];
    a.read_gpa_range(0, &mut mine).unwrap();
    b.read_gpa_range(0, &mut theirs).unwrap();
    assert!(mine == theirs, "memory restored");
    assert_eq!(ticks(&b), 3);

    // Both continue: the restored one from tick 3 and RBX as saved.
    for want in 4..=6 {
        assert_eq!(next_tick(&b), want, "the restored guest's timer ticks on");
        assert!(
            get64(&b, 0, WHvX64RegisterRbx) > counted,
            "and it counts on"
        );
    }
    assert_eq!(next_tick(&a), 4, "the original runs on by itself");
    assert_eq!(ticks(&a), 4, "the restored guest's memory is its own");
}

#[test]
fn a_running_vp_cannot_be_saved() {
    let Some((a, _mem)) = guest() else {
        return;
    };
    next_tick(&a);
    std::thread::scope(|s| {
        // A save that takes the VP between two runs makes the next run or
        // register write answer WHV_E_INVALID_VP_STATE: try it again then.
        fn busy(e: &winhv::Error) -> bool {
            e.hresult == WHV_E_INVALID_VP_STATE
        }
        s.spawn(|| {
            loop {
                let x = match a.run_vp(0) {
                    Ok(x) => x,
                    Err(e) if busy(&e) => {
                        std::thread::yield_now();
                        continue;
                    }
                    Err(e) => panic!("run: {e}"),
                };
                if x.ExitReason == WHvRunVpExitReasonCanceled {
                    break;
                }
                let mut rip = WHV_REGISTER_VALUE::default();
                rip.Reg64 = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
                loop {
                    match a.set_vp_registers(0, &[WHvX64RegisterRip], &[rip]) {
                        Ok(()) => break,
                        Err(e) if busy(&e) => std::thread::yield_now(),
                        Err(e) => panic!("set RIP: {e}"),
                    }
                }
            }
        });
        // Until the save meets the VP inside a run (bounded: a VP thread
        // that died would leave every save succeeding).
        let start = std::time::Instant::now();
        let e = loop {
            match a.save_state() {
                Err(e) => break e,
                Ok(_) => {
                    if start.elapsed() > std::time::Duration::from_secs(60) {
                        a.cancel_run_vp(0, 0).unwrap();
                        panic!("no save met the VP inside a run in 60 s");
                    }
                    std::thread::yield_now()
                }
            }
        };
        a.cancel_run_vp(0, 0).unwrap();
        assert_eq!(e.hresult, WHV_E_INVALID_VP_STATE, "{e}");
    });
}
