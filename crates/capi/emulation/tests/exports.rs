//! The four exports called as a C client calls them (through the C ABI,
//! with C callbacks), on a synthetic exit — no VM needed: an `out dx, al`
//! in 64-bit mode is emulated through the callbacks, and bad arguments and
//! stale handles get their HRESULTs.
#![allow(
    clippy::multiple_unsafe_ops_per_block,
    reason = "test code: each block's SAFETY comment covers its calls together"
)]
#![allow(unsafe_code, reason = "calling the C exports and being called back")]

use core::ffi::c_void;
use std::collections::HashMap;

use WinHvEmulation::{
    WHvEmulatorCreateEmulator, WHvEmulatorDestroyEmulator, WHvEmulatorTryIoEmulation,
    WHvEmulatorTryMmioEmulation,
};
use winhv_defs::*;

/// The fake VP and port the callbacks reach through their context.
#[derive(Default)]
struct Fake {
    registers: HashMap<i32, WHV_REGISTER_VALUE>,
    port_writes: Vec<(u16, u8, u32)>,
    set_calls: usize,
}

fn fake(context: *mut c_void) -> &'static mut Fake {
    // SAFETY: every test passes a `&mut Fake` that outlives the emulation.
    unsafe { &mut *context.cast::<Fake>() }
}

unsafe extern "C" fn io(context: *mut c_void, access: *mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
    // SAFETY: the emulator passes a valid access.
    let a = unsafe { &mut *access };
    if a.Direction == 1 {
        fake(context)
            .port_writes
            .push((a.Port, a.AccessSize as u8, a.Data));
    } else {
        a.Data = 0;
    }
    S_OK
}

unsafe extern "C" fn memory(_: *mut c_void, _: *mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
    E_FAIL
}

unsafe extern "C" fn get(
    context: *mut c_void,
    names: *const WHV_REGISTER_NAME,
    count: u32,
    values: *mut WHV_REGISTER_VALUE,
) -> HRESULT {
    let f = fake(context);
    for i in 0..count as usize {
        // SAFETY: both arrays hold `count` elements.
        unsafe {
            let name = *names.add(i);
            *values.add(i) = f.registers.get(&name.0).copied().unwrap_or_default();
        }
    }
    S_OK
}

unsafe extern "C" fn set(
    context: *mut c_void,
    names: *const WHV_REGISTER_NAME,
    count: u32,
    values: *const WHV_REGISTER_VALUE,
) -> HRESULT {
    let f = fake(context);
    f.set_calls += 1;
    for i in 0..count as usize {
        // SAFETY: both arrays hold `count` elements.
        unsafe { f.registers.insert((*names.add(i)).0, *values.add(i)) };
    }
    S_OK
}

unsafe extern "C" fn translate(
    _: *mut c_void,
    gva: WHV_GUEST_VIRTUAL_ADDRESS,
    _: WHV_TRANSLATE_GVA_FLAGS,
    result: *mut WHV_TRANSLATE_GVA_RESULT_CODE,
    gpa: *mut WHV_GUEST_PHYSICAL_ADDRESS,
) -> HRESULT {
    // SAFETY: the emulator passes writable outputs.
    unsafe {
        *result = WHvTranslateGvaResultSuccess;
        *gpa = gva;
    }
    S_OK
}

fn callbacks() -> WHV_EMULATOR_CALLBACKS {
    WHV_EMULATOR_CALLBACKS {
        Size: size_of::<WHV_EMULATOR_CALLBACKS>() as u32,
        Reserved: 0,
        WHvEmulatorIoPortCallback: Some(io),
        WHvEmulatorMemoryCallback: Some(memory),
        WHvEmulatorGetVirtualProcessorRegisters: Some(get),
        WHvEmulatorSetVirtualProcessorRegisters: Some(set),
        WHvEmulatorTranslateGvaPage: Some(translate),
    }
}

fn segment(selector: u16, attributes: u16) -> WHV_X64_SEGMENT_REGISTER {
    WHV_X64_SEGMENT_REGISTER {
        Base: 0,
        Limit: 0xffff_ffff,
        Selector: selector,
        Attributes: attributes,
    }
}

/// A VP in 64-bit mode at 0x1000 about to run `out dx, al` with AL = 'A'.
fn out_dx_al() -> (Fake, WHV_VP_EXIT_CONTEXT, WHV_X64_IO_PORT_ACCESS_CONTEXT) {
    let mut f = Fake::default();
    let cs = segment(0x08, 0xa09b);
    let data = segment(0x10, 0xc093);
    let regs = [
        (WHvX64RegisterRip, WHV_REGISTER_VALUE { Reg64: 0x1000 }),
        (WHvX64RegisterRax, WHV_REGISTER_VALUE { Reg64: 0x41 }),
        (WHvX64RegisterRdx, WHV_REGISTER_VALUE { Reg64: 0xe9 }),
        (WHvX64RegisterRflags, WHV_REGISTER_VALUE { Reg64: 0x2 }),
        (WHvX64RegisterCr0, WHV_REGISTER_VALUE { Reg64: 0x8000_0031 }),
        (WHvX64RegisterCr4, WHV_REGISTER_VALUE { Reg64: 0x20 }),
        (WHvX64RegisterEfer, WHV_REGISTER_VALUE { Reg64: 0x500 }),
        (WHvX64RegisterCs, WHV_REGISTER_VALUE { Segment: cs }),
        (WHvX64RegisterDs, WHV_REGISTER_VALUE { Segment: data }),
        (WHvX64RegisterEs, WHV_REGISTER_VALUE { Segment: data }),
        (WHvX64RegisterSs, WHV_REGISTER_VALUE { Segment: data }),
    ];
    for (name, value) in regs {
        f.registers.insert(name.0, value);
    }
    let mut vp = WHV_VP_EXIT_CONTEXT {
        Cs: cs,
        Rip: 0x1000,
        Rflags: 0x2,
        ..Default::default()
    };
    vp.set_instruction_length(1);
    vp.ExecutionState.set_cr0_pe(1);
    vp.ExecutionState.set_efer_lma(1);
    let mut io = WHV_X64_IO_PORT_ACCESS_CONTEXT {
        InstructionByteCount: 1,
        PortNumber: 0xe9,
        Rax: 0x41,
        Ds: data,
        Es: data,
        ..Default::default()
    };
    io.InstructionBytes[0] = 0xee;
    io.AccessInfo.set_is_write(1);
    io.AccessInfo.set_access_size(1);
    (f, vp, io)
}

fn create() -> WHV_EMULATOR_HANDLE {
    let cbs = callbacks();
    let mut e: WHV_EMULATOR_HANDLE = core::ptr::null_mut();
    // SAFETY: valid table and output.
    assert_eq!(unsafe { WHvEmulatorCreateEmulator(&cbs, &mut e) }, S_OK);
    assert!(!e.is_null());
    e
}

#[test]
fn out_instruction_is_emulated_through_the_callbacks() {
    let e = create();
    let (mut f, vp, io) = out_dx_al();
    let mut status = WHV_EMULATOR_STATUS::default();
    let context = (&raw mut f).cast::<c_void>();
    // SAFETY: all pointers are valid; `f` outlives the call.
    let hr = unsafe { WHvEmulatorTryIoEmulation(e, context, &vp, &io, &mut status) };
    assert_eq!(hr, S_OK);
    assert_eq!(
        status.emulation_successful(),
        1,
        "status {:#x}",
        status.AsUINT32
    );
    assert_eq!(f.port_writes, vec![(0xe9, 1, 0x41)]);
    assert_eq!(f.set_calls, 1);
    // SAFETY: RIP is written as Reg64.
    assert_eq!(unsafe { f.registers[&WHvX64RegisterRip.0].Reg64 }, 0x1001);
    assert_eq!(WHvEmulatorDestroyEmulator(e), S_OK);
}

#[test]
fn bad_arguments_and_stale_handles() {
    let mut cbs = callbacks();
    let mut e: WHV_EMULATOR_HANDLE = core::ptr::null_mut();
    // SAFETY: NULL and valid pointers only.
    unsafe {
        assert_eq!(
            WHvEmulatorCreateEmulator(core::ptr::null(), &mut e),
            E_INVALIDARG
        );
        assert_eq!(
            WHvEmulatorCreateEmulator(&cbs, core::ptr::null_mut()),
            E_INVALIDARG
        );
        cbs.Size -= 8;
        assert_eq!(WHvEmulatorCreateEmulator(&cbs, &mut e), E_INVALIDARG);
        cbs.Size += 8;
        cbs.WHvEmulatorTranslateGvaPage = None;
        assert_eq!(WHvEmulatorCreateEmulator(&cbs, &mut e), E_INVALIDARG);
    }
    let e = create();
    let (mut f, vp, mut io) = out_dx_al();
    let context = (&raw mut f).cast::<c_void>();
    let mut status = WHV_EMULATOR_STATUS::default();
    let mmio = WHV_MEMORY_ACCESS_CONTEXT::default();
    // SAFETY: NULL and valid pointers only.
    unsafe {
        assert_eq!(
            WHvEmulatorTryIoEmulation(e, context, core::ptr::null(), &io, &mut status),
            E_INVALIDARG
        );
        assert_eq!(
            WHvEmulatorTryIoEmulation(e, context, &vp, core::ptr::null(), &mut status),
            E_INVALIDARG
        );
        assert_eq!(
            WHvEmulatorTryIoEmulation(e, context, &vp, &io, core::ptr::null_mut()),
            E_INVALIDARG
        );
        assert_eq!(
            WHvEmulatorTryMmioEmulation(e, context, &vp, core::ptr::null(), &mut status),
            E_INVALIDARG
        );
        io.InstructionByteCount = 17;
        assert_eq!(
            WHvEmulatorTryIoEmulation(e, context, &vp, &io, &mut status),
            E_INVALIDARG
        );
        io.InstructionByteCount = 1;
        assert!(f.port_writes.is_empty());
        assert_eq!(WHvEmulatorDestroyEmulator(e), S_OK);
        assert_eq!(WHvEmulatorDestroyEmulator(e), E_HANDLE);
        assert_eq!(
            WHvEmulatorTryIoEmulation(e, context, &vp, &io, &mut status),
            E_HANDLE
        );
        assert_eq!(
            WHvEmulatorTryMmioEmulation(e, context, &vp, &mmio, &mut status),
            E_HANDLE
        );
        assert_eq!(WHvEmulatorDestroyEmulator(core::ptr::null_mut()), E_HANDLE);
        assert_eq!(WHvEmulatorDestroyEmulator(context), E_HANDLE);
    }
    assert!(f.port_writes.is_empty());
}
