//! The safe Rust API's typed state: registers (one, batches, mixed
//! batches), the XSAVE area and LAPIC page, properties read back, the
//! interrupt encodings, and bad input answered with errors, never panics.

mod safe_common;

use safe_common::*;
use winhv::defs::*;
use winhv::safe::{
    Exit, GuestMemory, Interrupt, PartitionBuilder, Property, Register, Segment, SegmentRegister,
    Table, TableRegister, Xmm,
};

/// Typed registers round-trip: 64-bit, segments, tables, XMM, a batch.
#[test]
fn typed_registers_round_trip() {
    if !kvm_available() {
        return;
    }
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    let vp = p.create_vp(0).unwrap();
    let code = vp.get(SegmentRegister::Cs).unwrap();
    assert_eq!(
        (code.selector, code.base),
        (0xf000, 0xffff_0000),
        "power-on CS"
    );
    assert_eq!(vp.get(Register::Rip).unwrap(), 0xfff0);

    let data = Segment {
        base: 0x1234_0000,
        limit: 0xffff,
        selector: 0x1234,
        attributes: 0x93,
    };
    vp.set(SegmentRegister::Ds, data).unwrap();
    assert_eq!(vp.get(SegmentRegister::Ds).unwrap(), data);
    let gdt = Table {
        base: 0x5000,
        limit: 0x27,
    };
    vp.set(TableRegister::Gdtr, gdt).unwrap();
    assert_eq!(vp.get(TableRegister::Gdtr).unwrap(), gdt);
    let x = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeff_u128;
    let seventh = Xmm::new(7).unwrap();
    vp.set(seventh, x).unwrap();
    assert_eq!(vp.get(seventh).unwrap(), x);

    let gprs = Register::GPRS;
    let values: [u64; 16] = std::array::from_fn(|i| 0x100 * i as u64 + 7);
    let pairs: [(Register, u64); 16] = std::array::from_fn(|i| (gprs[i], values[i]));
    vp.set_many(pairs).unwrap();
    assert_eq!(vp.get_many(gprs).unwrap(), values);

    // Beyond the general registers: the ordinary batch path, all or none.
    vp.set_many([
        (Register::Cr4, 0x20),
        (Register::Efer, 0),
        (Register::Rax, 9),
    ])
    .unwrap();
    assert_eq!(
        vp.get_many([Register::Cr4, Register::Rax, Register::Efer])
            .unwrap(),
        [0x20, 9, 0]
    );
    let e = vp
        .set_many([(Register::Rax, 1), (Register::Cr0, 0x8000_0000)])
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG, "CR0.PG without PE: {e}");
    assert_eq!(vp.get(Register::Rax).unwrap(), 9, "nothing written");
}

/// A mixed batch is all or none.
#[test]
fn mixed_register_batches_are_all_or_none() {
    use winhv::safe::RegisterValue as V;
    if !kvm_available() {
        return;
    }
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    let vp = p.create_vp(0).unwrap();
    let gdt = Table {
        base: 0x2000,
        limit: 0x17,
    };
    vp.set_values(&[
        V::Table(TableRegister::Gdtr, gdt),
        V::Segment(SegmentRegister::Ss, Segment::data32(0x10)),
        V::U64(Register::Rsp, 0x8000),
        V::Xmm(Xmm::new(1).unwrap(), 5),
    ])
    .unwrap();
    assert_eq!(vp.get(TableRegister::Gdtr).unwrap(), gdt);
    assert_eq!(vp.get(Register::Rsp).unwrap(), 0x8000);
    let e = vp
        .set_values(&[
            V::U64(Register::Rsp, 0x9000),
            V::U64(Register::Cr0, 0x8000_0000),
        ])
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    assert_eq!(vp.get(Register::Rsp).unwrap(), 0x8000, "nothing written");
}

/// The XSAVE area and the LAPIC page through the VP handle, sized for
/// the caller; the LAPIC page needs LAPIC emulation.
#[test]
fn vp_state_buffers() {
    if !kvm_available() {
        return;
    }
    let p = PartitionBuilder::new().processor_count(1).build().unwrap();
    let vp = p.create_vp(0).unwrap();
    let xsave = vp.xsave_state().unwrap();
    assert!(
        xsave.len() >= 576,
        "legacy region and header: {}",
        xsave.len()
    );
    vp.set_xsave_state(&xsave).unwrap();
    assert!(vp.set_xsave_state(&xsave[..100]).is_err(), "too short");
    assert_eq!(
        vp.lapic_state().unwrap_err().hresult,
        ERROR_HV_OPERATION_DENIED,
        "no LAPIC emulation"
    );
    if winhv::safe::capabilities()
        .features()
        .local_apic_emulation()
        == 0
    {
        println!("SKIPPED: no LAPIC emulation on this host (LAPIC page)");
        return;
    }
    let p = PartitionBuilder::new()
        .processor_count(1)
        .local_apic_emulation(WHvX64LocalApicEmulationModeXApic)
        .build()
        .unwrap();
    let vp = p.create_vp(0).unwrap();
    let mut page = vp.lapic_state().unwrap();
    assert_eq!(page.len(), 4096);
    assert_eq!(page[0x30], 0x14, "version register: 0x0005_0014");
    page[0x80] = 0x20; // TPR
    vp.set_lapic_state(&page).unwrap();
    assert_eq!(vp.get(Register::ApicTpr).unwrap(), 0x20);
    let cancel = p.cancel_handle(0).unwrap();
    cancel.cancel().unwrap();
    let mut vp = p.vp(0).unwrap();
    assert!(matches!(vp.run().unwrap(), Exit::Canceled));
}

/// Properties read back typed, as the builder set them; the platform's
/// refusals stand.
#[test]
fn properties_read_back_typed() {
    if !kvm_available() {
        return;
    }
    let leaf = WHV_X64_CPUID_RESULT2 {
        Function: 0x4000_0000,
        Output: WHV_CPUID_OUTPUT {
            Eax: 0x4000_0001,
            ..Default::default()
        },
        Mask: WHV_CPUID_OUTPUT {
            Eax: u32::MAX,
            ..Default::default()
        },
        ..Default::default()
    };
    let p = PartitionBuilder::new()
        .processor_count(3)
        .exception_exit_bitmap(0)
        .cpuid_results2(&[leaf])
        .unimplemented_msr_action(WHvMsrActionIgnoreWriteReadZero)
        .build()
        .unwrap();
    assert_eq!(
        p.property(WHvPartitionPropertyCodeProcessorCount).unwrap(),
        Property::ProcessorCount(3)
    );
    assert_eq!(
        p.property(WHvPartitionPropertyCodeUnimplementedMsrAction)
            .unwrap(),
        Property::UnimplementedMsrAction(WHvMsrActionIgnoreWriteReadZero)
    );
    assert_eq!(
        p.property(WHvPartitionPropertyCodeCpuidResultList)
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_NOT_SUPPORTED,
        "Windows does not return the CPUID result list"
    );
    assert_eq!(
        p.property(WHV_PARTITION_PROPERTY_CODE(0x7777))
            .unwrap_err()
            .hresult,
        WHV_E_UNKNOWN_PROPERTY
    );
    let vp = p.create_vp(0).unwrap();
    assert_eq!(vp.cpuid(0x4000_0000, 0).unwrap().Eax, 0x4000_0001);
}

/// The typed interrupts encode as WHV_INTERRUPT_CONTROL does.
#[test]
fn interrupts_encode_their_fields() {
    let c = Interrupt::sipi(3, 0x9).control().unwrap();
    assert_eq!(
        (c.r#type(), c.destination_mode(), c.trigger_mode()),
        (WHvX64InterruptTypeSipi.0 as u64, 0, 0)
    );
    assert_eq!((c.Destination, c.Vector), (3, 9));
    let c = Interrupt {
        logical: true,
        level: true,
        ..Interrupt::fixed(0xff, 0x40)
    }
    .control()
    .unwrap();
    assert_eq!((c.destination_mode(), c.trigger_mode()), (1, 1));
    assert_eq!(
        Interrupt::init(1).control().unwrap().r#type(),
        WHvX64InterruptTypeInit.0 as u64
    );
    assert_eq!(
        Interrupt::nmi(1).control().unwrap().r#type(),
        WHvX64InterruptTypeNmi.0 as u64
    );
}

/// Bad input is an error with Windows' HRESULT, never a panic.
#[test]
fn bad_input_is_an_error() {
    assert_eq!(GuestMemory::new(0).unwrap_err().hresult, E_INVALIDARG);
    assert!(GuestMemory::new(usize::MAX).is_err());
    let mem = GuestMemory::new(0x1000).unwrap();
    assert_eq!(mem.write(0xfff, &[1, 2]).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(mem.read_u64(usize::MAX).unwrap_err().hresult, E_INVALIDARG);
    let bad = Interrupt {
        kind: WHV_INTERRUPT_TYPE(0x1ff),
        ..Interrupt::fixed(0, 0x30)
    };
    assert_eq!(bad.control().unwrap_err().hresult, E_INVALIDARG);
    if !kvm_available() {
        return;
    }
    assert_eq!(
        PartitionBuilder::new().build().unwrap_err().hresult,
        WHV_E_INVALID_PARTITION_CONFIG,
        "no processor count"
    );
    let e = PartitionBuilder::new()
        .processor_count(1)
        .local_apic_emulation(WHV_X64_LOCAL_APIC_EMULATION_MODE(7))
        .build()
        .unwrap_err();
    assert_eq!(e.hresult, E_INVALIDARG);
    assert!(e.context.contains("LocalApicEmulationMode"), "{e}");

    let p = PartitionBuilder::new().processor_count(2).build().unwrap();
    assert_eq!(p.vp(0).unwrap_err().hresult, WHV_E_VP_DOES_NOT_EXIST);
    assert_eq!(p.vp(9).unwrap_err().hresult, WHV_E_VP_DOES_NOT_EXIST);
    assert_eq!(p.create_vp(2).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(
        p.map_range(&mem, 0x1000, 0, 0x1000, rwx())
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "past the memory's end"
    );
    assert_eq!(
        p.map_range(&mem, u64::MAX, 0, 2, rwx())
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "an offset that overflows"
    );
    assert!(p.map(&mem, 0x123, rwx()).is_err(), "unaligned GPA");
    assert_eq!(
        p.set_property(&Property::ProcessorCount(4))
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "not after setup"
    );
    assert_eq!(
        p.request_interrupt(Interrupt::init(0)).unwrap_err().hresult,
        ERROR_HV_OPERATION_DENIED,
        "INIT without LAPIC emulation"
    );

    let vp = p.create_vp(0).unwrap();
    // No exit yet: nothing to complete.
    assert_eq!(vp.complete_io_read(1).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.complete_io_write().unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.complete_msr_read(1).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.skip_instruction().unwrap_err().hresult, E_INVALIDARG);
    let mut dev = Recorder::default();
    assert_eq!(vp.emulate_io(&mut dev).unwrap_err().hresult, E_INVALIDARG);
    assert_eq!(vp.emulate_mmio(&mut dev).unwrap_err().hresult, E_INVALIDARG);
    assert!(vp.get(Register::ApicId).is_err(), "no LAPIC emulation");

    p.delete_vp(0).unwrap();
    assert_eq!(
        vp.get(Register::Rip).unwrap_err().hresult,
        WHV_E_VP_DOES_NOT_EXIST
    );
}
