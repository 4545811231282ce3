//! A VP's larger state through its safe handle: the XSAVE area and the
//! local APIC's register page, as owned buffers of the right size (no
//! size query, no buffer to get wrong), over the WHP-shaped functions.

use super::vp::VirtualProcessor;
use crate::error::Result;

impl VirtualProcessor<'_> {
    /// WHvGetVirtualProcessorXsaveState: the VP's compacted XSAVE area.
    ///
    /// ```
    /// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
    /// let partition = winhv::safe::PartitionBuilder::new().processor_count(1).build()?;
    /// let vp = partition.create_vp(0)?;
    /// let mut state = vp.xsave_state()?;
    /// state[160] = 0x42;       // XMM0's low byte (the legacy region)
    /// state[512] |= 2;         // XSTATE_BV: SSE state in use
    /// vp.set_xsave_state(&state)?;
    /// assert_eq!(vp.get(winhv::safe::Xmm::new(0).unwrap())? & 0xff, 0x42);
    /// # Ok::<(), winhv::Error>(())
    /// ```
    pub fn xsave_state(&self) -> Result<Vec<u8>> {
        let raw = self.raw_partition();
        let mut state = vec![0; raw.vp_xsave_state_size(self.index())? as usize];
        let n = raw.get_vp_xsave_state(self.index(), &mut state)? as usize;
        state.truncate(n);
        Ok(state)
    }

    /// WHvSetVirtualProcessorXsaveState: replaces the VP's XSAVE area
    /// (`E_INVALIDARG` for what XRSTOR would refuse, nothing changed).
    pub fn set_xsave_state(&self, state: &[u8]) -> Result<()> {
        self.raw_partition().set_vp_xsave_state(self.index(), state)
    }

    /// WHvGetVirtualProcessorInterruptControllerState2: the local APIC's
    /// 4 KiB xAPIC register page (LAPIC emulation; without it
    /// `ERROR_HV_OPERATION_DENIED`).
    pub fn lapic_state(&self) -> Result<Vec<u8>> {
        let mut state = vec![0; crate::INTERRUPT_CONTROLLER_STATE_SIZE as usize];
        let n = self
            .raw_partition()
            .get_interrupt_controller_state2(self.index(), &mut state)? as usize;
        state.truncate(n);
        Ok(state)
    }

    /// WHvSetVirtualProcessorInterruptControllerState2: the local APIC
    /// becomes `state` (a page from [`Self::lapic_state`]); the VP must
    /// not be running.
    pub fn set_lapic_state(&self, state: &[u8]) -> Result<()> {
        self.raw_partition()
            .set_interrupt_controller_state2(self.index(), state)
    }
}
