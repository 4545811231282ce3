//! The Intel MultiProcessor Specification (1.4) tables, for guests that
//! learn their processors and IOAPIC from them (Linux without ACPI): the
//! floating pointer at 0x9FC00 (the last KiB of base memory, where Linux
//! looks) and the configuration table after it: one processor entry per
//! VP (APIC ID = VP index, the BSP first), the ISA bus, the IOAPIC at
//! 0xFEC00000, the ISA IRQs' pins (IRQ 0 on pin 2, as the IOAPIC model
//! wires it) and LINT0/LINT1 (ExtINT, NMI).

use super::error::BootError;
use super::layout::EBDA_START;
use super::memory::GuestWriter;

/// The floating pointer's address.
pub const FLOATING_POINTER: u64 = EBDA_START;
/// The configuration table's address.
pub const CONFIG_TABLE: u64 = FLOATING_POINTER + 16;
/// The IOAPIC's address, as the table gives it.
pub const IOAPIC_ADDRESS: u32 = 0xfec0_0000;
/// The local APICs' address.
pub const LAPIC_ADDRESS: u32 = 0xfee0_0000;

fn checksum(bytes: &[u8]) -> u8 {
    0u8.wrapping_sub(bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b)))
}

/// The configuration table for `cpus` VPs.
pub fn config_table(cpus: u32) -> Vec<u8> {
    let ioapic_id = cpus.min(254) as u8;
    let mut entries = Vec::new();
    let mut count = 0u16;
    for id in 0..cpus {
        // Processor: APIC ID, version, enabled (| BSP), signature, features (FPU, APIC).
        entries.extend_from_slice(&[0, id as u8, 0x14, 1 | u8::from(id == 0) << 1]);
        entries.extend_from_slice(&0x0000_0600u32.to_le_bytes());
        entries.extend_from_slice(&0x0000_0201u32.to_le_bytes());
        entries.extend_from_slice(&[0; 8]);
        count += 1;
    }
    entries.extend_from_slice(&[1, 0]);
    entries.extend_from_slice(b"ISA   ");
    entries.extend_from_slice(&[2, ioapic_id, 0x11, 1]);
    entries.extend_from_slice(&IOAPIC_ADDRESS.to_le_bytes());
    count += 2;
    for irq in 0u8..16 {
        if irq == 2 {
            continue; // the cascade: no pin
        }
        let pin = if irq == 0 { 2 } else { irq };
        // I/O interrupt: INT, conforming polarity and trigger, ISA bus.
        entries.extend_from_slice(&[3, 0, 0, 0, 0, irq, ioapic_id, pin]);
        count += 1;
    }
    // Local interrupts: LINT0 ExtINT, LINT1 NMI, to every local APIC.
    entries.extend_from_slice(&[4, 3, 0, 0, 0, 0, 0xff, 0]);
    entries.extend_from_slice(&[4, 1, 0, 0, 0, 0, 0xff, 1]);
    count += 2;

    let mut table = Vec::with_capacity(44 + entries.len());
    table.extend_from_slice(b"PCMP");
    table.extend_from_slice(&((44 + entries.len()) as u16).to_le_bytes());
    table.extend_from_slice(&[4, 0]); // revision 1.4, checksum below
    table.extend_from_slice(b"WINHV   ");
    table.extend_from_slice(b"WINHV VM    ");
    table.extend_from_slice(&0u32.to_le_bytes()); // no OEM table
    table.extend_from_slice(&0u16.to_le_bytes());
    table.extend_from_slice(&count.to_le_bytes());
    table.extend_from_slice(&LAPIC_ADDRESS.to_le_bytes());
    table.extend_from_slice(&[0, 0, 0, 0]); // no extended table
    table.extend_from_slice(&entries);
    table[7] = checksum(&table);
    table
}

/// The floating pointer naming the table at [`CONFIG_TABLE`].
pub fn floating_pointer() -> [u8; 16] {
    let mut p = [0u8; 16];
    p[..4].copy_from_slice(b"_MP_");
    p[4..8].copy_from_slice(&(CONFIG_TABLE as u32).to_le_bytes());
    p[8] = 1; // length in 16-byte units
    p[9] = 4; // revision 1.4
    p[10] = checksum(&p);
    p
}

/// Writes both for `cpus` VPs.
pub fn write(mem: &dyn GuestWriter, cpus: u32) -> Result<(), BootError> {
    if !(1..=255).contains(&cpus) {
        return Err(BootError::invalid(format!(
            "{cpus} processors: the MP table holds 1 to 255"
        )));
    }
    mem.write(FLOATING_POINTER, &floating_pointer())?;
    mem.write(CONFIG_TABLE, &config_table(cpus))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(b: &[u8]) -> u8 {
        b.iter().fold(0u8, |a, &x| a.wrapping_add(x))
    }

    #[test]
    fn checksums_and_entries() {
        let p = floating_pointer();
        assert_eq!(sum(&p), 0);
        let t = config_table(4);
        assert_eq!(sum(&t), 0);
        assert_eq!(u16::from_le_bytes([t[4], t[5]]) as usize, t.len());
        // 4 processors, bus, IOAPIC, 15 IRQs, 2 local interrupts.
        assert_eq!(u16::from_le_bytes([t[34], t[35]]), 4 + 2 + 15 + 2);
        // The BSP first, enabled and flagged.
        assert_eq!(&t[44..48], &[0, 0, 0x14, 3]);
        assert_eq!(&t[64..68], &[0, 1, 0x14, 1]);
        // The table fits before the RAM above the reserved hole at 1 MiB.
        assert!(CONFIG_TABLE + config_table(255).len() as u64 <= 0x10_0000);
    }
}
