//! Emulated exits (issue #4): the guest's MMIO store loop and OUT loop, each
//! exit handed to a device, through winhv + winhv-emu and through raw KVM.
//!
//! The winhv side is a Windows VMM's loop: WHvRunVirtualProcessor → a
//! MemoryAccess (or I/O-port) exit → WHvEmulatorTryMmioEmulation (or
//! TryIoEmulation) with [`PartitionCallbacks`] — registers through the
//! partition's get/set, translation through WHvTranslateGva, the access to
//! the device — → run again. The raw side is a raw KVM VMM's loop:
//! KVM_RUN → KVM_EXIT_MMIO (or KVM_EXIT_IO) → the data to the same device →
//! KVM_RUN (KVM completes the write itself).
//!
//! Both sides check every access: the device expects the guest's countdown
//! (each value one less than the previous), so a side whose data goes
//! astray fails instead of measuring.

use std::time::Instant;

use kvm_ioctls::VcpuExit;
use winhv::defs::*;
use winhv_emu::Emulator;
use winhv_guest::programs::{self, Program};

use crate::emu_callbacks::{Device, PartitionCallbacks};
use crate::error::{Error, Result};
use crate::pair::{Pair, Side};
use crate::raw::{self, RawVm};
use crate::whp::{self, WhpVm};
use crate::workloads::exits::{MMIO_GPA, PORT, vms};

/// Loop count: effectively endless (no batch gets near it).
const FOREVER: u32 = u32::MAX;

/// Operations per batch (each an exit of several to tens of µs on PVM).
const OPS_PER_BATCH: u64 = 200;

/// The device both sides write to: one MMIO register at [`MMIO_GPA`] and
/// one port at [`PORT`], checking that the guest's values count down.
#[derive(Debug, Default)]
pub struct Countdown {
    /// Writes accepted so far.
    pub writes: u64,
    /// The last value written (`None` before the first).
    last: Option<u64>,
    /// Writes whose value was not the previous one minus 1.
    pub wrong: u64,
}

impl Countdown {
    /// Records a written value of `data.len()` bytes.
    fn write(&mut self, data: &[u8]) {
        let mut bytes = [0u8; 8];
        let n = data.len().min(8);
        bytes[..n].copy_from_slice(&data[..n]);
        let value = u64::from_le_bytes(bytes);
        let mask = if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        if self
            .last
            .is_some_and(|last| last.wrapping_sub(1) & mask != value)
        {
            self.wrong += 1;
        }
        self.last = Some(value);
        self.writes += 1;
    }

    /// Reads (the loops do none) return zeros.
    fn read(data: &mut [u8]) {
        data.fill(0);
    }

    /// Checks that `ops` more writes arrived since `before`, all in order.
    pub fn check(&self, side: &str, before: u64, ops: u64) -> Result<()> {
        if self.wrong != 0 {
            return Err(Error::new(format!(
                "{side}: the device saw {} writes out of the guest's countdown",
                self.wrong
            )));
        }
        if self.writes - before != ops {
            return Err(Error::new(format!(
                "{side}: {ops} exits but {} device writes",
                self.writes - before
            )));
        }
        Ok(())
    }
}

impl Device for Countdown {
    fn mmio(&mut self, gpa: u64, write: bool, data: &mut [u8]) -> bool {
        if gpa != MMIO_GPA {
            return false;
        }
        if write {
            self.write(data);
        } else {
            Self::read(data);
        }
        true
    }

    fn port(&mut self, port: u16, write: bool, data: &mut [u8]) -> bool {
        if port != PORT {
            return false;
        }
        if write {
            self.write(data);
        } else {
            Self::read(data);
        }
        true
    }
}

/// Which exit a row emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Mmio,
    PortIo,
}

/// One emulation of `exit` of `kind` through [`PartitionCallbacks`].
fn emulate(
    emu: &mut Emulator,
    vm: &WhpVm,
    device: &mut Countdown,
    kind: Kind,
    exit: &WHV_RUN_VP_EXIT_CONTEXT,
) -> Result<()> {
    let p = vm.partition();
    let mut cb = PartitionCallbacks::new(p, 0, device);
    let status = match kind {
        Kind::Mmio => {
            if exit.ExitReason != WHvRunVpExitReasonMemoryAccess {
                return Err(whp::unexpected("a memory-access exit", exit));
            }
            // SAFETY: MemoryAccess is the live member for this exit reason.
            let mmio = unsafe { &exit.Anonymous.MemoryAccess };
            emu.try_mmio_emulation(&mut cb, &exit.VpContext, mmio)
        }
        Kind::PortIo => {
            if exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess {
                return Err(whp::unexpected("an I/O-port exit", exit));
            }
            // SAFETY: IoPortAccess is the live member for this exit reason.
            let io = unsafe { &exit.Anonymous.IoPortAccess };
            emu.try_io_emulation(&mut cb, &exit.VpContext, io)
        }
    }
    .map_err(|hr| Error::new(format!("winhv-emu: {hr} at RIP {:#x}", exit.VpContext.Rip)))?;
    if status.emulation_successful() == 0 {
        return Err(Error::new(format!(
            "winhv-emu: status {:#x} at RIP {:#x}",
            status.AsUINT32, exit.VpContext.Rip
        )));
    }
    Ok(())
}

/// winhv + winhv-emu: run, emulate, run again.
fn whp_side(vm: WhpVm, kind: Kind) -> Side {
    let mut emu = Emulator::new();
    let mut device = Countdown::default();
    Box::new(move |ops| {
        let before = device.writes;
        let start = Instant::now();
        for _ in 0..ops {
            let exit = vm.partition().run_vp(0)?;
            emulate(&mut emu, &vm, &mut device, kind, &exit)?;
        }
        let elapsed = start.elapsed();
        device.check("winhv", before, ops)?;
        Ok(elapsed)
    })
}

/// raw KVM: run, hand the written data to the device, run again.
fn raw_side(mut vm: RawVm, kind: Kind) -> Side {
    let mut device = Countdown::default();
    Box::new(move |ops| {
        let before = device.writes;
        let mut data = [0u8; 8];
        let start = Instant::now();
        for _ in 0..ops {
            let exit = vm.vcpu().run()?;
            let handled = match (kind, exit) {
                (Kind::Mmio, VcpuExit::MmioWrite(gpa, d)) if d.len() <= 8 => {
                    data[..d.len()].copy_from_slice(d);
                    device.mmio(gpa, true, &mut data[..d.len()])
                }
                (Kind::PortIo, VcpuExit::IoOut(port, d)) if d.len() <= 8 => {
                    data[..d.len()].copy_from_slice(d);
                    device.port(port, true, &mut data[..d.len()])
                }
                (_, other) => {
                    let what = match kind {
                        Kind::Mmio => "KVM_EXIT_MMIO (write)",
                        Kind::PortIo => "KVM_EXIT_IO (out)",
                    };
                    return Err(raw::unexpected(what, &other));
                }
            };
            if !handled {
                return Err(Error::new("raw KVM: an access outside the device"));
            }
        }
        let elapsed = start.elapsed();
        device.check("raw KVM", before, ops)?;
        Ok(elapsed)
    })
}

fn pair(program: &Program, kind: Kind, note: &str) -> Result<Pair> {
    let (whp, raw) = vms(program)?;
    Ok(Pair {
        winhv: whp_side(whp, kind),
        kvm: raw_side(raw, kind),
        ops_per_batch: OPS_PER_BATCH,
        note: note.into(),
    })
}

/// MMIO + TryMmioEmulation: a CPL3 4-byte store loop (natively executed on
/// PVM).
pub fn mmio() -> Result<Pair> {
    pair(
        &programs::mmio_loop_user(MMIO_GPA, FOREVER)?,
        Kind::Mmio,
        "CPL3 `mov [rdi],eax` to an unmapped GPA; winhv: run_vp + TryMmioEmulation (partition callbacks) + device; raw: KVM_RUN + device",
    )
}

/// MMIO + TryMmioEmulation: the same store loop at CPL0.
pub fn mmio_cpl0() -> Result<Pair> {
    pair(
        &programs::mmio_loop(MMIO_GPA, FOREVER)?,
        Kind::Mmio,
        "CPL0 `mov [rdi],eax` loop (loop emulated by PVM, both sides); winhv: TryMmioEmulation; raw: KVM_RUN + device",
    )
}

/// Port I/O + TryIoEmulation: a CPL3 `out dx, al` loop.
pub fn port_io() -> Result<Pair> {
    pair(
        &programs::out_loop_user(PORT, FOREVER)?,
        Kind::PortIo,
        "CPL3 `out dx,al` loop; winhv: run_vp + TryIoEmulation (partition callbacks) + device; raw: KVM_RUN + device",
    )
}

/// Port I/O + TryIoEmulation: the same OUT loop at CPL0.
pub fn port_io_cpl0() -> Result<Pair> {
    pair(
        &programs::out_loop(PORT, FOREVER)?,
        Kind::PortIo,
        "CPL0 `out dx,al` loop (loop emulated by PVM, both sides); winhv: TryIoEmulation; raw: KVM_RUN + device",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_accepts_a_countdown_and_flags_anything_else() {
        let mut d = Countdown::default();
        assert!(d.port(PORT, true, &mut [3]));
        assert!(d.port(PORT, true, &mut [2]));
        assert!(d.port(PORT, true, &mut [0]));
        assert_eq!((d.writes, d.wrong), (3, 1));
        assert!(d.check("t", 0, 3).is_err());
        let mut d = Countdown::default();
        assert!(d.mmio(MMIO_GPA, true, &mut 0u32.to_le_bytes()));
        assert!(d.mmio(MMIO_GPA, true, &mut u32::MAX.to_le_bytes()));
        assert!(!d.mmio(MMIO_GPA + 4, true, &mut [0; 4]));
        assert!(!d.port(PORT + 1, true, &mut [0]));
        assert!(d.check("t", 0, 2).is_ok());
        assert!(d.check("t", 0, 3).is_err());
    }

    /// Every emulated row runs a few exits on each side, the device seeing
    /// every write in order.
    #[test]
    fn every_emulated_row_runs_on_both_sides() {
        if !std::path::Path::new("/dev/kvm").exists() {
            println!("SKIPPED: no /dev/kvm");
            return;
        }
        for build in [mmio, mmio_cpl0, port_io, port_io_cpl0] {
            let mut pair = build().expect("setup");
            (pair.winhv)(3).expect("winhv side");
            (pair.kvm)(3).expect("raw side");
            (pair.winhv)(2).expect("winhv side, again");
            (pair.kvm)(2).expect("raw side, again");
        }
    }
}
