//! [`VirtualProcessor`]: a handle to one VP of a safe partition. It holds
//! what the WHP-shaped functions look up on every call (the VP behind the
//! index) and the last exit context, which [`VirtualProcessor::run`] fills
//! in place and [`Exit`] borrows. Typed register access, the helpers that
//! finish an I/O, MMIO or MSR exit, and the cancel handle live here.

use winhv_defs::*;

use super::cancel::CancelHandle;
use super::emulate::{Bridge, Devices};
use super::exit::{Exit, ExitState};
use super::registers::{RegisterKind, RegisterValue};
use crate::Partition as RawPartition;
use crate::error::{Error, Result};
use crate::partition::VpRef;

/// One VP of a [`super::Partition`]. Each thread that runs or inspects a
/// VP makes its own handle ([`super::Partition::vp`]); a VP runs on one
/// thread at a time, and register calls from another thread while it runs
/// answer `WHV_E_INVALID_VP_STATE`.
///
/// ```
/// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
/// use winhv::safe::{Exit, GuestMemory, PartitionBuilder, Register, SegmentRegister};
/// use winhv::defs::*;
/// let partition = PartitionBuilder::new().processor_count(1).build()?;
/// let mem = GuestMemory::new(0x1000)?;
/// mem.write(0xff0, &[0xb0, 0x41, 0xe6, 0xe9, 0xf4])?; // mov al, 'A'; out 0xe9, al; hlt
/// partition.map(&mem, 0xffff_f000, WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute)?;
/// let mut vp = partition.create_vp(0)?;
/// assert_eq!(vp.get(SegmentRegister::Cs)?.selector, 0xf000);
/// match vp.run()? {
///     Exit::IoPort { port: 0xe9, is_write: true, data, .. } => assert_eq!(data, 0x41),
///     other => panic!("{other:?}"),
/// }
/// vp.complete_io_write()?;                       // RIP past the OUT
/// assert!(matches!(vp.run()?, Exit::Halt));
/// assert_eq!(vp.get(Register::Rip)?, 0xfff5);
/// # Ok::<(), winhv::Error>(())
/// ```
pub struct VirtualProcessor<'p> {
    partition: &'p RawPartition,
    vp: VpRef<'p>,
    exit: WHV_RUN_VP_EXIT_CONTEXT,
}

impl std::fmt::Debug for VirtualProcessor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualProcessor")
            .field("index", &self.vp.index())
            .finish()
    }
}

fn wrong_exit(what: &'static str) -> Error {
    Error::new(E_INVALIDARG, what)
}

/// RAX after an `IN` of `size` bytes read `value` (an 8- or 16-bit `IN`
/// keeps the rest of RAX; a 32-bit one zero-extends, as any 32-bit write).
fn merge_in(rax: u64, size: u8, value: u32) -> u64 {
    match size {
        1 => (rax & !0xff) | u64::from(value & 0xff),
        2 => (rax & !0xffff) | u64::from(value & 0xffff),
        _ => u64::from(value),
    }
}

impl<'p> VirtualProcessor<'p> {
    pub(crate) fn new(partition: &'p RawPartition, vp: VpRef<'p>) -> Self {
        Self {
            partition,
            vp,
            exit: WHV_RUN_VP_EXIT_CONTEXT::default(),
        }
    }

    /// A handle to VP `index` of a WHP-shaped partition, for code that
    /// mixes the two faces (`WHV_E_VP_DOES_NOT_EXIST` if it does not exist).
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::defs::*;
    /// use winhv::safe::{Register, VirtualProcessor};
    /// let p = winhv::Partition::create()?;
    /// p.set_property(WHvPartitionPropertyCodeProcessorCount, &1u32.to_le_bytes())?;
    /// p.setup()?;
    /// assert!(VirtualProcessor::from_raw(&p, 0).is_err());
    /// p.create_vp(0)?;
    /// let vp = VirtualProcessor::from_raw(&p, 0)?;
    /// assert_eq!(vp.get(Register::Rip)?, 0xfff0);
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn from_raw(partition: &'p RawPartition, index: u32) -> Result<Self> {
        Ok(Self::new(partition, partition.vp_ref(index)?))
    }

    /// The VP's index.
    pub fn index(&self) -> u32 {
        self.vp.index()
    }

    /// The WHP-shaped partition this VP belongs to.
    pub(crate) fn raw_partition(&self) -> &'p RawPartition {
        self.partition
    }

    /// WHvRunVirtualProcessor: runs the VP until an exit the VMM must see.
    /// The [`Exit`] borrows the context this handle keeps; the VP state of
    /// the exit stays readable afterwards ([`Self::exit_state`]).
    pub fn run(&mut self) -> Result<Exit<'_>> {
        self.partition.run_vp_ref(self.vp, &mut self.exit)?;
        Ok(Exit::from_context(&self.exit))
    }

    /// Runs the VP, answering its I/O and MMIO exits through `devices`
    /// (simple `IN`/`OUT` with the completions, string I/O and MMIO reads
    /// and writes through the emulator), until an exit the VMM must see
    /// itself (HLT, MSR, cancel, an instruction fetch from unmapped memory,
    /// …), which it returns. An instruction the emulator cannot run ends
    /// the call with its error (`E_FAIL`, the emulator's status in the
    /// context), the VP at that instruction.
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::safe::{Devices, Exit, GuestMemory, PartitionBuilder};
    /// use winhv::defs::*;
    /// struct Console(Vec<u8>);
    /// impl Devices for Console {
    ///     fn io_write(&mut self, port: u16, data: &[u8]) {
    ///         if port == 0xe9 {
    ///             self.0.extend_from_slice(data);
    ///         }
    ///     }
    /// }
    /// let partition = PartitionBuilder::new().processor_count(1).build()?;
    /// let ram = GuestMemory::new(0x1000)?;
    /// // mov al, 'h'; out 0xe9, al; mov al, 'i'; out 0xe9, al; hlt
    /// ram.write(0xff0, &[0xb0, b'h', 0xe6, 0xe9, 0xb0, b'i', 0xe6, 0xe9, 0xf4])?;
    /// partition.map(&ram, 0xffff_f000, WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute)?;
    /// let mut vp = partition.create_vp(0)?;
    /// let mut console = Console(Vec::new());
    /// assert!(matches!(vp.run_devices(&mut console)?, Exit::Halt));
    /// assert_eq!(console.0, b"hi");
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn run_devices<D: Devices + ?Sized>(&mut self, devices: &mut D) -> Result<Exit<'_>> {
        loop {
            self.partition.run_vp_ref(self.vp, &mut self.exit)?;
            match Exit::from_context(&self.exit) {
                Exit::IoPort {
                    string: false,
                    is_write,
                    port,
                    size,
                    data,
                    ..
                } => {
                    let n = usize::from(size).min(4);
                    if is_write {
                        devices.io_write(port, &data.to_le_bytes()[..n]);
                        self.complete_io_write()?;
                    } else {
                        let mut b = [0u8; 4];
                        devices.io_read(port, &mut b[..n]);
                        self.complete_io_read(u32::from_le_bytes(b))?;
                    }
                }
                Exit::IoPort { string: true, .. } => self.emulate_io(devices)?,
                Exit::Mmio { access, .. }
                    if access == WHvMemoryAccessRead || access == WHvMemoryAccessWrite =>
                {
                    self.emulate_mmio(devices)?
                }
                _ => break,
            }
        }
        Ok(Exit::from_context(&self.exit))
    }

    /// The last exit again (`Exit::Other(None)` before the first run).
    pub fn last_exit(&self) -> Exit<'_> {
        Exit::from_context(&self.exit)
    }

    /// The VP state the last exit reported (RIP, CS, mode, instruction
    /// length, …).
    pub fn exit_state(&self) -> ExitState {
        ExitState::from(&self.exit.VpContext)
    }

    /// The raw `WHV_RUN_VP_EXIT_CONTEXT` of the last exit.
    pub fn exit_context(&self) -> &WHV_RUN_VP_EXIT_CONTEXT {
        &self.exit
    }

    /// A handle that cancels this VP's runs from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            vp: self.vp.weak(),
            index: self.vp.index(),
        }
    }

    /// One register, typed: `vp.get(Register::Rip)` is a `u64`,
    /// `vp.get(SegmentRegister::Cs)` a [`super::Segment`].
    pub fn get<R: RegisterKind>(&self, register: R) -> Result<R::Value> {
        let [v] = self.get_many([register])?;
        Ok(v)
    }

    /// Sets one register.
    pub fn set<R: RegisterKind>(&self, register: R, value: R::Value) -> Result<()> {
        self.set_many([(register, value)])
    }

    /// Several registers of one kind in one call.
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::safe::{PartitionBuilder, Register::*};
    /// let partition = PartitionBuilder::new().processor_count(1).build()?;
    /// let vp = partition.create_vp(0)?;
    /// vp.set_many([(Rax, 1), (Rbx, 2)])?;
    /// assert_eq!(vp.get_many([Rax, Rbx, Rip])?, [1, 2, 0xfff0]);
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn get_many<R: RegisterKind, const N: usize>(
        &self,
        registers: [R; N],
    ) -> Result<[R::Value; N]> {
        // Loops rather than `array::map`, which the optimiser leaves as
        // calls per element (measured: 500 instructions per 16-GPR get+set).
        let mut names = [WHV_REGISTER_NAME(0); N];
        for (n, r) in names.iter_mut().zip(&registers) {
            *n = r.name();
        }
        let vp = self.vp.get()?;
        let mut out = [R::Value::default(); N];
        if R::PLAIN_U64 {
            // 64-bit registers: no 16-byte unions on the way.
            let mut plain = [0u64; N];
            vp.get_u64s(&names, &mut plain)?;
            for (o, &x) in out.iter_mut().zip(&plain) {
                *o = R::from_u64(x);
            }
            return Ok(out);
        }
        let mut values = [WHV_REGISTER_VALUE::default(); N];
        vp.get_registers(&names, &mut values)?;
        for (o, v) in out.iter_mut().zip(&values) {
            *o = R::decode(v);
        }
        Ok(out)
    }

    /// Sets several registers of one kind in one call, all or none.
    pub fn set_many<R: RegisterKind, const N: usize>(
        &self,
        registers: [(R, R::Value); N],
    ) -> Result<()> {
        let vp = self.vp.get()?;
        let mut names = [WHV_REGISTER_NAME(0); N];
        if R::PLAIN_U64 {
            let mut plain = [0u64; N];
            for ((n, p), (r, x)) in names.iter_mut().zip(plain.iter_mut()).zip(&registers) {
                *n = r.name();
                *p = R::to_u64(*x);
            }
            return vp.set_u64s(&names, &plain);
        }
        let mut values = [WHV_REGISTER_VALUE::default(); N];
        for ((n, v), (r, x)) in names.iter_mut().zip(values.iter_mut()).zip(&registers) {
            *n = r.name();
            *v = R::encode(*x);
        }
        vp.set_registers(&names, &values)
    }

    /// Sets registers of mixed kinds in one call, all or none (an entry
    /// state: control registers, segments, tables, GPRs).
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// use winhv::safe::*;
    /// let partition = PartitionBuilder::new().processor_count(1).build()?;
    /// let vp = partition.create_vp(0)?;
    /// vp.set_values(&[
    ///     RegisterValue::Table(TableRegister::Gdtr, Table { base: 0x1000, limit: 0x27 }),
    ///     RegisterValue::Segment(SegmentRegister::Ds, Segment::data32(0x10)),
    ///     RegisterValue::U64(Register::Rip, 0x7c00),
    /// ])?;
    /// assert_eq!(vp.get(SegmentRegister::Ds)?.selector, 0x10);
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn set_values(&self, values: &[RegisterValue]) -> Result<()> {
        let (names, values): (Vec<_>, Vec<_>) = values.iter().map(|v| v.to_whp()).unzip();
        self.vp.get()?.set_registers(&names, &values)
    }

    /// WHvGetVirtualProcessorRegisters with raw names and values, for a
    /// mixed batch or a register without a typed name.
    pub fn get_raw(
        &self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> Result<()> {
        self.vp.get()?.get_registers(names, values)
    }

    /// WHvSetVirtualProcessorRegisters with raw names and values.
    pub fn set_raw(
        &self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> Result<()> {
        self.vp.get()?.set_registers(names, values)
    }

    /// RIP past the instruction of the last exit (its reported length):
    /// for an `OUT`, a `WRMSR` the VMM handled, a `CPUID`.
    /// `E_INVALIDARG` when the exit reported no length.
    pub fn skip_instruction(&self) -> Result<()> {
        let len = self.exit.VpContext.instruction_length();
        if len == 0 {
            return Err(wrong_exit("the last exit reported no instruction length"));
        }
        let rip = self.exit.VpContext.Rip.wrapping_add(u64::from(len));
        self.set(super::Register::Rip, rip)
    }

    /// Asks for (or stops asking for) an [`Exit::InterruptWindow`] when
    /// the guest can next take an external interrupt
    /// (`WHvX64RegisterDeliverabilityNotifications`' InterruptNotification;
    /// the other notification bits are kept).
    pub fn request_interrupt_window(&self, on: bool) -> Result<()> {
        let mut n = WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER {
            AsUINT64: self.get(super::Register::DeliverabilityNotifications)?,
        };
        n.set_interrupt_notification(u64::from(on));
        self.set(super::Register::DeliverabilityNotifications, n.AsUINT64)
    }

    /// Injects exception `vector` (with `error_code` for the exceptions
    /// that push one) at the next run (`WHvRegisterPendingInterruption`).
    /// A vector above 31 answers `E_INVALIDARG`.
    pub fn inject_exception(&self, vector: u8, error_code: Option<u32>) -> Result<()> {
        if vector > 31 {
            return Err(Error::with(
                E_INVALIDARG,
                format!("exception vector {vector} is above 31"),
            ));
        }
        let mut p = WHV_X64_PENDING_INTERRUPTION_REGISTER::default();
        p.set_interruption_pending(1);
        p.set_interruption_type(WHvX64PendingException.0 as u64);
        p.set_interruption_vector(u64::from(vector));
        if let Some(code) = error_code {
            p.set_deliver_error_code(1);
            p.set_error_code(u64::from(code));
        }
        self.set(super::Register::PendingInterruption, p.AsUINT64)
    }

    /// Injects external interrupt `vector` at the next run, which the
    /// guest must be able to take (see
    /// [`Self::request_interrupt_window`]); with LAPIC emulation, prefer
    /// [`super::Partition::request_interrupt`].
    pub fn inject_interrupt(&self, vector: u8) -> Result<()> {
        let mut p = WHV_X64_PENDING_INTERRUPTION_REGISTER::default();
        p.set_interruption_pending(1);
        p.set_interruption_type(WHvX64PendingInterrupt.0 as u64);
        p.set_interruption_vector(u64::from(vector));
        self.set(super::Register::PendingInterruption, p.AsUINT64)
    }

    /// The last exit's I/O context, if it was a simple (non-string) access
    /// in direction `write`, and its size. Reads the payload directly: the
    /// completions are on the exit path.
    fn simple_io(&self, write: bool) -> Result<(&WHV_X64_IO_PORT_ACCESS_CONTEXT, u8)> {
        let Some(io) = super::exit::io_payload(&self.exit) else {
            return Err(wrong_exit("the last exit was not an I/O exit"));
        };
        let info = io.AccessInfo;
        if info.string_op() != 0 {
            return Err(wrong_exit(
                "a string I/O instruction: complete it with emulate_io",
            ));
        }
        if (info.is_write() != 0) != write {
            return Err(wrong_exit(if write {
                "the last exit was not an OUT"
            } else {
                "the last exit was not an IN"
            }));
        }
        Ok((io, info.access_size() as u8))
    }

    /// Finishes the `IN` of the last exit with `value`: RAX gets it (the
    /// access's size of it) and RIP moves past the instruction, in one
    /// register call. `E_INVALIDARG` if the last exit was not a simple
    /// `IN`.
    pub fn complete_io_read(&self, value: u32) -> Result<()> {
        let (io, size) = self.simple_io(false)?;
        let len = self.exit.VpContext.instruction_length();
        if len == 0 {
            return Err(wrong_exit("the I/O exit reported no instruction length"));
        }
        let rax = merge_in(io.Rax, size, value);
        let rip = self.exit.VpContext.Rip.wrapping_add(u64::from(len));
        self.set_many([(super::Register::Rax, rax), (super::Register::Rip, rip)])
    }

    /// Finishes the `OUT` of the last exit (the VMM has taken its data):
    /// RIP moves past it. `E_INVALIDARG` if the last exit was not a
    /// simple `OUT`.
    pub fn complete_io_write(&self) -> Result<()> {
        self.simple_io(true)?;
        self.skip_instruction()
    }

    /// Finishes the `RDMSR` of the last exit with `value` (EDX:EAX) and
    /// moves RIP past it.
    pub fn complete_msr_read(&self, value: u64) -> Result<()> {
        match Exit::from_context(&self.exit) {
            Exit::MsrAccess {
                is_write: false, ..
            } => {}
            _ => return Err(wrong_exit("the last exit was not an RDMSR")),
        }
        let rip = self.exit.VpContext.Rip.wrapping_add(2);
        self.set_many([
            (super::Register::Rax, value & 0xffff_ffff),
            (super::Register::Rdx, value >> 32),
            (super::Register::Rip, rip),
        ])
    }

    /// Finishes the MMIO read of the last memory exit with `value` (its
    /// low bytes, as many as the instruction reads): the emulator runs
    /// the instruction with `value` as what the device answered and
    /// moves RIP past it. For a device that needs each access's address
    /// and size, or for writes, use [`Self::emulate_mmio`].
    pub fn complete_mmio_read(&self, value: u64) -> Result<()> {
        struct Answer(u64);
        impl Devices for Answer {
            fn mmio_read(&mut self, _gpa: u64, data: &mut [u8]) {
                let n = data.len().min(8);
                data[..n].copy_from_slice(&self.0.to_le_bytes()[..n]);
            }
        }
        match Exit::from_context(&self.exit) {
            Exit::Mmio {
                is_write: false,
                access,
                ..
            } if access == WHvMemoryAccessRead => self.emulate_mmio(&mut Answer(value)),
            _ => Err(wrong_exit("the last exit was not an MMIO read")),
        }
    }

    /// Runs the emulator (winhv-emu) on the I/O instruction of the last
    /// exit — any form, `INS`/`OUTS` with `REP` included — against
    /// `devices`; its effects on registers and guest memory are applied.
    /// `E_INVALIDARG` if the last exit was not an I/O exit; `E_FAIL`
    /// (with the emulator's status) if the emulator could not run it.
    pub fn emulate_io<D: Devices + ?Sized>(&self, devices: &mut D) -> Result<()> {
        let Exit::IoPort { context, .. } = Exit::from_context(&self.exit) else {
            return Err(wrong_exit("the last exit was not an I/O exit"));
        };
        let mut bridge = self.bridge(devices);
        let status = winhv_emu::Emulator::new()
            .try_io_emulation(&mut bridge, &self.exit.VpContext, context)
            .map_err(|hr| Error::with(hr, "WHvEmulatorTryIoEmulation"))?;
        emulated(status)
    }

    /// Runs the emulator on the instruction behind the last memory exit
    /// against `devices` (MMIO), applying its effects. `E_INVALIDARG` if
    /// the last exit was not a memory exit; `E_FAIL` (with the emulator's
    /// status) if the emulator could not run it.
    pub fn emulate_mmio<D: Devices + ?Sized>(&self, devices: &mut D) -> Result<()> {
        let Exit::Mmio { context, .. } = Exit::from_context(&self.exit) else {
            return Err(wrong_exit("the last exit was not a memory exit"));
        };
        let mut bridge = self.bridge(devices);
        let status = winhv_emu::Emulator::new()
            .try_mmio_emulation(&mut bridge, &self.exit.VpContext, context)
            .map_err(|hr| Error::with(hr, "WHvEmulatorTryMmioEmulation"))?;
        emulated(status)
    }

    fn bridge<'a, D: Devices + ?Sized>(&'a self, devices: &'a mut D) -> Bridge<'a, D> {
        Bridge {
            partition: self.partition,
            vp: self.vp,
            devices,
        }
    }

    /// WHvTranslateGva: the guest-physical address of `gva` as this VP's
    /// paging sees it, or the walk's failure code.
    pub fn translate_gva(
        &self,
        gva: u64,
        flags: WHV_TRANSLATE_GVA_FLAGS,
    ) -> Result<std::result::Result<u64, WHV_TRANSLATE_GVA_RESULT_CODE>> {
        let (r, gpa) = self.partition.translate_gva(self.index(), gva, flags)?;
        Ok(if r.ResultCode == WHvTranslateGvaResultSuccess {
            Ok(gpa)
        } else {
            Err(r.ResultCode)
        })
    }

    /// WHvGetVirtualProcessorCpuidOutput: what the guest's `CPUID` answers
    /// for `leaf`/`subleaf` now.
    pub fn cpuid(&self, leaf: u32, subleaf: u32) -> Result<WHV_CPUID_OUTPUT> {
        self.partition
            .get_vp_cpuid_output(self.index(), leaf, subleaf)
    }
}

fn emulated(status: WHV_EMULATOR_STATUS) -> Result<()> {
    if status.emulation_successful() != 0 {
        Ok(())
    } else {
        Err(Error::with(
            E_FAIL,
            format!(
                "the emulator could not run the instruction (status {:#x})",
                status.AsUINT32
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::merge_in;

    #[test]
    fn in_keeps_the_rest_of_rax_except_for_32_bits() {
        let rax = 0x1122_3344_5566_7788;
        assert_eq!(merge_in(rax, 1, 0xabcd), 0x1122_3344_5566_77cd);
        assert_eq!(merge_in(rax, 2, 0x1_abcd), 0x1122_3344_5566_abcd);
        assert_eq!(merge_in(rax, 4, 0xdead_beef), 0xdead_beef);
    }
}
