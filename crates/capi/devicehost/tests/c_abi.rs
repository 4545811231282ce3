//! libvmdevicehost.so through its C ABI, as a Windows-written device host
//! calls it: the functions and types are windows-sys' declarations (its
//! `vmdevicehost.dll` functions, linked here against libvmdevicehost.so,
//! and its `HDV_PCI_DEVICE_INTERFACE`), the VM is a WHP partition made
//! through libWinHvPlatform.so, and the compute system comes from winhv's
//! `WinhvCreateComputeSystem`. A CPL3 guest reads the device's IDs by
//! ECAM, enables BAR0, reads and writes it and rings a doorbell; the
//! device's callbacks (extern "system" functions with a context) see it
//! all in Windows' order. Then every bad input this layer answers: stale
//! handles, a second device host, a bad interface version, a bad MSI,
//! doorbell conflicts and flags, apertures and sections not yet there.
#![allow(unsafe_code, reason = "calling the C API is unsafe by nature")]
#![allow(
    clippy::multiple_unsafe_ops_per_block,
    reason = "test code: each block's SAFETY comment covers its calls together"
)]
#![allow(non_snake_case, reason = "callback parameters keep Windows' names")]

use core::ffi::c_void;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::Mutex;

use windows_sys::Win32::Foundation::{HANDLE, WHV_E_GPA_RANGE_NOT_FOUND};
use windows_sys::Win32::System::HostComputeSystem::HCS_SYSTEM;
use windows_sys::Win32::System::Hypervisor::*;
use windows_sys::core::{GUID, HRESULT};
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

#[link(name = "vmdevicehost")]
#[link(name = "WinHvPlatform")]
unsafe extern "C" {
    fn WinhvCreateComputeSystem(
        partition: WHV_PARTITION_HANDLE,
        config: *const c_void,
        system: *mut HCS_SYSTEM,
    ) -> HRESULT;
    fn WinhvStartComputeSystem(system: HCS_SYSTEM) -> HRESULT;
    fn WinhvStopComputeSystem(system: HCS_SYSTEM) -> HRESULT;
    fn WinhvCloseComputeSystem(system: HCS_SYSTEM) -> HRESULT;
}

const S_OK: HRESULT = 0;
const E_INVALIDARG: HRESULT = 0x8007_0057_u32 as i32;
const E_HANDLE: HRESULT = 0x8007_0006_u32 as i32;
const ALREADY_EXISTS: HRESULT = 0x8007_00B7_u32 as i32;
const HV_INVALID_PARAMETER: HRESULT = 0xC035_0005_u32 as i32;
const MEMORY: usize = 2 << 20;
const ECAM_DEV1: u64 = 0xe000_8000;
const BAR0: u64 = 0xc000_0000;
const RES: u64 = 0x10_0000;
const DONE_PORT: u16 = 0x99;

/// What the callbacks record, reached through their context.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Log {
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
}

/// # Safety
/// `ctx` is the test's `Log`.
unsafe fn log<'a>(ctx: *const c_void) -> &'a Log {
    // SAFETY: the device was created with a pointer to a Log that outlives it.
    unsafe { &*ctx.cast::<Log>() }
}

unsafe extern "system" fn initialize(ctx: *const c_void) -> HRESULT {
    // SAFETY: our context.
    unsafe { log(ctx) }.push("Initialize".into());
    S_OK
}
unsafe extern "system" fn teardown(ctx: *const c_void) {
    // SAFETY: our context.
    unsafe { log(ctx) }.push("Teardown".into());
}
unsafe extern "system" fn set_configuration(
    ctx: *const c_void,
    count: u32,
    _values: *const windows_sys::core::PCWSTR,
) -> HRESULT {
    // SAFETY: our context.
    unsafe { log(ctx) }.push(format!("SetConfiguration {count}"));
    S_OK
}
unsafe extern "system" fn get_details(
    ctx: *const c_void,
    pnp: *mut HDV_PCI_PNP_ID,
    count: u32,
    probed: *mut u32,
) -> HRESULT {
    // SAFETY: our context; HDV hands a PnP ID and `count` BAR slots.
    unsafe {
        log(ctx).push(format!("GetDetails {count}"));
        (*pnp).VendorID = 0x1234;
        (*pnp).DeviceID = 0x5678;
        *probed = 0xffff_f000;
    }
    S_OK
}
unsafe extern "system" fn start(ctx: *const c_void) -> HRESULT {
    // SAFETY: our context.
    unsafe { log(ctx) }.push("Start".into());
    S_OK
}
unsafe extern "system" fn stop(ctx: *const c_void) {
    // SAFETY: our context.
    unsafe { log(ctx) }.push("Stop".into());
}
unsafe extern "system" fn read_config(
    _ctx: *const c_void,
    offset: u32,
    value: *mut u32,
) -> HRESULT {
    // SAFETY: a writable UINT32.
    unsafe { *value = if offset == 0x04 { 0x0010_0000 } else { 0 } };
    S_OK
}
unsafe extern "system" fn read_bar(
    ctx: *const c_void,
    bar: HDV_PCI_BAR_SELECTOR,
    offset: u64,
    len: u64,
    value: *mut u8,
) -> HRESULT {
    // SAFETY: our context; `len` writable bytes.
    unsafe {
        log(ctx).push(format!("Read {bar} {offset:#x} {len}"));
        for i in 0..len as usize {
            *value.add(i) = 0xa0 + i as u8;
        }
    }
    S_OK
}
unsafe extern "system" fn write_bar(
    ctx: *const c_void,
    bar: HDV_PCI_BAR_SELECTOR,
    offset: u64,
    len: u64,
    value: *const u8,
) -> HRESULT {
    // SAFETY: our context; `len` readable bytes.
    unsafe {
        let first = *value;
        log(ctx).push(format!("Write {bar} {offset:#x} {len} {first:#x}"));
    }
    S_OK
}

fn interface() -> HDV_PCI_DEVICE_INTERFACE {
    HDV_PCI_DEVICE_INTERFACE {
        Version: HdvPciDeviceInterfaceVersion1,
        Initialize: Some(initialize),
        Teardown: Some(teardown),
        SetConfiguration: Some(set_configuration),
        GetDetails: Some(get_details),
        Start: Some(start),
        Stop: Some(stop),
        ReadConfigSpace: Some(read_config),
        WriteConfigSpace: None,
        ReadInterceptedMemory: Some(read_bar),
        WriteInterceptedMemory: Some(write_bar),
    }
}

fn guest() -> (Guest, winhv_guest::registers::Registers) {
    let mut g = Guest::new(0, MEMORY).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rsi, ECAM_DEV1)?;
        a.mov(eax, dword_ptr(rsi))?;
        a.mov(dword_ptr(RES), eax)?;
        a.mov(word_ptr(rsi + 4), 2u32)?;
        a.mov(rdi, BAR0)?;
        a.mov(eax, dword_ptr(rdi + 8))?;
        a.mov(dword_ptr(RES + 4), eax)?;
        a.mov(dword_ptr(rdi + 0x10), 0x55)?;
        a.mov(dword_ptr(rdi + 0x100), 1)?;
        a.mov(dword_ptr(rdi + 0x100), 2)?;
        a.out(DONE_PORT as i32, al)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64_user(entry).unwrap();
    (g, regs)
}

/// A one-page memfd starting with `data`.
fn memfd(data: &[u8]) -> File {
    // SAFETY: a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"section".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: a new descriptor, owned by the File from here on.
    let f = unsafe { File::from_raw_fd(fd) };
    f.set_len(4096).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, data, 0).unwrap();
    f
}

fn eventfd() -> File {
    // SAFETY: no pointer argument.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: a new descriptor, owned by the File from here on.
    unsafe { File::from_raw_fd(fd) }
}

#[test]
fn a_windows_style_device_host_over_the_c_abi() {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    let (g, regs) = guest();
    // SAFETY: a fresh anonymous mapping, unmapped after the partition.
    let mem = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            MEMORY,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(mem, libc::MAP_FAILED);
    let image = g.memory().as_bytes();
    // SAFETY: the image fits the mapping.
    unsafe { std::ptr::copy_nonoverlapping(image.as_ptr(), mem.cast::<u8>(), image.len()) };

    let log = Log::default();
    let ctx = (&raw const log).cast::<c_void>();
    let iface = interface();
    let class = GUID::from_u128(0x0ed0);
    let instance = GUID::from_u128(1);
    let mut p: WHV_PARTITION_HANDLE = 0;
    let mut system: HCS_SYSTEM = std::ptr::null_mut();
    let mut host: *mut c_void = std::ptr::null_mut();
    let mut dev: *mut c_void = std::ptr::null_mut();
    // SAFETY: every pointer below is valid for the call that takes it.
    unsafe {
        assert_eq!(WHvCreatePartition(&mut p), S_OK);
        let one = 1u32;
        assert_eq!(
            WHvSetPartitionProperty(
                p,
                WHvPartitionPropertyCodeProcessorCount,
                (&raw const one).cast(),
                4
            ),
            S_OK
        );
        let xapic = WHvX64LocalApicEmulationModeXApic;
        assert_eq!(
            WHvSetPartitionProperty(
                p,
                WHvPartitionPropertyCodeLocalApicEmulationMode,
                (&raw const xapic).cast(),
                4
            ),
            S_OK
        );
        assert_eq!(WHvSetupPartition(p), S_OK);
        assert_eq!(WHvCreateVirtualProcessor(p, 0, 0), S_OK);
        let flags = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute;
        assert_eq!(WHvMapGpaRange(p, mem, 0, MEMORY as u64, flags), S_OK);
        let (names, values) = winhv_guest::whp::registers(&regs);
        assert_eq!(
            WHvSetVirtualProcessorRegisters(
                p,
                0,
                names.as_ptr().cast(),
                names.len() as u32,
                values.as_ptr().cast()
            ),
            S_OK
        );

        assert_eq!(
            WinhvCreateComputeSystem(p, std::ptr::null(), &mut system),
            S_OK
        );
        assert_eq!(
            HdvInitializeDeviceHostEx(system, 2, &mut host),
            E_INVALIDARG,
            "undefined flag"
        );
        assert_eq!(HdvInitializeDeviceHost(system, &mut host), S_OK);
        let mut second = std::ptr::null_mut();
        assert_eq!(HdvInitializeDeviceHost(system, &mut second), ALREADY_EXISTS);
        let mut bad = iface;
        bad.Version = 0;
        assert_eq!(
            HdvCreateDeviceInstance(
                host,
                HdvDeviceTypePCI,
                &class,
                &instance,
                (&raw const bad).cast(),
                ctx,
                &mut dev
            ),
            E_INVALIDARG
        );
        assert_eq!(
            HdvCreateDeviceInstance(
                host,
                7,
                &class,
                &instance,
                (&raw const iface).cast(),
                ctx,
                &mut dev
            ),
            E_INVALIDARG,
            "not PCI"
        );
        assert_eq!(
            HdvCreateDeviceInstance(
                host,
                HdvDeviceTypePCI,
                &class,
                &instance,
                (&raw const iface).cast(),
                ctx,
                &mut dev
            ),
            S_OK
        );
        assert_eq!(WinhvStartComputeSystem(system), S_OK);

        let event = eventfd();
        let any_dword = HDV_DOORBELL_FLAG_TRIGGER_SIZE_DWORD as u64
            | HDV_DOORBELL_FLAG_TRIGGER_ANY_VALUE as u64;
        assert_eq!(
            any_dword >> 32,
            0xffff_ffff,
            "windows-sys' constant sign-extends"
        );
        let fd = event.as_raw_fd() as isize as HANDLE;
        assert_eq!(
            HdvRegisterDoorbell(dev, HDV_PCI_BAR0, 0x100, 0, any_dword, fd),
            S_OK
        );
        assert_eq!(
            HdvRegisterDoorbell(dev, HDV_PCI_BAR0, 0x100, 5, 3, fd),
            HV_INVALID_PARAMETER,
            "conflict"
        );
        assert_eq!(
            HdvRegisterDoorbell(dev, HDV_PCI_BAR0, 0x104, 0, 5, fd),
            E_INVALIDARG,
            "bad size"
        );
        assert_eq!(
            HdvRegisterDoorbell(dev, HDV_PCI_BAR1, 0, 0, 3, fd),
            E_INVALIDARG,
            "no BAR1"
        );
        assert_eq!(
            HdvRegisterDoorbell(dev, HDV_PCI_BAR0, 0x108, 0, 3, 100_000 as HANDLE),
            E_HANDLE,
            "not an fd"
        );

        let mut exit = std::mem::zeroed::<WHV_RUN_VP_EXIT_CONTEXT>();
        let size = size_of::<WHV_RUN_VP_EXIT_CONTEXT>() as u32;
        assert_eq!(
            WHvRunVirtualProcessor(p, 0, (&raw mut exit).cast(), size),
            S_OK
        );
        assert_eq!(exit.ExitReason, WHvRunVpExitReasonX64IoPortAccess);
        assert_eq!(exit.Anonymous.IoPortAccess.PortNumber, DONE_PORT);
        let res =
            |i: usize| std::ptr::read(mem.cast::<u8>().add(RES as usize + i * 4).cast::<u32>());
        assert_eq!(res(0), 0x5678_1234, "IDs from GetDetails, read by ECAM");
        assert_eq!(res(1), 0xa3a2_a1a0, "BAR0 +8 from ReadInterceptedMemory");
        let mut count = [0u8; 8];
        (&event).read_exact(&mut count).unwrap();
        assert_eq!(u64::from_ne_bytes(count), 2, "two doorbell writes");

        // Guest memory, MSIs, what is not there yet.
        let mut buf = [0u8; 4];
        assert_eq!(HdvReadGuestMemory(dev, RES, 4, buf.as_mut_ptr()), S_OK);
        assert_eq!(u32::from_le_bytes(buf), 0x5678_1234);
        assert_eq!(HdvWriteGuestMemory(dev, RES + 0x40, 4, buf.as_ptr()), S_OK);
        assert_eq!(res(0x10), 0x5678_1234);
        assert_eq!(
            HdvReadGuestMemory(dev, RES, 4, std::ptr::null_mut()),
            E_INVALIDARG
        );
        assert_eq!(HdvDeliverGuestInterrupt(dev, 0xfee0_0000, 0x40), S_OK);
        assert_eq!(
            HdvDeliverGuestInterrupt(dev, 0xfed0_0000, 0x40),
            E_INVALIDARG,
            "outside 0xFEE00000-0xFEEFFFFF"
        );
        // An aperture onto the results: the guest's bytes, zero-copy.
        let mut va = std::ptr::null_mut();
        assert_eq!(
            HdvCreateGuestMemoryAperture(dev, RES + 4, 8, 1, &mut va),
            S_OK
        );
        assert_eq!(std::ptr::read(va.cast::<u32>()), 0xa3a2_a1a0);
        std::ptr::write(va.cast::<u32>(), 0x0bad_cafe);
        assert_eq!(res(1), 0x0bad_cafe);
        assert_eq!(HdvDestroyGuestMemoryAperture(dev, va), S_OK);
        assert_eq!(
            HdvDestroyGuestMemoryAperture(dev, va),
            E_INVALIDARG,
            "destroyed already"
        );
        let mut nowhere = std::ptr::null_mut();
        let hr = HdvCreateGuestMemoryAperture(dev, MEMORY as u64 - 4, 8, 0, &mut nowhere);
        assert_eq!(hr, WHV_E_GPA_RANGE_NOT_FOUND, "past guest RAM");
        assert_eq!(
            HdvCreateGuestMemoryAperture(dev, 0, 4096, 0, std::ptr::null_mut()),
            E_INVALIDARG
        );
        // A section over BAR0's page: refused while the doorbell lies in
        // it, then guest memory at the BAR's address is the memfd's.
        let section = memfd(b"section!");
        let sfd = section.as_raw_fd() as isize as HANDLE;
        let rw = HdvMmioMappingFlagWriteable;
        assert_eq!(
            HdvCreateSectionBackedMmioRange(dev, HDV_PCI_BAR0, 0, 1, rw, sfd, 0),
            E_INVALIDARG,
            "doorbell inside"
        );
        assert_eq!(
            HdvUnregisterDoorbell(dev, HDV_PCI_BAR0, 0x100, 0, any_dword),
            S_OK
        );
        assert_eq!(
            HdvCreateSectionBackedMmioRange(dev, HDV_PCI_BAR0, 1, 1, rw, sfd, 0),
            E_INVALIDARG,
            "past the 4 KiB BAR"
        );
        assert_eq!(
            HdvCreateSectionBackedMmioRange(dev, HDV_PCI_BAR0, 0, 1, 8, sfd, 0),
            E_INVALIDARG,
            "undefined flag"
        );
        assert_eq!(
            HdvCreateSectionBackedMmioRange(dev, HDV_PCI_BAR0, 0, 1, rw, sfd, 0),
            S_OK
        );
        assert_eq!(
            HdvCreateSectionBackedMmioRange(dev, HDV_PCI_BAR0, 0, 1, rw, sfd, 0),
            E_INVALIDARG,
            "overlap"
        );
        let mut seen = [0u8; 8];
        assert_eq!(HdvReadGuestMemory(dev, BAR0, 8, seen.as_mut_ptr()), S_OK);
        assert_eq!(&seen, b"section!", "the BAR's page is the memfd's");
        assert_eq!(HdvDestroySectionBackedMmioRange(dev, HDV_PCI_BAR0, 0), S_OK);
        assert_eq!(
            HdvDestroySectionBackedMmioRange(dev, HDV_PCI_BAR0, 0),
            0x8007_0490_u32 as i32,
            "gone"
        );
        assert_ne!(
            HdvReadGuestMemory(dev, BAR0, 8, seen.as_mut_ptr()),
            S_OK,
            "unmapped again"
        );
        assert_eq!(
            HdvUnregisterDoorbell(dev, HDV_PCI_BAR0, 0x100, 0, any_dword),
            0x8007_0490_u32 as i32,
            "gone"
        );

        assert_eq!(WinhvStopComputeSystem(system), S_OK);
        assert_eq!(HdvTeardownDeviceHost(host), S_OK);
        assert_eq!(HdvTeardownDeviceHost(host), E_HANDLE, "stale host");
        assert_eq!(
            HdvReadGuestMemory(dev, RES, 4, buf.as_mut_ptr()),
            E_HANDLE,
            "stale device"
        );
        assert_eq!(HdvDeliverGuestInterrupt(dev, 0xfee0_0000, 0x40), E_HANDLE);
        assert_eq!(WinhvCloseComputeSystem(system), S_OK);
        assert_eq!(WinhvCloseComputeSystem(system), E_HANDLE);
        assert_eq!(
            HdvInitializeDeviceHost(system, &mut host),
            E_HANDLE,
            "closed system"
        );
        assert_eq!(WHvDeletePartition(p), S_OK);
        libc::munmap(mem, MEMORY);
    }
    let log = log.0.into_inner().unwrap();
    assert_eq!(
        &log[..4],
        ["Initialize", "SetConfiguration 0", "GetDetails 6", "Start"]
    );
    assert_eq!(
        &log[4..],
        ["Read 0 0x8 4", "Write 0 0x10 4 0x55", "Stop", "Teardown"],
        "the doorbell writes never reached WriteInterceptedMemory"
    );
}
