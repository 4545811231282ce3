//! A Rust client that knows the API only through `windows-sys` (its
//! function declarations and types, nothing from this workspace) runs a
//! long-mode guest against libWinHvPlatform.so and libWinHvEmulation.so:
//! the guest prints a line through port 0xE9 and every I/O exit is
//! completed by `WHvEmulatorTryIoEmulation` with callbacks written here.
//!
//! How the linking works on Linux: windows-sys declares each function with
//! `windows_link::link!`, which on non-Windows targets expands to a plain
//! `extern "system" { fn WHv…(…); }` (no `#[link]`, no `raw-dylib`), and
//! `"system"` is the C convention on x86-64 Linux. So any library that
//! exports the symbols satisfies the declarations; the program only names
//! the libraries to link, here with an empty `#[link]` block (a build script
//! printing `cargo:rustc-link-lib=WinHvPlatform` works as well), and the
//! build script adds target/<profile>/deps to the search and run paths.
//!
//! One trap, documented in microsoft/win32metadata#2278: windows-sys
//! declares `WHV_REGISTER_VALUE` with 8-byte alignment where the C type has
//! 16. Windows faults on a misaligned register array and our library
//! answers `E_INVALIDARG`, so the arrays below live in an `align(16)`
//! wrapper.
#![allow(unsafe_code, reason = "calling the C API is unsafe by nature")]
#![allow(
    clippy::multiple_unsafe_ops_per_block,
    reason = "test code: each block's SAFETY comment covers its calls together"
)]
#![allow(non_snake_case, reason = "callback parameters keep Windows' names")]
#![allow(
    non_upper_case_globals,
    reason = "windows-sys constants keep Windows' names in patterns"
)]

use core::ffi::c_void;

use windows_sys::Win32::System::Hypervisor::*;
use windows_sys::core::HRESULT;

#[link(name = "WinHvPlatform")]
#[link(name = "WinHvEmulation")]
unsafe extern "C" {}

const RAM_SIZE: usize = 0x10000;
const CODE: u64 = 0x4000;
const GUEST: &[u8] = &[
    0x48, 0x8d, 0x35, 0x0d, 0x00, 0x00, 0x00, // lea rsi,[rip+0x0d]
    0x66, 0xba, 0xe9, 0x00, // mov dx,0xe9
    0xac, // lodsb
    0x84, 0xc0, // test al,al
    0x74, 0x03, // je hlt
    0xee, // out dx,al
    0xeb, 0xf8, // jmp lodsb
    0xf4, // hlt
];
const MESSAGE: &[u8] = b"windows-sys says hi\n\0";

/// Register values at C's alignment.
#[repr(C, align(16))]
struct Values<const N: usize>([WHV_REGISTER_VALUE; N]);

/// What the callbacks reach through their context pointer.
struct Client {
    partition: WHV_PARTITION_HANDLE,
    console: Vec<u8>,
}

fn check(what: &str, hr: HRESULT) {
    assert!(hr >= 0, "{what} failed: {:#010x}", hr as u32);
}

unsafe extern "system" fn io_port(
    context: *const c_void,
    access: *mut WHV_EMULATOR_IO_ACCESS_INFO,
) -> HRESULT {
    // SAFETY: the emulator passes back our context and a valid access.
    let (client, access) = unsafe { (&mut *(context as *mut Client), &mut *access) };
    if access.Port != 0xe9 || access.AccessSize != 1 {
        return 0x8007_0057_u32 as HRESULT; // E_INVALIDARG
    }
    if access.Direction == 1 {
        client.console.push(access.Data as u8);
    } else {
        access.Data = 0xff;
    }
    0
}

unsafe extern "system" fn memory(
    context: *const c_void,
    access: *mut WHV_EMULATOR_MEMORY_ACCESS_INFO,
) -> HRESULT {
    // SAFETY: as above.
    let (client, a) = unsafe { (&*(context as *const Client), &mut *access) };
    let controls = WHV_ACCESS_GPA_CONTROLS { AsUINT64: 0 };
    let size = u32::from(a.AccessSize);
    // SAFETY: `Data` holds 8 bytes, `AccessSize` is at most 8.
    unsafe {
        if a.Direction == 0 {
            WHvReadGpaRange(
                client.partition,
                0,
                a.GpaAddress,
                controls,
                a.Data.as_mut_ptr().cast(),
                size,
            )
        } else {
            WHvWriteGpaRange(
                client.partition,
                0,
                a.GpaAddress,
                controls,
                a.Data.as_ptr().cast(),
                size,
            )
        }
    }
}

unsafe extern "system" fn get_registers(
    context: *const c_void,
    names: *const WHV_REGISTER_NAME,
    count: u32,
    values: *mut WHV_REGISTER_VALUE,
) -> HRESULT {
    // SAFETY: the emulator's arrays hold `count` elements, 16-byte aligned.
    unsafe {
        WHvGetVirtualProcessorRegisters(
            (*(context as *const Client)).partition,
            0,
            names,
            count,
            values,
        )
    }
}

unsafe extern "system" fn set_registers(
    context: *const c_void,
    names: *const WHV_REGISTER_NAME,
    count: u32,
    values: *const WHV_REGISTER_VALUE,
) -> HRESULT {
    // SAFETY: as above.
    unsafe {
        WHvSetVirtualProcessorRegisters(
            (*(context as *const Client)).partition,
            0,
            names,
            count,
            values,
        )
    }
}

unsafe extern "system" fn translate(
    context: *const c_void,
    gva: u64,
    flags: WHV_TRANSLATE_GVA_FLAGS,
    result: *mut WHV_TRANSLATE_GVA_RESULT_CODE,
    gpa: *mut u64,
) -> HRESULT {
    let mut r = WHV_TRANSLATE_GVA_RESULT::default();
    // SAFETY: `r` and `gpa` are writable.
    let hr = unsafe {
        WHvTranslateGva(
            (*(context as *const Client)).partition,
            0,
            gva,
            flags,
            &mut r,
            gpa,
        )
    };
    if hr >= 0 {
        // SAFETY: `result` is writable.
        unsafe { *result = r.ResultCode };
    }
    hr
}

fn segment(selector: u16, attributes: u16) -> WHV_REGISTER_VALUE {
    let mut v = WHV_REGISTER_VALUE::default();
    v.Segment = WHV_X64_SEGMENT_REGISTER {
        Base: 0,
        Limit: 0xffff_ffff,
        Selector: selector,
        Anonymous: WHV_X64_SEGMENT_REGISTER_0 {
            Attributes: attributes,
        },
    };
    v
}

fn reg64(value: u64) -> WHV_REGISTER_VALUE {
    WHV_REGISTER_VALUE { Reg64: value }
}

#[test]
fn windows_sys_client_runs_a_guest() {
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_err()
    {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    // Guest RAM: page-aligned, zeroed, leaked (it must outlive the mapping).
    let layout = std::alloc::Layout::from_size_align(RAM_SIZE, 4096).unwrap();
    // SAFETY: a non-zero size.
    let ram = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!ram.is_null());
    // SAFETY: `ram` is RAM_SIZE writable bytes, used only through this slice
    // until the guest runs.
    let mem = unsafe { std::slice::from_raw_parts_mut(ram, RAM_SIZE) };
    for (at, entry) in [(0x1000, 0x2003u64), (0x2000, 0x3003), (0x3000, 0x83)] {
        mem[at..at + 8].copy_from_slice(&entry.to_le_bytes());
    }
    mem[CODE as usize..][..GUEST.len()].copy_from_slice(GUEST);
    mem[CODE as usize + GUEST.len()..][..MESSAGE.len()].copy_from_slice(MESSAGE);

    let mut client = Box::new(Client {
        partition: 0,
        console: Vec::new(),
    });
    // SAFETY: every pointer below points to live, properly sized memory.
    unsafe {
        let mut present = 0u32;
        let mut written = 0u32;
        check(
            "WHvGetCapability",
            WHvGetCapability(
                WHvCapabilityCodeHypervisorPresent,
                (&raw mut present).cast(),
                4,
                &mut written,
            ),
        );
        assert_eq!(written, 4);
        check(
            "WHvCreatePartition",
            WHvCreatePartition(&mut client.partition),
        );
        let p = client.partition;
        let mut prop = WHV_PARTITION_PROPERTY::default();
        prop.ProcessorCount = 1;
        check(
            "WHvSetPartitionProperty",
            WHvSetPartitionProperty(
                p,
                WHvPartitionPropertyCodeProcessorCount,
                (&raw const prop).cast(),
                size_of::<WHV_PARTITION_PROPERTY>() as u32,
            ),
        );
        check("WHvSetupPartition", WHvSetupPartition(p));
        check(
            "WHvMapGpaRange",
            WHvMapGpaRange(
                p,
                ram.cast(),
                0,
                RAM_SIZE as u64,
                WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute,
            ),
        );
        check(
            "WHvCreateVirtualProcessor",
            WHvCreateVirtualProcessor(p, 0, 0),
        );

        let names = [
            WHvX64RegisterCr0,
            WHvX64RegisterCr3,
            WHvX64RegisterCr4,
            WHvX64RegisterEfer,
            WHvX64RegisterCs,
            WHvX64RegisterDs,
            WHvX64RegisterEs,
            WHvX64RegisterSs,
            WHvX64RegisterTr,
            WHvX64RegisterRip,
            WHvX64RegisterRsp,
            WHvX64RegisterRflags,
        ];
        let data = segment(0x10, 0xc093);
        let mut tr = segment(0x18, 0x008b);
        tr.Segment.Limit = 0x67;
        let values = Values([
            reg64(0x8000_0031),
            reg64(0x1000),
            reg64(0x20),
            reg64(0x500),
            segment(0x08, 0xa09b),
            data,
            data,
            data,
            tr,
            reg64(CODE),
            reg64(0x8000),
            reg64(0x2),
        ]);
        check(
            "WHvSetVirtualProcessorRegisters",
            WHvSetVirtualProcessorRegisters(
                p,
                0,
                names.as_ptr(),
                names.len() as u32,
                values.0.as_ptr(),
            ),
        );

        let callbacks = WHV_EMULATOR_CALLBACKS {
            Size: size_of::<WHV_EMULATOR_CALLBACKS>() as u32,
            Reserved: 0,
            WHvEmulatorIoPortCallback: Some(io_port),
            WHvEmulatorMemoryCallback: Some(memory),
            WHvEmulatorGetVirtualProcessorRegisters: Some(get_registers),
            WHvEmulatorSetVirtualProcessorRegisters: Some(set_registers),
            WHvEmulatorTranslateGvaPage: Some(translate),
        };
        let mut emulator: *mut c_void = core::ptr::null_mut();
        check(
            "WHvEmulatorCreateEmulator",
            WHvEmulatorCreateEmulator(&callbacks, &mut emulator),
        );

        let context: *const c_void = (&raw mut *client).cast_const().cast();
        let mut exits = 0;
        loop {
            let mut exit = WHV_RUN_VP_EXIT_CONTEXT::default();
            check(
                "WHvRunVirtualProcessor",
                WHvRunVirtualProcessor(
                    p,
                    0,
                    (&raw mut exit).cast(),
                    size_of::<WHV_RUN_VP_EXIT_CONTEXT>() as u32,
                ),
            );
            match exit.ExitReason {
                WHvRunVpExitReasonX64Halt => break,
                WHvRunVpExitReasonX64IoPortAccess => {
                    let mut status = WHV_EMULATOR_STATUS::default();
                    check(
                        "WHvEmulatorTryIoEmulation",
                        WHvEmulatorTryIoEmulation(
                            emulator,
                            context,
                            &exit.VpContext,
                            &exit.Anonymous.IoPortAccess,
                            &mut status,
                        ),
                    );
                    assert_eq!(
                        status.AsUINT32 & 1,
                        1,
                        "emulation failed: {:#x}",
                        status.AsUINT32
                    );
                    exits += 1;
                }
                other => panic!(
                    "unexpected exit reason {other:#x} at RIP {:#x}",
                    exit.VpContext.Rip
                ),
            }
        }
        assert_eq!(exits, MESSAGE.len() - 1);
        check(
            "WHvEmulatorDestroyEmulator",
            WHvEmulatorDestroyEmulator(emulator),
        );
        check("WHvDeletePartition", WHvDeletePartition(p));
        // A deleted handle is refused: E_HANDLE.
        assert_eq!(WHvSetupPartition(p) as u32, 0x8007_0006);
        std::alloc::dealloc(ram, layout);
    }
    assert_eq!(client.console, &MESSAGE[..MESSAGE.len() - 1]);
    print!("guest said: {}", String::from_utf8_lossy(&client.console));
}
