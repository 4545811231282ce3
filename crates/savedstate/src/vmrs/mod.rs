//! The Hyper-V `.vmrs` input: a HyperVStorage container ([`hvs`]) whose
//! keys hold the partition state ([`partition`]) and guest RAM. Facts from
//! microsoft/openvmm's `support/hvs_file/FORMAT.md`, appendix A:
//!
//! * `/savedstate/VmVersion` (an int, `major << 8 | minor`): versions up to
//!   5.0 use older key names and are refused (`ERROR_NOT_SUPPORTED`);
//!   later ones use the keys below.
//! * `/savedstate/savedVM/partition_state`: the partition state blob.
//! * `/savedstate/RamMemoryBlock{n}`, n = 0, 1, … until one is missing:
//!   48-byte arrays {version u32 (3), flags u32, page count u64, MBP index
//!   u64, GPA page index u64, NUMA node u32, pad u32, KSR id u64}, each a
//!   run of GPA pages stored from data page `MBP index` on.
//! * `/savedstate/RamBlock{n}`: 1 MiB of data pages each (256 pages),
//!   numbered independently; a value shorter than 1 MiB is XPRESS-
//!   compressed. FORMAT.md says only "XPRESS"; this reader takes it as
//!   Windows' `COMPRESSION_FORMAT_XPRESS`, the Plain LZ77 variant
//!   ([`crate::xpress`]), decoded when first read.
//!
//! The raw saved memory is the RAM blocks end to end: block n is raw bytes
//! n MiB to n+1 MiB, so a GPA's raw offset is its data page times 4096.
//! A file whose replay log has pending entries is refused with
//! `ERROR_NOT_SUPPORTED` until replaying is implemented.

pub mod hvs;
pub mod partition;
pub mod write;

use crate::error::{Error, Result};
use crate::memory::{Backing, PhysMemoryBuilder};
use crate::source::{Fields, slice};
use crate::state::{Format, Parsed};
use winhv_defs::{
    VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND, VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND,
};

/// The size of a RAM data block.
pub const DATA_BLOCK_SIZE: u64 = 1 << 20;
/// The pages in a RAM data block.
pub const DATA_BLOCK_PAGES: u64 = DATA_BLOCK_SIZE / 4096;
/// The size of a `RamMemoryBlock` metadata value.
pub const MEMORY_BLOCK_METADATA_SIZE: u64 = 48;
/// The oldest VM version whose keys this reader knows (5.0 excluded).
pub const NEWEST_OLD_LAYOUT_VERSION: i64 = 0x0500;

/// The key of the partition state.
pub const PARTITION_STATE_KEY: &str = "/savedstate/savedVM/partition_state";
/// The key of the VM version.
pub const VM_VERSION_KEY: &str = "/savedstate/VmVersion";

/// `ApplyPendingSavedStateFileReplayLog`: opens `path` read-write and
/// exclusively, checks it is a HyperVStorage file, and applies its pending
/// replay log. A clean log needs nothing; applying pending entries is not
/// implemented yet (`ERROR_NOT_SUPPORTED`), and the file is left as it was.
pub fn apply_pending_replay_log(path: &std::path::Path) -> Result<()> {
    let source = crate::Source::open_exclusive(path)?;
    let data = source.bytes();
    if !is_vmrs(data) {
        return Err(Error::bad_format("not a HyperVStorage file"));
    }
    let c = hvs::open(data)?;
    match c.pending_replay_entries {
        0 => Ok(()),
        n => Err(Error::not_supported(format!(
            "the file has {n} pending replay log entries, and replaying them is not implemented"
        ))),
    }
}

/// Whether `data` looks like a HyperVStorage file.
pub(crate) fn is_vmrs(data: &[u8]) -> bool {
    hvs::is_hvs(data)
}

fn array<'a>(data: &'a [u8], c: &hvs::Container, key: &str) -> Option<Result<(u64, &'a [u8])>> {
    match c.get(key)? {
        hvs::Value::Array { offset, len } => {
            Some(slice(data, *offset, *len, key).map(|s| (*offset, s)))
        }
        other => Some(Err(Error::corrupt(format!(
            "{key} is {other:?}, not an array"
        )))),
    }
}

/// Parses a `.vmrs` file.
pub(crate) fn parse(data: &[u8]) -> Result<Parsed> {
    let c = hvs::open(data)?;
    if c.pending_replay_entries > 0 {
        return Err(Error::not_supported(format!(
            "the file has {} pending replay log entries, and replaying them is not implemented",
            c.pending_replay_entries
        )));
    }
    let vm_version = match c.get(VM_VERSION_KEY) {
        Some(hvs::Value::Int(v)) => *v,
        Some(hvs::Value::UInt(v)) => *v as i64,
        Some(other) => {
            return Err(Error::corrupt(format!(
                "{VM_VERSION_KEY} is {other:?}, not an integer"
            )));
        }
        None => {
            return Err(Error::new(
                VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND,
                "no /savedstate/VmVersion: the HyperVStorage file is not a saved state",
            ));
        }
    };
    if vm_version <= NEWEST_OLD_LAYOUT_VERSION {
        return Err(Error::not_supported(format!(
            "VM version {}.{}: saved states of version 5.0 and older use an older key layout",
            vm_version >> 8,
            vm_version & 0xff
        )));
    }
    let (_, blob) = array(data, &c, PARTITION_STATE_KEY).ok_or_else(|| {
        Error::new(
            VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND,
            "no /savedstate/savedVM/partition_state",
        )
    })??;
    let partition = partition::parse(blob)?;

    let mut memory = PhysMemoryBuilder::new();
    // The data blocks, as raw saved memory.
    let mut blocks = Vec::new();
    for n in 0u64.. {
        let Some(block) = array(data, &c, &format!("/savedstate/RamBlock{n}")) else {
            break;
        };
        let (offset, bytes) = block?;
        let backing = if bytes.len() as u64 == DATA_BLOCK_SIZE {
            Backing::File(offset)
        } else {
            Backing::Compressed {
                file: offset,
                len: bytes.len() as u64,
                at: 0,
            }
        };
        memory.add_raw(n * DATA_BLOCK_SIZE, DATA_BLOCK_SIZE, backing)?;
        blocks.push(backing);
    }
    // The GPA runs.
    let mut runs = 0;
    for n in 0u64.. {
        let key = format!("/savedstate/RamMemoryBlock{n}");
        let Some(meta) = array(data, &c, &key) else {
            break;
        };
        let (_, meta) = meta?;
        if (meta.len() as u64) < MEMORY_BLOCK_METADATA_SIZE {
            return Err(Error::corrupt(format!("{key}: {} bytes", meta.len())));
        }
        let f = Fields::new(meta, "memory block metadata");
        let version = f.u32(0)?;
        if version != 3 {
            return Err(Error::not_supported(format!(
                "{key}: memory block metadata version {version} (3 is read)"
            )));
        }
        let pages = f.u64(8)?;
        let mbp = f.u64(16)?;
        let gpa_page = f.u64(24)?;
        add_run(&mut memory, &blocks, &key, pages, mbp, gpa_page)?;
        runs += 1;
    }
    if runs == 0 {
        return Err(Error::new(
            VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
            "no /savedstate/RamMemoryBlock0",
        ));
    }
    Ok(Parsed {
        format: Format::Vmrs { vm_version },
        vps: partition.vps,
        memory: memory.build(data.len() as u64)?,
        guest_os_id: partition.os_id,
        nested: partition.nested,
    })
}

/// Adds the GPA pages `gpa_page..+pages`, stored from data page `mbp` on.
fn add_run(
    memory: &mut PhysMemoryBuilder,
    blocks: &[Backing],
    key: &str,
    pages: u64,
    mbp: u64,
    gpa_page: u64,
) -> Result<()> {
    let overflow = || Error::corrupt(format!("{key}: page numbers overflow"));
    let end = mbp.checked_add(pages).ok_or_else(overflow)?;
    gpa_page
        .checked_add(pages)
        .and_then(|p| p.checked_mul(4096))
        .ok_or_else(overflow)?;
    let mut page = mbp;
    while page < end {
        let block = page / DATA_BLOCK_PAGES;
        let backing = *blocks.get(block as usize).ok_or_else(|| {
            Error::corrupt(format!(
                "{key}: data page {page:#x} is in RamBlock{block}, which the file lacks"
            ))
        })?;
        let block_end = (block + 1) * DATA_BLOCK_PAGES;
        let n = block_end.min(end) - page;
        let in_block = (page % DATA_BLOCK_PAGES) * 4096;
        let gpa = (gpa_page + (page - mbp)) * 4096;
        memory.add(gpa, n * 4096, backing.advance(in_block), Some(page * 4096))?;
        page += n;
    }
    Ok(())
}
