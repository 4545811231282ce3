//! [`SavedState`]: a loaded saved state and every query the dump provider
//! answers from it — VPs, registers, paging, translation, physical and raw
//! memory, guest OS identity, VTLs, nesting — plus the per-VP overrides
//! its `Force*` functions set. The input formats only fill in the model
//! (`elf` for QEMU cores, `vmrs` for Hyper-V saved states); everything here
//! is format-independent.
//!
//! Our choices where Microsoft documents none (listed in the README):
//! * a `VpId` is the VP's position, 0 to `vp_count() - 1`; any other is
//!   `E_INVALIDARG`;
//! * `InKernelSpace` is CPL < 3 (supervisor mode as paging defines it);
//! * an unmapped VA's "unmapped region size" is the size of what the
//!   missing entry would map (4 KiB, 2/4 MiB, 1 GiB, 512 GiB, …), or the
//!   non-canonical hole's size for a non-canonical address;
//! * the active VTL of a VP is the lowest VTL it has state for;
//! * forcing a paging mode changes only the bits that select it.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use winhv_defs::*;
use winhv_paging::{FaultKind, MemError, PagingMode, PagingState, TranslateError, TranslateFlags};

use crate::error::{Error, Result};
use crate::memory::{PhysMemory, SavedMemory};
use crate::registers::RegisterFile;
use crate::source::Source;
use crate::vp::{Vp, VtlState, force_mode};

/// Which kind of file a saved state came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// A QEMU `dump-guest-memory` ELF core.
    QemuElf {
        /// ELF64 (else ELF32).
        elf64: bool,
        /// `e_machine`: `EM_386` (3) or `EM_X86_64` (62).
        machine: u16,
    },
    /// A Hyper-V `.vmrs` (HyperVStorage) saved state.
    Vmrs {
        /// `/savedstate/VmVersion` (`major << 8 | minor`).
        vm_version: i64,
    },
}

/// What an input reader produces: the model of a saved state.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The input format.
    pub format: Format,
    /// The VPs, in the saved state's order; never empty.
    pub vps: Vec<Vp>,
    /// The saved guest memory.
    pub memory: PhysMemory,
    /// The guest OS identity (`GUEST_OS_INFO.AsUINT64`), 0 when unknown.
    pub guest_os_id: u64,
    /// Whether nested virtualization state was saved.
    pub nested: bool,
}

/// The result of translating a guest virtual address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Gva {
    /// The address maps to this GPA.
    Mapped(u64),
    /// The address is not mapped (`VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED`):
    /// this is the size of the unmapped region around it.
    Unmapped {
        /// The region's size in bytes.
        region_size: u64,
    },
}

#[derive(Copy, Clone, Debug, Default)]
struct Overrides {
    paging: Option<PAGING_MODE>,
    arch: Option<VIRTUAL_PROCESSOR_ARCH>,
    vtl: Option<u8>,
}

/// A loaded saved state.
///
/// ```no_run
/// use winhv_savedstate::{SavedState, Gva};
/// let state = SavedState::open("vm.core".as_ref())?;
/// for vp in 0..state.vp_count() {
///     let rip = state.registers(vp)?.u64(winhv_defs::X64_RegisterRip);
///     println!("VP {vp}: {:?}, RIP {rip:x?}", state.paging_mode(vp)?);
/// }
/// if let Gva::Mapped(gpa) = state.translate(0, 0xffff_8000_0000_0000)? {
///     let mut page = [0u8; 4096];
///     let n = state.read_physical(gpa, &mut page)?;
///     println!("{n} bytes at GPA {gpa:#x}");
/// }
/// # Ok::<(), winhv_savedstate::Error>(())
/// ```
pub struct SavedState {
    source: Source,
    format: Format,
    vps: Vec<Vp>,
    memory: PhysMemory,
    guest_os_id: u64,
    nested: bool,
    overrides: Mutex<Vec<Overrides>>,
    cache_limit: AtomicU64,
}

impl std::fmt::Debug for SavedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedState")
            .field("format", &self.format)
            .field("vps", &self.vps.len())
            .field("regions", &self.memory.regions().len())
            .finish_non_exhaustive()
    }
}

impl SavedState {
    /// Opens a saved state: a QEMU ELF core or a Hyper-V `.vmrs` file,
    /// told apart by their first bytes. The file is mapped, not read.
    pub fn open(path: &Path) -> Result<Self> {
        Self::load(Source::open(path)?)
    }

    /// A saved state from bytes in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        Self::load(Source::from_bytes(bytes))
    }

    fn load(source: Source) -> Result<Self> {
        let data = source.bytes();
        let parsed = if data.starts_with(b"\x7fELF") {
            crate::elf::parse(data)?
        } else if crate::vmrs::is_vmrs(data) {
            crate::vmrs::parse(data)?
        } else {
            return Err(Error::bad_format(
                "neither a QEMU ELF core nor a HyperVStorage (.vmrs) file",
            ));
        };
        Ok(Self::from_parsed(source, parsed))
    }

    fn from_parsed(source: Source, p: Parsed) -> Self {
        let n = p.vps.len();
        Self {
            source,
            format: p.format,
            vps: p.vps,
            memory: p.memory,
            guest_os_id: p.guest_os_id,
            nested: p.nested,
            overrides: Mutex::new(vec![Overrides::default(); n]),
            cache_limit: AtomicU64::new(0),
        }
    }

    /// The input format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// How many VPs the saved state has (`GetVpCount`).
    pub fn vp_count(&self) -> u32 {
        self.vps.len() as u32
    }

    /// The VP `vp` (its position), or `E_INVALIDARG`.
    pub fn vp(&self, vp: u32) -> Result<&Vp> {
        self.vps.get(vp as usize).ok_or_else(|| {
            Error::invalid_arg(format!(
                "VP {vp} does not exist (the saved state has {})",
                self.vps.len()
            ))
        })
    }

    fn overrides(&self, vp: u32) -> Overrides {
        let table = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
        table.get(vp as usize).copied().unwrap_or_default()
    }

    fn set_override(&self, vp: u32, f: impl FnOnce(&mut Overrides)) -> Result<()> {
        self.vp(vp)?;
        let mut table = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(o) = table.get_mut(vp as usize) {
            f(o);
        }
        Ok(())
    }

    /// The VTL whose state `vp` is read with: forced, else the lowest saved.
    pub fn active_vtl(&self, vp: u32) -> Result<u8> {
        let v = self.vp(vp)?;
        Ok(self
            .overrides(vp)
            .vtl
            .unwrap_or_else(|| v.vtls.first().map_or(0, |s| s.vtl)))
    }

    /// The state `vp` is read with (its active VTL's), or
    /// `VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED` when a VTL it has no
    /// state for was forced.
    pub fn active_state(&self, vp: u32) -> Result<&VtlState> {
        let vtl = self.active_vtl(vp)?;
        self.vp(vp)?.vtl(vtl).ok_or_else(|| {
            Error::with(
                VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED,
                format!("VP {vp} has no state for VTL {vtl}"),
            )
        })
    }

    /// The registers of `vp`'s active VTL.
    pub fn registers(&self, vp: u32) -> Result<&RegisterFile> {
        Ok(&self.active_state(vp)?.registers)
    }

    /// One register by saved-state id (`GetRegisterValue`).
    pub fn register(&self, vp: u32, id: REGISTER_ID) -> Result<VIRTUAL_PROCESSOR_REGISTER> {
        self.registers(vp)?.value(id)
    }

    /// One register by `WHV_REGISTER_NAME`, in the platform's layout.
    pub fn whv_register(&self, vp: u32, name: WHV_REGISTER_NAME) -> Result<WHV_REGISTER_VALUE> {
        self.registers(vp)?.whv_value(name)
    }

    /// The architecture `vp` ran, or the one forced (`GetArchitecture`).
    pub fn architecture(&self, vp: u32) -> Result<VIRTUAL_PROCESSOR_ARCH> {
        let state = self.active_state(vp)?;
        Ok(self
            .overrides(vp)
            .arch
            .unwrap_or_else(|| state.architecture()))
    }

    /// Forces the architecture `GetArchitecture` reports for `vp`
    /// (`ForceArchitecture`): x86 or x64 on these x86 saved states; other
    /// values are `E_INVALIDARG`.
    pub fn force_architecture(&self, vp: u32, arch: VIRTUAL_PROCESSOR_ARCH) -> Result<()> {
        if !matches!(arch, Arch_x86 | Arch_x64) {
            return Err(Error::invalid_arg(format!(
                "{arch:?} cannot be forced on an x86 VP"
            )));
        }
        self.set_override(vp, |o| o.arch = Some(arch))
    }

    /// The state the page walker uses for `vp`, with a forced paging mode
    /// applied.
    pub fn paging_state(&self, vp: u32) -> Result<PagingState> {
        let state = self.active_state(vp)?.paging_state()?;
        match self.overrides(vp).paging {
            Some(mode) => force_mode(state, mode),
            None => Ok(state),
        }
    }

    /// The paging mode of `vp`, or the one forced (`GetPagingMode`).
    pub fn paging_mode(&self, vp: u32) -> Result<PAGING_MODE> {
        if let Some(mode) = self.overrides(vp).paging {
            self.vp(vp)?;
            return Ok(mode);
        }
        self.active_state(vp)?.paging_mode()
    }

    /// Makes translations on `vp` use `mode` (`ForcePagingMode`).
    pub fn force_paging_mode(&self, vp: u32, mode: PAGING_MODE) -> Result<()> {
        // Validate the mode against the VP's state before keeping it.
        force_mode(PagingState::default(), mode)?;
        self.set_override(vp, |o| o.paging = Some(mode))
    }

    fn saved_memory(&self) -> SavedMemory<'_> {
        SavedMemory {
            memory: &self.memory,
            file: self.source.bytes(),
        }
    }

    /// Translates `gva` with `vp`'s paging state
    /// (`GuestVirtualAddressToPhysicalAddress`): no access rights are
    /// checked, only presence and reserved bits. A paging structure that
    /// is not in the saved memory is `VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND`.
    pub fn translate(&self, vp: u32, gva: u64) -> Result<Gva> {
        let state = self.paging_state(vp)?;
        let mode = state.mode();
        match winhv_paging::translate(&self.saved_memory(), &state, gva, TranslateFlags::NONE) {
            Ok(t) => Ok(Gva::Mapped(t.gpa)),
            Err(TranslateError::Fault(f)) => match f.kind {
                FaultKind::NotPresent { level, .. } | FaultKind::ReservedBits { level, .. } => {
                    Ok(Gva::Unmapped {
                        region_size: level_size(mode, level),
                    })
                }
                FaultKind::NonCanonical => Ok(Gva::Unmapped {
                    region_size: if mode == PagingMode::FiveLevel {
                        0u64.wrapping_sub(1 << 57)
                    } else {
                        0u64.wrapping_sub(1 << 48)
                    },
                }),
                FaultKind::GpaAccess {
                    gpa,
                    error: MemError::NoReadAccess,
                    ..
                } => Err(Error::corrupt(format!(
                    "translating {gva:#x}: the paging structure at GPA {gpa:#x} is in a \
                     compressed block that does not decode"
                ))),
                FaultKind::GpaAccess { gpa, level, .. } => Err(Error::with(
                    VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
                    format!(
                        "translating {gva:#x}: the level-{level} paging structure at GPA \
                         {gpa:#x} is not in the saved memory"
                    ),
                )),
                FaultKind::Privilege(_) => Err(Error::new(
                    E_UNEXPECTED,
                    "a translation without access checks reported a privilege violation",
                )),
            },
            Err(TranslateError::Contended) => Err(Error::new(
                E_UNEXPECTED,
                "a read-only translation reported contention",
            )),
        }
    }

    /// Reads guest-physical memory (`ReadGuestPhysicalAddress`); see
    /// [`PhysMemory::read`].
    pub fn read_physical(&self, gpa: u64, buf: &mut [u8]) -> Result<usize> {
        self.memory.read(self.source.bytes(), gpa, buf)
    }

    /// Reads `vp`'s virtual memory at `gva`, page by page, stopping at the
    /// first page that is not mapped or not saved; returns the bytes read
    /// (an error only when the first byte cannot be read).
    pub fn read_virtual(&self, vp: u32, gva: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = gva.wrapping_add(done as u64);
            let gpa = match self.translate(vp, at) {
                Ok(Gva::Mapped(gpa)) => gpa,
                Ok(Gva::Unmapped { .. }) if done == 0 => {
                    return Err(Error::with(
                        VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED,
                        format!("{at:#x} is not mapped on VP {vp}"),
                    ));
                }
                Err(e) if done == 0 => return Err(e),
                _ => break,
            };
            let in_page = (0x1000 - (at & 0xfff)) as usize;
            let n = in_page.min(buf.len() - done);
            match self.read_physical(gpa, &mut buf[done..done + n]) {
                Ok(got) => {
                    done += got;
                    if got < n {
                        break;
                    }
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    /// Lays `bytes` over `vp`'s virtual memory at `gva`
    /// (`ApplyGuestMemoryFix`): every later physical and virtual read, and
    /// every translation, sees them; the file is not written. Every page
    /// is translated and checked first, so a fix applies whole or not at
    /// all: a page not mapped is `VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED`, one
    /// whose bytes are not saved `VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND`.
    pub fn apply_memory_fix(&self, vp: u32, gva: u64, bytes: &[u8]) -> Result<()> {
        if gva.checked_add(bytes.len() as u64).is_none() {
            return Err(Error::invalid_arg(format!(
                "a {}-byte fix at {gva:#x} passes the end of the address space",
                bytes.len()
            )));
        }
        let mut patches = Vec::new();
        let mut done = 0usize;
        let mut scratch = [0u8; 0x1000];
        while done < bytes.len() {
            let at = gva + done as u64;
            let gpa = match self.translate(vp, at)? {
                Gva::Mapped(gpa) => gpa,
                Gva::Unmapped { .. } => {
                    return Err(Error::with(
                        VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED,
                        format!("fixing {at:#x}: not mapped on VP {vp}"),
                    ));
                }
            };
            let n = ((0x1000 - (at & 0xfff)) as usize).min(bytes.len() - done);
            if self.read_physical(gpa, &mut scratch[..n])? < n {
                return Err(Error::with(
                    VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND,
                    format!("fixing {at:#x}: GPA {gpa:#x} is not all saved"),
                ));
            }
            patches.push((gpa, Box::<[u8]>::from(&bytes[done..done + n])));
            done += n;
        }
        self.memory.fixes().add(patches);
        Ok(())
    }

    /// The saved memory's layout.
    pub fn memory(&self) -> &PhysMemory {
        &self.memory
    }

    /// Reads the raw saved memory (`ReadGuestRawSavedMemory`).
    pub fn read_raw(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.memory.read_raw(self.source.bytes(), offset, buf)
    }

    /// The guest OS identity as `GetGuestOsInfo` returns it for `vtl`
    /// (`VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED` for a VTL no VP has).
    pub fn guest_os_info(&self, vtl: u8) -> Result<u64> {
        if self.enabled_vtls() & 1u32.checked_shl(u32::from(vtl)).unwrap_or(0) == 0 {
            return Err(Error::with(
                VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED,
                format!("VTL {vtl} is not enabled in this saved state"),
            ));
        }
        Ok(self.guest_os_id)
    }

    /// Whether `vp` was in kernel space: CPL < 3 (`InKernelSpace`).
    pub fn in_kernel_space(&self, vp: u32) -> Result<bool> {
        Ok(self.active_state(vp)?.cpl() < 3)
    }

    /// Whether nested virtualization state was saved
    /// (`IsNestedVirtualizationEnabled`).
    pub fn nested_enabled(&self) -> bool {
        self.nested
    }

    /// Whether `vp` was in nested guest mode (`GetNestedVirtualizationMode`):
    /// never, as no input saves a nested guest's state yet.
    pub fn nested_mode(&self, vp: u32) -> Result<bool> {
        self.vp(vp)?;
        Ok(false)
    }

    /// `ForceNestedHostMode`: there is no nested state to switch to, so
    /// this answers `VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED`.
    pub fn force_nested_host_mode(&self, vp: u32, _host_mode: bool) -> Result<bool> {
        self.vp(vp)?;
        Err(Error::new(
            VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED,
            "the saved state holds no nested virtualization state",
        ))
    }

    /// The VTLs any VP has state for, as a bitmap
    /// (`GetGuestEnabledVirtualTrustLevels`).
    pub fn enabled_vtls(&self) -> u32 {
        self.vps.iter().fold(0, |m, v| m | v.vtl_bitmap())
    }

    /// The VTLs `vp` has state for (`GetEnabledVirtualTrustLevels`).
    pub fn vp_enabled_vtls(&self, vp: u32) -> Result<u32> {
        Ok(self.vp(vp)?.vtl_bitmap())
    }

    /// Makes `vp` read its state from `vtl` (`ForceActiveVirtualTrustLevel`);
    /// VTLs above 15 are `E_INVALIDARG`. A VTL the VP has no state for
    /// can be forced; its reads then answer
    /// `VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED`.
    pub fn force_active_vtl(&self, vp: u32, vtl: u8) -> Result<()> {
        if vtl > 15 {
            return Err(Error::invalid_arg(format!("VTL {vtl} does not exist")));
        }
        self.set_override(vp, |o| o.vtl = Some(vtl))
    }

    /// Whether `vp`'s active VTL has state (`IsActiveVirtualTrustLevelEnabled`).
    pub fn active_vtl_enabled(&self, vp: u32) -> Result<bool> {
        let vtl = self.active_vtl(vp)?;
        Ok(self.vp(vp)?.vtl(vtl).is_some())
    }

    /// The memory block cache limit (`GetMemoryBlockCacheLimit`); 0 by
    /// default, as on Windows. Stored memory is mapped, not cached, and
    /// decoded compressed blocks are kept in a fixed cache of
    /// `BLOCK_CACHE_BLOCKS`, so the limit is kept but changes nothing.
    pub fn memory_block_cache_limit(&self) -> u64 {
        self.cache_limit.load(Ordering::Relaxed)
    }

    /// Sets the memory block cache limit (`SetMemoryBlockCacheLimit`).
    pub fn set_memory_block_cache_limit(&self, limit: u64) {
        self.cache_limit.store(limit, Ordering::Relaxed);
    }
}

/// The bytes an entry at `level` maps in `mode`.
fn level_size(mode: PagingMode, level: u8) -> u64 {
    let bits_per_level = if mode == PagingMode::Bits32 { 10 } else { 9 };
    let shift = 12 + bits_per_level * u32::from(level.saturating_sub(1));
    1u64.checked_shl(shift).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_sizes() {
        assert_eq!(level_size(PagingMode::FourLevel, 1), 0x1000);
        assert_eq!(level_size(PagingMode::FourLevel, 2), 0x20_0000);
        assert_eq!(level_size(PagingMode::Pae, 3), 0x4000_0000);
        assert_eq!(level_size(PagingMode::Bits32, 2), 0x40_0000);
        assert_eq!(level_size(PagingMode::FourLevel, 4), 1 << 39);
        assert_eq!(level_size(PagingMode::FiveLevel, 5), 1 << 48);
    }
}
