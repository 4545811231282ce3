//! The snapshot's byte form: stable and versioned, so that a snapshot can
//! be kept or sent to another process and read back by a later build.
//!
//! ```text
//! header   "WHVSNAP\0"  version: u32 = 1  records: u32
//! record   tag: u32  reserved: u32  length: u64  payload[length]
//! tag 1    property: code u32, then its WHvSetPartitionProperty buffer
//! tag 2    VP: index u32, then fields, each length: u32 + bytes, in this
//!          order: kvm_regs, kvm_sregs, kvm_vcpu_events, kvm_mp_state,
//!          kvm_xsave, kvm_xcrs (empty: none), kvm_debugregs,
//!          kvm_msr_entry[] (TSC first), kvm_lapic_state (empty: none)
//! tag 3    memory range: gpa u64, WHV_MAP_GPA_RANGE_FLAGS u32, 0 u32,
//!          then the range's bytes
//! tag 4    KVM clock (ns): u64
//! ```
//!
//! Little-endian; the KVM structures as KVM's ABI lays them out (stable:
//! it is the kernel's user-space interface), each with its length so that
//! a size the reader does not expect is refused rather than misread.
//! Records of a tag this version does not know are skipped (a later
//! version may add some); an unknown version is refused with
//! `HRESULT_FROM_WIN32(ERROR_BAD_FORMAT)`, anything malformed with
//! `HRESULT_FROM_WIN32(ERROR_INVALID_DATA)`.

use kvm_bindings::{
    kvm_debugregs, kvm_lapic_state, kvm_mp_state, kvm_msr_entry, kvm_regs, kvm_sregs,
    kvm_vcpu_events, kvm_xcrs, kvm_xsave,
};
use winhv_defs::{HRESULT_ERROR_BAD_FORMAT, HRESULT_ERROR_INVALID_DATA};
use zerocopy::{FromBytes, IntoBytes};

use super::vp::VpSnapshot;
use super::{MemoryRange, PartitionSnapshot};
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"WHVSNAP\0";
/// The version this build writes and reads.
pub(crate) const VERSION: u32 = 1;

const TAG_PROPERTY: u32 = 1;
const TAG_VP: u32 = 2;
const TAG_MEMORY: u32 = 3;
const TAG_CLOCK: u32 = 4;

/// The snapshot as bytes.
pub(crate) fn encode(s: &PartitionSnapshot) -> Vec<u8> {
    let memory: usize = s.memory.iter().map(|m| m.contents.len() + 40).sum();
    let mut out = Vec::with_capacity(memory + 64 * 1024);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let records =
        s.properties.len() + s.vps.len() + s.memory.len() + usize::from(s.clock.is_some());
    out.extend_from_slice(&(records as u32).to_le_bytes());
    for (code, value) in &s.properties {
        record(&mut out, TAG_PROPERTY, |o| {
            o.extend_from_slice(&code.to_le_bytes());
            o.extend_from_slice(value);
        });
    }
    for vp in &s.vps {
        record(&mut out, TAG_VP, |o| {
            o.extend_from_slice(&vp.index.to_le_bytes());
            field(o, vp.regs.as_bytes());
            field(o, vp.sregs.as_bytes());
            field(o, vp.events.as_bytes());
            field(o, vp.mp_state.as_bytes());
            field(o, vp.xsave.as_bytes());
            field(o, vp.xcrs.as_ref().map_or(&[][..], |x| x.as_bytes()));
            field(o, vp.debugregs.as_bytes());
            field(o, vp.msrs.as_slice().as_bytes());
            field(o, vp.lapic.as_ref().map_or(&[][..], |l| l.as_bytes()));
        });
    }
    for m in &s.memory {
        record(&mut out, TAG_MEMORY, |o| {
            o.extend_from_slice(&m.gpa.to_le_bytes());
            o.extend_from_slice(&m.flags.to_le_bytes());
            o.extend_from_slice(&0u32.to_le_bytes());
            o.extend_from_slice(&m.contents);
        });
    }
    if let Some(clock) = s.clock {
        record(&mut out, TAG_CLOCK, |o| {
            o.extend_from_slice(&clock.to_le_bytes())
        });
    }
    out
}

fn record(out: &mut Vec<u8>, tag: u32, body: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let at = out.len();
    out.extend_from_slice(&0u64.to_le_bytes());
    body(out);
    let len = (out.len() - at - 8) as u64;
    out[at..at + 8].copy_from_slice(&len.to_le_bytes());
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn invalid(what: &'static str) -> Error {
    Error::new(HRESULT_ERROR_INVALID_DATA, what)
}

/// A cursor over bytes that refuses to read past their end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(invalid("the snapshot is truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        let lo = u64::from(self.u32()?);
        let hi = u64::from(self.u32()?);
        Ok(lo | hi << 32)
    }

    /// One length-prefixed field.
    fn field(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// A field holding exactly one `T`.
    fn value<T: FromBytes>(&mut self) -> Result<T> {
        T::read_from_bytes(self.field()?)
            .map_err(|_| invalid("a VP state field has the wrong size"))
    }

    /// A field holding one `T` or nothing.
    fn optional<T: FromBytes>(&mut self) -> Result<Option<T>> {
        let f = self.field()?;
        if f.is_empty() {
            return Ok(None);
        }
        T::read_from_bytes(f)
            .map(Some)
            .map_err(|_| invalid("a VP state field has the wrong size"))
    }
}

/// Reads a snapshot's bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<PartitionSnapshot> {
    let mut r = Reader(bytes);
    if r.take(8).ok() != Some(&MAGIC[..]) {
        return Err(Error::new(
            HRESULT_ERROR_BAD_FORMAT,
            "not a winhv partition snapshot",
        ));
    }
    let version = r.u32()?;
    if version != VERSION {
        return Err(Error::with(
            HRESULT_ERROR_BAD_FORMAT,
            format!("snapshot version {version}; this build reads version {VERSION}"),
        ));
    }
    let records = r.u32()?;
    let mut s = PartitionSnapshot::default();
    for _ in 0..records {
        let tag = r.u32()?;
        r.u32()?;
        let len = usize::try_from(r.u64()?).map_err(|_| invalid("record too large"))?;
        let mut body = Reader(r.take(len)?);
        match tag {
            TAG_PROPERTY => {
                let code = body.u32()?;
                s.properties.push((code, body.0.to_vec()));
            }
            TAG_VP => s.vps.push(vp(&mut body)?),
            TAG_MEMORY => {
                let gpa = body.u64()?;
                let flags = body.u32()?;
                body.u32()?;
                s.memory.push(MemoryRange {
                    gpa,
                    flags,
                    contents: body.0.to_vec(),
                });
            }
            TAG_CLOCK => s.clock = Some(body.u64()?),
            _ => {}
        }
    }
    Ok(s)
}

fn vp(r: &mut Reader<'_>) -> Result<VpSnapshot> {
    let index = r.u32()?;
    let regs: kvm_regs = r.value()?;
    let sregs: kvm_sregs = r.value()?;
    let events: kvm_vcpu_events = r.value()?;
    let mp_state: kvm_mp_state = r.value()?;
    let xsave: kvm_xsave = r.value()?;
    let xcrs: Option<kvm_xcrs> = r.optional()?;
    let debugregs: kvm_debugregs = r.value()?;
    // The field sits at any alignment: entry by entry.
    let list = r.field()?;
    let size = size_of::<kvm_msr_entry>();
    if list.len() % size != 0 {
        return Err(invalid("the MSR list has the wrong size"));
    }
    let msrs = list
        .chunks_exact(size)
        .map(|e| kvm_msr_entry::read_from_bytes(e).map_err(|_| invalid("MSR entry")))
        .collect::<Result<Vec<_>>>()?;
    let lapic: Option<kvm_lapic_state> = r.optional()?;
    Ok(VpSnapshot {
        index,
        regs,
        sregs,
        events,
        mp_state,
        xsave: Box::new(xsave),
        xcrs,
        debugregs,
        msrs,
        lapic: lapic.map(Box::new),
    })
}
