//! WHvGetPartitionCounters / WHvGetVirtualProcessorCounters: every counter
//! set, from winhv's own exit accounting ([`ExitCounters`], kept by the
//! running thread with plain loads and stores) and KVM's binary statistics
//! ([`KvmStats`], `KVM_GET_STATS_FD`: a vCPU's opened when it is created,
//! since the ioctl waits for a running vCPU and reads of the file do not;
//! the VM's on the first read). Without binary statistics (Linux before
//! 5.14) the sets that need them answer `ERROR_NOT_SUPPORTED`.
//!
//! # What each counter is on KVM
//! Counts are since the VP (or partition) was created; a reset does not
//! clear them, nor does deleting and re-creating a VP (KVM keeps the
//! vCPU, and with it its statistics). Every `Time100ns` is 0: neither KVM
//! nor winhv measures the time an intercept takes.
//!
//! | set / counter | source |
//! | --- | --- |
//! | Memory: Mapped4K/2M/1GPageCount | KVM VM `pages_4k`/`pages_2m`/`pages_1g` (guest pages KVM's MMU maps at each size; PVM's MMU keeps none: 0) |
//! | Runtime: TotalRuntime100ns | winhv: time spent in `KVM_RUN` (the guest and KVM's in-kernel handling), in host TSC ticks converted by KVM's TSC rate |
//! | Runtime: HypervisorRuntime100ns | 0: KVM does not tell its own time apart |
//! | Intercepts: PageInvalidations | KVM `invlpg` |
//! | Intercepts: IoInstructions | winhv: KVM's port I/O exits |
//! | Intercepts: HaltInstructions | KVM `halt_exits` (HLTs KVM handled itself included) |
//! | Intercepts: MsrAccesses | winhv: KVM's MSR exits to user space (those the MSR action settles without the VMM included) |
//! | Intercepts: PendingInterrupts | winhv: KVM's interrupt-window exits (never on PVM: a window found open before a run or at a HLT is reported without one) |
//! | Intercepts: EmulatedInstructions | KVM `insn_emulation` |
//! | Intercepts: PageFaultIntercepts | KVM `pf_guest` (guest page faults KVM intercepted: shadow paging) |
//! | Intercepts: NestedPageFaultIntercepts | winhv: KVM's MMIO and memory-fault exits, plus KVM `pf_fixed` (faults KVM resolved by mapping memory) |
//! | Intercepts: Hypercalls | KVM `hypercalls` |
//! | Intercepts: OtherIntercepts | winhv: every other KVM exit to user space (shutdown, entry failure, emulation failure, debug, …) but a canceled run |
//! | Intercepts: ControlRegisterAccesses, CpuidInstructions, DebugRegisterAccesses, RdpmcInstructions | 0: KVM counts none of them |
//! | Events: PageFaultCount | KVM `pf_guest` |
//! | Events: InterruptCount | KVM `irq_injections` + `nmi_injections` |
//! | Events: ExceptionCount | 0: KVM does not count injected exceptions |
//! | Apic | KVM's in-kernel LAPIC counts nothing: with LAPIC emulation the set answers `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`; without, there is no APIC and every count is 0 |
//! | SyntheticFeatures | all 0: the user-space SynIC (`crate::synic`) counts nothing yet |
//!
//! # Buffers (Microsoft documents only `_Out_writes_bytes_to_`)
//! Our choices, as for the other WHv* getters: the set's struct is
//! written at the start of the buffer and its size returned; a shorter
//! buffer answers `WHV_E_INSUFFICIENT_BUFFER` (the C export reports the
//! size needed in `BytesWritten`), except that the intercept set accepts
//! the 176 bytes of older SDKs' `WHV_PROCESSOR_INTERCEPT_COUNTERS` (before
//! NestedPageFaultIntercepts, Hypercalls and RdpmcInstructions), as much
//! as fits being written. An unknown set answers `E_INVALIDARG`.

#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

use std::fs::File;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::run::KvmExit;

/// `KVM_GET_STATS_FD`: `_IO(KVMIO, 0xce)`.
const KVM_GET_STATS_FD: libc::c_ulong = 0xaece;
/// `struct kvm_stats_header` and the fixed part of `struct kvm_stats_desc`.
const HEADER_SIZE: usize = 24;
const DESC_FIXED: usize = 16;
/// `KVM_STATS_TYPE_MASK` / `KVM_STATS_TYPE_CUMULATIVE`, `_INSTANT`.
const TYPE_MASK: u32 = 0xf;

/// The older SDKs' `WHV_PROCESSOR_INTERCEPT_COUNTERS`: 11 counters.
const OLD_INTERCEPTS_SIZE: usize = 11 * 16;

/// The vCPU statistics the counters use, in [`VCPU_STATS`] order.
#[derive(Clone, Copy)]
enum VcpuStat {
    HaltExits,
    Invlpg,
    InsnEmulation,
    Hypercalls,
    PfGuest,
    PfFixed,
    IrqInjections,
    NmiInjections,
}

const VCPU_STATS: [&str; 8] = [
    "halt_exits",
    "invlpg",
    "insn_emulation",
    "hypercalls",
    "pf_guest",
    "pf_fixed",
    "irq_injections",
    "nmi_injections",
];

const VM_STATS: [&str; 3] = ["pages_4k", "pages_2m", "pages_1g"];

/// A KVM binary-statistics file and where the statistics we read live.
#[derive(Debug)]
pub(crate) struct KvmStats {
    file: File,
    data_offset: u64,
    /// Bytes of the data block to read (up to the last statistic wanted).
    data_len: usize,
    /// Each wanted statistic's byte offset in the data block, if KVM has it.
    at: Vec<Option<usize>>,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl KvmStats {
    /// Opens the statistics of the VM or vCPU `fd` and finds `wanted`.
    ///
    /// # Safety
    /// `fd` must be an open KVM VM or vCPU file descriptor.
    unsafe fn open(fd: RawFd, wanted: &[&str]) -> Result<Self> {
        // SAFETY: KVM_GET_STATS_FD takes no argument and returns a new fd;
        // `fd` is a KVM fd (the caller's contract).
        let stats = unsafe { libc::ioctl(fd, KVM_GET_STATS_FD, 0) };
        if stats < 0 {
            let errno = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            return Err(Error::from_errno("KVM_GET_STATS_FD", errno));
        }
        // SAFETY: `stats` is a new fd that nothing else owns.
        let file = unsafe { File::from_raw_fd(stats) };
        let bad = || Error::new(E_FAIL, "KVM's statistics file is malformed");
        let read = |at: u64, len: usize| -> Result<Vec<u8>> {
            let mut b = vec![0; len];
            file.read_exact_at(&mut b, at)
                .map_err(|e| Error::with(E_FAIL, format!("reading KVM's statistics: {e}")))?;
            Ok(b)
        };
        let h = read(0, HEADER_SIZE)?;
        let name_size = u32_at(&h, 4).ok_or_else(bad)? as usize;
        let count = u32_at(&h, 8).ok_or_else(bad)? as usize;
        let desc_offset = u32_at(&h, 16).ok_or_else(bad)?;
        let data_offset = u32_at(&h, 20).ok_or_else(bad)?;
        let desc_size = DESC_FIXED + name_size;
        let descs = read(u64::from(desc_offset), desc_size * count)?;
        let mut at = vec![None; wanted.len()];
        let mut data_len = 0;
        for d in descs.chunks_exact(desc_size) {
            let name = &d[DESC_FIXED..];
            let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
            let Some(i) = wanted.iter().position(|w| w.as_bytes() == name) else {
                continue;
            };
            let flags = u32_at(d, 0).ok_or_else(bad)?;
            // A plain counter or value (type cumulative, instant or peak),
            // not a histogram.
            if flags & TYPE_MASK > 2 {
                continue;
            }
            let offset = u32_at(d, 8).ok_or_else(bad)? as usize;
            at[i] = Some(offset);
            data_len = data_len.max(offset + 8);
        }
        Ok(Self {
            file,
            data_offset: u64::from(data_offset),
            data_len,
            at,
        })
    }

    /// The wanted statistics now (0 for one KVM lacks), in `wanted` order:
    /// one `pread`.
    fn read(&self) -> Result<Vec<u64>> {
        let mut data = vec![0u8; self.data_len];
        self.file
            .read_exact_at(&mut data, self.data_offset)
            .map_err(|e| Error::with(E_FAIL, format!("reading KVM's statistics: {e}")))?;
        Ok(self
            .at
            .iter()
            .map(|at| {
                at.and_then(|o| data.get(o..o + 8))
                    .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            })
            .collect())
    }
}

/// Opens the VM statistics the partition counters use.
///
/// # Safety
/// `vm` must be an open KVM VM file descriptor.
pub(crate) unsafe fn open_vm_stats(vm: RawFd) -> Result<KvmStats> {
    // SAFETY: forwarded.
    unsafe { KvmStats::open(vm, &VM_STATS) }
}

/// Opens the vCPU statistics the VP counters use.
///
/// # Safety
/// `vcpu` must be an open KVM vCPU file descriptor.
pub(crate) unsafe fn open_vcpu_stats(vcpu: RawFd) -> Result<KvmStats> {
    // SAFETY: forwarded.
    unsafe { KvmStats::open(vcpu, &VCPU_STATS) }
}

/// One VP's exits as winhv counted them. Written by the thread running
/// the VP (one at a time: the VP's lock orders them) with a plain load
/// and store, read by any thread.
#[derive(Debug, Default)]
pub(crate) struct ExitCounters {
    io: AtomicU64,
    memory: AtomicU64,
    msr: AtomicU64,
    window: AtomicU64,
    other: AtomicU64,
    /// Host TSC ticks spent in `KVM_RUN`.
    runtime_ticks: AtomicU64,
}

/// The host's TSC: the run-time clock of the exit path (one instruction,
/// where a clock read costs a hundred or more).
#[inline]
pub(crate) fn now() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86-64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

fn bump(c: &AtomicU64, by: u64) {
    // One writer at a time (see the type): no read-modify-write needed.
    c.store(
        c.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl ExitCounters {
    /// The exit path's hook: counts KVM exit `exit` and adds the time
    /// since `start` ([`now`] before `KVM_RUN`) to the run time. A
    /// canceled run and a HLT (counted by KVM) are not counted here.
    #[inline]
    pub(crate) fn record(&self, start: u64, exit: &KvmExit) {
        bump(&self.runtime_ticks, now().wrapping_sub(start));
        let c = match exit {
            KvmExit::IoIn { .. } | KvmExit::IoOut { .. } => &self.io,
            KvmExit::MmioRead { .. } | KvmExit::MmioWrite { .. } | KvmExit::MemoryFault { .. } => {
                &self.memory
            }
            KvmExit::RdMsr { .. } | KvmExit::WrMsr { .. } => &self.msr,
            KvmExit::InterruptWindow | KvmExit::NmiWindow => &self.window,
            KvmExit::Canceled | KvmExit::Hlt | KvmExit::Requested => return,
            _ => &self.other,
        };
        bump(c, 1);
    }

    /// The run time in 100 ns units, by the host's TSC rate (0 where KVM
    /// does not tell it).
    fn runtime_100ns(&self) -> u64 {
        let hz = crate::capability::host_capabilities().processor_clock_frequency();
        let ticks = u128::from(Self::get(&self.runtime_ticks));
        (ticks * 10_000_000)
            .checked_div(u128::from(hz))
            .map_or(0, |t| t.min(u128::from(u64::MAX)) as u64)
    }

    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// The size of a VP counter set's struct (what the C export reports).
pub(crate) fn vp_set_size(set: WHV_PROCESSOR_COUNTER_SET) -> Result<usize> {
    Ok(match set {
        WHvProcessorCounterSetRuntime => size_of::<WHV_PROCESSOR_RUNTIME_COUNTERS>(),
        WHvProcessorCounterSetIntercepts => size_of::<WHV_PROCESSOR_INTERCEPT_COUNTERS>(),
        WHvProcessorCounterSetEvents => size_of::<WHV_PROCESSOR_EVENT_COUNTERS>(),
        WHvProcessorCounterSetApic => size_of::<WHV_PROCESSOR_APIC_COUNTERS>(),
        WHvProcessorCounterSetSyntheticFeatures => {
            size_of::<WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS>()
        }
        _ => {
            return Err(Error::with(
                E_INVALIDARG,
                format!("unknown processor counter set {}", set.0),
            ));
        }
    })
}

/// The size of a partition counter set's struct.
pub(crate) fn partition_set_size(set: WHV_PARTITION_COUNTER_SET) -> Result<usize> {
    match set {
        WHvPartitionCounterSetMemory => Ok(size_of::<WHV_PARTITION_MEMORY_COUNTERS>()),
        _ => Err(Error::with(
            E_INVALIDARG,
            format!("unknown partition counter set {}", set.0),
        )),
    }
}

/// Checks `buffer` against the set's size (`min` the smallest accepted)
/// and writes `values` (the struct's u64 fields in order) into as much of
/// it as the struct covers; returns the bytes written.
fn write(buffer: &mut [u8], values: &[u64], min: usize) -> Result<u32> {
    let size = values.len() * 8;
    if buffer.len() < min {
        return Err(Error::with(
            WHV_E_INSUFFICIENT_BUFFER,
            format!(
                "the counter set needs {size} bytes, the buffer has {}",
                buffer.len()
            ),
        ));
    }
    let n = size.min(buffer.len()) / 8;
    for (dst, v) in buffer.chunks_exact_mut(8).zip(&values[..n]) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
    Ok((n * 8) as u32)
}

/// WHvGetVirtualProcessorCounters for one VP: `exits` its own counts,
/// `stats` its KVM statistics, `lapic` whether the partition emulates the
/// local APIC.
pub(crate) fn vp_counters(
    set: WHV_PROCESSOR_COUNTER_SET,
    exits: &ExitCounters,
    stats: Option<&KvmStats>,
    lapic: bool,
    buffer: &mut [u8],
) -> Result<u32> {
    let size = vp_set_size(set)?;
    let min = if set == WHvProcessorCounterSetIntercepts {
        OLD_INTERCEPTS_SIZE
    } else {
        size
    };
    if buffer.len() < min {
        return write(buffer, &vec![0; size / 8], min);
    }
    let get = ExitCounters::get;
    let stats = || {
        stats.ok_or_else(|| {
            Error::new(
                HRESULT_ERROR_NOT_SUPPORTED,
                "this kernel's KVM has no binary statistics (KVM_GET_STATS_FD, Linux 5.14)",
            )
        })
    };
    match set {
        WHvProcessorCounterSetRuntime => write(buffer, &[exits.runtime_100ns(), 0], min),
        WHvProcessorCounterSetIntercepts => {
            let k = stats()?.read()?;
            let kvm = |s: VcpuStat| k[s as usize];
            // (Count, Time100ns) in the struct's order.
            let counts = [
                kvm(VcpuStat::Invlpg),
                0, // control registers
                get(&exits.io),
                kvm(VcpuStat::HaltExits),
                0, // CPUID
                get(&exits.msr),
                get(&exits.other),
                get(&exits.window),
                kvm(VcpuStat::InsnEmulation),
                0, // debug registers
                kvm(VcpuStat::PfGuest),
                get(&exits.memory).wrapping_add(kvm(VcpuStat::PfFixed)),
                kvm(VcpuStat::Hypercalls),
                0, // RDPMC
            ];
            let values: Vec<u64> = counts.iter().flat_map(|&c| [c, 0]).collect();
            write(buffer, &values, min)
        }
        WHvProcessorCounterSetEvents => {
            let k = stats()?.read()?;
            let kvm = |s: VcpuStat| k[s as usize];
            let interrupts =
                kvm(VcpuStat::IrqInjections).wrapping_add(kvm(VcpuStat::NmiInjections));
            write(buffer, &[kvm(VcpuStat::PfGuest), 0, interrupts], min)
        }
        WHvProcessorCounterSetApic if lapic => Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "KVM's in-kernel local APIC keeps no counters",
        )),
        _ => write(buffer, &vec![0; size / 8], min),
    }
}

/// WHvGetPartitionCounters: `stats` the VM's KVM statistics.
pub(crate) fn partition_counters(
    set: WHV_PARTITION_COUNTER_SET,
    stats: &KvmStats,
    buffer: &mut [u8],
) -> Result<u32> {
    let size = partition_set_size(set)?;
    if buffer.len() < size {
        return write(buffer, &[0; 3], size);
    }
    write(buffer, &stats.read()?, size)
}
