//! Interrupts from user-space devices into the guest's local APICs
//! (WHvRequestInterrupt): what a device's IRQ becomes is the interrupt
//! controller's business (`devices::ioapic`); this delivers the message.

use std::sync::Arc;

use winhv::Partition;
use winhv::defs::*;

/// Delivers fixed interrupts through WHvRequestInterrupt.
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
        let mut control = WHV_INTERRUPT_CONTROL::default();
        let kind = if lowest_priority {
            WHvX64InterruptTypeLowestPriority
        } else {
            WHvX64InterruptTypeFixed
        };
        control.set_type(kind.0 as u64);
        let mode = if logical {
            WHvX64InterruptDestinationModeLogical
        } else {
            WHvX64InterruptDestinationModePhysical
        };
        control.set_destination_mode(mode.0 as u64);
        control.set_trigger_mode(WHvX64InterruptTriggerModeEdge.0 as u64);
        control.Destination = u32::from(destination);
        control.Vector = u32::from(vector);
        // A vector the guest programmed badly (below 16) is refused by
        // WHvRequestInterrupt: the interrupt is lost, as on hardware.
        let _ = self.partition.request_interrupt(&control);
    }
}
