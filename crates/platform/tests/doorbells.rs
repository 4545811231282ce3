//! Doorbells and doorbell notification ports through the public API, as a
//! Windows VMM uses them: a guest's MMIO writes that match a registered
//! doorbell signal the VMM's event (an eventfd here) without any exit —
//! the run goes straight on to the guest's next port write, and winhv's own
//! exit counters see no memory exit — while a write that does not match
//! still exits; conflicts, unknown doorbells and bad events get Windows'
//! HRESULTs.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod common;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use common::{TestVm, kvm_available};
use vmm_sys_util::eventfd::{EFD_NONBLOCK, EventFd};
use winhv::defs::*;
use winhv_guest::Guest;
use winhv_guest::asm::code_asm::*;

const MMIO: u64 = 0x1000_0000;
const DONE: u16 = 0x60;
/// Writes of each kind the guest makes.
const N: u32 = 25;

/// Match data as a Windows caller fills it.
fn data(gpa: u64, value: Option<u64>, length: Option<u32>) -> WHV_DOORBELL_MATCH_DATA {
    let mut m = WHV_DOORBELL_MATCH_DATA {
        GuestAddress: gpa,
        Value: value.unwrap_or(0),
        Length: length.unwrap_or(0),
        _bitfield: 0,
    };
    m.set_match_on_value(u32::from(value.is_some()));
    m.set_match_on_length(u32::from(length.is_some()));
    m
}

/// A CPL0 long-mode guest: `N` times a 4-byte write of 0x1234 to MMIO, a
/// byte write of 7 to MMIO+0x100 and a 2-byte write of 5 to MMIO+0x200,
/// then `out DONE`; then one 2-byte write of 6 to MMIO+0x200, `out DONE`,
/// and the same again once more (for a doorbell unregistered meanwhile).
fn guest() -> TestVm {
    let mut g = Guest::new(0, 1 << 21).unwrap();
    let entry = g.layout().code;
    g.assemble_at(64, entry, |a| {
        a.mov(rdi, MMIO)?;
        a.mov(ecx, N)?;
        let mut top = a.create_label();
        a.set_label(&mut top)?;
        a.mov(dword_ptr(rdi), 0x1234)?;
        a.mov(byte_ptr(rdi + 0x100), 7)?;
        a.mov(word_ptr(rdi + 0x200), 5)?;
        a.dec(ecx)?;
        a.jnz(top)?;
        a.mov(dx, u32::from(DONE))?;
        a.out(dx, al)?;
        a.mov(word_ptr(rdi + 0x200), 6)?;
        a.out(dx, al)?;
        a.mov(dword_ptr(rdi), 0x1234)?;
        a.out(dx, al)?;
        a.hlt()
    })
    .unwrap();
    let regs = g.long64(entry).unwrap();
    TestVm::new(&g, &regs)
}

fn io_count(vm: &TestVm) -> u64 {
    let mut b = [0u8; size_of::<WHV_PROCESSOR_INTERCEPT_COUNTERS>()];
    vm.p.get_vp_counters(0, WHvProcessorCounterSetIntercepts, &mut b)
        .unwrap();
    // SAFETY: the buffer holds the struct, plain data.
    let c: WHV_PROCESSOR_INTERCEPT_COUNTERS =
        unsafe { std::ptr::read_unaligned(b.as_ptr().cast()) };
    c.IoInstructions.Count
}

/// The eventfd as the borrowed fd the API takes.
fn bfd(e: &EventFd) -> BorrowedFd<'_> {
    // SAFETY: the fd stays open as long as `e`, which the borrow outlives not.
    unsafe { BorrowedFd::borrow_raw(e.as_raw_fd()) }
}

fn count(e: &EventFd) -> u64 {
    e.read().unwrap_or(0)
}

fn expect_port(vm: &TestVm, x: &WHV_RUN_VP_EXIT_CONTEXT) {
    assert_eq!(
        x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
        "exit {:?} at RIP {:#x}",
        x.ExitReason, x.VpContext.Rip
    );
    // SAFETY: the exit reason says which member is live.
    assert_eq!(unsafe { x.Anonymous.IoPortAccess.PortNumber }, DONE);
    vm.skip(x);
}

#[test]
fn matching_writes_signal_the_event_without_an_exit() {
    if !kvm_available() {
        return;
    }
    let vm = guest();
    let value = EventFd::new(EFD_NONBLOCK).unwrap();
    let any = EventFd::new(EFD_NONBLOCK).unwrap();
    let five = EventFd::new(EFD_NONBLOCK).unwrap();
    let exact = data(MMIO, Some(0x1234), Some(4));
    vm.p.register_doorbell(&exact, bfd(&value)).unwrap();
    // Any length, any value, through the old function; a notification port
    // for the third.
    vm.p.register_doorbell(&data(MMIO + 0x100, None, None), bfd(&any))
        .unwrap();
    let mut port = WHV_NOTIFICATION_PORT_PARAMETERS {
        NotificationPortType: WHvNotificationPortTypeDoorbell,
        ..Default::default()
    };
    port.Anonymous.Doorbell = data(MMIO + 0x200, Some(5), Some(2));
    let port = vm.p.create_notification_port(&port, bfd(&five)).unwrap();
    let io_before = io_count(&vm);
    let x = vm.run();
    expect_port(&vm, &x);
    assert_eq!(count(&value), u64::from(N), "4-byte writes of 0x1234");
    assert_eq!(count(&any), u64::from(N), "byte writes, any value");
    assert_eq!(count(&five), u64::from(N), "the port's 2-byte writes of 5");
    assert_eq!(
        io_count(&vm) - io_before,
        1,
        "the run's one exit to user space was the port write"
    );
    // A 2-byte write of 6 matches no doorbell: the usual MMIO exit.
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess);
    // SAFETY: the exit reason says which member is live.
    assert_eq!(unsafe { x.Anonymous.MemoryAccess.Gpa }, MMIO + 0x200);
    assert_eq!(count(&five), 0);
    vm.skip(&x);
    expect_port(&vm, &vm.run());
    // Unregistered, the doorbell's write exits again.
    vm.p.unregister_doorbell(&exact).unwrap();
    let x = vm.run();
    assert_eq!(x.ExitReason, WHvRunVpExitReasonMemoryAccess);
    assert_eq!(count(&value), 0);
    vm.p.delete_notification_port(port).unwrap();
}

#[test]
fn conflicts_unknown_doorbells_and_bad_events_get_windows_answers() {
    if !kvm_available() {
        return;
    }
    let p = common::partition(1);
    let e = EventFd::new(EFD_NONBLOCK).unwrap();
    let v1 = data(MMIO, Some(1), Some(4));
    p.register_doorbell(&v1, bfd(&e)).unwrap();
    p.register_doorbell(&data(MMIO, Some(2), Some(4)), bfd(&e))
        .unwrap();
    for (m, what) in [
        (v1, "the same doorbell again"),
        (data(MMIO, Some(3), Some(2)), "another length"),
        (data(MMIO, None, Some(4)), "any value beside values"),
        (data(MMIO, None, None), "any length"),
    ] {
        let err = p.register_doorbell(&m, bfd(&e)).unwrap_err();
        assert_eq!(err.hresult, ERROR_HV_INVALID_PARAMETER, "{what}");
    }
    // A notification port conflicts with a doorbell, as it is one.
    let mut port = WHV_NOTIFICATION_PORT_PARAMETERS {
        NotificationPortType: WHvNotificationPortTypeDoorbell,
        ..Default::default()
    };
    port.Anonymous.Doorbell = v1;
    assert_eq!(
        p.create_notification_port(&port, bfd(&e))
            .unwrap_err()
            .hresult,
        ERROR_HV_INVALID_PARAMETER
    );
    p.unregister_doorbell(&v1).unwrap();
    assert_eq!(
        p.unregister_doorbell(&v1).unwrap_err().hresult,
        HRESULT_ERROR_NOT_FOUND,
        "unregistered twice"
    );
    assert_eq!(
        p.unregister_doorbell(&data(MMIO + 8, None, None))
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_NOT_FOUND
    );
    // Malformed match data, before anything else.
    let mut bad = data(MMIO + 16, None, Some(3));
    assert_eq!(
        p.register_doorbell(&bad, bfd(&e)).unwrap_err().hresult,
        E_INVALIDARG
    );
    bad = data(MMIO + 16, None, None);
    bad.Value = 1;
    assert_eq!(
        p.unregister_doorbell(&bad).unwrap_err().hresult,
        E_INVALIDARG
    );
    // An fd that is no eventfd is no event.
    let file = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(
        p.register_doorbell(&data(MMIO + 16, None, None), file.as_fd())
            .unwrap_err()
            .hresult,
        E_HANDLE
    );
    // The caller may close its event: the doorbell holds its own.
    let closed = EventFd::new(EFD_NONBLOCK).unwrap();
    let fd = closed.as_raw_fd();
    p.register_doorbell(&data(MMIO + 24, None, None), bfd(&closed))
        .unwrap();
    drop(closed);
    assert_ne!(fd, -1);
    // Event ports need the SynIC.
    let mut event_port = WHV_NOTIFICATION_PORT_PARAMETERS {
        NotificationPortType: WHvNotificationPortTypeEvent,
        ..Default::default()
    };
    event_port.Anonymous.Event.ConnectionId = 1;
    assert_eq!(
        p.create_notification_port(&event_port, bfd(&e))
            .unwrap_err()
            .hresult,
        HRESULT_ERROR_NOT_SUPPORTED
    );
    // Port handles: properties, deleted twice.
    port.Anonymous.Doorbell = data(MMIO + 32, None, Some(8));
    let h = p.create_notification_port(&port, bfd(&e)).unwrap();
    p.set_notification_port_property(h, WHvNotificationPortPropertyPreferredTargetVp, 0)
        .unwrap();
    p.set_notification_port_property(
        h,
        WHvNotificationPortPropertyPreferredTargetVp,
        u64::from(WHV_ANY_VP),
    )
    .unwrap();
    assert_eq!(
        p.set_notification_port_property(h, WHvNotificationPortPropertyPreferredTargetVp, 1)
            .unwrap_err()
            .hresult,
        E_INVALIDARG,
        "VP 1 of a 1-VP partition"
    );
    p.set_notification_port_property(h, WHvNotificationPortPropertyPreferredTargetDuration, 5)
        .unwrap();
    p.delete_notification_port(h).unwrap();
    assert_eq!(
        p.delete_notification_port(h).unwrap_err().hresult,
        E_HANDLE,
        "deleted twice"
    );
    // Its doorbell is gone with it: the same match data registers again.
    p.register_doorbell(&data(MMIO + 32, None, Some(8)), bfd(&e))
        .unwrap();
}
