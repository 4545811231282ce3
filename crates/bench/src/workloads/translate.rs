//! GVA translation through 4-level page tables down to 4 KiB pages:
//! winhv's WHvTranslateGva (a software walk) against KVM_TRANSLATE, on a
//! VP stopped at an exit. "Cached" asks for the same address every time,
//! "uncached" walks 512 different pages in turn.

use std::hint::black_box;
use std::time::Instant;

use kvm_ioctls::VcpuExit;
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;
use winhv_guest::paging::pte;

use crate::error::{Error, Result};
use crate::pair::Pair;
use crate::raw;
use crate::whp;
use crate::workloads::exits::{PORT, vms};

/// The first of the 512 4 KiB pages mapped for the walk.
const GVA: u64 = 0x4000_0000;
const PAGES: u64 = 512;
const MEMORY: usize = 2 << 20;

fn gva(uncached: bool, i: u64) -> u64 {
    if uncached {
        GVA + (i % PAGES) * 0x1000 + 0x10
    } else {
        GVA + 0x10
    }
}

fn pair(uncached: bool) -> Result<Pair> {
    let mut guest = Guest::new(0, MEMORY)?;
    let entry = guest.layout().code;
    guest.assemble_at(64, entry, |a| {
        a.out(u32::from(PORT), al)?;
        a.hlt()
    })?;
    let registers = guest.long64(entry)?;
    for i in 0..PAGES {
        guest.map_4k(GVA + i * 0x1000, (i * 0x1000) % MEMORY as u64, pte::RW_USER)?;
    }
    let program = winhv_guest::Program {
        memory: guest.memory().clone(),
        registers,
        layout: *guest.layout(),
    };
    let (whp, mut raw) = vms(&program)?;
    let exit = whp.partition().run_vp(0)?;
    if exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess {
        return Err(whp::unexpected("an I/O-port exit", &exit));
    }
    match raw.vcpu().run()? {
        VcpuExit::IoOut(..) => {}
        other => return Err(raw::unexpected("KVM_EXIT_IO (out)", &other)),
    }
    let expected = |i: u64| (i % PAGES * 0x1000) % MEMORY as u64 + 0x10;
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let start = Instant::now();
            for i in 0..ops {
                let (result, gpa) = whp.partition().translate_gva(
                    0,
                    black_box(gva(uncached, i)),
                    WHvTranslateGvaFlagValidateRead,
                )?;
                if result.ResultCode != WHvTranslateGvaResultSuccess
                    || gpa != expected(if uncached { i } else { 0 })
                {
                    return Err(Error::new(format!(
                        "winhv: WHvTranslateGva({:#x}) gave {:?} {gpa:#x}",
                        gva(uncached, i),
                        result.ResultCode.name()
                    )));
                }
            }
            Ok(start.elapsed())
        }),
        kvm: Box::new(move |ops| {
            let start = Instant::now();
            for i in 0..ops {
                let t = raw.vcpu().translate_gva(black_box(gva(uncached, i)))?;
                if t.valid == 0 || t.physical_address != expected(if uncached { i } else { 0 }) {
                    return Err(Error::new(format!(
                        "raw KVM: KVM_TRANSLATE({:#x}) gave valid={} {:#x}",
                        gva(uncached, i),
                        t.valid,
                        t.physical_address
                    )));
                }
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 200,
        note: if uncached {
            "512 different 4 KiB pages in turn; winhv software walk vs KVM_TRANSLATE".into()
        } else {
            "the same address each time; winhv software walk vs KVM_TRANSLATE".into()
        },
    })
}

/// The same GVA every time.
pub fn cached() -> Result<Pair> {
    pair(false)
}

/// 512 different pages in turn.
pub fn uncached() -> Result<Pair> {
    pair(true)
}
