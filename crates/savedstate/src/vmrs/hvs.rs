//! The HyperVStorage container of `.vmrs`/`.vsv`/`.vmcx` files, read into
//! a map from key path (`/savedstate/VmVersion`) to value. Facts from
//! microsoft/openvmm's `support/hvs_file/FORMAT.md` (all integers little
//! endian, structures packed):
//!
//! * File header, twice (offsets 0 and 4096), 46 bytes: signature
//!   0x01282014, CRC-32 (of the 46 bytes, checksum zeroed), sequence u16,
//!   format version u32 (`major << 8 | minor`), data version, flags, data
//!   alignment, replay log offset u64, size u64, header size u32. The valid
//!   copy with the higher sequence wins; equal sequences are corrupt.
//! * Object tables, the first at 8192: signature 0x01110001, entry count,
//!   then 18-byte entries {type u8, CRC-32 u32, offset u64, size u32, flags
//!   u8}; the last entry chains to the next object table (type 1) or is
//!   empty. Types: 0 empty, 1 object table, 2 key table, 3 file object,
//!   4 free.
//! * Key tables: a 10-byte header {signature 0x0002, table index u16
//!   (from 1), sequence u16, CRC-32 of the header}, then entries that fill
//!   the table: a 21-byte header {type u8, flags u8, size u32, parent table
//!   u16, parent offset u32, CRC-32 u32, insertion sequence u32, name size
//!   u8}, the NUL-terminated UTF-8 name, the data. Parent (0, 0) is the
//!   virtual root; otherwise (table index, byte offset of the parent node
//!   entry in that table). The CRC covers the header (checksum zeroed),
//!   the name and the type's meaningful data, not trailing slack.
//! * Value types: 1 free, 3 int i64, 4 uint u64, 5 double, 6 string (u32
//!   byte length + UTF-16LE), 7 array (u32 length + bytes), 8 bool (i32),
//!   9 node (12 bytes). Flag 0x01: the data is a file-object pointer {size
//!   u32, offset u64} instead.
//! * The replay log header at the header's offset: signature 0x01110003,
//!   CRC-32 of its 34 bytes, current entry count u32, …
//!
//! Every offset and size is checked against the file, object tables are
//! followed with a visited set (a cycle is corrupt), objects may not
//! overlap each other or the headers, and parent links are resolved with
//! cycle detection, so no input makes this loop, panic or read outside the
//! file.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{Error, Result};
use crate::source::{Fields, slice};

/// The file header signature.
pub const HEADER_SIGNATURE: u32 = 0x0128_2014;
/// The object table signature.
pub const OBJECT_TABLE_SIGNATURE: u32 = 0x0111_0001;
/// The key table signature.
pub const KEY_TABLE_SIGNATURE: u16 = 0x0002;
/// The replay log signature.
pub const REPLAY_LOG_SIGNATURE: u32 = 0x0111_0003;
/// Where the second header copy and the first object table are.
pub const HEADER_COPY_SIZE: u64 = 4096;
/// The file header's size.
pub const FILE_HEADER_SIZE: usize = 46;
/// An object table entry's size.
pub const OBJECT_ENTRY_SIZE: usize = 18;
/// A key table header's size.
pub const KEY_TABLE_HEADER_SIZE: usize = 10;
/// A key table entry header's size.
pub const KEY_ENTRY_HEADER_SIZE: usize = 21;
/// The replay log header's size.
pub const REPLAY_LOG_HEADER_SIZE: usize = 34;
/// Values this large or larger are file objects.
pub const FILE_OBJECT_THRESHOLD: usize = 2048;

/// Object table entry types.
pub mod object_type {
    /// Unused.
    pub const EMPTY: u8 = 0;
    /// Another object table.
    pub const OBJECT_TABLE: u8 = 1;
    /// A key table.
    pub const KEY_TABLE: u8 = 2;
    /// A file object (a large value's bytes).
    pub const FILE_OBJECT: u8 = 3;
    /// Freed space.
    pub const FREE: u8 = 4;
}

/// Key entry types.
pub mod key_type {
    /// Unused space.
    pub const FREE: u8 = 1;
    /// i64.
    pub const INT: u8 = 3;
    /// u64.
    pub const UINT: u8 = 4;
    /// f64.
    pub const DOUBLE: u8 = 5;
    /// UTF-16LE string.
    pub const STRING: u8 = 6;
    /// Bytes.
    pub const ARRAY: u8 = 7;
    /// i32 boolean.
    pub const BOOL: u8 = 8;
    /// A node (directory).
    pub const NODE: u8 = 9;
}

/// Key flag: the data is a file-object pointer.
pub const KEY_FLAG_FILE_OBJECT: u8 = 0x01;

/// The CRC-32 of `bytes` with the 4 bytes at `at` counted as zero, then
/// of each of `more`.
pub fn checksum(bytes: &[u8], at: usize, more: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..at.min(bytes.len())]);
    h.update(&[0u8; 4]);
    h.update(bytes.get(at + 4..).unwrap_or(&[]));
    for m in more {
        h.update(m);
    }
    h.finalize()
}

/// The file header that won.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The sequence number.
    pub sequence: u16,
    /// `major << 8 | minor`.
    pub format_version: u32,
    /// The data alignment.
    pub alignment: u32,
    /// The replay log's offset.
    pub replay_log_offset: u64,
    /// The replay log's size.
    pub replay_log_size: u64,
}

/// A key's value. Arrays and strings are located, not copied.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A string, decoded.
    String(String),
    /// Bytes at this file offset, this long.
    Array {
        /// The offset of the first byte in the file.
        offset: u64,
        /// The length.
        len: u64,
    },
}

/// An opened container: its header and every key.
#[derive(Debug)]
pub struct Container {
    /// The header.
    pub header: Header,
    /// Pending replay log entries (0 for a clean file).
    pub pending_replay_entries: u32,
    keys: BTreeMap<String, Value>,
}

impl Container {
    /// The value at `path`.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.keys.get(path)
    }

    /// Every key path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn read_header(data: &[u8], at: u64) -> Option<Result<Header>> {
    let bytes = slice(data, at, FILE_HEADER_SIZE as u64, "file header").ok()?;
    let f = Fields::new(bytes, "file header");
    if f.u32(0).ok()? != HEADER_SIGNATURE {
        return None;
    }
    if f.u32(4).ok()? != checksum(bytes, 4, &[]) {
        return Some(Err(Error::corrupt(format!(
            "HyperVStorage header at {at:#x}: bad checksum"
        ))));
    }
    Some(Ok(Header {
        sequence: f.u16(8).ok()?,
        format_version: f.u32(10).ok()?,
        alignment: f.u32(22).ok()?,
        replay_log_offset: f.u64(26).ok()?,
        replay_log_size: f.u64(34).ok()?,
    }))
}

/// Whether `data` starts like a HyperVStorage file (either header copy's
/// signature).
pub fn is_hvs(data: &[u8]) -> bool {
    [0, HEADER_COPY_SIZE]
        .into_iter()
        .any(|at| slice(data, at, 4, "").is_ok_and(|b| b == HEADER_SIGNATURE.to_le_bytes()))
}

/// Opens the container in `data`.
pub fn open(data: &[u8]) -> Result<Container> {
    let header = match (read_header(data, 0), read_header(data, HEADER_COPY_SIZE)) {
        (Some(Ok(a)), Some(Ok(b))) => {
            if a.sequence == b.sequence {
                return Err(Error::corrupt(
                    "HyperVStorage: both header copies have the same sequence number",
                ));
            }
            if b.sequence > a.sequence { b } else { a }
        }
        (Some(Ok(a)), _) | (_, Some(Ok(a))) => a,
        (Some(Err(e)), _) | (_, Some(Err(e))) => return Err(e),
        (None, None) => return Err(Error::bad_format("not a HyperVStorage file")),
    };
    let major = header.format_version >> 8;
    if !(2..=4).contains(&major) {
        return Err(Error::not_supported(format!(
            "HyperVStorage format version {}.{} (versions 2.0 to 4.x are read)",
            major,
            header.format_version & 0xff
        )));
    }
    if !header.alignment.is_power_of_two() || !(4096..=65536).contains(&header.alignment) {
        return Err(Error::corrupt(format!(
            "HyperVStorage: data alignment {:#x}",
            header.alignment
        )));
    }
    let pending_replay_entries = replay_log(data, &header)?;
    let objects = object_tables(data)?;
    let keys = key_tables(data, &objects)?;
    Ok(Container {
        header,
        pending_replay_entries,
        keys,
    })
}

/// Checks the replay log header; returns its pending entry count.
fn replay_log(data: &[u8], header: &Header) -> Result<u32> {
    if header.replay_log_size < REPLAY_LOG_HEADER_SIZE as u64 {
        return Err(Error::corrupt(
            "HyperVStorage: replay log smaller than its header",
        ));
    }
    slice(
        data,
        header.replay_log_offset,
        header.replay_log_size,
        "replay log",
    )?;
    let bytes = slice(
        data,
        header.replay_log_offset,
        REPLAY_LOG_HEADER_SIZE as u64,
        "replay log header",
    )?;
    let f = Fields::new(bytes, "replay log header");
    if f.u32(0)? != REPLAY_LOG_SIGNATURE {
        return Err(Error::corrupt("HyperVStorage: bad replay log signature"));
    }
    if f.u32(4)? != checksum(bytes, 4, &[]) {
        return Err(Error::corrupt("HyperVStorage: bad replay log checksum"));
    }
    f.u32(8)
}

/// One object table entry.
#[derive(Copy, Clone, Debug)]
struct Object {
    kind: u8,
    offset: u64,
    size: u64,
}

/// Reads every object table from 8192 on, following the chain.
fn object_tables(data: &[u8]) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    let mut visited = HashSet::new();
    let mut tables: Vec<(u64, u64)> = Vec::new();
    let mut at = Some(2 * HEADER_COPY_SIZE);
    while let Some(table) = at.take() {
        if !visited.insert(table) {
            return Err(Error::corrupt(format!(
                "HyperVStorage: object tables chain back to {table:#x}"
            )));
        }
        let head = slice(data, table, 8, "object table")?;
        let f = Fields::new(head, "object table");
        if f.u32(0)? != OBJECT_TABLE_SIGNATURE {
            return Err(Error::corrupt(format!(
                "HyperVStorage: bad object table signature at {table:#x}"
            )));
        }
        let count = u64::from(f.u32(4)?);
        let entries = slice(
            data,
            table + 8,
            count.saturating_mul(OBJECT_ENTRY_SIZE as u64),
            "object table entries",
        )?;
        tables.push((table, 8 + entries.len() as u64));
        for (i, e) in entries.chunks_exact(OBJECT_ENTRY_SIZE).enumerate() {
            let f = Fields::new(e, "object table entry");
            let object = Object {
                kind: f.u8(0)?,
                offset: f.u64(5)?,
                size: u64::from(f.u32(13)?),
            };
            if f.u32(1)? != checksum(e, 1, &[]) {
                return Err(Error::corrupt(format!(
                    "HyperVStorage: bad checksum in object table entry {i} at {table:#x}"
                )));
            }
            let last = i as u64 + 1 == count;
            match object.kind {
                object_type::OBJECT_TABLE if last => at = Some(object.offset),
                object_type::OBJECT_TABLE => {
                    return Err(Error::corrupt(
                        "HyperVStorage: an object table entry other than the last chains",
                    ));
                }
                object_type::KEY_TABLE | object_type::FILE_OBJECT => {
                    slice(data, object.offset, object.size, "object")?;
                    objects.push(object);
                }
                object_type::EMPTY | object_type::FREE => {}
                other => {
                    return Err(Error::corrupt(format!(
                        "HyperVStorage: object type {other} in table at {table:#x}"
                    )));
                }
            }
        }
    }
    // Nothing may overlap: not the headers, not the tables, not each other.
    let mut spans: Vec<(u64, u64)> = objects
        .iter()
        .filter(|o| o.size > 0)
        .map(|o| (o.offset, o.offset + o.size))
        .chain(tables.iter().map(|&(at, len)| (at, at + len)))
        .collect();
    spans.push((0, 2 * HEADER_COPY_SIZE));
    spans.sort_unstable();
    for pair in spans.windows(2) {
        if let [a, b] = pair {
            if b.0 < a.1 {
                return Err(Error::corrupt(format!(
                    "HyperVStorage: objects at {:#x} and {:#x} overlap",
                    a.0, b.0
                )));
            }
        }
    }
    Ok(objects)
}

/// A key entry before its path is known.
struct RawKey {
    parent: (u16, u32),
    name: String,
    value: Option<Value>,
}

/// Reads every key table and resolves each entry's path.
fn key_tables(data: &[u8], objects: &[Object]) -> Result<BTreeMap<String, Value>> {
    let mut entries: Vec<RawKey> = Vec::new();
    let mut nodes: HashMap<(u16, u32), usize> = HashMap::new();
    let mut seen_tables = HashSet::new();
    for o in objects.iter().filter(|o| o.kind == object_type::KEY_TABLE) {
        let table = slice(data, o.offset, o.size, "key table")?;
        let Some(head) = table.get(..KEY_TABLE_HEADER_SIZE) else {
            return Err(Error::corrupt(format!(
                "HyperVStorage: key table of {} bytes at {:#x}",
                table.len(),
                o.offset
            )));
        };
        let f = Fields::new(table, "key table header");
        if f.u16(0)? != KEY_TABLE_SIGNATURE {
            return Err(Error::corrupt(format!(
                "HyperVStorage: bad key table signature at {:#x}",
                o.offset
            )));
        }
        let index = f.u16(2)?;
        if f.u32(6)? != checksum(head, 6, &[]) {
            return Err(Error::corrupt(format!(
                "HyperVStorage: bad key table checksum at {:#x}",
                o.offset
            )));
        }
        if index == 0 || !seen_tables.insert(index) {
            return Err(Error::corrupt(format!(
                "HyperVStorage: key table index {index} is 0 or repeated"
            )));
        }
        let mut pos = KEY_TABLE_HEADER_SIZE;
        while pos + KEY_ENTRY_HEADER_SIZE <= table.len() {
            let rest = &table[pos..];
            let h = Fields::new(rest, "key entry");
            let kind = h.u8(0)?;
            let size = h.u32(2)? as usize;
            if size < KEY_ENTRY_HEADER_SIZE || size > rest.len() {
                return Err(Error::corrupt(format!(
                    "HyperVStorage: key entry of {size} bytes at {pos:#x} in table {index}"
                )));
            }
            let entry = &rest[..size];
            if kind != key_type::FREE {
                let key = key_entry(data, entry, o.offset + pos as u64, index, pos)?;
                if kind == key_type::NODE {
                    nodes.insert((index, pos as u32), entries.len());
                }
                entries.push(key);
            }
            pos += size;
        }
    }

    // Resolve paths: walk parents to the root, memoised, with cycle checks.
    let mut paths: Vec<Option<String>> = vec![None; entries.len()];
    for i in 0..entries.len() {
        let mut chain = Vec::new();
        let mut cur = i;
        let prefix = loop {
            if let Some(p) = &paths[cur] {
                break p.clone();
            }
            if chain.contains(&cur) || chain.len() > entries.len() {
                return Err(Error::corrupt("HyperVStorage: key parents form a cycle"));
            }
            chain.push(cur);
            let parent = entries[cur].parent;
            if parent == (0, 0) {
                break String::new();
            }
            cur = *nodes.get(&parent).ok_or_else(|| {
                Error::corrupt(format!(
                    "HyperVStorage: key '{}' has no parent node at table {}, offset {:#x}",
                    entries[i].name, parent.0, parent.1
                ))
            })?;
        };
        let mut path = prefix;
        for &k in chain.iter().rev() {
            path.push('/');
            path.push_str(&entries[k].name);
            paths[k] = Some(path.clone());
        }
    }

    let mut keys = BTreeMap::new();
    for (key, path) in entries.into_iter().zip(paths) {
        let (Some(value), Some(path)) = (key.value, path) else {
            continue;
        };
        if keys.insert(path.clone(), value).is_some() {
            return Err(Error::corrupt(format!(
                "HyperVStorage: key {path} appears twice"
            )));
        }
    }
    Ok(keys)
}

/// Parses one (non-free) key entry at `pos` of key table `index`, at
/// `file_offset` in the file.
fn key_entry(
    data: &[u8],
    entry: &[u8],
    file_offset: u64,
    index: u16,
    pos: usize,
) -> Result<RawKey> {
    let h = Fields::new(entry, "key entry");
    let kind = h.u8(0)?;
    let flags = h.u8(1)?;
    let parent = (h.u16(6)?, h.u32(8)?);
    let stored = h.u32(12)?;
    let name_len = usize::from(h.u8(20)?);
    let bad = |what: &str| {
        Error::corrupt(format!(
            "HyperVStorage: key entry at {pos:#x} in table {index}: {what}"
        ))
    };
    let name_end = KEY_ENTRY_HEADER_SIZE + name_len;
    let name = entry
        .get(KEY_ENTRY_HEADER_SIZE..name_end)
        .ok_or_else(|| bad("name past the entry"))?;
    let name = name.strip_suffix(&[0]).unwrap_or(name);
    let name = std::str::from_utf8(name)
        .map_err(|_| bad("name is not UTF-8"))?
        .to_owned();
    let d = &entry[name_end..];
    let df = Fields::new(d, "key data");
    let (meaningful, value) = if flags & KEY_FLAG_FILE_OBJECT != 0 && kind != key_type::NODE {
        let len = u64::from(df.u32(0)?);
        let offset = df.u64(4)?;
        slice(data, offset, len, "file object")?;
        let value = match kind {
            key_type::ARRAY => Value::Array { offset, len },
            key_type::STRING => Value::String(utf16(slice(data, offset, len, "file object")?)),
            _ => return Err(bad("a file object that is not an array or string")),
        };
        (12, Some(value))
    } else {
        match kind {
            key_type::INT => (8, Some(Value::Int(df.u64(0)? as i64))),
            key_type::UINT => (8, Some(Value::UInt(df.u64(0)?))),
            key_type::DOUBLE => (8, Some(Value::Double(f64::from_bits(df.u64(0)?)))),
            key_type::BOOL => (4, Some(Value::Bool(df.u32(0)? != 0))),
            key_type::NODE => (12, None),
            key_type::STRING | key_type::ARRAY => {
                let len = df.u32(0)? as usize;
                let bytes = d
                    .get(4..4usize.saturating_add(len))
                    .ok_or_else(|| bad("value past the entry"))?;
                let value = if kind == key_type::ARRAY {
                    Value::Array {
                        offset: file_offset + (name_end + 4) as u64,
                        len: len as u64,
                    }
                } else {
                    Value::String(utf16(bytes))
                };
                (4 + len, Some(value))
            }
            other => return Err(bad(&format!("unknown key type {other}"))),
        }
    };
    let content = entry
        .get(..name_end + meaningful)
        .ok_or_else(|| bad("value past the entry"))?;
    if stored
        != checksum(
            &content[..KEY_ENTRY_HEADER_SIZE],
            12,
            &[&content[KEY_ENTRY_HEADER_SIZE..]],
        )
    {
        return Err(bad("bad checksum"));
    }
    Ok(RawKey {
        parent,
        name,
        value,
    })
}

/// A UTF-16LE string, without trailing NULs (unpaired surrogates become
/// U+FFFD).
fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches('\0')
        .to_owned()
}
