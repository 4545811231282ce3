//! Shared helpers of the safe-API tests (`safe_exits.rs`, `safe_state.rs`,
//! `safe_memory.rs`): the skip line, guests at CPL3 loaded into owned
//! memory, a recording device model and a run loop that answers it.
#![allow(dead_code, reason = "each test file uses a subset")]

use winhv::defs::*;
use winhv::safe::{Devices, Exit, GuestMemory, Partition, PartitionBuilder, VirtualProcessor};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

pub const MMIO: u64 = 0x1000_0000;
pub const DONE_PORT: u16 = 0x99;

pub fn kvm_available() -> bool {
    if std::path::Path::new("/dev/kvm").exists() {
        true
    } else {
        println!("SKIPPED: no /dev/kvm");
        false
    }
}

pub fn rwx() -> WHV_MAP_GPA_RANGE_FLAGS {
    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute
}

/// A partition with `vps` VPs, `guest`'s image in owned memory (the
/// caller's handle dropped at once: the partition keeps it), and `regs`
/// loaded into every VP.
pub fn load(guest: &Guest, regs: &winhv_guest::registers::Registers, vps: u32) -> Partition {
    let image = guest.memory();
    let mem = GuestMemory::new(image.size() as usize).unwrap();
    mem.write(0, image.as_bytes()).unwrap();
    let p = PartitionBuilder::new()
        .processor_count(vps)
        .build()
        .unwrap();
    p.map(&mem, image.base(), rwx()).unwrap();
    drop(mem);
    let (names, values) = winhv_guest::whp::registers(regs);
    for i in 0..vps {
        p.create_vp(i).unwrap().set_raw(&names, &values).unwrap();
    }
    p
}

/// A CPL3 long-mode guest (native on PVM) running `body`, then
/// `out DONE_PORT, al`.
pub fn user_guest(
    body: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>,
) -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        body(a)?;
        a.out(DONE_PORT as u32, al)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    (g, regs)
}

/// A device model recording every access; MMIO reads answer `answer`.
#[derive(Default)]
pub struct Recorder {
    pub io: Vec<(u16, Vec<u8>)>,
    pub mmio_writes: Vec<(u64, Vec<u8>)>,
    pub mmio_reads: Vec<(u64, usize)>,
    pub answer: u64,
    /// What every IN reads (through `Devices::io_read`).
    pub io_answer: u32,
}

impl Devices for Recorder {
    fn io_read(&mut self, _port: u16, data: &mut [u8]) {
        let n = data.len().min(4);
        data[..n].copy_from_slice(&self.io_answer.to_le_bytes()[..n]);
    }
    fn io_write(&mut self, port: u16, data: &[u8]) {
        self.io.push((port, data.to_vec()));
    }
    fn mmio_read(&mut self, gpa: u64, data: &mut [u8]) {
        self.mmio_reads.push((gpa, data.len()));
        let n = data.len();
        data.copy_from_slice(&self.answer.to_le_bytes()[..n]);
    }
    fn mmio_write(&mut self, gpa: u64, data: &[u8]) {
        self.mmio_writes.push((gpa, data.to_vec()));
    }
}

/// Runs until the guest reaches `out DONE_PORT`, answering I/O and MMIO
/// through `dev` (simple IN/OUT with the completion helpers, the rest
/// through the emulator); every IN reads `in_value`.
pub fn drive(vp: &mut VirtualProcessor<'_>, dev: &mut Recorder, in_value: u32) {
    for _ in 0..100 {
        match vp.run().unwrap() {
            Exit::IoPort {
                port: DONE_PORT, ..
            } => return,
            Exit::IoPort {
                is_write: false,
                string: false,
                ..
            } => vp.complete_io_read(in_value).unwrap(),
            Exit::IoPort {
                port,
                size,
                is_write: true,
                string: false,
                data,
                ..
            } => {
                dev.io
                    .push((port, data.to_le_bytes()[..usize::from(size)].to_vec()));
                vp.complete_io_write().unwrap();
            }
            Exit::IoPort { string: true, .. } => vp.emulate_io(dev).unwrap(),
            Exit::Mmio { .. } => vp.emulate_mmio(dev).unwrap(),
            other => {
                let other = format!("{other:?}");
                panic!("unexpected {other} at {:#x}", vp.exit_state().rip)
            }
        }
    }
    panic!("the guest never finished");
}
