//! Notification ports (WHvCreateNotificationPort,
//! WHvSetNotificationPortProperty, WHvDeleteNotificationPort), Microsoft's
//! successor of WHvRegisterPartitionDoorbellEvent.
//!
//! * Doorbell ports are doorbells (`doorbell`): the same checks, the same
//!   table — a port conflicts with a doorbell registered the old way and
//!   the other way round — and deleting the port unregisters it.
//! * Event ports (a guest's SynIC `HvSignalEvent` on a connection ID)
//!   need the SynIC, which this platform does not have yet:
//!   `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`.
//!
//! Properties: PreferredTargetVp (a VP index below the processor count,
//! or `WHV_ANY_VP`) and PreferredTargetDuration (any value) are checked
//! and kept; they steer SynIC event delivery on Windows and change
//! nothing for a doorbell. Handles are partition-wide numbers, never
//! reissued; a deleted or unknown one answers `E_HANDLE` (Microsoft
//! documents only that the call fails).

#![allow(
    non_upper_case_globals,
    reason = "the WHV constants keep their Windows names in patterns"
)]

use std::collections::HashMap;
use std::sync::Mutex;

use winhv_defs::*;

use super::doorbell::{self, Doorbell};
use crate::{Error, Result};

/// A notification port handle (`WHV_NOTIFICATION_PORT_HANDLE`): a number,
/// never a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NotificationPortHandle(pub u64);

/// The argument checks of WHvCreateNotificationPort that need no
/// partition: the doorbell a port matches.
pub(crate) fn check(p: &WHV_NOTIFICATION_PORT_PARAMETERS) -> Result<Doorbell> {
    if p.Reserved != 0 {
        return Err(Error::new(
            E_INVALIDARG,
            "WHV_NOTIFICATION_PORT_PARAMETERS: Reserved or ConnectionVtl is not zero",
        ));
    }
    match p.NotificationPortType {
        // SAFETY: every member of the union is plain data; the type says
        // this one is meant.
        WHvNotificationPortTypeDoorbell => doorbell::check(unsafe { &p.Anonymous.Doorbell }),
        WHvNotificationPortTypeEvent => Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "event notification ports need the SynIC, which this platform does not have yet",
        )),
        t => Err(Error::with(
            E_INVALIDARG,
            format!("unknown notification port type {}", t.0),
        )),
    }
}

struct Port {
    doorbell: Doorbell,
    preferred_vp: u32,
    preferred_duration: u64,
}

/// The partition's notification ports.
#[derive(Default)]
pub(crate) struct Ports {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    issued: u64,
    live: HashMap<u64, Port>,
}

fn bad_handle(h: NotificationPortHandle) -> Error {
    Error::with(
        E_HANDLE,
        format!("no notification port with handle {:#x}", h.0),
    )
}

impl Ports {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a port for `doorbell`, which the caller registered.
    pub(crate) fn insert(&self, doorbell: Doorbell) -> NotificationPortHandle {
        let mut t = self.lock();
        t.issued += 1;
        let h = t.issued;
        t.live.insert(
            h,
            Port {
                doorbell,
                preferred_vp: WHV_ANY_VP,
                preferred_duration: 0,
            },
        );
        NotificationPortHandle(h)
    }

    /// Forgets port `h`; returns its doorbell, which the caller unregisters.
    pub(crate) fn remove(&self, h: NotificationPortHandle) -> Result<Doorbell> {
        self.lock()
            .live
            .remove(&h.0)
            .map(|p| p.doorbell)
            .ok_or_else(|| bad_handle(h))
    }

    /// WHvSetNotificationPortProperty on port `h` of a partition with
    /// `processor_count` VPs.
    pub(crate) fn set_property(
        &self,
        h: NotificationPortHandle,
        code: WHV_NOTIFICATION_PORT_PROPERTY_CODE,
        value: u64,
        processor_count: u32,
    ) -> Result<()> {
        let mut t = self.lock();
        let port = t.live.get_mut(&h.0).ok_or_else(|| bad_handle(h))?;
        match code {
            WHvNotificationPortPropertyPreferredTargetVp => {
                let vp = u32::try_from(value)
                    .ok()
                    .filter(|v| *v == WHV_ANY_VP || *v < processor_count)
                    .ok_or_else(|| {
                        Error::with(
                            E_INVALIDARG,
                            format!("preferred target VP {value:#x}: no such VP"),
                        )
                    })?;
                port.preferred_vp = vp;
            }
            WHvNotificationPortPropertyPreferredTargetDuration => port.preferred_duration = value,
            c => {
                return Err(Error::with(
                    E_INVALIDARG,
                    format!("unknown notification port property {}", c.0),
                ));
            }
        }
        Ok(())
    }
}
