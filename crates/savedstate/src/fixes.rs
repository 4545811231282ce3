//! [`Fixes`]: the guest memory fixes a caller applied
//! (`ApplyGuestMemoryFix`): bytes laid over guest-physical memory, each
//! within one page, seen by every later physical read, and so by virtual
//! reads and the page walker. They live in memory only; the file is never
//! written. A later fix over the same bytes wins.

use std::sync::RwLock;

/// Patches of guest-physical memory, in the order applied.
#[derive(Debug, Default)]
pub struct Fixes(RwLock<Vec<(u64, Box<[u8]>)>>);

impl Clone for Fixes {
    fn clone(&self) -> Self {
        Self(RwLock::new(self.read().clone()))
    }
}

impl Fixes {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(u64, Box<[u8]>)>> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds patches, all at once (`(gpa, bytes)` each).
    pub fn add(&self, patches: Vec<(u64, Box<[u8]>)>) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(patches);
    }

    /// How many patches there are.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lays the patches over `buf`, the bytes read at `gpa`.
    pub fn overlay(&self, gpa: u64, buf: &mut [u8]) {
        let fixes = self.read();
        let end = gpa.saturating_add(buf.len() as u64);
        for (at, bytes) in fixes.iter() {
            let from = (*at).max(gpa);
            let to = at.saturating_add(bytes.len() as u64).min(end);
            if from < to {
                let n = (to - from) as usize;
                let dst = (from - gpa) as usize;
                let src = (from - at) as usize;
                buf[dst..dst + n].copy_from_slice(&bytes[src..src + n]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_patches_win_and_only_overlaps_change() {
        let f = Fixes::default();
        f.add(vec![(0x1002, b"abcd".to_vec().into())]);
        f.add(vec![
            (0x1004, b"XY".to_vec().into()),
            (0x2000, b"z".to_vec().into()),
        ]);
        let mut buf = [b'.'; 8];
        f.overlay(0x1000, &mut buf);
        assert_eq!(&buf, b"..abXY..");
        let mut buf = [b'.'; 2];
        f.overlay(0x1fff, &mut buf);
        assert_eq!(&buf, b".z");
        let mut buf = [b'.'; 2];
        f.overlay(u64::MAX - 1, &mut buf);
        assert_eq!(&buf, b"..");
        assert_eq!(f.clone().len(), 3);
    }
}
