//! `HdvDeliverGuestInterrupt`: the (address, data) pair a guest programmed
//! into the device's MSI capability or MSI-X entry is the x86 MSI a real
//! device would write; winhv decodes it and asks the partition for that
//! interrupt (WHvRequestInterrupt, so the partition needs LAPIC
//! emulation). An address outside 0xFEE00000–0xFEEFFFFF, a reserved
//! delivery mode, and SMI or ExtINT (which WHvRequestInterrupt cannot
//! express) answer `E_INVALIDARG` (our choice; Windows documents none).

use winhv::{Error, Result};
use winhv_defs::*;
use winhv_pci::{MsiMessage, X86Msi};

/// The interrupt request an MSI stands for.
pub fn msi_to_interrupt(address: u64, data: u32) -> Result<WHV_INTERRUPT_CONTROL> {
    let msi = X86Msi::decode(MsiMessage { address, data })
        .map_err(|e| Error::with(E_INVALIDARG, e.to_string()))?;
    let kind = match msi.delivery_mode {
        0 => WHvX64InterruptTypeFixed,
        1 => WHvX64InterruptTypeLowestPriority,
        4 => WHvX64InterruptTypeNmi,
        5 => WHvX64InterruptTypeInit,
        m => {
            return Err(Error::with(
                E_INVALIDARG,
                format!("MSI delivery mode {m} (SMI/ExtINT) has no WHvRequestInterrupt form"),
            ));
        }
    };
    let mut ic = WHV_INTERRUPT_CONTROL {
        Destination: u32::from(msi.destination),
        Vector: u32::from(msi.vector),
        ..Default::default()
    };
    ic.set_type(kind.0 as u64);
    let mode = if msi.logical {
        WHvX64InterruptDestinationModeLogical
    } else {
        WHvX64InterruptDestinationModePhysical
    };
    ic.set_destination_mode(mode.0 as u64);
    let trigger = if msi.level_triggered {
        WHvX64InterruptTriggerModeLevel
    } else {
        WHvX64InterruptTriggerModeEdge
    };
    ic.set_trigger_mode(trigger.0 as u64);
    Ok(ic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_refuses() {
        let ic = msi_to_interrupt(0xfee0_1000, 0x40).unwrap();
        assert_eq!(
            (
                ic.Destination,
                ic.Vector,
                ic.r#type(),
                ic.destination_mode()
            ),
            (1, 0x40, 0, 0)
        );
        let ic = msi_to_interrupt(0xfee0_0004, 0x8441).unwrap();
        assert_eq!(ic.r#type(), WHvX64InterruptTypeNmi.0 as u64);
        assert_eq!(ic.destination_mode(), 1);
        assert_eq!(ic.trigger_mode(), 1);
        for (a, d) in [
            (0xfed0_0000, 0x40),
            (0x1_fee0_0000, 0x40),
            (0xfee0_0000, 0x200),
            (0xfee0_0000, 0x700),
        ] {
            assert_eq!(
                msi_to_interrupt(a, d).unwrap_err().hresult,
                E_INVALIDARG,
                "{a:#x} {d:#x}"
            );
        }
    }
}
