//! Register batches: get and set of the 16 general registers on a VP
//! stopped at an exit (the state an exit handler works in), winhv's
//! WHvGet/SetVirtualProcessorRegisters against the two things a raw KVM
//! VMM may do: KVM_GET_REGS + KVM_SET_REGS, or kvm_run's synced registers
//! (KVM_CAP_SYNC_REGS) with no system call at all.

use std::hint::black_box;
use std::time::Instant;

use kvm_ioctls::{SyncReg, VcpuExit};
use winhv::defs::*;
use winhv::safe::{Register, VirtualProcessor};
use winhv_guest::programs;

use crate::error::{Error, Result};
use crate::pair::{Pair, Side};
use crate::raw::{self, RawVm};
use crate::whp::{self, GPRS, WhpVm};
use crate::workloads::exits::{PORT, vms};

/// Both VMs stopped at their first OUT exit; the raw vCPU with synced
/// registers enabled when `sync`.
fn stopped(sync: bool) -> Result<(WhpVm, RawVm)> {
    let program = programs::out_loop_user(PORT, u32::MAX)?;
    let (whp, mut raw) = vms(&program)?;
    let exit = whp.partition().run_vp(0)?;
    if exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess {
        return Err(whp::unexpected("an I/O-port exit", &exit));
    }
    whp::skip_instruction(whp.partition(), &exit)?;
    if sync {
        raw.vcpu().set_sync_valid_reg(SyncReg::Register);
    }
    match raw.vcpu().run()? {
        VcpuExit::IoOut(..) => {}
        other => return Err(raw::unexpected("KVM_EXIT_IO (out)", &other)),
    }
    Ok((whp, raw))
}

fn whp_side(vm: WhpVm) -> Side {
    Box::new(move |ops| {
        let p = vm.partition();
        let mut values = [WHV_REGISTER_VALUE::default(); 16];
        let start = Instant::now();
        for _ in 0..ops {
            p.get_vp_registers(0, &GPRS, &mut values)?;
            p.set_vp_registers(0, &GPRS, black_box(&values))?;
        }
        Ok(start.elapsed())
    })
}

/// The same batch through the safe API's VP handle (`winhv::safe`): the
/// VP looked up once per batch, typed `u64` values.
fn safe_side(vm: WhpVm) -> Side {
    Box::new(move |ops| {
        let vp = VirtualProcessor::from_raw(vm.partition(), 0)?;
        let start = Instant::now();
        for _ in 0..ops {
            let values = vp.get_many(Register::GPRS)?;
            let pairs: [(Register, u64); 16] =
                std::array::from_fn(|i| (Register::GPRS[i], values[i]));
            vp.set_many(black_box(pairs))?;
        }
        Ok(start.elapsed())
    })
}

/// winhv against KVM_GET_REGS + KVM_SET_REGS.
pub fn against_ioctls() -> Result<Pair> {
    let (whp, mut raw) = stopped(false)?;
    Ok(Pair {
        winhv: whp_side(whp),
        kvm: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                let regs = raw.vcpu().get_regs()?;
                raw.vcpu().set_regs(black_box(&regs))?;
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 200,
        note: "VP stopped at an exit; raw side: KVM_GET_REGS + KVM_SET_REGS".into(),
    })
}

/// A raw vCPU stopped at an exit with synced registers, and the side that
/// copies them out of kvm_run and back (no system call).
fn stopped_sync() -> Result<(WhpVm, Side)> {
    let (whp, mut raw) = stopped(true)?;
    if raw.vcpu().get_kvm_run().kvm_valid_regs & u64::from(kvm_bindings::KVM_SYNC_X86_REGS) == 0 {
        return Err(Error::new(
            "raw KVM: KVM_CAP_SYNC_REGS did not sync the registers",
        ));
    }
    let kvm: Side = Box::new(move |ops| {
        let start = Instant::now();
        for _ in 0..ops {
            let regs = raw.vcpu().sync_regs().regs;
            raw.vcpu().sync_regs_mut().regs = black_box(regs);
            raw.vcpu().set_sync_dirty_reg(SyncReg::Register);
        }
        Ok(start.elapsed())
    });
    Ok((whp, kvm))
}

/// winhv against kvm_run's synced registers (no system call).
pub fn against_sync_regs() -> Result<Pair> {
    let (whp, kvm) = stopped_sync()?;
    Ok(Pair {
        winhv: whp_side(whp),
        kvm,
        ops_per_batch: 20_000,
        note: "VP stopped at an exit; raw side: kvm_run.s.regs copy + kvm_dirty_regs".into(),
    })
}

/// winhv's safe API against kvm_run's synced registers.
pub fn safe_against_sync_regs() -> Result<Pair> {
    let (whp, kvm) = stopped_sync()?;
    Ok(Pair {
        winhv: safe_side(whp),
        kvm,
        ops_per_batch: 20_000,
        note: "safe API (VirtualProcessor::get_many/set_many), VP stopped at an exit; raw side: kvm_run.s.regs copy + kvm_dirty_regs".into(),
    })
}
