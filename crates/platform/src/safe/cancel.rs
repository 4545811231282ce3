//! [`CancelHandle`]: WHvCancelRunVirtualProcessor for one VP, owned,
//! `Send + Sync` and `'static`, so another thread (a timer, a Ctrl-C
//! handler) can stop a run without borrowing the partition.

use std::sync::Weak;

use winhv_defs::*;

use crate::error::{Error, Result};
use crate::vp::Vp;

/// Cancels runs of one VP from any thread. It does not keep the VP alive:
/// once the partition is dropped, [`CancelHandle::cancel`] answers
/// `WHV_E_VP_DOES_NOT_EXIST`.
///
/// ```
/// # if !winhv::hypervisor_present() { println!("SKIPPED: no /dev/kvm"); return Ok(()); }
/// use winhv::safe::{Exit, PartitionBuilder};
/// let partition = PartitionBuilder::new().processor_count(1).build()?;
/// let mut vp = partition.create_vp(0)?;
/// let cancel = vp.cancel_handle();
/// std::thread::spawn(move || cancel.cancel()).join().unwrap()?;
/// // A cancel with no run in progress ends the next run at once.
/// assert!(matches!(vp.run()?, Exit::Canceled));
/// # Ok::<(), winhv::Error>(())
/// ```
#[derive(Clone)]
pub struct CancelHandle {
    pub(crate) vp: Weak<Vp>,
    pub(crate) index: u32,
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelHandle")
            .field("vp", &self.index)
            .finish()
    }
}

impl CancelHandle {
    /// Makes the VP's current run, or its next one if none is in progress,
    /// return [`super::Exit::Canceled`].
    pub fn cancel(&self) -> Result<()> {
        let vp = self.vp.upgrade().ok_or_else(|| {
            Error::with(
                WHV_E_VP_DOES_NOT_EXIST,
                format!("VP {}: its partition is gone", self.index),
            )
        })?;
        vp.cancel.cancel();
        Ok(())
    }
}
