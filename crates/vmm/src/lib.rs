//! winhv-vmm: what the `winhv` command's `run` is made of, on winhv's
//! safe API alone (no `unsafe`) — kernel loading (`boot`), the devices a guest finds
//! (`devices`), and the virtual machine that runs it (`vm`).

#![allow(
    non_upper_case_globals,
    reason = "WHP constants keep their Windows names"
)]

pub mod boot;
pub mod devices;
pub mod vm;
