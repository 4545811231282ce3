//! [`PciSegment`]: bus 0 of one PCI segment — the host bridge at 00:00.0
//! and the functions plugged in — with config-space access by the legacy
//! ports or ECAM, the platform-owned header registers of each function
//! ([`Header`]), and the list of decoding BARs ([`Region`]) the platform's
//! router claims.
//!
//! Our choices: byte and word config writes become a read-modify-write of
//! the dword (a function with write-1-to-clear bits outside the status
//! register must mask them); the status register (the upper half of the
//! command dword) reaches the function only when the guest's write covers
//! it, and the command register never does (as the Windows VID does for
//! HDV devices). An absent function reads all-ones; config accesses that
//! are not 1, 2 or 4 bytes within one dword read all-ones and write
//! nothing. Only bus 0 has functions.

use std::collections::BTreeMap;
use std::sync::Arc;

use thiserror::Error;

use crate::address::Bdf;
use crate::alloc::Windows;
use crate::bar::BarKind;
use crate::cf8::{CONFIG_ADDRESS_PORT, LegacyPorts};
use crate::ecam::Ecam;
use crate::function::PciFunction;
use crate::header::Header;
use crate::host_bridge::HostBridge;
use crate::regs;

/// Why a function cannot be plugged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SegmentError {
    /// The device number is taken (or out of range).
    #[error("PCI device {0} is taken or out of range")]
    SlotTaken(u8),
    /// Every device number of bus 0 is taken.
    #[error("bus 0 has no free device number")]
    Full,
    /// A BAR found no room in the windows.
    #[error("no room for BAR{0} in the MMIO/I/O windows")]
    NoRoom(u8),
}

/// Memory or I/O space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    /// Guest-physical memory (MMIO).
    Memory,
    /// I/O ports.
    Io,
}

/// A BAR that decodes now.
#[derive(Clone)]
pub struct Region {
    /// Memory or I/O.
    pub kind: RegionKind,
    /// Its base (GPA or port).
    pub base: u64,
    /// Its size in bytes.
    pub size: u64,
    /// The function.
    pub bdf: Bdf,
    /// Its BAR index.
    pub bar: u8,
    /// The function, to call with BAR-relative offsets.
    pub function: Arc<dyn PciFunction>,
}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region")
            .field("kind", &self.kind)
            .field("base", &format_args!("{:#x}", self.base))
            .field("size", &format_args!("{:#x}", self.size))
            .field("bdf", &self.bdf)
            .field("bar", &self.bar)
            .finish()
    }
}

struct Slot {
    function: Arc<dyn PciFunction>,
    header: Header,
}

/// One PCI segment's bus 0.
pub struct PciSegment {
    ecam: Option<Ecam>,
    legacy: LegacyPorts,
    windows: Windows,
    slots: BTreeMap<Bdf, Slot>,
}

impl std::fmt::Debug for PciSegment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PciSegment")
            .field("ecam", &self.ecam)
            .field("windows", &self.windows)
            .field("functions", &self.slots.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl PciSegment {
    /// A segment with the host bridge at 00:00.0, reachable by ECAM at
    /// `ecam` (when given) and by the legacy ports, placing BARs in
    /// `windows`.
    pub fn new(ecam: Option<Ecam>, windows: Windows) -> PciSegment {
        let mut slots = BTreeMap::new();
        let bridge: Arc<dyn PciFunction> = Arc::new(HostBridge::default());
        slots.insert(
            Bdf {
                bus: 0,
                device: 0,
                function: 0,
            },
            Slot {
                header: Header::new(&bridge.probed_bars()),
                function: bridge,
            },
        );
        PciSegment {
            ecam,
            legacy: LegacyPorts::default(),
            windows,
            slots,
        }
    }

    /// The ECAM window.
    pub fn ecam(&self) -> Option<Ecam> {
        self.ecam
    }

    /// Plugs `function` as function 0 of device `device` (`None`: the
    /// lowest free one), placing its BARs in the windows; decoding stays
    /// off until the guest (or [`PciSegment::config_write`]) enables it.
    pub fn add(
        &mut self,
        device: Option<u8>,
        function: Arc<dyn PciFunction>,
    ) -> Result<Bdf, SegmentError> {
        let bdf = match device {
            Some(d) => Bdf::new(0, d, 0)
                .filter(|b| !self.slots.contains_key(b))
                .ok_or(SegmentError::SlotTaken(d))?,
            None => (1..32)
                .filter_map(|d| Bdf::new(0, d, 0))
                .find(|b| !self.slots.contains_key(b))
                .ok_or(SegmentError::Full)?,
        };
        let mut header = Header::new(&function.probed_bars());
        let mut windows = self.windows.clone();
        for i in 0..regs::BAR_COUNT {
            if let Some(bar) = header.bar(i).copied() {
                let base = windows
                    .place(&bar.info)
                    .ok_or(SegmentError::NoRoom(i as u8))?;
                header.place(i, base);
            }
        }
        self.windows = windows;
        self.slots.insert(bdf, Slot { function, header });
        Ok(bdf)
    }

    /// Unplugs the function at `bdf` (not the host bridge); true when
    /// there was one. Its BAR ranges are not given back to the windows.
    pub fn remove(&mut self, bdf: Bdf) -> bool {
        bdf != Bdf::default() && self.slots.remove(&bdf).is_some()
    }

    /// The function at `bdf`.
    pub fn function(&self, bdf: Bdf) -> Option<&Arc<dyn PciFunction>> {
        self.slots.get(&bdf).map(|s| &s.function)
    }

    /// The platform-owned header registers of the function at `bdf`.
    pub fn header(&self, bdf: Bdf) -> Option<&Header> {
        self.slots.get(&bdf).map(|s| &s.header)
    }

    fn read_dword(&self, bdf: Bdf, offset: u16) -> u32 {
        let Some(slot) = self.slots.get(&bdf) else {
            return u32::MAX;
        };
        match slot.header.read(offset) {
            Some(command) if offset == regs::COMMAND => {
                (slot.function.config_read(offset) & 0xffff_0000) | command
            }
            Some(v) => v,
            None => slot.function.config_read(offset),
        }
    }

    /// A config read of `size` bytes at byte `offset` of `bdf`'s space.
    pub fn config_read(&self, bdf: Bdf, offset: u16, size: u8) -> u32 {
        let lane = offset & 3;
        if !matches!(size, 1 | 2 | 4) || lane + u16::from(size) > 4 || offset >= 0x1000 {
            return u32::MAX;
        }
        let v = self.read_dword(bdf, offset & !3) >> (8 * lane);
        if size == 4 {
            v
        } else {
            v & ((1 << (8 * size)) - 1)
        }
    }

    /// A config write of the low `size` bytes of `value` at byte `offset`;
    /// true when the decoding regions changed (the router must reload
    /// [`PciSegment::regions`]).
    pub fn config_write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32) -> bool {
        let lane = offset & 3;
        if !matches!(size, 1 | 2 | 4) || lane + u16::from(size) > 4 || offset >= 0x1000 {
            return false;
        }
        if !self.slots.contains_key(&bdf) {
            return false;
        }
        let dword_at = offset & !3;
        let bytes: u32 = if size == 4 {
            u32::MAX
        } else {
            ((1 << (8 * size)) - 1) << (8 * lane)
        };
        let merged = if size == 4 {
            value
        } else {
            (self.read_dword(bdf, dword_at) & !bytes) | ((value << (8 * lane)) & bytes)
        };
        let Some(slot) = self.slots.get_mut(&bdf) else {
            return false;
        };
        let w = slot.header.write(dword_at, merged);
        if dword_at == regs::COMMAND && bytes & 0xffff_0000 != 0 {
            // The status half, as the guest wrote it (W1C bits).
            slot.function
                .config_write(dword_at, value << (8 * lane) & bytes & 0xffff_0000);
        } else if !w.owned {
            slot.function.config_write(dword_at, merged);
        }
        w.regions_changed
    }

    /// Whether `port` is one of the legacy mechanism's (0xCF8–0xCFF).
    pub fn is_legacy_port(port: u16) -> bool {
        (CONFIG_ADDRESS_PORT..CONFIG_ADDRESS_PORT + 8).contains(&port)
    }

    /// A guest read of the legacy ports.
    pub fn io_read(&self, port: u16, size: u8) -> u32 {
        if port == CONFIG_ADDRESS_PORT {
            return self.legacy.read_address(size);
        }
        match self.legacy.data(port, size) {
            Some(a) => self.config_read(a.bdf, a.offset, size),
            None => u32::MAX,
        }
    }

    /// A guest write of the legacy ports; true when the regions changed.
    pub fn io_write(&mut self, port: u16, size: u8, value: u32) -> bool {
        if port == CONFIG_ADDRESS_PORT {
            self.legacy.write_address(size, value);
            return false;
        }
        match self.legacy.data(port, size) {
            Some(a) => self.config_write(a.bdf, a.offset, size, value),
            None => false,
        }
    }

    /// A guest read of the ECAM window at `gpa`; `None` outside it.
    pub fn ecam_read(&self, gpa: u64, size: u8) -> Option<u32> {
        let (bdf, offset) = self.ecam?.decode(gpa)?;
        Some(self.config_read(bdf, offset, size))
    }

    /// A guest write of the ECAM window; `None` outside it, else whether
    /// the regions changed.
    pub fn ecam_write(&mut self, gpa: u64, size: u8, value: u32) -> Option<bool> {
        let (bdf, offset) = self.ecam?.decode(gpa)?;
        Some(self.config_write(bdf, offset, size, value))
    }

    /// The BARs that decode now, by function and BAR index.
    pub fn regions(&self) -> Vec<Region> {
        let mut out = Vec::new();
        for (bdf, slot) in &self.slots {
            for i in 0..regs::BAR_COUNT {
                let Some(bar) = slot.header.bar(i) else {
                    continue;
                };
                if !slot.header.decoding(i) {
                    continue;
                }
                out.push(Region {
                    kind: match bar.info.kind {
                        BarKind::Io => RegionKind::Io,
                        _ => RegionKind::Memory,
                    },
                    base: bar.address,
                    size: bar.info.size,
                    bdf: *bdf,
                    bar: i as u8,
                    function: slot.function.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cf8::ConfigAddress;
    use crate::config_space::ConfigSpace;
    use std::sync::Mutex;

    /// A function with BAR0 (4 KiB memory), BAR2 (64-bit 1 MiB) and BAR4
    /// (I/O, 16 bytes) recording its config writes.
    struct Toy {
        config: Mutex<ConfigSpace>,
        writes: Mutex<Vec<(u16, u32)>>,
    }

    impl Toy {
        fn new() -> Arc<Toy> {
            let mut c = ConfigSpace::new(0x1234, 0x11e8, 0x0000_ff00, 0x10);
            c.set_writable(0x40, u32::MAX);
            c.set_u16(6, 0x8000);
            c.set_clear_on_write(4, 0xffff_0000);
            Arc::new(Toy {
                config: Mutex::new(c),
                writes: Mutex::new(Vec::new()),
            })
        }
    }

    impl PciFunction for Toy {
        fn probed_bars(&self) -> [u32; 6] {
            [0xffff_f000, 0, 0xfff0_000c, 0xffff_ffff, 0xffff_fff1, 0]
        }
        fn config_read(&self, offset: u16) -> u32 {
            self.config.lock().unwrap().read_dword(offset)
        }
        fn config_write(&self, offset: u16, value: u32) {
            self.writes.lock().unwrap().push((offset, value));
            self.config.lock().unwrap().write_dword(offset, value);
        }
        fn bar_read(&self, _: u8, _: u64, data: &mut [u8]) {
            data.fill(0);
        }
        fn bar_write(&self, _: u8, _: u64, _: &[u8]) {}
    }

    fn segment() -> PciSegment {
        PciSegment::new(
            Some(Ecam {
                base: 0xb000_0000,
                first: 0,
                last: 0,
            }),
            Windows {
                mem32: 0xfe00_0000..0xff00_0000,
                mem64: 0x10_0000_0000..0x20_0000_0000,
                io: 0xc000..0x10000,
            },
        )
    }

    #[test]
    fn host_bridge_and_absent_functions() {
        let s = segment();
        let root = Bdf::default();
        assert_eq!(s.config_read(root, 0, 4), 0x0008_1b36);
        assert_eq!(s.config_read(root, 0xa, 2), 0x0600, "class 06/00");
        assert_eq!(s.config_read(root, 0xb, 1), 0x06);
        let absent = Bdf::new(0, 5, 0).unwrap();
        assert_eq!(s.config_read(absent, 0, 4), u32::MAX);
        assert_eq!(s.config_read(root, 2, 4), u32::MAX, "crosses the dword");
        assert_eq!(s.config_read(root, 0, 3), u32::MAX);
        assert_eq!(s.ecam_read(0xb000_0000, 4), Some(0x0008_1b36));
        assert_eq!(s.ecam_read(0xb010_0000, 4), None, "outside");
        assert_eq!(s.ecam_read(0xb000_8000, 2), Some(0xffff), "no device 1");
    }

    #[test]
    fn plug_places_bars_and_both_mechanisms_agree() {
        let mut s = segment();
        let bdf = s.add(None, Toy::new()).unwrap();
        assert_eq!(bdf, Bdf::new(0, 1, 0).unwrap());
        assert_eq!(s.add(Some(1), Toy::new()), Err(SegmentError::SlotTaken(1)));
        assert_eq!(
            s.add(Some(32), Toy::new()),
            Err(SegmentError::SlotTaken(32))
        );
        let h = s.header(bdf).unwrap();
        assert_eq!(h.bar(0).unwrap().address, 0xfe00_0000);
        assert_eq!(h.bar(2).unwrap().address, 0x10_0000_0000);
        assert_eq!(h.bar(4).unwrap().address, 0xc000);
        for offset in (0..0x40).step_by(4) {
            s.io_write(0xcf8, 4, ConfigAddress::of(bdf, offset).0);
            let by_ports = s.io_read(0xcfc, 4);
            let by_ecam = s
                .ecam_read(0xb000_0000 + (1 << 15) + u64::from(offset), 4)
                .unwrap();
            assert_eq!(by_ports, by_ecam, "offset {offset:#x}");
        }
        assert!(s.regions().is_empty(), "decoding off");
        // Word read of the device ID through port 0xCFE.
        s.io_write(0xcf8, 4, ConfigAddress::of(bdf, 0).0);
        assert_eq!(s.io_read(0xcfe, 2), 0x11e8);
    }

    #[test]
    fn command_bars_and_forwarding() {
        let mut s = segment();
        let toy = Toy::new();
        let bdf = s.add(Some(3), toy.clone()).unwrap();
        // Enabling memory decoding: two memory regions, forwarded nowhere.
        assert!(s.config_write(
            bdf,
            4,
            2,
            u32::from(regs::COMMAND_MEMORY | regs::COMMAND_BUS_MASTER)
        ));
        assert!(
            toy.writes.lock().unwrap().is_empty(),
            "the command never reaches the function"
        );
        assert_eq!(
            s.config_read(bdf, 4, 4),
            0x8000_0006,
            "status from the function"
        );
        let r = s.regions();
        assert_eq!(
            r.iter()
                .map(|r| (r.kind, r.base, r.size, r.bar))
                .collect::<Vec<_>>(),
            [
                (RegionKind::Memory, 0xfe00_0000, 0x1000, 0),
                (RegionKind::Memory, 0x10_0000_0000, 0x10_0000, 2),
            ]
        );
        // A status W1C clear reaches the function, without the command.
        s.config_write(bdf, 6, 2, 0x8000);
        assert_eq!(*toy.writes.lock().unwrap(), [(4, 0x8000_0000)]);
        assert_eq!(s.config_read(bdf, 4, 4), 0x0000_0006);
        // Relocation while decoding changes the regions.
        assert!(s.config_write(bdf, 0x10, 4, 0xfd00_0000));
        assert_eq!(s.regions()[0].base, 0xfd00_0000);
        // Byte writes to a function register merge into the dword.
        s.config_write(bdf, 0x41, 1, 0xab);
        assert_eq!(s.config_read(bdf, 0x40, 4), 0x0000_ab00);
        assert_eq!(
            toy.writes.lock().unwrap().last(),
            Some(&(0x40, 0x0000_ab00))
        );
        // The ROM register is the platform's and reads 0.
        s.config_write(bdf, 0x30, 4, u32::MAX);
        assert_eq!(s.config_read(bdf, 0x30, 4), 0);
        // I/O decoding adds the I/O BAR.
        assert!(s.config_write(bdf, 4, 2, 0x7));
        assert!(
            s.regions()
                .iter()
                .any(|r| r.kind == RegionKind::Io && r.base == 0xc000 && r.size == 16)
        );
        assert!(s.remove(bdf));
        assert!(!s.remove(Bdf::default()), "the host bridge stays");
        assert!(s.regions().is_empty());
    }

    #[test]
    fn no_room_leaves_windows_untouched() {
        let mut s = PciSegment::new(
            None,
            Windows {
                mem32: 0xfe00_0000..0xfe00_1000,
                mem64: 0..0,
                io: 0..0,
            },
        );
        assert_eq!(s.add(None, Toy::new()), Err(SegmentError::NoRoom(2)));
        assert_eq!(s.ecam_read(0, 4), None);
        assert!(PciSegment::is_legacy_port(0xcff) && !PciSegment::is_legacy_port(0xd00));
    }
}
