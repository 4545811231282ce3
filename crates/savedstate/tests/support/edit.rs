//! Finding and patching the structures of a HyperVStorage file in tests,
//! with their checksums recomputed, so a test (or the fuzzer) can build
//! exactly the corrupt file it means.

#![allow(dead_code, reason = "each test binary uses a different part")]

use winhv_savedstate::vmrs::hvs::{
    FILE_HEADER_SIZE, HEADER_COPY_SIZE, KEY_ENTRY_HEADER_SIZE, KEY_TABLE_HEADER_SIZE,
    OBJECT_ENTRY_SIZE, checksum, key_type, object_type,
};

fn u16_at(f: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(f.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(f: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(f.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(f: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(f.get(at..at + 8)?.try_into().ok()?))
}

/// Writes `v` at `at` (if in the file).
pub fn set_u32(f: &mut [u8], at: usize, v: u32) {
    if let Some(s) = f.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}
/// Writes `v` at `at` (if in the file).
pub fn set_u64(f: &mut [u8], at: usize, v: u64) {
    if let Some(s) = f.get_mut(at..at + 8) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// The offsets of the object table entries of the first table (8192).
pub fn object_entries(f: &[u8]) -> Vec<usize> {
    let base = 2 * HEADER_COPY_SIZE as usize;
    let count = u32_at(f, base + 4).unwrap_or(0) as usize;
    let fits = f.len().saturating_sub(base + 8) / OBJECT_ENTRY_SIZE;
    (0..count.min(fits))
        .map(|i| base + 8 + OBJECT_ENTRY_SIZE * i)
        .collect()
}

/// An object entry's (type, offset, size).
pub fn object(f: &[u8], at: usize) -> (u8, u64, u32) {
    (
        f[at],
        u64_at(f, at + 5).unwrap_or(0),
        u32_at(f, at + 13).unwrap_or(0),
    )
}

/// Recomputes an object entry's checksum.
pub fn fix_object(f: &mut [u8], at: usize) {
    if let Some(e) = f.get(at..at + OBJECT_ENTRY_SIZE) {
        let sum = checksum(e, 1, &[]);
        f[at + 1..at + 5].copy_from_slice(&sum.to_le_bytes());
    }
}

/// Recomputes both header copies' checksums.
pub fn fix_headers(f: &mut [u8]) {
    for at in [0usize, HEADER_COPY_SIZE as usize] {
        if let Some(h) = f.get(at..at + FILE_HEADER_SIZE) {
            let sum = checksum(h, 4, &[]);
            f[at + 4..at + 8].copy_from_slice(&sum.to_le_bytes());
        }
    }
}

/// A key entry: its file offset, type, name and meaningful length.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    /// File offset of its header.
    pub at: usize,
    /// Key type.
    pub kind: u8,
    /// Its name.
    pub name: String,
    /// Offset of its data (after the name).
    pub data: usize,
    /// The key table it is in (file offset of the table).
    pub table: usize,
}

/// The key entries of every key table of the first object table.
pub fn key_entries(f: &[u8]) -> Vec<KeyEntry> {
    let mut out = Vec::new();
    for e in object_entries(f) {
        let (kind, offset, size) = object(f, e);
        if kind != object_type::KEY_TABLE {
            continue;
        }
        let table = offset as usize;
        if table >= f.len() {
            continue;
        }
        let end = table.saturating_add(size as usize).min(f.len());
        let mut pos = table + KEY_TABLE_HEADER_SIZE;
        while pos + KEY_ENTRY_HEADER_SIZE <= end {
            let kind = f[pos];
            let size = u32_at(f, pos + 2).unwrap_or(0) as usize;
            if size < KEY_ENTRY_HEADER_SIZE {
                break;
            }
            let name_len = f[pos + 20] as usize;
            let name = f
                .get(pos + KEY_ENTRY_HEADER_SIZE..pos + KEY_ENTRY_HEADER_SIZE + name_len)
                .map(|n| String::from_utf8_lossy(n.strip_suffix(&[0]).unwrap_or(n)).into_owned())
                .unwrap_or_default();
            out.push(KeyEntry {
                at: pos,
                kind,
                name,
                data: pos + KEY_ENTRY_HEADER_SIZE + name_len,
                table,
            });
            pos += size;
        }
    }
    out
}

/// The meaningful data length of an entry of `kind` whose data is at
/// `data` (None for free entries).
fn meaningful(f: &[u8], e: &KeyEntry) -> Option<usize> {
    let flags = f[e.at + 1];
    if flags & 1 != 0 && e.kind != key_type::NODE {
        return Some(12);
    }
    Some(match e.kind {
        key_type::INT | key_type::UINT | key_type::DOUBLE => 8,
        key_type::BOOL => 4,
        key_type::NODE => 12,
        key_type::STRING | key_type::ARRAY => 4 + u32_at(f, e.data)? as usize,
        _ => return None,
    })
}

/// Recomputes a key entry's checksum (and does nothing for free entries
/// or entries whose data runs off the file).
pub fn fix_key(f: &mut [u8], e: &KeyEntry) {
    let Some(len) = meaningful(f, e) else { return };
    let Some(rest) = f.get(e.at + KEY_ENTRY_HEADER_SIZE..e.data + len) else {
        return;
    };
    let rest = rest.to_vec();
    let sum = checksum(&f[e.at..e.at + KEY_ENTRY_HEADER_SIZE], 12, &[&rest]);
    f[e.at + 12..e.at + 16].copy_from_slice(&sum.to_le_bytes());
}

/// Recomputes a key table header's checksum.
pub fn fix_key_table(f: &mut [u8], table: usize) {
    if let Some(h) = f.get(table..table + KEY_TABLE_HEADER_SIZE) {
        let sum = checksum(h, 6, &[]);
        f[table + 6..table + 10].copy_from_slice(&sum.to_le_bytes());
    }
}

/// Recomputes every checksum the reader verifies: both headers, the first
/// object table's entries, every key table header and key entry.
pub fn fix_all(f: &mut [u8]) {
    fix_headers(f);
    for e in object_entries(f) {
        fix_object(f, e);
    }
    let entries = key_entries(f);
    let mut tables: Vec<usize> = entries.iter().map(|e| e.table).collect();
    tables.dedup();
    for t in tables {
        fix_key_table(f, t);
    }
    for e in &entries {
        fix_key(f, e);
    }
}

/// The entry named `name` (the last path component).
pub fn key(f: &[u8], name: &str) -> KeyEntry {
    key_entries(f)
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no key named {name}"))
}

/// The replay log header's offset.
pub fn replay_log(f: &[u8]) -> usize {
    u64_at(f, 26).unwrap_or(0) as usize
}

/// The parent fields (table, offset) of an entry.
pub fn parent(f: &[u8], e: &KeyEntry) -> (u16, u32) {
    (
        u16_at(f, e.at + 6).unwrap_or(0),
        u32_at(f, e.at + 8).unwrap_or(0),
    )
}

/// Sets an entry's parent fields (and its checksum).
pub fn set_parent(f: &mut [u8], e: &KeyEntry, table: u16, offset: u32) {
    f[e.at + 6..e.at + 8].copy_from_slice(&table.to_le_bytes());
    f[e.at + 8..e.at + 12].copy_from_slice(&offset.to_le_bytes());
    fix_key(f, e);
}
