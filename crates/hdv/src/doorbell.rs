//! [`Doorbell`]: `HdvRegisterDoorbell`'s registration — a BAR offset, a
//! write size (or any), a value (or any) and the event to signal — and
//! its matching. The flags' bits 2:0 give the size (0 any, 1/2/3/4 = 1,
//! 2, 4, 8 bytes), bit 31 `TRIGGER_ANY_VALUE`; since that constant is a
//! negative `int` in C, a caller's `(UINT64)` cast sign-extends it, so
//! upper halves of all zeros or (with bit 31) all ones are both accepted.
//!
//! Our choices: two doorbells at one address conflict when their sizes
//! and values could both match one write (Windows' partition doorbells
//! do the same), answered `ERROR_HV_INVALID_PARAMETER`; undefined flag
//! bits, a value that does not fit the size, or an address past the BAR
//! answer `E_INVALIDARG`.
//!
//! For now a doorbell is matched on the VP's thread by the BAR's write
//! path (the event is signalled, the write never reaches
//! WriteInterceptedMemory): correct, with the cost of an exit. A
//! KVM_IOEVENTFD under it, so the VP does not leave KVM, is the next step
//! (the partition's doorbell work brings it).

use std::fs::File;
use std::io::Write;

use winhv::{Error, Result};
use winhv_defs::{E_INVALIDARG, ERROR_HV_INVALID_PARAMETER};

/// One registered doorbell.
#[derive(Debug)]
pub struct Doorbell {
    /// The BAR.
    pub bar: u8,
    /// The offset in the BAR.
    pub offset: u64,
    /// The write size that matches (`None`: any).
    pub size: Option<u8>,
    /// The value that matches (`None`: any).
    pub value: Option<u64>,
    /// The event (an eventfd), signalled by adding 1.
    event: File,
}

impl Doorbell {
    /// A doorbell from `HdvRegisterDoorbell`'s arguments; `bar_size` is
    /// the BAR's size.
    pub fn new(
        bar: u8,
        bar_size: u64,
        offset: u64,
        trigger: u64,
        flags: u64,
        event: File,
    ) -> Result<Doorbell> {
        let (size, any_value) = parse_flags(flags)?;
        let len = u64::from(size.unwrap_or(1));
        if offset.checked_add(len).is_none_or(|end| end > bar_size) {
            return Err(Error::with(
                E_INVALIDARG,
                format!("doorbell at {offset:#x} is outside BAR{bar} ({bar_size:#x} bytes)"),
            ));
        }
        let value = (!any_value).then_some(trigger);
        if let (Some(s), Some(v)) = (size, value) {
            if s < 8 && v >> (8 * s) != 0 {
                return Err(Error::with(
                    E_INVALIDARG,
                    format!("trigger value {v:#x} does not fit {s} bytes"),
                ));
            }
        }
        Ok(Doorbell {
            bar,
            offset,
            size,
            value,
            event,
        })
    }

    /// Whether one write could match both.
    pub fn conflicts(&self, other: &Doorbell) -> bool {
        self.bar == other.bar
            && self.offset == other.offset
            && (self.size.is_none() || other.size.is_none() || self.size == other.size)
            && (self.value.is_none() || other.value.is_none() || self.value == other.value)
    }

    /// Whether it was registered with exactly these arguments.
    pub fn is(&self, bar: u8, offset: u64, trigger: u64, flags: u64) -> bool {
        parse_flags(flags).is_ok_and(|(size, any)| {
            self.bar == bar
                && self.offset == offset
                && self.size == size
                && self.value == (!any).then_some(trigger)
        })
    }

    /// Whether a guest write of `data` at `offset` in `bar` rings it.
    pub fn matches(&self, bar: u8, offset: u64, data: &[u8]) -> bool {
        if self.bar != bar
            || self.offset != offset
            || self.size.is_some_and(|s| usize::from(s) != data.len())
        {
            return false;
        }
        let mut v = [0u8; 8];
        let n = data.len().min(8);
        v[..n].copy_from_slice(&data[..n]);
        self.value.is_none_or(|want| want == u64::from_le_bytes(v))
    }

    /// Signals the event (adds 1 to the eventfd's counter).
    pub fn ring(&self) {
        // An eventfd at its maximum count refuses the write; the event is
        // signalled anyway.
        let _ = (&self.event).write_all(&1u64.to_ne_bytes());
    }
}

/// The write size (`None`: any) and whether any value matches.
fn parse_flags(flags: u64) -> Result<(Option<u8>, bool)> {
    let bad = || Error::with(E_INVALIDARG, format!("undefined doorbell flags {flags:#x}"));
    let (high, low) = ((flags >> 32) as u32, flags as u32);
    let any_value = low & 0x8000_0000 != 0;
    if low & !0x8000_0007 != 0 || !(high == 0 || (high == u32::MAX && any_value)) {
        return Err(bad());
    }
    let size = match low & 7 {
        0 => None,
        1 => Some(1),
        2 => Some(2),
        3 => Some(4),
        4 => Some(8),
        _ => return Err(bad()),
    };
    Ok((size, any_value))
}

/// The conflict answer.
pub(crate) fn conflict() -> Error {
    Error::new(
        ERROR_HV_INVALID_PARAMETER,
        "a doorbell at that address matches the same writes",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> File {
        File::open("/dev/null").unwrap()
    }

    #[test]
    fn flags_and_sign_extension() {
        assert_eq!(parse_flags(3).unwrap(), (Some(4), false));
        assert_eq!(parse_flags(0x8000_0000).unwrap(), (None, true));
        assert_eq!(
            parse_flags(0xffff_ffff_8000_0004).unwrap(),
            (Some(8), true),
            "sign-extended"
        );
        for bad in [5, 0x10, 0xffff_ffff_0000_0001, 0x1_0000_0000] {
            assert!(parse_flags(bad).is_err(), "{bad:#x}");
        }
    }

    #[test]
    fn matching_conflicts_and_bounds() {
        let d = Doorbell::new(0, 0x1000, 0x80, 7, 3, event()).unwrap();
        assert!(d.matches(0, 0x80, &7u32.to_le_bytes()));
        assert!(!d.matches(0, 0x80, &8u32.to_le_bytes()));
        assert!(!d.matches(0, 0x80, &[7]), "another size");
        assert!(!d.matches(1, 0x80, &7u32.to_le_bytes()));
        let any = Doorbell::new(0, 0x1000, 0x80, 0, 0x8000_0000, event()).unwrap();
        assert!(any.matches(0, 0x80, &[1, 2]));
        assert!(d.conflicts(&any));
        let other_value = Doorbell::new(0, 0x1000, 0x80, 8, 3, event()).unwrap();
        assert!(!d.conflicts(&other_value));
        assert!(d.is(0, 0x80, 7, 3) && !d.is(0, 0x80, 7, 2));
        assert!(
            Doorbell::new(0, 0x1000, 0xffc, 0, 4, event()).is_err(),
            "past the BAR"
        );
        assert!(
            Doorbell::new(0, 0x1000, 0, 0x100, 1, event()).is_err(),
            "value too wide"
        );
        assert_eq!(conflict().hresult, ERROR_HV_INVALID_PARAMETER);
    }
}
