//! A device served inside the run: the MMIO store loop of `exits::mmio`,
//! but to a range the winhv side has claimed (`Partition::claim`, what an
//! in-process HDV device's BAR is), so each store is handled on the VP's
//! thread and `WHvRunVirtualProcessor` returns only at the port write that
//! ends each batch of stores. The raw side is a raw KVM VMM serving the
//! same stores itself (a write exit needs nothing: KVM completes it).
//! Both sides count stores; the port exit of each batch is shared.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use kvm_ioctls::VcpuExit;
use winhv::defs::*;
use winhv::{DeviceHandler, Space};
use winhv_guest::programs;

use crate::error::Result;
use crate::pair::Pair;
use crate::raw;
use crate::whp;
use crate::workloads::exits::{MMIO_GPA, PORT, vms};

/// Stores per batch (one port exit each).
const BATCH: u32 = 10;

/// The claimed range's handler: counts the stores.
struct Sink(Arc<AtomicU64>);

impl DeviceHandler for Sink {
    fn read(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }
    fn write(&self, _offset: u64, _data: &[u8]) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// CPL3 MMIO stores to a claimed range, against raw KVM's MMIO exits.
pub fn claimed_mmio() -> Result<Pair> {
    let program = programs::mmio_batches_user(MMIO_GPA, BATCH, PORT)?;
    let (whp, mut raw) = vms(&program)?;
    let stores = Arc::new(AtomicU64::new(0));
    whp.partition().claim(
        Space::Mmio,
        MMIO_GPA,
        0x1000,
        Arc::new(Sink(stores.clone())),
    )?;
    let winhv: crate::pair::Side = Box::new(move |ops| {
        let p = whp.partition();
        let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
        let batches = ops.div_ceil(u64::from(BATCH));
        let before = stores.load(Ordering::Relaxed);
        let start = Instant::now();
        for _ in 0..batches {
            p.run_vp_into(0, &mut exit)?;
            if exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess {
                return Err(whp::unexpected("the port exit after a batch", &exit));
            }
            whp::skip_instruction(p, &exit)?;
        }
        let took = start.elapsed();
        let done = stores.load(Ordering::Relaxed) - before;
        // Time per store, scaled to `ops` (a batch's stores all counted).
        Ok(took.mul_f64(ops as f64 / done.max(1) as f64))
    });
    let kvm: crate::pair::Side = Box::new(move |ops| {
        let start = Instant::now();
        let mut done = 0;
        while done < ops {
            match raw.vcpu().run()? {
                VcpuExit::MmioWrite(..) => done += 1,
                VcpuExit::IoOut(..) => {}
                other => {
                    return Err(raw::unexpected(
                        "KVM_EXIT_MMIO (write) or the batch's port exit",
                        &other,
                    ));
                }
            }
        }
        Ok(start.elapsed())
    });
    Ok(Pair {
        winhv,
        kvm,
        ops_per_batch: 200,
        note: format!(
            "CPL3 `mov [rdi],eax` to a claimed range, served inside the run; one port exit per {BATCH} stores on both sides"
        ),
    })
}
