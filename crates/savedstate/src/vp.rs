//! [`Vp`]: one virtual processor of a saved state — its registers per
//! virtual trust level (VTL) — and what follows from them: the paging
//! state the page walker needs, the paging mode, the architecture it ran
//! and its privilege level.

use winhv_defs::*;
use winhv_paging::regs::{CR0_PE, CR0_PG, CR4_PAE, EFER_LMA, EFER_LME};
use winhv_paging::{PagingMode, PagingState};

use crate::error::{Error, Result};
use crate::registers::RegisterFile;

/// RFLAGS.VM: virtual-8086 mode.
const RFLAGS_VM: u64 = 1 << 17;

/// One VTL's state of a VP.
#[derive(Clone, Debug, Default)]
pub struct VtlState {
    /// The VTL (0, 1 or 2).
    pub vtl: u8,
    /// The registers saved for it.
    pub registers: RegisterFile,
    /// The current privilege level, when the saved state records it
    /// (Hyper-V's segment chunk does); otherwise it is derived from the
    /// segment registers.
    pub cpl: Option<u8>,
    /// EFER as paging should see it when the saved state holds no EFER
    /// (QEMU's notes do not): derived by the reader, never reported as the
    /// EFER register.
    pub paging_efer: Option<u64>,
}

/// One virtual processor.
#[derive(Clone, Debug, Default)]
pub struct Vp {
    /// The VP's index as the saved state numbers it (Hyper-V's VP index,
    /// QEMU's CPU order).
    pub index: u32,
    /// Its state per VTL, lowest VTL first; never empty.
    pub vtls: Vec<VtlState>,
}

impl Vp {
    /// A VP with one VTL-0 state.
    pub fn new(index: u32, state: VtlState) -> Self {
        Self {
            index,
            vtls: vec![state],
        }
    }

    /// The VTLs this VP has state for, as a bitmap (bit n = VTL n).
    pub fn vtl_bitmap(&self) -> u32 {
        self.vtls.iter().fold(0, |m, s| {
            m | 1u32.checked_shl(u32::from(s.vtl)).unwrap_or(0)
        })
    }

    /// The state of `vtl`, if saved.
    pub fn vtl(&self, vtl: u8) -> Option<&VtlState> {
        self.vtls.iter().find(|s| s.vtl == vtl)
    }
}

impl VtlState {
    fn reg(&self, id: REGISTER_ID) -> Result<u64> {
        self.registers
            .u64(id)
            .ok_or_else(|| Error::not_found(format!("{id:?} is not in this saved state")))
    }

    /// EFER for paging: the saved one, else the reader's derivation, else 0.
    fn efer(&self) -> u64 {
        self.registers
            .u64(X64_RegisterEfer)
            .or(self.paging_efer)
            .unwrap_or(0)
    }

    /// The state the page walker translates with: CR0, CR3, CR4, EFER,
    /// RFLAGS and the CPL from the saved registers. Without CR0/CR3/CR4 no
    /// translation is possible (`ERROR_NOT_FOUND`).
    pub fn paging_state(&self) -> Result<PagingState> {
        let mut s = PagingState::new(
            self.reg(X64_RegisterCr0)?,
            self.reg(X64_RegisterCr3)?,
            self.reg(X64_RegisterCr4)?,
            self.efer(),
        );
        s.rflags = self.registers.u64(X64_RegisterRFlags).unwrap_or(0);
        s.cpl = self.cpl();
        Ok(s)
    }

    /// The paging mode the registers select.
    pub fn paging_mode(&self) -> Result<PAGING_MODE> {
        Ok(paging_mode_of(self.paging_state()?.mode()))
    }

    /// The current privilege level: the saved one, else 0 with CR0.PE
    /// clear (real mode), 3 in virtual-8086 mode, SS.DPL otherwise (which
    /// equals CS.DPL outside conforming code). Unknown segments count as
    /// CPL 0.
    pub fn cpl(&self) -> u8 {
        if let Some(cpl) = self.cpl {
            return cpl.min(3);
        }
        let cr0 = self.registers.u64(X64_RegisterCr0).unwrap_or(0);
        let rflags = self.registers.u64(X64_RegisterRFlags).unwrap_or(0);
        if cr0 & CR0_PE == 0 {
            0
        } else if rflags & RFLAGS_VM != 0 {
            3
        } else {
            self.registers
                .segment(X64_RegisterSs)
                .map_or(0, |ss| ss.dpl())
        }
    }

    /// The architecture the VP ran: x64 in 64-bit mode (EFER.LMA and
    /// CS.L), x86 otherwise (real, protected, compatibility mode).
    pub fn architecture(&self) -> VIRTUAL_PROCESSOR_ARCH {
        let long = self.efer() & EFER_LMA != 0
            && self
                .registers
                .segment(X64_RegisterCs)
                .is_some_and(|cs| cs.long());
        if long { Arch_x64 } else { Arch_x86 }
    }
}

/// `PAGING_MODE` for the walker's mode (5-level paging is reported as
/// `Paging_Long`, the header having no 5-level value; translations still
/// walk five levels).
pub fn paging_mode_of(mode: PagingMode) -> PAGING_MODE {
    match mode {
        PagingMode::Disabled => Paging_NonPaged,
        PagingMode::Bits32 => Paging_32Bit,
        PagingMode::Pae => Paging_Pae,
        PagingMode::FourLevel | PagingMode::FiveLevel => Paging_Long,
    }
}

/// `state` changed to translate as `mode` would (`ForcePagingMode`): the
/// CR0.PG, CR4.PAE and EFER.LMA/LME bits that select it, everything else
/// (CR3, LA57, NXE, …) as saved. PAE PDPTEs are read from memory.
pub fn force_mode(mut state: PagingState, mode: PAGING_MODE) -> Result<PagingState> {
    match mode {
        Paging_NonPaged => state.cr0 &= !CR0_PG,
        Paging_32Bit => {
            state.cr0 |= CR0_PG | CR0_PE;
            state.cr4 &= !CR4_PAE;
            state.efer &= !(EFER_LMA | EFER_LME);
        }
        Paging_Pae => {
            state.cr0 |= CR0_PG | CR0_PE;
            state.cr4 |= CR4_PAE;
            state.efer &= !(EFER_LMA | EFER_LME);
        }
        Paging_Long => {
            state.cr0 |= CR0_PG | CR0_PE;
            state.cr4 |= CR4_PAE;
            state.efer |= EFER_LMA | EFER_LME;
        }
        other => {
            return Err(Error::invalid_arg(format!(
                "{other:?} is not an x86 paging mode"
            )));
        }
    }
    state.pae_pdptes = None;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registers::Segment;

    fn state(cr0: u64, cr4: u64, efer: u64, cs_attr: u16) -> VtlState {
        let mut r = RegisterFile::default();
        r.set_u64(X64_RegisterCr0, cr0);
        r.set_u64(X64_RegisterCr3, 0x1000);
        r.set_u64(X64_RegisterCr4, cr4);
        r.set_u64(X64_RegisterEfer, efer);
        r.set_segment(
            X64_RegisterCs,
            Segment {
                attributes: cs_attr,
                ..Default::default()
            },
        );
        r.set_segment(
            X64_RegisterSs,
            Segment {
                attributes: 0x93 | (3 << 5),
                ..Default::default()
            },
        );
        VtlState {
            registers: r,
            ..Default::default()
        }
    }

    #[test]
    fn modes_architectures_and_cpl() {
        let real = state(0, 0, 0, 0x9b);
        assert_eq!(real.paging_mode().unwrap(), Paging_NonPaged);
        assert_eq!(real.architecture(), Arch_x86);
        assert_eq!(real.cpl(), 0);
        let prot = state(CR0_PE | CR0_PG, 0, 0, 0xc09b);
        assert_eq!(prot.paging_mode().unwrap(), Paging_32Bit);
        assert_eq!(prot.cpl(), 3);
        let pae = state(CR0_PE | CR0_PG, CR4_PAE, 0, 0xc09b);
        assert_eq!(pae.paging_mode().unwrap(), Paging_Pae);
        let long = state(CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, 0x209b);
        assert_eq!(long.paging_mode().unwrap(), Paging_Long);
        assert_eq!(long.architecture(), Arch_x64);
        let compat = state(CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, 0xc09b);
        assert_eq!(compat.architecture(), Arch_x86);
        assert!(VtlState::default().paging_mode().is_err());
    }

    #[test]
    fn forcing_a_mode_sets_the_selecting_bits() {
        let s = state(CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, 0x209b)
            .paging_state()
            .unwrap();
        assert_eq!(
            force_mode(s, Paging_32Bit).unwrap().mode(),
            PagingMode::Bits32
        );
        assert_eq!(force_mode(s, Paging_Pae).unwrap().mode(), PagingMode::Pae);
        assert_eq!(
            force_mode(s, Paging_NonPaged).unwrap().mode(),
            PagingMode::Disabled
        );
        let off = state(0, 0, 0, 0).paging_state().unwrap();
        assert_eq!(
            force_mode(off, Paging_Long).unwrap().mode(),
            PagingMode::FourLevel
        );
        assert!(force_mode(s, Paging_Armv8).is_err());
        assert!(force_mode(s, Paging_Invalid).is_err());
    }
}
