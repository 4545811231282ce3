//! Interrupts from user-space devices into the guest's local APICs
//! (WHvRequestInterrupt): what a device's IRQ becomes is the interrupt
//! controller's business (`devices::ioapic`); this delivers the message.

use std::sync::Arc;

use winhv::defs::*;
use winhv::safe::{Interrupt, Partition};

/// Delivers the IOAPIC's messages through WHvRequestInterrupt.
pub struct ApicInterrupts {
    partition: Arc<Partition>,
}

impl ApicInterrupts {
    /// For `partition`.
    pub fn new(partition: Arc<Partition>) -> Self {
        Self { partition }
    }
}

impl crate::devices::ioapic::MessageSink for ApicInterrupts {
    fn deliver(&self, vector: u8, destination: u8, logical: bool, lowest_priority: bool) {
        let kind = if lowest_priority {
            WHvX64InterruptTypeLowestPriority
        } else {
            WHvX64InterruptTypeFixed
        };
        let interrupt = Interrupt {
            kind,
            logical,
            ..Interrupt::fixed(u32::from(destination), vector)
        };
        // A vector the guest programmed badly (below 16) is refused by
        // WHvRequestInterrupt: the interrupt is lost, as on hardware.
        let _ = self.partition.request_interrupt(interrupt);
    }
}
