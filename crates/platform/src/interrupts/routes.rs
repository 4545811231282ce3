//! The partition's KVM GSI routing table: which MSI each GSI raises.
//! Everything that signals an interrupt by GSI — a trigger's irqfd
//! (WHvCreateTrigger), later VPCI devices' MSIs — takes its GSIs here,
//! and every change commits the whole table with one
//! `KVM_SET_GSI_ROUTING` (KVM has no per-entry update). A re-targeted
//! route keeps its GSI.
//!
//! The split irqchip reserves no IOAPIC pins (WHP has no IOAPIC), so no
//! route makes its vector's EOI exit to user space.
//!
//! A failed commit changes nothing: the table is only replaced once KVM
//! accepted the new one.

use std::collections::BTreeMap;
use std::sync::Mutex;

use kvm_bindings::{KVM_IRQ_ROUTING_MSI, KvmIrqRouting, kvm_irq_routing_entry, kvm_msi};
use kvm_ioctls::VmFd;
use winhv_defs::HRESULT_ERROR_NO_SYSTEM_RESOURCES;

use crate::{Error, Result};

/// The GSIs the table hands out: KVM's smallest `KVM_MAX_IRQ_ROUTES`
/// (1024 on Linux 4.x; 4096 since), valid on every kernel with a split
/// irqchip.
pub(crate) const GSIS: u32 = 1024;

/// The partition's GSI routes.
#[derive(Default)]
pub(crate) struct GsiRoutes {
    table: Mutex<Table>,
}

/// GSI → the MSI it raises.
type Table = BTreeMap<u32, kvm_msi>;

fn entry(gsi: u32, msi: &kvm_msi) -> kvm_irq_routing_entry {
    let mut e = kvm_irq_routing_entry {
        gsi,
        type_: KVM_IRQ_ROUTING_MSI,
        ..Default::default()
    };
    e.u.msi.address_lo = msi.address_lo;
    e.u.msi.address_hi = msi.address_hi;
    e.u.msi.data = msi.data;
    e
}

/// Hands `table` to KVM.
fn commit(vm: &VmFd, table: &Table) -> Result<()> {
    let entries: Vec<_> = table.iter().map(|(gsi, msi)| entry(*gsi, msi)).collect();
    let routing = KvmIrqRouting::from_entries(&entries)
        .map_err(|_| Error::new(HRESULT_ERROR_NO_SYSTEM_RESOURCES, "too many GSI routes"))?;
    vm.set_gsi_routing(&routing)
        .map_err(|e| Error::from_errno("KVM_SET_GSI_ROUTING", e.errno()))
}

fn same(a: &kvm_msi, b: &kvm_msi) -> bool {
    a.address_lo == b.address_lo && a.address_hi == b.address_hi && a.data == b.data
}

/// The lowest GSI `table` does not use.
fn free(table: &Table) -> Result<u32> {
    (0..GSIS).find(|g| !table.contains_key(g)).ok_or_else(|| {
        Error::with(
            HRESULT_ERROR_NO_SYSTEM_RESOURCES,
            format!("all {GSIS} interrupt routes are in use"),
        )
    })
}

impl GsiRoutes {
    /// Applies `change` to a copy of the table and, if it says the table
    /// changed, commits the copy and keeps it.
    fn change<T>(
        &self,
        vm: &VmFd,
        change: impl FnOnce(&mut Table) -> Result<(T, bool)>,
    ) -> Result<T> {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = table.clone();
        let (out, changed) = change(&mut next)?;
        if changed {
            commit(vm, &next)?;
            *table = next;
        }
        Ok(out)
    }

    /// A new GSI that raises `msi`, committed; the lowest free one.
    /// `HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)` when all [`GSIS`]
    /// are taken.
    pub(crate) fn add(&self, vm: &VmFd, msi: kvm_msi) -> Result<u32> {
        self.change(vm, |t| {
            let gsi = free(t)?;
            t.insert(gsi, msi);
            Ok((gsi, true))
        })
    }

    /// GSI `gsi` (from [`Self::add`]) raises `msi` from now on.
    pub(crate) fn set(&self, vm: &VmFd, gsi: u32, msi: kvm_msi) -> Result<()> {
        self.change(vm, |t| {
            Ok(((), t.insert(gsi, msi).is_none_or(|old| !same(&old, &msi))))
        })
    }

    /// Frees `gsi`. KVM refusing the smaller table leaves the route in
    /// place (it raises nothing once its irqfd is gone).
    pub(crate) fn remove(&self, vm: &VmFd, gsi: u32) -> Result<()> {
        self.change(vm, |t| Ok(((), t.remove(&gsi).is_some())))
    }
}
