//! winhv-vmm: what the `winhv` command's `run` is made of, on winhv's
//! public API alone — kernel loading (`boot`), the devices a guest finds
//! (`devices`), and the virtual machine that runs it (`vm`).

pub mod boot;
