//! [`PartitionCallbacks`]: the emulator's callbacks (`WHV_EMULATOR_CALLBACKS`)
//! served the way a Windows VMM serves them — registers through
//! WHvGet/SetVirtualProcessorRegisters, translation through WHvTranslateGva,
//! port and MMIO accesses to the VMM's [`Device`], other guest-physical
//! accesses to RAM through WHvRead/WriteGpaRange — and the [`Device`] trait
//! both sides of an emulator row hand their accesses to.

use winhv::Partition;
use winhv::defs::*;
use winhv_emu::Callbacks;

/// A device model: what a VMM does with an emulated access. Both sides of a
/// row call the same device, so its cost cancels out of the ratio.
pub trait Device {
    /// An MMIO access of `data.len()` bytes at `gpa`; fills `data` for a
    /// read. Returns false when `gpa` is not this device's (the access then
    /// goes to guest RAM).
    fn mmio(&mut self, gpa: u64, write: bool, data: &mut [u8]) -> bool;

    /// A port access of `data.len()` bytes; fills `data` for a read.
    /// Returns false when `port` is not this device's.
    fn port(&mut self, port: u16, write: bool, data: &mut [u8]) -> bool;
}

/// The callbacks of one emulation on VP `vp` of `partition`, its device
/// accesses going to `device`. Built per exit (it only borrows).
pub struct PartitionCallbacks<'a, D: Device + ?Sized> {
    partition: &'a Partition,
    vp: u32,
    device: &'a mut D,
}

impl<'a, D: Device + ?Sized> PartitionCallbacks<'a, D> {
    /// Callbacks for VP `vp` of `partition` with `device` behind them.
    pub fn new(partition: &'a Partition, vp: u32, device: &'a mut D) -> Self {
        Self {
            partition,
            vp,
            device,
        }
    }
}

/// `S_OK`, or the HRESULT of `e` (what the Windows call would return).
fn hresult(r: winhv::Result<()>) -> HRESULT {
    match r {
        Ok(()) => S_OK,
        Err(e) => e.hresult,
    }
}

impl<D: Device + ?Sized> Callbacks for PartitionCallbacks<'_, D> {
    fn io_port(&mut self, access: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        let size = usize::from(access.AccessSize);
        if !matches!(size, 1 | 2 | 4) {
            return E_INVALIDARG;
        }
        let write = access.Direction == 1;
        let mut data = access.Data.to_le_bytes();
        if !self.device.port(access.Port, write, &mut data[..size]) {
            // No device on this port: reads float high, writes are dropped
            // (what a PC's unclaimed port does).
            data = [0xff; 4];
        }
        if !write {
            access.Data = u32::from_le_bytes(data);
        }
        S_OK
    }

    fn memory(&mut self, access: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
        let size = usize::from(access.AccessSize);
        let Some(data) = access.Data.get_mut(..size) else {
            return E_INVALIDARG;
        };
        let write = access.Direction == 1;
        if self.device.mmio(access.GpaAddress, write, data) {
            return S_OK;
        }
        hresult(if write {
            self.partition.write_gpa_range(access.GpaAddress, data)
        } else {
            self.partition.read_gpa_range(access.GpaAddress, data)
        })
    }

    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT {
        hresult(self.partition.get_vp_registers(self.vp, names, values))
    }

    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT {
        hresult(self.partition.set_vp_registers(self.vp, names, values))
    }

    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        match self.partition.translate_gva(self.vp, gva, flags) {
            Ok((r, g)) => {
                *result = r.ResultCode;
                *gpa = g;
                S_OK
            }
            Err(e) => e.hresult,
        }
    }
}
