//! Doorbells: a guest write to a GPA, matching a length and a value or
//! not, signals the caller's event without an exit
//! (WHvRegisterPartitionDoorbellEvent and doorbell notification ports), on
//! `KVM_IOEVENTFD`: KVM compares each MMIO write with the partition's
//! doorbells and signals the eventfd itself, the VP going on at once.
//!
//! Windows' rules (Microsoft's WHvRegisterPartitionDoorbellEvent page):
//! malformed match data — a reserved bit; MatchOnLength with a Length
//! other than 1, 2, 4 or 8; no MatchOnLength with a Length or with
//! MatchOnValue; no MatchOnValue with a Value — is `E_INVALIDARG`. At one
//! GuestAddress several doorbells may live only if they all match on
//! value, with the same Length and distinct Values; anything else is a
//! conflict, `ERROR_HV_INVALID_PARAMETER`. Unregistering match data no
//! doorbell has is `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`.
//!
//! Doorbells are MMIO only, as on Windows (WHV_DOORBELL_MATCH_DATA names
//! a GPA, no port). KVM sees a write only where no memory is mapped: a
//! doorbell on mapped RAM never rings, on Windows neither. The event is
//! the caller's eventfd (a HANDLE is an fd here), duplicated so that the
//! caller may close its own; a matching write adds 1 to its counter.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Mutex;

use kvm_bindings::kvm_ioeventfd;
use kvm_ioctls::VmFd;
use vmm_sys_util::ioctl::ioctl_with_ref;
use vmm_sys_util::ioctl_iow_nr;
use winhv_defs::*;

use crate::{Error, Result};

ioctl_iow_nr!(KVM_IOEVENTFD, kvm_bindings::KVMIO, 0x79, kvm_ioeventfd);

/// Match data that passed [`check`]: what a write must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Doorbell {
    pub gpa: u64,
    /// The write's length, or any length.
    pub length: Option<u32>,
    /// The value written (with a length), or any value.
    pub value: Option<u64>,
}

fn invalid(what: &'static str) -> Error {
    Error::new(E_INVALIDARG, what)
}

/// The format checks of Windows (module documentation): `E_INVALIDARG`.
pub(crate) fn check(m: &WHV_DOORBELL_MATCH_DATA) -> Result<Doorbell> {
    if m._bitfield & !0b11 != 0 {
        return Err(invalid("reserved bits of WHV_DOORBELL_MATCH_DATA set"));
    }
    let (on_value, on_length) = (m.match_on_value() != 0, m.match_on_length() != 0);
    if on_length && !matches!(m.Length, 1 | 2 | 4 | 8) {
        return Err(invalid(
            "MatchOnLength with a Length other than 1, 2, 4 or 8",
        ));
    }
    if !on_length && (m.Length != 0 || on_value) {
        return Err(invalid("a Length or MatchOnValue without MatchOnLength"));
    }
    if !on_value && m.Value != 0 {
        return Err(invalid("a Value without MatchOnValue"));
    }
    Ok(Doorbell {
        gpa: m.GuestAddress,
        length: on_length.then_some(m.Length),
        value: on_value.then_some(m.Value),
    })
}

impl Doorbell {
    /// Whether `self` may not live beside `other` (module documentation).
    fn conflicts(&self, other: &Doorbell) -> bool {
        self.gpa == other.gpa
            && !(self.length == other.length
                && matches!((self.value, other.value), (Some(a), Some(b)) if a != b))
    }

    /// `KVM_IOEVENTFD`'s argument for `event`.
    fn ioeventfd(&self, event: &OwnedFd, deassign: bool) -> kvm_ioeventfd {
        use kvm_bindings::{kvm_ioeventfd_flag_nr_datamatch, kvm_ioeventfd_flag_nr_deassign};
        let mut flags = 0;
        if self.value.is_some() {
            flags |= 1 << kvm_ioeventfd_flag_nr_datamatch;
        }
        if deassign {
            flags |= 1 << kvm_ioeventfd_flag_nr_deassign;
        }
        kvm_ioeventfd {
            datamatch: self.value.unwrap_or(0),
            addr: self.gpa,
            // 0: any length (KVM's rule for MMIO without a datamatch).
            len: self.length.unwrap_or(0),
            fd: event.as_raw_fd(),
            flags,
            ..Default::default()
        }
    }
}

fn ioeventfd(vm: &VmFd, arg: &kvm_ioeventfd) -> std::result::Result<(), i32> {
    // SAFETY: KVM_IOEVENTFD reads one kvm_ioeventfd from the reference,
    // which lives across the call; `vm` is a VM fd.
    let r = unsafe { ioctl_with_ref(vm, KVM_IOEVENTFD(), arg) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

/// A Windows event HANDLE as the fd it is here (the HANDLE's value is the
/// fd number), duplicated (close-on-exec) so that the copy is the
/// caller's to keep: `E_HANDLE` for a value that is no open fd. The C
/// library's exports use it for every event handle they are given.
pub fn event_from_handle(handle: i64) -> Result<OwnedFd> {
    let fd = i32::try_from(handle)
        .ok()
        .filter(|fd| *fd >= 0)
        .ok_or_else(|| Error::with(E_HANDLE, format!("event handle {handle} is not an fd")))?;
    // SAFETY: F_DUPFD_CLOEXEC reads no memory; a closed fd fails with EBADF.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(Error::with(
            E_HANDLE,
            format!("event handle {fd}: {}", std::io::Error::last_os_error()),
        ));
    }
    // SAFETY: `dup` is a new fd nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

struct Registered {
    doorbell: Doorbell,
    event: OwnedFd,
}

/// The partition's doorbells.
#[derive(Default)]
pub(crate) struct Doorbells {
    list: Mutex<Vec<Registered>>,
}

impl Doorbells {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Registered>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `doorbell` ([`check`]ed) to signal `event` (an fd this
    /// takes over).
    pub(crate) fn register(&self, vm: &VmFd, doorbell: Doorbell, event: OwnedFd) -> Result<()> {
        let mut list = self.lock();
        if let Some(r) = list.iter().find(|r| r.doorbell.conflicts(&doorbell)) {
            return Err(Error::with(
                ERROR_HV_INVALID_PARAMETER,
                format!(
                    "{doorbell:?} conflicts with the registered {:?}",
                    r.doorbell
                ),
            ));
        }
        ioeventfd(vm, &doorbell.ioeventfd(&event, false)).map_err(|errno| match errno {
            // Not an eventfd (KVM's eventfd_ctx_fdget).
            libc::EINVAL | libc::EBADF => Error::with(
                E_HANDLE,
                format!("event handle {} is not an eventfd", event.as_raw_fd()),
            ),
            // A bus holds at most NR_IOBUS_DEVS devices.
            libc::ENOSPC => Error::new(
                HRESULT_ERROR_NO_SYSTEM_RESOURCES,
                "KVM_IOEVENTFD: the partition's MMIO bus is full",
            ),
            e => Error::from_errno("KVM_IOEVENTFD", e),
        })?;
        list.push(Registered { doorbell, event });
        Ok(())
    }

    /// Unregisters the doorbell registered with exactly `doorbell`.
    pub(crate) fn unregister(&self, vm: &VmFd, doorbell: &Doorbell) -> Result<()> {
        let mut list = self.lock();
        let at = list
            .iter()
            .position(|r| r.doorbell == *doorbell)
            .ok_or_else(|| {
                Error::with(
                    HRESULT_ERROR_NOT_FOUND,
                    format!("no doorbell is registered with {doorbell:?}"),
                )
            })?;
        let r = &list[at];
        ioeventfd(vm, &r.doorbell.ioeventfd(&r.event, true))
            .map_err(|e| Error::from_errno("KVM_IOEVENTFD (deassign)", e))?;
        list.remove(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(gpa: u64, value: Option<u64>, length: Option<u32>) -> WHV_DOORBELL_MATCH_DATA {
        let mut m = WHV_DOORBELL_MATCH_DATA {
            GuestAddress: gpa,
            Value: value.unwrap_or(0),
            Length: length.unwrap_or(0),
            _bitfield: 0,
        };
        m.set_match_on_value(u32::from(value.is_some()));
        m.set_match_on_length(u32::from(length.is_some()));
        m
    }

    #[test]
    fn malformed_match_data_is_refused() {
        let mut reserved = data(0x1000, None, None);
        reserved._bitfield = 1 << 2;
        let mut length_only = data(0x1000, None, None);
        length_only.Length = 4;
        let mut value_only = data(0x1000, None, None);
        value_only.Value = 1;
        let mut value_without_length = data(0x1000, Some(1), None);
        value_without_length.Length = 0;
        for (m, what) in [
            (reserved, "reserved bit"),
            (data(0x1000, None, Some(3)), "length 3"),
            (data(0x1000, None, Some(16)), "length 16"),
            (length_only, "Length without MatchOnLength"),
            (value_only, "Value without MatchOnValue"),
            (value_without_length, "MatchOnValue without MatchOnLength"),
        ] {
            assert_eq!(check(&m).unwrap_err().hresult, E_INVALIDARG, "{what}");
        }
        for l in [1, 2, 4, 8] {
            assert!(check(&data(0x1000, Some(7), Some(l))).is_ok());
            assert!(check(&data(0x1000, None, Some(l))).is_ok());
        }
        assert!(check(&data(0x1000, None, None)).is_ok());
    }

    #[test]
    fn conflicts_follow_windows_rules() {
        let d = |v, l| check(&data(0x1000, v, l)).unwrap();
        let v1 = d(Some(1), Some(4));
        assert!(v1.conflicts(&v1), "the same doorbell twice");
        assert!(
            !v1.conflicts(&d(Some(2), Some(4))),
            "distinct values, one length"
        );
        assert!(v1.conflicts(&d(Some(2), Some(2))), "another length");
        assert!(v1.conflicts(&d(None, Some(4))), "any value beside a value");
        assert!(d(None, Some(4)).conflicts(&v1));
        assert!(v1.conflicts(&d(None, None)), "any length");
        let elsewhere = check(&data(0x2000, None, None)).unwrap();
        assert!(!v1.conflicts(&elsewhere));
    }
}
