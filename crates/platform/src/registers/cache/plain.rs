//! The general-register fast path of [`RegisterState::get`] and
//! [`RegisterState::set`], over any value type, and with it batches of
//! 64-bit registers as plain `u64`s, for the safe API's typed
//! batches (`winhv::safe`, `VirtualProcessor::get_many`/`set_many` of
//! `Register`s): the general-register fast path of
//! [`RegisterState::get`]/[`RegisterState::set`] without packing each
//! value into a 16-byte `WHV_REGISTER_VALUE` and out again. Any other
//! batch takes the ordinary path, with the same checks and answers.

use kvm_bindings::KVM_SYNC_X86_REGS;
use winhv_defs::*;

use super::{REGS_FIELD, RegisterState, regs_class_only, regs_fields};
use crate::error::{Error, Result};
use crate::registers::value;
use crate::vcpu::Vcpu;

fn counts_differ() -> Error {
    Error::new(E_INVALIDARG, "register name and value counts differ")
}

impl RegisterState {
    /// The general-register fast path of a get (every name is RAX..RFLAGS,
    /// [`regs_class_only`]): each register from kvm_run's sync area into
    /// `out` through `to`. Shared by [`Self::get`] and [`Self::get_u64s`].
    #[inline(always)]
    pub(super) fn get_regs_fast<T>(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        out: &mut [T],
        to: impl Fn(u64) -> T,
    ) -> Result<()> {
        self.load_regs(vcpu)?;
        let area = regs_fields(&mut vcpu.sync().regs);
        for (name, o) in names.iter().zip(out.iter_mut()) {
            // In range (regs_class_only): the lookups cannot fail.
            let field = REGS_FIELD.get(name.0 as usize).copied().unwrap_or(0);
            *o = to(area.get(field).copied().unwrap_or(0));
        }
        Ok(())
    }

    /// The general-register fast path of a set: any value is valid for
    /// these, so each is written in place (`of` reads it). Shared by
    /// [`Self::set`] and [`Self::set_u64s`].
    #[inline(always)]
    pub(super) fn set_regs_fast<T>(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &[T],
        of: impl Fn(&T) -> u64,
    ) -> Result<()> {
        self.load_regs(vcpu)?;
        let area = regs_fields(&mut vcpu.sync().regs);
        let mut changed = false;
        for (name, v) in names.iter().zip(values) {
            // In range (regs_class_only): the lookups cannot fail.
            let field = REGS_FIELD.get(name.0 as usize).copied().unwrap_or(0);
            if let Some(slot) = area.get_mut(field) {
                let x = of(v);
                changed |= *slot != x;
                *slot = x;
            }
        }
        if changed {
            self.sync_changed |= KVM_SYNC_X86_REGS;
        }
        Ok(())
    }

    /// [`Self::get`] of 64-bit registers into `out`.
    pub(crate) fn get_u64s(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        out: &mut [u64],
    ) -> Result<()> {
        if names.len() != out.len() {
            return Err(counts_differ());
        }
        if regs_class_only(names) {
            return self.get_regs_fast(vcpu, names, out, |x| x);
        }
        self.get_u64s_batch(vcpu, names, out)
    }

    // Out of line, as `get_batch`: the fast path stays small.
    #[inline(never)]
    fn get_u64s_batch(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        out: &mut [u64],
    ) -> Result<()> {
        let mut values = vec![WHV_REGISTER_VALUE::default(); names.len()];
        self.get(vcpu, names, &mut values)?;
        for (o, v) in out.iter_mut().zip(&values) {
            *o = value::u64_of(v);
        }
        Ok(())
    }

    /// [`Self::set`] of 64-bit registers from `values`, all or none.
    pub(crate) fn set_u64s(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &[u64],
    ) -> Result<()> {
        if names.len() != values.len() {
            return Err(counts_differ());
        }
        if regs_class_only(names) {
            return self.set_regs_fast(vcpu, names, values, |&x| x);
        }
        self.set_u64s_batch(vcpu, names, values)
    }

    #[inline(never)]
    fn set_u64s_batch(
        &mut self,
        vcpu: &mut Vcpu,
        names: &[WHV_REGISTER_NAME],
        values: &[u64],
    ) -> Result<()> {
        let values: Vec<_> = values.iter().map(|&x| value::from_u64(x)).collect();
        self.set(vcpu, names, &values)
    }
}
