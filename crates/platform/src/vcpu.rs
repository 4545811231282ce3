//! [`Vcpu`]: one KVM vCPU — its file descriptor and its mapped `kvm_run`,
//! with one owner.
//!
//! kvm-ioctls' `VcpuFd` owns the fd and the mapping; its `kvm_run`
//! methods (`run`, `get_kvm_run`, `sync_regs(_mut)`, `set_sync_*`) make
//! references to the whole structure, which another thread's cancel
//! (a store to `immediate_exit`) would alias. A `Vcpu` therefore lends the
//! `VcpuFd` out only as `&VcpuFd`, through which none of those `&mut self`
//! methods can be called (the ioctls that remain take `&self`, and
//! `sync_regs(&self)` is not used), and reaches `kvm_run` only through its
//! [`RunArea`]; `KVM_RUN` is issued here.
//!
//! It also keeps the signal mask KVM applies during `KVM_RUN`
//! (`KVM_SET_SIGNAL_MASK`), which `cancel` sets so that the kick signal
//! is deliverable inside `KVM_RUN` whatever the calling thread blocks.

mod run_area;

use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU8;

use kvm_ioctls::VcpuFd;

pub(crate) use run_area::RunArea;
#[cfg(test)]
pub(crate) use run_area::tests::FakeMapping;

use crate::error::{Error, Result};

/// `KVM_RUN`: `_IO(KVMIO, 0x80)`.
const KVM_RUN: libc::c_ulong = 0xae80;
/// `KVM_SET_SIGNAL_MASK`: `_IOW(KVMIO, 0x8b, struct kvm_signal_mask)`, the
/// struct being 4 bytes (`len`) before its flexible `sigset`.
const KVM_SET_SIGNAL_MASK: libc::c_ulong = 0x4004_ae8b;

/// `struct kvm_signal_mask` with the kernel's 8-byte sigset.
#[repr(C)]
struct KvmSignalMask {
    len: u32,
    sigset: [u8; 8],
}

/// A KVM vCPU and its `kvm_run`.
#[derive(Debug)]
pub(crate) struct Vcpu {
    fd: VcpuFd,
    area: RunArea,
    /// The mask `KVM_SET_SIGNAL_MASK` last set (kernel sigset bits), or
    /// `None`: the thread's own mask applies during `KVM_RUN`.
    signal_mask: Option<u64>,
    /// The kernel id of the thread that mask was made for (0: none).
    signal_mask_thread: u64,
}

impl Vcpu {
    /// Takes over `fd`, whose `kvm_run` mapping is `mmap_size` bytes
    /// (`KVM_GET_VCPU_MMAP_SIZE`).
    pub(crate) fn new(mut fd: VcpuFd, mmap_size: usize) -> Self {
        // The one use of get_kvm_run: the reference ends at once, and from
        // here on the mapping is reached only through the area.
        let run = NonNull::from(fd.get_kvm_run());
        let len = mmap_size.max(size_of::<kvm_bindings::kvm_run>());
        // SAFETY: `fd` mapped `mmap_size` bytes at `run` (page aligned) and
        // keeps them mapped until it is dropped, which happens with this
        // Vcpu; `fd`'s kvm_run methods need `&mut VcpuFd`, which this type
        // never lends out.
        let area = unsafe { RunArea::new(run, len) };
        Self {
            fd,
            area,
            signal_mask: None,
            signal_mask_thread: 0,
        }
    }

    /// [`Vcpu::new`] with the mapping size asked of `/dev/kvm` (tests that
    /// make their own vCPU).
    #[cfg(test)]
    pub(crate) fn for_test(fd: VcpuFd) -> Self {
        let size = kvm_ioctls::Kvm::new()
            .and_then(|k| k.get_vcpu_mmap_size())
            .unwrap_or(3 * 4096);
        Self::new(fd, size)
    }

    /// The vCPU's ioctls (registers, MSRs, …), none of which touches
    /// `kvm_run`.
    pub(crate) fn fd(&self) -> &VcpuFd {
        &self.fd
    }

    /// The vCPU's `kvm_run`.
    pub(crate) fn area(&mut self) -> &mut RunArea {
        &mut self.area
    }

    /// The sync area (shorthand for `area().sync()`).
    pub(crate) fn sync(&mut self) -> &mut kvm_bindings::kvm_sync_regs {
        self.area.sync()
    }

    /// Marks sync classes (`KVM_SYNC_X86_*`) for KVM to load at entry.
    pub(crate) fn mark_dirty(&mut self, classes: u32) {
        self.area.mark_dirty(u64::from(classes));
    }

    /// `&kvm_run.immediate_exit`, for the VP's `CancelState`: valid for as
    /// long as this Vcpu, and to be accessed only atomically.
    pub(crate) fn immediate_exit(&self) -> *const AtomicU8 {
        self.area.immediate_exit()
    }

    /// `KVM_RUN`: `Ok` when KVM returned an exit (read it from
    /// [`Vcpu::area`]), else the errno.
    pub(crate) fn run(&mut self) -> std::result::Result<(), i32> {
        // SAFETY: KVM_RUN on our vCPU fd, with no argument. No reference to
        // kvm_run is live (the area hands out none beyond `&mut self`
        // borrows, which have ended), so KVM's writes alias nothing.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), KVM_RUN, 0) };
        if r < 0 {
            Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO))
        } else {
            Ok(())
        }
    }

    /// The kernel id of the thread [`Vcpu::set_signal_mask`] was last
    /// called for (0: never).
    pub(crate) fn signal_mask_thread(&self) -> u64 {
        self.signal_mask_thread
    }

    /// Makes `mask` (kernel sigset bits), made for thread `thread`, the
    /// signal mask during `KVM_RUN`; no ioctl when it already is.
    pub(crate) fn set_signal_mask(&mut self, mask: u64, thread: u64) -> Result<()> {
        if Some(mask) != self.signal_mask {
            let arg = KvmSignalMask {
                len: 8,
                sigset: mask.to_le_bytes(),
            };
            // SAFETY: KVM_SET_SIGNAL_MASK on our vCPU fd with a valid
            // kvm_signal_mask (len 8 and 8 bytes of set); KVM copies it.
            let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), KVM_SET_SIGNAL_MASK, &arg) };
            if r < 0 {
                let errno = std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO);
                return Err(Error::from_errno("KVM_SET_SIGNAL_MASK", errno));
            }
            self.signal_mask = Some(mask);
        }
        self.signal_mask_thread = thread;
        Ok(())
    }
}
