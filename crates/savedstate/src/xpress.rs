//! XPRESS "Plain LZ77" ([MS-XCA] section 2.3/2.4, Windows'
//! `COMPRESSION_FORMAT_XPRESS`): the decoder the `.vmrs` reader uses for
//! RAM blocks stored shorter than 1 MiB, and a greedy encoder (used by the
//! tests and the fuzzer to make compressed blocks; any valid encoding
//! decodes the same).
//!
//! The stream is 32-bit little-endian flag words, read from bit 31 down,
//! each bit saying whether the next item is a literal byte (0) or a match
//! (1): a 16-bit token `(offset - 1) << 3 | length - 3`, where a length
//! field of 7 continues in a shared half byte, then a byte, then 16 or 32
//! bits. A match flag with no input left ends the stream.
//!
//! The decoder writes into a caller's fixed buffer and checks every read
//! and copy: a bad stream (a match before the start of the output, one
//! past its end, a truncated token) is an [`XpressError`], never a panic
//! or an out-of-bounds access.

/// Why a stream does not decode.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum XpressError {
    /// The input ends inside a match token or its length.
    Truncated {
        /// The input offset of the token.
        at: usize,
    },
    /// A match refers to bytes before the start of the output.
    OffsetBeforeStart {
        /// The input offset of the token.
        at: usize,
        /// How far back it refers.
        offset: usize,
    },
    /// The output would be longer than the buffer.
    OutputOverrun {
        /// The input offset of the item.
        at: usize,
    },
    /// A 32-bit match length below the minimum the format allows.
    BadLength {
        /// The input offset of the token.
        at: usize,
    },
}

impl core::fmt::Display for XpressError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Truncated { at } => write!(f, "the XPRESS stream ends inside a match at {at}"),
            Self::OffsetBeforeStart { at, offset } => write!(
                f,
                "an XPRESS match at {at} refers {offset} bytes back, before the start"
            ),
            Self::OutputOverrun { at } => {
                write!(f, "the XPRESS stream at {at} decodes past the block's end")
            }
            Self::BadLength { at } => write!(f, "a bad XPRESS match length at {at}"),
        }
    }
}

/// Reads `N` little-endian bytes at `*pos`, advancing it.
fn take<const N: usize>(input: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let bytes = input.get(*pos..pos.checked_add(N)?)?;
    *pos += N;
    bytes.try_into().ok()
}

/// Decodes `input` into `out`; returns how many bytes it wrote.
pub fn decompress(input: &[u8], out: &mut [u8]) -> Result<usize, XpressError> {
    let mut pos = 0usize;
    let mut written = 0usize;
    let mut flags = 0u32;
    let mut flag_count = 0u32;
    // The input position of a half-used length byte (0: none; a flag word
    // always occupies position 0, so no length byte is ever there).
    let mut half_byte = 0usize;
    loop {
        if flag_count == 0 {
            let Some(word) = take::<4>(input, &mut pos) else {
                return Ok(written);
            };
            flags = u32::from_le_bytes(word);
            flag_count = 32;
        }
        flag_count -= 1;
        if flags & (1 << flag_count) == 0 {
            let Some(&byte) = input.get(pos) else {
                return Ok(written);
            };
            let slot = out
                .get_mut(written)
                .ok_or(XpressError::OutputOverrun { at: pos })?;
            *slot = byte;
            pos += 1;
            written += 1;
            continue;
        }
        if pos == input.len() {
            return Ok(written);
        }
        let at = pos;
        let truncated = XpressError::Truncated { at };
        let token = u16::from_le_bytes(take::<2>(input, &mut pos).ok_or(truncated)?);
        let offset = usize::from(token >> 3) + 1;
        let mut len = usize::from(token & 7);
        if len == 7 {
            if half_byte == 0 {
                len = usize::from(*input.get(pos).ok_or(truncated)? & 0xf);
                half_byte = pos;
                pos += 1;
            } else {
                len = usize::from(input[half_byte] >> 4);
                half_byte = 0;
            }
            if len == 15 {
                len = usize::from(*input.get(pos).ok_or(truncated)?);
                pos += 1;
                if len == 255 {
                    len = usize::from(u16::from_le_bytes(
                        take::<2>(input, &mut pos).ok_or(truncated)?,
                    ));
                    if len == 0 {
                        len = u32::from_le_bytes(take::<4>(input, &mut pos).ok_or(truncated)?)
                            as usize;
                    }
                    len = len
                        .checked_sub(15 + 7)
                        .ok_or(XpressError::BadLength { at })?;
                }
                len += 15;
            }
            len += 7;
        }
        len += 3;
        let from = written
            .checked_sub(offset)
            .ok_or(XpressError::OffsetBeforeStart { at, offset })?;
        let end = written
            .checked_add(len)
            .filter(|&e| e <= out.len())
            .ok_or(XpressError::OutputOverrun { at })?;
        // out[from..written] repeats with period `offset`; copying it
        // forward keeps the period, and the copyable span doubles each
        // round (a run of one byte is a few block copies, not len loops).
        let mut to = written;
        while to < end {
            let n = (end - to).min(to - from);
            out.copy_within(from..from + n, to);
            to += n;
        }
        written = end;
    }
}

/// The longest match offset the 13-bit field holds.
const MAX_OFFSET: usize = 1 << 13;
/// The shortest match.
const MIN_MATCH: usize = 3;

/// Writes a match of `len` (≥ 3) bytes `offset` (1..=8192) back.
fn put_match(out: &mut Vec<u8>, half_byte: &mut Option<usize>, offset: usize, len: usize) {
    let m = len - MIN_MATCH;
    let token = ((offset - 1) << 3) as u16 | m.min(7) as u16;
    out.extend_from_slice(&token.to_le_bytes());
    if m < 7 {
        return;
    }
    let m = m - 7;
    let nibble = m.min(15) as u8;
    match half_byte.take() {
        Some(at) => out[at] |= nibble << 4,
        None => {
            *half_byte = Some(out.len());
            out.push(nibble);
        }
    }
    if m < 15 {
        return;
    }
    let m = m - 15;
    if m < 255 {
        out.push(m as u8);
        return;
    }
    out.push(255);
    let total = len - MIN_MATCH;
    match u16::try_from(total) {
        Ok(v) => out.extend_from_slice(&v.to_le_bytes()),
        Err(_) => {
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&(total as u32).to_le_bytes());
        }
    }
}

/// Encodes `input` (greedy, with a 3-byte hash of the last position of
/// each prefix).
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2 + 8);
    let mut flags_at = 0usize;
    out.extend_from_slice(&[0; 4]);
    let mut flags = 0u32;
    let mut flag_count = 0u32;
    let mut half_byte = None;
    let mut last = vec![usize::MAX; 1 << 14];
    let hash =
        |b: &[u8]| (usize::from(b[0]) << 6 ^ usize::from(b[1]) << 3 ^ usize::from(b[2])) & 0x3fff;
    let mut i = 0;
    while i < input.len() {
        let mut found = None;
        if i + MIN_MATCH <= input.len() {
            let h = hash(&input[i..]);
            let cand = last[h];
            last[h] = i;
            // A run of one byte matches itself one back.
            for c in [cand, i.wrapping_sub(1)] {
                if c < i && i - c <= MAX_OFFSET {
                    let n = input[i..]
                        .iter()
                        .zip(&input[c..])
                        .take_while(|(a, b)| a == b)
                        .count();
                    if n >= MIN_MATCH && found.is_none_or(|(_, best)| n > best) {
                        found = Some((i - c, n));
                    }
                }
            }
        }
        flags <<= 1;
        match found {
            Some((offset, len)) => {
                flags |= 1;
                put_match(&mut out, &mut half_byte, offset, len);
                i += len;
            }
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
        flag_count += 1;
        if flag_count == 32 {
            out[flags_at..flags_at + 4].copy_from_slice(&flags.to_le_bytes());
            flags_at = out.len();
            out.extend_from_slice(&[0; 4]);
            flags = 0;
            flag_count = 0;
        }
    }
    // The unused flags are matches: with no input left, they end it.
    let rest = 32 - flag_count;
    let word = if rest == 32 {
        u32::MAX
    } else {
        (flags << rest) | ((1u32 << rest) - 1)
    };
    out[flags_at..flags_at + 4].copy_from_slice(&word.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let c = compress(data);
        let mut out = vec![0u8; data.len()];
        assert_eq!(decompress(&c, &mut out), Ok(data.len()));
        assert_eq!(out, data);
        c
    }

    #[test]
    fn round_trips_every_length_encoding() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"abcabcabcabcabcabcx");
        // Lengths in the token, the half byte, the byte, 16 and 32 bits.
        for n in [5, 9, 12, 20, 30, 300, 70_000, 1 << 20] {
            let mut v = b"xyz".to_vec();
            v.resize(n, 0);
            v.extend_from_slice(b"tail");
            round_trip(&v);
        }
        // A zero 1 MiB block compresses to a few bytes.
        assert!(round_trip(&vec![0u8; 1 << 20]).len() < 32);
        let text: Vec<u8> = (0..200_000u32)
            .map(|i| (i * 7 % 13 + i / 1000) as u8)
            .collect();
        round_trip(&text);
    }

    #[test]
    fn a_hand_made_stream_decodes() {
        // Flags 0b0001_1111…: three literals, then a 5-byte match 3 back,
        // then a match flag with no input: the end.
        let mut s = (0x1fff_ffffu32).to_le_bytes().to_vec();
        s.extend_from_slice(b"abc");
        s.extend_from_slice(&(((3 - 1) << 3 | (5 - 3)) as u16).to_le_bytes());
        let mut out = [0u8; 8];
        assert_eq!(decompress(&s, &mut out), Ok(8));
        assert_eq!(&out, b"abcabcab");
    }

    #[test]
    fn bad_streams_are_errors() {
        let mut out = [0u8; 16];
        // A match at the start refers before it.
        let mut s = u32::MAX.to_le_bytes().to_vec();
        s.extend_from_slice(&0u16.to_le_bytes());
        assert!(matches!(
            decompress(&s, &mut out),
            Err(XpressError::OffsetBeforeStart { .. })
        ));
        // A truncated token.
        let mut s = 0x7fff_ffffu32.to_le_bytes().to_vec();
        s.extend_from_slice(b"a\x07");
        assert!(matches!(
            decompress(&s, &mut out),
            Err(XpressError::Truncated { .. })
        ));
        // Too much output.
        let c = compress(&[1u8; 64]);
        assert!(matches!(
            decompress(&c, &mut out),
            Err(XpressError::OutputOverrun { .. })
        ));
        // A 32-bit length below 22.
        let mut s = 0x7fff_ffffu32.to_le_bytes().to_vec();
        s.push(b'a');
        s.extend_from_slice(&7u16.to_le_bytes());
        s.extend_from_slice(&[0x0f, 0xff, 0, 0]);
        s.extend_from_slice(&3u32.to_le_bytes());
        assert!(matches!(
            decompress(&s, &mut out),
            Err(XpressError::BadLength { .. })
        ));
    }

    #[test]
    fn random_and_mutated_streams_never_panic() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut out = vec![0u8; 4096];
        for round in 0..3000 {
            let len = (round * 7) % 200;
            let input: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = decompress(&input, &mut out);
        }
        // Valid streams with a few bytes changed or cut: Ok or an error.
        let data: Vec<u8> = (0..4096u32)
            .map(|i| (i / 100 % 3) as u8 ^ (i % 7 == 0) as u8)
            .collect();
        let valid = compress(&data);
        for _ in 0..3000 {
            let mut s = valid.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % s.len() as u64) as usize;
                s[at] = next() as u8;
            }
            s.truncate(s.len() - (next() % 4) as usize);
            if let Ok(n) = decompress(&s, &mut out) {
                assert!(n <= out.len());
            }
        }
    }
}
