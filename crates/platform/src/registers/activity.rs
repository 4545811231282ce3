//! `WHvRegisterInternalActivityState` (`WHV_INTERNAL_ACTIVITY_REGISTER`:
//! bit 0 StartupSuspend, bit 1 HaltSuspend, bit 2 IdleSuspend) over KVM's
//! MP state: a VP waiting for INIT/SIPI is startup-suspended, a halted VP
//! halt-suspended. KVM keeps a halted or waiting VP only with the in-kernel
//! LAPIC; without LAPIC emulation the register reads 0 and a write answers
//! `ERROR_HV_ACCESS_DENIED`, as on Windows (the register cache refuses it,
//! `RegisterState::set_lapic_emulation`; a cache not told KVM's mode lets
//! KVM refuse any state but runnable when it is written back). IdleSuspend
//! has no KVM counterpart and is refused.

use kvm_bindings::{
    KVM_MP_STATE_HALTED, KVM_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_RUNNABLE,
    KVM_MP_STATE_UNINITIALIZED,
};
use winhv_defs::E_INVALIDARG;

use crate::{Error, Result};

const STARTUP_SUSPEND: u64 = 1;
const HALT_SUSPEND: u64 = 2;

/// The activity register for KVM's MP state.
pub(crate) fn from_mp_state(state: u32) -> u64 {
    match state {
        KVM_MP_STATE_UNINITIALIZED | KVM_MP_STATE_INIT_RECEIVED => STARTUP_SUSPEND,
        KVM_MP_STATE_HALTED => HALT_SUSPEND,
        // Runnable, or a SIPI received (the VP starts at its next run).
        _ => 0,
    }
}

/// KVM's MP state for an activity register value.
pub(crate) fn mp_state_for(v: u64) -> Result<u32> {
    match v {
        0 => Ok(KVM_MP_STATE_RUNNABLE),
        STARTUP_SUSPEND => Ok(KVM_MP_STATE_INIT_RECEIVED),
        HALT_SUSPEND => Ok(KVM_MP_STATE_HALTED),
        _ => Err(Error::with(
            E_INVALIDARG,
            format!("InternalActivityState {v:#x}: not a state KVM can hold"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for v in [0, STARTUP_SUSPEND, HALT_SUSPEND] {
            assert_eq!(from_mp_state(mp_state_for(v).unwrap()), v);
        }
        assert_eq!(from_mp_state(KVM_MP_STATE_UNINITIALIZED), STARTUP_SUSPEND);
        assert!(mp_state_for(4).is_err());
        assert!(mp_state_for(3).is_err());
    }
}
