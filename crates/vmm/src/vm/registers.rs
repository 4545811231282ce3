//! The boot processor's registers from a loader's [`EntryState`], as the
//! WHP register names and values WHvSetVirtualProcessorRegisters takes.

use winhv::defs::*;

use crate::boot::entry::{EntryState, Segment};

fn segment(s: &Segment) -> WHV_REGISTER_VALUE {
    WHV_REGISTER_VALUE {
        Segment: WHV_X64_SEGMENT_REGISTER {
            Base: s.base,
            Limit: s.limit,
            Selector: s.selector,
            Attributes: s.attributes,
        },
    }
}

fn reg64(v: u64) -> WHV_REGISTER_VALUE {
    let mut value = WHV_REGISTER_VALUE::default();
    value.Reg64 = v;
    value
}

/// The names and values that put a VP at `entry`.
pub fn entry_registers(entry: &EntryState) -> (Vec<WHV_REGISTER_NAME>, Vec<WHV_REGISTER_VALUE>) {
    let mut names = vec![
        WHvX64RegisterRip,
        WHvX64RegisterRsp,
        WHvX64RegisterRax,
        WHvX64RegisterRbx,
        WHvX64RegisterRsi,
        WHvX64RegisterRflags,
        WHvX64RegisterCr0,
        WHvX64RegisterCr3,
        WHvX64RegisterCr4,
        WHvX64RegisterEfer,
        WHvX64RegisterCs,
    ];
    let mut values = vec![
        reg64(entry.rip),
        reg64(entry.rsp),
        reg64(entry.rax),
        reg64(entry.rbx),
        reg64(entry.rsi),
        reg64(entry.rflags),
        reg64(entry.cr0),
        reg64(entry.cr3),
        reg64(entry.cr4),
        reg64(entry.efer),
        segment(&entry.cs),
    ];
    for name in [
        WHvX64RegisterDs,
        WHvX64RegisterEs,
        WHvX64RegisterFs,
        WHvX64RegisterGs,
        WHvX64RegisterSs,
    ] {
        names.push(name);
        values.push(segment(&entry.data));
    }
    let mut gdtr = WHV_REGISTER_VALUE::default();
    gdtr.Table = WHV_X64_TABLE_REGISTER {
        Pad: [0; 3],
        Limit: entry.gdt_limit,
        Base: entry.gdt_base,
    };
    names.push(WHvX64RegisterGdtr);
    values.push(gdtr);
    (names, values)
}
