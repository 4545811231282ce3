//! The bridge from an exit to winhv-emu (WinHvEmulation): [`Devices`], what
//! a VMM implements for its port and MMIO devices, and the
//! `winhv_emu::Callbacks` that route the emulator's accesses — guest RAM
//! to the partition's memory, everything else to the devices, registers
//! and translation to the VP — exactly as a Windows VMM wires
//! WHV_EMULATOR_CALLBACKS.

use winhv_defs::*;

use crate::Partition as RawPartition;
use crate::partition::VpRef;

/// The device side of an emulated I/O or MMIO instruction. Each call is one
/// access: a port access of 1, 2 or 4 bytes, a memory access of 1 to 8
/// bytes that never crosses a page. Guest RAM never reaches it: accesses
/// to mapped memory go to the memory itself.
///
/// The defaults read all ones (an absent device on a PC bus) and ignore
/// writes.
///
/// ```
/// use winhv::safe::Devices;
/// struct DebugPort(Vec<u8>);
/// impl Devices for DebugPort {
///     fn io_write(&mut self, port: u16, data: &[u8]) {
///         if port == 0xe9 {
///             self.0.extend_from_slice(data);
///         }
///     }
/// }
/// ```
pub trait Devices {
    /// An `IN` of `data.len()` bytes from `port`: fill `data`.
    fn io_read(&mut self, port: u16, data: &mut [u8]) {
        let _ = port;
        data.fill(0xff);
    }
    /// An `OUT` of `data` to `port`.
    fn io_write(&mut self, port: u16, data: &[u8]) {
        let _ = (port, data);
    }
    /// A read of `data.len()` bytes at guest-physical `gpa`: fill `data`.
    fn mmio_read(&mut self, gpa: u64, data: &mut [u8]) {
        let _ = gpa;
        data.fill(0xff);
    }
    /// A write of `data` at guest-physical `gpa`.
    fn mmio_write(&mut self, gpa: u64, data: &[u8]) {
        let _ = (gpa, data);
    }
}

/// The emulator's callbacks for one emulation on VP `vp`.
pub(crate) struct Bridge<'a, D: ?Sized> {
    pub(crate) partition: &'a RawPartition,
    pub(crate) vp: VpRef<'a>,
    pub(crate) devices: &'a mut D,
}

fn hr(r: crate::Result<()>) -> HRESULT {
    match r {
        Ok(()) => S_OK,
        Err(e) => e.hresult,
    }
}

impl<D: Devices + ?Sized> winhv_emu::Callbacks for Bridge<'_, D> {
    fn io_port(&mut self, access: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        let size = usize::from(access.AccessSize);
        if !matches!(size, 1 | 2 | 4) {
            return E_INVALIDARG;
        }
        let mut bytes = access.Data.to_le_bytes();
        if access.Direction == 0 {
            self.devices.io_read(access.Port, &mut bytes[..size]);
            bytes[size..].fill(0);
            access.Data = u32::from_le_bytes(bytes);
        } else {
            self.devices.io_write(access.Port, &bytes[..size]);
        }
        S_OK
    }

    fn memory(&mut self, access: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
        let size = usize::from(access.AccessSize);
        if !(1..=8).contains(&size) {
            return E_INVALIDARG;
        }
        let gpa = access.GpaAddress;
        // Guest RAM where the mapping allows the access; a write to memory
        // mapped read-only (a ROM) or a read of memory mapped without
        // access goes to the devices, as the exit did.
        let needed = if access.Direction == 0 {
            WHvMapGpaRangeFlagRead
        } else {
            WHvMapGpaRangeFlagWrite
        };
        let ram = self
            .partition
            .mapping_at(gpa)
            .is_some_and(|(flags, n)| flags & needed.0 as u32 != 0 && n >= size as u64);
        let data = &mut access.Data[..size];
        if access.Direction == 0 {
            if ram {
                return hr(self.partition.read_gpa_range(gpa, data));
            }
            self.devices.mmio_read(gpa, data);
        } else {
            if ram {
                return hr(self.partition.write_gpa_range(gpa, data));
            }
            self.devices.mmio_write(gpa, data);
        }
        S_OK
    }

    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT {
        hr(self.vp.get().and_then(|vp| vp.get_registers(names, values)))
    }

    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT {
        hr(self.vp.get().and_then(|vp| vp.set_registers(names, values)))
    }

    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        match self.partition.translate_gva(self.vp.index(), gva, flags) {
            Ok((r, g)) => {
                *result = r.ResultCode;
                *gpa = g;
                S_OK
            }
            Err(e) => e.hresult,
        }
    }
}
