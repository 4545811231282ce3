//! The instruction emulator's callbacks (winhv-emu, WinHvEmulation's
//! WHV_EMULATOR_CALLBACKS) for one VP: port accesses to the port bus,
//! guest-physical accesses to RAM or the MMIO bus, registers and GVA
//! translation through the partition. A device's request to stop the VM
//! is kept for the run loop.

use vm_memory::{Bytes, GuestAddress, GuestMemoryBackend};
use winhv::Partition;
use winhv::defs::*;

use crate::boot::GuestRam;
use crate::devices::{Devices, Stop};

/// One emulation's world.
pub struct VpCallbacks<'a> {
    /// The partition.
    pub partition: &'a Partition,
    /// The VP being emulated.
    pub vp: u32,
    /// Guest RAM.
    pub ram: &'a GuestRam,
    /// The buses.
    pub devices: &'a Devices,
    /// A stop a device asked for.
    pub stop: Option<Stop>,
}

fn status(r: winhv::Result<()>) -> HRESULT {
    match r {
        Ok(()) => S_OK,
        Err(e) => e.hresult,
    }
}

impl winhv_emu::Callbacks for VpCallbacks<'_> {
    fn io_port(&mut self, access: &mut WHV_EMULATOR_IO_ACCESS_INFO) -> HRESULT {
        let size = usize::from(access.AccessSize).min(4);
        let port = u64::from(access.Port);
        if access.Direction == 1 {
            let data = access.Data.to_le_bytes();
            if let Some(stop) = self.devices.ports.write(port, &data[..size]) {
                self.stop.get_or_insert(stop);
            }
        } else {
            let mut data = [0u8; 4];
            self.devices.ports.read(port, &mut data[..size]);
            access.Data = u32::from_le_bytes(data);
        }
        S_OK
    }

    fn memory(&mut self, access: &mut WHV_EMULATOR_MEMORY_ACCESS_INFO) -> HRESULT {
        let size = usize::from(access.AccessSize).min(8);
        let gpa = access.GpaAddress;
        let data = &mut access.Data[..size];
        let in_ram = self.ram.address_in_range(GuestAddress(gpa));
        if access.Direction == 1 {
            if in_ram {
                if self.ram.write_slice(data, GuestAddress(gpa)).is_err() {
                    return E_FAIL;
                }
            } else if let Some(stop) = self.devices.mmio.write(gpa, data) {
                self.stop.get_or_insert(stop);
            }
        } else if in_ram {
            if self.ram.read_slice(data, GuestAddress(gpa)).is_err() {
                return E_FAIL;
            }
        } else {
            self.devices.mmio.read(gpa, data);
        }
        S_OK
    }

    fn get_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &mut [WHV_REGISTER_VALUE],
    ) -> HRESULT {
        status(self.partition.get_vp_registers(self.vp, names, values))
    }

    fn set_registers(
        &mut self,
        names: &[WHV_REGISTER_NAME],
        values: &[WHV_REGISTER_VALUE],
    ) -> HRESULT {
        status(self.partition.set_vp_registers(self.vp, names, values))
    }

    fn translate_gva_page(
        &mut self,
        gva: WHV_GUEST_VIRTUAL_ADDRESS,
        flags: WHV_TRANSLATE_GVA_FLAGS,
        result: &mut WHV_TRANSLATE_GVA_RESULT_CODE,
        gpa: &mut WHV_GUEST_PHYSICAL_ADDRESS,
    ) -> HRESULT {
        match self.partition.translate_gva(self.vp, gva, flags) {
            Ok((r, address)) => {
                *result = r.ResultCode;
                *gpa = address;
                S_OK
            }
            Err(e) => e.hresult,
        }
    }
}
