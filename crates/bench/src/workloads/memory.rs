//! GPA map operations: map + unmap of 4 KiB and of 1 GiB (WHvMapGpaRange +
//! WHvUnmapGpaRange against creating and deleting a KVM memory slot), and
//! the dirty bitmap of a 1 GiB tracked range (WHvQueryGpaRangeDirtyBitmap
//! against KVM_GET_DIRTY_LOG into a preallocated bitmap), clean and after a
//! guest dirtied a known set of pages.

use std::os::fd::AsRawFd;
use std::time::Instant;

use kvm_bindings::{KVM_MEM_LOG_DIRTY_PAGES, kvm_dirty_log, kvm_userspace_memory_region};
use kvm_ioctls::VmFd;
use winhv::Partition;
use winhv::defs::*;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;
use crate::pair::Pair;
use crate::raw::RawKvm;
use crate::whp::{self, rwx};

/// Where the ranges go: above the 4 GiB of a small guest.
const GPA: u64 = 1 << 32;
/// The slot the raw side uses.
const SLOT: u32 = 1;

/// A partition without VPs, a raw VM without vCPUs, and `len` bytes of
/// memory for each. Fields drop in order: VMs before memory.
struct Setup {
    partition: Partition,
    raw: VmFd,
    whp_memory: HostMemory,
    raw_memory: HostMemory,
}

fn setup(len: usize) -> Result<Setup> {
    let kvm = RawKvm::open()?;
    Ok(Setup {
        partition: whp::partition(false)?,
        raw: kvm.kvm.create_vm()?,
        whp_memory: HostMemory::new(len)?,
        raw_memory: HostMemory::new(len)?,
    })
}

fn region(memory: &HostMemory, size: u64, flags: u32) -> kvm_userspace_memory_region {
    kvm_userspace_memory_region {
        slot: SLOT,
        flags,
        guest_phys_addr: GPA,
        memory_size: size,
        userspace_addr: memory.addr(),
    }
}

/// Map then unmap `len` bytes, both sides.
fn map_unmap(len: usize, ops_per_batch: u64) -> Result<Pair> {
    let s = std::rc::Rc::new(setup(len)?);
    let w = s.clone();
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                // SAFETY: the memory lives in `w` with the partition and is
                // dropped after it (field order of `Setup`).
                unsafe {
                    w.partition
                        .map_gpa_range(w.whp_memory.as_ptr(), GPA, len as u64, rwx())
                }?;
                w.partition.unmap_gpa_range(GPA, len as u64)?;
            }
            Ok(start.elapsed())
        }),
        kvm: Box::new(move |ops| {
            let start = Instant::now();
            for _ in 0..ops {
                // SAFETY: the region is backed by `raw_memory`, dropped after
                // the VM (field order of `Setup`).
                unsafe {
                    s.raw
                        .set_user_memory_region(region(&s.raw_memory, len as u64, 0))
                }?;
                // SAFETY: a size of 0 deletes the slot.
                unsafe { s.raw.set_user_memory_region(region(&s.raw_memory, 0, 0)) }?;
            }
            Ok(start.elapsed())
        }),
        ops_per_batch,
        note: "map + unmap at 4 GiB on a set-up partition with no VP; raw: slot create + delete"
            .into(),
    })
}

/// Map + unmap of 4 KiB.
pub fn map_4k() -> Result<Pair> {
    map_unmap(4 << 10, 100)
}

/// Map + unmap of 1 GiB (MAP_NORESERVE memory, never touched).
pub fn map_1g() -> Result<Pair> {
    map_unmap(1 << 30, 20)
}

/// `KVM_GET_DIRTY_LOG`, `_IOW(KVMIO, 0x42, struct kvm_dirty_log)`.
const KVM_GET_DIRTY_LOG: u64 = 0x4010_ae42;

/// Dirty bitmap of a 1 GiB tracked range (nothing dirtied between queries:
/// this is the cost of the query itself).
pub fn dirty_1g() -> Result<Pair> {
    const LEN: u64 = 1 << 30;
    let words = (LEN / 4096 / 64) as usize;
    let s = setup(LEN as usize)?;
    let flags = rwx() | WHvMapGpaRangeFlagTrackDirtyPages;
    // SAFETY: the memory lives in `s` with the partition and is dropped
    // after it (field order of `Setup`).
    unsafe {
        s.partition
            .map_gpa_range(s.whp_memory.as_ptr(), GPA, LEN, flags)
    }?;
    // SAFETY: as above, for the raw VM and its memory.
    unsafe {
        s.raw
            .set_user_memory_region(region(&s.raw_memory, LEN, KVM_MEM_LOG_DIRTY_PAGES))
    }?;
    let s = std::rc::Rc::new(s);
    let w = s.clone();
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let mut bitmap = vec![0u64; words];
            let start = Instant::now();
            for _ in 0..ops {
                w.partition.query_gpa_range_dirty_bitmap(GPA, LEN, Some(&mut bitmap))?;
            }
            Ok(start.elapsed())
        }),
        kvm: Box::new(move |ops| {
            let mut bitmap = vec![0u64; words];
            let start = Instant::now();
            for _ in 0..ops {
                let mut log = kvm_dirty_log { slot: SLOT, ..Default::default() };
                log.__bindgen_anon_1.dirty_bitmap = bitmap.as_mut_ptr().cast();
                // SAFETY: KVM_GET_DIRTY_LOG writes one bit per page of the
                // slot (1 GiB / 4 KiB bits) into `bitmap`, which holds exactly
                // that many; `log` lives across the call.
                let r = unsafe { libc::ioctl(s.raw.as_raw_fd(), KVM_GET_DIRTY_LOG as _, &log) };
                if r != 0 {
                    return Err(Error::new(format!(
                        "raw KVM: KVM_GET_DIRTY_LOG: {}",
                        std::io::Error::last_os_error()
                    )));
                }
            }
            Ok(start.elapsed())
        }),
        ops_per_batch: 50,
        note: "1 GiB mapped with TrackDirtyPages, no page dirtied; raw: KVM_GET_DIRTY_LOG into a reused bitmap".into(),
    })
}

/// Where the dirtied range goes: inside the 4 GiB identity map of a
/// `winhv-guest` long-mode guest, above its RAM.
const DIRTY_GPA: u64 = 1 << 30;
/// Pages the guest writes before each query, spread over the 1 GiB.
const DIRTIED: u32 = 64;
/// The port the guest reports on after its writes.
const DIRTIED_PORT: u16 = 0xe2;

/// A long-mode guest that forever writes one byte to each of [`DIRTIED`]
/// pages 16 MiB apart from [`DIRTY_GPA`], then `out DIRTIED_PORT`.
fn dirtying_guest() -> Result<(winhv_guest::GuestMemory, winhv_guest::Registers)> {
    use winhv_guest::asm::code_asm::*;
    let mut g = winhv_guest::Guest::new(0, crate::workloads::exits::MIN_RAM)?;
    let entry = g.layout().code;
    let stride = ((1u64 << 30) / u64::from(DIRTIED)) as u32;
    g.assemble_at(64, entry, |a| {
        let mut top = a.create_label();
        a.mov(rdi, DIRTY_GPA)?;
        a.set_label(&mut top)?;
        for page in 0..DIRTIED {
            a.mov(byte_ptr(rdi + stride * page), al)?;
        }
        a.out(u32::from(DIRTIED_PORT), al)?;
        a.jmp(top)
    })?;
    let registers = g.long64(entry)?;
    Ok((g.into_memory(), registers))
}

/// Dirty bitmap of a 1 GiB tracked range after the guest wrote
/// [`DIRTIED`] pages of it: each operation runs the guest to its report
/// (not timed) and times the query alone, which must find exactly those
/// pages.
pub fn dirty_1g_after_writes() -> Result<Pair> {
    const LEN: u64 = 1 << 30;
    let words = (LEN / 4096 / 64) as usize;
    let (image, registers) = dirtying_guest()?;
    let ram = crate::workloads::exits::MIN_RAM;
    let whp_vm = whp::WhpVm::new(
        HostMemory::with_image(ram, image.as_bytes())?,
        0,
        &registers,
    )?;
    let whp_dirty = HostMemory::new(LEN as usize)?;
    let flags = rwx() | WHvMapGpaRangeFlagTrackDirtyPages;
    // SAFETY: `whp_dirty` lives in the closure's tuple after the VM and is
    // dropped after it.
    unsafe {
        whp_vm
            .partition()
            .map_gpa_range(whp_dirty.as_ptr(), DIRTY_GPA, LEN, flags)
    }?;
    let w = (whp_vm, whp_dirty);
    let kvm = RawKvm::open()?;
    let raw_vm = kvm.vm(
        HostMemory::with_image(ram, image.as_bytes())?,
        0,
        &registers,
    )?;
    let raw_dirty = HostMemory::new(LEN as usize)?;
    let tracked = kvm_userspace_memory_region {
        slot: SLOT,
        flags: KVM_MEM_LOG_DIRTY_PAGES,
        guest_phys_addr: DIRTY_GPA,
        memory_size: LEN,
        userspace_addr: raw_dirty.addr(),
    };
    // SAFETY: `raw_dirty` lives in the closure's tuple after the VM.
    unsafe { raw_vm.vm().set_user_memory_region(tracked) }?;
    let mut r = (raw_vm, raw_dirty);
    let check = |bitmap: &[u64], side: &str| {
        let found: u32 = bitmap.iter().map(|w| w.count_ones()).sum();
        if found != DIRTIED {
            return Err(Error::new(format!(
                "{side}: {found} dirty pages reported, the guest wrote {DIRTIED}"
            )));
        }
        Ok(())
    };
    Ok(Pair {
        winhv: Box::new(move |ops| {
            let (vm, _) = &w;
            let p = vm.partition();
            let mut bitmap = vec![0u64; words];
            let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..ops {
                p.run_vp_into(0, &mut exit)?;
                if exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess {
                    return Err(whp::unexpected("the guest's report", &exit));
                }
                whp::skip_instruction(p, &exit)?;
                let start = Instant::now();
                p.query_gpa_range_dirty_bitmap(DIRTY_GPA, LEN, Some(&mut bitmap))?;
                timed += start.elapsed();
                check(&bitmap, "winhv")?;
            }
            Ok(timed)
        }),
        kvm: Box::new(move |ops| {
            let (vm, _) = &mut r;
            let mut bitmap = vec![0u64; words];
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..ops {
                let exit = vm.vcpu().run()?;
                if !matches!(exit, kvm_ioctls::VcpuExit::IoOut(..)) {
                    return Err(crate::raw::unexpected("the guest's report", &exit));
                }
                let start = Instant::now();
                let mut log = kvm_dirty_log {
                    slot: SLOT,
                    ..Default::default()
                };
                log.__bindgen_anon_1.dirty_bitmap = bitmap.as_mut_ptr().cast();
                // SAFETY: KVM_GET_DIRTY_LOG writes one bit per page of the
                // 1 GiB slot into `bitmap`, which holds exactly that many.
                let r = unsafe { libc::ioctl(vm.vm().as_raw_fd(), KVM_GET_DIRTY_LOG as _, &log) };
                timed += start.elapsed();
                if r != 0 {
                    return Err(Error::new(format!(
                        "raw KVM: KVM_GET_DIRTY_LOG: {}",
                        std::io::Error::last_os_error()
                    )));
                }
                check(&bitmap, "raw KVM")?;
            }
            Ok(timed)
        }),
        ops_per_batch: 20,
        note: format!(
            "the guest wrote {DIRTIED} pages 16 MiB apart, then reported (not timed); only the query is timed; raw: KVM_GET_DIRTY_LOG"
        ),
    })
}
