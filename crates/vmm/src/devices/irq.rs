//! Interrupt lines from devices to the interrupt controller: a device
//! raises ISA IRQ n, the controller (`ioapic.rs`) decides the vector and
//! destination and asks the VM to deliver it.

use std::sync::Arc;

/// Where a device's interrupt goes.
pub trait IrqSink: Send + Sync {
    /// Edge on ISA IRQ `irq`.
    fn raise(&self, irq: u8);
}

/// An interrupt line that goes nowhere (no controller configured).
pub struct NoIrq;

impl IrqSink for NoIrq {
    fn raise(&self, _: u8) {}
}

/// One ISA IRQ line, as vm-superio's `Trigger`.
#[derive(Clone)]
pub struct IrqLine {
    /// The ISA IRQ number.
    pub irq: u8,
    /// The controller.
    pub sink: Arc<dyn IrqSink>,
}

impl vm_superio::Trigger for IrqLine {
    type E = std::convert::Infallible;
    fn trigger(&self) -> Result<(), Self::E> {
        self.sink.raise(self.irq);
        Ok(())
    }
}
