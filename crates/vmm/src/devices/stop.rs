//! Why a guest's run ended, and the `winhv run` exit status for each.
//! Statuses that winhv chooses are even, so they never look like an
//! isa-debug-exit status, which is always odd ((V << 1) | 1, as QEMU's).

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The guest wrote V to the isa-debug-exit port.
    DebugExit(u32),
    /// The guest powered off (ACPI S5 through the PM1a control port).
    PowerOff,
    /// The guest asked for a reset (port 0xcf9, the keyboard controller).
    Reset,
    /// A VP shut down: a triple fault, or a state KVM cannot run.
    TripleFault {
        /// The VP.
        vp: u32,
        /// Its RIP at the time.
        rip: u64,
    },
    /// Ctrl-C (SIGINT) or SIGTERM.
    Interrupted,
    /// An exit the VMM could not handle, or a failed call.
    Failed(String),
}

/// Exit status: a kernel or argument that cannot be booted.
pub const EXIT_BAD_KERNEL: u8 = 2;
/// Exit status: the guest asked for a reset.
pub const EXIT_RESET: u8 = 4;
/// Exit status: a triple fault.
pub const EXIT_TRIPLE_FAULT: u8 = 6;
/// Exit status: the VMM failed.
pub const EXIT_FAILED: u8 = 8;
/// Exit status: interrupted (128 + SIGINT, as a shell reports it).
pub const EXIT_INTERRUPTED: u8 = 130;

impl Stop {
    /// The process's exit status.
    pub fn exit_status(&self) -> u8 {
        match self {
            Stop::DebugExit(v) => ((v << 1) | 1) as u8,
            Stop::PowerOff => 0,
            Stop::Reset => EXIT_RESET,
            Stop::TripleFault { .. } => EXIT_TRIPLE_FAULT,
            Stop::Interrupted => EXIT_INTERRUPTED,
            Stop::Failed(_) => EXIT_FAILED,
        }
    }

    /// One line for the user.
    pub fn message(&self) -> String {
        match self {
            Stop::DebugExit(v) => format!(
                "guest wrote {v:#x} to the debug-exit port: exit status {}",
                self.exit_status()
            ),
            Stop::PowerOff => "guest powered off".into(),
            Stop::Reset => "guest asked for a reset (reboot): stopped".into(),
            Stop::TripleFault { vp, rip } => {
                format!("VP {vp} shut down (triple fault) at RIP {rip:#x}")
            }
            Stop::Interrupted => "interrupted: guest stopped".into(),
            Stop::Failed(why) => format!("VM failed: {why}"),
        }
    }
}
