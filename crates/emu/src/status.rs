//! Why an emulation stopped early: a `WHV_EMULATOR_STATUS` failure bit, or
//! an exception the guest must take.

use winhv_defs::WHV_EMULATOR_STATUS;

/// `WHV_EMULATOR_STATUS` bit values, by their header names.
pub(crate) mod bits {
    /// `EmulationSuccessful`.
    pub const SUCCESS: u32 = 1 << 0;
    /// `InternalEmulationFailure`.
    pub const INTERNAL_FAILURE: u32 = 1 << 1;
    /// `IoPortCallbackFailed`.
    pub const IO_PORT_FAILED: u32 = 1 << 2;
    /// `MemoryCallbackFailed`.
    pub const MEMORY_FAILED: u32 = 1 << 3;
    /// `TranslateGvaPageCallbackFailed`.
    pub const TRANSLATE_FAILED: u32 = 1 << 4;
    /// `TranslateGvaPageCallbackGpaIsNotAligned`.
    pub const GPA_NOT_ALIGNED: u32 = 1 << 5;
    /// `GetVirtualProcessorRegistersCallbackFailed`.
    pub const GET_REGISTERS_FAILED: u32 = 1 << 6;
    /// `SetVirtualProcessorRegistersCallbackFailed`.
    pub const SET_REGISTERS_FAILED: u32 = 1 << 7;
    /// `InterruptCausedIntercept`.
    pub const INTERRUPT_CAUSED_INTERCEPT: u32 = 1 << 8;
    /// `GuestCannotBeFaulted`.
    pub const GUEST_CANNOT_BE_FAULTED: u32 = 1 << 9;
}

/// Exception vectors the emulator can raise.
pub(crate) mod vector {
    /// `#DE`.
    pub const DE: u8 = 0;
    /// `#UD`.
    pub const UD: u8 = 6;
    /// `#NM`.
    pub const NM: u8 = 7;
    /// `#NP`.
    pub const NP: u8 = 11;
    /// `#MF`.
    pub const MF: u8 = 16;
    /// `#XM`.
    pub const XM: u8 = 19;
    /// `#DB`.
    pub const DB: u8 = 1;
    /// `#SS`.
    pub const SS: u8 = 12;
    /// `#GP`.
    pub const GP: u8 = 13;
    /// `#PF`.
    pub const PF: u8 = 14;
    /// `#AC`.
    pub const AC: u8 = 17;
}

/// An exception the instruction raises, as the CPU would.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Exception {
    /// The vector.
    pub vector: u8,
    /// The error code, for vectors that push one (outside real mode).
    pub error_code: Option<u32>,
    /// CR2 for a page fault.
    pub cr2: Option<u64>,
}

/// Why an emulation ended before completing the instruction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Report these `WHV_EMULATOR_STATUS` bits; no register update.
    Status(u32),
    /// Commit the registers as of the last completed step, then inject.
    Fault(Exception),
}

impl Stop {
    /// An internal failure (an instruction or form we do not emulate).
    pub const UNSUPPORTED: Stop = Stop::Status(bits::INTERNAL_FAILURE);

    /// `#GP(0)`.
    pub fn gp0() -> Stop {
        Stop::Fault(Exception {
            vector: vector::GP,
            error_code: Some(0),
            cr2: None,
        })
    }

    /// `#SS(0)`.
    pub fn ss0() -> Stop {
        Stop::Fault(Exception {
            vector: vector::SS,
            error_code: Some(0),
            cr2: None,
        })
    }

    /// An exception without an error code (`#DE`, `#UD`, `#NM`, `#MF`,
    /// `#XM`).
    pub fn fault(vector: u8) -> Stop {
        Stop::Fault(Exception {
            vector,
            error_code: None,
            cr2: None,
        })
    }

    /// An exception with an error code (`#GP`, `#SS`, `#NP`, `#TS`: a
    /// selector's index, TI and EXT bits).
    pub fn fault_code(vector: u8, code: u32) -> Stop {
        Stop::Fault(Exception {
            vector,
            error_code: Some(code),
            cr2: None,
        })
    }

    /// `#UD`.
    pub fn ud() -> Stop {
        Stop::fault(vector::UD)
    }
}

/// A status with exactly these bits.
pub(crate) fn status(bits: u32) -> WHV_EMULATOR_STATUS {
    WHV_EMULATOR_STATUS { AsUINT32: bits }
}

/// Result type of the emulation steps.
pub(crate) type Step<T> = Result<T, Stop>;
