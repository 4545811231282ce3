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

mod run_area;

use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU8;

use kvm_ioctls::VcpuFd;

pub(crate) use run_area::RunArea;
#[cfg(test)]
pub(crate) use run_area::tests::FakeMapping;

/// `KVM_RUN`: `_IO(KVMIO, 0x80)`.
const KVM_RUN: libc::c_ulong = 0xae80;

/// A KVM vCPU and its `kvm_run`.
#[derive(Debug)]
pub(crate) struct Vcpu {
    fd: VcpuFd,
    area: RunArea,
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
        Self { fd, area }
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
}
