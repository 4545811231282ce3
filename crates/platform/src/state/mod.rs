//! VP and partition state beyond the register cache: what
//! WHvResetPartition restores (`reset`), partition time (`time`), the
//! counters (`counters`), the CPUID a VP's guest sees (`cpuid`),
//! WHvAdviseGpaRange (`advise`), WHvGet/SetVirtualProcessorState
//! (`vp_state`), partition snapshots (`snapshot`).
//! `Partition` delegates to these; each file's top comment says what KVM
//! offers for it and where Windows' behaviour could not be matched.

pub(crate) mod advise;
pub(crate) mod counters;
pub(crate) mod cpuid;
pub(crate) mod reset;
pub(crate) mod snapshot;
pub(crate) mod time;
pub(crate) mod vp_state;
