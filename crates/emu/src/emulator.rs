//! [`Emulator`]: `WHvEmulatorTryIoEmulation` and
//! `WHvEmulatorTryMmioEmulation` — one instruction, from exit context to
//! committed registers, and the `WHV_EMULATOR_STATUS` that says how it went.

use crate::callbacks::Callbacks;
use crate::cpu::Cpu;
use crate::exec::{self, Flow, IoExit, described, fast_io, simple_io};
use crate::status::{Step, Stop, bits, status};
use winhv_defs::{
    E_INVALIDARG, HRESULT, WHV_EMULATOR_STATUS, WHV_MEMORY_ACCESS_CONTEXT, WHV_VP_EXIT_CONTEXT,
    WHV_X64_IO_PORT_ACCESS_CONTEXT, WHvMemoryAccessWrite,
};

/// The most iterations of a `rep` string instruction one emulation runs;
/// past it RIP stays on the instruction (RCX/RSI/RDI show the progress) and
/// the guest's next run continues it, as after an interrupt. Microsoft
/// documents that its emulator repeats until the REP condition is met; we
/// bound one call so that a guest-chosen RCX cannot hold the VMM's thread
/// for billions of callbacks — the guest sees no difference.
pub const MAX_REP_ITERATIONS: u64 = 65536;

/// The instruction emulator of WinHvEmulation (`WHV_EMULATOR_HANDLE`).
///
/// # Status semantics
///
/// Both `try_*` functions return `Err(E_INVALIDARG)` for a malformed exit
/// context ([`Emulator::check_io_context`], [`Emulator::check_mmio_context`]:
/// `InstructionByteCount` > 16, an I/O `AccessSize` of 3, 5, 6 or 7) and
/// otherwise `Ok(status)`, as Microsoft's documentation of
/// `WHvEmulatorTryIoEmulation`/`TryMmioEmulation` says (S_OK "in most
/// methods of operation", E_INVALIDARG for malformed contexts). An I/O
/// context whose access info is zeroed (`AccessSize` 0) is not malformed:
/// as on Windows, the instruction is decoded (from the context's bytes or
/// guest memory) and its port (imm8 or DX), size and direction used; so
/// is an MMIO context's zeroed access info. The status:
///
/// * `EmulationSuccessful` alone: the instruction's I/O and memory accesses
///   were made through the callbacks exactly once and the registers (RIP
///   advanced, RFLAGS, GPRs, XMMs) written with one set-registers call —
///   which, as documented, happens only right before a successful return.
///   An instruction that faults the way the CPU would (#GP/#SS from a
///   segment limit, type or canonical check, #GP for a misaligned
///   MOVDQA/MOVAPS/CMPXCHG16B, #AC, #PF from the translation callback's
///   `PageNotPresent`/`PrivilegeViolation`/`InvalidPageTableFlags`) is also
///   a success: RIP stays on the instruction and the exception is written
///   to `WHvRegisterPendingInterruption` (with CR2 for #PF), for the next
///   run to deliver. With RFLAGS.TF set, the single-step `#DB` trap
///   follows the instruction (DR6.BS set), and a `rep` string instruction
///   runs one iteration per emulation, as the CPU traps after each.
/// * `InternalEmulationFailure`: an instruction (or form) this emulator
///   does not emulate, or bytes that do not decode.
/// * `IoPortCallbackFailed`, `MemoryCallbackFailed`,
///   `TranslateGvaPageCallbackFailed`,
///   `GetVirtualProcessorRegistersCallbackFailed`,
///   `SetVirtualProcessorRegistersCallbackFailed`: that callback returned a
///   failing HRESULT; emulation stopped there and no register was written.
/// * `TranslateGvaPageCallbackGpaIsNotAligned`: the translation callback
///   returned a GPA that is not page-aligned.
/// * `InterruptCausedIntercept`: the exit happened while an interruption
///   was being delivered (`ExecutionState.InterruptionPending`); emulating
///   the instruction at RIP would be wrong, so nothing is done.
/// * `GuestCannotBeFaulted`: the translation walk ended in a way that is
///   not a guest page fault (`GpaUnmapped`, `GpaNoReadAccess`,
///   `GpaNoWriteAccess`, `GpaIllegalOverlayAccess`, `Intercept`): no
///   architectural fault exists to give the guest.
///
/// # Instructions
///
/// In real, virtual-8086, 16/32-bit protected, compatibility and 64-bit
/// mode, every general-purpose instruction with a memory operand:
/// IN/OUT; INS/OUTS/MOVS/STOS/LODS/CMPS/SCAS with REP/REPE/REPNE, DF,
/// address-size and segment prefixes; MOV (r/m←r|imm|sreg, r←r/m, moffs),
/// MOVZX, MOVSX, MOVSXD, MOVBE, MOVNTI, CMOVcc; ADD OR ADC SBB AND SUB XOR
/// CMP TEST NOT NEG INC DEC; MUL IMUL DIV IDIV (`#DE` as the CPU);
/// XCHG, CMPXCHG, CMPXCHG8B, CMPXCHG16B, XADD; BT BTS BTR BTC; SHL SAL
/// SHR SAR ROL ROR RCL RCR SHLD SHRD; BSF BSR TZCNT LZCNT POPCNT; SETcc;
/// ANDN BEXTR BLSI BLSMSK BLSR BZHI MULX PDEP PEXT RORX SARX SHLX SHRX
/// ADCX ADOX CRC32 (as the host processor has them: `host.rs`); PUSH/POP
/// (of registers, segment registers, immediates, memory); CALL, JMP, RET,
/// RETF, IRET, ENTER, LEAVE (near and far, memory targets and MMIO
/// stacks); MOV Sreg, POP Sreg, LDS LES LFS LGS LSS (descriptors read
/// through the callbacks, with the CPU's checks and #GP/#SS/#NP error
/// codes); LGDT LIDT SGDT SIDT LLDT LTR SLDT STR SMSW LMSW. SSE moves
/// (MOVD MOVQ MOVSS MOVSD MOVDQA MOVDQU MOVAPS MOVUPS MOVAPD MOVUPD
/// MOVNTDQ MOVNTPS MOVNTPD MOVNTDQA MOVHPS MOVLPS MOVHPD MOVLPD LDDQU, and
/// the VEX.128 stores), SSE..SSE4.2 and AES-NI arithmetic, logic,
/// conversions, compares, shuffles, inserts and extracts with a memory
/// operand (run on the host processor under the guest's MXCSR: `#XM`,
/// `#NM`, `#UD` and alignment as the CPU), LDMXCSR/STMXCSR; x87 FLD FST
/// FSTP FILD FIST FISTP FISTTP FBLD FBSTP, the memory-source arithmetic
/// and compares, FLDCW FNSTCW FNSTSW FLDENV FNSTENV.
///
/// Not emulated (`InternalEmulationFailure`, nothing touched): VEX and
/// EVEX forms but the VEX.128 stores (a VEX.128 load or operation zeroes
/// bits 128.. of its YMM destination, and the callbacks' register set has
/// no upper YMM halves to write), MMX forms, DPPS/DPPD, MPSADBW,
/// PCLMULQDQ, AESKEYGENASSIST, PCMPxSTRx, MASKMOVDQU, FXSAVE/XSAVE and
/// the like; far transfers through call gates, task gates or TSS
/// descriptors, IRET with NT (task return) or to virtual-8086 mode; and
/// an instruction that cannot have caused the exit (no memory operand on
/// a memory exit; not IN/OUT/INS/OUTS on an I/O exit).
#[derive(Debug, Default)]
pub struct Emulator {
    _private: (),
}

impl Emulator {
    /// `WHvEmulatorCreateEmulator`.
    pub fn new() -> Self {
        Self::default()
    }

    /// `WHvEmulatorTryIoEmulation`'s checks of its I/O context alone (the
    /// C export runs them before it looks the handle up): at most 16
    /// instruction bytes, and an `AccessSize` of 1, 2 or 4 — or 0, an
    /// access info left zeroed, which means "decode the instruction".
    ///
    /// ```
    /// use winhv_defs::*;
    /// let mut io = WHV_X64_IO_PORT_ACCESS_CONTEXT::default();
    /// assert!(winhv_emu::Emulator::check_io_context(&io).is_ok()); // zeroed: decode
    /// io.AccessInfo.set_access_size(3);
    /// assert_eq!(winhv_emu::Emulator::check_io_context(&io), Err(E_INVALIDARG));
    /// ```
    pub fn check_io_context(io: &WHV_X64_IO_PORT_ACCESS_CONTEXT) -> Result<(), HRESULT> {
        if io.InstructionByteCount > 16 || !matches!(io.AccessInfo.access_size(), 0 | 1 | 2 | 4) {
            return Err(E_INVALIDARG);
        }
        Ok(())
    }

    /// `WHvEmulatorTryMmioEmulation`'s checks of its memory-access context
    /// alone: at most 16 instruction bytes. A zeroed access info is fine:
    /// the instruction says what it accesses.
    pub fn check_mmio_context(mmio: &WHV_MEMORY_ACCESS_CONTEXT) -> Result<(), HRESULT> {
        if mmio.InstructionByteCount > 16 {
            return Err(E_INVALIDARG);
        }
        Ok(())
    }

    /// `WHvEmulatorTryIoEmulation`: emulates the instruction behind an
    /// I/O-port exit.
    pub fn try_io_emulation<C: Callbacks + ?Sized>(
        &mut self,
        cb: &mut C,
        vp: &WHV_VP_EXIT_CONTEXT,
        io: &WHV_X64_IO_PORT_ACCESS_CONTEXT,
    ) -> Result<WHV_EMULATOR_STATUS, HRESULT> {
        Self::check_io_context(io)?;
        if fast_io(io) && io.InstructionByteCount == 0 && vp.instruction_length() != 0 {
            let len = u64::from(vp.instruction_length());
            return Ok(run_with(cb, vp, |cpu| {
                cpu.seed_from_io(io);
                simple_io(cpu, io)?;
                Ok((Flow::Next, len))
            }));
        }
        let bytes = &io.InstructionBytes[..usize::from(io.InstructionByteCount)];
        // A zeroed access info describes no port: DX (loaded) names it.
        let exit = IoExit {
            port: described(io).then_some(io.PortNumber),
        };
        Ok(run(cb, vp, bytes, Some(&exit), |cpu| {
            if fast_io(io) {
                cpu.seed_from_io(io);
            }
        }))
    }

    /// `WHvEmulatorTryMmioEmulation`: emulates the instruction behind a
    /// memory-access exit.
    pub fn try_mmio_emulation<C: Callbacks + ?Sized>(
        &mut self,
        cb: &mut C,
        vp: &WHV_VP_EXIT_CONTEXT,
        mmio: &WHV_MEMORY_ACCESS_CONTEXT,
    ) -> Result<WHV_EMULATOR_STATUS, HRESULT> {
        Self::check_mmio_context(mmio)?;
        let bytes = &mmio.InstructionBytes[..usize::from(mmio.InstructionByteCount)];
        Ok(run(cb, vp, bytes, None, |cpu| {
            if mmio.AccessInfo.gva_valid() != 0 {
                let written = mmio.AccessInfo.access_type() == WHvMemoryAccessWrite.0 as u32;
                cpu.known_page = Some((mmio.Gva & !0xfff, mmio.Gpa & !0xfff, written));
            }
        }))
    }
}

/// Seeds, decodes, executes (reading the registers the instruction needs)
/// and commits; maps the outcome to a status.
fn run<C: Callbacks + ?Sized>(
    cb: &mut C,
    vp: &WHV_VP_EXIT_CONTEXT,
    bytes: &[u8],
    io: Option<&IoExit>,
    seed: impl FnOnce(&mut Cpu<'_, C>),
) -> WHV_EMULATOR_STATUS {
    run_with(cb, vp, |cpu| {
        seed(cpu);
        let mut instr = iced_x86::Instruction::default();
        cpu.decode(bytes, &mut instr)?;
        let flow = exec::execute(cpu, &instr, io)?;
        Ok((flow, instr.len() as u64))
    })
}

/// Runs `body` (which returns where RIP goes and the instruction's
/// length), commits, injects a fault, and maps the outcome to a status.
fn run_with<C: Callbacks + ?Sized>(
    cb: &mut C,
    vp: &WHV_VP_EXIT_CONTEXT,
    body: impl FnOnce(&mut Cpu<'_, C>) -> Step<(Flow, u64)>,
) -> WHV_EMULATOR_STATUS {
    if vp.ExecutionState.interruption_pending() != 0 {
        return status(bits::INTERRUPT_CAUSED_INTERCEPT);
    }
    let mut cpu = Cpu::from_exit(cb, vp);
    let outcome = body(&mut cpu).and_then(|(flow, len)| {
        let ip_mask = match cpu.bitness {
            64 => u64::MAX,
            32 => 0xffff_ffff,
            _ => 0xffff,
        };
        let next = match flow {
            Flow::Next => cpu.rip.wrapping_add(len) & ip_mask,
            Flow::Stay => cpu.rip,
            Flow::Jump(rip) => rip,
        };
        cpu.commit(next)
    });
    let outcome = match outcome {
        Err(Stop::Fault(exc)) => cpu.commit_fault(exc),
        other => other,
    };
    match outcome {
        Ok(()) => status(bits::SUCCESS),
        Err(Stop::Status(b)) => status(b),
        // commit_fault never returns a fault.
        Err(Stop::Fault(_)) => status(bits::INTERNAL_FAILURE),
    }
}
