//! [`Exit`]: why a run returned, as an enum that borrows the exit context
//! the VP handle holds (no copy, no `unsafe` union read for the caller),
//! and [`ExitState`], the VP state every exit reports. One variant per
//! `WHV_RUN_VP_EXIT_REASON`; each keeps a reference to its raw payload
//! for what the typed fields leave out.
#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use winhv_defs::*;

use super::registers::Segment;

/// Why [`super::VirtualProcessor::run`] returned.
///
/// ```
/// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
/// use winhv::safe::{Exit, GuestMemory, PartitionBuilder};
/// use winhv::defs::*;
/// let partition = PartitionBuilder::new().processor_count(1).build()?;
/// let ram = GuestMemory::new(0x1000)?;
/// ram.write(0xff0, &[0xa1, 0x00, 0x00])?;          // mov ax, [0] (DS base 0: unmapped)
/// partition.map(&ram, 0xffff_f000, WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute)?;
/// let mut vp = partition.create_vp(0)?;
/// match vp.run()? {
///     Exit::Mmio { gpa, is_write, gpa_unmapped, .. } => {
///         assert_eq!((gpa, is_write, gpa_unmapped), (0, false, true));
///     }
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(vp.exit_state().rip, 0xfff0);                // at the instruction
/// # Ok::<(), winhv::Error>(())
/// ```
///
/// Which of these KVM can produce is in the README ("Capabilities on
/// KVM"): CPUID and RDTSC exits never, exception exits only for `#BP`
/// where guest debugging works; the APIC-trap, hypercall and SynIC exits
/// are listed so that a VMM's `match` is complete and stays so.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Exit<'a> {
    /// An I/O port access (`IN`, `OUT`, `INS`, `OUTS`). The VP is at the
    /// instruction; [`super::VirtualProcessor::complete_io_read`] /
    /// [`complete_io_write`](super::VirtualProcessor::complete_io_write)
    /// finish a simple one, [`super::VirtualProcessor::emulate_io`] any.
    IoPort {
        /// The port.
        port: u16,
        /// The access size in bytes: 1, 2 or 4.
        size: u8,
        /// An `OUT`/`OUTS`.
        is_write: bool,
        /// For a simple `OUT`: the value written (RAX's low `size` bytes).
        data: u32,
        /// A string instruction (`INS`/`OUTS`): needs the emulator.
        string: bool,
        /// With a `REP` prefix.
        rep: bool,
        /// The whole payload.
        context: &'a WHV_X64_IO_PORT_ACCESS_CONTEXT,
    },
    /// A guest-physical access to memory that is not mapped, or mapped
    /// without the access (MMIO). WHP's exit carries the address and the
    /// instruction, not the operand: [`super::VirtualProcessor::emulate_mmio`]
    /// runs the instruction against a device, which sees each access with
    /// its size and data.
    Mmio {
        /// The guest physical address accessed.
        gpa: u64,
        /// The guest virtual address, when the platform knows it.
        gva: Option<u64>,
        /// A write (the access type is `Write`).
        is_write: bool,
        /// The access type: read, write or execute.
        access: WHV_MEMORY_ACCESS_TYPE,
        /// Nothing is mapped at `gpa` (rather than mapped without this
        /// access).
        gpa_unmapped: bool,
        /// The instruction's first bytes, as far as the platform read them.
        instruction: &'a [u8],
        /// The whole payload.
        context: &'a WHV_MEMORY_ACCESS_CONTEXT,
    },
    /// `HLT`: the VP is after the instruction.
    Halt,
    /// An MSR access that exits (X64MsrExit with the MSR exit bitmap or
    /// the MSR action list). The VP is at `RDMSR`/`WRMSR`.
    MsrAccess {
        /// The MSR (ECX).
        msr: u32,
        /// `WRMSR`.
        is_write: bool,
        /// For `WRMSR`: EDX:EAX.
        value: u64,
        /// The whole payload.
        context: &'a WHV_X64_MSR_ACCESS_CONTEXT,
    },
    /// `CPUID` (never on KVM: it cannot exit on CPUID).
    Cpuid {
        /// The leaf (EAX).
        leaf: u32,
        /// The sub-leaf (ECX).
        subleaf: u32,
        /// What the hypervisor would answer.
        default: WHV_CPUID_OUTPUT,
        /// The whole payload.
        context: &'a WHV_X64_CPUID_ACCESS_CONTEXT,
    },
    /// An exception the ExceptionExitBitmap asked for.
    Exception {
        /// The vector.
        vector: u8,
        /// The error code, when the exception has one.
        error_code: Option<u32>,
        /// CR2 for `#PF`, DR6 for `#DB`.
        parameter: u64,
        /// Raised by an instruction (`INT3`, `INTO`, `INT n`).
        software: bool,
        /// The instruction's first bytes.
        instruction: &'a [u8],
        /// The whole payload.
        context: &'a WHV_VP_EXCEPTION_CONTEXT,
    },
    /// The guest can take an interrupt (or NMI) now: the window that
    /// `Register::DeliverabilityNotifications` asked for.
    InterruptWindow {
        /// What can be delivered.
        deliverable: WHV_X64_PENDING_INTERRUPTION_TYPE,
    },
    /// [`super::CancelHandle::cancel`] (or a deleted VP) ended the run.
    Canceled,
    /// The guest hit a state the VP cannot continue from (a triple fault,
    /// an instruction KVM cannot emulate).
    UnrecoverableException,
    /// The registers the VMM set were refused by the processor at entry.
    InvalidVpRegisterValue,
    /// The guest used a feature the platform does not support.
    UnsupportedFeature {
        /// Which feature.
        feature: WHV_X64_UNSUPPORTED_FEATURE_CODE,
        /// Its parameter.
        parameter: u64,
    },
    /// An EOI of a level-triggered interrupt (LAPIC emulation).
    ApicEoi {
        /// The vector.
        vector: u32,
    },
    /// `RDTSC`/`RDTSCP` (never on KVM).
    Rdtsc {
        /// The whole payload.
        context: &'a WHV_X64_RDTSC_CONTEXT,
    },
    /// A write of the ICR with delivery mode SMI.
    ApicSmiTrap {
        /// The ICR value.
        icr: u64,
    },
    /// A Hyper-V hypercall.
    Hypercall {
        /// The hypercall input value (RCX).
        input: u64,
        /// The whole payload (`.0`).
        context: HypercallContext<'a>,
    },
    /// A write of the ICR with delivery mode INIT or SIPI.
    ApicInitSipiTrap {
        /// The ICR value.
        icr: u64,
    },
    /// A write of an APIC register the VMM traps.
    ApicWriteTrap {
        /// The register.
        register: WHV_X64_APIC_WRITE_TYPE,
        /// The value written.
        value: u64,
    },
    /// SynIC interrupts that can take a message now.
    SynicSintDeliverable {
        /// Bit *n*: SINT *n*.
        sints: u16,
    },
    /// A reason this version does not know (or `WHvRunVpExitReasonNone`).
    Other(WHV_RUN_VP_EXIT_REASON),
}

/// A hypercall exit's payload (`WHV_HYPERCALL_CONTEXT`, whose XMM
/// registers have no `Debug`).
#[derive(Clone, Copy)]
pub struct HypercallContext<'a>(pub &'a WHV_HYPERCALL_CONTEXT);

impl std::fmt::Debug for HypercallContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.0;
        f.debug_struct("WHV_HYPERCALL_CONTEXT")
            .field("Rax", &h.Rax)
            .field("Rbx", &h.Rbx)
            .field("Rcx", &h.Rcx)
            .field("Rdx", &h.Rdx)
            .field("R8", &h.R8)
            .field("Rsi", &h.Rsi)
            .field("Rdi", &h.Rdi)
            .finish_non_exhaustive()
    }
}

/// The VP state every exit reports (`WHV_VP_EXIT_CONTEXT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitState {
    /// RIP at the exit (for an access exit: the instruction).
    pub rip: u64,
    /// RFLAGS at the exit.
    pub rflags: u64,
    /// CS at the exit.
    pub cs: Segment,
    /// The intercepted instruction's length, when known (0 otherwise).
    pub instruction_length: u8,
    /// CR8 (the task priority).
    pub cr8: u8,
    /// The current privilege level.
    pub cpl: u8,
    /// CR0.PE.
    pub protected_mode: bool,
    /// EFER.LMA.
    pub long_mode: bool,
    /// An event is being delivered (the exit interrupted its delivery).
    pub interruption_pending: bool,
    /// The VP is in an interrupt shadow (after `STI` or `MOV SS`).
    pub interrupt_shadow: bool,
}

impl From<&WHV_VP_EXIT_CONTEXT> for ExitState {
    fn from(c: &WHV_VP_EXIT_CONTEXT) -> Self {
        let e = c.ExecutionState;
        Self {
            rip: c.Rip,
            rflags: c.Rflags,
            cs: c.Cs.into(),
            instruction_length: c.instruction_length(),
            cr8: c.cr8(),
            cpl: e.cpl() as u8,
            protected_mode: e.cr0_pe() != 0,
            long_mode: e.efer_lma() != 0,
            interruption_pending: e.interruption_pending() != 0,
            interrupt_shadow: e.interrupt_shadow() != 0,
        }
    }
}

/// The I/O payload of `c`, if it is an I/O exit (for the completions,
/// which need no full [`Exit`]).
pub(crate) fn io_payload(c: &WHV_RUN_VP_EXIT_CONTEXT) -> Option<&WHV_X64_IO_PORT_ACCESS_CONTEXT> {
    if c.ExitReason == WHvRunVpExitReasonX64IoPortAccess {
        // SAFETY: the reason selects this member, which the platform
        // wrote over a zeroed context: initialised plain data.
        Some(unsafe { &c.Anonymous.IoPortAccess })
    } else {
        None
    }
}

/// The first `count` of `bytes` (never more than there are).
fn prefix(bytes: &[u8; 16], count: u8) -> &[u8] {
    &bytes[..usize::from(count).min(16)]
}

impl<'a> Exit<'a> {
    /// The exit `c` describes. Reads the union member its reason selects
    /// and no other.
    pub(crate) fn from_context(c: &'a WHV_RUN_VP_EXIT_CONTEXT) -> Self {
        let u = &c.Anonymous;
        // SAFETY (for every union read below): the platform writes the
        // member the exit reason selects, and the context starts zeroed
        // (`Default`), so every byte of every member is initialised plain
        // data; each arm reads only its reason's member.
        match c.ExitReason {
            WHvRunVpExitReasonX64IoPortAccess => {
                let Some(io) = io_payload(c) else {
                    return Exit::Other(c.ExitReason);
                };
                let size = io.AccessInfo.access_size() as u8;
                let mask = match size {
                    1 => 0xff,
                    2 => 0xffff,
                    _ => u32::MAX,
                };
                Exit::IoPort {
                    port: io.PortNumber,
                    size,
                    is_write: io.AccessInfo.is_write() != 0,
                    data: io.Rax as u32 & mask,
                    string: io.AccessInfo.string_op() != 0,
                    rep: io.AccessInfo.rep_prefix() != 0,
                    context: io,
                }
            }
            WHvRunVpExitReasonMemoryAccess => {
                // SAFETY: see above.
                let m = unsafe { &u.MemoryAccess };
                let access = WHV_MEMORY_ACCESS_TYPE(m.AccessInfo.access_type() as i32);
                Exit::Mmio {
                    gpa: m.Gpa,
                    gva: (m.AccessInfo.gva_valid() != 0).then_some(m.Gva),
                    is_write: access == WHvMemoryAccessWrite,
                    access,
                    gpa_unmapped: m.AccessInfo.gpa_unmapped() != 0,
                    instruction: prefix(&m.InstructionBytes, m.InstructionByteCount),
                    context: m,
                }
            }
            WHvRunVpExitReasonX64Halt => Exit::Halt,
            WHvRunVpExitReasonX64MsrAccess => {
                // SAFETY: see above.
                let m = unsafe { &u.MsrAccess };
                Exit::MsrAccess {
                    msr: m.MsrNumber,
                    is_write: m.AccessInfo.is_write() != 0,
                    value: (m.Rdx << 32) | (m.Rax & 0xffff_ffff),
                    context: m,
                }
            }
            WHvRunVpExitReasonX64Cpuid => {
                // SAFETY: see above.
                let cp = unsafe { &u.CpuidAccess };
                Exit::Cpuid {
                    leaf: cp.Rax as u32,
                    subleaf: cp.Rcx as u32,
                    default: WHV_CPUID_OUTPUT {
                        Eax: cp.DefaultResultRax as u32,
                        Ebx: cp.DefaultResultRbx as u32,
                        Ecx: cp.DefaultResultRcx as u32,
                        Edx: cp.DefaultResultRdx as u32,
                    },
                    context: cp,
                }
            }
            WHvRunVpExitReasonException => {
                // SAFETY: see above.
                let e = unsafe { &u.VpException };
                Exit::Exception {
                    vector: e.ExceptionType,
                    error_code: (e.ExceptionInfo.error_code_valid() != 0).then_some(e.ErrorCode),
                    parameter: e.ExceptionParameter,
                    software: e.ExceptionInfo.software_exception() != 0,
                    instruction: prefix(&e.InstructionBytes, e.InstructionByteCount),
                    context: e,
                }
            }
            WHvRunVpExitReasonX64InterruptWindow => Exit::InterruptWindow {
                // SAFETY: see above.
                deliverable: unsafe { u.InterruptWindow }.DeliverableType,
            },
            WHvRunVpExitReasonCanceled => Exit::Canceled,
            WHvRunVpExitReasonUnrecoverableException => Exit::UnrecoverableException,
            WHvRunVpExitReasonInvalidVpRegisterValue => Exit::InvalidVpRegisterValue,
            WHvRunVpExitReasonUnsupportedFeature => {
                // SAFETY: see above.
                let f = unsafe { u.UnsupportedFeature };
                Exit::UnsupportedFeature {
                    feature: f.FeatureCode,
                    parameter: f.FeatureParameter,
                }
            }
            WHvRunVpExitReasonX64ApicEoi => Exit::ApicEoi {
                // SAFETY: see above.
                vector: unsafe { u.ApicEoi }.InterruptVector,
            },
            WHvRunVpExitReasonX64Rdtsc => Exit::Rdtsc {
                // SAFETY: see above.
                context: unsafe { &u.ReadTsc },
            },
            WHvRunVpExitReasonX64ApicSmiTrap => Exit::ApicSmiTrap {
                // SAFETY: see above.
                icr: unsafe { u.ApicSmi }.ApicIcr,
            },
            WHvRunVpExitReasonHypercall => {
                // SAFETY: see above.
                let h = unsafe { &u.Hypercall };
                Exit::Hypercall {
                    input: h.Rcx,
                    context: HypercallContext(h),
                }
            }
            WHvRunVpExitReasonX64ApicInitSipiTrap => Exit::ApicInitSipiTrap {
                // SAFETY: see above.
                icr: unsafe { u.ApicInitSipi }.ApicIcr,
            },
            WHvRunVpExitReasonX64ApicWriteTrap => {
                // SAFETY: see above.
                let w = unsafe { u.ApicWrite };
                Exit::ApicWriteTrap {
                    register: w.Type,
                    value: w.WriteValue,
                }
            }
            WHvRunVpExitReasonSynicSintDeliverable => Exit::SynicSintDeliverable {
                // SAFETY: see above.
                sints: unsafe { u.SynicSintDeliverable }.DeliverableSints,
            },
            other => Exit::Other(other),
        }
    }

    /// The `WHV_RUN_VP_EXIT_REASON` behind this exit.
    pub fn reason(&self) -> WHV_RUN_VP_EXIT_REASON {
        match self {
            Exit::IoPort { .. } => WHvRunVpExitReasonX64IoPortAccess,
            Exit::Mmio { .. } => WHvRunVpExitReasonMemoryAccess,
            Exit::Halt => WHvRunVpExitReasonX64Halt,
            Exit::MsrAccess { .. } => WHvRunVpExitReasonX64MsrAccess,
            Exit::Cpuid { .. } => WHvRunVpExitReasonX64Cpuid,
            Exit::Exception { .. } => WHvRunVpExitReasonException,
            Exit::InterruptWindow { .. } => WHvRunVpExitReasonX64InterruptWindow,
            Exit::Canceled => WHvRunVpExitReasonCanceled,
            Exit::UnrecoverableException => WHvRunVpExitReasonUnrecoverableException,
            Exit::InvalidVpRegisterValue => WHvRunVpExitReasonInvalidVpRegisterValue,
            Exit::UnsupportedFeature { .. } => WHvRunVpExitReasonUnsupportedFeature,
            Exit::ApicEoi { .. } => WHvRunVpExitReasonX64ApicEoi,
            Exit::Rdtsc { .. } => WHvRunVpExitReasonX64Rdtsc,
            Exit::ApicSmiTrap { .. } => WHvRunVpExitReasonX64ApicSmiTrap,
            Exit::Hypercall { .. } => WHvRunVpExitReasonHypercall,
            Exit::ApicInitSipiTrap { .. } => WHvRunVpExitReasonX64ApicInitSipiTrap,
            Exit::ApicWriteTrap { .. } => WHvRunVpExitReasonX64ApicWriteTrap,
            Exit::SynicSintDeliverable { .. } => WHvRunVpExitReasonSynicSintDeliverable,
            Exit::Other(r) => *r,
        }
    }

    /// A short name for logs and counts ("IoPort", "Halt", …).
    pub fn name(&self) -> &'static str {
        match self {
            Exit::IoPort { .. } => "IoPort",
            Exit::Mmio { .. } => "Mmio",
            Exit::Halt => "Halt",
            Exit::MsrAccess { .. } => "MsrAccess",
            Exit::Cpuid { .. } => "Cpuid",
            Exit::Exception { .. } => "Exception",
            Exit::InterruptWindow { .. } => "InterruptWindow",
            Exit::Canceled => "Canceled",
            Exit::UnrecoverableException => "UnrecoverableException",
            Exit::InvalidVpRegisterValue => "InvalidVpRegisterValue",
            Exit::UnsupportedFeature { .. } => "UnsupportedFeature",
            Exit::ApicEoi { .. } => "ApicEoi",
            Exit::Rdtsc { .. } => "Rdtsc",
            Exit::ApicSmiTrap { .. } => "ApicSmiTrap",
            Exit::Hypercall { .. } => "Hypercall",
            Exit::ApicInitSipiTrap { .. } => "ApicInitSipiTrap",
            Exit::ApicWriteTrap { .. } => "ApicWriteTrap",
            Exit::SynicSintDeliverable { .. } => "SynicSintDeliverable",
            Exit::Other(_) => "Other",
        }
    }
}

/// One line for a trace (`--trace-exits`): the kind and its key fields.
///
/// ```
/// let exit = winhv::safe::Exit::Halt;
/// assert_eq!(exit.to_string(), "Halt");
/// ```
impl std::fmt::Display for Exit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dir = |w: bool| if w { "write" } else { "read" };
        match *self {
            Exit::IoPort {
                port,
                size,
                is_write,
                data,
                string,
                rep,
                ..
            } => {
                write!(f, "IoPort {} port={port:#x} size={size}", dir(is_write))?;
                if string {
                    write!(f, " string{}", if rep { " rep" } else { "" })
                } else if is_write {
                    write!(f, " data={data:#x}")
                } else {
                    Ok(())
                }
            }
            Exit::Mmio {
                gpa,
                gva,
                access,
                gpa_unmapped,
                instruction,
                ..
            } => {
                let kind = match access {
                    WHvMemoryAccessRead => "read",
                    WHvMemoryAccessWrite => "write",
                    WHvMemoryAccessExecute => "execute",
                    _ => "access",
                };
                write!(f, "Mmio {kind} gpa={gpa:#x}")?;
                if let Some(gva) = gva {
                    write!(f, " gva={gva:#x}")?;
                }
                if gpa_unmapped {
                    write!(f, " unmapped")?;
                }
                write!(f, " bytes={instruction:02x?}")
            }
            Exit::MsrAccess {
                msr,
                is_write,
                value,
                ..
            } => {
                write!(f, "MsrAccess {} msr={msr:#x}", dir(is_write))?;
                if is_write {
                    write!(f, " value={value:#x}")?;
                }
                Ok(())
            }
            Exit::Cpuid { leaf, subleaf, .. } => {
                write!(f, "Cpuid leaf={leaf:#x} subleaf={subleaf:#x}")
            }
            Exit::Exception {
                vector,
                error_code,
                parameter,
                ..
            } => {
                write!(f, "Exception vector={vector}")?;
                if let Some(code) = error_code {
                    write!(f, " error={code:#x}")?;
                }
                write!(f, " parameter={parameter:#x}")
            }
            Exit::InterruptWindow { deliverable } => {
                write!(f, "InterruptWindow {:?}", deliverable)
            }
            Exit::UnsupportedFeature { feature, parameter } => {
                write!(f, "UnsupportedFeature {feature:?} parameter={parameter:#x}")
            }
            Exit::ApicEoi { vector } => write!(f, "ApicEoi vector={vector:#x}"),
            Exit::ApicSmiTrap { icr } | Exit::ApicInitSipiTrap { icr } => {
                write!(f, "{} icr={icr:#x}", self.name())
            }
            Exit::ApicWriteTrap { register, value } => {
                write!(f, "ApicWriteTrap {register:?} value={value:#x}")
            }
            Exit::Hypercall { input, .. } => write!(f, "Hypercall input={input:#x}"),
            Exit::SynicSintDeliverable { sints } => {
                write!(f, "SynicSintDeliverable sints={sints:#x}")
            }
            Exit::Other(reason) => write!(f, "Other {reason:?}"),
            _ => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(reason: WHV_RUN_VP_EXIT_REASON) -> WHV_RUN_VP_EXIT_CONTEXT {
        WHV_RUN_VP_EXIT_CONTEXT {
            ExitReason: reason,
            ..Default::default()
        }
    }

    #[test]
    fn io_exit_fields_come_from_its_payload() {
        let mut c = context(WHvRunVpExitReasonX64IoPortAccess);
        let mut io = WHV_X64_IO_PORT_ACCESS_CONTEXT {
            PortNumber: 0x3f8,
            Rax: 0x1234_5678_9abc_def0,
            ..Default::default()
        };
        io.AccessInfo.set_is_write(1);
        io.AccessInfo.set_access_size(2);
        c.Anonymous.IoPortAccess = io;
        match Exit::from_context(&c) {
            Exit::IoPort {
                port,
                size,
                is_write,
                data,
                string,
                rep,
                ..
            } => {
                assert_eq!((port, size, is_write, data), (0x3f8, 2, true, 0xdef0));
                assert!(!string && !rep);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn memory_exit_reports_gva_only_when_valid_and_never_more_bytes_than_it_has() {
        let mut c = context(WHvRunVpExitReasonMemoryAccess);
        let mut m = WHV_MEMORY_ACCESS_CONTEXT {
            Gpa: 0xfee0_0000,
            Gva: 0xdead,
            InstructionByteCount: 200,
            ..Default::default()
        };
        m.AccessInfo.set_access_type(WHvMemoryAccessWrite.0 as u32);
        c.Anonymous.MemoryAccess = m;
        match Exit::from_context(&c) {
            Exit::Mmio {
                gpa,
                gva,
                is_write,
                instruction,
                ..
            } => {
                assert_eq!((gpa, gva, is_write), (0xfee0_0000, None, true));
                assert_eq!(instruction.len(), 16, "an absurd count is cut to 16");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_reason_has_its_variant_and_unknown_ones_are_other() {
        let cases = [
            (WHvRunVpExitReasonX64Halt, "Halt"),
            (WHvRunVpExitReasonCanceled, "Canceled"),
            (WHvRunVpExitReasonX64MsrAccess, "MsrAccess"),
            (WHvRunVpExitReasonX64Cpuid, "Cpuid"),
            (WHvRunVpExitReasonException, "Exception"),
            (WHvRunVpExitReasonX64InterruptWindow, "InterruptWindow"),
            (
                WHvRunVpExitReasonUnrecoverableException,
                "UnrecoverableException",
            ),
            (
                WHvRunVpExitReasonInvalidVpRegisterValue,
                "InvalidVpRegisterValue",
            ),
            (WHvRunVpExitReasonUnsupportedFeature, "UnsupportedFeature"),
            (WHvRunVpExitReasonX64ApicEoi, "ApicEoi"),
            (WHvRunVpExitReasonX64Rdtsc, "Rdtsc"),
            (WHvRunVpExitReasonX64ApicSmiTrap, "ApicSmiTrap"),
            (WHvRunVpExitReasonHypercall, "Hypercall"),
            (WHvRunVpExitReasonX64ApicInitSipiTrap, "ApicInitSipiTrap"),
            (WHvRunVpExitReasonX64ApicWriteTrap, "ApicWriteTrap"),
            (
                WHvRunVpExitReasonSynicSintDeliverable,
                "SynicSintDeliverable",
            ),
            (WHvRunVpExitReasonNone, "Other"),
            (WHV_RUN_VP_EXIT_REASON(0x7777), "Other"),
        ];
        for (reason, name) in cases {
            let c = context(reason);
            let exit = Exit::from_context(&c);
            assert_eq!(exit.name(), name, "{reason:?}");
            assert_eq!(exit.reason(), reason, "round trip");
        }
        for reason in [
            WHvRunVpExitReasonX64IoPortAccess,
            WHvRunVpExitReasonMemoryAccess,
        ] {
            assert_eq!(Exit::from_context(&context(reason)).reason(), reason);
        }
    }

    #[test]
    fn display_names_the_key_fields() {
        let mut c = context(WHvRunVpExitReasonX64IoPortAccess);
        let mut io = WHV_X64_IO_PORT_ACCESS_CONTEXT {
            PortNumber: 0x3f8,
            Rax: 0x41,
            ..Default::default()
        };
        io.AccessInfo.set_is_write(1);
        io.AccessInfo.set_access_size(1);
        c.Anonymous.IoPortAccess = io;
        assert_eq!(
            Exit::from_context(&c).to_string(),
            "IoPort write port=0x3f8 size=1 data=0x41"
        );
        let mut c = context(WHvRunVpExitReasonMemoryAccess);
        let mut m = WHV_MEMORY_ACCESS_CONTEXT {
            Gpa: 0xfee0_0300,
            InstructionByteCount: 2,
            InstructionBytes: [0x89, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ..Default::default()
        };
        m.AccessInfo.set_access_type(WHvMemoryAccessWrite.0 as u32);
        m.AccessInfo.set_gpa_unmapped(1);
        c.Anonymous.MemoryAccess = m;
        assert_eq!(
            Exit::from_context(&c).to_string(),
            "Mmio write gpa=0xfee00300 unmapped bytes=[89, 07]"
        );
        assert_eq!(
            Exit::from_context(&context(WHvRunVpExitReasonCanceled)).to_string(),
            "Canceled"
        );
    }

    #[test]
    fn msr_write_value_is_edx_eax() {
        let mut c = context(WHvRunVpExitReasonX64MsrAccess);
        let mut m = WHV_X64_MSR_ACCESS_CONTEXT {
            MsrNumber: 0x1b,
            Rax: 0xffff_ffff_8000_0001,
            Rdx: 0x2,
            ..Default::default()
        };
        m.AccessInfo.set_is_write(1);
        c.Anonymous.MsrAccess = m;
        match Exit::from_context(&c) {
            Exit::MsrAccess {
                msr,
                is_write,
                value,
                ..
            } => assert_eq!((msr, is_write, value), (0x1b, true, 0x2_8000_0001)),
            other => panic!("{other:?}"),
        }
    }
}
