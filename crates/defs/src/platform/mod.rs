//! `WinHvPlatformDefs.h` for x64: every type, enum, union, bitfield and
//! constant of the Windows Hypervisor Platform (winhvplatform.dll), laid out
//! as on Windows. One file per concept; everything is re-exported here and
//! at the crate root.
//!
//! | module | holds |
//! | --- | --- |
//! | [`capability`] | `WHvGetCapability` codes, [`WHV_CAPABILITY`], platform feature bitfields |
//! | [`features`] | processor, synthetic, XSAVE and perfmon feature banks |
//! | [`partition`] | [`WHV_PARTITION_HANDLE`], partition property codes and [`WHV_PARTITION_PROPERTY`] |
//! | [`cpuid_msr`] | CPUID result lists and MSR action lists |
//! | [`memory`] | GPA mapping flags, ranges, advice, cache types |
//! | [`translate`] | `WHvTranslateGva` flags and results |
//! | [`register`] | [`WHV_REGISTER_NAME`] |
//! | [`register_value`] | [`WHV_REGISTER_VALUE`], [`WHV_UINT128`], segment, table, x87/SSE registers |
//! | [`vp_events`] | interrupt state, pending interruption/events, deliverability, activity, debug |
//! | [`exit`] | exit reasons, [`WHV_RUN_VP_EXIT_CONTEXT`], [`WHV_VP_EXIT_CONTEXT`] |
//! | [`exit_access`] | memory, I/O-port, MSR and CPUID exit payloads |
//! | [`exit_events`] | exception, APIC, RDTSC, hypercall, unsupported-feature exit payloads |
//! | [`interrupt`] | `WHvRequestInterrupt`: [`WHV_INTERRUPT_CONTROL`] |
//! | [`synic`] | SynIC event parameters, SINT-deliverable payload, message size |
//! | [`notification`] | notification ports, doorbells, triggers |
//! | [`counters`] | partition and VP counter sets |
//! | [`vp_state`] | VP state types and VP properties |
//! | [`vpci`] | virtual PCI devices |
//!
//! Migration (`WHvStartPartitionMigration`, …) uses only handles and
//! `HANDLE`s; it has no types of its own.

/// `DEFINE_ENUM_FLAG_OPERATORS` for an open flag enum: `|`, `&`, `^`, `!`
/// and their assigning forms, on the underlying integer.
macro_rules! flag_ops {
    ($t:ident) => {
        impl core::ops::BitOr for $t {
            type Output = $t;
            fn bitor(self, rhs: $t) -> $t {
                $t(self.0 | rhs.0)
            }
        }
        impl core::ops::BitAnd for $t {
            type Output = $t;
            fn bitand(self, rhs: $t) -> $t {
                $t(self.0 & rhs.0)
            }
        }
        impl core::ops::BitXor for $t {
            type Output = $t;
            fn bitxor(self, rhs: $t) -> $t {
                $t(self.0 ^ rhs.0)
            }
        }
        impl core::ops::Not for $t {
            type Output = $t;
            fn not(self) -> $t {
                $t(!self.0)
            }
        }
        impl core::ops::BitOrAssign for $t {
            fn bitor_assign(&mut self, rhs: $t) {
                self.0 |= rhs.0;
            }
        }
        impl core::ops::BitAndAssign for $t {
            fn bitand_assign(&mut self, rhs: $t) {
                self.0 &= rhs.0;
            }
        }
        impl core::ops::BitXorAssign for $t {
            fn bitxor_assign(&mut self, rhs: $t) {
                self.0 ^= rhs.0;
            }
        }
        impl $t {
            /// True when every bit of `flags` is set in `self`.
            pub const fn contains(self, flags: $t) -> bool {
                self.0 & flags.0 == flags.0
            }
        }
    };
}

pub mod capability;
pub mod counters;
pub mod cpuid_msr;
pub mod exit;
pub mod exit_access;
pub mod exit_events;
pub mod features;
pub mod interrupt;
pub mod memory;
pub mod notification;
pub mod partition;
pub mod register;
pub mod register_value;
pub mod synic;
pub mod translate;
pub mod vp_events;
pub mod vp_state;
pub mod vpci;

pub use capability::*;
pub use counters::*;
pub use cpuid_msr::*;
pub use exit::*;
pub use exit_access::*;
pub use exit_events::*;
pub use features::*;
pub use interrupt::*;
pub use memory::*;
pub use notification::*;
pub use partition::*;
pub use register::*;
pub use register_value::*;
pub use synic::*;
pub use translate::*;
pub use vp_events::*;
pub use vp_state::*;
pub use vpci::*;
