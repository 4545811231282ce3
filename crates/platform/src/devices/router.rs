//! [`DeviceRouter`]: a partition's claimed MMIO and port ranges, read by
//! the exit path of every VP. The maps sit behind read-write locks that
//! only a claim or release writes; the exit path first loads one atomic
//! flag (nothing claimed: nothing else to do), then takes the read lock
//! just long enough to clone the handler's `Arc`, and calls the handler
//! with no lock held.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use winhv_defs::E_INVALIDARG;

use super::DeviceHandler;
use super::map::RangeMap;
use crate::error::{Error, Result};
use crate::run::KvmExit;
use crate::vcpu::Vcpu;

/// An address space of claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// Guest-physical addresses (MMIO).
    Mmio,
    /// I/O ports.
    Port,
}

/// Whether `[base, base + len)` lies in `space` (ports end at 0xFFFF; a
/// wrapping MMIO range is refused by the map).
fn within_space(space: Space, base: u64, len: u64) -> bool {
    space == Space::Mmio || base.checked_add(len).is_some_and(|end| end <= 0x1_0000)
}

/// A claim, to release it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimId(u64);

/// A partition's claims.
#[derive(Default)]
pub struct DeviceRouter {
    /// True while any range is claimed: the exit path's only cost otherwise.
    claimed: AtomicBool,
    next_id: AtomicU64,
    /// Serialises claims and releases, so the flag follows the maps.
    changes: Mutex<()>,
    mmio: RwLock<RangeMap>,
    ports: RwLock<RangeMap>,
}

impl std::fmt::Debug for DeviceRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRouter")
            .field(
                "mmio",
                &*self
                    .map(Space::Mmio)
                    .read()
                    .unwrap_or_else(|p| p.into_inner()),
            )
            .field(
                "ports",
                &*self
                    .map(Space::Port)
                    .read()
                    .unwrap_or_else(|p| p.into_inner()),
            )
            .finish()
    }
}

impl DeviceRouter {
    fn map(&self, space: Space) -> &RwLock<RangeMap> {
        match space {
            Space::Mmio => &self.mmio,
            Space::Port => &self.ports,
        }
    }

    /// Claims `[base, base + len)` of `space` for `handler`.
    /// `E_INVALIDARG` when the range is empty, wraps (ports: passes
    /// 0x10000) or overlaps a claim.
    pub fn claim(
        &self,
        space: Space,
        base: u64,
        len: u64,
        handler: Arc<dyn DeviceHandler>,
    ) -> Result<ClaimId> {
        if !within_space(space, base, len) {
            return Err(Error::new(E_INVALIDARG, "a port claim past port 0xFFFF"));
        }
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut map = self.map(space).write().unwrap_or_else(|p| p.into_inner());
        if !map.insert(base, len, id, handler) {
            return Err(Error::with(
                E_INVALIDARG,
                format!("{space:?} claim {base:#x}+{len:#x} is empty, wraps or overlaps a claim"),
            ));
        }
        self.claimed.store(true, Ordering::Release);
        Ok(ClaimId(id))
    }

    /// Releases a claim; false when it was not one (already released).
    pub fn release(&self, id: ClaimId) -> bool {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let mut done = false;
        let mut empty = true;
        for space in [Space::Mmio, Space::Port] {
            let mut map = self.map(space).write().unwrap_or_else(|p| p.into_inner());
            done |= map.remove(id.0);
            empty &= map.is_empty();
        }
        self.claimed.store(!empty, Ordering::Release);
        done
    }

    /// Releases the claims `old` and makes the claims `new` in one step:
    /// no VP sees the ranges between the two. Returns the new claims' ids,
    /// `None` for one that overlaps a claim (it is not made).
    pub fn replace(
        &self,
        old: &[ClaimId],
        new: Vec<(Space, u64, u64, Arc<dyn DeviceHandler>)>,
    ) -> Vec<Option<ClaimId>> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let mut mmio = self.mmio.write().unwrap_or_else(|p| p.into_inner());
        let mut ports = self.ports.write().unwrap_or_else(|p| p.into_inner());
        for id in old {
            mmio.remove(id.0);
            ports.remove(id.0);
        }
        let ids = new
            .into_iter()
            .map(|(space, base, len, handler)| {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let map = match space {
                    Space::Mmio => &mut *mmio,
                    Space::Port => &mut *ports,
                };
                let fits =
                    space == Space::Mmio || base.checked_add(len).is_some_and(|e| e <= 0x1_0000);
                (fits && map.insert(base, len, id, handler)).then_some(ClaimId(id))
            })
            .collect();
        self.claimed
            .store(!(mmio.is_empty() && ports.is_empty()), Ordering::Release);
        ids
    }

    /// The handler claiming `[addr, addr + len)` of `space`, and the offset.
    pub fn lookup(
        &self,
        space: Space,
        addr: u64,
        len: u64,
    ) -> Option<(Arc<dyn DeviceHandler>, u64)> {
        let map = self.map(space).read().unwrap_or_else(|p| p.into_inner());
        map.lookup(addr, len).map(|(h, o)| (h.clone(), o))
    }

    /// Serves `exit` when it is an access to a claimed range: the read's
    /// data is left in `kvm_run` for KVM to complete on the next run.
    /// True when served (the VP just runs on).
    #[inline]
    pub(crate) fn serve(&self, vcpu: &mut Vcpu, exit: &KvmExit) -> bool {
        if !self.claimed.load(Ordering::Relaxed) {
            return false;
        }
        self.serve_claimed(vcpu, exit)
    }

    #[inline(never)]
    fn serve_claimed(&self, vcpu: &mut Vcpu, exit: &KvmExit) -> bool {
        match *exit {
            KvmExit::IoIn { port, size, .. } | KvmExit::IoOut { port, size, .. } => {
                let Some((h, offset)) = self.lookup(Space::Port, u64::from(port), u64::from(size))
                else {
                    return false;
                };
                let write = matches!(exit, KvmExit::IoOut { .. });
                // Every element of a string instruction goes to the port.
                let Some(data) = vcpu.area().io_data_mut() else {
                    return false;
                };
                for element in data.chunks_exact_mut(usize::from(size.max(1))) {
                    if write {
                        h.write(offset, element);
                    } else {
                        h.read(offset, element);
                    }
                }
                true
            }
            KvmExit::MmioRead { gpa, size } => {
                let Some((h, offset)) = self.lookup(Space::Mmio, gpa, u64::from(size)) else {
                    return false;
                };
                let Some(m) = vcpu.area().mmio_mut() else {
                    return false;
                };
                let n = usize::from(size).min(m.data.len());
                h.read(offset, &mut m.data[..n]);
                true
            }
            KvmExit::MmioWrite { gpa, size, data } => {
                let Some((h, offset)) = self.lookup(Space::Mmio, gpa, u64::from(size)) else {
                    return false;
                };
                let bytes = data.to_le_bytes();
                h.write(offset, &bytes[..usize::from(size).min(8)]);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nop;
    impl DeviceHandler for Nop {
        fn read(&self, _: u64, _: &mut [u8]) {}
        fn write(&self, _: u64, _: &[u8]) {}
    }

    #[test]
    fn claim_release_and_the_flag() {
        let r = DeviceRouter::default();
        assert!(!r.claimed.load(Ordering::Relaxed));
        let a = r.claim(Space::Port, 0xcf8, 1, Arc::new(Nop)).unwrap();
        let b = r.claim(Space::Mmio, 0xcf8, 1, Arc::new(Nop)).unwrap();
        assert_ne!(a, b);
        assert!(
            r.claim(Space::Port, 0xcf8, 4, Arc::new(Nop)).is_err(),
            "overlap"
        );
        assert!(
            r.claim(Space::Port, 0xfffe, 4, Arc::new(Nop)).is_err(),
            "past 0xFFFF"
        );
        let c = r.claim(Space::Port, 0xfffc, 4, Arc::new(Nop)).unwrap();
        assert!(r.lookup(Space::Port, 0xcf8, 1).is_some());
        assert!(r.lookup(Space::Port, 0xcf8, 4).is_none(), "not contained");
        assert!(r.release(a));
        assert!(!r.release(a));
        assert!(r.claimed.load(Ordering::Relaxed), "two claims left");
        assert!(r.release(b));
        assert!(r.release(c));
        assert!(!r.claimed.load(Ordering::Relaxed));
    }
}
