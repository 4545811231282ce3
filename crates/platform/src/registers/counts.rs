//! [`IoctlCounts`]: a per-VP count of the KVM ioctls the register cache
//! issues, so that tests and benchmarks can hold it to its cost rules ("one
//! `KVM_GET_MSRS` per batch", "no ioctl for general registers after a
//! run").

/// How many KVM ioctls the cache has issued, per kind.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IoctlCounts {
    pub get_regs: u32,
    pub get_sregs: u32,
    pub get_events: u32,
    pub set_regs: u32,
    pub set_sregs: u32,
    pub set_events: u32,
    pub get_xsave: u32,
    pub set_xsave: u32,
    pub get_xcrs: u32,
    pub set_xcrs: u32,
    pub get_debugregs: u32,
    pub set_debugregs: u32,
    pub get_msrs: u32,
    pub set_msrs: u32,
    pub get_mp_state: u32,
    pub set_mp_state: u32,
}

impl IoctlCounts {
    /// All ioctls counted.
    #[cfg_attr(not(test), allow(dead_code, reason = "a debug counter read by tests"))]
    pub(crate) fn total(&self) -> u32 {
        self.get_regs
            + self.get_sregs
            + self.get_events
            + self.set_regs
            + self.set_sregs
            + self.set_events
            + self.get_xsave
            + self.set_xsave
            + self.get_xcrs
            + self.set_xcrs
            + self.get_debugregs
            + self.set_debugregs
            + self.get_msrs
            + self.set_msrs
            + self.get_mp_state
            + self.set_mp_state
    }
}
