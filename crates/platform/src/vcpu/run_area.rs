//! [`RunArea`]: the one way into a vCPU's mapped `kvm_run`.
//!
//! `kvm_run` is shared three ways: KVM writes it during `KVM_RUN`, the VP's
//! thread reads and writes it between runs, and WHvCancelRunVirtualProcessor
//! stores `immediate_exit` from any thread at any time. Rust forbids a
//! reference to memory another thread writes, so nothing here ever makes a
//! reference to the whole structure (kvm-ioctls' `VcpuFd::get_kvm_run`,
//! `sync_regs_mut` and `run` do; the platform never calls them): every
//! accessor projects a raw pointer onto one field, and `immediate_exit` is
//! reached only as an [`AtomicU8`] through [`RunArea::immediate_exit`]
//! (the model is openvmm's `vm/kvm` `set_immediate_exit`). The header
//! fields next to it (`request_interrupt_window`, `exit_reason`, `cr8`, the
//! sync bits) are read and written by value through raw pointers, so no
//! reference ever covers the byte another thread stores.
//!
//! The exit payload is a C union; each accessor of a member checks
//! `exit_reason` in code and answers `None` when that member is not the
//! live one, so a union read can never look at the wrong member.

use std::mem::offset_of;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU8;

use kvm_bindings::{
    KVM_EXIT_DEBUG, KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_IO, KVM_EXIT_MEMORY_FAULT, KVM_EXIT_MMIO,
    KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR, kvm_debug_exit_arch, kvm_run, kvm_sync_regs,
};

/// `kvm_run.io` (`KVM_EXIT_IO`).
pub(crate) type IoExit = kvm_bindings::kvm_run__bindgen_ty_1__bindgen_ty_4;
/// `kvm_run.mmio` (`KVM_EXIT_MMIO`).
pub(crate) type MmioExit = kvm_bindings::kvm_run__bindgen_ty_1__bindgen_ty_6;
/// `kvm_run.internal` (`KVM_EXIT_INTERNAL_ERROR`).
pub(crate) type InternalExit = kvm_bindings::kvm_run__bindgen_ty_1__bindgen_ty_13;
/// `kvm_run.msr` (`KVM_EXIT_X86_RDMSR`, `KVM_EXIT_X86_WRMSR`).
pub(crate) type MsrExit = kvm_bindings::kvm_run__bindgen_ty_1__bindgen_ty_23;
/// `kvm_run.memory_fault` (`KVM_EXIT_MEMORY_FAULT`).
pub(crate) type MemoryFaultExit = kvm_bindings::kvm_run__bindgen_ty_1__bindgen_ty_27;

/// A vCPU's `kvm_run` mapping, used by the VP's thread; `immediate_exit`
/// is shared with every thread (atomically).
#[derive(Debug)]
pub(crate) struct RunArea {
    run: NonNull<kvm_run>,
    /// Bytes mapped from `run` (the I/O data lies past the structure).
    len: usize,
}

// SAFETY: the mapping may be used from any thread; the area is used by one
// thread at a time (its accessors take `&mut self` or read plain fields of
// memory no other thread writes), and the only cross-thread access, to
// `immediate_exit`, is atomic.
unsafe impl Send for RunArea {}

impl RunArea {
    /// The area at `run`, `len` bytes long.
    ///
    /// # Safety
    /// `run` must point to `len` bytes (at least `size_of::<kvm_run>()`),
    /// aligned for `kvm_run`, that stay mapped for as long as this value
    /// lives and that nothing else in this process accesses except through
    /// this value — or, for `immediate_exit`, atomically through the
    /// pointer [`RunArea::immediate_exit`] gives.
    pub(crate) unsafe fn new(run: NonNull<kvm_run>, len: usize) -> Self {
        Self { run, len }
    }

    fn ptr(&self) -> *mut kvm_run {
        self.run.as_ptr()
    }

    /// The field at `offset` (an `offset_of!(kvm_run, …)`), as a `T`: a
    /// projection without a reference and without an unsafe operation
    /// (the members of the exit union all start at the union's offset).
    fn field<T>(&self, offset: usize) -> *mut T {
        self.ptr().cast::<u8>().wrapping_add(offset).cast()
    }

    /// The exit union's member, as a `T`.
    fn payload<T>(&self) -> *mut T {
        self.field(offset_of!(kvm_run, __bindgen_anon_1))
    }

    /// `&kvm_run.immediate_exit`, as the atomic every thread stores
    /// through (never through a reference to the structure).
    pub(crate) fn immediate_exit(&self) -> *const AtomicU8 {
        // A projection inside the mapping (contract of `new`); AtomicU8 has
        // the size and alignment of u8.
        self.field(offset_of!(kvm_run, immediate_exit))
    }

    /// `kvm_run.exit_reason` of the last `KVM_RUN`.
    pub(crate) fn exit_reason(&self) -> u32 {
        // SAFETY: a plain read of one field of the mapping, which no other
        // thread writes (contract of `new`).
        unsafe { self.field::<u32>(offset_of!(kvm_run, exit_reason)).read() }
    }

    /// The sync area (`KVM_CAP_SYNC_REGS`): the registers KVM stored at the
    /// last exit and loads at the next entry for the classes marked dirty.
    pub(crate) fn sync(&mut self) -> &mut kvm_sync_regs {
        // SAFETY: `s.regs` lies inside the mapping, after the header that
        // holds `immediate_exit`: no other thread touches it, and `&mut
        // self` makes this the only reference until it ends.
        unsafe { &mut *self.field::<kvm_sync_regs>(offset_of!(kvm_run, s)) }
    }

    /// `kvm_run.kvm_valid_regs`: the sync classes KVM fills at an exit.
    pub(crate) fn valid_regs(&self) -> u64 {
        // SAFETY: as for `exit_reason`.
        unsafe {
            self.field::<u64>(offset_of!(kvm_run, kvm_valid_regs))
                .read()
        }
    }

    /// Sets `kvm_run.kvm_valid_regs`.
    pub(crate) fn set_valid_regs(&mut self, classes: u64) {
        // SAFETY: a plain write of one field only this thread accesses.
        unsafe {
            self.field::<u64>(offset_of!(kvm_run, kvm_valid_regs))
                .write(classes)
        }
    }

    /// Adds `classes` to `kvm_run.kvm_dirty_regs` (KVM loads them from the
    /// sync area at the next entry).
    pub(crate) fn mark_dirty(&mut self, classes: u64) {
        let field = self.dirty_regs();
        // SAFETY: a read of one field only this thread accesses.
        let dirty = unsafe { field.read() };
        // SAFETY: and a write of it.
        unsafe { field.write(dirty | classes) }
    }

    /// Clears `kvm_run.kvm_dirty_regs`.
    pub(crate) fn clear_dirty(&mut self) {
        // SAFETY: a plain write of one field only this thread accesses.
        unsafe { self.dirty_regs().write(0) }
    }

    fn dirty_regs(&self) -> *mut u64 {
        self.field(offset_of!(kvm_run, kvm_dirty_regs))
    }

    /// Sets `kvm_run.cr8`, which KVM loads into CR8 at entry without an
    /// in-kernel LAPIC.
    pub(crate) fn set_cr8(&mut self, cr8: u64) {
        // SAFETY: a plain write of one field only this thread accesses.
        unsafe { self.field::<u64>(offset_of!(kvm_run, cr8)).write(cr8) }
    }

    /// Sets `kvm_run.request_interrupt_window`.
    pub(crate) fn set_request_interrupt_window(&mut self, on: bool) {
        let field = self.field::<u8>(offset_of!(kvm_run, request_interrupt_window));
        // SAFETY: a plain write of one byte only this thread accesses (it
        // neighbours `immediate_exit`, but a byte write touches no other).
        unsafe { field.write(u8::from(on)) }
    }

    /// `kvm_run.io` after a `KVM_EXIT_IO`.
    pub(crate) fn io(&self) -> Option<IoExit> {
        if self.exit_reason() != KVM_EXIT_IO {
            return None;
        }
        // SAFETY: the exit reason was just checked: `io` is the union's
        // live member, plain data, read by value.
        Some(unsafe { self.payload::<IoExit>().read() })
    }

    /// The data of a `KVM_EXIT_IO`: `count` elements of `size` bytes at
    /// `data_offset` in the mapping; `None` for another exit, or when KVM's
    /// offset and size do not fit in the mapping.
    pub(crate) fn io_data_mut(&mut self) -> Option<&mut [u8]> {
        let io = self.io()?;
        let offset = usize::try_from(io.data_offset).ok()?;
        let n = usize::from(io.size).checked_mul(io.count as usize)?;
        if offset < size_of::<kvm_run>() || offset.checked_add(n)? > self.len {
            return None;
        }
        // SAFETY: `offset..offset + n` lies inside the mapping (checked)
        // and past the structure, so it overlaps no field another thread
        // touches; `&mut self` makes this the only reference to it.
        Some(unsafe { std::slice::from_raw_parts_mut(self.field::<u8>(offset), n) })
    }

    /// `kvm_run.mmio` after a `KVM_EXIT_MMIO`.
    pub(crate) fn mmio_mut(&mut self) -> Option<&mut MmioExit> {
        if self.exit_reason() != KVM_EXIT_MMIO {
            return None;
        }
        // SAFETY: the exit reason was just checked (`mmio` is live); the
        // member lies in the payload, after `immediate_exit`, and `&mut
        // self` makes this the only reference to it.
        Some(unsafe { &mut *self.payload::<MmioExit>() })
    }

    /// `kvm_run.msr` after a `KVM_EXIT_X86_RDMSR` or `KVM_EXIT_X86_WRMSR`.
    pub(crate) fn msr_mut(&mut self) -> Option<&mut MsrExit> {
        if !matches!(self.exit_reason(), KVM_EXIT_X86_RDMSR | KVM_EXIT_X86_WRMSR) {
            return None;
        }
        // SAFETY: as for `mmio_mut`, with `msr` the live member.
        Some(unsafe { &mut *self.payload::<MsrExit>() })
    }

    /// `kvm_run.internal` after a `KVM_EXIT_INTERNAL_ERROR`.
    pub(crate) fn internal(&self) -> Option<InternalExit> {
        if self.exit_reason() != KVM_EXIT_INTERNAL_ERROR {
            return None;
        }
        // SAFETY: checked: `internal` is live; plain data read by value.
        Some(unsafe { self.payload::<InternalExit>().read() })
    }

    /// `kvm_run.debug.arch` after a `KVM_EXIT_DEBUG`.
    pub(crate) fn debug(&self) -> Option<kvm_debug_exit_arch> {
        if self.exit_reason() != KVM_EXIT_DEBUG {
            return None;
        }
        // SAFETY: checked: `debug` is live; plain data read by value.
        Some(unsafe { self.payload::<kvm_debug_exit_arch>().read() })
    }

    /// `kvm_run.memory_fault` when the last `KVM_RUN` failed with
    /// `KVM_EXIT_MEMORY_FAULT` (the caller checks that it failed with
    /// `EFAULT` or `EHWPOISON`: for other errors the reason is stale).
    pub(crate) fn memory_fault(&self) -> Option<MemoryFaultExit> {
        if self.exit_reason() != KVM_EXIT_MEMORY_FAULT {
            return None;
        }
        // SAFETY: checked: `memory_fault` is live; plain data read by value.
        Some(unsafe { self.payload::<MemoryFaultExit>().read() })
    }

    /// Sets `exit_reason` (tests: a fake area has no KVM to set it).
    #[cfg(test)]
    pub(crate) fn set_exit_reason(&mut self, reason: u32) {
        // SAFETY: a plain write of one field only this thread accesses.
        unsafe {
            self.field::<u32>(offset_of!(kvm_run, exit_reason))
                .write(reason)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Pure pointer logic: these run under Miri (`cargo +nightly miri test
    //! -p winhv --lib miri_`), which checks that no accessor makes a
    //! reference another thread's atomic store would alias.

    use std::ptr::NonNull;
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    use kvm_bindings::{KVM_EXIT_HLT, KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_X86_RDMSR, kvm_run};

    use super::RunArea;

    /// A heap stand-in for a vCPU mapping: three pages, 8-byte aligned.
    /// Every area made from it shares one raw pointer (one provenance).
    pub(crate) struct FakeMapping(NonNull<[u64]>);

    impl FakeMapping {
        pub(crate) const LEN: usize = 3 * 4096;

        pub(crate) fn new() -> Self {
            let b = vec![0u64; Self::LEN / 8].into_boxed_slice();
            Self(NonNull::from(Box::leak(b)))
        }

        /// An area over this mapping.
        pub(crate) fn area(&self) -> RunArea {
            let run = self.0.cast::<kvm_run>();
            // SAFETY: the leaked slice is LEN bytes, 8-byte aligned (as
            // kvm_run needs), lives until this value is dropped (after the
            // test's last use of its areas), and is reached only through
            // areas made here.
            unsafe { RunArea::new(run, Self::LEN) }
        }
    }

    impl Drop for FakeMapping {
        fn drop(&mut self) {
            // SAFETY: the slice leaked in `new`, no longer used.
            drop(unsafe { Box::from_raw(self.0.as_ptr()) });
        }
    }

    /// A pointer that may cross threads (the test's stand-in for the
    /// VP's `CancelState`).
    struct Shared(*const AtomicU8);
    // SAFETY: it is only used for atomic stores into a mapping that
    // outlives the threads (scoped).
    unsafe impl Send for Shared {}
    // SAFETY: as above.
    unsafe impl Sync for Shared {}

    #[test]
    fn miri_union_members_answer_only_for_their_exit() {
        let m = FakeMapping::new();
        let mut a = m.area();
        a.set_exit_reason(KVM_EXIT_HLT);
        assert!(a.io().is_none());
        assert!(a.mmio_mut().is_none());
        assert!(a.msr_mut().is_none());
        assert!(a.internal().is_none());
        assert!(a.debug().is_none());
        assert!(a.memory_fault().is_none());
        a.set_exit_reason(KVM_EXIT_MMIO);
        a.mmio_mut().unwrap().data[0] = 7;
        assert_eq!(a.mmio_mut().unwrap().data[0], 7);
        assert!(a.io().is_none());
        a.set_exit_reason(KVM_EXIT_X86_RDMSR);
        a.msr_mut().unwrap().data = 5;
        assert!(a.mmio_mut().is_none());
    }

    #[test]
    fn miri_io_data_is_bounded_by_the_mapping() {
        let m = FakeMapping::new();
        let mut a = m.area();
        a.set_exit_reason(KVM_EXIT_IO);
        let set_io = |a: &mut RunArea, offset: u64, size: u8, count: u32| {
            let io = a.payload::<super::IoExit>();
            // SAFETY: test setup: the `io` member of this fake area.
            let io = unsafe { &mut *io };
            io.data_offset = offset;
            io.size = size;
            io.count = count;
        };
        set_io(&mut a, 4096, 4, 2);
        assert_eq!(a.io_data_mut().map(|d| d.len()), Some(8));
        a.io_data_mut().unwrap().copy_from_slice(&[1; 8]);
        set_io(&mut a, FakeMapping::LEN as u64 - 4, 4, 2);
        assert!(a.io_data_mut().is_none(), "past the mapping");
        set_io(&mut a, 8, 1, 1);
        assert!(a.io_data_mut().is_none(), "inside the structure");
        set_io(&mut a, u64::MAX, 1, 1);
        assert!(a.io_data_mut().is_none());
    }

    /// The VP's thread uses the sync area and the exit payload while
    /// another thread stores `immediate_exit`: no reference may cover it.
    #[test]
    fn miri_immediate_exit_is_shared_while_the_area_is_used() {
        let m = FakeMapping::new();
        let mut a = m.area();
        let ie = Shared(a.immediate_exit());
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let ie = &ie;
                let mut v = 0u8;
                while !stop.load(Ordering::Acquire) {
                    v ^= 1;
                    // SAFETY: the mapping outlives the scope.
                    unsafe { (*ie.0).store(v, Ordering::SeqCst) };
                    std::thread::yield_now();
                }
            });
            for i in 0..200u64 {
                a.sync().regs.rip = i;
                a.mark_dirty(1);
                a.set_request_interrupt_window(i % 2 == 0);
                a.set_cr8(i & 0xf);
                a.set_exit_reason(KVM_EXIT_MMIO);
                a.mmio_mut().unwrap().phys_addr = i;
                assert_eq!(a.sync().regs.rip, i);
                a.clear_dirty();
            }
            stop.store(true, Ordering::Release);
        });
        // SAFETY: the other thread is gone.
        let _ = unsafe { (*a.immediate_exit()).load(Ordering::SeqCst) };
    }
}
