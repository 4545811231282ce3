//! Which guest MSR accesses leave KVM, and what happens to them: the
//! partition's ExtendedVmExits.X64MsrExit, X64MsrExitBitmap, MsrActionList
//! and UnimplementedMsrAction, over `KVM_CAP_X86_USER_SPACE_MSR` and
//! `KVM_X86_SET_MSR_FILTER`.
//!
//! * An MSR KVM does not implement exits to user space (reason UNKNOWN)
//!   when X64MsrExit is on, or when the partition asked for any action on
//!   unimplemented MSRs other than the architectural #GP.
//! * An MSR named by the exit bitmap (TSC read/write, APIC base write,
//!   MISC_ENABLE read, microcode patch level read) or by an action-list
//!   entry other than ArchitectureDefault is denied by the MSR filter, so
//!   its accesses exit too (reason FILTER).
//! * Reads and writes alike: KVM answers some MSRs in one direction only —
//!   a guest read of IA32_P5_MC_TYPE (0x1) gives 0 while the write is
//!   unknown to KVM — so an unimplemented-MSR policy would see only the
//!   writes. [`one_way_msrs`] measures, once per process with a small
//!   real-mode guest, which of the MSRs KVM answers itself are like that;
//!   while unknown MSRs leave KVM, the MSR filter denies the direction KVM
//!   would answer, and such an exit counts as an unimplemented MSR's.
//! * The synthetic MSRs of a partition with synthetic features are denied
//!   in both directions; `crate::synic` answers them (`crate::vp`).
//! * At such an exit, [`MsrPolicy::action`] says whether the VMM sees it
//!   (WHvRunVpExitReasonX64MsrAccess) or the platform completes it itself
//!   (IgnoreWriteReadZero: reads give 0, writes are dropped).

use std::sync::OnceLock;

use kvm_bindings::{
    KVM_MSR_EXIT_REASON_FILTER, KVM_MSR_EXIT_REASON_INVAL, KVM_MSR_EXIT_REASON_UNKNOWN,
    kvm_enable_cap, kvm_userspace_memory_region,
};
use kvm_ioctls::{MsrFilterDefaultAction, MsrFilterRange, MsrFilterRangeFlags, VcpuExit, VmFd};
use winhv_defs::*;

use crate::error::{Error, Result};
use crate::host_memory::HostMemory;
use crate::kvm::KvmCaps;
use crate::property::PartitionProperties;

const MSR_TSC: u32 = 0x10;
const MSR_APIC_BASE: u32 = 0x1b;
const MSR_PATCH_LEVEL: u32 = 0x8b;
const MSR_MISC_ENABLE: u32 = 0x1a0;

/// What to do with an MSR access that left KVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MsrAction {
    /// Report it to the VMM.
    Exit,
    /// Complete it here: reads give 0, writes are dropped.
    IgnoreWriteReadZero,
    /// Complete it here with #GP (what KVM would have done).
    Fault,
}

/// An MSR KVM answers itself in one direction while the other is unknown
/// to it (measured by [`one_way_msrs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OneWayMsr {
    pub index: u32,
    /// KVM completes guest reads itself (the write is unknown to it);
    /// otherwise the other way round.
    pub kvm_reads: bool,
}

/// The partition's MSR exit policy, fixed at setup (and rebuilt when an
/// exit property changes after it).
#[derive(Debug, Clone, Default)]
pub(crate) struct MsrPolicy {
    /// X64MsrExit is on.
    msr_exit: bool,
    /// (MSR, reads exit, writes exit) from the exit bitmap.
    bitmap: Vec<(u32, bool, bool)>,
    /// MsrActionList.
    actions: Vec<WHV_MSR_ACTION_ENTRY>,
    /// UnimplementedMsrAction.
    unimplemented: WHV_MSR_ACTION,
    /// The one-way MSRs of this kernel (sorted by index) while unknown MSRs
    /// leave KVM; empty otherwise.
    one_way: &'static [OneWayMsr],
    /// The synthetic MSRs the partition enabled, answered by
    /// `crate::synic` (denied by the filter in both directions).
    synthetic: Vec<u32>,
}

impl MsrPolicy {
    /// The policy the properties describe.
    pub(crate) fn new(props: &PartitionProperties) -> Self {
        let msr_exit = props.extended_vm_exits().x64_msr_exit() != 0;
        let mut bitmap = Vec::new();
        if msr_exit {
            let b = props.msr_exit_bitmap();
            let tsc_r = b.tsc_msr_read() != 0;
            let tsc_w = b.tsc_msr_write() != 0;
            if tsc_r || tsc_w {
                bitmap.push((MSR_TSC, tsc_r, tsc_w));
            }
            if b.apic_base_msr_write() != 0 {
                bitmap.push((MSR_APIC_BASE, false, true));
            }
            if b.misc_enable_msr_read() != 0 {
                bitmap.push((MSR_MISC_ENABLE, true, false));
            }
            if b.mc_update_patch_level_msr_read() != 0 {
                bitmap.push((MSR_PATCH_LEVEL, true, false));
            }
        }
        let unimplemented = props.unimplemented_msr_action();
        let one_way = if msr_exit || unimplemented != WHvMsrActionArchitectureDefault {
            one_way_msrs()
        } else {
            &[]
        };
        Self {
            msr_exit,
            bitmap,
            actions: props.msr_actions().to_vec(),
            unimplemented,
            one_way,
            synthetic: crate::synic::enabled_msrs(props.synthetic_features()),
        }
    }

    /// Whether unknown MSRs leave KVM (X64MsrExit, or an
    /// UnimplementedMsrAction other than the architectural #GP).
    fn unknown_leaves(&self) -> bool {
        self.msr_exit || self.unimplemented != WHvMsrActionArchitectureDefault
    }

    /// Whether KVM treats `index` as an MSR it does not implement: the exit
    /// says so, or the filter denied a one-way MSR's other direction.
    fn unimplemented(&self, index: u32, reason: u32) -> bool {
        reason & (KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL) != 0
            || (reason & KVM_MSR_EXIT_REASON_FILTER != 0
                && self
                    .one_way
                    .binary_search_by_key(&index, |m| m.index)
                    .is_ok())
    }

    /// What to do with an access to `index` that KVM handed to user space
    /// for `reason` (`KVM_MSR_EXIT_REASON_*`).
    pub(crate) fn action(&self, index: u32, write: bool, reason: u32) -> MsrAction {
        if let Some(e) = self.actions.iter().find(|e| e.Index == index) {
            let a = WHV_MSR_ACTION(i32::from(if write { e.WriteAction } else { e.ReadAction }));
            if a == WHvMsrActionExit {
                return MsrAction::Exit;
            }
            if a == WHvMsrActionIgnoreWriteReadZero {
                return MsrAction::IgnoreWriteReadZero;
            }
        }
        if self
            .bitmap
            .iter()
            .any(|&(m, r, w)| m == index && if write { w } else { r })
        {
            return MsrAction::Exit;
        }
        if self.unimplemented(index, reason) {
            if self.unimplemented == WHvMsrActionIgnoreWriteReadZero {
                return MsrAction::IgnoreWriteReadZero;
            }
            if self.msr_exit || self.unimplemented == WHvMsrActionExit {
                return MsrAction::Exit;
            }
        }
        MsrAction::Fault
    }

    /// Configures KVM: user-space MSR exits and the MSR filter. `fresh` is
    /// true for a new VM (nothing to undo); after setup a policy with no
    /// exits also turns off what an earlier one turned on.
    pub(crate) fn apply(&self, vm: &VmFd, caps: &KvmCaps, fresh: bool) -> Result<()> {
        let unknown_leaves = self.unknown_leaves();
        // (MSR, deny reads, deny writes) for the filter.
        let mut filtered: Vec<(u32, bool, bool)> = self.bitmap.clone();
        for e in &self.actions {
            let r = WHV_MSR_ACTION(i32::from(e.ReadAction)) != WHvMsrActionArchitectureDefault;
            let w = WHV_MSR_ACTION(i32::from(e.WriteAction)) != WHvMsrActionArchitectureDefault;
            if r || w {
                filtered.push((e.Index, r, w));
            }
        }
        filtered.extend(self.synthetic.iter().map(|&m| (m, true, true)));
        if !unknown_leaves && filtered.is_empty() {
            if fresh || !caps.user_space_msr {
                return Ok(());
            }
            if caps.msr_filter {
                vm.set_msr_filter(MsrFilterDefaultAction::ALLOW, &[])
                    .map_err(|e| Error::from_errno("KVM_X86_SET_MSR_FILTER", e.errno()))?;
            }
            let cap = kvm_enable_cap {
                cap: kvm_bindings::KVM_CAP_X86_USER_SPACE_MSR,
                ..Default::default()
            };
            return vm
                .enable_cap(&cap)
                .map_err(|e| Error::from_errno("KVM_CAP_X86_USER_SPACE_MSR", e.errno()));
        }
        if !caps.user_space_msr || (!filtered.is_empty() && !caps.msr_filter) {
            return Err(Error::new(
                WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
                "MSR exits need KVM_CAP_X86_USER_SPACE_MSR and KVM_CAP_X86_MSR_FILTER",
            ));
        }
        // The direction KVM would answer itself of each one-way MSR.
        filtered.extend(
            self.one_way
                .iter()
                .map(|m| (m.index, m.kvm_reads, !m.kvm_reads)),
        );
        let groups = FilterGroups::new(&filtered);
        if groups.len() > kvm_bindings::KVM_MSR_FILTER_MAX_RANGES as usize {
            return Err(Error::new(
                E_INVALIDARG,
                "the MSRs to intercept need more ranges than KVM's MSR filter holds (16)",
            ));
        }
        let mut reasons = KVM_MSR_EXIT_REASON_FILTER;
        if unknown_leaves {
            reasons |= KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL;
        }
        let mut cap = kvm_enable_cap {
            cap: kvm_bindings::KVM_CAP_X86_USER_SPACE_MSR,
            ..Default::default()
        };
        cap.args[0] = u64::from(reasons);
        vm.enable_cap(&cap)
            .map_err(|e| Error::from_errno("KVM_CAP_X86_USER_SPACE_MSR", e.errno()))?;
        if caps.msr_filter {
            vm.set_msr_filter(MsrFilterDefaultAction::ALLOW, &groups.ranges())
                .map_err(|e| Error::from_errno("KVM_X86_SET_MSR_FILTER", e.errno()))?;
        }
        Ok(())
    }
}

/// MSRs to deny, grouped into MSR-filter ranges: one range per direction
/// per cluster of nearby MSRs, each with a bitmap in which a set bit allows
/// and a clear bit denies.
struct FilterGroups {
    /// (read or write, first MSR, bitmap).
    groups: Vec<(MsrFilterRangeFlags, u32, Vec<u8>)>,
}

impl FilterGroups {
    /// MSRs more than this far from a group's first start a new group
    /// (KVM accepts bitmaps of up to `KVM_MSR_FILTER_MAX_BITMAP_SIZE`
    /// bytes; this keeps each well below).
    const SPAN: u32 = 0x1000;

    fn new(denied: &[(u32, bool, bool)]) -> Self {
        let mut groups = Vec::new();
        for (flag, pick) in [
            (MsrFilterRangeFlags::READ, 0usize),
            (MsrFilterRangeFlags::WRITE, 1usize),
        ] {
            let mut msrs: Vec<u32> = denied
                .iter()
                .filter(|&&(_, r, w)| if pick == 0 { r } else { w })
                .map(|&(m, _, _)| m)
                .collect();
            msrs.sort_unstable();
            msrs.dedup();
            let mut i = 0;
            while i < msrs.len() {
                let base = msrs[i];
                let mut j = i;
                while j + 1 < msrs.len() && msrs[j + 1] - base < Self::SPAN {
                    j += 1;
                }
                let count = msrs[j] - base + 1;
                let mut bitmap = vec![0xffu8; count.div_ceil(8) as usize];
                for &m in &msrs[i..=j] {
                    let bit = (m - base) as usize;
                    bitmap[bit / 8] &= !(1 << (bit % 8));
                }
                groups.push((flag, base, bitmap));
                i = j + 1;
            }
        }
        Self { groups }
    }

    fn len(&self) -> usize {
        self.groups.len()
    }

    fn ranges(&self) -> Vec<MsrFilterRange<'_>> {
        self.groups
            .iter()
            .map(|(flags, base, bitmap)| MsrFilterRange {
                flags: *flags,
                base: *base,
                msr_count: (bitmap.len() * 8) as u32,
                bitmap,
            })
            .collect()
    }
}

/// MSRs KVM answers itself on a guest read or write without having both
/// directions (the candidates the probe measures): the constants and
/// read-mostly registers of `kvm_get_msr_common` in Linux's
/// `arch/x86/kvm/x86.c` (P5 machine check, platform ID, EBL_CR_POWERON,
/// EBC frequency, FSB frequency, microcode revision, machine-check
/// globals and bank 0, performance status/control, last-branch records,
/// power control, RAPL energy counters, and AMD's SYSCFG, HWCR, NB_CFG,
/// interrupt-pending, MMIO configuration base, TSEG, VM_HSAVE_PA, DC/TW/
/// BU/EX configuration and OS visible workarounds). Which of them are one
/// way differs between kernel versions, so it is measured, not assumed.
const ONE_WAY_CANDIDATES: &[u32] = &[
    0x0,
    0x1,
    0x17,
    0x2a,
    0x2c,
    0x8b,
    0xcd,
    0x179,
    0x17a,
    0x198,
    0x199,
    0x1d9,
    0x1db,
    0x1dc,
    0x1dd,
    0x1de,
    0x1fc,
    0x400,
    0x401,
    0x402,
    0x403,
    0x606,
    0x611,
    0x619,
    0x639,
    0x641,
    0xc001_0010,
    0xc001_0015,
    0xc001_001f,
    0xc001_0055,
    0xc001_0058,
    0xc001_0112,
    0xc001_0113,
    0xc001_0117,
    0xc001_1022,
    0xc001_1023,
    0xc001_102a,
    0xc001_102c,
    0xc001_0140,
    0xc001_0141,
];

/// The probe program, real mode at [`PROBE_CODE_AT`]: for each MSR in the
/// table at [`PROBE_TABLE_AT`] (ended by `0xffff_ffff`), RDMSR then WRMSR
/// of 0; then HLT.
const PROBE_CODE: &[u8] = &[
    0xbe, 0x00, 0x18, // 1000: mov si, 0x1800
    0x66, 0x8b, 0x0c, // 1003: mov ecx, [si]
    0x66, 0x83, 0xf9, 0xff, // 1006: cmp ecx, -1
    0x74, 0x0f, // 100a: je 101b
    0x0f, 0x32, // 100c: rdmsr
    0x66, 0x31, 0xc0, // 100e: xor eax, eax
    0x66, 0x31, 0xd2, // 1011: xor edx, edx
    0x0f, 0x30, // 1014: wrmsr
    0x83, 0xc6, 0x04, // 1016: add si, 4
    0xeb, 0xe8, // 1019: jmp 1003
    0xf4, // 101b: hlt
];
const PROBE_CODE_AT: u64 = 0x1000;
const PROBE_TABLE_AT: usize = 0x1800;

/// The one-way MSRs of this kernel, sorted by index: measured on first use
/// by [`probe_one_way`] (empty if the probe cannot run).
pub(crate) fn one_way_msrs() -> &'static [OneWayMsr] {
    static ONE_WAY: OnceLock<Vec<OneWayMsr>> = OnceLock::new();
    ONE_WAY.get_or_init(|| probe_one_way().unwrap_or_default())
}

/// Runs every candidate MSR's RDMSR and WRMSR in a real-mode guest with
/// unknown MSRs leaving KVM, and keeps those where exactly one direction
/// left it as unknown (KVM answered the other itself).
fn probe_one_way() -> Option<Vec<OneWayMsr>> {
    let kvm = crate::kvm::kvm().ok()?;
    // Memory first, so that it is dropped after the VM that maps it.
    let ram = HostMemory::new(0x2000).ok()?;
    ram.write(PROBE_CODE_AT as usize, PROBE_CODE).ok()?;
    let mut table: Vec<u8> = ONE_WAY_CANDIDATES
        .iter()
        .flat_map(|m| m.to_le_bytes())
        .collect();
    table.extend(u32::MAX.to_le_bytes());
    ram.write(PROBE_TABLE_AT, &table).ok()?;
    let vm = kvm.create_vm().ok()?;
    let mut cap = kvm_enable_cap {
        cap: kvm_bindings::KVM_CAP_X86_USER_SPACE_MSR,
        ..Default::default()
    };
    // INVAL too: a #GP would otherwise go to a real-mode IVT there is none
    // of. Such an access is completed as if it worked and counts as neither
    // answered by KVM nor unknown to it.
    cap.args[0] = u64::from(KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL);
    vm.enable_cap(&cap).ok()?;
    let region = kvm_userspace_memory_region {
        slot: 0,
        guest_phys_addr: 0,
        memory_size: ram.len() as u64,
        userspace_addr: ram.as_ptr() as u64,
        flags: 0,
    };
    // SAFETY: the region is `ram`'s own mapping, whole; `ram` is declared
    // before `vm`, so the VM (and its slot) is dropped first.
    unsafe { vm.set_user_memory_region(region) }.ok()?;
    let mut vcpu = vm.create_vcpu(0).ok()?;
    let cpuid = crate::capability::host_capabilities().supported_cpuid();
    let cpuid = kvm_bindings::CpuId::from_entries(cpuid).ok()?;
    vcpu.set_cpuid2(&cpuid).ok()?;
    let mut sregs = vcpu.get_sregs().ok()?;
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    vcpu.set_sregs(&sregs).ok()?;
    let mut regs = vcpu.get_regs().ok()?;
    regs.rip = PROBE_CODE_AT;
    regs.rflags = 2;
    vcpu.set_regs(&regs).ok()?;
    // (MSR, exit reason) of every access that left KVM.
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    // Two exits per MSR at most, then the HLT.
    for _ in 0..=2 * ONE_WAY_CANDIDATES.len() {
        match vcpu.run().ok()? {
            VcpuExit::X86Rdmsr(e) => {
                reads.push((e.index, e.reason.bits()));
                *e.data = 0;
                *e.error = 0;
            }
            VcpuExit::X86Wrmsr(e) => {
                writes.push((e.index, e.reason.bits()));
                *e.error = 0;
            }
            VcpuExit::Hlt => {
                let exit = |list: &[(u32, u32)], index| {
                    list.iter().find(|&&(m, _)| m == index).map(|&(_, r)| r)
                };
                let unknown = Some(KVM_MSR_EXIT_REASON_UNKNOWN);
                let mut one_way: Vec<OneWayMsr> = ONE_WAY_CANDIDATES
                    .iter()
                    .filter_map(|&index| match (exit(&reads, index), exit(&writes, index)) {
                        (None, w) if w == unknown => Some(OneWayMsr {
                            index,
                            kvm_reads: true,
                        }),
                        (r, None) if r == unknown => Some(OneWayMsr {
                            index,
                            kvm_reads: false,
                        }),
                        _ => None,
                    })
                    .collect();
                one_way.sort_unstable_by_key(|m| m.index);
                return Some(one_way);
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_groups_cluster_per_direction() {
        let g = FilterGroups::new(&[
            (0x0, true, false),
            (0x10, true, true),
            (0x606, true, false),
            (0xc001_0010, true, false),
            (0x1b, false, true),
        ]);
        let ranges = g.ranges();
        // Reads: 0x0..0x606 in one range, AMD's in another; writes: one.
        assert_eq!(ranges.len(), 3);
        let r = &ranges[0];
        assert_eq!((r.flags, r.base), (MsrFilterRangeFlags::READ, 0));
        let denied = |r: &MsrFilterRange<'_>, m: u32| {
            let bit = (m - r.base) as usize;
            r.bitmap[bit / 8] & (1 << (bit % 8)) == 0
        };
        assert!(denied(r, 0x0) && denied(r, 0x10) && denied(r, 0x606));
        assert!(!denied(r, 0x1) && !denied(r, 0x1b), "the others allowed");
        assert!(r.msr_count >= 0x607);
        assert_eq!(ranges[1].base, 0xc001_0010);
        let w = &ranges[2];
        assert_eq!((w.flags, w.base), (MsrFilterRangeFlags::WRITE, 0x10));
        assert!(denied(w, 0x10) && denied(w, 0x1b) && !denied(w, 0x11));
    }

    #[test]
    fn a_filtered_one_way_msr_follows_the_unimplemented_policy() {
        static ONE_WAY: [OneWayMsr; 1] = [OneWayMsr {
            index: 0x1,
            kvm_reads: true,
        }];
        let policy = |unimplemented| MsrPolicy {
            unimplemented,
            one_way: &ONE_WAY,
            ..MsrPolicy::default()
        };
        let exit = policy(WHvMsrActionExit);
        assert_eq!(
            exit.action(0x1, false, KVM_MSR_EXIT_REASON_FILTER),
            MsrAction::Exit
        );
        assert_eq!(
            exit.action(0x1, true, KVM_MSR_EXIT_REASON_UNKNOWN),
            MsrAction::Exit
        );
        // Another MSR the filter denied (an action-list entry's default
        // direction) is not unimplemented.
        assert_eq!(
            exit.action(0x2, false, KVM_MSR_EXIT_REASON_FILTER),
            MsrAction::Fault
        );
        let ignore = policy(WHvMsrActionIgnoreWriteReadZero);
        assert_eq!(
            ignore.action(0x1, false, KVM_MSR_EXIT_REASON_FILTER),
            MsrAction::IgnoreWriteReadZero
        );
    }
}
