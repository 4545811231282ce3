//! The start-up probes answer on this machine (printed for the report).

#[test]
fn probes_answer() {
    if !std::path::Path::new("/dev/kvm").exists() {
        println!("SKIPPED: no /dev/kvm");
        return;
    }
    let caps = winhv::kvm_caps().expect("KVM usable");
    println!("{caps:#?}");
    assert!(winhv::hypervisor_present());
    assert!(caps.sync_regs);
}
