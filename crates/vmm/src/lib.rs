//! winhv-vmm: what the `winhv` command's `run` is made of, on winhv's
//! public API alone — kernel loading (`boot`), the devices a guest finds
//! (`devices`), and the virtual machine that runs it (`vm`).

#![allow(
    unsafe_code,
    reason = "WHvMapGpaRange of guest RAM, and reading the exit context's C union"
)]
#![allow(
    non_upper_case_globals,
    reason = "WHP constants keep their Windows names"
)]

pub mod boot;
pub mod devices;
pub mod vm;
