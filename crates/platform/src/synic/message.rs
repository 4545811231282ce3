//! The SynIC pages in guest memory: a SINT's message slot in the SIMP page
//! (WHvPostVirtualProcessorSynicMessage, the slot check at EOM) and its
//! event flags in the SIEFP page (WHvSignalVirtualProcessorSynicEvent).
//!
//! A slot is an HV_MESSAGE of 256 bytes: MessageType (u32, 0 = free),
//! PayloadSize (u8), MessageFlags (u8, bit 0 MessagePending), reserved,
//! then sender and payload. The guest frees a slot by writing
//! MessageType 0 and, if MessagePending was set, writes EOM (TLFS,
//! "SynIC Message Flags"). We set MessagePending on a busy slot with a
//! compare-exchange and look again: a slot the guest freed in between is
//! taken, so a freeing guest either sees the flag or the post succeeds.

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::memory::{GpaMap, compare_exchange_u64};

/// Bytes per message slot and per SINT's event flags.
pub(crate) const SLOT_SIZE: u64 = 256;
/// MessagePending in a slot's first 8 bytes (MessageFlags bit 0).
const MESSAGE_PENDING: u64 = 1 << 40;

fn host_of(map: &GpaMap, gpa: u64) -> Result<u64> {
    map.lookup(gpa).map(|(host, _, _)| host).ok_or_else(|| {
        Error::with(
            WHV_E_GPA_RANGE_NOT_FOUND,
            format!("SynIC page at GPA {gpa:#x} is not mapped"),
        )
    })
}

fn not_writable(gpa: u64) -> Error {
    Error::with(
        E_ACCESSDENIED,
        format!("SynIC page at GPA {gpa:#x} is not writable from this process"),
    )
}

/// The first 8 bytes of the slot at `slot` (type, size, flags).
fn head(map: &GpaMap, slot: u64) -> Result<u64> {
    let mut b = [0u8; 8];
    map.read(slot, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Whether the slot at `slot` is free (MessageType 0).
pub(crate) fn slot_free(map: &GpaMap, slot: u64) -> Result<bool> {
    Ok(head(map, slot)? as u32 == 0)
}

/// Writes `message` into the slot at `slot` if it is free (`Ok(true)`);
/// otherwise sets the slot's MessagePending and answers `Ok(false)`.
/// The rest of the slot past the message is zeroed; MessagePending of
/// the new message is clear; MessageType is written last.
pub(crate) fn post(map: &GpaMap, slot: u64, message: &[u8]) -> Result<bool> {
    let host = host_of(map, slot)?;
    let mut old = head(map, slot)?;
    while old as u32 != 0 {
        match compare_exchange_u64(host, old, old | MESSAGE_PENDING) {
            Ok(Ok(())) => return Ok(false),
            Ok(Err(now)) => old = now,
            Err(_) => return Err(not_writable(slot)),
        }
    }
    let mut m = [0u8; SLOT_SIZE as usize];
    m[..message.len()].copy_from_slice(message);
    m[5] &= !1;
    map.write(slot + 4, &m[4..])?;
    map.write(slot, &m[..4])?;
    Ok(true)
}

/// Sets event flag `flag` of the SINT whose flags start at `flags`;
/// whether it was clear before (NewlySignaled).
pub(crate) fn signal(map: &GpaMap, flags: u64, flag: u16) -> Result<bool> {
    let word = flags + u64::from(flag / 64) * 8;
    let bit = 1u64 << (flag % 64);
    let host = host_of(map, word)?;
    let mut old = head(map, word)?;
    loop {
        if old & bit != 0 {
            return Ok(false);
        }
        match compare_exchange_u64(host, old, old | bit) {
            Ok(Ok(())) => return Ok(true),
            Ok(Err(now)) => old = now,
            Err(_) => return Err(not_writable(word)),
        }
    }
}
