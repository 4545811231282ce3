//! Writing `.vmrs` files: [`HvsWriter`] (the HyperVStorage container),
//! [`PartitionStateWriter`] (the partition state blob) and [`write_vmrs`]
//! (a whole saved state: VM version, partition state, RAM blocks), laid
//! out as microsoft/openvmm's `support/hvs_file/FORMAT.md` says Windows'
//! reader expects: two header copies with different sequence numbers, the
//! first object table at 8192 whose last entry chains, 4096-byte key
//! tables filled exactly (gaps of 1 to 21 bytes absorbed by the entry
//! before, larger ones a free entry), 1-based insertion sequences with
//! each node's next sequence one past its last child's, values of 2048
//! bytes or more as file objects, and an empty but valid replay log.
//!
//! The reader in this crate is tested against these files; the writer is
//! also what a winhv partition will be saved with.

use std::io::{Seek, SeekFrom, Write};

use winhv_defs::*;

use super::hvs::{
    self, FILE_HEADER_SIZE, FILE_OBJECT_THRESHOLD, HEADER_COPY_SIZE, KEY_ENTRY_HEADER_SIZE,
    KEY_FLAG_FILE_OBJECT, KEY_TABLE_HEADER_SIZE, OBJECT_ENTRY_SIZE, REPLAY_LOG_HEADER_SIZE,
    checksum, key_type, object_type,
};
use super::partition::chunk;
use super::{DATA_BLOCK_PAGES, DATA_BLOCK_SIZE};
use crate::error::{Error, Result};
use crate::registers::{GENERAL_REGISTERS, RegisterFile};

const ALIGNMENT: u64 = 4096;
const KEY_TABLE_SIZE: usize = 4096;
const REPLAY_ENTRY_SIZE: usize = 28;

fn io(e: std::io::Error) -> Error {
    Error::io("writing a .vmrs file", &e)
}

fn align_up(v: u64) -> u64 {
    v.div_ceil(ALIGNMENT) * ALIGNMENT
}

/// A value to store.
#[derive(Clone, Debug)]
enum Data {
    Int(i64),
    UInt(u64),
    Bool(bool),
    String(String),
    Array(Vec<u8>),
    /// A large array already written as a file object.
    FileObject {
        offset: u64,
        len: u32,
    },
}

/// Writes a HyperVStorage container.
pub struct HvsWriter<W: Write + Seek> {
    w: W,
    data_end: u64,
    file_objects: Vec<(u64, u64)>,
    keys: Vec<(String, Data)>,
}

impl<W: Write + Seek> HvsWriter<W> {
    /// Starts a container; file objects are written as they are added.
    pub fn new(w: W) -> Self {
        Self {
            w,
            // The headers, then one page for the first object table.
            data_end: 2 * HEADER_COPY_SIZE + ALIGNMENT,
            file_objects: Vec::new(),
            keys: Vec::new(),
        }
    }

    fn push(&mut self, path: &str, data: Data) -> Result<()> {
        if !path.starts_with('/')
            || path
                .split('/')
                .skip(1)
                .any(|c| c.is_empty() || c.len() > 254)
        {
            return Err(Error::invalid_arg(format!("bad key path {path:?}")));
        }
        self.keys.push((path.to_owned(), data));
        Ok(())
    }

    /// Adds a signed integer.
    pub fn int(&mut self, path: &str, v: i64) -> Result<()> {
        self.push(path, Data::Int(v))
    }

    /// Adds an unsigned integer.
    pub fn uint(&mut self, path: &str, v: u64) -> Result<()> {
        self.push(path, Data::UInt(v))
    }

    /// Adds a boolean.
    pub fn bool(&mut self, path: &str, v: bool) -> Result<()> {
        self.push(path, Data::Bool(v))
    }

    /// Adds a string (stored UTF-16LE with its NUL).
    pub fn string(&mut self, path: &str, v: &str) -> Result<()> {
        self.push(path, Data::String(v.to_owned()))
    }

    /// Adds a byte array; 2048 bytes or more are written now, as a file
    /// object.
    pub fn array(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        if bytes.len() < FILE_OBJECT_THRESHOLD {
            return self.push(path, Data::Array(bytes.to_vec()));
        }
        let len = u32::try_from(bytes.len())
            .map_err(|_| Error::invalid_arg("an array of 4 GiB or more"))?;
        let offset = self.data_end;
        self.w.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.w.write_all(bytes).map_err(io)?;
        let size = align_up(bytes.len() as u64);
        write_zeros(&mut self.w, size - bytes.len() as u64)?;
        self.data_end += size;
        self.file_objects.push((offset, size));
        self.push(path, Data::FileObject { offset, len })
    }

    /// Writes the key tables, object tables, replay log and headers.
    pub fn finish(mut self) -> Result<W> {
        let entries = self.entries()?;
        let tables = layout(entries)?;

        // Key tables after the file objects.
        let mut objects: Vec<[u8; OBJECT_ENTRY_SIZE]> = Vec::new();
        for (i, body) in tables.iter().enumerate() {
            let offset = self.data_end;
            let mut head = [0u8; KEY_TABLE_HEADER_SIZE];
            head[..2].copy_from_slice(&hvs::KEY_TABLE_SIGNATURE.to_le_bytes());
            head[2..4].copy_from_slice(&((i + 1) as u16).to_le_bytes());
            head[4..6].copy_from_slice(&1u16.to_le_bytes());
            let sum = checksum(&head, 6, &[]);
            head[6..10].copy_from_slice(&sum.to_le_bytes());
            self.w.seek(SeekFrom::Start(offset)).map_err(io)?;
            self.w.write_all(&head).map_err(io)?;
            self.w.write_all(body).map_err(io)?;
            self.data_end += KEY_TABLE_SIZE as u64;
            objects.push(object_entry(
                object_type::KEY_TABLE,
                offset,
                KEY_TABLE_SIZE as u64,
                1,
            ));
        }
        for &(offset, size) in &self.file_objects {
            objects.push(object_entry(object_type::FILE_OBJECT, offset, size, 0));
        }

        // The replay log, then any overflow object tables.
        let replay = self.data_end;
        let mut log = [0u8; REPLAY_LOG_HEADER_SIZE];
        log[..4].copy_from_slice(&hvs::REPLAY_LOG_SIGNATURE.to_le_bytes());
        let max = ((ALIGNMENT as usize - REPLAY_LOG_HEADER_SIZE) / REPLAY_ENTRY_SIZE) as u32;
        log[13..17].copy_from_slice(&max.to_le_bytes());
        let sum = checksum(&log, 4, &[]);
        log[4..8].copy_from_slice(&sum.to_le_bytes());
        self.w.seek(SeekFrom::Start(replay)).map_err(io)?;
        self.w.write_all(&log).map_err(io)?;
        write_zeros(&mut self.w, ALIGNMENT - REPLAY_LOG_HEADER_SIZE as u64)?;
        self.data_end += ALIGNMENT;

        let per_table = (ALIGNMENT as usize - 8) / OBJECT_ENTRY_SIZE;
        let usable = per_table - 1;
        let chunks: Vec<&[[u8; OBJECT_ENTRY_SIZE]]> = if objects.is_empty() {
            vec![&[]]
        } else {
            objects.chunks(usable).collect()
        };
        let mut offsets = vec![2 * HEADER_COPY_SIZE];
        for i in 1..chunks.len() {
            offsets.push(self.data_end + (i as u64 - 1) * ALIGNMENT);
        }
        let empty = object_entry(object_type::EMPTY, 0, 0, 0);
        for (i, chunk) in chunks.iter().enumerate() {
            let mut page = Vec::with_capacity(ALIGNMENT as usize);
            page.extend_from_slice(&hvs::OBJECT_TABLE_SIGNATURE.to_le_bytes());
            page.extend_from_slice(&(per_table as u32).to_le_bytes());
            for e in chunk.iter() {
                page.extend_from_slice(e);
            }
            for _ in chunk.len()..usable {
                page.extend_from_slice(&empty);
            }
            match offsets.get(i + 1) {
                Some(&next) => page.extend_from_slice(&object_entry(
                    object_type::OBJECT_TABLE,
                    next,
                    ALIGNMENT,
                    0,
                )),
                None => page.extend_from_slice(&empty),
            }
            page.resize(ALIGNMENT as usize, 0);
            self.w.seek(SeekFrom::Start(offsets[i])).map_err(io)?;
            self.w.write_all(&page).map_err(io)?;
        }

        for (sequence, at) in [(1u16, 0u64), (0u16, HEADER_COPY_SIZE)] {
            let mut h = [0u8; FILE_HEADER_SIZE];
            h[..4].copy_from_slice(&hvs::HEADER_SIGNATURE.to_le_bytes());
            h[8..10].copy_from_slice(&sequence.to_le_bytes());
            h[10..14].copy_from_slice(&0x0400u32.to_le_bytes());
            h[22..26].copy_from_slice(&(ALIGNMENT as u32).to_le_bytes());
            h[26..34].copy_from_slice(&replay.to_le_bytes());
            h[34..42].copy_from_slice(&ALIGNMENT.to_le_bytes());
            h[42..46].copy_from_slice(&(ALIGNMENT as u32).to_le_bytes());
            let sum = checksum(&h, 4, &[]);
            h[4..8].copy_from_slice(&sum.to_le_bytes());
            self.w.seek(SeekFrom::Start(at)).map_err(io)?;
            self.w.write_all(&h).map_err(io)?;
            write_zeros(&mut self.w, HEADER_COPY_SIZE - FILE_HEADER_SIZE as u64)?;
        }
        self.w.flush().map_err(io)?;
        Ok(self.w)
    }

    /// The key entries in tree order (each node before its children),
    /// with insertion sequences and each node's next sequence.
    fn entries(&mut self) -> Result<Vec<Entry>> {
        let mut keys = std::mem::take(&mut self.keys);
        keys.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
        for pair in keys.windows(2) {
            if let [a, b] = pair {
                if a.0 == b.0 || b.0.starts_with(&format!("{}/", a.0)) {
                    return Err(Error::invalid_arg(format!(
                        "key {} given twice or both as a value and a node",
                        a.0
                    )));
                }
            }
        }
        let mut out: Vec<Entry> = Vec::new();
        // The open nodes: (name, index in `out`, next child sequence).
        let mut stack: Vec<(String, usize, u32)> = Vec::new();
        let mut root_next = 1u32;
        for (path, data) in keys {
            let parts: Vec<&str> = path.split('/').skip(1).collect();
            let (leaf, dirs) = parts.split_last().unwrap_or((&"", &[]));
            let common = stack
                .iter()
                .zip(dirs.iter())
                .take_while(|(s, d)| s.0 == **d)
                .count();
            stack.truncate(common);
            for dir in &dirs[common..] {
                let seq = next_seq(&mut stack, &mut root_next);
                out.push(Entry {
                    kind: key_type::NODE,
                    flags: 0,
                    name: (*dir).to_owned(),
                    data: vec![0; 12],
                    parent: stack.last().map(|s| s.1),
                    sequence: seq,
                });
                stack.push(((*dir).to_owned(), out.len() - 1, 1));
            }
            let seq = next_seq(&mut stack, &mut root_next);
            let (kind, flags, bytes) = encode(data);
            out.push(Entry {
                kind,
                flags,
                name: (*leaf).to_owned(),
                data: bytes,
                parent: stack.last().map(|s| s.1),
                sequence: seq,
            });
        }
        // NextInsertionSequence = the highest child sequence + 1.
        for i in 0..out.len() {
            if let Some(p) = out[i].parent {
                let next = out[i].sequence + 1;
                let node = &mut out[p].data;
                let cur = u32::from_le_bytes([node[8], node[9], node[10], node[11]]);
                node[8..12].copy_from_slice(&cur.max(next).to_le_bytes());
            }
        }
        Ok(out)
    }
}

fn next_seq(stack: &mut [(String, usize, u32)], root_next: &mut u32) -> u32 {
    let counter = match stack.last_mut() {
        Some(top) => &mut top.2,
        None => root_next,
    };
    let seq = *counter;
    *counter += 1;
    seq
}

fn encode(data: Data) -> (u8, u8, Vec<u8>) {
    match data {
        Data::Int(v) => (key_type::INT, 0, v.to_le_bytes().to_vec()),
        Data::UInt(v) => (key_type::UINT, 0, v.to_le_bytes().to_vec()),
        Data::Bool(v) => (key_type::BOOL, 0, i32::from(v).to_le_bytes().to_vec()),
        Data::String(s) => {
            let units: Vec<u8> = s
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            let mut d = (units.len() as u32).to_le_bytes().to_vec();
            d.extend_from_slice(&units);
            (key_type::STRING, 0, d)
        }
        Data::Array(bytes) => {
            let mut d = (bytes.len() as u32).to_le_bytes().to_vec();
            d.extend_from_slice(&bytes);
            (key_type::ARRAY, 0, d)
        }
        Data::FileObject { offset, len } => {
            let mut d = len.to_le_bytes().to_vec();
            d.extend_from_slice(&offset.to_le_bytes());
            (key_type::ARRAY, KEY_FLAG_FILE_OBJECT, d)
        }
    }
}

/// One key entry to lay out.
struct Entry {
    kind: u8,
    flags: u8,
    name: String,
    data: Vec<u8>,
    /// The parent node's index in the entry list; `None` for the root.
    parent: Option<usize>,
    sequence: u32,
}

/// Lays the entries out in key tables; returns each table's body (its
/// bytes after the 10-byte header, exactly filled).
fn layout(entries: Vec<Entry>) -> Result<Vec<Vec<u8>>> {
    let usable = KEY_TABLE_SIZE - KEY_TABLE_HEADER_SIZE;
    let mut tables: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    // Where each entry went: (table index from 1, offset in the table).
    let mut placed: Vec<(u16, u32)> = Vec::with_capacity(entries.len());
    // The start of the last entry in `cur` (to absorb a short gap).
    let mut last_start = None;
    for e in &entries {
        let size = KEY_ENTRY_HEADER_SIZE + e.name.len() + 1 + e.data.len();
        if size > usable {
            return Err(Error::invalid_arg(format!("key {} too large", e.name)));
        }
        if cur.len() + size > usable {
            tables.push(close_table(
                std::mem::take(&mut cur),
                last_start.take(),
                usable,
            ));
        }
        let index = tables.len() as u16 + 1;
        let offset = (KEY_TABLE_HEADER_SIZE + cur.len()) as u32;
        let parent = match e.parent {
            Some(p) => *placed
                .get(p)
                .ok_or_else(|| Error::invalid_arg("a node after its child"))?,
            None => (0, 0),
        };
        let mut head = [0u8; KEY_ENTRY_HEADER_SIZE];
        head[0] = e.kind;
        head[1] = e.flags;
        head[2..6].copy_from_slice(&(size as u32).to_le_bytes());
        head[6..8].copy_from_slice(&parent.0.to_le_bytes());
        head[8..12].copy_from_slice(&parent.1.to_le_bytes());
        head[16..20].copy_from_slice(&e.sequence.to_le_bytes());
        head[20] = (e.name.len() + 1) as u8;
        let mut name = e.name.as_bytes().to_vec();
        name.push(0);
        let sum = checksum(&head, 12, &[&name, &e.data]);
        head[12..16].copy_from_slice(&sum.to_le_bytes());
        last_start = Some(cur.len());
        cur.extend_from_slice(&head);
        cur.extend_from_slice(&name);
        cur.extend_from_slice(&e.data);
        placed.push((index, offset));
    }
    if !cur.is_empty() || tables.is_empty() {
        tables.push(close_table(cur, last_start, usable));
    }
    Ok(tables)
}

/// Fills a table's body to `usable` bytes: a gap of 1..=21 bytes widens
/// the last entry, a larger one becomes a free entry.
fn close_table(mut body: Vec<u8>, last_start: Option<usize>, usable: usize) -> Vec<u8> {
    let gap = usable - body.len();
    match (gap, last_start) {
        (0, _) => {}
        (1..=KEY_ENTRY_HEADER_SIZE, Some(start)) => {
            let size = u32::from_le_bytes([
                body[start + 2],
                body[start + 3],
                body[start + 4],
                body[start + 5],
            ]) + gap as u32;
            body[start + 2..start + 6].copy_from_slice(&size.to_le_bytes());
            body.resize(usable, 0);
        }
        _ => {
            let mut free = [0u8; KEY_ENTRY_HEADER_SIZE];
            free[0] = key_type::FREE;
            free[2..6].copy_from_slice(&(gap as u32).to_le_bytes());
            body.extend_from_slice(&free);
            body.resize(usable, 0);
        }
    }
    body
}

fn object_entry(kind: u8, offset: u64, size: u64, flags: u8) -> [u8; OBJECT_ENTRY_SIZE] {
    let mut e = [0u8; OBJECT_ENTRY_SIZE];
    e[0] = kind;
    e[5..13].copy_from_slice(&offset.to_le_bytes());
    e[13..17].copy_from_slice(&(size as u32).to_le_bytes());
    e[17] = flags;
    let sum = checksum(&e, 1, &[]);
    e[1..5].copy_from_slice(&sum.to_le_bytes());
    e
}

fn write_zeros<W: Write>(w: &mut W, n: u64) -> Result<()> {
    const ZEROS: [u8; 4096] = [0; 4096];
    let mut left = n;
    while left > 0 {
        let k = left.min(ZEROS.len() as u64) as usize;
        w.write_all(&ZEROS[..k]).map_err(io)?;
        left -= k as u64;
    }
    Ok(())
}

/// One VTL of a VP to write: the VTL, its registers, XCR0 when known.
pub type VtlRegisters = (u8, RegisterFile, Option<u64>);

/// Builds a partition state blob: a prolog, the guest OS id, the
/// partition's VTLs, the VP index bitmap, each VP's register chunks per
/// VTL, an epilog.
#[derive(Debug, Default)]
pub struct PartitionStateWriter {
    vendor: u32,
    os_id: u64,
    vps: Vec<(u32, Vec<VtlRegisters>)>,
}

impl PartitionStateWriter {
    /// A partition of `vendor` (0 AMD, 1 Intel, 2 Hygon).
    pub fn new(vendor: u32) -> Self {
        Self {
            vendor,
            ..Default::default()
        }
    }

    /// Sets the guest OS id (`GUEST_OS_INFO`, the guest OS ID MSR).
    pub fn os_id(&mut self, id: u64) -> &mut Self {
        self.os_id = id;
        self
    }

    /// Adds VP `index` with its state per VTL: the registers (absent ones
    /// are written as 0, segment registers and the CPL included) and XCR0
    /// when known.
    pub fn vp(&mut self, index: u32, vtls: Vec<VtlRegisters>) -> &mut Self {
        self.vps.push((index, vtls));
        self
    }

    /// The blob.
    pub fn finish(&self) -> Vec<u8> {
        let mut b = vec![0u8; 24 + 16];
        let mut prolog = vec![0u8; 4064];
        prolog[..4].copy_from_slice(&0x5054_6475u32.to_le_bytes());
        prolog[8..12].copy_from_slice(&self.vendor.to_le_bytes());
        put(&mut b, chunk::PROLOG, &prolog);
        let mut os = self.os_id.to_le_bytes().to_vec();
        os.resize(16, 0);
        put(&mut b, chunk::OS_ID, &os);
        let mut vtls: Vec<u8> = self
            .vps
            .iter()
            .flat_map(|(_, v)| v.iter().map(|s| s.0))
            .collect();
        vtls.sort_unstable();
        vtls.dedup();
        for vtl in vtls {
            let mut d = vec![0u8; 16];
            d[0] = vtl;
            put(&mut b, chunk::PARTITION_VTL, &d);
        }
        let max = self.vps.iter().map(|v| v.0).max().unwrap_or(0) as usize;
        let bitmap = (max / 8 + 1).max(8).next_multiple_of(4);
        let mut d = self
            .vps
            .iter()
            .map(|v| v.0)
            .min()
            .unwrap_or(0)
            .to_le_bytes()
            .to_vec();
        let base = d.len();
        d.resize(base + bitmap, 0);
        for (i, _) in &self.vps {
            d[base + *i as usize / 8] |= 1 << (i % 8);
        }
        put(&mut b, chunk::VP_INDICES, &d);
        for (index, states) in &self.vps {
            let mut d = index.to_le_bytes().to_vec();
            d.resize(16, 0);
            put(&mut b, chunk::VP, &d);
            for (vtl, r, xcr0) in states {
                let mut d = vec![0u8; 16];
                d[0] = *vtl;
                put(&mut b, chunk::VP_VTL, &d);
                vp_chunks(&mut b, r, *xcr0);
            }
        }
        put(&mut b, chunk::EPILOG, &[]);
        let total = b.len() as u64;
        b[..8].copy_from_slice(&24u64.to_le_bytes());
        b[8..16].copy_from_slice(&24u64.to_le_bytes());
        b[16..24].copy_from_slice(&total.to_le_bytes());
        b
    }
}

fn put(b: &mut Vec<u8>, id: u32, data: &[u8]) {
    b.extend_from_slice(&id.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0u8; 8]);
    b.extend_from_slice(data);
}

fn vp_chunks(b: &mut Vec<u8>, r: &RegisterFile, xcr0: Option<u64>) {
    let u = |id| r.u64(id).unwrap_or(0).to_le_bytes();
    let gp: Vec<u8> = GENERAL_REGISTERS.into_iter().flat_map(u).collect();
    put(b, chunk::VP_GP_REGISTERS, &gp);
    let cr: Vec<u8> = [
        X64_RegisterCr0,
        X64_RegisterCr2,
        X64_RegisterCr3,
        X64_RegisterCr4,
        X64_RegisterCr8,
        X64_RegisterEfer,
    ]
    .into_iter()
    .flat_map(u)
    .collect();
    put(b, chunk::VP_VTL_CONTROL_REGISTERS, &cr);
    let mut seg: Vec<u8> = [
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
    .flat_map(|id| r.raw(id).unwrap_or([0; 16]))
    .collect();
    let cpl = r.segment(X64_RegisterSs).map_or(0, |ss| ss.dpl());
    seg.push(cpl);
    seg.resize(16 * 8 + 16, 0);
    put(b, chunk::VP_SEGMENT_REGISTERS, &seg);
    let mut tables = Vec::new();
    for id in [X64_RegisterIdtr, X64_RegisterGdtr] {
        let t = r.table(id).unwrap_or_default();
        tables.extend_from_slice(&[0u8; 6]);
        tables.extend_from_slice(&t.limit.to_le_bytes());
        tables.extend_from_slice(&t.base.to_le_bytes());
    }
    put(b, chunk::VP_TABLE_REGISTERS, &tables);
    let dr: Vec<u8> = [
        X64_RegisterDr0,
        X64_RegisterDr1,
        X64_RegisterDr2,
        X64_RegisterDr3,
        X64_RegisterDr6,
        X64_RegisterDr7,
    ]
    .into_iter()
    .flat_map(u)
    .collect();
    put(b, chunk::VP_DEBUG_REGISTERS, &dr);
    let fp: Vec<u8> = (0..16)
        .map(|i| REGISTER_ID(X64_RegisterXmm0.0 + i))
        .chain((0..8).map(|i| REGISTER_ID(X64_RegisterFpMmx0.0 + i)))
        .chain([X64_RegisterFpControlStatus, X64_RegisterXmmControlStatus])
        .flat_map(|id| r.raw(id).unwrap_or([0; 16]))
        .collect();
    put(b, chunk::VP_FP_REGISTERS, &fp);
    if let Some(xcr0) = xcr0 {
        let mut d = xcr0.to_le_bytes().to_vec();
        d.resize(64, 0);
        put(b, chunk::VP_XSAVE_CONTROL_REGISTERS, &d);
    }
}

/// Guest memory to save: `bytes` at `gpa`, both multiples of 4096.
#[derive(Copy, Clone, Debug)]
pub struct MemoryRange<'a> {
    /// The first GPA.
    pub gpa: u64,
    /// The contents.
    pub bytes: &'a [u8],
}

/// Writes a whole `.vmrs`: VM version 10.0 (in `/savedstate/VmVersion`
/// and `/configuration/properties/version`), `partition_state`, and each
/// range as a `RamMemoryBlock{n}` with its pages in 1 MiB `RamBlock{m}`s
/// (the last one zero-padded).
pub fn write_vmrs<W: Write + Seek>(
    w: W,
    partition_state: &[u8],
    memory: &[MemoryRange<'_>],
) -> Result<W> {
    write_vmrs_with(w, partition_state, memory, false)
}

/// [`write_vmrs`], with `compress`: each `RamBlock{m}` XPRESS-compressed
/// ([`crate::xpress`]) where that makes it shorter than 1 MiB (a reader
/// takes a shorter block as compressed, so one that does not shrink is
/// stored as it is).
pub fn write_vmrs_with<W: Write + Seek>(
    w: W,
    partition_state: &[u8],
    memory: &[MemoryRange<'_>],
    compress: bool,
) -> Result<W> {
    let mut hvs = HvsWriter::new(w);
    hvs.int(super::VM_VERSION_KEY, 0x0A00)?;
    hvs.int("/configuration/properties/version", 0x0A00)?;
    hvs.array(super::PARTITION_STATE_KEY, partition_state)?;
    let mut block = 0u64;
    let mut buf = vec![0u8; DATA_BLOCK_SIZE as usize];
    for (n, range) in memory.iter().enumerate() {
        if range.gpa % 4096 != 0 || range.bytes.len() % 4096 != 0 || range.bytes.is_empty() {
            return Err(Error::invalid_arg(format!(
                "memory range at {:#x} of {:#x} bytes is not whole pages",
                range.gpa,
                range.bytes.len()
            )));
        }
        let pages = range.bytes.len() as u64 / 4096;
        let mut meta = Vec::with_capacity(48);
        meta.extend_from_slice(&3u32.to_le_bytes());
        meta.extend_from_slice(&0u32.to_le_bytes());
        meta.extend_from_slice(&pages.to_le_bytes());
        meta.extend_from_slice(&(block * DATA_BLOCK_PAGES).to_le_bytes());
        meta.extend_from_slice(&(range.gpa / 4096).to_le_bytes());
        meta.resize(48, 0);
        hvs.array(&format!("/savedstate/RamMemoryBlock{n}"), &meta)?;
        for part in range.bytes.chunks(DATA_BLOCK_SIZE as usize) {
            buf[..part.len()].copy_from_slice(part);
            buf[part.len()..].fill(0);
            let key = format!("/savedstate/RamBlock{block}");
            match compress.then(|| crate::xpress::compress(&buf)) {
                Some(c) if (c.len() as u64) < DATA_BLOCK_SIZE => hvs.array(&key, &c)?,
                _ => hvs.array(&key, &buf)?,
            }
            block += 1;
        }
    }
    hvs.finish()
}
