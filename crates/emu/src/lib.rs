//! winhv-emu: WinHvEmulation — the instruction emulator behind I/O-port and
//! MMIO exits (`WHvEmulatorTryIoEmulation`, `WHvEmulatorTryMmioEmulation`).
//!
//! The emulator reaches the world only through [`Callbacks`], the Rust
//! mirror of `WHV_EMULATOR_CALLBACKS`: port I/O, guest-physical memory,
//! register get/set and GVA-page translation. [`RawCallbacks`] adapts a C
//! callback table plus its context pointer to that trait (the only unsafe
//! code in the crate). Decoding is iced-x86's; the instruction bytes come
//! from the exit context and, when they are too few, from guest memory.
//!
//! ```
//! use winhv_emu::{Callbacks, Emulator};
//! # fn demo(cb: &mut impl Callbacks, vp: &winhv_defs::WHV_VP_EXIT_CONTEXT,
//! #         io: &winhv_defs::WHV_X64_IO_PORT_ACCESS_CONTEXT) {
//! let mut emu = Emulator::new();
//! match emu.try_io_emulation(cb, vp, io) {
//!     Ok(status) if status.emulation_successful() != 0 => { /* resume the VP */ }
//!     Ok(status) => eprintln!("emulation failed: {:#x}", status.AsUINT32),
//!     Err(hr) => eprintln!("bad arguments: {hr}"),
//! }
//! # }
//! ```
//!
//! See [`Emulator`] for the status semantics and the supported instructions,
//! [`Callbacks`] for the registers a callback implementation must serve.
//!
//! | module | owns |
//! | --- | --- |
//! | `emulator` | [`Emulator`], the two `try_*` entry points, statuses |
//! | `callbacks` / `raw` | the callback trait; the C table adapter |
//! | `cpu` | the register cache, CPU mode, commit and fault injection |
//! | `segment` / `access` | segmentation checks; paging and memory callbacks |
//! | `fetch` | instruction bytes and decoding |
//! | `exec/*` | one module per instruction family |
//! | `flags` / `undefined` | flag arithmetic; which flags are undefined |
#![allow(
    unsafe_code,
    reason = "the C callback adapter (raw.rs) calls caller-supplied function pointers, register values are a C union (regval.rs), and SSE arithmetic runs on the host processor through inline assembly (exec/host_sse.rs)"
)]

mod access;
mod callbacks;
mod cpu;
mod descriptor;
mod emulator;
mod exec;
mod fetch;
mod flags;
mod host;
mod raw;
mod regval;
mod segment;
mod status;
mod undefined;

pub use callbacks::Callbacks;
pub use emulator::{Emulator, MAX_REP_ITERATIONS};
pub use raw::{RawCallbacks, ValidatedCallbacks};
pub use undefined::undefined_flags;
