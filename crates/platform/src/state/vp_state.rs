//! WHvGetVirtualProcessorState / WHvSetVirtualProcessorState: one call for
//! every block of VP state Windows names (`WHV_VIRTUAL_PROCESSOR_STATE_TYPE`),
//! each served by the function that already owns it, with the same buffer
//! and the same answers:
//!
//! | state type | served by |
//! | --- | --- |
//! | XsaveState | WHvGet/SetVirtualProcessorXsaveState (`crate::xsave`): the compacted XSAVE area |
//! | InterruptControllerState2 | WHvGet/SetVirtualProcessorInterruptControllerState2 (`crate::interrupts`): the 4 KiB APIC page |
//! | SynicMessagePage, SynicEventFlagPage, SynicTimerState | none yet: `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` (the user-space SynIC, `crate::synic`, does not save its pages as state yet) |
//!
//! An unknown type answers `E_INVALIDARG` (our choice; Microsoft documents
//! none). A buffer too small for a Get answers `WHV_E_INSUFFICIENT_BUFFER`;
//! [`size`] is the size the C export then reports in `BytesWritten`.

#![allow(
    non_upper_case_globals,
    reason = "WHP constant names in match patterns"
)]

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::partition::Partition;

fn no_synic(kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE) -> Error {
    Error::with(
        HRESULT_ERROR_NOT_SUPPORTED,
        format!("{kind:?}: the SynIC state types are not implemented yet"),
    )
}

fn unknown(kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE) -> Error {
    Error::with(
        E_INVALIDARG,
        format!("unknown virtual processor state type {}", kind.0),
    )
}

/// The size of VP `index`'s state of type `kind`.
pub(crate) fn size(
    p: &Partition,
    index: u32,
    kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
) -> Result<u32> {
    match kind {
        WHvVirtualProcessorStateTypeXsaveState => p.vp_xsave_state_size(index),
        WHvVirtualProcessorStateTypeInterruptControllerState2 => {
            Ok(crate::INTERRUPT_CONTROLLER_STATE_SIZE)
        }
        WHvVirtualProcessorStateTypeSynicMessagePage
        | WHvVirtualProcessorStateTypeSynicEventFlagPage
        | WHvVirtualProcessorStateTypeSynicTimerState => Err(no_synic(kind)),
        _ => Err(unknown(kind)),
    }
}

/// WHvGetVirtualProcessorState: writes the state into `buffer`; returns
/// the bytes written.
pub(crate) fn get(
    p: &Partition,
    index: u32,
    kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
    buffer: &mut [u8],
) -> Result<u32> {
    match kind {
        WHvVirtualProcessorStateTypeXsaveState => p.get_vp_xsave_state(index, buffer),
        WHvVirtualProcessorStateTypeInterruptControllerState2 => {
            p.get_interrupt_controller_state2(index, buffer)
        }
        _ => size(p, index, kind),
    }
}

/// WHvSetVirtualProcessorState: the state becomes `buffer`.
pub(crate) fn set(
    p: &Partition,
    index: u32,
    kind: WHV_VIRTUAL_PROCESSOR_STATE_TYPE,
    buffer: &[u8],
) -> Result<()> {
    match kind {
        WHvVirtualProcessorStateTypeXsaveState => p.set_vp_xsave_state(index, buffer),
        WHvVirtualProcessorStateTypeInterruptControllerState2 => {
            p.set_interrupt_controller_state2(index, buffer)
        }
        _ => size(p, index, kind).map(drop),
    }
}
