//! Register batches: get and set of the 16 general registers on a VP
//! stopped at an exit (the state an exit handler works in), winhv's
//! WHvGet/SetVirtualProcessorRegisters against the two things a raw KVM
//! VMM may do: KVM_GET_REGS + KVM_SET_REGS, or kvm_run's synced registers
//! (KVM_CAP_SYNC_REGS) with no system call at all.

use std::hint::black_box;
use std::time::Instant;

use kvm_ioctls::{SyncReg, VcpuExit};
use winhv::defs::*;
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

/// winhv against kvm_run's synced registers (no system call).
pub fn against_sync_regs() -> Result<Pair> {
    let (whp, mut raw) = stopped(true)?;
    if raw.vcpu().get_kvm_run().kvm_valid_regs & u64::from(kvm_bindings::KVM_SYNC_X86_REGS) == 0 {
        return Err(Error::new(
            "raw KVM: KVM_CAP_SYNC_REGS did not sync the registers",
        ));
    }
    Ok(Pair {
        winhv: whp_side(whp),
        kvm: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                let regs = raw.vcpu().sync_regs().regs;
                raw.vcpu().sync_regs_mut().regs = black_box(regs);
                raw.vcpu().set_sync_dirty_reg(SyncReg::Register);
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 20_000,
        note: "VP stopped at an exit; raw side: kvm_run.s.regs copy + kvm_dirty_regs".into(),
    })
}
