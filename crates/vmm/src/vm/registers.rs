//! The boot processor's registers from a loader's [`EntryState`], as the
//! safe API's register values (one WHvSetVirtualProcessorRegisters call).

use winhv::safe::{Register, RegisterValue, Segment, SegmentRegister, Table, TableRegister};

use crate::boot::entry::{self, EntryState};

fn segment(s: &entry::Segment) -> Segment {
    Segment {
        base: s.base,
        limit: s.limit,
        selector: s.selector,
        attributes: s.attributes,
    }
}

/// The values that put a VP at `entry`.
pub fn entry_registers(entry: &EntryState) -> Vec<RegisterValue> {
    let mut values: Vec<RegisterValue> = [
        (Register::Rip, entry.rip),
        (Register::Rsp, entry.rsp),
        (Register::Rax, entry.rax),
        (Register::Rbx, entry.rbx),
        (Register::Rsi, entry.rsi),
        (Register::Rflags, entry.rflags),
        (Register::Cr0, entry.cr0),
        (Register::Cr3, entry.cr3),
        (Register::Cr4, entry.cr4),
        (Register::Efer, entry.efer),
    ]
    .into_iter()
    .map(|(r, v)| RegisterValue::U64(r, v))
    .collect();
    values.push(RegisterValue::Segment(
        SegmentRegister::Cs,
        segment(&entry.cs),
    ));
    for r in [
        SegmentRegister::Ds,
        SegmentRegister::Es,
        SegmentRegister::Fs,
        SegmentRegister::Gs,
        SegmentRegister::Ss,
    ] {
        values.push(RegisterValue::Segment(r, segment(&entry.data)));
    }
    values.push(RegisterValue::Table(
        TableRegister::Gdtr,
        Table {
            base: entry.gdt_base,
            limit: entry.gdt_limit,
        },
    ));
    values
}
