//! Device models that fail or panic, and the lifecycle's refusals, with no
//! guest: a failing or panicking config or BAR callback reads all-ones and
//! drops the write (the VP's thread never unwinds), a failing Initialize
//! fails the start with its HRESULT and plugs nothing, a panicking Start
//! answers E_UNEXPECTED; a second device host, devices after start, a
//! duplicate class/instance and a non-PCI type are refused.

use std::sync::Arc;

use winhv::Partition;
use winhv::defs::*;
use winhv::pci::{Bdf, PciFunction};
use winhv_hdv::{ComputeSystem, DeviceHost, DeviceModel, SystemConfig, SystemState};

const E_FAIL: HRESULT = HRESULT(0x8000_4005_u32 as i32);

/// Fails or panics in whatever `mode` says.
struct Bad {
    fail_initialize: bool,
    panic_start: bool,
}

impl DeviceModel for Bad {
    fn initialize(&self) -> HRESULT {
        if self.fail_initialize { E_FAIL } else { S_OK }
    }
    fn get_details(&self, pnp: &mut HDV_PCI_PNP_ID, probed: &mut [u32; 6]) -> HRESULT {
        pnp.VendorID = 0x1234;
        probed[0] = 0xffff_f000;
        S_OK
    }
    fn start(&self) -> HRESULT {
        assert!(!self.panic_start, "a device model's bug");
        S_OK
    }
    fn read_config(&self, offset: u32, _value: &mut u32) -> HRESULT {
        if offset == 0x40 {
            panic!("a device model's bug");
        }
        E_FAIL
    }
    fn read_intercepted(
        &self,
        _bar: HDV_PCI_BAR_SELECTOR,
        offset: u64,
        data: &mut [u8],
    ) -> HRESULT {
        if offset == 0 {
            panic!("a device model's bug");
        }
        data.fill(0x11);
        E_FAIL
    }
    fn write_intercepted(&self, _bar: HDV_PCI_BAR_SELECTOR, _offset: u64, _data: &[u8]) -> HRESULT {
        panic!("a device model's bug");
    }
}

fn system() -> Option<Arc<ComputeSystem>> {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return None;
    }
    let p = Partition::create().unwrap();
    p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())
        .unwrap();
    p.setup().unwrap();
    Some(ComputeSystem::create(Arc::new(p), SystemConfig::default()).unwrap())
}

fn guid(n: u32) -> GUID {
    GUID {
        data1: n,
        ..Default::default()
    }
}

#[test]
fn failing_and_panicking_callbacks_read_all_ones() {
    let Some(s) = system() else { return };
    let host = DeviceHost::initialize(&s, HdvDeviceHostFlagNone).unwrap();
    let model = Bad {
        fail_initialize: false,
        panic_start: false,
    };
    let d = host
        .create_device(HdvDeviceTypePCI, guid(1), guid(1), Box::new(model))
        .unwrap();
    s.start().unwrap();
    assert_eq!(d.bdf(), Bdf::new(0, 1, 0));
    assert_eq!(
        d.config_read(0),
        0x0000_1234,
        "the PnP ID, not the failing callback"
    );
    assert_eq!(d.config_read(0x44), u32::MAX, "a failing callback");
    assert_eq!(d.config_read(0x40), u32::MAX, "a panicking callback");
    let mut data = [0u8; 4];
    d.bar_read(0, 0, &mut data);
    assert_eq!(data, [0xff; 4], "panicked");
    d.bar_read(0, 4, &mut data);
    assert_eq!(data, [0xff; 4], "failed");
    d.bar_write(0, 4, &[1, 2, 3, 4]);
    // The device still answers after its panics.
    assert_eq!(d.config_read(0), 0x0000_1234);
    // Refusals once started.
    let late = host.create_device(
        HdvDeviceTypePCI,
        guid(2),
        guid(2),
        Box::new(Bad {
            fail_initialize: false,
            panic_start: false,
        }),
    );
    assert_eq!(late.unwrap_err().hresult, HRESULT_ERROR_INVALID_STATE);
    assert_eq!(
        DeviceHost::initialize(&s, HdvDeviceHostFlagNone)
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_INVALID_STATE
    );
    assert_eq!(
        s.start().unwrap_err().hresult,
        HRESULT_ERROR_INVALID_STATE,
        "running already"
    );
    s.stop().unwrap();
    assert_eq!(s.stop().unwrap_err().hresult, HRESULT_ERROR_INVALID_STATE);
    s.start().unwrap();
    host.teardown();
    assert_eq!(d.bdf(), None, "unplugged");
    assert_eq!(d.config_read(0x44), u32::MAX);
    s.close();
    assert_eq!(s.state(), SystemState::Closed);
}

#[test]
fn lifecycle_refusals_and_a_failing_start() {
    let Some(s) = system() else { return };
    let host = DeviceHost::initialize(&s, HdvDeviceHostFlagNone).unwrap();
    assert_eq!(
        DeviceHost::initialize(&s, HdvDeviceHostFlagNone)
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_ALREADY_EXISTS
    );
    assert_eq!(
        DeviceHost::initialize(&s, HDV_DEVICE_HOST_FLAGS(4))
            .unwrap_err()
            .hresult,
        E_INVALIDARG
    );
    let ok = || {
        Box::new(Bad {
            fail_initialize: false,
            panic_start: false,
        })
    };
    assert_eq!(
        host.create_device(HdvDeviceTypeUndefined, guid(1), guid(1), ok())
            .unwrap_err()
            .hresult,
        E_INVALIDARG
    );
    host.create_device(HdvDeviceTypePCI, guid(1), guid(1), ok())
        .unwrap();
    assert_eq!(
        host.create_device(HdvDeviceTypePCI, guid(1), guid(1), ok())
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_ALREADY_EXISTS
    );
    let failing = host
        .create_device(
            HdvDeviceTypePCI,
            guid(2),
            guid(2),
            Box::new(Bad {
                fail_initialize: true,
                panic_start: false,
            }),
        )
        .unwrap();
    assert_eq!(
        s.start().unwrap_err().hresult,
        E_FAIL,
        "Initialize's HRESULT"
    );
    assert_eq!(s.state(), SystemState::Created);
    assert_eq!(failing.bdf(), None);
    assert!(
        s.pci().segment().regions().is_empty(),
        "the first device was unplugged again"
    );
    host.teardown();
    assert_eq!(
        host.create_device(HdvDeviceTypePCI, guid(3), guid(3), ok())
            .unwrap_err()
            .hresult,
        E_HANDLE
    );
    // A new host after teardown; a panicking Start fails the start.
    let host = DeviceHost::initialize(&s, HdvDeviceHostFlagNone).unwrap();
    host.create_device(
        HdvDeviceTypePCI,
        guid(4),
        guid(4),
        Box::new(Bad {
            fail_initialize: false,
            panic_start: true,
        }),
    )
    .unwrap();
    assert_eq!(s.start().unwrap_err().hresult, E_UNEXPECTED);
    s.close();
}
