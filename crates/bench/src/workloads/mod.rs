//! The paired workloads, one file per family, and [`SPECS`]: every row in
//! report order.

pub mod cancel;
pub mod devices;
pub mod emulator;
pub mod exits;
pub mod interrupts;
pub mod lifecycle;
pub mod memory;
pub mod registers;
pub mod snapshot;
pub mod translate;

use crate::pair::{Goal, Spec};

/// Every row, in report order.
pub const SPECS: &[Spec] = &[
    Spec {
        name: "port I/O exit round trip",
        goal: Goal::ExitRoundTrip,
        build: exits::port_io,
    },
    Spec {
        name: "port I/O exit round trip, safe API",
        goal: Goal::ExitRoundTrip,
        build: exits::port_io_safe,
    },
    Spec {
        name: "port I/O exit round trip, CPL0",
        goal: Goal::ExitRoundTrip,
        build: exits::port_io_cpl0,
    },
    Spec {
        name: "MMIO exit round trip",
        goal: Goal::ExitRoundTrip,
        build: exits::mmio,
    },
    Spec {
        name: "MMIO exit round trip, CPL0",
        goal: Goal::ExitRoundTrip,
        build: exits::mmio_cpl0,
    },
    Spec {
        name: "MMIO store to a claimed range (served in the run)",
        goal: Goal::ExitRoundTrip,
        build: devices::claimed_mmio,
    },
    Spec {
        name: "MMIO exit + TryMmioEmulation",
        goal: Goal::EmulatedMmio,
        build: emulator::mmio,
    },
    Spec {
        name: "MMIO exit + TryMmioEmulation, CPL0",
        goal: Goal::EmulatedMmio,
        build: emulator::mmio_cpl0,
    },
    Spec {
        name: "port I/O exit + TryIoEmulation",
        goal: Goal::EmulatedPortIo,
        build: emulator::port_io,
    },
    Spec {
        name: "port I/O exit + TryIoEmulation, CPL0",
        goal: Goal::EmulatedPortIo,
        build: emulator::port_io_cpl0,
    },
    Spec {
        name: "HLT exit round trip",
        goal: Goal::ExitRoundTrip,
        build: exits::hlt,
    },
    Spec {
        name: "get+set 16 GPRs (raw: ioctls)",
        goal: Goal::Within1_2,
        build: registers::against_ioctls,
    },
    Spec {
        name: "get+set 16 GPRs (raw: sync regs)",
        goal: Goal::Within1_2,
        build: registers::against_sync_regs,
    },
    Spec {
        name: "get+set 16 GPRs, safe API (raw: sync regs)",
        goal: Goal::Within1_2,
        build: registers::safe_against_sync_regs,
    },
    Spec {
        name: "partition lifecycle",
        goal: Goal::Within1_2,
        build: lifecycle::lifecycle,
    },
    Spec {
        name: "map+unmap 4 KiB",
        goal: Goal::Bug1_5,
        build: memory::map_4k,
    },
    Spec {
        name: "map+unmap 1 GiB",
        goal: Goal::Bug1_5,
        build: memory::map_1g,
    },
    Spec {
        name: "translate GVA, cached",
        goal: Goal::Bug1_5,
        build: translate::cached,
    },
    Spec {
        name: "translate GVA, uncached",
        goal: Goal::Bug1_5,
        build: translate::uncached,
    },
    Spec {
        name: "dirty bitmap 1 GiB",
        goal: Goal::Bug1_5,
        build: memory::dirty_1g,
    },
    Spec {
        name: "WHvRequestInterrupt to the guest's handler",
        goal: Goal::Within1_1,
        build: interrupts::request,
    },
    Spec {
        name: "trigger signal to the guest's handler",
        goal: Goal::Within1_1,
        build: interrupts::trigger,
    },
    Spec {
        name: "guest doorbell write to the host event",
        goal: Goal::Within1_1,
        build: interrupts::doorbell,
    },
    Spec {
        name: "dirty bitmap 1 GiB, 64 pages written",
        goal: Goal::Within1_2,
        build: memory::dirty_1g_after_writes,
    },
    Spec {
        name: "save+restore 1 GiB",
        goal: Goal::Bug1_5,
        build: snapshot::save_restore_1g,
    },
    Spec {
        name: "cancel latency",
        goal: Goal::Bug1_5,
        build: cancel::cancel_latency,
    },
];
