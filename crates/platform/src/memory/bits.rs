//! Page bitmaps (one bit per 4 KiB page, 64 pages per `u64`, LSB first, as
//! KVM and WHvQueryGpaRangeDirtyBitmap lay them out): moving runs of bits a
//! word at a time.

/// Up to 64 bits of `bits` starting at bit `at` (bits past the end read 0).
fn get(bits: &[u64], at: usize, n: usize) -> u64 {
    let (w, b) = (at / 64, at % 64);
    let lo = bits.get(w).copied().unwrap_or(0) >> b;
    let hi = if b == 0 {
        0
    } else {
        bits.get(w + 1).copied().unwrap_or(0) << (64 - b)
    };
    (lo | hi) & mask(n)
}

/// ORs the low `n` (≤ 64) bits of `v` into `bits` at bit `at` (bits past the
/// end are dropped).
fn or(bits: &mut [u64], at: usize, n: usize, v: u64) {
    let v = v & mask(n);
    let (w, b) = (at / 64, at % 64);
    if let Some(x) = bits.get_mut(w) {
        *x |= v << b;
    }
    if b != 0 {
        if let Some(x) = bits.get_mut(w + 1) {
            *x |= v >> (64 - b);
        }
    }
}

/// Clears `n` (≤ 64) bits of `bits` at bit `at`.
fn clear(bits: &mut [u64], at: usize, n: usize) {
    let m = mask(n);
    let (w, b) = (at / 64, at % 64);
    if let Some(x) = bits.get_mut(w) {
        *x &= !(m << b);
    }
    if b != 0 {
        if let Some(x) = bits.get_mut(w + 1) {
            *x &= !(m >> (64 - b));
        }
    }
}

fn mask(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1 << n) - 1 }
}

/// Moves `count` bits of `src` from bit `from` into `dst` (when given) at
/// bit `to` — the run's bits in `dst` become `src`'s, the bits around it
/// are kept — and clears them in `src`. Whole words when both positions are
/// word-aligned, two shifts per 64 bits otherwise.
pub(crate) fn take(src: &mut [u64], from: usize, dst: Option<&mut [u64]>, to: usize, count: usize) {
    let mut dst = dst;
    let mut done = 0;
    if from % 64 == 0 && to % 64 == 0 {
        // Whole words: the usual case (a query of a whole range).
        let words = count / 64;
        let src_len = src.len();
        let s0 = (from / 64).min(src_len);
        let src_words = &mut src[s0..(s0 + words).min(src_len)];
        match dst.as_deref_mut() {
            Some(out) => {
                let out_len = out.len();
                let d0 = (to / 64).min(out_len);
                let out_words = &mut out[d0..(d0 + words).min(out_len)];
                let n = src_words.len().min(out_words.len());
                let (moved, beyond) = out_words.split_at_mut(n);
                // memcpy + memset: a 1 GiB range is 4,096 words.
                moved.copy_from_slice(&src_words[..n]);
                src_words[..n].fill(0);
                // Bits past the end of `src` read 0.
                beyond.fill(0);
            }
            None => src_words.fill(0),
        }
        done = words * 64;
    }
    while done < count {
        let n = (count - done).min(64);
        let (s, d) = (from + done, to + done);
        let v = get(src, s, n);
        clear(src, s, n);
        if let Some(out) = dst.as_deref_mut() {
            clear(out, d, n);
            or(out, d, n, v);
        }
        done += n;
    }
}

/// Clears the bits of `bits` from bit `at` to the end of its word.
pub(crate) fn clear_word_tail(bits: &mut [u64], at: usize) {
    if at % 64 != 0 {
        clear(bits, at, 64 - at % 64);
    }
}

/// Clears every bit of `bits` outside `first..first + count`.
pub(crate) fn keep(bits: &mut [u64], first: usize, count: usize) {
    let end = (first + count).min(bits.len() * 64);
    let first = first.min(end);
    let (w0, w1) = (first / 64, end.div_ceil(64));
    bits[..w0].fill(0);
    bits[w1..].fill(0);
    if first % 64 != 0 {
        bits[w0] &= !mask(first % 64);
    }
    if end % 64 != 0 {
        bits[w1 - 1] &= mask(end % 64);
    }
}

/// `count` bits of `bits` from bit `first`, as a new bitmap.
pub(crate) fn copy(bits: &[u64], first: usize, count: usize) -> Vec<u64> {
    let mut out = vec![0u64; count.div_ceil(64)];
    let mut done = 0;
    while done < count {
        let n = (count - done).min(64);
        or(&mut out, done, n, get(bits, first + done, n));
        done += n;
    }
    out
}

/// ORs `bits` into `into`, growing it to `bits`' length.
pub(crate) fn merge(into: &mut Vec<u64>, bits: &[u64]) {
    if into.len() < bits.len() {
        into.resize(bits.len(), 0);
    }
    into.iter_mut().zip(bits).for_each(|(a, b)| *a |= b);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-by-bit reference.
    fn bit(bits: &[u64], i: usize) -> bool {
        bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn pattern(words: usize, seed: u64) -> Vec<u64> {
        (0..words as u64)
            .map(|i| (i + seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (seed << 7))
            .collect()
    }

    #[test]
    fn take_matches_bit_by_bit_at_every_alignment() {
        for from in [0, 1, 63, 64, 65, 130] {
            for to in [0, 3, 64, 100] {
                for count in [0, 1, 63, 64, 65, 200, 256] {
                    let orig = pattern(8, (from * 7 + to * 3 + count) as u64);
                    let mut src = orig.clone();
                    let mut dst = pattern(8, 99);
                    let before = dst.clone();
                    take(&mut src, from, Some(&mut dst), to, count);
                    for i in 0..512 {
                        let want = if i >= to && i < to + count {
                            bit(&orig, from + i - to)
                        } else {
                            bit(&before, i)
                        };
                        assert_eq!(
                            bit(&dst, i),
                            want,
                            "dst bit {i} from={from} to={to} count={count}"
                        );
                        let cleared = i >= from && i < from + count;
                        assert_eq!(bit(&src, i), bit(&orig, i) && !cleared, "src bit {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn take_without_destination_only_clears_and_stops_at_the_end() {
        let mut src = vec![u64::MAX; 2];
        take(&mut src, 60, None, 0, 200);
        assert_eq!(src, vec![(1 << 60) - 1, 0]);
    }

    #[test]
    fn clear_word_tail_clears_only_past_the_last_page() {
        let mut b = vec![u64::MAX; 2];
        clear_word_tail(&mut b, 70);
        assert_eq!(b, vec![u64::MAX, (1 << 6) - 1]);
        clear_word_tail(&mut b, 64);
        assert_eq!(b, vec![u64::MAX, (1 << 6) - 1], "a whole word: nothing");
    }

    #[test]
    fn keep_clears_exactly_outside_the_run() {
        for (first, count) in [
            (0, 0),
            (0, 256),
            (3, 5),
            (60, 10),
            (64, 64),
            (65, 130),
            (200, 100),
        ] {
            let orig = pattern(4, (first + count) as u64);
            let mut b = orig.clone();
            keep(&mut b, first, count);
            for i in 0..256 {
                let inside = i >= first && i < first + count;
                assert_eq!(
                    bit(&b, i),
                    inside && bit(&orig, i),
                    "bit {i} first={first} count={count}"
                );
            }
        }
    }

    #[test]
    fn copy_and_merge() {
        let bits = pattern(4, 5);
        let c = copy(&bits, 70, 130);
        assert_eq!(c.len(), 3);
        for i in 0..192 {
            assert_eq!(bit(&c, i), i < 130 && bit(&bits, 70 + i), "bit {i}");
        }
        let mut into = vec![1];
        merge(&mut into, &[2, 4]);
        assert_eq!(into, vec![3, 4]);
    }
}
