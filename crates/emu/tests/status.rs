//! WHV_EMULATOR_STATUS for every callback failure and refusal, the
//! E_INVALIDARG cases, and the C-callback adapter.
#![allow(
    unsafe_code,
    reason = "the adapter test passes C function pointers and a context pointer"
)]
#![allow(
    clippy::multiple_unsafe_ops_per_block,
    reason = "each C shim turns its pointers into references in one block"
)]
#![allow(
    clippy::field_reassign_with_default,
    reason = "exit contexts are built field by field"
)]

mod common;
use common::*;
use core::ffi::c_void;
use winhv_defs::*;
use winhv_emu::{Emulator, RawCallbacks, ValidatedCallbacks};

const STORE: &[u8] = &[0x89, 0x03]; // mov [rbx], eax

fn store_vp() -> Vp {
    let mut vp = Vp::long();
    vp.gpr[RBX] = MMIO;
    vp.gpr[RAX] = 0x1234;
    vp
}

#[test]
fn each_callback_failure_has_its_bit_and_commits_nothing() {
    let mut vp = store_vp();
    vp.fail_get = true;
    assert_eq!(mmio(&mut vp, STORE), GET_FAILED);
    assert!(vp.mem_log.is_empty());
    assert_eq!(vp.set_calls, 0);

    let mut vp = store_vp();
    vp.fail_mem = true;
    assert_eq!(mmio(&mut vp, STORE), MEM_FAILED);
    assert_eq!((vp.set_calls, vp.rip), (0, 0x1000));

    let mut vp = store_vp();
    vp.fail_translate = true;
    assert_eq!(mmio(&mut vp, STORE), TRANSLATE_FAILED);
    assert_eq!(vp.set_calls, 0);

    let mut vp = store_vp();
    vp.misalign_gpa = true;
    assert_eq!(mmio(&mut vp, STORE), NOT_ALIGNED);
    assert_eq!(vp.set_calls, 0);

    let mut vp = store_vp();
    vp.fail_set = true;
    assert_eq!(mmio(&mut vp, STORE), SET_FAILED);
    assert_eq!(vp.set_calls, 1);
    assert_eq!(vp.rip, 0x1000);

    let mut vp = Vp::long();
    vp.fail_io = true;
    assert_eq!(
        io(&mut vp, &[0xec], 0x60, 1, false, false, false),
        IO_FAILED
    );
    assert_eq!(vp.set_calls, 0);

    // string I/O needs the registers
    let mut vp = Vp::long();
    vp.fail_get = true;
    assert_eq!(io(&mut vp, &[0x6e], 0x60, 1, true, true, false), GET_FAILED);

    // XMM fetch failure (the XMM register comes in the same batch as RBX)
    let mut vp = store_vp();
    vp.fail_get = false;
    assert_eq!(mmio(&mut vp, &[0x0f, 0x11, 0x03]), OK);
    let mut vp = store_vp();
    vp.get_calls = 0;
    struct FailXmmGet(Vp);
    impl winhv_emu::Callbacks for FailXmmGet {
        fn io_port(&mut self, a: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
            self.0.io_port(a)
        }
        fn memory(&mut self, a: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
            self.0.memory(a)
        }
        fn get_registers(
            &mut self,
            n: &[WHV_REGISTER_NAME],
            v: &mut [WHV_REGISTER_VALUE],
        ) -> HRESULT {
            if n.iter().any(|n| (0x1000..0x1010).contains(&n.0)) {
                return E_FAIL;
            }
            self.0.get_registers(n, v)
        }
        fn set_registers(&mut self, n: &[WHV_REGISTER_NAME], v: &[WHV_REGISTER_VALUE]) -> HRESULT {
            self.0.set_registers(n, v)
        }
        fn translate_gva_page(
            &mut self,
            g: u64,
            f: WHV_TRANSLATE_GVA_FLAGS,
            r: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
            p: &mut u64,
        ) -> HRESULT {
            self.0.translate_gva_page(g, f, r, p)
        }
    }
    vp.place_code(&[0x0f, 0x11, 0x03]);
    let vpc = vp.vp_context();
    let mut ctx = WHV_MEMORY_ACCESS_CONTEXT::default();
    ctx.InstructionByteCount = 3;
    ctx.InstructionBytes[..3].copy_from_slice(&[0x0f, 0x11, 0x03]);
    let mut f = FailXmmGet(vp);
    let st = Emulator::new()
        .try_mmio_emulation(&mut f, &vpc, &ctx)
        .unwrap();
    assert_eq!(st.AsUINT32, GET_FAILED);
}

#[test]
fn walk_ending_outside_the_guest_cannot_be_faulted() {
    for code in [
        WHvTranslateGvaResultGpaUnmapped,
        WHvTranslateGvaResultGpaNoReadAccess,
        WHvTranslateGvaResultGpaNoWriteAccess,
        WHvTranslateGvaResultGpaIllegalOverlayAccess,
        WHvTranslateGvaResultIntercept,
    ] {
        let mut vp = store_vp();
        vp.bad_pages.insert(MMIO, code);
        assert_eq!(mmio(&mut vp, STORE), CANNOT_FAULT, "{code:?}");
        assert_eq!(vp.set_calls, 0);
    }
}

#[test]
fn pending_interruption_means_no_emulation() {
    let mut vp = store_vp();
    vp.interruption_pending = true;
    assert_eq!(mmio(&mut vp, STORE), INTERRUPT);
    assert_eq!((vp.get_calls, vp.set_calls, vp.translate_calls), (0, 0, 0));
    assert!(vp.mem_log.is_empty());
}

#[test]
fn unsupported_or_mismatched_instructions_are_internal_failures() {
    for code in [
        &[0x0f, 0x0b][..],       // ud2
        &[0x06][..],             // push es: invalid in 64-bit mode
        &[0x01, 0xc3][..],       // add ebx, eax: no memory operand
        &[0xec][..],             // in al, dx on an MMIO exit
        &[0x0f, 0xae, 0x03][..], // fxsave [rbx]
        &[0x0f, 0x01, 0x3b][..], // invlpg [rbx]
    ] {
        let mut vp = store_vp();
        assert_eq!(mmio(&mut vp, code), INTERNAL, "{code:x?}");
        assert_eq!(vp.set_calls, 0);
        assert!(vp.mem_log.iter().all(|r| !r.write));
    }
    // a memory instruction on an I/O exit
    let mut vp = store_vp();
    assert_eq!(io(&mut vp, STORE, 0x60, 1, true, false, false), INTERNAL);
}

#[test]
fn malformed_contexts_are_invalid_arguments() {
    let mut vp = store_vp();
    let vpc = vp.vp_context();
    let ctx = WHV_MEMORY_ACCESS_CONTEXT {
        InstructionByteCount: 17,
        ..Default::default()
    };
    assert_eq!(
        Emulator::new().try_mmio_emulation(&mut vp, &vpc, &ctx),
        Err(E_INVALIDARG)
    );
    let mut io = WHV_X64_IO_PORT_ACCESS_CONTEXT::default();
    io.AccessInfo.set_access_size(3);
    assert_eq!(
        Emulator::new().try_io_emulation(&mut vp, &vpc, &io),
        Err(E_INVALIDARG)
    );
}

unsafe extern "C" fn c_io(ctx: *mut c_void, a: *mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
    // SAFETY: the test passes a `*mut Vp` and the emulator a valid pointer.
    unsafe { winhv_emu::Callbacks::io_port(&mut *(ctx as *mut Vp), &mut *a) }
}
unsafe extern "C" fn c_mem(ctx: *mut c_void, a: *mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
    // SAFETY: as above.
    unsafe { winhv_emu::Callbacks::memory(&mut *(ctx as *mut Vp), &mut *a) }
}
unsafe extern "C" fn c_get(
    ctx: *mut c_void,
    n: *const WHV_REGISTER_NAME,
    count: u32,
    v: *mut WHV_REGISTER_VALUE,
) -> HRESULT {
    // SAFETY: as above; both arrays hold `count` elements.
    unsafe {
        let names = std::slice::from_raw_parts(n, count as usize);
        let values = std::slice::from_raw_parts_mut(v, count as usize);
        winhv_emu::Callbacks::get_registers(&mut *(ctx as *mut Vp), names, values)
    }
}
unsafe extern "C" fn c_set(
    ctx: *mut c_void,
    n: *const WHV_REGISTER_NAME,
    count: u32,
    v: *const WHV_REGISTER_VALUE,
) -> HRESULT {
    // SAFETY: as above.
    unsafe {
        let names = std::slice::from_raw_parts(n, count as usize);
        let values = std::slice::from_raw_parts(v, count as usize);
        winhv_emu::Callbacks::set_registers(&mut *(ctx as *mut Vp), names, values)
    }
}
unsafe extern "C" fn c_translate(
    ctx: *mut c_void,
    gva: u64,
    f: WHV_TRANSLATE_GVA_FLAGS,
    r: *mut WHV_TRANSLATE_GVA_RESULT_CODE,
    gpa: *mut u64,
) -> HRESULT {
    // SAFETY: as above.
    unsafe {
        winhv_emu::Callbacks::translate_gva_page(&mut *(ctx as *mut Vp), gva, f, &mut *r, &mut *gpa)
    }
}

fn table() -> WHV_EMULATOR_CALLBACKS {
    WHV_EMULATOR_CALLBACKS {
        Size: core::mem::size_of::<WHV_EMULATOR_CALLBACKS>() as u32,
        Reserved: 0,
        WHvEmulatorIoPortCallback: Some(c_io),
        WHvEmulatorMemoryCallback: Some(c_mem),
        WHvEmulatorGetVirtualProcessorRegisters: Some(c_get),
        WHvEmulatorSetVirtualProcessorRegisters: Some(c_set),
        WHvEmulatorTranslateGvaPage: Some(c_translate),
    }
}

#[test]
fn c_callback_table_drives_the_emulator() {
    let mut vp = store_vp();
    vp.place_code(STORE);
    let vpc = vp.vp_context();
    let mut ctx = WHV_MEMORY_ACCESS_CONTEXT::default();
    ctx.InstructionByteCount = 2;
    ctx.InstructionBytes[..2].copy_from_slice(STORE);
    let t = ValidatedCallbacks::new(&table()).expect("complete table");
    // SAFETY: the callbacks above accept a `*mut Vp` context, which lives
    // for the whole call.
    let mut raw = unsafe { RawCallbacks::new(t, &mut vp as *mut Vp as *mut c_void) };
    let st = Emulator::new()
        .try_mmio_emulation(&mut raw, &vpc, &ctx)
        .unwrap();
    assert_eq!(st.AsUINT32, OK);
    assert_eq!(vp.peek_u64(MMIO, 4), 0x1234);
    assert_eq!(vp.rip, 0x1002);
}

#[test]
fn c_callback_table_is_validated() {
    assert!(ValidatedCallbacks::new(&table()).is_ok());
    let mut t = table();
    t.Size = 40;
    assert_eq!(ValidatedCallbacks::new(&t).err(), Some(E_INVALIDARG));
    let mut t = table();
    t.WHvEmulatorTranslateGvaPage = None;
    assert_eq!(ValidatedCallbacks::new(&t).err(), Some(E_INVALIDARG));
    let mut t = table();
    t.WHvEmulatorIoPortCallback = None;
    assert_eq!(ValidatedCallbacks::new(&t).err(), Some(E_INVALIDARG));
}
