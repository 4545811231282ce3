//! The partition state blob of a `.vmrs` (`/savedstate/savedVM/partition_state`):
//! the hypervisor's save/restore chunk stream, read into VPs and their
//! registers. Facts from microsoft/openvmm's `vmm_core/hyperv_dump`
//! (`partition_state.rs`) and `vm/hv1/hvdef` (`save_restore.rs`):
//!
//! * The blob starts with a descriptor {descriptor size, header size, total
//!   size: u64}; chunks start at `header size + 16` and end at `total size`.
//! * A chunk is a 16-byte header {id u32, data length u32, 8 pad} and its
//!   data, with no padding between chunks. The stream runs from a PROLOG
//!   (id 0: tag u32, summary flag u8, 3 pad, vendor u32 — 0 AMD, 1 Intel,
//!   2 Hygon, 0x10 Arm) to an EPILOG (0xF000_0000).
//! * Partition chunks: OS_ID 0x2000_1000 (the guest OS id, u64),
//!   PARTITION_VTL 0x2000_8000 (u8), VP_INDICES 0x3000_0000.
//! * VP 0x3000_1000 (VP index u32) starts a VP; VP_VTL 0x3001_A000 (u8)
//!   starts one of its VTLs (VTL 0 when absent). Register chunks then
//!   apply to that VP and VTL: GP 0x3000_5000 (RAX RCX RDX RBX RSP RBP RSI
//!   RDI R8–R15 RIP RFLAGS), control 0x3000_7000 (CR0 CR2 CR3 CR4 CR8
//!   EFER), segments 0x3000_9000 (ES CS SS DS FS GS LDTR TR as {base u64,
//!   limit u32, selector u16, attributes u16}, then the CPL u8), tables
//!   0x3000_A000 (IDTR, GDTR as {3 pad u16, limit u16, base u64}), debug
//!   0x3000_8000 (DR0–DR3, DR6, DR7), FP 0x3000_6000 (XMM0–15, ST0–7 as
//!   16 bytes each, then the FXSAVE control/status halves, 16 bytes each).
//!   VP_NESTED_BASE 0x3002_1000 and VP_NESTED_CURRENT_VMCS 0x3002_3000 mark
//!   nested virtualization state. Other chunks are skipped.
//!
//! Arm64 partitions (vendor 0x10) use other register chunk layouts and are
//! refused with `ERROR_NOT_SUPPORTED` for now.

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::registers::{GENERAL_REGISTERS, Segment, Table};
use crate::source::{Fields, slice};
use crate::vp::{Vp, VtlState};

/// Chunk ids.
pub mod chunk {
    /// The first chunk.
    pub const PROLOG: u32 = 0x0000_0000;
    /// The last chunk.
    pub const EPILOG: u32 = 0xF000_0000;
    /// The guest OS id.
    pub const OS_ID: u32 = 0x2000_1000;
    /// A VTL of the partition.
    pub const PARTITION_VTL: u32 = 0x2000_8000;
    /// The VP index bitmap.
    pub const VP_INDICES: u32 = 0x3000_0000;
    /// Starts a VP.
    pub const VP: u32 = 0x3000_1000;
    /// General registers.
    pub const VP_GP_REGISTERS: u32 = 0x3000_5000;
    /// XMM and x87 registers.
    pub const VP_FP_REGISTERS: u32 = 0x3000_6000;
    /// Control registers and EFER.
    pub const VP_VTL_CONTROL_REGISTERS: u32 = 0x3000_7000;
    /// Debug registers.
    pub const VP_DEBUG_REGISTERS: u32 = 0x3000_8000;
    /// Segment registers and the CPL.
    pub const VP_SEGMENT_REGISTERS: u32 = 0x3000_9000;
    /// IDTR and GDTR.
    pub const VP_TABLE_REGISTERS: u32 = 0x3000_A000;
    /// XCR0.
    pub const VP_XSAVE_CONTROL_REGISTERS: u32 = 0x3000_D000;
    /// Starts one VTL of the current VP.
    pub const VP_VTL: u32 = 0x3001_A000;
    /// Nested virtualization state.
    pub const VP_NESTED_BASE: u32 = 0x3002_1000;
    /// The current nested VMCS.
    pub const VP_NESTED_CURRENT_VMCS: u32 = 0x3002_3000;
}

/// The prolog's vendor value for Arm.
pub const VENDOR_ARM: u32 = 0x10;

/// The bytes of the descriptor and the alignment gap before the chunks.
pub const DESCRIPTOR_SIZE: u64 = 24;

/// What the partition state says.
#[derive(Debug, Default)]
pub struct PartitionState {
    /// The VPs in stream order.
    pub vps: Vec<Vp>,
    /// The guest OS id (0 when absent).
    pub os_id: u64,
    /// Whether a VP had nested virtualization state.
    pub nested: bool,
}

fn need(data: &[u8], n: usize, what: &str) -> Result<()> {
    if data.len() < n {
        return Err(Error::corrupt(format!(
            "partition state: {what} chunk of {} bytes (needs {n})",
            data.len()
        )));
    }
    Ok(())
}

/// Parses a partition state blob.
pub fn parse(blob: &[u8]) -> Result<PartitionState> {
    let d = Fields::new(blob, "partition state descriptor");
    let header_size = d.u64(8)?;
    let total = d.u64(16)?;
    if total > blob.len() as u64 {
        return Err(Error::corrupt(format!(
            "partition state: total size {total:#x} past the {:#x}-byte blob",
            blob.len()
        )));
    }
    let blob = &blob[..total as usize];
    let mut pos = header_size
        .checked_add(16)
        .ok_or_else(|| Error::corrupt("partition state: header size overflows"))?;

    let mut out = PartitionState::default();
    let mut vtl = 0u8;
    let mut first = true;
    loop {
        let head = slice(blob, pos, 16, "partition state chunk header").map_err(|_| {
            Error::corrupt("partition state: the chunk stream ends without an epilog")
        })?;
        let h = Fields::new(head, "chunk header");
        let id = h.u32(0)?;
        let len = u64::from(h.u32(4)?);
        let data = slice(blob, pos + 16, len, "partition state chunk")?;
        let f = Fields::new(data, "partition state chunk");
        if first {
            if id != chunk::PROLOG {
                return Err(Error::corrupt(format!(
                    "partition state: first chunk {id:#x} is not a prolog"
                )));
            }
            need(data, 12, "prolog")?;
            if f.u32(8)? == VENDOR_ARM {
                return Err(Error::not_supported(
                    "an Arm64 partition state (only x64 saved states are read)",
                ));
            }
            first = false;
            pos += 16 + len;
            continue;
        }
        match id {
            chunk::EPILOG => break,
            chunk::PROLOG => return Err(Error::corrupt("partition state: a second prolog")),
            chunk::OS_ID => {
                need(data, 8, "OS id")?;
                out.os_id = f.u64(0)?;
            }
            chunk::VP => {
                need(data, 4, "VP")?;
                out.vps.push(Vp {
                    index: f.u32(0)?,
                    vtls: Vec::new(),
                });
                vtl = 0;
            }
            chunk::VP_VTL => {
                need(data, 1, "VP VTL")?;
                vtl = f.u8(0)?;
                if vtl > 15 {
                    return Err(Error::corrupt(format!("partition state: VTL {vtl}")));
                }
                state(&mut out.vps, vtl)?;
            }
            chunk::VP_NESTED_BASE | chunk::VP_NESTED_CURRENT_VMCS => out.nested = true,
            chunk::VP_GP_REGISTERS => {
                need(data, 8 * 18, "general registers")?;
                let s = state(&mut out.vps, vtl)?;
                for (i, id) in GENERAL_REGISTERS.into_iter().enumerate() {
                    s.registers.set_u64(id, f.u64(8 * i)?);
                }
            }
            chunk::VP_VTL_CONTROL_REGISTERS => {
                need(data, 8 * 6, "control registers")?;
                let s = state(&mut out.vps, vtl)?;
                for (i, id) in [
                    X64_RegisterCr0,
                    X64_RegisterCr2,
                    X64_RegisterCr3,
                    X64_RegisterCr4,
                    X64_RegisterCr8,
                    X64_RegisterEfer,
                ]
                .into_iter()
                .enumerate()
                {
                    s.registers.set_u64(id, f.u64(8 * i)?);
                }
            }
            chunk::VP_SEGMENT_REGISTERS => {
                need(data, 16 * 8 + 1, "segment registers")?;
                let s = state(&mut out.vps, vtl)?;
                for (i, id) in [
                    X64_RegisterEs,
                    X64_RegisterCs,
                    X64_RegisterSs,
                    X64_RegisterDs,
                    X64_RegisterFs,
                    X64_RegisterGs,
                    X64_RegisterLdtr,
                    X64_RegisterTr,
                ]
                .into_iter()
                .enumerate()
                {
                    let at = 16 * i;
                    s.registers.set_segment(
                        id,
                        Segment {
                            base: f.u64(at)?,
                            limit: f.u32(at + 8)?,
                            selector: f.u16(at + 12)?,
                            attributes: f.u16(at + 14)?,
                        },
                    );
                }
                s.cpl = Some(f.u8(128)?.min(3));
            }
            chunk::VP_TABLE_REGISTERS => {
                need(data, 32, "table registers")?;
                let s = state(&mut out.vps, vtl)?;
                for (i, id) in [X64_RegisterIdtr, X64_RegisterGdtr].into_iter().enumerate() {
                    s.registers.set_table(
                        id,
                        Table {
                            limit: f.u16(16 * i + 6)?,
                            base: f.u64(16 * i + 8)?,
                        },
                    );
                }
            }
            chunk::VP_DEBUG_REGISTERS => {
                need(data, 48, "debug registers")?;
                let s = state(&mut out.vps, vtl)?;
                for (i, id) in [
                    X64_RegisterDr0,
                    X64_RegisterDr1,
                    X64_RegisterDr2,
                    X64_RegisterDr3,
                    X64_RegisterDr6,
                    X64_RegisterDr7,
                ]
                .into_iter()
                .enumerate()
                {
                    s.registers.set_u64(id, f.u64(8 * i)?);
                }
            }
            chunk::VP_FP_REGISTERS => {
                need(data, 16 * 26, "FP registers")?;
                let s = state(&mut out.vps, vtl)?;
                for i in 0..16 {
                    s.registers
                        .set_raw(REGISTER_ID(X64_RegisterXmm0.0 + i as i32), f.b16(16 * i)?);
                }
                for i in 0..8 {
                    s.registers.set_raw(
                        REGISTER_ID(X64_RegisterFpMmx0.0 + i as i32),
                        f.b16(16 * (16 + i))?,
                    );
                }
                s.registers
                    .set_raw(X64_RegisterFpControlStatus, f.b16(16 * 24)?);
                s.registers
                    .set_raw(X64_RegisterXmmControlStatus, f.b16(16 * 25)?);
            }
            _ => {}
        }
        pos += 16 + len;
    }
    out.vps.retain(|v| !v.vtls.is_empty());
    if out.vps.is_empty() {
        return Err(Error::new(
            VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE,
            "the partition state has no VP with registers",
        ));
    }
    Ok(out)
}

/// The current VP's state for `vtl`, created on first use.
fn state(vps: &mut [Vp], vtl: u8) -> Result<&mut VtlState> {
    let vp = vps
        .last_mut()
        .ok_or_else(|| Error::corrupt("partition state: VP registers before any VP chunk"))?;
    let i = match vp.vtls.iter().position(|s| s.vtl == vtl) {
        Some(i) => i,
        None => {
            vp.vtls.push(VtlState {
                vtl,
                ..Default::default()
            });
            vp.vtls.sort_by_key(|s| s.vtl);
            vp.vtls.iter().position(|s| s.vtl == vtl).unwrap_or(0)
        }
    };
    vp.vtls
        .get_mut(i)
        .ok_or_else(|| Error::corrupt("partition state: VTL bookkeeping"))
}
