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
//! * At such an exit, [`MsrPolicy::action`] says whether the VMM sees it
//!   (WHvRunVpExitReasonX64MsrAccess) or the platform completes it itself
//!   (IgnoreWriteReadZero: reads give 0, writes are dropped).

use kvm_bindings::{
    KVM_MSR_EXIT_REASON_FILTER, KVM_MSR_EXIT_REASON_INVAL, KVM_MSR_EXIT_REASON_UNKNOWN,
    kvm_enable_cap,
};
use kvm_ioctls::{MsrFilterDefaultAction, MsrFilterRange, MsrFilterRangeFlags, VmFd};
use winhv_defs::*;

use crate::error::{Error, Result};
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
        Self {
            msr_exit,
            bitmap,
            actions: props.msr_actions().to_vec(),
            unimplemented: props.unimplemented_msr_action(),
        }
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
        if reason & (KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL) != 0 {
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
        let unknown_leaves = self.msr_exit || self.unimplemented != WHvMsrActionArchitectureDefault;
        let mut filtered: Vec<(u32, bool, bool)> = self.bitmap.clone();
        for e in &self.actions {
            let r = WHV_MSR_ACTION(i32::from(e.ReadAction)) != WHvMsrActionArchitectureDefault;
            let w = WHV_MSR_ACTION(i32::from(e.WriteAction)) != WHvMsrActionArchitectureDefault;
            if r || w {
                filtered.push((e.Index, r, w));
            }
        }
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
        if filtered.len() > kvm_bindings::KVM_MSR_FILTER_MAX_RANGES as usize {
            return Err(Error::new(
                E_INVALIDARG,
                "more MSRs to intercept than KVM's MSR filter holds (16)",
            ));
        }
        // One deny bit per MSR; a clear bit denies.
        let deny = [0u8; 1];
        let ranges: Vec<MsrFilterRange<'_>> = filtered
            .iter()
            .map(|&(msr, r, w)| {
                let mut flags = MsrFilterRangeFlags::empty();
                if r {
                    flags |= MsrFilterRangeFlags::READ;
                }
                if w {
                    flags |= MsrFilterRangeFlags::WRITE;
                }
                MsrFilterRange {
                    flags,
                    base: msr,
                    msr_count: 1,
                    bitmap: &deny,
                }
            })
            .collect();
        if caps.msr_filter {
            vm.set_msr_filter(MsrFilterDefaultAction::ALLOW, &ranges)
                .map_err(|e| Error::from_errno("KVM_X86_SET_MSR_FILTER", e.errno()))?;
        }
        Ok(())
    }
}
