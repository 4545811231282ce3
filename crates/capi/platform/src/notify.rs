//! The doorbell, trigger and notification port exports:
//! `WHvRegister/UnregisterPartitionDoorbellEvent`, `WHvCreateTrigger`,
//! `WHvUpdateTriggerParameters`, `WHvDeleteTrigger`,
//! `WHvCreateNotificationPort`, `WHvSetNotificationPortProperty`,
//! `WHvDeleteNotificationPort`, over the core's `winhv::Partition`
//! methods (which decide every HRESULT but the pointer checks here).
//!
//! A Windows event `HANDLE` is a Linux eventfd here: the HANDLE's value is
//! the fd number (`(HANDLE)(intptr_t)fd`). Events the caller passes are
//! duplicated (the caller may close its own); the event WHvCreateTrigger
//! returns is a new fd the caller owns and closes, after WHvDeleteTrigger,
//! as it would CloseHandle it. Trigger and port handles are numbers, never
//! pointers; a deleted or unknown one answers `E_HANDLE`.
//!
//! Order: NULL pointers (`E_INVALIDARG`), the core's argument checks, the
//! partition handle, the event handle (`E_HANDLE` for a value that is no
//! open fd, or no eventfd), then the partition's state.

use std::os::fd::{AsFd, IntoRawFd};

use winhv::NotificationPortHandle;
use winhv_defs::{
    HANDLE, HRESULT, WHV_DOORBELL_MATCH_DATA, WHV_NOTIFICATION_PORT_HANDLE,
    WHV_NOTIFICATION_PORT_PARAMETERS, WHV_NOTIFICATION_PORT_PROPERTY_CODE, WHV_PARTITION_HANDLE,
    WHV_TRIGGER_HANDLE, WHV_TRIGGER_PARAMETERS,
};

use crate::args;
use crate::boundary::{guard, hr};
use crate::handles::partition;

/// Registers an event to be signalled when the guest writes what
/// `MatchData` describes.
///
/// # Safety
/// `MatchData` must be NULL or point to a readable `WHV_DOORBELL_MATCH_DATA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvRegisterPartitionDoorbellEvent(
    Partition: WHV_PARTITION_HANDLE,
    MatchData: *const WHV_DOORBELL_MATCH_DATA,
    EventHandle: HANDLE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let data = &unsafe { args::slice(MatchData, 1)? }[0];
        winhv::Partition::check_doorbell(data).map_err(hr)?;
        let p = partition(Partition)?;
        let event = winhv::event_from_handle(EventHandle as i64).map_err(hr)?;
        p.register_doorbell(data, event.as_fd()).map_err(hr)
    })
}

/// Unregisters the doorbell registered with exactly `MatchData`.
///
/// # Safety
/// As [`WHvRegisterPartitionDoorbellEvent`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvUnregisterPartitionDoorbellEvent(
    Partition: WHV_PARTITION_HANDLE,
    MatchData: *const WHV_DOORBELL_MATCH_DATA,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let data = &unsafe { args::slice(MatchData, 1)? }[0];
        winhv::Partition::check_doorbell(data).map_err(hr)?;
        partition(Partition)?.unregister_doorbell(data).map_err(hr)
    })
}

/// Creates a trigger: `*EventHandle` receives an eventfd whose signal
/// raises what `Parameters` describes.
///
/// # Safety
/// `Parameters` must be NULL or readable; `TriggerHandle` and
/// `EventHandle` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvCreateTrigger(
    Partition: WHV_PARTITION_HANDLE,
    Parameters: *const WHV_TRIGGER_PARAMETERS,
    TriggerHandle: *mut WHV_TRIGGER_HANDLE,
    EventHandle: *mut HANDLE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let params = &unsafe { args::slice(Parameters, 1)? }[0];
        // SAFETY: the caller's contract above.
        let handle_out = unsafe { args::output(TriggerHandle)? };
        // SAFETY: the caller's contract above.
        let event_out = unsafe { args::output(EventHandle)? };
        winhv::Partition::check_trigger(params).map_err(hr)?;
        let (handle, event) = partition(Partition)?.create_trigger(params).map_err(hr)?;
        *handle_out = handle.0 as WHV_TRIGGER_HANDLE;
        *event_out = event.into_raw_fd() as isize as HANDLE;
        Ok(())
    })
}

/// Re-targets trigger `TriggerHandle` to what `Parameters` describes.
///
/// # Safety
/// `Parameters` must be NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvUpdateTriggerParameters(
    Partition: WHV_PARTITION_HANDLE,
    Parameters: *const WHV_TRIGGER_PARAMETERS,
    TriggerHandle: WHV_TRIGGER_HANDLE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let params = &unsafe { args::slice(Parameters, 1)? }[0];
        winhv::Partition::check_trigger(params).map_err(hr)?;
        partition(Partition)?
            .update_trigger(winhv::TriggerHandle(TriggerHandle as u64), params)
            .map_err(hr)
    })
}

/// Deletes trigger `TriggerHandle` (its event stays the caller's).
#[unsafe(no_mangle)]
pub extern "C" fn WHvDeleteTrigger(
    Partition: WHV_PARTITION_HANDLE,
    TriggerHandle: WHV_TRIGGER_HANDLE,
) -> HRESULT {
    guard(|| {
        partition(Partition)?
            .delete_trigger(winhv::TriggerHandle(TriggerHandle as u64))
            .map_err(hr)
    })
}

/// Creates a notification port signalling `EventHandle`.
///
/// # Safety
/// `Parameters` must be NULL or readable, `PortHandle` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WHvCreateNotificationPort(
    Partition: WHV_PARTITION_HANDLE,
    Parameters: *const WHV_NOTIFICATION_PORT_PARAMETERS,
    EventHandle: HANDLE,
    PortHandle: *mut WHV_NOTIFICATION_PORT_HANDLE,
) -> HRESULT {
    guard(|| {
        // SAFETY: the caller's contract above.
        let params = &unsafe { args::slice(Parameters, 1)? }[0];
        // SAFETY: the caller's contract above.
        let out = unsafe { args::output(PortHandle)? };
        winhv::Partition::check_notification_port(params).map_err(hr)?;
        let p = partition(Partition)?;
        let event = winhv::event_from_handle(EventHandle as i64).map_err(hr)?;
        let port = p
            .create_notification_port(params, event.as_fd())
            .map_err(hr)?;
        *out = port.0 as WHV_NOTIFICATION_PORT_HANDLE;
        Ok(())
    })
}

/// Sets a property of notification port `PortHandle`.
#[unsafe(no_mangle)]
pub extern "C" fn WHvSetNotificationPortProperty(
    Partition: WHV_PARTITION_HANDLE,
    PortHandle: WHV_NOTIFICATION_PORT_HANDLE,
    PropertyCode: WHV_NOTIFICATION_PORT_PROPERTY_CODE,
    PropertyValue: u64,
) -> HRESULT {
    guard(|| {
        partition(Partition)?
            .set_notification_port_property(
                NotificationPortHandle(PortHandle as u64),
                PropertyCode,
                PropertyValue,
            )
            .map_err(hr)
    })
}

/// Deletes notification port `PortHandle`.
#[unsafe(no_mangle)]
pub extern "C" fn WHvDeleteNotificationPort(
    Partition: WHV_PARTITION_HANDLE,
    PortHandle: WHV_NOTIFICATION_PORT_HANDLE,
) -> HRESULT {
    guard(|| {
        partition(Partition)?
            .delete_notification_port(NotificationPortHandle(PortHandle as u64))
            .map_err(hr)
    })
}
