//! `WHvGetPartitionCounters` / `WHvGetVirtualProcessorCounters`: the
//! counter sets and their structs.

open_enum! {
    /// A set of partition counters.
    pub enum WHV_PARTITION_COUNTER_SET: i32 {
        WHvPartitionCounterSetMemory = 0,
    }
}

/// `WHvPartitionCounterSetMemory`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PARTITION_MEMORY_COUNTERS {
    /// Guest pages mapped with 4 KiB pages.
    pub Mapped4KPageCount: u64,
    /// Guest pages mapped with 2 MiB pages.
    pub Mapped2MPageCount: u64,
    /// Guest pages mapped with 1 GiB pages.
    pub Mapped1GPageCount: u64,
}

open_enum! {
    /// A set of virtual processor counters.
    pub enum WHV_PROCESSOR_COUNTER_SET: i32 {
        WHvProcessorCounterSetRuntime = 0,
        WHvProcessorCounterSetIntercepts = 1,
        WHvProcessorCounterSetEvents = 2,
        WHvProcessorCounterSetApic = 3,
        WHvProcessorCounterSetSyntheticFeatures = 4,
    }
}

/// `WHvProcessorCounterSetRuntime`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_RUNTIME_COUNTERS {
    /// Total run time, 100 ns units.
    pub TotalRuntime100ns: u64,
    /// Time spent in the hypervisor, 100 ns units.
    pub HypervisorRuntime100ns: u64,
}

/// One intercept counter.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_INTERCEPT_COUNTER {
    /// How many intercepts.
    pub Count: u64,
    /// Time spent handling them, 100 ns units.
    pub Time100ns: u64,
}

/// `WHvProcessorCounterSetIntercepts`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_INTERCEPT_COUNTERS {
    /// INVLPG and friends.
    pub PageInvalidations: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Control register accesses.
    pub ControlRegisterAccesses: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// I/O instructions.
    pub IoInstructions: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// HLT.
    pub HaltInstructions: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// CPUID.
    pub CpuidInstructions: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// RDMSR / WRMSR.
    pub MsrAccesses: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Everything else.
    pub OtherIntercepts: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Pending-interrupt (interrupt window) intercepts.
    pub PendingInterrupts: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Instructions emulated.
    pub EmulatedInstructions: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Debug register accesses.
    pub DebugRegisterAccesses: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Guest page faults intercepted.
    pub PageFaultIntercepts: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Nested (second-level) page faults.
    pub NestedPageFaultIntercepts: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// Hypercalls.
    pub Hypercalls: WHV_PROCESSOR_INTERCEPT_COUNTER,
    /// RDPMC.
    pub RdpmcInstructions: WHV_PROCESSOR_INTERCEPT_COUNTER,
}

/// The header's typedef name for [`WHV_PROCESSOR_INTERCEPT_COUNTERS`].
pub type WHV_PROCESSOR_ACTIVITY_COUNTERS = WHV_PROCESSOR_INTERCEPT_COUNTERS;

/// `WHvProcessorCounterSetEvents`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_EVENT_COUNTERS {
    /// Guest page faults.
    pub PageFaultCount: u64,
    /// Guest exceptions.
    pub ExceptionCount: u64,
    /// Guest interrupts.
    pub InterruptCount: u64,
}

/// The header's typedef name for [`WHV_PROCESSOR_EVENT_COUNTERS`].
pub type WHV_PROCESSOR_GUEST_EVENT_COUNTERS = WHV_PROCESSOR_EVENT_COUNTERS;

/// `WHvProcessorCounterSetApic`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_APIC_COUNTERS {
    /// APIC MMIO accesses.
    pub MmioAccessCount: u64,
    /// EOI accesses.
    pub EoiAccessCount: u64,
    /// TPR accesses.
    pub TprAccessCount: u64,
    /// IPIs sent.
    pub SentIpiCount: u64,
    /// Self-IPIs.
    pub SelfIpiCount: u64,
}

/// `WHvProcessorCounterSetSyntheticFeatures`.
#[repr(C)]
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, Hash)]
pub struct WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS {
    /// Synthetic interrupts.
    pub SyntheticInterruptsCount: u64,
    /// Long-spin-wait hypercalls.
    pub LongSpinWaitHypercallsCount: u64,
    /// Other hypercalls.
    pub OtherHypercallsCount: u64,
    /// Synthetic-interrupt hypercalls.
    pub SyntheticInterruptHypercallsCount: u64,
    /// Virtual-interrupt hypercalls.
    pub VirtualInterruptHypercallsCount: u64,
    /// Virtual-MMU hypercalls.
    pub VirtualMmuHypercallsCount: u64,
}
