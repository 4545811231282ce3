//! What signals an event between the host and the guest without an exit
//! or a call: doorbells (a guest write → the caller's event, on
//! `KVM_IOEVENTFD`), triggers (an event → a guest interrupt, on irqfd and
//! the partition's GSI routes) and notification ports (doorbells by
//! another name). A Windows event HANDLE is a Linux eventfd here, the fd
//! number as the HANDLE value (README).
//!
//! | file | owns |
//! | --- | --- |
//! | `doorbell` | match data checks, conflicts, the ioeventfd registrations |
//! | `trigger` | trigger checks, handles, the irqfd of each trigger |
//! | `port` | notification port checks, handles, properties |
//!
//! The WHv* functions themselves are `Partition` methods
//! (`partition/notify.rs`).

pub(crate) mod doorbell;
pub(crate) mod port;
pub(crate) mod trigger;

pub use doorbell::event_from_handle;
pub use port::NotificationPortHandle;
pub use trigger::{TriggerHandle, signal};

/// The partition's doorbells, triggers and ports.
#[derive(Default)]
pub(crate) struct Notifications {
    pub doorbells: doorbell::Doorbells,
    pub triggers: trigger::Triggers,
    pub ports: port::Ports,
}
