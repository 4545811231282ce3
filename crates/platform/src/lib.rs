//! winhv: the Windows Hypervisor Platform (WHP) on Linux KVM, as a safe Rust
//! API. Module map (one concept per file):
//!
//! | module | owns |
//! | --- | --- |
//! | `error` | [`Error`]: the HRESULT Windows would return + context |
//!
//! (More modules arrive as the platform issue lands.)
#![allow(unsafe_code, reason = "KVM ioctls, mmap of guest memory and kvm_run")]

mod error;

pub use error::{Error, Result};
pub use winhv_defs as defs;
