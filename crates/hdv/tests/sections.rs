//! Section-backed pages follow their BAR: mapped into the partition at
//! BAR + offset once memory decoding is on, moved when the BAR moves,
//! gone when decoding goes off, on destroy and at teardown; a doorbell
//! inside a section is refused, and so is a section over a doorbell.
#![allow(unsafe_code, reason = "the section is a memfd")]

use std::fs::File;
use std::os::fd::FromRawFd;
use std::sync::Arc;

use winhv::Partition;
use winhv::defs::*;
use winhv::pci::regs;
use winhv_hdv::{ComputeSystem, DeviceHost, DeviceModel, SystemConfig};

struct Bar64k;

impl DeviceModel for Bar64k {
    fn get_details(&self, pnp: &mut HDV_PCI_PNP_ID, probed: &mut [u32; 6]) -> HRESULT {
        pnp.VendorID = 0x1234;
        probed[0] = 0xffff_0000;
        S_OK
    }
}

fn memfd() -> File {
    // SAFETY: a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"bar".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: a new descriptor, owned by the File from here on.
    let f = unsafe { File::from_raw_fd(fd) };
    f.set_len(0x4000).unwrap();
    f
}

#[test]
fn sections_follow_their_bar() {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p.setup().unwrap();
    let p = Arc::new(p);
    let s = ComputeSystem::create(p.clone(), SystemConfig::default()).unwrap();
    let host = DeviceHost::initialize(&s, HdvDeviceHostFlagNone).unwrap();
    let d = host
        .create_device(
            HdvDeviceTypePCI,
            GUID::default(),
            GUID::default(),
            Box::new(Bar64k),
        )
        .unwrap();
    s.start().unwrap();
    let bdf = d.bdf().unwrap();
    let bar = s
        .pci()
        .segment()
        .header(bdf)
        .unwrap()
        .bar(0)
        .unwrap()
        .address;
    assert_eq!(bar, 0xc000_0000);

    let rw = HdvMmioMappingFlagWriteable;
    d.create_section(0, 2, 2, rw, memfd(), 1).unwrap();
    assert_eq!(d.section_gpa(0, 0x2000), None, "decoding is off");
    assert_eq!(
        d.create_section(0, 3, 1, rw, memfd(), 0)
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "overlaps"
    );
    assert_eq!(
        d.create_section(1, 0, 1, rw, memfd(), 0)
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "no BAR1"
    );
    assert_eq!(
        d.create_section(0, 15, 2, rw, memfd(), 0)
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "past the BAR"
    );
    let event = File::open("/dev/null").unwrap();
    assert_eq!(
        d.register_doorbell(0, 0x2010, 0, 0x8000_0000, event)
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "a doorbell inside a section"
    );
    d.register_doorbell(0, 0x100, 0, 0x8000_0000, File::open("/dev/null").unwrap())
        .unwrap();
    assert_eq!(
        d.create_section(0, 0, 1, rw, memfd(), 0)
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "over a doorbell"
    );

    let decode = |on: bool| {
        let v = if on {
            u32::from(regs::COMMAND_MEMORY)
        } else {
            0
        };
        let changed = s.pci().segment().config_write(bdf, regs::COMMAND, 2, v);
        assert!(changed);
        s.pci().sync();
    };
    decode(true);
    assert_eq!(d.section_gpa(0, 0x2000), Some(bar + 0x2000));
    assert!(
        p.host_address(bar + 0x2000, 0x2000).is_ok(),
        "mapped as memory"
    );
    assert!(
        p.host_address(bar, 0x1000).is_err(),
        "the rest of the BAR is not"
    );
    // The guest moves the BAR.
    assert!(
        s.pci()
            .segment()
            .config_write(bdf, regs::BAR0, 4, 0xc010_0000)
    );
    s.pci().sync();
    assert_eq!(d.section_gpa(0, 0x2000), Some(0xc010_2000));
    assert!(
        p.host_address(bar + 0x2000, 0x1000).is_err(),
        "gone from the old place"
    );
    assert!(p.host_address(0xc010_2000, 0x2000).is_ok());
    decode(false);
    assert_eq!(d.section_gpa(0, 0x2000), None);
    assert!(p.host_address(0xc010_2000, 0x1000).is_err());
    decode(true);
    d.destroy_section(0, 2).unwrap();
    assert!(p.host_address(0xc010_2000, 0x1000).is_err(), "destroyed");
    assert_eq!(
        d.destroy_section(0, 2).unwrap_err().hresult,
        HRESULT_ERROR_NOT_FOUND
    );
    d.create_section(0, 4, 1, HdvMmioMappingFlagNone, memfd(), 0)
        .unwrap();
    assert!(
        p.host_address(0xc010_4000, 0x1000).is_ok(),
        "read-only, still memory"
    );
    host.teardown();
    assert!(
        p.host_address(0xc010_4000, 0x1000).is_err(),
        "teardown unmaps"
    );
    s.close();
}
