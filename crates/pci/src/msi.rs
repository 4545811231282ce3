//! MSI: the MSI capability's registers decoded ([`MsiCapability`]), the
//! message a function sends ([`MsiMessage`]: the address and data it
//! writes), and the x86 meaning of a message ([`X86Msi`]: destination,
//! vector, delivery mode; Intel SDM vol. 3, 11.11).

use thiserror::Error;

/// An MSI: a 32-bit write of `data` to `address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsiMessage {
    /// The address the function writes.
    pub address: u64,
    /// The data it writes.
    pub data: u32,
}

/// Why an MSI message is not one an x86 local APIC takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MsiError {
    /// The address is outside 0xFEE00000–0xFEEFFFFF.
    #[error("MSI address {0:#x} is outside the interrupt window 0xFEE00000-0xFEEFFFFF")]
    Address(u64),
    /// The delivery mode is reserved (3 or 6).
    #[error("MSI delivery mode {0} is reserved")]
    DeliveryMode(u8),
}

/// The fields of an x86 MSI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct X86Msi {
    /// Destination APIC ID (address bits 19:12).
    pub destination: u8,
    /// Redirection hint (address bit 3): lowest priority among the
    /// destinations.
    pub redirection_hint: bool,
    /// Logical destination mode (address bit 2).
    pub logical: bool,
    /// The vector (data bits 7:0).
    pub vector: u8,
    /// The delivery mode (data bits 10:8): 0 fixed, 1 lowest priority,
    /// 2 SMI, 4 NMI, 5 INIT, 7 ExtINT.
    pub delivery_mode: u8,
    /// Level asserted (data bit 14).
    pub level: bool,
    /// Level-triggered (data bit 15).
    pub level_triggered: bool,
}

/// The lowest and highest address of the x86 interrupt window.
pub const MSI_WINDOW: std::ops::RangeInclusive<u64> = 0xfee0_0000..=0xfeef_ffff;

impl X86Msi {
    /// Decodes an x86 MSI message.
    pub fn decode(m: MsiMessage) -> Result<X86Msi, MsiError> {
        if !MSI_WINDOW.contains(&m.address) {
            return Err(MsiError::Address(m.address));
        }
        let delivery_mode = ((m.data >> 8) & 7) as u8;
        if matches!(delivery_mode, 3 | 6) {
            return Err(MsiError::DeliveryMode(delivery_mode));
        }
        Ok(X86Msi {
            destination: (m.address >> 12) as u8,
            redirection_hint: m.address & (1 << 3) != 0,
            logical: m.address & (1 << 2) != 0,
            vector: m.data as u8,
            delivery_mode,
            level: m.data & (1 << 14) != 0,
            level_triggered: m.data & (1 << 15) != 0,
        })
    }

    /// The message that encodes these fields.
    pub fn encode(&self) -> MsiMessage {
        MsiMessage {
            address: 0xfee0_0000
                | u64::from(self.destination) << 12
                | u64::from(self.redirection_hint) << 3
                | u64::from(self.logical) << 2,
            data: u32::from(self.vector)
                | u32::from(self.delivery_mode & 7) << 8
                | u32::from(self.level) << 14
                | u32::from(self.level_triggered) << 15,
        }
    }
}

/// An MSI capability's registers, read at its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsiCapability {
    /// Its offset in config space.
    pub offset: u16,
    /// MSI enable (control bit 0).
    pub enabled: bool,
    /// Messages the function can send: 1, 2, 4, … 32 (control bits 3:1).
    pub capable: u8,
    /// Messages the guest enabled (control bits 6:4), at most `capable`.
    pub enabled_messages: u8,
    /// 64-bit address (control bit 7).
    pub is_64bit: bool,
    /// Per-vector masking (control bit 8).
    pub per_vector_masking: bool,
    /// The programmed address.
    pub address: u64,
    /// The programmed data (16 bits).
    pub data: u16,
    /// The mask bits, when per-vector masking is implemented.
    pub mask: u32,
}

impl MsiCapability {
    /// Reads the capability at `offset` through `read` (the dword at a
    /// dword-aligned offset).
    pub fn read(read: impl Fn(u16) -> u32, offset: u16) -> MsiCapability {
        let control = (read(offset) >> 16) as u16;
        let is_64bit = control & (1 << 7) != 0;
        let per_vector_masking = control & (1 << 8) != 0;
        let low = u64::from(read(offset + 4));
        let (address, data_at) = if is_64bit {
            (u64::from(read(offset + 8)) << 32 | low, offset + 12)
        } else {
            (low, offset + 8)
        };
        let capable = 1u8 << ((control >> 1) & 7).min(5);
        let enabled_messages = (1u8 << ((control >> 4) & 7).min(5)).min(capable);
        MsiCapability {
            offset,
            enabled: control & 1 != 0,
            capable,
            enabled_messages,
            is_64bit,
            per_vector_masking,
            address: address & !0x3,
            data: read(data_at) as u16,
            mask: if per_vector_masking {
                read(data_at + 4)
            } else {
                0
            },
        }
    }

    /// The message for vector `index` of the enabled ones (the low bits of
    /// the data replaced by the index, as multi-message MSI does); `None`
    /// when MSI is off, the index is past the enabled messages, or that
    /// vector is masked.
    pub fn message(&self, index: u8) -> Option<MsiMessage> {
        if !self.enabled || index >= self.enabled_messages || self.mask & (1 << index) != 0 {
            return None;
        }
        let low = u32::from(self.enabled_messages) - 1;
        Some(MsiMessage {
            address: self.address,
            data: (u32::from(self.data) & !low) | u32::from(index),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn x86_fields_round_trip_and_window() {
        let m = MsiMessage {
            address: 0xfee0_300c,
            data: 0xc140,
        };
        let x = X86Msi::decode(m).unwrap();
        assert_eq!(
            x,
            X86Msi {
                destination: 3,
                redirection_hint: true,
                logical: true,
                vector: 0x40,
                delivery_mode: 1,
                level: true,
                level_triggered: true
            }
        );
        assert_eq!(x.encode(), m);
        for a in [0xfed0_0000, 0xfef0_0000, 0x1_fee0_0000, 0] {
            let e = X86Msi::decode(MsiMessage {
                address: a,
                data: 0x40,
            });
            assert_eq!(e, Err(MsiError::Address(a)));
        }
        assert_eq!(
            X86Msi::decode(MsiMessage {
                address: 0xfee0_0000,
                data: 0x300
            }),
            Err(MsiError::DeliveryMode(3))
        );
    }

    #[test]
    fn capability_32_and_64_bit() {
        // 32-bit, 4 capable, 2 enabled, enabled.
        let regs32: HashMap<u16, u32> = [
            (0x40, (0x0015 << 16) | 0x05),
            (0x44, 0xfee0_0000),
            (0x48, 0x4041),
        ]
        .into();
        let c = MsiCapability::read(|o| regs32.get(&o).copied().unwrap_or(0), 0x40);
        assert!(c.enabled && !c.is_64bit);
        assert_eq!((c.capable, c.enabled_messages), (4, 2));
        assert_eq!(c.data, 0x4041);
        assert_eq!(c.message(0).unwrap().data, 0x4040);
        assert_eq!(c.message(1).unwrap().data, 0x4041);
        assert_eq!(c.message(2), None);
        // 64-bit with per-vector masking, vector 0 masked.
        let regs64: HashMap<u16, u32> = [
            (0x50, (0x0181 << 16) | 0x05),
            (0x54, 0xfee0_1003),
            (0x58, 0x1),
            (0x5c, 0x30),
            (0x60, 0x1),
        ]
        .into();
        let c = MsiCapability::read(|o| regs64.get(&o).copied().unwrap_or(0), 0x50);
        assert!(c.is_64bit && c.per_vector_masking);
        assert_eq!(c.address, 0x1_fee0_1000);
        assert_eq!(c.message(0), None, "masked");
        // Disabled.
        let off = MsiCapability::read(|o| if o == 0x40 { 0x05 } else { 0 }, 0x40);
        assert_eq!(off.message(0), None);
    }
}
