//! KVM's dirty log for the ranges that track dirty pages: fetching it
//! (`KVM_GET_DIRTY_LOG`) and, where the kernel offers manual clearing
//! (`KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2`), clearing exactly the pages a
//! query hands to the caller (`KVM_CLEAR_DIRTY_LOG`).
//!
//! Without manual clearing, fetching a slot's log clears and re-protects
//! the whole slot, so a query that covers part of a range must keep the
//! rest's bits itself (`Range::dirty`). With it, KVM keeps every bit until
//! it is cleared: a query takes only its own pages, the bits of the rest
//! stay in KVM, and a query of a whole range writes KVM's log straight into
//! the caller's bitmap and clears from that same bitmap (no copy, no merge).
//! A write between the fetch and the clear hits a page that is reported by
//! this query anyway (its contents are read after the query returns).
//!
//! KVM_DIRTY_LOG_INITIALLY_SET is not used: it saves write-protecting a
//! slot's pages when logging starts on a slot whose pages are already
//! mapped, but every tracked slot here is created with logging on, before
//! the guest maps any page of it (nothing to protect), and Windows reports
//! a new range as clean, which an all-set start would have to undo with a
//! clear of the whole slot.

use kvm_bindings::{
    KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, kvm_clear_dirty_log,
    kvm_clear_dirty_log__bindgen_ty_1, kvm_dirty_log, kvm_dirty_log__bindgen_ty_1, kvm_enable_cap,
};
use kvm_ioctls::{Kvm, VmFd};
use vmm_sys_util::ioctl::ioctl_with_ref;
use vmm_sys_util::ioctl_iow_nr;
use vmm_sys_util::ioctl_iowr_nr;

use crate::error::{Error, Result};

ioctl_iow_nr!(KVM_GET_DIRTY_LOG, kvm_bindings::KVMIO, 0x42, kvm_dirty_log);
ioctl_iowr_nr!(
    KVM_CLEAR_DIRTY_LOG,
    kvm_bindings::KVMIO,
    0xc0,
    kvm_clear_dirty_log
);

/// Turns manual clearing on for `vm` where the kernel offers it; returns
/// whether it is on. Must be called before the VM has a memory slot.
pub(crate) fn enable_manual_clear(kvm: &Kvm, vm: &VmFd) -> bool {
    let offered = kvm.check_extension_raw(u64::from(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
    if offered < 0 || (offered as u64) & u64::from(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) == 0 {
        return false;
    }
    let mut cap = kvm_enable_cap {
        cap: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
        ..Default::default()
    };
    cap.args[0] = u64::from(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
    vm.enable_cap(&cap).is_ok()
}

/// `KVM_GET_DIRTY_LOG` of `slot` into `buffer`, one bit per page of the
/// slot (KVM writes whole words: bits past the slot's last page read 0).
/// Without manual clearing KVM clears the slot's log; with it, nothing.
pub(crate) fn get(vm: &VmFd, slot: u32, buffer: &mut [u64], pages: u64) -> Result<()> {
    if (buffer.len() as u64) < pages.div_ceil(64) {
        return Err(Error::new(
            winhv_defs::E_UNEXPECTED,
            "dirty log buffer too small",
        ));
    }
    let log = kvm_dirty_log {
        slot,
        padding1: 0,
        __bindgen_anon_1: kvm_dirty_log__bindgen_ty_1 {
            dirty_bitmap: buffer.as_mut_ptr().cast(),
        },
    };
    // SAFETY: `vm` is a VM fd and `log` names one of its slots with a buffer
    // of at least one bit per page of that slot (checked above), which KVM
    // writes and does not keep.
    let ret = unsafe { ioctl_with_ref(vm, KVM_GET_DIRTY_LOG(), &log) };
    if ret != 0 {
        return Err(Error::from_errno("KVM_GET_DIRTY_LOG", errno()));
    }
    Ok(())
}

/// `KVM_CLEAR_DIRTY_LOG`: clears (and write-protects again) the pages of
/// `slot` whose bits are set in `bits`, which holds the bits of pages
/// `64 * first_word ..` of the slot, up to `slot_pages`.
pub(crate) fn clear(
    vm: &VmFd,
    slot: u32,
    slot_pages: u64,
    first_word: usize,
    bits: &[u64],
) -> Result<()> {
    let first_page = first_word as u64 * 64;
    // KVM wants whole words of pages, except at the end of the slot.
    let num_pages = (bits.len() as u64 * 64).min(slot_pages.saturating_sub(first_page));
    if num_pages == 0 {
        return Ok(());
    }
    let log = kvm_clear_dirty_log {
        slot,
        // A slot has fewer than 2^31 pages (KVM_MEM_MAX_NR_PAGES).
        num_pages: u32::try_from(num_pages)
            .map_err(|_| Error::new(winhv_defs::E_UNEXPECTED, "slot larger than KVM allows"))?,
        first_page,
        __bindgen_anon_1: kvm_clear_dirty_log__bindgen_ty_1 {
            dirty_bitmap: bits.as_ptr().cast_mut().cast(),
        },
    };
    // SAFETY: `vm` is a VM fd; `log` names one of its slots and a bitmap of
    // `num_pages` bits (≤ 64 × `bits.len()`), which KVM only reads.
    let ret = unsafe { ioctl_with_ref(vm, KVM_CLEAR_DIRTY_LOG(), &log) };
    if ret != 0 {
        return Err(Error::from_errno("KVM_CLEAR_DIRTY_LOG", errno()));
    }
    Ok(())
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
