//! The Hyper-V CPUID leaves 0x4000_0000–0x4000_000A a partition with
//! synthetic features gets (TLFS, "Feature and Interface Discovery"), in
//! place of KVM's own hypervisor leaves: vendor "Microsoft Hv", interface
//! "Hv#1", and feature and privilege bits for exactly what the partition
//! enabled and we implement.

use kvm_bindings::kvm_cpuid_entry2;

use super::features::*;

/// The last Hyper-V leaf.
const MAX_LEAF: u32 = 0x4000_000a;
/// "Hv#1" as leaf 0x4000_0001 returns it in EAX.
const HV1_SIGNATURE: u32 = u32::from_le_bytes(*b"Hv#1");

/// Leaf 0x4000_0003 EAX (the partition privilege mask, low half): the bit
/// of each `WHV_SYNTHETIC_PROCESSOR_FEATURES` access bit.
const PRIVILEGES: &[(u64, u32)] = &[
    (REFERENCE_COUNTER, 1 << 1), // AccessPartitionReferenceCounter
    (SYNIC_REGS, 1 << 2),        // AccessSynicRegs
    (SYNTHETIC_TIMERS, 1 << 3),  // AccessSyntheticTimerRegs
    (HYPERCALL_REGS, 1 << 5),    // AccessHypercallMsrs
    (VP_INDEX, 1 << 6),          // AccessVpIndex
    (REFERENCE_TSC, 1 << 9),     // AccessPartitionReferenceTsc
];

/// Leaf 0x4000_0004 EAX bit 9: "AutoEOI deprecated" — the in-kernel local
/// APIC cannot end an interrupt on the guest's behalf, so a SINT's AutoEOI
/// bit is kept but the guest must still EOI (README).
const DEPRECATE_AUTO_EOI: u32 = 1 << 9;

/// Replaces the hypervisor leaves of `t` (KVM's signature and features at
/// 0x4000_0000 on) with Hyper-V's for the partition's `features`; leaves
/// `t` alone when `HypervisorPresent` is off.
pub(crate) fn apply(t: &mut Vec<kvm_cpuid_entry2>, features: u64, processor_count: u32) {
    if features & HYPERVISOR_PRESENT == 0 {
        return;
    }
    t.retain(|e| !(0x4000_0000..0x4001_0000).contains(&e.function));
    for e in t.iter_mut().filter(|e| e.function == 1) {
        e.ecx |= 1 << 31;
    }
    let vendor = |s: &[u8; 12]| {
        let w = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
        (w(0), w(4), w(8))
    };
    let (b, c, d) = vendor(b"Microsoft Hv");
    let leaf = |function, eax, ebx, ecx, edx| kvm_cpuid_entry2 {
        function,
        eax,
        ebx,
        ecx,
        edx,
        ..Default::default()
    };
    t.push(leaf(0x4000_0000, MAX_LEAF, b, c, d));
    if features & HV1 == 0 {
        return;
    }
    t.push(leaf(0x4000_0001, HV1_SIGNATURE, 0, 0, 0));
    // Hypervisor version: none claimed (we are not a Hyper-V build).
    t.push(leaf(0x4000_0002, 0, 0, 0, 0));
    let privileges = PRIVILEGES
        .iter()
        .filter(|&&(f, _)| features & f != 0)
        .fold(0, |a, &(_, bit)| a | bit);
    t.push(leaf(0x4000_0003, privileges, 0, 0, 0));
    // No spinlock notifications (retry count "never").
    t.push(leaf(0x4000_0004, DEPRECATE_AUTO_EOI, u32::MAX, 0, 0));
    t.push(leaf(0x4000_0005, processor_count, 0, 0, 0));
    for function in 0x4000_0006..=MAX_LEAF {
        t.push(leaf(function, 0, 0, 0, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(t: &[kvm_cpuid_entry2], f: u32) -> Option<&kvm_cpuid_entry2> {
        t.iter().find(|e| e.function == f)
    }

    #[test]
    fn leaves_follow_the_enabled_features() {
        let kvm = kvm_cpuid_entry2 {
            function: 0x4000_0000,
            ebx: 0x4b4d_564b,
            ..Default::default()
        };
        let mut t = vec![
            kvm,
            kvm_cpuid_entry2 {
                function: 1,
                ..Default::default()
            },
        ];
        apply(&mut t, HYPERVISOR_PRESENT | HV1 | SYNIC_REGS | VP_INDEX, 2);
        let l0 = get(&t, 0x4000_0000).unwrap();
        let mut s = Vec::new();
        for r in [l0.ebx, l0.ecx, l0.edx] {
            s.extend(r.to_le_bytes());
        }
        assert_eq!(&s, b"Microsoft Hv");
        assert_eq!(l0.eax, 0x4000_000a);
        assert_eq!(t.iter().filter(|e| e.function == 0x4000_0000).count(), 1);
        assert_eq!(
            get(&t, 0x4000_0001).unwrap().eax,
            u32::from_le_bytes(*b"Hv#1")
        );
        assert_eq!(get(&t, 0x4000_0003).unwrap().eax, (1 << 2) | (1 << 6));
        assert_eq!(get(&t, 1).unwrap().ecx >> 31, 1);
        assert!(get(&t, 0x4000_000a).is_some());
    }

    #[test]
    fn without_synthetic_features_the_table_stays() {
        let mut t = vec![kvm_cpuid_entry2 {
            function: 0x4000_0000,
            ebx: 7,
            ..Default::default()
        }];
        apply(&mut t, 0, 1);
        assert_eq!(t[0].ebx, 7);
    }
}
