//! C programs compiled with gcc against `include/` and linked with
//! libWinHvPlatform.so and libWinHvEmulation.so, run as real clients would:
//! a long-mode guest printing through emulated port I/O, an MMIO device
//! completed by the emulator (also from I/O contexts with only the
//! instruction bytes), a cancel from a second thread (also of a thread
//! that blocks every signal, and with the kick signal ignored or handled by
//! the program), and the HRESULT of every kind of bad argument.

mod support;

#[test]
fn long_mode_guest_prints_through_emulated_port_io() {
    support::build_and_run("io_guest", true);
}

#[test]
fn io_exits_with_zeroed_access_info_are_emulated_from_the_instruction() {
    support::build_and_run("io_zeroed_access_info", true);
}

#[test]
fn mmio_device_is_emulated() {
    support::build_and_run("mmio_guest", true);
}

#[test]
fn cancel_from_a_second_thread() {
    support::build_and_run("cancel", true);
}

#[test]
fn cancel_whatever_the_program_does_with_signals() {
    support::build_and_run("cancel_signals", true);
}

#[test]
fn bad_input_gets_windows_hresults() {
    // Runs without /dev/kvm too: the handle, pointer and emulator checks
    // need no partition; the program skips the rest itself.
    support::build_and_run("bad_input", false);
}

#[test]
fn interrupts_reach_the_guest_and_survive_a_state_restore() {
    support::build_and_run("interrupt_guest", true);
}

#[test]
fn interrupts_without_lapic_emulation_through_requests_and_windows() {
    support::build_and_run("no_apic_guest", true);
}

#[test]
fn synic_messages_and_events_reach_the_guest() {
    support::build_and_run("synic_guest", true);
}
