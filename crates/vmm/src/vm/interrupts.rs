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

    /// A fixed, edge interrupt of `vector` to APIC `destination`
    /// (physical, or logical when `logical`).
    pub fn fixed(&self, vector: u8, destination: u32, logical: bool) -> winhv::Result<()> {
        let mut control = WHV_INTERRUPT_CONTROL::default();
        control.set_type(WHvX64InterruptTypeFixed.0 as u64);
        let mode = if logical {
            WHvX64InterruptDestinationModeLogical
        } else {
            WHvX64InterruptDestinationModePhysical
        };
        control.set_destination_mode(mode.0 as u64);
        control.set_trigger_mode(WHvX64InterruptTriggerModeEdge.0 as u64);
        control.Destination = destination;
        control.Vector = u32::from(vector);
        self.partition.request_interrupt(&control)
    }
}
