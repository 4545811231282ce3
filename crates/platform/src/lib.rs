//! winhv: the Windows Hypervisor Platform on KVM (being written).
